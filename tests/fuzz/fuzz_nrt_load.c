/*
 * tests/fuzz/fuzz_nrt_load.c - libFuzzer target for the whole of nrt_load:
 * the byte checks, the trial load in a child process, the dynamic loader,
 * the descriptor checks, then nrt_get_model_tensor_info and nrt_unload of
 * whatever loaded. Linked to libnrt like an application.
 *
 * Invariants: the process survives every input (a crash is the fuzzer's
 * finding); the status is one nrt_load documents for bytes
 * (docs/MODELS.md); a model comes back exactly when the status is
 * NRT_SUCCESS, and its tensor list matches nothing but itself.
 *
 * A model object is code, trusted like any library: changed code may do
 * anything when it runs (a constructor that stores at a random address
 * corrupts the process silently). What must never crash the process is
 * damaged metadata, so every input gets back the code of the reference
 * object ($NRT_FUZZ_REFERENCE, else $NRT_MODEL_DIR/vadd.so): the file
 * ranges of its executable segments are restored before the load.
 */
#include "fuzz.h"

#include <elf.h>

#include "nrt/nrt.h"
#include "nrt/nrt_experimental.h"

static uint8_t *ref;       /* the reference object */
static size_t ref_size;
static uint64_t code_off[8], code_len[8];
static unsigned ncode;

static void read_reference(void)
{
    char path[4096];
    const char *r = getenv("NRT_FUZZ_REFERENCE"), *dir = getenv("NRT_MODEL_DIR");
    snprintf(path, sizeof path, "%s%s", r ? r : dir ? dir : ".", r ? "" : "/vadd.so");
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz_nrt_load: cannot read the reference object %s\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    ref_size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    ref = malloc(ref_size);
    FUZZ_ASSERT(ref && fread(ref, 1, ref_size, f) == ref_size);
    fclose(f);
    Elf64_Ehdr eh;
    FUZZ_ASSERT(ref_size >= sizeof eh);
    memcpy(&eh, ref, sizeof eh);
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        FUZZ_ASSERT(eh.e_phoff + (i + 1) * sizeof ph <= ref_size);
        memcpy(&ph, ref + eh.e_phoff + i * sizeof ph, sizeof ph);
        if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X) && ncode < 8) {
            FUZZ_ASSERT(ph.p_offset + ph.p_filesz <= ref_size);
            code_off[ncode] = ph.p_offset;
            code_len[ncode++] = ph.p_filesz;
        }
    }
}

/* Puts the reference's code back into |b|. */
static void restore_code(uint8_t *b, size_t size)
{
    for (unsigned i = 0; i < ncode; i++) {
        if (code_off[i] >= size)
            continue;
        size_t n = code_len[i] < size - code_off[i] ? code_len[i] : size - code_off[i];
        memcpy(b + code_off[i], ref + code_off[i], n);
    }
}

static void runtime_once(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    read_reference();
    setenv("NEURON_RT_NUM_CORES", "1", 1);
    if (!getenv("NEURON_RT_LOG_LEVEL"))
        setenv("NEURON_RT_LOG_LEVEL", "OFF", 1); /* one line per refused input otherwise */
    FUZZ_ASSERT(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, NULL, NULL) == NRT_SUCCESS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    runtime_once();
    /* An exactly sized copy: a sanitizer sees any read past the end. */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    if (size)
        memcpy(copy, data, size);
    restore_code(copy, size);
    nrt_model_t *m = (nrt_model_t *)(uintptr_t)1;
    NRT_STATUS st = nrt_load(copy, size, -1, -1, &m);
    FUZZ_ASSERT(st == NRT_SUCCESS || st == NRT_INVALID || st == NRT_UNSUPPORTED_NEFF_VERSION);
    FUZZ_ASSERT((st == NRT_SUCCESS) == (m != NULL));
    free(copy); /* the runtime keeps its own copy */
    if (m) {
        nrt_tensor_info_array_t *info = NULL;
        FUZZ_ASSERT(nrt_get_model_tensor_info(m, &info) == NRT_SUCCESS && info);
        FUZZ_ASSERT(info->tensor_count >= 1);
        for (uint64_t i = 0; i < info->tensor_count; i++)
            FUZZ_ASSERT(info->tensor_array[i].size > 0 && info->tensor_array[i].name[0]);
        nrt_free_model_tensor_info(info);
        FUZZ_ASSERT(nrt_unload(m) == NRT_SUCCESS);
    }
    return 0;
}

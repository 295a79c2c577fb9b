/*
 * tests/api/test_model_bytes.c - nrt_load on bytes that are not a
 * well-formed model never crashes and returns the documented status with
 * one log line: NRT_UNSUPPORTED_NEFF_VERSION for non-ELF bytes (random
 * data, a packed NEFF) and an unknown kernel ABI version; NRT_INVALID for a
 * truncated or corrupted ELF, an object without the descriptor, an invalid
 * descriptor, an unresolvable symbol, an executable; init()'s own status
 * when it fails. Afterwards loading still works and nothing leaked into
 * the core placement.
 */
#include "harness.h"
#include "api_env.h"

#include <elf.h>

#include "nrt/nrt_experimental.h"

static void *module_bytes(const char *name, size_t *n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.so", NRT_TEST_MODULE_DIR, name);
    return t_read_file(path, n);
}

/* Loads |n| bytes (copied to an exactly-sized buffer, so ASan sees any
 * overread) through nrt_load and nrt_load_collectives. */
static void expect_load_(const void *bytes, size_t n, NRT_STATUS want, const char *what, int line)
{
    void *copy = malloc(n ? n : 1);
    ASSERT_TRUE(copy != NULL);
    memcpy(copy, bytes, n);
    for (int coll = 0; coll < 2; coll++) {
        nrt_model_t *m = (nrt_model_t *)(uintptr_t)1;
        char log[1024];
        t_capture_begin();
        NRT_STATUS st = coll ? nrt_load_collectives(copy, n, 0, 1, 0, 1, &m) : nrt_load(copy, n, -1, -1, &m);
        int lines = t_capture_end(log, sizeof log);
        if (st != want || lines != 1 || m != NULL) {
            fprintf(stderr, "line %d: %s (%zu bytes): got %s with %d log lines (model %p), expected %s with 1:\n%s",
                    line, what, n, nrt_get_status_as_str(st), lines, (void *)m, nrt_get_status_as_str(want), log);
            abort();
        }
    }
    free(copy);
}
#define EXPECT_LOAD(b, n, want, what) expect_load_((b), (n), (want), (what), __LINE__)

static uint64_t xs(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_not_elf(void)
{
    uint64_t seed = 12345;
    static const size_t sizes[] = {1, 2, 3, 4, 16, 64, 1000, 65536};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *b = malloc(sizes[i]);
        for (size_t j = 0; j < sizes[i]; j++)
            b[j] = (unsigned char)xs(&seed);
        b[0] = (unsigned char)(b[0] == 0x7f ? 0 : b[0]);
        EXPECT_LOAD(b, sizes[i], NRT_UNSUPPORTED_NEFF_VERSION, "random bytes");
        /* the same behind an ELF magic: a malformed ELF */
        if (sizes[i] >= 4) {
            memcpy(b, ELFMAG, SELFMAG);
            EXPECT_LOAD(b, sizes[i], NRT_INVALID, "random bytes with ELF magic");
        }
        free(b);
    }
    /* A packed NEFF (gzip/tar) as the real runtime would get it. */
    unsigned char neff[512] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03};
    memcpy(neff + 10, "neff.json", 9);
    EXPECT_LOAD(neff, sizeof neff, NRT_UNSUPPORTED_NEFF_VERSION, "gzip NEFF");
    char log[1024];
    nrt_model_t *m = NULL;
    t_capture_begin();
    NRT_STATUS st = nrt_load(neff, sizeof neff, 0, 1, &m);
    t_capture_end(log, sizeof log);
    ASSERT_ST(st, NRT_UNSUPPORTED_NEFF_VERSION);
    ASSERT_TRUE(strstr(log, "NEFF") != NULL); /* the log says why */
    static const char text[] = "This is not a model.\n";
    EXPECT_LOAD(text, sizeof text, NRT_UNSUPPORTED_NEFF_VERSION, "text");
    unsigned char zeros[4096] = {0};
    EXPECT_LOAD(zeros, sizeof zeros, NRT_UNSUPPORTED_NEFF_VERSION, "zeros");
}

static void test_truncated(void)
{
    static const char *const names[] = {"vadd", "mlp"};
    for (size_t k = 0; k < 2; k++) {
        size_t n;
        unsigned char *b = t_read_model(names[k], &n);
        const size_t lens[] = {1, 3, 4, 5, 16, 63, 64, 65, 120, 200, 1000, 4096, n / 4, n / 2, n - 4096, n - 64, n - 1};
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
            EXPECT_LOAD(b, lens[i], lens[i] < SELFMAG ? NRT_UNSUPPORTED_NEFF_VERSION : NRT_INVALID, "truncated model");
        free(b);
    }
}

static void test_corrupted_headers(void)
{
    size_t n;
    unsigned char *b = t_read_model("vadd", &n);
    Elf64_Ehdr eh;
    memcpy(&eh, b, sizeof eh);
    struct {
        size_t off, len;
        uint64_t value;
        const char *what;
    } edits[] = {
        {EI_CLASS, 1, ELFCLASS32, "32-bit class"},
        {EI_DATA, 1, ELFDATA2MSB, "big endian"},
        {offsetof(Elf64_Ehdr, e_type), 2, ET_EXEC, "ET_EXEC"},
        {offsetof(Elf64_Ehdr, e_machine), 2, EM_NONE, "no machine"},
        {offsetof(Elf64_Ehdr, e_phoff), 8, UINT64_MAX - 8, "program headers wrap"},
        {offsetof(Elf64_Ehdr, e_phnum), 2, 0, "no program headers"},
        {offsetof(Elf64_Ehdr, e_phnum), 2, 5000, "too many program headers"},
        {offsetof(Elf64_Ehdr, e_shoff), 8, (uint64_t)n, "section headers past the end"},
        {eh.e_phoff + offsetof(Elf64_Phdr, p_offset), 8, UINT64_MAX - 100, "segment offset wraps"},
        {eh.e_phoff + offsetof(Elf64_Phdr, p_filesz), 8, (uint64_t)n * 2, "segment past the end"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        unsigned char *c = malloc(n);
        memcpy(c, b, n);
        memcpy(c + edits[i].off, &edits[i].value, edits[i].len); /* little endian host */
        EXPECT_LOAD(c, n, NRT_INVALID, edits[i].what);
        free(c);
    }
    free(b);
}

static void test_bad_objects(void)
{
    static const struct {
        const char *name;
        NRT_STATUS want;
    } mods[] = {
        {"nodesc", NRT_INVALID},                    /* valid ELF, no nrt_kernel_descriptor */
        {"baddesc", NRT_INVALID},                   /* size does not match shape */
        {"badabi", NRT_UNSUPPORTED_NEFF_VERSION},   /* kernel ABI version 99 */
        {"undef", NRT_INVALID},                     /* the dynamic loader refuses it */
        {"initfail", NRT_RESOURCE},                 /* init() returns NRT_RESOURCE */
    };
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++) {
        size_t n;
        void *b = module_bytes(mods[i].name, &n);
        EXPECT_LOAD(b, n, mods[i].want, mods[i].name);
        free(b);
    }
    /* An executable (position independent or not) is not a model. */
    size_t n;
    void *exe = t_read_file("/proc/self/exe", &n);
    EXPECT_LOAD(exe, n, NRT_INVALID, "this test executable");
    free(exe);
}

static uint32_t model_vnc(const nrt_model_t *m)
{
    nrt_model_info_t mi;
    ASSERT_OK(nrt_get_model_info(m, &mi, sizeof mi, NULL));
    return mi.vnc;
}

int main(void)
{
    t_api_env();
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, NULL, NULL));
    for (int round = 0; round < 3; round++) { /* repeated: no state builds up */
        test_not_elf();
        test_truncated();
        test_corrupted_headers();
        test_bad_objects();
    }
    /* Failed loads left no model behind: -1 still finds core 0 empty,
     * then core 1. */
    nrt_model_t *a = t_load_model("vadd", -1), *b = t_load_model("vadd", -1);
    ASSERT_EQ_U64(model_vnc(a), 0);
    ASSERT_EQ_U64(model_vnc(b), 1);
    ASSERT_OK(nrt_unload(a));
    ASSERT_OK(nrt_unload(b));
    nrt_close();
    printf("model_bytes ok\n");
    return 0;
}

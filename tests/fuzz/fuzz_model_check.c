/*
 * tests/fuzz/fuzz_model_check.c - libFuzzer target for the checks that
 * stand between untrusted bytes and the dynamic loader
 * (src/model/model_check.c).
 *
 * Each input is used twice:
 *  1. as a model object for nrt__model_check_elf();
 *  2. as a recipe for a kernel descriptor for nrt__model_check_descriptor():
 *     fields, counts, dtypes and shapes come from the bytes; every string
 *     points into a copy of the input that ends in a NUL, so strings are
 *     always terminated inside the buffer.
 * The verdict must be one of the documented statuses with a terminated
 * reason, and a descriptor that passes is re-checked against an
 * independent oracle of the rules in nrt/nrt_kernel.h.
 */
#include "fuzz.h"

#include "model/model.h"

typedef struct {
    const uint8_t *p;
    size_t n, pos;
    const char *strings; /* the NUL-terminated copy of the input */
} reader_t;

static uint64_t take(reader_t *r, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)(r->pos < r->n ? r->p[r->pos++] : 0) << (8 * i);
    return v;
}

/* NULL, or a string that starts inside the input copy. */
static const char *take_str(reader_t *r)
{
    uint64_t sel = take(r, 1);
    if (sel % 16 == 0)
        return NULL;
    return r->strings + take(r, 2) % (r->n + 1);
}

static void fill_tensor(reader_t *r, nrt_kernel_tensor_t *t)
{
    t->name = take_str(r);
    uint64_t sel = take(r, 1);
    t->dtype = (nrt_dtype_t)(sel & 0x80 ? (int)(int8_t)take(r, 1) : (int)(sel & 0xf));
    uint64_t nd = take(r, 1);
    t->ndim = nd & 0x80 ? (uint32_t)take(r, 4) : (uint32_t)(nd % 10);
    for (uint32_t d = 0; d < NRT_KERNEL_MAX_DIMS; d++) {
        uint64_t s = take(r, 1);
        t->shape[d] = s & 0x80 ? (uint32_t)take(r, 4) : (uint32_t)(s & 0x7f);
    }
    /* Usually the consistent size, so deeper checks are reached. */
    uint64_t bytes = nrt_kernel_dtype_size(t->dtype);
    for (uint32_t d = 0; d < t->ndim && d < NRT_KERNEL_MAX_DIMS; d++)
        bytes *= t->shape[d]; /* may wrap: that is a case too */
    t->size = take(r, 1) % 8 == 0 ? take(r, 8) : bytes;
}

static NRT_STATUS fake_execute(const nrt_kernel_args_t *args)
{
    (void)args;
    return NRT_SUCCESS;
}

/* The rules of nrt/nrt_kernel.h, written independently. */
static bool tensor_ok(const nrt_kernel_tensor_t *t)
{
    if (!t->name || !t->name[0] || strnlen(t->name, 256) > 255)
        return false;
    size_t es = nrt_kernel_dtype_size(t->dtype);
    if (!es || t->ndim < 1 || t->ndim > NRT_KERNEL_MAX_DIMS)
        return false;
    unsigned __int128 bytes = es;
    for (uint32_t d = 0; d < t->ndim; d++) {
        if (!t->shape[d])
            return false;
        bytes *= t->shape[d];
        if (bytes > UINT64_MAX)
            return false;
    }
    return bytes == t->size;
}

static void oracle(const nrt_kernel_descriptor_t *d)
{
    FUZZ_ASSERT(d->magic == NRT_KERNEL_MAGIC && d->abi_version == NRT_KERNEL_ABI_VERSION);
    FUZZ_ASSERT(d->name && d->name[0] && strnlen(d->name, 256) <= 255);
    FUZZ_ASSERT(d->num_outputs >= 1 && d->num_outputs <= NRT_KERNEL_MAX_TENSORS);
    FUZZ_ASSERT(d->num_inputs <= NRT_KERNEL_MAX_TENSORS);
    FUZZ_ASSERT(d->execute != NULL && d->outputs != NULL && (d->num_inputs == 0 || d->inputs != NULL));
    uint32_t n = d->num_inputs + d->num_outputs;
    for (uint32_t i = 0; i < n; i++) {
        const nrt_kernel_tensor_t *a = i < d->num_inputs ? &d->inputs[i] : &d->outputs[i - d->num_inputs];
        FUZZ_ASSERT(tensor_ok(a));
        for (uint32_t j = 0; j < i; j++) {
            const nrt_kernel_tensor_t *b = j < d->num_inputs ? &d->inputs[j] : &d->outputs[j - d->num_inputs];
            FUZZ_ASSERT(strcmp(a->name, b->name) != 0);
        }
    }
}

static void check_reason(NRT_STATUS st, const char *why, size_t cap)
{
    FUZZ_ASSERT(st == NRT_SUCCESS || st == NRT_INVALID || st == NRT_UNSUPPORTED_NEFF_VERSION);
    FUZZ_ASSERT(memchr(why, '\0', cap) != NULL);
    if (st != NRT_SUCCESS)
        FUZZ_ASSERT(why[0] != '\0');
}

static uint32_t take_count(reader_t *r)
{
    uint64_t sel = take(r, 1);
    if (sel == 0xff)
        return (uint32_t)take(r, 4); /* anything, including above the maximum */
    if (sel == 0xfe)
        return NRT_KERNEL_MAX_TENSORS + (uint32_t)take(r, 1) % 2;
    return (uint32_t)(sel % 6);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[256];

    /* 1. the bytes as a model object */
    memset(why, 'x', sizeof why);
    why[0] = '\0';
    NRT_STATUS st = nrt__model_check_elf(data, size, why, sizeof why);
    check_reason(st, why, sizeof why);
    char tiny[3] = {'x', 'x', 'x'};
    FUZZ_ASSERT(nrt__model_check_elf(data, size, tiny, sizeof tiny) == st);
    if (st != NRT_SUCCESS) /* a reason, truncated and terminated */
        FUZZ_ASSERT(memchr(tiny, '\0', sizeof tiny) != NULL);
    FUZZ_ASSERT(nrt__model_check_elf(data, size, NULL, 0) == st);

    /* 2. the bytes as a descriptor recipe */
    char *strings = malloc(size + 1);
    if (!strings)
        return 0;
    if (size)
        memcpy(strings, data, size);
    strings[size] = '\0';
    reader_t r = {data, size, 0, strings};
    nrt_kernel_descriptor_t d;
    memset(&d, 0, sizeof d);
    uint64_t flags = take(&r, 1);
    d.magic = flags & 1 ? (uint32_t)take(&r, 4) : NRT_KERNEL_MAGIC;
    d.abi_version = flags & 2 ? (uint32_t)take(&r, 4) : NRT_KERNEL_ABI_VERSION;
    d.name = take_str(&r);
    d.num_inputs = take_count(&r);
    d.num_outputs = take_count(&r);
    /* Tables are only read for counts within the maximum. */
    uint32_t nin = d.num_inputs <= NRT_KERNEL_MAX_TENSORS ? d.num_inputs : 0;
    uint32_t nout = d.num_outputs <= NRT_KERNEL_MAX_TENSORS ? d.num_outputs : 0;
    nrt_kernel_tensor_t *ins = calloc(nin ? nin : 1, sizeof *ins);
    nrt_kernel_tensor_t *outs = calloc(nout ? nout : 1, sizeof *outs);
    if (ins && outs) {
        for (uint32_t i = 0; i < nin; i++)
            fill_tensor(&r, &ins[i]);
        for (uint32_t i = 0; i < nout; i++)
            fill_tensor(&r, &outs[i]);
        d.inputs = flags & 4 ? NULL : ins;
        d.outputs = flags & 8 ? NULL : outs;
        d.execute = flags & 16 ? NULL : fake_execute;
        memset(why, 'x', sizeof why);
        why[0] = '\0';
        st = nrt__model_check_descriptor(&d, why, sizeof why);
        check_reason(st, why, sizeof why);
        if (st == NRT_SUCCESS)
            oracle(&d);
        FUZZ_ASSERT(nrt__model_check_descriptor(&d, NULL, 0) == st);
    }
    free(ins);
    free(outs);
    free(strings);
    return 0;
}

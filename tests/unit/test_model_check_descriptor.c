/*
 * tests/unit/test_model_check_descriptor.c - nrt__model_check_descriptor()
 * on hand-built descriptors: a valid one passes; bad magic, missing
 * fields, bad names, duplicate names, bad dtypes and shapes, and size
 * mismatches give NRT_INVALID; an unknown ABI version gives
 * NRT_UNSUPPORTED_NEFF_VERSION; each with a reason.
 */
#include "harness.h"

#include "model/model.h"

static NRT_STATUS dummy_execute(const nrt_kernel_args_t *args)
{
    (void)args;
    return NRT_SUCCESS;
}

static NRT_STATUS dummy_init(const nrt_kernel_load_info_t *info, void **state)
{
    (void)info;
    *state = NULL;
    return NRT_SUCCESS;
}

static void dummy_fini(void *state)
{
    (void)state;
}

/* A fresh valid descriptor each time, with writable tensor tables. */
typedef struct {
    nrt_kernel_tensor_t in[3], out[2];
    nrt_kernel_descriptor_t d;
} fixture_t;

static void fixture(fixture_t *f)
{
    memset(f, 0, sizeof *f);
    f->in[0] = (nrt_kernel_tensor_t){"a", NRT_DTYPE_FLOAT32, 1, {16}, 64};
    f->in[1] = (nrt_kernel_tensor_t){"b", NRT_DTYPE_INT64, 2, {4, 3}, 96};
    f->in[2] = (nrt_kernel_tensor_t){"c", NRT_DTYPE_UINT8, 3, {2, 3, 5}, 30};
    f->out[0] = (nrt_kernel_tensor_t){"y", NRT_DTYPE_BFLOAT16, 1, {7}, 14};
    f->out[1] = (nrt_kernel_tensor_t){"z", NRT_DTYPE_FLOAT16, 8, {1, 2, 1, 2, 1, 2, 1, 2}, 32};
    f->d = (nrt_kernel_descriptor_t){NRT_KERNEL_MAGIC, NRT_KERNEL_ABI_VERSION, "model", 3, 2, f->in, f->out,
                                     dummy_init, dummy_fini, dummy_execute};
}

static void expect_(const nrt_kernel_descriptor_t *d, NRT_STATUS want, const char *what, int line)
{
    char why[256] = "";
    NRT_STATUS got = nrt__model_check_descriptor(d, why, sizeof why);
    if (got != want || (want != NRT_SUCCESS && !why[0])) {
        fprintf(stderr, "line %d: %s: got %s, expected %s (why: '%s')\n", line, what, nrt_get_status_as_str(got),
                nrt_get_status_as_str(want), why);
        abort();
    }
}
#define EXPECT(d, want, what) expect_((d), (want), (what), __LINE__)

static char long_name[300];

int main(void)
{
    fixture_t f;
    fixture(&f);
    EXPECT(&f.d, NRT_SUCCESS, "valid");
    EXPECT(NULL, NRT_INVALID, "no descriptor");
    ASSERT_ST(nrt__model_check_descriptor(NULL, NULL, 0), NRT_INVALID);

    /* optional parts */
    fixture(&f); f.d.init = NULL; f.d.fini = NULL;
    EXPECT(&f.d, NRT_SUCCESS, "no init/fini");
    fixture(&f); f.d.num_inputs = 0; f.d.inputs = NULL;
    EXPECT(&f.d, NRT_SUCCESS, "no inputs");
    fixture(&f); f.d.num_inputs = 0;
    EXPECT(&f.d, NRT_SUCCESS, "no inputs, table given");

    /* header */
    fixture(&f); f.d.magic = 0;
    EXPECT(&f.d, NRT_INVALID, "magic 0");
    fixture(&f); f.d.magic = NRT_KERNEL_MAGIC ^ 1;
    EXPECT(&f.d, NRT_INVALID, "magic off by one bit");
    fixture(&f); f.d.abi_version = NRT_KERNEL_ABI_VERSION + 1;
    EXPECT(&f.d, NRT_UNSUPPORTED_NEFF_VERSION, "newer ABI");
    fixture(&f); f.d.abi_version = 0;
    EXPECT(&f.d, NRT_UNSUPPORTED_NEFF_VERSION, "ABI 0");
    fixture(&f); f.d.abi_version = UINT32_MAX;
    EXPECT(&f.d, NRT_UNSUPPORTED_NEFF_VERSION, "ABI max");
    fixture(&f); f.d.magic = 0; f.d.abi_version = 7;
    EXPECT(&f.d, NRT_INVALID, "bad magic wins over ABI");

    /* model name */
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[255] = '\0';
    fixture(&f); f.d.name = long_name;
    EXPECT(&f.d, NRT_SUCCESS, "255-byte model name");
    long_name[255] = 'n';
    long_name[256] = '\0';
    fixture(&f); f.d.name = long_name;
    EXPECT(&f.d, NRT_INVALID, "256-byte model name");
    long_name[256] = 'n';
    fixture(&f); f.d.name = NULL;
    EXPECT(&f.d, NRT_INVALID, "NULL model name");
    fixture(&f); f.d.name = "";
    EXPECT(&f.d, NRT_INVALID, "empty model name");

    /* counts and tables */
    fixture(&f); f.d.num_outputs = 0;
    EXPECT(&f.d, NRT_INVALID, "no outputs");
    fixture(&f); f.d.num_inputs = NRT_KERNEL_MAX_TENSORS + 1;
    EXPECT(&f.d, NRT_INVALID, "too many inputs");
    fixture(&f); f.d.num_outputs = UINT32_MAX;
    EXPECT(&f.d, NRT_INVALID, "too many outputs");
    fixture(&f); f.d.inputs = NULL;
    EXPECT(&f.d, NRT_INVALID, "NULL input table");
    fixture(&f); f.d.outputs = NULL;
    EXPECT(&f.d, NRT_INVALID, "NULL output table");
    fixture(&f); f.d.execute = NULL;
    EXPECT(&f.d, NRT_INVALID, "NULL execute");

    /* tensor names */
    fixture(&f); f.in[1].name = NULL;
    EXPECT(&f.d, NRT_INVALID, "NULL input name");
    fixture(&f); f.out[0].name = "";
    EXPECT(&f.d, NRT_INVALID, "empty output name");
    long_name[256] = '\0';
    fixture(&f); f.out[1].name = long_name;
    EXPECT(&f.d, NRT_INVALID, "256-byte tensor name");
    long_name[255] = '\0';
    fixture(&f); f.out[1].name = long_name;
    EXPECT(&f.d, NRT_SUCCESS, "255-byte tensor name");
    fixture(&f); f.in[2].name = "a";
    EXPECT(&f.d, NRT_INVALID, "duplicate input names");
    fixture(&f); f.out[1].name = "y";
    EXPECT(&f.d, NRT_INVALID, "duplicate output names");
    fixture(&f); f.out[0].name = "b";
    EXPECT(&f.d, NRT_INVALID, "input and output share a name");
    fixture(&f); f.out[1].name = "A";
    EXPECT(&f.d, NRT_SUCCESS, "names are case sensitive");

    /* dtypes: every known one with its element size passes */
    static const struct {
        nrt_dtype_t dt;
        unsigned size;
    } dts[] = {
        {NRT_DTYPE_FP8_E3, 1},  {NRT_DTYPE_FP8_E4, 1},   {NRT_DTYPE_FP8_E5, 1}, {NRT_DTYPE_FLOAT16, 2},
        {NRT_DTYPE_BFLOAT16, 2}, {NRT_DTYPE_FLOAT32, 4}, {NRT_DTYPE_FP32R, 4},  {NRT_DTYPE_UINT8, 1},
        {NRT_DTYPE_UINT16, 2},  {NRT_DTYPE_UINT32, 4},   {NRT_DTYPE_UINT64, 8}, {NRT_DTYPE_INT8, 1},
        {NRT_DTYPE_INT16, 2},   {NRT_DTYPE_INT32, 4},    {NRT_DTYPE_INT64, 8},
    };
    for (size_t i = 0; i < sizeof dts / sizeof dts[0]; i++) {
        ASSERT_EQ_U64(nrt_kernel_dtype_size(dts[i].dt), dts[i].size);
        fixture(&f);
        f.in[0].dtype = dts[i].dt;
        f.in[0].size = 16ull * dts[i].size;
        EXPECT(&f.d, NRT_SUCCESS, "known dtype");
        f.in[0].size = 16ull * dts[i].size + 1;
        EXPECT(&f.d, NRT_INVALID, "size off by one for dtype");
    }
    fixture(&f); f.in[0].dtype = NRT_DTYPE_UNKNOWN;
    EXPECT(&f.d, NRT_INVALID, "dtype UNKNOWN");
    fixture(&f); f.out[0].dtype = (nrt_dtype_t)0x10;
    EXPECT(&f.d, NRT_INVALID, "dtype 0x10");
    fixture(&f); f.out[0].dtype = (nrt_dtype_t)-1;
    EXPECT(&f.d, NRT_INVALID, "dtype -1");

    /* shapes and sizes */
    fixture(&f); f.in[0].size = 63;
    EXPECT(&f.d, NRT_INVALID, "size below shape");
    fixture(&f); f.out[0].size = 0;
    EXPECT(&f.d, NRT_INVALID, "size 0");
    fixture(&f); f.in[1].shape[1] = 0; f.in[1].size = 0;
    EXPECT(&f.d, NRT_INVALID, "zero dimension");
    fixture(&f); f.in[0].ndim = 0;
    EXPECT(&f.d, NRT_INVALID, "ndim 0");
    fixture(&f); f.in[0].ndim = NRT_KERNEL_MAX_DIMS + 1;
    EXPECT(&f.d, NRT_INVALID, "ndim 9");
    fixture(&f); f.in[0].ndim = UINT32_MAX;
    EXPECT(&f.d, NRT_INVALID, "ndim max");
    /* extra dims beyond ndim are ignored */
    fixture(&f); f.in[0].shape[5] = 1000;
    EXPECT(&f.d, NRT_SUCCESS, "shape beyond ndim ignored");
    /* a product that wraps 64 bits must not match a small size */
    fixture(&f);
    f.in[1] = (nrt_kernel_tensor_t){"b", NRT_DTYPE_INT64, 3, {1u << 31, 1u << 31, 1u << 2}, 0};
    EXPECT(&f.d, NRT_INVALID, "shape product wraps to 0");
    f.in[1] = (nrt_kernel_tensor_t){"b", NRT_DTYPE_UINT8, 3, {UINT32_MAX, UINT32_MAX, UINT32_MAX}, 1};
    EXPECT(&f.d, NRT_INVALID, "shape product overflows");
    f.in[1] = (nrt_kernel_tensor_t){"b", NRT_DTYPE_UINT8, 2, {UINT32_MAX, UINT32_MAX},
                                    (uint64_t)UINT32_MAX * UINT32_MAX};
    EXPECT(&f.d, NRT_SUCCESS, "large shape that fits");

    /* the same checks apply to outputs */
    fixture(&f); f.out[1].ndim = 0;
    EXPECT(&f.d, NRT_INVALID, "output ndim 0");
    fixture(&f); f.out[1].size = 31;
    EXPECT(&f.d, NRT_INVALID, "output size mismatch");

    /* a tiny reason buffer is always terminated */
    char tiny[5];
    memset(tiny, 'x', sizeof tiny);
    fixture(&f); f.d.magic = 0;
    ASSERT_ST(nrt__model_check_descriptor(&f.d, tiny, sizeof tiny), NRT_INVALID);
    ASSERT_TRUE(memchr(tiny, '\0', sizeof tiny) != NULL);

    printf("model_check_descriptor ok\n");
    return 0;
}

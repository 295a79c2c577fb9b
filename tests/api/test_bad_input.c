/*
 * tests/api/test_bad_input.c - the bad-argument matrix of every public
 * function of nrt.h and nrt_experimental.h while the runtime runs: NULL
 * pointers, zero sizes, ranges past the end or wrapping around, cores that
 * do not exist, tensors of another core, handles of the wrong kind. Each
 * call must return the documented status, log exactly one line, and
 * change nothing (checked after the matrix: data, memory accounting, set
 * contents, and that the objects still work).
 * The not-running states are covered by test_before_init.c.
 */
#include "reject_all.h"
#include "api_env.h"

#define SZ 64
#define VADD_BYTES (1024 * 1024 * 4)

static nrt_model_t *m0;                /* vadd on core 0 */
static nrt_tensor_t *d0, *d0b, *d1, *h; /* device core 0 (x2), device core 1, host: SZ bytes */
static nrt_tensor_t *e, *v;            /* empty (no storage), virtual (no storage) */
static nrt_tensor_set_t *set;          /* empty set */
static unsigned char pattern[SZ];

static void setup(void)
{
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    m0 = t_load_model("vadd", 0);
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, SZ, "d0", &d0));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, SZ, "d0b", &d0b));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, SZ, "d1", &d1));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, -1, SZ, "h", &h));
    ASSERT_OK(nrt_tensor_allocate_empty("e", &e));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_VIRTUAL, -1, SZ, "v", &v));
    ASSERT_OK(nrt_allocate_tensor_set(&set));
    for (int i = 0; i < SZ; i++)
        pattern[i] = (unsigned char)(i * 7 + 1);
    nrt_tensor_t *ts[] = {d0, d0b, d1, h};
    for (size_t i = 0; i < 4; i++)
        ASSERT_OK(nrt_tensor_write(ts[i], pattern, 0, SZ));
}

static void lifecycle_and_counts(void)
{
    ASSERT_ST_LOG1(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, NULL, NULL), NRT_FAILURE);
    ASSERT_ST_LOG1(nrt_init(NRT_FRAMEWORK_TYPE_INVALID, NULL, NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_init((nrt_framework_type_t)6, NULL, NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_total_nc_count(NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_total_vnc_count(NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_visible_nc_count(NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_visible_vnc_count(NULL), NRT_INVALID);
    nrt_instance_info_t ii;
    ASSERT_ST_LOG1(nrt_get_instance_info(NULL, sizeof ii), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_instance_info(&ii, 0), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_instance_info(&ii, sizeof ii - 1), NRT_INVALID);
    uint32_t n = 0;
    ASSERT_OK(nrt_get_visible_nc_count(&n));
    ASSERT_EQ_U64(n, 2);
}

static void models(void)
{
    size_t n;
    void *bytes = t_read_model("vadd", &n);
    nrt_model_t *m = (nrt_model_t *)(uintptr_t)1;
    ASSERT_ST_LOG1(nrt_load(bytes, n, 0, 1, NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_load(NULL, n, 0, 1, &m), NRT_INVALID);
    ASSERT_TRUE(m == NULL); /* output cleared first */
    ASSERT_ST_LOG1(nrt_load(bytes, 0, 0, 1, &m), NRT_INVALID);
    static const int32_t bad_vnc[] = {2, 99, -2, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof bad_vnc / sizeof bad_vnc[0]; i++) {
        ASSERT_ST_LOG1(nrt_load(bytes, n, bad_vnc[i], 1, &m), NRT_INVALID);
        ASSERT_ST_LOG1(nrt_load_collectives(bytes, n, bad_vnc[i], 1, 0, 1, &m), NRT_INVALID);
    }
    static const int32_t bad_count[] = {0, 2, -2, 99};
    for (size_t i = 0; i < sizeof bad_count / sizeof bad_count[0]; i++)
        ASSERT_ST_LOG1(nrt_load(bytes, n, 0, bad_count[i], &m), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_load_collectives(bytes, n, 0, 1, 0, 1, NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_load_collectives(NULL, n, 0, 1, 0, 1, &m), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_load_collectives(bytes, 0, 0, 1, 0, 1, &m), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_load_collectives(bytes, n, 0, 2, 0, 1, &m), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_load_collectives(bytes, n, 0, 1, 1, 1, &m), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_load_collectives(bytes, n, 0, 1, 0, 0, &m), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_load_collectives(bytes, n, 0, 1, UINT32_MAX, 4, &m), NRT_INVALID);
    ASSERT_TRUE(m == NULL);
    free(bytes);

    ASSERT_ST_LOG1(nrt_unload(NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_unload((nrt_model_t *)d0), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_unload((nrt_model_t *)set), NRT_INVALID);

    uint32_t c = 0;
    ASSERT_ST_LOG1(nrt_get_model_nc_count(NULL, &c), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_model_nc_count(m0, NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_model_nc_count((nrt_model_t *)d0, &c), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_model_vnc_count(NULL, &c), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_model_vnc_count(m0, NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_model_vnc_count((nrt_model_t *)set, &c), NRT_INVALID);

    nrt_tensor_info_array_t *info = (nrt_tensor_info_array_t *)(uintptr_t)1;
    ASSERT_ST_LOG1(nrt_get_model_tensor_info(m0, NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_model_tensor_info(NULL, &info), NRT_INVALID);
    ASSERT_TRUE(info == NULL);
    ASSERT_ST_LOG1(nrt_get_model_tensor_info((nrt_model_t *)d0, &info), NRT_INVALID);
    ASSERT_TRUE(info == NULL);
    ASSERT_ST_LOG1(nrt_free_model_tensor_info(NULL), NRT_INVALID);

    nrt_model_info_t mi;
    size_t out = 0;
    ASSERT_ST_LOG1(nrt_get_model_info(NULL, &mi, sizeof mi, &out), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_model_info(m0, NULL, sizeof mi, &out), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_model_info(m0, &mi, 0, &out), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_model_info((nrt_model_t *)h, &mi, sizeof mi, &out), NRT_INVALID);
}

static void tensor_sets(void)
{
    ASSERT_ST_LOG1(nrt_allocate_tensor_set(NULL), NRT_INVALID);

    ASSERT_VOID_LOG1(nrt_destroy_tensor_set(NULL));
    nrt_tensor_set_t *none = NULL;
    ASSERT_LOG0(nrt_destroy_tensor_set(&none)); /* like free(NULL) */
    nrt_tensor_set_t *wrong = d0;
    ASSERT_VOID_LOG1(nrt_destroy_tensor_set(&wrong));
    ASSERT_TRUE(wrong == d0); /* not a set: untouched */
    wrong = m0;
    ASSERT_VOID_LOG1(nrt_destroy_tensor_set(&wrong));

    char long_name[NRT_TENSOR_NAME_MAX + 1];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[NRT_TENSOR_NAME_MAX] = '\0';
    ASSERT_ST_LOG1(nrt_add_tensor_to_tensor_set(NULL, "a", d0), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_add_tensor_to_tensor_set(d0, "a", d0), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_add_tensor_to_tensor_set(m0, "a", d0), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_add_tensor_to_tensor_set(set, NULL, d0), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_add_tensor_to_tensor_set(set, "", d0), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_add_tensor_to_tensor_set(set, long_name, d0), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_add_tensor_to_tensor_set(set, "a", NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_add_tensor_to_tensor_set(set, "a", (nrt_tensor_t *)set), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_add_tensor_to_tensor_set(set, "a", (nrt_tensor_t *)m0), NRT_INVALID);
    /* the longest valid name */
    long_name[NRT_TENSOR_NAME_MAX - 1] = '\0';
    ASSERT_OK(nrt_add_tensor_to_tensor_set(set, long_name, d0));

    nrt_tensor_t *t = (nrt_tensor_t *)(uintptr_t)1;
    ASSERT_ST_LOG1(nrt_get_tensor_from_tensor_set(set, "a", NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_tensor_from_tensor_set(NULL, "a", &t), NRT_INVALID);
    ASSERT_TRUE(t == NULL);
    ASSERT_ST_LOG1(nrt_get_tensor_from_tensor_set(d0, "a", &t), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_tensor_from_tensor_set(set, NULL, &t), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_tensor_from_tensor_set(set, "", &t), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_tensor_from_tensor_set(set, "a", &t), NRT_INVALID); /* rejected adds left nothing */
    ASSERT_TRUE(t == NULL);
    ASSERT_OK(nrt_get_tensor_from_tensor_set(set, long_name, &t));
    ASSERT_TRUE(t == d0);
}

static void execution(void)
{
    /* Proper vadd sets on core 0, then variants that break one thing. */
    nrt_tensor_t *a, *b, *c, *a1, *small, *big, *hostb;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, VADD_BYTES, "a", &a));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, VADD_BYTES, "b", &b));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, VADD_BYTES, "c", &c));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, VADD_BYTES, "a1", &a1));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, VADD_BYTES - 4, "small", &small));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, VADD_BYTES + 4, "big", &big));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, -1, VADD_BYTES, "hostb", &hostb));
    nrt_tensor_set_t *in, *out, *empty;
    ASSERT_OK(nrt_allocate_tensor_set(&in));
    ASSERT_OK(nrt_allocate_tensor_set(&out));
    ASSERT_OK(nrt_allocate_tensor_set(&empty));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(in, "a", a));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(in, "b", b));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(out, "c", c));
    ASSERT_OK(nrt_execute(m0, in, out));

    ASSERT_ST_LOG1(nrt_execute(NULL, in, out), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_execute((nrt_model_t *)a, in, out), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_execute((nrt_model_t *)in, in, out), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_execute(m0, NULL, out), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_execute(m0, in, NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_execute(m0, a, out), NRT_INVALID);   /* tensor as input set */
    ASSERT_ST_LOG1(nrt_execute(m0, in, c), NRT_INVALID);    /* tensor as output set */
    ASSERT_ST_LOG1(nrt_execute(m0, m0, out), NRT_INVALID);  /* model as set */
    ASSERT_ST_LOG1(nrt_execute(m0, empty, out), NRT_EXEC_BAD_INPUT);
    ASSERT_ST_LOG1(nrt_execute(m0, in, empty), NRT_EXEC_BAD_INPUT);
    ASSERT_ST_LOG1(nrt_execute(m0, out, in), NRT_EXEC_BAD_INPUT); /* sets swapped */
    ASSERT_ST_LOG1(nrt_execute_repeat(m0, in, out, 0), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_execute_repeat(m0, in, out, -1), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_execute_repeat(m0, in, out, INT32_MIN), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_execute_repeat(NULL, in, out, 1), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_execute_repeat((nrt_model_t *)out, in, out, 1), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_execute_repeat(m0, NULL, out, 1), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_execute_repeat(m0, empty, out, 3), NRT_EXEC_BAD_INPUT);

    /* one input missing */
    nrt_tensor_set_t *in2;
    ASSERT_OK(nrt_allocate_tensor_set(&in2));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(in2, "a", a));
    ASSERT_ST_LOG1(nrt_execute(m0, in2, out), NRT_EXEC_BAD_INPUT);
    ASSERT_OK(nrt_add_tensor_to_tensor_set(in2, "B", b)); /* names are case sensitive */
    ASSERT_ST_LOG1(nrt_execute(m0, in2, out), NRT_EXEC_BAD_INPUT);
    /* wrong sizes */
    ASSERT_OK(nrt_add_tensor_to_tensor_set(in2, "b", small));
    ASSERT_ST_LOG1(nrt_execute(m0, in2, out), NRT_EXEC_BAD_INPUT);
    ASSERT_OK(nrt_add_tensor_to_tensor_set(in2, "b", big));
    ASSERT_ST_LOG1(nrt_execute(m0, in2, out), NRT_EXEC_BAD_INPUT);
    /* a tensor with no storage */
    ASSERT_OK(nrt_add_tensor_to_tensor_set(in2, "b", e));
    ASSERT_ST_LOG1(nrt_execute(m0, in2, out), NRT_EXEC_BAD_INPUT);
    ASSERT_OK(nrt_add_tensor_to_tensor_set(in2, "b", v));
    ASSERT_ST_LOG1(nrt_execute(m0, in2, out), NRT_EXEC_BAD_INPUT);
    /* a device tensor of another core */
    ASSERT_OK(nrt_add_tensor_to_tensor_set(in2, "b", a1));
    ASSERT_ST_LOG1(nrt_execute(m0, in2, out), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_execute_repeat(m0, in2, out, 2), NRT_INVALID);
    nrt_tensor_set_t *out1;
    ASSERT_OK(nrt_allocate_tensor_set(&out1));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(out1, "c", a1));
    ASSERT_ST_LOG1(nrt_execute(m0, in, out1), NRT_INVALID);
    /* host tensors are fine anywhere; extra names are ignored */
    ASSERT_OK(nrt_add_tensor_to_tensor_set(in2, "b", hostb));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(in2, "unused", d1));
    ASSERT_OK(nrt_execute(m0, in2, out));

    nrt_destroy_tensor_set(&in);
    nrt_destroy_tensor_set(&out);
    nrt_destroy_tensor_set(&in2);
    nrt_destroy_tensor_set(&out1);
    nrt_destroy_tensor_set(&empty);
    nrt_tensor_t *all[] = {a, b, c, a1, small, big, hostb};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        nrt_tensor_free(&all[i]);
}

static void collectives_setup(void)
{
    unsigned char in[16] = {1, 2, 3}, out[16] = {0};
    ASSERT_OK(nrt_build_global_comm(0, 0, 1));
    ASSERT_OK(nrt_cc_global_comm_init(1, 0, 1));
    ASSERT_OK(nrt_barrier(1, 0, 1));
    ASSERT_OK(nrt_all_gather(0, 0, 1, sizeof in, in, out));
    ASSERT_TRUE(memcmp(in, out, sizeof in) == 0);
    static const int32_t bad_vnc[] = {2, 99, -2, -1};
    for (size_t i = 0; i < sizeof bad_vnc / sizeof bad_vnc[0]; i++) {
        ASSERT_ST_LOG1(nrt_build_global_comm(bad_vnc[i], 0, 1), NRT_INVALID);
        ASSERT_ST_LOG1(nrt_cc_global_comm_init((uint32_t)bad_vnc[i], 0, 1), NRT_INVALID);
        ASSERT_ST_LOG1(nrt_barrier(bad_vnc[i], 0, 1), NRT_INVALID);
        ASSERT_ST_LOG1(nrt_all_gather(bad_vnc[i], 0, 1, sizeof in, in, out), NRT_INVALID);
    }
    ASSERT_ST_LOG1(nrt_build_global_comm(0, 1, 1), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_build_global_comm(0, 0, 0), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_cc_global_comm_init(0, 5, 2), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_cc_global_comm_init(0, 0, 0), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_barrier(0, 1, 1), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_barrier(0, 0, 0), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_all_gather(0, 1, 1, sizeof in, in, out), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_all_gather(0, 0, 1, sizeof in, NULL, out), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_all_gather(0, 0, 1, sizeof in, in, NULL), NRT_INVALID);
}

static void tensor_alloc(void)
{
    nrt_tensor_t *t = (nrt_tensor_t *)(uintptr_t)1;
    ASSERT_ST_LOG1(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, SZ, "t", NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 0, "t", &t), NRT_INVALID);
    ASSERT_TRUE(t == NULL);
    ASSERT_ST_LOG1(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, -1, 0, "t", &t), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_VIRTUAL, -1, 0, "t", &t), NRT_INVALID);
    static const int bad_vnc[] = {2, 99, -2, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof bad_vnc / sizeof bad_vnc[0]; i++) {
        ASSERT_ST_LOG1(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, bad_vnc[i], SZ, "t", &t), NRT_INVALID);
        ASSERT_ST_LOG1(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, bad_vnc[i], SZ, "t", &t), NRT_INVALID);
        ASSERT_ST_LOG1(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_VIRTUAL, bad_vnc[i], SZ, "t", &t), NRT_INVALID);
    }
    ASSERT_ST_LOG1(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, -1, SZ, "t", &t), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_allocate((nrt_tensor_placement_t)3, 0, SZ, "t", &t), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_allocate((nrt_tensor_placement_t)-1, 0, SZ, "t", &t), NRT_INVALID);
    /* more than the core's limit / than the host can give */
    ASSERT_ST_LOG1(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, SIZE_MAX, "t", &t), NRT_RESOURCE);
    ASSERT_ST_LOG1(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, -1, SIZE_MAX, "t", &t), NRT_FAIL_HOST_MEM_ALLOC);
    ASSERT_ST_LOG1(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, -1, SIZE_MAX - 8, "t", &t), NRT_FAIL_HOST_MEM_ALLOC);
    ASSERT_TRUE(t == NULL);

    ASSERT_ST_LOG1(nrt_tensor_allocate_empty("e", NULL), NRT_INVALID);

    /* nrt_tensor_free */
    ASSERT_VOID_LOG1(nrt_tensor_free(NULL));
    nrt_tensor_t *none = NULL;
    ASSERT_LOG0(nrt_tensor_free(&none)); /* like free(NULL) */
    nrt_tensor_t *wrong = (nrt_tensor_t *)set;
    ASSERT_VOID_LOG1(nrt_tensor_free(&wrong));
    ASSERT_TRUE(wrong == (nrt_tensor_t *)set);
    wrong = (nrt_tensor_t *)m0;
    ASSERT_VOID_LOG1(nrt_tensor_free(&wrong));

    /* nrt_tensor_get_size / get_va */
    size_t sz = 1;
    ASSERT_VOID_LOG1(sz = nrt_tensor_get_size(NULL));
    ASSERT_EQ_U64(sz, 0);
    ASSERT_VOID_LOG1(sz = nrt_tensor_get_size((nrt_tensor_t *)set));
    ASSERT_EQ_U64(sz, 0);
    ASSERT_LOG0(sz = nrt_tensor_get_size(e));
    ASSERT_EQ_U64(sz, 0);
    ASSERT_LOG0(sz = nrt_tensor_get_size(v));
    ASSERT_EQ_U64(sz, SZ);
    void *va = pattern;
    ASSERT_VOID_LOG1(va = nrt_tensor_get_va(NULL));
    ASSERT_TRUE(va == NULL);
    va = pattern;
    ASSERT_VOID_LOG1(va = nrt_tensor_get_va((nrt_tensor_t *)m0));
    ASSERT_TRUE(va == NULL);
    va = pattern;
    ASSERT_LOG0(va = nrt_tensor_get_va(e)); /* no storage: NULL, not an error */
    ASSERT_TRUE(va == NULL);

    /* nrt_tensor_get_device_allocation_info */
    nrt_tensor_device_allocation_info_t ai;
    ASSERT_ST_LOG1(nrt_tensor_get_device_allocation_info(NULL, &ai), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_get_device_allocation_info(d0, NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_get_device_allocation_info((nrt_tensor_t *)set, &ai), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_get_device_allocation_info(e, &ai), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_get_device_allocation_info(v, &ai), NRT_INVALID);

    /* nrt_get_vnc_memory_stats */
    nrt_vnc_memory_stats_t ms;
    size_t out = 0;
    ASSERT_ST_LOG1(nrt_get_vnc_memory_stats(0, NULL, sizeof ms, &out), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_vnc_memory_stats(2, &ms, sizeof ms, &out), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_vnc_memory_stats(99, &ms, sizeof ms, &out), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_vnc_memory_stats(UINT32_MAX, &ms, sizeof ms, &out), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_vnc_memory_stats(0, &ms, 0, &out), NRT_INVALID);
}

/* Every bounds case for a (tensor, offset, size) triple against SZ. */
static const struct {
    size_t off, size;
} bad_ranges[] = {
    {SZ + 1, 0},         {SZ, 1},           {SZ - 4, 8},       {0, SZ + 1},        {SZ + 100, 4},
    {SIZE_MAX - 1, 4},   {4, SIZE_MAX - 1}, {SIZE_MAX, 1},     {1, SIZE_MAX},      {SIZE_MAX, SIZE_MAX},
    {SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 1},
};
#define NBAD (sizeof bad_ranges / sizeof bad_ranges[0])

static void tensor_io(void)
{
    unsigned char buf[SZ];
    nrt_tensor_t *wrong = (nrt_tensor_t *)set;
    /* read / write */
    ASSERT_ST_LOG1(nrt_tensor_read(NULL, buf, 0, 4), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_read(wrong, buf, 0, 4), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_read(d0, NULL, 0, 4), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_read(e, buf, 0, 4), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_read(v, buf, 0, 4), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_write(NULL, buf, 0, 4), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_write((nrt_tensor_t *)m0, buf, 0, 4), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_write(d0, NULL, 0, 4), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_write(e, buf, 0, 4), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_write(v, buf, 0, 4), NRT_INVALID);
    memset(buf, 0xee, sizeof buf);
    for (size_t i = 0; i < NBAD; i++) {
        ASSERT_ST_LOG1(nrt_tensor_read(d0, buf, bad_ranges[i].off, bad_ranges[i].size), NRT_INVALID);
        ASSERT_ST_LOG1(nrt_tensor_read(h, buf, bad_ranges[i].off, bad_ranges[i].size), NRT_INVALID);
        ASSERT_ST_LOG1(nrt_tensor_write(d1, buf, bad_ranges[i].off, bad_ranges[i].size), NRT_INVALID);
        ASSERT_ST_LOG1(nrt_tensor_write(h, buf, bad_ranges[i].off, bad_ranges[i].size), NRT_INVALID);
    }
    for (size_t i = 0; i < SZ; i++)
        ASSERT_EQ_U64(buf[i], 0xee); /* rejected reads wrote nothing */
    /* size 0 is a no-op success (nrt.h), also at the very end */
    ASSERT_LOG0(ASSERT_OK(nrt_tensor_read(d0, buf, 0, 0)));
    ASSERT_LOG0(ASSERT_OK(nrt_tensor_write(d0, buf, SZ, 0)));

    /* copy */
    ASSERT_ST_LOG1(nrt_tensor_copy(NULL, 0, d0b, 0, 4), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_copy(d0, 0, NULL, 0, 4), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_copy(wrong, 0, d0b, 0, 4), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_copy(d0, 0, wrong, 0, 4), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_copy(e, 0, d0b, 0, 4), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_copy(d0, 0, v, 0, 4), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_copy(d0, 0, d1, 0, 4), NRT_INVALID); /* device core 0 -> core 1 */
    ASSERT_ST_LOG1(nrt_tensor_copy(d1, 0, d0, 0, SZ), NRT_INVALID); /* and back */
    for (size_t i = 0; i < NBAD; i++) {
        ASSERT_ST_LOG1(nrt_tensor_copy(d0, bad_ranges[i].off, d0b, 0, bad_ranges[i].size), NRT_INVALID);
        ASSERT_ST_LOG1(nrt_tensor_copy(d0, 0, h, bad_ranges[i].off, bad_ranges[i].size), NRT_INVALID);
        ASSERT_ST_LOG1(nrt_tensor_copy(h, bad_ranges[i].off, d1, bad_ranges[i].off, bad_ranges[i].size),
                       NRT_INVALID);
    }

    /* memset */
    ASSERT_ST_LOG1(nrt_tensor_memset(NULL, 0, 0, 4), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_memset(wrong, 0, 0, 4), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_memset(e, 0, 0, 4), NRT_INVALID);
    for (size_t i = 0; i < NBAD; i++)
        ASSERT_ST_LOG1(nrt_tensor_memset(d0, bad_ranges[i].off, 0, bad_ranges[i].size), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_memset(d0, UINT64_MAX, 0, 1), NRT_INVALID);

    /* batches */
    nrt_tensor_batch_op_t good = {0, 8, buf}, ops[2] = {{0, 8, buf}, {8, 8, buf + 8}};
    nrt_tensor_batch_t b = {d0, &good, 1};
    ASSERT_ST_LOG1(nrt_tensor_read_batch(NULL, 1, false), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_write_batch(NULL, 1, false), NRT_INVALID);
    ASSERT_LOG0(ASSERT_OK(nrt_tensor_read_batch(NULL, 0, false)));
    ASSERT_LOG0(ASSERT_OK(nrt_tensor_write_batch(&b, 0, true)));
    nrt_tensor_batch_t bad_batches[] = {
        {NULL, &good, 1}, {wrong, &good, 1}, {(nrt_tensor_t *)m0, &good, 1}, {e, &good, 1}, {v, &good, 1},
        {d0, NULL, 1},
    };
    for (size_t i = 0; i < sizeof bad_batches / sizeof bad_batches[0]; i++) {
        ASSERT_ST_LOG1(nrt_tensor_read_batch(&bad_batches[i], 1, false), NRT_INVALID);
        ASSERT_ST_LOG1(nrt_tensor_write_batch(&bad_batches[i], 1, false), NRT_INVALID);
        /* a good batch first does not change the verdict */
        nrt_tensor_batch_t two[2] = {b, bad_batches[i]};
        ASSERT_ST_LOG1(nrt_tensor_read_batch(two, 2, true), NRT_INVALID);
        ASSERT_ST_LOG1(nrt_tensor_write_batch(two, 2, true), NRT_INVALID);
    }
    nrt_tensor_batch_op_t null_buf = {0, 4, NULL};
    nrt_tensor_batch_t nb = {d0, &null_buf, 1};
    ASSERT_ST_LOG1(nrt_tensor_read_batch(&nb, 1, false), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_write_batch(&nb, 1, false), NRT_INVALID);
    for (size_t i = 0; i < NBAD; i++) {
        ops[1] = (nrt_tensor_batch_op_t){bad_ranges[i].off, bad_ranges[i].size, buf};
        nrt_tensor_batch_t bb = {h, ops, 2};
        ASSERT_ST_LOG1(nrt_tensor_read_batch(&bb, 1, false), NRT_INVALID);
        ASSERT_ST_LOG1(nrt_tensor_write_batch(&bb, 1, false), NRT_INVALID);
    }
    ASSERT_LOG0(ASSERT_OK(nrt_tensor_read_batch(&b, 1, false)));

    /* allocate_empty / attach_buffer */
    ASSERT_ST_LOG1(nrt_tensor_attach_buffer(NULL, buf, SZ), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_attach_buffer(wrong, buf, SZ), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_attach_buffer(e, NULL, SZ), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_attach_buffer(e, buf, 0), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_attach_buffer(d0, buf, SZ), NRT_INVALID); /* owns its memory */
    ASSERT_ST_LOG1(nrt_tensor_attach_buffer(h, buf, SZ), NRT_INVALID);
    nrt_tensor_t *sl = NULL;
    ASSERT_OK(nrt_tensor_allocate_slice(d0, 8, 8, "sl", &sl));
    ASSERT_ST_LOG1(nrt_tensor_attach_buffer(sl, buf, SZ), NRT_INVALID); /* a slice of owned memory */
    nrt_tensor_free(&sl);
    ASSERT_EQ_U64(nrt_tensor_get_size(e), 0); /* rejected attaches left it empty */

    /* allocate_slice */
    nrt_tensor_t *s = (nrt_tensor_t *)(uintptr_t)1;
    ASSERT_ST_LOG1(nrt_tensor_allocate_slice(d0, 0, 4, "s", NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_allocate_slice(NULL, 0, 4, "s", &s), NRT_INVALID);
    ASSERT_TRUE(s == NULL);
    ASSERT_ST_LOG1(nrt_tensor_allocate_slice(wrong, 0, 4, "s", &s), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_allocate_slice(e, 0, 4, "s", &s), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_allocate_slice(v, 0, 4, "s", &s), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_allocate_slice(d0, 0, 0, "s", &s), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_allocate_slice(d0, SZ, 0, "s", &s), NRT_INVALID);
    for (size_t i = 0; i < NBAD; i++)
        ASSERT_ST_LOG1(nrt_tensor_allocate_slice(d1, bad_ranges[i].off, bad_ranges[i].size, "s", &s), NRT_INVALID);
    ASSERT_TRUE(s == NULL);
}

/* Nothing the rejected calls touched changed. */
static void verify_unchanged(void)
{
    unsigned char buf[SZ];
    nrt_tensor_t *ts[] = {d0, d0b, d1, h};
    for (size_t i = 0; i < 4; i++) {
        memset(buf, 0, sizeof buf);
        ASSERT_OK(nrt_tensor_read(ts[i], buf, 0, SZ));
        ASSERT_TRUE(memcmp(buf, pattern, SZ) == 0);
    }
    nrt_vnc_memory_stats_t ms;
    ASSERT_OK(nrt_get_vnc_memory_stats(0, &ms, sizeof ms, NULL));
    ASSERT_EQ_U64(ms.bytes_used, 2 * SZ);
    ASSERT_OK(nrt_get_vnc_memory_stats(1, &ms, sizeof ms, NULL));
    ASSERT_EQ_U64(ms.bytes_used, SZ);
    uint32_t c = 0;
    ASSERT_OK(nrt_get_model_vnc_count(m0, &c));
    ASSERT_EQ_U64(c, 1);
    nrt_tensor_set_t *s = NULL;
    ASSERT_OK(nrt_allocate_tensor_set(&s)); /* the registry still works */
    nrt_destroy_tensor_set(&s);
}

static void teardown(void)
{
    nrt_destroy_tensor_set(&set);
    ASSERT_TRUE(set == NULL);
    nrt_tensor_t *ts[] = {d0, d0b, d1, h, e, v};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        nrt_tensor_free(&ts[i]);
        ASSERT_TRUE(ts[i] == NULL);
    }
    ASSERT_OK(nrt_unload(m0));
    nrt_vnc_memory_stats_t ms;
    ASSERT_OK(nrt_get_vnc_memory_stats(0, &ms, sizeof ms, NULL));
    ASSERT_EQ_U64(ms.bytes_used, 0);
    nrt_close();
}

int main(void)
{
    t_api_env();
    setup();
    lifecycle_and_counts();
    models();
    tensor_sets();
    execution();
    collectives_setup();
    tensor_alloc();
    tensor_io();
    verify_unchanged();
    teardown();
    printf("bad_input ok\n");
    return 0;
}

/*
 * tests/unit/test_config.c - core-count configuration from the environment:
 * NEURON_RT_VISIBLE_CORES lists and ranges, NEURON_RT_NUM_CORES,
 * OPENNRT_TOTAL_CORES, through nrt__cores_from_env() and through the
 * public count queries, which work before nrt_init. Bad settings return
 * NRT_INVALID with one log line, and make nrt_init fail the same way.
 */
#include "harness.h"

#include "core/core.h"
#include "nrt/nrt_ext.h"

static void env(const char *total, const char *num, const char *visible)
{
    if (total)
        setenv("OPENNRT_TOTAL_CORES", total, 1);
    else
        unsetenv("OPENNRT_TOTAL_CORES");
    if (num)
        setenv("NEURON_RT_NUM_CORES", num, 1);
    else
        unsetenv("NEURON_RT_NUM_CORES");
    if (visible)
        setenv("NEURON_RT_VISIBLE_CORES", visible, 1);
    else
        unsetenv("NEURON_RT_VISIBLE_CORES");
}

/* Expects the environment to give |n| visible cores with physical ids
 * |ids| (NULL: 0..n-1) out of |total|. */
static void expect_cores_(const uint32_t *ids, uint32_t n, uint32_t total, int line)
{
    uint32_t phys[NRT__MAX_CORES], count = 0, tot = 0;
    NRT_STATUS st = nrt__cores_from_env(phys, &count, &tot);
    if (st != NRT_SUCCESS || count != n || tot != total) {
        fprintf(stderr, "line %d: got %s, %u of %u cores; expected %u of %u\n", line, nrt_get_status_as_str(st),
                count, tot, n, total);
        abort();
    }
    for (uint32_t i = 0; i < n; i++) {
        if (phys[i] != (ids ? ids[i] : i)) {
            fprintf(stderr, "line %d: logical core %u is physical %u, expected %u\n", line, i, phys[i],
                    ids ? ids[i] : i);
            abort();
        }
    }
    uint32_t v = 0;
    ASSERT_OK(nrt_get_visible_nc_count(&v));
    ASSERT_EQ_U64(v, n);
    ASSERT_OK(nrt_get_visible_vnc_count(&v));
    ASSERT_EQ_U64(v, n);
    ASSERT_OK(nrt_get_total_nc_count(&v));
    ASSERT_EQ_U64(v, total);
    ASSERT_OK(nrt_get_total_vnc_count(&v));
    ASSERT_EQ_U64(v, total);
    nrt_instance_info_t info;
    ASSERT_OK(nrt_get_instance_info(&info, sizeof info));
    ASSERT_EQ_U64(info.size, n);
}
#define EXPECT_CORES(ids, n, total) expect_cores_((ids), (n), (total), __LINE__)

/* Expects every query to fail with NRT_INVALID and one log line each. */
static void expect_bad_(int line)
{
    uint32_t v = 7;
    t_capture_begin();
    NRT_STATUS st = nrt_get_visible_nc_count(&v);
    char log[512];
    int lines = t_capture_end(log, sizeof log);
    if (st != NRT_INVALID || lines != 1) {
        fprintf(stderr, "line %d: got %s with %d log lines, expected NRT_INVALID with 1:\n%s", line,
                nrt_get_status_as_str(st), lines, log);
        abort();
    }
    ASSERT_EQ_U64(v, 0); /* output cleared on error */
    ASSERT_ST_LOG1(nrt_get_visible_vnc_count(&v), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_total_nc_count(&v), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_total_vnc_count(&v), NRT_INVALID);
    nrt_instance_info_t info;
    ASSERT_ST_LOG1(nrt_get_instance_info(&info, sizeof info), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, NULL, NULL), NRT_INVALID);
}
#define EXPECT_BAD() expect_bad_(__LINE__)

static void test_defaults(void)
{
    env(NULL, NULL, NULL);
    EXPECT_CORES(NULL, 16, 16);
    env("", "", ""); /* empty means unset */
    EXPECT_CORES(NULL, 16, 16);
    env("8", NULL, NULL);
    EXPECT_CORES(NULL, 8, 8);
    env("1", NULL, NULL);
    EXPECT_CORES(NULL, 1, 1);
    env("64", NULL, NULL);
    EXPECT_CORES(NULL, 64, 64);
}

static void test_num_cores(void)
{
    env(NULL, "3", NULL);
    EXPECT_CORES(NULL, 3, 16);
    env(NULL, "1", NULL);
    EXPECT_CORES(NULL, 1, 16);
    env(NULL, "16", NULL);
    EXPECT_CORES(NULL, 16, 16);
    env("4", "4", NULL);
    EXPECT_CORES(NULL, 4, 4);
    static const char *const bad[] = {"0", "17", "-1", " 2", "2 ", "abc", "2x", "0x2", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        env(NULL, bad[i], NULL);
        EXPECT_BAD();
    }
    env("4", "5", NULL); /* more than exist */
    EXPECT_BAD();
}

static void test_visible_cores(void)
{
    static const uint32_t r03[] = {0, 1, 2, 3}, l13[] = {1, 3}, m014[] = {0, 1, 4}, one[] = {5},
                          mix[] = {2, 3, 4, 7, 9, 10, 11}, hi[] = {63};
    env(NULL, NULL, "0-3");
    EXPECT_CORES(r03, 4, 16);
    env(NULL, NULL, "1,3");
    EXPECT_CORES(l13, 2, 16);
    env(NULL, NULL, "0-1,4");
    EXPECT_CORES(m014, 3, 16);
    env(NULL, NULL, "5");
    EXPECT_CORES(one, 1, 16);
    env(NULL, NULL, "5-5");
    EXPECT_CORES(one, 1, 16);
    env(NULL, NULL, "9-11,2-4,7");
    EXPECT_CORES(mix, 7, 16); /* sorted */
    env(NULL, NULL, "3,1,1,3");
    EXPECT_CORES(l13, 2, 16); /* de-duplicated */
    env(NULL, NULL, "0-3,1-2");
    EXPECT_CORES(r03, 4, 16);
    env("64", NULL, "63");
    EXPECT_CORES(hi, 1, 64);
    env(NULL, NULL, "0-15");
    EXPECT_CORES(NULL, 16, 16);
    /* the list wins over NEURON_RT_NUM_CORES */
    env(NULL, "1", "1,3");
    EXPECT_CORES(l13, 2, 16);

    static const char *const bad[] = {"a",   "-1",  "1-",    "3-1", "1,,2", ",1", "1;2", "1 2", "1-2-3",
                                      "0x1", "1.5", "64",    "0-64", "99999999999999999999", "1,a"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        env(NULL, NULL, bad[i]);
        EXPECT_BAD();
    }
    env(NULL, NULL, "16"); /* beyond OPENNRT_TOTAL_CORES (16) */
    EXPECT_BAD();
    env("4", NULL, "0-4");
    EXPECT_BAD();
}

static void test_total_cores(void)
{
    static const char *const bad[] = {"0", "65", "-1", "x", "8k"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        env(bad[i], NULL, NULL);
        EXPECT_BAD();
    }
}

static void test_null_out(void)
{
    env(NULL, NULL, NULL);
    ASSERT_ST_LOG1(nrt_get_visible_nc_count(NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_visible_vnc_count(NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_total_nc_count(NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_total_vnc_count(NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_instance_info(NULL, sizeof(nrt_instance_info_t)), NRT_INVALID);
    nrt_instance_info_t info;
    ASSERT_ST_LOG1(nrt_get_instance_info(&info, sizeof info - 1), NRT_INVALID);
    ASSERT_OK(nrt_get_instance_info(&info, sizeof info));
    ASSERT_EQ_U64(info.family, NRT_INSTANCE_UNKNOWN);
    ASSERT_TRUE(strcmp(info.arch_name, "cpu") == 0);
    ASSERT_TRUE(strcmp(info.device_revision, "sim") == 0);
}

/* After nrt_init the visible count is the one init saw; the logical to
 * physical mapping follows the list. */
static void test_after_init(void)
{
    env("8", NULL, "1,3,6");
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, NULL, NULL));
    uint32_t ids[8] = {0}, count = 0, v = 0;
    ASSERT_OK(nrtx_get_visible_cores(ids, 8, &count));
    ASSERT_EQ_U64(count, 3);
    ASSERT_EQ_U64(ids[0], 1);
    ASSERT_EQ_U64(ids[1], 3);
    ASSERT_EQ_U64(ids[2], 6);
    nrtx_config_t cfg;
    ASSERT_OK(nrtx_get_config(&cfg));
    ASSERT_EQ_U64(cfg.num_cores, 3);
    ASSERT_OK(nrt_get_visible_nc_count(&v));
    ASSERT_EQ_U64(v, 3);
    ASSERT_OK(nrt_get_total_nc_count(&v));
    ASSERT_EQ_U64(v, 8);
    /* logical core 2 exists, 3 does not */
    nrt_tensor_t *t = NULL;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 2, 64, "t", &t));
    nrt_tensor_free(&t);
    ASSERT_ST_LOG1(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 3, 64, "t", &t), NRT_INVALID);
    nrt_close();
    env(NULL, "2", NULL);
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, NULL, NULL));
    ASSERT_OK(nrtx_get_visible_cores(ids, 8, &count));
    ASSERT_EQ_U64(count, 2);
    ASSERT_EQ_U64(ids[0], 0);
    ASSERT_EQ_U64(ids[1], 1);
    nrt_close();
}

int main(void)
{
    unsetenv("NEURON_RT_LOG_LEVEL");
    unsetenv("OPENNRT_MEM_LIMIT");
    unsetenv("OPENNRT_FAULT");
    unsetenv("OPENNRT_TRACE");
    test_defaults();
    test_num_cores();
    test_visible_cores();
    test_total_cores();
    test_null_out();
    test_after_init();
    printf("config ok\n");
    return 0;
}

/*
 * tests/api/test_before_init.c - a process that has never called nrt_init:
 * every state-checked call returns NRT_UNINITIALIZED with one log line,
 * the count queries and instance info work, nrt_close is a no-op and
 * nrt_init rejects a bad framework without leaving that state. Then, after
 * one init/close round, the same calls return NRT_CLOSED, and a new
 * nrt_init brings the runtime back.
 */
#include "reject_all.h"
#include "api_env.h"

int main(void)
{
    t_api_env();

    t_check_all_rejected(NRT_UNINITIALIZED);

    /* nrt_close before nrt_init changes nothing. */
    nrt_close();
    nrt_close();
    t_check_all_rejected(NRT_UNINITIALIZED);

    /* A rejected nrt_init leaves the runtime uninitialized. */
    ASSERT_ST_LOG1(nrt_init(NRT_FRAMEWORK_TYPE_INVALID, NULL, NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_init((nrt_framework_type_t)6, NULL, NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_init((nrt_framework_type_t)-1, NULL, NULL), NRT_INVALID);
    setenv("NEURON_RT_NUM_CORES", "0", 1);
    ASSERT_ST_LOG1(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, NULL, NULL), NRT_INVALID);
    setenv("NEURON_RT_NUM_CORES", "2", 1);
    setenv("OPENNRT_MEM_LIMIT", "lots", 1);
    ASSERT_ST_LOG1(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, NULL, NULL), NRT_INVALID);
    unsetenv("OPENNRT_MEM_LIMIT");
    t_check_all_rejected(NRT_UNINITIALIZED);

    /* Every valid framework type is accepted; version strings may be NULL. */
    static const nrt_framework_type_t fws[] = {NRT_FRAMEWORK_TYPE_NO_FW, NRT_FRAMEWORK_TYPE_TENSORFLOW,
                                               NRT_FRAMEWORK_TYPE_PYTORCH, NRT_FRAMEWORK_TYPE_MXNET,
                                               NRT_FRAMEWORK_TYPE_PRECHECK};
    for (size_t i = 0; i < sizeof fws / sizeof fws[0]; i++) {
        ASSERT_OK(nrt_init(fws[i], i % 2 ? "2.1" : NULL, i % 2 ? NULL : "1.0"));
        nrt_close();
    }
    t_check_all_rejected(NRT_CLOSED);
    nrt_close(); /* closing twice is harmless */
    t_check_all_rejected(NRT_CLOSED);

    /* A rejected nrt_init after close keeps it closed. */
    ASSERT_ST_LOG1(nrt_init(NRT_FRAMEWORK_TYPE_INVALID, NULL, NULL), NRT_INVALID);
    t_check_all_rejected(NRT_CLOSED);

    /* Re-init works. */
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    nrt_tensor_t *t = NULL;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, 64, "t", &t));
    nrt_tensor_free(&t);
    ASSERT_TRUE(t == NULL);
    nrt_close();
    printf("before_init ok\n");
    return 0;
}

/*
 * Fault rules are checked as docs/API.md says (issue 11, defect 8):
 *  - OPENNRT_FAULT takes -1 (like * and any) for lnc, xu and queue, and
 *    such a rule hits on every core and queue;
 *  - a status that is no NRT_STATUS is refused, also when its number only
 *    becomes one after truncation (4294967297 is not 1) or is negative;
 *    nrtx_fault_add and nrtx_net_fault_add refuse them too (a tracker
 *    would otherwise report 18446744073709551609);
 *  - a core, unit or queue that does not exist is refused, as is a rule
 *    giving both a sequence number and a probability.
 * Every refusal is NRT_INVALID with exactly one log line.
 */
#include "async_util.h"

/* Two writes on queue |q| of core |c|; returns the error code the tracker
 * recorded for the second (0: none) and checks the first succeeded. */
static uint64_t second_write_error(uint32_t c, int q)
{
    nrta_error_tracker_t *et;
    nrt_tensor_t *t;
    static unsigned char buf[64];
    ASSERT_OK(nrta_error_tracker_create(c, &et));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, (int)c, sizeof buf, "t", &t));
    nrta_seq_t s1, s2;
    ASSERT_OK(nrta_tensor_write(t, buf, 0, sizeof buf, q, et, &s1));
    ASSERT_OK(nrta_tensor_write(t, buf, 0, sizeof buf, q, et, &s2));
    t_wait(s2);
    nrta_error_t got[4];
    size_t n = t_drain(et, got, 4);
    ASSERT_TRUE(n <= 1);
    uint64_t code = 0;
    if (n) {
        ASSERT_SEQ(got[0].seq_id, s2);
        code = got[0].error_code;
    }
    nrt_tensor_free(&t);
    nrta_error_tracker_destroy(et);
    return code;
}

static void env_refused(const char *spec)
{
    t_setenv("OPENNRT_FAULT", spec);
    fprintf(stderr, "OPENNRT_FAULT=%s\n", spec);
    ASSERT_ST_LOG1(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""), NRT_INVALID);
}

int main(void)
{
    /* -1 means any, as "*" and "any" do. */
    t_setenv("OPENNRT_FAULT", "lnc=-1,xu=write,queue=-1,seq=2,status=NRT_EXEC_BAD_INPUT");
    t_init();
    ASSERT_EQ_U64(second_write_error(0, 0), NRT_EXEC_BAD_INPUT);
    ASSERT_EQ_U64(second_write_error(1, 3), NRT_EXEC_BAD_INPUT);
    nrt_close();
    t_setenv("OPENNRT_FAULT", "xu=-1,lnc=any,queue=*,seq=2,status=1205");
    t_init();
    ASSERT_EQ_U64(second_write_error(1, 2), NRT_EXEC_HW_ERR_REPAIRABLE_HBM_UE);
    nrt_close();
    t_setenv("OPENNRT_FAULT", "net=fail,lnc=-1,dir=-1,n=1;net=drop,lnc=*,bytes=1M,status=NRT_TIMEOUT");
    t_init();
    nrt_close();

    /* What is no status, core, unit or queue is refused. */
    static const char *const bad[] = {
        "xu=write,seq=1,status=4294967297", /* truncated, it would read 1 */
        "xu=write,seq=1,status=4294967296",
        "xu=write,seq=1,status=-7",
        "xu=write,seq=1,status=99999",
        "xu=write,seq=1,degrade=1,status=12345",
        "lnc=-2,seq=1",
        "lnc=2,seq=1", /* two visible cores */
        "xu=-2,seq=1",
        "xu=write,queue=4,seq=1", /* four queues by default */
        "xu=compute,queue=1,seq=1",
        "queue=-5,seq=1",
        "xu=write,seq=1,prob=0.5",
        "xu=write,seq=281474976710656",
        "net=fail,n=1,status=4294967297",
        "net=fail,n=1,status=-1",
        "net=fail,n=1,lnc=-3",
        "net=fail,n=1,dir=sideways",
        "net=drop,bytes=1M,n=1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        env_refused(bad[i]);
    t_setenv("OPENNRT_FAULT", NULL);

    /* The same through the API. */
    t_init();
    nrtx_fault_t f = {NRTX_ANY, NRTA_XU_TENSOR_WRITE, NRTX_ANY, 2, 0.0, 0, (NRT_STATUS)-7, false, 0};
    ASSERT_ST_LOG1(nrtx_fault_add(&f), NRT_INVALID);
    f.status = (NRT_STATUS)4242;
    ASSERT_ST_LOG1(nrtx_fault_add(&f), NRT_INVALID);
    f.degrade = true;
    ASSERT_ST_LOG1(nrtx_fault_add(&f), NRT_INVALID);
    f.degrade = false;
    f.status = NRT_EXEC_OOB;
    f.lnc = 2;
    ASSERT_ST_LOG1(nrtx_fault_add(&f), NRT_INVALID);
    f.lnc = NRTX_ANY;
    f.xu = NRTA_XU_COMPUTE;
    f.queue = 1;
    ASSERT_ST_LOG1(nrtx_fault_add(&f), NRT_INVALID);
    f.xu = NRTA_XU_TENSOR_WRITE;
    f.queue = NRTX_ANY;
    f.probability = 0.5;
    ASSERT_ST_LOG1(nrtx_fault_add(&f), NRT_INVALID);
    f.probability = 0.0;
    nrtx_net_fault_t nf = {NRTX_ANY, NRTX_ANY, 1, 0, (NRT_STATUS)77777};
    ASSERT_ST_LOG1(nrtx_net_fault_add(&nf), NRT_INVALID);
    uint64_t hits = 1;
    ASSERT_OK(nrtx_fault_hits(&hits));
    ASSERT_EQ_U64(hits, 0);
    ASSERT_EQ_U64(second_write_error(1, 1), 0); /* nothing refused was added */
    ASSERT_OK(nrtx_fault_add(&f));
    ASSERT_EQ_U64(second_write_error(1, 2), NRT_EXEC_OOB);
    ASSERT_EQ_U64(second_write_error(0, 3), NRT_EXEC_OOB);
    nf.status = NRT_SUCCESS; /* documented: NRT_FAILURE then */
    ASSERT_OK(nrtx_net_fault_add(&nf));
    nrt_close();
    printf("async_fault_rules ok\n");
    return 0;
}

/*
 * The example program of the seeds' "NRT Async APIs: Best Practices"
 * (error tracker, schedule loop that stops at NRT_QUEUE_FULL, wait loop on
 * nrta_get_sequence, nrta_error_tracker_get_list, destroy), built and run.
 *
 * seed_example() is the seed's code with the minimal changes needed to
 * compile as C11 with -Wall -Wextra -Werror against the real prototypes,
 * each marked "adapted:", plus lines marked "test:" that hand the results
 * to the checks. Calls to nrta_execute_schedule go through a macro that
 * records their results (and can open a gate on the first NRT_QUEUE_FULL);
 * it does not change what the example does.
 */
#include "async_util.h"

#include <inttypes.h>

/*===------------------------------------------------------------------===*/
/* Observation of the example's schedule calls                            */
/*===------------------------------------------------------------------===*/

static struct {
    int calls, accepted, full;
    nrta_seq_t seqs[64];
    tm_shared_t *open_on_full; /* opened when the queue reports full */
} obs;

static NRT_STATUS observed_schedule(nrt_model_t *model, const nrt_tensor_set_t *input, nrt_tensor_set_t *output,
                                    int queue, nrta_error_tracker_t *err, nrta_seq_t *req_sequence)
{
    NRT_STATUS st = nrta_execute_schedule(model, input, output, queue, err, req_sequence);
    obs.calls++;
    if (st == NRT_SUCCESS)
        obs.seqs[obs.accepted++] = *req_sequence;
    if (st == NRT_QUEUE_FULL) {
        obs.full++;
        if (obs.open_on_full)
            t_gate(obs.open_on_full, 1);
    }
    return st;
}
#define nrta_execute_schedule observed_schedule

/* test: what the example found */
static nrta_error_t found[64];
static size_t nfound;
static nrta_seq_t waited_for;

/*===------------------------------------------------------------------===*/
/* The seed's example                                                     */
/*===------------------------------------------------------------------===*/

static void seed_example(nrt_model_t *model, nrt_tensor_set_t *inputs, nrt_tensor_set_t *outputs)
{
    int lnc = 0;
    nrta_error_tracker_t *error_tracker = NULL;

    // create error tracker
    nrta_error_tracker_create(lnc, &error_tracker);

    // submit execution requests
    nrta_seq_t req_seq = {0}; /* adapted: C11 has no empty initializer */
    for (int req = 0; req < 8; req++) {
        nrta_seq_t seq = {0}; /* adapted: as above */
        NRT_STATUS ret = nrta_execute_schedule(model, inputs, outputs, 0, error_tracker, &seq);
        if (ret != NRT_SUCCESS) {
            if (ret == NRT_QUEUE_FULL) {
                break;
            }
            // handle other errors
            fprintf(stderr, "schedule failed: %s\n", nrt_get_status_as_str(ret)); /* adapted: was "..." */
            abort();
        } else {
            req_seq = seq;
        }
    }

    // wait for completion
    nrta_seq_t completed_seq = {0}; /* adapted: as above */
    while (true) {
        nrta_get_sequence(lnc, NRTA_XU_COMPUTE, 0, &completed_seq); /* adapted: the queue argument */
        if (completed_seq >= req_seq) {
            break;
        }
        usleep(1);
    }
    waited_for = req_seq; /* test */

    // check for execution errors
    const nrta_error_t *err_list = NULL;
    size_t err_count = 0;
    nrta_error_tracker_get_list(error_tracker, &err_list, &err_count);
    for (size_t err_idx = 0; err_idx < err_count; err_idx++) { /* adapted: size_t index */
        fprintf(stderr, "Request [%" PRIx64 "] completed with error %" PRIu64 "\n", /* adapted: formats */
                err_list[err_idx].seq_id, err_list[err_idx].error_code);
    }
    nfound = err_count < 64 ? err_count : 64;                /* test */
    if (nfound)                                              /* test */
        memcpy(found, err_list, nfound * sizeof(nrta_error_t)); /* test */

    // cleanup
    nrta_error_tracker_destroy(error_tracker);
}

#undef nrta_execute_schedule

/*===------------------------------------------------------------------===*/
/* Runs                                                                   */
/*===------------------------------------------------------------------===*/

static void reset_obs(void)
{
    memset(&obs, 0, sizeof obs);
    nfound = 0;
    waited_for = 0;
}

#define N (1024 * 1024)

/* The example as written: vadd, 8 requests, no errors. */
static void run_vadd(void)
{
    nrt_model_t *model = t_load_model("vadd", 0);
    nrt_tensor_t *a, *b, *c;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, N * 4, "a", &a));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, N * 4, "b", &b));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, N * 4, "c", &c));
    nrt_tensor_set_t *inputs, *outputs;
    ASSERT_OK(nrt_allocate_tensor_set(&inputs));
    ASSERT_OK(nrt_allocate_tensor_set(&outputs));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(inputs, "a", a));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(inputs, "b", b));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(outputs, "c", c));
    float *ha = malloc(N * 4), *hb = malloc(N * 4), *hc = malloc(N * 4);
    t_fill_random(ha, N, 11);
    t_fill_random(hb, N, 12);
    ASSERT_OK(nrt_tensor_write(a, ha, 0, N * 4));
    ASSERT_OK(nrt_tensor_write(b, hb, 0, N * 4));

    reset_obs();
    seed_example(model, inputs, outputs);
    ASSERT_EQ_U64(obs.calls, 8);
    ASSERT_EQ_U64(obs.accepted, 8);
    for (int i = 0; i < 8; i++)
        ASSERT_SEQ(obs.seqs[i], t_seq(0, NRTA_XU_COMPUTE, 0, (uint64_t)i + 1));
    ASSERT_SEQ(waited_for, obs.seqs[7]);
    ASSERT_EQ_U64(nfound, 0);
    /* the example waited until its last request was done */
    ASSERT_TRUE(t_done(obs.seqs[7]));
    ASSERT_OK(nrt_tensor_read(c, hc, 0, N * 4));
    for (size_t i = 0; i < N; i++)
        ASSERT_TRUE(hc[i] == ha[i] + hb[i]);

    /* the same, with an injected failure on the third request */
    nrtx_fault_t f = {0, NRTA_XU_COMPUTE, 0, 8 + 3, 0.0, 0, NRT_EXEC_COMPLETED_WITH_ERR, false, 0};
    ASSERT_OK(nrtx_fault_add(&f));
    reset_obs();
    seed_example(model, inputs, outputs);
    ASSERT_EQ_U64(obs.accepted, 8);
    ASSERT_EQ_U64(nfound, 1);
    ASSERT_SEQ(found[0].seq_id, t_seq(0, NRTA_XU_COMPUTE, 0, 8 + 3));
    ASSERT_EQ_U64(found[0].error_code, NRT_EXEC_COMPLETED_WITH_ERR);
    ASSERT_OK(nrtx_fault_clear());

    nrt_destroy_tensor_set(&inputs);
    nrt_destroy_tensor_set(&outputs);
    nrt_tensor_free(&a);
    nrt_tensor_free(&b);
    nrt_tensor_free(&c);
    ASSERT_OK(nrt_unload(model));
    free(ha);
    free(hb);
    free(hc);
}

/* A model whose every execution reports NRT_EXEC_COMPLETED_WITH_ERR: the
 * example lists all eight, in order. */
static void run_failing(void)
{
    nrt_model_t *model = t_tm_load(0);
    t_tm_req_t r;
    t_tm_req_init(&r, 0, (t_tm_opts_t){.status = NRT_EXEC_COMPLETED_WITH_ERR, .tag = 5});
    uint64_t base = t_completed(0, NRTA_XU_COMPUTE, 0);
    reset_obs();
    seed_example(model, r.in, r.out);
    ASSERT_EQ_U64(obs.accepted, 8);
    ASSERT_EQ_U64(nfound, 8);
    for (int i = 0; i < 8; i++) {
        ASSERT_SEQ(found[i].seq_id, t_seq(0, NRTA_XU_COMPUTE, 0, base + (uint64_t)i + 1));
        ASSERT_EQ_U64(found[i].error_code, NRT_EXEC_COMPLETED_WITH_ERR);
    }
    t_tm_check_y(r.y, 5); /* it ran; it reported an error */
    t_tm_req_free(&r);
    ASSERT_OK(nrt_unload(model));
}

/* With OPENNRT_QUEUE_DEPTH=4 and the first execution held, the schedule
 * loop stops at NRT_QUEUE_FULL after exactly four requests; the gate opens
 * when the example sees the full queue, and the wait loop then waits for
 * the fourth. */
static void run_queue_full(void)
{
    tm_shared_t *sh = t_shared_new();
    nrt_model_t *model = t_tm_load(0);
    t_tm_req_t r;
    t_tm_req_init(&r, 0, (t_tm_opts_t){.sh = sh, .flags = TM_F_WAIT_GATE | TM_F_LOG, .tag = 9});
    reset_obs();
    obs.open_on_full = sh;
    seed_example(model, r.in, r.out);
    ASSERT_EQ_U64(obs.calls, 5);
    ASSERT_EQ_U64(obs.accepted, 4);
    ASSERT_EQ_U64(obs.full, 1);
    ASSERT_SEQ(waited_for, t_seq(0, NRTA_XU_COMPUTE, 0, 4));
    ASSERT_EQ_U64(nfound, 0);
    ASSERT_EQ_U64(atomic_load(&sh->finished), 4);
    ASSERT_EQ_U64(t_stats(0, NRTA_XU_COMPUTE, 0).submitted, 4); /* the refused one left no trace */
    t_tm_check_y(r.y, 9);
    t_tm_req_free(&r);
    ASSERT_OK(nrt_unload(model));
    free(sh);
}

int main(void)
{
    t_setenv("OPENNRT_QUEUE_DEPTH", NULL);
    t_init();
    run_vadd();
    run_failing();
    nrt_close();

    t_setenv("OPENNRT_QUEUE_DEPTH", "4");
    t_init();
    run_queue_full();
    nrt_close();
    t_setenv("OPENNRT_QUEUE_DEPTH", NULL);
    printf("async_best_practice ok\n");
    return 0;
}

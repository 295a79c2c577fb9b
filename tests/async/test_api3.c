/*
 * tests/async/test_api3.c - the async API 3.0 (built with
 * -DNRTA_API_VERSION=3), written from the examples of Neuron's migration
 * guide ("How to migrate from implicit async mode to explicit async APIs"):
 * scheduling with a status pointer, polling, events on the caller's
 * eventfd, per-request errors, queue-full retry; plus what the 3.0 calls
 * promise around them (reads, writes and copies on TENSOR_OP, *exec_ret
 * written at completion and never at schedule time, the core index
 * argument, argument checks). Public API only.
 */
#include "async_util.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>

#if NRTA_API_VERSION != 3
#error "build with -DNRTA_API_VERSION=3"
#endif

#define NOT_WRITTEN ((NRT_STATUS)0x5a5a5a5a)


/* Step 2 of the guide: nrta_execute_schedule with a status written at
 * completion (not at schedule time: the execution is held at a gate). */
static void test_schedule_status_written_at_completion(void)
{
    nrt_model_t *m = t_tm_load(0);
    tm_shared_t *sh = t_shared_new();
    t_tm_req_t r;
    t_tm_req_init(&r, 0, (t_tm_opts_t){.sh = sh, .flags = TM_F_WAIT_GATE, .tag = 5, .ticket = 1});
    NRT_STATUS exec_ret = NOT_WRITTEN;
    nrta_seq_t seq;
    NRT_STATUS ret = nrta_execute_schedule(m, r.in, r.out, 0, &exec_ret, &seq);
    ASSERT_OK(ret);
    T_WAIT_UNTIL(atomic_load(&sh->started) == 1);
    ASSERT_TRUE(!t_done(seq));
    /* Populated only after the request completes. Reading it while the
     * request is in flight (held at the gate, so the write cannot have
     * happened) is the point; ThreadSanitizer cannot know about the gate. */
    if (!T_TSAN)
        ASSERT_TRUE(exec_ret == NOT_WRITTEN);
    t_gate(sh, 1);
    /* Option A: polling. */
    bool is_completed = false;
    for (long i = 0; !is_completed; i++) {
        ASSERT_OK(nrta_is_completed(seq, &is_completed));
        ASSERT_TRUE(i < 60L * 1000 * 1000);
        usleep(1);
    }
    ASSERT_TRUE(exec_ret == NRT_SUCCESS);
    t_tm_check_y(r.y, 5);
    /* Or the last completed sequence of the unit. */
    nrta_seq_t completed_seq;
    ASSERT_OK(nrta_get_sequence(0, NRTA_XU_COMPUTE, 0, &completed_seq));
    ASSERT_TRUE(completed_seq >= seq);
    ASSERT_EQ_U64(NRTA_SEQ_GET_XU_ID(completed_seq), NRTA_SEQ_GET_XU_ID(seq));
    t_tm_req_free(&r);
    free(sh);
    ASSERT_OK(nrt_unload(m));
}

/* Reads, writes and copies of 3.0 run on TENSOR_OP queue |queue| of core
 * |lnc_idx|, in submit order: a write, a copy and a read on one queue are
 * requests n, n+1, n+2 of that queue and see each other's data. */
static void test_tensor_ops_on_tensor_op_unit(void)
{
    enum { N = 4096 };
    nrt_tensor_t *a = NULL, *b = NULL;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, N, "a", &a));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, N, "b", &b));
    int lnc = -1;
    ASSERT_OK(nrt_tensor_get_lnc_index(a, &lnc));
    ASSERT_TRUE(lnc == 1);
    unsigned char in[N], out[N];
    for (int i = 0; i < N; i++)
        in[i] = (unsigned char)(i * 7 + 1);
    NRT_STATUS rets[3] = {NOT_WRITTEN, NOT_WRITTEN, NOT_WRITTEN};
    nrta_seq_t s[3];
    ASSERT_OK(nrta_tensor_write(a, in, 0, N, lnc, 2, &rets[0], &s[0]));
    ASSERT_OK(nrta_tensor_copy(a, 0, b, 0, N, lnc, 2, &rets[1], &s[1]));
    ASSERT_OK(nrta_tensor_read(out, b, 0, N, lnc, 2, &rets[2], &s[2]));
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ_U64(NRTA_SEQ_GET_XU_ID(s[i]), NRTA_SEQ_GET_XU_ID(s[0]));
        ASSERT_EQ_U64(NRTA_SEQ_GET_SEQ_NUM(s[i]), NRTA_SEQ_GET_SEQ_NUM(s[0]) + (uint64_t)i);
    }
    t_wait(s[2]);
    for (int i = 0; i < 3; i++)
        ASSERT_TRUE(rets[i] == NRT_SUCCESS);
    ASSERT_TRUE(memcmp(in, out, N) == 0);
    nrta_seq_t last;
    ASSERT_OK(nrta_get_sequence(1, NRTA_XU_TENSOR_OP, 2, &last));
    ASSERT_EQ_U64(last, s[2]);
    /* The units of the 3.0 numbering are the engine's TENSOR_OP unit. */
    nrtx_queue_stats_t st = t_stats(1, NRTX_XU_TENSOR_OP, 2);
    ASSERT_TRUE(st.completed >= 3);
    ASSERT_EQ_U64(t_stats(1, NRTX_XU_TENSOR_READ, 2).submitted, 0);
    ASSERT_EQ_U64(t_stats(1, NRTX_XU_TENSOR_WRITE, 2).submitted, 0);
    /* Host memory can be moved by any core's units. */
    nrt_tensor_t *h = NULL;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, 0, N, "h", &h));
    NRT_STATUS hr = NOT_WRITTEN;
    nrta_seq_t hs;
    ASSERT_OK(nrta_tensor_write(h, in, 0, N, 1, 0, &hr, &hs));
    t_wait(hs);
    ASSERT_TRUE(hr == NRT_SUCCESS);
    nrt_tensor_free(&h);
    nrt_tensor_free(&a);
    nrt_tensor_free(&b);
}

/* Option B: events on the caller's eventfd. */
static void test_events_seq_id(void)
{
    nrt_model_t *m = t_tm_load(0);
    tm_shared_t *sh = t_shared_new();
    t_tm_req_t r;
    t_tm_req_init(&r, 0, (t_tm_opts_t){.sh = sh, .flags = TM_F_WAIT_GATE, .tag = 1, .ticket = 1});
    NRT_STATUS exec_ret = NOT_WRITTEN;
    nrta_seq_t seq;
    ASSERT_OK(nrta_execute_schedule(m, r.in, r.out, 0, &exec_ret, &seq));

    int efd = eventfd(0, EFD_NONBLOCK);
    ASSERT_TRUE(efd >= 0);
    ASSERT_OK(nrta_event_register_seq_id_completion(seq, efd));
    /* A second eventfd on the same request, dropped again before it fires. */
    int efd2 = eventfd(0, EFD_NONBLOCK);
    ASSERT_TRUE(efd2 >= 0);
    ASSERT_OK(nrta_event_register_seq_id_completion(seq, efd2));
    ASSERT_TRUE(!t_fd_ready(efd));
    t_gate(sh, 1);
    struct pollfd pfd = {.fd = efd, .events = POLLIN};
    ASSERT_TRUE(poll(&pfd, 1, T_WAIT_S * 1000) == 1);
    ASSERT_TRUE(t_done(seq));
    ASSERT_TRUE(exec_ret == NRT_SUCCESS);
    eventfd_t v = 0;
    ASSERT_TRUE(eventfd_read(efd, &v) == 0 && v == 1);
    /* efd2 fired too (it was still registered at completion). */
    ASSERT_TRUE(eventfd_read(efd2, &v) == 0 && v == 1);
    close(efd);

    /* An already completed request signals at once (no lost wake-up). */
    ASSERT_OK(nrta_event_register_seq_id_completion(seq, efd2));
    ASSERT_TRUE(t_fd_ready(efd2));
    ASSERT_TRUE(eventfd_read(efd2, &v) == 0 && v == 1);

    /* Dropping a registration (efd < 0) before completion: never fires. */
    t_tm_req_t r2;
    t_tm_req_init(&r2, 0, (t_tm_opts_t){.sh = sh, .flags = TM_F_WAIT_GATE, .tag = 2, .ticket = 2});
    NRT_STATUS ret2 = NOT_WRITTEN;
    nrta_seq_t seq2;
    ASSERT_OK(nrta_execute_schedule(m, r2.in, r2.out, 0, &ret2, &seq2));
    ASSERT_OK(nrta_event_register_seq_id_completion(seq2, efd2));
    ASSERT_OK(nrta_event_register_seq_id_completion(seq2, -1));
    t_gate(sh, 2);
    t_wait(seq2);
    ASSERT_TRUE(ret2 == NRT_SUCCESS);
    ASSERT_TRUE(!t_fd_ready(efd2));
    close(efd2);

    /* Bad arguments: a sequence never issued, an fd that is not open. */
    ASSERT_ST(nrta_event_register_seq_id_completion(seq2 + 1000, 0), NRT_INVALID);
    t_tm_req_t r3;
    t_tm_req_init(&r3, 0, (t_tm_opts_t){.sh = sh, .flags = TM_F_WAIT_GATE, .tag = 3, .ticket = 3});
    NRT_STATUS ret3 = NOT_WRITTEN;
    nrta_seq_t seq3;
    ASSERT_OK(nrta_execute_schedule(m, r3.in, r3.out, 0, &ret3, &seq3));
    ASSERT_ST(nrta_event_register_seq_id_completion(seq3, 1 << 20), NRT_INVALID);
    t_gate(sh, 3);
    t_wait(seq3);
    t_tm_req_free(&r);
    t_tm_req_free(&r2);
    t_tm_req_free(&r3);
    free(sh);
    ASSERT_OK(nrt_unload(m));
}

/* nrta_event_register_xu_completion: one eventfd per queue, added to on
 * every completion; several queues multiplexed with epoll, as a framework
 * does. */
static void test_events_xu(void)
{
    enum { N = 50 };
    nrt_tensor_t *t = NULL;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 256, "t", &t));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    ASSERT_TRUE(ep >= 0);
    int fds[2];
    for (int q = 0; q < 2; q++) {
        fds[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        ASSERT_TRUE(fds[q] >= 0);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)q};
        ASSERT_TRUE(epoll_ctl(ep, EPOLL_CTL_ADD, fds[q], &ev) == 0);
        ASSERT_OK(nrta_event_register_xu_completion(0, NRTA_XU_TENSOR_OP, q, fds[q]));
    }
    unsigned char buf[256] = {0};
    NRT_STATUS rets[2][N];
    nrta_seq_t last[2] = {0, 0};
    for (int i = 0; i < N; i++)
        for (int q = 0; q < 2; q++) {
            rets[q][i] = NOT_WRITTEN;
            NRT_STATUS st;
            int tries = 0;
            /* Each queue its own half of |t|: the queues run in parallel. */
            while ((st = nrta_tensor_write(t, buf, (uint64_t)q * 128, 128, 0, q, &rets[q][i], &last[q])) ==
                       NRT_QUEUE_FULL &&
                   tries++ < 1000000)
                usleep(10);
            ASSERT_OK(st);
        }
    /* Count what the eventfds report until every request is accounted for. */
    uint64_t seen[2] = {0, 0};
    for (int rounds = 0; (seen[0] < N || seen[1] < N) && rounds < 100000; rounds++) {
        struct epoll_event evs[2];
        int n = epoll_wait(ep, evs, 2, T_WAIT_S * 1000);
        ASSERT_TRUE(n > 0);
        for (int k = 0; k < n; k++) {
            eventfd_t v = 0;
            if (eventfd_read(fds[evs[k].data.u32], &v) == 0)
                seen[evs[k].data.u32] += v;
        }
    }
    ASSERT_EQ_U64(seen[0], N);
    ASSERT_EQ_U64(seen[1], N);
    for (int q = 0; q < 2; q++) {
        ASSERT_TRUE(t_done(last[q]));
        for (int i = 0; i < N; i++)
            ASSERT_TRUE(rets[q][i] == NRT_SUCCESS);
    }
    /* Unregister (negative fd), then nothing more arrives. */
    ASSERT_OK(nrta_event_register_xu_completion(0, NRTA_XU_TENSOR_OP, 0, -1));
    NRT_STATUS r = NOT_WRITTEN;
    nrta_seq_t s;
    ASSERT_OK(nrta_tensor_write(t, buf, 0, 128, 0, 0, &r, &s));
    t_wait(s);
    ASSERT_TRUE(!t_fd_ready(fds[0]));
    /* Bad unit / queue / core. */
    ASSERT_ST(nrta_event_register_xu_completion(0, (nrta_xu_t)3, 0, fds[0]), NRT_INVALID);
    ASSERT_ST(nrta_event_register_xu_completion(0, NRTA_XU_COMPUTE, 1, fds[0]), NRT_INVALID);
    ASSERT_ST(nrta_event_register_xu_completion(77, NRTA_XU_COMPUTE, 0, fds[0]), NRT_INVALID);
    ASSERT_OK(nrta_event_register_xu_completion(0, NRTA_XU_TENSOR_OP, 1, -1));
    close(fds[0]);
    close(fds[1]);
    close(ep);
    nrt_tensor_free(&t);
}

/* Step 4: per-request errors, each request's own NRT_STATUS. */
static void test_per_request_errors(void)
{
    enum { NUM_REQUESTS = 8 };
    nrt_model_t *m = t_tm_load(0);
    t_tm_req_t r[NUM_REQUESTS];
    for (int i = 0; i < NUM_REQUESTS; i++)
        t_tm_req_init(&r[i], 0,
                      (t_tm_opts_t){.tag = (uint64_t)i, .status = i == 5 ? NRT_EXEC_COMPLETED_WITH_ERR : NRT_SUCCESS});
    /* And one failure injected by the runtime: the third request. */
    nrta_seq_t before;
    ASSERT_OK(nrta_get_sequence(0, NRTA_XU_COMPUTE, 0, &before));
    nrtx_fault_t f = {.lnc = 0, .xu = NRTX_XU_COMPUTE, .queue = 0,
                      .seq_num = NRTA_SEQ_GET_SEQ_NUM(before) + 3, .status = NRT_EXEC_HW_ERR_DMA_ABORT};
    ASSERT_OK(nrtx_fault_add(&f));
    NRT_STATUS exec_rets[NUM_REQUESTS];
    nrta_seq_t req_seqs[NUM_REQUESTS];
    for (int i = 0; i < NUM_REQUESTS; i++) {
        exec_rets[i] = NOT_WRITTEN;
        NRT_STATUS ret = nrta_execute_schedule(m, r[i].in, r[i].out, 0, &exec_rets[i], &req_seqs[i]);
        ASSERT_OK(ret);
    }
    t_wait(req_seqs[NUM_REQUESTS - 1]);
    for (int i = 0; i < NUM_REQUESTS; i++) {
        NRT_STATUS want = i == 2 ? NRT_EXEC_HW_ERR_DMA_ABORT : i == 5 ? NRT_EXEC_COMPLETED_WITH_ERR : NRT_SUCCESS;
        if (exec_rets[i] != want) {
            fprintf(stderr, "Request %d: status %d, expected %d\n", i, (int)exec_rets[i], (int)want);
            abort();
        }
        if (want == NRT_SUCCESS)
            t_tm_check_y(r[i].y, (uint64_t)i);
    }
    ASSERT_OK(nrtx_fault_clear());
    for (int i = 0; i < NUM_REQUESTS; i++)
        t_tm_req_free(&r[i]);
    ASSERT_OK(nrt_unload(m));
}

/* Step 5: backpressure. A full queue refuses with NRT_QUEUE_FULL and
 * changes nothing (no sequence issued, *exec_ret untouched); once one
 * request completed, the retry is accepted. */
static void test_queue_full_retry(void)
{
    nrt_model_t *m = t_tm_load(0);
    tm_shared_t *sh = t_shared_new();
    enum { MAXQ = 64 };
    t_tm_req_t r[MAXQ + 1];
    NRT_STATUS exec_rets[MAXQ + 1];
    nrta_seq_t seqs[MAXQ + 1];
    int n = 0;
    NRT_STATUS ret = NRT_SUCCESS;
    nrta_seq_t last_known_completed;
    ASSERT_OK(nrta_get_sequence(0, NRTA_XU_COMPUTE, 0, &last_known_completed));
    while (n <= MAXQ) {
        t_tm_req_init(&r[n], 0, (t_tm_opts_t){.sh = sh, .flags = TM_F_WAIT_GATE, .tag = (uint64_t)n, .ticket = 1});
        exec_rets[n] = NOT_WRITTEN;
        seqs[n] = 0;
        ret = nrta_execute_schedule(m, r[n].in, r[n].out, 0, &exec_rets[n], &seqs[n]);
        if (ret != NRT_SUCCESS)
            break;
        n++;
    }
    ASSERT_ST(ret, NRT_QUEUE_FULL); /* OPENNRT_QUEUE_DEPTH=16 below */
    ASSERT_TRUE(n >= 1 && n < MAXQ);
    ASSERT_TRUE(exec_rets[n] == NOT_WRITTEN && seqs[n] == 0);
    t_gate(sh, 1);
    /* The guide's loop: wait for at least one completion, then retry. */
    nrta_seq_t completed;
    long spins = 0;
    do {
        ASSERT_OK(nrta_get_sequence(0, NRTA_XU_COMPUTE, 0, &completed));
        ASSERT_TRUE(spins++ < 600L * 1000 * 1000);
    } while (completed < last_known_completed + 1);
    ret = nrta_execute_schedule(m, r[n].in, r[n].out, 0, &exec_rets[n], &seqs[n]);
    ASSERT_OK(ret);
    ASSERT_EQ_U64(NRTA_SEQ_GET_SEQ_NUM(seqs[n]), NRTA_SEQ_GET_SEQ_NUM(seqs[n - 1]) + 1);
    t_wait(seqs[n]);
    for (int i = 0; i <= n; i++) {
        ASSERT_TRUE(exec_rets[i] == NRT_SUCCESS);
        t_tm_check_y(r[i].y, (uint64_t)i);
        t_tm_req_free(&r[i]);
    }
    free(sh);
    ASSERT_OK(nrt_unload(m));
}

/* Arguments the 3.0 calls refuse, with nothing queued and *exec_ret
 * untouched. */
static void test_bad_arguments(void)
{
    nrt_tensor_t *t = NULL, *u = NULL;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 64, "t0", &t));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, 64, "t1", &u));
    unsigned char buf[64] = {0};
    NRT_STATUS r = NOT_WRITTEN;
    nrta_seq_t s = 0;
    ASSERT_ST(nrta_tensor_write(t, buf, 0, 64, 1, 0, &r, &s), NRT_INVALID);    /* tensor of core 0, core 1 named */
    ASSERT_ST(nrta_tensor_read(buf, t, 0, 64, -1, 0, &r, &s), NRT_INVALID);    /* no such core */
    ASSERT_ST(nrta_tensor_read(buf, t, 0, 64, 2, 0, &r, &s), NRT_INVALID);     /* beyond the cores */
    ASSERT_ST(nrta_tensor_write(t, buf, 0, 64, 0, 99, &r, &s), NRT_INVALID);   /* no such queue */
    ASSERT_ST(nrta_tensor_write(t, buf, 8, 64, 0, 0, &r, &s), NRT_INVALID);    /* outside the tensor */
    ASSERT_ST(nrta_tensor_write(t, NULL, 0, 64, 0, 0, &r, &s), NRT_INVALID);
    ASSERT_ST(nrta_tensor_write(t, buf, 0, 64, 0, 0, &r, NULL), NRT_INVALID);
    ASSERT_ST(nrta_tensor_copy(t, 0, u, 0, 64, 0, 0, &r, &s), NRT_INVALID);    /* cores differ */
    ASSERT_ST(nrta_execute_schedule(NULL, NULL, NULL, 0, &r, &s), NRT_INVALID);
    ASSERT_ST(nrta_cc_schedule(NULL, 0, &r, &s), NRT_INVALID);
    ASSERT_TRUE(r == NOT_WRITTEN && s == 0);
    nrta_seq_t q;
    ASSERT_ST(nrta_get_sequence(0, NRTA_XU_TYPE_NUM, 0, &q), NRT_INVALID);
    ASSERT_ST(nrta_get_sequence(0, (nrta_xu_t)-1, 0, &q), NRT_INVALID);
    ASSERT_ST(nrta_get_sequence(0, NRTA_XU_COLLECTIVES, 1, &q), NRT_INVALID);
    ASSERT_OK(nrta_get_sequence(0, NRTA_XU_COLLECTIVES, 0, &q));
    ASSERT_ST(nrt_tensor_get_lnc_index(NULL, &(int){0}), NRT_INVALID);
    ASSERT_ST(nrt_tensor_get_lnc_index(t, NULL), NRT_INVALID);
    /* A request with no status pointer still runs (its failure would only
     * be logged). */
    ASSERT_OK(nrta_tensor_write(t, buf, 0, 64, 0, 0, NULL, &s));
    t_wait(s);
    nrt_tensor_free(&t);
    nrt_tensor_free(&u);
}

int main(void)
{
    t_setenv("NEURON_RT_NUM_CORES", "2");
    t_setenv("OPENNRT_QUEUE_DEPTH", "16");
    {
        /* Before nrt_init every 3.0 call is refused. */
        NRT_STATUS r0 = NOT_WRITTEN;
        nrta_seq_t s0 = 0;
        bool d0;
        ASSERT_ST(nrta_tensor_read(NULL, NULL, 0, 0, 0, 0, &r0, &s0), NRT_UNINITIALIZED);
        ASSERT_ST(nrta_execute_schedule(NULL, NULL, NULL, 0, &r0, &s0), NRT_UNINITIALIZED);
        ASSERT_ST(nrta_get_sequence(0, NRTA_XU_COMPUTE, 0, &s0), NRT_UNINITIALIZED);
        ASSERT_ST(nrta_is_completed(0, &d0), NRT_UNINITIALIZED);
        ASSERT_ST(nrta_event_register_seq_id_completion(0, 0), NRT_UNINITIALIZED);
        ASSERT_ST(nrta_event_register_xu_completion(0, NRTA_XU_COMPUTE, 0, 0), NRT_UNINITIALIZED);
        ASSERT_TRUE(r0 == NOT_WRITTEN && s0 == 0);
    }
    t_init();
    test_schedule_status_written_at_completion();
    test_tensor_ops_on_tensor_op_unit();
    test_events_seq_id();
    test_events_xu();
    test_per_request_errors();
    test_queue_full_retry();
    test_bad_arguments();
    nrt_close();
    /* After nrt_close every 3.0 call is refused. */
    NRT_STATUS r = NOT_WRITTEN;
    nrta_seq_t s = 0;
    bool done;
    ASSERT_ST(nrta_tensor_write(NULL, NULL, 0, 0, 0, 0, &r, &s), NRT_CLOSED);
    ASSERT_ST(nrta_is_completed(0, &done), NRT_CLOSED);
    ASSERT_ST(nrta_event_register_seq_id_completion(0, 0), NRT_CLOSED);
    ASSERT_ST(nrta_event_register_xu_completion(0, NRTA_XU_COMPUTE, 0, 0), NRT_CLOSED);
    ASSERT_TRUE(r == NOT_WRITTEN);
    printf("async API 3.0: ok\n");
    return 0;
}

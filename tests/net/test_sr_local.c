/*
 * Async send/receive between two cores of one process (transport "local"):
 *  - lifecycle: calls before nrt_init (NRT_UNINITIALIZED), after nrt_close
 *    (NRT_CLOSED) and before sendrecv_init refused; init twice, or of a core
 *    that is not visible: NRT_FAILURE; flush after init;
 *  - transfers of 0, 1, 4 KiB, 1 MiB and 256 MiB (64 MiB under sanitizers),
 *    data verified, at offsets, the bytes around untouched; host tensors;
 *    8 in flight completed in posting order; both directions; a longer
 *    receive (size = the send's, the rest untouched) and a shorter one
 *    (NRT_FAILURE on both sides, size 0, nothing written outside its range);
 *  - arguments: NULL arguments (NRT_INVALID), malformed addresses, ranges
 *    beyond the tensor (wrap-around included), zero length at the end, a
 *    device tensor of another core, receive on a send comm, send on a recv
 *    comm, posting on an unconnected comm (one log line each), |size| NULL;
 *  - handles: a tensor passed as a comm or a request, a comm as a request,
 *    a request tested after it was reported done, comms after close:
 *    NRT_INVALID_HANDLE; a freed tensor: NRT_INVALID or NRT_INVALID_HANDLE;
 *  - limits: communicators per core up to the maximum (64) then
 *    NRT_RESOURCE, in both directions; accepts pair with the connects of the
 *    same cores in the order both were made; 128 pending requests per comm
 *    then NRT_RESOURCE, nothing changed; close with a request in flight (or
 *    an unconnected comm): NRT_FAILURE with one log line, the core stays
 *    initialized (init fails), and the comm keeps working; close after
 *    completion, init again;
 *  - a subprocess with NEURON_RT_VISIBLE_CORES=1,2: sendrecv takes the
 *    physical core ids (1 and 2), tensors the visible ones (0 and 1).
 * Physical cores 0 and 1 (NEURON_RT_NUM_CORES=2, as CTest sets it). Argument
 * checks are soft: every deviation is listed, then the test fails.
 */
#include "net_util.h"

#define IP "127.0.0.1"

static int max_comms, max_pending;

/* A connected pair src -> dst (send comm on src, recv comm on dst). */
static void pair(int src, int dst, nrt_async_sendrecv_comm_t **s, nrt_async_sendrecv_comm_t **r)
{
    ASSERT_OK(nrt_async_sendrecv_connect(IP, dst, src, s));
    ASSERT_OK(nrt_async_sendrecv_accept(IP, src, dst, r));
    nrt_async_sendrecv_comm_t *c[2] = {*s, *r};
    t_comms_ok(c, 2, T_OP_S, "local pair");
    t_check_info(*s, "local", IP, dst, true, "local send comm");
    t_check_info(*r, "local", IP, src, false, "local recv comm");
}

/* One verified transfer of |n| bytes: from |st| at |soff| to |rt| at |roff|. */
static void xfer(nrt_async_sendrecv_comm_t *s, nrt_async_sendrecv_comm_t *r, nrt_tensor_t *st, size_t soff,
                 nrt_tensor_t *rt, size_t roff, size_t n, uint64_t seed, const char *what)
{
    t_tfill(st, soff, n, seed, 0);
    nrt_async_sendrecv_request_t *q[2];
    ASSERT_OK(nrt_async_sendrecv_recv_tensor(rt, roff, n, r, &q[1]));
    ASSERT_OK(nrt_async_sendrecv_send_tensor(st, soff, n, s, &q[0]));
    size_t want[2] = {n, n};
    t_reqs_ok(q, 2, want, what);
    t_tcheck(rt, roff, n, seed, 0, what);
}

static void sizes(nrt_async_sendrecv_comm_t *s, nrt_async_sendrecv_comm_t *r)
{
    /* the large one: 256 MiB, 64 MiB under sanitizers (several times slower) */
    static const size_t ns[] = {0, 1, 4096, 1u << 20, (T_SANITIZED ? 64u : 256u) << 20};
    char what[64];
    for (int i = 0; i < 5; i++) {
        size_t n = ns[i];
        nrt_tensor_t *st = t_tensor(0, n + 8, "send"), *rt = t_tensor(1, n + 16, "recv");
        t_bg_fill(rt, 0, 5);
        t_bg_fill(rt, 5 + n, 11);
        snprintf(what, sizeof what, "local %zu bytes", n);
        double t0 = t_now_s();
        xfer(s, r, st, 3, rt, 5, n, 1000 + (uint64_t)i, what);
        if (n >= (1u << 20))
            printf("  local %zu MiB incl. fill/check: %.3f s\n", n >> 20, t_now_s() - t0);
        t_bg_check(rt, 0, 5, what);
        t_bg_check(rt, 5 + n, 11, what);
        nrt_tensor_free(&st);
        nrt_tensor_free(&rt);
    }
    /* host tensors: no core (vnc -1) on the send side, core 1's on the other */
    nrt_tensor_t *hs, *hr;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, -1, 8192, "host send", &hs));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, 1, 8192, "host recv", &hr));
    xfer(s, r, hs, 0, hr, 100, 8000, 55, "host tensors");
    nrt_tensor_free(&hs);
    nrt_tensor_free(&hr);
}

static void in_flight(nrt_async_sendrecv_comm_t *s, nrt_async_sendrecv_comm_t *r)
{
    enum { N = 8 };
    size_t len[N], off[N], total = 0;
    for (int i = 0; i < N; i++) {
        len[i] = 4096u * (size_t)(i + 1) + 13u * (size_t)i;
        off[i] = total;
        total += len[i];
    }
    nrt_tensor_t *st = t_tensor(0, total, "flight send");
    nrt_tensor_t *rt[N];
    nrt_async_sendrecv_request_t *sq[N], *rq[N];
    for (int i = 0; i < N; i++) {
        t_tfill(st, off[i], len[i], 100 + (uint64_t)i, 0);
        rt[i] = t_tensor(1, len[i] + 64, "flight recv");
        t_bg_fill(rt[i], 0, len[i] + 64);
    }
    /* sends first: they wait for their receives */
    for (int i = 0; i < N; i++)
        ASSERT_OK(nrt_async_sendrecv_send_tensor(st, off[i], len[i], s, &sq[i]));
    nrtx_sendrecv_comm_info_t info = t_info(s);
    ASSERT_EQ_U64(info.pending, N);
    for (int i = 0; i < N; i++)
        ASSERT_OK(nrt_async_sendrecv_recv_tensor(rt[i], 32, len[i], r, &rq[i]));
    t_reqs_in_order(rq, N, len, "local 8 in flight (receives)");
    t_reqs_in_order(sq, N, len, "local 8 in flight (sends)");
    char what[64];
    for (int i = 0; i < N; i++) {
        snprintf(what, sizeof what, "local in flight #%d", i);
        t_tcheck(rt[i], 32, len[i], 100 + (uint64_t)i, 0, what);
        t_bg_check(rt[i], 0, 32, what);
        t_bg_check(rt[i], 32 + len[i], 32, what);
        nrt_tensor_free(&rt[i]);
    }
    nrt_tensor_free(&st);
    ASSERT_EQ_U64(t_info(s).pending, 0);
    ASSERT_EQ_U64(t_info(r).pending, 0);
}

static void long_receive(nrt_async_sendrecv_comm_t *s, nrt_async_sendrecv_comm_t *r)
{
    nrt_tensor_t *st = t_tensor(0, 2000, "long send"), *rt = t_tensor(1, 8192, "long recv");
    t_tfill(st, 7, 1000, 77, 0);
    t_bg_fill(rt, 0, 8192);
    nrt_async_sendrecv_request_t *q[2];
    ASSERT_OK(nrt_async_sendrecv_recv_tensor(rt, 100, 4096, r, &q[1]));
    ASSERT_OK(nrt_async_sendrecv_send_tensor(st, 7, 1000, s, &q[0]));
    size_t want[2] = {1000, 1000};
    t_reqs_ok(q, 2, want, "local long receive (4096 for a send of 1000)");
    t_tcheck(rt, 100, 1000, 77, 0, "local long receive");
    t_bg_check(rt, 0, 100, "local long receive, before the range");
    t_bg_check(rt, 1100, 8192 - 1100, "local long receive, bytes 1000..4095 of the range and after");
    nrt_tensor_free(&st);
    nrt_tensor_free(&rt);
}

/* The short receive fails on both sides; run last on its comms. */
static void short_receive(nrt_async_sendrecv_comm_t *s, nrt_async_sendrecv_comm_t *r)
{
    nrt_tensor_t *st = t_tensor(0, 1000, "short send"), *rt = t_tensor(1, 1000, "short recv");
    t_tfill(st, 0, 1000, 88, 0);
    t_bg_fill(rt, 0, 1000);
    nrt_async_sendrecv_request_t *q[2];
    ASSERT_OK(nrt_async_sendrecv_recv_tensor(rt, 50, 100, r, &q[1]));
    ASSERT_OK(nrt_async_sendrecv_send_tensor(st, 0, 1000, s, &q[0]));
    NRT_STATUS stt[2];
    size_t sz[2];
    t_reqs_poll(q, 2, stt, sz, T_OP_S, NULL);
    if (stt[0] != NRT_FAILURE || stt[1] != NRT_FAILURE) {
        fprintf(stderr,
                "local short receive (100 for a send of 1000): send %s, receive %s; expected NRT_FAILURE for both\n",
                t_st(stt[0]), t_st(stt[1]));
        abort();
    }
    if (sz[0] != 0 || sz[1] != 0) {
        fprintf(stderr, "FAILED: local short receive: failed requests reported sizes %zu and %zu, expected 0\n", sz[0],
                sz[1]);
        t_soft_failures++;
    }
    bool d;
    size_t z;
    ASSERT_ST(nrt_async_sendrecv_test_request(q[0], &d, &z), NRT_INVALID_HANDLE);
    ASSERT_ST(nrt_async_sendrecv_test_request(q[1], &d, &z), NRT_INVALID_HANDLE);
    t_bg_check(rt, 0, 50, "local short receive, before the range");
    t_bg_check(rt, 150, 850, "local short receive, after the range");
    nrt_tensor_free(&st);
    nrt_tensor_free(&rt);
}

static void bad_arguments(nrt_async_sendrecv_comm_t *s, nrt_async_sendrecv_comm_t *r)
{
    nrt_tensor_t *t0 = t_tensor(0, 4096, "t0"), *t1 = t_tensor(1, 4096, "t1");
    nrt_async_sendrecv_request_t *q = NULL, *q2 = NULL;
    bool d;
    size_t sz;

    /* NULL arguments */
    EXPECT_ST(nrt_async_sendrecv_send_tensor(NULL, 0, 8, s, &q), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_send_tensor(t0, 0, 8, NULL, &q), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_send_tensor(t0, 0, 8, s, NULL), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_recv_tensor(NULL, 0, 8, r, &q), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_recv_tensor(t1, 0, 8, NULL, &q), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_recv_tensor(t1, 0, 8, r, NULL), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_test_comm(s, NULL), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_test_comm(NULL, &d), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_test_request(NULL, &d, &sz), NRT_INVALID);
    EXPECT_ST(nrtx_async_sendrecv_comm_info(s, NULL), NRT_INVALID);
    nrt_async_sendrecv_comm_t *c = NULL;
    EXPECT_ST(nrt_async_sendrecv_connect(NULL, 1, 0, &c), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_connect(IP, 1, 0, NULL), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_accept(NULL, 0, 1, &c), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_accept(IP, 0, 1, NULL), NRT_INVALID);
    int n;
    EXPECT_ST(nrt_async_sendrecv_get_max_num_pending_request(NULL), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_get_max_num_communicators_per_lnc(NULL), NRT_INVALID);
    ASSERT_OK(nrt_async_sendrecv_get_max_num_pending_request(&n));
    /* malformed addresses */
    EXPECT_ST(nrt_async_sendrecv_connect("not-an-address", 1, 0, &c), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_connect("127.0.0", 1, 0, &c), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_accept("::1::2", 0, 1, &c), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_accept("", 0, 1, &c), NRT_INVALID);
    /* a core this process does not use; a negative peer core */
    EXPECT_ST(nrt_async_sendrecv_connect(IP, 1, 9, &c), NRT_FAILURE); /* not initialized */
    EXPECT_NOT_OK(nrt_async_sendrecv_connect(IP, -1, 0, &c));
    EXPECT_NOT_OK(nrt_async_sendrecv_accept(IP, -1, 1, &c));

    /* ranges beyond the tensor, wrap-around included */
    EXPECT_ST(nrt_async_sendrecv_send_tensor(t0, 0, 4097, s, &q), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_send_tensor(t0, 4000, 97, s, &q), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_send_tensor(t0, 4097, 0, s, &q), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_send_tensor(t0, SIZE_MAX, 2, s, &q), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_send_tensor(t0, 1, SIZE_MAX, s, &q), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_send_tensor(t0, SIZE_MAX, SIZE_MAX, s, &q), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_recv_tensor(t1, 0, 4097, r, &q), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_recv_tensor(t1, SIZE_MAX, 2, r, &q), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_recv_tensor(t1, 2, SIZE_MAX - 1, r, &q), NRT_INVALID);
    /* a device tensor of the other core */
    EXPECT_ST(nrt_async_sendrecv_send_tensor(t1, 0, 8, s, &q), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_recv_tensor(t0, 0, 8, r, &q), NRT_INVALID);
    /* the wrong direction: one log line each */
    EXPECT_ST2_LOG1(nrt_async_sendrecv_recv_tensor(t0, 0, 8, s, &q), NRT_INVALID, NRT_FAILURE);
    EXPECT_ST2_LOG1(nrt_async_sendrecv_send_tensor(t1, 0, 8, r, &q), NRT_INVALID, NRT_FAILURE);
    /* nothing was posted by the refused calls */
    ASSERT_EQ_U64(t_info(s).pending, 0);
    ASSERT_EQ_U64(t_info(r).pending, 0);

    /* zero length, at the very end of the tensors */
    ASSERT_OK(nrt_async_sendrecv_recv_tensor(t1, 4096, 0, r, &q2));
    ASSERT_OK(nrt_async_sendrecv_send_tensor(t0, 4096, 0, s, &q));
    /* NULL |done| refused, the request untouched */
    ASSERT_ST(nrt_async_sendrecv_test_request(q, NULL, &sz), NRT_INVALID);
    nrt_async_sendrecv_request_t *zq[2] = {q, q2};
    size_t zero[2] = {0, 0};
    t_reqs_ok(zq, 2, zero, "zero-length transfer at the end of the tensor");

    /* handles of the wrong kind, one log line each */
    EXPECT_ST_LOG1(nrt_async_sendrecv_test_comm((nrt_async_sendrecv_comm_t *)(void *)t0, &d), NRT_INVALID_HANDLE);
    EXPECT_ST_LOG1(nrt_async_sendrecv_send_tensor(t0, 0, 8, (nrt_async_sendrecv_comm_t *)(void *)t1, &q),
                   NRT_INVALID_HANDLE);
    EXPECT_ST_LOG1(nrt_async_sendrecv_recv_tensor(t1, 0, 8, (nrt_async_sendrecv_comm_t *)(void *)t0, &q),
                   NRT_INVALID_HANDLE);
    EXPECT_ST_LOG1(
        nrtx_async_sendrecv_comm_info((nrt_async_sendrecv_comm_t *)(void *)t0, &(nrtx_sendrecv_comm_info_t){0}),
        NRT_INVALID_HANDLE);
    EXPECT_ST_LOG1(nrt_async_sendrecv_test_request((nrt_async_sendrecv_request_t *)(void *)t0, &d, &sz),
                   NRT_INVALID_HANDLE);
    EXPECT_ST_LOG1(nrt_async_sendrecv_test_request((nrt_async_sendrecv_request_t *)(void *)s, &d, &sz),
                   NRT_INVALID_HANDLE);
    /* a request as a comm: post one, then complete it */
    nrt_tensor_t *t2 = t_tensor(1, 64, "t2");
    ASSERT_OK(nrt_async_sendrecv_recv_tensor(t2, 0, 64, r, &q2));
    EXPECT_ST_LOG1(nrt_async_sendrecv_test_comm((nrt_async_sendrecv_comm_t *)(void *)q2, &d), NRT_INVALID_HANDLE);
    EXPECT_ST_LOG1(nrt_async_sendrecv_send_tensor(t0, 0, 8, (nrt_async_sendrecv_comm_t *)(void *)q2, &q),
                   NRT_INVALID_HANDLE);
    t_tfill(t0, 0, 64, 66, 0);
    ASSERT_OK(nrt_async_sendrecv_send_tensor(t0, 0, 64, s, &q));
    zq[0] = q;
    zq[1] = q2;
    size_t w64[2] = {64, 64};
    t_reqs_ok(zq, 2, w64, "after the wrong-kind calls");
    /* |size| may be NULL */
    ASSERT_OK(nrt_async_sendrecv_recv_tensor(t2, 0, 64, r, &q2));
    ASSERT_OK(nrt_async_sendrecv_send_tensor(t0, 0, 64, s, &q));
    {
        double until = t_now_s() + T_OP_S;
        bool dd[2] = {false, false};
        nrt_async_sendrecv_request_t *pq[2] = {q, q2};
        while ((!dd[0] || !dd[1]) && t_now_s() < until) {
            for (int i = 0; i < 2; i++)
                if (!dd[i])
                    ASSERT_OK(nrt_async_sendrecv_test_request(pq[i], &dd[i], NULL));
            usleep(100);
        }
        ASSERT_TRUE(dd[0] && dd[1]);
    }
    t_tcheck(t2, 0, 64, 66, 0, "after the wrong-kind calls");
    /* a freed tensor: refused as tensors are elsewhere */
    nrt_tensor_t *gone = t2;
    nrt_tensor_free(&t2);
    {
        NRT_STATUS st = nrt_async_sendrecv_recv_tensor(gone, 0, 8, r, &q);
        if (st != NRT_INVALID && st != NRT_INVALID_HANDLE) {
            fprintf(stderr, "recv_tensor of a freed tensor returned %s\n", nrt_get_status_as_str(st));
            abort();
        }
    }
    ASSERT_EQ_U64(t_info(r).pending, 0);
    nrt_tensor_free(&t0);
    nrt_tensor_free(&t1);
}

/* Posting on an unconnected comm, and close refusing an unconnected comm. */
static void unconnected(void)
{
    nrt_async_sendrecv_comm_t *s = NULL, *r = NULL;
    ASSERT_OK(nrt_async_sendrecv_connect(IP, 1, 0, &s)); /* no accept yet */
    bool d = true;
    ASSERT_OK(nrt_async_sendrecv_test_comm(s, &d));
    ASSERT_TRUE(!d);
    nrtx_sendrecv_comm_info_t info = t_info(s);
    ASSERT_TRUE(!info.connected && !info.failed && info.is_send);
    ASSERT_TRUE(strcmp(info.transport, "") == 0);
    nrt_tensor_t *t0 = t_tensor(0, 64, "u0"), *t1 = t_tensor(1, 64, "u1");
    nrt_async_sendrecv_request_t *q = NULL;
    EXPECT_ST2_LOG1(nrt_async_sendrecv_send_tensor(t0, 0, 64, s, &q), NRT_INVALID, NRT_FAILURE);
    EXPECT_ST_LOG1(nrt_async_sendrecv_close(0), NRT_FAILURE);
    EXPECT_ST(nrt_async_sendrecv_init(0), NRT_FAILURE); /* still initialized */
    /* the comm still connects, and works */
    ASSERT_OK(nrt_async_sendrecv_accept(IP, 0, 1, &r));
    nrt_async_sendrecv_comm_t *c[2] = {s, r};
    t_comms_ok(c, 2, T_OP_S, "late accept");
    xfer(s, r, t0, 0, t1, 0, 64, 12, "after the late accept");
    nrt_tensor_free(&t0);
    nrt_tensor_free(&t1);
}

static void comm_limit(void)
{
    nrt_async_sendrecv_comm_t **s = calloc((size_t)max_comms + 1, sizeof *s);
    nrt_async_sendrecv_comm_t **r = calloc((size_t)max_comms + 1, sizeof *r);
    ASSERT_TRUE(s && r);
    for (int i = 0; i < max_comms; i++) {
        ASSERT_OK(nrt_async_sendrecv_connect(IP, 1, 0, &s[i]));
        ASSERT_OK(nrt_async_sendrecv_accept(IP, 0, 1, &r[i]));
    }
    nrt_async_sendrecv_comm_t *extra = NULL;
    EXPECT_ST(nrt_async_sendrecv_connect(IP, 1, 0, &extra), NRT_RESOURCE);
    EXPECT_ST(nrt_async_sendrecv_accept(IP, 0, 1, &extra), NRT_RESOURCE);
    /* the other direction counts against the same cores */
    EXPECT_ST(nrt_async_sendrecv_connect(IP, 0, 1, &extra), NRT_RESOURCE);
    EXPECT_ST(nrt_async_sendrecv_accept(IP, 1, 0, &extra), NRT_RESOURCE);
    for (int i = 0; i < max_comms; i++) {
        nrt_async_sendrecv_comm_t *c[2] = {s[i], r[i]};
        t_comms_ok(c, 2, T_OP_S, "comm limit");
    }
    EXPECT_ST(nrt_async_sendrecv_connect(IP, 1, 0, &extra), NRT_RESOURCE);
    /* every comm works: one transfer of its own payload on each send comm;
     * accepts pair with the connects of the same cores in the order both
     * were made (the header), so receive comm i gets payload i */
    const size_t L = 64;
    nrt_tensor_t *t0 = t_tensor(0, (size_t)max_comms * L, "l0"), *t1 = t_tensor(1, (size_t)max_comms * L, "l1");
    nrt_async_sendrecv_request_t **q = calloc(2 * (size_t)max_comms, sizeof *q);
    size_t *want = calloc(2 * (size_t)max_comms, sizeof *want);
    bool *got = calloc((size_t)max_comms, sizeof *got);
    ASSERT_TRUE(q && want && got);
    for (int i = 0; i < max_comms; i++) {
        t_tfill(t0, (size_t)i * L, L, 3000 + (uint64_t)i, 0);
        ASSERT_OK(nrt_async_sendrecv_recv_tensor(t1, (size_t)i * L, L, r[i], &q[2 * i + 1]));
        ASSERT_OK(nrt_async_sendrecv_send_tensor(t0, (size_t)i * L, L, s[i], &q[2 * i]));
        want[2 * i] = want[2 * i + 1] = L;
    }
    t_reqs_ok(q, 2 * max_comms, want, "one transfer on each comm at the limit");
    uint8_t buf[64], pat[64];
    int misplaced = 0;
    for (int i = 0; i < max_comms; i++) {
        ASSERT_OK(nrt_tensor_read(t1, buf, (size_t)i * L, L));
        int k = 0;
        for (; k < max_comms; k++) {
            t_pat_fill(pat, L, 3000 + (uint64_t)k, 0);
            if (memcmp(buf, pat, L) == 0)
                break;
        }
        if (k == max_comms || got[k]) {
            fprintf(stderr, "at the comm limit: receive comm %d got %s\n", i,
                    k == max_comms ? "data no send comm sent" : "a payload another receive got too");
            abort();
        }
        got[k] = true;
        if (k != i && misplaced++ < 3)
            fprintf(stderr,
                    "FAILED: at the comm limit: accept #%d of lnc 1 paired with connect #%d of lnc 0, expected #%d "
                    "(pairs form in the order both were made)\n",
                    i, k, i);
    }
    if (misplaced) {
        fprintf(stderr, "FAILED: at the comm limit: %d of %d accepts paired with another connect than theirs\n",
                misplaced, max_comms);
        t_soft_failures++;
    }
    free(q);
    free(want);
    free(got);
    nrt_tensor_free(&t0);
    nrt_tensor_free(&t1);
    ASSERT_OK(nrt_async_sendrecv_close(0));
    ASSERT_OK(nrt_async_sendrecv_close(1));
    /* every comm of the cores is gone */
    bool d;
    EXPECT_ST(nrt_async_sendrecv_test_comm(s[max_comms - 1], &d), NRT_INVALID_HANDLE);
    EXPECT_ST(nrt_async_sendrecv_test_comm(r[0], &d), NRT_INVALID_HANDLE);
    free(s);
    free(r);
}

/* 128 pending per comm; close with requests in flight. */
static void pending_limit(void)
{
    ASSERT_OK(nrt_async_sendrecv_init(0));
    ASSERT_OK(nrt_async_sendrecv_init(1));
    nrt_async_sendrecv_comm_t *s, *r;
    pair(0, 1, &s, &r);
    const int P = max_pending;
    const size_t L = 64;
    nrt_tensor_t *st = t_tensor(0, (size_t)(P + 1) * L, "pend send"),
                 *rt = t_tensor(1, (size_t)(P + 1) * L, "pend recv");
    nrt_async_sendrecv_request_t **sq = calloc((size_t)P + 1, sizeof *sq), **rq = calloc((size_t)P + 1, sizeof *rq);
    ASSERT_TRUE(sq && rq);
    for (int i = 0; i <= P; i++)
        t_tfill(st, (size_t)i * L, L, 5000 + (uint64_t)i, 0);
    for (int i = 0; i < P; i++)
        ASSERT_OK(nrt_async_sendrecv_send_tensor(st, (size_t)i * L, L, s, &sq[i]));
    nrt_async_sendrecv_request_t *x = NULL;
    EXPECT_ST(nrt_async_sendrecv_send_tensor(st, (size_t)P * L, L, s, &x), NRT_RESOURCE);
    ASSERT_EQ_U64(t_info(s).pending, P);
    /* close refuses, changes nothing: the core stays initialized */
    EXPECT_ST_LOG1(nrt_async_sendrecv_close(0), NRT_FAILURE);
    EXPECT_ST(nrt_async_sendrecv_init(0), NRT_FAILURE);
    ASSERT_EQ_U64(t_info(s).pending, P);
    /* the receives: also limited, then everything completes in order */
    for (int i = 0; i < P; i++)
        ASSERT_OK(nrt_async_sendrecv_recv_tensor(rt, (size_t)i * L, L, r, &rq[i]));
    EXPECT_ST(nrt_async_sendrecv_recv_tensor(rt, (size_t)P * L, L, r, &x), NRT_RESOURCE);
    size_t *want = calloc((size_t)P, sizeof *want);
    for (int i = 0; i < P; i++)
        want[i] = L;
    t_reqs_in_order(rq, P, want, "128 pending receives");
    t_reqs_in_order(sq, P, want, "128 pending sends");
    for (int i = 0; i < P; i++)
        t_tcheck(rt, (size_t)i * L, L, 5000 + (uint64_t)i, 0, "128 pending");
    /* one more now fits */
    ASSERT_OK(nrt_async_sendrecv_recv_tensor(rt, (size_t)P * L, L, r, &rq[P]));
    /* close of the receiving core with its receive in flight */
    EXPECT_ST_LOG1(nrt_async_sendrecv_close(1), NRT_FAILURE);
    EXPECT_ST(nrt_async_sendrecv_init(1), NRT_FAILURE);
    ASSERT_OK(nrt_async_sendrecv_send_tensor(st, (size_t)P * L, L, s, &sq[P]));
    t_reqs_ok(&sq[P], 1, &want[0], "request 129 (send)");
    t_reqs_ok(&rq[P], 1, &want[0], "request 129 (receive)");
    t_tcheck(rt, (size_t)P * L, L, 5000 + (uint64_t)P, 0, "request 129");
    ASSERT_OK(nrt_async_sendrecv_close(0));
    ASSERT_OK(nrt_async_sendrecv_close(1));
    bool d;
    EXPECT_ST_LOG1(nrt_async_sendrecv_test_comm(s, &d), NRT_INVALID_HANDLE);
    EXPECT_ST(nrtx_async_sendrecv_comm_info(r, &(nrtx_sendrecv_comm_info_t){0}), NRT_INVALID_HANDLE);
    EXPECT_ST(nrt_async_sendrecv_send_tensor(st, 0, L, s, &x), NRT_INVALID_HANDLE);
    EXPECT_ST(nrt_async_sendrecv_recv_tensor(rt, 0, L, r, &x), NRT_INVALID_HANDLE);
    /* and the cores initialize again */
    ASSERT_OK(nrt_async_sendrecv_init(0));
    ASSERT_OK(nrt_async_sendrecv_init(1));
    ASSERT_OK(nrt_async_sendrecv_flush(0));
    ASSERT_OK(nrt_async_sendrecv_close(0));
    ASSERT_OK(nrt_async_sendrecv_close(1));
    free(want);
    free(sq);
    free(rq);
    nrt_tensor_free(&st);
    nrt_tensor_free(&rt);
}

/* NEURON_RT_VISIBLE_CORES=1,2: physical ids for sendrecv, visible for tensors. */
static int visible_child(void)
{
    alarm(T_SCALED(100));
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    EXPECT_ST(nrt_async_sendrecv_init(0), NRT_FAILURE); /* core 0 is not visible */
    EXPECT_ST(nrt_async_sendrecv_init(3), NRT_FAILURE);
    ASSERT_OK(nrt_async_sendrecv_init(1));
    ASSERT_OK(nrt_async_sendrecv_init(2));
    nrt_async_sendrecv_comm_t *s, *r;
    pair(1, 2, &s, &r);
    nrt_tensor_t *st = t_tensor(0, 1u << 20, "vis send"), *rt = t_tensor(1, 1u << 20, "vis recv");
    nrt_async_sendrecv_request_t *q;
    /* the comm of physical core 1 takes visible core 0's tensors only */
    EXPECT_ST(nrt_async_sendrecv_send_tensor(rt, 0, 8, s, &q), NRT_INVALID);
    EXPECT_ST(nrt_async_sendrecv_recv_tensor(st, 0, 8, r, &q), NRT_INVALID);
    xfer(s, r, st, 0, rt, 0, 1u << 20, 4321, "visible cores 1,2");
    ASSERT_OK(nrt_async_sendrecv_close(1));
    ASSERT_OK(nrt_async_sendrecv_close(2));
    nrt_tensor_free(&st);
    nrt_tensor_free(&rt);
    nrt_close();
    return t_soft_done("visible cores 1,2");
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "visible") == 0)
        return visible_child();
    t_driver_setup();
    alarm(T_SCALED(115));
    t_use_free_port();
    /* physical cores 0 and 1 (as CTest sets it; also when run by hand) */
    t_setenv("NEURON_RT_NUM_CORES", "2");
    t_setenv("NEURON_RT_VISIBLE_CORES", NULL);
    t_setenv(T_TRANSPORT_ENV, NULL);

    /* the NEURON_RT_VISIBLE_CORES=1,2 process runs alongside, on a port of its own */
    char port[64];
    snprintf(port, sizeof port, T_PORT_ENV "=%d", t_free_port());
    const char *env_v[] = {port, "NEURON_RT_VISIBLE_CORES=1,2", NULL};
    char *argv_v[] = {"sr_local", "visible", NULL};
    t_child_t vis;
    t_spawn(&vis, "visible", env_v, argv_v);

    /* before nrt_init */
    EXPECT_ST(nrt_async_sendrecv_init(0), NRT_UNINITIALIZED);
    EXPECT_ST(nrt_async_sendrecv_flush(0), NRT_UNINITIALIZED);

    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    ASSERT_OK(nrt_async_sendrecv_get_max_num_communicators_per_lnc(&max_comms));
    ASSERT_OK(nrt_async_sendrecv_get_max_num_pending_request(&max_pending));
    printf("max comms per core %d, max pending requests per comm %d\n", max_comms, max_pending);
    ASSERT_EQ_U64(max_pending, 128);
    ASSERT_TRUE(max_comms >= 2 && max_comms <= 1024);
    EXPECT_ST(nrt_async_sendrecv_get_max_num_communicators_per_lnc(&max_comms), NRT_SUCCESS);
    if (max_comms != 64) {
        fprintf(stderr, "FAILED: %d communicators per core, the header says 64\n", max_comms);
        t_soft_failures++;
    }

    /* before sendrecv_init */
    nrt_async_sendrecv_comm_t *s = NULL, *r = NULL;
    EXPECT_ST(nrt_async_sendrecv_connect(IP, 1, 0, &s), NRT_FAILURE);
    EXPECT_ST(nrt_async_sendrecv_flush(0), NRT_FAILURE);
    EXPECT_NOT_OK(nrt_async_sendrecv_init(-1));
    EXPECT_ST(nrt_async_sendrecv_init(2), NRT_FAILURE); /* not visible */
    ASSERT_OK(nrt_async_sendrecv_init(0));
    EXPECT_ST(nrt_async_sendrecv_init(0), NRT_FAILURE); /* twice */
    ASSERT_OK(nrt_async_sendrecv_init(1));
    ASSERT_OK(nrt_async_sendrecv_flush(0));
    ASSERT_OK(nrt_async_sendrecv_flush(1));

    pair(0, 1, &s, &r);
    sizes(s, r);
    in_flight(s, r);
    long_receive(s, r);
    bad_arguments(s, r);
    unconnected();
    /* a second pair in the other direction, for the short receive */
    nrt_async_sendrecv_comm_t *s2, *r2;
    pair(1, 0, &s2, &r2);
    {
        /* tensors swap cores in this direction */
        nrt_tensor_t *st = t_tensor(1, 1000, "rev send"), *rt = t_tensor(0, 1000, "rev recv");
        xfer(s2, r2, st, 0, rt, 0, 1000, 909, "core 1 -> core 0");
        nrt_tensor_free(&st);
        nrt_tensor_free(&rt);
    }
    short_receive(s, r);
    ASSERT_OK(nrt_async_sendrecv_close(0));
    ASSERT_OK(nrt_async_sendrecv_close(1));
    bool d;
    EXPECT_ST(nrt_async_sendrecv_test_comm(s2, &d), NRT_INVALID_HANDLE);

    ASSERT_OK(nrt_async_sendrecv_init(0));
    ASSERT_OK(nrt_async_sendrecv_init(1));
    comm_limit();
    pending_limit();

    /* close of a core that is not initialized */
    EXPECT_NOT_OK(nrt_async_sendrecv_close(0));
    nrt_close();
    /* after nrt_close */
    EXPECT_ST(nrt_async_sendrecv_init(0), NRT_CLOSED);

    t_reap_ok(&vis, T_SCALED(60));
    return t_soft_done("sr_local");
}

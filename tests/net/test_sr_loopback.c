/*
 * Async send/receive between two processes of one host, over 127.0.0.1 and
 * ::1 (skipped with a message when ::1 is not configured), with the default
 * transport (OPENNRT_SR_TRANSPORT unset: auto, libfabric tcp;ofi_rxm
 * between processes, info.transport "tcp;ofi_rxm"), with
 * OPENNRT_SR_TRANSPORT=tcp ("tcp;ofi_rxm") and, on 127.0.0.1, with
 * OPENNRT_SR_TRANSPORT=shm ("shm"):
 *  - transfers of 0, 1, 4 KiB and 1 MiB bytes (and 256 MiB over tcp on
 *    127.0.0.1; 64 MiB under sanitizers), data verified, at offsets on both
 *    sides, the receive tensor's bytes around the range untouched;
 *  - 8 transfers of different sizes and payloads in flight on one comm,
 *    completed in posting order with the right data each;
 *  - a receive longer than its send (recv 4096, send 1000): size 1000, the
 *    rest of the receive range untouched;
 *  - a receive shorter than its send (recv 100, send 1000): NRT_FAILURE on
 *    both sides, nothing written outside the receive range;
 *  - connect before accept: the accepting process starts 300 ms after the
 *    connecting one;
 *  - comm info (transport, peer, bytes, pending) and flush;
 *  - the last message: on a second comm the other way (receiver process ->
 *    sender process), the receiving process closes as soon as it has
 *    checked the data; the send must still report success.
 * The driver (no nrt_init) runs the sender (physical core 0) and the
 * receiver (physical core 1) as fork()+exec'd copies of itself; both wait
 * at a barrier after the short receive, so that its failure is not
 * mistaken for a peer leaving. Each configuration runs in a forked copy of
 * the driver; "case N" runs configuration N only (0: 127.0.0.1 default,
 * 1: 127.0.0.1 tcp, 2: ::1 default, 3: ::1 tcp, 4: 127.0.0.1 shm). A wrong
 * info.transport is counted and reported, and the configuration goes on.
 */
#include "net_util.h"

#define SEND_LNC 0
#define RECV_LNC 1
#define NFLIGHT 8

/* the large one: 256 MiB, 64 MiB under sanitizers (several times slower) */
#define BIG ((T_SANITIZED ? 64u : 256u) << 20)
static const size_t sizes[] = {0, 1, 4096, 1u << 20, BIG};
#define NSIZES_SMALL 4
#define NSIZES_BIG 5

static size_t flight_len(int i)
{
    return 4096u * (size_t)(i + 1) + 13u * (size_t)i;
}

/*===------------------------------------------------------------------===*/
/* Children                                                               */
/*===------------------------------------------------------------------===*/

static void sender(const char *ip, const char *transport, bool big)
{
    char what[128];
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    ASSERT_OK(nrt_async_sendrecv_init(SEND_LNC));
    ASSERT_OK(nrt_async_sendrecv_flush(SEND_LNC));
    nrt_async_sendrecv_comm_t *c = NULL;
    /* the receiver's process does not exist yet: the connector retries */
    ASSERT_OK(nrt_async_sendrecv_connect(ip, RECV_LNC, SEND_LNC, &c));
    ASSERT_TRUE(c != NULL);
    NRT_STATUS st = t_comm_wait(c, t_op_s);
    if (st != NRT_SUCCESS) {
        fprintf(stderr, "sender: connect to %s/lnc %d: %s\n", ip, RECV_LNC, t_st(st));
        abort();
    }
    t_check_info(c, transport, ip, RECV_LNC, true, "sender");
    /* the way back, for the last message */
    nrt_async_sendrecv_comm_t *back = NULL;
    ASSERT_OK(nrt_async_sendrecv_accept(ip, RECV_LNC, SEND_LNC, &back));
    st = t_comm_wait(back, t_op_s);
    if (st != NRT_SUCCESS) {
        fprintf(stderr, "sender: accept from %s/lnc %d: %s\n", ip, RECV_LNC, t_st(st));
        abort();
    }
    t_check_info(back, transport, ip, RECV_LNC, false, "sender, way back");
    uint64_t bytes = 0;

    /* sizes, sent from offset 3 */
    int nsizes = big ? NSIZES_BIG : NSIZES_SMALL;
    for (int i = 0; i < nsizes; i++) {
        size_t n = sizes[i];
        nrt_tensor_t *t = t_tensor(0, n + 8, "send");
        t_tfill(t, 3, n, 1000 + (uint64_t)i, 0);
        nrt_async_sendrecv_request_t *r = NULL;
        ASSERT_OK(nrt_async_sendrecv_send_tensor(t, 3, n, c, &r));
        snprintf(what, sizeof what, "sender: %zu bytes", n);
        t_req_ok(r, n, what);
        bytes += n;
        nrt_tensor_free(&t);
    }

    /* 8 in flight, different sizes and payloads, from one tensor */
    size_t total = 0, off[NFLIGHT], len[NFLIGHT];
    for (int i = 0; i < NFLIGHT; i++) {
        off[i] = total;
        len[i] = flight_len(i);
        total += len[i];
    }
    nrt_tensor_t *ft = t_tensor(0, total, "flight");
    for (int i = 0; i < NFLIGHT; i++)
        t_tfill(ft, off[i], len[i], 100 + (uint64_t)i, 0);
    nrt_async_sendrecv_request_t *fr[NFLIGHT];
    for (int i = 0; i < NFLIGHT; i++) {
        ASSERT_OK(nrt_async_sendrecv_send_tensor(ft, off[i], len[i], c, &fr[i]));
        bytes += len[i];
    }
    t_reqs_in_order(fr, NFLIGHT, len, "sender: 8 in flight");
    nrt_tensor_free(&ft);

    /* long receive: the peer receives 4096, we send 1000 */
    nrt_tensor_t *lt = t_tensor(0, 2000, "long");
    t_tfill(lt, 7, 1000, 77, 0);
    nrt_async_sendrecv_request_t *r = NULL;
    ASSERT_OK(nrt_async_sendrecv_send_tensor(lt, 7, 1000, c, &r));
    t_req_ok(r, 1000, "sender: long receive");
    bytes += 1000;
    nrt_tensor_free(&lt);

    nrtx_sendrecv_comm_info_t info = t_info(c);
    if (info.bytes != bytes || info.pending != 0) {
        fprintf(stderr, "sender: info.bytes %llu pending %u, expected %llu and 0\n", (unsigned long long)info.bytes,
                info.pending, (unsigned long long)bytes);
        abort();
    }

    /* short receive: the peer receives 100, we send 1000: both fail */
    nrt_tensor_t *st_t = t_tensor(0, 1000, "short");
    t_tfill(st_t, 0, 1000, 88, 0);
    ASSERT_OK(nrt_async_sendrecv_send_tensor(st_t, 0, 1000, c, &r));
    NRT_STATUS s;
    size_t sz;
    t_reqs_poll(&r, 1, &s, &sz, t_op_s, NULL);
    if (s != NRT_FAILURE) {
        fprintf(stderr,
                "sender: FAILED: a send of 1000 bytes into a receive of 100 returned %s (size %zu) after up to %.0f s, "
                "expected NRT_FAILURE\n",
                t_st(s), sz, t_op_s);
        t_soft_failures++;
    }
    bool d;
    if (s != T_PENDING)
        ASSERT_ST(nrt_async_sendrecv_test_request(r, &d, &sz), NRT_INVALID_HANDLE);

    t_report('F');
    t_await('X', T_SCALED(60));
    /* the last message: received, checked, and this process closes at once */
    nrt_tensor_t *lm = t_tensor(0, T_MIB, "last");
    ASSERT_OK(nrt_async_sendrecv_recv_tensor(lm, 0, T_MIB, back, &r));
    t_req_ok(r, T_MIB, "sender: the last message");
    t_tcheck(lm, 0, T_MIB, 4242, 0, "sender: the last message");
    if (s != T_PENDING) {
        ASSERT_OK(nrt_async_sendrecv_close(SEND_LNC));
        ASSERT_ST(nrtx_async_sendrecv_comm_info(c, &info), NRT_INVALID_HANDLE);
        nrt_tensor_free(&st_t);
    }
    nrt_close();
}

static void receiver(const char *ip, const char *transport, bool big)
{
    char what[128];
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    ASSERT_OK(nrt_async_sendrecv_init(RECV_LNC));
    ASSERT_OK(nrt_async_sendrecv_flush(RECV_LNC));
    nrt_async_sendrecv_comm_t *c = NULL;
    ASSERT_OK(nrt_async_sendrecv_accept(ip, SEND_LNC, RECV_LNC, &c));
    ASSERT_TRUE(c != NULL);
    NRT_STATUS st = t_comm_wait(c, t_op_s);
    if (st != NRT_SUCCESS) {
        fprintf(stderr, "receiver: accept from %s/lnc %d: %s\n", ip, SEND_LNC, t_st(st));
        abort();
    }
    t_check_info(c, transport, ip, SEND_LNC, false, "receiver");
    nrt_async_sendrecv_comm_t *back = NULL;
    ASSERT_OK(nrt_async_sendrecv_connect(ip, SEND_LNC, RECV_LNC, &back));
    st = t_comm_wait(back, t_op_s);
    if (st != NRT_SUCCESS) {
        fprintf(stderr, "receiver: connect back to %s/lnc %d: %s\n", ip, SEND_LNC, t_st(st));
        abort();
    }
    t_check_info(back, transport, ip, SEND_LNC, true, "receiver, way back");
    uint64_t bytes = 0;

    /* sizes, received at offset 5, 5 + 11 bytes of background around */
    int nsizes = big ? NSIZES_BIG : NSIZES_SMALL;
    for (int i = 0; i < nsizes; i++) {
        size_t n = sizes[i];
        nrt_tensor_t *t = t_tensor(0, n + 16, "recv");
        t_bg_fill(t, 0, 5);
        t_bg_fill(t, 5 + n, 11);
        nrt_async_sendrecv_request_t *r = NULL;
        double t0 = t_now_s();
        ASSERT_OK(nrt_async_sendrecv_recv_tensor(t, 5, n, c, &r));
        snprintf(what, sizeof what, "receiver: %zu bytes", n);
        t_req_ok(r, n, what);
        if (n >= (1u << 20))
            printf("  %s %zu MiB: %.3f s\n", ip, n >> 20, t_now_s() - t0);
        bytes += n;
        t_tcheck(t, 5, n, 1000 + (uint64_t)i, 0, what);
        t_bg_check(t, 0, 5, what);
        t_bg_check(t, 5 + n, 11, what);
        nrt_tensor_free(&t);
    }

    /* 8 in flight, each into its own tensor at offset 32 */
    nrt_tensor_t *ft[NFLIGHT];
    nrt_async_sendrecv_request_t *fr[NFLIGHT];
    size_t len[NFLIGHT];
    for (int i = 0; i < NFLIGHT; i++) {
        len[i] = flight_len(i);
        ft[i] = t_tensor(0, len[i] + 64, "flight");
        t_bg_fill(ft[i], 0, len[i] + 64);
    }
    for (int i = 0; i < NFLIGHT; i++)
        ASSERT_OK(nrt_async_sendrecv_recv_tensor(ft[i], 32, len[i], c, &fr[i]));
    t_reqs_in_order(fr, NFLIGHT, len, "receiver: 8 in flight");
    for (int i = 0; i < NFLIGHT; i++) {
        snprintf(what, sizeof what, "receiver: in flight #%d (%zu bytes)", i, len[i]);
        t_tcheck(ft[i], 32, len[i], 100 + (uint64_t)i, 0, what);
        t_bg_check(ft[i], 0, 32, what);
        t_bg_check(ft[i], 32 + len[i], 32, what);
        bytes += len[i];
        nrt_tensor_free(&ft[i]);
    }

    /* long receive: 4096 at offset 100 of 8192, the send has 1000 */
    nrt_tensor_t *lt = t_tensor(0, 8192, "long");
    t_bg_fill(lt, 0, 8192);
    nrt_async_sendrecv_request_t *r = NULL;
    ASSERT_OK(nrt_async_sendrecv_recv_tensor(lt, 100, 4096, c, &r));
    t_req_ok(r, 1000, "receiver: long receive (4096 for a send of 1000)");
    t_tcheck(lt, 100, 1000, 77, 0, "receiver: long receive");
    t_bg_check(lt, 0, 100, "receiver: long receive, before the range");
    t_bg_check(lt, 1100, 8192 - 1100, "receiver: long receive, bytes 1000..4095 of the range and after");
    bytes += 1000;
    nrt_tensor_free(&lt);

    nrtx_sendrecv_comm_info_t info = t_info(c);
    if (info.bytes != bytes || info.pending != 0) {
        fprintf(stderr, "receiver: info.bytes %llu pending %u, expected %llu and 0\n", (unsigned long long)info.bytes,
                info.pending, (unsigned long long)bytes);
        abort();
    }

    /* short receive: 100 at offset 50 of 1000, the send has 1000 */
    nrt_tensor_t *stt = t_tensor(0, 1000, "short");
    t_bg_fill(stt, 0, 1000);
    ASSERT_OK(nrt_async_sendrecv_recv_tensor(stt, 50, 100, c, &r));
    NRT_STATUS s;
    size_t sz;
    t_reqs_poll(&r, 1, &s, &sz, t_op_s, NULL);
    if (s != NRT_FAILURE) {
        fprintf(stderr,
                "receiver: a receive of 100 bytes for a send of 1000 returned %s (size %zu), expected NRT_FAILURE\n",
                t_st(s), sz);
        abort();
    }
    bool d;
    ASSERT_ST(nrt_async_sendrecv_test_request(r, &d, &sz), NRT_INVALID_HANDLE);
    t_bg_check(stt, 0, 50, "receiver: short receive, before the range");
    t_bg_check(stt, 150, 850, "receiver: short receive, after the range");
    nrt_tensor_free(&stt);

    t_report('F');
    t_await('X', T_SCALED(60));
    /* the last message: its receiver closes as soon as it has it; the send
     * must still report success (the transfer did succeed) */
    nrt_tensor_t *lm = t_tensor(0, T_MIB, "last");
    t_tfill(lm, 0, T_MIB, 4242, 0);
    ASSERT_OK(nrt_async_sendrecv_send_tensor(lm, 0, T_MIB, back, &r));
    t_reqs_poll(&r, 1, &s, &sz, t_op_s, NULL);
    if (s != NRT_SUCCESS || sz != T_MIB) {
        fprintf(stderr,
                "receiver: FAILED: the last message (1 MiB, received and checked by the peer, which then closed) "
                "ended %s, size %zu; expected NRT_SUCCESS, %u\n",
                t_st(s), sz, T_MIB);
        t_soft_failures++;
    }
    ASSERT_OK(nrt_async_sendrecv_close(RECV_LNC));
    nrt_close();
}

/*===------------------------------------------------------------------===*/
/* Driver                                                                 */
/*===------------------------------------------------------------------===*/

/* mode: "default" (OPENNRT_SR_TRANSPORT unset: shm expected between
 * processes of one host), "tcp" or "shm" (forced) */
typedef struct pair_cfg {
    const char *ip, *mode;
    bool big;
} pair_cfg_t;

static void run_pair(void *arg)
{
    const pair_cfg_t *cfg = arg;
    const char *ip = cfg->ip, *mode = cfg->mode;
    bool big = cfg->big;
    double t0 = t_now_s();
    char port[64], tr[64];
    snprintf(port, sizeof port, T_PORT_ENV "=%d", t_free_port());
    if (strcmp(mode, "default") == 0)
        snprintf(tr, sizeof tr, "%s", T_TRANSPORT_ENV);
    else
        snprintf(tr, sizeof tr, "%s=%s", T_TRANSPORT_ENV, mode);
    /* the connect timeout (default 30 s) stays above t_op_s under TSan */
    const char *tmo = T_TSAN ? T_TIMEOUT_ENV "=60000" : T_TIMEOUT_ENV;
    const char *env_s[] = {port, tr, tmo, "NEURON_RT_VISIBLE_CORES=0", NULL};
    const char *env_r[] = {port, tr, tmo, "NEURON_RT_VISIBLE_CORES=1", NULL};
    char *argv_s[] = {"sr_loopback", "child", "send", (char *)ip, (char *)mode, big ? "1" : "0", NULL};
    char *argv_r[] = {"sr_loopback", "child", "recv", (char *)ip, (char *)mode, big ? "1" : "0", NULL};
    t_child_t s, r;
    t_spawn(&s, "sender", env_s, argv_s);
    t_sleep_ms(300); /* connect before the accepting process exists */
    t_spawn(&r, "receiver", env_r, argv_r);
    t_expect(&s, 'F', T_SCALED(100));
    t_expect(&r, 'F', T_SCALED(100));
    t_tell(&s, 'X');
    t_tell(&r, 'X');
    t_reap_ok(&s, T_SCALED(30));
    t_reap_ok(&r, T_SCALED(30));
    printf("%s, transport %s%s: ok (%.2f s)\n", ip, mode, big ? (T_SANITIZED ? ", with 64 MiB" : ", with 256 MiB") : "",
           t_now_s() - t0);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc >= 6 && strcmp(argv[1], "child") == 0) {
        alarm(T_SCALED(60)); /* a hang kills the child */
        const char *ip = argv[3];
        bool big = argv[5][0] == '1';
        /* one operation: 10 s (15 s for the large one), twice that under
         * sanitizers (and T_SCALED); the driver bounds the whole case */
        t_op_s = T_SCALED((big ? 15 : 10) * (T_SANITIZED ? 2 : 1));
        /* auto (default) and tcp: tcp;ofi_rxm between processes; shm is opt-in */
        const char *transport = strcmp(argv[4], "shm") == 0 ? "shm" : T_TCP;
        if (strcmp(argv[2], "send") == 0)
            sender(ip, transport, big);
        else
            receiver(ip, transport, big);
        return t_soft_failures ? 1 : 0;
    }
    t_driver_setup();
    alarm(T_SCALED(118));
    double start = t_now_s();
    pair_cfg_t cfgs[] = {
        {"127.0.0.1", "default", false}, {"127.0.0.1", "tcp", true},  {"::1", "default", false},
        {"::1", "tcp", false},           {"127.0.0.1", "shm", false},
    };
    enum { NCFG = sizeof cfgs / sizeof cfgs[0] };
    bool v6 = t_ipv6_loopback_ok();
    if (!v6)
        printf("::1 is not configured on this host: the IPv6 runs are skipped\n");
    int failed = 0;
    /* "case N" runs only configuration N: for reproducing one */
    int only = argc >= 3 && strcmp(argv[1], "case") == 0 ? atoi(argv[2]) : -1;
    int run[NCFG], nrun = 0;
    for (int i = 0; i < NCFG; i++) {
        if (only >= 0 && i != only)
            continue;
        if (!v6 && strcmp(cfgs[i].ip, "::1") == 0)
            continue;
        /* ThreadSanitizer: IPv4 only (the same code paths; each pair of
         * processes takes ~10 s to start there) */
        if (T_TSAN && only < 0 && strcmp(cfgs[i].ip, "::1") == 0) {
            printf("%s, transport %s: skipped under ThreadSanitizer (time)\n", cfgs[i].ip, cfgs[i].mode);
            continue;
        }
        run[nrun++] = i;
    }
    for (int k = 0; k < nrun; k++) {
        int i = run[k];
        char name[96];
        snprintf(name, sizeof name, "%s, transport %s", cfgs[i].ip, cfgs[i].mode);
        /* 110 s in all (CTest: 120 s; both doubled under TSan); a hanging
         * case leaves the others 8 s each */
        failed += !t_run_case(name, run_pair, &cfgs[i], t_case_budget(start, T_SCALED(110), nrun - 1 - k, 8));
    }
    if (failed) {
        fprintf(stderr, "sr_loopback: %d configuration(s) failed\n", failed);
        return 1;
    }
    printf("sr_loopback: ok\n");
    return 0;
}

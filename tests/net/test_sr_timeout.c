/*
 * Connect timeout (OPENNRT_SR_CONNECT_TIMEOUT_MS=500): a connect to a core
 * nobody serves, and an accept from a peer that never connects, return at
 * once (within 150 ms: they never wait for the network), then report
 * NRT_TIMEOUT from test_comm within a few seconds (not before the timeout)
 * with one log line naming the peer; the comm then reads failed in its
 * info, posting on it is refused, test_comm is bounded, and the core keeps
 * working: a comm between two served cores connects and transfers, and
 * close succeeds. A pair whose peer is there connects under the same
 * timeout, also when posted right after init.
 */
#include "net_util.h"

#define IP "127.0.0.1"

/* Creates a comm with |peer_ip|/lnc |peer_lnc| on |lnc| (connect when
 * |is_send|, else accept) that must time out; stderr is captured from
 * before the call, since the timeout may be logged by any thread. */
static nrt_async_sendrecv_comm_t *expect_timeout(const char *peer_ip, int peer_lnc, int lnc, bool is_send,
                                                 const char *what)
{
    char log[4096];
    NRT_STATUS st = NRT_SUCCESS;
    bool done = false;
    nrt_async_sendrecv_comm_t *c = NULL;
    t_capture_begin();
    double t0 = t_now_s();
    NRT_STATUS cst = is_send ? nrt_async_sendrecv_connect(peer_ip, peer_lnc, lnc, &c)
                             : nrt_async_sendrecv_accept(peer_ip, peer_lnc, lnc, &c);
    double call_s = t_now_s() - t0;
    if (cst != NRT_SUCCESS) {
        t_capture_end(log, sizeof log);
        fprintf(stderr, "%s: %s returned %s:\n%s\n", what, is_send ? "connect" : "accept", nrt_get_status_as_str(cst),
                log);
        abort();
    }

    double until = t0 + 10.0;
    long polls = 0;
    while (st == NRT_SUCCESS && !done && t_now_s() < until) {
        st = nrt_async_sendrecv_test_comm(c, &done);
        polls++;
        if (st == NRT_SUCCESS && !done)
            usleep(100);
    }
    double elapsed = t_now_s() - t0;
    /* the line may be written by another thread just after test_comm saw
     * the timeout: give it up to 1 s (and a moment for a second one) */
    for (int i = 0; i < 100; i++) {
        struct stat sb;
        fflush(stderr);
        if (stat(t_capture_path, &sb) == 0 && sb.st_size > 0)
            break;
        t_sleep_ms(10);
    }
    t_sleep_ms(50);
    int lines = t_capture_end(log, sizeof log);
    /* connect and accept never wait (the header: "everything else returns
     * at once"); 150 ms is far beyond a non-blocking call, even on a loaded
     * machine, and far below the 500 ms timeout */
    if (call_s > 0.15) {
        fprintf(stderr, "%s: FAILED: %s took %.3f s to return (it must not wait)\n", what,
                is_send ? "connect" : "accept", call_s);
        t_soft_failures++;
    }
    printf("%s: %s returned after %.3f s, test_comm %s after %.3f s (%ld polls), %d log line(s): %s", what,
           is_send ? "connect" : "accept", call_s, t_st(st), elapsed, polls, lines, log);
    if (lines == 0)
        printf("\n");
    if (st != NRT_TIMEOUT || done) {
        fprintf(stderr, "%s: test_comm returned %s done=%d after %.3f s, expected NRT_TIMEOUT\n", what,
                st == NRT_SUCCESS ? "NRT_SUCCESS" : t_st(st), (int)done, elapsed);
        abort();
    }
    if (elapsed < 0.4) {
        fprintf(stderr, "%s: NRT_TIMEOUT after %.3f s, before the 500 ms timeout\n", what, elapsed);
        abort();
    }
    /* one line, naming the peer (its address and its core) */
    char lnc_text[16];
    snprintf(lnc_text, sizeof lnc_text, "%d", peer_lnc);
    const char *at = strstr(log, peer_ip);
    if (lines != 1 || !at || !strstr(at + strlen(peer_ip), lnc_text)) {
        fprintf(stderr, "%s: expected one log line naming %s and core %d, got %d line(s):\n%s\n", what, peer_ip,
                peer_lnc, lines, log);
        abort();
    }
    nrtx_sendrecv_comm_info_t info = t_info(c);
    if (!info.failed || info.connected || info.is_send != is_send) {
        fprintf(stderr, "%s: info after the timeout: failed %d connected %d is_send %d\n", what, (int)info.failed,
                (int)info.connected, (int)info.is_send);
        abort();
    }
    /* later polls stay bounded and never report done */
    for (int i = 0; i < 3; i++) {
        done = false;
        t_capture_begin();
        st = nrt_async_sendrecv_test_comm(c, &done);
        t_capture_end(NULL, 0);
        ASSERT_TRUE(st != NRT_SUCCESS && !done);
    }
    return c;
}

int main(void)
{
    alarm(T_SCALED(100));
    t_use_free_port();
    t_setenv(T_TIMEOUT_ENV, "500");
    t_setenv("NEURON_RT_NUM_CORES", "2");
    t_setenv("NEURON_RT_VISIBLE_CORES", NULL);
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    ASSERT_OK(nrt_async_sendrecv_init(0));
    ASSERT_OK(nrt_async_sendrecv_init(1));

    /* right after init, a pair whose peer is there (two cores of this
     * process, both posted at once) connects: the timeout is for a peer
     * that does not come, not for the runtime's own start */
    {
        nrt_async_sendrecv_comm_t *s0, *r0;
        double t0 = t_now_s();
        ASSERT_OK(nrt_async_sendrecv_connect(IP, 1, 0, &s0));
        ASSERT_OK(nrt_async_sendrecv_accept(IP, 0, 1, &r0));
        NRT_STATUS cs = t_comm_wait(s0, T_OP_S), as = t_comm_wait(r0, T_OP_S);
        if (cs != NRT_SUCCESS || as != NRT_SUCCESS) {
            fprintf(stderr,
                    "FAILED: a pair of cores of this process posted right after init (both sides at once) did not "
                    "connect: connect %s, accept %s after %.3f s (%s=500)\n",
                    t_st(cs), t_st(as), t_now_s() - t0, T_TIMEOUT_ENV);
            t_soft_failures++;
        } else {
            printf("pair right after init: connected after %.3f s\n", t_now_s() - t0);
        }
    }

    /* connect to core 7 of this host: nobody serves it */
    nrt_async_sendrecv_comm_t *c = expect_timeout(IP, 7, 0, true, "connect to 127.0.0.1/lnc 7");
    nrt_tensor_t *t0t = t_tensor(0, 4096, "t0"), *t1t = t_tensor(1, 4096, "t1");
    nrt_async_sendrecv_request_t *q = NULL;
    t_capture_begin();
    NRT_STATUS st = nrt_async_sendrecv_send_tensor(t0t, 0, 64, c, &q);
    t_capture_end(NULL, 0);
    if (st == NRT_SUCCESS) {
        fprintf(stderr, "send_tensor on a timed-out comm succeeded\n");
        abort();
    }

    /* accept from core 6 of this host: it never connects */
    nrt_async_sendrecv_comm_t *a = expect_timeout(IP, 6, 1, false, "accept from 127.0.0.1/lnc 6");

    /* the cores keep working (the comms connect well within 500 ms) */
    nrt_async_sendrecv_comm_t *s, *r;
    ASSERT_OK(nrt_async_sendrecv_connect(IP, 1, 0, &s));
    ASSERT_OK(nrt_async_sendrecv_accept(IP, 0, 1, &r));
    nrt_async_sendrecv_comm_t *cc[2] = {s, r};
    t_comms_ok(cc, 2, T_OP_S, "working pair");
    t_tfill(t0t, 0, 4096, 3, 0);
    nrt_async_sendrecv_request_t *qq[2];
    ASSERT_OK(nrt_async_sendrecv_recv_tensor(t1t, 0, 4096, r, &qq[1]));
    ASSERT_OK(nrt_async_sendrecv_send_tensor(t0t, 0, 4096, s, &qq[0]));
    size_t want[2] = {4096, 4096};
    t_reqs_ok(qq, 2, want, "transfer after the timeouts");
    t_tcheck(t1t, 0, 4096, 3, 0, "transfer after the timeouts");

    /* a comm that failed for good does not hold close back */
    ASSERT_OK(nrt_async_sendrecv_close(0));
    ASSERT_OK(nrt_async_sendrecv_close(1));
    bool d;
    ASSERT_ST(nrt_async_sendrecv_test_comm(c, &d), NRT_INVALID_HANDLE);
    ASSERT_ST(nrt_async_sendrecv_test_comm(a, &d), NRT_INVALID_HANDLE);
    nrt_tensor_free(&t0t);
    nrt_tensor_free(&t1t);
    nrt_close();
    return t_soft_done("sr_timeout");
}

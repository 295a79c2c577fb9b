/*
 * tests/net/net_util.h - helpers shared by the async send/receive tests
 * (nrt/nrt_async_sendrecv.h, public API only):
 *  - a free bootstrap port per test (NEURON_RT_ASYNC_SENDRECV_BOOTSTRAP_PORT),
 *  - a data pattern derived from (seed, byte index) and tensor fill/check,
 *  - bounded waits on communicators and requests,
 *  - child processes: fork()+exec of the test binary itself (the parent
 *    never calls nrt_init), a status pipe (child -> driver, fd 3) and a
 *    control pipe (driver -> child, fd 4) carrying one-byte messages,
 *    children killed when the driver fails or dies,
 *  - /dev/shm listings and the processes that reference a file there,
 *  - soft checks (EXPECT_*: listed and counted, the test fails at the end),
 *  - cases of a driver run in forked copies of it, so that one failing
 *    configuration does not hide the others.
 * Every wait is bounded in count and time.
 */
#pragma once

#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "nrt/nrt_async_sendrecv.h"
#include "nrt/nrt_ext.h"

/* T_TSAN (harness.h): processes start several times slower under
 * ThreadSanitizer (libfabric's provider discovery), so some tests run a
 * smaller matrix there. */
/* Time bounds scale by this (T_SCALED): under ThreadSanitizer on 2 CPUs
 * every process start and provider call is several times slower.
 * tests/net/CMakeLists.txt scales CTest's TIMEOUT the same way. Bounds that
 * are what a test checks (requests failing within 10 s of a peer's death,
 * /dev/shm cleaned within 2 s) do not scale. */
#define T_TIME_SCALE (T_TSAN ? 2 : 1)
#define T_SCALED(s) ((s) * T_TIME_SCALE)

#define T_PORT_ENV "NEURON_RT_ASYNC_SENDRECV_BOOTSTRAP_PORT"
#define T_TRANSPORT_ENV "OPENNRT_SR_TRANSPORT"
#define T_TIMEOUT_ENV "OPENNRT_SR_CONNECT_TIMEOUT_MS"

#define T_TCP "tcp;ofi_rxm"

/* Bound of one connect/accept or one transfer: 20 s (scaled); a test may
 * lower t_op_s where a case must end sooner. */
#define T_OP_S T_SCALED(20.0)
static double t_op_s = T_OP_S;

#define T_MIB (1024u * 1024u)

/* A request still pending at its deadline (never an NRT_STATUS value). */
#define T_PENDING ((NRT_STATUS)-1)

static inline double t_now_s(void)
{
    return (double)t_now_ns() / 1e9;
}

static inline void t_sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static inline void t_setenv(const char *k, const char *v)
{
    if (v)
        ASSERT_TRUE(setenv(k, v, 1) == 0);
    else
        ASSERT_TRUE(unsetenv(k) == 0);
}

static inline const char *t_st(NRT_STATUS st)
{
    return st == T_PENDING ? "(still pending)" : nrt_get_status_as_str(st);
}

static inline bool t_is_fail(NRT_STATUS st)
{
    return st == NRT_FAILURE || st == NRT_TIMEOUT;
}

/* Soft checks: a mismatch is printed and counted, the test goes on (so one
 * run lists every deviation of a group of argument checks); t_soft_done()
 * fails the test at the end if any was counted. */
static int t_soft_failures;

#define EXPECT_ST(expr, want)                                                                                          \
    do {                                                                                                               \
        NRT_STATUS got_ = (expr), want_ = (want);                                                                      \
        if (got_ != want_) {                                                                                           \
            fprintf(stderr, "%s:%d: FAILED: %s returned %s, expected %s\n", __FILE__, __LINE__, #expr,                 \
                    nrt_get_status_as_str(got_), nrt_get_status_as_str(want_));                                        \
            t_soft_failures++;                                                                                         \
        }                                                                                                              \
    } while (0)

/* |expr| returns |a| or |b| and logs exactly one line. */
#define EXPECT_ST2_LOG1(expr, a, b)                                                                                    \
    do {                                                                                                               \
        char log_[1024];                                                                                               \
        t_capture_begin();                                                                                             \
        NRT_STATUS got_ = (expr);                                                                                      \
        int lines_ = t_capture_end(log_, sizeof log_);                                                                 \
        if ((got_ != (a) && got_ != (b)) || lines_ != 1) {                                                             \
            fprintf(stderr, "%s:%d: FAILED: %s returned %s with %d log lines, expected %s%s%s with 1:\n%s", __FILE__,  \
                    __LINE__, #expr, nrt_get_status_as_str(got_), lines_, nrt_get_status_as_str(a),                    \
                    (a) == (b) ? "" : " or ", (a) == (b) ? "" : nrt_get_status_as_str(b), log_);                       \
            t_soft_failures++;                                                                                         \
        }                                                                                                              \
    } while (0)

#define EXPECT_ST_LOG1(expr, want) EXPECT_ST2_LOG1(expr, want, want)

#define EXPECT_NOT_OK(expr)                                                                                            \
    do {                                                                                                               \
        NRT_STATUS got_ = (expr);                                                                                      \
        if (got_ == NRT_SUCCESS) {                                                                                     \
            fprintf(stderr, "%s:%d: FAILED: %s succeeded, expected an error\n", __FILE__, __LINE__, #expr);            \
            t_soft_failures++;                                                                                         \
        }                                                                                                              \
    } while (0)

static inline int t_soft_done(const char *test)
{
    if (t_soft_failures) {
        fprintf(stderr, "%s: %d check(s) failed\n", test, t_soft_failures);
        return 1;
    }
    printf("%s: ok\n", test);
    return 0;
}

/*===------------------------------------------------------------------===*/
/* Ports and addresses                                                    */
/*===------------------------------------------------------------------===*/

/* A TCP port that was free on 127.0.0.1 a moment ago. */
static inline int t_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_TRUE(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    ASSERT_TRUE(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    socklen_t len = sizeof a;
    ASSERT_TRUE(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* Picks a free port and exports it for this process (and its children). */
static inline int t_use_free_port(void)
{
    int port = t_free_port();
    char buf[16];
    snprintf(buf, sizeof buf, "%d", port);
    t_setenv(T_PORT_ENV, buf);
    return port;
}

/* ::1 is configured (a socket binds to it). */
static inline bool t_ipv6_loopback_ok(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    bool ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/*===------------------------------------------------------------------===*/
/* Data pattern: byte k of the payload with |seed|                        */
/*===------------------------------------------------------------------===*/

static inline uint64_t t_mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline uint64_t t_pat_word(uint64_t seed, uint64_t w)
{
    return t_mix64(seed * 0xd1b54a32d192ed03ull + w);
}

static inline uint8_t t_pat_byte(uint64_t seed, uint64_t k)
{
    return (uint8_t)(t_pat_word(seed, k >> 3) >> ((k & 7) * 8));
}

/* p[i] = pattern(seed, k0 + i) for i < n. */
static inline void t_pat_fill(uint8_t *p, size_t n, uint64_t seed, uint64_t k0)
{
    size_t i = 0;
    for (; i < n && ((k0 + i) & 7); i++)
        p[i] = t_pat_byte(seed, k0 + i);
    for (; i + 8 <= n; i += 8) {
        uint64_t w = t_pat_word(seed, (k0 + i) >> 3);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        memcpy(p + i, &w, 8);
#else
        for (int b = 0; b < 8; b++)
            p[i + b] = (uint8_t)(w >> (b * 8));
#endif
    }
    for (; i < n; i++)
        p[i] = t_pat_byte(seed, k0 + i);
}

#define T_CHUNK (4u * T_MIB)

/* Writes pattern(seed, k0 + i) to bytes [off, off + len) of |t|. */
static inline void t_tfill(nrt_tensor_t *t, size_t off, size_t len, uint64_t seed, uint64_t k0)
{
    uint8_t *buf = malloc(T_CHUNK);
    ASSERT_TRUE(buf != NULL);
    for (size_t done = 0; done < len;) {
        size_t n = len - done < T_CHUNK ? len - done : T_CHUNK;
        t_pat_fill(buf, n, seed, k0 + done);
        ASSERT_OK(nrt_tensor_write(t, buf, off + done, n));
        done += n;
    }
    free(buf);
}

/* Checks bytes [off, off + len) of |t| against pattern(seed, k0 + i);
 * aborts naming |what| and the first differing byte. */
static inline void t_tcheck(const nrt_tensor_t *t, size_t off, size_t len, uint64_t seed, uint64_t k0, const char *what)
{
    uint8_t *buf = malloc(T_CHUNK), *want = malloc(T_CHUNK);
    ASSERT_TRUE(buf != NULL && want != NULL);
    for (size_t done = 0; done < len;) {
        size_t n = len - done < T_CHUNK ? len - done : T_CHUNK;
        ASSERT_OK(nrt_tensor_read(t, buf, off + done, n));
        t_pat_fill(want, n, seed, k0 + done);
        if (memcmp(buf, want, n) != 0) {
            size_t i = 0;
            while (buf[i] == want[i])
                i++;
            fprintf(stderr, "%s: tensor byte %zu (payload byte %zu of %zu, seed %llu) is 0x%02x, expected 0x%02x\n",
                    what, off + done + i, done + i, len, (unsigned long long)seed, buf[i], want[i]);
            abort();
        }
        done += n;
    }
    free(buf);
    free(want);
}

/* Background of receive tensors: pattern T_BG_SEED at the absolute offset. */
#define T_BG_SEED 424242u

static inline void t_bg_fill(nrt_tensor_t *t, size_t off, size_t len)
{
    t_tfill(t, off, len, T_BG_SEED, off);
}

static inline void t_bg_check(const nrt_tensor_t *t, size_t off, size_t len, const char *what)
{
    t_tcheck(t, off, len, T_BG_SEED, off, what);
}

static inline nrt_tensor_t *t_tensor(int vnc, size_t size, const char *name)
{
    nrt_tensor_t *t = NULL;
    NRT_STATUS st = nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, vnc, size, name, &t);
    if (st != NRT_SUCCESS) {
        fprintf(stderr, "nrt_tensor_allocate(vnc %d, %zu bytes, %s): %s\n", vnc, size, name, nrt_get_status_as_str(st));
        abort();
    }
    return t;
}

/*===------------------------------------------------------------------===*/
/* Bounded waits                                                          */
/*===------------------------------------------------------------------===*/

/* Polls test_comm until it reports done or an error, at most |timeout_s|
 * (100 us between polls). NRT_SUCCESS once done; the error otherwise;
 * T_PENDING at the deadline. */
static inline NRT_STATUS t_comm_wait(nrt_async_sendrecv_comm_t *c, double timeout_s)
{
    double until = t_now_s() + timeout_s;
    for (long i = 0;; i++) {
        bool done = false;
        NRT_STATUS st = nrt_async_sendrecv_test_comm(c, &done);
        if (st != NRT_SUCCESS)
            return st;
        if (done)
            return NRT_SUCCESS;
        if (t_now_s() > until)
            return T_PENDING;
        usleep(100);
    }
}

/* Waits for all |n| comms (polled round robin: one side's progress may
 * need the other's poll when both are in this process). */
static inline void t_comms_ok(nrt_async_sendrecv_comm_t **c, int n, double timeout_s, const char *what)
{
    bool done[256] = {false};
    ASSERT_TRUE(n <= 256);
    double until = t_now_s() + timeout_s;
    for (int left = n; left > 0;) {
        for (int i = 0; i < n; i++) {
            if (done[i])
                continue;
            bool d = false;
            NRT_STATUS st = nrt_async_sendrecv_test_comm(c[i], &d);
            if (st != NRT_SUCCESS) {
                fprintf(stderr, "%s: test_comm of comm %d returned %s\n", what, i, t_st(st));
                abort();
            }
            if (d) {
                done[i] = true;
                left--;
            }
        }
        if (left && t_now_s() > until) {
            fprintf(stderr, "%s: %d of %d comms still not connected after %.0f s\n", what, left, n, timeout_s);
            abort();
        }
        if (left)
            usleep(100);
    }
}

/* Polls |n| requests until each is reported done (success or error) or
 * |timeout_s| passes. st[i]: NRT_SUCCESS (size[i] set), the error, or
 * T_PENDING. order (optional): the requests in the order they were seen
 * done. Returns the number seen done. */
static inline int t_reqs_poll(nrt_async_sendrecv_request_t **r, int n, NRT_STATUS *st, size_t *size, double timeout_s,
                              int *order)
{
    bool done[1024] = {false};
    ASSERT_TRUE(n <= 1024);
    for (int i = 0; i < n; i++) {
        st[i] = T_PENDING;
        size[i] = (size_t)-1;
    }
    double until = t_now_s() + timeout_s;
    int seen = 0;
    while (seen < n) {
        for (int i = 0; i < n; i++) {
            if (done[i])
                continue;
            bool d = false;
            size_t sz = (size_t)-1;
            NRT_STATUS s = nrt_async_sendrecv_test_request(r[i], &d, &sz);
            if (s == NRT_SUCCESS && !d)
                continue;
            if (s == NRT_INVALID_HANDLE) {
                fprintf(stderr, "request %d: test_request returned NRT_INVALID_HANDLE before it reported done\n", i);
                abort();
            }
            done[i] = true;
            st[i] = s;
            size[i] = sz;
            if (order)
                order[seen] = i;
            seen++;
        }
        if (seen < n) {
            if (t_now_s() > until)
                break;
            usleep(100);
        }
    }
    return seen;
}

/* Waits for |n| requests that must all succeed; checks sizes (want may be
 * NULL) and that a done request is gone (NRT_INVALID_HANDLE). */
static inline void t_reqs_ok(nrt_async_sendrecv_request_t **r, int n, const size_t *want, const char *what)
{
    NRT_STATUS st[1024];
    size_t size[1024];
    int seen = t_reqs_poll(r, n, st, size, t_op_s, NULL);
    bool bad = false;
    for (int i = 0; i < n; i++)
        bad |= st[i] != NRT_SUCCESS || (want && size[i] != want[i]);
    if (bad) {
        fprintf(stderr, "%s: %d of %d requests done after up to %.0f s:", what, seen, n, t_op_s);
        for (int i = 0; i < n && i < 16; i++) {
            if (st[i] == NRT_SUCCESS)
                fprintf(stderr, " #%d ok %zu bytes%s", i, size[i], want && size[i] != want[i] ? " (WRONG SIZE)" : "");
            else
                fprintf(stderr, " #%d %s", i, t_st(st[i]));
        }
        if (n > 16)
            fprintf(stderr, " ...");
        fprintf(stderr, "\n");
        for (int i = 0; i < n; i++) {
            if (st[i] != NRT_SUCCESS) {
                fprintf(stderr, "%s: request %d of %d: %s\n", what, i, n, t_st(st[i]));
                abort();
            }
            if (want && size[i] != want[i]) {
                fprintf(stderr, "%s: request %d transferred %zu bytes, expected %zu\n", what, i, size[i], want[i]);
                abort();
            }
        }
    }
    for (int i = 0; i < n; i++) {
        bool d;
        size_t sz;
        NRT_STATUS s = nrt_async_sendrecv_test_request(r[i], &d, &sz);
        if (s != NRT_INVALID_HANDLE) {
            fprintf(stderr, "%s: request %d tested again after done returned %s, expected NRT_INVALID_HANDLE\n", what,
                    i, nrt_get_status_as_str(s));
            abort();
        }
    }
}

/* Soft variant: waits for the |n| requests (NULL entries: not posted,
 * skipped) that should each move |want| bytes; each one that fails is
 * reported by its name and counted, except that those in |may_fail| may
 * end with NRT_FAILURE (reported as a note; still pending never passes).
 * Returns a bit mask of those that succeeded. */
static inline unsigned t_reqs_soft(nrt_async_sendrecv_request_t **r, int n, size_t want, const char *const *names,
                                   unsigned may_fail, const char *what)
{
    nrt_async_sendrecv_request_t *p[32];
    int idx[32], m = 0;
    ASSERT_TRUE(n <= 32);
    for (int i = 0; i < n; i++)
        if (r[i]) {
            p[m] = r[i];
            idx[m++] = i;
        }
    NRT_STATUS st[32];
    size_t size[32];
    t_reqs_poll(p, m, st, size, t_op_s, NULL);
    unsigned ok = 0;
    for (int k = 0; k < m; k++) {
        if (st[k] == NRT_SUCCESS && size[k] == want) {
            ok |= 1u << idx[k];
            continue;
        }
        if (st[k] == NRT_FAILURE && (may_fail & (1u << idx[k]))) {
            printf("%s: %s ended NRT_FAILURE (allowed here)\n", what, names[idx[k]]);
            continue;
        }
        if (st[k] == NRT_SUCCESS)
            fprintf(stderr, "%s: FAILED: %s moved %zu bytes, expected %zu\n", what, names[idx[k]], size[k], want);
        else
            fprintf(stderr, "%s: FAILED: %s ended %s\n", what, names[idx[k]], t_st(st[k]));
        t_soft_failures++;
    }
    return ok;
}

static inline void t_req_ok(nrt_async_sendrecv_request_t *r, size_t want, const char *what)
{
    t_reqs_ok(&r, 1, &want, what);
}

/* Waits for |n| requests posted on ONE comm, in posting order: once
 * request j is seen done, every earlier one must be done too. */
static inline void t_reqs_in_order(nrt_async_sendrecv_request_t **r, int n, const size_t *want, const char *what)
{
    bool done[256] = {false};
    ASSERT_TRUE(n <= 256);
    double until = t_now_s() + t_op_s;
    int left = n;
    while (left > 0) {
        for (int j = 0; j < n; j++) {
            if (done[j])
                continue;
            bool d = false;
            size_t sz = 0;
            NRT_STATUS s = nrt_async_sendrecv_test_request(r[j], &d, &sz);
            if (s == NRT_SUCCESS && !d)
                continue;
            if (s != NRT_SUCCESS) {
                fprintf(stderr, "%s: request %d of %d: %s\n", what, j, n, t_st(s));
                abort();
            }
            if (sz != want[j]) {
                fprintf(stderr, "%s: request %d transferred %zu bytes, expected %zu\n", what, j, sz, want[j]);
                abort();
            }
            done[j] = true;
            left--;
            /* posting order: every earlier request is complete as well */
            for (int i = 0; i < j; i++) {
                if (done[i])
                    continue;
                bool di = false;
                size_t szi = 0;
                NRT_STATUS si = nrt_async_sendrecv_test_request(r[i], &di, &szi);
                if (si != NRT_SUCCESS || !di) {
                    fprintf(stderr, "%s: request %d reported done while earlier request %d was not (%s, done=%d)\n",
                            what, j, i, nrt_get_status_as_str(si), (int)di);
                    abort();
                }
                if (szi != want[i]) {
                    fprintf(stderr, "%s: request %d transferred %zu bytes, expected %zu\n", what, i, szi, want[i]);
                    abort();
                }
                done[i] = true;
                left--;
            }
        }
        if (left) {
            if (t_now_s() > until) {
                fprintf(stderr, "%s: %d of %d requests still pending after %.0f s\n", what, left, n, t_op_s);
                abort();
            }
            usleep(100);
        }
    }
}

static inline nrtx_sendrecv_comm_info_t t_info(nrt_async_sendrecv_comm_t *c)
{
    nrtx_sendrecv_comm_info_t info;
    memset(&info, 0, sizeof info);
    ASSERT_OK(nrtx_async_sendrecv_comm_info(c, &info));
    return info;
}

/* The comm is connected, to "<ip>/lnc <peer_lnc>", over |transport|. A
 * wrong transport is counted (soft: the test goes on and fails at the end);
 * anything else wrong aborts. */
static inline void t_check_info(nrt_async_sendrecv_comm_t *c, const char *transport, const char *ip, int peer_lnc,
                                bool is_send, const char *what)
{
    nrtx_sendrecv_comm_info_t info = t_info(c);
    char peer[96];
    snprintf(peer, sizeof peer, "%s/lnc %d", ip, peer_lnc);
    if (strcmp(info.peer, peer) != 0 || info.is_send != is_send || !info.connected || info.failed) {
        fprintf(stderr,
                "%s: comm info: transport \"%s\" peer \"%s\" is_send %d connected %d failed %d; expected transport "
                "\"%s\" peer \"%s\" is_send %d connected 1 failed 0\n",
                what, info.transport, info.peer, (int)info.is_send, (int)info.connected, (int)info.failed, transport,
                peer, (int)is_send);
        abort();
    }
    if (strcmp(info.transport, transport) != 0) {
        fprintf(stderr, "%s: FAILED: comm with %s runs over \"%s\", expected \"%s\" (%s=%s)\n", what, peer,
                info.transport, transport, T_TRANSPORT_ENV,
                getenv(T_TRANSPORT_ENV) ? getenv(T_TRANSPORT_ENV) : "unset");
        t_soft_failures++;
    }
}

/*===------------------------------------------------------------------===*/
/* Child processes                                                        */
/*===------------------------------------------------------------------===*/

#define T_STATUS_FD 3 /* child writes one-byte messages to the driver */
#define T_CTRL_FD 4   /* child reads one-byte messages from the driver */

typedef struct t_child {
    const char *name;
    pid_t pid;
    int st_fd;  /* driver reads the child's messages */
    int ctl_fd; /* driver writes to the child */
    bool reaped;
    int status;
} t_child_t;

#define T_MAX_CHILDREN 16
static volatile pid_t t_children[T_MAX_CHILDREN];
/* In a case of t_run_case: where t_spawn reports the pids it starts. */
static int t_case_pid_fd = -1;

static void t_kill_children(void)
{
    for (int i = 0; i < T_MAX_CHILDREN; i++)
        if (t_children[i] > 0)
            kill(t_children[i], SIGKILL);
}

static void t_driver_on_abort(int sig)
{
    t_kill_children();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Call once in the driver: a failing assertion (abort) kills the children. */
static inline void t_driver_setup(void)
{
    signal(SIGABRT, t_driver_on_abort);
    signal(SIGSEGV, t_driver_on_abort);
    signal(SIGALRM, t_driver_on_abort);
    signal(SIGPIPE, SIG_IGN);
}

/* Starts /proc/self/exe with |argv| (NULL-terminated, argv[0] included)
 * after setting |env| ("K=V" sets, "K" unsets; NULL-terminated). */
static inline void t_spawn(t_child_t *c, const char *name, const char *const *env, char *const *argv)
{
    int st[2], ctl[2];
    ASSERT_TRUE(pipe2(st, O_CLOEXEC) == 0);
    ASSERT_TRUE(pipe2(ctl, O_CLOEXEC) == 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    ASSERT_TRUE(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (dup2(st[1], T_STATUS_FD) < 0 || dup2(ctl[0], T_CTRL_FD) < 0)
            _exit(121);
        for (int i = 0; env && env[i]; i++) {
            const char *eq = strchr(env[i], '=');
            if (eq) {
                char key[128];
                size_t k = (size_t)(eq - env[i]);
                if (k >= sizeof key)
                    _exit(122);
                memcpy(key, env[i], k);
                key[k] = '\0';
                setenv(key, eq + 1, 1);
            } else {
                unsetenv(env[i]);
            }
        }
        signal(SIGABRT, SIG_DFL);
        signal(SIGSEGV, SIG_DFL);
        signal(SIGALRM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        execv("/proc/self/exe", argv);
        _exit(123);
    }
    close(st[1]);
    close(ctl[0]);
    c->name = name;
    c->pid = pid;
    c->st_fd = st[0];
    c->ctl_fd = ctl[1];
    c->reaped = false;
    c->status = 0;
    for (int i = 0; i < T_MAX_CHILDREN; i++)
        if (t_children[i] <= 0) {
            t_children[i] = pid;
            break;
        }
    if (t_case_pid_fd >= 0)
        ASSERT_TRUE(write(t_case_pid_fd, &pid, sizeof pid) == (ssize_t)sizeof pid);
}

static inline void t_forget(pid_t pid)
{
    for (int i = 0; i < T_MAX_CHILDREN; i++)
        if (t_children[i] == pid)
            t_children[i] = 0;
}

static inline void t_describe_status(char *buf, size_t cap, int status)
{
    if (WIFEXITED(status))
        snprintf(buf, cap, "exit code %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, cap, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(buf, cap, "status 0x%x", status);
}

/* Waits up to |timeout_s| for the child to exit; kills it at the deadline.
 * Returns the wait status. */
static inline int t_reap(t_child_t *c, double timeout_s)
{
    if (c->reaped)
        return c->status;
    double until = t_now_s() + timeout_s;
    for (;;) {
        int status;
        pid_t p = waitpid(c->pid, &status, WNOHANG);
        if (p == c->pid) {
            c->reaped = true;
            c->status = status;
            t_forget(c->pid);
            close(c->st_fd);
            close(c->ctl_fd);
            return status;
        }
        if (t_now_s() > until) {
            fprintf(stderr, "child %s (pid %d) still running after %.0f s: killed\n", c->name, (int)c->pid, timeout_s);
            kill(c->pid, SIGKILL);
            until = t_now_s() + 10;
            timeout_s = 10;
        }
        usleep(2000);
    }
}

/* The child must exit with 0 within |timeout_s|. */
static inline void t_reap_ok(t_child_t *c, double timeout_s)
{
    int status = t_reap(c, timeout_s);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char d[96];
        t_describe_status(d, sizeof d, status);
        fprintf(stderr, "child %s (pid %d) failed: %s\n", c->name, (int)c->pid, d);
        abort();
    }
}

/* Driver: waits up to |timeout_s| for message |want| from the child. A
 * child that exits first, or another message, fails the test. */
static inline void t_expect(t_child_t *c, char want, double timeout_s)
{
    struct pollfd p = {c->st_fd, POLLIN, 0};
    double until = t_now_s() + timeout_s;
    for (;;) {
        int left_ms = (int)((until - t_now_s()) * 1000);
        if (left_ms < 0)
            left_ms = 0;
        int r = poll(&p, 1, left_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0) {
            fprintf(stderr, "child %s (pid %d): no '%c' after %.0f s\n", c->name, (int)c->pid, want, timeout_s);
            abort();
        }
        char m;
        ssize_t n = read(c->st_fd, &m, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 1 && m == want)
            return;
        if (n == 1) {
            fprintf(stderr, "child %s (pid %d): got '%c', expected '%c'\n", c->name, (int)c->pid, m, want);
            abort();
        }
        /* EOF: the child is gone */
        int status = t_reap(c, 10);
        char d[96];
        t_describe_status(d, sizeof d, status);
        fprintf(stderr, "child %s (pid %d) ended (%s) before sending '%c'\n", c->name, (int)c->pid, d, want);
        abort();
    }
}

static inline void t_tell(t_child_t *c, char m)
{
    ASSERT_TRUE(write(c->ctl_fd, &m, 1) == 1);
}

/* Child side: what the process is doing, named in the message printed
 * when its alarm (t_child_alarm) goes off, so that a hang says where. */
static const char *volatile t_phase = "starting";

static void t_on_alarm(int sig)
{
    (void)sig;
    char buf[256];
    const char *p = t_phase;
    size_t n = 0;
    const char *head = "alarm: the process hung in: ";
    for (const char *c = head; *c && n < sizeof buf - 2; c++)
        buf[n++] = *c;
    for (const char *c = p; *c && n < sizeof buf - 2; c++)
        buf[n++] = *c;
    buf[n++] = '\n';
    ssize_t w = write(2, buf, n);
    (void)w;
    _exit(124);
}

/* Child side: ends the process after |seconds| (exit code 124), saying
 * which phase it was in. */
static inline void t_child_alarm(unsigned seconds)
{
    signal(SIGALRM, t_on_alarm);
    alarm(seconds);
}

/* Child side: one message to the driver. */
static inline void t_report(char m)
{
    ssize_t n;
    do
        n = write(T_STATUS_FD, &m, 1);
    while (n < 0 && errno == EINTR);
    ASSERT_TRUE(n == 1);
}

/* Child side: waits up to |timeout_s| for message |want| from the driver. */
static inline void t_await(char want, double timeout_s)
{
    struct pollfd p = {T_CTRL_FD, POLLIN, 0};
    double until = t_now_s() + timeout_s;
    for (;;) {
        int left_ms = (int)((until - t_now_s()) * 1000);
        if (left_ms < 0)
            left_ms = 0;
        int r = poll(&p, 1, left_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0) {
            fprintf(stderr, "pid %d: no '%c' from the driver after %.0f s\n", (int)getpid(), want, timeout_s);
            abort();
        }
        char m;
        ssize_t n = read(T_CTRL_FD, &m, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 1 && m == want)
            return;
        fprintf(stderr, "pid %d: got %s from the driver, expected '%c'\n", (int)getpid(),
                n == 1 ? "another message" : "EOF", want);
        abort();
    }
}

/*===------------------------------------------------------------------===*/
/* /dev/shm                                                               */
/*===------------------------------------------------------------------===*/

#define T_SHM_MAX 4096

typedef struct t_names {
    int n;
    char *name[T_SHM_MAX];
} t_names_t;

static inline void t_names_free(t_names_t *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->name[i]);
    s->n = 0;
}

static inline bool t_names_has(const t_names_t *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->name[i], name) == 0)
            return true;
    return false;
}

static inline void t_names_add(t_names_t *s, const char *name)
{
    if (s->n < T_SHM_MAX && !t_names_has(s, name))
        s->name[s->n++] = strdup(name);
}

/* The names in /dev/shm now (none when it does not exist). */
static inline void t_shm_list(t_names_t *s)
{
    s->n = 0;
    DIR *d = opendir("/dev/shm");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            t_names_add(s, e->d_name);
    closedir(d);
}

/* Adds the /dev/shm names process |pid| has open or mapped. */
static inline void t_shm_refs_of(pid_t pid, t_names_t *out)
{
    char path[64], line[4096];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    if (f) {
        while (fgets(line, sizeof line, f)) {
            char *p = strstr(line, " /dev/shm/");
            if (!p)
                continue;
            p += strlen(" /dev/shm/");
            p[strcspn(p, " \n")] = '\0';
            t_names_add(out, p);
        }
        fclose(f);
    }
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char fdp[512], target[1024];
        snprintf(fdp, sizeof fdp, "%s/%s", path, e->d_name);
        ssize_t n = readlink(fdp, target, sizeof target - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        if (strncmp(target, "/dev/shm/", 9) == 0) {
            target[strcspn(target, " ")] = '\0';
            t_names_add(out, target + 9);
        }
    }
    closedir(d);
}

/* Adds the /dev/shm names referenced by any live process except |skip|. */
static inline void t_shm_refs_except(const pid_t *skip, int nskip, t_names_t *out)
{
    DIR *d = opendir("/proc");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 0)
            continue;
        bool skipped = false;
        for (int i = 0; i < nskip; i++)
            skipped |= skip[i] == (pid_t)pid;
        if (!skipped)
            t_shm_refs_of((pid_t)pid, out);
    }
    closedir(d);
}

/* Names in /dev/shm that start with "<pid>:" (libfabric shm's regions),
 * rechecked until none is left or |grace_s| passed. Returns how many. */
static inline int t_shm_named_after(pid_t pid, double grace_s, t_names_t *out)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "%d:", (int)pid);
    double until = t_now_s() + grace_s;
    for (;;) {
        t_names_t now;
        out->n = 0;
        t_shm_list(&now);
        for (int i = 0; i < now.n; i++)
            if (strncmp(now.name[i], prefix, strlen(prefix)) == 0)
                t_names_add(out, now.name[i]);
        t_names_free(&now);
        if (out->n == 0 || t_now_s() > until)
            return out->n;
        t_names_free(out);
        t_sleep_ms(100);
    }
}

/* Files in /dev/shm not in |base| and not referenced by a live process
 * other than |skip| (files of tests running in parallel are referenced by
 * their processes). Rechecked until none is left or |grace_s| passed.
 * Returns the number left; names them in |out|. */
static inline int t_shm_leftovers(const t_names_t *base, const pid_t *skip, int nskip, double grace_s, t_names_t *out)
{
    double until = t_now_s() + grace_s;
    for (;;) {
        t_names_t now, refs;
        refs.n = 0;
        out->n = 0;
        t_shm_list(&now);
        t_shm_refs_except(skip, nskip, &refs);
        for (int i = 0; i < now.n; i++)
            if (!t_names_has(base, now.name[i]) && !t_names_has(&refs, now.name[i]))
                t_names_add(out, now.name[i]);
        t_names_free(&now);
        t_names_free(&refs);
        if (out->n == 0 || t_now_s() > until)
            return out->n;
        t_names_free(out);
        t_sleep_ms(100);
    }
}

/*===------------------------------------------------------------------===*/
/* One case of a driver                                                   */
/*===------------------------------------------------------------------===*/

/* The time a case may take: what is left of the driver's |total_s| since
 * |start_s|, less |per_case_s| for each of the |after| cases still to run
 * (so that one hanging case leaves the others their time), at least 5 s. */
static inline double t_case_budget(double start_s, double total_s, int after, double per_case_s)
{
    double left = start_s + total_s - t_now_s() - after * per_case_s;
    return left > 5 ? left : 5;
}

/* Runs fn(arg) in a forked copy of the driver (which never called
 * nrt_init), so that a failing case (abort) ends only that copy and its
 * children, and the next case still runs. Bounded by |timeout_s|. Returns
 * true when fn returned and the copy exited 0. */
static inline bool t_run_case(const char *name, void (*fn)(void *), void *arg, double timeout_s)
{
    static t_names_t before, left;
    t_shm_list(&before);
    int pids[2];
    ASSERT_TRUE(pipe2(pids, O_CLOEXEC | O_NONBLOCK) == 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    ASSERT_TRUE(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (int i = 0; i < T_MAX_CHILDREN; i++)
            t_children[i] = 0;
        close(pids[0]);
        t_case_pid_fd = pids[1];
        fn(arg);
        fflush(stdout);
        fflush(stderr);
        _exit(t_soft_failures ? 1 : 0);
    }
    for (int i = 0; i < T_MAX_CHILDREN; i++)
        if (t_children[i] <= 0) {
            t_children[i] = pid;
            break;
        }
    double until = t_now_s() + timeout_s;
    int status = 0;
    for (;;) {
        pid_t p = waitpid(pid, &status, WNOHANG);
        if (p == pid)
            break;
        if (t_now_s() > until) {
            fprintf(stderr, "%s: still running after %.0f s: killed\n", name, timeout_s);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        usleep(5000);
    }
    t_forget(pid);
    close(pids[1]);
    pid_t spawned[64];
    int nspawned = 0;
    while (nspawned < 64 && read(pids[0], &spawned[nspawned], sizeof(pid_t)) == (ssize_t)sizeof(pid_t))
        nspawned++;
    close(pids[0]);
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok) {
        char d[96];
        t_describe_status(d, sizeof d, status);
        fprintf(stderr, "%s: FAILED (%s)\n", name, d);
        /* its processes are gone (killed, so their exit handlers did not
         * run): remove the /dev/shm files they left, i.e. new files no live
         * process holds whose name carries one of their pids (libfabric shm
         * names its regions "<pid>:..."); anything else is left alone */
        t_sleep_ms(300); /* its children die of SIGKILL */
        if (t_shm_leftovers(&before, NULL, 0, 0.5, &left)) {
            bool said = false;
            for (int i = 0; i < left.n; i++) {
                long owner = strtol(left.name[i], NULL, 10);
                bool ours = false;
                for (int k = 0; k < nspawned; k++)
                    ours |= owner == (long)spawned[k];
                if (!ours)
                    continue;
                char path[512];
                snprintf(path, sizeof path, "/dev/shm/%s", left.name[i]);
                if (!said)
                    fprintf(stderr, "%s: removing what its processes left in /dev/shm:", name);
                said = true;
                fprintf(stderr, " %s", left.name[i]);
                unlink(path);
            }
            if (said)
                fprintf(stderr, "\n");
        }
        t_names_free(&left);
    }
    t_names_free(&before);
    fflush(stdout);
    fflush(stderr);
    return ok;
}

/*
 * bench/bench_sendrecv.c - the async send/receive API
 * (nrt/nrt_async_sendrecv.h) on the three data paths OpenNRT has, each
 * beside baselines measured in the same run.
 *
 * Paths (each checked with nrtx_async_sendrecv_comm_info, which must name
 * the intended one):
 *   tcp;ofi_rxm  two processes, OPENNRT_SR_TRANSPORT=tcp
 *   shm          two processes, OPENNRT_SR_TRANSPORT=shm
 *   local        two logical cores of one process (NEURON_RT_NUM_CORES=2,
 *                OPENNRT_SR_TRANSPORT unset: the automatic choice)
 * Between processes, process A runs with NEURON_RT_VISIBLE_CORES=0 and
 * calls nrt_async_sendrecv_init(0), process B with VISIBLE_CORES=1 and
 * init(1); tensors are DEVICE tensors of visible core 0. Each process
 * makes a send communicator to its peer (connect) and a receive one from
 * it (accept), both over 127.0.0.1, and polls test_comm until both are
 * connected. In the local path one thread drives both cores (connect 0->1
 * and 1->0). The timings start 2 s after connecting (not with --quick):
 * the runtime opens its libfabric endpoints in the background.
 *
 * Figures:
 *   latency    8 bytes, one way = round trip / 2: A posts a receive then a
 *              send and waits for both; B posts a receive, waits, posts
 *              the send back. p50 and mean over the iterations after a
 *              warm-up (time-limited, at most a fixed count).
 *   bandwidth  A -> B streaming of 4 KiB, 1 MiB and 64 MiB messages with
 *              1 and 8 transfers in flight: the sender keeps k sends
 *              posted (k slots of one tensor), the receiver k receives;
 *              GB/s (1e9 B/s) at the receiver, from the completion of
 *              message k+1 to the last one; the median of 3 repetitions
 *              (their range printed beside it).
 * Baselines, same run:
 *   socket       a plain TCP program over 127.0.0.1 (TCP_NODELAY): the same
 *                ping-pong with busy-polled non-blocking receives, and
 *                streaming as plain send()/recv() loops of the same
 *                message sizes (no window: one figure per size)
 *   fi_pingpong  libfabric's own ping-pong (libfabric-bin), a server and a
 *                client process, -e rdm, providers "tcp;ofi_rxm" and shm;
 *                its usec/xfer (a mean, one way) and MB/sec (one message
 *                in flight); n/a when the binary is missing
 *   memcpy       one thread copying buffers of the same size, rotating
 *                over k buffers for the rows with k transfers in flight
 * Targets (printed, never asserted):
 *   tcp    latency (mean) <= 1.3x fi_pingpong's; bandwidth >= 0.9x socket
 *   shm    bandwidth >= 0.5x memcpy; latency (p50) < 1.5 us
 *   local  bandwidth >= 0.8x memcpy; latency (p50) < 1 us
 *
 * Every message is checked: a stamp (sequence number) at its head and
 * tail and 8 payload bytes from its middle, all poisoned in the receive
 * buffer before the receive is posted; the last message of each test is
 * compared whole. Every ping-pong value is checked.
 *
 * The parent process never calls nrt_init: every OpenNRT phase runs in
 * forked children (the runtime refuses calls in a fork child of an
 * initialized parent), the two processes of a phase synchronized through
 * pipes, each with one spinning thread (this machine may have 2 CPUs).
 * Every loop has a time limit; the parent kills the children of a phase
 * that fails, stops reporting progress (a byte after every step) or runs
 * past the phase's limit. The children restore the default action of
 * fatal signals (libfabric's psm providers install a backtrace handler
 * that can hang).
 *
 * Output: a table, then one key=value summary line. Exit status 0 when
 * every transfer completed and every check passed (fi_pingpong failing is
 * only reported), else 1.
 *
 * Usage: bench_sendrecv [--quick] [--paths tcp,shm,local|none] [--fi-pingpong PATH|none]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "cpu_noise.h"
#include "nrt/nrt.h"
#include "nrt/nrt_async_sendrecv.h"
#include "nrt/nrt_ext.h"

#define PROG "bench_sendrecv"
#define NSIZE 3
#define NFLIGHT 2
#define MAXK 8
#define MAXREP 9
#define PEER_IP "127.0.0.1"
#define LAT_BYTES 8

static const size_t SIZES[NSIZE] = {4096, 1u << 20, 64u << 20};
static const char *const SIZE_NAMES[NSIZE] = {"4KiB", "1MiB", "64MiB"};
static const int FLIGHTS[NFLIGHT] = {1, 8};

typedef enum { PATH_TCP, PATH_SHM, PATH_LOCAL, PATH_NUM } path_t;
static const char *const PATH_NAMES[PATH_NUM] = {"tcp;ofi_rxm", "shm", "local"};
static const char *const PATH_SHORT[PATH_NUM] = {"tcp", "shm", "local"};
static const char *const PATH_ENV[PATH_NUM] = {"tcp", "shm", NULL}; /* OPENNRT_SR_TRANSPORT */

static struct {
    bool quick;
    bool path_on[PATH_NUM];
    char fipp[4096];       /* fi_pingpong to run; "" for none */
    bool fipp_given;       /* --fi-pingpong */
    int nsizes;            /* sizes measured: 2 (<= 1 MiB) with --quick */
    double lat_window_s;   /* latency: time limit */
    long lat_warm;         /* latency: warm-up iterations */
    long lat_max;          /* latency: samples at most */
    double bw_window_s;    /* bandwidth: time per repetition */
    int bw_reps;           /* bandwidth: repetitions (the median is reported) */
    double memcpy_window_s;
    double connect_limit_s;
    double settle_s;       /* idle time between connected and the first timing */
    double test_limit_s;   /* a test past this fails */
    double phase_limit_s;  /* the parent kills a phase past this */
    int fi_lat_iters, fi_lat_runs, fi_bw_iters[NSIZE];
    double fi_limit_s;
} O;

/*===------------------------------------------------------------------===*/
/* Small helpers                                                          */
/*===------------------------------------------------------------------===*/

static char g_why[480]; /* the first failure of this process */
static long g_errors;   /* failures and wrong data seen */

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    g_errors++;
    if (g_why[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_why, sizeof g_why, fmt, ap);
    va_end(ap);
}

#define TRY(expr)                                                                                          \
    do {                                                                                                   \
        NRT_STATUS st_ = (expr);                                                                           \
        if (st_ != NRT_SUCCESS) {                                                                          \
            fail("%s returned %s (line %d)", #expr, nrt_get_status_as_str(st_), __LINE__);                 \
            return false;                                                                                  \
        }                                                                                                  \
    } while (0)

static void *xalloc(size_t n)
{
    size_t r = (n + 4095) & ~(size_t)4095;
    void *p = aligned_alloc(4096, r ? r : 4096);
    if (!p) {
        fprintf(stderr, PROG ": out of memory (%zu bytes)\n", n);
        exit(1);
    }
    memset(p, 0, r); /* fault the pages in now */
    return p;
}

static uint64_t deadline(double s)
{
    return bench_now_ns() + (uint64_t)(s * 1e9);
}

static bool write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        c += w;
        n -= (size_t)w;
    }
    return true;
}

/* Reads exactly |n| bytes within |limit_s|; false on EOF, error or time. */
static bool read_all_within(int fd, void *p, size_t n, double limit_s)
{
    char *c = p;
    uint64_t end = deadline(limit_s);
    while (n) {
        uint64_t now = bench_now_ns();
        if (now >= end)
            return false;
        struct pollfd pf = {fd, POLLIN, 0};
        int ms = (int)((end - now) / 1000000u) + 1;
        int r = poll(&pf, 1, ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        ssize_t got = read(fd, c, n);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (got <= 0)
            return false;
        c += got;
        n -= (size_t)got;
    }
    return true;
}

/* A free TCP port of 127.0.0.1 (bound to port 0, read, closed). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static void kill_wait(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    /* A killed process cannot remove its libfabric shm regions
     * (/dev/shm/<pid>:<n>:<n>); its peer may not have noticed either. */
    char path[64];
    for (int n = 0; n < 4; n++) {
        snprintf(path, sizeof path, "/dev/shm/%d:0:%d", (int)pid, n);
        unlink(path);
    }
}

/* Waits for |pid| up to |limit_s|, then kills it. Returns the wait status,
 * or -1 when it had to be killed. */
static int wait_within(pid_t pid, double limit_s)
{
    uint64_t end = deadline(limit_s);
    int st = 0;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return st;
        if (r < 0 && errno != EINTR)
            return -1;
        if (bench_now_ns() >= end) {
            kill_wait(pid);
            return -1;
        }
        bench_sleep_ns(2000000);
    }
}

static double gbps(double bytes, uint64_t ns)
{
    return ns ? bytes / (double)ns : NAN; /* bytes/ns = GB/s */
}


typedef struct noise {
    double sys, own;
    uint64_t t;
} noise_t;

static double sys_busy_s(void)
{
    double busy, steal;
    cpu_noise_sys_s(&busy, &steal);
    return busy;
}

static noise_t noise_begin(void)
{
    noise_t n = {sys_busy_s(), cpu_noise_own_s(true), bench_now_ns()};
    return n;
}

/* Percent of the machine other processes used since |n|. */
static double noise_end(noise_t n)
{
    double wall = (double)(bench_now_ns() - n.t) * 1e-9 * (double)sysconf(_SC_NPROCESSORS_ONLN);
    double v = wall > 0 ? 100.0 * ((sys_busy_s() - n.sys) - (cpu_noise_own_s(true) - n.own)) / wall : NAN;
    return v < 0 ? 0 : v;
}

/* Message layout of the streams: a stamp at the head, the sequence
 * number's hash at the tail, a fixed pattern everywhere else. */
typedef struct stamp {
    uint64_t seq;
    uint64_t total; /* messages in the test, 0 while the sender has not decided */
} stamp_t;

#define STAMP_TAIL 8

static inline uint64_t tail_of(uint64_t seq)
{
    return (seq + 1) * 0x9E3779B97F4A7C15ull ^ 0x5bd1e9955bd1e995ull;
}

static inline unsigned char pat(size_t off)
{
    return (unsigned char)(off * 131u + (off >> 11) + 7u);
}

static void pattern_fill(unsigned char *b, size_t size)
{
    for (size_t i = 0; i < size; i++)
        b[i] = pat(i);
}

static inline size_t mid_of(size_t size)
{
    return (size / 2) & ~(size_t)7;
}

/* Compares the payload of a message (between the stamps) with the pattern. */
static bool payload_ok(const unsigned char *b, const unsigned char *ref, size_t size)
{
    return memcmp(b + sizeof(stamp_t), ref + sizeof(stamp_t), size - sizeof(stamp_t) - STAMP_TAIL) == 0;
}

/*===------------------------------------------------------------------===*/
/* OpenNRT: one side of a phase                                           */
/*===------------------------------------------------------------------===*/

typedef struct role {
    const char *name; /* "A" (lnc 0) or "B" (lnc 1) */
    int lnc;          /* as given to the send/receive calls */
    int peer;         /* the peer's lnc */
    int vnc;          /* tensors: visible core index */
    nrt_async_sendrecv_comm_t *send, *recv;
    uint64_t sent, received; /* payload bytes completed, for comm_info.bytes */
} role_t;

typedef struct comm_desc {
    char transport[32];
    char text[200];
} comm_desc_t;

/* What a phase reports to the parent (per process). */
typedef struct phase_res {
    int ok;                  /* everything ran, every check passed */
    int path_ok;             /* comm_info named the intended path on every comm */
    char why[480];
    char warn[320];          /* comm_info accounting mismatches (not failures) */
    comm_desc_t comm[4];     /* A send, A recv, B send, B recv */
    int ncomm_set[4];
    double connect_ms;       /* nrt_async_sendrecv_init to every communicator connected */
    double lat_p50_us, lat_mean_us;
    long lat_n;
    double bw[NSIZE][NFLIGHT][3]; /* GB/s: median, min, max of the repetitions */
    long messages;           /* checked messages */
} phase_res_t;

static void res_init(phase_res_t *r)
{
    memset(r, 0, sizeof *r);
    r->lat_p50_us = r->lat_mean_us = r->connect_ms = NAN;
    for (int s = 0; s < NSIZE; s++)
        for (int f = 0; f < NFLIGHT; f++)
            r->bw[s][f][0] = r->bw[s][f][1] = r->bw[s][f][2] = NAN;
}

static bool has_comm(const phase_res_t *r)
{
    return r->ncomm_set[0] || r->ncomm_set[1] || r->ncomm_set[2] || r->ncomm_set[3];
}

static nrt_tensor_t *dev_tensor(int vnc, size_t size, const char *name, bool *ok)
{
    nrt_tensor_t *t = NULL;
    NRT_STATUS st = nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, vnc, size, name, &t);
    if (st != NRT_SUCCESS) {
        fail("nrt_tensor_allocate(DEVICE, %d, %zu) returned %s", vnc, size, nrt_get_status_as_str(st));
        *ok = false;
        return NULL;
    }
    memset(nrt_tensor_get_va(t), 0, size); /* storage is mapped lazily */
    return t;
}

/* Tests |*rq|; once done, checks the size and clears *rq (the request is
 * gone once test_request reported it done). */
static bool req_poll(nrt_async_sendrecv_request_t **rq, size_t expect, const char *what, bool *done)
{
    bool d = false;
    size_t sz = 0;
    NRT_STATUS st = nrt_async_sendrecv_test_request(*rq, &d, &sz);
    if (st != NRT_SUCCESS) {
        fail("%s: nrt_async_sendrecv_test_request returned %s", what, nrt_get_status_as_str(st));
        return false;
    }
    if (d) {
        *rq = NULL;
        if (sz != expect) {
            fail("%s: completed with size %zu, expected %zu", what, sz, expect);
            return false;
        }
    }
    *done = d;
    return true;
}

/* Steps one state machine; drive() runs them until all have finished. */
typedef struct stepper {
    bool (*step)(void *);
    void *ctx;
    const bool *finished;
    void (*state)(void *, char *, size_t); /* where it stands, for a timeout's message */
} stepper_t;

/* "; <comm> pending N, bytes B" from comm_info. */
static size_t comm_state(nrt_async_sendrecv_comm_t *c, const char *name, char *b, size_t n)
{
    nrtx_sendrecv_comm_info_t in;
    memset(&in, 0, sizeof in);
    if (!c || nrtx_async_sendrecv_comm_info(c, &in) != NRT_SUCCESS)
        return 0;
    int w = snprintf(b, n, "; %s comm: pending %u, bytes %llu%s", name, in.pending, (unsigned long long)in.bytes,
                     in.failed ? ", FAILED" : "");
    return w < 0 ? 0 : (size_t)w < n ? (size_t)w : n - 1;
}

static bool drive(stepper_t *s, int n, const char *what)
{
    uint64_t end = deadline(O.test_limit_s);
    for (unsigned it = 1;; it++) {
        bool all = true;
        for (int i = 0; i < n; i++) {
            if (*s[i].finished)
                continue;
            if (!s[i].step(s[i].ctx))
                return false;
            all = all && *s[i].finished;
        }
        if (all)
            return true;
        if ((it & 255) == 0 && bench_now_ns() >= end) {
            char st[2][160] = {"", ""};
            for (int i = 0; i < n && i < 2; i++)
                if (s[i].state && !*s[i].finished)
                    s[i].state(s[i].ctx, st[i], sizeof st[i]);
            fail("%s: not done after %.0f s (%s%s%s)", what, O.test_limit_s, st[0], st[0][0] && st[1][0] ? " | " : "",
                 st[1]);
            return false;
        }
    }
}

/* ---- ping-pong -------------------------------------------------------- */

typedef struct pp {
    role_t *r;
    nrt_tensor_t *ts, *tr;
    unsigned char *vs, *vr;
    nrt_async_sendrecv_request_t *rs, *rr;
    int state;
    long i;           /* iteration */
    uint64_t v;       /* the value of this iteration: i << 1 | stop */
    uint64_t t0, t_end;
    double *samples;  /* A: one-way ns per iteration after the warm-up */
    long n;
    bool finished;
} pp_t;

/* A: posts a receive then a send, waits for both. */
static bool ppa_step(void *c)
{
    pp_t *p = c;
    bool d;
    if (p->state == 0) {
        uint64_t now = bench_now_ns();
        if (p->i == O.lat_warm)
            p->t_end = now + (uint64_t)(O.lat_window_s * 1e9); /* the window starts after the warm-up */
        bool stop = p->i > O.lat_warm && (p->n >= O.lat_max || now >= p->t_end);
        p->v = ((uint64_t)p->i << 1) | (stop ? 1u : 0u);
        memcpy(p->vs, &p->v, 8);
        memcpy(p->vr, &p->v, 8); /* poison: the answer is ~v */
        p->t0 = bench_now_ns();
        TRY(nrt_async_sendrecv_recv_tensor(p->tr, 0, LAT_BYTES, p->r->recv, &p->rr));
        TRY(nrt_async_sendrecv_send_tensor(p->ts, 0, LAT_BYTES, p->r->send, &p->rs));
        p->state = 1;
        return true;
    }
    if (p->rr && !req_poll(&p->rr, LAT_BYTES, "ping-pong A recv", &d))
        return false;
    if (p->rs && !req_poll(&p->rs, LAT_BYTES, "ping-pong A send", &d))
        return false;
    if (p->rr || p->rs)
        return true;
    uint64_t t1 = bench_now_ns();
    uint64_t got;
    memcpy(&got, p->vr, 8);
    if (got != ~p->v) {
        fail("ping-pong: iteration %ld: A received 0x%016llx, expected 0x%016llx", p->i, (unsigned long long)got,
             (unsigned long long)~p->v);
        return false;
    }
    p->r->sent += LAT_BYTES;
    p->r->received += LAT_BYTES;
    if (p->i >= O.lat_warm)
        p->samples[p->n++] = (double)(t1 - p->t0) / 2.0;
    p->i++;
    p->state = 0;
    p->finished = (p->v & 1) != 0;
    return true;
}

/* B: posts a receive, waits, posts the answer, waits. */
static bool ppb_step(void *c)
{
    pp_t *p = c;
    bool d;
    switch (p->state) {
    case 0: {
        uint64_t poison = ((uint64_t)p->i << 1) ^ 0xdeadbeefcafef00dull;
        memcpy(p->vr, &poison, 8);
        TRY(nrt_async_sendrecv_recv_tensor(p->tr, 0, LAT_BYTES, p->r->recv, &p->rr));
        p->state = 1;
        return true;
    }
    case 1:
        if (!req_poll(&p->rr, LAT_BYTES, "ping-pong B recv", &d))
            return false;
        if (!d)
            return true;
        memcpy(&p->v, p->vr, 8);
        if ((p->v >> 1) != (uint64_t)p->i) {
            fail("ping-pong: iteration %ld: B received 0x%016llx", p->i, (unsigned long long)p->v);
            return false;
        }
        p->r->received += LAT_BYTES;
        {
            uint64_t ans = ~p->v;
            memcpy(p->vs, &ans, 8);
        }
        TRY(nrt_async_sendrecv_send_tensor(p->ts, 0, LAT_BYTES, p->r->send, &p->rs));
        p->state = 2;
        return true;
    default:
        if (!req_poll(&p->rs, LAT_BYTES, "ping-pong B send", &d))
            return false;
        if (!d)
            return true;
        p->r->sent += LAT_BYTES;
        p->i++;
        p->state = 0;
        p->finished = (p->v & 1) != 0;
        return true;
    }
}

static void pp_state(void *c, char *b, size_t n)
{
    pp_t *p = c;
    int w = snprintf(b, n, "%s: iteration %ld, state %d, send %s, recv %s", p->r->name, p->i, p->state,
                     p->rs ? "pending" : "-", p->rr ? "pending" : "-");
    size_t k = w < 0 ? 0 : (size_t)w < n ? (size_t)w : n - 1;
    k += comm_state(p->r->send, "send", b + k, n - k);
    comm_state(p->r->recv, "recv", b + k, n - k);
}

static bool pp_setup(pp_t *p, role_t *r, bool with_samples)
{
    bool ok = true;
    memset(p, 0, sizeof *p);
    p->r = r;
    p->ts = dev_tensor(r->vnc, LAT_BYTES, "pp_send", &ok);
    if (ok)
        p->tr = dev_tensor(r->vnc, LAT_BYTES, "pp_recv", &ok);
    if (!ok)
        return false;
    p->vs = nrt_tensor_get_va(p->ts);
    p->vr = nrt_tensor_get_va(p->tr);
    if (with_samples)
        p->samples = calloc((size_t)O.lat_max + 2, sizeof(double));
    p->t_end = UINT64_MAX;
    return true;
}

static void pp_free(pp_t *p)
{
    nrt_tensor_free(&p->ts);
    nrt_tensor_free(&p->tr);
    free(p->samples);
    p->samples = NULL;
}

static void pp_stats(pp_t *a, phase_res_t *res)
{
    if (a->n <= 0)
        return;
    double sum = 0;
    for (long i = 0; i < a->n; i++)
        sum += a->samples[i];
    res->lat_mean_us = sum / (double)a->n / 1000.0;
    res->lat_p50_us = bench_quantile(a->samples, (size_t)a->n, 0.5) / 1000.0;
    res->lat_n = a->n;
}

/* ---- streams ---------------------------------------------------------- */

typedef struct stream {
    role_t *r;
    size_t size;
    int k;
    nrt_tensor_t *t; /* k slots of |size| */
    unsigned char *va;
    unsigned char *ref; /* receiver: the pattern, for the last message */
    nrt_async_sendrecv_request_t *q[MAXK];
    long posted, completed;
    long total;        /* messages in the test, 0 until known */
    long warm;         /* receiver: the clock starts at this message's completion */
    long min_msgs;     /* sender: messages before it may stop */
    uint64_t t_end;    /* sender: stop posting after this */
    uint64_t t_warm, t_last;
    bool finished;
} stream_t;

static bool tx_step(void *c)
{
    stream_t *x = c;
    bool d;
    while (x->completed < x->posted) {
        if (!req_poll(&x->q[x->completed % x->k], x->size, "stream send", &d))
            return false;
        if (!d)
            break;
        x->completed++;
        x->r->sent += x->size;
    }
    while (x->posted - x->completed < x->k && (x->total == 0 || x->posted < x->total)) {
        if (x->total == 0 && x->posted >= x->min_msgs && bench_now_ns() >= x->t_end)
            x->total = x->posted + x->k; /* message total - k carries it first */
        unsigned char *b = x->va + (size_t)(x->posted % x->k) * x->size;
        stamp_t h = {(uint64_t)x->posted, (uint64_t)x->total};
        uint64_t tail = tail_of((uint64_t)x->posted);
        memcpy(b, &h, sizeof h);
        memcpy(b + x->size - STAMP_TAIL, &tail, STAMP_TAIL);
        TRY(nrt_async_sendrecv_send_tensor(x->t, (size_t)(x->posted % x->k) * x->size, x->size, x->r->send,
                                           &x->q[x->posted % x->k]));
        x->posted++;
    }
    x->finished = x->total != 0 && x->completed == x->total;
    return true;
}

static bool rx_step(void *c)
{
    stream_t *x = c;
    bool d;
    size_t mid = mid_of(x->size);
    while (x->posted - x->completed < x->k && (x->total == 0 || x->posted < x->total)) {
        unsigned char *b = x->va + (size_t)(x->posted % x->k) * x->size;
        stamp_t h = {~0ull, ~0ull};
        uint64_t tail = ~tail_of((uint64_t)x->posted);
        unsigned char m[8];
        for (int i = 0; i < 8; i++)
            m[i] = (unsigned char)~x->ref[mid + (size_t)i];
        memcpy(b, &h, sizeof h);
        memcpy(b + x->size - STAMP_TAIL, &tail, STAMP_TAIL);
        memcpy(b + mid, m, 8);
        TRY(nrt_async_sendrecv_recv_tensor(x->t, (size_t)(x->posted % x->k) * x->size, x->size, x->r->recv,
                                           &x->q[x->posted % x->k]));
        x->posted++;
    }
    while (x->completed < x->posted) {
        if (!req_poll(&x->q[x->completed % x->k], x->size, "stream recv", &d))
            return false;
        if (!d)
            break;
        uint64_t now = bench_now_ns();
        const unsigned char *b = x->va + (size_t)(x->completed % x->k) * x->size;
        stamp_t h;
        uint64_t tail;
        memcpy(&h, b, sizeof h);
        memcpy(&tail, b + x->size - STAMP_TAIL, STAMP_TAIL);
        if (h.seq != (uint64_t)x->completed || tail != tail_of((uint64_t)x->completed) ||
            memcmp(b + mid, x->ref + mid, 8) != 0) {
            fail("stream %zu B x%d: message %ld arrived wrong (head seq %llu, tail %s, middle %s)", x->size, x->k,
                 x->completed, (unsigned long long)h.seq, tail == tail_of((uint64_t)x->completed) ? "ok" : "wrong",
                 memcmp(b + mid, x->ref + mid, 8) == 0 ? "ok" : "wrong");
            return false;
        }
        if (h.total) {
            if (x->total && (uint64_t)x->total != h.total) {
                fail("stream: message %ld says %llu messages, an earlier one %ld", x->completed,
                     (unsigned long long)h.total, x->total);
                return false;
            }
            x->total = (long)h.total;
        }
        if (x->completed == x->warm)
            x->t_warm = now;
        x->t_last = now;
        x->completed++;
        x->r->received += x->size;
    }
    x->finished = x->total != 0 && x->completed == x->total;
    return true;
}

static void tx_state(void *c, char *b, size_t n)
{
    stream_t *x = c;
    int w = snprintf(b, n, "sender: posted %ld, completed %ld, total %ld", x->posted, x->completed, x->total);
    size_t k = w < 0 ? 0 : (size_t)w < n ? (size_t)w : n - 1;
    comm_state(x->r->send, "send", b + k, n - k);
}

static void rx_state(void *c, char *b, size_t n)
{
    stream_t *x = c;
    int w = snprintf(b, n, "receiver: posted %ld, completed %ld, total %ld", x->posted, x->completed, x->total);
    size_t k = w < 0 ? 0 : (size_t)w < n ? (size_t)w : n - 1;
    comm_state(x->r->recv, "recv", b + k, n - k);
}

static bool stream_setup(stream_t *x, role_t *r, size_t size, int k, bool sender)
{
    bool ok = true;
    memset(x, 0, sizeof *x);
    x->r = r;
    x->size = size;
    x->k = k;
    x->warm = k + 1;
    x->min_msgs = x->warm + 2;
    x->t = dev_tensor(r->vnc, size * (size_t)k, sender ? "stream_send" : "stream_recv", &ok);
    if (!ok)
        return false;
    x->va = nrt_tensor_get_va(x->t);
    x->ref = xalloc(size);
    pattern_fill(x->ref, size);
    if (sender)
        for (int i = 0; i < k; i++)
            memcpy(x->va + (size_t)i * size, x->ref, size);
    return true;
}

/* Starts a repetition: the counters from zero, the sender's window now. */
static void stream_start(stream_t *x)
{
    x->posted = x->completed = x->total = 0;
    x->t_warm = x->t_last = 0;
    x->finished = false;
    for (int i = 0; i < MAXK; i++)
        x->q[i] = NULL;
    x->t_end = deadline(O.bw_window_s);
}

/* Median, min and max of |n| repetitions into |out| (sorts |v|). */
static void rep_stats(double *v, int n, double out[3])
{
    out[0] = bench_quantile(v, (size_t)n, 0.5);
    out[1] = v[0];
    out[2] = v[n - 1];
}

/* After the receiver finished: the last message whole, and the rate. */
static bool rx_finish(stream_t *x, double *bw)
{
    const unsigned char *b = x->va + (size_t)((x->total - 1) % x->k) * x->size;
    if (!payload_ok(b, x->ref, x->size)) {
        fail("stream %zu B x%d: the last message's payload differs from what was sent", x->size, x->k);
        return false;
    }
    long counted = x->total - 1 - x->warm;
    *bw = gbps((double)counted * (double)x->size, x->t_last - x->t_warm);
    return true;
}

static void stream_free(stream_t *x)
{
    nrt_tensor_free(&x->t);
    free(x->ref);
    x->ref = NULL;
}

/* ---- connecting ------------------------------------------------------- */

static bool sr_wait_comms(nrt_async_sendrecv_comm_t **c, int n)
{
    bool done[4] = {false, false, false, false};
    uint64_t end = deadline(O.connect_limit_s);
    for (;;) {
        bool all = true;
        for (int i = 0; i < n; i++) {
            if (done[i])
                continue;
            TRY(nrt_async_sendrecv_test_comm(c[i], &done[i]));
            all = all && done[i];
        }
        if (all)
            return true;
        if (bench_now_ns() >= end) {
            fail("communicators not connected after %.0f s", O.connect_limit_s);
            return false;
        }
        bench_sleep_ns(20000);
    }
}

static void describe(nrt_async_sendrecv_comm_t *c, const char *what, path_t path, comm_desc_t *d, int *set,
                     int *path_ok)
{
    *set = 1;
    nrtx_sendrecv_comm_info_t in;
    memset(&in, 0, sizeof in);
    NRT_STATUS st = nrtx_async_sendrecv_comm_info(c, &in);
    if (st != NRT_SUCCESS) {
        snprintf(d->transport, sizeof d->transport, "?");
        snprintf(d->text, sizeof d->text, "%s: nrtx_async_sendrecv_comm_info returned %s", what,
                 nrt_get_status_as_str(st));
        *path_ok = 0;
        return;
    }
    in.transport[sizeof in.transport - 1] = '\0';
    in.peer[sizeof in.peer - 1] = '\0';
    snprintf(d->transport, sizeof d->transport, "%s", in.transport);
    snprintf(d->text, sizeof d->text, "%s: transport \"%s\", peer \"%s\", %s, %s%s", what, in.transport, in.peer,
             in.is_send ? "send" : "recv", in.connected ? "connected" : "NOT connected",
             in.failed ? ", FAILED" : "");
    if (strcmp(in.transport, PATH_NAMES[path]) != 0 || !in.connected || in.failed)
        *path_ok = 0;
}

/* comm_info's byte counts and pending requests after every test. */
static void check_accounting(role_t *r, phase_res_t *res)
{
    nrt_async_sendrecv_comm_t *c[2] = {r->send, r->recv};
    uint64_t want[2] = {r->sent, r->received};
    for (int i = 0; i < 2; i++) {
        nrtx_sendrecv_comm_info_t in;
        memset(&in, 0, sizeof in);
        if (nrtx_async_sendrecv_comm_info(c[i], &in) != NRT_SUCCESS)
            continue;
        if ((in.bytes != want[i] || in.pending != 0) && !res->warn[0])
            snprintf(res->warn, sizeof res->warn,
                     "%s %s comm: comm_info says bytes=%llu pending=%u, expected bytes=%llu pending=0", r->name,
                     i ? "recv" : "send", (unsigned long long)in.bytes, in.pending, (unsigned long long)want[i]);
    }
}

/* ---- the two-process phase, one side ---------------------------------- */

static int sync_r = -1, sync_w = -1;
static int beat_fd = -1; /* the result pipe: 'h' after each step, 'R' + the result at the end */

/* Tells the parent this process is still making progress. */
static void beat(void)
{
    char h = 'h';
    if (beat_fd >= 0 && !write_all(beat_fd, &h, 1))
        beat_fd = -1;
}

/* Idles after connecting, so that what the runtime still does in the
 * background (its progress threads open their libfabric endpoints when
 * they start, which takes up to seconds) is over before the timings. */
static void settle(void)
{
    if (O.settle_s > 0)
        bench_sleep_ns((uint64_t)(O.settle_s * 1e9));
}

/* Crashes die as crashes: libfabric's psm providers (libinfinipath) catch
 * SIGSEGV, SIGABRT and others with a backtrace printer that can hang on a
 * corrupted heap; the parent then would only see a silent child. */
static void default_fatal_signals(void)
{
    static const int sig[] = {SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE};
    for (size_t i = 0; i < sizeof sig / sizeof sig[0]; i++)
        signal(sig[i], SIG_DFL);
}

static bool barrier(void)
{
    char c = 'b';
    if (!write_all(sync_w, &c, 1) || !read_all_within(sync_r, &c, 1, O.test_limit_s)) {
        fail("the peer process is gone (or %.0f s late)", O.test_limit_s);
        return false;
    }
    return true;
}

static bool side_body(path_t path, role_t *r, bool is_a, phase_res_t *res)
{
    TRY(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    int maxp = 0;
    TRY(nrt_async_sendrecv_get_max_num_pending_request(&maxp));
    if (maxp < MAXK) {
        fail("at most %d pending requests; this benchmark needs %d", maxp, MAXK);
        return false;
    }
    uint64_t t_init = bench_now_ns();
    TRY(nrt_async_sendrecv_init(r->lnc));
    default_fatal_signals();
    beat();
    /* A connects first, B accepts first: correct even if either call
     * blocked until the peer's counterpart. */
    if (is_a) {
        TRY(nrt_async_sendrecv_connect(PEER_IP, r->peer, r->lnc, &r->send));
        TRY(nrt_async_sendrecv_accept(PEER_IP, r->peer, r->lnc, &r->recv));
    } else {
        TRY(nrt_async_sendrecv_accept(PEER_IP, r->peer, r->lnc, &r->recv));
        TRY(nrt_async_sendrecv_connect(PEER_IP, r->peer, r->lnc, &r->send));
    }
    nrt_async_sendrecv_comm_t *cs[2] = {r->send, r->recv};
    if (!sr_wait_comms(cs, 2))
        return false;
    res->connect_ms = (double)(bench_now_ns() - t_init) * 1e-6;
    settle();
    default_fatal_signals();
    beat();
    int base = is_a ? 0 : 2;
    res->path_ok = 1;
    char w[64];
    snprintf(w, sizeof w, "%s (lnc %d) send", r->name, r->lnc);
    describe(r->send, w, path, &res->comm[base], &res->ncomm_set[base], &res->path_ok);
    snprintf(w, sizeof w, "%s (lnc %d) recv", r->name, r->lnc);
    describe(r->recv, w, path, &res->comm[base + 1], &res->ncomm_set[base + 1], &res->path_ok);

    /* Latency. */
    pp_t p;
    if (!pp_setup(&p, r, is_a) || !barrier())
        return false;
    stepper_t s1 = {is_a ? ppa_step : ppb_step, &p, &p.finished, pp_state};
    if (!drive(&s1, 1, "ping-pong"))
        return false;
    if (is_a)
        pp_stats(&p, res);
    pp_free(&p);
    beat();

    /* Bandwidth, A -> B. */
    for (int si = 0; si < O.nsizes; si++)
        for (int fi = 0; fi < NFLIGHT; fi++) {
            stream_t x;
            double v[MAXREP];
            if (!stream_setup(&x, r, SIZES[si], FLIGHTS[fi], is_a))
                return false;
            for (int rep = 0; rep < O.bw_reps; rep++) {
                if (!barrier())
                    return false;
                stream_start(&x);
                stepper_t s2 = {is_a ? tx_step : rx_step, &x, &x.finished, is_a ? tx_state : rx_state};
                char what[64];
                snprintf(what, sizeof what, "stream %s x%d", SIZE_NAMES[si], FLIGHTS[fi]);
                if (!drive(&s2, 1, what))
                    return false;
                if (!is_a) {
                    TRY(nrt_async_sendrecv_flush(r->lnc));
                    if (!rx_finish(&x, &v[rep]))
                        return false;
                    res->messages += x.total;
                }
                beat();
            }
            if (!is_a)
                rep_stats(v, O.bw_reps, res->bw[si][fi]);
            stream_free(&x);
        }
    if (!barrier())
        return false;
    check_accounting(r, res);
    if (!barrier()) /* neither side closes while the other still looks */
        return false;
    TRY(nrt_async_sendrecv_close(r->lnc));
    nrt_close();
    return true;
}

/* ---- the local phase: two cores, one process, one thread -------------- */

static bool local_body(phase_res_t *res)
{
    role_t a = {"A", 0, 1, 0, NULL, NULL, 0, 0}, b = {"B", 1, 0, 1, NULL, NULL, 0, 0};
    TRY(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    int maxp = 0;
    TRY(nrt_async_sendrecv_get_max_num_pending_request(&maxp));
    if (maxp < MAXK) {
        fail("at most %d pending requests; this benchmark needs %d", maxp, MAXK);
        return false;
    }
    uint64_t t_init = bench_now_ns();
    TRY(nrt_async_sendrecv_init(a.lnc));
    TRY(nrt_async_sendrecv_init(b.lnc));
    default_fatal_signals();
    beat();
    TRY(nrt_async_sendrecv_accept(PEER_IP, a.lnc, b.lnc, &b.recv));
    TRY(nrt_async_sendrecv_connect(PEER_IP, b.lnc, a.lnc, &a.send));
    TRY(nrt_async_sendrecv_accept(PEER_IP, b.lnc, a.lnc, &a.recv));
    TRY(nrt_async_sendrecv_connect(PEER_IP, a.lnc, b.lnc, &b.send));
    nrt_async_sendrecv_comm_t *cs[4] = {a.send, a.recv, b.send, b.recv};
    if (!sr_wait_comms(cs, 4))
        return false;
    res->connect_ms = (double)(bench_now_ns() - t_init) * 1e-6;
    settle();
    default_fatal_signals();
    beat();
    res->path_ok = 1;
    describe(a.send, "lnc 0 send (to lnc 1)", PATH_LOCAL, &res->comm[0], &res->ncomm_set[0], &res->path_ok);
    describe(a.recv, "lnc 0 recv (from lnc 1)", PATH_LOCAL, &res->comm[1], &res->ncomm_set[1], &res->path_ok);
    describe(b.send, "lnc 1 send (to lnc 0)", PATH_LOCAL, &res->comm[2], &res->ncomm_set[2], &res->path_ok);
    describe(b.recv, "lnc 1 recv (from lnc 0)", PATH_LOCAL, &res->comm[3], &res->ncomm_set[3], &res->path_ok);

    pp_t pa, pb;
    if (!pp_setup(&pa, &a, true) || !pp_setup(&pb, &b, false))
        return false;
    stepper_t s1[2] = {{ppb_step, &pb, &pb.finished, pp_state}, {ppa_step, &pa, &pa.finished, pp_state}};
    if (!drive(s1, 2, "ping-pong"))
        return false;
    pp_stats(&pa, res);
    pp_free(&pa);
    pp_free(&pb);
    beat();

    for (int si = 0; si < O.nsizes; si++)
        for (int fi = 0; fi < NFLIGHT; fi++) {
            stream_t tx, rx;
            double v[MAXREP];
            if (!stream_setup(&tx, &a, SIZES[si], FLIGHTS[fi], true) ||
                !stream_setup(&rx, &b, SIZES[si], FLIGHTS[fi], false))
                return false;
            for (int rep = 0; rep < O.bw_reps; rep++) {
                stream_start(&tx);
                stream_start(&rx);
                /* The receiver steps first, so that its receives are
                 * posted before the sends arrive. */
                stepper_t s2[2] = {{rx_step, &rx, &rx.finished, rx_state}, {tx_step, &tx, &tx.finished, tx_state}};
                char what[64];
                snprintf(what, sizeof what, "stream %s x%d", SIZE_NAMES[si], FLIGHTS[fi]);
                if (!drive(s2, 2, what))
                    return false;
                TRY(nrt_async_sendrecv_flush(b.lnc));
                if (!rx_finish(&rx, &v[rep]))
                    return false;
                res->messages += rx.total;
                beat();
            }
            rep_stats(v, O.bw_reps, res->bw[si][fi]);
            stream_free(&tx);
            stream_free(&rx);
        }
    check_accounting(&a, res);
    check_accounting(&b, res);
    TRY(nrt_async_sendrecv_close(a.lnc));
    TRY(nrt_async_sendrecv_close(b.lnc));
    nrt_close();
    return true;
}

/*===------------------------------------------------------------------===*/
/* OpenNRT: the parent's side of a phase                                  */
/*===------------------------------------------------------------------===*/

static void child_finish(int resfd, bool ran, phase_res_t *res)
{
    res->ok = ran && g_errors == 0;
    snprintf(res->why, sizeof res->why, "%s", g_why);
    fflush(NULL);
    char r = 'R'; /* the result follows */
    bool w = write_all(resfd, &r, 1) && write_all(resfd, res, sizeof *res);
    _exit(res->ok && w ? 0 : 1);
}

/* Runs the phase of |path|; out[0] is A's (or the local process's) result,
 * out[1] B's. Returns false when it failed. */
static bool run_phase(path_t path, phase_res_t out[2])
{
    res_init(&out[0]);
    res_init(&out[1]);
    char port[16];
    int pn = free_port();
    if (pn <= 0) {
        snprintf(out[0].why, sizeof out[0].why, "no free port for the bootstrap");
        return false;
    }
    snprintf(port, sizeof port, "%d", pn);
    setenv("NEURON_RT_ASYNC_SENDRECV_BOOTSTRAP_PORT", port, 1); /* inherited */
    if (PATH_ENV[path])
        setenv("OPENNRT_SR_TRANSPORT", PATH_ENV[path], 1);
    else
        unsetenv("OPENNRT_SR_TRANSPORT"); /* auto */

    int nproc = path == PATH_LOCAL ? 1 : 2;
    int res_p[2][2], ab[2], ba[2];
    pid_t pid[2] = {-1, -1};
    if (pipe2(ab, O_CLOEXEC) || pipe2(ba, O_CLOEXEC) || pipe2(res_p[0], O_CLOEXEC) || pipe2(res_p[1], O_CLOEXEC)) {
        fprintf(stderr, PROG ": pipe: %s\n", strerror(errno));
        exit(1);
    }
    fflush(NULL);
    for (int i = 0; i < nproc; i++) {
        pid[i] = fork();
        if (pid[i] < 0) {
            fprintf(stderr, PROG ": fork: %s\n", strerror(errno));
            exit(1);
        }
        if (pid[i] == 0) {
            g_why[0] = '\0'; /* this process's own failures only */
            g_errors = 0;
            phase_res_t res;
            res_init(&res);
            int resfd = res_p[i][1];
            beat_fd = resfd;
            default_fatal_signals();
            close(res_p[0][0]);
            close(res_p[1][0]);
            close(res_p[1 - i][1]);
            if (path == PATH_LOCAL) {
                close(ab[0]), close(ab[1]), close(ba[0]), close(ba[1]);
                unsetenv("NEURON_RT_VISIBLE_CORES");
                setenv("NEURON_RT_NUM_CORES", "2", 1);
                child_finish(resfd, local_body(&res), &res);
            }
            bool is_a = i == 0;
            sync_w = is_a ? ab[1] : ba[1];
            sync_r = is_a ? ba[0] : ab[0];
            close(is_a ? ab[0] : ba[0]);
            close(is_a ? ba[1] : ab[1]);
            setenv("NEURON_RT_VISIBLE_CORES", is_a ? "0" : "1", 1);
            unsetenv("NEURON_RT_NUM_CORES");
            role_t r = {is_a ? "A" : "B", is_a ? 0 : 1, is_a ? 1 : 0, 0, NULL, NULL, 0, 0};
            child_finish(resfd, side_body(path, &r, is_a, &res), &res);
        }
    }
    close(ab[0]), close(ab[1]), close(ba[0]), close(ba[1]);
    close(res_p[0][1]), close(res_p[1][1]);
    if (nproc == 1)
        close(res_p[1][0]);

    /* Collect: 'h' bytes (progress), then 'R' and the result. A failure,
     * no progress for longer than any step may take, or the phase's time
     * limit kills every child of the phase. */
    size_t got[2] = {0, 0};
    bool open_[2] = {true, nproc > 1}, in_res[2] = {false, false};
    bool killed = false, timed_out = false, hung[2] = {false, false};
    uint64_t now = bench_now_ns(), end = deadline(O.phase_limit_s), grace_end = UINT64_MAX;
    double step_s = O.connect_limit_s > O.test_limit_s ? O.connect_limit_s : O.test_limit_s;
    uint64_t beat_ns = (uint64_t)((step_s + 15) * 1e9);
    uint64_t last_beat[2] = {now, now};
    while (open_[0] || open_[1]) {
        struct pollfd pf[2];
        int idx[2], n = 0;
        now = bench_now_ns();
        uint64_t limit = end < grace_end ? end : grace_end;
        for (int i = 0; i < 2; i++)
            if (open_[i]) {
                pf[n].fd = res_p[i][0];
                pf[n].events = POLLIN;
                pf[n].revents = 0;
                idx[n++] = i;
                if (last_beat[i] + beat_ns < limit)
                    limit = last_beat[i] + beat_ns;
            }
        if (now >= limit) {
            timed_out = now >= end;
            for (int i = 0; i < 2; i++)
                hung[i] = open_[i] && now >= last_beat[i] + beat_ns;
            killed = true;
            break;
        }
        int r = poll(pf, (nfds_t)n, (int)((limit - now) / 1000000u) + 1);
        if (r < 0 && errno != EINTR)
            break;
        for (int j = 0; j < n; j++) {
            if (!pf[j].revents)
                continue;
            int i = idx[j];
            char buf[4096];
            ssize_t m = read(res_p[i][0], buf, sizeof buf);
            if (m < 0 && errno == EINTR)
                continue;
            for (ssize_t b = 0; b < m && got[i] < sizeof out[i]; b++) {
                if (in_res[i])
                    ((char *)&out[i])[got[i]++] = buf[b];
                else if (buf[b] == 'R')
                    in_res[i] = true;
                else
                    last_beat[i] = bench_now_ns();
            }
            if (m <= 0 || got[i] == sizeof out[i]) {
                open_[i] = false;
                bool bad = got[i] != sizeof out[i] || !out[i].ok;
                if (bad && !killed) {
                    killed = true; /* the other one gets a moment to report its own view */
                    grace_end = bench_now_ns() + 1000000000ull;
                }
            }
        }
    }
    int status[2] = {0, 0};
    bool by_us[2] = {false, false};
    for (int i = 0; i < nproc; i++) {
        pid_t w;
        while ((w = waitpid(pid[i], &status[i], WNOHANG)) < 0 && errno == EINTR)
            ;
        if (w != pid[i]) {
            if (killed || timed_out) {
                kill_wait(pid[i]);
                by_us[i] = true;
            } else {
                status[i] = wait_within(pid[i], 10.0);
                by_us[i] = status[i] == -1;
            }
        }
        close(res_p[i][0]);
    }
    bool ok = true;
    for (int i = 0; i < nproc; i++) {
        if (got[i] != sizeof out[i]) {
            res_init(&out[i]);
            if (by_us[i] && hung[i])
                snprintf(out[i].why, sizeof out[i].why, "killed: no progress for %.0f s (hung?)",
                         (double)beat_ns * 1e-9);
            else if (by_us[i])
                snprintf(out[i].why, sizeof out[i].why, "%s",
                         timed_out ? "killed: the phase ran past its time limit"
                                   : "killed after the other process failed");
            else if (WIFSIGNALED(status[i]))
                snprintf(out[i].why, sizeof out[i].why, "died without a result (signal %d)", WTERMSIG(status[i]));
            else
                snprintf(out[i].why, sizeof out[i].why, "died without a result (exit status %d)",
                         WIFEXITED(status[i]) ? WEXITSTATUS(status[i]) : -1);
        }
        ok = ok && got[i] == sizeof out[i] && out[i].ok;
    }
    return ok;
}

/*===------------------------------------------------------------------===*/
/* Baseline: memcpy                                                       */
/*===------------------------------------------------------------------===*/

/* Copies of |size| bytes rotating over |k| source and |k| destination
 * buffers (the working set of a stream with k transfers in flight). */
static double memcpy_bw(size_t size, int k)
{
    unsigned char *src = xalloc(size * (size_t)k), *dst = xalloc(size * (size_t)k);
    for (int i = 0; i < k; i++)
        pattern_fill(src + (size_t)i * size, size);
    double v[3];
    for (int w = 0; w < k + 2; w++)
        memcpy(dst + (size_t)(w % k) * size, src + (size_t)(w % k) * size, size);
    for (int rep = 0; rep < 3; rep++) {
        long n = 0;
        uint64_t t0 = bench_now_ns(), end = t0 + (uint64_t)(O.memcpy_window_s / 3 * 1e9), t1;
        do {
            for (int j = 0; j < 8; j++, n++) {
                size_t o = (size_t)(n % k) * size;
                memcpy(dst + o, src + o, size);
                __asm__ __volatile__("" ::: "memory");
            }
            t1 = bench_now_ns();
        } while (t1 < end);
        v[rep] = gbps((double)n * (double)size, t1 - t0);
    }
    if (memcmp(dst, src, size * (size_t)k) != 0)
        fail("memcpy baseline: the copy differs");
    free(src);
    free(dst);
    return bench_quantile(v, 3, 0.5);
}

/*===------------------------------------------------------------------===*/
/* Baseline: a plain TCP socket program                                   */
/*===------------------------------------------------------------------===*/

typedef struct sock_res {
    bool ok;
    double lat_p50_us, lat_mean_us;
    long lat_n;
    double bw[NSIZE]; /* streaming, GB/s at the receiver */
} sock_res_t;

static bool sock_send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            fail("socket send: %s", w < 0 ? strerror(errno) : "closed");
            return false;
        }
        c += w;
        n -= (size_t)w;
    }
    return true;
}

/* Blocking receive of exactly |n| bytes (SO_RCVTIMEO bounds each wait). */
static bool sock_recv_all(int fd, void *p, size_t n)
{
    char *c = p;
    while (n) {
        ssize_t r = recv(fd, c, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            fail("socket recv: %s", r < 0 ? strerror(errno) : "peer closed");
            return false;
        }
        c += r;
        n -= (size_t)r;
    }
    return true;
}

/* Busy-polled non-blocking receive of exactly |n| bytes, bounded. */
static bool sock_recv_spin(int fd, void *p, size_t n, uint64_t end)
{
    char *c = p;
    for (unsigned it = 1; n; it++) {
        ssize_t r = recv(fd, c, n, MSG_DONTWAIT);
        if (r > 0) {
            c += r;
            n -= (size_t)r;
            continue;
        }
        if (r == 0) {
            fail("socket recv: peer closed");
            return false;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            fail("socket recv: %s", strerror(errno));
            return false;
        }
        if ((it & 1023) == 0 && bench_now_ns() >= end) {
            fail("socket ping-pong: no answer in time");
            return false;
        }
    }
    return true;
}

static void sock_opts(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {(time_t)O.test_limit_s, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* The echoing, receiving side (a child). */
static bool sock_b(int fd)
{
    /* Ping-pong. */
    for (long i = 0;; i++) {
        uint64_t v;
        if (!sock_recv_spin(fd, &v, 8, deadline(O.test_limit_s)))
            return false;
        if ((v >> 1) != (uint64_t)i) {
            fail("socket ping-pong: B received 0x%016llx at %ld", (unsigned long long)v, i);
            return false;
        }
        uint64_t ans = ~v;
        if (!sock_send_all(fd, &ans, 8))
            return false;
        if (v & 1)
            break;
    }
    /* Streams: receive messages until the one marked last; send the rate. */
    for (int sr = 0; sr < O.nsizes * O.bw_reps; sr++) {
        size_t size = SIZES[sr / O.bw_reps], mid = mid_of(size);
        unsigned char *buf = xalloc(size), *ref = xalloc(size);
        pattern_fill(ref, size);
        long warm = 2;
        uint64_t t_warm = 0, t_last = 0;
        long i;
        for (i = 0;; i++) {
            if (!sock_recv_all(fd, buf, size))
                return false;
            uint64_t now = bench_now_ns();
            stamp_t h;
            uint64_t tail;
            memcpy(&h, buf, sizeof h);
            memcpy(&tail, buf + size - STAMP_TAIL, STAMP_TAIL);
            if (h.seq != (uint64_t)i || tail != tail_of((uint64_t)i) || memcmp(buf + mid, ref + mid, 8) != 0) {
                fail("socket stream %zu B: message %ld arrived wrong", size, i);
                return false;
            }
            if (i == warm)
                t_warm = now;
            t_last = now;
            if (h.total)
                break;
        }
        if (!payload_ok(buf, ref, size)) {
            fail("socket stream %zu B: the last message's payload is wrong", size);
            return false;
        }
        double bw = gbps((double)(i - warm) * (double)size, t_last - t_warm);
        if (!sock_send_all(fd, &bw, sizeof bw))
            return false;
        free(buf);
        free(ref);
    }
    return true;
}

/* The timing, sending side (this process). */
static bool sock_a(int fd, sock_res_t *res)
{
    double *samples = calloc((size_t)O.lat_max + 2, sizeof(double));
    long n = 0;
    uint64_t t_end = UINT64_MAX;
    for (long i = 0;; i++) {
        if (i == O.lat_warm)
            t_end = deadline(O.lat_window_s); /* the window starts after the warm-up */
        bool stop = i > O.lat_warm && (n >= O.lat_max || bench_now_ns() >= t_end);
        uint64_t v = ((uint64_t)i << 1) | (stop ? 1u : 0u), got;
        uint64_t t0 = bench_now_ns();
        if (!sock_send_all(fd, &v, 8) || !sock_recv_spin(fd, &got, 8, deadline(O.test_limit_s))) {
            free(samples);
            return false;
        }
        uint64_t t1 = bench_now_ns();
        if (got != ~v) {
            fail("socket ping-pong: A received 0x%016llx", (unsigned long long)got);
            free(samples);
            return false;
        }
        if (i >= O.lat_warm)
            samples[n++] = (double)(t1 - t0) / 2.0;
        if (stop)
            break;
    }
    double sum = 0;
    for (long i = 0; i < n; i++)
        sum += samples[i];
    res->lat_mean_us = n ? sum / (double)n / 1000.0 : NAN;
    res->lat_p50_us = bench_quantile(samples, (size_t)n, 0.5) / 1000.0;
    res->lat_n = n;
    free(samples);

    double v[MAXREP];
    for (int sr = 0; sr < O.nsizes * O.bw_reps; sr++) {
        int si = sr / O.bw_reps, rep = sr % O.bw_reps;
        size_t size = SIZES[si];
        unsigned char *buf = xalloc(size);
        pattern_fill(buf, size);
        uint64_t end = deadline(O.bw_window_s);
        for (long i = 0;; i++) {
            bool last = i >= 5 && bench_now_ns() >= end;
            stamp_t h = {(uint64_t)i, last ? (uint64_t)i + 1 : 0};
            uint64_t tail = tail_of((uint64_t)i);
            memcpy(buf, &h, sizeof h);
            memcpy(buf + size - STAMP_TAIL, &tail, STAMP_TAIL);
            if (!sock_send_all(fd, buf, size)) {
                free(buf);
                return false;
            }
            if (last)
                break;
        }
        free(buf);
        if (!sock_recv_all(fd, &v[rep], sizeof v[rep]))
            return false;
        if (rep == O.bw_reps - 1)
            res->bw[si] = bench_quantile(v, (size_t)O.bw_reps, 0.5);
    }
    return true;
}

static void run_socket(sock_res_t *res)
{
    memset(res, 0, sizeof *res);
    res->lat_p50_us = res->lat_mean_us = NAN;
    for (int s = 0; s < NSIZE; s++)
        res->bw[s] = NAN;
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 1) ||
        getsockname(ls, (struct sockaddr *)&a, &len)) {
        fail("socket baseline: listen: %s", strerror(errno));
        if (ls >= 0)
            close(ls);
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, PROG ": fork: %s\n", strerror(errno));
        exit(1);
    }
    if (pid == 0) {
        g_why[0] = '\0';
        g_errors = 0;
        close(ls);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
            _exit(2);
        sock_opts(fd);
        bool ok = sock_b(fd);
        if (!ok)
            fprintf(stderr, PROG ": socket baseline (receiver): %s\n", g_why);
        close(fd);
        _exit(ok ? 0 : 1);
    }
    struct pollfd pf = {ls, POLLIN, 0};
    int fd = -1;
    if (poll(&pf, 1, 10000) == 1)
        fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
    close(ls);
    if (fd < 0) {
        fail("socket baseline: no connection from the child");
        kill_wait(pid);
        return;
    }
    sock_opts(fd);
    bool ok = sock_a(fd, res);
    close(fd);
    int st = wait_within(pid, ok ? 10.0 : 1.0);
    res->ok = ok && st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (!res->ok)
        fail("socket baseline failed");
}

/*===------------------------------------------------------------------===*/
/* Baseline: fi_pingpong                                                  */
/*===------------------------------------------------------------------===*/

typedef struct fi_res {
    bool ok;
    double usec; /* usec/xfer: one way, mean */
    double mbps; /* MB/sec (1e6 B/s), one message in flight */
    char why[160];
} fi_res_t;

static void find_fi_pingpong(void)
{
    if (O.fipp[0])
        return;
    const char *path = getenv("PATH");
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path && *path ? path : "/usr/bin:/bin");
    for (char *save = NULL, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        char p[4096];
        if ((size_t)snprintf(p, sizeof p, "%s/fi_pingpong", d) < sizeof p && access(p, X_OK) == 0) {
            snprintf(O.fipp, sizeof O.fipp, "%s", p);
            return;
        }
    }
}

/* True when something listens on TCP port |port| (IPv4 or IPv6). Looking
 * in /proc instead of connecting: fi_pingpong's server takes the first
 * connection to its control port as its client. */
static bool port_listening(int port)
{
    static const char *const files[2] = {"/proc/net/tcp", "/proc/net/tcp6"};
    for (int f = 0; f < 2; f++) {
        FILE *fp = fopen(files[f], "r");
        if (!fp)
            continue;
        char line[512];
        bool found = false;
        while (!found && fgets(line, sizeof line, fp)) {
            char la[64], ra[64];
            unsigned lp, rp, st;
            if (sscanf(line, " %*d: %63[0-9A-Fa-f]:%x %63[0-9A-Fa-f]:%x %x", la, &lp, ra, &rp, &st) == 5 &&
                (int)lp == port && st == 0x0A)
                found = true;
        }
        fclose(fp);
        if (found)
            return true;
    }
    return false;
}

static pid_t spawn(char *const argv[], int *outfd)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0)
            dup2(nul, 0);
        dup2(p[1], 1);
        dup2(p[1], 2);
        execv(argv[0], argv);
        _exit(127);
    }
    close(p[1]);
    *outfd = p[0];
    return pid;
}

/* Reads what |fd| gives until EOF or |end|, appending to |buf|. */
static void drain(int fd, char *buf, size_t cap, size_t *len, bool *eof)
{
    char tmp[4096];
    ssize_t n = read(fd, tmp, sizeof tmp);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        *eof = true;
        return;
    }
    size_t take = (size_t)n < cap - 1 - *len ? (size_t)n : cap - 1 - *len;
    memcpy(buf + *len, tmp, take);
    *len += take;
    buf[*len] = '\0';
}

/* Finds the figures line after fi_pingpong's header ("bytes #sent #ack
 * total time MB/sec usec/xfer Mxfers/sec"). */
static bool fi_parse(const char *out, fi_res_t *r)
{
    const char *h = strstr(out, "usec/xfer");
    if (!h)
        return false;
    const char *l = strchr(h, '\n');
    while (l && *l == '\n')
        l++;
    if (!l || !*l)
        return false;
    char line[256];
    size_t n = strcspn(l, "\n");
    n = n < sizeof line - 1 ? n : sizeof line - 1;
    memcpy(line, l, n);
    line[n] = '\0';
    char *tok[10], *save = NULL;
    int nt = 0;
    for (char *t = strtok_r(line, " \t", &save); t && nt < 10; t = strtok_r(NULL, " \t", &save))
        tok[nt++] = t;
    if (nt < 7)
        return false;
    char *e1, *e2;
    r->mbps = strtod(tok[5], &e1);
    r->usec = strtod(tok[6], &e2);
    return *e1 == '\0' && *e2 == '\0' && r->usec > 0;
}

static void fi_run(const char *prov, size_t size, int iters, fi_res_t *r)
{
    memset(r, 0, sizeof *r);
    r->usec = r->mbps = NAN;
    if (!O.fipp[0]) {
        snprintf(r->why, sizeof r->why, O.fipp_given ? "not run (--fi-pingpong)" : "fi_pingpong not found");
        return;
    }
    int port = free_port();
    char sport[16], ssize[32], siter[32];
    snprintf(sport, sizeof sport, "%d", port);
    snprintf(ssize, sizeof ssize, "%zu", size);
    snprintf(siter, sizeof siter, "%d", iters);
    char *srv[] = {O.fipp, "-p", (char *)prov, "-e", "rdm", "-I", siter, "-S", ssize, "-B", sport, NULL};
    char *cli[] = {O.fipp, "-p", (char *)prov, "-e", "rdm", "-I", siter, "-S", ssize, "-P", sport, PEER_IP, NULL};
    int sfd = -1, cfd = -1;
    pid_t sp = spawn(srv, &sfd), cp = -1;
    if (sp < 0) {
        snprintf(r->why, sizeof r->why, "cannot start %.100s", O.fipp);
        return;
    }
    static char sout[16384], cout[16384];
    size_t slen = 0, clen = 0;
    sout[0] = cout[0] = '\0';
    bool seof = false, ceof = false;
    uint64_t end = deadline(O.fi_limit_s), listen_end = deadline(5.0);
    int st = 0;
    while (!port_listening(port)) {
        if (waitpid(sp, &st, WNOHANG) == sp) {
            sp = -1;
            break;
        }
        if (bench_now_ns() >= listen_end)
            break;
        bench_sleep_ns(5000000);
    }
    if (sp > 0 && port_listening(port))
        cp = spawn(cli, &cfd);
    if (cp < 0) {
        if (sp > 0)
            kill_wait(sp);
        sp = -1;
        while (!seof)
            drain(sfd, sout, sizeof sout, &slen, &seof);
        snprintf(r->why, sizeof r->why, "server did not listen on %d: %.100s", port, sout);
        if (sp > 0)
            kill_wait(sp);
        close(sfd);
        return;
    }
    while ((!seof || !ceof) && bench_now_ns() < end) {
        struct pollfd pf[2] = {{seof ? -1 : sfd, POLLIN, 0}, {ceof ? -1 : cfd, POLLIN, 0}};
        if (poll(pf, 2, 100) <= 0)
            continue;
        if (pf[0].revents)
            drain(sfd, sout, sizeof sout, &slen, &seof);
        if (pf[1].revents) {
            drain(cfd, cout, sizeof cout, &clen, &ceof);
            uint64_t grace = deadline(5.0);
            if (ceof && grace < end)
                end = grace; /* the server follows its client, or is stuck */
        }
    }
    bool late = !seof || !ceof;
    int cst = late ? (kill_wait(cp), -1) : wait_within(cp, 5.0);
    int sst = late ? (kill_wait(sp), -1) : wait_within(sp, 5.0);
    close(sfd);
    close(cfd);
    if (late) {
        snprintf(r->why, sizeof r->why, "killed after %.0f s", O.fi_limit_s);
        return;
    }
    if (cst == -1 || !WIFEXITED(cst) || WEXITSTATUS(cst) != 0 || sst == -1 || !WIFEXITED(sst) ||
        WEXITSTATUS(sst) != 0) {
        const char *o = clen ? cout : sout;
        snprintf(r->why, sizeof r->why, "exit status %d/%d: %.100s", cst, sst, o);
        for (char *c = r->why; *c; c++)
            if (*c == '\n')
                *c = ' ';
        return;
    }
    if (!fi_parse(cout, r) && !fi_parse(sout, r)) {
        snprintf(r->why, sizeof r->why, "output not understood");
        return;
    }
    r->ok = true;
}

/*===------------------------------------------------------------------===*/
/* Main                                                                   */
/*===------------------------------------------------------------------===*/

static void usage(FILE *f, int code)
{
    fprintf(f, "usage: " PROG " [--quick] [--paths tcp,shm,local|none] [--fi-pingpong PATH|none]\n"
               "  --quick             tiny counts, sizes <= 1 MiB (the CTest smoke run); figures not worth quoting\n"
               "  --paths LIST        OpenNRT paths to measure, of tcp,shm,local (default: all; none: baselines only)\n"
               "  --fi-pingpong PATH  libfabric's fi_pingpong (default: found in PATH; none: skip)\n");
    exit(code);
}

static const char *met(double v, bool ok)
{
    return isnan(v) ? "n/a" : ok ? "met" : "missed";
}

/* |f| NULL: three significant digits, at least two decimals (bandwidths). */
static void fmtv(char *b, size_t n, double v, const char *f)
{
    if (isnan(v))
        snprintf(b, n, "n/a");
    else if (f)
        snprintf(b, n, f, v);
    else
        snprintf(b, n, v >= 1.0 ? "%.2f" : "%.3g", v);
}

/* One row of the table: value (and the range of its repetitions, when
 * lo is a number), the three baseline columns, ratio, target. */
static void row(const char *path, const char *fig, double v, double lo, double hi, double sock, double fi, double mc,
                double ratio, const char *target, const char *ok, const char *f)
{
    char a[24], b[24], c[24], d[24], e[24], l[24], h[24], range[64] = "";
    fmtv(a, sizeof a, v, f);
    fmtv(b, sizeof b, sock, f);
    fmtv(c, sizeof c, fi, f);
    fmtv(d, sizeof d, mc, f);
    fmtv(e, sizeof e, ratio, ratio >= 0.01 || ratio == 0 ? "%.2f" : "%.2g");
    if (!isnan(lo)) {
        fmtv(l, sizeof l, lo, f);
        fmtv(h, sizeof h, hi, f);
        snprintf(range, sizeof range, "%s..%s", l, h);
    }
    printf("  %-12s %-20s %9s %-13s %9s %9s %9s %7s  %-15s %s\n", path, fig, a, range, b, c, d, e, target, ok);
}

int main(int argc, char **argv)
{
    for (int p = 0; p < PATH_NUM; p++)
        O.path_on[p] = true;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            O.quick = true;
        else if (!strcmp(argv[i], "--paths") && i + 1 < argc) {
            char buf[128];
            snprintf(buf, sizeof buf, "%s", argv[++i]);
            for (int p = 0; p < PATH_NUM; p++)
                O.path_on[p] = false;
            for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (!strcmp(t, "none"))
                    continue; /* the baselines only */
                int p = 0;
                while (p < PATH_NUM && strcmp(t, PATH_SHORT[p]) != 0)
                    p++;
                if (p == PATH_NUM)
                    usage(stderr, 2);
                O.path_on[p] = true;
            }
        } else if (!strcmp(argv[i], "--fi-pingpong") && i + 1 < argc) {
            i++;
            if (strcmp(argv[i], "none") != 0)
                snprintf(O.fipp, sizeof O.fipp, "%s", argv[i]);
            else
                snprintf(O.fipp, sizeof O.fipp, "-");
            O.fipp_given = true;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            usage(stdout, 0);
        else
            usage(stderr, 2);
    }
    if (O.quick) {
        O.nsizes = 2;
        O.lat_window_s = 0.05;
        O.lat_warm = 20;
        O.lat_max = 2000;
        O.bw_window_s = 0.03;
        O.bw_reps = 1;
        O.memcpy_window_s = 0.03;
        O.connect_limit_s = 10;
        O.settle_s = 0;
        O.test_limit_s = 10;
        O.phase_limit_s = 30;
        O.fi_lat_iters = 500;
        O.fi_lat_runs = 1;
        O.fi_bw_iters[0] = 0; /* latency only */
        O.fi_bw_iters[1] = 0;
        O.fi_limit_s = 10;
    } else {
        O.nsizes = NSIZE;
        O.lat_window_s = 1.0;
        O.lat_warm = 1000;
        O.lat_max = 200000;
        O.bw_window_s = 0.3;
        O.bw_reps = 3;
        O.memcpy_window_s = 0.3;
        O.connect_limit_s = 30;
        O.settle_s = 2;
        O.test_limit_s = 60;
        O.phase_limit_s = 600;
        O.fi_lat_iters = 20000;
        O.fi_lat_runs = 3;
        O.fi_bw_iters[0] = 5000;
        O.fi_bw_iters[1] = 300;
        O.fi_bw_iters[2] = 20;
        O.fi_limit_s = 60;
    }
    signal(SIGPIPE, SIG_IGN);
    find_fi_pingpong();
    if (!strcmp(O.fipp, "-"))
        O.fipp[0] = '\0';
    if (O.fipp[0] && access(O.fipp, X_OK) != 0) {
        fprintf(stderr, PROG ": %s: not an executable; the fi_pingpong baselines read n/a\n", O.fipp);
        O.fipp[0] = '\0';
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    bool ok = true;

    /* Baselines first (this process never initializes the runtime). */
    noise_t nz = noise_begin();
    double mc[NSIZE][NFLIGHT];
    for (int s = 0; s < NSIZE; s++)
        for (int f = 0; f < NFLIGHT; f++) {
            mc[s][f] = NAN;
            if (s < O.nsizes) {
                fprintf(stderr, PROG ": memcpy %s x%d\n", SIZE_NAMES[s], FLIGHTS[f]);
                mc[s][f] = memcpy_bw(SIZES[s], FLIGHTS[f]);
            }
        }
    fprintf(stderr, PROG ": plain TCP socket\n");
    sock_res_t sock;
    run_socket(&sock);
    if (!sock.ok) {
        fprintf(stderr, PROG ": socket baseline failed: %s\n", g_why);
        ok = false;
    }
    /* fi_pingpong: [provider][0] latency (median of runs), [1 + s] size s. */
    static const char *const fi_prov[2] = {"tcp;ofi_rxm", "shm"};
    fi_res_t fi[2][1 + NSIZE];
    for (int p = 0; p < 2; p++) {
        double lat[8];
        int nl = 0;
        for (int run = 0; run < O.fi_lat_runs; run++) {
            fprintf(stderr, PROG ": fi_pingpong %s 8 B (%d/%d)\n", fi_prov[p], run + 1, O.fi_lat_runs);
            fi_run(fi_prov[p], LAT_BYTES, O.fi_lat_iters, &fi[p][0]);
            if (fi[p][0].ok)
                lat[nl++] = fi[p][0].usec;
            else
                break;
        }
        if (nl) {
            fi[p][0].ok = true;
            fi[p][0].usec = bench_quantile(lat, (size_t)nl, 0.5);
        }
        for (int s = 0; s < NSIZE; s++) {
            if (s >= O.nsizes || !O.fi_bw_iters[s] || !fi[p][0].ok) {
                memset(&fi[p][1 + s], 0, sizeof fi[p][1 + s]);
                fi[p][1 + s].usec = fi[p][1 + s].mbps = NAN;
                snprintf(fi[p][1 + s].why, sizeof fi[p][1 + s].why, "not run");
                continue;
            }
            fprintf(stderr, PROG ": fi_pingpong %s %s\n", fi_prov[p], SIZE_NAMES[s]);
            fi_run(fi_prov[p], SIZES[s], O.fi_bw_iters[s], &fi[p][1 + s]);
        }
        if (!fi[p][0].ok)
            fprintf(stderr, PROG ": fi_pingpong %s: %s\n", fi_prov[p], fi[p][0].why);
    }

    double noise_base = noise_end(nz), noise_path[PATH_NUM] = {NAN, NAN, NAN};

    /* OpenNRT. */
    phase_res_t R[PATH_NUM][2];
    bool ran[PATH_NUM] = {false, false, false}, pok[PATH_NUM] = {false, false, false};
    for (int p = 0; p < PATH_NUM; p++) {
        res_init(&R[p][0]);
        res_init(&R[p][1]);
        if (!O.path_on[p])
            continue;
        fprintf(stderr, PROG ": OpenNRT %s\n", PATH_NAMES[p]);
        ran[p] = true;
        nz = noise_begin();
        pok[p] = run_phase((path_t)p, R[p]);
        noise_path[p] = noise_end(nz);
        if (!pok[p]) {
            ok = false;
            for (int i = 0; i < 2; i++)
                if (R[p][i].why[0])
                    fprintf(stderr, PROG ": %s: %s: %s\n", PATH_NAMES[p], p == PATH_LOCAL ? "process" : i ? "B" : "A",
                            R[p][i].why);
        }
        for (int i = 0; i < 2; i++)
            if (has_comm(&R[p][i]) && !R[p][i].path_ok)
                ok = false;
    }

    /* Report. */
    printf("\nOpenNRT async send/receive benchmark%s\n", O.quick ? " (--quick: counts too small to quote)" : "");
    printf("machine: %ld online CPUs; fi_pingpong: %s\n", ncpu,
           O.fipp[0] ? O.fipp : O.fipp_given ? "not run (n/a)" : "not found (n/a)");
    printf("method: latency = 8 B round trip / 2, p50 and mean after %ld warm-up iterations, at most %ld samples\n"
           "        or %.2f s; bandwidth = A->B streaming, GB/s = 1e9 B/s at the receiver, median (min..max) of\n"
           "        %d repetitions of %.2f s; socket = plain TCP over 127.0.0.1 (busy-polled ping-pong; streaming\n"
           "        send/recv loops, one figure per size, same repetitions); fi_pingpong = -e rdm, usec/xfer (a\n"
           "        mean; median of %d runs) and MB/sec (one message in flight); memcpy = one thread, same size,\n"
           "        rotating over as many buffers as transfers in flight (the stream's working set); OpenNRT\n"
           "        timings start %.0f s after the communicators connected (the runtime's background work done)\n",
           O.lat_warm, O.lat_max, O.lat_window_s, O.bw_reps, O.bw_window_s, O.fi_lat_runs, O.settle_s);
    printf("noise: other processes used %.1f%% of the machine during the baselines", noise_base);
    for (int p = 0; p < PATH_NUM; p++)
        if (ran[p])
            printf(", %.1f%% during %s", noise_path[p], PATH_SHORT[p]);
    bool noisy = noise_base > 5;
    for (int p = 0; p < PATH_NUM; p++)
        noisy = noisy || (ran[p] && noise_path[p] > 5);
    printf("%s\n", noisy ? "\n       <-- NOT QUIET: figures unreliable, run again" : "");
    bool any = ran[0] || ran[1] || ran[2];
    if (any)
        printf("\npaths (nrtx_async_sendrecv_comm_info):\n");
    for (int p = 0; p < PATH_NUM; p++) {
        if (!ran[p])
            continue;
        int shown = 0, good = 1;
        for (int i = 0; i < 2; i++)
            for (int c = 0; c < 4; c++)
                if (R[p][i].ncomm_set[c]) {
                    printf("  %-12s %s\n", shown++ ? "" : PATH_NAMES[p], R[p][i].comm[c].text);
                    good = good && R[p][i].path_ok;
                }
        if (!shown)
            printf("  %-12s not connected\n", PATH_NAMES[p]);
        else
            printf("  %-12s -> %s\n", "", good ? "the intended path" : "NOT the intended path");
        {
            char ca[24], cb[24];
            fmtv(ca, sizeof ca, R[p][0].connect_ms, "%.0f");
            fmtv(cb, sizeof cb, R[p][1].connect_ms, "%.0f");
            const char *env = PATH_ENV[p] ? PATH_ENV[p] : "unset (auto)";
            if (p == PATH_LOCAL)
                printf("  %-12s OPENNRT_SR_TRANSPORT %s; init to connected: %s ms\n", "", env, ca);
            else
                printf("  %-12s OPENNRT_SR_TRANSPORT %s; init to connected: A %s ms, B %s ms\n", "", env, ca, cb);
        }
        for (int i = 0; i < 2; i++)
            if (R[p][i].warn[0])
                printf("  %-12s warning: %s\n", "", R[p][i].warn);
        if (!pok[p])
            for (int i = 0; i < 2; i++)
                if (R[p][i].why[0])
                    printf("  %-12s FAILED (%s): %s\n", "", p == PATH_LOCAL ? "process" : i ? "B" : "A",
                           R[p][i].why);
    }

    if (any)
        printf("\n  %-12s %-20s %9s %-13s %9s %9s %9s %7s  %-15s %s\n", "path", "figure", "OpenNRT", "(min..max)",
               "socket", "fi_pp", "memcpy", "ratio", "target", "met");
    double fi_lat[PATH_NUM] = {fi[0][0].ok ? fi[0][0].usec : NAN, fi[1][0].ok ? fi[1][0].usec : NAN, NAN};
    for (int p = 0; p < PATH_NUM; p++) {
        if (!ran[p])
            continue;
        const phase_res_t *A = &R[p][0], *B = p == PATH_LOCAL ? &R[p][0] : &R[p][1];
        double p50 = A->lat_p50_us, mean = A->lat_mean_us;
        if (p == PATH_TCP) {
            row(PATH_NAMES[p], "lat 8B p50 us", p50, NAN, NAN, sock.lat_p50_us, fi_lat[p], NAN, p50 / fi_lat[p],
                "(vs fi_pp)", "", "%.2f");
            row("", "lat 8B mean us", mean, NAN, NAN, sock.lat_mean_us, fi_lat[p], NAN, mean / fi_lat[p],
                "<= 1.3x fi_pp", met(mean / fi_lat[p], mean <= 1.3 * fi_lat[p]), "%.2f");
        } else {
            double lim = p == PATH_SHM ? 1.5 : 1.0;
            double r50 = fi_lat[p] > 0 ? p50 / fi_lat[p] : NAN, rmean = fi_lat[p] > 0 ? mean / fi_lat[p] : NAN;
            row(PATH_NAMES[p], "lat 8B p50 us", p50, NAN, NAN, NAN, fi_lat[p], NAN, r50,
                p == PATH_SHM ? "< 1.5 us" : "< 1 us", met(p50, p50 < lim), "%.2f");
            row("", "lat 8B mean us", mean, NAN, NAN, NAN, fi_lat[p], NAN, rmean, "(vs fi_pp)", "", "%.2f");
        }
        for (int s = 0; s < O.nsizes; s++)
            for (int f = 0; f < NFLIGHT; f++) {
                char fig[40];
                snprintf(fig, sizeof fig, "bw %s x%d GB/s", SIZE_NAMES[s], FLIGHTS[f]);
                double v = B->bw[s][f][0], lo = B->bw[s][f][1], hi = B->bw[s][f][2];
                double fbw = p < 2 && f == 0 && fi[p][1 + s].ok ? fi[p][1 + s].mbps / 1000.0 : NAN;
                if (p == PATH_TCP)
                    row("", fig, v, lo, hi, sock.bw[s], fbw, NAN, v / sock.bw[s], ">= 0.9x socket",
                        met(v / sock.bw[s], v >= 0.9 * sock.bw[s]), NULL);
                else {
                    double lim = p == PATH_SHM ? 0.5 : 0.8;
                    row("", fig, v, lo, hi, NAN, fbw, mc[s][f], v / mc[s][f],
                        p == PATH_SHM ? ">= 0.5x memcpy" : ">= 0.8x memcpy", met(v / mc[s][f], v >= lim * mc[s][f]),
                        NULL);
                }
            }
    }
    printf("\n  %-26s %11s %11s", "baseline", "lat p50 us", "lat mean us");
    for (int s = 0; s < O.nsizes; s++)
        printf(" %8s", SIZE_NAMES[s]);
    printf("  (GB/s)\n");
    {
        char a[24], b[24];
        fmtv(a, sizeof a, sock.lat_p50_us, "%.2f");
        fmtv(b, sizeof b, sock.lat_mean_us, "%.2f");
        printf("  %-26s %11s %11s", "socket 127.0.0.1", a, b);
        for (int s = 0; s < O.nsizes; s++) {
            fmtv(a, sizeof a, sock.bw[s], NULL);
            printf(" %8s", a);
        }
        printf("  (streaming; lat n=%ld)\n", sock.lat_n);
        for (int p = 0; p < 2; p++) {
            char name[40];
            snprintf(name, sizeof name, "fi_pingpong %s", fi_prov[p]);
            fmtv(a, sizeof a, fi[p][0].ok ? fi[p][0].usec : NAN, "%.2f");
            printf("  %-26s %11s %11s", name, "-", a);
            for (int s = 0; s < O.nsizes; s++) {
                fmtv(a, sizeof a, fi[p][1 + s].ok ? fi[p][1 + s].mbps / 1000.0 : NAN, NULL);
                printf(" %8s", a);
            }
            if (fi[p][0].ok)
                printf("  (1 in flight)\n");
            else
                printf("  (%s)\n", fi[p][0].why);
        }
        for (int f = 0; f < NFLIGHT; f++) {
            char name[40];
            snprintf(name, sizeof name, "memcpy, 1 thread, %d buf%s", FLIGHTS[f], FLIGHTS[f] > 1 ? "s" : "");
            printf("  %-26s %11s %11s", name, "-", "-");
            for (int s = 0; s < O.nsizes; s++) {
                fmtv(a, sizeof a, mc[s][f], NULL);
                printf(" %8s", a);
            }
            printf("  (x%d rows)\n", FLIGHTS[f]);
        }
    }
    for (int p = 0; p < 2; p++)
        for (int s = 0; s < O.nsizes; s++)
            if (fi[p][0].ok && !fi[p][1 + s].ok && strcmp(fi[p][1 + s].why, "not run") != 0)
                printf("  fi_pingpong %s %s: n/a (%s)\n", fi_prov[p], SIZE_NAMES[s], fi[p][1 + s].why);
    for (int p = 0; p < PATH_NUM; p++)
        if (ran[p])
            printf("  %s: lat samples %ld, messages checked %ld\n", PATH_NAMES[p], R[p][0].lat_n,
                   R[p][0].messages + (p == PATH_LOCAL ? 0 : R[p][1].messages));

    /* Summary line. */
    printf("\n" PROG);
    for (int p = 0; p < PATH_NUM; p++) {
        if (!ran[p])
            continue;
        const phase_res_t *B = p == PATH_LOCAL ? &R[p][0] : &R[p][1];
        printf(" %s_lat_p50_us=%.3f %s_lat_mean_us=%.3f", PATH_SHORT[p], R[p][0].lat_p50_us, PATH_SHORT[p],
               R[p][0].lat_mean_us);
        for (int s = 0; s < O.nsizes; s++)
            for (int f = 0; f < NFLIGHT; f++)
                printf(" %s_bw_%s_x%d=%.4g", PATH_SHORT[p], SIZE_NAMES[s], FLIGHTS[f], B->bw[s][f][0]);
    }
    printf(" socket_lat_p50_us=%.3f fipp_tcp_lat_us=%.3f fipp_shm_lat_us=%.3f", sock.lat_p50_us, fi_lat[0], fi_lat[1]);
    for (int s = 0; s < O.nsizes; s++)
        printf(" socket_bw_%s=%.4g memcpy_bw_%s_x1=%.4g memcpy_bw_%s_x8=%.4g", SIZE_NAMES[s], sock.bw[s],
               SIZE_NAMES[s], mc[s][0], SIZE_NAMES[s], mc[s][1]);
    printf(" foreign_cpu_pct=%.1f ok=%s\n", noise_base, ok ? "yes" : "NO");
    fflush(stdout);
    return ok ? 0 : 1;
}

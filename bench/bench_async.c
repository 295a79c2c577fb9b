/*
 * bench/bench_async.c - benchmark of the explicit async engine (nrta_*),
 * through the public API only.
 *
 * Figures, each printed beside a baseline measured in the same run:
 *   schedule cost   median ns per accepted 64-byte nrta_tensor_write while
 *                   the queue has room            vs PoCL non-blocking enqueue
 *   round trip      schedule + observe completion (nrta_is_completed polling,
 *                   completion fd + poll()), warm and cold, p50/p99
 *                                                 vs PoCL enqueue + clFinish
 *   bandwidth       64 MiB write/read/copy        vs memcpy of the same buffers
 *   overlap         write 4 MiB -> scale.so -> read 4 MiB, sync vs async with
 *                   multi-buffering, against the ideal bound from stage
 *                   times measured one at a time  vs PoCL serial/pipelined
 *   idle cost       CPU used in a quiet second    vs PoCL
 *
 * Output: a readable table, then one key=value line per figure. Timings are
 * never asserted: the exit status only says whether the benchmark ran (and
 * the pipeline outputs were right). docs/PERFORMANCE.md explains every
 * figure and how to read it.
 *
 * Usage: bench_async [--quick] [--no-peer] [--iters N] [--sets N]
 *                    [--poll spin|yield|sleep|fd] [--trace FILE]
 *                    [--only sched,rt,bw,pipe,idle]
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"
#include "cpu_noise.h"
#include "nrt/nrt.h"
#include "nrt/nrt_async.h"
#include "nrt/nrt_ext.h"

#define SCHED_N 32
#define SCHED_BYTES 64

static bench_opts_t O;
/* How the main thread waits when the async pipeline cannot progress: spin
 * on nrta_is_completed, spin with sched_yield(), nap 20 us between polls,
 * or block in poll() on the completion fds of the oldest outstanding
 * request of each stage. The spin variant always runs (it is the figure
 * with the target); --poll picks the second one (default fd). */
enum { POLL_SPIN, POLL_YIELD, POLL_SLEEP, POLL_FD };
static int poll_mode = POLL_FD;
static const char *const poll_names[] = {"spin", "yield", "sleep", "fd"};
static const char *trace_path; /* --trace FILE: timeline of the last --poll run */

#define CHECK(expr) BENCH_CHECK("bench_async", expr)

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fprintf(stderr, "bench_async: out of memory (%zu bytes)\n", n);
        exit(1);
    }
    memset(p, 0, n); /* fault the pages in now, not inside a timing */
    return p;
}

double bench_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec * 1e-6;
}


static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static bool is_done(nrta_seq_t seq)
{
    bool done = false;
    CHECK(nrta_is_completed(seq, &done));
    return done;
}

static void wait_poll(nrta_seq_t seq)
{
    while (!is_done(seq))
        relax();
}

/* Blocks until one of |seqs| has completed. */
static void wait_any_fd(const nrta_seq_t *seqs, int n)
{
    struct pollfd p[3];
    for (int i = 0; i < n; i++) {
        CHECK(nrta_get_completion_handle(seqs[i], &p[i].fd));
        p[i].events = POLLIN;
    }
    while (poll(p, (nfds_t)n, -1) < 0 && errno == EINTR)
        ;
    for (int i = 0; i < n; i++)
        close(p[i].fd);
}

static nrt_model_t *load_model(const char *name)
{
    char path[4096];
    const char *dir = getenv("NRT_MODEL_DIR");
#ifdef NRT_MODEL_DIR_DEFAULT
    if (!dir)
        dir = NRT_MODEL_DIR_DEFAULT;
#endif
    if (!dir) {
        fprintf(stderr, "bench_async: set NRT_MODEL_DIR to <build>/models\n");
        exit(1);
    }
    snprintf(path, sizeof path, "%s/%s.so", dir, name);
    size_t n;
    void *bytes = bench_read_file("bench_async", path, &n);
    nrt_model_t *m = NULL;
    CHECK(nrt_load(bytes, n, 0, -1, &m));
    free(bytes);
    return m;
}

static nrt_tensor_t *dev_tensor(size_t size, const char *name)
{
    nrt_tensor_t *t = NULL;
    CHECK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, size, name, &t));
    /* Fault the storage in (it is mmap'd lazily) outside the timings. */
    memset(nrt_tensor_get_va(t), 0, size);
    return t;
}

/*===------------------------------------------------------------------===*/
/* Per-thread CPU accounting (diagnostics)                                */
/*===------------------------------------------------------------------===*/

/* CPU time and run-queue wait of this process's threads, by role: the
 * main (polling) thread, the three pipeline workers (found by the names
 * the runtime gives them, "nrt<core>-<WR|EX|RD><queue>"), and the rest.
 * From /proc/self/task/<tid>/schedstat: ns on CPU, ns runnable but
 * waiting. Diagnostics only: the figures do not depend on it. */
enum { TH_MAIN, TH_WR, TH_EX, TH_RD, TH_OTHER, TH_NUM };
static const char *const th_names[TH_NUM] = {"main", "write", "exec", "read", "other"};

typedef struct {
    double cpu[TH_NUM], wait[TH_NUM];
} th_acct_t;

static void th_snapshot(th_acct_t *a)
{
    memset(a, 0, sizeof *a);
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return;
    long me = (long)getpid();
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], comm[64] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(comm, sizeof comm, f))
                comm[0] = '\0';
            fclose(f);
        }
        int role = TH_OTHER;
        if (atol(e->d_name) == me)
            role = TH_MAIN;
        else if (strstr(comm, "-WR"))
            role = TH_WR;
        else if (strstr(comm, "-EX"))
            role = TH_EX;
        else if (strstr(comm, "-RD"))
            role = TH_RD;
        snprintf(path, sizeof path, "/proc/self/task/%s/schedstat", e->d_name);
        f = fopen(path, "r");
        unsigned long long run = 0, wait = 0;
        if (f) {
            if (fscanf(f, "%llu %llu", &run, &wait) != 2)
                run = wait = 0;
            fclose(f);
        }
        a->cpu[role] += (double)run;
        a->wait[role] += (double)wait;
    }
    closedir(d);
}

/* |out| = (b - a) / |div|, in microseconds. */
static void th_diff_us(const th_acct_t *a, const th_acct_t *b, double div, th_acct_t *out)
{
    for (int i = 0; i < TH_NUM; i++) {
        out->cpu[i] = (b->cpu[i] - a->cpu[i]) / div / 1000.0;
        out->wait[i] = (b->wait[i] - a->wait[i]) / div / 1000.0;
    }
}

/*===------------------------------------------------------------------===*/
/* Results                                                                */
/*===------------------------------------------------------------------===*/

static struct {
    double sched_ns, sched_p99_ns, sched_trk_ns;
    /* round trips [poll/fd][warm/cold][p50/p99], µs */
    double rt[2][2][2];
    double bw[3], bw_memcpy[3]; /* write, read, copy; GB/s (medians) */
    double bw_ratio[3];         /* median over pairs of engine/memcpy */
    double stage_ms[3];       /* in context: serial pipeline, one stage at a time */
    double iso_ms[3];         /* isolated: one stage back to back, own queue */
    double sync_its, bound_its, iso_bound_its, iso_eff;
    /* [0]: main thread spins on nrta_is_completed; [1]: --poll mode */
    double async_its[2], eff[2], eff_lo[2], eff_hi[2];
    th_acct_t acct[2]; /* µs per iteration */
    bool pipe_ok;
    double idle_pct;
    uint64_t spin_ns;
} R;

/* Figures of parts not run (--only) read n/a. */
static void results_init(void)
{
    memset(&R, 0, sizeof R);
    R.sched_ns = R.sched_p99_ns = R.sched_trk_ns = NAN;
    for (int i = 0; i < 8; i++)
        (&R.rt[0][0][0])[i] = NAN;
    for (int i = 0; i < 3; i++)
        R.bw[i] = R.bw_memcpy[i] = R.bw_ratio[i] = R.stage_ms[i] = R.iso_ms[i] = NAN;
    R.sync_its = R.bound_its = R.iso_bound_its = R.iso_eff = R.idle_pct = NAN;
    for (int v = 0; v < 2; v++)
        R.async_its[v] = R.eff[v] = R.eff_lo[v] = R.eff_hi[v] = NAN;
    R.pipe_ok = true;
}

/*===------------------------------------------------------------------===*/
/* Schedule cost                                                          */
/*===------------------------------------------------------------------===*/

/* Median ns per accepted schedule, over batches of SCHED_N calls timed
 * together; the queue is drained between batches so it always has room. */
static double sched_cost(nrt_tensor_t *t, const void *buf, nrta_error_tracker_t *trk, double *p99)
{
    int nb = O.sched_batches;
    double *per = xmalloc((size_t)nb * sizeof *per);
    for (int warm = 1; warm >= 0; warm--) {
        for (int b = 0; b < nb; b++) {
            nrta_seq_t seq[SCHED_N];
            uint64_t t0 = bench_now_ns();
            for (int j = 0; j < SCHED_N; j++) {
                NRT_STATUS st = nrta_tensor_write(t, buf, 0, SCHED_BYTES, 0, trk, &seq[j]);
                if (st != NRT_SUCCESS) {
                    fprintf(stderr, "bench_async: nrta_tensor_write returned %s with room in the queue\n",
                            nrt_get_status_as_str(st));
                    exit(1);
                }
            }
            uint64_t t1 = bench_now_ns();
            per[b] = (double)(t1 - t0) / SCHED_N;
            wait_poll(seq[SCHED_N - 1]);
        }
    }
    double med = bench_quantile(per, (size_t)nb, 0.5);
    if (p99)
        *p99 = bench_quantile(per, (size_t)nb, 0.99);
    free(per);
    return med;
}

/*===------------------------------------------------------------------===*/
/* Round trip                                                             */
/*===------------------------------------------------------------------===*/

static double rt_once(nrt_tensor_t *t, const void *buf, bool use_fd)
{
    nrta_seq_t seq;
    uint64_t t0 = bench_now_ns();
    CHECK(nrta_tensor_write(t, buf, 0, SCHED_BYTES, 0, NULL, &seq));
    if (use_fd) {
        int fd = -1;
        CHECK(nrta_get_completion_handle(seq, &fd));
        struct pollfd p = {.fd = fd, .events = POLLIN};
        while (poll(&p, 1, -1) < 0 && errno == EINTR)
            ;
        close(fd);
    } else {
        wait_poll(seq);
    }
    uint64_t t1 = bench_now_ns();
    return (double)(t1 - t0) / 1000.0;
}

static void round_trips(nrt_tensor_t *t, const void *buf)
{
    int nmax = O.rt_warm > O.rt_cold ? O.rt_warm : O.rt_cold;
    double *v = xmalloc((size_t)nmax * sizeof *v);
    for (int fd = 0; fd < 2; fd++) {
        /* Warm: back to back, so the worker is still in its spin window. */
        for (int i = 0; i < 50; i++)
            rt_once(t, buf, fd);
        for (int i = 0; i < O.rt_warm; i++)
            v[i] = rt_once(t, buf, fd);
        R.rt[fd][0][0] = bench_quantile(v, (size_t)O.rt_warm, 0.5);
        R.rt[fd][0][1] = bench_quantile(v, (size_t)O.rt_warm, 0.99);
        /* Cold: idle longer than the spin window, so the worker sleeps. */
        for (int i = 0; i < O.rt_cold; i++) {
            bench_sleep_ns(O.cold_idle_ns);
            v[i] = rt_once(t, buf, fd);
        }
        R.rt[fd][1][0] = bench_quantile(v, (size_t)O.rt_cold, 0.5);
        R.rt[fd][1][1] = bench_quantile(v, (size_t)O.rt_cold, 0.99);
    }
    free(v);
}

/*===------------------------------------------------------------------===*/
/* Bandwidth                                                              */
/*===------------------------------------------------------------------===*/

static void bandwidth(void)
{
    size_t n = O.bw_bytes;
    char *host = xmalloc(n);
    for (size_t i = 0; i < n; i += 4096)
        host[i] = (char)i;
    nrt_tensor_t *a = dev_tensor(n, "bw_a"), *b = dev_tensor(n, "bw_b");
    char *va = nrt_tensor_get_va(a), *vb = nrt_tensor_get_va(b);
    int reps = O.bw_reps;
    double *tn = xmalloc((size_t)reps * sizeof *tn), *tm = xmalloc((size_t)reps * sizeof *tm),
           *rat = xmalloc((size_t)reps * sizeof *rat);
    for (int op = 0; op < 3; op++) {
        /* One untimed round, then pairs of (engine, memcpy) in alternating
         * order: this VM's memory speed drifts by tens of percent within a
         * second, so the ratio is taken per pair (median of the ratios). */
        for (int r = -1; r < reps; r++) {
            double te = 0, tc = 0;
            for (int half = 0; half < 2; half++) {
                bool engine = (half == 0) == (r % 2 == 0);
                uint64_t t0 = bench_now_ns();
                if (engine) {
                    nrta_seq_t seq;
                    if (op == 0)
                        CHECK(nrta_tensor_write(a, host, 0, n, 0, NULL, &seq));
                    else if (op == 1)
                        CHECK(nrta_tensor_read(host, a, 0, n, 0, NULL, &seq));
                    else
                        CHECK(nrta_tensor_copy(a, 0, b, 0, n, 0, NULL, &seq));
                    wait_poll(seq);
                    te = (double)(bench_now_ns() - t0);
                } else {
                    if (op == 0)
                        memcpy(va, host, n);
                    else if (op == 1)
                        memcpy(host, va, n);
                    else
                        memcpy(vb, va, n);
                    tc = (double)(bench_now_ns() - t0);
                }
            }
            if (r >= 0) {
                tn[r] = te;
                tm[r] = tc;
                rat[r] = tc / te; /* engine GB/s over memcpy GB/s */
            }
        }
        R.bw[op] = (double)n / bench_quantile(tn, (size_t)reps, 0.5);
        R.bw_memcpy[op] = (double)n / bench_quantile(tm, (size_t)reps, 0.5);
        R.bw_ratio[op] = bench_quantile(rat, (size_t)reps, 0.5);
    }
    free(rat);
    free(tn);
    free(tm);
    nrt_tensor_free(&a);
    nrt_tensor_free(&b);
    free(host);
}

/*===------------------------------------------------------------------===*/
/* Overlap pipeline: write 4 MiB -> scale.so -> read 4 MiB                */
/*===------------------------------------------------------------------===*/

typedef struct pipe_set {
    float *hin, *hout;
    nrt_tensor_t *din, *dout;
    nrt_tensor_set_t *in, *out;
} pipe_set_t;

static pipe_set_t *pipe_sets_create(int ns)
{
    pipe_set_t *s = calloc((size_t)ns, sizeof *s);
    for (int k = 0; k < ns; k++) {
        s[k].hin = xmalloc(BENCH_PIPE_BYTES);
        s[k].hout = xmalloc(BENCH_PIPE_BYTES);
        for (size_t j = 0; j < BENCH_PIPE_ELEMS; j++)
            s[k].hin[j] = bench_pipe_x(k, j);
        s[k].din = dev_tensor(BENCH_PIPE_BYTES, "x");
        s[k].dout = dev_tensor(BENCH_PIPE_BYTES, "y");
        CHECK(nrt_allocate_tensor_set(&s[k].in));
        CHECK(nrt_allocate_tensor_set(&s[k].out));
        CHECK(nrt_add_tensor_to_tensor_set(s[k].in, "x", s[k].din));
        CHECK(nrt_add_tensor_to_tensor_set(s[k].out, "y", s[k].dout));
    }
    return s;
}

static void pipe_sets_destroy(pipe_set_t *s, int ns)
{
    for (int k = 0; k < ns; k++) {
        nrt_destroy_tensor_set(&s[k].in);
        nrt_destroy_tensor_set(&s[k].out);
        nrt_tensor_free(&s[k].din);
        nrt_tensor_free(&s[k].dout);
        free(s[k].hin);
        free(s[k].hout);
    }
    free(s);
}

/* Element 0 of each input carries the iteration number, so that every
 * output read back proves it came from its own iteration (an ordering bug
 * would show the number of an earlier one). */
static float pipe_tag(int i)
{
    return (float)(2048 + i % 4096);
}

static void pipe_tag_set(pipe_set_t *s, int ns, int i)
{
    s[i % ns].hin[0] = pipe_tag(i);
}

static bool pipe_tag_ok(const pipe_set_t *s, int ns, int i)
{
    return s[i % ns].hout[0] == 2.0f * pipe_tag(i) + 1.0f;
}

/* Checks that host output of set |k| holds 2x+1 (sampled), then poisons it
 * so that the next run must write it again. */
static bool pipe_check(pipe_set_t *s, int k)
{
    bool ok = true;
    for (size_t j = 1; j < BENCH_PIPE_ELEMS; j += 997)
        if (s[k].hout[j] != 2.0f * bench_pipe_x(k, j) + 1.0f)
            ok = false;
    s[k].hout[0] = s[k].hout[BENCH_PIPE_ELEMS - 1] = -1.0f;
    return ok;
}

/* Standalone throughput of each stage: |reps| requests of that stage alone,
 * back to back on its queue over the rotation of sets; seconds per request. */
static void pipe_stages(nrt_model_t *m, pipe_set_t *s, int ns, double out_s[3])
{
    for (int stage = 0; stage < 3; stage++) {
        double t3[3];
        for (int run = 0; run < 3; run++) {
            nrta_seq_t seq = 0;
            uint64_t t0 = bench_now_ns();
            for (int i = 0; i < O.stage_reps; i++) {
                int k = i % ns;
                if (stage == 0)
                    CHECK(nrta_tensor_write(s[k].din, s[k].hin, 0, BENCH_PIPE_BYTES, 0, NULL, &seq));
                else if (stage == 1)
                    CHECK(nrta_execute_schedule(m, s[k].in, s[k].out, 0, NULL, &seq));
                else
                    CHECK(nrta_tensor_read(s[k].hout, s[k].dout, 0, BENCH_PIPE_BYTES, 0, NULL, &seq));
            }
            wait_poll(seq);
            t3[run] = (double)(bench_now_ns() - t0) * 1e-9 / O.stage_reps;
        }
        out_s[stage] = bench_quantile(t3, 3, 0.5);
    }
}

/* The synchronous pipeline. It also times each stage in context, one at a
 * time with nothing overlapping and on the pipeline's own data flow and
 * working set: write and read around the calls, execute as the COMPUTE
 * queue's busy time (so that waking the worker is not counted as work).
 * |ctx_s| gets the mean seconds per iteration of each stage. */
static double pipe_sync(nrt_model_t *m, pipe_set_t *s, int ns, bool *ok, double ctx_s[3])
{
    nrtx_queue_stats_t q0, q1;
    uint64_t tw = 0, tr = 0;
    CHECK(nrtx_get_queue_stats(0, NRTA_XU_COMPUTE, 0, &q0));
    uint64_t t0 = bench_now_ns();
    for (int i = 0; i < O.pipe_iters; i++) {
        int k = i % ns;
        pipe_tag_set(s, ns, i);
        uint64_t a = bench_now_ns();
        CHECK(nrt_tensor_write(s[k].din, s[k].hin, 0, BENCH_PIPE_BYTES));
        uint64_t b = bench_now_ns();
        CHECK(nrt_execute(m, s[k].in, s[k].out));
        uint64_t c = bench_now_ns();
        CHECK(nrt_tensor_read(s[k].dout, s[k].hout, 0, BENCH_PIPE_BYTES));
        uint64_t d = bench_now_ns();
        tw += b - a;
        tr += d - c;
        *ok &= pipe_tag_ok(s, ns, i);
    }
    double secs = (double)(bench_now_ns() - t0) * 1e-9;
    CHECK(nrtx_get_queue_stats(0, NRTA_XU_COMPUTE, 0, &q1));
    ctx_s[0] = (double)tw * 1e-9 / O.pipe_iters;
    ctx_s[1] = (double)(q1.busy_ns - q0.busy_ns) * 1e-9 / O.pipe_iters;
    ctx_s[2] = (double)tr * 1e-9 / O.pipe_iters;
    for (int k = 0; k < ns && k < O.pipe_iters; k++)
        *ok &= pipe_check(s, k);
    return O.pipe_iters / secs;
}

/* Explicit async with |ns| sets in rotation. The application enforces the
 * dependencies: write i once exec i-ns is done (its input tensor is free),
 * exec i once write i and read i-ns are done, read i once exec i is done.
 * Each unit runs in order, so only the oldest outstanding request of a
 * stage needs polling. */
static double pipe_async(nrt_model_t *m, pipe_set_t *s, int ns, int mode, bool *ok, th_acct_t *acct)
{
    int n = O.pipe_iters;
    th_acct_t a0, a1, d;
    th_snapshot(&a0);
    nrta_seq_t *wseq = calloc((size_t)n, sizeof *wseq), *xseq = calloc((size_t)n, sizeof *xseq),
               *rseq = calloc((size_t)n, sizeof *rseq);
    int ws = 0, wd = 0, xs = 0, xd = 0, rs = 0, rd = 0; /* scheduled / done counts */
    uint64_t t0 = bench_now_ns();
    while (rd < n) {
        bool progress = false;
        while (wd < ws && is_done(wseq[wd]))
            wd++, progress = true;
        while (xd < xs && is_done(xseq[xd]))
            xd++, progress = true;
        while (rd < rs && is_done(rseq[rd])) {
            *ok &= pipe_tag_ok(s, ns, rd);
            rd++, progress = true;
        }
        while (ws < n && ws < xd + ns) {
            int k = ws % ns;
            pipe_tag_set(s, ns, ws); /* write ws-ns is done: exec ws-ns was */
            CHECK(nrta_tensor_write(s[k].din, s[k].hin, 0, BENCH_PIPE_BYTES, 0, NULL, &wseq[ws]));
            ws++, progress = true;
        }
        while (xs < wd && xs < rd + ns) {
            int k = xs % ns;
            CHECK(nrta_execute_schedule(m, s[k].in, s[k].out, 0, NULL, &xseq[xs]));
            xs++, progress = true;
        }
        while (rs < xd) {
            int k = rs % ns;
            CHECK(nrta_tensor_read(s[k].hout, s[k].dout, 0, BENCH_PIPE_BYTES, 0, NULL, &rseq[rs]));
            rs++, progress = true;
        }
        if (!progress) {
            if (mode == POLL_YIELD) {
                sched_yield();
            } else if (mode == POLL_SLEEP) {
                bench_sleep_ns(20000);
            } else if (mode == POLL_FD) {
                nrta_seq_t oldest[3];
                int no = 0;
                if (wd < ws)
                    oldest[no++] = wseq[wd];
                if (xd < xs)
                    oldest[no++] = xseq[xd];
                if (rd < rs)
                    oldest[no++] = rseq[rd];
                wait_any_fd(oldest, no);
            } else {
                relax();
            }
        }
    }
    double secs = (double)(bench_now_ns() - t0) * 1e-9;
    th_snapshot(&a1);
    th_diff_us(&a0, &a1, 1.0, &d);
    for (int i = 0; i < TH_NUM; i++) {
        acct->cpu[i] += d.cpu[i];
        acct->wait[i] += d.wait[i];
    }
    for (int k = 0; k < ns && k < n; k++)
        *ok &= pipe_check(s, k);
    free(wseq);
    free(xseq);
    free(rseq);
    return n / secs;
}

/* Each run measures the standalone stages, then the synchronous and the
 * async pipeline back to back, so that the bound and the rates come from
 * the same few hundred milliseconds (this VM's memory speed drifts by tens
 * of percent between seconds). Figures are medians over the runs. */
static void pipeline(void)
{
    nrt_model_t *m = load_model("scale");
    int ns = O.pipe_sets;
    pipe_set_t *s = pipe_sets_create(ns);
    bool ok = true;
    enum { MAXR = 64 };
    double vs[MAXR], vb[MAXR], vib[MAXR], va[2][MAXR], ve[2][MAXR], vie[MAXR], vst[3][MAXR], vis[3][MAXR];
    int runs = O.pipe_runs < MAXR ? O.pipe_runs : MAXR;
    int modes[2] = {POLL_SPIN, poll_mode};
    memset(R.acct, 0, sizeof R.acct);
    for (int r = 0; r < runs; r++) {
        double iso[3], ctx[3];
        pipe_stages(m, s, ns, iso);
        vib[r] = bench_bound_its(iso, O.cores);
        vs[r] = pipe_sync(m, s, ns, &ok, ctx);
        vb[r] = bench_bound_its(ctx, O.cores);
        for (int i = 0; i < 3; i++) {
            vst[i][r] = ctx[i] * 1e3;
            vis[i][r] = iso[i] * 1e3;
        }
        for (int v = 0; v < 2; v++) {
            if (trace_path && r == runs - 1 && v == 1)
                CHECK(nrtx_trace_start());
            va[v][r] = pipe_async(m, s, ns, modes[v], &ok, &R.acct[v]);
            ve[v][r] = va[v][r] / vb[r];
            if (trace_path && r == runs - 1 && v == 1)
                CHECK(nrtx_trace_stop());
        }
        vie[r] = va[0][r] / vib[r];
    }
    if (trace_path)
        CHECK(nrtx_trace_write(trace_path));
    for (int i = 0; i < 3; i++) {
        R.stage_ms[i] = bench_quantile(vst[i], (size_t)runs, 0.5);
        R.iso_ms[i] = bench_quantile(vis[i], (size_t)runs, 0.5);
    }
    R.bound_its = bench_quantile(vb, (size_t)runs, 0.5);
    R.iso_bound_its = bench_quantile(vib, (size_t)runs, 0.5);
    R.iso_eff = bench_quantile(vie, (size_t)runs, 0.5);
    R.sync_its = bench_quantile(vs, (size_t)runs, 0.5);
    for (int v = 0; v < 2; v++) {
        R.async_its[v] = bench_quantile(va[v], (size_t)runs, 0.5);
        R.eff_lo[v] = bench_quantile(ve[v], (size_t)runs, 0.1);
        R.eff_hi[v] = bench_quantile(ve[v], (size_t)runs, 0.9);
        R.eff[v] = bench_quantile(ve[v], (size_t)runs, 0.5);
        /* Per iteration. */
        for (int i = 0; i < TH_NUM; i++) {
            R.acct[v].cpu[i] /= (double)runs * O.pipe_iters;
            R.acct[v].wait[i] /= (double)runs * O.pipe_iters;
        }
    }
    R.pipe_ok = ok;
    pipe_sets_destroy(s, ns);
    CHECK(nrt_unload(m));
}

/*===------------------------------------------------------------------===*/
/* Idle cost                                                              */
/*===------------------------------------------------------------------===*/

static double idle_cost(void)
{
    /* Let every worker pass its spin window and fall asleep first. */
    bench_sleep_ns(100000000ull + 4 * R.spin_ns);
    double c0 = bench_cpu_s();
    uint64_t t0 = bench_now_ns();
    bench_sleep_ns((uint64_t)(O.idle_s * 1e9));
    double c1 = bench_cpu_s();
    uint64_t t1 = bench_now_ns();
    return 100.0 * (c1 - c0) / ((double)(t1 - t0) * 1e-9);
}

/*===------------------------------------------------------------------===*/
/* Peer stub                                                              */
/*===------------------------------------------------------------------===*/

#if !BENCH_HAVE_OPENCL
int bench_peer_run(const bench_opts_t *opts, bench_peer_t *out)
{
    (void)opts;
    memset(out, 0, sizeof *out);
    out->available = false;
    snprintf(out->why, sizeof out->why, "built without OpenCL (find_package(OpenCL) failed)");
    return 0;
}
#endif

/*===------------------------------------------------------------------===*/
/* Report                                                                 */
/*===------------------------------------------------------------------===*/

static void cpu_model(char *buf, size_t n)
{
    snprintf(buf, n, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            if (p) {
                p++;
                while (*p == ' ')
                    p++;
                p[strcspn(p, "\n")] = '\0';
                snprintf(buf, n, "%s", p);
            }
            break;
        }
    }
    fclose(f);
}

static const char *met(double v, bool yes)
{
    return isnan(v) ? "n/a" : yes ? "yes" : "NO";
}

/* Ratio a/b, or NaN where the baseline is missing. */
static double ratio(double a, double b)
{
    return (isnan(a) || isnan(b) || b == 0) ? NAN : a / b;
}

static void fmt(char *buf, size_t n, double v, int prec)
{
    if (isnan(v))
        snprintf(buf, n, "n/a");
    else
        snprintf(buf, n, "%.*f", prec, v);
}

/* One table row. */
static void row(const char *what, double v, int prec, const char *unit, double base, const char *base_what,
                double rat, const char *target, const char *ok)
{
    char a[32], b[32], r[32];
    fmt(a, sizeof a, v, prec);
    fmt(b, sizeof b, base, prec);
    fmt(r, sizeof r, rat, 3);
    printf("  %-30s %10s %-5s %10s  %-24s %8s  %-9s %s\n", what, a, unit, b, base_what, r, target, ok);
}

/* One key=value line: figure, baseline, ratio, target verdict. */
static void kvr(const char *key, double v, const char *base_key, double base, double rat, const char *target,
                const char *ok)
{
    char a[32], b[32], r[32];
    fmt(a, sizeof a, v, 3);
    fmt(b, sizeof b, base, 3);
    fmt(r, sizeof r, rat, 4);
    printf("%s=%s %s=%s ratio=%s", key, a, base_key, b, r);
    if (target)
        printf(" target=%s met=%s", target, ok);
    printf("\n");
}

static void kv(const char *key, double v, const char *base_key, double base, const char *target, const char *ok)
{
    kvr(key, v, base_key, base, ratio(v, base), target, ok);
}

/* The lines under the table that explain the pipeline figures: their
 * spread over the runs, and where each iteration's CPU time went. */
static void pipe_diagnostics(void)
{
    printf("\n  pipeline efficiency, p10..p90 over %d runs: spin poll %.3f..%.3f, %s wait %.3f..%.3f\n",
           O.pipe_runs, R.eff_lo[0], R.eff_hi[0], poll_names[poll_mode], R.eff_lo[1], R.eff_hi[1]);
    printf("  efficiency of the spin-poll pipeline against the bound from isolated stages: %.3f\n", R.iso_eff);
    printf("  async pipeline CPU per iteration (us on CPU / us runnable but waiting), from schedstat;\n"
           "  the in-context stages sum to %.0f us, the isolated ones to %.0f us:\n",
           (R.stage_ms[0] + R.stage_ms[1] + R.stage_ms[2]) * 1e3, (R.iso_ms[0] + R.iso_ms[1] + R.iso_ms[2]) * 1e3);
    for (int v = 0; v < 2; v++) {
        double tot = 0;
        printf("    %-6s", v ? poll_names[poll_mode] : "spin");
        for (int i = 0; i < TH_NUM; i++) {
            printf(" %s %.0f/%.0f", th_names[i], R.acct[v].cpu[i], R.acct[v].wait[i]);
            tot += R.acct[v].cpu[i];
        }
        printf("  total %.0f, wall %.0f x %ld cores = %.0f\n", tot, 1e6 / R.async_its[v], O.cores,
               1e6 / R.async_its[v] * (double)O.cores);
    }
}

enum { PART_SCHED = 1, PART_RT = 2, PART_BW = 4, PART_PIPE = 8, PART_IDLE = 16, PART_ALL = 31 };

/* Parses "sched,rt,bw,pipe,idle" into PART_* bits (0 on error). */
static unsigned parse_parts(const char *list)
{
    static const char *const names[] = {"sched", "rt", "bw", "pipe", "idle"};
    unsigned bits = 0;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        unsigned b = 0;
        for (unsigned i = 0; i < 5; i++)
            if (!strcmp(tok, names[i]))
                b = 1u << i;
        if (!b)
            return 0;
        bits |= b;
    }
    return bits;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_async [--quick] [--no-peer] [--iters N] [--sets N] [--poll spin|yield|sleep|fd] [--trace FILE]\n"
                    "                   [--only sched,rt,bw,pipe,idle]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    bool peer_on = true;
    int iters = 0, sets = 3;
    unsigned only = PART_ALL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            O.quick = true;
        else if (!strcmp(argv[i], "--no-peer"))
            peer_on = false;
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc)
            iters = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--sets") && i + 1 < argc)
            sets = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--poll") && i + 1 < argc) {
            const char *p = argv[++i];
            if (!strcmp(p, "yield"))
                poll_mode = POLL_YIELD;
            else if (!strcmp(p, "sleep"))
                poll_mode = POLL_SLEEP;
            else if (!strcmp(p, "fd"))
                poll_mode = POLL_FD;
            else if (!strcmp(p, "spin"))
                poll_mode = POLL_SPIN;
            else
                usage();
        } else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            only = parse_parts(argv[++i]);
            if (!only)
                usage();
        } else if (!strcmp(argv[i], "--trace") && i + 1 < argc) {
            trace_path = argv[++i];
        } else
            usage();
    }
    if (sets < 1 || sets > 64 || iters < 0)
        usage();

    results_init();
    O.cores = sysconf(_SC_NPROCESSORS_ONLN);
    O.sched_batches = O.quick ? 200 : 4000;
    O.rt_warm = O.quick ? 200 : 5000;
    O.rt_cold = O.quick ? 20 : 400;
    O.bw_bytes = O.quick ? (8u << 20) : (64u << 20);
    O.bw_reps = O.quick ? 2 : 15;
    O.pipe_iters = iters ? iters : (O.quick ? 20 : 200);
    O.pipe_runs = O.quick ? 1 : 9;
    O.pipe_sets = sets;
    O.stage_reps = O.quick ? 6 : 30;
    O.idle_s = O.quick ? 0.2 : 1.0;

    /* Deep queues so that a batch of schedules never finds one full; one
     * core is all the benchmark uses. The caller's settings win. */
    setenv("OPENNRT_QUEUE_DEPTH", "4096", 0);
    setenv("NEURON_RT_NUM_CORES", "1", 0);
    CHECK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    nrtx_config_t cfg;
    CHECK(nrtx_get_config(&cfg));
    R.spin_ns = cfg.spin_ns;
    /* Cold means "the worker went to sleep": well past the spin window. */
    O.cold_idle_ns = 2000000ull;
    if (O.cold_idle_ns < 4 * cfg.spin_ns)
        O.cold_idle_ns = 4 * cfg.spin_ns;

    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    fprintf(stderr, "bench_async: %ld cores (%s), queue depth %u, spin %llu us%s\n", O.cores, cpu,
            cfg.queue_depth, (unsigned long long)(cfg.spin_ns / 1000), O.quick ? ", quick" : "");

    double sys0, steal0, sys1, steal1, own0 = bench_cpu_s();
    uint64_t wall0 = bench_now_ns();
    cpu_noise_sys_s(&sys0, &steal0);

    nrt_tensor_t *small = dev_tensor(SCHED_BYTES, "small");
    char *buf = xmalloc(SCHED_BYTES);

    nrta_error_tracker_t *trk;
    CHECK(nrta_error_tracker_create(0, &trk));
    if (only & PART_SCHED) {
        fprintf(stderr, "bench_async: schedule cost\n");
        R.sched_ns = sched_cost(small, buf, NULL, &R.sched_p99_ns);
        R.sched_trk_ns = sched_cost(small, buf, trk, NULL);
    }
    if (only & PART_RT) {
        fprintf(stderr, "bench_async: round trips\n");
        round_trips(small, buf);
    }
    if (only & PART_BW) {
        fprintf(stderr, "bench_async: bandwidth\n");
        bandwidth();
    }
    if (only & PART_PIPE) {
        fprintf(stderr, "bench_async: pipeline\n");
        pipeline();
    }
    if (only & PART_IDLE) {
        fprintf(stderr, "bench_async: idle cost\n");
        R.idle_pct = idle_cost();
    }

    /* The engine is done; the requests all succeeded? */
    const nrta_error_t *errs;
    size_t nerr = 0;
    CHECK(nrta_error_tracker_get_list(trk, &errs, &nerr));
    nrta_error_tracker_destroy(trk);
    nrt_tensor_free(&small);
    free(buf);
    nrt_close();

    bench_peer_t P;
    memset(&P, 0, sizeof P);
    if (peer_on) {
        fprintf(stderr, "bench_async: peer (OpenCL)\n");
        if (bench_peer_run(&O, &P) != 0)
            return 1;
    } else {
        snprintf(P.why, sizeof P.why, "--no-peer");
    }
    if (!P.available) {
        P.enqueue_ns = P.rt_warm_p50_us = P.rt_warm_p99_us = P.rt_cold_p50_us = P.rt_cold_p99_us = NAN;
        P.serial_its = P.pipe_its = P.bound_its = P.iso_bound_its = P.idle_pct = P.eff = NAN;
        for (int i = 0; i < 3; i++)
            P.stage_ms[i] = P.iso_ms[i] = NAN;
    }

    cpu_noise_sys_s(&sys1, &steal1);
    double wall = (double)(bench_now_ns() - wall0) * 1e-9 * (double)O.cores;
    double foreign = 100.0 * ((sys1 - sys0) - (bench_cpu_s() - own0)) / wall;
    double steal = 100.0 * (steal1 - steal0) / wall;
    if (foreign < 0)
        foreign = 0;

    /* Table. */
    double speedup = R.async_its[0] / R.sync_its, eff = R.eff[0];
    double speedup2 = R.async_its[1] / R.sync_its, eff2 = R.eff[1];
    char alt[64], alt_sp[64], alt_eff[64];
    snprintf(alt, sizeof alt, "pipeline async, %s wait", poll_names[poll_mode]);
    snprintf(alt_sp, sizeof alt_sp, "speedup async/sync, %s wait", poll_names[poll_mode]);
    snprintf(alt_eff, sizeof alt_eff, "efficiency vs bound, %s wait", poll_names[poll_mode]);
    double p_speed = ratio(P.pipe_its, P.serial_its), p_eff = P.eff;
    printf("\nOpenNRT async engine benchmark%s\n", O.quick ? " (--quick: counts too small to quote)" : "");
    printf("machine: %ld online cores, %s; spin window %llu us; queue depth %u\n", O.cores, cpu,
           (unsigned long long)(R.spin_ns / 1000), cfg.queue_depth);
    printf("peer: %s\n", P.available ? P.name : P.why);
    printf("noise: other processes used %.1f%% of the machine during the run, steal %.1f%%%s\n\n", foreign, steal,
           foreign > 5 || steal > 5 ? "  <-- NOT QUIET: figures unreliable, run again" : "");
    printf("  %-30s %10s %-5s %10s  %-24s %8s  %-9s %s\n", "figure", "OpenNRT", "unit", "baseline", "(baseline is)",
           "ratio", "target", "met");
    row("schedule 64 B write, median", R.sched_ns, 1, "ns", P.enqueue_ns, "PoCL enqueue 64 B", ratio(R.sched_ns,
        P.enqueue_ns), "<=100 ns", met(R.sched_ns, R.sched_ns <= 100));
    row("  same, with error tracker", R.sched_trk_ns, 1, "ns", P.enqueue_ns, "PoCL enqueue 64 B",
        ratio(R.sched_trk_ns, P.enqueue_ns), "", "");
    static const char *rt_names[2][2][2] = {
        {{"round trip poll warm p50", "round trip poll warm p99"}, {"round trip poll cold p50", "round trip poll cold p99"}},
        {{"round trip fd warm p50", "round trip fd warm p99"}, {"round trip fd cold p50", "round trip fd cold p99"}}};
    double prt[2][2] = {{P.rt_warm_p50_us, P.rt_warm_p99_us}, {P.rt_cold_p50_us, P.rt_cold_p99_us}};
    for (int fd = 0; fd < 2; fd++)
        for (int c = 0; c < 2; c++)
            for (int p = 0; p < 2; p++)
                row(rt_names[fd][c][p], R.rt[fd][c][p], 2, "us", prt[c][p],
                    c ? "PoCL enq+clFinish cold" : "PoCL enq+clFinish warm", ratio(R.rt[fd][c][p], prt[c][p]), "",
                    "");
    static const char *bw_names[3] = {"bandwidth nrta_tensor_write", "bandwidth nrta_tensor_read",
                                      "bandwidth nrta_tensor_copy"};
    for (int op = 0; op < 3; op++)
        row(bw_names[op], R.bw[op], 2, "GB/s", R.bw_memcpy[op], "memcpy same buffers", R.bw_ratio[op], ">=0.90",
            met(R.bw_ratio[op], R.bw_ratio[op] >= 0.9));
    static const char *st_names[3] = {"stage write 4 MiB", "stage execute scale.so", "stage read 4 MiB"};
    static const char *iso_names[3] = {"  isolated, back to back", "  isolated, back to back",
                                       "  isolated, back to back"};
    for (int i = 0; i < 3; i++) {
        row(st_names[i], R.stage_ms[i], 3, "ms", P.stage_ms[i], "PoCL same stage", ratio(R.stage_ms[i], P.stage_ms[i]),
            "", "");
        row(iso_names[i], R.iso_ms[i], 3, "ms", P.iso_ms[i], "PoCL same, isolated", ratio(R.iso_ms[i], P.iso_ms[i]),
            "", "");
    }
    row("pipeline sync", R.sync_its, 1, "it/s", P.serial_its, "PoCL serial", ratio(R.sync_its, P.serial_its), "",
        "");
    row("pipeline async, spin poll", R.async_its[0], 1, "it/s", P.pipe_its, "PoCL pipelined",
        ratio(R.async_its[0], P.pipe_its), "", "");
    row(alt, R.async_its[1], 1, "it/s", P.pipe_its, "PoCL pipelined", ratio(R.async_its[1], P.pipe_its), "", "");
    row("pipeline ideal bound", R.bound_its, 1, "it/s", P.bound_its, "PoCL bound", ratio(R.bound_its, P.bound_its),
        "", "");
    row("  bound from isolated stages", R.iso_bound_its, 1, "it/s", P.iso_bound_its, "PoCL same",
        ratio(R.iso_bound_its, P.iso_bound_its), "", "");
    row("speedup async/sync, spin poll", speedup, 2, "x", p_speed, "PoCL pipelined/serial", ratio(speedup, p_speed),
        "", "");
    row(alt_sp, speedup2, 2, "x", p_speed, "PoCL pipelined/serial",
        ratio(speedup2, p_speed), "", "");
    row("efficiency vs bound, spin poll", eff, 3, "", p_eff, "PoCL vs its bound", ratio(eff, p_eff), ">=0.90",
        met(eff, eff >= 0.9));
    row(alt_eff, eff2, 3, "", p_eff, "PoCL vs its bound", ratio(eff2, p_eff), ">=0.90",
        met(eff2, eff2 >= 0.9));
    row("idle CPU, quiet second", R.idle_pct, 3, "%", P.idle_pct, "PoCL idle", ratio(R.idle_pct, P.idle_pct),
        "<1 %", met(R.idle_pct, R.idle_pct < 1.0));
    if (only & PART_PIPE)
        pipe_diagnostics();
    printf("\n");

    /* key=value lines. */
    printf("nproc=%ld\n", O.cores);
    printf("foreign_cpu_pct=%.2f steal_pct=%.2f\n", foreign, steal);
    char t[64];
    kv("schedule_ns", R.sched_ns, "pocl_enqueue_ns", P.enqueue_ns, "<=100", met(R.sched_ns, R.sched_ns <= 100));
    kv("schedule_p99_ns", R.sched_p99_ns, "pocl_enqueue_ns", P.enqueue_ns, NULL, NULL);
    kv("schedule_tracker_ns", R.sched_trk_ns, "pocl_enqueue_ns", P.enqueue_ns, NULL, NULL);
    static const char *fdk[2] = {"poll", "fd"}, *ck[2] = {"warm", "cold"}, *pk[2] = {"p50", "p99"};
    for (int fd = 0; fd < 2; fd++)
        for (int c = 0; c < 2; c++)
            for (int p = 0; p < 2; p++) {
                char key[64], bk[64];
                snprintf(key, sizeof key, "rt_%s_%s_%s_us", fdk[fd], ck[c], pk[p]);
                snprintf(bk, sizeof bk, "pocl_rt_%s_%s_us", ck[c], pk[p]);
                kv(key, R.rt[fd][c][p], bk, prt[c][p], NULL, NULL);
            }
    static const char *bwk[3] = {"bw_write_gbs", "bw_read_gbs", "bw_copy_gbs"};
    static const char *bwb[3] = {"memcpy_write_gbs", "memcpy_read_gbs", "memcpy_copy_gbs"};
    for (int op = 0; op < 3; op++)
        kvr(bwk[op], R.bw[op], bwb[op], R.bw_memcpy[op], R.bw_ratio[op], ">=0.90",
            met(R.bw_ratio[op], R.bw_ratio[op] >= 0.9));
    static const char *stk[3] = {"stage_write_ms", "stage_exec_ms", "stage_read_ms"};
    static const char *pstk[3] = {"pocl_stage_write_ms", "pocl_stage_kernel_ms", "pocl_stage_read_ms"};
    static const char *istk[3] = {"iso_stage_write_ms", "iso_stage_exec_ms", "iso_stage_read_ms"};
    static const char *ipstk[3] = {"pocl_iso_stage_write_ms", "pocl_iso_stage_kernel_ms", "pocl_iso_stage_read_ms"};
    for (int i = 0; i < 3; i++)
        kv(stk[i], R.stage_ms[i], pstk[i], P.stage_ms[i], NULL, NULL);
    for (int i = 0; i < 3; i++)
        kv(istk[i], R.iso_ms[i], ipstk[i], P.iso_ms[i], NULL, NULL);
    kv("pipe_sync_its", R.sync_its, "pocl_serial_its", P.serial_its, NULL, NULL);
    kv("pipe_async_its", R.async_its[0], "pocl_pipe_its", P.pipe_its, NULL, NULL);
    snprintf(t, sizeof t, "pipe_async_%s_its", poll_names[poll_mode]);
    kv(t, R.async_its[1], "pocl_pipe_its", P.pipe_its, NULL, NULL);
    kv("pipe_bound_its", R.bound_its, "pocl_bound_its", P.bound_its, NULL, NULL);
    kv("pipe_iso_bound_its", R.iso_bound_its, "pocl_iso_bound_its", P.iso_bound_its, NULL, NULL);
    kv("pipe_speedup", speedup, "pocl_speedup", p_speed, NULL, NULL);
    kv("pipe_efficiency", eff, "pocl_efficiency", p_eff, ">=0.90", met(eff, eff >= 0.9));
    snprintf(t, sizeof t, "pipe_speedup_%s", poll_names[poll_mode]);
    kv(t, speedup2, "pocl_speedup", p_speed, NULL, NULL);
    snprintf(t, sizeof t, "pipe_efficiency_%s", poll_names[poll_mode]);
    kv(t, eff2, "pocl_efficiency", p_eff, ">=0.90", met(eff2, eff2 >= 0.9));
    kv("idle_cpu_pct", R.idle_pct, "pocl_idle_cpu_pct", P.idle_pct, "<1", met(R.idle_pct, R.idle_pct < 1.0));
    snprintf(t, sizeof t, "%s", R.pipe_ok && (!P.available || P.pipe_ok) && nerr == 0 ? "yes" : "NO");
    printf("outputs_ok=%s\n", t);
    if (!R.pipe_ok || nerr) {
        fprintf(stderr, "bench_async: wrong pipeline output or request errors (%zu)\n", nerr);
        return 1;
    }
    if (P.available && !P.pipe_ok) {
        fprintf(stderr, "bench_async: wrong PoCL pipeline output\n");
        return 1;
    }
    return 0;
}

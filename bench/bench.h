/*
 * bench/bench.h - shared pieces of the engine benchmark: clock and
 * statistics helpers, the options both halves read, and the interface of
 * the OpenCL (PoCL) peer that gives every OpenNRT figure a baseline
 * measured in the same run.
 *
 * The peer lives in bench_pocl.c when CMake found OpenCL; otherwise
 * bench_async.c provides a stub that reports "n/a".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* One scalar (4 MiB of fp32) as in models/scale.c. */
#define BENCH_PIPE_ELEMS (1024u * 1024u)
#define BENCH_PIPE_BYTES (BENCH_PIPE_ELEMS * 4u)

typedef struct bench_opts {
    bool quick;            /* --quick: tiny counts, for the CTest smoke run */
    int sched_batches;     /* schedule-cost batches of 32 */
    int rt_warm;           /* warm round-trip samples */
    int rt_cold;           /* cold round-trip samples */
    uint64_t cold_idle_ns; /* idle time before a cold sample */
    int bw_reps;           /* 64 MiB bandwidth repetitions */
    size_t bw_bytes;
    int pipe_iters;        /* pipeline iterations per run */
    int pipe_runs;         /* pipeline runs (median taken) */
    int pipe_sets;         /* tensor sets in rotation (multi-buffering) */
    int stage_reps;        /* standalone stage repetitions */
    double idle_s;         /* idle-cost window */
    long cores;            /* sysconf(_SC_NPROCESSORS_ONLN) */
} bench_opts_t;

/* Baseline figures from the peer; NaN where not measured. */
typedef struct bench_peer {
    bool available;
    char name[520];        /* platform + device */
    char why[160];         /* when !available */
    double enqueue_ns;     /* median clEnqueueWriteBuffer(64 B, non-blocking) */
    double rt_warm_p50_us, rt_warm_p99_us, rt_cold_p50_us, rt_cold_p99_us;
    double stage_ms[3];    /* write, kernel, read: in the serial pipeline */
    double iso_ms[3];      /* the same, each stage alone back to back */
    double serial_its, pipe_its, bound_its; /* medians over the runs */
    double iso_bound_its;                   /* bound from iso_ms */
    double eff;                             /* median of per-run pipe/bound */
    bool pipe_ok;          /* outputs checked */
    double idle_pct;
} bench_peer_t;

/* Runs every peer measurement; fills |out| (out->available false when the
 * peer cannot run). Returns 0, or -1 on an unexpected OpenCL failure. */
int bench_peer_run(const bench_opts_t *opts, bench_peer_t *out);

/* Exits with a message naming |prog| when |expr| is not NRT_SUCCESS. */
#define BENCH_CHECK(prog, expr)                                                                        \
    do {                                                                                               \
        NRT_STATUS st_ = (expr);                                                                       \
        if (st_ != NRT_SUCCESS) {                                                                      \
            fprintf(stderr, "%s: %s:%d: %s returned %s\n", prog, __FILE__, __LINE__, #expr,           \
                    nrt_get_status_as_str(st_));                                                       \
            exit(1);                                                                                   \
        }                                                                                              \
    } while (0)

static inline void bench_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Reads a whole file (exits with a message naming |prog| on failure). */
static inline void *bench_read_file(const char *prog, const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open %s\n", prog, path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *b = malloc(n > 0 ? (size_t)n : 1);
    if (!b || n <= 0 || fread(b, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "%s: cannot read %s\n", prog, path);
        exit(1);
    }
    fclose(f);
    *size = (size_t)n;
    return b;
}

static inline uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void bench_sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* |q|-quantile (0..1) of |v| (sorted in place), nearest rank. */
static inline double bench_quantile(double *v, size_t n, double q)
{
    if (n == 0)
        return 0.0 / 0.0;
    qsort(v, n, sizeof *v, bench_cmp_double);
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

/* Ideal pipeline rate: each stage is a serial resource and a stage keeps
 * one core busy, so iterations/s <= 1/slowest and <= cores/sum. */
static inline double bench_bound_its(const double stage_s[3], long cores)
{
    double mx = 0, sum = 0;
    for (int i = 0; i < 3; i++) {
        sum += stage_s[i];
        if (stage_s[i] > mx)
            mx = stage_s[i];
    }
    double a = 1.0 / mx, b = (double)cores / sum;
    return a < b ? a : b;
}

/* Process CPU time (user + system) in seconds. */
double bench_cpu_s(void);

/* The pipeline's input pattern: set |k|, element |j|; small integers so
 * that 2x+1 is exact in fp32. */
static inline float bench_pipe_x(int k, size_t j)
{
    return (float)((j * 7u + (size_t)k * 13u) % 1024u);
}

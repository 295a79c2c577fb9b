/*
 * tools/nrt_cc_test.c - nrt-cc-test: measures and checks collectives
 * (all-reduce, all-gather, reduce-scatter) and ring send/receive through
 * the public API only, in the shape of AWS nccom-test.
 *
 * Ranks. A world of RANKS members, each a logical core that joined with
 * nrt_cc_global_comm_init(core, global id, RANKS). They live
 *   - as cores of this process (default): one thread per rank; the
 *     runtime gets NEURON_RT_NUM_CORES=RANKS unless the core settings are
 *     already in the environment;
 *   - in RANKS local processes (--procs): this program forks and execs
 *     itself once per rank with NEURON_RT_VISIBLE_CORES=<i> and
 *     NEURON_RT_ROOT_COMM_ID=127.0.0.1:<free port>, watches them and
 *     collects their exit statuses (the launcher never starts a runtime);
 *   - in processes started by the user or by mpirun (--rank R --world N,
 *     or OMPI_COMM_WORLD_RANK / _SIZE, PMI_RANK / PMI_SIZE): each process
 *     holds RANKS / N cores (global ids R*L .. R*L+L-1).
 * Process-level facts (timings, check results, sendrecv addresses) move
 * between ranks with nrt_all_gather, and the timed loop starts after an
 * nrt_barrier, so every mode runs the same code.
 *
 * Per size, every rank: allocates its input and output DEVICE tensors,
 * writes its input, poisons its output, runs the warm-up iterations, meets
 * the others at a barrier, runs the timed iterations one at a time
 * (nrta_cc_prepare + nrta_cc_schedule + wait, or recv + send + wait for
 * sendrecv), reads its output back and checks it against a reference it
 * computes itself. An iteration's time is the slowest rank's; the row
 * reports the mean over the iterations and the requested percentiles.
 *
 * Nothing waits without a bound: completions are polled, then waited for
 * on completion fds, up to --timeout; a watchdog thread ends the process
 * (exit 1, a message naming the rank and the step) when a synchronous
 * call (barrier, all-gather, init, close) does not return in time. A
 * failure makes the process exit at once: the other ranks then see a
 * gone member or time out themselves.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "nrt/nrt.h"
#include "nrt/nrt_async.h"
#include "nrt/nrt_async_sendrecv.h"
#include "nrt/nrt_experimental.h"
#include "nrt/nrt_ext.h"

#define PROG "nrt-cc-test"
#define MAX_SIZES 4096
#define MAX_WORLD 4096
#define DEFAULT_TOTAL_CORES 16 /* OPENNRT_TOTAL_CORES when unset */

/*===------------------------------------------------------------------===*/
/* Operations, data types, statistics                                     */
/*===------------------------------------------------------------------===*/

typedef enum { OP_ALLR = 0, OP_ALLG, OP_REDSCT, OP_SENDRECV, OP_NUM } op_t;
static const char *const op_names[OP_NUM] = {"allr", "allg", "redsct", "sendrecv"};
static const nrt_cc_op_type_t op_cc[OP_NUM] = {NRT_CC_ALLREDUCE, NRT_CC_ALLGATHER, NRT_CC_REDUCESCATTER,
                                              NRT_CC_ALLREDUCE /* unused */};
/* OPENNRT_CC_<OP>: the runtime's algorithm setting of each collective. */
static const char *const op_env[OP_NUM] = {"OPENNRT_CC_ALLREDUCE", "OPENNRT_CC_ALLGATHER",
                                           "OPENNRT_CC_REDUCESCATTER", NULL};

typedef enum { K_F32, K_F16, K_BF16, K_SINT, K_UINT } kind_t;

typedef struct {
    const char *name, *alias;
    nrt_dtype_t dt;
    size_t size;
    kind_t kind;
    int64_t exact; /* largest magnitude every partial sum keeps exactly */
} dtype_info_t;

static const dtype_info_t dtypes[] = {
    {"fp32", "float32", NRT_DTYPE_FLOAT32, 4, K_F32, 1ll << 24},
    {"fp16", "float16", NRT_DTYPE_FLOAT16, 2, K_F16, 2048},
    {"bf16", "bfloat16", NRT_DTYPE_BFLOAT16, 2, K_BF16, 256},
    {"int8", "i8", NRT_DTYPE_INT8, 1, K_SINT, 127},
    {"uint8", "u8", NRT_DTYPE_UINT8, 1, K_UINT, 255},
    {"int16", "i16", NRT_DTYPE_INT16, 2, K_SINT, 32767},
    {"uint16", "u16", NRT_DTYPE_UINT16, 2, K_UINT, 65535},
    {"int32", "i32", NRT_DTYPE_INT32, 4, K_SINT, 2147483647ll},
    {"uint32", "u32", NRT_DTYPE_UINT32, 4, K_UINT, 4294967295ll},
    {"int64", "i64", NRT_DTYPE_INT64, 8, K_SINT, 1ll << 40},
    {"uint64", "u64", NRT_DTYPE_UINT64, 8, K_UINT, 1ll << 40},
};
#define NDTYPES (sizeof dtypes / sizeof dtypes[0])

typedef enum { CHECK_NONE = 0, CHECK_ONES, CHECK_RANDOM } check_t;
static const char *const check_names[] = {"none", "all_ones", "random"};

typedef enum { RED_SUM = 0, RED_MAX, RED_MIN } red_t;
static const char *const red_names[] = {"sum", "max", "min"};
static const nrt_op_type_t red_ops[] = {NRT_OP_ADD, NRT_OP_MAX, NRT_OP_MIN};

enum { ST_AVG = 0, ST_MIN, ST_MAX, ST_P50, ST_P90, ST_P95, ST_P99, ST_NUM };
static const char *const stat_names[ST_NUM] = {"avg", "min", "max", "p50", "p90", "p95", "p99"};
static const double stat_q[ST_NUM] = {-1, 0.0, 1.0, 0.50, 0.90, 0.95, 0.99};

/*===------------------------------------------------------------------===*/
/* Options and state                                                      */
/*===------------------------------------------------------------------===*/

typedef struct {
    op_t op;
    bool op_set;
    uint32_t ranks; /* 0: not given */
    uint64_t minb, maxb, stepb;
    bool minb_set, maxb_set;
    double factor;
    uint64_t iters, warmup;
    const dtype_info_t *dt;
    check_t check;
    red_t red;
    uint64_t seed;
    bool stats[ST_NUM];
    bool show_algo;
    const char *json_path;
    bool procs;
    long rank, world; /* process rank / count; -1: not given */
    double timeout_s;
    uint64_t spin_ns;
    bool gib;
    const char *ip;
    int heartbeat_fd;
    bool inject_mismatch;
} opts_t;

/* Gathered from every rank after each size: what it saw. */
typedef struct {
    uint32_t gid;
    uint32_t failed;     /* a request error (the rank has exited: never sent) */
    uint64_t mismatches; /* elements that differ from the reference */
    uint64_t first_bad;  /* element index of the first one */
    double got, want;    /* its value and the expected one */
    char transport[32];  /* sendrecv: the path its send communicator took */
} rank_report_t;

/* Exchanged once for sendrecv: where a rank's core can be reached. */
typedef struct {
    char ip[64];
    uint32_t lnc; /* absolute core id (nrt_async_sendrecv_init) */
    uint32_t gid;
} rank_addr_t;

typedef struct {
    uint64_t size, count, in_bytes, out_bytes;
    double stat_us[ST_NUM];
    double algbw, busbw; /* bytes/s */
    uint64_t mismatches;
    const char *algo;
} row_t;

typedef struct rank_s {
    uint32_t vnc, gid;
    pthread_t thread;
    nrta_error_tracker_t *trk;
    nrt_cc_comm_t comm;
    /* Watchdog: the step running since phase_t0 (0: none). */
    _Atomic uint64_t phase_t0;
    const char *_Atomic phase;
    _Atomic uint64_t phase_size;
    /* sendrecv */
    uint32_t abs_lnc;
    nrt_async_sendrecv_comm_t *tx, *rx;
    char transport[32];
} rank_t;

static struct {
    opts_t o;
    uint32_t world;        /* ranks in all */
    uint32_t nproc;        /* processes */
    uint32_t proc;         /* this process's rank */
    uint32_t local;        /* ranks (cores) in this process */
    const char *mode;      /* "threads", "procs", "processes" */
    uint64_t sizes[MAX_SIZES];
    unsigned nsizes;
    uint32_t *group;       /* 0 .. world-1 */
    rank_t *ranks;
    int64_t amp;           /* random values lie in [-amp, amp] ([0, amp] unsigned) */
    long ncpu;
    row_t rows[MAX_SIZES];
    unsigned nrows;
    _Atomic bool any_mismatch;
    _Atomic bool stop_watchdog;
    _Atomic uint64_t last_beat;
    uint32_t cores_vis[MAX_WORLD];
    char my_ip[64];
} G;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Ends the process now: other threads may be inside the runtime waiting for
 * peers that will never come, so neither they nor nrt_close are waited for. */
static _Noreturn void die(void)
{
    fflush(stdout);
    fflush(stderr);
    _exit(1);
}

/* --report-to-json-file: a run that fails before its report still leaves
 * JSON there, the error object of its first message (json_write_error); a
 * report written later replaces it. */
static void json_error_file(const char *m)
{
    static bool written;
    if (written || !G.o.json_path || G.proc != 0)
        return;
    written = true;
    FILE *f = fopen(G.o.json_path, "w");
    if (f) {
        json_write_error(f, PROG, m);
        fclose(f);
    }
}

static void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void msg(const char *fmt, ...)
{
    char b[1024];
    int n = G.nproc > 1 ? snprintf(b, sizeof b, PROG "[process %u]: ", G.proc) : snprintf(b, sizeof b, PROG ": ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b + n, sizeof b - (size_t)n, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", b);
    json_error_file(b + n);
}

/* A rank's failure: one line naming the rank, then the process ends. */
static _Noreturn void rank_fail(const rank_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static _Noreturn void rank_fail(const rank_t *r, const char *fmt, ...)
{
    char b[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    fprintf(stderr, PROG ": rank %u (core %u): %s\n", r->gid, r->vnc, b);
    char m[1100];
    snprintf(m, sizeof m, "rank %u (core %u): %s", r->gid, r->vnc, b);
    json_error_file(m);
    die();
}

/* Tells the --procs launcher this process is alive (at most 4 times/s). */
static void beat(void)
{
    if (G.o.heartbeat_fd < 0)
        return;
    uint64_t t = now_ns(), last = atomic_load_explicit(&G.last_beat, memory_order_relaxed);
    if (t - last < 250000000ull ||
        !atomic_compare_exchange_strong_explicit(&G.last_beat, &last, t, memory_order_relaxed, memory_order_relaxed))
        return;
    ssize_t w = write(G.o.heartbeat_fd, ".", 1);
    (void)w;
}

/* Marks the step rank |r| is in, for the watchdog (relaxed: the watchdog
 * only needs to see it eventually, and reads a consistent-enough name). */
static void phase(rank_t *r, const char *what, uint64_t size)
{
    atomic_store_explicit(&r->phase, what, memory_order_relaxed);
    atomic_store_explicit(&r->phase_size, size, memory_order_relaxed);
    atomic_store_explicit(&r->phase_t0, what ? now_ns() : 0, memory_order_relaxed);
    beat();
}

static void *watchdog(void *arg)
{
    (void)arg;
    /* Synchronous calls get 5 s more than the waits the program bounds
     * itself, so that those report first, with their own message. */
    uint64_t limit = (uint64_t)((G.o.timeout_s + 5.0) * 1e9);
    while (!atomic_load_explicit(&G.stop_watchdog, memory_order_relaxed)) {
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
        uint64_t t = now_ns();
        for (uint32_t i = 0; i < G.local; i++) {
            rank_t *r = &G.ranks[i];
            uint64_t t0 = atomic_load_explicit(&r->phase_t0, memory_order_relaxed);
            if (t0 && t > t0 && t - t0 > limit) {
                const char *what = atomic_load_explicit(&r->phase, memory_order_relaxed);
                uint64_t sz = atomic_load_explicit(&r->phase_size, memory_order_relaxed);
                char szs[48] = "";
                if (sz)
                    snprintf(szs, sizeof szs, " (size %" PRIu64 " B)", sz);
                fprintf(stderr,
                        PROG ": rank %u (core %u): %s did not finish within %.0f s%s; giving up (a peer may be "
                        "missing: check that all %u ranks started, and NEURON_RT_ROOT_COMM_ID)\n",
                        r->gid, r->vnc, what ? what : "?", (double)limit * 1e-9, szs, G.world);
                die();
            }
        }
    }
    return NULL;
}

/*===------------------------------------------------------------------===*/
/* Usage and option parsing                                               */
/*===------------------------------------------------------------------===*/

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: " PROG " -r RANKS [allr|allg|redsct|sendrecv] [options]\n"
        "       " PROG " --procs -r RANKS ...                  (one local process per rank)\n"
        "       " PROG " --rank R --world N [-r RANKS] ...     (process R of N; or under mpirun)\n"
        "\n"
        "Measures collectives of OpenNRT (nrta_cc_prepare + nrta_cc_schedule) between RANKS\n"
        "logical cores, or ring send/receive (nrt_async_sendrecv_*), over a range of sizes, and\n"
        "checks every result. Modelled on AWS nccom-test.\n"
        "\n"
        "Operation (default allr):\n"
        "  allr       all-reduce: in = out = size bytes\n"
        "  allg       all-gather: each rank gives size/RANKS bytes, out = size bytes\n"
        "  redsct     reduce-scatter: in = size bytes, each rank gets size/RANKS bytes\n"
        "  sendrecv   each rank sends size bytes to rank+1 and receives from rank-1 (a ring)\n"
        "\n"
        "Sizes (SIZE: bytes, or with K/M/G, KB/MB/GB or KiB/MiB/GiB: all powers of 1024, so\n"
        "1kb = 1024; sizes are rounded down to whole elements, times RANKS for allg/redsct):\n"
        "  -b, --minbytes SIZE       first size (default 32M)\n"
        "  -e, --maxbytes SIZE       last size (default: the first)\n"
        "  -f, --stepfactor F        next size = size * F (default 2)\n"
        "  -i, --stepbytes SIZE      next size = size + SIZE (instead of -f)\n"
        "\n"
        "Run:\n"
        "  -r, --nworkers RANKS      ranks in the world (required unless --world/mpirun says)\n"
        "  -n, --iters N             timed iterations per size (default 20)\n"
        "  -w, --warmup_iters N      untimed iterations before them (default 5)\n"
        "  -d, --datatype T          fp32 (default), fp16, bf16, int8, uint8, int16, uint16,\n"
        "                            int32, uint32, int64, uint64\n"
        "      --reduce-op OP        sum (default), max or min (allr, redsct)\n"
        "  -c, --check MODE          all_ones (default): inputs are 1, results exact;\n"
        "                            random: seeded small integers, exact reference computed\n"
        "                            by each rank; none: no check\n"
        "      --seed N              seed of -c random (default 1)\n"
        "      --timeout SEC         longest wait for one step (default 60); past it: exit 1\n"
        "      --spin-us N           poll a completion for N us before sleeping on its fd\n"
        "                            (default 20; 0 when ranks outnumber the CPUs)\n"
        "\n"
        "Where the ranks run:\n"
        "  (default)                 RANKS cores of this process, one thread each\n"
        "                            (NEURON_RT_NUM_CORES=RANKS unless NEURON_RT_NUM_CORES or\n"
        "                            NEURON_RT_VISIBLE_CORES is set)\n"
        "      --procs               RANKS local processes: this program starts itself per rank\n"
        "                            with NEURON_RT_VISIBLE_CORES=<rank> and\n"
        "                            NEURON_RT_ROOT_COMM_ID=127.0.0.1:<free port> (unless set)\n"
        "      --rank R --world N    this is process R of N (e.g. one per host); each holds\n"
        "                            RANKS/N cores. NEURON_RT_ROOT_COMM_ID=<host>:<port> of\n"
        "                            process 0 must be set the same for all. Under mpirun,\n"
        "                            OMPI_COMM_WORLD_RANK/SIZE (or PMI_RANK/SIZE) give R and N\n"
        "      --ip ADDR             sendrecv between processes: the address the other\n"
        "                            processes reach this one at (default: the local address\n"
        "                            that routes to NEURON_RT_ROOT_COMM_ID's host)\n"
        "\n"
        "Report (process 0 prints it):\n"
        "      --stats S [S ...]     extra time columns: avg min max p50 p90 p95 p99\n"
        "      --show-algorithm      say which algorithm / path the runtime is asked to use\n"
        "      --report-to-json-file F   also write the results as JSON to F\n"
        "      --gib                 bandwidth in GiB/s (2^30 B/s) instead of GB/s (1e9 B/s)\n"
        "  -h, --help                this text\n"
        "\n"
        "Columns: size(B), count(elems) of the op's size, type, time(us) = mean over the timed\n"
        "iterations of the slowest rank's time for that iteration (prepare + schedule + wait),\n"
        "algbw = size / time, busbw = algbw * 2(RANKS-1)/RANKS (allr), (RANKS-1)/RANKS (allg,\n"
        "redsct), 1 (sendrecv); in GB/s = 1e9 bytes/s (nccom-test prints GiB/s under a GB/s\n"
        "label: use --gib to compare). Last line: Avg bus bandwidth, the mean busbw of the rows.\n"
        "\n"
        "Testing: --inject-mismatch corrupts the last rank's result before the check (the run\n"
        "must then fail).\n"
        "\n"
        "Exit status: 0 ok, 1 failure (request error, wrong result, timeout, a rank died),\n"
        "2 usage error.\n");
}

static int usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_err(const char *fmt, ...)
{
    char m[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    fprintf(stderr, PROG ": %s (try --help)\n", m);
    json_error_file(m);
    return 2;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

/* "8", "1kb", "32M", "4KiB", "1.5G": K/M/G are powers of 1024. */
static bool parse_size(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-')
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || !(v >= 0))
        return false;
    static const struct {
        const char *suffix;
        uint64_t mul;
    } units[] = {{"", 1},           {"b", 1},           {"k", 1ull << 10},  {"kb", 1ull << 10}, {"kib", 1ull << 10},
                 {"m", 1ull << 20}, {"mb", 1ull << 20}, {"mib", 1ull << 20}, {"g", 1ull << 30}, {"gb", 1ull << 30},
                 {"gib", 1ull << 30}};
    uint64_t mul = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcasecmp(end, units[i].suffix))
            mul = units[i].mul;
    if (!mul)
        return false;
    double b = v * (double)mul;
    if (b > 1e18 || b != floor(b))
        return false;
    *out = (uint64_t)b;
    return true;
}

static const dtype_info_t *find_dtype(const char *s)
{
    for (size_t i = 0; i < NDTYPES; i++)
        if (!strcasecmp(s, dtypes[i].name) || !strcasecmp(s, dtypes[i].alias))
            return &dtypes[i];
    if (!strcasecmp(s, "float"))
        return &dtypes[0];
    return NULL;
}

static int find_stat(const char *s)
{
    for (int i = 0; i < ST_NUM; i++)
        if (!strcasecmp(s, stat_names[i]))
            return i;
    return -1;
}

/* Adds the stats named in |s| ("p50" or "p50,p99"); false if one is unknown. */
static bool add_stats(opts_t *o, const char *s)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int k = find_stat(t);
        if (k < 0)
            return false;
        o->stats[k] = true;
    }
    return true;
}

static bool is_stat_list(const char *s)
{
    opts_t tmp;
    memset(&tmp, 0, sizeof tmp);
    return s && *s != '-' && add_stats(&tmp, s);
}

/* Returns 0 to run, 1 for --help, 2 on a usage error (message printed). */
static int parse_args(int argc, char **argv, opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->op = OP_ALLR;
    o->minb = o->maxb = 32ull << 20;
    o->factor = 2.0;
    o->iters = 20;
    o->warmup = 5;
    o->dt = &dtypes[0];
    o->check = CHECK_ONES;
    o->red = RED_SUM;
    o->seed = 1;
    o->rank = o->world = -1;
    o->timeout_s = 60;
    o->spin_ns = UINT64_MAX; /* chosen later */
    o->heartbeat_fd = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define IS(s, l) (!strcmp(a, s) || !strcmp(a, l))
#define NEED()                                                                                               \
    do {                                                                                                     \
        if (!v)                                                                                              \
            return usage_err("%s needs a value", a);                                                        \
        i++;                                                                                                 \
    } while (0)
        uint64_t u;
        if (IS("-h", "--help"))
            return 1;
        else if (IS("-r", "--nworkers")) {
            NEED();
            if (!parse_u64(v, &u) || u < 1 || u > MAX_WORLD)
                return usage_err("-r takes a rank count from 1 to %d, not '%s'", MAX_WORLD, v);
            o->ranks = (uint32_t)u;
        } else if (IS("-b", "--minbytes")) {
            NEED();
            if (!parse_size(v, &o->minb) || o->minb == 0)
                return usage_err("-b takes a size above 0 such as 8, 1kb or 32M, not '%s'", v);
            o->minb_set = true;
        } else if (IS("-e", "--maxbytes")) {
            NEED();
            if (!parse_size(v, &o->maxb) || o->maxb == 0)
                return usage_err("-e takes a size above 0 such as 8, 1kb or 32M, not '%s'", v);
            o->maxb_set = true;
        } else if (IS("-f", "--stepfactor")) {
            NEED();
            char *end;
            o->factor = strtod(v, &end);
            if (*end || !(o->factor > 1.0) || o->factor > 1e6)
                return usage_err("-f takes a factor above 1, not '%s'", v);
            o->stepb = 0;
        } else if (IS("-i", "--stepbytes")) {
            NEED();
            if (!parse_size(v, &o->stepb) || o->stepb == 0)
                return usage_err("-i takes a size above 0, not '%s'", v);
        } else if (IS("-n", "--iters")) {
            NEED();
            if (!parse_u64(v, &o->iters) || o->iters < 1 || o->iters > 100000000)
                return usage_err("-n takes an iteration count from 1 to 100000000, not '%s'", v);
        } else if (IS("-w", "--warmup_iters") || !strcmp(a, "--warmup-iters")) {
            NEED();
            if (!parse_u64(v, &o->warmup) || o->warmup > 100000000)
                return usage_err("-w takes an iteration count from 0 to 100000000, not '%s'", v);
        } else if (IS("-d", "--datatype")) {
            NEED();
            if (!(o->dt = find_dtype(v)))
                return usage_err("unknown data type '%s'", v);
        } else if (IS("-c", "--check")) {
            NEED();
            if (!strcasecmp(v, "all_ones") || !strcasecmp(v, "ones"))
                o->check = CHECK_ONES;
            else if (!strcasecmp(v, "random"))
                o->check = CHECK_RANDOM;
            else if (!strcasecmp(v, "none") || !strcmp(v, "0"))
                o->check = CHECK_NONE;
            else
                return usage_err("-c takes all_ones, random or none, not '%s'", v);
        } else if (!strcmp(a, "--reduce-op")) {
            NEED();
            if (!strcasecmp(v, "sum") || !strcasecmp(v, "add"))
                o->red = RED_SUM;
            else if (!strcasecmp(v, "max"))
                o->red = RED_MAX;
            else if (!strcasecmp(v, "min"))
                o->red = RED_MIN;
            else
                return usage_err("--reduce-op takes sum, max or min, not '%s'", v);
        } else if (!strcmp(a, "--seed")) {
            NEED();
            if (!parse_u64(v, &o->seed))
                return usage_err("--seed takes a number, not '%s'", v);
        } else if (!strcmp(a, "--stats")) {
            if (!is_stat_list(v))
                return usage_err("--stats takes one or more of avg min max p50 p90 p95 p99");
            while (is_stat_list(v)) {
                add_stats(o, v);
                i++;
                v = i + 1 < argc ? argv[i + 1] : NULL;
            }
        } else if (!strcmp(a, "--show-algorithm")) {
            o->show_algo = true;
        } else if (!strcmp(a, "--report-to-json-file")) {
            NEED();
            o->json_path = v;
        } else if (!strcmp(a, "--procs")) {
            o->procs = true;
        } else if (!strcmp(a, "--rank") || !strcmp(a, "--world")) {
            NEED();
            if (!parse_u64(v, &u) || u >= MAX_WORLD + (uint64_t)(a[2] == 'w'))
                return usage_err("%s takes a number below %d, not '%s'", a, MAX_WORLD, v);
            if (a[2] == 'w' && u == 0)
                return usage_err("--world must be at least 1");
            *(a[2] == 'w' ? &o->world : &o->rank) = (long)u;
        } else if (!strcmp(a, "--timeout")) {
            NEED();
            char *end;
            o->timeout_s = strtod(v, &end);
            if (*end || !(o->timeout_s > 0) || o->timeout_s > 86400)
                return usage_err("--timeout takes seconds above 0 (at most 86400), not '%s'", v);
        } else if (!strcmp(a, "--spin-us")) {
            NEED();
            if (!parse_u64(v, &u) || u > 10000000)
                return usage_err("--spin-us takes microseconds from 0 to 10000000, not '%s'", v);
            o->spin_ns = u * 1000;
        } else if (!strcmp(a, "--gib")) {
            o->gib = true;
        } else if (!strcmp(a, "--ip")) {
            NEED();
            o->ip = v;
        } else if (!strcmp(a, "--heartbeat-fd")) { /* internal: set by --procs */
            NEED();
            if (!parse_u64(v, &u) || u > 65535)
                return usage_err("bad --heartbeat-fd '%s'", v);
            o->heartbeat_fd = (int)u;
        } else if (!strcmp(a, "--inject-mismatch")) {
            o->inject_mismatch = true;
        } else if (a[0] != '-' && !o->op_set) {
            int k = -1;
            for (int j = 0; j < OP_NUM; j++)
                if (!strcasecmp(a, op_names[j]))
                    k = j;
            if (k < 0)
                return usage_err("unknown operation '%s' (allr, allg, redsct or sendrecv)", a);
            o->op = (op_t)k;
            o->op_set = true;
        } else {
            return usage_err("unknown argument '%s'", a);
        }
#undef IS
#undef NEED
    }
    if (o->minb_set && !o->maxb_set)
        o->maxb = o->minb;
    if (o->maxb_set && !o->minb_set && o->maxb < o->minb)
        o->minb = o->maxb;
    if (o->maxb < o->minb)
        return usage_err("-e (%" PRIu64 ") is below -b (%" PRIu64 ")", o->maxb, o->minb);
    if ((o->rank >= 0) != (o->world >= 0))
        return usage_err("--rank and --world go together");
    if (o->rank >= 0 && o->rank >= o->world)
        return usage_err("--rank %ld is not below --world %ld", o->rank, o->world);
    if (o->procs && o->rank >= 0)
        return usage_err("--procs starts the processes itself: leave out --rank/--world");
    if (o->op == OP_SENDRECV && o->red != RED_SUM)
        return usage_err("--reduce-op does not apply to sendrecv");
    if (o->op == OP_ALLG && o->red != RED_SUM)
        return usage_err("--reduce-op does not apply to allg");
    return 0;
}

/* Process rank and count from mpirun's environment (OpenMPI, then PMI). */
static void rank_from_env(opts_t *o)
{
    if (o->rank >= 0 || o->procs)
        return;
    static const char *const pairs[][2] = {{"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
                                           {"PMI_RANK", "PMI_SIZE"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        const char *r = getenv(pairs[i][0]), *n = getenv(pairs[i][1]);
        uint64_t rv, nv;
        if (r && n && parse_u64(r, &rv) && parse_u64(n, &nv) && nv >= 1 && rv < nv && nv <= MAX_WORLD) {
            o->rank = (long)rv;
            o->world = (long)nv;
            return;
        }
    }
}

/*===------------------------------------------------------------------===*/
/* Values: inputs and references                                          */
/*===------------------------------------------------------------------===*/

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Input element |i| of global rank |g|: an integer every dtype holds, and
 * small enough that any order of summing RANKS of them is exact. */
static int64_t in_val(uint32_t g, uint64_t i)
{
    if (G.o.check != CHECK_RANDOM)
        return 1;
    uint64_t h = mix64(G.o.seed * 0x2545f4914f6cdd1dull ^ mix64(((uint64_t)g << 40) ^ i));
    if (G.o.dt->kind == K_UINT)
        return (int64_t)(h % (uint64_t)(G.amp + 1));
    return (int64_t)(h % (uint64_t)(2 * G.amp + 1)) - G.amp;
}

static int64_t fold(int64_t acc, int64_t v)
{
    switch (G.o.red) {
    case RED_MAX:
        return v > acc ? v : acc;
    case RED_MIN:
        return v < acc ? v : acc;
    default:
        return acc + v;
    }
}

/* Element |j| of global rank |g|'s expected output. */
static int64_t want_val(uint32_t g, uint64_t j, uint64_t in_count, uint64_t out_count)
{
    int64_t acc;
    if (G.o.check != CHECK_RANDOM) /* all ones: no need to visit every rank */
        return (G.o.op == OP_ALLR || G.o.op == OP_REDSCT) && G.o.red == RED_SUM ? (int64_t)G.world : 1;
    switch (G.o.op) {
    case OP_ALLR:
        acc = in_val(0, j);
        for (uint32_t r = 1; r < G.world; r++)
            acc = fold(acc, in_val(r, j));
        return acc;
    case OP_REDSCT:
        acc = in_val(0, (uint64_t)g * out_count + j);
        for (uint32_t r = 1; r < G.world; r++)
            acc = fold(acc, in_val(r, (uint64_t)g * out_count + j));
        return acc;
    case OP_ALLG:
        return in_val((uint32_t)(j / in_count), j % in_count);
    default: /* sendrecv: the previous rank's input */
        return in_val((g + G.world - 1) % G.world, j);
    }
}

static uint16_t f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    int32_t e = (int32_t)((x >> 23) & 0xff) - 127 + 15;
    uint32_t m = x & 0x7fffffu;
    if (((x >> 23) & 0xff) == 0)
        return (uint16_t)sign; /* zero (no fp32 subnormals occur here) */
    if (e >= 31)
        return (uint16_t)(sign | 0x7c00u);
    if (e <= 0) /* subnormal half: values used here never get there */
        return (uint16_t)(sign | ((m | 0x800000u) >> (14 - e)));
    /* round to nearest even (exact for the integers used) */
    uint32_t h = sign | ((uint32_t)e << 10) | (m >> 13);
    uint32_t rem = m & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1)))
        h++;
    return (uint16_t)h;
}

static float f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ffu, x;
    if (e == 0) {
        float v = ldexpf((float)m, -24);
        return sign ? -v : v;
    }
    if (e == 31)
        x = sign | 0x7f800000u | (m << 13);
    else
        x = sign | ((e - 15 + 127) << 23) | (m << 13);
    float f;
    memcpy(&f, &x, 4);
    return f;
}

/* Stores |v| as element |i| of |buf| in the test's dtype (integers wrap). */
static void put(void *buf, uint64_t i, int64_t v)
{
    char *p = (char *)buf + i * G.o.dt->size;
    float f = (float)v;
    uint32_t x;
    uint16_t h;
    uint64_t u = (uint64_t)v;
    switch (G.o.dt->kind) {
    case K_F32:
        memcpy(p, &f, 4);
        return;
    case K_F16:
        h = f32_to_f16(f);
        memcpy(p, &h, 2);
        return;
    case K_BF16:
        memcpy(&x, &f, 4);
        h = (uint16_t)(x >> 16); /* exact: the integers used fit in 8 bits of mantissa */
        memcpy(p, &h, 2);
        return;
    default:
        if (G.o.dt->size == 1) {
            uint8_t b = (uint8_t)u;
            memcpy(p, &b, 1);
        } else if (G.o.dt->size == 2) {
            h = (uint16_t)u;
            memcpy(p, &h, 2);
        } else if (G.o.dt->size == 4) {
            x = (uint32_t)u;
            memcpy(p, &x, 4);
        } else {
            memcpy(p, &u, 8);
        }
    }
}

/* Element |i| of |buf| as a double, for messages. */
static double get(const void *buf, uint64_t i)
{
    const char *p = (const char *)buf + i * G.o.dt->size;
    const dtype_info_t *d = G.o.dt;
    float f;
    uint16_t h;
    uint32_t x;
    uint64_t u = 0;
    switch (d->kind) {
    case K_F32:
        memcpy(&f, p, 4);
        return f;
    case K_F16:
        memcpy(&h, p, 2);
        return f16_to_f32(h);
    case K_BF16:
        memcpy(&h, p, 2);
        x = (uint32_t)h << 16;
        memcpy(&f, &x, 4);
        return f;
    default:
        memcpy(&u, p, d->size); /* little-endian */
        if (d->kind == K_SINT && d->size < 8 && (u >> (d->size * 8 - 1)) & 1)
            u |= ~0ull << (d->size * 8);
        return d->kind == K_SINT ? (double)(int64_t)u : (double)u;
    }
}

/* Compares |out| with the reference; returns the number of wrong elements. */
static uint64_t verify(const rank_t *r, const void *out, uint64_t in_count, uint64_t out_count, rank_report_t *rep)
{
    uint64_t bad = 0;
    size_t es = G.o.dt->size;
    char want[8];
    for (uint64_t j = 0; j < out_count; j++) {
        int64_t w = want_val(r->gid, j, in_count, out_count);
        put(want, 0, w);
        if (memcmp(want, (const char *)out + j * es, es) == 0)
            continue;
        /* +0 and -0 are the same sum */
        if (G.o.dt->kind <= K_BF16 && get(want, 0) == 0.0 && get(out, j) == 0.0)
            continue;
        if (bad++ == 0) {
            rep->first_bad = j;
            rep->got = get(out, j);
            rep->want = get(want, 0);
        }
    }
    return bad;
}

/*===------------------------------------------------------------------===*/
/* Waits                                                                   */
/*===------------------------------------------------------------------===*/

/* Waits for |seq|: polls for the spin window, then sleeps on a completion
 * fd. false when it has not completed by |deadline| (CLOCK_MONOTONIC ns). */
static bool wait_seq(rank_t *r, nrta_seq_t seq, uint64_t deadline)
{
    bool done = false;
    uint64_t t0 = now_ns();
    for (;;) {
        NRT_STATUS st = nrta_is_completed(seq, &done);
        if (st != NRT_SUCCESS)
            rank_fail(r, "nrta_is_completed returned %s", nrt_get_status_as_str(st));
        if (done)
            return true;
        uint64_t t = now_ns();
        if (t - t0 >= G.o.spin_ns)
            break;
        if (G.local > (uint32_t)G.ncpu)
            sched_yield();
        else
            cpu_relax();
    }
    int fd = -1;
    NRT_STATUS st = nrta_get_completion_handle(seq, &fd);
    if (st != NRT_SUCCESS)
        rank_fail(r, "nrta_get_completion_handle returned %s", nrt_get_status_as_str(st));
    for (;;) {
        uint64_t t = now_ns();
        if (t >= deadline)
            break;
        uint64_t left_ms = (deadline - t) / 1000000 + 1;
        struct pollfd p = {fd, POLLIN, 0};
        int n = poll(&p, 1, (int)(left_ms < 200 ? left_ms : 200));
        if (n < 0 && errno != EINTR)
            rank_fail(r, "poll on a completion fd: %s", strerror(errno));
        /* TSan-clean publication: confirm with the acquire load. */
        if ((st = nrta_is_completed(seq, &done)) != NRT_SUCCESS)
            rank_fail(r, "nrta_is_completed returned %s", nrt_get_status_as_str(st));
        if (done)
            break;
        beat();
    }
    close(fd);
    return done;
}

/* Fails the rank if its tracker holds an error. */
static void check_tracker(rank_t *r, const char *what, uint64_t size)
{
    const nrta_error_t *list = NULL;
    size_t n = 0;
    NRT_STATUS st = nrta_error_tracker_get_list(r->trk, &list, &n);
    if (st != NRT_SUCCESS)
        rank_fail(r, "nrta_error_tracker_get_list returned %s", nrt_get_status_as_str(st));
    if (n > 0)
        rank_fail(r, "%s of %" PRIu64 " B failed: %s (request 0x%" PRIx64 ")", what, size,
                  nrt_get_status_as_str((NRT_STATUS)list[0].error_code), list[0].seq_id);
}

/*===------------------------------------------------------------------===*/
/* One iteration                                                          */
/*===------------------------------------------------------------------===*/

typedef struct {
    nrt_tensor_t *in, *out;
    uint64_t size, in_bytes, out_bytes;
} bufs_t;

static void iter_cc(rank_t *r, bufs_t *b, uint64_t deadline)
{
    nrt_tensor_list_t in = {&b->in, 1}, out = {&b->out, 1};
    nrt_cc_context_t *ctx = NULL;
    NRT_STATUS st = nrta_cc_prepare(&r->comm, &in, &out, G.o.dt->dt, red_ops[G.o.red], op_cc[G.o.op], &ctx);
    if (st != NRT_SUCCESS)
        rank_fail(r, "nrta_cc_prepare(%s, %" PRIu64 " B in, %" PRIu64 " B out, %s) returned %s",
                  op_names[G.o.op], b->in_bytes, b->out_bytes, G.o.dt->name, nrt_get_status_as_str(st));
    nrta_seq_t seq = 0;
    if ((st = nrta_cc_schedule(&ctx, 0, r->trk, &seq)) != NRT_SUCCESS)
        rank_fail(r, "nrta_cc_schedule(%s, %" PRIu64 " B) returned %s", op_names[G.o.op], b->size,
                  nrt_get_status_as_str(st));
    if (!wait_seq(r, seq, deadline))
        rank_fail(r, "%s of %" PRIu64 " B did not complete within %.0f s (a peer may be missing or slow; see "
                  "--timeout)",
                  op_names[G.o.op], b->size, G.o.timeout_s);
    check_tracker(r, op_names[G.o.op], b->size);
}

/* Polls one send/recv request; true once it is done (successfully). */
static bool sr_poll(rank_t *r, nrt_async_sendrecv_request_t **rq, uint64_t want, const char *what)
{
    if (!*rq)
        return true;
    bool done = false;
    size_t got = 0;
    NRT_STATUS st = nrt_async_sendrecv_test_request(*rq, &done, &got);
    if (!done && st == NRT_SUCCESS)
        return false;
    *rq = NULL;
    if (st != NRT_SUCCESS)
        rank_fail(r, "sendrecv: the %s of %" PRIu64 " B failed: %s", what, want, nrt_get_status_as_str(st));
    if (got != want)
        rank_fail(r, "sendrecv: the %s moved %zu B, not %" PRIu64, what, got, want);
    return true;
}

static void iter_sendrecv(rank_t *r, bufs_t *b, uint64_t deadline)
{
    nrt_async_sendrecv_request_t *rq = NULL, *sq = NULL;
    NRT_STATUS st = nrt_async_sendrecv_recv_tensor(b->out, 0, b->out_bytes, r->rx, &rq);
    if (st != NRT_SUCCESS)
        rank_fail(r, "nrt_async_sendrecv_recv_tensor(%" PRIu64 " B) returned %s", b->out_bytes,
                  nrt_get_status_as_str(st));
    if ((st = nrt_async_sendrecv_send_tensor(b->in, 0, b->in_bytes, r->tx, &sq)) != NRT_SUCCESS)
        rank_fail(r, "nrt_async_sendrecv_send_tensor(%" PRIu64 " B) returned %s", b->in_bytes,
                  nrt_get_status_as_str(st));
    bool yield = G.local > (uint32_t)G.ncpu;
    for (uint64_t k = 0;; k++) {
        bool a = sr_poll(r, &rq, b->out_bytes, "receive"), c = sr_poll(r, &sq, b->in_bytes, "send");
        if (a && c)
            return;
        if ((k & 63) == 0) {
            if (now_ns() > deadline)
                rank_fail(r, "sendrecv of %" PRIu64 " B did not complete within %.0f s (%s pending; a peer may "
                          "be missing or slow)",
                          b->size, G.o.timeout_s, rq && sq ? "send and receive" : rq ? "receive" : "send");
            beat();
        }
        if (yield)
            sched_yield();
        else
            cpu_relax();
    }
}

static uint64_t run_iter(rank_t *r, bufs_t *b)
{
    uint64_t t0 = now_ns();
    atomic_store_explicit(&r->phase_t0, t0, memory_order_relaxed);
    beat();
    uint64_t deadline = t0 + (uint64_t)(G.o.timeout_s * 1e9);
    if (G.o.op == OP_SENDRECV)
        iter_sendrecv(r, b, deadline);
    else
        iter_cc(r, b, deadline);
    return now_ns() - t0;
}

/*===------------------------------------------------------------------===*/
/* Per-size geometry, statistics, the report                              */
/*===------------------------------------------------------------------===*/

/* Rounds |size| to what the op can take and fills the byte counts. */
static void geometry(uint64_t size, uint64_t *out_size, uint64_t *in_b, uint64_t *out_b)
{
    uint64_t unit = G.o.dt->size * ((G.o.op == OP_ALLG || G.o.op == OP_REDSCT) ? G.world : 1);
    size = size / unit * unit;
    if (size == 0)
        size = unit;
    *out_size = size;
    *in_b = G.o.op == OP_ALLG ? size / G.world : size;
    *out_b = G.o.op == OP_REDSCT ? size / G.world : size;
}

static double bus_factor(void)
{
    double n = G.world;
    switch (G.o.op) {
    case OP_ALLR:
        return 2.0 * (n - 1) / n;
    case OP_ALLG:
    case OP_REDSCT:
        return (n - 1) / n;
    default:
        return 1.0;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The algorithm the runtime's documented rules (docs/COLLECTIVES.md) pick
 * for |size| bytes (the larger buffer): the first OPENNRT_CC_<OP> rule
 * whose range holds the size ("direct:0-65536;ring:65537-max"), else the
 * default: direct when every rank is a core of this process, else ring;
 * direct falls back to ring across processes. The public API does not
 * report the runtime's choice, so this is what the settings say. */
static const char *algo_for(uint64_t size, const rank_t *r0)
{
    if (G.o.op == OP_SENDRECV)
        return r0 && r0->transport[0] ? r0->transport : "?";
    bool local = G.nproc == 1;
    const char *env = getenv(op_env[G.o.op]);
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", env ? env : "");
    for (char *save = NULL, *t = strtok_r(tmp, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
        char name[32], lo_s[32], hi_s[32];
        if (sscanf(t, "%31[^:]:%31[^-]-%31s", name, lo_s, hi_s) != 3)
            continue;
        uint64_t lo = 0, hi = UINT64_MAX;
        if (!parse_size(lo_s, &lo) || (strcasecmp(hi_s, "max") && !parse_size(hi_s, &hi)))
            continue;
        if (size < lo || size > hi)
            continue;
        if (!strcasecmp(name, "direct"))
            return local ? "direct (setting)" : "ring (setting: direct, but several processes)";
        if (!strcasecmp(name, "ring"))
            return "ring (setting)";
        break; /* "auto" or unknown: the default */
    }
    return local ? "direct (default)" : "ring (default)";
}

static const char *bw_unit(void)
{
    return G.o.gib ? "GiB/s" : "GB/s";
}

static double bw_div(void)
{
    return G.o.gib ? (double)(1ull << 30) : 1e9;
}

static void print_header(void)
{
    const char *where = !strcmp(G.mode, "threads") ? "cores of one process" : "processes";
    printf("# " PROG ": %s, %u rank%s (%s: %u process%s x %u core%s), %s, check %s", op_names[G.o.op], G.world,
           G.world == 1 ? "" : "s", where, G.nproc, G.nproc == 1 ? "" : "es", G.local, G.local == 1 ? "" : "s",
           G.o.dt->name, check_names[G.o.check]);
    if (G.o.op == OP_ALLR || G.o.op == OP_REDSCT)
        printf(", reduce %s", red_names[G.o.red]);
    printf(", %" PRIu64 " iterations after %" PRIu64 " warm-up\n", G.o.iters, G.o.warmup);
    printf("# time: mean per iteration of the slowest rank; %s = %s bytes/s\n", bw_unit(),
           G.o.gib ? "2^30" : "1e9");
    if (G.o.show_algo && G.o.op != OP_SENDRECV) {
        const char *env = getenv(op_env[G.o.op]);
        printf("# algorithm: what the runtime's rules (docs/COLLECTIVES.md) pick for %s%s%s; the public API "
               "does not report its choice\n",
               env && *env ? op_env[G.o.op] : "the default settings", env && *env ? "=" : "",
               env && *env ? env : "");
    }
    char unit[16];
    snprintf(unit, sizeof unit, "(%s)", bw_unit());
    char algbw[24], busbw[24];
    snprintf(algbw, sizeof algbw, "algbw%s", unit);
    snprintf(busbw, sizeof busbw, "busbw%s", unit);
    printf("%12s %15s %8s %11s %14s %14s", "size(B)", "count(elems)", "type", "time(us)", algbw, busbw);
    for (int s = 0; s < ST_NUM; s++)
        if (G.o.stats[s] && s != ST_AVG) {
            char h[16];
            snprintf(h, sizeof h, "%s(us)", stat_names[s]);
            printf(" %11s", h);
        }
    if (G.o.stats[ST_AVG])
        printf(" %11s", "avg(us)");
    if (G.o.show_algo)
        printf("  %s", G.o.op == OP_SENDRECV ? "path" : "algorithm");
    printf("\n");
    fflush(stdout);
}

static void print_row(const row_t *w)
{
    printf("%12" PRIu64 " %15" PRIu64 " %8s %11.2f %14.3f %14.3f", w->size, w->count, G.o.dt->name,
           w->stat_us[ST_AVG], w->algbw / bw_div(), w->busbw / bw_div());
    for (int s = 0; s < ST_NUM; s++)
        if (G.o.stats[s] && s != ST_AVG)
            printf(" %11.2f", w->stat_us[s]);
    if (G.o.stats[ST_AVG])
        printf(" %11.2f", w->stat_us[ST_AVG]);
    if (G.o.show_algo)
        printf("  %s", w->algo);
    if (w->mismatches)
        printf("  WRONG (%" PRIu64 " elements)", w->mismatches);
    printf("\n");
    fflush(stdout);
}

static void print_footer(void)
{
    double sum = 0;
    for (unsigned i = 0; i < G.nrows; i++)
        sum += G.rows[i].busbw;
    printf("Avg bus bandwidth:\t%.4f %s\n", G.nrows ? sum / G.nrows / bw_div() : 0.0, bw_unit());
    fflush(stdout);
}

static bool write_json(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        msg("cannot write %s: %s", path, strerror(errno));
        return false;
    }
    fprintf(f, "{\"tool\":\"" PROG "\",\"version\":");
    json_write_string(f, nrtx_version());
    fprintf(f, ",\"op\":\"%s\",\"ranks\":%u,\"processes\":%u,\"cores_per_process\":%u,\"mode\":\"%s\",", op_names[G.o.op],
            G.world, G.nproc, G.local, G.mode);
    fprintf(f, "\"dtype\":\"%s\",\"check\":\"%s\",\"reduce_op\":\"%s\",\"iters\":%" PRIu64 ",\"warmup_iters\":%" PRIu64
               ",",
            G.o.dt->name, check_names[G.o.check], red_names[G.o.red], G.o.iters, G.o.warmup);
    fprintf(f, "\"bw_unit\":\"%s\",\"bw_bytes_per_unit\":%.0f,\"bus_factor\":%.6f,\"results\":[", bw_unit(),
            bw_div(), bus_factor());
    double sum = 0;
    for (unsigned i = 0; i < G.nrows; i++) {
        const row_t *w = &G.rows[i];
        sum += w->busbw;
        fprintf(f,
                "%s{\"size\":%" PRIu64 ",\"count\":%" PRIu64 ",\"in_bytes\":%" PRIu64 ",\"out_bytes\":%" PRIu64
                ",\"time_us\":%.3f,\"algbw\":%.6f,\"busbw\":%.6f,\"stats_us\":{",
                i ? "," : "", w->size, w->count, w->in_bytes, w->out_bytes, w->stat_us[ST_AVG], w->algbw / bw_div(),
                w->busbw / bw_div());
        for (int s = 0; s < ST_NUM; s++)
            fprintf(f, "%s\"%s\":%.3f", s ? "," : "", stat_names[s], w->stat_us[s]);
        fprintf(f, "},\"algorithm\":");
        json_write_string(f, w->algo);
        fprintf(f, ",\"check\":\"%s\",\"mismatches\":%" PRIu64 "}",
                G.o.check == CHECK_NONE ? "skipped" : w->mismatches ? "wrong" : "ok", w->mismatches);
    }
    fprintf(f, "],\"avg_busbw\":%.6f,\"ok\":%s}\n", G.nrows ? sum / G.nrows / bw_div() : 0.0,
            atomic_load(&G.any_mismatch) ? "false" : "true");
    bool ok = !ferror(f);
    ok = fclose(f) == 0 && ok;
    if (!ok)
        msg("cannot write %s", path);
    return ok;
}

/*===------------------------------------------------------------------===*/
/* Rank threads                                                           */
/*===------------------------------------------------------------------===*/

static void xgather(rank_t *r, const char *what, void *in, uint32_t bytes, void *out)
{
    phase(r, what, 0);
    NRT_STATUS st = nrt_all_gather((int32_t)r->vnc, r->gid, G.world, bytes, in, out);
    phase(r, NULL, 0);
    if (st != NRT_SUCCESS)
        rank_fail(r, "nrt_all_gather (%s) returned %s", what, nrt_get_status_as_str(st));
}

static void xbarrier(rank_t *r, uint64_t size)
{
    phase(r, "nrt_barrier", size);
    NRT_STATUS st = nrt_barrier((int32_t)r->vnc, r->gid, G.world);
    phase(r, NULL, 0);
    if (st != NRT_SUCCESS)
        rank_fail(r, "nrt_barrier returned %s", nrt_get_status_as_str(st));
}

static nrt_tensor_t *alloc_tensor(rank_t *r, uint64_t bytes, const char *name)
{
    nrt_tensor_t *t = NULL;
    NRT_STATUS st = nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, (int)r->vnc, bytes, name, &t);
    if (st != NRT_SUCCESS)
        rank_fail(r, "nrt_tensor_allocate(%" PRIu64 " B) returned %s", bytes, nrt_get_status_as_str(st));
    return t;
}

/* sendrecv: connect to rank+1 and accept from rank-1 (addresses from
 * every rank, exchanged with nrt_all_gather), both within the timeout. */
static void sendrecv_setup(rank_t *r)
{
    rank_addr_t mine, *all = calloc(G.world, sizeof *all);
    if (!all)
        rank_fail(r, "out of memory");
    memset(&mine, 0, sizeof mine);
    snprintf(mine.ip, sizeof mine.ip, "%s", G.my_ip);
    mine.lnc = r->abs_lnc;
    mine.gid = r->gid;
    xgather(r, "nrt_all_gather of the sendrecv addresses", &mine, sizeof mine, all);
    const rank_addr_t *next = &all[(r->gid + 1) % G.world], *prev = &all[(r->gid + G.world - 1) % G.world];
    NRT_STATUS st = nrt_async_sendrecv_accept(prev->ip, (int)prev->lnc, (int)r->abs_lnc, &r->rx);
    if (st != NRT_SUCCESS)
        rank_fail(r, "nrt_async_sendrecv_accept(%s, core %u) returned %s", prev->ip, prev->lnc,
                  nrt_get_status_as_str(st));
    if ((st = nrt_async_sendrecv_connect(next->ip, (int)next->lnc, (int)r->abs_lnc, &r->tx)) != NRT_SUCCESS)
        rank_fail(r, "nrt_async_sendrecv_connect(%s, core %u) returned %s", next->ip, next->lnc,
                  nrt_get_status_as_str(st));
    phase(r, "sendrecv connect", 0);
    uint64_t deadline = now_ns() + (uint64_t)(G.o.timeout_s * 1e9);
    bool up_tx = false, up_rx = false;
    while (!(up_tx && up_rx)) {
        if (!up_tx && (st = nrt_async_sendrecv_test_comm(r->tx, &up_tx)) != NRT_SUCCESS)
            rank_fail(r, "sendrecv: connecting to rank %u (%s, core %u) failed: %s", next->gid, next->ip, next->lnc,
                      nrt_get_status_as_str(st));
        if (!up_rx && (st = nrt_async_sendrecv_test_comm(r->rx, &up_rx)) != NRT_SUCCESS)
            rank_fail(r, "sendrecv: accepting rank %u (%s, core %u) failed: %s", prev->gid, prev->ip, prev->lnc,
                      nrt_get_status_as_str(st));
        if (now_ns() > deadline)
            rank_fail(r, "sendrecv: not connected to rank %u / from rank %u within %.0f s", next->gid, prev->gid,
                      G.o.timeout_s);
        beat();
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
    phase(r, NULL, 0);
    nrtx_sendrecv_comm_info_t info;
    if (nrtx_async_sendrecv_comm_info(r->tx, &info) == NRT_SUCCESS)
        snprintf(r->transport, sizeof r->transport, "%s", info.transport);
    free(all);
}

static void *rank_main(void *arg)
{
    rank_t *r = arg;
    char tname[16];
    snprintf(tname, sizeof tname, "cct-rank%u", r->gid);
    pthread_setname_np(pthread_self(), tname);
    NRT_STATUS st = nrta_error_tracker_create(r->vnc, &r->trk);
    if (st != NRT_SUCCESS)
        rank_fail(r, "nrta_error_tracker_create returned %s", nrt_get_status_as_str(st));
    r->comm = (nrt_cc_comm_t){.replica_group = G.group,
                              .rank = r->gid,
                              .rank_n = G.world,
                              .ctx_device_id = r->gid,
                              .ctx_device_count = G.world,
                              .vnc = r->vnc};
    if (G.o.op == OP_SENDRECV)
        sendrecv_setup(r);

    size_t rec_bytes = sizeof(rank_report_t) + G.o.iters * sizeof(double);
    if (rec_bytes > UINT32_MAX)
        rank_fail(r, "too many iterations to gather their times");
    char *rec = calloc(1, rec_bytes), *all = calloc(G.world, rec_bytes);
    double *iter_max = calloc(G.o.iters, sizeof(double));
    if (!rec || !all || !iter_max)
        rank_fail(r, "out of memory for %" PRIu64 " iteration times of %u ranks", G.o.iters, G.world);
    if (r->gid == 0)
        print_header();

    uint64_t last_size = 0;
    for (unsigned si = 0; si < G.nsizes; si++) {
        bufs_t b;
        geometry(G.sizes[si], &b.size, &b.in_bytes, &b.out_bytes);
        if (si && b.size == last_size)
            continue; /* the same size after rounding */
        last_size = b.size;
        size_t es = G.o.dt->size;
        uint64_t in_count = b.in_bytes / es, out_count = b.out_bytes / es;
        phase(r, "setting up the tensors", b.size);
        b.in = alloc_tensor(r, b.in_bytes, "cct_in");
        b.out = alloc_tensor(r, b.out_bytes, "cct_out");
        void *host = malloc(b.in_bytes > b.out_bytes ? b.in_bytes : b.out_bytes);
        if (!host)
            rank_fail(r, "out of memory for %" PRIu64 " B", b.size);
        for (uint64_t j = 0; j < in_count; j++)
            put(host, j, in_val(r->gid, j));
        if ((st = nrt_tensor_write(b.in, host, 0, b.in_bytes)) != NRT_SUCCESS ||
            (st = nrt_tensor_memset(b.out, 0, 0xa5, b.out_bytes)) != NRT_SUCCESS)
            rank_fail(r, "writing the input tensors: %s", nrt_get_status_as_str(st));
        phase(r, op_names[G.o.op], b.size);
        for (uint64_t k = 0; k < G.o.warmup; k++)
            run_iter(r, &b);
        phase(r, NULL, 0);
        xbarrier(r, b.size);
        phase(r, op_names[G.o.op], b.size);
        rank_report_t *rep = (rank_report_t *)rec;
        double *times = (double *)(rec + sizeof *rep);
        for (uint64_t k = 0; k < G.o.iters; k++)
            times[k] = (double)run_iter(r, &b) * 1e-3;
        phase(r, NULL, 0); /* the check is local work, bounded by its size: no watchdog */
        memset(rep, 0, sizeof *rep);
        rep->gid = r->gid;
        snprintf(rep->transport, sizeof rep->transport, "%s", r->transport);
        if (G.o.check != CHECK_NONE) {
            if ((st = nrt_tensor_read(b.out, host, 0, b.out_bytes)) != NRT_SUCCESS)
                rank_fail(r, "nrt_tensor_read of the result returned %s", nrt_get_status_as_str(st));
            if (G.o.inject_mismatch && r->gid == G.world - 1)
                ((unsigned char *)host)[b.out_bytes / 2] ^= 0x40;
            rep->mismatches = verify(r, host, in_count, out_count, rep);
            if (rep->mismatches)
                fprintf(stderr,
                        PROG ": rank %u (core %u): %s of %" PRIu64 " B (%s): %" PRIu64 " of %" PRIu64
                             " elements wrong; first at element %" PRIu64 ": got %.17g, want %.17g\n",
                        r->gid, r->vnc, op_names[G.o.op], b.size, G.o.dt->name, rep->mismatches, out_count,
                        rep->first_bad, rep->got, rep->want);
        }
        free(host);
        nrt_tensor_free(&b.in);
        nrt_tensor_free(&b.out);
        phase(r, NULL, 0);
        xgather(r, "nrt_all_gather of the results", rec, (uint32_t)rec_bytes, all);

        /* Every rank sees the same gathered data: all stop at the same size. */
        uint64_t wrong = 0;
        for (uint32_t g = 0; g < G.world; g++)
            wrong += ((const rank_report_t *)(all + g * rec_bytes))->mismatches;
        if (r->gid == 0) {
            for (uint64_t k = 0; k < G.o.iters; k++) {
                double mx = 0;
                for (uint32_t g = 0; g < G.world; g++) {
                    double t = ((const double *)(all + g * rec_bytes + sizeof(rank_report_t)))[k];
                    mx = t > mx ? t : mx;
                }
                iter_max[k] = mx;
            }
            row_t *w = &G.rows[G.nrows];
            memset(w, 0, sizeof *w);
            w->size = b.size;
            w->count = b.size / es;
            w->in_bytes = b.in_bytes;
            w->out_bytes = b.out_bytes;
            double sum = 0;
            for (uint64_t k = 0; k < G.o.iters; k++)
                sum += iter_max[k];
            qsort(iter_max, G.o.iters, sizeof(double), cmp_double);
            for (int s = 0; s < ST_NUM; s++) {
                if (s == ST_AVG) {
                    w->stat_us[s] = sum / (double)G.o.iters;
                } else {
                    size_t i = (size_t)(stat_q[s] * (double)(G.o.iters - 1) + 0.5);
                    w->stat_us[s] = iter_max[i < G.o.iters ? i : G.o.iters - 1];
                }
            }
            w->algbw = w->stat_us[ST_AVG] > 0 ? (double)b.size / (w->stat_us[ST_AVG] * 1e-6) : 0;
            w->busbw = w->algbw * bus_factor();
            w->mismatches = wrong;
            w->algo = algo_for(b.size, r);
            G.nrows++;
            print_row(w);
        }
        if (wrong) {
            atomic_store(&G.any_mismatch, true);
            break;
        }
    }
    if (r->gid == 0)
        print_footer();
    free(rec);
    free(all);
    free(iter_max);
    nrta_error_tracker_destroy(r->trk);
    return NULL;
}

/*===------------------------------------------------------------------===*/
/* Process setup                                                          */
/*===------------------------------------------------------------------===*/

static void set_env_default(const char *name, const char *value)
{
    const char *v = getenv(name);
    if (!v || !*v)
        setenv(name, value, 1);
}

/* The local address that routes to NEURON_RT_ROOT_COMM_ID's host: what
 * the other processes of the world can reach this one at. */
static void find_my_ip(void)
{
    snprintf(G.my_ip, sizeof G.my_ip, "127.0.0.1");
    if (G.o.ip) {
        snprintf(G.my_ip, sizeof G.my_ip, "%s", G.o.ip);
        return;
    }
    const char *root = getenv("NEURON_RT_ROOT_COMM_ID");
    if (G.nproc == 1 || !root || !*root)
        return;
    char host[256];
    const char *colon = strrchr(root, ':');
    if (!colon)
        return;
    size_t n = (size_t)(colon - root);
    if (root[0] == '[' && n >= 2 && root[n - 1] == ']')
        snprintf(host, sizeof host, "%.*s", (int)(n - 2), root + 1);
    else
        snprintf(host, sizeof host, "%.*s", (int)n, root);
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res = NULL;
    if (getaddrinfo(host, "9", &hints, &res) != 0 || !res)
        return;
    int fd = socket(res->ai_family, SOCK_DGRAM, 0);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) == 0 &&
        getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
        char buf[INET6_ADDRSTRLEN];
        const void *a = ss.ss_family == AF_INET6 ? (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                                                 : (const void *)&((struct sockaddr_in *)&ss)->sin_addr;
        if (inet_ntop(ss.ss_family, a, buf, sizeof buf))
            snprintf(G.my_ip, sizeof G.my_ip, "%s", buf);
    }
    if (fd >= 0)
        close(fd);
    freeaddrinfo(res);
}

static void make_sizes(void)
{
    uint64_t s = G.o.minb;
    while (s <= G.o.maxb && G.nsizes < MAX_SIZES) {
        G.sizes[G.nsizes++] = s;
        uint64_t next = G.o.stepb ? s + G.o.stepb : (uint64_t)((double)s * G.o.factor);
        if (next <= s)
            next = s + 1;
        s = next;
    }
}

/* The ranks of this process: cores 0..local-1. Returns the exit status. */
static int run_ranks(void)
{
    NRT_STATUS st = nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", "");
    if (st != NRT_SUCCESS) {
        msg("the runtime failed to initialize (%s); check NEURON_RT_VISIBLE_CORES, NEURON_RT_NUM_CORES and "
            "the OPENNRT_* settings",
            nrt_get_status_as_str(st));
        return 1;
    }
    uint32_t nvis = 0, count = 0;
    if ((st = nrt_get_visible_vnc_count(&nvis)) != NRT_SUCCESS) {
        msg("nrt_get_visible_vnc_count returned %s", nrt_get_status_as_str(st));
        return 1;
    }
    if (nvis < G.local) {
        msg("this process needs %u logical cores but sees %u (NEURON_RT_VISIBLE_CORES='%s', "
            "NEURON_RT_NUM_CORES='%s')",
            G.local, nvis, getenv("NEURON_RT_VISIBLE_CORES") ? getenv("NEURON_RT_VISIBLE_CORES") : "",
            getenv("NEURON_RT_NUM_CORES") ? getenv("NEURON_RT_NUM_CORES") : "");
        return 1;
    }
    if ((st = nrtx_get_visible_cores(G.cores_vis, MAX_WORLD, &count)) != NRT_SUCCESS) {
        msg("nrtx_get_visible_cores returned %s", nrt_get_status_as_str(st));
        return 1;
    }
    G.ranks = calloc(G.local, sizeof *G.ranks);
    G.group = calloc(G.world, sizeof *G.group);
    if (!G.ranks || !G.group) {
        msg("out of memory");
        return 1;
    }
    for (uint32_t g = 0; g < G.world; g++)
        G.group[g] = g;
    pthread_t wd;
    if (pthread_create(&wd, NULL, watchdog, NULL) != 0) {
        msg("cannot start the watchdog thread");
        return 1;
    }
    for (uint32_t i = 0; i < G.local; i++) {
        rank_t *r = &G.ranks[i];
        r->vnc = i;
        r->gid = G.proc * G.local + i;
        r->abs_lnc = G.cores_vis[i];
        if (G.o.op == OP_SENDRECV && (st = nrt_async_sendrecv_init((int)r->abs_lnc)) != NRT_SUCCESS)
            rank_fail(r, "nrt_async_sendrecv_init(%u) returned %s", r->abs_lnc, nrt_get_status_as_str(st));
        phase(r, "nrt_cc_global_comm_init", 0);
        st = nrt_cc_global_comm_init(r->vnc, r->gid, G.world);
        phase(r, NULL, 0);
        if (st != NRT_SUCCESS)
            rank_fail(r, "nrt_cc_global_comm_init(core %u, global id %u, world %u) returned %s", r->vnc, r->gid,
                      G.world, nrt_get_status_as_str(st));
    }
    for (uint32_t i = 0; i < G.local; i++)
        if (pthread_create(&G.ranks[i].thread, NULL, rank_main, &G.ranks[i]) != 0) {
            msg("cannot start a thread for rank %u", G.ranks[i].gid);
            die();
        }
    for (uint32_t i = 0; i < G.local; i++)
        pthread_join(G.ranks[i].thread, NULL);
    int rc = atomic_load(&G.any_mismatch) ? 1 : 0;
    if (G.proc == 0 && G.o.json_path && !write_json(G.o.json_path))
        rc = 1;
    phase(&G.ranks[0], "nrt_close", 0);
    nrt_close();
    phase(&G.ranks[0], NULL, 0);
    atomic_store(&G.stop_watchdog, true);
    pthread_join(wd, NULL);
    return rc;
}

/*===------------------------------------------------------------------===*/
/* --procs: the launcher                                                  */
/*===------------------------------------------------------------------===*/

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

static void describe_status(int status, char *buf, size_t cap)
{
    if (WIFEXITED(status))
        snprintf(buf, cap, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, cap, "was killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(buf, cap, "ended (status 0x%x)", status);
}

/* Starts |n| copies of this program (--rank i --world n), then waits for
 * them: a child that fails gets the others stopped after a 3 s grace (time
 * to report their own view); children silent for --timeout + 30 s are
 * stopped. Every wait here is bounded. Returns the exit status. */
static int launch(int argc, char **argv, uint32_t n)
{
    char root[64];
    const char *user_root = getenv("NEURON_RT_ROOT_COMM_ID");
    if (user_root && *user_root) {
        snprintf(root, sizeof root, "%s", user_root);
    } else {
        int port = free_port();
        if (port < 0) {
            msg("cannot find a free TCP port on 127.0.0.1 for NEURON_RT_ROOT_COMM_ID");
            return 1;
        }
        snprintf(root, sizeof root, "127.0.0.1:%d", port);
    }
    char total[16];
    const char *tc = getenv("OPENNRT_TOTAL_CORES");
    snprintf(total, sizeof total, "%u", n);
    bool set_total = (!tc || !*tc) && n > DEFAULT_TOTAL_CORES;

    char **cargv = calloc((size_t)argc + 8, sizeof *cargv);
    pid_t *pid = calloc(n, sizeof *pid);
    int *hb = calloc(n, sizeof *hb);
    int *status = calloc(n, sizeof *status);
    bool *alive = calloc(n, sizeof *alive);
    if (!cargv || !pid || !hb || !status || !alive) {
        msg("out of memory");
        return 1;
    }
    int ca = 0;
    cargv[ca++] = argv[0];
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--procs"))
            cargv[ca++] = argv[i];
    char rank_s[16], world_s[16], fd_s[16];
    cargv[ca++] = "--rank";
    cargv[ca++] = rank_s;
    cargv[ca++] = "--world";
    cargv[ca++] = world_s;
    cargv[ca++] = "--heartbeat-fd";
    cargv[ca++] = fd_s;
    cargv[ca] = NULL;
    snprintf(world_s, sizeof world_s, "%u", n);

    fflush(stdout);
    fflush(stderr);
    uint32_t started = 0;
    for (uint32_t i = 0; i < n; i++) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) != 0) {
            msg("pipe: %s", strerror(errno));
            break;
        }
        pid_t c = fork();
        if (c < 0) {
            msg("fork: %s", strerror(errno));
            close(p[0]);
            close(p[1]);
            break;
        }
        if (c == 0) {
            close(p[0]);
            int wfd = fcntl(p[1], F_DUPFD, 3); /* without O_CLOEXEC: survives exec */
            if (wfd < 0)
                _exit(127);
            char cores[16];
            snprintf(cores, sizeof cores, "%u", i);
            snprintf(rank_s, sizeof rank_s, "%u", i);
            snprintf(fd_s, sizeof fd_s, "%d", wfd);
            setenv("NEURON_RT_VISIBLE_CORES", cores, 1);
            unsetenv("NEURON_RT_NUM_CORES");
            setenv("NEURON_RT_ROOT_COMM_ID", root, 1);
            if (set_total)
                setenv("OPENNRT_TOTAL_CORES", total, 1);
            execv("/proc/self/exe", cargv);
            execvp(argv[0], cargv);
            fprintf(stderr, PROG ": cannot start %s: %s\n", argv[0], strerror(errno));
            _exit(127);
        }
        close(p[1]);
        pid[i] = c;
        hb[i] = p[0];
        alive[i] = true;
        started++;
    }

    uint64_t idle_limit = (uint64_t)((G.o.timeout_s + 30.0) * 1e9);
    uint64_t last = now_ns(), stop_at = started < n ? last : 0, kill_at = 0;
    bool stopping = false, stalled = false;
    uint32_t left = started;
    struct pollfd *pfd = calloc(n, sizeof *pfd);
    while (left > 0) {
        int np = 0;
        for (uint32_t i = 0; i < started; i++)
            if (hb[i] >= 0)
                pfd[np++] = (struct pollfd){hb[i], POLLIN, 0};
        if (np)
            poll(pfd, (nfds_t)np, 100);
        else {
            struct timespec ts = {0, 100000000};
            nanosleep(&ts, NULL);
        }
        for (int k = 0; k < np; k++) {
            if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[256];
            ssize_t got = read(pfd[k].fd, buf, sizeof buf);
            if (got > 0)
                last = now_ns();
            else if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN))
                for (uint32_t i = 0; i < started; i++)
                    if (hb[i] == pfd[k].fd) {
                        close(hb[i]);
                        hb[i] = -1;
                    }
        }
        for (uint32_t i = 0; i < started; i++) {
            if (!alive[i])
                continue;
            int s;
            pid_t w = waitpid(pid[i], &s, WNOHANG);
            if (w == pid[i]) {
                alive[i] = false;
                status[i] = s;
                left--;
                if (!(WIFEXITED(s) && WEXITSTATUS(s) == 0) && !stop_at)
                    stop_at = now_ns() + 3000000000ull;
            }
        }
        uint64_t t = now_ns();
        if (!stop_at && t - last > idle_limit) {
            stalled = true;
            msg("no rank made progress for %.0f s: stopping them", (double)idle_limit * 1e-9);
            stop_at = t;
        }
        if (stop_at && t >= stop_at && !stopping) {
            stopping = true;
            kill_at = t + 2000000000ull;
            for (uint32_t i = 0; i < started; i++)
                if (alive[i])
                    kill(pid[i], SIGTERM);
        }
        if (stopping && kill_at && t >= kill_at) {
            for (uint32_t i = 0; i < started; i++)
                if (alive[i])
                    kill(pid[i], SIGKILL);
            kill_at = 0; /* SIGKILL cannot be ignored: waitpid reaps them next */
        }
    }
    int rc = started == n ? 0 : 1;
    for (uint32_t i = 0; i < started; i++) {
        if (hb[i] >= 0)
            close(hb[i]);
        if (WIFEXITED(status[i]) && WEXITSTATUS(status[i]) == 0)
            continue;
        char why[96];
        describe_status(status[i], why, sizeof why);
        msg("rank %u (pid %d) %s%s", i, (int)pid[i], why,
            stopping && WIFSIGNALED(status[i]) ? (stalled ? " (stopped: no progress)" : " (stopped after another rank failed)")
                                                : "");
        rc = 1;
    }
    if (started < n)
        msg("only %u of %u ranks could be started", started, n);
    free(pfd);
    free(cargv);
    free(pid);
    free(hb);
    free(status);
    free(alive);
    return rc;
}

int main(int argc, char **argv)
{
    int rc = parse_args(argc, argv, &G.o);
    if (rc == 1) {
        usage(stdout);
        return 0;
    }
    if (rc)
        return rc;
    rank_from_env(&G.o);
    G.ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t cpus;
    if (sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_COUNT(&cpus) > 0 && CPU_COUNT(&cpus) < G.ncpu)
        G.ncpu = CPU_COUNT(&cpus);
    if (G.ncpu < 1)
        G.ncpu = 1;

    if (G.o.procs) {
        if (!G.o.ranks)
            return usage_err("--procs needs -r RANKS");
        G.nproc = 1;
        signal(SIGPIPE, SIG_IGN);
        return launch(argc, argv, G.o.ranks);
    }
    if (G.o.world >= 0) {
        G.nproc = (uint32_t)G.o.world;
        G.proc = (uint32_t)G.o.rank;
        if (!G.o.ranks)
            G.o.ranks = G.nproc;
        if (G.o.ranks % G.nproc)
            return usage_err("-r %u is not a multiple of the %u processes", G.o.ranks, G.nproc);
        G.mode = G.o.heartbeat_fd >= 0 ? "procs" : "processes";
    } else {
        if (!G.o.ranks)
            return usage_err("how many ranks? give -r RANKS");
        G.nproc = 1;
        G.proc = 0;
        G.mode = "threads";
    }
    G.world = G.o.ranks;
    G.local = G.world / G.nproc;
    if (G.o.op == OP_SENDRECV && G.world < 2)
        return usage_err("sendrecv needs at least 2 ranks");
    if (G.o.spin_ns == UINT64_MAX)
        G.o.spin_ns = G.local > (uint32_t)G.ncpu ? 0 : 20000;
    if (G.o.heartbeat_fd >= 0)
        signal(SIGPIPE, SIG_IGN);

    /* The cores of this process, unless the user chose them. */
    const char *vis = getenv("NEURON_RT_VISIBLE_CORES"), *num = getenv("NEURON_RT_NUM_CORES");
    if ((!vis || !*vis) && (!num || !*num)) {
        uint32_t first = 0, need = G.local;
        const char *lr = getenv("OMPI_COMM_WORLD_LOCAL_RANK");
        uint64_t lrv;
        if (G.nproc > 1 && lr && parse_u64(lr, &lrv))
            first = (uint32_t)lrv * G.local; /* processes of one host: other cores each */
        char b[32];
        if (first)
            snprintf(b, sizeof b, "%u-%u", first, first + G.local - 1);
        else
            snprintf(b, sizeof b, "%u", G.local);
        setenv(first ? "NEURON_RT_VISIBLE_CORES" : "NEURON_RT_NUM_CORES", b, 1);
        need = first + G.local;
        if (need > DEFAULT_TOTAL_CORES) {
            snprintf(b, sizeof b, "%u", need);
            set_env_default("OPENNRT_TOTAL_CORES", b);
        }
    }
    if (G.nproc > 1 && G.proc == 0 && !getenv("NEURON_RT_ROOT_COMM_ID"))
        msg("NEURON_RT_ROOT_COMM_ID is not set: the processes meet at the runtime's default address");
    make_sizes();
    find_my_ip();
    int64_t exact = G.o.dt->exact / (int64_t)G.world;
    G.amp = exact < 1 ? 1 : exact > 1000 ? 1000 : exact;
    return run_ranks();
}

/*
 * tools/nrt_bench.c - nrt-bench: measures one model through the three ways
 * an application can drive it, on one or more logical cores:
 *
 *   sync     nrt_tensor_write -> nrt_execute -> nrt_tensor_read, one
 *            iteration at a time (the baseline, and where the per-stage
 *            times for the ideal bound come from);
 *   async    the explicit async API: every iteration is write(s) ->
 *            execute -> read(s) on the TENSOR_WRITE, COMPUTE and
 *            TENSOR_READ units, with --inflight iterations in flight on
 *            as many rotating buffer sets. The runtime does not order
 *            requests of different units, so the application does: an
 *            execute is scheduled only once its writes have completed, a
 *            read once its execute has, and a buffer set is reused only
 *            once its previous iteration is read back;
 *   compute  nrta_execute_schedule only (inputs already on the core), with
 *            --inflight executions queued: the cost of the model alone.
 *
 * Each pipeline (one per --cores entry) runs in its own thread. Completions
 * are polled with nrta_is_completed / nrta_get_sequence for a short spin
 * window and then waited for on completion handles with poll(), so the
 * benchmark thread does not take CPU from the unit workers it measures.
 *
 * Outputs are verified bit for bit: the reference output of every input
 * data set is computed once per core through the sync path (a model may
 * compute something else on each core), and the sync, async and compute
 * runs on that core must reproduce it (warmup iterations always, the timed
 * ones at the end or with --verify-all); --no-verify skips it for models
 * that are not deterministic. Any request error, schedule failure or
 * mismatch makes nrt-bench exit 1, and the summary says which.
 *
 * The figures are only as good as the machine is quiet: the CPU time other
 * processes used during the timed runs (/proc/stat minus this process's
 * own, as bench/bench_async does) is reported, with a warning above 5%.
 *
 * With --json, every failure, from a bad option on, prints one error
 * object on stdout ({"tool":"nrt-bench","ok":false,"error":...}).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cpu_noise.h"
#include "json.h"
#include "nrt/nrt.h"
#include "nrt/nrt_async.h"
#include "nrt/nrt_experimental.h"
#include "nrt/nrt_ext.h"

#define MAX_CORES 256
#define MAX_INPUT_FILES 64
#define TRACE_TID_STRIDE 32 /* trace tid = unit * 32 + queue + 1, pid = core + 1 (see docs/TOOLS.md) */

enum { MODE_SYNC = 0, MODE_ASYNC, MODE_COMPUTE, MODE_NUM };
static const char *const mode_names[MODE_NUM] = {"sync", "async", "compute"};
static const char *const unit_names[NRTA_XU_TYPE_NUM] = {"TENSOR_READ", "TENSOR_WRITE", "TENSOR_OP", "COMPUTE",
                                                         "COLLECTIVES"};

/*===------------------------------------------------------------------===*/
/* Options and shared state                                               */
/*===------------------------------------------------------------------===*/

typedef struct {
    const char *model_path;
    uint64_t iterations; /* per mode and pipeline; 0 with --duration: unbounded */
    double duration_s;   /* 0: none */
    uint64_t warmup;
    unsigned inflight;
    uint32_t cores[MAX_CORES];
    unsigned ncores;
    bool json, progress, verify_all, no_verify;
    const char *trace_path;
    bool modes[MODE_NUM];
    struct {
        const char *name, *path;
    } inputs[MAX_INPUT_FILES];
    unsigned ninputs;
    uint64_t seed;
    uint64_t spin_ns; /* poll window before blocking on completion fds */
} opts_t;

typedef struct {
    char name[NRT_TENSOR_NAME_MAX];
    size_t size;
    nrt_dtype_t dtype;
    uint32_t ndim;
    uint32_t shape[8];
} tinfo_t;

enum { SET_FREE = 0, SET_WRITING, SET_EXEC_PENDING, SET_EXECUTING, SET_READING, SET_DONE };

/* One buffer set: the device tensors of one iteration in flight, and the
 * host buffer its outputs are read into. */
typedef struct {
    nrt_tensor_t **in_t, **out_t;
    nrt_tensor_set_t *in, *out;
    void **host_out;
    int dev_d; /* data set held by the input tensors (-1: none) */
    int out_d; /* data set whose result is in host_out (-1: none) */
    /* Async state of the iteration using the set. */
    int state;
    uint64_t iter;
    unsigned nw, nr;   /* writes / reads scheduled so far */
    unsigned wdone, rdone;
    nrta_seq_t *wseq, xseq, *rseq;
    uint64_t t_start;
} bufset_t;

typedef struct {
    bool ran;
    uint64_t iters;
    uint64_t t_begin, t_end; /* timed part */
    uint64_t *lat;
    size_t nlat, caplat;
    uint64_t busy_ns[NRTA_XU_TYPE_NUM];
    double stage_ns[3]; /* sync only: summed write, execute, read */
    uint64_t compared, mismatches, errors;
} result_t;

typedef struct bench bench_t;

typedef struct {
    bench_t *b;
    unsigned idx;
    uint32_t lnc;
    nrt_model_t *model;
    bufset_t *sets;
    unsigned nsets;
    nrta_error_tracker_t *tracker;
    result_t res[MODE_NUM];
    int mode; /* the one running */
    bool failed;
    char err[512];
    void ***ref; /* [ndata][nout] reference outputs of this core */
    uint64_t trace_sub0[NRTA_XU_TYPE_NUM][TRACE_TID_STRIDE], trace_sub1[NRTA_XU_TYPE_NUM][TRACE_TID_STRIDE];
    pthread_t thread;
} pipe_t;

struct bench {
    opts_t o;
    nrtx_config_t cfg;
    tinfo_t *in, *out;
    unsigned nin, nout;
    unsigned ndata;   /* input data sets */
    void ***host_in;  /* [ndata][nin] */
    pipe_t *pipes;
    pthread_barrier_t barrier;
    _Atomic uint64_t progress_done;
    long ncpu;
    bool tty, show_progress;
    double foreign_pct, steal_pct; /* of the machine, during the timed runs */
};

/* --json: errors become one JSON object on stdout, until a report (or an
 * error object) has been printed. */
static bool json_errors, json_printed;

static void report_error(const char *fmt, va_list ap)
{
    char m[1024];
    vsnprintf(m, sizeof m, fmt, ap);
    fprintf(stderr, "nrt-bench: %s%s", m, m[0] && m[strlen(m) - 1] == '\n' ? "" : "\n");
    if (json_errors && !json_printed) {
        json_write_error(stdout, "nrt-bench", m);
        json_printed = true;
    }
}

/* A usage error: the message, exit status 2. */
static int arg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int arg_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_error(fmt, ap);
    va_end(ap);
    return 2;
}

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

/* Records the first failure of a pipeline (later ones are consequences). */
static void pipe_fail(pipe_t *p, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    int n = snprintf(p->err, sizeof p->err, "core %u, %s: ", p->lnc, mode_names[p->mode]);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + n, sizeof p->err - (size_t)n, fmt, ap);
    va_end(ap);
}

/*===------------------------------------------------------------------===*/
/* Usage and option parsing                                               */
/*===------------------------------------------------------------------===*/

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nrt-bench [options] MODEL.so\n"
            "\n"
            "Loads MODEL.so and runs it in a timed loop three ways: sync (nrt_tensor_write ->\n"
            "nrt_execute -> nrt_tensor_read), async (explicit async API, --inflight iterations in\n"
            "flight on rotating buffer sets) and compute (nrta_execute_schedule only). Reports\n"
            "iterations/s, latency percentiles, unit busy fractions, the async/sync speedup and the\n"
            "efficiency against the ideal pipelined bound; verifies every mode's outputs bit for bit\n"
            "against references made once per core. Figures need a quiet machine: the report says\n"
            "how much CPU other processes took during the run.\n"
            "A MODEL.so named without a '/' that is not in the current directory is taken from\n"
            "the installed example models (<prefix>/lib/opennrt/models), e.g. nrt-bench mlp.so.\n"
            "\n"
            "  -n, --iterations N   timed iterations per mode and core (default 1000)\n"
            "  -d, --duration SEC   run each mode for SEC seconds instead (with -n: whichever first)\n"
            "  -w, --warmup N       untimed, verified iterations before each mode (default 20)\n"
            "  -i, --inflight N     async/compute iterations in flight per core (default 3)\n"
            "  -c, --cores LIST     logical cores, e.g. 0 or 0,1 or 0-3: one pipeline and thread\n"
            "                       each (default 0)\n"
            "  -m, --mode MODE      sync, async, compute or all (default all; may repeat)\n"
            "      --input NAME=FILE  raw bytes for input NAME (default: random data)\n"
            "      --seed N         seed of the random inputs (default 1)\n"
            "      --trace FILE     record a timeline of the modes run, warmups included (Chrome\n"
            "                       trace JSON: open in Perfetto or render with nrt-trace-plot)\n"
            "      --verify-all     compare every timed iteration's outputs, not only the last\n"
            "      --no-verify      compare no outputs (models whose outputs are not deterministic)\n"
            "      --spin-us N      poll completions for N us before blocking on fds (default 20)\n"
            "      --json           one JSON object on stdout instead of the report\n"
            "      --progress       progress line on stderr even when it is not a terminal\n"
            "  -h, --help           this text\n"
            "\n"
            "Exit status: 0 ok, 1 failure (load, request error, output mismatch), 2 usage error.\n");
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

static bool parse_cores(const char *s, opts_t *o)
{
    const char *p = s;
    o->ncores = 0;
    while (*p) {
        char *end;
        errno = 0;
        long a = strtol(p, &end, 10), b;
        if (end == p || errno || a < 0 || a >= MAX_CORES)
            return false;
        b = a;
        p = end;
        if (*p == '-') {
            p++;
            b = strtol(p, &end, 10);
            if (end == p || errno || b < a || b >= MAX_CORES)
                return false;
            p = end;
        }
        for (long c = a; c <= b; c++) {
            for (unsigned i = 0; i < o->ncores; i++)
                if (o->cores[i] == (uint32_t)c)
                    return false;
            if (o->ncores == MAX_CORES)
                return false;
            o->cores[o->ncores++] = (uint32_t)c;
        }
        if (*p == ',')
            p++;
        else if (*p)
            return false;
    }
    return o->ncores > 0;
}

/* Returns 0 to run, 1 for --help, 2 on a usage error (message printed). */
static int parse_args(int argc, char **argv, opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->iterations = 1000;
    o->warmup = 20;
    o->inflight = 3;
    o->seed = 1;
    o->spin_ns = 20000;
    bool iters_set = false, mode_set = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VALUE()                                                                                   \
    do {                                                                                               \
        if (!v) {                                                                                      \
            return arg_error("option %s needs a value (try --help)", a);                     \
        }                                                                                              \
        i++;                                                                                           \
    } while (0)
        uint64_t n;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            return 1;
        } else if (!strcmp(a, "-n") || !strcmp(a, "--iterations")) {
            NEED_VALUE();
            if (!parse_u64(v, &n) || n == 0) {
                return arg_error("--iterations needs a positive integer, not '%s'", v);
            }
            o->iterations = n;
            iters_set = true;
        } else if (!strcmp(a, "-d") || !strcmp(a, "--duration")) {
            NEED_VALUE();
            char *end;
            double d = strtod(v, &end);
            if (*end || !(d > 0) || d > 86400) {
                return arg_error("--duration needs seconds > 0, not '%s'", v);
            }
            o->duration_s = d;
        } else if (!strcmp(a, "-w") || !strcmp(a, "--warmup")) {
            NEED_VALUE();
            if (!parse_u64(v, &n)) {
                return arg_error("--warmup needs an integer >= 0, not '%s'", v);
            }
            o->warmup = n;
        } else if (!strcmp(a, "-i") || !strcmp(a, "--inflight")) {
            NEED_VALUE();
            if (!parse_u64(v, &n) || n < 1 || n > 64) {
                return arg_error("--inflight needs an integer in 1..64, not '%s'", v);
            }
            o->inflight = (unsigned)n;
        } else if (!strcmp(a, "-c") || !strcmp(a, "--cores")) {
            NEED_VALUE();
            if (!parse_cores(v, o))
                return arg_error("bad --cores '%s' (expected distinct ids or ranges below %d, like 0 or 0,1 or 0-3)",
                                 v, MAX_CORES);
        } else if (!strcmp(a, "-m") || !strcmp(a, "--mode")) {
            NEED_VALUE();
            if (!mode_set)
                memset(o->modes, 0, sizeof o->modes);
            mode_set = true;
            if (!strcmp(v, "all")) {
                for (int m = 0; m < MODE_NUM; m++)
                    o->modes[m] = true;
            } else {
                int m = 0;
                while (m < MODE_NUM && strcmp(v, mode_names[m]))
                    m++;
                if (m == MODE_NUM) {
                    return arg_error("unknown --mode '%s' (sync, async, compute or all)", v);
                }
                o->modes[m] = true;
            }
        } else if (!strcmp(a, "--input")) {
            NEED_VALUE();
            const char *eq = strchr(v, '=');
            if (!eq || eq == v || !eq[1] || o->ninputs == MAX_INPUT_FILES) {
                return arg_error("--input needs NAME=FILE, not '%s'", v);
            }
            o->inputs[o->ninputs].name = v;
            o->inputs[o->ninputs].path = eq + 1;
            o->ninputs++;
        } else if (!strcmp(a, "--seed")) {
            NEED_VALUE();
            if (!parse_u64(v, &o->seed)) {
                return arg_error("--seed needs an integer, not '%s'", v);
            }
        } else if (!strcmp(a, "--trace")) {
            NEED_VALUE();
            o->trace_path = v;
        } else if (!strcmp(a, "--spin-us")) {
            NEED_VALUE();
            if (!parse_u64(v, &n) || n > 1000000) {
                return arg_error("--spin-us needs an integer in 0..1000000, not '%s'", v);
            }
            o->spin_ns = n * 1000;
        } else if (!strcmp(a, "--verify-all")) {
            o->verify_all = true;
        } else if (!strcmp(a, "--no-verify")) {
            o->no_verify = true;
        } else if (!strcmp(a, "--json")) {
            o->json = true;
        } else if (!strcmp(a, "--progress")) {
            o->progress = true;
        } else if (a[0] == '-' && a[1]) {
            return arg_error("unknown option '%s' (try --help)", a);
        } else if (o->model_path) {
            return arg_error("more than one model given ('%s' and '%s')", o->model_path, a);
        } else {
            o->model_path = a;
        }
#undef NEED_VALUE
    }
    if (!o->model_path) {
        return arg_error("no model given (usage: nrt-bench [options] MODEL.so; try --help)");
    }
    if (o->verify_all && o->no_verify)
        return arg_error("--verify-all and --no-verify exclude each other (try --help)");
    if (o->verify_all && o->no_verify)
        return arg_error("--verify-all and --no-verify exclude each other (try --help)");
    if (!mode_set)
        for (int m = 0; m < MODE_NUM; m++)
            o->modes[m] = true;
    if (o->duration_s > 0 && !iters_set)
        o->iterations = 0;
    if (!o->ncores) {
        o->cores[0] = 0;
        o->ncores = 1;
    }
    return 0;
}

/*===------------------------------------------------------------------===*/
/* Files and data                                                         */
/*===------------------------------------------------------------------===*/

static const char *dtype_name(nrt_dtype_t t)
{
    switch (t) {
    case NRT_DTYPE_FLOAT32: return "float32";
    case NRT_DTYPE_FP32R: return "fp32r";
    case NRT_DTYPE_FLOAT16: return "float16";
    case NRT_DTYPE_BFLOAT16: return "bfloat16";
    case NRT_DTYPE_FP8_E3: return "fp8_e3";
    case NRT_DTYPE_FP8_E4: return "fp8_e4";
    case NRT_DTYPE_FP8_E5: return "fp8_e5";
    case NRT_DTYPE_UINT8: return "uint8";
    case NRT_DTYPE_UINT16: return "uint16";
    case NRT_DTYPE_UINT32: return "uint32";
    case NRT_DTYPE_UINT64: return "uint64";
    case NRT_DTYPE_INT8: return "int8";
    case NRT_DTYPE_INT16: return "int16";
    case NRT_DTYPE_INT32: return "int32";
    case NRT_DTYPE_INT64: return "int64";
    default: return "unknown";
    }
}

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64*: fast, and good enough for test data. */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

/* Random values that are finite and of moderate magnitude for float types,
 * so models see realistic data (and NaN checks stay quiet). */
static void fill_random(void *buf, size_t size, nrt_dtype_t dt, uint64_t seed)
{
    uint64_t s = seed * 0x9e3779b97f4a7c15ull + 0x2545f4914f6cdd1dull;
    if (!s)
        s = 1;
    if (dt == NRT_DTYPE_FLOAT32 || dt == NRT_DTYPE_FP32R) {
        float *f = buf;
        for (size_t i = 0; i < size / 4; i++)
            f[i] = (float)(rng_next(&s) >> 40) / (float)(1u << 24) * 2.0f - 1.0f;
        return;
    }
    if (dt == NRT_DTYPE_FLOAT16 || dt == NRT_DTYPE_BFLOAT16) {
        uint16_t *h = buf;
        for (size_t i = 0; i < size / 2; i++) {
            uint64_t r = rng_next(&s);
            if (dt == NRT_DTYPE_FLOAT16) /* exponent 10..17: |x| in [2^-5, 2^3) */
                h[i] = (uint16_t)(((r >> 20) & 0x8000u) | ((10u + (r >> 32) % 8u) << 10) | (r & 0x3ffu));
            else /* exponent 120..130 */
                h[i] = (uint16_t)(((r >> 20) & 0x8000u) | ((120u + (r >> 32) % 11u) << 7) | (r & 0x7fu));
        }
        return;
    }
    unsigned char *c = buf;
    uint8_t mask = (dt == NRT_DTYPE_FP8_E3 || dt == NRT_DTYPE_FP8_E4 || dt == NRT_DTYPE_FP8_E5) ? 0x77 : 0xff;
    for (size_t i = 0; i < size; i++)
        c[i] = (unsigned char)(rng_next(&s) >> 56) & mask;
}

/*===------------------------------------------------------------------===*/
/* Setup                                                                  */
/*===------------------------------------------------------------------===*/

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "nrt-bench: out of memory\n");
        exit(1);
    }
    return p;
}

static void *xmalloc_aligned(size_t size)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, size ? size : 1) != 0) {
        fprintf(stderr, "nrt-bench: out of memory (%zu bytes)\n", size);
        exit(1);
    }
    return p;
}

static bool describe_model(bench_t *b, nrt_model_t *m, char *err, size_t errcap)
{
    nrt_tensor_info_array_t *info = NULL;
    NRT_STATUS st = nrt_get_model_tensor_info(m, &info);
    if (st != NRT_SUCCESS) {
        snprintf(err, errcap, "cannot get the model's tensor info: %s", nrt_get_status_as_str(st));
        return false;
    }
    b->in = xcalloc(info->tensor_count, sizeof *b->in);
    b->out = xcalloc(info->tensor_count, sizeof *b->out);
    for (uint64_t i = 0; i < info->tensor_count; i++) {
        const nrt_tensor_info_t *ti = &info->tensor_array[i];
        tinfo_t *t = ti->usage == NRT_TENSOR_USAGE_INPUT ? &b->in[b->nin++] : &b->out[b->nout++];
        snprintf(t->name, sizeof t->name, "%s", ti->name);
        t->size = ti->size;
        t->dtype = ti->dtype;
        t->ndim = ti->ndim < 8 ? ti->ndim : 8;
        for (uint32_t d = 0; d < t->ndim; d++)
            t->shape[d] = ti->shape ? ti->shape[d] : 0;
    }
    nrt_free_model_tensor_info(info);
    if (!b->nout) {
        snprintf(err, errcap, "the model has no outputs");
        return false;
    }
    return true;
}

/* Input data sets: random per set, or the --input file for every set. */
static bool make_inputs(bench_t *b, char *err, size_t errcap)
{
    const opts_t *o = &b->o;
    for (unsigned f = 0; f < o->ninputs; f++) {
        size_t nlen = (size_t)(strchr(o->inputs[f].name, '=') - o->inputs[f].name);
        unsigned j = 0;
        while (j < b->nin && (strlen(b->in[j].name) != nlen || strncmp(b->in[j].name, o->inputs[f].name, nlen)))
            j++;
        if (j == b->nin) {
            int n = snprintf(err, errcap, "--input names '%.*s', but the model's inputs are:", (int)nlen,
                             o->inputs[f].name);
            for (unsigned k = 0; k < b->nin && n > 0 && (size_t)n < errcap; k++)
                n += snprintf(err + n, errcap - (size_t)n, " %s", b->in[k].name);
            return false;
        }
    }
    b->host_in = xcalloc(b->ndata, sizeof *b->host_in);
    for (unsigned d = 0; d < b->ndata; d++) {
        b->host_in[d] = xcalloc(b->nin, sizeof **b->host_in);
        for (unsigned j = 0; j < b->nin; j++) {
            b->host_in[d][j] = xmalloc_aligned(b->in[j].size);
            fill_random(b->host_in[d][j], b->in[j].size, b->in[j].dtype, o->seed * 1000003ull + d * 131ull + j);
        }
    }
    for (unsigned f = 0; f < o->ninputs; f++) {
        size_t nlen = (size_t)(strchr(o->inputs[f].name, '=') - o->inputs[f].name);
        unsigned j = 0;
        while (strlen(b->in[j].name) != nlen || strncmp(b->in[j].name, o->inputs[f].name, nlen))
            j++;
        size_t size;
        void *data = json_read_all(o->inputs[f].path, &size, err, errcap);
        if (!data)
            return false;
        if (size != b->in[j].size) {
            snprintf(err, errcap, "input file '%s' has %zu bytes, but input '%s' takes %zu", o->inputs[f].path, size,
                     b->in[j].name, b->in[j].size);
            free(data);
            return false;
        }
        for (unsigned d = 0; d < b->ndata; d++)
            memcpy(b->host_in[d][j], data, size);
        free(data);
    }
    return true;
}

/* Why a load failed, as far as the tool can tell: only bytes without an
 * ELF header are surely not a model object; for the rest (an unresolved
 * symbol, a bad descriptor, a damaged object) the runtime's log line says. */
static const char *load_hint(NRT_STATUS st, const void *bytes, size_t size)
{
    bool elf = size >= 4 && memcmp(bytes, "\177ELF", 4) == 0;
    if (!elf)
        return " (not an OpenNRT model object: no ELF header; see docs/MODELS.md)";
    if (st == NRT_INVALID || st == NRT_UNSUPPORTED_NEFF_VERSION)
        return " (the runtime's log line above says why: for example an unresolved symbol, an invalid "
               "descriptor or a damaged object; see docs/MODELS.md)";
    return "";
}

static bool setup_pipe(bench_t *b, pipe_t *p, const void *bytes, size_t size, char *err, size_t errcap)
{
    NRT_STATUS st = nrt_load(bytes, size, (int32_t)p->lnc, 1, &p->model);
    if (st != NRT_SUCCESS) {
        snprintf(err, errcap, "cannot load model '%s' on core %u: %s%s", b->o.model_path, p->lnc,
                 nrt_get_status_as_str(st), load_hint(st, bytes, size));
        return false;
    }
    if (p->idx == 0 && !describe_model(b, p->model, err, errcap))
        return false;
    st = nrta_error_tracker_create(p->lnc, &p->tracker);
    if (st != NRT_SUCCESS) {
        snprintf(err, errcap, "cannot create an error tracker on core %u: %s", p->lnc, nrt_get_status_as_str(st));
        return false;
    }
    p->nsets = b->o.inflight;
    p->sets = xcalloc(p->nsets, sizeof *p->sets);
    for (unsigned k = 0; k < p->nsets; k++) {
        bufset_t *s = &p->sets[k];
        s->in_t = xcalloc(b->nin, sizeof *s->in_t);
        s->out_t = xcalloc(b->nout, sizeof *s->out_t);
        s->wseq = xcalloc(b->nin, sizeof *s->wseq);
        s->rseq = xcalloc(b->nout, sizeof *s->rseq);
        s->host_out = xcalloc(b->nout, sizeof *s->host_out);
        s->dev_d = s->out_d = -1;
        if ((st = nrt_allocate_tensor_set(&s->in)) != NRT_SUCCESS ||
            (st = nrt_allocate_tensor_set(&s->out)) != NRT_SUCCESS)
            goto fail;
        for (unsigned j = 0; j < b->nin + b->nout; j++) {
            bool input = j < b->nin;
            const tinfo_t *t = input ? &b->in[j] : &b->out[j - b->nin];
            nrt_tensor_t **tp = input ? &s->in_t[j] : &s->out_t[j - b->nin];
            if ((st = nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, (int)p->lnc, t->size, t->name, tp)) !=
                    NRT_SUCCESS ||
                (st = nrt_add_tensor_to_tensor_set(input ? s->in : s->out, t->name, *tp)) != NRT_SUCCESS)
                goto fail;
            if (!input)
                s->host_out[j - b->nin] = xmalloc_aligned(t->size);
        }
    }
    return true;
fail:
    snprintf(err, errcap, "cannot allocate the tensors on core %u: %s", p->lnc, nrt_get_status_as_str(st));
    return false;
}

static void teardown_pipe(bench_t *b, pipe_t *p)
{
    /* A failed setup leaves sets (and tensors) it never reached: free
     * only what exists. */
    for (unsigned k = 0; p->sets && k < p->nsets; k++) {
        bufset_t *s = &p->sets[k];
        if (s->in)
            nrt_destroy_tensor_set(&s->in);
        if (s->out)
            nrt_destroy_tensor_set(&s->out);
        for (unsigned j = 0; s->in_t && j < b->nin; j++)
            if (s->in_t[j])
                nrt_tensor_free(&s->in_t[j]);
        for (unsigned j = 0; s->out_t && j < b->nout; j++)
            if (s->out_t[j])
                nrt_tensor_free(&s->out_t[j]);
        for (unsigned j = 0; s->host_out && j < b->nout; j++)
            free(s->host_out[j]);
        free(s->in_t);
        free(s->out_t);
        free(s->wseq);
        free(s->rseq);
        free(s->host_out);
    }
    free(p->sets);
    if (p->tracker)
        nrta_error_tracker_destroy(p->tracker);
    if (p->model)
        nrt_unload(p->model);
    for (int m = 0; m < MODE_NUM; m++)
        free(p->res[m].lat);
    for (unsigned d = 0; p->ref && d < b->ndata; d++) {
        for (unsigned j = 0; p->ref[d] && j < b->nout; j++)
            free(p->ref[d][j]);
        free(p->ref[d]);
    }
    free(p->ref);
}

/* Runs one synchronous iteration on set |s| with data set |d|; |stage| (may
 * be NULL) receives the write, execute and read times. */
static NRT_STATUS sync_iteration(bench_t *b, pipe_t *p, bufset_t *s, unsigned d, uint64_t stage[3])
{
    NRT_STATUS st = NRT_SUCCESS;
    uint64_t t0 = now_ns();
    for (unsigned j = 0; j < b->nin && st == NRT_SUCCESS; j++)
        st = nrt_tensor_write(s->in_t[j], b->host_in[d][j], 0, b->in[j].size);
    uint64_t t1 = now_ns();
    if (st == NRT_SUCCESS) {
        s->dev_d = (int)d;
        st = nrt_execute(p->model, s->in, s->out);
    }
    uint64_t t2 = now_ns();
    for (unsigned j = 0; j < b->nout && st == NRT_SUCCESS; j++)
        st = nrt_tensor_read(s->out_t[j], s->host_out[j], 0, b->out[j].size);
    uint64_t t3 = now_ns();
    if (st == NRT_SUCCESS)
        s->out_d = (int)d;
    if (stage) {
        stage[0] = t1 - t0;
        stage[1] = t2 - t1;
        stage[2] = t3 - t2;
    }
    return st;
}

/* Reference outputs of every data set, through the sync path on each
 * core (none with --no-verify); then every set of every pipeline gets data
 * set k on its inputs, so a compute-only run has defined inputs. */
static bool make_references(bench_t *b, char *err, size_t errcap)
{
    for (unsigned i = 0; i < b->o.ncores && !b->o.no_verify; i++) {
        pipe_t *p = &b->pipes[i];
        p->ref = xcalloc(b->ndata, sizeof *p->ref);
        for (unsigned d = 0; d < b->ndata; d++) {
            NRT_STATUS st = sync_iteration(b, p, &p->sets[0], d, NULL);
            if (st != NRT_SUCCESS) {
                snprintf(err, errcap, "the reference run on core %u failed: %s", p->lnc, nrt_get_status_as_str(st));
                return false;
            }
            p->ref[d] = xcalloc(b->nout, sizeof **p->ref);
            for (unsigned j = 0; j < b->nout; j++) {
                p->ref[d][j] = xmalloc_aligned(b->out[j].size);
                memcpy(p->ref[d][j], p->sets[0].host_out[j], b->out[j].size);
            }
        }
    }
    for (unsigned i = 0; i < b->o.ncores; i++)
        for (unsigned k = 0; k < b->pipes[i].nsets; k++) {
            bufset_t *s = &b->pipes[i].sets[k];
            for (unsigned j = 0; j < b->nin; j++) {
                NRT_STATUS st = nrt_tensor_write(s->in_t[j], b->host_in[k % b->ndata][j], 0, b->in[j].size);
                if (st != NRT_SUCCESS) {
                    snprintf(err, errcap, "cannot write inputs on core %u: %s", b->pipes[i].lnc,
                             nrt_get_status_as_str(st));
                    return false;
                }
            }
            s->dev_d = (int)(k % b->ndata);
        }
    return true;
}

/*===------------------------------------------------------------------===*/
/* Verification, stats, progress                                          */
/*===------------------------------------------------------------------===*/

/* Compares the host outputs of |s| with the reference of data set out_d. */
static void verify_set(bench_t *b, pipe_t *p, bufset_t *s, result_t *r)
{
    if (s->out_d < 0 || !p->ref)
        return;
    for (unsigned j = 0; j < b->nout; j++) {
        r->compared++;
        const unsigned char *got = s->host_out[j], *want = p->ref[s->out_d][j];
        if (memcmp(got, want, b->out[j].size) == 0)
            continue;
        r->mismatches++;
        size_t off = 0;
        while (got[off] == want[off])
            off++;
        pipe_fail(p,
                  "output '%s' differs from core %u's sync reference (data set %d) first at byte %zu: 0x%02x, "
                  "expected 0x%02x (a model that is not deterministic needs --no-verify)",
                  b->out[j].name, p->lnc, s->out_d, off, got[off], want[off]);
    }
}

/* Reads the error tracker; every entry is a failed request. */
static void check_tracker(pipe_t *p, result_t *r)
{
    const nrta_error_t *list = NULL;
    size_t n = 0;
    NRT_STATUS st = nrta_error_tracker_get_list(p->tracker, &list, &n);
    if (st != NRT_SUCCESS) {
        pipe_fail(p, "nrta_error_tracker_get_list failed: %s", nrt_get_status_as_str(st));
        return;
    }
    if (!n)
        return;
    r->errors += n;
    nrta_seq_t id = list[0].seq_id;
    unsigned xu = NRTA_SEQ_GET_XU_ID(id), unit = (xu >> 5) & 7;
    pipe_fail(p, "request 0x%016" PRIx64 " (unit %s, queue %u, #%" PRIu64 ") failed with %s%s", id,
              unit < NRTA_XU_TYPE_NUM ? unit_names[unit] : "?", xu & 31,
              (uint64_t)NRTA_SEQ_GET_SEQ_NUM(id), nrt_get_status_as_str((NRT_STATUS)list[0].error_code),
              n > 1 ? " (and more)" : "");
}

static void unit_busy(bench_t *b, pipe_t *p, uint64_t out[NRTA_XU_TYPE_NUM])
{
    for (unsigned xu = 0; xu < NRTA_XU_TYPE_NUM; xu++) {
        out[xu] = 0;
        for (uint32_t q = 0; q < b->cfg.queues[xu]; q++) {
            nrtx_queue_stats_t qs;
            if (nrtx_get_queue_stats(p->lnc, (nrta_xu_t)xu, (int)q, &qs) == NRT_SUCCESS)
                out[xu] += qs.busy_ns;
        }
    }
}

static void record_latency(result_t *r, uint64_t ns)
{
    if (r->nlat == r->caplat) {
        size_t cap = r->caplat ? r->caplat * 2 : 4096;
        uint64_t *n = realloc(r->lat, cap * sizeof *n);
        if (!n) {
            fprintf(stderr, "nrt-bench: out of memory\n");
            exit(1);
        }
        r->lat = n;
        r->caplat = cap;
    }
    r->lat[r->nlat++] = ns;
}

/* The first pipeline draws the progress line for everyone. */
static void progress(bench_t *b, pipe_t *p, uint64_t t_begin, uint64_t *next)
{
    uint64_t t = now_ns();
    if (!b->show_progress || p->idx != 0 || t < *next)
        return;
    *next = t + (b->tty ? 250000000ull : 1000000000ull);
    uint64_t done = atomic_load_explicit(&b->progress_done, memory_order_relaxed);
    double el = (double)(t - t_begin) / 1e9;
    char target[64] = "";
    if (b->o.iterations)
        snprintf(target, sizeof target, "/%" PRIu64, b->o.iterations * b->o.ncores);
    if (b->o.duration_s > 0 && !b->o.iterations)
        snprintf(target, sizeof target, " (%.0f/%.0f s)", el, b->o.duration_s);
    fprintf(stderr, "%s  %-7s %" PRIu64 "%s iterations, %.0f iter/s%s", b->tty ? "\r\033[K" : "", mode_names[p->mode],
            done, target, el > 0 ? (double)done / el : 0.0, b->tty ? "" : "\n");
    fflush(stderr);
}

/* Time limits of a timed loop: iteration count and/or deadline. */
static bool may_issue(const bench_t *b, uint64_t issued, uint64_t deadline, bool timed, uint64_t warm)
{
    if (!timed)
        return issued < warm;
    if (b->o.iterations && issued >= b->o.iterations)
        return false;
    return !deadline || now_ns() < deadline;
}

/*===------------------------------------------------------------------===*/
/* Waiting                                                                */
/*===------------------------------------------------------------------===*/

/* Blocks until one of |seqs| completes (or 100 ms pass) using completion
 * handles. Sets that already completed make it return at once. */
static void wait_any(pipe_t *p, const nrta_seq_t *seqs, unsigned n)
{
    struct pollfd fds[64];
    unsigned nfd = 0;
    for (unsigned i = 0; i < n && nfd < 64; i++) {
        int fd;
        NRT_STATUS st = nrta_get_completion_handle(seqs[i], &fd);
        if (st != NRT_SUCCESS) {
            pipe_fail(p, "nrta_get_completion_handle failed: %s", nrt_get_status_as_str(st));
            break;
        }
        fds[nfd].fd = fd;
        fds[nfd].events = POLLIN;
        fds[nfd].revents = 0;
        nfd++;
    }
    if (nfd == n)
        while (poll(fds, nfd, 100) < 0 && errno == EINTR)
            ;
    for (unsigned i = 0; i < nfd; i++)
        close(fds[i].fd);
}

/* Polls for |spin_ns| from |since|, then blocks. */
static void wait_progress(bench_t *b, pipe_t *p, uint64_t since, const nrta_seq_t *seqs, unsigned n)
{
    if (!n)
        return;
    if (now_ns() - since < b->o.spin_ns) {
        for (int i = 0; i < 32; i++)
            cpu_relax();
        return;
    }
    wait_any(p, seqs, n);
}

static bool completed(pipe_t *p, nrta_seq_t seq)
{
    bool done = false;
    NRT_STATUS st = nrta_is_completed(seq, &done);
    if (st != NRT_SUCCESS) {
        pipe_fail(p, "nrta_is_completed(0x%016" PRIx64 ") failed: %s", seq, nrt_get_status_as_str(st));
        return true; /* do not wait for it forever */
    }
    return done;
}

/*===------------------------------------------------------------------===*/
/* The three modes                                                        */
/*===------------------------------------------------------------------===*/

static void run_sync(bench_t *b, pipe_t *p, result_t *r, bool timed, uint64_t warm)
{
    bufset_t *s = &p->sets[0];
    uint64_t deadline = timed && b->o.duration_s > 0 ? r->t_begin + (uint64_t)(b->o.duration_s * 1e9) : 0;
    uint64_t next_progress = 0;
    for (uint64_t i = 0; may_issue(b, i, deadline, timed, warm) && !p->failed; i++) {
        uint64_t stage[3];
        unsigned d = (unsigned)(i % b->ndata);
        NRT_STATUS st = sync_iteration(b, p, s, d, stage);
        if (st != NRT_SUCCESS) {
            r->errors++; /* a failed request, as the trackers count them in the other modes */
            pipe_fail(p, "iteration %" PRIu64 " failed: %s", i, nrt_get_status_as_str(st));
            break;
        }
        if (!timed || b->o.verify_all)
            verify_set(b, p, s, r);
        if (!timed)
            continue;
        r->iters++;
        for (int k = 0; k < 3; k++)
            r->stage_ns[k] += (double)stage[k];
        record_latency(r, stage[0] + stage[1] + stage[2]);
        atomic_fetch_add_explicit(&b->progress_done, 1, memory_order_relaxed);
        progress(b, p, r->t_begin, &next_progress);
    }
    if (timed && !b->o.verify_all)
        verify_set(b, p, s, r);
}

/* Tries to move the iteration on |s| one or more steps forward; returns
 * whether anything changed. Schedules that find a queue full are simply
 * retried on the next round. */
static bool advance(bench_t *b, pipe_t *p, bufset_t *s, bool *saw_completion)
{
    bool moved = false;
    NRT_STATUS st;
    int nq_w = (int)b->cfg.queues[NRTA_XU_TENSOR_WRITE], nq_r = (int)b->cfg.queues[NRTA_XU_TENSOR_READ];
    switch (s->state) {
    case SET_WRITING:
        while (s->nw < b->nin) {
            unsigned j = s->nw;
            st = nrta_tensor_write(s->in_t[j], b->host_in[s->iter % b->ndata][j], 0, b->in[j].size,
                                   (int)(j % (unsigned)nq_w), p->tracker, &s->wseq[j]);
            if (st == NRT_QUEUE_FULL)
                return moved;
            if (st != NRT_SUCCESS) {
                pipe_fail(p, "nrta_tensor_write failed: %s", nrt_get_status_as_str(st));
                return moved;
            }
            s->nw++;
            moved = true;
        }
        while (s->wdone < b->nin && completed(p, s->wseq[s->wdone])) {
            s->wdone++;
            *saw_completion = moved = true;
        }
        if (s->wdone < b->nin)
            return moved;
        s->dev_d = (int)(s->iter % b->ndata);
        s->state = SET_EXEC_PENDING;
        /* fall through */
    case SET_EXEC_PENDING:
        st = nrta_execute_schedule(p->model, s->in, s->out, 0, p->tracker, &s->xseq);
        if (st == NRT_QUEUE_FULL)
            return moved;
        if (st != NRT_SUCCESS) {
            pipe_fail(p, "nrta_execute_schedule failed: %s", nrt_get_status_as_str(st));
            return moved;
        }
        s->state = SET_EXECUTING;
        moved = true;
        /* fall through */
    case SET_EXECUTING:
        if (!completed(p, s->xseq))
            return moved;
        *saw_completion = moved = true;
        s->state = SET_READING;
        /* fall through */
    case SET_READING:
        while (s->nr < b->nout) {
            unsigned j = s->nr;
            st = nrta_tensor_read(s->host_out[j], s->out_t[j], 0, b->out[j].size, (int)(j % (unsigned)nq_r),
                                  p->tracker, &s->rseq[j]);
            if (st == NRT_QUEUE_FULL)
                return moved;
            if (st != NRT_SUCCESS) {
                pipe_fail(p, "nrta_tensor_read failed: %s", nrt_get_status_as_str(st));
                return moved;
            }
            s->nr++;
            moved = true;
        }
        while (s->rdone < b->nout && completed(p, s->rseq[s->rdone])) {
            s->rdone++;
            *saw_completion = moved = true;
        }
        if (s->rdone < b->nout)
            return moved;
        s->out_d = (int)(s->iter % b->ndata);
        s->state = SET_DONE;
        return true;
    default:
        return moved;
    }
}

/* The request an in-flight set is waiting for (false: none, e.g. its next
 * schedule found a queue full). */
static bool frontier(const bench_t *b, const bufset_t *s, nrta_seq_t *seq)
{
    switch (s->state) {
    case SET_WRITING:
        if (s->wdone < s->nw) {
            *seq = s->wseq[s->wdone];
            return true;
        }
        return false;
    case SET_EXECUTING:
        *seq = s->xseq;
        return true;
    case SET_READING:
        if (s->rdone < s->nr) {
            *seq = s->rseq[s->rdone];
            return true;
        }
        return false;
    default:
        (void)b;
        return false;
    }
}

/* After a failure: waits for every request already scheduled, so that no
 * buffer is freed under a running request. */
static void drain(bench_t *b, pipe_t *p)
{
    for (unsigned k = 0; k < p->nsets; k++) {
        bufset_t *s = &p->sets[k];
        if (s->state == SET_FREE)
            continue;
        for (unsigned j = 0; j < s->nw; j++)
            while (!completed(p, s->wseq[j]))
                sched_yield();
        if (s->state == SET_EXECUTING || s->state == SET_READING || s->state == SET_DONE)
            while (!completed(p, s->xseq))
                sched_yield();
        for (unsigned j = 0; j < s->nr; j++)
            while (!completed(p, s->rseq[j]))
                sched_yield();
        s->state = SET_FREE;
    }
    (void)b;
}

static void run_async(bench_t *b, pipe_t *p, result_t *r, bool timed, uint64_t warm)
{
    uint64_t deadline = timed && b->o.duration_s > 0 ? r->t_begin + (uint64_t)(b->o.duration_s * 1e9) : 0;
    uint64_t issued = 0, retired = 0, last_move = now_ns(), next_progress = 0;
    for (;;) {
        bool moved = false, saw_completion = false;
        /* Start new iterations while a buffer set is free. */
        while (!p->failed && issued - retired < p->nsets && may_issue(b, issued, deadline, timed, warm)) {
            bufset_t *s = &p->sets[issued % p->nsets];
            s->state = SET_WRITING;
            s->iter = issued++;
            s->nw = s->nr = s->wdone = s->rdone = 0;
            s->t_start = now_ns();
            moved = true;
        }
        /* Oldest first, so the units see requests in iteration order. */
        for (uint64_t it = retired; it < issued && !p->failed; it++)
            moved |= advance(b, p, &p->sets[it % p->nsets], &saw_completion);
        if (saw_completion)
            check_tracker(p, r);
        if (p->failed)
            break;
        /* Retire finished iterations in order; their sets become free. */
        while (retired < issued && p->sets[retired % p->nsets].state == SET_DONE) {
            bufset_t *s = &p->sets[retired % p->nsets];
            s->state = SET_FREE;
            retired++;
            if (!timed || b->o.verify_all)
                verify_set(b, p, s, r);
            if (timed) {
                r->iters++;
                record_latency(r, now_ns() - s->t_start);
                atomic_fetch_add_explicit(&b->progress_done, 1, memory_order_relaxed);
                progress(b, p, r->t_begin, &next_progress);
            }
        }
        if (retired == issued && !may_issue(b, issued, deadline, timed, warm))
            break;
        if (moved) {
            last_move = now_ns();
            continue;
        }
        nrta_seq_t waits[64];
        unsigned nw = 0;
        for (uint64_t it = retired; it < issued && nw < 64; it++)
            if (frontier(b, &p->sets[it % p->nsets], &waits[nw]))
                nw++;
        if (nw)
            wait_progress(b, p, last_move, waits, nw);
        else
            sched_yield(); /* only queue-full retries pending */
    }
    if (p->failed) {
        drain(b, p);
        check_tracker(p, r);
        return;
    }
    if (timed && !b->o.verify_all)
        for (unsigned k = 0; k < p->nsets; k++)
            verify_set(b, p, &p->sets[k], r);
}

static void run_compute(bench_t *b, pipe_t *p, result_t *r, bool timed, uint64_t warm)
{
    uint64_t deadline = timed && b->o.duration_s > 0 ? r->t_begin + (uint64_t)(b->o.duration_s * 1e9) : 0;
    uint64_t issued = 0, retired = 0, last_move = now_ns(), next_progress = 0;
    nrta_seq_t seq[64];
    uint64_t t_sched[64];
    for (;;) {
        bool moved = false;
        while (!p->failed && issued - retired < p->nsets && may_issue(b, issued, deadline, timed, warm)) {
            bufset_t *s = &p->sets[issued % p->nsets];
            unsigned k = (unsigned)(issued % p->nsets);
            t_sched[k] = now_ns();
            NRT_STATUS st = nrta_execute_schedule(p->model, s->in, s->out, 0, p->tracker, &seq[k]);
            if (st == NRT_QUEUE_FULL)
                break;
            if (st != NRT_SUCCESS) {
                pipe_fail(p, "nrta_execute_schedule failed: %s", nrt_get_status_as_str(st));
                break;
            }
            issued++;
            moved = true;
        }
        /* One queue completes in order: compare with its last completed id. */
        nrta_seq_t last = 0;
        if (retired < issued) {
            NRT_STATUS st = nrta_get_sequence(p->lnc, NRTA_XU_COMPUTE, 0, &last);
            if (st != NRT_SUCCESS)
                pipe_fail(p, "nrta_get_sequence failed: %s", nrt_get_status_as_str(st));
        }
        bool saw = false;
        while (retired < issued && NRTA_SEQ_GET_SEQ_NUM(last) >= NRTA_SEQ_GET_SEQ_NUM(seq[retired % p->nsets])) {
            unsigned k = (unsigned)(retired % p->nsets);
            retired++;
            moved = saw = true;
            if (timed) {
                r->iters++;
                record_latency(r, now_ns() - t_sched[k]);
                atomic_fetch_add_explicit(&b->progress_done, 1, memory_order_relaxed);
                progress(b, p, r->t_begin, &next_progress);
            }
        }
        if (saw)
            check_tracker(p, r);
        if (p->failed) {
            while (retired < issued) {
                while (!completed(p, seq[retired % p->nsets]))
                    sched_yield();
                retired++;
            }
            check_tracker(p, r);
            return;
        }
        if (retired == issued && !may_issue(b, issued, deadline, timed, warm))
            break;
        if (moved) {
            last_move = now_ns();
            continue;
        }
        if (retired < issued)
            wait_progress(b, p, last_move, &seq[retired % p->nsets], 1);
        else
            sched_yield();
    }
    /* The outputs now hold the model applied to each set's inputs. */
    for (unsigned k = 0; k < p->nsets && k < issued; k++) {
        bufset_t *s = &p->sets[k];
        for (unsigned j = 0; j < b->nout; j++) {
            NRT_STATUS st = nrt_tensor_read(s->out_t[j], s->host_out[j], 0, b->out[j].size);
            if (st != NRT_SUCCESS) {
                pipe_fail(p, "nrt_tensor_read failed: %s", nrt_get_status_as_str(st));
                return;
            }
        }
        s->out_d = s->dev_d;
        verify_set(b, p, s, r);
    }
}

static void *mode_thread(void *arg)
{
    pipe_t *p = arg;
    bench_t *b = p->b;
    result_t *r = &p->res[p->mode];
    static void (*const run[MODE_NUM])(bench_t *, pipe_t *, result_t *, bool, uint64_t) = {run_sync, run_async,
                                                                                          run_compute};
    r->ran = true;
    if (b->o.warmup)
        run[p->mode](b, p, r, false, b->o.warmup);
    /* Every pipeline starts its timed part together. */
    pthread_barrier_wait(&b->barrier);
    uint64_t busy0[NRTA_XU_TYPE_NUM], busy1[NRTA_XU_TYPE_NUM];
    unit_busy(b, p, busy0);
    r->t_begin = now_ns();
    if (!p->failed)
        run[p->mode](b, p, r, true, 0);
    r->t_end = now_ns();
    unit_busy(b, p, busy1);
    for (unsigned xu = 0; xu < NRTA_XU_TYPE_NUM; xu++)
        r->busy_ns[xu] = busy1[xu] - busy0[xu];
    return NULL;
}

/*===------------------------------------------------------------------===*/
/* Reporting                                                              */
/*===------------------------------------------------------------------===*/

typedef struct {
    bool ran;
    uint64_t iters, wall_ns;
    double rate;
    double p50, p90, p99, max, mean; /* us */
    double busy[NRTA_XU_TYPE_NUM];   /* fraction, mean over pipelines */
} summary_t;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(const uint64_t *v, size_t n, double q)
{
    if (!n)
        return 0;
    size_t k = (size_t)ceil(q * (double)n);
    if (k < 1)
        k = 1;
    return (double)v[k - 1] / 1e3;
}

static summary_t summarize(bench_t *b, int mode)
{
    summary_t s = {0};
    size_t n = 0;
    uint64_t t0 = UINT64_MAX, t1 = 0;
    double sum = 0;
    for (unsigned i = 0; i < b->o.ncores; i++) {
        const result_t *r = &b->pipes[i].res[mode];
        if (!r->ran)
            return s;
        n += r->nlat;
        s.iters += r->iters;
        if (r->t_begin < t0)
            t0 = r->t_begin;
        if (r->t_end > t1)
            t1 = r->t_end;
    }
    s.ran = true;
    uint64_t *all = xcalloc(n, sizeof *all);
    size_t k = 0;
    for (unsigned i = 0; i < b->o.ncores; i++) {
        const result_t *r = &b->pipes[i].res[mode];
        memcpy(all + k, r->lat, r->nlat * sizeof *all);
        k += r->nlat;
    }
    for (size_t i = 0; i < n; i++)
        sum += (double)all[i];
    qsort(all, n, sizeof *all, cmp_u64);
    s.wall_ns = t1 > t0 ? t1 - t0 : 1;
    s.rate = (double)s.iters / ((double)s.wall_ns / 1e9);
    s.p50 = pct(all, n, 0.50);
    s.p90 = pct(all, n, 0.90);
    s.p99 = pct(all, n, 0.99);
    s.max = n ? (double)all[n - 1] / 1e3 : 0;
    s.mean = n ? sum / (double)n / 1e3 : 0;
    for (unsigned xu = 0; xu < NRTA_XU_TYPE_NUM; xu++) {
        double f = 0;
        for (unsigned i = 0; i < b->o.ncores; i++) {
            const result_t *r = &b->pipes[i].res[mode];
            f += (double)r->busy_ns[xu] / (double)(r->t_end > r->t_begin ? r->t_end - r->t_begin : 1);
        }
        s.busy[xu] = f / b->o.ncores;
    }
    free(all);
    return s;
}

static void shape_str(const tinfo_t *t, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%s[", dtype_name(t->dtype));
    for (uint32_t d = 0; d < t->ndim && n > 0 && (size_t)n < cap; d++)
        n += snprintf(buf + n, cap - (size_t)n, "%s%u", d ? "x" : "", t->shape[d]);
    if (n > 0 && (size_t)n < cap)
        snprintf(buf + n, cap - (size_t)n, "]");
}

static const char *human_bytes(uint64_t v, char *buf, size_t cap)
{
    if (v >= (1ull << 20))
        snprintf(buf, cap, "%.1f MiB", (double)v / (1 << 20));
    else if (v >= 1024)
        snprintf(buf, cap, "%.1f KiB", (double)v / 1024);
    else
        snprintf(buf, cap, "%" PRIu64 " B", v);
    return buf;
}

typedef struct {
    double stage_us[3];  /* mean write, execute, read of the sync run (wall) */
    double kernel_us;    /* mean time the COMPUTE unit ran each sync execute */
    double bound_us[3];  /* stage costs of the bound: write, kernel, read */
    bool have_stages;
    double ideal, speedup, efficiency;
    uint64_t compared, mismatches, errors;
    bool ok;
} verdict_t;

static verdict_t judge(bench_t *b, const summary_t *sum)
{
    verdict_t v = {0};
    v.ok = true;
    uint64_t n = 0;
    for (unsigned i = 0; i < b->o.ncores; i++) {
        pipe_t *p = &b->pipes[i];
        if (p->failed)
            v.ok = false;
        for (int m = 0; m < MODE_NUM; m++) {
            v.compared += p->res[m].compared;
            v.mismatches += p->res[m].mismatches;
            v.errors += p->res[m].errors;
        }
        for (int k = 0; k < 3; k++)
            v.stage_us[k] += p->res[MODE_SYNC].stage_ns[k] / 1e3;
        v.kernel_us += (double)p->res[MODE_SYNC].busy_ns[NRTA_XU_COMPUTE] / 1e3;
        n += p->res[MODE_SYNC].iters;
    }
    if (v.mismatches || v.errors)
        v.ok = false;
    if (sum[MODE_SYNC].ran && n) {
        v.have_stages = true;
        for (int k = 0; k < 3; k++)
            v.stage_us[k] /= (double)n;
        v.kernel_us /= (double)n;
        /* The execute stage of the bound is the time the kernel itself ran
         * (the COMPUTE unit's busy time), not the wall time of
         * nrt_execute: that also holds the submit and the two thread
         * wake-ups of a blocking call, which a pipeline hides. The copies
         * run in the caller in sync mode, so their wall time is their cost. */
        v.bound_us[0] = v.stage_us[0];
        v.bound_us[1] = v.kernel_us > 0 && v.kernel_us < v.stage_us[1] ? v.kernel_us : v.stage_us[1];
        v.bound_us[2] = v.stage_us[2];
        double slowest = 0, total = 0;
        for (int k = 0; k < 3; k++) {
            slowest = v.bound_us[k] > slowest ? v.bound_us[k] : slowest;
            total += v.bound_us[k];
        }
        /* Pipelined, each pipeline is limited by its slowest stage; all of
         * them together by the CPUs doing the work of every stage. */
        double by_stage = slowest > 0 ? (double)b->o.ncores * 1e6 / slowest : INFINITY;
        double by_cpu = total > 0 ? (double)b->ncpu * 1e6 / total : INFINITY;
        v.ideal = by_stage < by_cpu ? by_stage : by_cpu;
        if (sum[MODE_ASYNC].ran) {
            v.speedup = sum[MODE_SYNC].rate > 0 ? sum[MODE_ASYNC].rate / sum[MODE_SYNC].rate : 0;
            v.efficiency = v.ideal > 0 ? sum[MODE_ASYNC].rate / v.ideal : 0;
        }
    }
    return v;
}



typedef struct {
    double sys, steal, own;
    uint64_t t;
} noise_t;

static noise_t noise_now(void)
{
    noise_t n;
    cpu_noise_sys_s(&n.sys, &n.steal);
    n.own = cpu_noise_own_s(false);
    n.t = now_ns();
    return n;
}

/* Percentages of the whole machine (every online CPU) over [a, b]. */
static void noise_between(bench_t *b, noise_t a, noise_t z)
{
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    double wall = (double)(z.t - a.t) * 1e-9 * (double)(online > 0 ? online : 1);
    /* /proc/stat counts clock ticks (10 ms): under a second, the figure
     * would be mostly rounding. */
    b->foreign_pct = b->steal_pct = NAN;
    if (z.t - a.t < 1000000000u || wall <= 0)
        return;
    b->foreign_pct = 100.0 * ((z.sys - a.sys) - (z.own - a.own)) / wall;
    b->steal_pct = 100.0 * (z.steal - a.steal) / wall;
    if (b->foreign_pct < 0)
        b->foreign_pct = 0;
}

/* Quiet enough to quote: as bench_async, at most 5% of the machine taken
 * by others or stolen (unknown for runs under a second). */
static bool quiet(const bench_t *b)
{
    return !(b->foreign_pct > 5) && !(b->steal_pct > 5);
}

static bool noise_measured(const bench_t *b)
{
    return !isnan(b->foreign_pct);
}

static void cores_str(const bench_t *b, char *buf, size_t cap)
{
    int n = 0;
    for (unsigned i = 0; i < b->o.ncores && n >= 0 && (size_t)n < cap; i++)
        n += snprintf(buf + n, cap - (size_t)n, "%s%u", i ? "," : "", b->o.cores[i]);
}

static void report_text(bench_t *b, const summary_t *sum, const verdict_t *v)
{
    char a[64], c[64], cores[256];
    printf("model    %s:", b->o.model_path);
    for (unsigned j = 0; j < b->nin; j++) {
        shape_str(&b->in[j], a, sizeof a);
        printf("%s %s %s %s", j ? "," : " in", b->in[j].name, a, human_bytes(b->in[j].size, c, sizeof c));
    }
    for (unsigned j = 0; j < b->nout; j++) {
        shape_str(&b->out[j], a, sizeof a);
        printf("%s %s %s %s", j ? "," : "; out", b->out[j].name, a, human_bytes(b->out[j].size, c, sizeof c));
    }
    cores_str(b, cores, sizeof cores);
    printf("\nsetup    cores %s, inflight %u, warmup %" PRIu64 ", ", cores, b->o.inflight, b->o.warmup);
    if (b->o.iterations)
        printf("iterations %" PRIu64, b->o.iterations);
    if (b->o.duration_s > 0)
        printf("%sduration %.3g s", b->o.iterations ? ", " : "", b->o.duration_s);
    printf(", %ld online CPUs, OpenNRT %s\n\n", b->ncpu, nrtx_version());
    printf("%-8s %8s %10s %9s %9s %9s %9s   %s\n", "mode", "iters", "iter/s", "p50 us", "p90 us", "p99 us",
           "max us", "busy write/compute/read");
    for (int m = 0; m < MODE_NUM; m++) {
        const summary_t *s = &sum[m];
        if (!s->ran)
            continue;
        printf("%-8s %8" PRIu64 " %10.1f %9.1f %9.1f %9.1f %9.1f   %3.0f%% / %3.0f%% / %3.0f%%\n", mode_names[m],
               s->iters, s->rate, s->p50, s->p90, s->p99, s->max, 100 * s->busy[NRTA_XU_TENSOR_WRITE],
               100 * s->busy[NRTA_XU_COMPUTE], 100 * s->busy[NRTA_XU_TENSOR_READ]);
    }
    if (b->o.ncores > 1)
        for (int m = 0; m < MODE_NUM; m++)
            if (sum[m].ran)
                for (unsigned i = 0; i < b->o.ncores; i++) {
                    const result_t *r = &b->pipes[i].res[m];
                    double w = (double)(r->t_end - r->t_begin);
                    printf("  %-7s core %u: %" PRIu64 " iterations, %.1f iter/s, busy %.0f%% / %.0f%% / %.0f%%\n",
                           mode_names[m], b->pipes[i].lnc, r->iters, (double)r->iters / (w / 1e9),
                           100 * (double)r->busy_ns[NRTA_XU_TENSOR_WRITE] / w,
                           100 * (double)r->busy_ns[NRTA_XU_COMPUTE] / w,
                           100 * (double)r->busy_ns[NRTA_XU_TENSOR_READ] / w);
                }
    printf("\n");
    if (v->have_stages) {
        double slowest = 0, total = 0;
        for (int k = 0; k < 3; k++) {
            slowest = v->bound_us[k] > slowest ? v->bound_us[k] : slowest;
            total += v->bound_us[k];
        }
        printf("stages   sync mean per iteration: write %.1f us, execute %.1f us (kernel %.1f us), read %.1f us\n",
               v->stage_us[0], v->stage_us[1], v->kernel_us, v->stage_us[2]);
        printf("bound    ideal pipelined %.1f iter/s = min(%u pipeline%s / %.1f us slowest stage, %ld CPUs / %.1f us "
               "all stages)\n",
               v->ideal, b->o.ncores, b->o.ncores > 1 ? "s" : "", slowest, b->ncpu, total);
    }
    if (noise_measured(b))
        printf("noise    other processes used %.1f%% of the machine during the run, steal %.1f%%%s\n",
               b->foreign_pct, b->steal_pct,
               quiet(b) ? "" : "  <-- NOT QUIET: figures unreliable, run again on a quiet machine");
    else
        printf("noise    not measured (timed runs under 1 s); figures need a quiet machine\n");
    printf("summary  ");
    if (!v->ok)
        printf("FAILED: ");
    if (v->have_stages && sum[MODE_ASYNC].ran && v->ok)
        printf("async/sync speedup %.2fx, efficiency %.1f%% of the ideal bound; ", v->speedup, 100 * v->efficiency);
    if (v->mismatches)
        printf("OUTPUT MISMATCH (%" PRIu64 " of %" PRIu64 " compared)", v->mismatches, v->compared);
    else if (b->o.no_verify)
        printf("outputs not verified (--no-verify)");
    else if (v->ok)
        printf("outputs verified bit-exact (%" PRIu64 " compared)", v->compared);
    else
        printf("no mismatch in the %" PRIu64 " outputs compared before the failure", v->compared);
    printf(", %" PRIu64 " request error%s", v->errors, v->errors == 1 ? "" : "s");
    for (unsigned i = 0, shown = 0; i < b->o.ncores && !shown; i++)
        if (b->pipes[i].failed) {
            printf("; %s", b->pipes[i].err);
            shown = 1;
        }
    printf("\n");
}

static void report_json(bench_t *b, const summary_t *sum, const verdict_t *v)
{
    FILE *f = stdout;
    fprintf(f, "{\"tool\":\"nrt-bench\",\"version\":");
    json_write_string(f, nrtx_version());
    fprintf(f, ",\"model\":");
    json_write_string(f, b->o.model_path);
    fprintf(f, ",\"cores\":[");
    for (unsigned i = 0; i < b->o.ncores; i++)
        fprintf(f, "%s%u", i ? "," : "", b->o.cores[i]);
    fprintf(f,
            "],\"inflight\":%u,\"warmup\":%" PRIu64 ",\"iterations\":%" PRIu64
            ",\"duration_s\":%g,\"online_cpus\":%ld",
            b->o.inflight, b->o.warmup, b->o.iterations, b->o.duration_s, b->ncpu);
    for (int io = 0; io < 2; io++) {
        const tinfo_t *t = io ? b->out : b->in;
        unsigned n = io ? b->nout : b->nin;
        fprintf(f, ",\"%s\":[", io ? "outputs" : "inputs");
        for (unsigned j = 0; j < n; j++) {
            fprintf(f, "%s{\"name\":", j ? "," : "");
            json_write_string(f, t[j].name);
            fprintf(f, ",\"dtype\":\"%s\",\"shape\":[", dtype_name(t[j].dtype));
            for (uint32_t d = 0; d < t[j].ndim; d++)
                fprintf(f, "%s%u", d ? "," : "", t[j].shape[d]);
            fprintf(f, "],\"size\":%zu}", t[j].size);
        }
        fprintf(f, "]");
    }
    fprintf(f, ",\"modes\":{");
    bool first = true;
    for (int m = 0; m < MODE_NUM; m++) {
        const summary_t *s = &sum[m];
        if (!s->ran)
            continue;
        fprintf(f,
                "%s\"%s\":{\"iterations\":%" PRIu64 ",\"wall_s\":%.6f,\"iter_per_s\":%.3f,\"latency_us\":{\"p50\":%.3f,"
                "\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f,\"mean\":%.3f},\"busy\":{",
                first ? "" : ",", mode_names[m], s->iters, (double)s->wall_ns / 1e9, s->rate, s->p50, s->p90, s->p99,
                s->max, s->mean);
        for (unsigned xu = 0; xu < NRTA_XU_TYPE_NUM; xu++)
            fprintf(f, "%s\"%s\":%.4f", xu ? "," : "", unit_names[xu], s->busy[xu]);
        fprintf(f, "},\"per_core\":[");
        for (unsigned i = 0; i < b->o.ncores; i++) {
            const result_t *r = &b->pipes[i].res[m];
            double w = (double)(r->t_end - r->t_begin);
            fprintf(f, "%s{\"core\":%u,\"iterations\":%" PRIu64 ",\"iter_per_s\":%.3f,\"busy\":{", i ? "," : "",
                    b->pipes[i].lnc, r->iters, (double)r->iters / (w / 1e9));
            for (unsigned xu = 0; xu < NRTA_XU_TYPE_NUM; xu++)
                fprintf(f, "%s\"%s\":%.4f", xu ? "," : "", unit_names[xu], (double)r->busy_ns[xu] / w);
            fprintf(f, "}}");
        }
        fprintf(f, "]}");
        first = false;
    }
    fprintf(f, "}");
    if (v->have_stages) {
        fprintf(f,
                ",\"stages_us\":{\"write\":%.3f,\"execute\":%.3f,\"execute_kernel\":%.3f,\"read\":%.3f},"
                "\"ideal_iter_per_s\":%.3f",
                v->stage_us[0], v->stage_us[1], v->kernel_us, v->stage_us[2], v->ideal);
        if (sum[MODE_ASYNC].ran)
            fprintf(f, ",\"speedup\":%.4f,\"efficiency\":%.4f", v->speedup, v->efficiency);
    }
    fprintf(f,
            ",\"compared\":%" PRIu64 ",\"mismatches\":%" PRIu64 ",\"errors\":%" PRIu64
            ",\"verify\":%s,\"verified\":%s",
            v->compared, v->mismatches, v->errors, b->o.no_verify ? "false" : "true",
            v->ok && !b->o.no_verify && v->mismatches == 0 && v->compared > 0 ? "true" : "false");
    if (noise_measured(b))
        fprintf(f, ",\"foreign_cpu_pct\":%.2f,\"steal_pct\":%.2f,\"quiet\":%s", b->foreign_pct, b->steal_pct,
                quiet(b) ? "true" : "false");
    else
        fprintf(f, ",\"foreign_cpu_pct\":null,\"steal_pct\":null,\"quiet\":null");
    if (b->o.trace_path) {
        fprintf(f, ",\"trace\":{\"path\":");
        json_write_string(f, b->o.trace_path);
        fprintf(f, ",\"queues\":[");
        bool fq = true;
        for (unsigned i = 0; i < b->o.ncores; i++)
            for (unsigned xu = 0; xu < NRTA_XU_TYPE_NUM; xu++)
                for (uint32_t q = 0; q < b->cfg.queues[xu] && q < TRACE_TID_STRIDE; q++) {
                    uint64_t n = b->pipes[i].trace_sub1[xu][q] - b->pipes[i].trace_sub0[xu][q];
                    if (!n)
                        continue;
                    fprintf(f,
                            "%s{\"core\":%u,\"unit\":\"%s\",\"queue\":%u,\"pid\":%u,\"tid\":%u,\"requests\":%" PRIu64
                            "}",
                            fq ? "" : ",", b->pipes[i].lnc, unit_names[xu], q, b->pipes[i].lnc + 1,
                            xu * TRACE_TID_STRIDE + q + 1, n);
                    fq = false;
                }
        fprintf(f, "]}");
    }
    fprintf(f, ",\"errors_text\":[");
    bool fe = true;
    for (unsigned i = 0; i < b->o.ncores; i++)
        if (b->pipes[i].failed) {
            fprintf(f, "%s", fe ? "" : ",");
            json_write_string(f, b->pipes[i].err);
            fe = false;
        }
    fprintf(f, "],\"ok\":%s}\n", v->ok ? "true" : "false");
    json_printed = true;
}

/* Per-queue submitted counters, to tell how many requests a trace holds. */
static void snapshot_submitted(bench_t *b, uint64_t (*out)[TRACE_TID_STRIDE], uint32_t lnc)
{
    for (unsigned xu = 0; xu < NRTA_XU_TYPE_NUM; xu++)
        for (uint32_t q = 0; q < b->cfg.queues[xu] && q < TRACE_TID_STRIDE; q++) {
            nrtx_queue_stats_t qs;
            out[xu][q] = nrtx_get_queue_stats(lnc, (nrta_xu_t)xu, (int)q, &qs) == NRT_SUCCESS ? qs.submitted : 0;
        }
}

/*===------------------------------------------------------------------===*/
/* Main                                                                   */
/*===------------------------------------------------------------------===*/

static int fail_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail_msg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_error(fmt, ap);
    va_end(ap);
    return 1;
}

/* A model named without a '/' that is not in the current directory is
 * looked up among the installed example models: NRT_BENCH_MODEL_RELDIR is
 * their directory relative to this program's (tools/CMakeLists.txt), so
 * the lookup holds in any prefix the tree is installed or packaged to. */
static const char *find_model(const char *name, char *buf, size_t cap)
{
#ifdef NRT_BENCH_MODEL_RELDIR
    if (strchr(name, '/') || access(name, F_OK) == 0)
        return name;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return name;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return name;
    *slash = '\0';
    int len = snprintf(buf, cap, "%s/%s/%s", exe, NRT_BENCH_MODEL_RELDIR, name);
    if (len > 0 && (size_t)len < cap && access(buf, R_OK) == 0)
        return buf;
#else
    (void)buf;
    (void)cap;
#endif
    return name;
}

int main(int argc, char **argv)
{
    static bench_t bench;
    bench_t *b = &bench;
    json_errors = json_flag_given(argc, argv);
    int rc = parse_args(argc, argv, &b->o);
    if (rc == 1) {
        usage(stdout);
        return 0;
    }
    if (rc)
        return rc;
    /* The CPUs that can run the unit workers: online CPUs, unless an
     * affinity mask (taskset, cgroup cpusets) allows fewer. */
    b->ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t cpus;
    if (sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_COUNT(&cpus) > 0 && CPU_COUNT(&cpus) < b->ncpu)
        b->ncpu = CPU_COUNT(&cpus);
    if (b->ncpu < 1)
        b->ncpu = 1;
    b->tty = isatty(STDERR_FILENO) == 1;
    b->show_progress = b->tty || b->o.progress;
    b->ndata = b->o.inflight;

    char err[1024];
    size_t model_size;
    static char model_found[4096 + 256];
    b->o.model_path = find_model(b->o.model_path, model_found, sizeof model_found);
    void *model_bytes = json_read_all(b->o.model_path, &model_size, err, sizeof err);
    if (!model_bytes)
        return fail_msg("%s", err);
    if (model_size == 0) {
        free(model_bytes);
        return fail_msg("model file '%s' is empty", b->o.model_path);
    }

    NRT_STATUS st = nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", "");
    if (st != NRT_SUCCESS) {
        free(model_bytes);
        return fail_msg("the runtime failed to initialize (%s); check NEURON_RT_VISIBLE_CORES, NEURON_RT_NUM_CORES "
                        "and the OPENNRT_* settings",
                        nrt_get_status_as_str(st));
    }
    uint32_t nvis = 0;
    if ((st = nrtx_get_config(&b->cfg)) != NRT_SUCCESS || (st = nrt_get_visible_vnc_count(&nvis)) != NRT_SUCCESS) {
        rc = fail_msg("cannot query the runtime: %s", nrt_get_status_as_str(st));
        goto out_close;
    }
    for (unsigned i = 0; i < b->o.ncores; i++)
        if (b->o.cores[i] >= nvis) {
            rc = fail_msg("core %u does not exist: this process sees %u logical core%s (0-%u; see "
                          "NEURON_RT_VISIBLE_CORES / NEURON_RT_NUM_CORES)",
                          b->o.cores[i], nvis, nvis == 1 ? "" : "s", nvis - 1);
            goto out_close;
        }

    b->pipes = xcalloc(b->o.ncores, sizeof *b->pipes);
    for (unsigned i = 0; i < b->o.ncores; i++) {
        pipe_t *p = &b->pipes[i];
        p->b = b;
        p->idx = i;
        p->lnc = b->o.cores[i];
        if (!setup_pipe(b, p, model_bytes, model_size, err, sizeof err)) {
            rc = fail_msg("%s", err);
            goto out_pipes;
        }
    }
    free(model_bytes);
    model_bytes = NULL;
    if (!make_inputs(b, err, sizeof err) || !make_references(b, err, sizeof err)) {
        rc = fail_msg("%s", err);
        goto out_pipes;
    }

    if (b->o.trace_path) {
        for (unsigned i = 0; i < b->o.ncores; i++)
            snapshot_submitted(b, b->pipes[i].trace_sub0, b->pipes[i].lnc);
        if ((st = nrtx_trace_start()) != NRT_SUCCESS) {
            rc = fail_msg("cannot start tracing: %s", nrt_get_status_as_str(st));
            goto out_pipes;
        }
    }

    pthread_barrier_init(&b->barrier, NULL, b->o.ncores);
    noise_t noise0 = noise_now();
    for (int m = 0; m < MODE_NUM; m++) {
        if (!b->o.modes[m])
            continue;
        atomic_store_explicit(&b->progress_done, 0, memory_order_relaxed);
        for (unsigned i = 0; i < b->o.ncores; i++) {
            b->pipes[i].mode = m;
            int e = pthread_create(&b->pipes[i].thread, NULL, mode_thread, &b->pipes[i]);
            if (e) {
                fprintf(stderr, "nrt-bench: cannot start a thread: %s\n", strerror(e));
                exit(1);
            }
        }
        for (unsigned i = 0; i < b->o.ncores; i++)
            pthread_join(b->pipes[i].thread, NULL);
        if (b->show_progress && b->tty)
            fprintf(stderr, "\r\033[K");
        bool failed = false;
        for (unsigned i = 0; i < b->o.ncores; i++)
            failed |= b->pipes[i].failed;
        if (failed)
            break; /* later modes would only repeat the failure */
    }
    pthread_barrier_destroy(&b->barrier);
    noise_between(b, noise0, noise_now());

    if (b->o.trace_path) {
        nrtx_trace_stop();
        for (unsigned i = 0; i < b->o.ncores; i++)
            snapshot_submitted(b, b->pipes[i].trace_sub1, b->pipes[i].lnc);
        if ((st = nrtx_trace_write(b->o.trace_path)) != NRT_SUCCESS) {
            fail_msg("cannot write the trace to '%s': %s", b->o.trace_path, nrt_get_status_as_str(st));
            rc = 1;
        }
    }

    summary_t sum[MODE_NUM];
    for (int m = 0; m < MODE_NUM; m++)
        sum[m] = summarize(b, m);
    verdict_t v = judge(b, sum);
    if (b->o.json)
        report_json(b, sum, &v);
    else
        report_text(b, sum, &v);
    fflush(stdout);
    for (unsigned i = 0; i < b->o.ncores; i++)
        if (b->pipes[i].failed)
            fprintf(stderr, "nrt-bench: %s\n", b->pipes[i].err);
    if (!v.ok)
        rc = 1;

out_pipes:
    for (unsigned i = 0; b->pipes && i < b->o.ncores; i++)
        teardown_pipe(b, &b->pipes[i]);
    free(b->pipes);
    for (unsigned d = 0; b->host_in && d < b->ndata; d++) {
        for (unsigned j = 0; j < b->nin; j++)
            free(b->host_in[d][j]);
        free(b->host_in[d]);
    }
    free(b->host_in);
    free(b->in);
    free(b->out);
out_close:
    free(model_bytes);
    nrt_close();
    return rc;
}

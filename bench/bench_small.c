/*
 * bench/bench_small.c - what the runtime costs per request when the work is
 * small: models/small.c (16 KiB in, 16 KiB out, a kernel of about one
 * microsecond), through the public API only (nrt/nrt.h, nrt/nrt_async.h,
 * nrt/nrt_ext.h; nrt/nrt_kernel.h for the direct baseline).
 *
 * Figures, each printed beside a baseline measured in the same run:
 *   direct    memcpy 16 KiB in, the model's execute() called directly (the
 *             object dlopen'ed, init() then execute(), no runtime), memcpy
 *             16 KiB out, in one thread                   (the baseline)
 *   kernel    execute() alone, called directly             (the baseline)
 *   sync      nrt_tensor_write -> nrt_execute -> nrt_tensor_read
 *                                                 vs direct, target >= 0.5
 *   async     the same three steps as nrta_tensor_write (TENSOR_WRITE),
 *             nrta_execute_schedule (COMPUTE), nrta_tensor_read
 *             (TENSOR_READ), 3 iterations in flight, each with its own
 *             tensors and tensor sets                  vs sync, target >= 1.0
 *   compute   nrta_execute_schedule back to back, 3 in flight
 *                                                 vs kernel, target >= 0.5
 *   threads   threads of a process whose requests touched every unit and
 *             queue of 16 visible cores (a child process, run first)
 *
 * The units run in parallel and know nothing of each other's requests, so
 * the async pipeline enforces the dependencies itself (execute i once
 * write i completed, read i once execute i completed, slot reuse once read
 * i-3 completed). When nothing can progress the main thread spins on
 * nrta_is_completed over the outstanding requests for up to the runtime's
 * spin window (--spin-us to change), then blocks in poll() on their
 * completion fds.
 *
 * Each figure is the median over 5 repetitions of about 0.2 s; the
 * repetitions of all figures are interleaved, so that drift of this VM hits
 * them alike, and a ratio is the median of the per-repetition ratios. Every
 * iteration of every figure checks the first 64 bytes of its output against
 * the model's own output for that input (computed once by a direct call);
 * whole outputs are checked after each repetition.
 *
 * Output: a table, then one key=value summary line. Timings are never
 * asserted: the exit status says only whether everything ran and every
 * output was right.
 *
 * Usage: bench_small [--quick] [--model PATH] [--spin-us N]
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "cpu_noise.h"
#include "nrt/nrt.h"
#include "nrt/nrt_async.h"
#include "nrt/nrt_ext.h"
#include "nrt/nrt_kernel.h"

#define NSLOT 3       /* iterations in flight, each with its own tensors */
#define NIN 8         /* distinct inputs in rotation (coprime with NSLOT) */
#define CHECK_BYTES 64 /* output bytes compared every iteration */
#define BATCH 16      /* iterations between clock reads */
#define THREAD_CORES 16

#define CHECK(expr) BENCH_CHECK("bench_small", expr)

static struct {
    bool quick;
    int reps;
    double rep_s;
    char model_path[4096];
    uint64_t spin_ns; /* how long to spin before blocking on an fd */
    bool spin_set;    /* --spin-us given; else the runtime's spin window */
} O;

/* The model as the direct baseline sees it. */
static struct {
    void *dl;
    const nrt_kernel_descriptor_t *d;
    void *state;
    size_t in_size, out_size, check_bytes;
} K;

static void *in[NIN], *expect[NIN]; /* host inputs and the outputs they give */
static long failures;               /* wrong outputs seen */

static void *xalloc(size_t n)
{
    size_t r = (n + 4095) & ~(size_t)4095;
    void *p = aligned_alloc(4096, r ? r : 4096);
    if (!p) {
        fprintf(stderr, "bench_small: out of memory (%zu bytes)\n", n);
        exit(1);
    }
    memset(p, 0, r); /* fault the pages in now, not inside a timing */
    return p;
}

static bool file_exists(const char *p)
{
    return access(p, R_OK) == 0;
}

/* --model, else $NRT_MODEL_DIR/small.so, else ../models/small.so next to
 * this binary (<build>/bench/bench_small), else the build's model folder. */
static void find_model(void)
{
    if (O.model_path[0])
        return;
    const char *dir = getenv("NRT_MODEL_DIR");
    if (dir) {
        snprintf(O.model_path, sizeof O.model_path, "%s/small.so", dir);
        return;
    }
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        snprintf(O.model_path, sizeof O.model_path, "%s/../models/small.so", dirname(exe));
        if (file_exists(O.model_path))
            return;
    }
#ifdef NRT_MODEL_DIR_DEFAULT
    snprintf(O.model_path, sizeof O.model_path, "%s/small.so", NRT_MODEL_DIR_DEFAULT);
#else
    fprintf(stderr, "bench_small: no model found; pass --model PATH or set NRT_MODEL_DIR\n");
    exit(1);
#endif
}

static int count_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}



static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/*===------------------------------------------------------------------===*/
/* The model, called directly                                             */
/*===------------------------------------------------------------------===*/

static void kernel_open(void)
{
    K.dl = dlopen(O.model_path, RTLD_NOW | RTLD_LOCAL);
    if (!K.dl) {
        fprintf(stderr, "bench_small: dlopen %s: %s\n", O.model_path, dlerror());
        exit(1);
    }
    K.d = dlsym(K.dl, NRT_KERNEL_SYMBOL);
    if (!K.d || K.d->magic != NRT_KERNEL_MAGIC || K.d->abi_version != NRT_KERNEL_ABI_VERSION) {
        fprintf(stderr, "bench_small: %s does not export a kernel descriptor '%s' this build understands\n",
                O.model_path, NRT_KERNEL_SYMBOL);
        exit(1);
    }
    if (K.d->num_inputs != 1 || K.d->num_outputs != 1) {
        fprintf(stderr, "bench_small: model '%s' has %u inputs and %u outputs; this benchmark needs 1 and 1\n",
                K.d->name, K.d->num_inputs, K.d->num_outputs);
        exit(1);
    }
    K.in_size = K.d->inputs[0].size;
    K.out_size = K.d->outputs[0].size;
    K.check_bytes = K.out_size < CHECK_BYTES ? K.out_size : CHECK_BYTES;
    nrt_kernel_load_info_t li = {0, 0, 1};
    K.state = NULL;
    if (K.d->init && K.d->init(&li, &K.state) != NRT_SUCCESS) {
        fprintf(stderr, "bench_small: the model's init() failed\n");
        exit(1);
    }
}

/* One direct execute() of |x| into |y|. */
static NRT_STATUS kernel_call(const void *x, void *y)
{
    const void *ins[1] = {x};
    void *outs[1] = {y};
    nrt_kernel_args_t a = {K.state, ins, outs, 0};
    return K.d->execute(&a);
}

/* NIN inputs (small floats from a fixed generator; the bytes serve any
 * dtype) and, by direct calls, the outputs each one gives. */
static void inputs_make(void)
{
    uint64_t s = 12345;
    for (int t = 0; t < NIN; t++) {
        in[t] = xalloc(K.in_size);
        expect[t] = xalloc(K.out_size);
        unsigned char *b = in[t];
        for (size_t j = 0; j + 4 <= K.in_size; j += 4) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            float f = (float)(s >> 40) / (float)(1u << 24) - 0.5f;
            memcpy(b + j, &f, 4);
        }
        if (kernel_call(in[t], expect[t]) != NRT_SUCCESS) {
            fprintf(stderr, "bench_small: the model's execute() failed\n");
            exit(1);
        }
    }
    /* Distinct inputs must give distinct checked bytes, or the per
     * iteration check could not tell iterations apart. */
    for (int a = 0; a < NIN; a++)
        for (int b = a + 1; b < NIN; b++)
            if (memcmp(expect[a], expect[b], K.check_bytes) == 0)
                fprintf(stderr, "bench_small: note: inputs %d and %d give the same first %zu output bytes\n", a,
                        b, K.check_bytes);
}

static inline void out_check(const void *y, int t)
{
    if (memcmp(y, expect[t], K.check_bytes) != 0)
        failures++;
}

static void out_check_full(const void *y, int t, const char *what)
{
    if (memcmp(y, expect[t], K.out_size) != 0) {
        if (!failures)
            fprintf(stderr, "bench_small: %s: wrong output\n", what);
        failures++;
    }
}

/*===------------------------------------------------------------------===*/
/* Baselines: direct calls, no runtime                                    */
/*===------------------------------------------------------------------===*/

static void *dir_x, *dir_y, *dir_out; /* the kernel's buffers, the host output */

static double fig_direct(double secs)
{
    long n = 0;
    uint64_t t0 = bench_now_ns(), end = t0 + (uint64_t)(secs * 1e9), t1;
    do {
        for (int j = 0; j < BATCH; j++, n++) {
            int t = (int)(n % NIN);
            memcpy(dir_x, in[t], K.in_size);
            if (kernel_call(dir_x, dir_y) != NRT_SUCCESS)
                failures++;
            memcpy(dir_out, dir_y, K.out_size);
            out_check(dir_out, t);
        }
        t1 = bench_now_ns();
    } while (t1 < end);
    out_check_full(dir_out, (int)((n - 1) % NIN), "direct");
    return (double)n / ((double)(t1 - t0) * 1e-9);
}

static double fig_kernel(double secs)
{
    long n = 0;
    memcpy(dir_x, in[0], K.in_size);
    uint64_t t0 = bench_now_ns(), end = t0 + (uint64_t)(secs * 1e9), t1;
    do {
        for (int j = 0; j < BATCH; j++, n++)
            if (kernel_call(dir_x, dir_y) != NRT_SUCCESS)
                failures++;
        t1 = bench_now_ns();
    } while (t1 < end);
    out_check_full(dir_y, 0, "kernel");
    return (double)n / ((double)(t1 - t0) * 1e-9);
}

/*===------------------------------------------------------------------===*/
/* The runtime                                                            */
/*===------------------------------------------------------------------===*/

typedef struct slot {
    nrt_tensor_t *x, *y;         /* device tensors on core 0 */
    nrt_tensor_set_t *in, *out;
    void *out_host;              /* where reads land */
    int t;                       /* the input |x| holds, -1 none */
} slot_t;

static nrt_model_t *model;
static slot_t slots[NSLOT];
static nrta_error_tracker_t *trk;

static nrt_tensor_t *dev_tensor(int vnc, size_t size, const char *name)
{
    nrt_tensor_t *t = NULL;
    CHECK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, vnc, size, name, &t));
    memset(nrt_tensor_get_va(t), 0, size); /* storage is mapped lazily */
    return t;
}

static void slots_create(void)
{
    const char *xn = K.d->inputs[0].name, *yn = K.d->outputs[0].name;
    for (int k = 0; k < NSLOT; k++) {
        slot_t *s = &slots[k];
        s->x = dev_tensor(0, K.in_size, xn);
        s->y = dev_tensor(0, K.out_size, yn);
        CHECK(nrt_allocate_tensor_set(&s->in));
        CHECK(nrt_allocate_tensor_set(&s->out));
        CHECK(nrt_add_tensor_to_tensor_set(s->in, xn, s->x));
        CHECK(nrt_add_tensor_to_tensor_set(s->out, yn, s->y));
        s->out_host = xalloc(K.out_size);
        s->t = -1;
    }
}

static void slots_destroy(void)
{
    for (int k = 0; k < NSLOT; k++) {
        nrt_destroy_tensor_set(&slots[k].in);
        nrt_destroy_tensor_set(&slots[k].out);
        nrt_tensor_free(&slots[k].x);
        nrt_tensor_free(&slots[k].y);
        free(slots[k].out_host);
    }
}

/* Errors that requests recorded after being accepted. */
static void tracker_check(const char *what)
{
    const nrta_error_t *list;
    size_t n = 0;
    CHECK(nrta_error_tracker_get_list(trk, &list, &n));
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "bench_small: %s: request 0x%016llx failed with %s\n", what,
                (unsigned long long)list[i].seq_id, nrt_get_status_as_str((NRT_STATUS)list[i].error_code));
    failures += (long)n;
}

static bool is_done(nrta_seq_t seq)
{
    bool done = false;
    CHECK(nrta_is_completed(seq, &done));
    return done;
}

/* Returns once one of |seqs| has completed: spins on nrta_is_completed for
 * up to O.spin_ns, then blocks in poll() on their completion fds. */
static void wait_any(const nrta_seq_t *seqs, int n)
{
    uint64_t end = bench_now_ns() + O.spin_ns;
    for (int spins = 0;; spins++) {
        for (int i = 0; i < n; i++)
            if (is_done(seqs[i]))
                return;
        if ((spins & 63) == 63 && bench_now_ns() >= end)
            break;
        relax();
    }
    struct pollfd p[NSLOT];
    for (int i = 0; i < n; i++) {
        CHECK(nrta_get_completion_handle(seqs[i], &p[i].fd));
        p[i].events = POLLIN;
    }
    while (poll(p, (nfds_t)n, -1) < 0 && errno == EINTR)
        ;
    for (int i = 0; i < n; i++)
        close(p[i].fd);
}

static double fig_sync(double secs)
{
    slot_t *s = &slots[0];
    long n = 0;
    uint64_t t0 = bench_now_ns(), end = t0 + (uint64_t)(secs * 1e9), t1;
    do {
        for (int j = 0; j < BATCH; j++, n++) {
            int t = (int)(n % NIN);
            CHECK(nrt_tensor_write(s->x, in[t], 0, K.in_size));
            CHECK(nrt_execute(model, s->in, s->out));
            CHECK(nrt_tensor_read(s->y, s->out_host, 0, K.out_size));
            out_check(s->out_host, t);
        }
        t1 = bench_now_ns();
    } while (t1 < end);
    s->t = (int)((n - 1) % NIN);
    out_check_full(s->out_host, s->t, "sync");
    return (double)n / ((double)(t1 - t0) * 1e-9);
}

/* One iteration of the async pipeline: its slot is iter % NSLOT. */
enum { ST_WRITE, ST_EXEC, ST_READ, ST_DONE };
typedef struct flight {
    int stage;
    nrta_seq_t seq; /* the outstanding request of that stage */
} flight_t;

static double fig_async(double secs)
{
    flight_t f[NSLOT];
    long started = 0, retired = 0;
    bool stop = false;
    uint64_t t0 = bench_now_ns(), end = t0 + (uint64_t)(secs * 1e9);
    while (!stop || retired < started) {
        bool progress = false;
        /* Oldest first, so that executes and reads are queued in iteration
         * order (each unit runs its queue in order). */
        for (long i = retired; i < started; i++) {
            flight_t *x = &f[i % NSLOT];
            slot_t *s = &slots[i % NSLOT];
            if (x->stage == ST_DONE || !is_done(x->seq))
                continue;
            progress = true;
            if (x->stage == ST_WRITE) {
                CHECK(nrta_execute_schedule(model, s->in, s->out, 0, trk, &x->seq));
                x->stage = ST_EXEC;
            } else if (x->stage == ST_EXEC) {
                CHECK(nrta_tensor_read(s->out_host, s->y, 0, K.out_size, 0, trk, &x->seq));
                x->stage = ST_READ;
            } else {
                out_check(s->out_host, s->t);
                x->stage = ST_DONE;
            }
        }
        while (retired < started && f[retired % NSLOT].stage == ST_DONE)
            retired++;
        /* A slot is free once its previous iteration's read completed. */
        while (!stop && started - retired < NSLOT) {
            slot_t *s = &slots[started % NSLOT];
            flight_t *x = &f[started % NSLOT];
            s->t = (int)(started % NIN);
            CHECK(nrta_tensor_write(s->x, in[s->t], 0, K.in_size, 0, trk, &x->seq));
            x->stage = ST_WRITE;
            started++;
            progress = true;
            stop = bench_now_ns() >= end;
        }
        if (!progress && retired < started) {
            nrta_seq_t w[NSLOT];
            int nw = 0;
            for (long i = retired; i < started; i++)
                if (f[i % NSLOT].stage != ST_DONE)
                    w[nw++] = f[i % NSLOT].seq;
            wait_any(w, nw);
        }
    }
    uint64_t t1 = bench_now_ns();
    for (int k = 0; k < NSLOT && k < started; k++)
        out_check_full(slots[k].out_host, slots[k].t, "async");
    tracker_check("async");
    return (double)retired / ((double)(t1 - t0) * 1e-9);
}

static double fig_compute(double secs)
{
    nrta_seq_t q[NSLOT];
    long started = 0, retired = 0;
    uint64_t t0 = bench_now_ns(), end = t0 + (uint64_t)(secs * 1e9), t1;
    for (;;) {
        while (retired < started && is_done(q[retired % NSLOT]))
            retired++;
        if (started - retired < NSLOT) {
            slot_t *s = &slots[started % NSLOT];
            CHECK(nrta_execute_schedule(model, s->in, s->out, 0, trk, &q[started % NSLOT]));
            started++;
            if ((started & (BATCH - 1)) == 0 && bench_now_ns() >= end)
                break;
            continue;
        }
        wait_any(&q[retired % NSLOT], 1);
    }
    while (retired < started) {
        wait_any(&q[retired % NSLOT], 1);
        while (retired < started && is_done(q[retired % NSLOT]))
            retired++;
    }
    t1 = bench_now_ns();
    tracker_check("compute");
    /* Each slot's output is that of the input its tensor holds. */
    for (int k = 0; k < NSLOT; k++) {
        if (slots[k].t < 0)
            continue;
        void *y = xalloc(K.out_size);
        CHECK(nrt_tensor_read(slots[k].y, y, 0, K.out_size));
        out_check_full(y, slots[k].t, "compute");
        free(y);
    }
    return (double)retired / ((double)(t1 - t0) * 1e-9);
}

/*===------------------------------------------------------------------===*/
/* Threads after touching every unit of 16 cores (child process)          */
/*===------------------------------------------------------------------===*/

typedef struct thread_result {
    int ok;
    int threads_init;  /* after nrt_init, before any request */
    int threads_after; /* after every unit and queue ran a request */
    int threads_peak;  /* most seen while those requests ran */
    int cores;
    int queues;        /* queues that ran a request */
    int cc;            /* collectives: 1 ran, 0 refused */
    char cc_why[96];
} thread_result_t;

static void thread_phase_child(const void *bytes, size_t nbytes, thread_result_t *r)
{
    setenv("OPENNRT_TOTAL_CORES", "16", 1);
    setenv("NEURON_RT_VISIBLE_CORES", "0-15", 1);
    unsetenv("NEURON_RT_NUM_CORES");
    CHECK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    nrtx_config_t cfg;
    CHECK(nrtx_get_config(&cfg));
    r->cores = (int)cfg.num_cores;
    r->threads_init = count_threads();

    const char *xn = K.d->inputs[0].name, *yn = K.d->outputs[0].name;
    int qw = (int)cfg.queues[NRTA_XU_TENSOR_WRITE], qr = (int)cfg.queues[NRTA_XU_TENSOR_READ],
        qo = (int)cfg.queues[NRTA_XU_TENSOR_OP];
    /* The queues of a core run at once, so every transfer gets its own
     * |chunk| of a per-core scratch tensor (writes, reads, copy sources,
     * copy destinations) and of the host memory reads land in. */
    size_t chunk = K.in_size < K.out_size ? K.in_size : K.out_size;
    chunk = chunk < 4096 ? chunk : 4096;
    size_t scratch = (size_t)(qw + qr + 2 * qo) * chunk;
    unsigned char *read_to = xalloc((size_t)r->cores * (size_t)qr * chunk);
    /* One request per queue of every unit (COMPUTE and COLLECTIVES have one). */
    size_t per_core = (size_t)(qw + qr + qo) + 2;
    nrta_seq_t *seqs = calloc((size_t)r->cores * per_core, sizeof *seqs);
    size_t nseq = 0;

    nrt_model_t **models = calloc((size_t)r->cores, sizeof *models);
    nrt_tensor_t **tx = calloc((size_t)r->cores, sizeof *tx), **ty = calloc((size_t)r->cores, sizeof *ty);
    nrt_tensor_t **ts = calloc((size_t)r->cores, sizeof *ts), **tc = calloc(2 * (size_t)r->cores, sizeof *tc);
    nrt_tensor_set_t **si = calloc((size_t)r->cores, sizeof *si), **so = calloc((size_t)r->cores, sizeof *so);
    nrta_error_tracker_t **trks = calloc((size_t)r->cores, sizeof *trks);
    if (!seqs || !models || !tx || !ty || !ts || !tc || !si || !so || !trks) {
        fprintf(stderr, "bench_small: out of memory\n");
        exit(1);
    }
    r->cc = 1;
    for (int c = 0; c < r->cores; c++) {
        CHECK(nrt_load(bytes, nbytes, c, -1, &models[c]));
        tx[c] = dev_tensor(c, K.in_size, xn);
        ty[c] = dev_tensor(c, K.out_size, yn);
        ts[c] = dev_tensor(c, scratch, "scratch");
        CHECK(nrt_allocate_tensor_set(&si[c]));
        CHECK(nrt_allocate_tensor_set(&so[c]));
        CHECK(nrt_add_tensor_to_tensor_set(si[c], xn, tx[c]));
        CHECK(nrt_add_tensor_to_tensor_set(so[c], yn, ty[c]));
        CHECK(nrta_error_tracker_create((uint32_t)c, &trks[c]));
        nrta_seq_t s;
        for (int q = 0; q < qw; q++, r->queues++) {
            CHECK(nrta_tensor_write(ts[c], in[0], (uint64_t)q * chunk, chunk, q, trks[c], &s));
            seqs[nseq++] = s;
        }
        for (int q = 0; q < qr; q++, r->queues++) {
            unsigned char *to = read_to + ((size_t)c * (size_t)qr + (size_t)q) * chunk;
            CHECK(nrta_tensor_read(to, ts[c], (uint64_t)(qw + q) * chunk, chunk, q, trks[c], &s));
            seqs[nseq++] = s;
        }
        for (int q = 0; q < qo; q++, r->queues++) {
            uint64_t from = (uint64_t)(qw + qr + 2 * q) * chunk;
            CHECK(nrta_tensor_copy(ts[c], from, ts[c], from + chunk, chunk, q, trks[c], &s));
            seqs[nseq++] = s;
        }
        CHECK(nrta_execute_schedule(models[c], si[c], so[c], 0, trks[c], &s));
        seqs[nseq++] = s;
        r->queues++;
        /* Collectives are optional: a single-rank all-reduce, tried on
         * every core while the runtime accepts it. */
        if (r->cc) {
            uint32_t group[1] = {0};
            nrt_cc_comm_t comm = {group, 0, 1, 0, 1, (uint32_t)c};
            tc[2 * c] = dev_tensor(c, chunk, "cc_in");
            tc[2 * c + 1] = dev_tensor(c, chunk, "cc_out");
            nrt_tensor_t *li[1] = {tc[2 * c]}, *lo[1] = {tc[2 * c + 1]};
            nrt_tensor_list_t lin = {li, 1}, lout = {lo, 1};
            nrt_cc_context_t *ctx = NULL;
            NRT_STATUS st = nrta_cc_prepare(&comm, &lin, &lout, NRT_DTYPE_FLOAT32, NRT_OP_ADD, NRT_CC_ALLREDUCE,
                                            &ctx);
            if (st == NRT_SUCCESS)
                st = nrta_cc_schedule(&ctx, 0, trks[c], &s);
            if (st == NRT_SUCCESS) {
                seqs[nseq++] = s;
                r->queues++;
            } else {
                r->cc = 0;
                snprintf(r->cc_why, sizeof r->cc_why, "refused on core %d: %s", c, nrt_get_status_as_str(st));
            }
        }
    }
    r->threads_peak = count_threads();
    for (size_t i = 0; i < nseq; i++)
        while (!is_done(seqs[i])) {
            int n = count_threads();
            if (n > r->threads_peak)
                r->threads_peak = n;
            bench_sleep_ns(10000);
        }
    r->threads_after = count_threads();
    if (r->threads_after > r->threads_peak)
        r->threads_peak = r->threads_after;
    r->ok = 1;
    for (int c = 0; c < r->cores; c++) {
        const nrta_error_t *list;
        size_t n = 0;
        CHECK(nrta_error_tracker_get_list(trks[c], &list, &n));
        for (size_t i = 0; i < n; i++) {
            fprintf(stderr, "bench_small: threads phase: request 0x%016llx failed with %s\n",
                    (unsigned long long)list[i].seq_id, nrt_get_status_as_str((NRT_STATUS)list[i].error_code));
            r->ok = 0;
        }
    }
    nrt_close(); /* frees every model, tensor, set and tracker */
    free(read_to);
    free(seqs);
    free(models);
    free(tx);
    free(ty);
    free(ts);
    free(tc);
    free(si);
    free(so);
    free(trks);
}

/* Runs the thread phase in a child: it needs its own core configuration,
 * and its 16 cores' workers must not run during the timings. */
static void thread_phase(const void *bytes, size_t nbytes, thread_result_t *r)
{
    memset(r, 0, sizeof *r);
    int p[2];
    if (pipe(p) != 0) {
        fprintf(stderr, "bench_small: pipe: %s\n", strerror(errno));
        exit(1);
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "bench_small: fork: %s\n", strerror(errno));
        exit(1);
    }
    if (pid == 0) {
        close(p[0]);
        thread_result_t cr;
        memset(&cr, 0, sizeof cr);
        thread_phase_child(bytes, nbytes, &cr);
        ssize_t w = write(p[1], &cr, sizeof cr);
        _exit(w == (ssize_t)sizeof cr ? 0 : 1);
    }
    close(p[1]);
    ssize_t got = 0;
    while (got < (ssize_t)sizeof *r) {
        ssize_t n = read(p[0], (char *)r + got, sizeof *r - (size_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += n;
    }
    close(p[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (got != (ssize_t)sizeof *r || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        r->ok = 0;
}

/*===------------------------------------------------------------------===*/
/* Main                                                                   */
/*===------------------------------------------------------------------===*/

enum { F_DIRECT, F_KERNEL, F_SYNC, F_ASYNC, F_COMPUTE, F_NUM };

static void usage(FILE *f, int code)
{
    fprintf(f, "usage: bench_small [--quick] [--model PATH] [--spin-us N]\n"
               "  --quick       tiny counts (the CTest smoke run); figures are not worth quoting\n"
               "  --model PATH  a model object with one input and one output\n"
               "                (default: $NRT_MODEL_DIR/small.so, else <build>/models/small.so)\n"
               "  --spin-us N   poll completions for N us before blocking on fds\n"
               "                (default: the runtime's worker spin window, OPENNRT_SPIN_US)\n");
    exit(code);
}

static const char *met(double v, bool ok)
{
    return isnan(v) ? "n/a" : ok ? "yes" : "NO";
}

static void row(const char *name, const double *v, double base_med, const char *base_name, double ratio,
                const char *target, const char *ok)
{
    double med = v[0], lo = v[1], hi = v[2];
    char range[48];
    snprintf(range, sizeof range, "%.0f..%.0f", lo, hi);
    printf("  %-32s %9.0f %8.2f  %-17s", name, med, 1e6 / med, range);
    if (!isnan(base_med))
        printf("  %-16s %9.0f %7.3f  %-6s %s", base_name, base_med, ratio, target, ok);
    printf("\n");
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            O.quick = true;
        else if (!strcmp(argv[i], "--model") && i + 1 < argc)
            snprintf(O.model_path, sizeof O.model_path, "%s", argv[++i]);
        else if (!strcmp(argv[i], "--spin-us") && i + 1 < argc) {
            char *end;
            long us = strtol(argv[++i], &end, 10);
            if (*end || us < 0 || us > 1000000)
                usage(stderr, 2);
            O.spin_ns = (uint64_t)us * 1000;
            O.spin_set = true;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            usage(stdout, 0);
        else
            usage(stderr, 2);
    }
    O.reps = O.quick ? 3 : 5;
    O.rep_s = O.quick ? 0.02 : 0.2;
    find_model();

    size_t nbytes;
    void *bytes = bench_read_file("bench_small", O.model_path, &nbytes);
    kernel_open();
    inputs_make();

    /* The 16-core thread census first, in a child, before this process
     * starts any runtime thread (fork is safe while there are none). */
    fprintf(stderr, "bench_small: threads, %d visible cores, every unit\n", THREAD_CORES);
    thread_result_t TR;
    thread_phase(bytes, nbytes, &TR);
    if (!TR.ok)
        fprintf(stderr, "bench_small: the threads phase failed\n");

    /* One core is all the timings use; the caller's settings win. */
    setenv("NEURON_RT_NUM_CORES", "1", 0);
    CHECK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    nrtx_config_t cfg;
    CHECK(nrtx_get_config(&cfg));
    if (!O.spin_set)
        O.spin_ns = cfg.spin_ns;
    CHECK(nrt_load(bytes, nbytes, 0, -1, &model));
    CHECK(nrta_error_tracker_create(0, &trk));
    slots_create();
    dir_x = xalloc(K.in_size);
    dir_y = xalloc(K.out_size);
    dir_out = xalloc(K.out_size);

    double (*const fig[F_NUM])(double) = {fig_direct, fig_kernel, fig_sync, fig_async, fig_compute};
    double v[F_NUM][8], rat[3][8];
    long ncores = sysconf(_SC_NPROCESSORS_ONLN);
    double sys0, steal0;
    cpu_noise_sys_s(&sys0, &steal0);
    double own0 = cpu_noise_own_s(false);
    uint64_t wall0 = bench_now_ns();

    /* Untimed warm-up of every path, then the interleaved repetitions. */
    for (int f = 0; f < F_NUM; f++)
        fig[f](O.rep_s / 10);
    for (int r = 0; r < O.reps; r++) {
        fprintf(stderr, "bench_small: repetition %d/%d\n", r + 1, O.reps);
        for (int f = 0; f < F_NUM; f++)
            v[f][r] = fig[f](O.rep_s);
        rat[0][r] = v[F_SYNC][r] / v[F_DIRECT][r];
        rat[1][r] = v[F_ASYNC][r] / v[F_SYNC][r];
        rat[2][r] = v[F_COMPUTE][r] / v[F_KERNEL][r];
    }
    int threads_1c = count_threads();
    double wall = (double)(bench_now_ns() - wall0) * 1e-9 * (double)ncores;
    double sys1, steal1;
    cpu_noise_sys_s(&sys1, &steal1);
    double foreign = wall > 0 ? 100.0 * ((sys1 - sys0) - (cpu_noise_own_s(false) - own0)) / wall : NAN;
    if (foreign < 0)
        foreign = 0;

    /* med, min, max of each figure; median of each ratio. */
    double s[F_NUM][3], ratio[3];
    for (int f = 0; f < F_NUM; f++) {
        s[f][0] = bench_quantile(v[f], (size_t)O.reps, 0.5);
        s[f][1] = v[f][0];
        s[f][2] = v[f][O.reps - 1]; /* sorted by bench_quantile */
    }
    for (int i = 0; i < 3; i++)
        ratio[i] = bench_quantile(rat[i], (size_t)O.reps, 0.5);

    tracker_check("end");
    nrta_error_tracker_destroy(trk);
    slots_destroy();
    CHECK(nrt_unload(model));
    nrt_close();

    printf("\nOpenNRT small-request benchmark%s\n", O.quick ? " (--quick: counts too small to quote)" : "");
    printf("model: %s ('%s': %zu B in, %zu B out)\n", O.model_path, K.d->name, K.in_size, K.out_size);
    printf("machine: %ld online cores; runtime spin window %llu us; queue depth %u\n", ncores,
           (unsigned long long)(O.spin_ns / 1000), cfg.queue_depth);
    printf("method: %d interleaved repetitions of %.2f s per figure; median (min..max); ratio = median of\n"
           "        per-repetition ratios; main thread waits by spinning %llu us, then poll() on completion fds\n",
           O.reps, O.rep_s, (unsigned long long)(O.spin_ns / 1000));
    printf("noise: other processes used %.1f%% of the machine during the timings%s\n\n", foreign,
           foreign > 5 ? "  <-- NOT QUIET: figures unreliable, run again" : "");
    printf("  %-32s %9s %8s  %-17s  %-16s %9s %7s  %-6s %s\n", "figure", "it/s", "us/it", "range it/s", "baseline",
           "it/s", "ratio", "target", "met");
    row("direct: memcpy+execute()+memcpy", s[F_DIRECT], NAN, "", NAN, "", "");
    row("direct: execute() alone", s[F_KERNEL], NAN, "", NAN, "", "");
    row("sync: write/execute/read", s[F_SYNC], s[F_DIRECT][0], "direct", ratio[0], ">=0.5",
        met(ratio[0], ratio[0] >= 0.5));
    row("async: 3 in flight", s[F_ASYNC], s[F_SYNC][0], "sync", ratio[1], ">=1.0", met(ratio[1], ratio[1] >= 1.0));
    row("compute-only: 3 in flight", s[F_COMPUTE], s[F_KERNEL][0], "execute() only", ratio[2], ">=0.5",
        met(ratio[2], ratio[2] >= 0.5));
    printf("\n  threads: %d after requests on every unit and queue of %d cores completed (%d queues; peak %d\n"
           "           while they ran; %d after nrt_init, before any request); collectives %s\n",
           TR.threads_after, TR.cores, TR.queues, TR.threads_peak, TR.threads_init, TR.cc ? "included" : TR.cc_why);
    printf("  threads of this process at the end of the timings (1 core, queue 0 of WRITE/COMPUTE/READ): %d\n",
           threads_1c);

    bool ok = failures == 0 && TR.ok;
    printf("\nbench_small direct_its=%.0f kernel_its=%.0f kernel_us=%.3f sync_its=%.0f sync_vs_direct=%.3f "
           "async_its=%.0f async_vs_sync=%.3f compute_its=%.0f compute_vs_kernel=%.3f threads_%dc=%d "
           "threads_%dc_peak=%d threads_%dc_init=%d threads_1c=%d foreign_cpu_pct=%.1f outputs_ok=%s\n",
           s[F_DIRECT][0], s[F_KERNEL][0], 1e6 / s[F_KERNEL][0], s[F_SYNC][0], ratio[0], s[F_ASYNC][0], ratio[1],
           s[F_COMPUTE][0], ratio[2], TR.cores, TR.threads_after, TR.cores, TR.threads_peak, TR.cores,
           TR.threads_init, threads_1c, foreign,
           ok ? "yes" : "NO");
    free(bytes);
    if (!ok) {
        fprintf(stderr, "bench_small: %ld wrong outputs or failed requests%s\n", failures,
                TR.ok ? "" : "; the threads phase failed");
        return 1;
    }
    return 0;
}

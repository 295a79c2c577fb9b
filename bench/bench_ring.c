/*
 * bench/bench_ring.c - microbenchmark of the bounded multi-producer ring
 * (src/common/ring.h) against a pthread-mutex-protected ring of the same
 * depth and slot size, both measured in the same run.
 *
 * Figures (median over the runs; the two rings alternate run by run so that
 * drift in machine load hits both alike):
 *   uncontended   ns per reserve + fill + publish, one thread, ring never
 *                 full (each timed batch of |depth| items is drained
 *                 untimed)                     vs lock, check, copy, unlock
 *   1p1c          ns per item through the ring, one producer thread and one
 *                 consumer thread (peek, read, free)
 *                                              vs lock/copy/unlock each side
 *   2p1c          the same with two producers sharing the item count
 * ratio = ring / mutex: below 1 the ring is faster.
 *
 * Both rings wait the same way when full or empty: a short spin, then
 * sched_yield(), so that on a machine with fewer cores than threads a
 * waiting thread hands its core to the one it waits for.
 *
 * The consumer checks every item (per-producer order, none lost or
 * repeated); a wrong item makes the exit status 1. Timings are never
 * asserted.
 *
 * Output: a readable table, then one key=value line.
 * Usage: bench_ring [--quick] [--depth N] [--items N] [--runs N]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "common/ring.h"

/* What travels through both rings: sender, its sequence number, and one
 * more word so a slot is a realistic 16 + 24 bytes. */
typedef struct item {
    uint32_t producer;
    uint32_t pad;
    uint64_t counter;
    uint64_t data;
} item_t;

#define MAX_PRODUCERS 2

static struct {
    bool quick;
    uint64_t depth;
    uint64_t items; /* per threaded run, all producers together */
    uint64_t uncontended_items;
    int runs;
} O;

static int errors; /* wrong items seen by a consumer (main thread only) */

#define now_ns bench_now_ns
#define cpu_relax bench_cpu_relax

/* One step of waiting for the other side: spin a little, then yield. */
static void backoff(unsigned *n)
{
    if (++*n < 64)
        cpu_relax();
    else
        sched_yield();
}

/* 1-minute load average, or -1: printed because the threaded figures are
 * only meaningful when the other cores are quiet. */
static double load1(void)
{
    double v = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*===------------------------------------------------------------------===*/
/* Baseline: a ring of the same shape behind one pthread mutex             */
/*===------------------------------------------------------------------===*/

typedef struct mring {
    pthread_mutex_t lock;
    uint64_t head, tail; /* guarded by |lock| */
    uint64_t mask;
    item_t *slots;
} mring_t;

static void mring_init(mring_t *m, uint64_t depth)
{
    pthread_mutex_init(&m->lock, NULL);
    m->head = m->tail = 0;
    m->mask = depth - 1;
    m->slots = calloc(depth, sizeof *m->slots);
    if (!m->slots) {
        fprintf(stderr, "bench_ring: out of memory\n");
        exit(1);
    }
}

static void mring_deinit(mring_t *m)
{
    pthread_mutex_destroy(&m->lock);
    free(m->slots);
}

static bool mring_push(mring_t *m, uint32_t producer, uint64_t counter)
{
    pthread_mutex_lock(&m->lock);
    if (m->tail - m->head > m->mask) {
        pthread_mutex_unlock(&m->lock);
        return false;
    }
    item_t *it = &m->slots[m->tail & m->mask];
    it->producer = producer;
    it->counter = counter;
    it->data = counter ^ producer;
    m->tail++;
    pthread_mutex_unlock(&m->lock);
    return true;
}

static bool mring_pop(mring_t *m, item_t *out)
{
    pthread_mutex_lock(&m->lock);
    if (m->head == m->tail) {
        pthread_mutex_unlock(&m->lock);
        return false;
    }
    *out = m->slots[m->head & m->mask];
    m->head++;
    pthread_mutex_unlock(&m->lock);
    return true;
}

/*===------------------------------------------------------------------===*/
/* Uncontended reserve + publish                                          */
/*===------------------------------------------------------------------===*/

static void ring_fill(nrt__ring_t *r, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t pos;
        item_t *it = nrt__ring_reserve(r, &pos);
        it->producer = 0;
        it->counter = i;
        it->data = i;
        nrt__ring_publish(r, pos);
    }
}

static double uncontended_ring(void)
{
    nrt__ring_t r;
    if (!nrt__ring_init(&r, O.depth, sizeof(item_t))) {
        fprintf(stderr, "bench_ring: out of memory\n");
        exit(1);
    }
    uint64_t head = 0, timed = 0, done = 0;
    ring_fill(&r, O.depth); /* warm: fault the slots in */
    for (; head < O.depth; head++)
        nrt__ring_free(&r, head);
    while (done < O.uncontended_items) {
        uint64_t t0 = now_ns();
        ring_fill(&r, O.depth);
        timed += now_ns() - t0;
        done += O.depth;
        for (uint64_t end = head + O.depth; head < end; head++) {
            if (!nrt__ring_peek(&r, head)) {
                fprintf(stderr, "bench_ring: uncontended: position %llu not published\n",
                        (unsigned long long)head);
                errors++;
            }
            nrt__ring_free(&r, head);
        }
    }
    nrt__ring_deinit(&r);
    return (double)timed / (double)done;
}

static double uncontended_mutex(void)
{
    mring_t m;
    mring_init(&m, O.depth);
    uint64_t timed = 0, done = 0;
    item_t it;
    for (uint64_t i = 0; i < O.depth; i++)
        mring_push(&m, 0, i);
    while (mring_pop(&m, &it))
        ;
    while (done < O.uncontended_items) {
        uint64_t t0 = now_ns();
        for (uint64_t i = 0; i < O.depth; i++)
            mring_push(&m, 0, i);
        timed += now_ns() - t0;
        done += O.depth;
        uint64_t n = 0;
        while (mring_pop(&m, &it))
            n++;
        if (n != O.depth) {
            fprintf(stderr, "bench_ring: uncontended mutex: drained %llu of %llu\n", (unsigned long long)n,
                    (unsigned long long)O.depth);
            errors++;
        }
    }
    mring_deinit(&m);
    return (double)timed / (double)done;
}

/*===------------------------------------------------------------------===*/
/* Producers and one consumer                                             */
/*===------------------------------------------------------------------===*/

typedef struct run {
    bool mutex;
    nrt__ring_t ring;
    mring_t mring;
    int producers;
    _Atomic int go;
} run_t;

typedef struct producer {
    run_t *run;
    uint32_t id;
    uint64_t n;
} producer_t;

static void *produce(void *arg)
{
    producer_t *p = arg;
    run_t *run = p->run;
    char name[16];
    snprintf(name, sizeof name, "bench-prod%u", p->id);
    pthread_setname_np(pthread_self(), name);
    /* Acquire: pairs with the release that starts the clock. */
    while (!atomic_load_explicit(&run->go, memory_order_acquire))
        sched_yield();
    for (uint64_t c = 0; c < p->n; c++) {
        unsigned spins = 0;
        if (run->mutex) {
            while (!mring_push(&run->mring, p->id, c))
                backoff(&spins);
            continue;
        }
        uint64_t pos;
        item_t *it;
        while ((it = nrt__ring_reserve(&run->ring, &pos)) == NULL)
            backoff(&spins);
        it->producer = p->id;
        it->counter = c;
        it->data = c ^ p->id;
        nrt__ring_publish(&run->ring, pos);
    }
    return NULL;
}

/* Checks one received item against the next one expected from its sender. */
static void check(const item_t *it, uint64_t *expect, int producers)
{
    if ((int)it->producer >= producers || it->counter != expect[it->producer] ||
        it->data != (it->counter ^ it->producer)) {
        if (errors++ < 5)
            fprintf(stderr, "bench_ring: got item %llu from producer %u, expected item %llu\n",
                    (unsigned long long)it->counter, it->producer,
                    (int)it->producer < producers ? (unsigned long long)expect[it->producer] : 0ull);
        return;
    }
    expect[it->producer]++;
}

/* ns per item through |producers| producer threads and this thread as the
 * consumer, from the start signal to the last item consumed. */
static double threaded(bool mutex, int producers)
{
    run_t *run = aligned_alloc(NRT__RING_CACHELINE, (sizeof *run + NRT__RING_CACHELINE - 1) &
                                                        ~(size_t)(NRT__RING_CACHELINE - 1));
    if (!run) {
        fprintf(stderr, "bench_ring: out of memory\n");
        exit(1);
    }
    memset(run, 0, sizeof *run);
    run->mutex = mutex;
    run->producers = producers;
    atomic_init(&run->go, 0);
    if (mutex) {
        mring_init(&run->mring, O.depth);
    } else if (!nrt__ring_init(&run->ring, O.depth, sizeof(item_t))) {
        fprintf(stderr, "bench_ring: out of memory\n");
        exit(1);
    }
    producer_t prod[MAX_PRODUCERS];
    pthread_t th[MAX_PRODUCERS];
    uint64_t total = 0;
    for (int i = 0; i < producers; i++) {
        uint64_t share = O.items / (uint64_t)producers + ((uint64_t)i < O.items % (uint64_t)producers);
        prod[i] = (producer_t){.run = run, .id = (uint32_t)i, .n = share};
        total += share;
        if (pthread_create(&th[i], NULL, produce, &prod[i]) != 0) {
            fprintf(stderr, "bench_ring: pthread_create failed\n");
            exit(1);
        }
    }
    uint64_t expect[MAX_PRODUCERS] = {0};
    uint64_t t0 = now_ns();
    /* Release: orders nothing the producers need (thread creation did);
     * it only starts them together with the clock. */
    atomic_store_explicit(&run->go, 1, memory_order_release);
    if (mutex) {
        item_t it;
        for (uint64_t got = 0; got < total; got++) {
            unsigned spins = 0;
            while (!mring_pop(&run->mring, &it))
                backoff(&spins);
            check(&it, expect, producers);
        }
    } else {
        for (uint64_t head = 0; head < total; head++) {
            unsigned spins = 0;
            const item_t *it;
            while ((it = nrt__ring_peek(&run->ring, head)) == NULL)
                backoff(&spins);
            check(it, expect, producers);
            nrt__ring_free(&run->ring, head);
        }
    }
    uint64_t elapsed = now_ns() - t0;
    for (int i = 0; i < producers; i++) {
        pthread_join(th[i], NULL);
        if (expect[i] != prod[i].n) {
            fprintf(stderr, "bench_ring: producer %d: %llu of %llu items arrived in order\n", i,
                    (unsigned long long)expect[i], (unsigned long long)prod[i].n);
            errors++;
        }
    }
    if (mutex)
        mring_deinit(&run->mring);
    else
        nrt__ring_deinit(&run->ring);
    free(run);
    return (double)elapsed / (double)total;
}

/*===------------------------------------------------------------------===*/
/* Driver                                                                 */
/*===------------------------------------------------------------------===*/

typedef struct figure {
    const char *key, *what;
    double ring, mutex;
} figure_t;

static void measure(figure_t *f, int producers)
{
    double ring[64], mutex[64];
    for (int r = 0; r < O.runs; r++) {
        /* Alternate which one goes first. */
        for (int k = 0; k < 2; k++) {
            bool m = (k + r) % 2;
            double v = producers ? threaded(m, producers) : (m ? uncontended_mutex() : uncontended_ring());
            (m ? mutex : ring)[r] = v;
        }
    }
    f->ring = median(ring, O.runs);
    f->mutex = median(mutex, O.runs);
    fprintf(stderr, "bench_ring: %s done\n", f->key);
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_ring [--quick] [--depth N (power of two >= 2)] [--items N] [--runs N (1..64)]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    O.depth = 1024;
    O.items = 4000000;
    O.uncontended_items = 20000000;
    O.runs = 5;
    long long depth = -1, items = -1, runs = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            O.quick = true;
        else if (!strcmp(argv[i], "--depth") && i + 1 < argc)
            depth = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--items") && i + 1 < argc)
            items = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoll(argv[++i]);
        else
            usage();
    }
    if (O.quick) {
        O.items = 20000;
        O.uncontended_items = 100000;
        O.runs = 1;
    }
    if (depth != -1) {
        if (depth < 2 || (depth & (depth - 1)))
            usage();
        O.depth = (uint64_t)depth;
    }
    if (items != -1) {
        if (items < MAX_PRODUCERS)
            usage();
        O.items = (uint64_t)items;
    }
    if (runs != -1) {
        if (runs < 1 || runs > 64)
            usage();
        O.runs = (int)runs;
    }
    if (O.uncontended_items < O.depth)
        O.uncontended_items = O.depth;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    double load_before = load1();

    figure_t fig[3] = {
        {"uncontended", "reserve+publish, 1 thread (ns/op)", 0, 0},
        {"p1c1", "1 producer + 1 consumer (ns/item)", 0, 0},
        {"p2c1", "2 producers + 1 consumer (ns/item)", 0, 0},
    };
    measure(&fig[0], 0);
    measure(&fig[1], 1);
    measure(&fig[2], 2);

    /* The load before the run: at the end it counts our own threads. */
    double load = load_before;
    printf("\nOpenNRT ring benchmark%s\n", O.quick ? " (--quick: counts too small to quote)" : "");
    printf("depth %llu, %zu-byte payload, %llu items per threaded run, median of %d runs, %ld cores\n",
           (unsigned long long)O.depth, sizeof(item_t), (unsigned long long)O.items, O.runs, cores);
    printf("load average %.2f%s\n\n", load,
           load > 0.5 ? " (other work was running: the threaded figures are not reliable)" : "");
    printf("%-38s %10s %10s %8s\n", "figure", "ring", "mutex", "ratio");
    for (int i = 0; i < 3; i++)
        printf("%-38s %10.1f %10.1f %8.2f\n", fig[i].what, fig[i].ring, fig[i].mutex, fig[i].ring / fig[i].mutex);
    printf("(ratio = ring / mutex; below 1 the ring is faster)\n\n");

    printf("bench_ring depth=%llu runs=%d cores=%ld load1=%.2f quick=%d", (unsigned long long)O.depth, O.runs,
           cores, load, (int)O.quick);
    for (int i = 0; i < 3; i++)
        printf(" %s_ns=%.1f %s_mutex_ns=%.1f %s_ratio=%.3f", fig[i].key, fig[i].ring, fig[i].key, fig[i].mutex,
               fig[i].key, fig[i].ring / fig[i].mutex);
    printf(" items_ok=%s\n", errors ? "no" : "yes");
    return errors ? 1 : 0;
}

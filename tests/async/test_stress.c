/*
 * Ordering stress: 4 threads schedule NRT_STRESS_N (default 1,000,000;
 * 100,000 under sanitizers) 64-byte writes on ONE queue, each to its own
 * slot with its own value, retrying on NRT_QUEUE_FULL. The ids of all
 * threads form exactly 1..N, each thread's ids increase, completions only
 * move forward, a request seen complete has its data in place, and the
 * final tensor is exactly what was written. A fifth thread watches while
 * they run.
 */
#include "async_util.h"

#define T 4
#define SLOT 64

static uint64_t n_total;
static nrt_tensor_t *dev;
static unsigned char *src;
static nrta_error_tracker_t *et;
static _Atomic uint64_t *seqs;     /* per slot, 0 until scheduled */
static _Atomic uint64_t published[T];
static _Atomic int producers_left = T;
static _Atomic uint64_t full_retries;

typedef struct {
    int t;
    uint64_t first, count;
} part_t;

static void fill_slot(uint64_t slot, unsigned char *p)
{
    uint64_t w[SLOT / 8];
    for (int j = 0; j < SLOT / 8; j++)
        w[j] = (slot * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)j << 56) ^ 0xa5a5a5a5ull;
    memcpy(p, w, SLOT);
}

static void *producer(void *arg)
{
    part_t *p = arg;
    uint64_t prev = 0, retries = 0;
    for (uint64_t k = 0; k < p->count; k++) {
        uint64_t slot = p->first + k;
        nrta_seq_t s = 0;
        NRT_STATUS st;
        while ((st = nrta_tensor_write(dev, src + slot * SLOT, slot * SLOT, SLOT, 0, et, &s)) == NRT_QUEUE_FULL) {
            retries++;
            sched_yield();
        }
        ASSERT_OK(st);
        ASSERT_EQ_U64(NRTA_SEQ_GET_XU_ID(s), t_xu_id(0, NRTA_XU_TENSOR_WRITE, 0));
        uint64_t num = NRTA_SEQ_GET_SEQ_NUM(s);
        ASSERT_TRUE(num > prev && num >= 1 && num <= n_total);
        prev = num;
        atomic_store_explicit(&seqs[slot], s, memory_order_relaxed);
        /* release: the watcher that sees the count also sees the id */
        atomic_store_explicit(&published[p->t], k + 1, memory_order_release);
    }
    atomic_fetch_add(&full_retries, retries);
    atomic_fetch_sub(&producers_left, 1);
    return NULL;
}

static part_t parts[T];

static void *watcher(void *arg)
{
    (void)arg;
    uint64_t prev = 0, checks = 0, deadline = 0, x = 88172645463325252ull;
    unsigned char got[SLOT], want[SLOT];
    for (;;) {
        bool last = atomic_load(&producers_left) == 0;
        uint64_t c = t_completed(0, NRTA_XU_TENSOR_WRITE, 0);
        ASSERT_TRUE(c >= prev); /* completions only move forward */
        ASSERT_TRUE(c <= t_stats(0, NRTA_XU_TENSOR_WRITE, 0).submitted);
        prev = c;
        for (int i = 0; i < 8; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            int t = (int)(x % T);
            uint64_t n = atomic_load_explicit(&published[t], memory_order_acquire);
            if (!n)
                continue;
            uint64_t slot = parts[t].first + (x >> 8) % n;
            nrta_seq_t s = atomic_load_explicit(&seqs[slot], memory_order_relaxed);
            ASSERT_TRUE(s != 0);
            bool d = t_done(s);
            if (NRTA_SEQ_GET_SEQ_NUM(s) <= c)
                ASSERT_TRUE(d); /* the completed prefix is complete */
            if (d) {
                /* complete: its bytes are in place */
                ASSERT_OK(nrt_tensor_read(dev, got, slot * SLOT, SLOT));
                fill_slot(slot, want);
                ASSERT_TRUE(memcmp(got, want, SLOT) == 0);
                checks++;
            }
        }
        if (last && c == n_total)
            break;
        if (last && !deadline)
            deadline = t_now_ns() + (uint64_t)T_WAIT_S * 1000000000ull;
        ASSERT_TRUE(!deadline || t_now_ns() < deadline);
        sched_yield();
    }
    fprintf(stderr, "watcher: %llu data checks\n", (unsigned long long)checks);
    return NULL;
}

static void run(uint64_t n, const char *depth)
{
    n_total = n;
    atomic_store(&producers_left, T);
    atomic_store(&full_retries, 0);
    for (int t = 0; t < T; t++)
        atomic_store(&published[t], 0);
    ASSERT_TRUE(n_total >= T);
    printf("stress: %llu requests, %d threads, one queue of depth %s%s\n", (unsigned long long)n_total, T,
           depth ? depth : "(default)", T_SANITIZED ? " (sanitizer build)" : "");
    t_setenv("OPENNRT_QUEUE_DEPTH", depth);
    t_init();
    ASSERT_OK(nrta_error_tracker_create(0, &et));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, n_total * SLOT, "stress", &dev));
    src = malloc(n_total * SLOT);
    seqs = calloc(n_total, sizeof *seqs);
    ASSERT_TRUE(src && seqs);
    for (uint64_t s = 0; s < n_total; s++)
        fill_slot(s, src + s * SLOT);

    pthread_t th[T], w;
    uint64_t first = 0;
    for (int t = 0; t < T; t++) {
        parts[t].t = t;
        parts[t].first = first;
        parts[t].count = n_total / T + ((uint64_t)t < n_total % T);
        first += parts[t].count;
    }
    ASSERT_EQ_U64(first, n_total);
    uint64_t t0 = t_now_ns();
    ASSERT_TRUE(pthread_create(&w, NULL, watcher, NULL) == 0);
    for (int t = 0; t < T; t++)
        ASSERT_TRUE(pthread_create(&th[t], NULL, producer, &parts[t]) == 0);
    for (int t = 0; t < T; t++)
        pthread_join(th[t], NULL);
    pthread_join(w, NULL);
    uint64_t t1 = t_now_ns();

    /* ids: exactly 1..N, one queue, each once */
    unsigned char *seen = calloc(n_total + 1, 1);
    ASSERT_TRUE(seen);
    for (uint64_t s = 0; s < n_total; s++) {
        nrta_seq_t id = atomic_load(&seqs[s]);
        ASSERT_EQ_U64(NRTA_SEQ_GET_XU_ID(id), t_xu_id(0, NRTA_XU_TENSOR_WRITE, 0));
        uint64_t num = NRTA_SEQ_GET_SEQ_NUM(id);
        ASSERT_TRUE(num >= 1 && num <= n_total);
        ASSERT_EQ_U64(seen[num], 0);
        seen[num] = 1;
    }
    for (uint64_t n = 1; n <= n_total; n++)
        ASSERT_EQ_U64(seen[n], 1);
    /* every request completed, once, without error */
    nrtx_queue_stats_t st = t_stats(0, NRTA_XU_TENSOR_WRITE, 0);
    ASSERT_EQ_U64(st.submitted, n_total);
    ASSERT_EQ_U64(st.completed, n_total);
    ASSERT_EQ_U64(st.errors, 0);
    ASSERT_SEQ(t_seq(0, NRTA_XU_TENSOR_WRITE, 0, t_completed(0, NRTA_XU_TENSOR_WRITE, 0)),
               t_seq(0, NRTA_XU_TENSOR_WRITE, 0, n_total));
    bool d = true;
    ASSERT_ST(nrta_is_completed(t_seq(0, NRTA_XU_TENSOR_WRITE, 0, n_total + 1), &d), NRT_INVALID);
    nrta_error_t errs[4];
    ASSERT_EQ_U64(t_drain(et, errs, 4), 0);
    /* the final data */
    const unsigned char *va = nrt_tensor_get_va(dev);
    ASSERT_TRUE(va != NULL);
    ASSERT_TRUE(memcmp(va, src, n_total * SLOT) == 0);
    /* no other queue was touched */
    for (int q = 1; q < 4; q++)
        ASSERT_EQ_U64(t_stats(0, NRTA_XU_TENSOR_WRITE, q).submitted, 0);

    printf("stress: %.0f requests/s, %llu queue-full retries\n", (double)n_total * 1e9 / (double)(t1 - t0),
           (unsigned long long)atomic_load(&full_retries));
    free(seen);
    nrt_tensor_free(&dev);
    nrta_error_tracker_destroy(et);
    nrt_close();
    free(src);
    free((void *)seqs);
}

int main(void)
{
    uint64_t n = T_SANITIZED ? 100000 : 1000000;
    const char *e = getenv("NRT_STRESS_N");
    if (e && *e)
        n = strtoull(e, NULL, 10);
    run(n, NULL);
    /* a one-slot queue under the same contention */
    run(n / 50 < T ? T : n / 50, "1");
    t_setenv("OPENNRT_QUEUE_DEPTH", NULL);
    printf("async_stress ok\n");
    return 0;
}

/*
 * bench/bench_cc_direct.c - all-reduce between cores of one process through
 * the async API (nrta_cc_prepare + nrta_cc_schedule, each rank's thread
 * polling its own request), against memcpy measured in the same run.
 *
 * Prints, per rank count and size: time per all-reduce, bus bandwidth
 * (algbw x 2(P-1)/P), and the ratio to the shared-memory ceiling of this
 * machine, 2(P-1)/P^2 x memcpy bandwidth (each byte is read P times and
 * written P times by P ranks sharing the memory bus; issue 9). Usage:
 *   bench_cc_direct [--quick]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nrt/nrt.h"
#include "nrt/nrt_async.h"
#include "nrt/nrt_experimental.h"

static int g_n;
static size_t g_bytes;
static int g_iters;
static pthread_barrier_t g_bar;
static double g_dt[8];

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *rank_main(void *p)
{
    int r = (int)(long)p;
    uint32_t g[8];
    for (int i = 0; i < g_n; i++)
        g[i] = (uint32_t)i;
    nrt_tensor_t *t;
    if (nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, r, g_bytes, "t", &t))
        abort();
    nrt_tensor_list_t l = {&t, 1};
    nrt_cc_comm_t c = {.replica_group = g, .rank = (uint32_t)r, .rank_n = (uint32_t)g_n,
                       .ctx_device_id = (uint32_t)r, .ctx_device_count = 4, .vnc = (uint32_t)r};
    int warm = g_iters / 10 + 2;
    double t0 = 0;
    for (int i = 0; i < g_iters + warm; i++) {
        if (i == warm) {
            pthread_barrier_wait(&g_bar);
            t0 = now();
        }
        nrt_cc_context_t *ctx;
        nrta_seq_t s;
        if (nrta_cc_prepare(&c, &l, &l, NRT_DTYPE_FLOAT32, NRT_OP_ADD, NRT_CC_ALLREDUCE, &ctx) ||
            nrta_cc_schedule(&ctx, 0, NULL, &s))
            abort();
        bool d = false;
        for (unsigned k = 0; !d; k++) {
            nrta_is_completed(s, &d);
            if (!d && k > 2000) { /* long ops: let the other ranks run */
                struct timespec z = {0, 20000};
                nanosleep(&z, NULL);
            }
        }
    }
    g_dt[r] = (now() - t0) / g_iters;
    nrt_tensor_free(&t);
    return NULL;
}

static double memcpy_gbs(size_t bytes)
{
    char *a = malloc(bytes), *b = malloc(bytes);
    memset(a, 1, bytes);
    memset(b, 2, bytes);
    int reps = (int)(512.0 * 1024 * 1024 / (double)bytes) + 3;
    double t0 = now();
    for (int i = 0; i < reps; i++) {
        memcpy(b, a, bytes);
        __asm__ volatile("" ::"r"(b) : "memory");
    }
    double gbs = (double)bytes * reps / (now() - t0) / 1e9;
    free(a);
    free(b);
    return gbs;
}

int main(int argc, char **argv)
{
    bool quick = argc > 1 && !strcmp(argv[1], "--quick");
    setenv("NEURON_RT_NUM_CORES", "4", 1);
    if (nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""))
        return 1;
    for (uint32_t v = 0; v < 4; v++)
        nrt_cc_global_comm_init(v, v, 4);
    const size_t sizes[] = {8, 65536, 1u << 20, 64u << 20};
    printf("bench_cc_direct: fp32 all-reduce between cores of one process, async API, one rank thread polling "
           "each\n%5s %10s %12s %10s %10s %10s %8s\n",
           "ranks", "size(B)", "time(us)", "busbw", "memcpy", "ceiling", "ratio");
    for (int n = 2; n <= 4; n += 2)
        for (unsigned s = 0; s < 4; s++) {
            g_n = n;
            g_bytes = sizes[s];
            g_iters = quick ? 20 : sizes[s] >= (64u << 20) ? 20 : sizes[s] >= (1u << 20) ? 200 : 5000;
            pthread_barrier_init(&g_bar, NULL, (unsigned)n);
            pthread_t th[8];
            for (long i = 0; i < n; i++)
                pthread_create(&th[i], NULL, rank_main, (void *)i);
            double dt = 0;
            for (int i = 0; i < n; i++) {
                pthread_join(th[i], NULL);
                dt = g_dt[i] > dt ? g_dt[i] : dt;
            }
            pthread_barrier_destroy(&g_bar);
            double busbw = (double)g_bytes / dt / 1e9 * 2.0 * (n - 1) / n;
            double mc = memcpy_gbs(g_bytes), ceil = mc * 2.0 * (n - 1) / ((double)n * n);
            printf("%5d %10zu %12.2f %10.3f %10.2f %10.2f %8.2f\n", n, g_bytes, dt * 1e6, busbw, mc, ceil,
                   busbw / ceil);
        }
    nrt_close();
    return 0;
}

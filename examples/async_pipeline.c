/*
 * examples/async_pipeline.c - a double-buffered inference pipeline on the
 * explicit async API (nrta_*), following the "NRT Async APIs: Best
 * Practices" guide:
 *
 *   - keep the compute unit busy: while iteration i-1 executes, read back
 *     iteration i-2 and upload iteration i, then queue execute(i) behind it;
 *   - the units do not wait for each other, so the application orders the
 *     requests itself: execute(i) is scheduled only once write(i) has
 *     completed, read(i) once execute(i) has, and a buffer set is reused
 *     only once its previous read has completed;
 *   - every request gets the same error tracker, checked after each step;
 *   - waits use completion handles (file descriptors) with poll(), so the
 *     thread sleeps instead of spinning.
 *
 * Usage: async_pipeline MODEL.so [ITERATIONS]   (e.g. build/models/mlp.so)
 * The model must have one input and one output. The results are checked
 * against nrt_execute on the same inputs; exit status 0 means they match.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nrt/nrt.h"
#include "nrt/nrt_async.h"
#include "nrt/nrt_experimental.h"

#define NBUF 2 /* double buffering */

/* Stops the example with a message when a call fails. */
#define CHECK(call)                                                                                    \
    do {                                                                                               \
        NRT_STATUS st_ = (call);                                                                       \
        if (st_ != NRT_SUCCESS) {                                                                      \
            fprintf(stderr, "async_pipeline: %s failed: %s\n", #call, nrt_get_status_as_str(st_));     \
            exit(1);                                                                                   \
        }                                                                                              \
    } while (0)

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "async_pipeline: cannot open '%s': %s\n", path, strerror(errno));
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc(n > 0 ? (size_t)n : 1);
    if (!buf || n <= 0 || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "async_pipeline: cannot read '%s'\n", path);
        exit(1);
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* Blocks until request |seq| has completed. The lock-free check comes
 * first; only if the request is still running do we ask for a completion
 * handle and sleep in poll() until the runtime signals it. The final
 * nrta_is_completed is what makes the request's results (the bytes it
 * wrote) visible to this thread, so it is asked again after the wake-up. */
static void wait_for(nrta_seq_t seq)
{
    bool done = false;
    CHECK(nrta_is_completed(seq, &done));
    while (!done) {
        int fd;
        CHECK(nrta_get_completion_handle(seq, &fd));
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
            ;
        close(fd); /* the handle is ours to close */
        CHECK(nrta_is_completed(seq, &done));
    }
}

/* A request's own failure is reported through the tracker, not by the
 * schedule call; drain it after each batch of completions. */
static void check_errors(nrta_error_tracker_t *tracker)
{
    const nrta_error_t *list;
    size_t n;
    CHECK(nrta_error_tracker_get_list(tracker, &list, &n));
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "async_pipeline: request 0x%016" PRIx64 " failed with %s\n", list[i].seq_id,
                nrt_get_status_as_str((NRT_STATUS)list[i].error_code));
    if (n)
        exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: async_pipeline MODEL.so [ITERATIONS]   (e.g. build/models/mlp.so)\n");
        return 2;
    }
    int iters = argc > 2 ? atoi(argv[2]) : 32;
    if (iters < 1 || iters > 100000) {
        fprintf(stderr, "async_pipeline: ITERATIONS must be in 1..100000\n");
        return 2;
    }

    /* 1. Runtime, model, and the model's tensor names and sizes. */
    size_t model_size;
    void *model_bytes = read_file(argv[1], &model_size);
    CHECK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    nrt_model_t *model;
    CHECK(nrt_load(model_bytes, model_size, 0, 1, &model));
    free(model_bytes);
    nrt_tensor_info_array_t *info;
    CHECK(nrt_get_model_tensor_info(model, &info));
    if (info->tensor_count != 2 || info->tensor_array[0].usage != NRT_TENSOR_USAGE_INPUT) {
        fprintf(stderr, "async_pipeline: this example needs a model with one input and one output\n");
        return 1;
    }
    const nrt_tensor_info_t *ti = &info->tensor_array[0], *to = &info->tensor_array[1];
    size_t in_size = ti->size, out_size = to->size;

    /* 2. Two buffer sets on core 0: while one is being computed on, the
     *    other is being read back and refilled. */
    nrt_tensor_t *in_t[NBUF], *out_t[NBUF];
    nrt_tensor_set_t *in_set[NBUF], *out_set[NBUF];
    for (int b = 0; b < NBUF; b++) {
        CHECK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, in_size, ti->name, &in_t[b]));
        CHECK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, out_size, to->name, &out_t[b]));
        CHECK(nrt_allocate_tensor_set(&in_set[b]));
        CHECK(nrt_allocate_tensor_set(&out_set[b]));
        CHECK(nrt_add_tensor_to_tensor_set(in_set[b], ti->name, in_t[b]));
        CHECK(nrt_add_tensor_to_tensor_set(out_set[b], to->name, out_t[b]));
    }

    /* Host data: one input and one result buffer per iteration. Inputs are
     * small floats (MLP-friendly) from a fixed generator. */
    unsigned char **in = malloc((size_t)iters * sizeof *in), **out = malloc((size_t)iters * sizeof *out);
    uint64_t s = 42;
    for (int i = 0; i < iters; i++) {
        in[i] = malloc(in_size);
        out[i] = malloc(out_size);
        float *f = (float *)(void *)in[i];
        for (size_t k = 0; k < in_size / sizeof(float); k++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            f[k] = (float)(s >> 40) / (float)(1u << 24) - 0.5f;
        }
    }

    /* 3. The reference: the synchronous API on the same inputs (after
     *    one untimed run, so the loop does not pay for first-touch costs). */
    unsigned char **ref = malloc((size_t)iters * sizeof *ref);
    CHECK(nrt_tensor_write(in_t[0], in[0], 0, in_size));
    CHECK(nrt_execute(model, in_set[0], out_set[0]));
    double t0 = now_ms();
    for (int i = 0; i < iters; i++) {
        ref[i] = malloc(out_size);
        CHECK(nrt_tensor_write(in_t[0], in[i], 0, in_size));
        CHECK(nrt_execute(model, in_set[0], out_set[0]));
        CHECK(nrt_tensor_read(out_t[0], ref[i], 0, out_size));
    }
    double t_sync = now_ms() - t0;

    /* 4. One error tracker for every request of core 0. */
    nrta_error_tracker_t *tracker;
    CHECK(nrta_error_tracker_create(0, &tracker));

    /* 5. The pipeline. Step |i| reads back iteration i-2, uploads
     *    iteration i into the set i-2 used, and queues execute(i) behind
     *    execute(i-1), which runs meanwhile. wseq/xseq/rseq hold the
     *    last request of each kind per set (0: none yet). At most two
     *    requests per queue are ever outstanding, far below the queue
     *    depth, so any schedule failure (even NRT_QUEUE_FULL, which a
     *    deeper pipeline would retry later) is an error here. */
    nrta_seq_t wseq[NBUF] = {0}, xseq[NBUF] = {0}, rseq[NBUF] = {0};
    t0 = now_ms();
    for (int i = 0; i < iters + NBUF; i++) {
        int b = i % NBUF;
        int k = i - NBUF; /* the iteration that used set b before */
        if (k >= 0) {
            /* read(k) after execute(k) */
            wait_for(xseq[b]);
            check_errors(tracker);
            CHECK(nrta_tensor_read(out[k], out_t[b], 0, out_size, 0, tracker, &rseq[b]));
        }
        if (i < iters) {
            /* The set is free once read(k) is done. */
            if (k >= 0)
                wait_for(rseq[b]);
            CHECK(nrta_tensor_write(in_t[b], in[i], 0, in_size, 0, tracker, &wseq[b]));
            /* execute(i) after write(i); it queues behind execute(i-1). */
            wait_for(wseq[b]);
            check_errors(tracker);
            CHECK(nrta_execute_schedule(model, in_set[b], out_set[b], 0, tracker, &xseq[b]));
        }
    }
    /* Drain: the last reads. */
    for (int b = 0; b < NBUF; b++)
        if (rseq[b])
            wait_for(rseq[b]);
    check_errors(tracker);
    double t_async = now_ms() - t0;

    /* nrta_get_sequence tells how far a unit has got: by now the compute
     * unit has completed every execute we queued. */
    nrta_seq_t last_exec;
    CHECK(nrta_get_sequence(0, NRTA_XU_COMPUTE, 0, &last_exec));

    /* 6. Verify: bit for bit the same results as nrt_execute. */
    int mismatches = 0;
    for (int i = 0; i < iters; i++)
        if (memcmp(ref[i], out[i], out_size) != 0) {
            if (!mismatches)
                fprintf(stderr, "async_pipeline: iteration %d differs from nrt_execute\n", i);
            mismatches++;
        }

    printf("async_pipeline: model %s, %d iterations, %zu B in / %zu B out\n", argv[1], iters, in_size, out_size);
    printf("  sync  (nrt_execute):     %8.2f ms  %8.1f iter/s\n", t_sync, iters / (t_sync / 1e3));
    printf("  async (double-buffered): %8.2f ms  %8.1f iter/s  (last execute seq #%" PRIu64 ")\n", t_async,
           iters / (t_async / 1e3), (uint64_t)NRTA_SEQ_GET_SEQ_NUM(last_exec));
    printf("  results: %s\n", mismatches ? "MISMATCH" : "identical to nrt_execute (bit for bit)");

    /* 7. Cleanup: tracker, sets, tensors, model, runtime. */
    for (int i = 0; i < iters; i++) {
        free(in[i]);
        free(out[i]);
        free(ref[i]);
    }
    free(ref);
    free(in);
    free(out);
    nrta_error_tracker_destroy(tracker);
    for (int b = 0; b < NBUF; b++) {
        nrt_destroy_tensor_set(&in_set[b]);
        nrt_destroy_tensor_set(&out_set[b]);
        nrt_tensor_free(&in_t[b]);
        nrt_tensor_free(&out_t[b]);
    }
    nrt_free_model_tensor_info(info);
    nrt_unload(model);
    nrt_close();
    return mismatches ? 1 : 0;
}

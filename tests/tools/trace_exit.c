/*
 * tests/tools/trace_exit.c - a program that fails the way real ones do:
 * it records requests under OPENNRT_TRACE and calls exit(3) without
 * nrt_close. The runtime must still write the trace (test_trace.sh).
 *
 *   trace_exit [--busy]
 *
 * --busy: a second thread is still scheduling writes when exit() runs;
 * the trace holds what was recorded until then.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nrt/nrt.h"
#include "nrt/nrt_async.h"

static nrt_tensor_t *t;
static unsigned char buf[4096];
static _Atomic unsigned scheduled;

static bool wait_done(nrta_seq_t s)
{
    bool done = false;
    for (int i = 0; i < 200000 && !done; i++) { /* 20 s at most */
        if (nrta_is_completed(s, &done) != NRT_SUCCESS)
            return false;
        if (!done)
            usleep(100);
    }
    return done;
}

static void *busy(void *arg)
{
    (void)arg;
    for (unsigned i = 0; i < 1000000; i++) {
        nrta_seq_t s;
        NRT_STATUS st = nrta_tensor_write(t, buf, 0, sizeof buf, 1, NULL, &s);
        if (st == NRT_QUEUE_FULL)
            usleep(100);
        else if (st != NRT_SUCCESS)
            break; /* the runtime is going away with the process */
        else
            atomic_fetch_add(&scheduled, 1);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    bool with_thread = argc > 1 && strcmp(argv[1], "--busy") == 0;
    if (nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", "") != NRT_SUCCESS ||
        nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, sizeof buf, "t", &t) != NRT_SUCCESS)
        return 1;
    for (int i = 0; i < 8; i++) {
        nrta_seq_t s;
        if (nrta_tensor_write(t, buf, 0, sizeof buf, i % 2, NULL, &s) != NRT_SUCCESS || !wait_done(s))
            return 1;
    }
    if (with_thread) {
        pthread_t th;
        if (pthread_create(&th, NULL, busy, NULL) != 0)
            return 1;
        for (int i = 0; i < 200000 && atomic_load(&scheduled) < 100; i++) /* 20 s at most */
            usleep(100);
    }
    fprintf(stderr, "trace_exit: exiting without nrt_close\n");
    exit(3);
}

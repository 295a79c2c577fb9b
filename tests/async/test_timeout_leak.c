/*
 * An exec timeout must not leak the timed-out queue's memory for good
 * (issue 11, defect 10): nrt_close keeps the queues of a unit whose hung
 * kernel may still return (it touches them when it does), but once the
 * kernel has returned, the next nrt_init or nrt_close frees them.
 *
 * With OPENNRT_QUEUE_DEPTH=65536 the COMPUTE queue's ring is 16 MiB, big
 * enough to see in the allocator's statistics (mallinfo2; sanitizer builds
 * have their own allocator, there LeakSanitizer checks at exit instead).
 * Each round hangs one execution past the timeout, lets it return after
 * nrt_close, and cycles nrt_init / nrt_close; the heap must come back.
 */
#include "async_util.h"

#include <malloc.h>

#define ROUNDS 3

static size_t heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static void hang_once(void)
{
    t_init();
    tm_shared_t *sh = t_shared_new();
    nrt_model_t *m = t_tm_load(0);
    t_tm_req_t r;
    t_tm_req_init(&r, 0, (t_tm_opts_t){.sh = sh, .flags = TM_F_WAIT_GATE, .tag = 3});
    nrta_error_tracker_t *et;
    ASSERT_OK(nrta_error_tracker_create(0, &et));
    nrta_seq_t s;
    ASSERT_OK(nrta_execute_schedule(m, r.in, r.out, 0, et, &s));
    t_wait(s); /* completed by the watchdog, the kernel still inside */
    nrta_error_t e[2];
    ASSERT_EQ_U64(t_drain(et, e, 2), 1);
    ASSERT_EQ_U64(e[0].error_code, NRT_TIMEOUT);
    ASSERT_EQ_U64(atomic_load(&sh->finished), 0);
    nrta_error_tracker_destroy(et);
    /* The hung execution holds its own references. */
    ASSERT_OK(nrt_unload(m));
    t_tm_req_free(&r);
    /* Close while the kernel hangs: its queue must be kept... */
    nrt_close();
    /* ...until it returns. */
    t_gate(sh, 1);
    T_WAIT_UNTIL(atomic_load(&sh->finished) == 1);
    free(sh);
}

/* Queue storage comes with a queue's first request: the largest depth
 * costs nothing at nrt_init (it once took 1.1 GiB per core). */
static void depth_costs_nothing_up_front(void)
{
    t_setenv("OPENNRT_QUEUE_DEPTH", "1048576");
    t_setenv("NEURON_RT_NUM_CORES", "16");
    size_t before = heap_bytes();
    t_init();
    size_t after = heap_bytes();
    nrtx_config_t cfg;
    ASSERT_OK(nrtx_get_config(&cfg));
    ASSERT_EQ_U64(cfg.queue_depth, 1048576);
    nrt_close();
    printf("timeout_leak: nrt_init with 16 cores at depth 1048576 took %zu KiB\n",
           after > before ? (after - before) >> 10 : 0);
    if (!T_SANITIZED)
        ASSERT_TRUE(after < before + (64u << 20));
}

int main(void)
{
    depth_costs_nothing_up_front();
    t_setenv("OPENNRT_QUEUE_DEPTH", "65536");
    t_setenv("OPENNRT_EXEC_TIMEOUT_MS", "100");
    t_setenv("NEURON_RT_NUM_CORES", "1");
    /* A first runtime, so that one-time allocations are not counted. */
    t_init();
    nrt_close();
    size_t base = heap_bytes();
    for (int i = 0; i < ROUNDS; i++)
        hang_once();
    /* The runner lets go of its queue right after its kernel returned:
     * give it a bounded while; each nrt_init / nrt_close frees what it can. */
    size_t now = 0;
    for (int i = 0; i < 200; i++) {
        t_init();
        nrt_close();
        now = heap_bytes();
        if (now < base + (8u << 20))
            break;
        usleep(10000);
    }
    printf("timeout_leak: heap %zu KiB before, %zu KiB after %d timed-out rounds\n", base >> 10, now >> 10,
           ROUNDS);
    if (!T_SANITIZED)
        ASSERT_TRUE(now < base + (8u << 20)); /* one kept 16 MiB ring would exceed this */
    printf("timeout_leak: ok\n");
    return 0;
}

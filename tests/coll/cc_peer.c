/*
 * tests/coll/cc_peer.c - one process of a multi-process collectives test
 * (public API only). Started by test_cc_procs (processes of this host) and
 * by netns_cc.sh (two network-namespace "hosts"), with
 * NEURON_RT_ROOT_COMM_ID set by them.
 *
 * Usage: cc_peer RANK NPROCS CORES MODE
 *   the process has CORES cores (NEURON_RT_NUM_CORES) and joins them as
 *   global ids RANK*CORES .. RANK*CORES+CORES-1 of a world of NPROCS*CORES;
 *   MODE: matrix    every op over several dtypes, sizes (1 element to
 *                   4 MiB, 64 MiB unless CC_TEST_SMALL), groups (in order,
 *                   reversed, a subgroup), in place and tensor lists
 *                   (CC_TEST_QUICK: three dtypes, no 65537-element case);
 *         death     one good all-reduce, then the last process dies
 *                   (SIGKILL itself); the others' next all-reduce must
 *                   fail (NRT_EXEC_HW_ERR_COLLECTIVES or NRT_TIMEOUT)
 *                   within the exec timeout, and the unit is then degraded;
 *         mismatch  process 0 runs an all-reduce while the others run an
 *                   all-gather: every member reports it (NRT_INVALID),
 *                   then a matching all-reduce works.
 * Exit 0 when every check held.
 */
#include "cc_case.h" /* first: harness.h defines _GNU_SOURCE */

#include <signal.h>

static uint32_t g_rank, g_nprocs, g_cores;

typedef struct rank_arg {
    const cc_case_t *c;
    uint32_t rank; /* in the group */
    int vnc;
    size_t bad;
    NRT_STATUS st;
} rank_arg_t;

static void *rank_main(void *p)
{
    rank_arg_t *a = p;
    a->bad = cc_run_rank(a->c, a->rank, a->vnc, &a->st);
    return NULL;
}

/* Runs |c| on every local core that is in its group; returns failures. */
static unsigned run_local(const cc_case_t *c, NRT_STATUS expect)
{
    pthread_t th[8];
    rank_arg_t args[8];
    unsigned n = 0, fails = 0;
    for (uint32_t r = 0; r < c->n; r++) {
        uint32_t gid = c->gids[r];
        if (gid / g_cores != g_rank)
            continue;
        args[n] = (rank_arg_t){.c = c, .rank = r, .vnc = (int)(gid % g_cores)};
        ASSERT_TRUE(pthread_create(&th[n], NULL, rank_main, &args[n]) == 0);
        n++;
    }
    for (unsigned i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        if (args[i].st != expect || args[i].bad) {
            fprintf(stderr, "cc_peer %u: FAIL %s dtype %d op %d elems %zu n %u rank %u: %s (expected %s), %zu wrong\n",
                    g_rank, cc_name(c->cc_op), (int)c->dtype, (int)c->op, c->elems, c->n, args[i].rank,
                    nrt_get_status_as_str(args[i].st), nrt_get_status_as_str(expect), args[i].bad);
            fails++;
        }
    }
    return fails;
}

static unsigned matrix(uint32_t world)
{
    const nrt_dtype_t dtypes[] = {NRT_DTYPE_FLOAT32, NRT_DTYPE_INT32, NRT_DTYPE_BFLOAT16, NRT_DTYPE_UINT8,
                                  NRT_DTYPE_FLOAT16, NRT_DTYPE_INT64};
    const size_t sizes[] = {1, 7, 1000, 65537, 1u << 20};
    const nrt_cc_op_type_t ccs[] = {NRT_CC_ALLREDUCE, NRT_CC_ALLGATHER, NRT_CC_REDUCESCATTER};
    const nrt_op_type_t ops[] = {NRT_OP_ADD, NRT_OP_MAX, NRT_OP_MIN};
    unsigned fails = 0, k = 0, cases = 0;
    bool quick = getenv("CC_TEST_QUICK") != NULL; /* sanitizer builds: fewer sizes and dtypes */
    for (unsigned g = 0; g < 3; g++) {
        cc_case_t base = {.world = world};
        if (g == 0) { /* everyone, in order */
            base.n = world;
            for (uint32_t i = 0; i < world; i++)
                base.gids[i] = i;
        } else if (g == 1) { /* everyone, reversed */
            base.n = world;
            for (uint32_t i = 0; i < world; i++)
                base.gids[i] = world - 1 - i;
        } else { /* the first and the last */
            if (world < 3)
                continue;
            base.n = 2;
            base.gids[0] = world - 1;
            base.gids[1] = 0;
        }
        for (unsigned o = 0; o < 3; o++)
            for (unsigned d = 0; d < 6; d++)
                for (unsigned s = 0; s < 5; s++, k++) {
                    if (s == 4 && d > 0)
                        continue; /* 4 MiB: fp32 only */
                    if (quick && (d > 2 || s == 3))
                        continue;
                    if ((d + s) % 2 && d > 1)
                        continue;
                    cc_case_t c = base;
                    c.cc_op = ccs[o];
                    c.dtype = dtypes[d];
                    c.op = ops[k % 3];
                    c.elems = sizes[s];
                    c.seed = k;
                    c.in_place = k % 4 == 1;
                    c.pieces = k % 5 == 2 ? 3 : 1;
                    fails += run_local(&c, NRT_SUCCESS);
                    cases++;
                }
    }
    if (!getenv("CC_TEST_SMALL")) {
        cc_case_t c = {.cc_op = NRT_CC_ALLREDUCE, .dtype = NRT_DTYPE_FLOAT32, .op = NRT_OP_ADD,
                       .elems = (16u << 20) + 1, .n = world, .world = world, .seed = 5};
        for (uint32_t i = 0; i < world; i++)
            c.gids[i] = i;
        fails += run_local(&c, NRT_SUCCESS);
        cases++;
    }
    printf("cc_peer %u: %u cases, %u failures\n", g_rank, cases, fails);
    return fails;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: cc_peer RANK NPROCS CORES matrix|death|mismatch\n");
        return 2;
    }
    g_rank = (uint32_t)atoi(argv[1]);
    g_nprocs = (uint32_t)atoi(argv[2]);
    g_cores = (uint32_t)atoi(argv[3]);
    const char *mode = argv[4];
    char buf[16];
    snprintf(buf, sizeof buf, "%u", g_cores);
    setenv("NEURON_RT_NUM_CORES", buf, 1);
    uint32_t world = g_nprocs * g_cores;
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    for (uint32_t v = 0; v < g_cores; v++)
        ASSERT_OK(nrt_cc_global_comm_init(v, g_rank * g_cores + v, world));
    unsigned fails = 0;
    cc_case_t all = {.cc_op = NRT_CC_ALLREDUCE, .dtype = NRT_DTYPE_FLOAT32, .op = NRT_OP_ADD, .elems = 1000,
                     .n = world, .world = world};
    for (uint32_t i = 0; i < world; i++)
        all.gids[i] = i;
    if (!strcmp(mode, "matrix")) {
        fails = matrix(world);
        /* Barrier and all-gather through the synchronous API (core 0 of each
         * process is not every member: only a world of 1 core per process). */
        if (g_cores == 1) {
            ASSERT_OK(nrt_barrier(0, g_rank, world));
            uint32_t mine = 1000 + g_rank, got[64] = {0};
            ASSERT_OK(nrt_all_gather(0, g_rank, world, sizeof mine, &mine, got));
            for (uint32_t i = 0; i < world; i++)
                if (got[i] != 1000 + i) {
                    fprintf(stderr, "cc_peer %u: nrt_all_gather entry %u is %u\n", g_rank, i, got[i]);
                    fails++;
                }
        }
    } else if (!strcmp(mode, "death")) {
        fails += run_local(&all, NRT_SUCCESS);
        if (g_rank == g_nprocs - 1) {
            fflush(NULL);
            kill(getpid(), SIGKILL);
        }
        double t0 = now_s();
        /* The others: the next collective fails, whatever the status. */
        pthread_t th;
        rank_arg_t a = {.c = &all, .rank = g_rank * g_cores, .vnc = 0};
        ASSERT_TRUE(g_cores == 1);
        pthread_create(&th, NULL, rank_main, &a);
        pthread_join(th, NULL);
        double dt = now_s() - t0;
        printf("cc_peer %u: after the death the all-reduce ended with %s in %.2f s\n", g_rank,
               nrt_get_status_as_str(a.st), dt);
        if (a.st != NRT_EXEC_HW_ERR_COLLECTIVES && a.st != NRT_TIMEOUT)
            fails++;
        /* The unit is degraded: a new collective is refused at once. */
        nrt_tensor_t *t = NULL;
        ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 4, "t", &t));
        nrt_tensor_list_t l = {&t, 1};
        nrt_cc_comm_t comm = {.replica_group = all.gids, .rank = g_rank, .rank_n = world,
                              .ctx_device_id = g_rank, .ctx_device_count = world, .vnc = 0};
        nrt_cc_context_t *ctx = NULL;
        ASSERT_OK(nrta_cc_prepare(&comm, &l, &l, NRT_DTYPE_FLOAT32, NRT_OP_ADD, NRT_CC_ALLREDUCE, &ctx));
        nrta_seq_t seq;
        ASSERT_ST(nrta_cc_schedule(&ctx, 0, NULL, &seq), NRT_EXEC_UNIT_UNRECOVERABLE);
        ASSERT_TRUE(ctx != NULL); /* refused: still the caller's */
        nrt_tensor_free(&t);
    } else if (!strcmp(mode, "mismatch")) {
        cc_case_t c = all;
        if (g_rank != 0)
            c.cc_op = NRT_CC_ALLGATHER;
        c.elems = 1000;
        fails += run_local(&c, NRT_INVALID);
        fails += run_local(&all, NRT_SUCCESS); /* still works afterwards */
    } else {
        fprintf(stderr, "cc_peer: unknown mode %s\n", mode);
        return 2;
    }
    nrt_close();
    return fails ? 1 : 0;
}

/*
 * tests/coll/test_cc_local.c - collectives between cores of one process
 * (one thread per rank), public API only: every op, several dtypes and
 * reductions, sizes from 1 element to 64 MiB including sizes the rank count
 * does not divide, in place, tensor lists, groups of 1 to 4 ranks in any
 * order, with the direct algorithm and the ring forced by a setting.
 * Usage: test_cc_local [direct|ring|failures]
 *   failures: bad comms and sizes refused; mismatched collectives reported
 *   on every member (small and large); a member that never arrives times
 *   out (OPENNRT_EXEC_TIMEOUT_MS) and degrades the unit.
 */
#include "cc_case.h"

#define WORLD 4

typedef struct rank_arg {
    const cc_case_t *c;
    uint32_t rank;
    size_t bad;
    NRT_STATUS st;
} rank_arg_t;

static void *rank_main(void *p)
{
    rank_arg_t *a = p;
    a->bad = cc_run_rank(a->c, a->rank, (int)a->c->gids[a->rank], &a->st);
    return NULL;
}

static size_t failures;

static void run_case(const cc_case_t *c)
{
    pthread_t th[8];
    rank_arg_t args[8];
    for (uint32_t r = 0; r < c->n; r++) {
        args[r] = (rank_arg_t){.c = c, .rank = r};
        ASSERT_TRUE(pthread_create(&th[r], NULL, rank_main, &args[r]) == 0);
    }
    for (uint32_t r = 0; r < c->n; r++) {
        pthread_join(th[r], NULL);
        if (args[r].st != NRT_SUCCESS || args[r].bad) {
            fprintf(stderr, "FAIL %s dtype %d op %d elems %zu n %u rank %u: %s, %zu wrong\n", cc_name(c->cc_op),
                    (int)c->dtype, (int)c->op, c->elems, c->n, r, nrt_get_status_as_str(args[r].st), args[r].bad);
            failures++;
        }
    }
}

static NRT_STATUS prep(uint32_t *gids, uint32_t rank, uint32_t n, uint32_t id, uint32_t count, uint32_t vnc,
                       nrt_tensor_t *in, nrt_tensor_t *out, nrt_dtype_t dt, nrt_op_type_t op, nrt_cc_op_type_t cc)
{
    nrt_tensor_list_t li = {&in, 1}, lo = {&out, 1};
    nrt_cc_comm_t comm = {.replica_group = gids, .rank = rank, .rank_n = n, .ctx_device_id = id,
                          .ctx_device_count = count, .vnc = vnc};
    nrt_cc_context_t *ctx = NULL;
    NRT_STATUS st = nrta_cc_prepare(&comm, &li, &lo, dt, op, cc, &ctx);
    ASSERT_TRUE((st == NRT_SUCCESS) == (ctx != NULL));
    return st;
}

static int failures_mode(void)
{
    setenv("OPENNRT_EXEC_TIMEOUT_MS", "3000", 1);
    setenv("OPENNRT_CC_WARN_MS", "500", 1);
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    for (uint32_t v = 0; v < WORLD; v++)
        ASSERT_OK(nrt_cc_global_comm_init(v, v, WORLD));
    ASSERT_ST(nrt_cc_global_comm_init(1, 2, WORLD), NRT_INVALID); /* core 1 is id 1 */
    ASSERT_ST(nrt_cc_global_comm_init(1, 1, WORLD + 1), NRT_INVALID); /* another world size */
    nrt_tensor_t *a, *b, *big, *c1;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 4000, "a", &a));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 8000, "b", &b));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 6, "big", &big));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, 4000, "c1", &c1));
    uint32_t g2[] = {0, 1}, dup[] = {0, 0}, far[] = {0, 9};
    /* Bad comms, sizes, dtypes, ops: NRT_INVALID, nothing returned. */
    ASSERT_ST(prep(g2, 2, 2, 0, WORLD, 0, a, a, NRT_DTYPE_FLOAT32, NRT_OP_ADD, NRT_CC_ALLREDUCE), NRT_INVALID);
    ASSERT_ST(prep(dup, 0, 2, 0, WORLD, 0, a, a, NRT_DTYPE_FLOAT32, NRT_OP_ADD, NRT_CC_ALLREDUCE), NRT_INVALID);
    ASSERT_ST(prep(far, 0, 2, 0, WORLD, 0, a, a, NRT_DTYPE_FLOAT32, NRT_OP_ADD, NRT_CC_ALLREDUCE), NRT_INVALID);
    ASSERT_ST(prep(g2, 0, 2, 1, WORLD, 0, a, a, NRT_DTYPE_FLOAT32, NRT_OP_ADD, NRT_CC_ALLREDUCE), NRT_INVALID);
    ASSERT_ST(prep(g2, 0, 2, 0, WORLD + 1, 0, a, a, NRT_DTYPE_FLOAT32, NRT_OP_ADD, NRT_CC_ALLREDUCE), NRT_INVALID);
    ASSERT_ST(prep(g2, 0, 2, 0, WORLD, 0, a, b, NRT_DTYPE_FLOAT32, NRT_OP_ADD, NRT_CC_ALLREDUCE), NRT_INVALID);
    ASSERT_ST(prep(g2, 0, 2, 0, WORLD, 0, a, a, NRT_DTYPE_FLOAT32, NRT_OP_ADD, NRT_CC_ALLGATHER), NRT_INVALID);
    ASSERT_ST(prep(g2, 0, 2, 0, WORLD, 0, a, a, NRT_DTYPE_FLOAT32, NRT_OP_ADD, NRT_CC_REDUCESCATTER), NRT_INVALID);
    ASSERT_ST(prep(g2, 0, 2, 0, WORLD, 0, a, a, NRT_DTYPE_FP8_E4, NRT_OP_ADD, NRT_CC_ALLREDUCE), NRT_INVALID);
    ASSERT_ST(prep(g2, 0, 2, 0, WORLD, 0, a, a, NRT_DTYPE_FLOAT32, NRT_OP_FMA, NRT_CC_ALLREDUCE), NRT_INVALID);
    ASSERT_ST(prep(g2, 0, 2, 0, WORLD, 0, big, big, NRT_DTYPE_FLOAT32, NRT_OP_ADD, NRT_CC_ALLREDUCE), NRT_INVALID);
    ASSERT_ST(prep(g2, 0, 2, 0, WORLD, 0, c1, c1, NRT_DTYPE_FLOAT32, NRT_OP_ADD, NRT_CC_ALLREDUCE), NRT_INVALID);
    ASSERT_ST(prep(g2, 0, 2, 0, WORLD, 99, a, a, NRT_DTYPE_FLOAT32, NRT_OP_ADD, NRT_CC_ALLREDUCE), NRT_INVALID);
    ASSERT_ST(prep(g2, 0, 2, 0, WORLD, 0, a, a, NRT_DTYPE_FLOAT32, NRT_OP_ADD, (nrt_cc_op_type_t)7), NRT_INVALID);
    nrt_tensor_free(&big);
    nrt_tensor_free(&c1);
    /* Mismatches: every member reports it; the group works afterwards.
     * Small (members completed by the last arriver) and large (members
     * working in parallel) against small. */
    const size_t mism_elems[][2] = {{1000, 1000}, {1u << 21, 1000}};
    for (int k = 0; k < 2; k++) {
        cc_case_t c0 = {.cc_op = NRT_CC_ALLREDUCE, .dtype = NRT_DTYPE_FLOAT32, .op = NRT_OP_ADD,
                        .elems = mism_elems[k][0], .n = 2, .world = WORLD, .gids = {0, 1}};
        cc_case_t c1c = c0;
        c1c.elems = mism_elems[k][1];
        if (k == 0)
            c1c.cc_op = NRT_CC_ALLGATHER;
        rank_arg_t r0 = {.c = &c0, .rank = 0}, r1 = {.c = &c1c, .rank = 1};
        pthread_t t0, t1;
        pthread_create(&t0, NULL, rank_main, &r0);
        pthread_create(&t1, NULL, rank_main, &r1);
        pthread_join(t0, NULL);
        pthread_join(t1, NULL);
        ASSERT_ST(r0.st, NRT_INVALID);
        ASSERT_ST(r1.st, NRT_INVALID);
        cc_case_t ok = c0;
        ok.elems = 77;
        run_case(&ok);
    }
    /* A member that never arrives: rank 0 times out, its unit degrades;
     * core 1 (which never scheduled) is unaffected. */
    nrta_error_tracker_t *trk;
    ASSERT_OK(nrta_error_tracker_create(0, &trk));
    nrt_tensor_list_t la = {&a, 1};
    nrt_cc_comm_t comm = {.replica_group = g2, .rank = 0, .rank_n = 2, .ctx_device_id = 0,
                          .ctx_device_count = WORLD, .vnc = 0};
    nrt_cc_context_t *ctx;
    ASSERT_OK(nrta_cc_prepare(&comm, &la, &la, NRT_DTYPE_FLOAT32, NRT_OP_ADD, NRT_CC_ALLREDUCE, &ctx));
    nrta_seq_t seq;
    ASSERT_OK(nrta_cc_schedule(&ctx, 0, trk, &seq));
    ASSERT_TRUE(cu_wait(seq, 30));
    const nrta_error_t *errs;
    size_t nerr;
    ASSERT_OK(nrta_error_tracker_get_list(trk, &errs, &nerr));
    ASSERT_EQ_U64(nerr, 1);
    ASSERT_ST((NRT_STATUS)errs[0].error_code, NRT_TIMEOUT);
    ASSERT_OK(nrta_cc_prepare(&comm, &la, &la, NRT_DTYPE_FLOAT32, NRT_OP_ADD, NRT_CC_ALLREDUCE, &ctx));
    ASSERT_ST(nrta_cc_schedule(&ctx, 0, trk, &seq), NRT_EXEC_UNIT_UNRECOVERABLE);
    ASSERT_TRUE(ctx != NULL); /* refused: still ours; nrt_close frees it */
    nrta_error_tracker_destroy(trk);
    nrt_tensor_free(&a);
    nrt_tensor_free(&b);
    nrt_close();
    printf("failures: ok (%zu unexpected)\n", failures);
    return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "direct";
    if (!strcmp(mode, "failures")) {
        setenv("NEURON_RT_NUM_CORES", "4", 1);
        return failures_mode();
    }
    if (!strcmp(mode, "ring")) {
        setenv("OPENNRT_CC_ALLREDUCE", "ring", 1);
        setenv("OPENNRT_CC_ALLGATHER", "ring", 1);
        setenv("OPENNRT_CC_REDUCESCATTER", "ring", 1);
    }
    setenv("NEURON_RT_NUM_CORES", "4", 1);
    bool big = !getenv("CC_TEST_SMALL");
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    for (uint32_t v = 0; v < WORLD; v++)
        ASSERT_OK(nrt_cc_global_comm_init(v, v, WORLD)); /* one thread joins every core */
    ASSERT_OK(nrt_cc_global_comm_init(0, 0, WORLD));     /* again: a no-op */

    const nrt_dtype_t dtypes[] = {NRT_DTYPE_FLOAT32, NRT_DTYPE_INT32, NRT_DTYPE_UINT8, NRT_DTYPE_BFLOAT16,
                                  NRT_DTYPE_FLOAT16, NRT_DTYPE_INT64, NRT_DTYPE_UINT16, NRT_DTYPE_INT8};
    const nrt_op_type_t ops[] = {NRT_OP_ADD, NRT_OP_MAX, NRT_OP_MIN};
    const size_t sizes[] = {1, 3, 7, 1000, 65537};
    const nrt_cc_op_type_t ccs[] = {NRT_CC_ALLREDUCE, NRT_CC_ALLGATHER, NRT_CC_REDUCESCATTER};
    const uint32_t groups[][4] = {{0}, {0, 1}, {2, 0, 1}, {0, 1, 2, 3}, {3, 1}};
    const uint32_t gsize[] = {1, 2, 3, 4, 2};
    unsigned k = 0, cases = 0;
    for (unsigned g = 0; g < 5; g++)
        for (unsigned o = 0; o < 3; o++)
            for (unsigned d = 0; d < 8; d++)
                for (unsigned s = 0; s < 5; s++, k++) {
                    if ((d + s + g) % 2 && s != 4 && d > 1)
                        continue; /* thin the matrix; every dtype still meets every op and group */
                    if (getenv("CC_TEST_QUICK") && (d > 3 || s == 4))
                        continue; /* sanitizer builds */
                    cc_case_t c = {.cc_op = ccs[o], .dtype = dtypes[d], .op = ops[k % 3], .elems = sizes[s],
                                   .n = gsize[g], .world = WORLD, .seed = k, .in_place = (k % 4) == 1,
                                   .pieces = (k % 5) == 2 ? 3 : 1};
                    memcpy(c.gids, groups[g], sizeof groups[g]);
                    run_case(&c);
                    cases++;
                }
    /* Large: 64 MiB fp32 all-reduce over 2 and 4 ranks, 16 MiB all-gather
     * and reduce-scatter over 4. */
    if (big) {
        cc_case_t c = {.cc_op = NRT_CC_ALLREDUCE, .dtype = NRT_DTYPE_FLOAT32, .op = NRT_OP_ADD,
                       .elems = 16u << 20, .n = 2, .world = WORLD, .gids = {0, 1}, .seed = 3};
        run_case(&c);
        c.n = 4, c.gids[2] = 2, c.gids[3] = 3, c.elems = (16u << 20) + 3, c.in_place = true;
        run_case(&c);
        c.cc_op = NRT_CC_ALLGATHER, c.elems = 1u << 20, c.in_place = false;
        run_case(&c);
        c.cc_op = NRT_CC_REDUCESCATTER, c.op = NRT_OP_MAX;
        run_case(&c);
        cases += 4;
    }
    /* Barrier and all-gather of the whole world, synchronous, one thread
     * per core. */
    nrt_close();
    printf("%u cases (%s), %zu failures\n", cases, mode, failures);
    return failures ? 1 : 0;
}

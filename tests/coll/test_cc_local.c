/*
 * tests/coll/test_cc_local.c - collectives between cores of one process
 * (one thread per rank), public API only: every op, several dtypes and
 * reductions, sizes from 1 element to 64 MiB including sizes the rank count
 * does not divide, in place, tensor lists, groups of 1 to 4 ranks in any
 * order, with the direct algorithm and the ring forced by a setting.
 * Usage: test_cc_local [direct|ring]
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

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "direct";
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

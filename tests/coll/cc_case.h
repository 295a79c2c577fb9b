/*
 * tests/coll/cc_case.h - one collective, run by one rank, verified: the
 * piece shared by the in-process test (a thread per rank) and the
 * multi-process / network-namespace tests (a process per rank).
 */
#pragma once

#include "coll_util.h"

typedef struct cc_case {
    nrt_cc_op_type_t cc_op;
    nrt_dtype_t dtype;
    nrt_op_type_t op;
    size_t elems;   /* per rank input elements (AR, AG); per rank output (RS) */
    uint32_t n;     /* group size */
    uint32_t gids[8];
    uint32_t world;
    bool in_place;  /* AR: input tensor is the output tensor */
    uint32_t pieces; /* tensors in each list (1: plain) */
    uint32_t seed;
} cc_case_t;

static inline const char *cc_name(nrt_cc_op_type_t op)
{
    return op == NRT_CC_ALLREDUCE ? "allreduce" : op == NRT_CC_ALLGATHER ? "allgather" : "reducescatter";
}

/* Allocates |total| bytes on |vnc| as |pieces| tensors (uneven split). */
static inline void cc_alloc_list(int vnc, size_t total, size_t es, uint32_t pieces, nrt_tensor_t **ts, const char *nm)
{
    size_t elems = total / es, done = 0;
    for (uint32_t p = 0; p < pieces; p++) {
        size_t e = elems / pieces / 2 + (p * 3 % 5);
        if (e > elems - done || p + 1 == pieces)
            e = elems - done;
        char name[64];
        snprintf(name, sizeof name, "%s%u", nm, p);
        ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, vnc, e * es, name, &ts[p]));
        done += e;
    }
}

static inline void cc_write_list(nrt_tensor_t **ts, uint32_t pieces, const char *buf)
{
    size_t off = 0;
    for (uint32_t p = 0; p < pieces; p++) {
        size_t sz = nrt_tensor_get_size(ts[p]);
        if (sz)
            ASSERT_OK(nrt_tensor_write(ts[p], buf + off, 0, sz));
        off += sz;
    }
}

static inline void cc_read_list(nrt_tensor_t **ts, uint32_t pieces, char *buf)
{
    size_t off = 0;
    for (uint32_t p = 0; p < pieces; p++) {
        size_t sz = nrt_tensor_get_size(ts[p]);
        if (sz)
            ASSERT_OK(nrt_tensor_read(ts[p], buf + off, 0, sz));
        off += sz;
    }
}

/* Runs case |c| as rank |rank| on core |vnc|; returns the number of wrong
 * elements (prints the first). |status| gets the tracker's status. */
static inline size_t cc_run_rank(const cc_case_t *c, uint32_t rank, int vnc, NRT_STATUS *status)
{
    size_t es = cu_esize(c->dtype), n = c->n;
    size_t in_e = c->cc_op == NRT_CC_REDUCESCATTER ? c->elems * n : c->elems;
    size_t out_e = c->cc_op == NRT_CC_ALLGATHER ? c->elems * n : c->elems;
    uint32_t gid = c->gids[rank];
    char *in = malloc(in_e * es + 1), *out = malloc(out_e * es + 1);
    ASSERT_TRUE(in && out);
    for (size_t i = 0; i < in_e; i++)
        cu_store(in, i, c->dtype, cu_value(gid, i, c->seed, c->dtype));
    nrt_tensor_t *ti[8] = {0}, *to[8] = {0};
    uint32_t pieces = c->pieces ? c->pieces : 1;
    cc_alloc_list(vnc, in_e * es, es, pieces, ti, "in");
    cc_write_list(ti, pieces, in);
    bool inplace = c->in_place && c->cc_op == NRT_CC_ALLREDUCE;
    if (inplace) {
        for (uint32_t p = 0; p < pieces; p++)
            to[p] = ti[p];
    } else {
        cc_alloc_list(vnc, out_e * es, es, pieces, to, "out");
        memset(out, 0x5a, out_e * es);
        cc_write_list(to, pieces, out);
    }
    nrt_tensor_list_t li = {ti, pieces}, lo = {to, pieces};
    nrt_cc_comm_t comm = {.replica_group = (uint32_t *)c->gids, .rank = rank, .rank_n = c->n,
                          .ctx_device_id = gid, .ctx_device_count = c->world, .vnc = (uint32_t)vnc};
    nrt_cc_context_t *ctx = NULL;
    ASSERT_OK(nrta_cc_prepare(&comm, &li, &lo, c->dtype, c->op, c->cc_op, &ctx));
    nrta_error_tracker_t *trk = NULL;
    ASSERT_OK(nrta_error_tracker_create(vnc, &trk));
    nrta_seq_t seq;
    ASSERT_OK(nrta_cc_schedule(&ctx, 0, trk, &seq));
    ASSERT_TRUE(ctx == NULL);
    if (!cu_wait(seq, 60)) {
        fprintf(stderr, "rank %u: %s did not complete within 60 s\n", rank, cc_name(c->cc_op));
        abort();
    }
    *status = NRT_SUCCESS;
    const nrta_error_t *errs = NULL;
    size_t nerr = 0;
    ASSERT_OK(nrta_error_tracker_get_list(trk, &errs, &nerr));
    if (nerr)
        *status = (NRT_STATUS)errs[0].error_code;
    size_t bad = 0;
    if (*status == NRT_SUCCESS) {
        cc_read_list(to, pieces, out);
        for (size_t i = 0; i < out_e; i++) {
            double want;
            if (c->cc_op == NRT_CC_ALLREDUCE)
                want = cu_expect(c->gids, c->n, i, c->dtype, c->op, c->seed);
            else if (c->cc_op == NRT_CC_ALLGATHER)
                want = cu_input(c->gids[i / c->elems], i % c->elems, c->dtype, c->seed);
            else
                want = cu_expect(c->gids, c->n, rank * c->elems + i, c->dtype, c->op, c->seed);
            double got = cu_load(out, i, c->dtype);
            if (!cu_close(got, want, c->dtype)) {
                if (!bad)
                    fprintf(stderr, "%s %zu elems dtype %d op %d n %u rank %u: element %zu is %g, expected %g\n",
                            cc_name(c->cc_op), c->elems, (int)c->dtype, (int)c->op, c->n, rank, i, got, want);
                bad++;
            }
        }
    }
    nrta_error_tracker_destroy(trk);
    for (uint32_t p = 0; p < pieces; p++) {
        nrt_tensor_free(&ti[p]);
        if (!inplace)
            nrt_tensor_free(&to[p]);
    }
    free(in);
    free(out);
    return bad;
}

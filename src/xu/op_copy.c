/*
 * src/xu/op_copy.c - the tensor read, write and copy ops (TENSOR_READ,
 * TENSOR_WRITE, TENSOR_OP units).
 *
 * Each op holds a reference to the storage it touches. The copy goes
 * through the device seam in cancellable chunks: when the request exceeds
 * the exec timeout it stops at the next chunk and completes with
 * NRT_TIMEOUT, so the caller's buffer is never touched after completion.
 */
#include "dev/dev.h"
#include "tensor/tensor.h"
#include "xu/xu.h"

typedef struct io_payload {
    nrt__storage_t *st; /* retained */
    void *dst;
    const void *src;
} io_payload_t;
NRT__OP_PAYLOAD_FITS(io_payload_t);

typedef struct copy_payload {
    nrt__storage_t *src_st, *dst_st; /* retained */
    void *dst;
    const void *src;
} copy_payload_t;
NRT__OP_PAYLOAD_FITS(copy_payload_t);

typedef struct op_cancel {
    nrt__cancel_t base;
    const nrt__queue_t *q;
    uint64_t pos;
} op_cancel_t;

static bool op_cancelled(const nrt__cancel_t *c)
{
    const op_cancel_t *oc = (const op_cancel_t *)c;
    return nrt__queue_cancelled(oc->q, oc->pos);
}

static NRT_STATUS run_io(nrt__op_t *op, nrt__queue_t *q, uint64_t pos)
{
    io_payload_t *p = NRT__OP_PAYLOAD_OF(op, io_payload_t);
    op_cancel_t c = {{op_cancelled}, q, pos};
    return nrt__dev()->copy(p->dst, p->src, op->size, &c.base);
}

static void release_io(nrt__op_t *op)
{
    nrt__storage_release(NRT__OP_PAYLOAD_OF(op, io_payload_t)->st);
}

static NRT_STATUS run_copy(nrt__op_t *op, nrt__queue_t *q, uint64_t pos)
{
    copy_payload_t *p = NRT__OP_PAYLOAD_OF(op, copy_payload_t);
    op_cancel_t c = {{op_cancelled}, q, pos};
    return nrt__dev()->copy(p->dst, p->src, op->size, &c.base);
}

static void release_copy(nrt__op_t *op)
{
    copy_payload_t *p = NRT__OP_PAYLOAD_OF(op, copy_payload_t);
    nrt__storage_release(p->src_st);
    nrt__storage_release(p->dst_st);
}

static const nrt__op_vtbl_t read_vtbl = {"read", run_io, release_io, true, sizeof(io_payload_t)};
static const nrt__op_vtbl_t write_vtbl = {"write", run_io, release_io, true, sizeof(io_payload_t)};
static const nrt__op_vtbl_t copy_vtbl = {"copy", run_copy, release_copy, true, sizeof(copy_payload_t)};

static void io_init(nrt__op_t *op, const nrt__op_vtbl_t *vtbl, nrt__storage_t *st, void *dst, const void *src,
                    uint64_t size)
{
    op->vtbl = vtbl;
    op->size = size;
    io_payload_t *p = NRT__OP_PAYLOAD_OF(op, io_payload_t);
    p->st = st;
    p->dst = dst;
    p->src = src;
    nrt__storage_retain(st);
}

void nrt__op_read_init(nrt__op_t *op, nrt__storage_t *st, void *dev, void *host, uint64_t size)
{
    io_init(op, &read_vtbl, st, host, dev, size);
}

void nrt__op_write_init(nrt__op_t *op, nrt__storage_t *st, void *dev, const void *host, uint64_t size)
{
    io_init(op, &write_vtbl, st, dev, host, size);
}

void nrt__op_copy_init(nrt__op_t *op, nrt__storage_t *src, const void *s, nrt__storage_t *dst, void *d,
                       uint64_t size)
{
    op->vtbl = &copy_vtbl;
    op->size = size;
    copy_payload_t *p = NRT__OP_PAYLOAD_OF(op, copy_payload_t);
    p->src_st = src;
    p->dst_st = dst;
    p->src = s;
    p->dst = d;
    nrt__storage_retain(src);
    nrt__storage_retain(dst);
}

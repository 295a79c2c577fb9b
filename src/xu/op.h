/*
 * src/xu/op.h - a request is an op: an ops table (name, run, release) plus
 * a fixed-size inline payload that lives in the queue's ring slot, so a
 * request needs no allocation of its own.
 *
 * Contract of an ops table (when each callback runs, on which thread):
 *  - run(op, q, pos): on the strand owner's thread (a pool worker or a
 *    synchronous caller), when every earlier request of the queue has
 *    completed. Returns the request's status, or NRT__OP_PENDING when the
 *    op finishes later (such an op must be cancellable: its run() returns
 *    quickly, and the watchdog never takes a cancellable op over, so the
 *    completion stays the op's own): then exactly one call of nrt__queue_complete(q,
 *    pos + 1, status) follows, from any thread (possibly before run
 *    returns), and the queue starts nothing else until it came. An op that
 *    can stop early polls nrt__queue_cancelled(q, pos) and returns
 *    NRT_TIMEOUT when told to (copies between caller and runtime memory do:
 *    once a request reported complete, the caller's memory is never touched
 *    again).
 *  - release(op): drops every reference the op holds, exactly once, on the
 *    completing thread, after the tracker entry and before the slot is
 *    freed and completion published. Also called by a schedule call that
 *    was refused (nothing ran).
 * Adding a kind of request (collectives, transfers) is a new ops table in
 * its own module; the queue code does not change.
 */
#pragma once

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nrt/nrt_async.h"

struct nrt__queue;
struct nrt__op;

#define NRT__OP_PENDING ((NRT_STATUS)0x7fff0001)
#define NRT__OP_PAYLOAD 192

typedef struct nrt__op_vtbl {
    const char *name; /* trace label: "read", "execute", ... */
    NRT_STATUS (*run)(struct nrt__op *op, struct nrt__queue *q, uint64_t pos);
    void (*release)(struct nrt__op *op);
    /* run() polls nrt__queue_cancelled and stops when told to; else the
     * watchdog takes a hung request over and completes it itself. */
    bool cancellable;
    /* Payload bytes the op uses: submit copies only those into the slot
     * (cache lines the producer and the runner would otherwise bounce). */
    uint16_t payload_size;
} nrt__op_vtbl_t;

typedef struct nrt__op {
    const nrt__op_vtbl_t *vtbl;
    nrta_error_tracker_t *tracker; /* retained, may be NULL */
    NRT_STATUS *sync_status;       /* set for synchronous callers */
    uint64_t size;                 /* bytes moved (trace label) */
    uint64_t enq_ns;               /* only when tracing */
    alignas(16) unsigned char payload[NRT__OP_PAYLOAD];
} nrt__op_t;

/* Declares at file scope that |type| fits an op's inline payload. */
#define NRT__OP_PAYLOAD_FITS(type)                                             \
    _Static_assert(sizeof(type) <= NRT__OP_PAYLOAD && _Alignof(type) <= 16,    \
                   #type " does not fit an op's inline payload")

#define NRT__OP_PAYLOAD_OF(op, type) ((type *)(void *)(op)->payload)

/* Bytes of |op| that matter (header + used payload). */
#define NRT__OP_USED_SIZE(op) (offsetof(nrt__op_t, payload) + (op)->vtbl->payload_size)

/* Releases everything |op| holds (its own references and its tracker). */
void nrt__op_release(nrt__op_t *op);

/* Op constructors (references taken on success). */
struct nrt__storage;
/* Tensor read / write / copy (op_copy.c). */
void nrt__op_read_init(nrt__op_t *op, struct nrt__storage *st, void *dev, void *host, uint64_t size);
void nrt__op_write_init(nrt__op_t *op, struct nrt__storage *st, void *dev, const void *host, uint64_t size);
void nrt__op_copy_init(nrt__op_t *op, struct nrt__storage *src, const void *s, struct nrt__storage *dst, void *d,
                       uint64_t size);
/* Model execution (op_exec.c): binds |model|'s tensors from the sets. */
NRT_STATUS nrt__op_exec_init(nrt__op_t *op, nrt_model_t *model, const nrt_tensor_set_t *input,
                             nrt_tensor_set_t *output, const char *func);

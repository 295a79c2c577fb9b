/*
 * src/tensor/tensor.h - tensors, their reference-counted storage, and
 * tensor sets (private).
 *
 * Lifetime rule: a tensor's bytes live in a storage object. The tensor,
 * every slice of it and every queued request that touches it hold a
 * reference to the storage; the bytes are released when the last one goes.
 * Tensor objects themselves are referenced by the user and by the tensor
 * sets that contain them.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/obj.h"
#include "nrt/nrt.h"
#include "nrt/nrt_experimental.h"

typedef struct nrt__storage {
    _Atomic uint32_t refs;
    bool owned;     /* we free |ptr| */
    int core;       /* accounted against this core, -1: host */
    uint32_t gen;   /* runtime generation it was accounted in */
    void *ptr;
    size_t size;
    _Atomic uint64_t completions; /* executions that wrote it (core/compat.c) */
} nrt__storage_t;

struct nrt_tensor {
    nrt__obj_t obj;     /* references: the user's handle + tensor sets */
    nrt__storage_t *st; /* NULL: no storage yet (empty/virtual) */
    size_t offset;         /* into st */
    size_t size;
    nrt_tensor_placement_t placement;
    int core;              /* -1: host */
    char name[NRT_TENSOR_NAME_MAX];
    /* Guards (st, offset, size) against nrt_tensor_attach_buffer on another
     * thread: held for a few instructions (nrt__tensor_use). */
    _Atomic bool view_lock;
};

typedef struct nrt__tset_entry {
    char *name;
    nrt_tensor_t *tensor;
} nrt__tset_entry_t;

typedef struct nrt__tset {
    nrt__obj_t obj;
    size_t count, cap;
    nrt__tset_entry_t *entries;
} nrt__tset_t;

extern const nrt__obj_type_t nrt__tensor_type, nrt__tset_type;

void nrt__storage_retain(nrt__storage_t *st);
void nrt__storage_release(nrt__storage_t *st);

/* Handle checks (the object model's); log and return false when wrong. */
static inline bool nrt__tensor_check(const nrt_tensor_t *t, const char *func)
{
    return nrt__obj_check(t, &nrt__tensor_type, func);
}
static inline bool nrt__tset_check(const void *set, const char *func)
{
    return nrt__obj_check(set, &nrt__tset_type, func);
}

/* The bytes [offset, offset + size) of |t|, read as one against
 * nrt_tensor_attach_buffer on another thread: checks the handle, that it
 * has storage and the range (|nonempty|: size 0 refused too), each logged
 * once with |func| and NRT_INVALID. On success *out_data is the address;
 * with |out_st| the storage is retained for the caller (release it with
 * nrt__storage_release), so a buffer attached meanwhile never frees what a
 * request still uses. */
NRT_STATUS nrt__tensor_use(const nrt_tensor_t *t, uint64_t offset, uint64_t size, bool nonempty, const char *func,
                           nrt__storage_t **out_st, char **out_data);
/* |t|'s size, read against nrt_tensor_attach_buffer on another thread. */
size_t nrt__tensor_size(const nrt_tensor_t *t);

/* Looks |name| up; NULL if absent. */
nrt_tensor_t *nrt__tset_find(const nrt__tset_t *set, const char *name);

/* The tensor's bytes; NULL when it has no storage. */
static inline char *nrt__tensor_data(const nrt_tensor_t *t)
{
    return t->st ? (char *)t->st->ptr + t->offset : NULL;
}

/* Called by nrt_close: releases every set and tensor still alive. */
void nrt__tensor_close_all(void);

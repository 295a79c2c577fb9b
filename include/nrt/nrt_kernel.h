/*
 * nrt/nrt_kernel.h - the OpenNRT kernel ABI: what a model object exports.
 *
 * On OpenNRT a "model" is an ELF shared object (built for the host) that
 * exports one symbol, NRT_KERNEL_SYMBOL, of type nrt_kernel_descriptor_t.
 * nrt_load() receives the object's bytes, loads them from memory, checks the
 * descriptor and calls init() once per load. Each nrt_execute /
 * nrta_execute_schedule calls execute() on the COMPUTE unit of the model's
 * core, one execution at a time per core.
 *
 * A model object is code: it is trusted exactly like any library the
 * application links. What OpenNRT guarantees never to crash on is bytes
 * that are not a well-formed model object.
 *
 * Define a model with NRT_KERNEL_DEFINE (see docs/MODELS.md):
 *
 *   static const nrt_kernel_tensor_t ins[] = {{"a", NRT_DTYPE_FLOAT32, 1, {1024}, 4096}};
 *   ...
 *   NRT_KERNEL_DEFINE("vadd", ins, outs, NULL, NULL, my_execute);
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "nrt/nrt.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NRT_KERNEL_MAGIC 0x4b524e4fu /* "ONRK" little-endian */
#define NRT_KERNEL_ABI_VERSION 1u
#define NRT_KERNEL_SYMBOL "nrt_kernel_descriptor"
#define NRT_KERNEL_MAX_DIMS 8
#define NRT_KERNEL_MAX_TENSORS 256

/* One input or output. |size| must equal the product of |shape| times the
 * dtype's element size (checked at load). |name| is at most 255 bytes and
 * unique among the model's tensors. */
typedef struct nrt_kernel_tensor {
    const char *name;
    nrt_dtype_t dtype;
    uint32_t ndim; /* 1..NRT_KERNEL_MAX_DIMS */
    uint32_t shape[NRT_KERNEL_MAX_DIMS];
    uint64_t size; /* bytes */
} nrt_kernel_tensor_t;

/* What execute() receives: one host pointer per declared tensor, in
 * declaration order, each valid for the tensor's |size| bytes for the
 * duration of the call. Inputs and outputs never alias each other unless
 * the application passed overlapping tensors. */
typedef struct nrt_kernel_args {
    void *state;               /* what init() stored, else NULL */
    const void *const *inputs; /* num_inputs pointers */
    void *const *outputs;      /* num_outputs pointers */
    uint32_t lnc;              /* the core running it */
} nrt_kernel_args_t;

/* What init() receives. */
typedef struct nrt_kernel_load_info {
    uint32_t lnc;
    uint32_t ctx_device_id;    /* from nrt_load_collectives, else 0 */
    uint32_t ctx_device_count; /* from nrt_load_collectives, else 1 */
} nrt_kernel_load_info_t;

typedef struct nrt_kernel_descriptor {
    uint32_t magic;       /* NRT_KERNEL_MAGIC */
    uint32_t abi_version; /* NRT_KERNEL_ABI_VERSION */
    const char *name;     /* model name, 1..255 bytes */
    uint32_t num_inputs;  /* 0..NRT_KERNEL_MAX_TENSORS */
    uint32_t num_outputs; /* 1..NRT_KERNEL_MAX_TENSORS */
    const nrt_kernel_tensor_t *inputs;
    const nrt_kernel_tensor_t *outputs;
    /* Optional: per-load state. Returns NRT_SUCCESS or a failure that makes
     * nrt_load fail with that status. */
    NRT_STATUS (*init)(const nrt_kernel_load_info_t *info, void **out_state);
    /* Optional: releases what init() made. */
    void (*fini)(void *state);
    /* Required: runs the model. Returns NRT_SUCCESS, or the status to
     * record in the request's error tracker (for example
     * NRT_EXEC_COMPLETED_WITH_ERR). */
    NRT_STATUS (*execute)(const nrt_kernel_args_t *args);
} nrt_kernel_descriptor_t;

/* Entries of a tensor table: the array's size over the entry's. A NULL
 * table (a pointer, 8 bytes, smaller than one 56-byte entry) counts 0. */
#define NRT_KERNEL_COUNT_(arr) ((uint32_t)(sizeof(arr) / sizeof(nrt_kernel_tensor_t)))

/* C++: a const object at namespace scope has internal linkage unless
 * declared extern; the descriptor must be exported with C linkage. */
#ifdef __cplusplus
#define NRT_KERNEL_LINKAGE_ extern "C"
#else
#define NRT_KERNEL_LINKAGE_
#endif

/* Defines the exported descriptor from two arrays of nrt_kernel_tensor_t
 * (|ins| may be NULL for a model without inputs; |outs| must be an array,
 * not a pointer). Usable from C and C++. */
#define NRT_KERNEL_DEFINE(model_name, ins, outs, init_fn, fini_fn, execute_fn)                          \
    NRT_KERNEL_LINKAGE_ __attribute__((visibility("default"))) const nrt_kernel_descriptor_t            \
        nrt_kernel_descriptor = {NRT_KERNEL_MAGIC,        NRT_KERNEL_ABI_VERSION,  (model_name),          \
                                 NRT_KERNEL_COUNT_(ins),  NRT_KERNEL_COUNT_(outs), (ins),                 \
                                 (outs),                  (init_fn),               (fini_fn),             \
                                 (execute_fn)}

/* Element size in bytes of |dtype|, 0 for an unknown dtype. */
static inline size_t nrt_kernel_dtype_size(nrt_dtype_t dtype)
{
    switch (dtype) {
    case NRT_DTYPE_FP8_E3: case NRT_DTYPE_FP8_E4: case NRT_DTYPE_FP8_E5:
    case NRT_DTYPE_UINT8: case NRT_DTYPE_INT8:
        return 1;
    case NRT_DTYPE_FLOAT16: case NRT_DTYPE_BFLOAT16: case NRT_DTYPE_UINT16: case NRT_DTYPE_INT16:
        return 2;
    case NRT_DTYPE_FLOAT32: case NRT_DTYPE_FP32R: case NRT_DTYPE_UINT32: case NRT_DTYPE_INT32:
        return 4;
    case NRT_DTYPE_UINT64: case NRT_DTYPE_INT64:
        return 8;
    default:
        return 0;
    }
}

#ifdef __cplusplus
}
#endif

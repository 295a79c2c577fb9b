/*
 * ndl/neuron_driver_shared_tensor_batch_op.h - one element of a batched
 * tensor read or write (see nrt_tensor_read_batch / nrt_tensor_write_batch).
 */
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t nrt_tensor_batch_offset_t;
typedef uint64_t nrt_tensor_batch_size_t;

typedef struct nrt_tensor_batch_op {
    nrt_tensor_batch_offset_t offset; /* byte offset into the tensor */
    nrt_tensor_batch_size_t size;     /* bytes to transfer */
    void *buffer;                     /* host buffer of at least |size| bytes */
} nrt_tensor_batch_op_t;

#ifdef __cplusplus
}
#endif

/*
 * nrt/nrt_experimental.h - model tensor info, model info, barrier,
 * all-gather.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "nrt/nrt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    NRT_TENSOR_USAGE_INPUT = 0,
    NRT_TENSOR_USAGE_OUTPUT = 1
} nrt_tensor_usage_t;

#define NRT_TENSOR_NAME_MAX 256

typedef struct nrt_tensor_info {
    char name[NRT_TENSOR_NAME_MAX];
    nrt_tensor_usage_t usage;
    size_t size;
    nrt_dtype_t dtype;
    uint32_t *shape;
    uint32_t ndim;
} nrt_tensor_info_t;

typedef struct nrt_tensor_info_array {
    uint64_t tensor_count;
    nrt_tensor_info_t tensor_array[];
} nrt_tensor_info_array_t;

typedef struct nrt_model_info {
    uint32_t vnc;
} nrt_model_info_t;

/* Inputs first, then outputs, in the model's declared order. Free the
 * result with nrt_free_model_tensor_info(). */
NRT_STATUS nrt_get_model_tensor_info(nrt_model_t *model, nrt_tensor_info_array_t **tensor_info);
NRT_STATUS nrt_free_model_tensor_info(nrt_tensor_info_array_t *tensor_info);
NRT_STATUS nrt_get_model_info(const nrt_model_t *model, nrt_model_info_t *info, size_t info_size_in,
                              size_t *info_size_out);
NRT_STATUS nrt_barrier(int32_t vnc, uint32_t g_device_id, uint32_t g_device_count);
NRT_STATUS nrt_all_gather(int32_t vnc, uint32_t g_device_id, uint32_t g_device_count, uint32_t rank_input_size,
                          void *input, void *output);

/* Copies |size| bytes from host memory |src| to device memory |dest| (a
 * device tensor's bytes, as nrt_tensor_get_va returns them; device memory
 * is host memory in OpenNRT, so this is a copy). NULL with size > 0:
 * NRT_INVALID. libfabric's Neuron memory support calls it. */
NRT_STATUS nrt_memcpy_to_device(void *dest, const void *src, size_t size);

/* Waits until every execution queued on core |vnc_idx| (COMPUTE queues)
 * has completed. NRT_INVALID for a core that does not exist. */
NRT_STATUS nrt_async_drain_queued_execs(int32_t vnc_idx);

#ifdef __cplusplus
}
#endif

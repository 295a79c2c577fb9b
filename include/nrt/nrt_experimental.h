/*
 * nrt/nrt_experimental.h - model tensor info, model info, barrier,
 * all-gather.
 */
#pragma once

#include <stdbool.h>
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

/* Called on a worker thread when an execution completes: |params| as
 * registered, |model_id| 0 (OpenNRT models have no numeric id), |vnc| the
 * core, |job_id| the execution's sequence number on its queue, |status|
 * its result. It must not block, and must not call
 * nrt_register_async_exec_callback (callbacks are serialized under the
 * lock that registration takes). */
typedef void (*NRT_ASYNC_EXEC_STATUS_CALLBACK)(void *params, uint32_t model_id, uint32_t vnc, uint64_t job_id,
                                               NRT_STATUS status);

/* Registers |callback| (NULL: none), replacing the previous one; it is
 * called for every execution, synchronous (nrt_execute) or queued, that
 * completes afterwards. Any time, also before nrt_init. */
NRT_STATUS nrt_register_async_exec_callback(NRT_ASYNC_EXEC_STATUS_CALLBACK callback, void *params);

/* Concurrent callers of nrt_execute a model serves well: 1 (executions of
 * one core run one at a time). NRT_INVALID for a NULL or released
 * argument; state-checked. */
NRT_STATUS nrt_get_model_instance_count(nrt_model_t *model, uint32_t *instance_count);

/* The same as in nrt/nrt_profile.h (the Neuron headers declare them here). */
NRT_STATUS nrt_trace_start(bool trace_mem);
NRT_STATUS nrt_trace_stop(const char *filename);

/* The NCCL network plugin built into the Neuron runtime: OpenNRT has none.
 * Returns NULL, sets *err (if given) to 1 and |err_msg| (if given) to the
 * reason, with one log line. Any time. */
void *nrt_get_libnccl_net(int *err, char *err_msg, size_t err_msg_size);

typedef struct nrt_ucode_img {
    uint8_t *bin;
    size_t size;
} nrt_ucode_img;

typedef struct nrt_ucode_info {
    nrt_ucode_img iram;
    nrt_ucode_img dram;
} nrt_ucode_info;

/* Pooling-engine microcode for the device: OpenNRT has no pooling engine
 * to load it into: NRT_FAILURE with one log line (NRT_INVALID for NULL). */
NRT_STATUS nrt_set_pool_eng_ucode(const nrt_ucode_info *ucode_info);

#ifdef __cplusplus
}
#endif

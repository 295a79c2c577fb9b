/*
 * nrt/nrt.h - OpenNRT core API: runtime lifecycle, logical cores, models,
 * tensors and tensor sets, synchronous execution.
 *
 * Source-compatible with the AWS Neuron Runtime's nrt.h. On OpenNRT a
 * logical core (LNC, "vnc") is a host-memory arena plus five execution
 * units (see nrt/nrt_async.h); a model is an ELF shared object exporting the
 * kernel ABI of nrt/nrt_kernel.h.
 *
 * Conventions for every function below:
 *  - Arguments are checked; bad input returns NRT_INVALID (or the status
 *    named in the comment) and logs one line saying what was wrong.
 *  - Outside nrt_init()..nrt_close() calls return NRT_UNINITIALIZED (never
 *    initialized) or NRT_CLOSED (after nrt_close), except the count queries
 *    marked "callable before nrt_init".
 *  - All functions are thread-safe unless noted.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nrt/nrt_status.h"
#include "ndl/neuron_driver_shared_tensor_batch_op.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NRT_MAJOR_VERSION 2
#define NRT_MINOR_VERSION 0

typedef struct nrt_model nrt_model_t;
typedef struct nrt_tensor nrt_tensor_t;
typedef struct nrt_cc_context nrt_cc_context_t;

/* A tensor set maps names to tensors; it holds a reference to each tensor
 * it contains (see "Lifetime" in docs/API.md). */
typedef void nrt_tensor_set_t;

typedef enum {
    NRT_TENSOR_PLACEMENT_DEVICE = 0, /* the core's device memory */
    NRT_TENSOR_PLACEMENT_HOST = 1,   /* host memory, no core (vnc -1 allowed) */
    NRT_TENSOR_PLACEMENT_VIRTUAL = 2 /* no storage until attached */
} nrt_tensor_placement_t;

typedef enum {
    NRT_FRAMEWORK_TYPE_INVALID = 0,
    NRT_FRAMEWORK_TYPE_NO_FW = 1,
    NRT_FRAMEWORK_TYPE_TENSORFLOW = 2,
    NRT_FRAMEWORK_TYPE_PYTORCH = 3,
    NRT_FRAMEWORK_TYPE_MXNET = 4,
    NRT_FRAMEWORK_TYPE_PRECHECK = 5
} nrt_framework_type_t;

typedef enum nrt_op_type {
    NRT_OP_ADD = 0x0,
    NRT_OP_FMA = 0x1,
    NRT_OP_MAX = 0x2,
    NRT_OP_MIN = 0x3,
    NRT_OP_INVALID = 0xF
} nrt_op_type_t;

typedef enum nrt_dtype {
    NRT_DTYPE_UNKNOWN = 0x0,
    NRT_DTYPE_INVALID = 0x0,
    NRT_DTYPE_FP8_E3 = 0xD,
    NRT_DTYPE_FP8_E4 = 0xE,
    NRT_DTYPE_FP8_E5 = 0xF,
    NRT_DTYPE_FLOAT16 = 0x7,
    NRT_DTYPE_BFLOAT16 = 0x6,
    NRT_DTYPE_FLOAT32 = 0xA,
    NRT_DTYPE_FP32R = 0xB,
    NRT_DTYPE_UINT8 = 0x3,
    NRT_DTYPE_UINT16 = 0x5,
    NRT_DTYPE_UINT32 = 0x9,
    NRT_DTYPE_UINT64 = 0x1,
    NRT_DTYPE_INT8 = 0x2,
    NRT_DTYPE_INT16 = 0x4,
    NRT_DTYPE_INT32 = 0x8,
    NRT_DTYPE_INT64 = 0xC
} nrt_dtype_t;

typedef enum nrt_cc_op_type {
    NRT_CC_ALLGATHER = 0,
    NRT_CC_ALLREDUCE = 1,
    NRT_CC_REDUCESCATTER = 2
} nrt_cc_op_type_t;

enum {
    NRT_INSTANCE_UNKNOWN = 0,
    NRT_INSTANCE_INF1 = 1,
    NRT_INSTANCE_TRN1 = 2,
    NRT_INSTANCE_TRN1N = 3,
    NRT_INSTANCE_INF2 = 4,
    NRT_INSTANCE_TRN2 = 5
};

typedef struct nrt_instance_info {
    uint32_t family;         /* NRT_INSTANCE_*; OpenNRT: NRT_INSTANCE_UNKNOWN */
    uint32_t size;           /* instance size; OpenNRT: number of visible cores */
    char arch_name[16];      /* OpenNRT: "cpu" */
    char device_revision[8]; /* OpenNRT: "sim" */
} nrt_instance_info_t;

typedef struct nrt_tensor_batch {
    const nrt_tensor_t *tensor;
    const nrt_tensor_batch_op_t *ops;
    uint32_t num_ops;
} nrt_tensor_batch_t;

typedef struct nrt_tensor_device_allocation_info {
    uint64_t physical_address; /* OpenNRT: the host virtual address */
    size_t size;
    int hbm_index; /* OpenNRT: the owning core, -1 for host tensors */
} nrt_tensor_device_allocation_info_t;

typedef struct nrt_vnc_memory_stats {
    size_t bytes_used;
    size_t bytes_limit;
} nrt_vnc_memory_stats_t;

typedef struct nrt_cc_comm {
    uint32_t *replica_group; /* ranks taking part */
    uint32_t rank;           /* my rank in replica_group */
    uint32_t rank_n;         /* number of ranks */
    uint32_t ctx_device_id;
    uint32_t ctx_device_count;
    uint32_t vnc;
} nrt_cc_comm_t;

typedef struct nrt_tensor_list {
    nrt_tensor_t **tensors;
    size_t num_tensors;
} nrt_tensor_list_t;

/*===------------------------------------------------------------------===*/
/* Runtime lifecycle                                                      */
/*===------------------------------------------------------------------===*/

/* Fills |info| (|instance_info_len| must be >= sizeof(nrt_instance_info_t)).
 * Callable before nrt_init. */
NRT_STATUS nrt_get_instance_info(nrt_instance_info_t *info, size_t instance_info_len);

/* Initializes the runtime: reads the environment (docs/CONFIG.md), creates
 * the visible logical cores. |framework| must be a valid
 * nrt_framework_type_t other than INVALID; the version strings may be NULL.
 * Returns NRT_FAILURE if already initialized. init/close may be repeated. */
NRT_STATUS nrt_init(nrt_framework_type_t framework, const char *fw_version, const char *fal_version);

/* Closes the runtime. Requests in flight are allowed to finish (bounded by
 * NEURON_RT_EXEC_TIMEOUT), then every model, tensor, tensor set and error
 * tracker still alive is released; handles become invalid. */
void nrt_close(void);

/*===------------------------------------------------------------------===*/
/* Models                                                                 */
/*===------------------------------------------------------------------===*/

/* Loads the model object in |neff_bytes| (an ELF shared object exporting the
 * nrt/nrt_kernel.h ABI) onto core |vnc| (-1: the core with the fewest models,
 * the lowest index among equals). |vnc_count| must be -1 or 1.
 * Returns NRT_UNSUPPORTED_NEFF_VERSION for a real NEFF or a kernel ABI
 * version we do not know, NRT_INVALID for bytes that are not a valid model
 * object, NRT_RESOURCE when a core's memory limit is hit. */
NRT_STATUS nrt_load(const void *neff_bytes, size_t size, int32_t vnc, int32_t vnc_count, nrt_model_t **model);

/* As nrt_load, recording the collectives context (ctx_device_id <
 * ctx_device_count). */
NRT_STATUS nrt_load_collectives(const void *neff_bytes, size_t size, int32_t vnc, int32_t vnc_count,
                                uint32_t ctx_device_id, uint32_t ctx_device_count, nrt_model_t **model);

/* Drops the caller's reference; the model is destroyed once no queued
 * request uses it. */
NRT_STATUS nrt_unload(nrt_model_t *model);

NRT_STATUS nrt_get_model_nc_count(const nrt_model_t *model, uint32_t *vnc_count);
NRT_STATUS nrt_get_model_vnc_count(const nrt_model_t *model, uint32_t *vnc_count);

/* Core counts. All callable before nrt_init (they read the environment). */
NRT_STATUS nrt_get_total_nc_count(uint32_t *vnc_count);
NRT_STATUS nrt_get_total_vnc_count(uint32_t *vnc_count);
NRT_STATUS nrt_get_visible_nc_count(uint32_t *vnc_count);
NRT_STATUS nrt_get_visible_vnc_count(uint32_t *vnc_count);

/*===------------------------------------------------------------------===*/
/* Tensor sets                                                            */
/*===------------------------------------------------------------------===*/

NRT_STATUS nrt_allocate_tensor_set(nrt_tensor_set_t **result);
/* Destroys *tensor_set (releasing its tensor references) and sets it NULL. */
void nrt_destroy_tensor_set(nrt_tensor_set_t **tensor_set);
/* Adds |tensor| under |tensor_name| or replaces the tensor of that name.
 * The set takes a reference to |tensor|. */
NRT_STATUS nrt_add_tensor_to_tensor_set(nrt_tensor_set_t *tensor_set, const char *tensor_name, nrt_tensor_t *tensor);
/* Borrowed result; NRT_INVALID if no tensor has that name. */
NRT_STATUS nrt_get_tensor_from_tensor_set(nrt_tensor_set_t *tensor_set, const char *tensor_name,
                                          nrt_tensor_t **tensor);

/*===------------------------------------------------------------------===*/
/* Synchronous execution                                                  */
/*===------------------------------------------------------------------===*/

/* Runs |model| on its core's COMPUTE unit and waits for it. Every model
 * input and output must be present in the sets, with the model's byte size,
 * on the model's core or in host memory (NRT_EXEC_BAD_INPUT otherwise).
 * Ordered with async executions on the same core. */
NRT_STATUS nrt_execute(nrt_model_t *model, const nrt_tensor_set_t *input_set, nrt_tensor_set_t *output_set);
/* nrt_execute |repeat_count| (>= 1) times; stops at the first error. */
NRT_STATUS nrt_execute_repeat(nrt_model_t *model, const nrt_tensor_set_t *input_set, nrt_tensor_set_t *output_set,
                              int repeat_count);

/*===------------------------------------------------------------------===*/
/* Collectives setup                                                      */
/*===------------------------------------------------------------------===*/

NRT_STATUS nrt_build_global_comm(int32_t vnc, uint32_t g_device_id, uint32_t g_device_count);
NRT_STATUS nrt_cc_global_comm_init(uint32_t vnc, uint32_t g_device_id, uint32_t g_device_count);

/*===------------------------------------------------------------------===*/
/* Tensors                                                                */
/*===------------------------------------------------------------------===*/

/* Allocates a tensor of |size| (> 0) bytes, zero-filled. DEVICE tensors
 * count against core |vnc|'s memory limit (NRT_RESOURCE when over); HOST
 * tensors take vnc -1 (or a core, ignored for accounting); VIRTUAL tensors
 * have no storage until nrt_tensor_attach_buffer. |name| may be NULL. */
NRT_STATUS nrt_tensor_allocate(nrt_tensor_placement_t tensor_placement, int vnc, size_t size, const char *name,
                               nrt_tensor_t **tensor);
/* Drops the caller's reference and sets *tensor NULL. Storage lives on while
 * slices, tensor sets or queued requests still use it. */
void nrt_tensor_free(nrt_tensor_t **tensor);

/* Bounds-checked copies between a tensor and host memory (offset + size
 * must not wrap and must fit the tensor). size 0 is a no-op success. */
NRT_STATUS nrt_tensor_read(const nrt_tensor_t *tensor, void *buf, size_t offset, size_t size);
NRT_STATUS nrt_tensor_write(nrt_tensor_t *tensor, const void *buf, size_t offset, size_t size);
/* Every op of every batch is validated before any data moves; |unsafe|
 * is accepted and ignored (we never need to pin). */
NRT_STATUS nrt_tensor_read_batch(const nrt_tensor_batch_t *batches, uint64_t num_batches, bool unsafe);
NRT_STATUS nrt_tensor_write_batch(const nrt_tensor_batch_t *batches, uint64_t num_batches, bool unsafe);
/* Copies between two tensors; two DEVICE tensors must be on the same core
 * (NRT_INVALID otherwise). Overlapping ranges behave as memmove. */
NRT_STATUS nrt_tensor_copy(const nrt_tensor_t *src, size_t src_offset, nrt_tensor_t *dst, size_t dst_offset,
                           size_t size);
/* Size in bytes; 0 for NULL. */
size_t nrt_tensor_get_size(const nrt_tensor_t *tensor);
NRT_STATUS nrt_tensor_memset(nrt_tensor_t *tensor, uint64_t offset, int value, size_t size);

/* Creates a tensor with no storage; attach a caller-owned buffer later. */
NRT_STATUS nrt_tensor_allocate_empty(const char *name, nrt_tensor_t **tensor);
/* Attaches |buffer| (caller owned, must outlive every use) of |size| bytes
 * to an empty/virtual tensor, replacing a previously attached buffer. */
NRT_STATUS nrt_tensor_attach_buffer(nrt_tensor_t *tensor, void *buffer, size_t size);
/* Creates a tensor sharing |tensor_source|'s storage at [offset, offset+size).
 * The slice keeps the storage alive. */
NRT_STATUS nrt_tensor_allocate_slice(const nrt_tensor_t *tensor_source, size_t offset, size_t size, const char *name,
                                     nrt_tensor_t **tensor_slice);
/* The host address of the tensor's first byte (NULL for a tensor with no
 * storage or a NULL tensor). */
void *nrt_tensor_get_va(const nrt_tensor_t *tensor);
NRT_STATUS nrt_tensor_get_device_allocation_info(const nrt_tensor_t *tensor,
                                                 nrt_tensor_device_allocation_info_t *alloc_info);

/* Memory use of core |vnc|. |stats_size_in| is the caller's struct size; the
 * runtime fills min(stats_size_in, sizeof(nrt_vnc_memory_stats_t)) bytes and
 * reports the size it knows in *stats_size_out (may be NULL). */
NRT_STATUS nrt_get_vnc_memory_stats(uint32_t vnc, nrt_vnc_memory_stats_t *stats, size_t stats_size_in,
                                    size_t *stats_size_out);

/*===------------------------------------------------------------------===*/
/* Device memory export (no device: documented statuses)                  */
/*===------------------------------------------------------------------===*/

/* Exports a device memory range as a dma-buf fd for peer DMA. OpenNRT's
 * device memory is ordinary host memory, which has no dma-buf: always
 * NRT_FAILURE (*fd = -1) with one log line; callers (libfabric, EFA) fall
 * back to registering the memory as host memory. */
NRT_STATUS nrt_get_dmabuf_fd(uint64_t va, uint64_t size, int *fd);
/* The host mapping of HBM bank |hbm_idx| of device |device_id|: there is no
 * HBM: NRT_FAILURE (*addr = NULL, *size = 0) with one log line. */
NRT_STATUS nrt_get_hbm_mmap_va(int device_id, int hbm_idx, void **addr, size_t *size);
/* The PCI address of the EFA device attached to the memory at |va|: none:
 * NRT_FAILURE (*len = 0) with one log line. */
NRT_STATUS nrt_get_attached_efa_bdf(const void *va, char *efa_bdf, size_t *len);

/*===------------------------------------------------------------------===*/
/* Output completion, devices                                             */
/*===------------------------------------------------------------------===*/

/* Waits until |output_tensor| has been written by at least
 * |expected_completion_count| completed executions (each execution that
 * has the tensor's storage among its outputs counts once, whatever its
 * status; a slice shares the count of the tensor it was cut from).
 * |timeout| in microseconds; negative: no limit (one warning after 30 s).
 * NRT_SUCCESS when reached, NRT_TIMEOUT when not within |timeout|,
 * NRT_INVALID for NULL, a released handle or a tensor without storage,
 * NRT_UNINITIALIZED / NRT_CLOSED outside
 * nrt_init..nrt_close. */
NRT_STATUS nrt_tensor_check_output_completion(const nrt_tensor_t *output_tensor, int64_t timeout,
                                              uint64_t expected_completion_count);
/* Sets the completion count of |output_tensor| (and of what shares its
 * storage) back to 0. Same statuses. */
NRT_STATUS nrt_tensor_reset_output_completion(nrt_tensor_t *output_tensor);

/* OpenNRT is one device (index 0) with host device id 0 and routing id 0.
 * NRT_INVALID for another device index or a NULL output; state-checked. */
NRT_STATUS nrt_host_device_id_get(int neuron_dev, uint32_t *host_device_id);
/* Routing ids indexed by host device id: |*count| in: entries
 * |host_did_to_rid_map| holds; out: entries written (at most 1). */
NRT_STATUS nrt_host_device_id_rid_map_get(uint32_t *count, uint32_t *host_did_to_rid_map);

#ifdef __cplusplus
}
#endif

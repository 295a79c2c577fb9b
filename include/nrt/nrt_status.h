/*
 * nrt/nrt_status.h - status codes returned by every OpenNRT entry point.
 *
 * The numeric values are fixed by the Neuron Runtime ABI. The list below is
 * the single source of truth: it generates both the enum and the string
 * table behind nrt_get_status_as_str().
 */
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, description) */
#define NRT_STATUS_MAP(X)                                                      \
    X(SUCCESS, 0, "success")                                                   \
    X(FAILURE, 1, "non-specific failure")                                      \
    X(INVALID, 2, "invalid argument or state")                                 \
    X(INVALID_HANDLE, 3, "invalid handle")                                     \
    X(RESOURCE, 4, "out of resources")                                         \
    X(TIMEOUT, 5, "operation timed out")                                       \
    X(HW_ERROR, 6, "hardware failure")                                         \
    X(QUEUE_FULL, 7, "queue is full")                                          \
    X(LOAD_NOT_ENOUGH_NC, 9, "not enough logical cores to load the model")     \
    X(UNSUPPORTED_NEFF_VERSION, 10, "unsupported model format or version")     \
    X(FAIL_HOST_MEM_ALLOC, 11, "host memory allocation failed")                \
    X(UNINITIALIZED, 13, "runtime is not initialized")                         \
    X(CLOSED, 14, "runtime is closed")                                         \
    X(QUEUE_EMPTY, 15, "queue is empty")                                       \
    X(EXEC_UNIT_UNRECOVERABLE, 101, "execution unit is degraded")              \
    X(EXEC_BAD_INPUT, 1002, "invalid input to execution")                      \
    X(EXEC_COMPLETED_WITH_NUM_ERR, 1003, "execution produced NaN/Inf")         \
    X(EXEC_COMPLETED_WITH_ERR, 1004, "execution completed with an error")      \
    X(EXEC_NC_BUSY, 1005, "logical core is busy")                              \
    X(EXEC_OOB, 1006, "out-of-bounds access during execution")                 \
    X(COLL_PENDING, 1100, "collective operation pending")                      \
    X(EXEC_HW_ERR_COLLECTIVES, 1200, "collectives hardware error")             \
    X(EXEC_HW_ERR_HBM_UE, 1201, "uncorrectable device memory error")           \
    X(EXEC_HW_ERR_NC_UE, 1202, "uncorrectable core error")                     \
    X(EXEC_HW_ERR_DMA_ABORT, 1203, "DMA aborted")                              \
    X(EXEC_SW_NQ_OVERFLOW, 1204, "notification queue overflow")                \
    X(EXEC_HW_ERR_REPAIRABLE_HBM_UE, 1205, "repairable device memory error")   \
    X(NETWORK_PROXY_FAILURE, 1206, "network proxy failure")

typedef enum {
#define NRT_STATUS_ENUM_(name, value, desc) NRT_##name = value,
    NRT_STATUS_MAP(NRT_STATUS_ENUM_)
#undef NRT_STATUS_ENUM_
} NRT_STATUS;

/* Returns a static, human-readable name for |status| ("NRT_QUEUE_FULL");
 * an unknown value yields "NRT_UNKNOWN_STATUS". Never NULL, thread-safe,
 * callable at any time. */
const char *nrt_get_status_as_str(NRT_STATUS status);

#ifdef __cplusplus
}
#endif

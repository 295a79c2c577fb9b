/*
 * tests/api/abi_asserts.h - compile-time checks of the fixed ABI, shared by
 * the C11 and C++ header tests (include after the public headers).
 */
#pragma once

#include <stddef.h>

#ifdef __cplusplus
#define T_STATIC_ASSERT(c) static_assert(c, #c)
#else
#define T_STATIC_ASSERT(c) _Static_assert(c, #c)
#endif

/* status values */
T_STATIC_ASSERT(NRT_SUCCESS == 0);
T_STATIC_ASSERT(NRT_FAILURE == 1);
T_STATIC_ASSERT(NRT_INVALID == 2);
T_STATIC_ASSERT(NRT_INVALID_HANDLE == 3);
T_STATIC_ASSERT(NRT_RESOURCE == 4);
T_STATIC_ASSERT(NRT_TIMEOUT == 5);
T_STATIC_ASSERT(NRT_HW_ERROR == 6);
T_STATIC_ASSERT(NRT_QUEUE_FULL == 7);
T_STATIC_ASSERT(NRT_LOAD_NOT_ENOUGH_NC == 9);
T_STATIC_ASSERT(NRT_UNSUPPORTED_NEFF_VERSION == 10);
T_STATIC_ASSERT(NRT_FAIL_HOST_MEM_ALLOC == 11);
T_STATIC_ASSERT(NRT_UNINITIALIZED == 13);
T_STATIC_ASSERT(NRT_CLOSED == 14);
T_STATIC_ASSERT(NRT_QUEUE_EMPTY == 15);
T_STATIC_ASSERT(NRT_EXEC_UNIT_UNRECOVERABLE == 101);
T_STATIC_ASSERT(NRT_EXEC_BAD_INPUT == 1002);
T_STATIC_ASSERT(NRT_EXEC_COMPLETED_WITH_NUM_ERR == 1003);
T_STATIC_ASSERT(NRT_EXEC_COMPLETED_WITH_ERR == 1004);
T_STATIC_ASSERT(NRT_EXEC_NC_BUSY == 1005);
T_STATIC_ASSERT(NRT_EXEC_OOB == 1006);
T_STATIC_ASSERT(NRT_COLL_PENDING == 1100);
T_STATIC_ASSERT(NRT_EXEC_HW_ERR_COLLECTIVES == 1200);
T_STATIC_ASSERT(NRT_EXEC_HW_ERR_HBM_UE == 1201);
T_STATIC_ASSERT(NRT_EXEC_HW_ERR_NC_UE == 1202);
T_STATIC_ASSERT(NRT_EXEC_HW_ERR_DMA_ABORT == 1203);
T_STATIC_ASSERT(NRT_EXEC_SW_NQ_OVERFLOW == 1204);
T_STATIC_ASSERT(NRT_EXEC_HW_ERR_REPAIRABLE_HBM_UE == 1205);
T_STATIC_ASSERT(NRT_NETWORK_PROXY_FAILURE == 1206);
T_STATIC_ASSERT(sizeof(NRT_STATUS) == sizeof(int));

/* nrt.h constants and enums */
T_STATIC_ASSERT(NRT_MAJOR_VERSION == 2 && NRT_MINOR_VERSION == 0);
T_STATIC_ASSERT(NRT_TENSOR_PLACEMENT_DEVICE == 0 && NRT_TENSOR_PLACEMENT_HOST == 1 &&
                NRT_TENSOR_PLACEMENT_VIRTUAL == 2);
T_STATIC_ASSERT(NRT_FRAMEWORK_TYPE_INVALID == 0 && NRT_FRAMEWORK_TYPE_NO_FW == 1 &&
                NRT_FRAMEWORK_TYPE_TENSORFLOW == 2 && NRT_FRAMEWORK_TYPE_PYTORCH == 3 &&
                NRT_FRAMEWORK_TYPE_MXNET == 4 && NRT_FRAMEWORK_TYPE_PRECHECK == 5);
T_STATIC_ASSERT(NRT_OP_ADD == 0x0 && NRT_OP_FMA == 0x1 && NRT_OP_MAX == 0x2 && NRT_OP_MIN == 0x3 &&
                NRT_OP_INVALID == 0xF);
T_STATIC_ASSERT(NRT_DTYPE_UNKNOWN == 0x0 && NRT_DTYPE_INVALID == 0x0 && NRT_DTYPE_FP8_E3 == 0xD &&
                NRT_DTYPE_FP8_E4 == 0xE && NRT_DTYPE_FP8_E5 == 0xF && NRT_DTYPE_FLOAT16 == 0x7 &&
                NRT_DTYPE_BFLOAT16 == 0x6 && NRT_DTYPE_FLOAT32 == 0xA && NRT_DTYPE_FP32R == 0xB &&
                NRT_DTYPE_UINT8 == 0x3 && NRT_DTYPE_UINT16 == 0x5 && NRT_DTYPE_UINT32 == 0x9 &&
                NRT_DTYPE_UINT64 == 0x1 && NRT_DTYPE_INT8 == 0x2 && NRT_DTYPE_INT16 == 0x4 &&
                NRT_DTYPE_INT32 == 0x8 && NRT_DTYPE_INT64 == 0xC);
T_STATIC_ASSERT(NRT_CC_ALLGATHER == 0 && NRT_CC_ALLREDUCE == 1 && NRT_CC_REDUCESCATTER == 2);
T_STATIC_ASSERT(NRT_INSTANCE_UNKNOWN == 0);

/* nrt.h structs (LP64) */
T_STATIC_ASSERT(sizeof(nrt_instance_info_t) == 32);
T_STATIC_ASSERT(offsetof(nrt_instance_info_t, family) == 0 && offsetof(nrt_instance_info_t, size) == 4 &&
                offsetof(nrt_instance_info_t, arch_name) == 8 &&
                offsetof(nrt_instance_info_t, device_revision) == 24);
T_STATIC_ASSERT(sizeof(nrt_tensor_batch_offset_t) == 8 && sizeof(nrt_tensor_batch_size_t) == 8);
T_STATIC_ASSERT(sizeof(nrt_tensor_batch_op_t) == 24);
T_STATIC_ASSERT(offsetof(nrt_tensor_batch_op_t, offset) == 0 && offsetof(nrt_tensor_batch_op_t, size) == 8 &&
                offsetof(nrt_tensor_batch_op_t, buffer) == 16);
T_STATIC_ASSERT(sizeof(nrt_tensor_batch_t) == 24);
T_STATIC_ASSERT(offsetof(nrt_tensor_batch_t, tensor) == 0 && offsetof(nrt_tensor_batch_t, ops) == 8 &&
                offsetof(nrt_tensor_batch_t, num_ops) == 16);
T_STATIC_ASSERT(sizeof(nrt_tensor_device_allocation_info_t) == 24);
T_STATIC_ASSERT(offsetof(nrt_tensor_device_allocation_info_t, physical_address) == 0 &&
                offsetof(nrt_tensor_device_allocation_info_t, size) == 8 &&
                offsetof(nrt_tensor_device_allocation_info_t, hbm_index) == 16);
T_STATIC_ASSERT(sizeof(nrt_vnc_memory_stats_t) == 16);
T_STATIC_ASSERT(offsetof(nrt_vnc_memory_stats_t, bytes_used) == 0 &&
                offsetof(nrt_vnc_memory_stats_t, bytes_limit) == 8);
T_STATIC_ASSERT(sizeof(nrt_cc_comm_t) == 32);
T_STATIC_ASSERT(offsetof(nrt_cc_comm_t, replica_group) == 0 && offsetof(nrt_cc_comm_t, rank) == 8 &&
                offsetof(nrt_cc_comm_t, rank_n) == 12 && offsetof(nrt_cc_comm_t, ctx_device_id) == 16 &&
                offsetof(nrt_cc_comm_t, ctx_device_count) == 20 && offsetof(nrt_cc_comm_t, vnc) == 24);
T_STATIC_ASSERT(sizeof(nrt_tensor_list_t) == 16);
T_STATIC_ASSERT(offsetof(nrt_tensor_list_t, tensors) == 0 && offsetof(nrt_tensor_list_t, num_tensors) == 8);

/* nrt_async.h */
T_STATIC_ASSERT(NRTA_XU_TENSOR_READ == 0 && NRTA_XU_TENSOR_WRITE == 1 && NRTA_XU_TENSOR_OP == 2 &&
                NRTA_XU_COMPUTE == 3 && NRTA_XU_COLLECTIVES == 4 && NRTA_XU_TYPE_NUM == 5);
T_STATIC_ASSERT(sizeof(nrta_seq_t) == 8 && sizeof(nrta_xu_id_t) == 2);
T_STATIC_ASSERT(NRTA_SEQ_NUM_MAX == 0xffffffffffffull && NRTA_SEQ_NUM_MASK == NRTA_SEQ_NUM_MAX);
T_STATIC_ASSERT(NRTA_SEQ_GET_SEQ_NUM(0x1234567890abcdefull) == 0x567890abcdefull);
T_STATIC_ASSERT(NRTA_SEQ_GET_XU_ID(0x1234567890abcdefull) == 0x1234);
T_STATIC_ASSERT(sizeof(nrta_error_t) == 16);
T_STATIC_ASSERT(offsetof(nrta_error_t, seq_id) == 0 && offsetof(nrta_error_t, error_code) == 8);

/* nrt_experimental.h */
T_STATIC_ASSERT(NRT_TENSOR_USAGE_INPUT == 0 && NRT_TENSOR_USAGE_OUTPUT == 1);
T_STATIC_ASSERT(NRT_TENSOR_NAME_MAX == 256);
T_STATIC_ASSERT(offsetof(nrt_tensor_info_t, name) == 0 && offsetof(nrt_tensor_info_t, usage) == 256 &&
                offsetof(nrt_tensor_info_t, size) == 264 && offsetof(nrt_tensor_info_t, dtype) == 272 &&
                offsetof(nrt_tensor_info_t, shape) == 280 && offsetof(nrt_tensor_info_t, ndim) == 288);
T_STATIC_ASSERT(sizeof(nrt_tensor_info_t) == 296);
T_STATIC_ASSERT(offsetof(nrt_tensor_info_array_t, tensor_count) == 0 &&
                offsetof(nrt_tensor_info_array_t, tensor_array) == 8);
T_STATIC_ASSERT(sizeof(nrt_model_info_t) == 4);

/* nrt_kernel.h */
T_STATIC_ASSERT(NRT_KERNEL_MAGIC == 0x4b524e4fu && NRT_KERNEL_ABI_VERSION == 1u);
T_STATIC_ASSERT(NRT_KERNEL_MAX_DIMS == 8 && NRT_KERNEL_MAX_TENSORS == 256);
T_STATIC_ASSERT(sizeof(nrt_kernel_tensor_t) == 56);
T_STATIC_ASSERT(offsetof(nrt_kernel_descriptor_t, magic) == 0 && offsetof(nrt_kernel_descriptor_t, abi_version) == 4 &&
                offsetof(nrt_kernel_descriptor_t, name) == 8);

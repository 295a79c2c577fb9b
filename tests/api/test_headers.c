/*
 * tests/api/test_headers.c - every public header compiles as C11 (together,
 * in any order, twice) and the fixed parts of the ABI hold: enum values,
 * struct sizes and field offsets from the Neuron Runtime interface.
 * test_headers_cpp.cpp checks the same as C++.
 */
#include "nrt/nrt_kernel.h"
#include "nrt/nrt_ext.h"
#include "nrt/nrt_experimental.h"
#include "nrt/nrt_async_sendrecv.h"
#include "nrt/nrt_async.h"
#include "nrt/nrt_status.h"
#include "nrt/nrt_version.h"
#include "nrt/nrt_profile.h"
#include "nrt/nrt_sys_trace.h"
#include "nrt/ndebug_stream.h"
#include "nrt/nec.h"
#include "nrt/nrt.h"
#include "ndl/neuron_driver_shared_tensor_batch_op.h"
/* #pragma once: a second round is harmless */
#include "nrt/nrt.h"
#include "nrt/nrt_async.h"
#include "nrt/nrt_async_sendrecv.h"
#include "nrt/nrt_experimental.h"
#include "nrt/nrt_ext.h"
#include "nrt/nrt_kernel.h"
#include "nrt/nrt_status.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "abi_asserts.h"

/* Layouts of the debug stream and collectives-plugin structs. */
_Static_assert(sizeof(ndebug_stream_event_header_t) == 64, "debug event header is 64 bytes");
_Static_assert(offsetof(ndebug_stream_payload_debug_tensor_read_t, tensor_data) == 1024, "tensor data at 1024");
_Static_assert(sizeof(enc_host_mem_t) == 32, "enc_host_mem_t is 32 bytes");
_Static_assert(offsetof(nec_version_info_t, compatibility_version) == 48, "nec_version_info_t layout");
_Static_assert(NEC_POD_TYPE_INVALID == 3, "nec_pod_type_t values");
_Static_assert(NRT_INSPECT_DEVICE_PROFILE_MODE_SESSION == 2, "device profile mode values");

int main(void)
{
    /* The functions exist with the documented prototypes. */
    NRT_STATUS (*load)(const void *, size_t, int32_t, int32_t, nrt_model_t **) = nrt_load;
    NRT_STATUS (*exec)(nrt_model_t *, const nrt_tensor_set_t *, nrt_tensor_set_t *) = nrt_execute;
    NRT_STATUS (*wr)(nrt_tensor_t *, const void *, uint64_t, uint64_t, int, nrta_error_tracker_t *,
                     nrta_seq_t *) = nrta_tensor_write;
    NRT_STATUS (*ti)(nrt_model_t *, nrt_tensor_info_array_t **) = nrt_get_model_tensor_info;
    NRT_STATUS (*sr)(nrt_tensor_t *, size_t, size_t, nrt_async_sendrecv_comm_t *,
                     nrt_async_sendrecv_request_t **) = nrt_async_sendrecv_send_tensor;
    const char *(*str)(NRT_STATUS) = nrt_get_status_as_str;
    if (!load || !exec || !wr || !ti || !sr || !str)
        return 1;
    if (strcmp(nrt_get_status_as_str(NRT_QUEUE_FULL), "NRT_QUEUE_FULL") != 0)
        return 1;
    if (nrt_kernel_dtype_size(NRT_DTYPE_BFLOAT16) != 2 || nrt_kernel_dtype_size(NRT_DTYPE_INVALID) != 0)
        return 1;
    if (strcmp(nrtx_version(), NRTX_VERSION_STRING) != 0)
        return 1;
    printf("headers (C%ld) ok\n", (long)__STDC_VERSION__);
    return 0;
}

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

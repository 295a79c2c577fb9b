/*
 * src/core/compat.h - what the execution op tells compat.c when an
 * execution completes: the output completion counts
 * (nrt_tensor_check_output_completion) and the registered async exec
 * callback (nrt_register_async_exec_callback).
 */
#pragma once

#include <stdint.h>

#include "nrt/nrt_status.h"
#include "tensor/tensor.h"

/* Called by the worker once an execution's outputs are written. */
void nrt__exec_completed(uint32_t lnc, uint64_t job_id, nrt__storage_t *const *outputs, uint32_t noutputs,
                         NRT_STATUS st);

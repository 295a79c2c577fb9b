/*
 * tests/api/upstream/nrt_async.c - the Neuron runtime's nrt_async.h of the
 * 2.28 API (aws-neuron-sdk src/libnrt/include/nrt/nrt_async.h), OpenNRT's
 * default (NRTA_API_VERSION 2): OpenNRT's header, then every function
 * upstream declares, with upstream's prototype (a mismatch does not
 * compile), and main() taking each function's address (a missing export
 * does not link). Written in the format of gen_decls.py's output.
 */
#include "nrt/nrt_async.h"

#include <stdio.h>

#if NRTA_API_VERSION != 2
#error "the default must be the 2.28 API"
#endif

NRT_STATUS nrta_tensor_write(nrt_tensor_t *tensor, const void *buf, uint64_t offset, uint64_t size, int queue, nrta_error_tracker_t *err, nrta_seq_t *req_sequence);
NRT_STATUS nrta_tensor_read(void *buf, nrt_tensor_t *tensor, uint64_t offset, uint64_t size, int queue, nrta_error_tracker_t *err, nrta_seq_t *req_sequence);
NRT_STATUS nrta_tensor_copy(nrt_tensor_t *src, uint64_t src_offset, nrt_tensor_t *dst, uint64_t dst_offset, uint64_t size, int queue, nrta_error_tracker_t *err, nrta_seq_t *req_sequence);
NRT_STATUS nrta_execute_schedule(nrt_model_t *model, const nrt_tensor_set_t *input, nrt_tensor_set_t *output, int queue, nrta_error_tracker_t *err, nrta_seq_t *req_sequence);
NRT_STATUS nrta_cc_prepare(nrt_cc_comm_t *comm, nrt_tensor_list_t *input, nrt_tensor_list_t *output, nrt_dtype_t dtype, nrt_op_type_t op, nrt_cc_op_type_t cc_op, nrt_cc_context_t **cc_ctx);
NRT_STATUS nrta_cc_schedule(nrt_cc_context_t **cc_ctx, int queue, nrta_error_tracker_t *err, nrta_seq_t *req_sequence);
NRT_STATUS nrta_is_completed(nrta_seq_t seq, bool *is_completed);
NRT_STATUS nrta_get_sequence(uint32_t lnc, nrta_xu_t xu, int queue, nrta_seq_t *seq);
NRT_STATUS nrta_get_completion_handle(nrta_seq_t seq, int *fd);
NRT_STATUS nrta_error_tracker_create(uint32_t lnc_idx, nrta_error_tracker_t **error_tracker);
void nrta_error_tracker_destroy(nrta_error_tracker_t *error_tracker);
NRT_STATUS nrta_error_tracker_get_list(nrta_error_tracker_t *error_tracker, const nrta_error_t **list, size_t *error_count);

typedef void (*fn_t)(void);

int main(void)
{
    static const fn_t fns[] = {
        (fn_t)nrta_tensor_write,
        (fn_t)nrta_tensor_read,
        (fn_t)nrta_tensor_copy,
        (fn_t)nrta_execute_schedule,
        (fn_t)nrta_cc_prepare,
        (fn_t)nrta_cc_schedule,
        (fn_t)nrta_is_completed,
        (fn_t)nrta_get_sequence,
        (fn_t)nrta_get_completion_handle,
        (fn_t)nrta_error_tracker_create,
        (fn_t)nrta_error_tracker_destroy,
        (fn_t)nrta_error_tracker_get_list,
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        n += fns[i] != NULL;
    printf("nrt_async.h (2.28): %zu upstream functions declared and linked\n", n);
    return n == sizeof fns / sizeof fns[0] ? 0 : 1;
}

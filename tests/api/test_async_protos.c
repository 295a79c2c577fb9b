/*
 * tests/api/test_async_protos.c - nrt/nrt_async.h against the upstream
 * prototypes of the Neuron 2.28 header (aws-neuron-sdk
 * src/libnrt/include/nrt/nrt_async.h), the default API version: each is
 * re-declared here exactly as upstream writes it, after our header, so any
 * difference is a compile error; then the program checks that each name
 * resolves in libnrt.so (it links and runs). Public API only.
 */
#include "nrt/nrt_async.h"

#include <stdio.h>

#if NRTA_API_VERSION != 2
#error "the default must be the 2.28 API"
#endif

NRT_STATUS nrta_tensor_write(nrt_tensor_t *tensor, const void *buf, uint64_t offset, uint64_t size, int queue,
                             nrta_error_tracker_t *err, nrta_seq_t *req_sequence);
NRT_STATUS nrta_tensor_read(void *buf, nrt_tensor_t *tensor, uint64_t offset, uint64_t size, int queue,
                            nrta_error_tracker_t *err, nrta_seq_t *req_sequence);
NRT_STATUS nrta_tensor_copy(nrt_tensor_t *src, uint64_t src_offset, nrt_tensor_t *dst, uint64_t dst_offset,
                            uint64_t size, int queue, nrta_error_tracker_t *err, nrta_seq_t *req_sequence);
NRT_STATUS nrta_execute_schedule(nrt_model_t *model, const nrt_tensor_set_t *input, nrt_tensor_set_t *output,
                                 int queue, nrta_error_tracker_t *err, nrta_seq_t *req_sequence);
NRT_STATUS nrta_cc_prepare(nrt_cc_comm_t *comm, nrt_tensor_list_t *input, nrt_tensor_list_t *output,
                           nrt_dtype_t dtype, nrt_op_type_t op, nrt_cc_op_type_t cc_op, nrt_cc_context_t **cc_ctx);
NRT_STATUS nrta_cc_schedule(nrt_cc_context_t **cc_ctx, int queue, nrta_error_tracker_t *err,
                            nrta_seq_t *req_sequence);
NRT_STATUS nrta_is_completed(nrta_seq_t seq, bool *is_completed);
NRT_STATUS nrta_get_sequence(uint32_t lnc, nrta_xu_t xu, int queue, nrta_seq_t *seq);
NRT_STATUS nrta_get_completion_handle(nrta_seq_t seq, int *fd);
NRT_STATUS nrta_error_tracker_create(uint32_t lnc_idx, nrta_error_tracker_t **error_tracker);
void nrta_error_tracker_destroy(nrta_error_tracker_t *error_tracker);
NRT_STATUS nrta_error_tracker_get_list(nrta_error_tracker_t *error_tracker, const nrta_error_t **list,
                                       size_t *error_count);

_Static_assert(NRTA_XU_TENSOR_READ == 0 && NRTA_XU_TENSOR_WRITE == 1 && NRTA_XU_TENSOR_OP == 2 &&
                   NRTA_XU_COMPUTE == 3 && NRTA_XU_COLLECTIVES == 4 && NRTA_XU_TYPE_NUM == 5,
               "2.28 execution units");
_Static_assert(sizeof(nrta_error_t) == 16, "nrta_error_t");

int main(void)
{
    /* Every function resolves (and the 2.28 variants answer as 2.28 ones:
     * refused before nrt_init). */
    void *fns[] = {(void *)nrta_tensor_write, (void *)nrta_tensor_read, (void *)nrta_tensor_copy,
                   (void *)nrta_execute_schedule, (void *)nrta_cc_prepare, (void *)nrta_cc_schedule,
                   (void *)nrta_is_completed, (void *)nrta_get_sequence, (void *)nrta_get_completion_handle,
                   (void *)nrta_error_tracker_create, (void *)nrta_error_tracker_destroy,
                   (void *)nrta_error_tracker_get_list};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (!fns[i])
            return 1;
    nrta_seq_t s;
    if (nrta_get_sequence(0, NRTA_XU_TENSOR_READ, 0, &s) != NRT_UNINITIALIZED)
        return 1;
    printf("2.28 prototypes: ok\n");
    return 0;
}

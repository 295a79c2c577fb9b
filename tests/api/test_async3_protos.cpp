/*
 * tests/api/test_async3_protos.cpp - nrt/nrt_async.h built for the async
 * API 3.0 (NRTA_API_VERSION=3) in C++, with every other public header: the
 * 3.0 prototypes are exactly those of the shipped runtime (as Neuron's
 * programs call them: 8-argument tensor calls with the core index, a
 * status pointer per request, three units, the 2.30 event calls), checked
 * by type; the program links and its calls reach the 3.0 variants.
 * Public API only.
 */
#include "nrt/nrt.h"
#include "nrt/nrt_async.h"
#include "nrt/nrt_async_sendrecv.h"
#include "nrt/nrt_experimental.h"
#include "nrt/nrt_ext.h"
#include "nrt/nrt_status.h"
#include "nrt/nrt_version.h"
#include "nrt/nrt_profile.h"

#include <cstdio>
#include <type_traits>

#if NRTA_API_VERSION != 3
#error "build with -DNRTA_API_VERSION=3"
#endif

#define PROTO(fn, type) static_assert(std::is_same<decltype(&fn), type>::value, #fn " prototype")

PROTO(nrta_tensor_write, NRT_STATUS (*)(nrt_tensor_t *, const void *, uint64_t, uint64_t, int, int, NRT_STATUS *,
                                        nrta_seq_t *));
PROTO(nrta_tensor_read,
      NRT_STATUS (*)(void *, nrt_tensor_t *, uint64_t, uint64_t, int, int, NRT_STATUS *, nrta_seq_t *));
PROTO(nrta_tensor_copy, NRT_STATUS (*)(nrt_tensor_t *, uint64_t, nrt_tensor_t *, uint64_t, uint64_t, int, int,
                                       NRT_STATUS *, nrta_seq_t *));
PROTO(nrta_execute_schedule, NRT_STATUS (*)(nrt_model_t *, const nrt_tensor_set_t *, nrt_tensor_set_t *, int,
                                            NRT_STATUS *, nrta_seq_t *));
PROTO(nrta_cc_prepare, NRT_STATUS (*)(nrt_cc_comm_t *, nrt_tensor_list_t *, nrt_tensor_list_t *, nrt_dtype_t,
                                      nrt_op_type_t, nrt_cc_op_type_t, nrt_cc_context_t **));
PROTO(nrta_cc_schedule, NRT_STATUS (*)(nrt_cc_context_t **, int, NRT_STATUS *, nrta_seq_t *));
PROTO(nrta_is_completed, NRT_STATUS (*)(nrta_seq_t, bool *));
PROTO(nrta_get_sequence, NRT_STATUS (*)(uint32_t, nrta_xu_t, int, nrta_seq_t *));
PROTO(nrta_event_register_seq_id_completion, NRT_STATUS (*)(nrta_seq_t, int));
PROTO(nrta_event_register_xu_completion, NRT_STATUS (*)(uint32_t, nrta_xu_t, int, int));
static_assert(NRTA_XU_TENSOR_OP == 0 && NRTA_XU_COMPUTE == 1 && NRTA_XU_COLLECTIVES == 2 && NRTA_XU_TYPE_NUM == 3,
              "async API 3.0 execution units");

int main()
{
    if (nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", "") != NRT_SUCCESS)
        return 1;
    /* A 3.0 call reaches the 3.0 variant: unit 2 is COLLECTIVES there
     * (the 2.28 variant would take it for TENSOR_OP, which has queue 1). */
    nrta_seq_t s = 0;
    if (nrta_get_sequence(0, NRTA_XU_COLLECTIVES, 1, &s) != NRT_INVALID)
        return 1;
    if (nrta_get_sequence(0, NRTA_XU_TENSOR_OP, 1, &s) != NRT_SUCCESS)
        return 1;
    nrt_close();
    std::printf("async API 3.0 prototypes (C++): ok\n");
    return 0;
}

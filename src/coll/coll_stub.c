/*
 * src/coll/coll_stub.c - collectives entry points.
 *
 * These features arrive in later work; until then every entry point
 * checks its arguments, logs one line saying the feature is not available
 * yet, and returns NRT_FAILURE (listed in the README's feature table).
 * The pieces that need no network are real: the limits queries, and
 * barrier / all-gather for a single participant.
 */
#include <string.h>

#include "core/core.h"
#include "nrt/nrt_experimental.h"

#define NOT_YET(what)                                                          \
    do {                                                                       \
        LOG_ERROR("%s is not available yet in OpenNRT %s", what, NRTX_VERSION_STRING); \
        return NRT_FAILURE;                                                    \
    } while (0)


NRT_API NRT_STATUS nrt_build_global_comm(int32_t vnc, uint32_t g_device_id, uint32_t g_device_count)
{
    CHECK_RUNNING();
    CHECK_CORE(vnc);
    CHECK_ARG(g_device_count > 0 && g_device_id < g_device_count, NRT_INVALID,
              "g_device_id %u is not below g_device_count %u", g_device_id, g_device_count);
    if (g_device_count == 1)
        return NRT_SUCCESS;
    NOT_YET("multi-device collectives (nrt_build_global_comm)");
}

NRT_API NRT_STATUS nrt_cc_global_comm_init(uint32_t vnc, uint32_t g_device_id, uint32_t g_device_count)
{
    CHECK_RUNNING();
    CHECK_CORE(vnc);
    CHECK_ARG(g_device_count > 0 && g_device_id < g_device_count, NRT_INVALID,
              "g_device_id %u is not below g_device_count %u", g_device_id, g_device_count);
    if (g_device_count == 1)
        return NRT_SUCCESS;
    NOT_YET("multi-device collectives (nrt_cc_global_comm_init)");
}

NRT_API NRT_STATUS nrt_barrier(int32_t vnc, uint32_t g_device_id, uint32_t g_device_count)
{
    CHECK_RUNNING();
    CHECK_CORE(vnc);
    CHECK_ARG(g_device_count > 0 && g_device_id < g_device_count, NRT_INVALID,
              "g_device_id %u is not below g_device_count %u", g_device_id, g_device_count);
    if (g_device_count == 1)
        return NRT_SUCCESS; /* a barrier of one */
    NOT_YET("multi-device nrt_barrier");
}

NRT_API NRT_STATUS nrt_all_gather(int32_t vnc, uint32_t g_device_id, uint32_t g_device_count,
                                  uint32_t rank_input_size, void *input, void *output)
{
    CHECK_RUNNING();
    CHECK_CORE(vnc);
    CHECK_NOT_NULL(input);
    CHECK_NOT_NULL(output);
    CHECK_ARG(g_device_count > 0 && g_device_id < g_device_count, NRT_INVALID,
              "g_device_id %u is not below g_device_count %u", g_device_id, g_device_count);
    if (g_device_count == 1) {
        memmove(output, input, rank_input_size);
        return NRT_SUCCESS;
    }
    NOT_YET("multi-device nrt_all_gather");
}

NRT_API NRT_STATUS nrta_cc_prepare(nrt_cc_comm_t *comm, nrt_tensor_list_t *input, nrt_tensor_list_t *output,
                                   nrt_dtype_t dtype, nrt_op_type_t op, nrt_cc_op_type_t cc_op,
                                   nrt_cc_context_t **cc_ctx)
{
    (void)dtype;
    (void)op;
    (void)cc_op;
    CHECK_RUNNING();
    CHECK_NOT_NULL(cc_ctx);
    *cc_ctx = NULL;
    CHECK_NOT_NULL(comm);
    CHECK_NOT_NULL(input);
    CHECK_NOT_NULL(output);
    NOT_YET("nrta_cc_prepare (async collectives)");
}

NRT_API NRT_STATUS nrta_cc_schedule(nrt_cc_context_t **cc_ctx, int queue, nrta_error_tracker_t *err,
                                    nrta_seq_t *req_sequence)
{
    (void)err;
    CHECK_RUNNING();
    CHECK_NOT_NULL(cc_ctx);
    CHECK_NOT_NULL(*cc_ctx);
    CHECK_NOT_NULL(req_sequence);
    CHECK_ARG(queue == 0, NRT_INVALID, "queue %d does not exist on unit COLLECTIVES (only 0)", queue);
    NOT_YET("nrta_cc_schedule (async collectives)");
}

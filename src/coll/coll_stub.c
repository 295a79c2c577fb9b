/*
 * src/coll/coll_stub.c - collectives and async send/receive entry points.
 *
 * These features arrive in later work; until then every entry point
 * checks its arguments, logs one line saying the feature is not available
 * yet, and returns NRT_FAILURE (listed in the README's feature table).
 * The pieces that need no network are real: the limits queries, and
 * barrier / all-gather for a single participant.
 */
#include <string.h>

#include "core/core.h"
#include "nrt/nrt_async_sendrecv.h"
#include "nrt/nrt_experimental.h"

#define NOT_YET(what)                                                          \
    do {                                                                       \
        LOG_ERROR("%s is not available yet in OpenNRT %s", what, NRTX_VERSION_STRING); \
        return NRT_FAILURE;                                                    \
    } while (0)

#define SENDRECV_MAX_COMMS 64
#define SENDRECV_MAX_PENDING 256

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

NRT_API NRT_STATUS nrt_async_sendrecv_get_max_num_communicators_per_lnc(int *num)
{
    CHECK_NOT_NULL(num);
    *num = SENDRECV_MAX_COMMS;
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_async_sendrecv_get_max_num_pending_request(int *num)
{
    CHECK_NOT_NULL(num);
    *num = SENDRECV_MAX_PENDING;
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_async_sendrecv_init(int lnc)
{
    CHECK_RUNNING();
    CHECK_CORE(lnc);
    NOT_YET("async send/receive (nrt_async_sendrecv_init)");
}

NRT_API NRT_STATUS nrt_async_sendrecv_close(int lnc)
{
    CHECK_RUNNING();
    CHECK_CORE(lnc);
    NOT_YET("async send/receive (nrt_async_sendrecv_close)");
}

NRT_API NRT_STATUS nrt_async_sendrecv_connect(const char *peer_ip, int peer_lnc, int lnc,
                                              nrt_async_sendrecv_comm_t **send_comm)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(send_comm);
    *send_comm = NULL;
    CHECK_NOT_NULL(peer_ip);
    CHECK_ARG(peer_lnc >= 0, NRT_INVALID, "peer_lnc %d is negative", peer_lnc);
    CHECK_CORE(lnc);
    NOT_YET("async send/receive (nrt_async_sendrecv_connect)");
}

NRT_API NRT_STATUS nrt_async_sendrecv_accept(const char *peer_ip, int peer_lnc, int lnc,
                                             nrt_async_sendrecv_comm_t **recv_comm)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(recv_comm);
    *recv_comm = NULL;
    CHECK_NOT_NULL(peer_ip);
    CHECK_ARG(peer_lnc >= 0, NRT_INVALID, "peer_lnc %d is negative", peer_lnc);
    CHECK_CORE(lnc);
    NOT_YET("async send/receive (nrt_async_sendrecv_accept)");
}

NRT_API NRT_STATUS nrt_async_sendrecv_test_comm(nrt_async_sendrecv_comm_t *comm, bool *done)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(done);
    *done = false;
    CHECK_ARG(comm != NULL, NRT_INVALID_HANDLE, "communicator is NULL");
    NOT_YET("async send/receive (nrt_async_sendrecv_test_comm)");
}

NRT_API NRT_STATUS nrt_async_sendrecv_send_tensor(nrt_tensor_t *tensor, size_t offset, size_t length,
                                                  nrt_async_sendrecv_comm_t *send_comm,
                                                  nrt_async_sendrecv_request_t **request)
{
    (void)offset;
    (void)length;
    CHECK_RUNNING();
    CHECK_NOT_NULL(request);
    *request = NULL;
    CHECK_NOT_NULL(tensor);
    CHECK_ARG(send_comm != NULL, NRT_INVALID_HANDLE, "communicator is NULL");
    NOT_YET("async send/receive (nrt_async_sendrecv_send_tensor)");
}

NRT_API NRT_STATUS nrt_async_sendrecv_recv_tensor(nrt_tensor_t *tensor, size_t offset, size_t length,
                                                  nrt_async_sendrecv_comm_t *recv_comm,
                                                  nrt_async_sendrecv_request_t **request)
{
    (void)offset;
    (void)length;
    CHECK_RUNNING();
    CHECK_NOT_NULL(request);
    *request = NULL;
    CHECK_NOT_NULL(tensor);
    CHECK_ARG(recv_comm != NULL, NRT_INVALID_HANDLE, "communicator is NULL");
    NOT_YET("async send/receive (nrt_async_sendrecv_recv_tensor)");
}

NRT_API NRT_STATUS nrt_async_sendrecv_test_request(nrt_async_sendrecv_request_t *request, bool *done, size_t *size)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(done);
    CHECK_NOT_NULL(size);
    *done = false;
    *size = 0;
    CHECK_ARG(request != NULL, NRT_INVALID_HANDLE, "request is NULL");
    NOT_YET("async send/receive (nrt_async_sendrecv_test_request)");
}

NRT_API NRT_STATUS nrt_async_sendrecv_flush(int lnc)
{
    CHECK_RUNNING();
    CHECK_CORE(lnc);
    NOT_YET("async send/receive (nrt_async_sendrecv_flush)");
}

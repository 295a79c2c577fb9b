/*
 * sr_peer - one side of a cross-host transfer, for netns_sendrecv.sh:
 *
 *   sr_peer send PEER_IP TRANSPORT SIZE...   (physical core 0 of this host)
 *   sr_peer recv PEER_IP TRANSPORT SIZE...   (physical core 0 of this host)
 *
 * The sender connects to PEER_IP/lnc 0 and sends one tensor of each SIZE
 * (bytes) with a pattern of (index, byte); the receiver accepts from
 * PEER_IP/lnc 0, receives and verifies each. Both check that their comms
 * run over TRANSPORT. The receiver then connects back and sends a one-byte
 * acknowledgement, so that the sender closes only after the receiver has
 * seen everything. Exit 0 when every check passed. The port comes from
 * NEURON_RT_ASYNC_SENDRECV_BOOTSTRAP_PORT.
 */
#include "net_util.h"

#define LNC 0

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s send|recv PEER_IP TRANSPORT SIZE...\n", argv[0]);
        return 2;
    }
    alarm(100);
    bool send = strcmp(argv[1], "send") == 0;
    const char *ip = argv[2], *transport = argv[3];
    const char *me = send ? "sender" : "receiver";
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    ASSERT_OK(nrt_async_sendrecv_init(LNC));
    ASSERT_OK(nrt_async_sendrecv_flush(LNC));
    /* data: sender -> receiver; acknowledgement: receiver -> sender */
    nrt_async_sendrecv_comm_t *data = NULL, *ack = NULL;
    if (send) {
        ASSERT_OK(nrt_async_sendrecv_connect(ip, LNC, LNC, &data));
        ASSERT_OK(nrt_async_sendrecv_accept(ip, LNC, LNC, &ack));
    } else {
        ASSERT_OK(nrt_async_sendrecv_accept(ip, LNC, LNC, &data));
        ASSERT_OK(nrt_async_sendrecv_connect(ip, LNC, LNC, &ack));
    }
    nrt_async_sendrecv_comm_t *c[2] = {data, ack};
    t_comms_ok(c, 2, 30, me);
    t_check_info(data, transport, ip, LNC, send, me);
    t_check_info(ack, transport, ip, LNC, !send, me);
    for (int i = 4; i < argc; i++) {
        size_t n = (size_t)strtoull(argv[i], NULL, 0);
        nrt_tensor_t *t = t_tensor(0, n, me);
        char what[96];
        snprintf(what, sizeof what, "%s: %zu bytes from %s", me, n, ip);
        nrt_async_sendrecv_request_t *r = NULL;
        double t0 = t_now_s();
        if (send) {
            t_tfill(t, 0, n, 900 + (uint64_t)i, 0);
            t0 = t_now_s();
            ASSERT_OK(nrt_async_sendrecv_send_tensor(t, 0, n, data, &r));
            t_req_ok(r, n, what);
        } else {
            ASSERT_OK(nrt_async_sendrecv_recv_tensor(t, 0, n, data, &r));
            t_req_ok(r, n, what);
            printf("%s: %zu bytes over %s in %.3f s\n", me, n, transport, t_now_s() - t0);
            t_tcheck(t, 0, n, 900 + (uint64_t)i, 0, what);
        }
        nrt_tensor_free(&t);
    }
    nrt_tensor_t *a = t_tensor(0, 1, "ack");
    nrt_async_sendrecv_request_t *r = NULL;
    if (send) {
        ASSERT_OK(nrt_async_sendrecv_recv_tensor(a, 0, 1, ack, &r));
        t_req_ok(r, 1, "sender: acknowledgement");
        t_tcheck(a, 0, 1, 99, 0, "sender: acknowledgement");
    } else {
        t_tfill(a, 0, 1, 99, 0);
        ASSERT_OK(nrt_async_sendrecv_send_tensor(a, 0, 1, ack, &r));
        /* the sender may close as soon as it has the byte: the send's own
         * completion may race with that, and everything was checked */
        NRT_STATUS st;
        size_t sz;
        t_reqs_poll(&r, 1, &st, &sz, T_OP_S, NULL);
        ASSERT_TRUE(st != T_PENDING);
        if (st != NRT_SUCCESS)
            printf("receiver: the acknowledgement's send ended %s (the sender may have closed)\n", t_st(st));
    }
    nrt_tensor_free(&a);
    nrtx_sendrecv_comm_info_t info = t_info(data);
    printf("%s: ok (transport %s, peer %s, %llu bytes)\n", me, info.transport, info.peer,
           (unsigned long long)info.bytes);
    ASSERT_OK(nrt_async_sendrecv_close(LNC));
    nrt_close();
    return t_soft_failures ? 1 : 0;
}

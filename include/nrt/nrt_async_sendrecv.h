/*
 * nrt/nrt_async_sendrecv.h - asynchronous tensor send/receive between
 * logical cores, in one process or across processes and hosts.
 *
 * Model (the NCCL network-plugin shape): a core opens send/recv with
 * nrt_async_sendrecv_init(lnc); a sender calls connect(peer_ip, peer_lnc),
 * the receiver accept(sender_ip, sender_lnc); both poll test_comm until it
 * reports done; then transfers are posted with send_tensor / recv_tensor
 * and polled with test_request.
 *
 * Cores. |lnc| is the ABSOLUTE id of the logical core on its host (as in
 * NEURON_RT_VISIBLE_CORES), not the visible index used by tensors and
 * models: with NEURON_RT_VISIBLE_CORES=2,3 the core that tensors call 0 is
 * lnc 2 here. One process per host serves a given lnc.
 *
 * Finding peers. Each host has one rendezvous, a TCP port
 * (NEURON_RT_ASYNC_SENDRECV_BOOTSTRAP_PORT, default 45645, the same on all
 * hosts) served by one of its processes, elected automatically. connect may
 * be called before the peer's accept, even before the peer process starts:
 * the connector retries until OPENNRT_SR_CONNECT_TIMEOUT_MS (default 30 s)
 * passes, then test_comm returns NRT_TIMEOUT and the log names the peer.
 * IPv4 and IPv6 addresses both work. For accept, peer_ip is the sender's
 * address as the receiver sees it (on loopback, "127.0.0.1" or "::1").
 *
 * Paths. Cores of one process copy directly; other processes, on this
 * host or another, are reached over libfabric's tcp;ofi_rxm.
 * OPENNRT_SR_TRANSPORT=shm makes processes of one host use libfabric's shm
 * provider instead: faster, but with libfabric 1.17 a receiver that dies
 * with sends outstanding blocks the sender's shm endpoint for good, so then
 * the sender's other shm communicators on that core fail too, and new shm
 * ones are refused until the core is closed and initialized again. A
 * process killed while holding one of the provider's locks (in shared
 * memory) catches for good the next thread of a peer that takes it: when
 * that is the core's progress thread, the core's communicators fail about
 * 3 s later and close leaves the thread behind (leaked) instead of
 * waiting; an application thread inside test_request can be caught the
 * same way. docs/API.md. nrtx_async_sendrecv_comm_info()
 * (nrt/nrt_ext.h) says which path a communicator uses.
 *
 * Progress. Every initialized core has a progress thread that moves data
 * whether or not the application calls test_request; test_request also
 * drives progress itself. An idle core's thread sleeps (no CPU).
 *
 * Matching and sizes. Transfers on one communicator match in posting
 * order: the n-th send with the n-th receive. A receive longer than its
 * send completes with *size = the send's length and leaves the rest of its
 * range untouched. A receive shorter than its send fails on both sides
 * (test_request returns NRT_FAILURE on each) and never writes past its
 * range. Zero-length transfers work.
 *
 * Failures. A communicator whose peer goes away (process exit or crash,
 * nrt_async_sendrecv_close on the peer, a host that stops answering for
 * about OPENNRT_SR_PEER_TIMEOUT_MS) fails for good: its pending requests
 * complete with NRT_FAILURE within about two seconds (one log line names
 * the peer), and later posts on it return NRT_FAILURE. The core's other
 * communicators are not affected (except under OPENNRT_SR_TRANSPORT=shm,
 * see Paths). A transfer whose data may already be on the way when the
 * peer's connection ends gets one more second to complete.
 *
 * Blocking. No function here waits for the network: init and close take
 * at most a few milliseconds (close lets acknowledgements of finished
 * receives go out, for at most one second, and gives a progress thread
 * caught inside libfabric 3 s before leaving it behind, see Paths),
 * everything else returns at once.
 *
 * Thread safety. connect, accept, send_tensor and recv_tensor are
 * thread-safe. test_request is thread-safe across different requests; one
 * request must not be tested from two threads at once. init and close of
 * one core must not race with other calls on that core.
 *
 * Ownership. A tensor stays owned by the application; a posted transfer
 * keeps its memory alive (freeing the tensor handle early is safe) but the
 * application must not write a tensor being sent, nor read one being
 * received, until test_request reports done. Communicators and requests
 * are owned by the runtime: a request is gone once test_request reported
 * it done (successfully or not); communicators are gone after close.
 * Stale handles are refused with NRT_INVALID_HANDLE where the runtime can
 * detect them (always, unless the memory was reused for a new object).
 *
 * Statuses common to all functions: NRT_UNINITIALIZED / NRT_CLOSED before
 * nrt_init or after nrt_close; NRT_INVALID for NULL pointers and bad
 * arguments; each failure logs one line saying what was wrong.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "nrt/nrt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nrt_async_sendrecv_comm nrt_async_sendrecv_comm_t;
typedef struct nrt_async_sendrecv_request nrt_async_sendrecv_request_t;

/* Communicators per core (send and receive together): 64. Callable any time. */
NRT_STATUS nrt_async_sendrecv_get_max_num_communicators_per_lnc(int *num);

/* Requests posted and not yet reported done by test_request, per
 * communicator: 128 (the Neuron runtime's). Callable any time. */
NRT_STATUS nrt_async_sendrecv_get_max_num_pending_request(int *num);

/* Opens send/recv on absolute core |lnc|, which must be visible to this
 * process. Only between nrt_init and nrt_close. NRT_FAILURE when |lnc| is
 * not visible, is already initialized (also after a failed close), or is
 * served by another process of this host. */
NRT_STATUS nrt_async_sendrecv_init(int lnc);

/* Closes send/recv on |lnc|: every communicator and request of the core is
 * gone afterwards, and the peers' communicators fail. NRT_FAILURE, with
 * nothing changed (the core stays initialized, so a following init fails),
 * while a communicator is still connecting or a request has not been
 * reported done by test_request. nrt_close closes cores left open. */
NRT_STATUS nrt_async_sendrecv_close(int lnc);

/* Creates a send communicator from |lnc| to core |peer_lnc| of the host at
 * |peer_ip| (IPv4 or IPv6 text) and starts connecting in the background.
 * NRT_RESOURCE at the communicator limit, NRT_FAILURE when |lnc| is not
 * initialized, NRT_INVALID for a malformed address. Thread-safe. */
NRT_STATUS nrt_async_sendrecv_connect(const char *peer_ip, int peer_lnc, int lnc,
                                      nrt_async_sendrecv_comm_t **send_comm);

/* Creates a receive communicator on |lnc| for the sender |peer_lnc| of the
 * host at |peer_ip|. Several accepts for one peer pair with its connects
 * in the order both were made. Statuses as connect. Thread-safe. */
NRT_STATUS nrt_async_sendrecv_accept(const char *peer_ip, int peer_lnc, int lnc,
                                     nrt_async_sendrecv_comm_t **recv_comm);

/* Sets *done when |comm| is connected; never blocks. Returns NRT_TIMEOUT
 * once the connect timeout passed without a peer, NRT_FAILURE when the
 * handshake failed for another reason (the log says which), and
 * NRT_INVALID_HANDLE for a stale handle. A communicator that connected
 * keeps reporting done after its peer failed (its transfers fail). */
NRT_STATUS nrt_async_sendrecv_test_comm(nrt_async_sendrecv_comm_t *comm, bool *done);

/* Posts a send of |length| bytes at |offset| of |tensor| and returns at
 * once with *request. The tensor may be a host tensor or a device tensor of
 * the communicator's core. NRT_INVALID_HANDLE for a bad tensor or
 * communicator handle; NRT_INVALID when offset + length is outside the
 * tensor (wrap-around included), the tensor lives on another core, or
 * |send_comm| is a receive communicator; NRT_FAILURE when the communicator
 * is not connected (test_comm has not reported done) or has failed;
 * NRT_RESOURCE at the pending-request limit (nothing posted). */
NRT_STATUS nrt_async_sendrecv_send_tensor(nrt_tensor_t *tensor, size_t offset, size_t length,
                                          nrt_async_sendrecv_comm_t *send_comm,
                                          nrt_async_sendrecv_request_t **request);

/* Posts a receive of at most |length| bytes into |tensor| at |offset|;
 * as send_tensor otherwise (|recv_comm| must be a receive communicator). */
NRT_STATUS nrt_async_sendrecv_recv_tensor(nrt_tensor_t *tensor, size_t offset, size_t length,
                                          nrt_async_sendrecv_comm_t *recv_comm,
                                          nrt_async_sendrecv_request_t **request);

/* Tests |request| without blocking. Not finished: returns NRT_SUCCESS with
 * *done = false. Finished: sets *done = true and *size (may be NULL) to the
 * bytes transferred (a receive: what the matching send sent), and returns
 * the request's status: NRT_SUCCESS, or NRT_FAILURE / NRT_TIMEOUT when the
 * transfer failed (*size is then 0). Either way the request is gone: testing
 * it again returns NRT_INVALID_HANDLE. */
NRT_STATUS nrt_async_sendrecv_test_request(nrt_async_sendrecv_request_t *request, bool *done, size_t *size);

/* Makes sure the data of receives already reported done on |lnc| is in
 * memory (host memory here: a fence). NRT_FAILURE when |lnc| is not
 * initialized. */
NRT_STATUS nrt_async_sendrecv_flush(int lnc);

#ifdef __cplusplus
}
#endif

/*
 * src/net/net.h - the transport layer: fabric endpoints and tagged
 * messages, shared by async send/receive and the collectives.
 *
 * An endpoint (nrt__net_ep_t) is one libfabric reliable-datagram endpoint
 * with its address vector and completion queue, of one kind:
 *   NRT__NET_TCP  "tcp;ofi_rxm", bound to one local address
 *                 (nrt__net_ep_open_at; the one a peer reached us on) or
 *                 to the wildcard: a peer inserts that address and our
 *                 port;
 *   NRT__NET_SHM  "shm", between processes of one host.
 * Cores of one process use no endpoint at all: the send/recv layer copies
 * directly (src/sendrecv/sr_data.c).
 *
 * Operations are tagged sends and receives of caller memory. Each one
 * carries an nrt__net_op_t that the caller embeds in its own object; when
 * the operation ends, nrt__net_progress() calls op->done(op, status, len)
 * exactly once, on the thread that called progress, with the status as an
 * NRT_STATUS (ofi_err.c maps libfabric codes: a truncated receive is
 * NRT_FAILURE with len = the bytes written, never more than posted). An
 * operation cancelled with nrt__net_cancel() also reports done (status
 * NRT_FAILURE) unless the provider completed it first; a send cannot be
 * cancelled (libfabric 1.17), so its memory stays owned by the endpoint
 * until it completes or the endpoint is closed: nrt__net_ep_close() calls
 * done(NRT_FAILURE) for every operation still posted.
 *
 * Thread safety: posts, cancel and progress may be called from any thread
 * (FI_THREAD_SAFE domain); progress is serialised by the caller if it wants
 * one poller (send/recv does, with a try-flag per core). No libfabric type
 * appears in this header: libfabric lives under src/net/ofi/ only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "nrt/nrt_status.h"

typedef enum nrt__net_kind {
    NRT__NET_TCP = 0,
    NRT__NET_SHM = 1,
    NRT__NET_KIND_NUM
} nrt__net_kind_t;

typedef struct nrt__net_ep nrt__net_ep_t;
typedef uint64_t nrt__net_addr_t; /* a peer in an endpoint's address vector */

#define NRT__NET_ADDR_MAX 128 /* bytes of an endpoint name */

typedef struct nrt__net_op nrt__net_op_t;
typedef void (*nrt__net_done_fn)(nrt__net_op_t *op, NRT_STATUS status, size_t len);

struct nrt__net_op {
    /* The provider's per-operation scratch (fi_context2) comes first: its
     * address is the completion's op_context. */
    void *provider[8];
    nrt__net_done_fn done;
    nrt__net_ep_t *ep;
    bool is_recv;
    uint64_t tag;               /* set before done: the completed message's tag */
    nrt__net_op_t *next, *prev; /* the endpoint's list of posted ops */
};

/* The provider name of a kind ("tcp;ofi_rxm", "shm"). */
const char *nrt__net_kind_name(nrt__net_kind_t kind);

/* Opens an endpoint of |kind|. |ipv6|: for TCP, bind the IPv6 wildcard
 * (dual-stack) rather than IPv4's. Logs and returns NRT_FAILURE when the
 * provider is missing or FI_PROVIDER excludes it. */
NRT_STATUS nrt__net_ep_open(nrt__net_kind_t kind, nrt__net_ep_t **out);
/* The same, for TCP bound to |bind_ip| (numeric; NULL: the wildcard). */
NRT_STATUS nrt__net_ep_open_at(nrt__net_kind_t kind, const char *bind_ip, nrt__net_ep_t **out);
const char *nrt__net_tcp_bind_ip(const nrt__net_ep_t *ep); /* "" for the wildcard */

/* Closes |ep|: every operation still posted reports done(NRT_FAILURE)
 * first, then the libfabric objects are closed. */
void nrt__net_ep_close(nrt__net_ep_t *ep);

nrt__net_kind_t nrt__net_ep_kind(const nrt__net_ep_t *ep);

/* The endpoint's own name, as a peer inserts it: for TCP a sockaddr with
 * the wildcard address (see nrt__net_tcp_addr), for SHM a string. */
NRT_STATUS nrt__net_ep_name(nrt__net_ep_t *ep, void *buf, size_t *len);

/* For TCP endpoints: the port the endpoint listens on and whether it is
 * an IPv6 (dual-stack) endpoint. */
uint16_t nrt__net_tcp_port(const nrt__net_ep_t *ep);
bool nrt__net_tcp_is_ipv6(const nrt__net_ep_t *ep);

/* Builds in |out| the address of a TCP peer endpoint listening on |port|
 * of the host whose IP is |ip| (the control connection's peer), in the
 * family |ep| uses (an IPv4 ip becomes v4-mapped for an IPv6 endpoint).
 * Returns the length, 0 when the families cannot meet. */
size_t nrt__net_tcp_addr(const nrt__net_ep_t *ep, const struct sockaddr_storage *ip, uint16_t port,
                         struct sockaddr_storage *out);

/* Adds / removes a peer. */
NRT_STATUS nrt__net_av_insert(nrt__net_ep_t *ep, const void *name, nrt__net_addr_t *out);
void nrt__net_av_remove(nrt__net_ep_t *ep, nrt__net_addr_t addr);

/* Posts a tagged send of |len| bytes at |buf| to |dst|, or a receive into
 * |buf| of at most |len| bytes from anyone, matching |tag| in the bits not
 * set in |ignore| (op->tag tells the sent tag at completion).
 * NRT_SUCCESS: posted, op->done will be called. NRT_QUEUE_FULL: the
 * provider is out of resources right now (retry after progress); op is not
 * posted. Any other status: failed, not posted. */
NRT_STATUS nrt__net_post_send(nrt__net_ep_t *ep, nrt__net_addr_t dst, const void *buf, size_t len, uint64_t tag,
                              nrt__net_op_t *op);
NRT_STATUS nrt__net_post_recv(nrt__net_ep_t *ep, void *buf, size_t len, uint64_t tag, uint64_t ignore,
                              nrt__net_op_t *op);

/* Sends a message of at most nrt__net_inject_max() bytes without a
 * completion; |buf| may be reused at once. NRT_QUEUE_FULL as above. */
NRT_STATUS nrt__net_inject(nrt__net_ep_t *ep, nrt__net_addr_t dst, const void *buf, size_t len, uint64_t tag);
size_t nrt__net_inject_max(const nrt__net_ep_t *ep);

/* Asks the provider to cancel a posted receive (its done follows from a
 * later progress call). */
void nrt__net_cancel(nrt__net_ep_t *ep, nrt__net_op_t *op);

/* Reads completions and calls their done callbacks. Returns how many. */
int nrt__net_progress(nrt__net_ep_t *ep);

/* A file descriptor that becomes readable when completions may be ready,
 * or -1 when the provider has none (shm): then sleep with a timeout.
 * Before sleeping on it, call nrt__net_trywait(): false means poll again. */
int nrt__net_wait_fd(const nrt__net_ep_t *ep);
bool nrt__net_trywait(nrt__net_ep_t *ep);

/* For shm: the file under /dev/shm holding a peer's region, from its
 * name; false if the name is not an shm one. Used to remove the region of
 * a peer that died (the provider leaves it behind). */
bool nrt__net_shm_region_path(const void *name, char *path, size_t cap);

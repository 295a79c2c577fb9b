/*
 * src/sendrecv/sr.h - async send/receive between logical cores (internal).
 *
 * Three parts:
 *   sr_api.c   the public nrt_async_sendrecv_* functions: argument checks,
 *              the per-core state, communicator and request objects;
 *   sr_ctl.c   the control plane, one thread per process: the host's
 *              rendezvous (one process per host serves the bootstrap port,
 *              elected through an abstract Unix socket), the connection
 *              handshakes, and liveness (each communicator keeps its TCP
 *              control connection; its end means the peer is gone);
 *   sr_data.c  the data plane: the protocol over the transport layer
 *              (src/net/net.h), the direct path between cores of one
 *              process, and one progress thread per core.
 *
 * Protocol (fabric paths). Every communicator has an id on its core (slot
 * and generation); both sides learn the other's in the handshake. The n-th
 * send of a communicator is a tagged message DATA|peer_id|n; the n-th
 * receive is posted with that tag, so transfers match in posting order
 * whatever the timing. The protocol is receiver-driven: a receive posts its
 * buffer and sends CTS|peer_id|n {length}; the send waits for it and sends
 * its data, or, when the receive is shorter, a zero-byte ABORT in its
 * place, so both sides fail and nothing is ever truncated (libfabric tells
 * only the receiver about truncation, and tcp;ofi_rxm drops the connection
 * on it).
 *
 * References held on a request: the application's (until test_request
 * reports done), the communicator's in-flight slot (until it completes or
 * fails), and one per posted fabric operation (until libfabric reports it,
 * or the endpoint is closed): a failed send whose data libfabric still
 * holds keeps its tensor storage alive until then.
 *
 * A thread can be caught inside libfabric for good: 1.17's shm guards each
 * process's region with a spinlock in shared memory, taken by that
 * process's progress and by every sender to it, so a process killed while
 * holding one (its own, or a peer's it was sending to) leaves every later
 * taker spinning. When that is the core's progress thread, the control
 * thread notices (a shm peer died and the thread has been inside one call
 * for NRT__SR_STUCK_NS) and fails the core's communicators, and
 * close leaves the thread behind with the endpoints it may touch, leaked
 * (sr_data.c: nrt__sr_core_check_stuck, nrt__sr_core_stop). An application
 * thread polling test_request can be caught the same way (docs/API.md).
 */
#pragma once

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/lock.h"
#include "common/obj.h"
#include "core/core.h"
#include "net/net.h"
#include "nrt/nrt_async_sendrecv.h"
#include "nrt/nrt_ext.h"
#include "tensor/tensor.h"

#define NRT__SR_MAX_COMMS 64     /* per logical core (documented; ids have 10 bits of slot) */
#define NRT__SR_MAX_PENDING 128  /* per communicator (the Neuron runtime's) */
#define NRT__SR_SLOTS 256        /* in-flight slots, > 2 * MAX_PENDING not needed: > MAX_PENDING */
#define NRT__SR_GRACE_NS 1000000000ull /* sends whose data went out, after their peer went away */
#define NRT__SR_RETIRED_MAX 16    /* shm endpoints a core may retire (dead peers) */
#define NRT__SR_TCP_EPS 8         /* local addresses a core serves (loopback, each interface used) */
#define NRT__SR_STUCK_NS 3000000000ull /* a progress thread inside one provider call this long is stuck */
#define NRT__SR_INLINE_COPY (64u << 10) /* local path: copies up to this size run in the poster */

typedef enum { NRT__SR_LOCAL = 0, NRT__SR_SHM = 1, NRT__SR_TCP = 2 } nrt__sr_path_t;

/* Transport choice (OPENNRT_SR_TRANSPORT). */
typedef enum { NRT__SR_WANT_AUTO = 0, NRT__SR_WANT_TCP, NRT__SR_WANT_SHM } nrt__sr_want_t;

enum { NRT__SR_CONNECTING = 0, NRT__SR_CONNECTED = 1, NRT__SR_FAILED = 2 };

typedef struct nrt__sr_core nrt__sr_core_t;
typedef struct nrt_async_sendrecv_request nrt__sr_req_t;
typedef struct nrt_async_sendrecv_comm nrt__sr_comm_t;

struct nrt_async_sendrecv_comm {
    nrt__obj_t obj;
    nrt__sr_core_t *core;
    uint32_t id;            /* slot | gen << 10, in tags */
    bool is_send;
    char peer_ip[64];
    int peer_lnc;
    struct sockaddr_storage peer_sa; /* the peer host (port unused) */
    _Atomic int state;      /* NRT__SR_CONNECTING / CONNECTED / FAILED */
    _Atomic bool was_connected; /* reached CONNECTED (test_comm says done even if it failed since) */
    _Atomic NRT_STATUS fail_status; /* set before state becomes FAILED (read by any thread) */
    uint64_t deadline_ns;   /* connecting: when test_comm says NRT_TIMEOUT */

    /* Set by the handshake, before state becomes CONNECTED. */
    nrt__sr_path_t path;
    nrt__net_ep_t *ep;
    nrt__net_addr_t peer_addr;
    uint32_t peer_id;
    nrt__sr_comm_t *local_peer; /* LOCAL: the other side (a reference) */
    int peer_pid;
    char peer_shm[NRT__NET_ADDR_MAX]; /* SHM: the peer's endpoint name */

    _Atomic uint64_t next_seq;
    _Atomic uint32_t pending;   /* posted, not yet reported done by test */
    _Atomic uint64_t bytes;
    _Atomic(nrt__sr_req_t *) inflight[NRT__SR_SLOTS];
    _Atomic(nrt__sr_req_t *) cells[NRT__SR_SLOTS]; /* LOCAL receiver: the first of a pair to arrive */
    uint32_t trace_track;
    uint64_t order;             /* creation order: accepts match first-come */
    bool matched;               /* accept: a HELLO was matched to it */
    _Atomic bool dropped;       /* fault injection dropped it */
    _Atomic bool graced;        /* failed, with sends whose data went out still in flight */
    uint64_t grace_end_ns;      /* ... which fail after this time */
};

struct nrt_async_sendrecv_request {
    nrt__obj_t obj;
    nrt__sr_comm_t *comm; /* a reference */
    nrt__storage_t *st;   /* a reference */
    char *buf;
    size_t len;
    uint64_t seq;
    bool is_send;
    _Atomic bool data_posted; /* a send whose data libfabric has (see the grace period) */
    _Atomic int done;     /* 0 pending, 1 finished (status, size set) */
    _Atomic int parts;    /* -1 once finished (the first outcome claims it) */
    NRT_STATUS status;
    size_t size;
    uint64_t t_post;
    nrt__net_op_t data_op, ack_op;
    struct nrt__sr_ack { /* a clear-to-send: sent by receives, received by sends */
        uint32_t magic;
        uint32_t pad;
        uint64_t len;    /* the receive's length */
    } ack;
    nrt__sr_req_t *next; /* retry / copy lists */
    uint8_t retry;       /* which posts still need doing (SR_RETRY_*) */
    nrt__sr_req_t *pair; /* LOCAL: the matched send, on the receive */
};

struct nrt__sr_core {
    int lnc;   /* absolute id */
    int vnc;   /* visible index in this process */
    uint32_t gen;
    nrt__net_ep_t *_Atomic eps[NRT__NET_KIND_NUM]; /* opened by the progress thread */
    _Atomic bool shm_blocked; /* a dead receiver blocked the shm endpoint (see retire) */
    _Atomic bool shm_peer_died; /* a shm peer's process died (the stuck watch starts) */
    _Atomic bool eps_ready; /* the progress thread has opened (or failed to open) the endpoints */
    nrt__net_ep_t *retired[NRT__SR_RETIRED_MAX]; /* shm endpoints blocked by a dead peer (closed with the core) */
    nrt__net_ep_t *_Atomic tcp_at[NRT__SR_TCP_EPS]; /* TCP endpoints bound to the local IPs peers reach */
    nrt__mutex_t lock;     /* comm table, retry/copy lists (see docs/INTERNALS.md) */
    nrt__sr_comm_t *comms[NRT__SR_MAX_COMMS];
    uint8_t comm_gen[NRT__SR_MAX_COMMS];
    uint32_t ncomms;
    nrt__sr_req_t *retry_head;            /* posts refused with "try again" (acks too) */
    nrt__sr_req_t *copy_head, *copy_tail; /* LOCAL copies too large to run inline */
    _Atomic bool has_deferred;            /* either list is non-empty */
    _Atomic bool any_graced;              /* a failed communicator has graced sends */
    _Atomic int acks_out;                 /* clear-to-send messages posted, not yet sent */

    /* Progress. */
    pthread_t thread;
    bool thread_started;
    _Atomic bool stop;
    _Atomic bool progressing; /* one poller at a time */
    _Atomic int active;       /* fabric ops posted + deferred work */
    _Atomic bool sleeping;
    _Atomic bool sleep_forever; /* the current sleep has no timeout: always wake it */
    _Atomic bool wake_pending;
    int wake_fd;
    _Atomic uint64_t app_poll_ns;
    _Atomic uint64_t prov_since_ns; /* the progress thread entered the provider at (0: it is not inside) */
    _Atomic bool exited;      /* the progress thread returned */
    _Atomic bool stuck;       /* it stayed inside the provider past NRT__SR_STUCK_NS (see sr_data.c) */
    bool leaked;              /* close left the thread behind: the core is never freed */
    nrt__sr_core_t *leaked_next;
    uint64_t spin_ns;
};

/* Settings read at init. */
typedef struct nrt__sr_cfg {
    uint16_t boot_port;
    uint64_t connect_timeout_ns;
    uint64_t peer_timeout_ms;
    nrt__sr_want_t want;
    uint64_t spin_ns;
} nrt__sr_cfg_t;

extern nrt__sr_cfg_t nrt__sr_cfg;
extern const nrt__obj_type_t nrt__sr_comm_type, nrt__sr_req_type;

/* sr_trace.c: transfers in the timeline trace. */
bool nrt__sr_trace_on(void);
void nrt__sr_trace(const nrt__sr_req_t *req);

/* sr_fault.c: injected network failures. */
bool nrt__sr_fault_transfer(int lnc, bool is_send, NRT_STATUS *status, uint64_t *nth);
bool nrt__sr_fault_drop(int lnc, uint64_t bytes, uint64_t *limit);
/* Fails |comm| with |st| and ends its connection, so the peer fails too. */
void nrt__sr_inject_drop(nrt__sr_comm_t *comm, NRT_STATUS st, const char *why);

/* sr_api.c */
nrt__sr_core_t *nrt__sr_core_get(int lnc); /* the initialized core, or NULL */
void nrt__sr_close_all(void);              /* nrt_close */
void nrt__sr_after_fork(void);             /* fork() child: forget the parent's cores */

/* sr_ctl.c: the control plane. */
NRT_STATUS nrt__sr_ctl_register(nrt__sr_core_t *core);   /* start the thread, claim lnc on this host */
void nrt__sr_ctl_unregister(nrt__sr_core_t *core);       /* drop every control connection of the core */
void nrt__sr_ctl_add_comm(nrt__sr_comm_t *comm);         /* start connecting / accepting */
void nrt__sr_ctl_shutdown(void);                         /* last core closed or nrt_close */
void nrt__sr_ctl_after_fork(void);                       /* fork() child: forget the parent's */
void nrt__sr_ctl_drop(nrt__sr_comm_t *comm);             /* end its control connection (the peer notices) */
void nrt__sr_ctl_wake(void);                             /* something it waits for is ready */
bool nrt__sr_same_host_id(const uint8_t id[16]);

/* sr_data.c: the data plane. */
NRT_STATUS nrt__sr_core_start(nrt__sr_core_t *core); /* endpoints + progress thread */
void nrt__sr_core_stop(nrt__sr_core_t *core); /* core->leaked: the thread was left behind (never free it) */
void nrt__sr_core_drain(nrt__sr_core_t *core, uint64_t budget_ns); /* let acknowledgements go out */
nrt__net_ep_t *nrt__sr_core_ep(nrt__sr_core_t *core, nrt__net_kind_t kind); /* NULL: none (yet) */
nrt__net_ep_t *nrt__sr_core_tcp_ep(nrt__sr_core_t *core, const char *local_ip); /* control thread */
int nrt__sr_core_retire_shm(nrt__sr_core_t *core, int dead_pid, nrt__sr_comm_t **victims); /* see sr_data.c */
int nrt__sr_core_check_stuck(nrt__sr_core_t *core, uint64_t now, nrt__sr_comm_t **victims); /* control thread */
NRT_STATUS nrt__sr_post(nrt__sr_req_t *req);
void nrt__sr_progress(nrt__sr_core_t *core); /* one pass if nobody else is polling */
void nrt__sr_sweep_graced(nrt__sr_core_t *core); /* fail graced transfers past their grace */
void nrt__sr_comm_fail(nrt__sr_comm_t *comm, NRT_STATUS st, const char *why);
void nrt__sr_comm_connected(nrt__sr_comm_t *comm); /* publish CONNECTED, wake */
void nrt__sr_comm_teardown(nrt__sr_comm_t *comm);  /* destroy path: drop cells, peer */
void nrt__sr_wake(nrt__sr_core_t *core);

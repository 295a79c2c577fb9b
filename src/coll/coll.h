/*
 * src/coll/coll.h - collectives on the COLLECTIVES unit (private).
 *
 * Modules:
 *   coll_world.c   the world: which global id each core joined as, the
 *                  rendezvous through NEURON_RT_ROOT_COMM_ID (a control
 *                  thread per process), liveness of the other processes
 *   coll_api.c     public functions, contexts (prepare/schedule), the op
 *                  that runs on the COLLECTIVES queue, the flight recorder
 *   coll_direct.c  members that are all cores of this process: one-pass
 *                  direct reduction in shared (process) memory
 *   coll_ring.c    everything else: a pipelined ring over the transport
 *                  layer (src/net/net.h, libfabric)
 *   coll_reduce.c  reduction kernels per dtype and op
 *
 * A collective is an op (xu/op.h) whose run() does the whole collective on
 * the strand owner's thread and returns its status; it polls the run token
 * (nrt__queue_cancelled) in every wait, so the exec timeout stops it with
 * NRT_TIMEOUT (the queue then degrades the unit). Before it returns, it has
 * stopped every access to the caller's buffers: the direct path waits for
 * every member to leave (they are threads of this process doing bounded
 * memory work); the ring path closes its endpoint when a transfer may still
 * be posted (libfabric 1.17 cannot cancel a send).
 *
 * Lock order: world.lock (coll_world.c) is a leaf except that the control
 * thread takes it while it handles a message; no lock is held across a
 * wait for another member.
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/common.h"
#include "common/lock.h"
#include "common/obj.h"
#include "net/net.h"
#include "nrt/nrt.h"
#include "nrt/nrt_async.h"

#define NRT__CC_MAX_WORLD 256   /* members of a world */
#define NRT__CC_MAX_IOV 64      /* tensors in a tensor list */
#define NRT__CC_GRACE_NS 1000000000ull /* a gone member's data may still land */
#define NRT__CC_FLIGHT 16       /* flight-recorder entries per core */

typedef enum { NRT__CC_ALGO_AUTO = 0, NRT__CC_ALGO_DIRECT, NRT__CC_ALGO_RING } nrt__cc_algo_t;

/* A buffer as a list of contiguous pieces (a tensor list). */
typedef struct nrt__cc_iov {
    uint32_t n;
    uint64_t total;
    struct {
        char *p;
        uint64_t len;
    } v[NRT__CC_MAX_IOV];
} nrt__cc_iov_t;

/* What every member of one collective must agree on. */
typedef struct nrt__cc_desc {
    uint32_t cc_op, dtype, op, rank_n;
    uint64_t in_bytes, out_bytes;
    uint64_t group_hash;
} nrt__cc_desc_t;

/* A world member as everyone knows it after the rendezvous. */
typedef struct nrt__cc_peer {
    uint32_t gid;
    uint32_t proc;  /* index of its process (liveness) */
    int32_t pid;
    int32_t vnc;    /* >= 0: a core of this process (its visible index) */
    uint16_t port;  /* its TCP endpoint's port */
    struct sockaddr_storage ip; /* its host, as reachable from here */
    char host[64];
} nrt__cc_peer_t;

/* The direct path's per-rank slot: the member's op while it runs. */
typedef struct nrt__cc_dslot {
    _Alignas(NRT__CACHELINE) const struct nrt__cc_run *_Atomic run;
    /* The op number it last arrived for (warnings read this, never |run|:
     * a completed member's run may already be another context's). */
    _Atomic uint64_t seq;
} nrt__cc_dslot_t;

/* A group of members (a replica group) seen from this process: the
 * direct path's shared slots and each local member's op counter. */
typedef struct nrt__cc_group {
    struct nrt__cc_group *next;
    uint64_t hash;
    uint32_t n;
    uint32_t *gids;
    bool all_local;
    /* Direct path: arrival and departure gates, (seq << 16) | count. */
    _Alignas(NRT__CACHELINE) _Atomic uint64_t gate_in;
    _Alignas(NRT__CACHELINE) _Atomic uint64_t gate_out;
    /* The last arriver's verdict on op |seq|: (seq << 16) | 1 ok, | 2 mismatch. */
    _Alignas(NRT__CACHELINE) _Atomic uint64_t verdict;
    struct nrt__cc_dslot *slots; /* [n] */
    _Atomic uint64_t *next_seq; /* [n]: the next op number of each rank */
} nrt__cc_group_t;

/* A core of this process in the world. */
typedef struct nrt__cc_member {
    uint32_t vnc, gid;
    nrt__net_ep_t *ep;          /* ring transport; NULL until needed */
    nrt__net_addr_t *addr;      /* [world]: peers in ep's address vector */
    bool *addr_ok;              /* [world] */
    _Atomic bool failed;        /* its endpoint was closed after a failure */
    /* Flight recorder (written by the member's collectives only). */
    struct nrt__cc_flight {
        uint64_t seq, bytes, t_start, t_end;
        uint32_t cc_op, dtype, rank_n, rank;
        uint64_t group_hash;
        const char *algo;
        NRT_STATUS status;
        int state; /* 0 empty, 1 running, 2 done */
    } flight[NRT__CC_FLIGHT];
    uint64_t nflight;
    /* Ring scratch (contiguous staging for tensor lists, receive slices). */
    char *scratch;
    size_t scratch_cap;
} nrt__cc_member_t;

/* One running collective. It lives in the collective's context (held by
 * the op until it completes), so that a member whose op finishes later
 * (the direct path's pending members) can be completed by another. */
typedef struct nrt__cc_run {
    nrt__cc_member_t *m;
    nrt__cc_group_t *g;
    uint32_t rank;
    uint64_t seq;
    nrt__cc_desc_t d;
    const nrt__cc_iov_t *in, *out;
    size_t esize;
    struct nrt__queue *q; /* cancellation and completion (NULL: none) */
    uint64_t pos;
    struct nrt__cc_flight *flight; /* its flight-recorder entry */
    /* Direct path, last-arriver mode: waiting for the last member. */
    bool pending;
    uint64_t deadline_ns, last_warn_ns, t0_ns;
    struct nrt__cc_run *next_pending;
} nrt__cc_run_t;

/*===------------------------------------------------------------------===*/
/* World (coll_world.c)                                                   */
/*===------------------------------------------------------------------===*/

NRT_STATUS nrt__cc_join(uint32_t vnc, uint32_t gid, uint32_t count, const char *func);
/* The member of core |vnc|, or NULL when it has not joined. */
nrt__cc_member_t *nrt__cc_member(uint32_t vnc);
uint32_t nrt__cc_world_size(void);
/* Waits until the world is assembled (run->q's cancel and periodic
 * warnings apply). NRT_SUCCESS, NRT_TIMEOUT (cancelled) or a failure. */
NRT_STATUS nrt__cc_world_wait(const nrt__cc_run_t *run);
/* The peer record of global id |gid| (valid once the world is ready). */
const nrt__cc_peer_t *nrt__cc_peer(uint32_t gid);
/* Finds or creates the group of these global ids (the world lock). */
nrt__cc_group_t *nrt__cc_group_get(const uint32_t *gids, uint32_t n, uint64_t hash);
/* Nonzero when member |gid| is gone (its process died or closed): the
 * monotonic time it was noticed. */
uint64_t nrt__cc_gone_since(uint32_t gid);
/* The address of member |gid| in |ep|'s terms (for its address vector). */
NRT_STATUS nrt__cc_peer_name(nrt__net_ep_t *ep, uint32_t gid, void *buf, size_t *len);
/* Whether |spec| is a usable NEURON_RT_ROOT_COMM_ID. */
bool nrt__cc_root_spec_ok(const char *spec);
/* Opens the ring endpoints of this process's members when not done yet. */
NRT_STATUS nrt__cc_ring_ready(nrt__cc_member_t *m);
/* The transport kind and a one-line description of the world (logs). */
void nrt__cc_world_describe(char *buf, size_t cap);
/* nrt_close: stops the control thread, closes endpoints, forgets all. */
void nrt__cc_close_all(void);

/* Periodic-warning helper: true every |warn interval| since |*last|. */
bool nrt__cc_warn_due(uint64_t *last);
/* Status for a failed wait: NRT_TIMEOUT when cancelled, else the world's
 * failure or a gone member (logged by the caller). */

/*===------------------------------------------------------------------===*/
/* Algorithms (coll_direct.c, coll_ring.c)                                */
/*===------------------------------------------------------------------===*/

/* May return NRT__OP_PENDING: the op is then completed by the group's
 * last member to arrive, or by the direct path's timer (exec timeout). */
NRT_STATUS nrt__cc_direct(nrt__cc_run_t *run);
/* Records the end of |run| in its flight recorder (dumped on failure). */
void nrt__cc_flight_end(nrt__cc_run_t *run, NRT_STATUS st);
void nrt__cc_direct_shutdown(void);
void nrt__cc_direct_after_fork(void);
NRT_STATUS nrt__cc_ring(nrt__cc_run_t *run);
/* True when run->q asked the op to stop. */
bool nrt__cc_cancelled(const nrt__cc_run_t *run);

/*===------------------------------------------------------------------===*/
/* Reductions (coll_reduce.c)                                             */
/*===------------------------------------------------------------------===*/

/* Bytes per element of |dtype|; 0 for dtypes collectives refuse. */
size_t nrt__cc_dtype_size(nrt_dtype_t dtype);
const char *nrt__cc_dtype_name(nrt_dtype_t dtype);
const char *nrt__cc_op_name(nrt_op_type_t op);
const char *nrt__cc_ccop_name(nrt_cc_op_type_t cc_op);
/* dst[i] = dst[i] (op) src[i] for |n| elements (pairwise, rounded to the
 * dtype each time). */
void nrt__cc_reduce2(void *dst, const void *src, size_t n, nrt_dtype_t dtype, nrt_op_type_t op);
/* dst[i] = srcs[0][i] (op) ... (op) srcs[k-1][i], accumulated in fp32 for
 * fp16/bf16 and rounded once (nearest even); dst may alias a source. */
void nrt__cc_reduce_n(void *dst, const void *const *srcs, uint32_t k, size_t n, nrt_dtype_t dtype,
                      nrt_op_type_t op);

/* Whether two members' descriptors agree, and a descriptor in words for
 * the mismatch log line (both paths report mismatches alike). */
bool nrt__cc_desc_equal(const nrt__cc_desc_t *a, const nrt__cc_desc_t *b);
void nrt__cc_desc_describe(const nrt__cc_desc_t *d, char *buf, size_t cap);

/* Copies |len| bytes from byte |off| of |iov| into |dst| (gather) or the
 * reverse (scatter). */
void nrt__cc_iov_gather(const nrt__cc_iov_t *iov, uint64_t off, void *dst, uint64_t len);
void nrt__cc_iov_scatter(const nrt__cc_iov_t *iov, uint64_t off, const void *src, uint64_t len);
/* Pointer to byte |off| of |iov| and how many bytes are contiguous there. */
char *nrt__cc_iov_at(const nrt__cc_iov_t *iov, uint64_t off, uint64_t *contig);

/* Settings read at nrt_init (coll_api.c). */
typedef struct nrt__cc_cfg {
    uint64_t warn_ns; /* periodic warning interval */
    /* Per cc_op (ALLGATHER, ALLREDUCE, REDUCESCATTER): algorithm by size
     * from OPENNRT_CC_<OP>="direct:0-65536;ring:65537-max". */
    struct nrt__cc_rule {
        nrt__cc_algo_t algo;
        uint64_t lo, hi;
    } rules[3][4];
    uint32_t nrules[3];
    bool shm;                   /* OPENNRT_CC_TRANSPORT=shm */
    char root[300];             /* NEURON_RT_ROOT_COMM_ID or the default */
} nrt__cc_cfg_t;
extern nrt__cc_cfg_t nrt__cc_cfg;
NRT_STATUS nrt__cc_read_cfg(void);

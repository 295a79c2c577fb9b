/*
 * src/coll/coll_ring.c - collectives over the transport layer: a
 * pipelined ring (libfabric tcp;ofi_rxm, or shm), for members in several
 * processes or hosts.
 *
 * Each op starts with a header exchange: every member sends its
 * descriptor to every other member, so a mismatch is seen by all members
 * before any data moves (each fails with a log line naming both ops).
 * Then, in group order (rank r sends to r+1 and receives from r-1):
 *   reduce-scatter phase (all-reduce, reduce-scatter): n-1 steps; at step s
 *     send chunk (r-s-1) mod n, receive chunk (r-s-2) mod n and reduce it;
 *     rank r ends with chunk r reduced (for all-reduce the steps are
 *     shifted by one so that it ends holding chunk r+1 ... see below);
 *   all-gather phase (all-reduce, all-gather): n-1 steps; at step s send
 *     chunk (r-s) mod n and receive chunk (r-s-1) mod n into place.
 * Chunks are cut into slices (OPENNRT_CC_SLICE-sized, 256 KiB) with up to
 * 8 in flight each way, so transfer and reduction overlap. Work happens in
 * the output when it is one tensor, else in a per-core scratch buffer.
 *
 * Tags: bits 62-63 kind (1 header, 2 data), 46-61 group hash, 22-45 op
 * number, 0-21 the sender's rank (header) or slice index (data).
 *
 * Failure: a provider error, a member gone (after the grace period) or the
 * exec timeout ends the op; if anything may still be posted the core's
 * endpoint is closed (libfabric 1.17 cannot cancel a send, and the
 * caller's buffers must not be touched after completion) and the core's
 * collectives fail from then on (the unit is degraded).
 */
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coll/coll.h"
#include "xu/xu.h"

#define WINDOW 8
#define SLICE_DEFAULT (256 * 1024)
#define KIND_HDR 1ull
#define KIND_DATA 2ull
#define IDX_BITS 22

typedef struct hdr_msg {
    nrt__cc_desc_t d;
    uint32_t rank, gid;
    uint64_t seq;
} hdr_msg_t;


typedef struct xfer {
    nrt__net_op_t op; /* first: the completion finds us from it */
    bool busy, done;
    NRT_STATUS st;
    uint64_t slice; /* recv: index within the step */
} xfer_t;

typedef struct ring {
    nrt__cc_run_t *run;
    nrt__net_ep_t *ep;
    uint32_t n, r;
    uint64_t tag_base;
    uint64_t t0, last_warn;
    uint64_t idle_since; /* last completion (0: none yet) */
    unsigned idle;
    bool posted; /* something may be posted */
    NRT_STATUS fail;
    /* A step's transfers: here, not on run_step's stack, so that closing
     * the endpoint after a failure ends them while they still exist. */
    xfer_t sx[WINDOW], rx[WINDOW];
} ring_t;

static void xfer_done(nrt__net_op_t *op, NRT_STATUS st, size_t len)
{
    (void)len;
    xfer_t *x = (xfer_t *)op;
    x->st = st;
    x->done = true;
}

static uint64_t tag(const ring_t *R, uint64_t kind, uint64_t idx)
{
    return (kind << 62) | R->tag_base | (idx & ((1ull << IDX_BITS) - 1));
}

static NRT_STATUS peer_addr(ring_t *R, uint32_t rank, nrt__net_addr_t *out)
{
    nrt__cc_member_t *m = R->run->m;
    uint32_t gid = R->run->g->gids[rank];
    if (!m->addr_ok[gid]) {
        char name[NRT__NET_ADDR_MAX];
        size_t len = sizeof name;
        NRT_STATUS st = nrt__cc_peer_name(R->ep, gid, name, &len);
        if (st == NRT_SUCCESS)
            st = nrt__net_av_insert(R->ep, name, &m->addr[gid]);
        if (st != NRT_SUCCESS) {
            LOG_ERROR("core %u: cannot address collectives member %u (global id %u)", m->vnc, rank, gid);
            return NRT_EXEC_HW_ERR_COLLECTIVES;
        }
        m->addr_ok[gid] = true;
    }
    *out = m->addr[gid];
    return NRT_SUCCESS;
}

/* One round of progress plus the checks every wait makes. |wait_rank|:
 * the member we wait for (warnings, liveness); -1: any of the group. */
static bool poll_once(ring_t *R, int wait_rank, const char *what)
{
    nrt__cc_run_t *run = R->run;
    int got = nrt__net_progress(R->ep);
    uint64_t now = nrt__now_ns();
    if (got > 0 || !R->idle_since) {
        R->idle_since = now;
        R->idle = 0;
        return true;
    }
    /* libfabric's tcp and shm progress only when polled (bytes may flow
     * for a long time without a completion), so a member in a collective
     * spins: yielding the CPU after 1 ms without a completion, and sleeping
     * on the completion queue's fd (at most 1 ms a time) only after 100 ms,
     * when the others are evidently not there yet. */
    uint64_t idle_ns = now - R->idle_since;
    if (idle_ns > 100000000ull) {
        int fd = nrt__net_wait_fd(R->ep);
        if (fd >= 0) {
            if (nrt__net_trywait(R->ep)) {
                struct pollfd pf = {.fd = fd, .events = POLLIN};
                poll(&pf, 1, 1);
            }
        } else {
            nanosleep(&(struct timespec){0, 100000}, NULL);
        }
    } else if (idle_ns > 1000000ull) {
        sched_yield();
    }
    if ((++R->idle & 63) != 0)
        return true;
    if (nrt__cc_cancelled(run)) {
        R->fail = NRT_TIMEOUT;
        LOG_ERROR("core %u: %s #%llu (rank %u of %u) stopped by the exec timeout while %s", run->m->vnc,
                  nrt__cc_ccop_name(run->d.cc_op), (unsigned long long)run->seq, R->r, R->n, what);
        return false;
    }
    for (uint32_t j = 0; j < R->n; j++) {
        if (j == R->r || (wait_rank >= 0 && (uint32_t)wait_rank != j))
            continue;
        uint64_t gone = nrt__cc_gone_since(run->g->gids[j]);
        if (gone && now - gone > NRT__CC_GRACE_NS) {
            const nrt__cc_peer_t *p = nrt__cc_peer(run->g->gids[j]);
            LOG_ERROR("core %u: %s #%llu (rank %u of %u) failed while %s: rank %u (global id %u, pid %d on %s) "
                      "is gone",
                      run->m->vnc, nrt__cc_ccop_name(run->d.cc_op), (unsigned long long)run->seq, R->r, R->n, what,
                      j, run->g->gids[j], p ? p->pid : -1, p ? p->host : "?");
            R->fail = NRT_EXEC_HW_ERR_COLLECTIVES;
            return false;
        }
    }
    if (nrt__cc_warn_due(&R->last_warn)) {
        char who[64] = "any member";
        if (wait_rank >= 0)
            snprintf(who, sizeof who, "rank %d (global id %u)", wait_rank, run->g->gids[wait_rank]);
        LOG_WARN("core %u: %s #%llu (rank %u of %u) waiting %.1f s on %s while %s", run->m->vnc,
                 nrt__cc_ccop_name(run->d.cc_op), (unsigned long long)run->seq, R->r, R->n,
                 (double)(now - R->t0) / 1e9, who, what);
    }
    return true;
}

static NRT_STATUS post_send(ring_t *R, nrt__net_addr_t dst, const void *buf, size_t len, uint64_t t, xfer_t *x,
                            int rank, const char *what)
{
    x->busy = true;
    x->done = false;
    x->op.done = xfer_done;
    for (;;) {
        NRT_STATUS st = nrt__net_post_send(R->ep, dst, buf, len, t, &x->op);
        if (st == NRT_SUCCESS) {
            R->posted = true;
            return st;
        }
        if (st != NRT_QUEUE_FULL) {
            x->busy = false;
            LOG_ERROR("core %u: collectives send to rank %d failed (%s)", R->run->m->vnc, rank,
                      nrt_get_status_as_str(st));
            return R->fail = NRT_EXEC_HW_ERR_COLLECTIVES;
        }
        if (!poll_once(R, rank, what)) {
            x->busy = false;
            return R->fail;
        }
    }
}

static NRT_STATUS post_recv(ring_t *R, void *buf, size_t len, uint64_t t, xfer_t *x, int rank, const char *what)
{
    x->busy = true;
    x->done = false;
    x->op.done = xfer_done;
    for (;;) {
        NRT_STATUS st = nrt__net_post_recv(R->ep, buf, len, t, 0, &x->op);
        if (st == NRT_SUCCESS) {
            R->posted = true;
            return st;
        }
        if (st != NRT_QUEUE_FULL) {
            x->busy = false;
            LOG_ERROR("core %u: collectives receive from rank %d failed (%s)", R->run->m->vnc, rank,
                      nrt_get_status_as_str(st));
            return R->fail = NRT_EXEC_HW_ERR_COLLECTIVES;
        }
        if (!poll_once(R, rank, what)) {
            x->busy = false;
            return R->fail;
        }
    }
}

static NRT_STATUS xfer_check(ring_t *R, const xfer_t *x, int rank)
{
    if (x->st == NRT_SUCCESS)
        return NRT_SUCCESS;
    LOG_ERROR("core %u: %s #%llu: a transfer with rank %d failed (%s)", R->run->m->vnc,
              nrt__cc_ccop_name(R->run->d.cc_op), (unsigned long long)R->run->seq, rank,
              nrt_get_status_as_str(x->st));
    return R->fail = NRT_EXEC_HW_ERR_COLLECTIVES;
}

/* Every member tells every other what it runs. */
static NRT_STATUS exchange_headers(ring_t *R)
{
    nrt__cc_run_t *run = R->run;
    uint32_t n = R->n;
    hdr_msg_t mine = {.d = run->d, .rank = R->r, .gid = run->m->gid, .seq = run->seq};
    hdr_msg_t *theirs = calloc(n, sizeof *theirs);
    xfer_t *xs = calloc(2 * (size_t)n, sizeof *xs);
    if (!theirs || !xs) {
        free(theirs);
        free(xs);
        return R->fail = NRT_RESOURCE;
    }
    NRT_STATUS st = NRT_SUCCESS;
    for (uint32_t j = 0; j < n && st == NRT_SUCCESS; j++)
        if (j != R->r)
            st = post_recv(R, &theirs[j], sizeof theirs[j], tag(R, KIND_HDR, j), &xs[j], (int)j,
                           "exchanging op descriptors");
    for (uint32_t j = 0; j < n && st == NRT_SUCCESS; j++) {
        if (j == R->r)
            continue;
        nrt__net_addr_t a;
        st = peer_addr(R, j, &a);
        if (st == NRT_SUCCESS)
            st = post_send(R, a, &mine, sizeof mine, tag(R, KIND_HDR, R->r), &xs[n + j], (int)j,
                           "exchanging op descriptors");
    }
    for (uint32_t j = 0; j < 2 * n && st == NRT_SUCCESS; j++) {
        uint32_t rank = j % n;
        if (rank == R->r)
            continue;
        while (!xs[j].done)
            if (!poll_once(R, (int)rank, "exchanging op descriptors"))
                break;
        st = xs[j].done ? xfer_check(R, &xs[j], (int)rank) : R->fail;
    }
    if (st == NRT_SUCCESS) {
        R->posted = false; /* everything completed */
        for (uint32_t j = 0; j < n; j++) {
            if (j == R->r)
                continue;
            if (!nrt__cc_desc_equal(&run->d, &theirs[j].d)) {
                char mine[200], other[200];
                nrt__cc_desc_describe(&run->d, mine, sizeof mine);
                nrt__cc_desc_describe(&theirs[j].d, other, sizeof other);
                LOG_ERROR("core %u: collective #%llu mismatch: rank %u (this core, global id %u) runs %s; rank %u "
                          "(global id %u) runs %s. Members must issue the same collectives in the same order",
                          run->m->vnc, (unsigned long long)run->seq, R->r, run->m->gid, mine, j, theirs[j].gid,
                          other);
                st = NRT_INVALID;
                break;
            }
        }
    }
    /* On failure the ops stay posted on our memory: the caller closes the
     * endpoint before these buffers go. */
    if (st == NRT_SUCCESS || st == NRT_INVALID) {
        free(theirs);
        free(xs);
    } else {
        nrt__net_ep_close(R->ep); /* ends every posted op before we free */
        R->run->m->ep = NULL;
        atomic_store(&R->run->m->failed, true);
        R->posted = false;
        free(theirs);
        free(xs);
    }
    return st;
}

typedef struct step {
    char *send_base, *recv_base; /* chunk starts in work */
    uint64_t send_len, recv_len;
    bool reduce;                 /* RS: receive into staging and reduce */
    uint64_t idx0;               /* first slice index of this step */
} step_t;

static NRT_STATUS run_step(ring_t *R, const step_t *s, uint64_t slice, char *staging, nrt__net_addr_t next,
                           uint32_t prev_rank)
{
    xfer_t *sx = R->sx, *rx = R->rx;
    memset(sx, 0, sizeof R->sx);
    memset(rx, 0, sizeof R->rx);
    uint64_t ns = (s->send_len + slice - 1) / slice, nr = (s->recv_len + slice - 1) / slice;
    uint64_t sp = 0, sd = 0, rp = 0, rd = 0; /* posted / done */
    size_t es = R->run->esize;
    uint32_t next_rank = (R->r + 1) % R->n;
    while (sd < ns || rd < nr) {
        /* Post what the windows allow. */
        while (rp < nr && rp - rd < WINDOW) {
            uint64_t off = rp * slice, len = s->recv_len - off < slice ? s->recv_len - off : slice;
            char *dst = s->reduce ? staging + (rp % WINDOW) * slice : s->recv_base + off;
            if (post_recv(R, dst, len, tag(R, KIND_DATA, s->idx0 + rp), &rx[rp % WINDOW], (int)prev_rank,
                          "receiving") != NRT_SUCCESS)
                return R->fail;
            rx[rp % WINDOW].slice = rp;
            rp++;
        }
        while (sp < ns && !sx[sp % WINDOW].busy) {
            uint64_t off = sp * slice, len = s->send_len - off < slice ? s->send_len - off : slice;
            if (post_send(R, next, s->send_base + off, len, tag(R, KIND_DATA, s->idx0 + sp), &sx[sp % WINDOW],
                          (int)next_rank, "sending") != NRT_SUCCESS)
                return R->fail;
            sp++;
        }
        bool waiting_recv = rd < nr;
        if (!poll_once(R, waiting_recv ? (int)prev_rank : (int)next_rank, waiting_recv ? "receiving" : "sending"))
            return R->fail;
        for (unsigned k = 0; k < WINDOW; k++)
            if (sx[k].busy && sx[k].done) {
                if (xfer_check(R, &sx[k], (int)next_rank) != NRT_SUCCESS)
                    return R->fail;
                sx[k].busy = false;
                sd++;
            }
        while (rd < rp && rx[rd % WINDOW].done) {
            xfer_t *x = &rx[rd % WINDOW];
            if (xfer_check(R, x, (int)prev_rank) != NRT_SUCCESS)
                return R->fail;
            if (s->reduce) {
                uint64_t off = rd * slice, len = s->recv_len - off < slice ? s->recv_len - off : slice;
                nrt__cc_reduce2(s->recv_base + off, staging + (rd % WINDOW) * slice, len / es, R->run->d.dtype,
                                R->run->d.op);
            }
            x->busy = false;
            rd++;
        }
    }
    R->posted = false;
    return NRT_SUCCESS;
}

static char *scratch(nrt__cc_member_t *m, size_t need)
{
    if (m->scratch_cap < need) {
        free(m->scratch);
        m->scratch = malloc(need);
        m->scratch_cap = m->scratch ? need : 0;
    }
    return m->scratch;
}

NRT_STATUS nrt__cc_ring(nrt__cc_run_t *run)
{
    nrt__cc_member_t *m = run->m;
    NRT_STATUS st = nrt__cc_ring_ready(m);
    if (st != NRT_SUCCESS)
        return st;
    uint32_t n = run->g->n, r = run->rank;
    ring_t R = {.run = run, .ep = m->ep, .n = n, .r = r, .t0 = nrt__now_ns()};
    R.tag_base = ((run->d.group_hash & 0xffffull) << 46) | ((run->seq & 0xffffffull) << IDX_BITS);
    st = exchange_headers(&R);
    if (st != NRT_SUCCESS)
        return st; /* groups of one never get here (coll_api.c copies) */

    size_t es = run->esize;
    uint64_t total, m_bytes = 0; /* work bytes; per-rank block (AG/RS) */
    switch (run->d.cc_op) {
    case NRT_CC_ALLREDUCE: total = run->d.in_bytes; break;
    case NRT_CC_ALLGATHER: m_bytes = run->d.in_bytes, total = run->d.out_bytes; break;
    default: m_bytes = run->d.out_bytes, total = run->d.in_bytes; break;
    }
    uint64_t slice = SLICE_DEFAULT - SLICE_DEFAULT % es;
    uint64_t chunk_max = run->d.cc_op == NRT_CC_ALLREDUCE ? (total / es + n - 1) / n * es : m_bytes;
    uint64_t steps = 2ull * (n - 1);
    while (steps * ((chunk_max + slice - 1) / slice) >= (1ull << IDX_BITS))
        slice *= 2;
    /* Where the ring works: the output when it is one piece (all-reduce,
     * all-gather), else scratch; plus the receive staging of RS steps. */
    bool rs = run->d.cc_op != NRT_CC_ALLGATHER;
    bool in_out = run->d.cc_op != NRT_CC_REDUCESCATTER && run->out->n == 1;
    size_t need = (in_out ? 0 : total) + (rs ? WINDOW * slice : 0);
    char *scr = need ? scratch(m, need) : NULL;
    if (need && !scr) {
        LOG_ERROR("core %u: out of memory for %zu bytes of collectives scratch", m->vnc, need);
        st = NRT_RESOURCE;
        goto out;
    }
    char *work = in_out ? run->out->v[0].p : scr;
    char *staging = rs ? scr + (in_out ? 0 : total) : NULL;
    if (run->d.cc_op == NRT_CC_ALLGATHER)
        nrt__cc_iov_gather(run->in, 0, work + (uint64_t)r * m_bytes, m_bytes);
    else
        nrt__cc_iov_gather(run->in, 0, work, total);

    /* Chunk c of the work buffer. */
#define CHUNK_OFF(c)                                                                                         \
    (run->d.cc_op == NRT_CC_ALLREDUCE ? (total / es) * (uint64_t)(c) / n * es : (uint64_t)(c) * m_bytes)
#define CHUNK_LEN(c) (CHUNK_OFF((c) + 1) - CHUNK_OFF(c))
    nrt__net_addr_t next;
    st = peer_addr(&R, (r + 1) % n, &next);
    if (st != NRT_SUCCESS)
        goto out;
    uint32_t prev = (r + n - 1) % n;
    uint64_t spc = (chunk_max + slice - 1) / slice, idx = 0;
    if (rs) {
        /* All-reduce ends this phase with chunk (r+1) reduced on rank r
         * (so its all-gather phase starts by sending it); reduce-scatter
         * must end with chunk r: shift by one. */
        uint32_t shift = run->d.cc_op == NRT_CC_REDUCESCATTER ? 1 : 0;
        for (uint32_t s = 0; s < n - 1 && st == NRT_SUCCESS; s++, idx += spc) {
            uint32_t cs = (r + 2 * n - s - shift) % n, cr = (r + 2 * n - s - 1 - shift) % n;
            step_t stp = {work + CHUNK_OFF(cs), work + CHUNK_OFF(cr), CHUNK_LEN(cs), CHUNK_LEN(cr), true, idx};
            st = run_step(&R, &stp, slice, staging, next, prev);
        }
    }
    if (run->d.cc_op != NRT_CC_REDUCESCATTER) {
        /* Rank r holds chunk (r+1) (all-reduce) or chunk r (all-gather). */
        uint32_t own = run->d.cc_op == NRT_CC_ALLREDUCE ? (r + 1) % n : r;
        for (uint32_t s = 0; s < n - 1 && st == NRT_SUCCESS; s++, idx += spc) {
            uint32_t cs = (own + n - s) % n, cr = (own + 2 * n - s - 1) % n;
            step_t stp = {work + CHUNK_OFF(cs), work + CHUNK_OFF(cr), CHUNK_LEN(cs), CHUNK_LEN(cr), false, idx};
            st = run_step(&R, &stp, slice, NULL, next, prev);
        }
    }
    if (st == NRT_SUCCESS) {
        if (run->d.cc_op == NRT_CC_REDUCESCATTER)
            nrt__cc_iov_scatter(run->out, 0, work + CHUNK_OFF(r), m_bytes);
        else if (!in_out)
            nrt__cc_iov_scatter(run->out, 0, work, total);
    }
#undef CHUNK_OFF
#undef CHUNK_LEN
out:
    if (st != NRT_SUCCESS && R.posted && m->ep) {
        /* Transfers may still be posted on the caller's buffers: close the
         * endpoint (every op ends) and give the core's collectives up. */
        LOG_ERROR("core %u: closing the collectives endpoint after the failure; later collectives of this core "
                  "fail", m->vnc);
        nrt__net_ep_close(m->ep);
        m->ep = NULL;
        atomic_store(&m->failed, true);
    }
    return st;
}

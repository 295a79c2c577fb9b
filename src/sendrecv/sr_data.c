/*
 * src/sendrecv/sr_data.c - the send/recv data plane: the protocol over
 * the transport layer, the direct path between cores of one process, and
 * the progress thread of each core (see sr.h for the protocol).
 *
 * Progress. libfabric's tcp and shm providers move data only inside
 * fi_cq_read. Each core has a thread that reads its queues while anything
 * is posted: it spins OPENNRT_SR_SPIN_US after the last completion, then
 * naps (on the CQ's file descriptor where the provider has one, else with a
 * timeout growing from 50 us to 2 ms), and sleeps on an eventfd when
 * nothing is posted: an idle core burns no CPU. An application thread that
 * calls test_request polls too (one poller at a time, a try-flag); while it
 * does, the progress thread only naps, so that on a small machine the
 * application's own polling is not fought by a spinning helper.
 *
 * The thread records when it enters the provider, so that one caught there
 * for good (shm: a spinlock in shared memory that a killed process held,
 * see sr.h) is noticed by the control thread (nrt__sr_core_check_stuck)
 * and left behind by close instead of joined forever.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "sendrecv/sr.h"
#include "xu/xu.h"

/* Tags: bit 63 = a clear-to-send message (receiver -> sender), bit 62 =
 * an abort in place of data (the send was longer than the receive), bits
 * 61..48 the destination communicator's id, bits 47..0 the transfer. */
#define SR_TAG_CTS (1ull << 63)
#define SR_TAG_ABORT (1ull << 62)
#define SR_TAG_ID_SHIFT 48
#define SR_TAG_SEQ_MASK ((1ull << SR_TAG_ID_SHIFT) - 1)
#define SR_CTS_MAGIC 0x53544353u /* "SCTS" */
#define SR_APP_POLL_NS 200000ull /* an application poll this recent means "it is polling" */

/* Posts still to make for a request (QUEUE_FULL leaves them for later). */
enum { SR_RETRY_CTS_RECV = 1, SR_RETRY_DATA = 2, SR_RETRY_CTS_SEND = 4, SR_RETRY_ABORT = 8 };

static inline uint64_t sr_tag(uint64_t kind, uint32_t id, uint64_t seq)
{
    return kind | ((uint64_t)(id & 0x3fff) << SR_TAG_ID_SHIFT) | (seq & SR_TAG_SEQ_MASK);
}

void nrt__sr_wake(nrt__sr_core_t *core)
{
    /* libuv's coalesced wake: one eventfd write per sleep. Not while the
     * application polls: it moves the data itself, and the thread naps
     * at most SR_APP_POLL_NS. */
    if (atomic_load_explicit(&core->sleeping, memory_order_seq_cst) &&
        (atomic_load_explicit(&core->sleep_forever, memory_order_relaxed) ||
         atomic_load_explicit(&core->active, memory_order_relaxed) == 0 ||
         nrt__now_ns() - atomic_load_explicit(&core->app_poll_ns, memory_order_relaxed) >= SR_APP_POLL_NS) &&
        !atomic_exchange_explicit(&core->wake_pending, true, memory_order_acq_rel)) {
        uint64_t one = 1;
        ssize_t r = write(core->wake_fd, &one, sizeof(one));
        (void)r;
    }
}

static void defer_set(nrt__sr_core_t *core)
{
    atomic_store_explicit(&core->has_deferred, true, memory_order_release);
}

/* The core whose progress thread this is (NULL on other threads). */
static _Thread_local nrt__sr_core_t *sr_self;

/* The progress thread enters / leaves the provider (the stuck watch);
 * other threads are not watched. */
static bool prov_enter(nrt__sr_core_t *core)
{
    if (sr_self != core)
        return false;
    atomic_store_explicit(&core->prov_since_ns, nrt__now_ns(), memory_order_relaxed);
    return true;
}

static void prov_exit(nrt__sr_core_t *core, bool entered)
{
    if (entered)
        atomic_store_explicit(&core->prov_since_ns, 0, memory_order_relaxed);
}

/*===------------------------------------------------------------------===*/
/* Finishing a request                                                    */
/*===------------------------------------------------------------------===*/

static bool req_finish(nrt__sr_req_t *req, NRT_STATUS st, size_t size)
{
    /* First outcome wins: claimed by swapping |parts| to -1 (fabric sends
     * count their parts down from 2; everything else starts at 0). */
    if (atomic_exchange_explicit(&req->parts, -1, memory_order_acq_rel) == -1)
        return false;
    nrt__sr_comm_t *comm = req->comm;
    req->status = st;
    req->size = st == NRT_SUCCESS ? size : 0;
    uint64_t total = 0, limit;
    if (st == NRT_SUCCESS)
        total = atomic_fetch_add_explicit(&comm->bytes, size, memory_order_relaxed) + size;
    nrt__sr_trace(req);
    /* Release: test_request reads status and size after seeing done. */
    atomic_store_explicit(&req->done, 1, memory_order_release);
    /* Give back the in-flight slot's reference, if nobody took it yet. */
    nrt__sr_req_t *mine = req;
    if (atomic_compare_exchange_strong_explicit(&comm->inflight[req->seq % NRT__SR_SLOTS], &mine, NULL,
                                                memory_order_acq_rel, memory_order_relaxed))
        nrt__obj_release(req);
    if (st == NRT_SUCCESS && nrt__sr_fault_drop(comm->core->lnc, total, &limit) &&
        !atomic_exchange_explicit(&comm->dropped, true, memory_order_relaxed)) {
        char why[96];
        snprintf(why, sizeof(why), "fault injection dropped the connection after %llu bytes",
                 (unsigned long long)limit);
        nrt__sr_inject_drop(comm, NRT_FAILURE, why);
    }
    return true;
}

/*===------------------------------------------------------------------===*/
/* Fabric paths                                                           */
/*===------------------------------------------------------------------===*/

/* The protocol is receiver-driven, so a transfer never truncates (libfabric
 * tells only the receiver about truncation, and tcp;ofi_rxm drops the
 * connection on it). A receive posts its buffer, then sends the sender a
 * clear-to-send {length}. A send waits for its clear-to-send, then sends
 * its data when the receive is long enough, else a zero-byte abort in its
 * place: both sides then fail. A send completes when its data went out; a
 * receive when its data (or the abort) came in. */

static NRT_STATUS fabric_post(nrt__sr_req_t *req);
static void defer_retry(nrt__sr_req_t *req);

static void op_end(nrt__sr_req_t *req)
{
    atomic_fetch_sub_explicit(&req->comm->core->active, 1, memory_order_relaxed);
    nrt__obj_release(req);
}

/* Posts the next stages |stages| of |req| now or from the progress thread. */
static void post_stages(nrt__sr_req_t *req, uint8_t stages)
{
    /* Never post on a failed communicator: its endpoint may be the blocked
     * (retired) shm one, where a post never returns. */
    if (atomic_load_explicit(&req->comm->state, memory_order_acquire) == NRT__SR_FAILED) {
        req_finish(req, req->comm->fail_status, 0);
        return;
    }
    req->retry = stages;
    NRT_STATUS st = fabric_post(req);
    if (st == NRT_QUEUE_FULL) {
        defer_retry(req);
    } else if (st != NRT_SUCCESS) {
        nrt__sr_comm_fail(req->comm, NRT_FAILURE, "the transport refused a transfer");
        req_finish(req, NRT_FAILURE, 0);
    }
}

/* Receive side: the data (or an abort) arrived. */
static void recv_data_done(nrt__net_op_t *op, NRT_STATUS st, size_t len)
{
    nrt__sr_req_t *req = (nrt__sr_req_t *)((char *)op - offsetof(nrt__sr_req_t, data_op));
    nrt__sr_comm_t *comm = req->comm;
    if (st == NRT_SUCCESS && (op->tag & SR_TAG_ABORT)) {
        LOG_ERROR("nrt_async_sendrecv: receive #%llu of %zu bytes from %s/lnc %d failed: the matching send is "
                  "longer than the receive",
                  (unsigned long long)req->seq, req->len, comm->peer_ip, comm->peer_lnc);
        req_finish(req, NRT_FAILURE, 0);
    } else if (st == NRT_SUCCESS) {
        req_finish(req, NRT_SUCCESS, len);
    } else {
        req_finish(req, comm->fail_status ? comm->fail_status : NRT_FAILURE, 0);
    }
    op_end(req);
}

/* Receive side: our clear-to-send went out. */
static void cts_sent(nrt__net_op_t *op, NRT_STATUS st, size_t len)
{
    (void)len;
    nrt__sr_req_t *req = (nrt__sr_req_t *)((char *)op - offsetof(nrt__sr_req_t, ack_op));
    atomic_fetch_sub_explicit(&req->comm->core->acks_out, 1, memory_order_relaxed);
    /* A clear-to-send that did not go out means the sender never sends:
     * fail the communicator rather than wait forever on both sides. */
    if (st != NRT_SUCCESS)
        nrt__sr_comm_fail(req->comm, NRT_FAILURE, "a clear-to-send could not be sent to the peer");
    op_end(req);
}

/* Send side: the data (or the abort) went out. */
static void send_data_done(nrt__net_op_t *op, NRT_STATUS st, size_t len)
{
    (void)len;
    nrt__sr_req_t *req = (nrt__sr_req_t *)((char *)op - offsetof(nrt__sr_req_t, data_op));
    if (st == NRT_SUCCESS && !(op->tag & SR_TAG_ABORT))
        req_finish(req, NRT_SUCCESS, req->len);
    else
        req_finish(req, st == NRT_TIMEOUT ? st : NRT_FAILURE, 0);
    op_end(req);
}

/* Send side: the receiver's clear-to-send arrived. */
static void cts_recv_done(nrt__net_op_t *op, NRT_STATUS st, size_t len)
{
    nrt__sr_req_t *req = (nrt__sr_req_t *)((char *)op - offsetof(nrt__sr_req_t, ack_op));
    nrt__sr_comm_t *comm = req->comm;
    if (st != NRT_SUCCESS || len != sizeof(req->ack) || req->ack.magic != SR_CTS_MAGIC) {
        req_finish(req, st == NRT_SUCCESS ? NRT_FAILURE : (comm->fail_status ? comm->fail_status : NRT_FAILURE), 0);
    } else if (req->ack.len < req->len) {
        LOG_ERROR("nrt_async_sendrecv: send #%llu of %zu bytes to %s/lnc %d failed: the matching receive is shorter "
                  "(%llu bytes)",
                  (unsigned long long)req->seq, req->len, comm->peer_ip, comm->peer_lnc,
                  (unsigned long long)req->ack.len);
        post_stages(req, SR_RETRY_ABORT); /* the receiver fails too */
    } else {
        post_stages(req, SR_RETRY_DATA);
    }
    op_end(req);
}

/* One libfabric post for |req|, holding a reference and an active count
 * until its completion. */
static NRT_STATUS post_one(nrt__sr_req_t *req, nrt__net_op_t *op, nrt__net_done_fn done, bool send, void *buf,
                           size_t len, uint64_t tag, uint64_t ignore)
{
    nrt__sr_comm_t *comm = req->comm;
    nrt__obj_retain(req);
    atomic_fetch_add_explicit(&comm->core->active, 1, memory_order_relaxed);
    op->done = done;
    NRT_STATUS st = send ? nrt__net_post_send(comm->ep, comm->peer_addr, buf, len, tag, op)
                         : nrt__net_post_recv(comm->ep, buf, len, tag, ignore, op);
    if (st != NRT_SUCCESS) {
        atomic_fetch_sub_explicit(&comm->core->active, 1, memory_order_relaxed);
        nrt__obj_release(req);
    }
    return st;
}

/* Posts the stages in req->retry; QUEUE_FULL leaves the refused stage and
 * the later ones there. The stages are taken once, up front: as soon as a
 * stage is posted its completion may run on another thread, and a send's
 * clear-to-send receive posts the data from there (post_stages), so after
 * a post this function touches req->retry only when a later stage is
 * refused (never the case after a send's clear-to-send receive). */
static NRT_STATUS fabric_post(nrt__sr_req_t *req)
{
    nrt__sr_comm_t *comm = req->comm;
    uint8_t todo = req->retry;
    req->retry = 0;
    NRT_STATUS st = NRT_SUCCESS;
    if (todo & SR_RETRY_CTS_RECV) {
        st = post_one(req, &req->ack_op, cts_recv_done, false, &req->ack, sizeof(req->ack),
                      sr_tag(SR_TAG_CTS, comm->id, req->seq), 0);
        if (st != NRT_SUCCESS)
            goto refused;
        todo &= (uint8_t)~SR_RETRY_CTS_RECV;
    }
    if ((todo & SR_RETRY_DATA) && !req->is_send) {
        /* The data, or an abort in its place. */
        st = post_one(req, &req->data_op, recv_data_done, false, req->buf, req->len,
                      sr_tag(0, comm->id, req->seq), SR_TAG_ABORT);
        if (st != NRT_SUCCESS)
            goto refused;
        todo &= (uint8_t)~SR_RETRY_DATA;
    }
    if (todo & SR_RETRY_CTS_SEND) {
        req->ack = (struct nrt__sr_ack){.magic = SR_CTS_MAGIC, .len = req->len};
        atomic_fetch_add_explicit(&comm->core->acks_out, 1, memory_order_relaxed);
        st = post_one(req, &req->ack_op, cts_sent, true, &req->ack, sizeof(req->ack),
                      sr_tag(SR_TAG_CTS, comm->peer_id, req->seq), 0);
        if (st != NRT_SUCCESS) {
            atomic_fetch_sub_explicit(&comm->core->acks_out, 1, memory_order_relaxed);
            goto refused;
        }
        todo &= (uint8_t)~SR_RETRY_CTS_SEND;
    }
    if ((todo & SR_RETRY_DATA) && req->is_send) {
        atomic_store_explicit(&req->data_posted, true, memory_order_release);
        st = post_one(req, &req->data_op, send_data_done, true, req->buf, req->len,
                      sr_tag(0, comm->peer_id, req->seq), 0);
        if (st != NRT_SUCCESS) {
            atomic_store_explicit(&req->data_posted, false, memory_order_release);
            goto refused;
        }
        todo &= (uint8_t)~SR_RETRY_DATA;
    }
    if (todo & SR_RETRY_ABORT) {
        st = post_one(req, &req->data_op, send_data_done, true, req->buf, 0,
                      sr_tag(SR_TAG_ABORT, comm->peer_id, req->seq), 0);
        if (st != NRT_SUCCESS)
            goto refused;
    }
    return NRT_SUCCESS;
refused:
    req->retry = todo;
    return st;
}

/* Keeps |req| for the progress thread to post the rest (req->retry). */
static void defer_retry(nrt__sr_req_t *req)
{
    nrt__sr_core_t *core = req->comm->core;
    nrt__obj_retain(req); /* the retry list's */
    atomic_fetch_add_explicit(&core->active, 1, memory_order_relaxed);
    nrt__mutex_lock(&core->lock);
    req->next = core->retry_head;
    core->retry_head = req;
    nrt__mutex_unlock(&core->lock);
    defer_set(core);
}

/*===------------------------------------------------------------------===*/
/* The direct path between cores of one process                           */
/*===------------------------------------------------------------------===*/

static void local_copy_finish(nrt__sr_req_t *snd, nrt__sr_req_t *rcv)
{
    if (snd->len)
        memcpy(rcv->buf, snd->buf, snd->len);
    req_finish(rcv, NRT_SUCCESS, snd->len);
    req_finish(snd, NRT_SUCCESS, snd->len);
    nrt__obj_release(snd);
    nrt__obj_release(rcv);
}

/* Both halves of a pair are here; the caller holds a reference on each. */
static void local_match(nrt__sr_req_t *snd, nrt__sr_req_t *rcv)
{
    if (rcv->len < snd->len) {
        nrt__sr_comm_t *c = rcv->comm;
        LOG_ERROR("nrt_async_sendrecv: transfer #%llu between lnc %d and lnc %d failed: the receive (%zu bytes) "
                  "is shorter than the send (%zu bytes)",
                  (unsigned long long)rcv->seq, c->peer_lnc, c->core->lnc, rcv->len, snd->len);
        req_finish(rcv, NRT_FAILURE, 0);
        req_finish(snd, NRT_FAILURE, 0);
        nrt__obj_release(snd);
        nrt__obj_release(rcv);
        return;
    }
    if (snd->len <= NRT__SR_INLINE_COPY) {
        local_copy_finish(snd, rcv);
        return;
    }
    /* Large: the receiving core's progress thread copies. */
    nrt__sr_core_t *core = rcv->comm->core;
    rcv->pair = snd;
    rcv->next = NULL;
    atomic_fetch_add_explicit(&core->active, 1, memory_order_relaxed);
    nrt__mutex_lock(&core->lock);
    if (core->copy_tail)
        core->copy_tail->next = rcv;
    else
        core->copy_head = rcv;
    core->copy_tail = rcv;
    nrt__mutex_unlock(&core->lock);
    defer_set(core);
    nrt__sr_wake(core);
}

static NRT_STATUS local_post(nrt__sr_req_t *req)
{
    nrt__sr_comm_t *rcomm = req->is_send ? req->comm->local_peer : req->comm;
    nrt__obj_retain(req); /* the cell's */
    nrt__sr_req_t *other =
        atomic_exchange_explicit(&rcomm->cells[req->seq % NRT__SR_SLOTS], req, memory_order_acq_rel);
    if (!other)
        return NRT_SUCCESS; /* the other half completes the pair */
    atomic_store_explicit(&rcomm->cells[req->seq % NRT__SR_SLOTS], NULL, memory_order_release);
    if (req->is_send)
        local_match(req, other);
    else
        local_match(other, req);
    return NRT_SUCCESS;
}

/*===------------------------------------------------------------------===*/
/* Posting                                                                */
/*===------------------------------------------------------------------===*/

NRT_STATUS nrt__sr_post(nrt__sr_req_t *req)
{
    nrt__sr_comm_t *comm = req->comm;
    nrt__sr_core_t *core = comm->core;
    nrt__obj_retain(req); /* the in-flight slot's */
    atomic_store_explicit(&comm->inflight[req->seq % NRT__SR_SLOTS], req, memory_order_seq_cst);
    /* Dekker with nrt__sr_comm_fail: it sets FAILED, then sweeps the slots. */
    if (atomic_load_explicit(&comm->state, memory_order_seq_cst) == NRT__SR_FAILED) {
        req_finish(req, comm->fail_status, 0);
        return NRT_SUCCESS;
    }
    if (comm->path == NRT__SR_LOCAL)
        return local_post(req);
    req->retry = req->is_send ? SR_RETRY_CTS_RECV : (uint8_t)(SR_RETRY_DATA | SR_RETRY_CTS_SEND);
    NRT_STATUS st = fabric_post(req);
    if (st == NRT_QUEUE_FULL) {
        defer_retry(req);
        st = NRT_SUCCESS;
    } else if (st != NRT_SUCCESS) {
        nrt__sr_comm_fail(comm, st, "the transport refused a transfer");
        req_finish(req, NRT_FAILURE, 0);
        st = NRT_SUCCESS; /* reported through test_request */
    }
    nrt__sr_wake(core);
    return st;
}

/*===------------------------------------------------------------------===*/
/* Failure                                                                */
/*===------------------------------------------------------------------===*/

void nrt__sr_comm_fail(nrt__sr_comm_t *comm, NRT_STATUS st, const char *why)
{
    int s = atomic_load_explicit(&comm->state, memory_order_acquire);
    if (s == NRT__SR_FAILED)
        return;
    comm->fail_status = st;
    if (!atomic_compare_exchange_strong_explicit(&comm->state, &s, NRT__SR_FAILED, memory_order_seq_cst,
                                                 memory_order_acquire))
        return;
    unsigned failed = 0, graced = 0;
    /* Sweep: every request still in a slot fails now; posted receives are
     * cancelled (a send cannot be; its data stays referenced until the
     * provider lets go or the endpoint closes). Transfers whose data may be
     * on the way (posted receives, sends whose data the provider has) get a
     * grace period: a peer that finished and closed normally sent or got
     * it, and the completion may just not have been read yet (sweep_graced
     * fails what is left afterwards). */
    for (int i = 0; i < NRT__SR_SLOTS; i++) {
        nrt__sr_req_t *req = atomic_load_explicit(&comm->inflight[i], memory_order_seq_cst);
        if (!req)
            continue;
        if (comm->path != NRT__SR_LOCAL &&
            (!req->is_send || atomic_load_explicit(&req->data_posted, memory_order_acquire))) {
            graced++;
            continue;
        }
        if (!atomic_compare_exchange_strong_explicit(&comm->inflight[i], &req, NULL, memory_order_seq_cst,
                                                     memory_order_relaxed))
            continue;
        failed += req_finish(req, st, 0);
        if (comm->ep) {
            nrt__net_cancel(comm->ep, req->is_send ? &req->ack_op : &req->data_op);
        }
        nrt__obj_release(req);
    }
    if (graced) {
        comm->grace_end_ns = nrt__now_ns() + NRT__SR_GRACE_NS;
        atomic_store_explicit(&comm->graced, true, memory_order_release);
        atomic_store_explicit(&comm->core->any_graced, true, memory_order_release);
        atomic_fetch_add_explicit(&comm->core->active, 1, memory_order_relaxed); /* keep progress polling */
    }
    if (comm->path == NRT__SR_LOCAL && !comm->is_send) {
        for (int i = 0; i < NRT__SR_SLOTS; i++) {
            nrt__sr_req_t *req = atomic_exchange_explicit(&comm->cells[i], NULL, memory_order_acq_rel);
            if (req) {
                failed += req_finish(req, st, 0);
                nrt__obj_release(req);
            }
        }
    }
    if (s == NRT__SR_CONNECTING)
        LOG_ERROR("nrt_async_sendrecv: %s communicator of lnc %d with %s/lnc %d failed to connect: %s (%s)",
                  comm->is_send ? "send" : "receive", comm->core->lnc, comm->peer_ip, comm->peer_lnc, why,
                  nrt_get_status_as_str(st));
    else if (failed == 0 && graced == 0) /* nothing lost: a peer that closed, or our own close */
        LOG_INFO("nrt_async_sendrecv: %s communicator of lnc %d with %s/lnc %d ended: %s",
                 comm->is_send ? "send" : "receive", comm->core->lnc, comm->peer_ip, comm->peer_lnc, why);
    else
        LOG_ERROR("nrt_async_sendrecv: %s communicator of lnc %d with %s/lnc %d failed: %s; %u pending "
                  "request(s) fail with %s",
                  comm->is_send ? "send" : "receive", comm->core->lnc, comm->peer_ip, comm->peer_lnc, why, failed,
                  nrt_get_status_as_str(st));
    if (graced)
        LOG_INFO("nrt_async_sendrecv: %u transfer(s) with %s/lnc %d whose data may be on the way get %u ms to "
                 "complete", graced, comm->peer_ip, comm->peer_lnc, (unsigned)(NRT__SR_GRACE_NS / 1000000u));
    nrt__sr_wake(comm->core);
}

void nrt__sr_comm_teardown(nrt__sr_comm_t *comm)
{
    for (int i = 0; i < NRT__SR_SLOTS; i++) {
        nrt__sr_req_t *req = atomic_exchange_explicit(&comm->cells[i], NULL, memory_order_acq_rel);
        if (req) {
            req_finish(req, NRT_FAILURE, 0);
            nrt__obj_release(req);
        }
        req = atomic_exchange_explicit(&comm->inflight[i], NULL, memory_order_acq_rel);
        if (req) {
            req_finish(req, NRT_FAILURE, 0);
            nrt__obj_release(req);
        }
    }
    if (comm->local_peer) {
        nrt__obj_release(comm->local_peer);
        comm->local_peer = NULL;
    }
}

/*===------------------------------------------------------------------===*/
/* Progress                                                               */
/*===------------------------------------------------------------------===*/

static int run_deferred(nrt__sr_core_t *core)
{
    if (!atomic_load_explicit(&core->has_deferred, memory_order_acquire))
        return 0;
    nrt__mutex_lock(&core->lock);
    atomic_store_explicit(&core->has_deferred, false, memory_order_relaxed);
    nrt__sr_req_t *retry = core->retry_head, *copy = core->copy_head;
    core->retry_head = NULL;
    core->copy_head = core->copy_tail = NULL;
    nrt__mutex_unlock(&core->lock);
    int n = 0;
    while (copy) {
        nrt__sr_req_t *rcv = copy;
        copy = copy->next;
        local_copy_finish(rcv->pair, rcv);
        atomic_fetch_sub_explicit(&core->active, 1, memory_order_relaxed);
        n++;
    }
    bool in = retry && prov_enter(core);
    while (retry) {
        nrt__sr_req_t *req = retry;
        retry = retry->next;
        NRT_STATUS st = NRT_SUCCESS;
        if (atomic_load_explicit(&req->comm->state, memory_order_acquire) != NRT__SR_FAILED &&
            !atomic_load_explicit(&req->done, memory_order_acquire))
            st = fabric_post(req);
        if (st == NRT_QUEUE_FULL) {
            nrt__mutex_lock(&core->lock);
            req->next = core->retry_head;
            core->retry_head = req;
            nrt__mutex_unlock(&core->lock);
            defer_set(core);
            continue;
        }
        if (st != NRT_SUCCESS) {
            nrt__sr_comm_fail(req->comm, st, "the transport refused a transfer");
            req_finish(req, NRT_FAILURE, 0);
        }
        atomic_fetch_sub_explicit(&core->active, 1, memory_order_relaxed);
        nrt__obj_release(req);
        n++;
    }
    prov_exit(core, in);
    return n;
}

/* Fails the graced transfers of failed communicators whose grace ran out.
 * Called by pollers and by the control thread (a poller may be stuck in a
 * provider that waits on a dead peer). */
void nrt__sr_sweep_graced(nrt__sr_core_t *core)
{
    if (!atomic_load_explicit(&core->any_graced, memory_order_acquire))
        return;
    uint64_t now = nrt__now_ns();
    bool left = false;
    nrt__mutex_lock(&core->lock);
    for (int c = 0; c < NRT__SR_MAX_COMMS; c++) {
        nrt__sr_comm_t *comm = core->comms[c];
        if (!comm || !atomic_load_explicit(&comm->graced, memory_order_acquire))
            continue;
        bool pending = false;
        for (int i = 0; i < NRT__SR_SLOTS && !pending; i++)
            pending = atomic_load_explicit(&comm->inflight[i], memory_order_relaxed) != NULL;
        if (pending && now < comm->grace_end_ns) {
            left = true;
            continue;
        }
        if (!atomic_exchange_explicit(&comm->graced, false, memory_order_acq_rel))
            continue; /* another sweeper took it */
        atomic_fetch_sub_explicit(&core->active, 1, memory_order_relaxed);
        for (int i = 0; i < NRT__SR_SLOTS; i++) {
            nrt__sr_req_t *req = atomic_exchange_explicit(&comm->inflight[i], NULL, memory_order_seq_cst);
            if (!req)
                continue;
            if (req_finish(req, comm->fail_status, 0))
                LOG_ERROR("nrt_async_sendrecv: %s #%llu %s %s/lnc %d fails with %s: the peer went away before it "
                          "completed", req->is_send ? "send" : "receive", (unsigned long long)req->seq,
                          req->is_send ? "to" : "from", comm->peer_ip, comm->peer_lnc,
                          nrt_get_status_as_str(comm->fail_status));
            if (!req->is_send && comm->ep)
                nrt__net_cancel(comm->ep, &req->data_op);
            nrt__obj_release(req);
        }
    }
    nrt__mutex_unlock(&core->lock);
    if (!left)
        atomic_store_explicit(&core->any_graced, false, memory_order_relaxed);
}

static int progress_once(nrt__sr_core_t *core)
{
    if (atomic_exchange_explicit(&core->progressing, true, memory_order_acquire))
        return 0;
    int n = 0;
    bool in = prov_enter(core);
    for (int k = 0; k < NRT__NET_KIND_NUM; k++) {
        nrt__net_ep_t *ep = atomic_load_explicit(&core->eps[k], memory_order_acquire);
        if (ep)
            n += nrt__net_progress(ep);
    }
    for (int i = 0; i < NRT__SR_TCP_EPS; i++) {
        nrt__net_ep_t *ep = atomic_load_explicit(&core->tcp_at[i], memory_order_acquire);
        if (!ep)
            break;
        n += nrt__net_progress(ep);
    }
    prov_exit(core, in);
    n += run_deferred(core);
    nrt__sr_sweep_graced(core);
    atomic_store_explicit(&core->progressing, false, memory_order_release);
    return n;
}

void nrt__sr_progress(nrt__sr_core_t *core)
{
    atomic_store_explicit(&core->app_poll_ns, nrt__now_ns(), memory_order_relaxed);
    progress_once(core);
}

/* Sleeps until woken, or |timeout_ns| (0: forever), also waking on the
 * fabric's wait descriptors where they exist. */
static void nap(nrt__sr_core_t *core, uint64_t timeout_ns, bool fabric)
{
    struct pollfd pfd[1 + NRT__NET_KIND_NUM];
    int n = 0;
    pfd[n++] = (struct pollfd){.fd = core->wake_fd, .events = POLLIN};
    for (int k = 0; k < NRT__NET_KIND_NUM; k++) {
        nrt__net_ep_t *ep = atomic_load_explicit(&core->eps[k], memory_order_acquire);
        if (ep && nrt__net_wait_fd(ep) >= 0 && timeout_ns && fabric) {
            if (!nrt__net_trywait(ep))
                return; /* completions are ready: poll again */
            pfd[n++] = (struct pollfd){.fd = nrt__net_wait_fd(ep), .events = POLLIN};
        }
    }
    atomic_store_explicit(&core->sleep_forever, timeout_ns == 0, memory_order_relaxed);
    atomic_store_explicit(&core->sleeping, true, memory_order_seq_cst);
    /* Recheck after announcing the sleep (posters wake only sleepers). */
    bool idle = atomic_load_explicit(&core->active, memory_order_seq_cst) == 0 &&
                !atomic_load_explicit(&core->has_deferred, memory_order_seq_cst);
    if ((timeout_ns == 0 && idle) || timeout_ns) {
        struct timespec ts = {.tv_sec = (time_t)(timeout_ns / 1000000000u), .tv_nsec = (long)(timeout_ns % 1000000000u)};
        if (!atomic_load_explicit(&core->stop, memory_order_acquire))
            ppoll(pfd, (nfds_t)n, timeout_ns ? &ts : NULL, NULL);
    }
    atomic_store_explicit(&core->sleeping, false, memory_order_relaxed);
    if (pfd[0].revents & POLLIN) {
        uint64_t v;
        ssize_t r = read(core->wake_fd, &v, sizeof(v));
        (void)r;
    }
    atomic_store_explicit(&core->wake_pending, false, memory_order_release);
}

static void open_endpoints(nrt__sr_core_t *core);

static void *progress_main(void *arg)
{
    nrt__sr_core_t *core = arg;
    char name[16];
    snprintf(name, sizeof(name), "nrt-sr%d", core->lnc);
    pthread_setname_np(pthread_self(), name);
    sr_self = core;
    open_endpoints(core);
    uint64_t last = nrt__now_ns(), napns = 50000;
    while (!atomic_load_explicit(&core->stop, memory_order_acquire)) {
        if (progress_once(core) > 0) {
            last = nrt__now_ns();
            napns = 50000;
            continue;
        }
        bool busy = atomic_load_explicit(&core->active, memory_order_acquire) > 0 ||
                    atomic_load_explicit(&core->has_deferred, memory_order_acquire);
        if (!busy) {
            nap(core, 0, false);
            last = nrt__now_ns();
            continue;
        }
        uint64_t now = nrt__now_ns();
        bool app_polls = now - atomic_load_explicit(&core->app_poll_ns, memory_order_relaxed) < SR_APP_POLL_NS;
        if (app_polls) {
            /* The application drives progress: stay out of its way, and
             * do not wake for every completion (2 CPUs, 4 pollers...). */
            nap(core, SR_APP_POLL_NS, false);
            last = nrt__now_ns();
            continue;
        }
        if (now - last < core->spin_ns) {
            nrt__cpu_relax();
            continue;
        }
        nap(core, napns, true);
        if (napns < 2000000)
            napns *= 2;
    }
    atomic_store_explicit(&core->exited, true, memory_order_release);
    return NULL;
}

/*===------------------------------------------------------------------===*/
/* Core start / stop                                                      */
/*===------------------------------------------------------------------===*/

nrt__net_ep_t *nrt__sr_core_ep(nrt__sr_core_t *core, nrt__net_kind_t kind)
{
    return atomic_load_explicit(&core->eps[kind], memory_order_acquire);
}

nrt__net_ep_t *nrt__sr_core_tcp_ep(nrt__sr_core_t *core, const char *local_ip)
{
    /* Opened by the control thread only (the progress thread polls them). */
    for (int i = 0; i < NRT__SR_TCP_EPS; i++) {
        nrt__net_ep_t *ep = atomic_load_explicit(&core->tcp_at[i], memory_order_acquire);
        if (ep && strcmp(nrt__net_tcp_bind_ip(ep), local_ip) == 0)
            return ep;
    }
    for (int i = 0; i < NRT__SR_TCP_EPS; i++) {
        if (atomic_load_explicit(&core->tcp_at[i], memory_order_acquire))
            continue;
        nrt__net_ep_t *ep;
        if (nrt__net_ep_open_at(NRT__NET_TCP, local_ip, &ep) != NRT_SUCCESS)
            return NULL;
        atomic_store_explicit(&core->tcp_at[i], ep, memory_order_release);
        return ep;
    }
    LOG_ERROR("nrt_async_sendrecv: lnc %d already serves %d local addresses", core->lnc, NRT__SR_TCP_EPS);
    return NULL;
}

/* The progress thread opens its core's endpoints when it starts: the first
 * libfabric call of a process takes a while (provider discovery), and no
 * application call or control-plane step should wait for it. */
static void open_endpoints(nrt__sr_core_t *core)
{
    nrt__net_ep_t *ep;
    if (nrt__sr_cfg.want != NRT__SR_WANT_SHM && nrt__net_ep_open(NRT__NET_TCP, &ep) == NRT_SUCCESS)
        atomic_store_explicit(&core->eps[NRT__NET_TCP], ep, memory_order_release);
    if (nrt__sr_cfg.want == NRT__SR_WANT_SHM && nrt__net_ep_open(NRT__NET_SHM, &ep) == NRT_SUCCESS)
        atomic_store_explicit(&core->eps[NRT__NET_SHM], ep, memory_order_release);
    atomic_store_explicit(&core->eps_ready, true, memory_order_release);
    nrt__sr_ctl_wake();
}

int nrt__sr_core_retire_shm(nrt__sr_core_t *core, int dead_pid, nrt__sr_comm_t **victims_out)
{
    /* libfabric 1.17's shm completes an endpoint's sends in order: once a
     * receiver died with sends of ours outstanding, no later send of this
     * endpoint completes, whatever its peer. Fail the core's other shm
     * communicators now (rather than let them hang) and give new ones a
     * fresh endpoint; the old one is closed with the core. */
    nrt__net_ep_t *old = atomic_exchange_explicit(&core->eps[NRT__NET_SHM], NULL, memory_order_acq_rel);
    if (!old)
        return 0;
    /* No new endpoint: a poller may still be inside the old one, waiting on
     * the dead peer; new shm communicators of this core are refused (the
     * log says why) until send/recv of the core is closed and opened again. */
    atomic_store_explicit(&core->shm_blocked, true, memory_order_release);
    nrt__mutex_lock(&core->lock);
    for (int i = 0; i < NRT__SR_RETIRED_MAX; i++)
        if (!core->retired[i]) {
            core->retired[i] = old;
            old = NULL;
            break;
        }
    nrt__sr_comm_t *victims[NRT__SR_MAX_COMMS];
    int n = 0;
    for (int i = 0; i < NRT__SR_MAX_COMMS; i++) {
        nrt__sr_comm_t *c = core->comms[i];
        if (c && c->path == NRT__SR_SHM && atomic_load(&c->state) == NRT__SR_CONNECTED) {
            nrt__obj_retain(c);
            victims[n++] = c;
        }
    }
    nrt__mutex_unlock(&core->lock);
    char why[160];
    snprintf(why, sizeof(why),
             "lnc %d's shm endpoint is blocked by sends to the dead process %d (libfabric 1.17 shm completes sends "
             "in order)",
             core->lnc, dead_pid);
    for (int i = 0; i < n; i++)
        nrt__sr_comm_fail(victims[i], NRT_FAILURE, why);
    if (old) /* no room to park it: keep it open for good rather than free it under a poller */
        LOG_WARN("nrt_async_sendrecv: lnc %d retired more than %d shm endpoints", core->lnc, NRT__SR_RETIRED_MAX);
    memcpy(victims_out, victims, (size_t)n * sizeof(*victims));
    return n; /* the caller drops their connections and releases them */
}

int nrt__sr_core_check_stuck(nrt__sr_core_t *core, uint64_t now, nrt__sr_comm_t **victims)
{
    /* A progress thread inside one provider call for NRT__SR_STUCK_NS after
     * a shm peer of the core died is caught there: libfabric 1.17's shm
     * spins on a lock in shared memory that the killed process held (sr.h;
     * a live holder can keep a spinner waiting a few hundred ms on a loaded
     * machine, hence both conditions). Nothing of this core moves again, so
     * every communicator fails now rather than wait forever; new ones are
     * refused until the core is closed (which leaves the thread behind) and
     * initialized again. */
    uint64_t since = atomic_load_explicit(&core->prov_since_ns, memory_order_relaxed);
    if (!since || now < since || now - since < NRT__SR_STUCK_NS ||
        !atomic_load_explicit(&core->shm_peer_died, memory_order_relaxed) ||
        atomic_exchange_explicit(&core->stuck, true, memory_order_acq_rel))
        return 0;
    char why[192];
    snprintf(why, sizeof(why),
             "lnc %d's progress thread has been inside libfabric for %llu ms (a peer process died holding a lock "
             "of the shm provider)",
             core->lnc, (unsigned long long)((now - since) / 1000000u));
    LOG_ERROR("nrt_async_sendrecv: %s; the core's communicators fail, and new ones are refused until its "
              "send/recv is closed and initialized again", why);
    int n = 0;
    nrt__mutex_lock(&core->lock);
    for (int i = 0; i < NRT__SR_MAX_COMMS; i++) {
        nrt__sr_comm_t *c = core->comms[i];
        if (c && atomic_load_explicit(&c->state, memory_order_acquire) != NRT__SR_FAILED) {
            nrt__obj_retain(c);
            victims[n++] = c;
        }
    }
    nrt__mutex_unlock(&core->lock);
    for (int i = 0; i < n; i++)
        nrt__sr_comm_fail(victims[i], NRT_FAILURE, why);
    return n; /* the caller drops their connections and releases them */
}

NRT_STATUS nrt__sr_core_start(nrt__sr_core_t *core)
{
    core->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (core->wake_fd < 0) {
        LOG_ERROR("nrt_async_sendrecv_init: eventfd failed: %s", strerror(errno));
        return NRT_RESOURCE;
    }
    core->spin_ns = nrt__sr_cfg.spin_ns;
    int rc = pthread_create(&core->thread, NULL, progress_main, core);
    if (rc != 0) {
        LOG_ERROR("nrt_async_sendrecv_init: cannot start the progress thread of lnc %d: %s", core->lnc, strerror(rc));
        close(core->wake_fd);
        core->wake_fd = -1;
        return NRT_RESOURCE;
    }
    core->thread_started = true;
    return NRT_SUCCESS;
}

void nrt__sr_core_drain(nrt__sr_core_t *core, uint64_t budget_ns)
{
    /* Clear-to-send messages still going out. */
    uint64_t end = nrt__now_ns() + budget_ns;
    while (atomic_load_explicit(&core->acks_out, memory_order_acquire) > 0 && nrt__now_ns() < end) {
        if (progress_once(core) == 0)
            sched_yield();
    }
}

void nrt__sr_core_stop(nrt__sr_core_t *core)
{
    if (core->thread_started) {
        atomic_store_explicit(&core->stop, true, memory_order_seq_cst);
        uint64_t one = 1;
        ssize_t r = write(core->wake_fd, &one, sizeof(one));
        (void)r;
        /* Out of the provider the thread stops within a pass; inside it,
         * it gets NRT__SR_STUCK_NS per call. One caught there for good
         * (shm: a lock a dead process held, see sr.h) never returns: it is
         * left behind at idle priority, with everything it may touch (the
         * endpoints, their operations' requests, the core): leaked, never
         * freed under it. */
        uint64_t since = 0;
        while (!atomic_load_explicit(&core->exited, memory_order_acquire)) {
            since = atomic_load_explicit(&core->prov_since_ns, memory_order_relaxed);
            uint64_t now = nrt__now_ns();
            if (since && now > since && now - since >= NRT__SR_STUCK_NS)
                break;
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
        if (atomic_load_explicit(&core->exited, memory_order_acquire)) {
            pthread_join(core->thread, NULL);
        } else {
            LOG_ERROR("nrt_async_sendrecv_close: lnc %d's progress thread has been inside libfabric for %llu ms "
                      "(with shm, a peer process killed while holding a lock of the provider keeps it there for "
                      "good); it is left behind at idle priority, with the core's endpoints and the transfers they "
                      "hold (leaked)",
                      core->lnc, (unsigned long long)((nrt__now_ns() - since) / 1000000u));
            struct sched_param sp = {0};
            pthread_setschedparam(core->thread, SCHED_IDLE, &sp);
            pthread_detach(core->thread);
            core->leaked = true;
        }
        core->thread_started = false;
    }
    if (core->leaked)
        return;
    /* Deferred work left: end it (its requests were reported or fail now). */
    atomic_store_explicit(&core->has_deferred, true, memory_order_relaxed);
    nrt__mutex_lock(&core->lock);
    nrt__sr_req_t *retry = core->retry_head;
    nrt__sr_req_t *copy = core->copy_head;
    core->retry_head = NULL;
    core->copy_head = core->copy_tail = NULL;
    nrt__mutex_unlock(&core->lock);
    while (copy) {
        nrt__sr_req_t *rcv = copy;
        copy = copy->next;
        local_copy_finish(rcv->pair, rcv);
    }
    while (retry) {
        nrt__sr_req_t *req = retry;
        retry = retry->next;
        req_finish(req, NRT_FAILURE, 0);
        nrt__obj_release(req);
    }
    for (int k = 0; k < NRT__NET_KIND_NUM; k++) {
        nrt__net_ep_t *ep = atomic_exchange_explicit(&core->eps[k], NULL, memory_order_acq_rel);
        if (ep)
            nrt__net_ep_close(ep); /* ends what the provider still held */
    }
    for (int i = 0; i < NRT__SR_TCP_EPS; i++) {
        nrt__net_ep_t *ep = atomic_exchange_explicit(&core->tcp_at[i], NULL, memory_order_acq_rel);
        if (ep)
            nrt__net_ep_close(ep);
    }
    for (int i = 0; i < NRT__SR_RETIRED_MAX; i++) {
        if (core->retired[i])
            nrt__net_ep_close(core->retired[i]); /* shm endpoints blocked by a dead peer */
        core->retired[i] = NULL;
    }
    if (core->wake_fd >= 0)
        close(core->wake_fd);
    core->wake_fd = -1;
}

void nrt__sr_comm_connected(nrt__sr_comm_t *comm)
{
    int expect = NRT__SR_CONNECTING;
    atomic_store_explicit(&comm->was_connected, true, memory_order_relaxed);
    if (atomic_compare_exchange_strong_explicit(&comm->state, &expect, NRT__SR_CONNECTED, memory_order_seq_cst,
                                                memory_order_acquire))
        LOG_INFO("nrt_async_sendrecv: %s communicator of lnc %d with %s/lnc %d connected over %s",
                 comm->is_send ? "send" : "receive", comm->core->lnc, comm->peer_ip, comm->peer_lnc,
                 comm->path == NRT__SR_LOCAL ? "the in-process path"
                 : comm->path == NRT__SR_SHM ? "shm"
                                              : "tcp;ofi_rxm");
}

void nrt__sr_inject_drop(nrt__sr_comm_t *comm, NRT_STATUS st, const char *why)
{
    nrt__sr_comm_fail(comm, st, why);
    if (comm->path == NRT__SR_LOCAL && comm->local_peer)
        nrt__sr_comm_fail(comm->local_peer, NRT_FAILURE, "the peer's connection was dropped (fault injection)");
    nrt__sr_ctl_drop(comm);
}

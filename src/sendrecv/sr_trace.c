/*
 * src/sendrecv/sr_trace.c - send/recv transfers in the timeline trace:
 * one track per communicator (under its core's process), one slice per
 * transfer from post to completion, with bytes, peer and status.
 *
 * Transfers complete on any thread, so records go to one list under a
 * mutex, and only while tracing is on (OPENNRT_TRACE or nrtx_trace_start).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sendrecv/sr.h"
#include "xu/xu.h"

typedef struct sr_rec {
    uint64_t start_ns, end_ns, seq, bytes, len;
    uint32_t vnc, comm_id;
    int lnc;
    bool is_send;
    NRT_STATUS status;
    char peer[72];
} sr_rec_t;

static nrt__mutex_t rec_lock = NRT__MUTEX_INITIALIZER;
static sr_rec_t *recs;
static size_t nrecs, caprecs;

#define SR_TRACE_MAX (1u << 22) /* records kept at most */

bool nrt__sr_trace_on(void)
{
    return atomic_load_explicit(&nrt__trace_on, memory_order_relaxed);
}

void nrt__sr_trace(const nrt__sr_req_t *req)
{
    if (!req->t_post || !nrt__sr_trace_on())
        return;
    const nrt__sr_comm_t *c = req->comm;
    sr_rec_t r = {
        .start_ns = req->t_post,
        .end_ns = nrt__now_ns(),
        .seq = req->seq,
        .bytes = req->size,
        .len = req->len,
        .vnc = (uint32_t)c->core->vnc,
        .comm_id = c->id & 0x3ff,
        .lnc = c->core->lnc,
        .is_send = req->is_send,
        .status = req->status,
    };
    snprintf(r.peer, sizeof(r.peer), "%s/lnc %d", c->peer_ip, c->peer_lnc);
    nrt__mutex_lock(&rec_lock);
    if (nrecs == caprecs && caprecs < SR_TRACE_MAX) {
        size_t cap = caprecs ? caprecs * 2 : 1024;
        sr_rec_t *n = realloc(recs, cap * sizeof(*n));
        if (n) {
            recs = n;
            caprecs = cap;
        }
    }
    if (nrecs < caprecs)
        recs[nrecs++] = r;
    nrt__mutex_unlock(&rec_lock);
}

void nrt__sr_trace_min(uint64_t *t0)
{
    nrt__mutex_lock(&rec_lock);
    for (size_t i = 0; i < nrecs; i++)
        if (recs[i].start_ns < *t0)
            *t0 = recs[i].start_ns;
    nrt__mutex_unlock(&rec_lock);
}

/* Track ids of communicators: after the unit queues' (xu * MAX_QUEUES + i). */
#define SR_TID_BASE 1000u

void nrt__sr_trace_emit(FILE *f, uint64_t t0, bool *first)
{
    nrt__mutex_lock(&rec_lock);
    uint64_t named[NRT__MAX_CORES] = {0}; /* comm slots already named, per core (first 64) */
    for (size_t i = 0; i < nrecs; i++) {
        const sr_rec_t *r = &recs[i];
        uint32_t tid = SR_TID_BASE + r->comm_id;
        if (r->vnc < NRT__MAX_CORES && r->comm_id < 64 && !(named[r->vnc] & (1ull << r->comm_id))) {
            named[r->vnc] |= 1ull << r->comm_id;
            fputs(*first ? "\n" : ",\n", f);
            *first = false;
            fprintf(f,
                    "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"args\":{\"name\":\"%s comm %u "
                    "(%s)\"}}",
                    nrt__trace_pid(r->vnc), tid, r->is_send ? "send" : "recv", r->comm_id, r->peer);
        }
        fputs(*first ? "\n" : ",\n", f);
        *first = false;
        fprintf(f,
                "{\"name\":\"%s %" PRIu64 "B #%" PRIu64 "\",\"cat\":\"sendrecv\",\"ph\":\"X\",\"pid\":%u,\"tid\":%u,"
                "\"ts\":%.3f,\"dur\":%.3f,\"args\":{\"peer\":\"%s\",\"lnc\":%d,\"bytes\":%" PRIu64
                ",\"posted\":%" PRIu64 ",\"status\":\"%s\"}}",
                r->is_send ? "send" : "recv", r->len, r->seq, nrt__trace_pid(r->vnc), tid,
                (double)(r->start_ns - t0) / 1e3,
                (double)(r->end_ns - r->start_ns) / 1e3, r->peer, r->lnc, r->bytes, r->len,
                nrt_get_status_as_str(r->status));
    }
    nrt__mutex_unlock(&rec_lock);
}

void nrt__sr_trace_reset(void)
{
    nrt__mutex_lock(&rec_lock);
    free(recs);
    recs = NULL;
    nrecs = caprecs = 0;
    nrt__mutex_unlock(&rec_lock);
}

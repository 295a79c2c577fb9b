/*
 * src/coll/coll_direct.c - collectives whose members are all cores of this
 * process: one-pass direct reduction in process memory.
 *
 * Every member publishes its run (descriptor and buffers) in its slot and
 * arrives at the group's gate; once all arrived, each member does its own
 * share, reading every input once and writing every output once:
 *   all-reduce      elements [E*r/n, E*(r+1)/n) of every input, reduced, to
 *                   that range of every output;
 *   all-gather      its input to block r of every output;
 *   reduce-scatter  block r of every input, reduced, to its own output.
 * Then it departs and waits for everyone to depart, so that no member's
 * buffers are touched after its collective completes.
 *
 * Gates are one atomic word, (op number << 16) | members that arrived. A
 * member that is told to stop (exec timeout) before everyone arrived takes
 * its arrival back with a CAS and leaves; once the count reached n the
 * collective is committed and runs to the end (bounded memory work).
 * A mismatch (another op, dtype, size or group at the same op number) is
 * seen by every member, which each logs and fails; nothing is read.
 */
#include <sched.h>
#include <string.h>
#include <time.h>

#include "coll/coll.h"
#include "xu/xu.h"

#define GATE(seq, c) (((uint64_t)(seq) << 16) | (c))
#define BLOCK (64 * 1024)

bool nrt__cc_cancelled(const nrt__cc_run_t *run)
{
    return run->q && nrt__queue_cancelled(run->q, run->pos);
}

static void backoff(unsigned *i)
{
    unsigned k = (*i)++;
    if (k < 4096)
        nrt__cpu_relax();
    else if (k < 8192)
        sched_yield();
    else
        nanosleep(&(struct timespec){0, 50000}, NULL);
}

static void warn_missing(const nrt__cc_run_t *run, const char *phase, uint64_t t0)
{
    const nrt__cc_group_t *g = run->g;
    char who[256];
    size_t o = 0;
    who[0] = 0;
    for (uint32_t j = 0; j < g->n && o + 16 < sizeof who; j++) {
        const nrt__cc_run_t *x = atomic_load_explicit(&g->slots[j].run, memory_order_acquire);
        if (!x || x->seq != run->seq)
            o += (size_t)snprintf(who + o, sizeof who - o, "%s%u (global id %u)", o ? ", " : "", j, g->gids[j]);
    }
    LOG_WARN("core %u: %s #%llu (rank %u of %u) waiting %.1f s %s; ranks not there yet: %s", run->m->vnc,
             nrt__cc_ccop_name(run->d.cc_op), (unsigned long long)run->seq, run->rank, g->n,
             (double)(nrt__now_ns() - t0) / 1e9, phase, o ? who : "(arriving)");
}

/* Arrives at the entry gate and waits for all. False: cancelled before
 * everyone arrived (our arrival taken back). */
static bool arrive(nrt__cc_run_t *run)
{
    nrt__cc_group_t *g = run->g;
    uint32_t n = g->n;
    uint64_t seq = run->seq;
    uint64_t v = atomic_load_explicit(&g->gate_in, memory_order_relaxed);
    for (;;) {
        uint64_t nv = (v >> 16) == seq ? v + 1 : GATE(seq, 1);
        /* acq_rel: our slot is published; the others' are visible to us. */
        if (atomic_compare_exchange_weak_explicit(&g->gate_in, &v, nv, memory_order_acq_rel, memory_order_relaxed))
            break;
    }
    uint64_t last = 0, t0 = 0;
    unsigned i = 0;
    for (;;) {
        v = atomic_load_explicit(&g->gate_in, memory_order_acquire);
        if (v == GATE(seq, n))
            return true;
        if ((i & 255) == 255) {
            if (nrt__cc_cancelled(run)) {
                while ((v & 0xffff) < n && (v >> 16) == seq) {
                    if (atomic_compare_exchange_weak_explicit(&g->gate_in, &v, v - 1, memory_order_acq_rel,
                                                              memory_order_acquire)) {
                        warn_missing(run, "to start and gave up (exec timeout)", t0);
                        return false;
                    }
                }
                return true; /* everyone arrived meanwhile: committed */
            }
            if (!t0)
                t0 = nrt__now_ns();
            if (nrt__cc_warn_due(&last))
                warn_missing(run, "for the other members to start it", t0);
        }
        backoff(&i);
    }
}

static void depart(nrt__cc_run_t *run)
{
    nrt__cc_group_t *g = run->g;
    uint32_t n = g->n;
    uint64_t seq = run->seq;
    uint64_t v = atomic_load_explicit(&g->gate_out, memory_order_relaxed);
    for (;;) {
        uint64_t nv = (v >> 16) == seq ? v + 1 : GATE(seq, 1);
        if (atomic_compare_exchange_weak_explicit(&g->gate_out, &v, nv, memory_order_acq_rel, memory_order_relaxed))
            break;
    }
    /* Not cancellable: the others are threads of this process finishing
     * bounded memory work on our buffers. */
    unsigned i = 0;
    while (atomic_load_explicit(&g->gate_out, memory_order_acquire) != GATE(seq, n))
        backoff(&i);
}

static bool same_desc(const nrt__cc_desc_t *a, const nrt__cc_desc_t *b)
{
    return a->cc_op == b->cc_op && a->dtype == b->dtype && a->op == b->op && a->rank_n == b->rank_n &&
           a->in_bytes == b->in_bytes && a->out_bytes == b->out_bytes && a->group_hash == b->group_hash;
}

static void describe(const nrt__cc_desc_t *d, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s %s/%s of %llu -> %llu bytes over %u ranks (group %016llx)", nrt__cc_ccop_name(d->cc_op),
             nrt__cc_dtype_name(d->dtype), nrt__cc_op_name(d->op), (unsigned long long)d->in_bytes,
             (unsigned long long)d->out_bytes, d->rank_n, (unsigned long long)d->group_hash);
}

/* Copies |len| bytes from |src| at |soff| to |dst| at |doff|. */
static void iov_copy(const nrt__cc_iov_t *dst, uint64_t doff, const nrt__cc_iov_t *src, uint64_t soff, uint64_t len)
{
    while (len) {
        uint64_t cd, cs;
        char *d = nrt__cc_iov_at(dst, doff, &cd);
        char *s = nrt__cc_iov_at(src, soff, &cs);
        if (!d || !s)
            return;
        uint64_t c = len < cd ? len : cd;
        c = c < cs ? c : cs;
        if (d != s)
            memmove(d, s, c);
        doff += c, soff += c, len -= c;
    }
}

/* Reduces bytes [ioff, ioff+len) of every member's input into |out| at
 * |ooff| of each of |outs| (|nouts| runs, or just |one|). */
static void reduce_range(nrt__cc_run_t *run, const nrt__cc_run_t *const *all, uint64_t ioff, uint64_t ooff,
                         uint64_t len, bool to_all)
{
    uint32_t n = run->g->n;
    size_t es = run->esize;
    const void *srcs[NRT__CC_MAX_WORLD];
    while (len) {
        uint64_t blen = len < BLOCK ? len : BLOCK, c;
        for (uint32_t j = 0; j < n; j++) {
            srcs[j] = nrt__cc_iov_at(all[j]->in, ioff, &c);
            if (c < blen)
                blen = c;
        }
        uint32_t first = to_all ? 0 : run->rank;
        char *dst = nrt__cc_iov_at(all[first]->out, ooff, &c);
        if (c < blen)
            blen = c;
        if (to_all)
            for (uint32_t j = 1; j < n; j++) {
                nrt__cc_iov_at(all[j]->out, ooff, &c);
                if (c < blen)
                    blen = c;
            }
        blen -= blen % es;
        if (!blen || !dst)
            return; /* cannot happen: pieces are whole elements (prepare checks) */
        /* Sources other than dst's own input must not be dst: reduce_n
         * handles dst == srcs[0] only, so put that source first. */
        if (dst == srcs[first] && first) {
            const void *t = srcs[0];
            srcs[0] = srcs[first];
            srcs[first] = t;
        }
        nrt__cc_reduce_n(dst, srcs, n, blen / es, run->d.dtype, run->d.op);
        if (to_all)
            for (uint32_t j = 0; j < n; j++) {
                if (j == first)
                    continue;
                char *o = nrt__cc_iov_at(all[j]->out, ooff, &c);
                memcpy(o, dst, blen);
            }
        ioff += blen, ooff += blen, len -= blen;
    }
}

NRT_STATUS nrt__cc_direct(nrt__cc_run_t *run)
{
    nrt__cc_group_t *g = run->g;
    uint32_t n = g->n, r = run->rank;
    atomic_store_explicit(&g->slots[r].run, run, memory_order_relaxed);
    if (!arrive(run))
        return NRT_TIMEOUT;
    const nrt__cc_run_t *all[NRT__CC_MAX_WORLD];
    NRT_STATUS st = NRT_SUCCESS;
    for (uint32_t j = 0; j < n; j++) {
        all[j] = atomic_load_explicit(&g->slots[j].run, memory_order_relaxed);
        if (!same_desc(&all[j]->d, &run->d)) {
            char mine[200], theirs[200];
            describe(&run->d, mine, sizeof mine);
            describe(&all[j]->d, theirs, sizeof theirs);
            LOG_ERROR("core %u: collective #%llu mismatch: rank %u (this core, global id %u) runs %s; rank %u "
                      "(global id %u) runs %s. Members must issue the same collectives in the same order",
                      run->m->vnc, (unsigned long long)run->seq, r, run->m->gid, mine, j, g->gids[j], theirs);
            st = NRT_INVALID;
            break;
        }
    }
    if (st == NRT_SUCCESS) {
        uint64_t es = run->esize;
        switch (run->d.cc_op) {
        case NRT_CC_ALLREDUCE: {
            uint64_t e = run->d.in_bytes / es;
            uint64_t lo = e * r / n * es, hi = e * (r + 1) / n * es;
            reduce_range(run, all, lo, lo, hi - lo, true);
            break;
        }
        case NRT_CC_ALLGATHER: {
            uint64_t m = run->d.in_bytes;
            for (uint32_t j = 0; j < n; j++) {
                uint32_t k = (r + j) % n; /* spread the writers over the outputs */
                iov_copy(all[k]->out, (uint64_t)r * m, run->in, 0, m);
            }
            break;
        }
        case NRT_CC_REDUCESCATTER: {
            uint64_t m = run->d.out_bytes;
            reduce_range(run, all, (uint64_t)r * m, 0, m, false);
            break;
        }
        default: break;
        }
    }
    depart(run);
    return st;
}

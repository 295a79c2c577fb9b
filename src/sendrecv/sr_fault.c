/*
 * src/sendrecv/sr_fault.c - fault injection for async send/recv: fail a
 * chosen transfer, or drop a communicator's connection after N bytes
 * (nrtx_net_fault_t in nrt/nrt_ext.h; "net=" rules of OPENNRT_FAULT).
 * The hot path pays one relaxed load while no rule exists.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sendrecv/sr.h"
#include "xu/xu.h"

#define MAX_NET_RULES 16

static struct {
    nrt__mutex_t lock;
    _Atomic uint32_t n;
    struct net_rule {
        nrtx_net_fault_t f;
        uint64_t seen[NRT__MAX_CORES]; /* transfers counted, per core */
        bool fired[NRT__MAX_CORES];
    } rules[MAX_NET_RULES];
} nf = {.lock = NRT__MUTEX_INITIALIZER};

static NRT_STATUS add(const nrtx_net_fault_t *f)
{
    if (f->lnc < NRTX_ANY || f->lnc >= NRT__MAX_CORES || f->direction < NRTX_ANY || f->direction > 1) {
        LOG_ERROR("network fault rule names an invalid lnc %d or direction %d", f->lnc, f->direction);
        return NRT_INVALID;
    }
    if ((f->transfer == 0) == (f->drop_after_bytes == 0)) {
        LOG_ERROR("network fault rule needs exactly one of transfer (n) and drop_after_bytes (bytes)");
        return NRT_INVALID;
    }
    if (!nrt__fault_status_known(f->status)) {
        LOG_ERROR("network fault rule injects status %d, which is no NRT_STATUS", (int)f->status);
        return NRT_INVALID;
    }
    nrt__mutex_lock(&nf.lock);
    uint32_t n = atomic_load_explicit(&nf.n, memory_order_relaxed);
    if (n == MAX_NET_RULES) {
        nrt__mutex_unlock(&nf.lock);
        LOG_ERROR("too many network fault rules (max %d)", MAX_NET_RULES);
        return NRT_RESOURCE;
    }
    memset(&nf.rules[n], 0, sizeof(nf.rules[n]));
    nf.rules[n].f = *f;
    if (nf.rules[n].f.status == NRT_SUCCESS)
        nf.rules[n].f.status = NRT_FAILURE;
    atomic_store_explicit(&nf.n, n + 1, memory_order_release);
    nrt__mutex_unlock(&nf.lock);
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrtx_net_fault_add(const nrtx_net_fault_t *fault)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(fault);
    return add(fault);
}

void nrt__sr_fault_reset(void)
{
    nrt__mutex_lock(&nf.lock);
    atomic_store_explicit(&nf.n, 0, memory_order_relaxed);
    nrt__mutex_unlock(&nf.lock);
}

bool nrt__sr_fault_transfer(int lnc, bool is_send, NRT_STATUS *status, uint64_t *nth)
{
    if (NRT__UNLIKELY(atomic_load_explicit(&nf.n, memory_order_relaxed) != 0)) {
        bool hit = false;
        nrt__mutex_lock(&nf.lock);
        for (uint32_t i = 0; i < atomic_load_explicit(&nf.n, memory_order_relaxed); i++) {
            struct net_rule *r = &nf.rules[i];
            if (!r->f.transfer || (r->f.lnc != NRTX_ANY && r->f.lnc != lnc) ||
                (r->f.direction != NRTX_ANY && r->f.direction != (is_send ? 0 : 1)))
                continue;
            if (++r->seen[lnc] == r->f.transfer && !hit) {
                hit = true;
                *status = r->f.status;
                *nth = r->seen[lnc];
            }
        }
        nrt__mutex_unlock(&nf.lock);
        return hit;
    }
    return false;
}

bool nrt__sr_fault_drop(int lnc, uint64_t bytes, uint64_t *limit)
{
    if (NRT__UNLIKELY(atomic_load_explicit(&nf.n, memory_order_relaxed) != 0)) {
        bool hit = false;
        nrt__mutex_lock(&nf.lock);
        for (uint32_t i = 0; i < atomic_load_explicit(&nf.n, memory_order_relaxed); i++) {
            struct net_rule *r = &nf.rules[i];
            if (r->f.drop_after_bytes && (r->f.lnc == NRTX_ANY || r->f.lnc == lnc) &&
                bytes >= r->f.drop_after_bytes) {
                hit = true;
                *limit = r->f.drop_after_bytes;
            }
        }
        nrt__mutex_unlock(&nf.lock);
        return hit;
    }
    return false;
}

typedef struct {
    nrtx_net_fault_t f;
    int kind; /* 0 fail, 1 drop, -1 not given */
} net_spec_t;

static bool set_key(void *rule, const char *k, const char *v)
{
    net_spec_t *r = rule;
    nrtx_net_fault_t *f = &r->f;
    if (!strcmp(k, "net")) {
        r->kind = !strcmp(v, "fail") ? 0 : !strcmp(v, "drop") ? 1 : -1;
        return r->kind >= 0;
    }
    if (!strcmp(k, "lnc"))
        return nrt__fault_parse_any(v, NRT__MAX_CORES, &f->lnc);
    if (!strcmp(k, "dir")) {
        f->direction = !strcmp(v, "send") ? 0 : !strcmp(v, "recv") ? 1 : NRTX_ANY;
        return f->direction != NRTX_ANY || !strcmp(v, "any") || !strcmp(v, "*") || !strcmp(v, "-1");
    }
    if (!strcmp(k, "n"))
        return nrt__parse_u64(v, &f->transfer) && f->transfer > 0;
    if (!strcmp(k, "bytes"))
        return nrt__parse_size(v, &f->drop_after_bytes) && f->drop_after_bytes > 0;
    if (!strcmp(k, "status"))
        return nrt__fault_parse_status(v, &f->status);
    return false;
}

/* Parses one "net=..." rule of OPENNRT_FAULT (|spec| is modified). */
NRT_STATUS nrt__sr_fault_parse(char *spec)
{
    net_spec_t r = {{NRTX_ANY, NRTX_ANY, 0, 0, NRT_FAILURE}, -1};
    NRT_STATUS st = nrt__fault_parse_kv(spec, "network rule ", set_key, &r);
    if (st != NRT_SUCCESS)
        return st;
    if ((r.kind == 0) != (r.f.transfer != 0) || (r.kind == 1) != (r.f.drop_after_bytes != 0)) {
        LOG_ERROR("OPENNRT_FAULT: net=fail needs n=<transfer>, net=drop needs bytes=<count>");
        return NRT_INVALID;
    }
    return add(&r.f);
}

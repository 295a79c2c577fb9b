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

/* Parses one "net=..." rule of OPENNRT_FAULT (|spec| is modified). */
NRT_STATUS nrt__sr_fault_parse(char *spec)
{
    nrtx_net_fault_t f = {NRTX_ANY, NRTX_ANY, 0, 0, NRT_FAILURE};
    int kind = -1; /* 0 fail, 1 drop */
    char *save = NULL;
    for (char *kv = strtok_r(spec, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            LOG_ERROR("OPENNRT_FAULT: '%s' is not key=value", kv);
            return NRT_INVALID;
        }
        *eq = '\0';
        const char *k = kv, *v = eq + 1;
        bool ok = true;
        uint64_t n = 0;
        if (!strcmp(k, "net"))
            ok = (kind = !strcmp(v, "fail") ? 0 : !strcmp(v, "drop") ? 1 : -1) >= 0;
        else if (!strcmp(k, "lnc"))
            ok = !strcmp(v, "*") || !strcasecmp(v, "any") ? (f.lnc = NRTX_ANY, true)
                                                          : nrt__parse_u64(v, &n) && n < NRT__MAX_CORES && (f.lnc = (int32_t)n, true);
        else if (!strcmp(k, "dir"))
            ok = !strcmp(v, "send") ? (f.direction = 0, true)
                 : !strcmp(v, "recv") ? (f.direction = 1, true)
                 : !strcmp(v, "any") ? (f.direction = NRTX_ANY, true) : false;
        else if (!strcmp(k, "n"))
            ok = nrt__parse_u64(v, &f.transfer) && f.transfer > 0;
        else if (!strcmp(k, "bytes"))
            ok = nrt__parse_size(v, &f.drop_after_bytes) && f.drop_after_bytes > 0;
        else if (!strcmp(k, "status"))
            ok = nrt__fault_parse_status(v, &f.status);
        else
            ok = false;
        if (!ok) {
            LOG_ERROR("OPENNRT_FAULT: bad network rule key or value '%s=%s'", k, v);
            return NRT_INVALID;
        }
    }
    if ((kind == 0 && !f.transfer) || (kind == 1 && !f.drop_after_bytes) || (kind == 0 && f.drop_after_bytes) ||
        (kind == 1 && f.transfer)) {
        LOG_ERROR("OPENNRT_FAULT: net=fail needs n=<transfer>, net=drop needs bytes=<count>");
        return NRT_INVALID;
    }
    return add(&f);
}

/*
 * src/xu/fault.c - fault injection (an OpenNRT extension, nrt/nrt_ext.h).
 *
 * Rules come from nrtx_fault_add() or from OPENNRT_FAULT at nrt_init:
 *   OPENNRT_FAULT="lnc=0,xu=compute,queue=0,seq=5,status=1004;xu=write,prob=0.01,seed=7"
 * Keys: lnc, xu (read|write|op|compute|collectives or 0..4), queue, seq,
 * prob, seed, status (number or name such as NRT_EXEC_COMPLETED_WITH_ERR),
 * degrade (0/1), max (hits). Rules starting with "net=" are network rules
 * (src/sendrecv/sr_fault.c). Workers check |nrules| (one relaxed load)
 * and take the lock only when rules exist.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"
#include "xu/xu.h"

#define MAX_RULES 64

typedef struct {
    nrtx_fault_t f;
    uint64_t rng;
    uint32_t hits;
} rule_t;

static struct {
    pthread_mutex_t lock;
    _Atomic uint32_t nrules;
    rule_t rules[MAX_RULES];
    _Atomic uint64_t hits;
} fi = {.lock = PTHREAD_MUTEX_INITIALIZER};

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static NRT_STATUS add_rule(const nrtx_fault_t *f)
{
    if (f->lnc < NRTX_ANY || f->xu < NRTX_ANY || f->xu >= NRTA_XU_TYPE_NUM || f->queue < NRTX_ANY ||
        f->queue >= NRT__MAX_QUEUES) {
        LOG_ERROR("fault rule names an invalid lnc %d, xu %d or queue %d", f->lnc, f->xu, f->queue);
        return NRT_INVALID;
    }
    if (f->seq_num == 0 && !(f->probability > 0.0 && f->probability <= 1.0)) {
        LOG_ERROR("fault rule needs seq_num > 0 or a probability in (0, 1]");
        return NRT_INVALID;
    }
    if (!f->degrade && f->status == NRT_SUCCESS) {
        LOG_ERROR("fault rule would inject NRT_SUCCESS");
        return NRT_INVALID;
    }
    pthread_mutex_lock(&fi.lock);
    uint32_t n = atomic_load_explicit(&fi.nrules, memory_order_relaxed);
    if (n == MAX_RULES) {
        pthread_mutex_unlock(&fi.lock);
        LOG_ERROR("too many fault rules (max %d)", MAX_RULES);
        return NRT_RESOURCE;
    }
    rule_t *r = &fi.rules[n];
    r->f = *f;
    if (r->f.degrade && r->f.status == NRT_SUCCESS)
        r->f.status = NRT_EXEC_HW_ERR_NC_UE;
    r->rng = f->seed;
    r->hits = 0;
    atomic_store_explicit(&fi.nrules, n + 1, memory_order_release);
    pthread_mutex_unlock(&fi.lock);
    return NRT_SUCCESS;
}

bool nrt__fault_match(uint32_t lnc, uint32_t xu, uint32_t q, uint64_t num, NRT_STATUS *status, bool *degrade)
{
    if (NRT__LIKELY(atomic_load_explicit(&fi.nrules, memory_order_relaxed) == 0))
        return false;
    bool hit = false;
    pthread_mutex_lock(&fi.lock);
    uint32_t n = atomic_load_explicit(&fi.nrules, memory_order_relaxed);
    for (uint32_t i = 0; i < n && !hit; i++) {
        rule_t *r = &fi.rules[i];
        const nrtx_fault_t *f = &r->f;
        if ((f->lnc != NRTX_ANY && (uint32_t)f->lnc != lnc) || (f->xu != NRTX_ANY && (uint32_t)f->xu != xu) ||
            (f->queue != NRTX_ANY && (uint32_t)f->queue != q))
            continue;
        if (f->max_hits && r->hits >= f->max_hits)
            continue;
        if (f->seq_num)
            hit = f->seq_num == num;
        else
            hit = (double)(splitmix64(&r->rng) >> 11) * 0x1.0p-53 < f->probability;
        if (hit) {
            r->hits++;
            *status = f->status;
            *degrade = f->degrade;
        }
    }
    pthread_mutex_unlock(&fi.lock);
    if (hit) {
        atomic_fetch_add_explicit(&fi.hits, 1, memory_order_relaxed);
        LOG_INFO("fault injected: core %u unit %u queue %u request %llu fails with %s%s", lnc, xu, q,
                 (unsigned long long)num, nrt_get_status_as_str(*status), *degrade ? " (fatal)" : "");
    }
    return hit;
}

void nrt__fault_reset(void)
{
    nrt__sr_fault_reset();
    pthread_mutex_lock(&fi.lock);
    atomic_store_explicit(&fi.nrules, 0, memory_order_relaxed);
    atomic_store_explicit(&fi.hits, 0, memory_order_relaxed);
    pthread_mutex_unlock(&fi.lock);
}

static int parse_xu(const char *v)
{
    static const char *const names[] = {"read", "write", "op", "compute", "collectives"};
    for (int i = 0; i < NRTA_XU_TYPE_NUM; i++)
        if (strcasecmp(v, names[i]) == 0)
            return i;
    uint64_t n;
    if (nrt__parse_u64(v, &n) && n < NRTA_XU_TYPE_NUM)
        return (int)n;
    if (strcmp(v, "*") == 0 || strcasecmp(v, "any") == 0)
        return NRTX_ANY;
    return -2;
}

bool nrt__fault_parse_status(const char *v, NRT_STATUS *out)
{
    uint64_t n;
    if (nrt__parse_u64(v, &n)) {
        *out = (NRT_STATUS)n;
        return strcmp(nrt_get_status_as_str(*out), "NRT_UNKNOWN_STATUS") != 0;
    }
#define NRT_STATUS_PARSE_(name, value, desc)                                   \
    if (strcasecmp(v, "NRT_" #name) == 0 || strcasecmp(v, #name) == 0) {       \
        *out = NRT_##name;                                                     \
        return true;                                                           \
    }
    NRT_STATUS_MAP(NRT_STATUS_PARSE_)
#undef NRT_STATUS_PARSE_
    return false;
}

static bool parse_int_any(const char *v, int32_t *out)
{
    uint64_t n;
    if (strcmp(v, "*") == 0 || strcasecmp(v, "any") == 0) {
        *out = NRTX_ANY;
        return true;
    }
    if (!nrt__parse_u64(v, &n) || n > INT32_MAX)
        return false;
    *out = (int32_t)n;
    return true;
}

static NRT_STATUS parse_rule(char *spec)
{
    nrtx_fault_t f = {NRTX_ANY, NRTX_ANY, NRTX_ANY, 0, 0.0, 0, NRT_EXEC_COMPLETED_WITH_ERR, false, 0};
    bool status_set = false;
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
        if (!strcmp(k, "lnc")) ok = parse_int_any(v, &f.lnc);
        else if (!strcmp(k, "queue")) ok = parse_int_any(v, &f.queue);
        else if (!strcmp(k, "xu")) ok = (f.xu = parse_xu(v)) >= NRTX_ANY;
        else if (!strcmp(k, "seq")) ok = nrt__parse_u64(v, &f.seq_num);
        else if (!strcmp(k, "seed")) ok = nrt__parse_u64(v, &f.seed);
        else if (!strcmp(k, "prob")) { char *e; f.probability = strtod(v, &e); ok = *v && !*e; }
        else if (!strcmp(k, "status")) { ok = nrt__fault_parse_status(v, &f.status); status_set = true; }
        else if (!strcmp(k, "degrade")) { ok = nrt__parse_u64(v, &n) && n <= 1; f.degrade = n != 0; }
        else if (!strcmp(k, "max")) { ok = nrt__parse_u64(v, &n) && n <= UINT32_MAX; f.max_hits = (uint32_t)n; }
        else ok = false;
        if (!ok) {
            LOG_ERROR("OPENNRT_FAULT: bad key or value '%s=%s'", k, v);
            return NRT_INVALID;
        }
    }
    if (f.degrade && !status_set)
        f.status = NRT_SUCCESS; /* add_rule picks the fatal default */
    return add_rule(&f);
}

NRT_STATUS nrt__fault_parse_env(const char *spec)
{
    nrt__fault_reset();
    if (!spec || !*spec)
        return NRT_SUCCESS;
    char *copy = strdup(spec);
    if (!copy)
        return NRT_FAIL_HOST_MEM_ALLOC;
    NRT_STATUS st = NRT_SUCCESS;
    char *save = NULL;
    for (char *r = strtok_r(copy, ";", &save); r && st == NRT_SUCCESS; r = strtok_r(NULL, ";", &save))
        st = strncmp(r, "net=", 4) == 0 ? nrt__sr_fault_parse(r) : parse_rule(r);
    free(copy);
    if (st != NRT_SUCCESS)
        nrt__fault_reset();
    return st;
}

NRT_API NRT_STATUS nrtx_fault_add(const nrtx_fault_t *fault)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(fault);
    return add_rule(fault);
}

NRT_API NRT_STATUS nrtx_fault_clear(void)
{
    CHECK_RUNNING();
    pthread_mutex_lock(&fi.lock);
    atomic_store_explicit(&fi.nrules, 0, memory_order_relaxed);
    pthread_mutex_unlock(&fi.lock);
    nrt__sr_fault_reset();
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrtx_fault_hits(uint64_t *hits)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(hits);
    *hits = atomic_load_explicit(&fi.hits, memory_order_relaxed);
    return NRT_SUCCESS;
}

void nrt__fault_after_fork(void)
{
    /* The child has one thread; a lock another thread held is stale. */
    pthread_mutex_init(&fi.lock, NULL);
}

/*
 * src/xu/fault.c - fault injection (an OpenNRT extension, nrt/nrt_ext.h).
 *
 * Rules come from nrtx_fault_add() or from OPENNRT_FAULT at nrt_init:
 *   OPENNRT_FAULT="lnc=0,xu=compute,queue=0,seq=5,status=1004;xu=write,prob=0.01,seed=7"
 * Keys: lnc, xu (read|write|op|compute|collectives or 0..4), queue, seq,
 * prob, seed, status (number or name such as NRT_EXEC_COMPLETED_WITH_ERR),
 * degrade (0/1), max (hits); lnc, xu and queue take -1, * or "any". Rules
 * starting with "net=" are network rules (src/sendrecv/sr_fault.c); both
 * kinds go through one key=value loop (nrt__fault_parse_kv). Workers check |nrules| (one relaxed load)
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

bool nrt__fault_status_known(NRT_STATUS st)
{
    return strcmp(nrt_get_status_as_str(st), "NRT_UNKNOWN_STATUS") != 0;
}

/* Queues of unit |xu| (NRTX_ANY: the most any unit has). */
static int32_t queues_of(int32_t xu)
{
    uint32_t n = 0;
    for (uint32_t u = 0; u < NRTA_XU_TYPE_NUM; u++)
        if ((xu == NRTX_ANY || (uint32_t)xu == u) && nrt__rt.cfg.queues[u] > n)
            n = nrt__rt.cfg.queues[u];
    return (int32_t)n;
}

static NRT_STATUS add_rule(const nrtx_fault_t *f, const char *func)
{
    /* Called while the configuration is in force (nrt_init parsing
     * OPENNRT_FAULT, or a running runtime): a rule naming a core, unit or
     * queue that does not exist could never hit. */
    const char *why = NULL;
    if (f->lnc < NRTX_ANY || f->lnc >= (int32_t)nrt__rt.cfg.num_cores)
        why = "lnc must be -1 (any) or a visible core";
    else if (f->xu < NRTX_ANY || f->xu >= NRTA_XU_TYPE_NUM)
        why = "xu must be -1 (any) or 0..4";
    else if (f->queue < NRTX_ANY || f->queue >= queues_of(f->xu))
        why = "queue must be -1 (any) or one of the unit's queues";
    else if (f->seq_num > NRTA_SEQ_NUM_MAX || (f->seq_num != 0 && f->probability != 0.0))
        why = "it needs either seq_num (1..2^48-1) or a probability, not both";
    else if (f->seq_num == 0 && !(f->probability > 0.0 && f->probability <= 1.0))
        why = "it needs seq_num > 0 or a probability in (0, 1]";
    else if (!f->degrade && f->status == NRT_SUCCESS)
        why = "it would inject NRT_SUCCESS";
    else if (!nrt__fault_status_known(f->status))
        why = "its status is no NRT_STATUS";
    if (why) {
        NRT__LOG(NRT__LOG_ERROR, "%s: fault rule (lnc %d, xu %d, queue %d, status %d) refused: %s", func, f->lnc,
                 f->xu, f->queue, (int)f->status, why);
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

static bool is_any(const char *v)
{
    return strcmp(v, "-1") == 0 || strcmp(v, "*") == 0 || strcasecmp(v, "any") == 0;
}

bool nrt__fault_parse_any(const char *v, uint64_t limit, int32_t *out)
{
    uint64_t n;
    if (is_any(v)) {
        *out = NRTX_ANY;
        return true;
    }
    if (!nrt__parse_u64(v, &n) || n >= limit || n > INT32_MAX)
        return false;
    *out = (int32_t)n;
    return true;
}

static bool parse_xu(const char *v, int32_t *out)
{
    static const char *const names[] = {"read", "write", "op", "compute", "collectives"};
    for (int i = 0; i < NRTA_XU_TYPE_NUM; i++)
        if (strcasecmp(v, names[i]) == 0) {
            *out = i;
            return true;
        }
    return nrt__fault_parse_any(v, NRTA_XU_TYPE_NUM, out);
}

bool nrt__fault_parse_status(const char *v, NRT_STATUS *out)
{
    uint64_t n;
    if (nrt__parse_u64(v, &n)) {
        /* Checked before the conversion: 4294967297 is no status, not 1. */
        if (n > INT32_MAX)
            return false;
        *out = (NRT_STATUS)n;
        return nrt__fault_status_known(*out);
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

NRT_STATUS nrt__fault_parse_kv(char *spec, const char *what, nrt__fault_kv_fn set, void *rule)
{
    char *save = NULL;
    for (char *kv = strtok_r(spec, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            LOG_ERROR("OPENNRT_FAULT: '%s' is not key=value", kv);
            return NRT_INVALID;
        }
        *eq = '\0';
        if (!set(rule, kv, eq + 1)) {
            LOG_ERROR("OPENNRT_FAULT: bad %skey or value '%s=%s'", what, kv, eq + 1);
            return NRT_INVALID;
        }
    }
    return NRT_SUCCESS;
}

typedef struct {
    nrtx_fault_t f;
    bool status_set;
} rule_spec_t;

static bool set_key(void *rule, const char *k, const char *v)
{
    rule_spec_t *r = rule;
    nrtx_fault_t *f = &r->f;
    uint64_t n = 0;
    char *e;
    /* Ranges of lnc, xu and queue are checked by add_rule (one message). */
    if (!strcmp(k, "lnc"))
        return nrt__fault_parse_any(v, NRT__MAX_CORES, &f->lnc);
    if (!strcmp(k, "queue"))
        return nrt__fault_parse_any(v, NRT__MAX_QUEUES, &f->queue);
    if (!strcmp(k, "xu"))
        return parse_xu(v, &f->xu);
    if (!strcmp(k, "seq"))
        return nrt__parse_u64(v, &f->seq_num);
    if (!strcmp(k, "seed"))
        return nrt__parse_u64(v, &f->seed);
    if (!strcmp(k, "prob")) {
        f->probability = strtod(v, &e);
        return *v && !*e;
    }
    if (!strcmp(k, "status")) {
        r->status_set = true;
        return nrt__fault_parse_status(v, &f->status);
    }
    if (!strcmp(k, "degrade") && nrt__parse_u64(v, &n) && n <= 1) {
        f->degrade = n == 1;
        return true;
    }
    if (!strcmp(k, "max") && nrt__parse_u64(v, &n) && n <= UINT32_MAX) {
        f->max_hits = (uint32_t)n;
        return true;
    }
    return false;
}

static NRT_STATUS parse_rule(char *spec)
{
    rule_spec_t r = {{NRTX_ANY, NRTX_ANY, NRTX_ANY, 0, 0.0, 0, NRT_EXEC_COMPLETED_WITH_ERR, false, 0}, false};
    NRT_STATUS st = nrt__fault_parse_kv(spec, "", set_key, &r);
    if (st != NRT_SUCCESS)
        return st;
    if (r.f.degrade && !r.status_set)
        r.f.status = NRT_SUCCESS; /* add_rule picks the fatal default */
    return add_rule(&r.f, "OPENNRT_FAULT");
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
    return add_rule(fault, __func__);
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

/*
 * src/core/params.c - the settings table (core/params.h) put to work: the
 * reader read_config() uses, the warning for OPENNRT_* variables nobody
 * knows, and the public view of the table (nrtx_param_count/get) that
 * nrt-ls prints and turns into the Markdown table of docs/CONFIG.md.
 *
 * Reading and the snapshot run inside nrt_init under nrt__rt.lock.
 * nrtx_param_get reads the static table, and the values only after an
 * acquire load of the state sees RUNNING, which nrt_init stores with
 * release order after everything read here was written.
 */
#include "core/params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const nrt__param_def_t nrt__params[NRT__P_COUNT] = {
#define NRT__PARAM_DEF_(name_, type_, min_, max_, def_, reader_, doc_)                                                 \
    [NRT__P_##name_] = {.name = #name_,                                                                                \
                        .type = NRTX_PARAM_##type_,                                                                    \
                        .min = (uint64_t)(min_),                                                                       \
                        .max = (uint64_t)(max_),                                                                       \
                        .def = def_,                                                                                   \
                        .reader = NRT__PARAM_BY_##reader_,                                                             \
                        .doc = doc_},
    NRT__PARAM_MAP(NRT__PARAM_DEF_)
#undef NRT__PARAM_DEF_
};

static const char *const type_names[] = {
    [NRTX_PARAM_INT] = "integer",
    [NRTX_PARAM_SIZE] = "size",
    [NRTX_PARAM_CORES] = "core list",
    [NRTX_PARAM_STRING] = "string",
    [NRTX_PARAM_LOG_LEVEL] = "log level",
};

/* Indexed by NRT__LOG_*, for display; nrt__log_configure does the parsing. */
static const char *const level_names[] = {"OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"};

/* What only nrt_init knows, for nrtx_param_get (nrt__params_snapshot). */
static struct {
    uint32_t total_cores;
    char fault[NRTX_PARAM_VALUE_MAX];
} snap;

/*===------------------------------------------------------------------===*/
/* Formatting                                                             */
/*===------------------------------------------------------------------===*/

/* Bytes in the syntax OPENNRT_MEM_LIMIT accepts, with the largest suffix
 * that divides them: "16G", "1536M", "100". */
static void format_size(uint64_t v, char *buf, size_t cap)
{
    static const char suffix[] = "GMK";
    for (int i = 0; i < 3; i++) {
        uint64_t unit = 1ull << (10 * (3 - i));
        if (v && v % unit == 0) {
            snprintf(buf, cap, "%llu%c", (unsigned long long)(v / unit), suffix[i]);
            return;
        }
    }
    snprintf(buf, cap, "%llu", (unsigned long long)v);
}

static void format_range(const nrt__param_def_t *p, char *buf, size_t cap)
{
    char a[22], b[22]; /* 20 digits and a suffix */
    switch (p->type) {
    case NRTX_PARAM_INT:
    case NRTX_PARAM_CORES:
        snprintf(buf, cap, "%llu..%llu", (unsigned long long)p->min, (unsigned long long)p->max);
        return;
    case NRTX_PARAM_SIZE:
        format_size(p->min, a, sizeof a);
        format_size(p->max, b, sizeof b);
        if (p->max == UINT64_MAX)
            snprintf(buf, cap, ">= %s", a);
        else
            snprintf(buf, cap, "%s..%s", a, b);
        return;
    case NRTX_PARAM_LOG_LEVEL:
        snprintf(buf, cap, "%s..%s", level_names[p->min], level_names[p->max]);
        return;
    case NRTX_PARAM_STRING:
        break;
    }
    buf[0] = '\0';
}

/* Core ids as the shortest list NEURON_RT_VISIBLE_CORES accepts: "0-3,6". */
static void format_cores(char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < nrt__rt.cfg.num_cores && len < cap;) {
        uint32_t j = i;
        while (j + 1 < nrt__rt.cfg.num_cores && nrt__rt.cores[j + 1].phys == nrt__rt.cores[j].phys + 1)
            j++;
        int n = j == i ? snprintf(buf + len, cap - len, "%s%u", i ? "," : "", nrt__rt.cores[i].phys)
                       : snprintf(buf + len, cap - len, "%s%u-%u", i ? "," : "", nrt__rt.cores[i].phys,
                                  nrt__rt.cores[j].phys);
        len += n > 0 ? (size_t)n : 0;
        i = j + 1;
    }
}

/* The value in force of entry |id|, from the running runtime. A switch
 * with no default case: -Wswitch makes a new table entry that is missing
 * here a build error. */
static void format_value(nrt__param_id_t id, char *buf, size_t cap)
{
    const nrtx_config_t *cfg = &nrt__rt.cfg;
    uint64_t u = 0;
    buf[0] = '\0';
    switch (id) {
    case NRT__P_NEURON_RT_VISIBLE_CORES: format_cores(buf, cap); return;
    case NRT__P_NEURON_RT_NUM_CORES: u = cfg->num_cores; break;
    case NRT__P_OPENNRT_TOTAL_CORES: u = snap.total_cores; break;
    case NRT__P_OPENNRT_QUEUES: u = cfg->queues[NRTA_XU_TENSOR_READ]; break;
    case NRT__P_OPENNRT_QUEUE_DEPTH: u = cfg->queue_depth; break;
    case NRT__P_OPENNRT_WORKERS: u = cfg->workers; break;
    case NRT__P_OPENNRT_SPIN_US: u = cfg->spin_ns / 1000; break;
    case NRT__P_OPENNRT_HELP_US: u = cfg->help_ns / 1000; break;
    case NRT__P_OPENNRT_MEM_LIMIT: format_size(cfg->mem_limit, buf, cap); return;
    case NRT__P_NEURON_RT_EXEC_TIMEOUT: u = cfg->exec_timeout_s; break;
    case NRT__P_OPENNRT_EXEC_TIMEOUT_MS: u = cfg->exec_timeout_ms; break;
    case NRT__P_OPENNRT_NAN_CHECK: u = cfg->nan_check; break;
    case NRT__P_NEURON_RT_LOG_LEVEL: {
        int lv = nrt__log_get();
        nrt__strlcpy(buf, lv >= NRT__LOG_OFF && lv <= NRT__LOG_TRACE ? level_names[lv] : "?", cap);
        return;
    }
    case NRT__P_OPENNRT_TRACE: nrt__strlcpy(buf, nrt__rt.trace_path, cap); return;
    case NRT__P_OPENNRT_FAULT: nrt__strlcpy(buf, snap.fault, cap); return;
    case NRT__P_OPENNRT_SCALE_PASSES: return; /* read by the model, not by us */
    case NRT__P_NEURON_RT_ASYNC_SENDRECV_BOOTSTRAP_PORT:
    case NRT__P_NEURON_RT_ASYNC_SENDRECV_EXPERIMENTAL_ENABLED:
    case NRT__P_OPENNRT_SR_CONNECT_TIMEOUT_MS:
    case NRT__P_OPENNRT_SR_PEER_TIMEOUT_MS:
    case NRT__P_OPENNRT_SR_TRANSPORT:
    case NRT__P_OPENNRT_SR_SPIN_US:
    case NRT__P_NEURON_RT_ROOT_COMM_ID:
    case NRT__P_OPENNRT_CC_TRANSPORT:
    case NRT__P_OPENNRT_CC_ALLREDUCE:
    case NRT__P_OPENNRT_CC_ALLGATHER:
    case NRT__P_OPENNRT_CC_REDUCESCATTER:
    case NRT__P_OPENNRT_CC_WARN_MS: {
        /* Read by nrt_async_sendrecv_init / the collectives: what they will use. */
        const char *e = getenv(nrt__params[id].name);
        nrt__strlcpy(buf, e && *e ? e : nrt__params[id].def, cap);
        return;
    }
    case NRT__P_COUNT: return;
    }
    snprintf(buf, cap, "%llu", (unsigned long long)u);
}

/*===------------------------------------------------------------------===*/
/* Reading                                                                */
/*===------------------------------------------------------------------===*/

const nrt__param_def_t *nrt__param_find(const char *name)
{
    for (size_t i = 0; i < NRT__P_COUNT; i++)
        if (strcmp(nrt__params[i].name, name) == 0)
            return &nrt__params[i];
    return NULL;
}

bool nrt__param_parse(const nrt__param_def_t *p, const char *s, uint64_t *out)
{
    uint64_t v;
    bool ok;
    switch (p->type) {
    case NRTX_PARAM_INT: ok = nrt__parse_u64(s, &v); break;
    case NRTX_PARAM_SIZE: ok = nrt__parse_size(s, &v); break;
    default: return false; /* core lists and log levels have their own readers */
    }
    if (!ok || v < p->min || v > p->max)
        return false;
    *out = v;
    return true;
}

bool nrt__param_read_u64(nrt__param_id_t id, uint64_t *out)
{
    const nrt__param_def_t *p = &nrt__params[id];
    const char *s = getenv(p->name);
    /* test_params.c checks that the default of every entry read here
     * parses, so *out always ends up in range. */
    *out = 0;
    nrt__param_parse(p, p->def, out);
    if (!s || !*s || nrt__param_parse(p, s, out))
        return true;
    /* These are the messages the settings have always logged; tests and
     * scripts match them. */
    if (p->type == NRTX_PARAM_SIZE) {
        char range[48] = "";
        if (p->min > 1 || p->max != UINT64_MAX) {
            nrt__strlcpy(range, ", ", sizeof range);
            format_range(p, range + 2, sizeof range - 2);
        }
        LOG_ERROR("invalid %s='%s' (expected bytes with optional K/M/G suffix%s)", p->name, s, range);
    } else {
        LOG_ERROR("invalid %s='%s' (expected an integer in [%llu, %llu])", p->name, s, (unsigned long long)p->min,
                  (unsigned long long)p->max);
    }
    return false;
}

bool nrt__params_read(nrt__param_values_t *out)
{
    bool ok = true;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < NRT__P_COUNT; i++) {
        const nrt__param_def_t *p = &nrt__params[i];
        if (p->reader != NRT__PARAM_BY_CONFIG)
            continue;
        if (p->type == NRTX_PARAM_STRING) {
            const char *s = getenv(p->name);
            out->s[i] = s && *s ? s : NULL;
        } else {
            ok &= nrt__param_read_u64((nrt__param_id_t)i, &out->u[i]);
        }
    }
    return ok;
}

uint32_t nrt__params_workers(uint64_t requested)
{
    uint64_t max = nrt__params[NRT__P_OPENNRT_WORKERS].max;
    if (requested == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        requested = cpus > 0 ? (uint64_t)cpus : 1;
    }
    return (uint32_t)(requested < max ? requested : max);
}

void nrt__params_snapshot(uint32_t total_cores)
{
    snap.total_cores = total_cores;
    nrt__strlcpy(snap.fault, getenv("OPENNRT_FAULT"), sizeof snap.fault);
}

/*===------------------------------------------------------------------===*/
/* Unknown variables                                                      */
/*===------------------------------------------------------------------===*/

#define NAME_CAP 64 /* longer names are compared by their first 64 bytes */

/* Levenshtein distance of a[0..n) and b[0..m), two rows of the table. */
static size_t edit_distance(const char *a, size_t n, const char *b, size_t m)
{
    size_t row[NAME_CAP + 1], prev[NAME_CAP + 1];
    n = n < NAME_CAP ? n : NAME_CAP;
    m = m < NAME_CAP ? m : NAME_CAP;
    for (size_t j = 0; j <= m; j++)
        prev[j] = j;
    for (size_t i = 1; i <= n; i++) {
        row[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = row[j - 1] + 1;
            row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, row, (m + 1) * sizeof row[0]);
    }
    return prev[m];
}

const nrt__param_def_t *nrt__param_closest(const char *name, size_t len, size_t *out_distance)
{
    const nrt__param_def_t *best = &nrt__params[0];
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < NRT__P_COUNT; i++) {
        size_t d = edit_distance(name, len, nrt__params[i].name, strlen(nrt__params[i].name));
        if (d < best_d) {
            best_d = d;
            best = &nrt__params[i];
        }
    }
    if (out_distance)
        *out_distance = best_d;
    return best;
}

size_t nrt__params_warn_unknown(char *const *env)
{
    static const char prefix[] = "OPENNRT_";
    size_t found = 0;
    for (; env && *env; env++) {
        const char *e = *env;
        if (strncmp(e, prefix, sizeof prefix - 1) != 0)
            continue;
        const char *eq = strchr(e, '=');
        size_t len = eq ? (size_t)(eq - e) : strlen(e);
        bool known = false;
        for (size_t i = 0; i < NRT__P_COUNT && !known; i++)
            known = strlen(nrt__params[i].name) == len && memcmp(nrt__params[i].name, e, len) == 0;
        if (known)
            continue;
        /* A misspelt setting is otherwise silently ignored, and the run
         * uses a default the user thinks they changed. */
        const nrt__param_def_t *near = nrt__param_closest(e, len, NULL);
        LOG_WARN("unknown setting %.*s is ignored; did you mean %s? (docs/CONFIG.md lists them all)",
                 len > 128 ? 128 : (int)len, e, near->name);
        found++;
    }
    return found;
}

/*===------------------------------------------------------------------===*/
/* Public view                                                            */
/*===------------------------------------------------------------------===*/

NRT_API NRT_STATUS nrtx_param_count(uint32_t *count)
{
    CHECK_NOT_NULL(count);
    *count = NRT__P_COUNT;
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrtx_param_get(uint32_t index, nrtx_param_t *param)
{
    CHECK_NOT_NULL(param);
    memset(param, 0, sizeof *param);
    CHECK_ARG(index < NRT__P_COUNT, NRT_INVALID, "index %u is out of range (%u settings)", index,
              (unsigned)NRT__P_COUNT);
    const nrt__param_def_t *p = &nrt__params[index];
    param->name = p->name;
    param->type = p->type;
    param->type_name = type_names[p->type];
    param->min = p->min;
    param->max = p->max;
    format_range(p, param->range, sizeof param->range);
    param->def = p->def;
    param->doc = p->doc;
    const char *env = getenv(p->name);
    param->set = env && *env;
    param->library = p->reader != NRT__PARAM_BY_MODEL;
    /* Acquire: pairs with nrt_init's release store of RUNNING, after which
     * the configuration and the snapshot no longer change. */
    if (atomic_load_explicit(&nrt__rt.state, memory_order_acquire) == NRT__RT_RUNNING)
        format_value((nrt__param_id_t)index, param->value, sizeof param->value);
    return NRT_SUCCESS;
}

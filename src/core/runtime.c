/*
 * src/core/runtime.c - nrt_init / nrt_close, configuration from the
 * environment, logical cores, memory accounting, core-count queries,
 * status strings and instance info.
 *
 * The runtime is a process-wide singleton (nrt__rt), the one global the
 * API edge reads. init and close take nrt__rt.lock (close drops it while
 * queued work drains); every other entry point only reads |state|
 * (acquire), so the hot paths never lock. Calling nrt_close concurrently
 * with other calls is a caller error (as on the Neuron runtime).
 */
#include "core/core.h"
#include "common/obj.h"
#include "core/params.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

nrt__runtime_t nrt__rt = {.lock = NRT__MUTEX_INITIALIZER};

#define DEFAULT_TOTAL_CORES 16

/*===------------------------------------------------------------------===*/
/* Status strings                                                         */
/*===------------------------------------------------------------------===*/

NRT_API const char *nrt_get_status_as_str(NRT_STATUS status)
{
    switch (status) {
#define NRT_STATUS_STR_(name, value, desc)                                     \
    case NRT_##name:                                                           \
        return "NRT_" #name;
        NRT_STATUS_MAP(NRT_STATUS_STR_)
#undef NRT_STATUS_STR_
    }
    return "NRT_UNKNOWN_STATUS";
}

NRT_API const char *nrtx_version(void)
{
    return NRTX_VERSION_STRING;
}

/*===------------------------------------------------------------------===*/
/* Configuration                                                          */
/*===------------------------------------------------------------------===*/

/* OPENNRT_TOTAL_CORES for nrt__cores_from_env, through the settings table
 * (core/params.h), which owns the bounds, the default and the message.
 * The ones passed here must agree with it: a mismatch is a build bug. */
static bool env_u64(const char *name, uint64_t min, uint64_t max, uint64_t def, uint64_t *out)
{
    const nrt__param_def_t *p = nrt__param_find(name);
    uint64_t table_def = 0;
    if (!p || p->min != min || p->max != max || !nrt__param_parse(p, p->def, &table_def) || table_def != def) {
        fprintf(stderr, "nrt: %s disagrees with the settings table (core/params.h)\n", name);
        abort();
    }
    return nrt__param_read_u64((nrt__param_id_t)(p - nrt__params), out);
}

/* Parses "0-3", "1,3", "0-1,4" into sorted, de-duplicated ids. */
static bool parse_core_list(const char *s, uint32_t *ids, uint32_t *count)
{
    bool seen[NRT__MAX_CORES] = {false};
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        long a = strtol(p, &end, 10);
        if (end == p || errno || a < 0 || a >= NRT__MAX_CORES)
            return false;
        long b = a;
        p = end;
        if (*p == '-') {
            p++;
            b = strtol(p, &end, 10);
            if (end == p || errno || b < a || b >= NRT__MAX_CORES)
                return false;
            p = end;
        }
        for (long i = a; i <= b; i++)
            seen[i] = true;
        if (*p == ',')
            p++;
        else if (*p)
            return false;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < NRT__MAX_CORES; i++)
        if (seen[i])
            ids[n++] = i;
    *count = n;
    return n > 0;
}

NRT_STATUS nrt__cores_from_env(uint32_t *phys, uint32_t *count, uint32_t *total)
{
    uint64_t tot;
    if (!env_u64("OPENNRT_TOTAL_CORES", 1, NRT__MAX_CORES, DEFAULT_TOTAL_CORES, &tot))
        return NRT_INVALID;
    *total = (uint32_t)tot;
    const char *vis = getenv("NEURON_RT_VISIBLE_CORES");
    const char *num = getenv("NEURON_RT_NUM_CORES");
    if (vis && *vis) {
        if (!parse_core_list(vis, phys, count)) {
            LOG_ERROR("invalid NEURON_RT_VISIBLE_CORES='%s' (expected ids or ranges like '0-3' or '1,3', below %d)",
                      vis, NRT__MAX_CORES);
            return NRT_INVALID;
        }
        if (phys[*count - 1] >= *total) {
            LOG_ERROR("NEURON_RT_VISIBLE_CORES='%s' names core %u but only %u exist (OPENNRT_TOTAL_CORES)", vis,
                      phys[*count - 1], *total);
            return NRT_INVALID;
        }
        return NRT_SUCCESS;
    }
    uint64_t n = *total;
    if (num && *num) {
        if (!nrt__parse_u64(num, &n) || n < 1 || n > *total) {
            LOG_ERROR("invalid NEURON_RT_NUM_CORES='%s' (expected 1..%u)", num, *total);
            return NRT_INVALID;
        }
    }
    for (uint32_t i = 0; i < n; i++)
        phys[i] = i;
    *count = (uint32_t)n;
    return NRT_SUCCESS;
}

static NRT_STATUS read_config(nrtx_config_t *cfg, uint32_t *phys)
{
    memset(cfg, 0, sizeof *cfg);
    /* First, so a misspelt name is reported even when another setting
     * makes init fail. */
    nrt__params_warn_unknown(environ);
    uint32_t total;
    NRT_STATUS st = nrt__cores_from_env(phys, &cfg->num_cores, &total);
    if (st != NRT_SUCCESS)
        return st;
    nrt__param_values_t p;
    bool ok = nrt__params_read(&p);
    cfg->queues[NRTA_XU_TENSOR_READ] = cfg->queues[NRTA_XU_TENSOR_WRITE] = cfg->queues[NRTA_XU_TENSOR_OP] =
        (uint32_t)p.u[NRT__P_OPENNRT_QUEUES];
    cfg->queues[NRTA_XU_COMPUTE] = cfg->queues[NRTA_XU_COLLECTIVES] = 1;
    /* Report the capacity queues really have: rounded up to a power of
     * two (see nrt__units_create). */
    uint64_t depth = 1;
    while (depth < p.u[NRT__P_OPENNRT_QUEUE_DEPTH])
        depth <<= 1;
    cfg->queue_depth = (uint32_t)depth;
    cfg->workers = nrt__params_workers(p.u[NRT__P_OPENNRT_WORKERS]);
    cfg->spin_ns = p.u[NRT__P_OPENNRT_SPIN_US] * 1000;
    cfg->help_ns = p.u[NRT__P_OPENNRT_HELP_US] * 1000;
    cfg->mem_limit = p.u[NRT__P_OPENNRT_MEM_LIMIT];
    cfg->nan_check = p.u[NRT__P_OPENNRT_NAN_CHECK] != 0;
    /* OPENNRT_EXEC_TIMEOUT_MS=0 means "not set", not "disabled": only
     * NEURON_RT_EXEC_TIMEOUT=0 disables the timeout. */
    cfg->exec_timeout_s = (uint32_t)p.u[NRT__P_NEURON_RT_EXEC_TIMEOUT];
    cfg->exec_timeout_ms = p.u[NRT__P_OPENNRT_EXEC_TIMEOUT_MS] ? p.u[NRT__P_OPENNRT_EXEC_TIMEOUT_MS]
                                                               : p.u[NRT__P_NEURON_RT_EXEC_TIMEOUT] * 1000;
    nrt__rt.exec_timeout_ns = cfg->exec_timeout_ms * 1000000ull;
    cfg->log_level = nrt__log_get();
    nrt__strlcpy(nrt__rt.trace_path, p.s[NRT__P_OPENNRT_TRACE], sizeof nrt__rt.trace_path);
    nrt__params_snapshot(total);
    return ok ? NRT_SUCCESS : NRT_INVALID;
}

/*===------------------------------------------------------------------===*/
/* Lifecycle                                                              */
/*===------------------------------------------------------------------===*/

NRT_STATUS nrt__rt_check(const char *func)
{
    int s = atomic_load_explicit(&nrt__rt.state, memory_order_acquire);
    if (NRT__LIKELY(s == NRT__RT_RUNNING))
        return NRT_SUCCESS;
    if (s == NRT__RT_NEVER) {
        NRT__LOG(NRT__LOG_ERROR, "%s: runtime is not initialized (call nrt_init first)", func);
        return NRT_UNINITIALIZED;
    }
    if (s == NRT__RT_FORKED) {
        NRT__LOG(NRT__LOG_ERROR,
                 "%s: this process was forked from one whose runtime was running; the runtime does not "
                 "carry over a fork (its threads do not exist here): call nrt_init in this process",
                 func);
        return NRT_UNINITIALIZED;
    }
    NRT__LOG(NRT__LOG_ERROR, "%s: runtime is closed (nrt_close was called)", func);
    return NRT_CLOSED;
}

bool nrt__core_check(int64_t lnc, const char *func)
{
    if (lnc < 0 || lnc >= (int64_t)nrt__rt.cfg.num_cores) {
        NRT__LOG(NRT__LOG_ERROR, "%s: logical core %lld does not exist (%u visible)", func, (long long)lnc,
                 nrt__rt.cfg.num_cores);
        return false;
    }
    return true;
}

static void raise_fd_limit(void)
{
    /* Completion handles are file descriptors; applications may hold
     * thousands, so lift the soft limit to the hard one. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            LOG_DEBUG("could not raise RLIMIT_NOFILE: %s", strerror(errno));
    }
}

static void destroy_cores(uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        nrt__units_destroy(nrt__rt.cores[i].units);
}

/* fork() child: one thread, copies of the parent's memory. Locks another
 * thread held are stale and the runtime's threads do not exist, so forget
 * the parent's runtime (its memory is left behind) and refuse every call
 * until this process calls nrt_init. */
static void atfork_child(void)
{
    nrt__mutex_init(&nrt__rt.lock);
    nrt__obj_after_fork();
    nrt__pool_after_fork();
    nrt__watchdog_after_fork();
    nrt__fault_after_fork();
    nrt__cc_after_fork();
    nrt__sr_after_fork();
    int s = atomic_load_explicit(&nrt__rt.state, memory_order_relaxed);
    if (s == NRT__RT_RUNNING || s == NRT__RT_CLOSING) {
        memset(nrt__rt.cores, 0, sizeof nrt__rt.cores);
        atomic_store_explicit(&nrt__trace_on, false, memory_order_relaxed);
        atomic_store_explicit(&nrt__rt.state, NRT__RT_FORKED, memory_order_relaxed);
    }
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void atfork_register(void)
{
    pthread_atfork(nrt__obj_fork_prepare, nrt__obj_fork_parent, atfork_child);
}

static uint64_t total_queues(const nrtx_config_t *cfg)
{
    uint64_t n = 0;
    for (uint32_t xu = 0; xu < NRTA_XU_TYPE_NUM; xu++)
        n += cfg->queues[xu];
    return n * cfg->num_cores;
}

NRT_API NRT_STATUS nrt_init(nrt_framework_type_t framework, const char *fw_version, const char *fal_version)
{
    (void)fw_version;
    (void)fal_version;
    /* The log level is rewritten only while no runtime thread reads it. */
    int state = atomic_load_explicit(&nrt__rt.state, memory_order_acquire);
    if (state != NRT__RT_RUNNING && state != NRT__RT_CLOSING)
        nrt__log_configure();
    if (framework <= NRT_FRAMEWORK_TYPE_INVALID || framework > NRT_FRAMEWORK_TYPE_PRECHECK) {
        LOG_ERROR("invalid framework type %d", (int)framework);
        return NRT_INVALID;
    }
    pthread_once(&atfork_once, atfork_register);
    nrt__mutex_lock(&nrt__rt.lock);
    state = atomic_load_explicit(&nrt__rt.state, memory_order_relaxed);
    if (state == NRT__RT_RUNNING || state == NRT__RT_CLOSING) {
        nrt__mutex_unlock(&nrt__rt.lock);
        LOG_ERROR(state == NRT__RT_RUNNING ? "runtime is already initialized"
                                           : "nrt_close is still running on another thread");
        return NRT_FAILURE;
    }
    uint32_t phys[NRT__MAX_CORES];
    NRT_STATUS st = read_config(&nrt__rt.cfg, phys);
    if (st == NRT_SUCCESS)
        st = nrt__fault_parse_env(getenv("OPENNRT_FAULT"));
    if (st == NRT_SUCCESS)
        st = nrt__cc_read_cfg();
    if (st != NRT_SUCCESS) {
        nrt__mutex_unlock(&nrt__rt.lock);
        return st;
    }
    raise_fd_limit();
    nrt__units_reap(); /* queues an earlier runtime kept for a hung request */
    atomic_fetch_add_explicit(&nrt__rt.gen, 1, memory_order_relaxed);
    /* Queues copy their settings: the hot path reads no global config. */
    nrt__queue_cfg_t qcfg = {.spin_ns = nrt__rt.cfg.spin_ns, .help_ns = nrt__rt.cfg.help_ns, .nan_check = nrt__rt.cfg.nan_check};
    uint32_t made = 0;
    for (; made < nrt__rt.cfg.num_cores; made++) {
        nrt__lnc_t *c = &nrt__rt.cores[made];
        c->index = made;
        c->phys = phys[made];
        atomic_store_explicit(&c->mem_used, 0, memory_order_relaxed);
        atomic_store_explicit(&c->nmodels, 0, memory_order_relaxed);
        st = nrt__units_create(made, nrt__rt.cfg.queue_depth, nrt__rt.cfg.queues, &qcfg, c->units);
        if (st != NRT_SUCCESS)
            break;
    }
    bool pool = false;
    if (st == NRT_SUCCESS) {
        st = nrt__pool_start(nrt__rt.cfg.workers, nrt__rt.cfg.spin_ns, total_queues(&nrt__rt.cfg));
        pool = st == NRT_SUCCESS;
    }
    if (st == NRT_SUCCESS)
        st = nrt__watchdog_start(nrt__rt.exec_timeout_ns);
    if (st != NRT_SUCCESS) {
        if (pool)
            nrt__pool_stop();
        destroy_cores(made);
        nrt__fault_reset();
        nrt__mutex_unlock(&nrt__rt.lock);
        return st;
    }
    if (nrt__rt.trace_path[0])
        atomic_store_explicit(&nrt__trace_on, true, memory_order_relaxed);
    /* Release: everything above is visible to threads that see RUNNING. */
    atomic_store_explicit(&nrt__rt.state, NRT__RT_RUNNING, memory_order_release);
    nrt__mutex_unlock(&nrt__rt.lock);
    LOG_INFO("OpenNRT %s initialized: %u logical cores, %u queues per tensor unit, depth %u", NRTX_VERSION_STRING,
             nrt__rt.cfg.num_cores, nrt__rt.cfg.queues[0], nrt__rt.cfg.queue_depth);
    return NRT_SUCCESS;
}

NRT_API void nrt_close(void)
{
    nrt__mutex_lock(&nrt__rt.lock);
    int state = atomic_load_explicit(&nrt__rt.state, memory_order_relaxed);
    if (state != NRT__RT_RUNNING) {
        nrt__mutex_unlock(&nrt__rt.lock);
        LOG_WARN(state == NRT__RT_FORKED ? "the runtime belongs to the parent process (fork); nothing to close"
                                         : "runtime is not initialized; nothing to close");
        return;
    }
    /* New calls now fail with NRT_CLOSED. Queued work finishes without the
     * runtime lock held: completing it may release the last reference of
     * an object, and nothing on that path may wait for this lock. */
    atomic_store_explicit(&nrt__rt.state, NRT__RT_CLOSING, memory_order_release);
    nrt__mutex_unlock(&nrt__rt.lock);
    nrt__sr_close_all(); /* send/recv first: its transfers hold tensors */
    uint64_t budget = nrt__rt.exec_timeout_ns ? nrt__rt.exec_timeout_ns : 30000000000ull;
    uint64_t deadline = nrt__now_ns() + budget;
    for (uint32_t i = 0; i < nrt__rt.cfg.num_cores; i++)
        nrt__units_quiesce(nrt__rt.cores[i].units, deadline);
    nrt__cc_shutdown(); /* nothing runs on COLLECTIVES any more */
    nrt__watchdog_stop();
    nrt__pool_stop();
    if (nrt__rt.trace_path[0] && nrt__trace_write_file(nrt__rt.trace_path) == NRT_SUCCESS)
        LOG_INFO("trace written to %s", nrt__rt.trace_path);
    atomic_store_explicit(&nrt__trace_on, false, memory_order_relaxed);
    nrt__sr_trace_reset();
    nrt__mutex_lock(&nrt__rt.lock);
    destroy_cores(nrt__rt.cfg.num_cores);
    nrt__tracker_close_all();
    nrt__tensor_close_all();
    nrt__model_close_all();
    nrt__fault_reset();
    atomic_store_explicit(&nrt__rt.state, NRT__RT_CLOSED, memory_order_release);
    nrt__mutex_unlock(&nrt__rt.lock);
    LOG_INFO("runtime closed");
}

/*===------------------------------------------------------------------===*/
/* Counts, instance info, memory                                          */
/*===------------------------------------------------------------------===*/

static NRT_STATUS count_query(uint32_t *out, bool visible, const char *func)
{
    if (!out) {
        NRT__LOG(NRT__LOG_ERROR, "%s: argument 'vnc_count' is NULL", func);
        return NRT_INVALID;
    }
    *out = 0;
    if (atomic_load_explicit(&nrt__rt.state, memory_order_acquire) == NRT__RT_RUNNING) {
        if (visible) {
            *out = nrt__rt.cfg.num_cores;
            return NRT_SUCCESS;
        }
    } else {
        nrt__log_configure();
    }
    uint32_t phys[NRT__MAX_CORES], count, total;
    NRT_STATUS st = nrt__cores_from_env(phys, &count, &total);
    if (st != NRT_SUCCESS)
        return st;
    *out = visible ? count : total;
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_get_total_nc_count(uint32_t *vnc_count) { return count_query(vnc_count, false, __func__); }
NRT_API NRT_STATUS nrt_get_total_vnc_count(uint32_t *vnc_count) { return count_query(vnc_count, false, __func__); }
NRT_API NRT_STATUS nrt_get_visible_nc_count(uint32_t *vnc_count) { return count_query(vnc_count, true, __func__); }
NRT_API NRT_STATUS nrt_get_visible_vnc_count(uint32_t *vnc_count) { return count_query(vnc_count, true, __func__); }

NRT_API NRT_STATUS nrt_get_instance_info(nrt_instance_info_t *info, size_t instance_info_len)
{
    CHECK_NOT_NULL(info);
    CHECK_ARG(instance_info_len >= sizeof(nrt_instance_info_t), NRT_INVALID,
              "instance_info_len %zu is smaller than sizeof(nrt_instance_info_t) = %zu", instance_info_len,
              sizeof(nrt_instance_info_t));
    uint32_t n = 0;
    NRT_STATUS st = count_query(&n, true, __func__);
    if (st != NRT_SUCCESS)
        return st;
    memset(info, 0, sizeof *info);
    info->family = NRT_INSTANCE_UNKNOWN;
    info->size = n;
    nrt__strlcpy(info->arch_name, "cpu", sizeof info->arch_name);
    nrt__strlcpy(info->device_revision, "sim", sizeof info->device_revision);
    return NRT_SUCCESS;
}

NRT_STATUS nrt__mem_reserve(uint32_t lnc, uint64_t bytes)
{
    nrt__lnc_t *c = &nrt__rt.cores[lnc];
    uint64_t cur = atomic_load_explicit(&c->mem_used, memory_order_relaxed);
    do {
        if (bytes > nrt__rt.cfg.mem_limit - cur) {
            LOG_ERROR("core %u: allocating %llu bytes would exceed the memory limit (%llu of %llu used; "
                      "OPENNRT_MEM_LIMIT)",
                      lnc, (unsigned long long)bytes, (unsigned long long)cur,
                      (unsigned long long)nrt__rt.cfg.mem_limit);
            return NRT_RESOURCE;
        }
    } while (!atomic_compare_exchange_weak_explicit(&c->mem_used, &cur, cur + bytes, memory_order_relaxed,
                                                    memory_order_relaxed));
    return NRT_SUCCESS;
}

void nrt__mem_unreserve(uint32_t lnc, uint32_t gen, uint64_t bytes)
{
    /* Storage freed after a later nrt_init belongs to an old accounting. */
    if (gen == atomic_load_explicit(&nrt__rt.gen, memory_order_relaxed))
        atomic_fetch_sub_explicit(&nrt__rt.cores[lnc].mem_used, bytes, memory_order_relaxed);
}

NRT_API NRT_STATUS nrt_get_vnc_memory_stats(uint32_t vnc, nrt_vnc_memory_stats_t *stats, size_t stats_size_in,
                                            size_t *stats_size_out)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(stats);
    CHECK_CORE(vnc);
    CHECK_ARG(stats_size_in > 0, NRT_INVALID, "stats_size_in is 0");
    nrt_vnc_memory_stats_t s = {
        .bytes_used = (size_t)atomic_load_explicit(&nrt__rt.cores[vnc].mem_used, memory_order_relaxed),
        .bytes_limit = (size_t)nrt__rt.cfg.mem_limit,
    };
    size_t n = stats_size_in < sizeof s ? stats_size_in : sizeof s;
    memcpy(stats, &s, n);
    if (stats_size_out)
        *stats_size_out = sizeof s;
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrtx_get_config(nrtx_config_t *config)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(config);
    *config = nrt__rt.cfg;
    config->log_level = nrt__log_get();
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrtx_get_visible_cores(uint32_t *out, uint32_t n, uint32_t *count)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(count);
    CHECK_ARG(out || n == 0, NRT_INVALID, "argument 'out' is NULL with n = %u", n);
    *count = nrt__rt.cfg.num_cores;
    for (uint32_t i = 0; i < n && i < nrt__rt.cfg.num_cores; i++)
        out[i] = nrt__rt.cores[i].phys;
    return NRT_SUCCESS;
}

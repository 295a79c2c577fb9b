/*
 * src/xu/profile.c - nrt/nrt_profile.h on the timeline recorder (trace.c):
 * profile, trace and inspect sessions start recording and write the
 * Chrome trace where the caller says.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/lock.h"
#include "core/core.h"
#include "model/model.h"
#include "nrt/nrt_profile.h"
#include "xu/profile.h"
#include "xu/xu.h"

#define PATH_CAP 4096

static const char *const activities[] = {"requests", "transfers"};
#define NACT (sizeof activities / sizeof activities[0])

struct nrt_inspect_config {
    char output_dir[PATH_CAP];
    int session_id;
    bool enable_inspect, enable_on_fail;
    bool activity[NACT];
    uint64_t max_events_per_nc;
    nrt_inspect_device_profile_mode_t device_profile_mode;
};

static struct {
    char file[4096]; /* profile / trace session: where stop writes */
    bool inspecting;
    nrt_inspect_config_t inspect;
} P;

/*===------------------------------------------------------------------===*/
/* Who holds the recorder (xu/profile.h)                                  */
/*===------------------------------------------------------------------===*/

static struct {
    nrt__mutex_t lock;
    unsigned holders; /* NRT__REC_* bits */
    uint32_t gen;     /* nrt__rt.gen the bits belong to */
} R = {.lock = NRT__MUTEX_INITIALIZER};

static unsigned holders_now(void)
{
    uint32_t gen = atomic_load_explicit(&nrt__rt.gen, memory_order_relaxed);
    if (R.gen != gen) { /* sessions of an earlier nrt_init ended with it */
        R.gen = gen;
        R.holders = 0;
    }
    return R.holders;
}

void nrt__recorder_hold(unsigned who)
{
    nrt__mutex_lock(&R.lock);
    R.holders = holders_now() | who;
    atomic_store_explicit(&nrt__trace_on, true, memory_order_relaxed);
    nrt__mutex_unlock(&R.lock);
}

void nrt__recorder_release(unsigned who)
{
    nrt__mutex_lock(&R.lock);
    R.holders = holders_now() & ~who;
    /* OPENNRT_TRACE records the whole run for nrt_close: leave it on. */
    if (!R.holders && !nrt__rt.trace_path[0])
        atomic_store_explicit(&nrt__trace_on, false, memory_order_relaxed);
    nrt__mutex_unlock(&R.lock);
}

static NRT_STATUS write_trace(const char *path, const char *func)
{
    NRT_STATUS st = nrt__trace_write_file(path);
    if (st == NRT_SUCCESS)
        NRT__LOG(NRT__LOG_INFO, "%s: trace written to %s", func, path);
    return st;
}

static NRT_STATUS stop_and_write(unsigned who, const char *path, const char *func)
{
    nrt__recorder_release(who);
    return write_trace(path, func);
}

/* Copies |dir| into |out| (PATH_CAP bytes), leaving room for a file name. */
static NRT_STATUS set_dir(char *out, const char *dir, const char *func)
{
    if (!*dir || strlen(dir) >= PATH_CAP - 64) {
        NRT__LOG(NRT__LOG_ERROR, "%s: output_dir is empty or too long", func);
        return NRT_INVALID;
    }
    snprintf(out, PATH_CAP, "%s", dir);
    return NRT_SUCCESS;
}

static NRT_STATUS make_dir(const char *dir, const char *func)
{
    if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
        NRT__LOG(NRT__LOG_ERROR, "%s: cannot create the output directory %s: %s", func, dir, strerror(errno));
        return NRT_FAILURE;
    }
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_profile_start(nrt_model_t *model, const char *filename)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(filename);
    if (model && !nrt__model_check(model, __func__))
        return NRT_INVALID;
    snprintf(P.file, sizeof P.file, "%s", filename);
    nrt__recorder_hold(NRT__REC_PROFILE);
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_profile_stop(const char *filename)
{
    CHECK_RUNNING();
    const char *path = filename && *filename ? filename : P.file;
    if (!*path) {
        LOG_ERROR("%s: no file name given, and no profile was started with one", __func__);
        return NRT_INVALID;
    }
    return stop_and_write(NRT__REC_PROFILE, path, __func__);
}

NRT_API NRT_STATUS nrt_trace_start(bool trace_mem)
{
    (void)trace_mem; /* memory events: the recorder has none to add */
    CHECK_RUNNING();
    P.file[0] = 0;
    nrt__recorder_hold(NRT__REC_PROFILE);
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_trace_stop(const char *filename)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(filename);
    return stop_and_write(NRT__REC_PROFILE, filename, __func__);
}

/*===------------------------------------------------------------------===*/
/* Inspect configuration                                                  */
/*===------------------------------------------------------------------===*/

static void config_defaults(nrt_inspect_config_t *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->output_dir, sizeof c->output_dir, "./output");
    c->enable_inspect = true;
    for (size_t i = 0; i < NACT; i++)
        c->activity[i] = true;
}

NRT_API NRT_STATUS nrt_inspect_config_allocate(nrt_inspect_config_t **options)
{
    CHECK_NOT_NULL(options);
    *options = malloc(sizeof **options);
    if (!*options) {
        LOG_ERROR("%s: out of memory", __func__);
        return NRT_RESOURCE;
    }
    config_defaults(*options);
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_inspect_config_free(nrt_inspect_config_t *options)
{
    free(options);
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_inspect_config_set_defaults(nrt_inspect_config_t *options)
{
    CHECK_NOT_NULL(options);
    config_defaults(options);
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_inspect_config_set_output_dir(nrt_inspect_config_t *options, const char *output_dir)
{
    CHECK_NOT_NULL(options);
    CHECK_NOT_NULL(output_dir);
    return set_dir(options->output_dir, output_dir, __func__);
}

NRT_API NRT_STATUS nrt_inspect_config_set_session_id(nrt_inspect_config_t *options, int session_id)
{
    CHECK_NOT_NULL(options);
    options->session_id = session_id;
    return NRT_SUCCESS;
}

static int activity_index(const char *name)
{
    for (size_t i = 0; i < NACT; i++)
        if (!strcmp(name, activities[i]))
            return (int)i;
    return -1;
}

NRT_API NRT_STATUS nrt_inspect_config_set_activity(nrt_inspect_config_t *options, const char *activity_type,
                                                   bool enabled)
{
    CHECK_NOT_NULL(options);
    CHECK_NOT_NULL(activity_type);
    int i = activity_index(activity_type);
    if (i < 0) {
        /* Another runtime's activity name: nothing of the kind exists here. */
        LOG_INFO("%s: OpenNRT has no activity '%s' (it records requests and transfers); ignored", __func__,
                 activity_type);
        return NRT_SUCCESS;
    }
    options->activity[i] = enabled;
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_inspect_config_set_capture_enabled_for_nc(nrt_inspect_config_t *options, uint32_t nc_idx,
                                                                 bool enabled)
{
    CHECK_NOT_NULL(options);
    CHECK_ARG(enabled, NRT_INVALID, "OpenNRT records every core; core %u cannot be left out", nc_idx);
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_inspect_config_set_capture_enabled_for_event_type_string(nrt_inspect_config_t *options,
                                                                                const char *event_type,
                                                                                bool enabled)
{
    CHECK_NOT_NULL(options);
    CHECK_NOT_NULL(event_type);
    return nrt_inspect_config_set_activity(options, event_type, enabled);
}

NRT_API NRT_STATUS nrt_inspect_config_set_enable_inspect(nrt_inspect_config_t *options, bool enable_inspect)
{
    CHECK_NOT_NULL(options);
    options->enable_inspect = enable_inspect;
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_inspect_config_set_enable_inspect_on_fail(nrt_inspect_config_t *options,
                                                                 bool enable_inspect_on_fail)
{
    CHECK_NOT_NULL(options);
    options->enable_on_fail = enable_inspect_on_fail;
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_inspect_config_set_inspect_device_profile_mode(nrt_inspect_config_t *options,
                                                                     nrt_inspect_device_profile_mode_t device_profile_mode)
{
    CHECK_NOT_NULL(options);
    CHECK_ARG(device_profile_mode >= NRT_INSPECT_DEVICE_PROFILE_MODE_DISABLED &&
                  device_profile_mode <= NRT_INSPECT_DEVICE_PROFILE_MODE_SESSION,
              NRT_INVALID, "device_profile_mode %d is not a mode", (int)device_profile_mode);
    options->device_profile_mode = device_profile_mode;
    if (device_profile_mode != NRT_INSPECT_DEVICE_PROFILE_MODE_DISABLED)
        LOG_INFO("no device profile: OpenNRT has no device (the system trace is recorded)");
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_inspect_config_set_sys_trace_max_events_per_nc(nrt_inspect_config_t *options,
                                                                      uint64_t sys_trace_max_events_per_nc)
{
    CHECK_NOT_NULL(options);
    options->max_events_per_nc = sys_trace_max_events_per_nc;
    return NRT_SUCCESS;
}

static NRT_STATUS list_activities(const bool *which, const char ***out, size_t *count, const char *func)
{
    if (!out || !count) {
        NRT__LOG(NRT__LOG_ERROR, "%s: argument '%s' is NULL", func, !out ? "activity_types" : "count");
        return NRT_INVALID;
    }
    const char **v = calloc(NACT, sizeof *v);
    if (!v)
        return NRT_RESOURCE;
    size_t n = 0;
    for (size_t i = 0; i < NACT; i++)
        if (!which || which[i])
            v[n++] = activities[i];
    *out = v;
    *count = n;
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_inspect_config_get_all_activity_types(const char ***activity_types, size_t *count)
{
    return list_activities(NULL, activity_types, count, __func__);
}

NRT_API NRT_STATUS nrt_inspect_config_get_enabled_activity_types(nrt_inspect_config_t *options,
                                                                 const char ***activity_types, size_t *count)
{
    CHECK_NOT_NULL(options);
    return list_activities(options->activity, activity_types, count, __func__);
}

NRT_API void nrt_inspect_config_free_activity_types(const char **activity_types, size_t count)
{
    (void)count;
    free((void *)activity_types);
}

/*===------------------------------------------------------------------===*/
/* Inspect sessions                                                       */
/*===------------------------------------------------------------------===*/

NRT_API NRT_STATUS nrt_inspect_begin_with_options(nrt_inspect_config_t *options)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(options);
    if (!options->enable_inspect)
        return NRT_SUCCESS; /* asked not to capture */
    NRT_STATUS st = make_dir(options->output_dir, __func__);
    if (st != NRT_SUCCESS)
        return st;
    P.inspect = *options;
    P.inspecting = true;
    nrt__recorder_hold(NRT__REC_INSPECT);
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_inspect_begin(void)
{
    nrt_inspect_config_t c;
    config_defaults(&c);
    return nrt_inspect_begin_with_options(&c);
}

NRT_API NRT_STATUS nrt_inspect_stop(void)
{
    CHECK_RUNNING();
    if (!P.inspecting) {
        LOG_ERROR("%s: no inspect session is running", __func__);
        return NRT_INVALID;
    }
    P.inspecting = false;
    char path[4200];
    snprintf(path, sizeof path, "%s/opennrt_trace_%d_%d.json", P.inspect.output_dir, (int)getpid(),
             P.inspect.session_id);
    return stop_and_write(NRT__REC_INSPECT, path, __func__);
}

NRT_API NRT_STATUS nrt_inspect_get_instance_output_dir(const char *output_dir, char *instance_dir_buf,
                                                       size_t buf_size)
{
    CHECK_NOT_NULL(output_dir);
    CHECK_NOT_NULL(instance_dir_buf);
    CHECK_ARG(strlen(output_dir) < buf_size, NRT_INVALID, "buf_size %zu is too small for '%s'", buf_size, output_dir);
    memcpy(instance_dir_buf, output_dir, strlen(output_dir) + 1);
    return NRT_SUCCESS;
}

/*===------------------------------------------------------------------===*/
/* Continuous profiling                                                   */
/*===------------------------------------------------------------------===*/

struct nrt_profile_continuous_options {
    char output_dir[PATH_CAP];
};

static struct {
    bool on;
    uint32_t gen;
    unsigned saves; /* names the files of one run apart */
} C;

NRT_API NRT_STATUS nrt_profile_continuous_options_allocate(nrt_profile_continuous_options_t **options)
{
    CHECK_NOT_NULL(options);
    *options = malloc(sizeof **options);
    if (!*options) {
        LOG_ERROR("%s: out of memory", __func__);
        return NRT_RESOURCE;
    }
    snprintf((*options)->output_dir, sizeof (*options)->output_dir, "./output");
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_profile_continuous_options_free(nrt_profile_continuous_options_t *options)
{
    free(options);
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_profile_continuous_options_set_output_dir(nrt_profile_continuous_options_t *options,
                                                                 const char *output_dir)
{
    CHECK_NOT_NULL(options);
    CHECK_NOT_NULL(output_dir);
    return set_dir(options->output_dir, output_dir, __func__);
}

static bool continuous_on(void)
{
    return C.on && C.gen == atomic_load_explicit(&nrt__rt.gen, memory_order_relaxed);
}

NRT_API NRT_STATUS nrt_profile_continuous_start(nrt_profile_continuous_options_t *options)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(options);
    CHECK_ARG(!continuous_on(), NRT_INVALID, "continuous profiling is already running");
    C.on = true;
    C.gen = atomic_load_explicit(&nrt__rt.gen, memory_order_relaxed);
    nrt__recorder_hold(NRT__REC_CONTINUOUS);
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_profile_continuous_save(uint32_t vnc, nrt_profile_continuous_options_t *options)
{
    CHECK_RUNNING();
    CHECK_CORE(vnc);
    CHECK_NOT_NULL(options);
    CHECK_ARG(continuous_on(), NRT_INVALID, "continuous profiling is not running");
    NRT_STATUS st = make_dir(options->output_dir, __func__);
    if (st != NRT_SUCCESS)
        return st;
    char path[4200];
    snprintf(path, sizeof path, "%s/opennrt_continuous_%d_nc%u_%u.json", options->output_dir, (int)getpid(), vnc,
             C.saves++);
    return write_trace(path, __func__);
}

NRT_API NRT_STATUS nrt_profile_continuous_stop(void)
{
    CHECK_RUNNING();
    CHECK_ARG(continuous_on(), NRT_INVALID, "continuous profiling is not running");
    C.on = false;
    nrt__recorder_release(NRT__REC_CONTINUOUS);
    return NRT_SUCCESS;
}

/*===------------------------------------------------------------------===*/
/* Profile sessions                                                       */
/*===------------------------------------------------------------------===*/

/* One session per core at a time; a stopped session keeps its id until
 * dropped. Ids are never reused within a process. */
typedef struct {
    uint64_t id;      /* 0: free slot */
    int32_t vnc;
    bool running;
    uint32_t gen;
} session_t;

#define MAX_SESSIONS 256
static session_t sessions[MAX_SESSIONS];
static uint64_t last_session_id;

static session_t *session_find(uint64_t id, int32_t vnc, bool running)
{
    uint32_t gen = atomic_load_explicit(&nrt__rt.gen, memory_order_relaxed);
    for (size_t i = 0; i < MAX_SESSIONS; i++) {
        session_t *s = &sessions[i];
        if (s->id && s->gen != gen)
            memset(s, 0, sizeof *s); /* of an earlier nrt_init */
        if (s->id && (id ? s->id == id : (s->vnc == vnc && s->running == running)))
            return s;
    }
    return NULL;
}

static bool any_running(void)
{
    for (size_t i = 0; i < MAX_SESSIONS; i++)
        if (sessions[i].id && sessions[i].running)
            return true;
    return false;
}

NRT_API NRT_STATUS nrt_profile_session_start(int32_t vnc)
{
    CHECK_RUNNING();
    CHECK_CORE(vnc);
    CHECK_ARG(!session_find(0, vnc, true), NRT_INVALID, "a profile session is already running on core %d", vnc);
    session_t *s = session_find(0, -1, false); /* never matches: clears stale slots */
    for (size_t i = 0; !s && i < MAX_SESSIONS; i++)
        if (!sessions[i].id)
            s = &sessions[i];
    CHECK_ARG(s != NULL, NRT_RESOURCE, "%d profile sessions are kept: drop some first", MAX_SESSIONS);
    *s = (session_t){++last_session_id, vnc, true, atomic_load_explicit(&nrt__rt.gen, memory_order_relaxed)};
    nrt__recorder_hold(NRT__REC_SESSION);
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_profile_session_stop(int32_t vnc, uint64_t *session_id)
{
    CHECK_RUNNING();
    CHECK_CORE(vnc);
    CHECK_NOT_NULL(session_id);
    session_t *s = session_find(0, vnc, true);
    CHECK_ARG(s != NULL, NRT_INVALID, "no profile session is running on core %d", vnc);
    s->running = false;
    *session_id = s->id;
    if (!any_running())
        nrt__recorder_release(NRT__REC_SESSION);
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_profile_session_serialize(uint64_t session_id, const char *filename)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(filename);
    session_t *s = session_id ? session_find(session_id, 0, false) : NULL;
    CHECK_ARG(s != NULL, NRT_INVALID, "no profile session %llu", (unsigned long long)session_id);
    CHECK_ARG(!s->running, NRT_INVALID, "profile session %llu is still running", (unsigned long long)session_id);
    return write_trace(filename, __func__);
}

NRT_API NRT_STATUS nrt_profile_session_drop(uint64_t session_id)
{
    CHECK_RUNNING();
    session_t *s = session_id ? session_find(session_id, 0, false) : NULL;
    CHECK_ARG(s != NULL, NRT_INVALID, "no profile session %llu", (unsigned long long)session_id);
    bool was_running = s->running;
    memset(s, 0, sizeof *s);
    if (was_running && !any_running())
        nrt__recorder_release(NRT__REC_SESSION);
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_profile_session_drop_all(int32_t vnc)
{
    CHECK_RUNNING();
    CHECK_CORE(vnc);
    bool was_running = false;
    for (size_t i = 0; i < MAX_SESSIONS; i++)
        if (sessions[i].id && sessions[i].vnc == vnc) {
            was_running |= sessions[i].running;
            memset(&sessions[i], 0, sizeof sessions[i]);
        }
    if (was_running && !any_running())
        nrt__recorder_release(NRT__REC_SESSION);
    return NRT_SUCCESS;
}

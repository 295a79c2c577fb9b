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

#include "core/core.h"
#include "model/model.h"
#include "nrt/nrt_profile.h"
#include "xu/xu.h"

static const char *const activities[] = {"requests", "transfers"};
#define NACT (sizeof activities / sizeof activities[0])

struct nrt_inspect_config {
    char output_dir[4096];
    int session_id;
    bool enable_inspect, enable_on_fail;
    bool activity[NACT];
    uint64_t max_events_per_nc;
};

static struct {
    char file[4096]; /* profile / trace session: where stop writes */
    bool inspecting;
    nrt_inspect_config_t inspect;
} P;

static void start_recording(void)
{
    atomic_store_explicit(&nrt__trace_on, true, memory_order_relaxed);
}

static NRT_STATUS stop_and_write(const char *path, const char *func)
{
    atomic_store_explicit(&nrt__trace_on, false, memory_order_relaxed);
    NRT_STATUS st = nrt__trace_write_file(path);
    if (st == NRT_SUCCESS)
        LOG_INFO("%s: trace written to %s", func, path);
    return st;
}

NRT_API NRT_STATUS nrt_profile_start(nrt_model_t *model, const char *filename)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(filename);
    if (model && !nrt__model_check(model, __func__))
        return NRT_INVALID;
    snprintf(P.file, sizeof P.file, "%s", filename);
    start_recording();
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
    return stop_and_write(path, __func__);
}

NRT_API NRT_STATUS nrt_trace_start(bool trace_mem)
{
    (void)trace_mem; /* memory events: the recorder has none to add */
    CHECK_RUNNING();
    P.file[0] = 0;
    start_recording();
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_trace_stop(const char *filename)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(filename);
    return stop_and_write(filename, __func__);
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
    CHECK_ARG(*output_dir && strlen(output_dir) < sizeof options->output_dir - 64, NRT_INVALID,
              "output_dir is empty or too long");
    snprintf(options->output_dir, sizeof options->output_dir, "%s", output_dir);
    return NRT_SUCCESS;
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
    if (mkdir(options->output_dir, 0777) < 0 && errno != EEXIST) {
        LOG_ERROR("%s: cannot create the output directory %s: %s", __func__, options->output_dir, strerror(errno));
        return NRT_FAILURE;
    }
    P.inspect = *options;
    P.inspecting = true;
    start_recording();
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
    return stop_and_write(path, __func__);
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

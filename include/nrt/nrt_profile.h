/*
 * nrt/nrt_profile.h - profiling and inspection (Neuron runtime interface),
 * backed by OpenNRT's timeline recorder: every request of every queue
 * (reads, writes, copies, executions, collectives) and every send/recv
 * transfer, written as Chrome trace-event JSON (open it in Perfetto or
 * chrome://tracing; `nrt-trace-plot` draws it).
 *
 * There is no device, so there are no device counters or instruction
 * traces: what a device profile would add is absent, never invented.
 *
 *   nrt_profile_start(model, file)  start recording (model: NULL or a loaded
 *                                   model, recorded with everything else);
 *   nrt_profile_stop(file)          write the trace to |file| (NULL: the one
 *                                   given to start) and stop recording;
 *   nrt_trace_start / nrt_trace_stop  the same, without a model;
 *   nrt_inspect_begin[_with_options] / nrt_inspect_stop
 *                                   record, then write opennrt_trace_<pid>.json
 *                                   into the configured output directory
 *                                   (default ./output, created if missing).
 * Every function returns NRT_UNINITIALIZED / NRT_CLOSED outside
 * nrt_init..nrt_close (the config calls excepted), NRT_INVALID on a NULL or
 * bad argument, with one log line. Not thread-safe against each other.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nrt/nrt.h"
#include "nrt/nrt_status.h"

#ifdef __cplusplus
extern "C" {
#endif

NRT_STATUS nrt_profile_start(nrt_model_t *model, const char *filename);
NRT_STATUS nrt_profile_stop(const char *filename);
NRT_STATUS nrt_trace_start(bool trace_mem);
NRT_STATUS nrt_trace_stop(const char *filename);

/* Continuous profiling: recording runs from start to stop; each save
 * writes the Chrome trace recorded so far (every core: there are no
 * per-model device profiles) to
 * <output_dir>/opennrt_continuous_<pid>_nc<vnc>_<n>.json (output_dir
 * default ./output, created if missing). start: NRT_INVALID when already
 * running; save/stop: NRT_INVALID when not running, NRT_INVALID for a core
 * out of range, NRT_FAILURE when the file cannot be written. */
typedef struct nrt_profile_continuous_options nrt_profile_continuous_options_t;
NRT_STATUS nrt_profile_continuous_options_allocate(nrt_profile_continuous_options_t **options);
NRT_STATUS nrt_profile_continuous_options_free(nrt_profile_continuous_options_t *options);
NRT_STATUS nrt_profile_continuous_options_set_output_dir(nrt_profile_continuous_options_t *options,
                                                         const char *output_dir);
NRT_STATUS nrt_profile_continuous_start(nrt_profile_continuous_options_t *options);
NRT_STATUS nrt_profile_continuous_save(uint32_t vnc, nrt_profile_continuous_options_t *options);
NRT_STATUS nrt_profile_continuous_stop(void);

/* Profile sessions (exported by the Neuron runtime 2.31, not declared in
 * its headers): one running session per core, started and stopped
 * (stop gives its id), serialized to a file, dropped. OpenNRT records while
 * any session runs and serialize writes the whole recorded Chrome trace
 * (every core, every request so far), not only the session's window.
 * NRT_INVALID: a session already running on the core (start), none running
 * (stop), an unknown or still running id (serialize), an unknown id (drop);
 * NRT_RESOURCE: 256 sessions kept and not dropped. */
NRT_STATUS nrt_profile_session_start(int32_t vnc);
NRT_STATUS nrt_profile_session_stop(int32_t vnc, uint64_t *session_id);
NRT_STATUS nrt_profile_session_serialize(uint64_t session_id, const char *filename);
NRT_STATUS nrt_profile_session_drop(uint64_t session_id);
NRT_STATUS nrt_profile_session_drop_all(int32_t vnc);

typedef struct nrt_inspect_config nrt_inspect_config_t;

/* Device profile modes (values of the Neuron runtime 2.31). OpenNRT has no
 * device profile: the mode is kept, any mode but DISABLED logs one line. */
typedef enum nrt_inspect_device_profile_mode {
    NRT_INSPECT_DEVICE_PROFILE_MODE_DISABLED = 0,
    NRT_INSPECT_DEVICE_PROFILE_MODE_MODEL = 1,
    NRT_INSPECT_DEVICE_PROFILE_MODE_SESSION = 2,
} nrt_inspect_device_profile_mode_t;

/* Configuration of an inspect session. Activity types OpenNRT records:
 * "requests" (queue requests) and "transfers" (send/recv); other names are
 * accepted and ignored (one log line). The recording is not narrowed by
 * these settings: disabling an activity is reported back by
 * get_enabled_activity_types, but the trace still holds every request and
 * transfer of every core, and a core cannot be left out
 * (set_capture_enabled_for_nc(.., false) is NRT_INVALID). session_id names
 * the output file; enable_inspect false makes begin a no-op;
 * enable_inspect_on_fail and max events per core are kept, with no effect
 * (failures are always logged; the recorder grows as needed). */
NRT_STATUS nrt_inspect_config_allocate(nrt_inspect_config_t **options);
NRT_STATUS nrt_inspect_config_free(nrt_inspect_config_t *options);
NRT_STATUS nrt_inspect_config_set_defaults(nrt_inspect_config_t *options);
NRT_STATUS nrt_inspect_config_set_output_dir(nrt_inspect_config_t *options, const char *output_dir);
NRT_STATUS nrt_inspect_config_set_session_id(nrt_inspect_config_t *options, int session_id);
NRT_STATUS nrt_inspect_config_set_activity(nrt_inspect_config_t *options, const char *activity_type, bool enabled);
NRT_STATUS nrt_inspect_config_set_capture_enabled_for_nc(nrt_inspect_config_t *options, uint32_t nc_idx,
                                                         bool enabled);
NRT_STATUS nrt_inspect_config_set_capture_enabled_for_event_type_string(nrt_inspect_config_t *options,
                                                                        const char *event_type, bool enabled);
NRT_STATUS nrt_inspect_config_set_enable_inspect(nrt_inspect_config_t *options, bool enable_inspect);
NRT_STATUS nrt_inspect_config_set_enable_inspect_on_fail(nrt_inspect_config_t *options,
                                                         bool enable_inspect_on_fail);
NRT_STATUS nrt_inspect_config_set_inspect_device_profile_mode(nrt_inspect_config_t *options,
                                                             nrt_inspect_device_profile_mode_t device_profile_mode);
NRT_STATUS nrt_inspect_config_set_sys_trace_max_events_per_nc(nrt_inspect_config_t *options,
                                                              uint64_t sys_trace_max_events_per_nc);
/* The activity type names (an array the caller frees with
 * nrt_inspect_config_free_activity_types). */
NRT_STATUS nrt_inspect_config_get_all_activity_types(const char ***activity_types, size_t *count);
NRT_STATUS nrt_inspect_config_get_enabled_activity_types(nrt_inspect_config_t *options,
                                                         const char ***activity_types, size_t *count);
void nrt_inspect_config_free_activity_types(const char **activity_types, size_t count);

NRT_STATUS nrt_inspect_begin(void);
NRT_STATUS nrt_inspect_begin_with_options(nrt_inspect_config_t *options);
NRT_STATUS nrt_inspect_stop(void);
/* The directory inspect writes into for |output_dir| (OpenNRT: itself). */
NRT_STATUS nrt_inspect_get_instance_output_dir(const char *output_dir, char *instance_dir_buf, size_t buf_size);

#ifdef __cplusplus
}
#endif

/*
 * nrt/nrt_sys_trace.h - system trace capture (Neuron runtime interface):
 * start a per-core capture of runtime events, fetch the events captured
 * so far as a JSON string (each event is fetched once), stop.
 *
 * OpenNRT backs it with its timeline recorder: one start and one stop
 * event per request that a queue ran (executions, tensor reads, writes and
 * copies, collectives) while the capture was on. Event types:
 *   "nc_exec_running"  a model execution (nrt_execute*, nrta_execute_schedule)
 *   "tensor_read", "tensor_write", "tensor_copy"  tensor requests
 *   "cc_exec"          a collective operation
 * Send/recv transfers are not in it (they are in the Chrome trace of
 * nrt/nrt_profile.h). The JSON schema is in docs/API.md ("System trace");
 * in short:
 *   {"version":1, "runtime":"OpenNRT x.y.z", "dropped_events":N,
 *    "events":[{"event_type":"nc_exec_running", "phase":"start"|"stop",
 *               "tracking_id":N, "nc_idx":N, "timestamp_ns":N,
 *               "data":{"nc_timestamp_ns":N, "exec_id":N, ...}}, ...]}
 * Timestamps are CLOCK_MONOTONIC nanoseconds (there is no device clock).
 *
 * Limits: a start/stop pair counts as one event for the max-events
 * settings. The capture keeps at most max_events_per_nc requests per core
 * between two fetches (the oldest are dropped and counted in
 * "dropped_events"); default 1,000,000.
 *
 * Statuses: start, stop and fetch_events return NRT_UNINITIALIZED /
 * NRT_CLOSED outside nrt_init..nrt_close; NRT_INVALID on a NULL output, a
 * capture already started (start) or not started (fetch_events), a core
 * index out of range (fetch). The void setters log one line and change
 * nothing on a NULL options or a core index out of range. The config and
 * options calls work at any time. Calls are serialized internally.
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

/*===------------------------------------------------------------------===*/
/* Capture                                                                */
/*===------------------------------------------------------------------===*/

typedef struct nrt_sys_trace_config nrt_sys_trace_config_t;

/* Allocates a configuration with the defaults (every core, every event
 * type, 1,000,000 events per core); free it with nrt_sys_trace_config_free.
 * NRT_INVALID on NULL, NRT_RESOURCE when out of memory. */
NRT_STATUS nrt_sys_trace_config_allocate(nrt_sys_trace_config_t **options);
void nrt_sys_trace_config_set_defaults(nrt_sys_trace_config_t *options);
void nrt_sys_trace_config_free(nrt_sys_trace_config_t *options);
/* Requests kept per core between two fetches (0: the default). */
void nrt_sys_trace_config_set_max_events_per_nc(nrt_sys_trace_config_t *options, uint64_t max_events_per_nc);
/* Captures core |nc_idx| or leaves it out (every core is captured by default). */
void nrt_sys_trace_config_set_capture_enabled_for_nc(nrt_sys_trace_config_t *options, uint32_t nc_idx, bool enabled);
/* Captures event type |event_type| (see the list above) or leaves it out;
 * NRT_INVALID on an unknown name. */
NRT_STATUS nrt_sys_trace_config_set_capture_enabled_for_event_type(nrt_sys_trace_config_t *options,
                                                                   const char *event_type, bool enabled);
/* Every event type name: an allocated array of allocated strings, freed
 * with nrt_sys_trace_free_event_types (or free() each, then the array). */
NRT_STATUS nrt_sys_trace_get_event_types(const char ***event_types, size_t *count);
void nrt_sys_trace_free_event_types(const char **event_types, size_t count);
/* The enabled event type names of |options| (freed the same way). */
NRT_STATUS nrt_sys_trace_config_get_enabled_event_types(nrt_sys_trace_config_t *options, const char ***event_types,
                                                        size_t *count);

/* Starts capturing with |options| (copied; NULL: the defaults). Requests
 * that ran before are not captured. */
NRT_STATUS nrt_sys_trace_start(nrt_sys_trace_config_t *options);
/* Stops capturing; events not fetched are discarded. */
NRT_STATUS nrt_sys_trace_stop(void);

/*===------------------------------------------------------------------===*/
/* Fetch                                                                  */
/*===------------------------------------------------------------------===*/

typedef struct nrt_sys_trace_fetch_options nrt_sys_trace_fetch_options_t;
NRT_STATUS nrt_sys_trace_fetch_options_allocate(nrt_sys_trace_fetch_options_t **options);
void nrt_sys_trace_fetch_options_set_defaults(nrt_sys_trace_fetch_options_t *options);
void nrt_sys_trace_fetch_options_free(nrt_sys_trace_fetch_options_t *options);
/* At most this many requests per core (oldest first; the rest stay for the
 * next fetch). 0: no limit (the default). */
void nrt_sys_trace_fetch_options_set_max_events_per_nc(nrt_sys_trace_fetch_options_t *options,
                                                       uint64_t max_events_per_nc);
/* Only core |nc_idx| (default: every core). */
void nrt_sys_trace_fetch_options_set_nc_idx(nrt_sys_trace_fetch_options_t *options, uint64_t nc_idx);

/* Returns the events captured since the start or the previous fetch as a
 * NUL-terminated JSON string in |*buffer| (allocated; free it with
 * nrt_sys_trace_buffer_free) and its length without the NUL in
 * |*written_size|. |options| may be NULL (every core, no limit). Fetched
 * events are consumed. On failure *buffer is NULL and *written_size 0. */
NRT_STATUS nrt_sys_trace_fetch_events(char **buffer, size_t *written_size,
                                      const nrt_sys_trace_fetch_options_t *options);
void nrt_sys_trace_buffer_free(char *buffer);

#ifdef __cplusplus
}
#endif

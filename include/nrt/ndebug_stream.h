/*
 * nrt/ndebug_stream.h - debug event streams (Neuron runtime interface): a
 * client connects to a logical core's stream, polls the returned file
 * descriptor and reads events (header + payload) one at a time.
 *
 * OpenNRT: device-side debug events (kernel prints, debug tensor reads)
 * do not exist on a CPU, so a stream never holds an event. The calls work
 * otherwise: one connection per core, a pollable descriptor (never
 * readable), reads answer NRT_QUEUE_EMPTY.
 *   connect:  NRT_SUCCESS (*stream_fd >= 0); NRT_INVALID for a NULL output,
 *             a core out of range or a core already connected (one log
 *             line); NRT_UNINITIALIZED / NRT_CLOSED outside
 *             nrt_init..nrt_close. A connection outlives nothing: after
 *             nrt_close its descriptor is closed at the next debug-stream
 *             call (close it before nrt_close).
 *   close:    closes a connection; an unknown descriptor logs one line.
 *   read_one_event: NRT_QUEUE_EMPTY (header zeroed, *payload NULL);
 *             NRT_INVALID for NULL outputs or an unknown descriptor.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nrt/nrt_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ndebug_stream_event_type {
    NDEBUG_STREAM_EVENT_TYPE_INVALID = 0,
    NDEBUG_STREAM_EVENT_TYPE_DEBUG_TENSOR_READ = 1,
} ndebug_stream_event_type_t;

/* 64 bytes: payload size, ndebug_stream_event_type_t, reserved. */
typedef struct ndebug_stream_event_header {
    uint64_t data_size;
    uint32_t type;
    char reserved[52];
} ndebug_stream_event_header_t;

/* Payload of NDEBUG_STREAM_EVENT_TYPE_DEBUG_TENSOR_READ: 1024 bytes of
 * description, then |tensor_data_size| bytes of data. */
typedef struct ndebug_stream_payload_debug_tensor_read {
    char prefix[512];
    uint32_t logical_nc_id;
    uint32_t pipe;
    char tensor_dtype[16];
    uint64_t tensor_shape[8];
    uint64_t tensor_data_size;
    char reserved0[416];
#ifndef __cplusplus
    char tensor_data[]; /* C++: at offsetof(..., reserved0) + 416 */
#endif
} ndebug_stream_payload_debug_tensor_read_t;

NRT_STATUS nrt_debug_client_connect(int logical_nc_idx, int *stream_fd);
void nrt_debug_client_connect_close(int stream_fd);
/* The payload (when there is one) is the caller's to free(). */
NRT_STATUS nrt_debug_client_read_one_event(int stream_fd, ndebug_stream_event_header_t *header, void **payload);

#ifdef __cplusplus
}
#endif

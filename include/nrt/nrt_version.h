/*
 * nrt/nrt_version.h - the runtime's version (Neuron runtime interface).
 *
 * nrt_get_version(ver, size) fills |ver| with a size-tolerant copy: at
 * most |size| bytes of the 224-byte structure are written, so a program
 * built against an older or newer layout gets the fields it knows. OpenNRT
 * reports its own version (rt_major.rt_minor.rt_patch, rt_maintenance 0),
 * "OpenNRT <version>" at the start of rt_detail, and the source revision in
 * git_hash when it was built from a git checkout ("" otherwise).
 * Returns NRT_INVALID when |ver| is NULL or |size| is 0. Callable at any
 * time, before nrt_init too. Thread-safe.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "nrt/nrt_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RT_VERSION_DETAIL_LEN 128
#define GIT_HASH_LEN 64

typedef struct nrt_version {
    uint64_t rt_major;
    uint64_t rt_minor;
    uint64_t rt_patch;
    uint64_t rt_maintenance;
    char rt_detail[RT_VERSION_DETAIL_LEN];
    char git_hash[GIT_HASH_LEN];
} nrt_version_t;

NRT_STATUS nrt_get_version(nrt_version_t *ver, size_t size);

#ifdef __cplusplus
}
#endif

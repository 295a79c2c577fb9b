/*
 * src/dev/dev.h - the device seam: what a backend provides (memory,
 * copies, model objects and kernel execution). Everything else (queues,
 * sequence ids, trackers, completion fds, degradation, the object model)
 * is shared and lives above this seam.
 *
 * A backend is one folder (src/dev/<name>/) defining one nrt__dev_t. The
 * CPU backend (src/dev/cpu/) is the only one today; nrt__dev() returns the
 * backend in use. Every function may be called from any thread; none takes
 * a runtime lock.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nrt/nrt.h"
#include "nrt/nrt_kernel.h"

/* Polled by long operations between chunks: true when the operation must
 * stop (its request timed out). NULL: never cancelled. */
typedef struct nrt__cancel {
    bool (*cancelled)(const struct nrt__cancel *c);
} nrt__cancel_t;

typedef struct nrt__dev {
    const char *name;
    /* Device memory of |size| bytes, zeroed; NULL when out of memory. */
    void *(*mem_alloc)(size_t size);
    void (*mem_free)(void *p, size_t size);
    /* Copies |n| bytes (regions may overlap). With |cancel|, the copy runs
     * in chunks and stops at the first chunk boundary where cancel says so,
     * returning NRT_TIMEOUT: once it returned, it never touches |dst| or
     * |src| again. */
    NRT_STATUS (*copy)(void *dst, const void *src, size_t n, const nrt__cancel_t *cancel);
    /* Turns checked object bytes into a loaded kernel object; |why| gets
     * the reason on failure (NRT_INVALID / NRT_FAILURE). */
    NRT_STATUS (*model_open)(const void *bytes, size_t size, void **out_handle,
                             const nrt_kernel_descriptor_t **out_desc, char *why, size_t why_cap);
    void (*model_close)(void *handle);
    /* Runs one execution of a loaded kernel. */
    NRT_STATUS (*execute)(const nrt_kernel_descriptor_t *d, const nrt_kernel_args_t *args);
} nrt__dev_t;

extern const nrt__dev_t nrt__dev_cpu;

static inline const nrt__dev_t *nrt__dev(void)
{
    return &nrt__dev_cpu;
}

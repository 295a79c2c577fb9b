/*
 * src/core/compat.c - functions of the Neuron runtime interface that
 * programs and libraries call around the core API: the version query, the
 * host-to-device copy libfabric uses, draining queued executions, and the
 * device-memory exports that have no meaning without a device (documented
 * statuses, one log line each).
 */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "nrt/nrt.h"
#include "nrt/nrt_experimental.h"
#include "nrt/nrt_version.h"
#include "xu/xu.h"

#ifndef NRT_GIT_HASH
#define NRT_GIT_HASH ""
#endif

NRT_API NRT_STATUS nrt_get_version(nrt_version_t *ver, size_t size)
{
    CHECK_NOT_NULL(ver);
    CHECK_ARG(size > 0, NRT_INVALID, "size is 0");
    nrt_version_t v;
    memset(&v, 0, sizeof v);
    unsigned long long a = 0, b = 0, c = 0;
    if (sscanf(NRTX_VERSION_STRING, "%llu.%llu.%llu", &a, &b, &c) != 3)
        a = b = c = 0;
    v.rt_major = a;
    v.rt_minor = b;
    v.rt_patch = c;
    snprintf(v.rt_detail, sizeof v.rt_detail, "OpenNRT %s (open implementation of the Neuron Runtime API, no device)",
             NRTX_VERSION_STRING);
    snprintf(v.git_hash, sizeof v.git_hash, "%s", NRT_GIT_HASH);
    memcpy(ver, &v, size < sizeof v ? size : sizeof v);
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_memcpy_to_device(void *dest, const void *src, size_t size)
{
    CHECK_RUNNING();
    if (size == 0)
        return NRT_SUCCESS;
    CHECK_NOT_NULL(dest);
    CHECK_NOT_NULL(src);
    memmove(dest, src, size);
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_async_drain_queued_execs(int32_t vnc_idx)
{
    CHECK_RUNNING();
    CHECK_CORE(vnc_idx);
    nrt__unit_t *u = &nrt__rt.cores[vnc_idx].units[NRTA_XU_COMPUTE];
    for (uint32_t i = 0; i < u->nqueues; i++) {
        nrt__queue_t *q = &u->queues[i];
        if (!atomic_load_explicit(&q->ring_ready, memory_order_acquire))
            continue;
        uint64_t tail = nrt__ring_tail(&q->ring);
        if (atomic_load_explicit(&q->completed, memory_order_acquire) < tail)
            nrt__queue_wait(q, tail);
    }
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_get_dmabuf_fd(uint64_t va, uint64_t size, int *fd)
{
    CHECK_NOT_NULL(fd);
    *fd = -1;
    LOG_INFO("%s: no dma-buf for 0x%llx (+%llu): OpenNRT's device memory is host memory; register it as host "
             "memory",
             __func__, (unsigned long long)va, (unsigned long long)size);
    return NRT_FAILURE;
}

NRT_API NRT_STATUS nrt_get_hbm_mmap_va(int device_id, int hbm_idx, void **addr, size_t *size)
{
    CHECK_NOT_NULL(addr);
    CHECK_NOT_NULL(size);
    *addr = NULL;
    *size = 0;
    LOG_INFO("%s: device %d has no HBM bank %d to map: OpenNRT has no device", __func__, device_id, hbm_idx);
    return NRT_FAILURE;
}

NRT_API NRT_STATUS nrt_get_attached_efa_bdf(const void *va, char *efa_bdf, size_t *len)
{
    CHECK_NOT_NULL(len);
    if (efa_bdf && *len)
        efa_bdf[0] = 0;
    *len = 0;
    LOG_INFO("%s: no EFA device is attached to %p: OpenNRT has no device", __func__, va);
    return NRT_FAILURE;
}

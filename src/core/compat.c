/*
 * src/core/compat.c - functions of the Neuron runtime interface that
 * programs and libraries call around the core API: the version query, the
 * host-to-device copy libfabric uses, draining queued executions, and the
 * device-memory exports that have no meaning without a device (documented
 * statuses, one log line each); output completion counts and the async
 * exec callback, fed by the execution op (nrt__exec_completed); device ids.
 *
 * Lock: cb_lock guards the registered callback (held while it is called,
 * so a replaced callback is never called afterwards); it nests no lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/lock.h"
#include "core/compat.h"
#include "core/core.h"
#include "model/model.h"
#include "nrt/ndebug_stream.h"
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

/*===------------------------------------------------------------------===*/
/* Executions completing: output completion counts, the async callback     */
/*===------------------------------------------------------------------===*/

static struct {
    nrt__mutex_t lock;
    _Atomic bool set; /* a callback is registered: the worker takes the lock */
    NRT_ASYNC_EXEC_STATUS_CALLBACK cb;
    void *params;
} CB = {.lock = NRT__MUTEX_INITIALIZER};

void nrt__exec_completed(uint32_t lnc, uint64_t job_id, nrt__storage_t *const *outputs, uint32_t noutputs,
                         NRT_STATUS st)
{
    /* Release: a checker that sees the count sees the output bytes. */
    for (uint32_t i = 0; i < noutputs; i++)
        atomic_fetch_add_explicit(&outputs[i]->completions, 1, memory_order_release);
    if (!atomic_load_explicit(&CB.set, memory_order_relaxed))
        return;
    nrt__mutex_lock(&CB.lock);
    if (CB.cb)
        CB.cb(CB.params, 0, lnc, job_id, st);
    nrt__mutex_unlock(&CB.lock);
}

NRT_API NRT_STATUS nrt_register_async_exec_callback(NRT_ASYNC_EXEC_STATUS_CALLBACK callback, void *params)
{
    nrt__mutex_lock(&CB.lock);
    CB.cb = callback;
    CB.params = params;
    atomic_store_explicit(&CB.set, callback != NULL, memory_order_relaxed);
    nrt__mutex_unlock(&CB.lock);
    return NRT_SUCCESS;
}

/* The storage whose count |t| reads, or NULL (logged). */
static nrt__storage_t *completion_storage(const nrt_tensor_t *t, const char *func)
{
    if (!t) {
        NRT__LOG(NRT__LOG_ERROR, "%s: argument 'output_tensor' is NULL", func);
        return NULL;
    }
    if (!nrt__tensor_check(t, func))
        return NULL;
    if (!t->st)
        NRT__LOG(NRT__LOG_ERROR, "%s: tensor '%s' has no storage: no execution can write it", func, t->name);
    return t->st;
}

NRT_API NRT_STATUS nrt_tensor_check_output_completion(const nrt_tensor_t *output_tensor, int64_t timeout,
                                                      uint64_t expected_completion_count)
{
    CHECK_RUNNING();
    nrt__storage_t *st = completion_storage(output_tensor, __func__);
    if (!st)
        return NRT_INVALID;
    uint64_t t0 = nrt__now_ns();
    bool unbounded = timeout < 0 || (uint64_t)timeout > UINT64_MAX / 1000u;
    uint64_t limit_ns = unbounded ? UINT64_MAX : (uint64_t)timeout * 1000u;
    bool warned = false;
    for (unsigned spins = 0;; spins++) {
        /* Acquire: pairs with the worker's release (output bytes). */
        if (atomic_load_explicit(&st->completions, memory_order_acquire) >= expected_completion_count)
            return NRT_SUCCESS;
        uint64_t waited = nrt__now_ns() - t0;
        if (waited >= limit_ns) {
            LOG_INFO("tensor '%s': %" PRIu64 " of %" PRIu64 " completions within %" PRId64 " us",
                     output_tensor->name, atomic_load_explicit(&st->completions, memory_order_relaxed),
                     expected_completion_count, timeout);
            return NRT_TIMEOUT;
        }
        if (!warned && timeout < 0 && waited > 30ull * 1000000000ull) {
            LOG_WARN("tensor '%s': still waiting for %" PRIu64 " completions after 30 s", output_tensor->name,
                     expected_completion_count);
            warned = true;
        }
        if (spins < 64) {
            nrt__cpu_relax();
        } else {
            struct timespec ts = {0, 50000}; /* 50 us */
            while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
        }
    }
}

NRT_API NRT_STATUS nrt_tensor_reset_output_completion(nrt_tensor_t *output_tensor)
{
    CHECK_RUNNING();
    nrt__storage_t *st = completion_storage(output_tensor, __func__);
    if (!st)
        return NRT_INVALID;
    atomic_store_explicit(&st->completions, 0, memory_order_relaxed);
    return NRT_SUCCESS;
}

/*===------------------------------------------------------------------===*/
/* Models, devices, plugins                                               */
/*===------------------------------------------------------------------===*/

NRT_API NRT_STATUS nrt_get_model_instance_count(nrt_model_t *model, uint32_t *instance_count)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(model);
    CHECK_NOT_NULL(instance_count);
    if (!nrt__model_check(model, __func__))
        return NRT_INVALID;
    *instance_count = 1;
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_host_device_id_get(int neuron_dev, uint32_t *host_device_id)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(host_device_id);
    CHECK_ARG(neuron_dev == 0, NRT_INVALID, "device %d does not exist (OpenNRT is device 0)", neuron_dev);
    *host_device_id = 0;
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_host_device_id_rid_map_get(uint32_t *count, uint32_t *host_did_to_rid_map)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(count);
    CHECK_ARG(*count == 0 || host_did_to_rid_map, NRT_INVALID, "argument 'host_did_to_rid_map' is NULL");
    if (*count > 0) {
        host_did_to_rid_map[0] = 0;
        *count = 1;
    }
    return NRT_SUCCESS;
}

NRT_API void *nrt_get_libnccl_net(int *err, char *err_msg, size_t err_msg_size)
{
    static const char why[] = "OpenNRT has no built-in NCCL network plugin";
    if (err)
        *err = 1;
    if (err_msg && err_msg_size)
        snprintf(err_msg, err_msg_size, "%s", why);
    LOG_INFO("%s", why);
    return NULL;
}

NRT_API NRT_STATUS nrt_set_pool_eng_ucode(const nrt_ucode_info *ucode_info)
{
    CHECK_NOT_NULL(ucode_info);
    LOG_ERROR("no pooling engine to load microcode into (%zu + %zu bytes): OpenNRT has no device",
             ucode_info->iram.size, ucode_info->dram.size);
    return NRT_FAILURE;
}

/*===------------------------------------------------------------------===*/
/* Debug streams (nrt/ndebug_stream.h): connections, never an event        */
/*===------------------------------------------------------------------===*/

/* Per core: a pipe whose read end the client polls (the write end is kept
 * open so that poll reports nothing rather than a hang-up). */
static struct {
    nrt__mutex_t lock;
    struct {
        int rfd, wfd;
        uint32_t gen;
    } core[NRT__MAX_CORES];
} DS = {.lock = NRT__MUTEX_INITIALIZER};

/* The core connected through |fd| (DS.lock held); closes connections of
 * an earlier nrt_init on the way. -1 when none. */
static int ds_find(int fd)
{
    uint32_t gen = atomic_load_explicit(&nrt__rt.gen, memory_order_relaxed);
    int found = -1;
    for (int c = 0; c < NRT__MAX_CORES; c++) {
        if (DS.core[c].wfd > 0 && DS.core[c].gen != gen) {
            close(DS.core[c].rfd);
            close(DS.core[c].wfd);
            DS.core[c].rfd = DS.core[c].wfd = 0;
        }
        if (DS.core[c].wfd > 0 && DS.core[c].rfd == fd)
            found = c;
    }
    return found;
}

NRT_API NRT_STATUS nrt_debug_client_connect(int logical_nc_idx, int *stream_fd)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(stream_fd);
    *stream_fd = -1;
    CHECK_CORE(logical_nc_idx);
    nrt__mutex_lock(&DS.lock);
    ds_find(-1);
    if (DS.core[logical_nc_idx].wfd > 0) {
        nrt__mutex_unlock(&DS.lock);
        LOG_ERROR("core %d's debug stream already has a client", logical_nc_idx);
        return NRT_INVALID;
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
        nrt__mutex_unlock(&DS.lock);
        LOG_ERROR("cannot create core %d's debug stream: %s", logical_nc_idx, strerror(errno));
        return NRT_RESOURCE;
    }
    DS.core[logical_nc_idx].rfd = p[0];
    DS.core[logical_nc_idx].wfd = p[1];
    DS.core[logical_nc_idx].gen = atomic_load_explicit(&nrt__rt.gen, memory_order_relaxed);
    nrt__mutex_unlock(&DS.lock);
    LOG_INFO("core %d's debug stream connected: OpenNRT's kernels emit no debug events", logical_nc_idx);
    *stream_fd = p[0];
    return NRT_SUCCESS;
}

NRT_API void nrt_debug_client_connect_close(int stream_fd)
{
    nrt__mutex_lock(&DS.lock);
    int c = ds_find(stream_fd);
    if (c >= 0) {
        close(DS.core[c].rfd);
        close(DS.core[c].wfd);
        DS.core[c].rfd = DS.core[c].wfd = 0;
    }
    nrt__mutex_unlock(&DS.lock);
    if (c < 0)
        LOG_ERROR("descriptor %d is not a debug stream connection", stream_fd);
}

NRT_API NRT_STATUS nrt_debug_client_read_one_event(int stream_fd, ndebug_stream_event_header_t *header,
                                                   void **payload)
{
    CHECK_NOT_NULL(header);
    CHECK_NOT_NULL(payload);
    memset(header, 0, sizeof *header);
    *payload = NULL;
    nrt__mutex_lock(&DS.lock);
    int c = ds_find(stream_fd);
    nrt__mutex_unlock(&DS.lock);
    CHECK_ARG(c >= 0, NRT_INVALID, "descriptor %d is not a debug stream connection", stream_fd);
    return NRT_QUEUE_EMPTY;
}

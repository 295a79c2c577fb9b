/*
 * src/sendrecv/sr_api.c - the public nrt_async_sendrecv_* functions:
 * argument checks, per-core state, communicator and request objects.
 * See include/nrt/nrt_async_sendrecv.h for the contract and sr.h for the
 * design.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/params.h"
#include "sendrecv/sr.h"

nrt__sr_cfg_t nrt__sr_cfg;

/* The cores by absolute id; sr_lock guards the table and init/close. */
static nrt__sr_core_t *sr_cores[NRT__MAX_CORES];
static nrt__mutex_t sr_lock = NRT__MUTEX_INITIALIZER;
static bool sr_cfg_read; /* nrt__sr_cfg holds this runtime's settings (sr_lock) */

static void comm_destroy(nrt__obj_t *o)
{
    nrt__sr_comm_teardown((nrt__sr_comm_t *)o);
}

static void req_destroy(nrt__obj_t *o)
{
    nrt__sr_req_t *req = (nrt__sr_req_t *)o;
    if (req->st)
        nrt__storage_release(req->st);
    req->st = NULL;
    if (req->comm)
        nrt__obj_release(req->comm);
    req->comm = NULL;
}

const nrt__obj_type_t nrt__sr_comm_type = {
    .kind = NRT__OBJ_COMM,
    .name = "send/recv communicator",
    .released_as = "closed",
    .size = sizeof(nrt__sr_comm_t),
    .destroy = comm_destroy,
};

const nrt__obj_type_t nrt__sr_req_type = {
    .kind = NRT__OBJ_SR_REQUEST,
    .name = "send/recv request",
    .released_as = "reported done (a request is gone after test_request reports it done)",
    .size = sizeof(nrt__sr_req_t),
    .destroy = req_destroy,
};

nrt__sr_core_t *nrt__sr_core_get(int lnc)
{
    if (lnc < 0 || lnc >= NRT__MAX_CORES)
        return NULL;
    return __atomic_load_n(&sr_cores[lnc], __ATOMIC_ACQUIRE);
}

static bool read_cfg(void)
{
    uint64_t v;
    if (!nrt__param_read_u64(NRT__P_NEURON_RT_ASYNC_SENDRECV_BOOTSTRAP_PORT, &v))
        return false;
    nrt__sr_cfg.boot_port = (uint16_t)v;
    if (!nrt__param_read_u64(NRT__P_OPENNRT_SR_CONNECT_TIMEOUT_MS, &v))
        return false;
    nrt__sr_cfg.connect_timeout_ns = v * 1000000ull;
    if (!nrt__param_read_u64(NRT__P_OPENNRT_SR_PEER_TIMEOUT_MS, &v))
        return false;
    nrt__sr_cfg.peer_timeout_ms = v;
    if (!nrt__param_read_u64(NRT__P_OPENNRT_SR_SPIN_US, &v))
        return false;
    nrt__sr_cfg.spin_ns = v * 1000ull;
    if (!nrt__param_read_u64(NRT__P_NEURON_RT_ASYNC_SENDRECV_EXPERIMENTAL_ENABLED, &v))
        return false;
    const char *t = getenv("OPENNRT_SR_TRANSPORT");
    if (!t || !*t || !strcmp(t, "auto"))
        nrt__sr_cfg.want = NRT__SR_WANT_AUTO;
    else if (!strcmp(t, "tcp"))
        nrt__sr_cfg.want = NRT__SR_WANT_TCP;
    else if (!strcmp(t, "shm"))
        nrt__sr_cfg.want = NRT__SR_WANT_SHM;
    else {
        LOG_ERROR("OPENNRT_SR_TRANSPORT=%s is not one of auto, tcp, shm", t);
        return false;
    }
    return true;
}

/*===------------------------------------------------------------------===*/
/* Limits                                                                 */
/*===------------------------------------------------------------------===*/

NRT_API NRT_STATUS nrt_async_sendrecv_get_max_num_communicators_per_lnc(int *num)
{
    CHECK_NOT_NULL(num);
    *num = NRT__SR_MAX_COMMS;
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_async_sendrecv_get_max_num_pending_request(int *num)
{
    CHECK_NOT_NULL(num);
    *num = NRT__SR_MAX_PENDING;
    return NRT_SUCCESS;
}

/*===------------------------------------------------------------------===*/
/* Init / close                                                           */
/*===------------------------------------------------------------------===*/

/* The visible index of absolute core |lnc|, or -1. */
static int visible_index(int lnc)
{
    for (uint32_t i = 0; i < nrt__rt.cfg.num_cores; i++)
        if ((int)nrt__rt.cores[i].phys == lnc)
            return (int)i;
    return -1;
}

NRT_API NRT_STATUS nrt_async_sendrecv_init(int lnc)
{
    CHECK_RUNNING();
    CHECK_ARG(lnc >= 0 && lnc < NRT__MAX_CORES, NRT_FAILURE, "%s: lnc %d is not a core id (0..%d)", __func__, lnc,
              NRT__MAX_CORES - 1);
    int vnc = visible_index(lnc);
    CHECK_ARG(vnc >= 0, NRT_FAILURE,
              "%s: core %d is not visible to this process (lnc is the absolute core id; see NEURON_RT_VISIBLE_CORES)",
              __func__, lnc);
    nrt__mutex_lock(&sr_lock);
    NRT_STATUS st = NRT_FAILURE;
    if (sr_cores[lnc]) {
        LOG_ERROR("%s: lnc %d is already initialized (after a failed nrt_async_sendrecv_close it stays so)", __func__,
                  lnc);
        goto out;
    }
    /* Settings are read once per nrt_init (progress and control threads
     * read them without a lock). */
    if (!sr_cfg_read && !read_cfg())
        goto out;
    sr_cfg_read = true;
    nrt__sr_core_t *core = calloc(1, sizeof(*core));
    if (!core) {
        LOG_ERROR("%s: out of memory", __func__);
        st = NRT_RESOURCE;
        goto out;
    }
    core->lnc = lnc;
    core->vnc = vnc;
    core->gen = atomic_load(&nrt__rt.gen);
    core->wake_fd = -1;
    nrt__mutex_init(&core->lock);
    st = nrt__sr_core_start(core);
    if (st == NRT_SUCCESS)
        st = nrt__sr_ctl_register(core);
    if (st != NRT_SUCCESS) {
        nrt__sr_core_stop(core);
        nrt__mutex_destroy(&core->lock);
        free(core);
        st = NRT_FAILURE;
        goto out;
    }
    __atomic_store_n(&sr_cores[lnc], core, __ATOMIC_RELEASE);
    LOG_INFO("async send/recv initialized on lnc %d (visible core %d)", lnc, vnc);
out:
    nrt__mutex_unlock(&sr_lock);
    return st;
}

/* Cores whose progress thread close had to leave behind (sr_data.c,
 * nrt__sr_core_stop): never freed, and kept reachable. */
static nrt__sr_core_t *sr_leaked;

/* Ends core |core| (sr_lock held): control connections first (peers see
 * the end), then every communicator, then the endpoints. */
static void core_destroy(nrt__sr_core_t *core)
{
    nrt__sr_core_drain(core, 1000000000ull);
    nrt__sr_ctl_unregister(core);
    nrt__sr_comm_t *comms[NRT__SR_MAX_COMMS];
    uint32_t n = 0;
    nrt__mutex_lock(&core->lock);
    for (uint32_t i = 0; i < NRT__SR_MAX_COMMS; i++) {
        if (core->comms[i])
            comms[n++] = core->comms[i];
        core->comms[i] = NULL;
    }
    core->ncomms = 0;
    nrt__mutex_unlock(&core->lock);
    for (uint32_t i = 0; i < n; i++) {
        nrt__sr_comm_t *c = comms[i];
        /* A local peer on another core of this process learns it now. */
        if (c->local_peer)
            nrt__sr_comm_fail(c->local_peer, NRT_FAILURE, "the peer core closed send/recv");
        nrt__sr_comm_fail(c, NRT_FAILURE, "its core closed send/recv");
    }
    nrt__sr_core_stop(core);
    for (uint32_t i = 0; i < n; i++) {
        nrt__sr_comm_teardown(comms[i]);
        nrt__obj_user_release(comms[i], "nrt_async_sendrecv_close");
    }
    if (core->leaked) {
        core->leaked_next = sr_leaked;
        sr_leaked = core;
        return;
    }
    nrt__mutex_destroy(&core->lock);
    free(core);
}

NRT_API NRT_STATUS nrt_async_sendrecv_close(int lnc)
{
    CHECK_RUNNING();
    CHECK_ARG(lnc >= 0 && lnc < NRT__MAX_CORES, NRT_FAILURE, "%s: lnc %d is not a core id (0..%d)", __func__, lnc,
              NRT__MAX_CORES - 1);
    nrt__mutex_lock(&sr_lock);
    nrt__sr_core_t *core = sr_cores[lnc];
    NRT_STATUS st = NRT_SUCCESS;
    if (!core) {
        LOG_ERROR("%s: lnc %d is not initialized for send/recv", __func__, lnc);
        st = NRT_FAILURE;
        goto out;
    }
    nrt__mutex_lock(&core->lock);
    for (uint32_t i = 0; i < NRT__SR_MAX_COMMS && st == NRT_SUCCESS; i++) {
        nrt__sr_comm_t *c = core->comms[i];
        if (!c)
            continue;
        uint32_t pending = atomic_load(&c->pending);
        if (atomic_load(&c->state) == NRT__SR_CONNECTING) {
            LOG_ERROR("%s: lnc %d still has a %s communicator with %s/lnc %d that is not connected; the core stays "
                      "initialized",
                      __func__, lnc, c->is_send ? "send" : "receive", c->peer_ip, c->peer_lnc);
            st = NRT_FAILURE;
        } else if (pending) {
            LOG_ERROR("%s: lnc %d has %u request(s) in flight on its communicator with %s/lnc %d (test them until "
                      "done first); the core stays initialized",
                      __func__, lnc, pending, c->peer_ip, c->peer_lnc);
            st = NRT_FAILURE;
        }
    }
    nrt__mutex_unlock(&core->lock);
    if (st != NRT_SUCCESS)
        goto out;
    __atomic_store_n(&sr_cores[lnc], NULL, __ATOMIC_RELEASE);
    core_destroy(core);
    LOG_INFO("async send/recv closed on lnc %d", lnc);
out:
    nrt__mutex_unlock(&sr_lock);
    return st;
}

void nrt__sr_close_all(void)
{
    nrt__mutex_lock(&sr_lock);
    for (int i = 0; i < NRT__MAX_CORES; i++) {
        nrt__sr_core_t *core = sr_cores[i];
        if (!core)
            continue;
        LOG_WARN("nrt_close: async send/recv of lnc %d was not closed; closing it now", i);
        __atomic_store_n(&sr_cores[i], NULL, __ATOMIC_RELEASE);
        core_destroy(core);
    }
    nrt__sr_ctl_shutdown();
    sr_cfg_read = false;
    /* Requests the application never tested to the end are gone too. */
    nrt__obj_close_all(NRT__OBJ_SR_REQUEST);
    nrt__obj_close_all(NRT__OBJ_COMM);
    nrt__mutex_unlock(&sr_lock);
}

/* fork() child: the parent's cores (their progress threads do not exist
 * here) are forgotten, their memory and libfabric endpoints left behind, so
 * that nrt_close in the child does not wait for threads that are not there
 * and nrt_init gives it send/recv of its own. */
void nrt__sr_after_fork(void)
{
    nrt__mutex_init(&sr_lock);
    memset(sr_cores, 0, sizeof sr_cores);
    sr_cfg_read = false;
    nrt__sr_ctl_after_fork();
}

/*===------------------------------------------------------------------===*/
/* Communicators                                                          */
/*===------------------------------------------------------------------===*/

static bool parse_ip(const char *ip, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof(*out));
    struct sockaddr_in *v4 = (struct sockaddr_in *)out;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
    if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        return true;
    }
    return false;
}

static NRT_STATUS comm_create(const char *func, const char *peer_ip, int peer_lnc, int lnc, bool is_send,
                              nrt_async_sendrecv_comm_t **out)
{
    CHECK_RUNNING();
    if (!peer_ip || !out) {
        NRT__LOG(NRT__LOG_ERROR, "%s: argument '%s' is NULL", func, !peer_ip ? "peer_ip" : is_send ? "send_comm" : "recv_comm");
        return NRT_INVALID;
    }
    *out = NULL;
    struct sockaddr_storage sa;
    if (strlen(peer_ip) >= 64 || !parse_ip(peer_ip, &sa)) {
        NRT__LOG(NRT__LOG_ERROR, "%s: peer_ip '%.64s' is not an IPv4 or IPv6 address", func, peer_ip);
        return NRT_INVALID;
    }
    if (peer_lnc < 0 || peer_lnc >= NRT__MAX_CORES) {
        NRT__LOG(NRT__LOG_ERROR, "%s: peer_lnc %d is not a core id (0..%d)", func, peer_lnc, NRT__MAX_CORES - 1);
        return NRT_INVALID;
    }
    nrt__sr_core_t *core = nrt__sr_core_get(lnc);
    if (!core) {
        NRT__LOG(NRT__LOG_ERROR, "%s: lnc %d is not initialized for send/recv (call nrt_async_sendrecv_init)", func,
                 lnc);
        return NRT_FAILURE;
    }
    if (atomic_load_explicit(&core->stuck, memory_order_relaxed)) {
        NRT__LOG(NRT__LOG_ERROR, "%s: lnc %d's progress thread is stuck inside libfabric (a shm peer died holding a "
                 "lock of the provider); close send/recv of the core and initialize it again", func, lnc);
        return NRT_FAILURE;
    }
    nrt__sr_comm_t *c = nrt__obj_create(&nrt__sr_comm_type);
    if (!c)
        return NRT_RESOURCE;
    c->core = core;
    c->is_send = is_send;
    snprintf(c->peer_ip, sizeof(c->peer_ip), "%s", peer_ip);
    c->peer_lnc = peer_lnc;
    c->peer_sa = sa;
    c->deadline_ns = nrt__now_ns() + nrt__sr_cfg.connect_timeout_ns;
    /* Before it is visible: accepts pair with connects first-come. */
    static _Atomic uint64_t order;
    c->order = atomic_fetch_add_explicit(&order, 1, memory_order_relaxed) + 1;
    atomic_init(&c->state, NRT__SR_CONNECTING);
    nrt__mutex_lock(&core->lock);
    uint32_t slot = NRT__SR_MAX_COMMS;
    if (core->ncomms < NRT__SR_MAX_COMMS)
        for (slot = 0; slot < NRT__SR_MAX_COMMS && core->comms[slot]; slot++)
            ;
    if (slot == NRT__SR_MAX_COMMS) {
        nrt__mutex_unlock(&core->lock);
        NRT__LOG(NRT__LOG_ERROR, "%s: lnc %d already has %d communicators (the limit)", func, lnc, NRT__SR_MAX_COMMS);
        nrt__obj_release(c);
        return NRT_RESOURCE;
    }
    core->comm_gen[slot] = (uint8_t)((core->comm_gen[slot] + 1) & 0xf); /* 14-bit ids in tags */
    c->id = slot | ((uint32_t)core->comm_gen[slot] << 10);
    core->comms[slot] = c;
    core->ncomms++;
    nrt__mutex_unlock(&core->lock);
    nrt__sr_ctl_add_comm(c);
    *out = c;
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_async_sendrecv_connect(const char *peer_ip, int peer_lnc, int lnc,
                                              nrt_async_sendrecv_comm_t **send_comm)
{
    return comm_create(__func__, peer_ip, peer_lnc, lnc, true, send_comm);
}

NRT_API NRT_STATUS nrt_async_sendrecv_accept(const char *peer_ip, int peer_lnc, int lnc,
                                             nrt_async_sendrecv_comm_t **recv_comm)
{
    return comm_create(__func__, peer_ip, peer_lnc, lnc, false, recv_comm);
}

/* NULL is a bad argument (NRT_INVALID); a stale or wrong handle is
 * NRT_INVALID_HANDLE. */
#define CHECK_HANDLE(h, type, func)                                                                                   \
    do {                                                                                                              \
        if (NRT__UNLIKELY(!(h))) {                                                                                    \
            NRT__LOG(NRT__LOG_ERROR, "%s: argument '%s' is NULL", func, #h);                                          \
            return NRT_INVALID;                                                                                       \
        }                                                                                                             \
        if (NRT__UNLIKELY(!nrt__obj_check((h), (type), func)))                                                        \
            return NRT_INVALID_HANDLE;                                                                                \
    } while (0)
#define CHECK_COMM(c) CHECK_HANDLE(c, &nrt__sr_comm_type, __func__)

NRT_API NRT_STATUS nrt_async_sendrecv_test_comm(nrt_async_sendrecv_comm_t *comm, bool *done)
{
    CHECK_RUNNING();
    CHECK_COMM(comm);
    CHECK_NOT_NULL(done);
    *done = false;
    int s = atomic_load_explicit(&comm->state, memory_order_acquire);
    if (s == NRT__SR_CONNECTING && nrt__now_ns() > comm->deadline_ns) {
        char why[96];
        snprintf(why, sizeof(why), "no connection within %llu ms (OPENNRT_SR_CONNECT_TIMEOUT_MS)",
                 (unsigned long long)(nrt__sr_cfg.connect_timeout_ns / 1000000u));
        nrt__sr_comm_fail(comm, NRT_TIMEOUT, why);
        s = atomic_load_explicit(&comm->state, memory_order_acquire);
    }
    if (s == NRT__SR_CONNECTED) {
        *done = true;
        return NRT_SUCCESS;
    }
    if (s == NRT__SR_FAILED) {
        if (atomic_load_explicit(&comm->was_connected, memory_order_relaxed)) {
            *done = true; /* it was connected; its transfers fail from now on */
            return NRT_SUCCESS;
        }
        LOG_DEBUG("%s: communicator with %s/lnc %d failed (%s)", __func__, comm->peer_ip, comm->peer_lnc,
                  nrt_get_status_as_str(comm->fail_status));
        return comm->fail_status;
    }
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrtx_async_sendrecv_comm_info(nrt_async_sendrecv_comm_t *comm, nrtx_sendrecv_comm_info_t *info)
{
    CHECK_RUNNING();
    CHECK_COMM(comm);
    CHECK_NOT_NULL(info);
    memset(info, 0, sizeof(*info));
    int s = atomic_load_explicit(&comm->state, memory_order_acquire);
    if (atomic_load_explicit(&comm->was_connected, memory_order_relaxed)) {
        const char *t = comm->path == NRT__SR_LOCAL ? "local" : comm->path == NRT__SR_SHM ? "shm" : "tcp;ofi_rxm";
        snprintf(info->transport, sizeof(info->transport), "%s", t);
    }
    snprintf(info->peer, sizeof(info->peer), "%s/lnc %d", comm->peer_ip, comm->peer_lnc);
    info->is_send = comm->is_send;
    info->connected = s == NRT__SR_CONNECTED;
    info->failed = s == NRT__SR_FAILED;
    info->pending = atomic_load_explicit(&comm->pending, memory_order_relaxed);
    info->bytes = atomic_load_explicit(&comm->bytes, memory_order_relaxed);
    return NRT_SUCCESS;
}

/*===------------------------------------------------------------------===*/
/* Transfers                                                              */
/*===------------------------------------------------------------------===*/

static NRT_STATUS post(const char *func, nrt_tensor_t *tensor, size_t offset, size_t length,
                       nrt_async_sendrecv_comm_t *comm, bool is_send, nrt_async_sendrecv_request_t **request)
{
    CHECK_RUNNING();
    CHECK_HANDLE(tensor, &nrt__tensor_type, func);
    CHECK_HANDLE(comm, &nrt__sr_comm_type, func);
    if (!request) {
        NRT__LOG(NRT__LOG_ERROR, "%s: argument 'request' is NULL", func);
        return NRT_INVALID;
    }
    *request = NULL;
    if (comm->is_send != is_send) {
        NRT__LOG(NRT__LOG_ERROR, "%s: the communicator with %s/lnc %d is a %s communicator", func, comm->peer_ip,
                 comm->peer_lnc, comm->is_send ? "send" : "receive");
        return NRT_INVALID;
    }
    int s = atomic_load_explicit(&comm->state, memory_order_acquire);
    if (s == NRT__SR_CONNECTING) {
        NRT__LOG(NRT__LOG_ERROR, "%s: the communicator with %s/lnc %d is not connected yet (poll "
                 "nrt_async_sendrecv_test_comm until it reports done)", func, comm->peer_ip, comm->peer_lnc);
        return NRT_FAILURE;
    }
    if (s == NRT__SR_FAILED) {
        NRT__LOG(NRT__LOG_ERROR, "%s: the communicator with %s/lnc %d has failed (%s)", func, comm->peer_ip,
                 comm->peer_lnc, nrt_get_status_as_str(comm->fail_status));
        return NRT_FAILURE;
    }
    nrt__sr_core_t *core = comm->core;
    if (!tensor->st) {
        NRT__LOG(NRT__LOG_ERROR, "%s: tensor '%s' has no memory", func, tensor->name);
        return NRT_INVALID;
    }
    if (!nrt__range_ok(offset, length, tensor->size)) {
        NRT__LOG(NRT__LOG_ERROR, "%s: offset %zu + length %zu is outside tensor '%s' (%zu bytes)", func, offset,
                 length, tensor->name, tensor->size);
        return NRT_INVALID;
    }
    if (tensor->placement == NRT_TENSOR_PLACEMENT_DEVICE && tensor->core != core->vnc) {
        NRT__LOG(NRT__LOG_ERROR, "%s: tensor '%s' lives on visible core %d, the communicator on lnc %d (visible "
                 "core %d)", func, tensor->name, tensor->core, core->lnc, core->vnc);
        return NRT_INVALID;
    }
    uint32_t p = atomic_fetch_add_explicit(&comm->pending, 1, memory_order_relaxed);
    if (p >= NRT__SR_MAX_PENDING) {
        atomic_fetch_sub_explicit(&comm->pending, 1, memory_order_relaxed);
        NRT__LOG(NRT__LOG_ERROR, "%s: the communicator with %s/lnc %d already has %d pending requests (the limit)",
                 func, comm->peer_ip, comm->peer_lnc, NRT__SR_MAX_PENDING);
        return NRT_RESOURCE;
    }
    nrt__sr_req_t *req = nrt__obj_create(&nrt__sr_req_type);
    if (!req) {
        atomic_fetch_sub_explicit(&comm->pending, 1, memory_order_relaxed);
        return NRT_RESOURCE;
    }
    nrt__obj_retain(comm);
    req->comm = comm;
    req->st = tensor->st;
    nrt__storage_retain(req->st);
    req->buf = nrt__tensor_data(tensor) + offset;
    req->len = length;
    req->is_send = is_send;
    req->t_post = nrt__sr_trace_on() ? nrt__now_ns() : 0;
    req->seq = atomic_fetch_add_explicit(&comm->next_seq, 1, memory_order_relaxed);
    NRT_STATUS fst;
    uint64_t nth;
    bool inject = nrt__sr_fault_transfer(core->lnc, is_send, &fst, &nth);
    NRT_STATUS st = nrt__sr_post(req);
    if (inject && st == NRT_SUCCESS) {
        char why[96];
        snprintf(why, sizeof(why), "fault injection failed %s #%llu of lnc %d", is_send ? "send" : "receive",
                 (unsigned long long)nth, core->lnc);
        nrt__sr_inject_drop(comm, fst, why);
    }
    if (st != NRT_SUCCESS) {
        atomic_fetch_sub_explicit(&comm->pending, 1, memory_order_relaxed);
        nrt__obj_user_release(req, func);
        return st;
    }
    *request = req;
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_async_sendrecv_send_tensor(nrt_tensor_t *tensor, size_t offset, size_t length,
                                                  nrt_async_sendrecv_comm_t *send_comm,
                                                  nrt_async_sendrecv_request_t **request)
{
    return post(__func__, tensor, offset, length, send_comm, true, request);
}

NRT_API NRT_STATUS nrt_async_sendrecv_recv_tensor(nrt_tensor_t *tensor, size_t offset, size_t length,
                                                  nrt_async_sendrecv_comm_t *recv_comm,
                                                  nrt_async_sendrecv_request_t **request)
{
    return post(__func__, tensor, offset, length, recv_comm, false, request);
}

NRT_API NRT_STATUS nrt_async_sendrecv_test_request(nrt_async_sendrecv_request_t *request, bool *done, size_t *size)
{
    CHECK_RUNNING();
    CHECK_HANDLE(request, &nrt__sr_req_type, __func__);
    CHECK_NOT_NULL(done);
    *done = false;
    if (!atomic_load_explicit(&request->done, memory_order_acquire)) {
        /* The in-process path needs no fabric polling (a syscall per call). */
        if (request->comm->path != NRT__SR_LOCAL)
            nrt__sr_progress(request->comm->core);
        if (!atomic_load_explicit(&request->done, memory_order_acquire))
            return NRT_SUCCESS;
    }
    *done = true;
    if (size)
        *size = request->size;
    NRT_STATUS st = request->status;
    atomic_fetch_sub_explicit(&request->comm->pending, 1, memory_order_release);
    nrt__obj_user_release(request, __func__);
    return st;
}

NRT_API NRT_STATUS nrt_async_sendrecv_flush(int lnc)
{
    CHECK_RUNNING();
    if (!nrt__sr_core_get(lnc)) {
        LOG_ERROR("%s: lnc %d is not initialized for send/recv", __func__, lnc);
        return NRT_FAILURE;
    }
    /* Host memory: a receive reported done was written by the CPU (or by
     * the kernel's socket copy) before its completion was published; a full
     * fence orders it for the caller. */
    atomic_thread_fence(memory_order_seq_cst);
    return NRT_SUCCESS;
}

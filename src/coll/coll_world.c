/*
 * src/coll/coll_world.c - the collectives world of this process: which
 * global id each core joined as, the rendezvous, and liveness.
 *
 * nrt_cc_global_comm_init(vnc, gid, count) only records the member. When
 * every member of the world is a core of this process the world is ready
 * at once and no network is used. Otherwise the first collective that
 * needs the world starts the control thread (one per process), which:
 *   - opens each local member's transport endpoint (tcp;ofi_rxm, or shm
 *     with OPENNRT_CC_TRANSPORT=shm) so that its address can be published;
 *   - in the process of global id 0 (the root): listens on
 *     NEURON_RT_ROOT_COMM_ID, collects one REG per member from every
 *     process, and when all |count| ids are known sends the TABLE to all;
 *   - elsewhere: connects to the root (retrying until it listens), sends
 *     its members, and waits for the TABLE.
 * The TCP connections to the root stay open: they are the liveness signal.
 * A process whose connection ends (died, or nrt_close) is reported by the
 * root to every other process (GONE); the members of a process that lost
 * the root mark the root's members gone. Collectives waiting on a gone
 * member fail after a grace period (its last data may still be landing).
 *
 * Wire format: messages of {u32 type, u32 len} + payload, host byte order
 * (every host of a job runs the same architecture).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "coll/coll.h"
#include "core/core.h"
#include "xu/xu.h"

enum { W_NONE = 0, W_JOINING, W_READY, W_FAILED };
enum { M_REG = 1, M_TABLE, M_GONE, M_ERR, M_BYE };

typedef struct wire_member {
    uint32_t gid, count, proc, name_len;
    int32_t pid;
    uint16_t port, family;
    uint8_t addr[16];
    char host[64];
    char name[NRT__NET_ADDR_MAX];
} wire_member_t;

typedef struct conn {
    int fd;
    bool bye;
    size_t have;
    char buf[sizeof(wire_member_t) * 4 + 64];
    struct sockaddr_storage peer;
} conn_t;

#define MAX_CONNS NRT__CC_MAX_WORLD

static struct {
    nrt__mutex_t lock;
    uint32_t count;
    uint32_t nlocal;
    nrt__cc_member_t *members[NRT__MAX_CORES]; /* by vnc */
    _Atomic int state;
    char fail_msg[300];
    nrt__cc_peer_t *peers;   /* [count], complete once READY */
    wire_member_t *wire;     /* [count]: what we know (root) / were told */
    bool *known;             /* [count] */
    _Atomic uint64_t *gone;  /* [count] */
    nrt__cc_group_t *groups;
    bool multi;              /* the world spans processes (eps opened by the thread) */
    _Atomic bool eps_ready;  /* every local member has its endpoint */
    /* Control thread. */
    pthread_t thr;
    bool thr_started;
    _Atomic bool stop;
    int wake_fd;
    /* The control thread's listening socket (root) and connection to the
     * root, mirrored here for a fork() child to close (it must not keep the
     * parent's connections open: the peers would not see the parent die). */
    _Atomic int lfd, rfd;
    bool is_root;
    struct sockaddr_storage root_addr;
    socklen_t root_len;
    /* The local address our TCP endpoints bind to: the one the root is
     * reached on (tcp;ofi_rxm needs a reachable name, not the wildcard). */
    char bind_ip[INET6_ADDRSTRLEN];
} W = {.lock = NRT__MUTEX_INITIALIZER, .wake_fd = -1, .lfd = -1, .rfd = -1};

static void fill_wire(nrt__cc_member_t *m, struct wire_member *w);

static const char *state_name(int s)
{
    return s == W_READY ? "ready" : s == W_FAILED ? "failed" : s == W_JOINING ? "joining" : "none";
}

static void world_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void world_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(W.fail_msg, sizeof W.fail_msg, fmt, ap);
    va_end(ap);
    LOG_ERROR("collectives: %s", W.fail_msg);
    atomic_store_explicit(&W.state, W_FAILED, memory_order_release);
}

nrt__cc_member_t *nrt__cc_member(uint32_t vnc)
{
    if (vnc >= NRT__MAX_CORES)
        return NULL;
    return __atomic_load_n(&W.members[vnc], __ATOMIC_ACQUIRE);
}

uint32_t nrt__cc_world_size(void)
{
    return __atomic_load_n(&W.count, __ATOMIC_ACQUIRE);
}

const nrt__cc_peer_t *nrt__cc_peer(uint32_t gid)
{
    return gid < W.count && W.peers ? &W.peers[gid] : NULL;
}

uint64_t nrt__cc_gone_since(uint32_t gid)
{
    return gid < W.count && W.gone ? atomic_load_explicit(&W.gone[gid], memory_order_acquire) : 0;
}

bool nrt__cc_warn_due(uint64_t *last)
{
    uint64_t now = nrt__now_ns();
    if (!*last) {
        *last = now;
        return false;
    }
    if (now - *last < nrt__cc_cfg.warn_ns)
        return false;
    *last = now;
    return true;
}

/* Fills the peer table from what we know when every member is local. */
static void ready_local(void)
{
    for (uint32_t v = 0; v < NRT__MAX_CORES; v++) {
        nrt__cc_member_t *m = W.members[v];
        if (!m)
            continue;
        nrt__cc_peer_t *p = &W.peers[m->gid];
        p->gid = m->gid;
        p->proc = 0;
        p->pid = (int32_t)getpid();
        p->vnc = (int32_t)v;
        struct sockaddr_in *in = (struct sockaddr_in *)&p->ip;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        gethostname(p->host, sizeof p->host - 1);
        if (m->ep) { /* opened by a rendezvous started before the last join */
            fill_wire(m, &W.wire[m->gid]);
            p->port = W.wire[m->gid].port;
        }
    }
    atomic_store_explicit(&W.state, W_READY, memory_order_release);
    LOG_INFO("collectives: world of %u members ready, all cores of this process", W.count);
}

NRT_STATUS nrt__cc_join(uint32_t vnc, uint32_t gid, uint32_t count, const char *func)
{
    if (count > NRT__CC_MAX_WORLD) {
        LOG_ERROR("%s: g_device_count %u is above the largest world OpenNRT supports (%u)", func, count,
                  NRT__CC_MAX_WORLD);
        return NRT_INVALID;
    }
    NRT_STATUS st = NRT_SUCCESS;
    nrt__mutex_lock(&W.lock);
    nrt__cc_member_t *m = W.members[vnc];
    if (W.count && W.count != count) {
        LOG_ERROR("%s: core %u cannot join a world of %u members: this process already joined a world of %u "
                  "(one world per process)", func, vnc, count, W.count);
        st = NRT_INVALID;
    } else if (m) {
        if (m->gid != gid) {
            LOG_ERROR("%s: core %u already joined as global id %u, not %u", func, vnc, m->gid, gid);
            st = NRT_INVALID;
        } /* else the same call again: nothing to do */
    } else if (W.known && W.known[gid]) {
        LOG_ERROR("%s: global id %u is already taken by another core of this process", func, gid);
        st = NRT_INVALID;
    } else if (atomic_load(&W.state) == W_FAILED) {
        LOG_ERROR("%s: the collectives world of this process failed (%s); nrt_close and nrt_init to start again",
                  func, W.fail_msg);
        st = NRT_FAILURE;
    } else {
        if (!W.count) {
            W.peers = calloc(count, sizeof *W.peers);
            W.wire = calloc(count, sizeof *W.wire);
            W.known = calloc(count, sizeof *W.known);
            W.gone = calloc(count, sizeof *W.gone);
            m = calloc(1, sizeof *m);
            if (!W.peers || !W.wire || !W.known || !W.gone || !m) {
                free(W.peers), free(W.wire), free(W.known), free((void *)W.gone), free(m);
                W.peers = NULL, W.wire = NULL, W.known = NULL, W.gone = NULL;
                nrt__mutex_unlock(&W.lock);
                LOG_ERROR("%s: out of memory", func);
                return NRT_RESOURCE;
            }
            for (uint32_t i = 0; i < count; i++)
                W.peers[i].vnc = -1;
            __atomic_store_n(&W.count, count, __ATOMIC_RELEASE);
            atomic_store(&W.state, W_JOINING);
        } else {
            m = calloc(1, sizeof *m);
            if (!m) {
                nrt__mutex_unlock(&W.lock);
                LOG_ERROR("%s: out of memory", func);
                return NRT_RESOURCE;
            }
        }
        m->vnc = vnc;
        m->gid = gid;
        W.known[gid] = true;
        W.nlocal++;
        __atomic_store_n(&W.members[vnc], m, __ATOMIC_RELEASE);
        LOG_INFO("collectives: core %u joined as global id %u of %u", vnc, gid, count);
        if (W.nlocal == count)
            ready_local();
        else if (W.thr_started && W.wake_fd >= 0)
            (void)!write(W.wake_fd, &(uint64_t){1}, 8); /* the thread registers it */
    }
    nrt__mutex_unlock(&W.lock);
    return st;
}

/*===------------------------------------------------------------------===*/
/* Control thread                                                         */
/*===------------------------------------------------------------------===*/

static bool send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static bool send_msg(int fd, uint32_t type, const void *payload, uint32_t len)
{
    uint32_t h[2] = {type, len};
    return send_all(fd, h, sizeof h) && (!len || send_all(fd, payload, len));
}

/* Resolves "<ipv4>:<port>", "[<ipv6>]:<port>" or "<host>:<port>". */
static bool resolve_root(const char *spec, struct sockaddr_storage *out, socklen_t *len)
{
    char host[256];
    const char *colon;
    if (spec[0] == '[') {
        const char *end = strchr(spec, ']');
        if (!end || end[1] != ':' || (size_t)(end - spec - 1) >= sizeof host)
            return false;
        memcpy(host, spec + 1, (size_t)(end - spec - 1));
        host[end - spec - 1] = 0;
        colon = end + 1;
    } else {
        colon = strrchr(spec, ':');
        if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof host || memchr(spec, ':', (size_t)(colon - spec)))
            return false;
        memcpy(host, spec, (size_t)(colon - spec));
        host[colon - spec] = 0;
    }
    char *endp;
    unsigned long port = strtoul(colon + 1, &endp, 10);
    if (!colon[1] || *endp || port == 0 || port > 65535)
        return false;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
        return false;
    memcpy(out, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    if (out->ss_family == AF_INET)
        ((struct sockaddr_in *)out)->sin_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in6 *)out)->sin6_port = htons((uint16_t)port);
    return true;
}

bool nrt__cc_root_spec_ok(const char *spec)
{
    struct sockaddr_storage ss;
    socklen_t len;
    return resolve_root(spec, &ss, &len);
}

static void fill_wire(nrt__cc_member_t *m, wire_member_t *w)
{
    memset(w, 0, sizeof *w);
    w->gid = m->gid;
    w->count = W.count;
    w->pid = (int32_t)getpid();
    gethostname(w->host, sizeof w->host - 1);
    if (m->ep) {
        if (nrt__net_ep_kind(m->ep) == NRT__NET_TCP)
            w->port = nrt__net_tcp_port(m->ep);
        size_t nl = sizeof w->name;
        if (nrt__net_ep_name(m->ep, w->name, &nl) == NRT_SUCCESS)
            w->name_len = (uint32_t)nl;
    }
}

static NRT_STATUS open_ep(nrt__cc_member_t *m)
{
    if (m->ep)
        return NRT_SUCCESS;
    NRT_STATUS st = nrt__cc_cfg.shm ? nrt__net_ep_open(NRT__NET_SHM, &m->ep)
                                    : nrt__net_ep_open_at(NRT__NET_TCP, W.bind_ip[0] ? W.bind_ip : NULL, &m->ep);
    if (st != NRT_SUCCESS)
        return st;
    m->addr = calloc(W.count, sizeof *m->addr);
    m->addr_ok = calloc(W.count, sizeof *m->addr_ok);
    if (!m->addr || !m->addr_ok)
        return NRT_RESOURCE;
    return NRT_SUCCESS;
}

/* Turns a wire record into a peer (|via|: the root's address as we reached
 * it, for members the root hosts itself). */
static void wire_to_peer(const wire_member_t *w, const struct sockaddr_storage *via)
{
    nrt__cc_peer_t *p = &W.peers[w->gid];
    p->gid = w->gid;
    p->proc = w->proc;
    p->pid = w->pid;
    p->port = w->port;
    memcpy(p->host, w->host, sizeof p->host);
    p->host[sizeof p->host - 1] = 0;
    memset(&p->ip, 0, sizeof p->ip);
    if (w->family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&p->ip;
        in->sin_family = AF_INET;
        memcpy(&in->sin_addr, w->addr, 4);
    } else if (w->family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&p->ip;
        in6->sin6_family = AF_INET6;
        memcpy(&in6->sin6_addr, w->addr, 16);
    } else if (via) {
        memcpy(&p->ip, via, sizeof p->ip);
    }
    nrt__cc_member_t *m = NULL;
    for (uint32_t v = 0; v < NRT__MAX_CORES && !m; v++)
        if (W.members[v] && W.members[v]->gid == w->gid)
            m = W.members[v];
    p->vnc = m ? (int32_t)m->vnc : -1;
}

static void addr_to_wire(const struct sockaddr_storage *ss, wire_member_t *w);
/* The numeric address of |ss| (v4-mapped IPv6 as IPv4) into W.bind_ip. */
static void set_bind_ip(const struct sockaddr_storage *ss)
{
    wire_member_t w = {0};
    addr_to_wire(ss, &w);
    inet_ntop(w.family == AF_INET ? AF_INET : AF_INET6, w.addr, W.bind_ip, sizeof W.bind_ip);
}

static void addr_to_wire(const struct sockaddr_storage *ss, wire_member_t *w)
{
    if (ss->ss_family == AF_INET) {
        w->family = AF_INET;
        memcpy(w->addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            w->family = AF_INET;
            memcpy(w->addr, (const char *)&in6->sin6_addr + 12, 4);
        } else {
            w->family = AF_INET6;
            memcpy(w->addr, &in6->sin6_addr, 16);
        }
    }
}

static void mark_gone(uint32_t gid, const char *why)
{
    uint64_t zero = 0;
    if (gid < W.count && atomic_compare_exchange_strong(&W.gone[gid], &zero, nrt__now_ns()))
        LOG_WARN("collectives: member %u (%s, pid %d) %s", gid, W.peers[gid].host, W.peers[gid].pid, why);
}

/* Reads what is available on |c|; calls |handle| per complete message.
 * Returns false on EOF or error. */
static bool conn_read(conn_t *c, void (*handle)(conn_t *, uint32_t, const char *, uint32_t))
{
    ssize_t n = recv(c->fd, c->buf + c->have, sizeof c->buf - c->have, MSG_DONTWAIT);
    if (n == 0)
        return false;
    if (n < 0)
        return errno == EAGAIN || errno == EINTR;
    c->have += (size_t)n;
    for (;;) {
        if (c->have < 8)
            return true;
        uint32_t h[2];
        memcpy(h, c->buf, 8);
        if (h[1] > sizeof c->buf - 8)
            return false; /* not ours */
        if (c->have < 8 + (size_t)h[1])
            return true;
        handle(c, h[0], c->buf + 8, h[1]);
        memmove(c->buf, c->buf + 8 + h[1], c->have - 8 - h[1]);
        c->have -= 8 + h[1];
    }
}

static conn_t *conns[MAX_CONNS];
static uint32_t nconns;

static void root_send_table(void)
{
    for (uint32_t i = 0; i < nconns; i++)
        if (conns[i] && conns[i]->fd >= 0)
            for (uint32_t g = 0; g < W.count; g++)
                send_msg(conns[i]->fd, M_TABLE, &W.wire[g], sizeof W.wire[g]);
    for (uint32_t g = 0; g < W.count; g++)
        wire_to_peer(&W.wire[g], &W.root_addr); /* our own members: the root address */
    atomic_store_explicit(&W.eps_ready, true, memory_order_release);
    atomic_store_explicit(&W.state, W_READY, memory_order_release);
    LOG_INFO("collectives: world of %u members ready (this process is the root), transport %s", W.count,
             nrt__cc_cfg.shm ? "shm" : "tcp;ofi_rxm");
}

/* Members whose record we have (the root: registered; elsewhere: received
 * in the table). */
static uint32_t wire_filled(void)
{
    uint32_t k = 0;
    for (uint32_t g = 0; g < W.count; g++)
        k += W.wire[g].count != 0;
    return k;
}

static void root_handle(conn_t *c, uint32_t type, const char *p, uint32_t len)
{
    uint32_t proc = 0;
    for (uint32_t i = 0; i < nconns; i++)
        if (conns[i] == c)
            proc = i + 1;
    if (type == M_BYE) {
        c->bye = true;
        return;
    }
    if (type != M_REG || len != sizeof(wire_member_t))
        return;
    wire_member_t w;
    memcpy(&w, p, sizeof w);
    char err[200] = "";
    if (w.count != W.count)
        snprintf(err, sizeof err, "world size mismatch: global id %u says %u members, the root (global id 0) %u",
                 w.gid, w.count, W.count);
    else if (w.gid >= W.count)
        snprintf(err, sizeof err, "global id %u is not below the world size %u", w.gid, W.count);
    else if (W.known[w.gid])
        snprintf(err, sizeof err, "global id %u joined twice (pid %d on %s and another)", w.gid, w.pid, w.host);
    else if (atomic_load(&W.state) == W_READY)
        snprintf(err, sizeof err, "the world is already complete");
    if (err[0]) {
        LOG_ERROR("collectives: root refuses a member: %s", err);
        send_msg(c->fd, M_ERR, err, (uint32_t)strlen(err) + 1);
        return;
    }
    w.proc = proc;
    addr_to_wire(&c->peer, &w);
    W.wire[w.gid] = w;
    W.known[w.gid] = true;
    if (wire_filled() == W.count)
        root_send_table();
}

static void root_conn_lost(uint32_t idx)
{
    conn_t *c = conns[idx];
    bool ready = atomic_load(&W.state) == W_READY;
    for (uint32_t g = 0; g < W.count; g++) {
        if (W.wire[g].proc != idx + 1 || !W.known[g])
            continue;
        if (ready) {
            mark_gone(g, c->bye ? "left the world (nrt_close)" : "is gone: its process ended or lost its connection");
            for (uint32_t j = 0; j < nconns; j++)
                if (j != idx && conns[j] && conns[j]->fd >= 0)
                    send_msg(conns[j]->fd, M_GONE, &g, 4);
        } else {
            W.known[g] = false; /* it may come back */
            W.wire[g].count = 0;
        }
    }
    close(c->fd);
    c->fd = -1;
}

static void worker_handle(conn_t *c, uint32_t type, const char *p, uint32_t len)
{
    (void)c;
    if (type == M_TABLE && len == sizeof(wire_member_t)) {
        wire_member_t w;
        memcpy(&w, p, sizeof w);
        if (w.gid < W.count) {
            W.wire[w.gid] = w;
            if (wire_filled() == W.count) {
                for (uint32_t g = 0; g < W.count; g++)
                    wire_to_peer(&W.wire[g], &W.root_addr);
                atomic_store_explicit(&W.eps_ready, true, memory_order_release);
                atomic_store_explicit(&W.state, W_READY, memory_order_release);
                char ip[INET6_ADDRSTRLEN] = "?";
                const struct sockaddr_storage *a = &W.peers[0].ip;
                inet_ntop(a->ss_family, a->ss_family == AF_INET ? (const void *)&((const struct sockaddr_in *)a)->sin_addr
                                                                : (const void *)&((const struct sockaddr_in6 *)a)->sin6_addr,
                          ip, sizeof ip);
                LOG_INFO("collectives: world of %u members ready, transport %s, bound to %s, global id 0 at %s", W.count,
                         nrt__cc_cfg.shm ? "shm" : "tcp;ofi_rxm", W.bind_ip, ip);
            }
        }
    } else if (type == M_GONE && len == 4) {
        uint32_t g;
        memcpy(&g, p, 4);
        mark_gone(g, "is gone (reported by the root)");
    } else if (type == M_ERR && len > 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "%.*s", (int)len, p);
        world_fail("the root (%s) refused this process: %s", nrt__cc_cfg.root, msg);
    }
}

static int listen_root(void)
{
    int fd = socket(W.root_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&W.root_addr, W.root_len) < 0 || listen(fd, 64) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int connect_root(void)
{
    int fd = socket(W.root_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&W.root_addr, W.root_len) < 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Registers local members not sent yet (worker) or records them (root). */
static void register_new(int root_fd)
{
    nrt__mutex_lock(&W.lock);
    for (uint32_t v = 0; v < NRT__MAX_CORES; v++) {
        nrt__cc_member_t *m = W.members[v];
        if (!m || m->addr) /* addr set: already registered */
            continue;
        if (open_ep(m) != NRT_SUCCESS) {
            nrt__mutex_unlock(&W.lock);
            world_fail("core %u (global id %u) cannot open its %s endpoint", v, m->gid,
                       nrt__cc_cfg.shm ? "shm" : "tcp;ofi_rxm");
            return;
        }
        wire_member_t w;
        fill_wire(m, &w);
        if (W.is_root) {
            w.proc = 0;
            w.family = AF_UNSPEC;
            W.wire[m->gid] = w;
        } else if (root_fd >= 0) {
            send_msg(root_fd, M_REG, &w, sizeof w);
        }
    }
    nrt__mutex_unlock(&W.lock);
}

static void *control_main(void *arg)
{
    (void)arg;
    int lfd = -1, rfd = -1;
    uint64_t last_try = 0;
    bool warned = false;
    conn_t me = {.fd = -1};
    if (W.is_root)
        register_new(-1);
    while (!atomic_load(&W.stop)) {
        int st = atomic_load(&W.state);
        if (st == W_FAILED)
            break;
        uint64_t now = nrt__now_ns();
        if (W.is_root && lfd < 0 && st == W_JOINING && now - last_try > 200000000ull) {
            last_try = now;
            lfd = listen_root();
            atomic_store(&W.lfd, lfd);
            if (lfd < 0 && !warned) {
                warned = true;
                LOG_WARN("collectives: cannot listen on NEURON_RT_ROOT_COMM_ID %s (%s); retrying", nrt__cc_cfg.root,
                         strerror(errno));
            }
            nrt__mutex_lock(&W.lock);
            if (lfd >= 0 && wire_filled() == W.count && atomic_load(&W.state) == W_JOINING)
                root_send_table(); /* every member is ours after all */
            nrt__mutex_unlock(&W.lock);
        }
        if (!W.is_root && rfd < 0 && st == W_JOINING && now - last_try > 100000000ull) {
            last_try = now;
            rfd = connect_root();
            atomic_store(&W.rfd, rfd);
            if (rfd >= 0) {
                struct sockaddr_storage ss;
                socklen_t sl = sizeof ss;
                if (getsockname(rfd, (struct sockaddr *)&ss, &sl) == 0) {
                    nrt__mutex_lock(&W.lock);
                    set_bind_ip(&ss);
                    nrt__mutex_unlock(&W.lock);
                }
                me.fd = rfd;
                me.have = 0;
                register_new(rfd);
            }
        }
        struct pollfd pf[MAX_CONNS + 3];
        nfds_t n = 0;
        pf[n++] = (struct pollfd){.fd = W.wake_fd, .events = POLLIN};
        if (lfd >= 0)
            pf[n++] = (struct pollfd){.fd = lfd, .events = POLLIN};
        if (rfd >= 0)
            pf[n++] = (struct pollfd){.fd = rfd, .events = POLLIN};
        nfds_t first_conn = n;
        for (uint32_t i = 0; i < nconns; i++)
            pf[n++] = (struct pollfd){.fd = conns[i] ? conns[i]->fd : -1, .events = POLLIN};
        int r = poll(pf, n, 100);
        if (r < 0 && errno != EINTR)
            break;
        if (pf[0].revents & POLLIN) {
            uint64_t v;
            (void)!read(W.wake_fd, &v, 8);
            if (W.is_root) {
                register_new(-1);
                nrt__mutex_lock(&W.lock);
                if (atomic_load(&W.state) == W_JOINING && wire_filled() == W.count && lfd >= 0)
                    root_send_table();
                nrt__mutex_unlock(&W.lock);
            } else if (rfd >= 0) {
                register_new(rfd);
            }
        }
        nfds_t k = 1;
        if (lfd >= 0 && (pf[k++].revents & POLLIN)) {
            struct sockaddr_storage ss;
            socklen_t sl = sizeof ss;
            int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
            if (fd >= 0) {
                conn_t *c = calloc(1, sizeof *c);
                if (!c || nconns >= MAX_CONNS) {
                    free(c);
                    close(fd);
                } else {
                    int one = 1;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    c->fd = fd;
                    c->peer = ss;
                    conns[nconns++] = c;
                }
            }
        }
        if (rfd >= 0 && pf[k++].revents) {
            nrt__mutex_lock(&W.lock);
            bool ok = conn_read(&me, worker_handle);
            nrt__mutex_unlock(&W.lock);
            if (!ok) {
                close(rfd);
                rfd = me.fd = -1;
                if (atomic_load(&W.state) == W_READY) {
                    for (uint32_t g = 0; g < W.count; g++)
                        if (W.wire[g].proc == 0 && W.peers[g].vnc < 0)
                            mark_gone(g, "is gone: the connection to the root process ended");
                } else if (atomic_load(&W.state) == W_JOINING) {
                    world_fail("the root at %s closed the connection before the world was complete",
                               nrt__cc_cfg.root);
                }
            }
        }
        for (uint32_t i = 0; i < nconns; i++, k++) {
            if (!conns[i] || conns[i]->fd < 0 || !(pf[first_conn + i].revents))
                continue;
            nrt__mutex_lock(&W.lock);
            bool ok = conn_read(conns[i], root_handle);
            if (!ok)
                root_conn_lost(i);
            nrt__mutex_unlock(&W.lock);
        }
    }
    atomic_store(&W.rfd, -1);
    atomic_store(&W.lfd, -1);
    if (rfd >= 0) {
        send_msg(rfd, M_BYE, NULL, 0);
        close(rfd);
    }
    if (lfd >= 0)
        close(lfd);
    for (uint32_t i = 0; i < nconns; i++) {
        if (conns[i] && conns[i]->fd >= 0)
            close(conns[i]->fd);
        free(conns[i]);
        conns[i] = NULL;
    }
    nconns = 0;
    return NULL;
}

/* Starts the rendezvous (the world lock held). */
static NRT_STATUS start_control(void)
{
    if (W.thr_started)
        return NRT_SUCCESS;
    if (!resolve_root(nrt__cc_cfg.root, &W.root_addr, &W.root_len)) {
        world_fail("NEURON_RT_ROOT_COMM_ID=%s is not <ipv4>:<port>, [<ipv6>]:<port> or <hostname>:<port> "
                   "(or the host name does not resolve)", nrt__cc_cfg.root);
        return NRT_INVALID;
    }
    W.is_root = W.known[0];
    W.multi = true;
    if (W.is_root)
        set_bind_ip(&W.root_addr);
    W.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    atomic_store(&W.stop, false);
    if (W.wake_fd < 0 || pthread_create(&W.thr, NULL, control_main, NULL) != 0) {
        world_fail("cannot start the collectives control thread");
        return NRT_RESOURCE;
    }
    W.thr_started = true;
    LOG_INFO("collectives: rendezvous through %s (%s)", nrt__cc_cfg.root,
             W.is_root ? "this process is the root" : "connecting to the root");
    return NRT_SUCCESS;
}

NRT_STATUS nrt__cc_world_wait(const nrt__cc_run_t *run)
{
    int st = atomic_load_explicit(&W.state, memory_order_acquire);
    if (NRT__LIKELY(st == W_READY))
        return NRT_SUCCESS;
    if (st == W_JOINING) {
        nrt__mutex_lock(&W.lock);
        NRT_STATUS s = atomic_load(&W.state) == W_JOINING ? start_control() : NRT_SUCCESS;
        nrt__mutex_unlock(&W.lock);
        if (s != NRT_SUCCESS)
            return NRT_EXEC_HW_ERR_COLLECTIVES;
    }
    uint64_t last = 0, t0 = nrt__now_ns();
    for (unsigned i = 0;; i++) {
        st = atomic_load_explicit(&W.state, memory_order_acquire);
        if (st == W_READY)
            return NRT_SUCCESS;
        if (st == W_FAILED) {
            LOG_ERROR("core %u: collective cannot run: %s", run->m->vnc, W.fail_msg);
            return NRT_EXEC_HW_ERR_COLLECTIVES;
        }
        if (nrt__cc_cancelled(run))
            return NRT_TIMEOUT;
        if (nrt__cc_warn_due(&last)) {
            char missing[256] = "";
            size_t o = 0;
            nrt__mutex_lock(&W.lock);
            for (uint32_t g = 0; g < W.count && o + 12 < sizeof missing; g++)
                if (!W.known[g])
                    o += (size_t)snprintf(missing + o, sizeof missing - o, "%s%u", o ? "," : "", g);
            nrt__mutex_unlock(&W.lock);
            LOG_WARN("core %u (global id %u): waiting %.1f s for the collectives world of %u through %s; %s%s", run->m->vnc,
                     run->m->gid, (double)(nrt__now_ns() - t0) / 1e9, W.count, nrt__cc_cfg.root,
                     W.is_root ? "missing global ids: " : "not yet received the member table from the root",
                     W.is_root ? missing : "");
        }
        if (i < 100)
            nrt__cpu_relax();
        else
            nanosleep(&(struct timespec){0, 500000}, NULL);
    }
}

NRT_STATUS nrt__cc_ring_ready(nrt__cc_member_t *m)
{
    if (atomic_load(&m->failed))
        return NRT_EXEC_HW_ERR_COLLECTIVES;
    if (NRT__LIKELY(atomic_load_explicit(&W.eps_ready, memory_order_acquire)))
        return NRT_SUCCESS;
    /* A world of one process running the ring (a setting chose it): open
     * every local member's endpoint now and address them on loopback. */
    NRT_STATUS st = NRT_SUCCESS;
    nrt__mutex_lock(&W.lock);
    if (!W.bind_ip[0])
        snprintf(W.bind_ip, sizeof W.bind_ip, "127.0.0.1");
    for (uint32_t v = 0; v < NRT__MAX_CORES && st == NRT_SUCCESS; v++) {
        nrt__cc_member_t *x = W.members[v];
        if (!x || x->ep)
            continue;
        st = open_ep(x);
        if (st == NRT_SUCCESS) {
            wire_member_t w;
            fill_wire(x, &w);
            W.wire[x->gid] = w;
            W.peers[x->gid].port = w.port;
        }
    }
    if (st == NRT_SUCCESS)
        atomic_store_explicit(&W.eps_ready, true, memory_order_release);
    nrt__mutex_unlock(&W.lock);
    if (st != NRT_SUCCESS)
        LOG_ERROR("core %u: cannot open the collectives endpoint (%s)", m->vnc, nrt_get_status_as_str(st));
    return st;
}

NRT_STATUS nrt__cc_peer_name(nrt__net_ep_t *ep, uint32_t gid, void *buf, size_t *len)
{
    const nrt__cc_peer_t *p = &W.peers[gid];
    if (nrt__net_ep_kind(ep) == NRT__NET_SHM) {
        if (!W.wire[gid].name_len)
            return NRT_FAILURE;
        memcpy(buf, W.wire[gid].name, W.wire[gid].name_len);
        *len = W.wire[gid].name_len;
        return NRT_SUCCESS;
    }
    size_t n = nrt__net_tcp_addr(ep, &p->ip, p->port, buf);
    if (!n)
        return NRT_FAILURE;
    *len = n;
    return NRT_SUCCESS;
}

nrt__cc_group_t *nrt__cc_group_get(const uint32_t *gids, uint32_t n, uint64_t hash)
{
    nrt__mutex_lock(&W.lock);
    nrt__cc_group_t *g;
    for (g = W.groups; g; g = g->next)
        if (g->hash == hash && g->n == n && !memcmp(g->gids, gids, n * sizeof *gids))
            break;
    if (!g) {
        g = aligned_alloc(NRT__CACHELINE, (sizeof *g + NRT__CACHELINE - 1) / NRT__CACHELINE * NRT__CACHELINE);
        if (g) {
            memset(g, 0, sizeof *g);
            g->gids = malloc(n * sizeof *gids);
            g->slots = aligned_alloc(NRT__CACHELINE, n * sizeof *g->slots);
            g->next_seq = calloc(n, sizeof *g->next_seq);
            if (!g->gids || !g->slots || !g->next_seq) {
                free(g->gids), free(g->slots), free((void *)g->next_seq), free(g);
                g = NULL;
            } else {
                memcpy(g->gids, gids, n * sizeof *gids);
                memset(g->slots, 0, n * sizeof *g->slots);
                g->n = n;
                g->hash = hash;
                g->all_local = true;
                for (uint32_t i = 0; i < n; i++)
                    g->all_local &= W.peers[gids[i]].vnc >= 0;
                for (uint32_t i = 0; i < n; i++)
                    atomic_init(&g->next_seq[i], 1);
                g->next = W.groups;
                W.groups = g;
            }
        }
    }
    nrt__mutex_unlock(&W.lock);
    return g;
}

void nrt__cc_world_describe(char *buf, size_t cap)
{
    snprintf(buf, cap, "world of %u (%u cores of this process), state %s, %s, transport %s, root %s", W.count,
             W.nlocal, state_name(atomic_load(&W.state)), W.multi ? "several processes" : "one process",
             nrt__cc_cfg.shm ? "shm" : "tcp;ofi_rxm", nrt__cc_cfg.root);
}

void nrt__cc_close_all(void)
{
    if (W.thr_started) {
        atomic_store(&W.stop, true);
        (void)!write(W.wake_fd, &(uint64_t){1}, 8);
        pthread_join(W.thr, NULL);
        W.thr_started = false;
    }
    if (W.wake_fd >= 0)
        close(W.wake_fd);
    W.wake_fd = -1;
    for (uint32_t v = 0; v < NRT__MAX_CORES; v++) {
        nrt__cc_member_t *m = W.members[v];
        if (!m)
            continue;
        if (m->ep)
            nrt__net_ep_close(m->ep);
        free(m->addr);
        free(m->addr_ok);
        free(m->scratch);
        free(m);
        W.members[v] = NULL;
    }
    while (W.groups) {
        nrt__cc_group_t *g = W.groups;
        W.groups = g->next;
        free(g->gids);
        free(g->slots);
        free((void *)g->next_seq);
        free(g);
    }
    free(W.peers), free(W.wire), free(W.known), free((void *)W.gone);
    W.peers = NULL, W.wire = NULL, W.known = NULL, W.gone = NULL;
    W.count = W.nlocal = 0;
    W.multi = W.is_root = false;
    W.bind_ip[0] = 0;
    atomic_store(&W.eps_ready, false);
    atomic_store(&W.state, W_NONE);
    W.fail_msg[0] = 0;
}

void nrt__cc_after_fork(void)
{
    /* The parent's control thread does not exist here, and its sockets and
     * endpoints are the parent's: forget them all (their memory is left
     * behind), so that nrt_init in the child starts a world of its own.
     * Our copies of the control sockets are closed: kept open, they would
     * hold the parent's connections up after the parent died, and its
     * peers would never learn it is gone. (The libfabric endpoints' own
     * sockets stay: libfabric gives no way to close them here.) */
    for (uint32_t i = 0; i < nconns; i++)
        if (conns[i] && conns[i]->fd >= 0)
            close(conns[i]->fd);
    int fds[] = {atomic_load(&W.lfd), atomic_load(&W.rfd), W.wake_fd};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    atomic_store(&W.lfd, -1);
    atomic_store(&W.rfd, -1);
    nrt__mutex_init(&W.lock);
    memset(W.members, 0, sizeof W.members);
    W.peers = NULL, W.wire = NULL, W.known = NULL, W.gone = NULL, W.groups = NULL;
    W.count = W.nlocal = 0;
    W.thr_started = false;
    W.wake_fd = -1;
    W.multi = W.is_root = false;
    W.bind_ip[0] = 0;
    atomic_store(&W.eps_ready, false);
    atomic_store(&W.state, W_NONE);
    memset(conns, 0, sizeof conns);
    nconns = 0;
    nrt__cc_direct_after_fork();
}

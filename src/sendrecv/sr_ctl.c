/*
 * src/sendrecv/sr_ctl.c - the send/recv control plane: one thread per
 * process, one epoll set.
 *
 * Rendezvous. One process per host serves the bootstrap port
 * (NEURON_RT_ASYNC_SENDRECV_BOOTSTRAP_PORT): the one that binds the
 * abstract Unix socket "@opennrt-sr-<port>" (abstract names live in the
 * network namespace and vanish with their owner, so a namespace is a
 * host). It keeps the table lnc -> (process listener port, pid); other
 * processes register each of their cores over that Unix socket and keep the
 * connection open: when it ends, the owner drops their entries; when the
 * owner dies, the others elect a new one and register again.
 *
 * Handshake. A connector asks peer_ip:bootstrap for the peer lnc's
 * process port (LOOKUP, retried until the connect timeout: connect before
 * accept works), then sends HELLO to that process; the acceptor matches it
 * to its oldest pending accept of (peer ip, peer lnc, lnc), picks the path
 * (local, shm or tcp) and answers WELCOME. The TCP connection then stays
 * open for the life of the two communicators: its end (the peer died,
 * closed the core, or keep-alive gave up) fails their pending requests.
 *
 * Locking: ctl.lock guards everything here; the thread holds it while it
 * handles events and releases it in epoll_wait. Lock order: sr_lock (api)
 * -> ctl.lock -> core->lock. Cores are only touched with ctl.lock held, and
 * a core is freed only after nrt__sr_ctl_unregister took ctl.lock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sendrecv/sr.h"

#define CTL_MAGIC 0x4e52534fu /* "OSRN" */
#define CTL_VERSION 1
#define CTL_MAX_CONNS 1024
#define CTL_RETRY_NS 20000000ull /* 20 ms between connection attempts */

enum {
    M_REG = 1,
    M_REG_OK,
    M_REG_TAKEN,
    M_LOOKUP,
    M_LOOKUP_REPLY,
    M_HELLO,
    M_WELCOME,
    M_REJECT,
};

typedef struct ctl_msg {
    uint32_t magic;
    uint16_t version;
    uint16_t type;
    int32_t lnc;      /* REG / LOOKUP: the core; HELLO: the sender's core */
    int32_t to_lnc;   /* HELLO: the receiver's core */
    int32_t pid;
    uint16_t port;    /* REG / LOOKUP_REPLY: the process listener's port */
    uint16_t tcp_port;/* HELLO / WELCOME: the fabric TCP endpoint's port (0: none) */
    uint32_t comm_id;
    uint8_t want;     /* HELLO: nrt__sr_want_t */
    uint8_t path;     /* WELCOME: nrt__sr_path_t */
    uint8_t pad[2];
    uint8_t host[16];
    char shm[NRT__NET_ADDR_MAX]; /* HELLO / WELCOME: shm endpoint name ("" none) */
    char text[160];              /* REJECT / REG_TAKEN: why */
} ctl_msg_t;

typedef enum {
    C_FREE = 0,
    C_UNIX_LISTEN, /* owner: registrations */
    C_REG_PEER,    /* owner: one registered core of another process */
    C_REG_CLIENT,  /* our registration of |lnc| with the owner */
    C_BOOT_LISTEN, /* owner: the bootstrap port */
    C_BOOT_PEER,   /* owner: a LOOKUP */
    C_PROC_LISTEN, /* our process listener */
    C_HELLO_IN,    /* a connector; HELLO read (parked) or awaited */
    C_LOOKUP_OUT,  /* connector: asking the peer host */
    C_HELLO_OUT,   /* connector: HELLO sent, awaiting WELCOME */
    C_COMM,        /* an established communicator's control connection */
} conn_kind_t;

typedef struct conn {
    conn_kind_t kind;
    uint32_t gen;
    int fd;
    int lnc;                  /* REG_PEER / REG_CLIENT */
    uint16_t port;            /* REG_PEER: the registrant's listener */
    int pid;                  /* REG_PEER */
    nrt__sr_comm_t *comm;     /* a reference: LOOKUP_OUT, HELLO_OUT, COMM */
    bool connected, sent;
    bool have_hello;          /* HELLO_IN: msg holds it */
    uint64_t since_ns;
    struct sockaddr_storage peer; /* the remote address */
    ctl_msg_t msg;
    size_t rx;
} conn_t;

/* A send communicator waiting for its next attempt. */
typedef struct pending_comm {
    nrt__sr_comm_t *comm; /* a reference */
    uint64_t at_ns;
    uint16_t port;        /* from LOOKUP (0: look up first) */
    int pid;
    uint8_t host[16];
    struct pending_comm *next;
} pending_comm_t;

static struct {
    nrt__mutex_t lock;
    bool started;
    pthread_t thread;
    _Atomic bool stop;
    int epfd, wake_fd;
    uint16_t boot_port;
    uint8_t host[16];
    bool owner;
    struct reg_entry {
        int lnc, pid;
        uint16_t port;
        uint32_t conn; /* C_REG_PEER index, or UINT32_MAX: our own */
    } table[NRT__MAX_CORES * 8];
    uint32_t ntable;
    int proc_port;
    uint64_t our_lncs;      /* registered (or to re-register) by this process */
    uint64_t reregister;    /* lost their owner: register again */
    uint64_t rereg_at_ns;
    conn_t *conns[CTL_MAX_CONNS];
    uint32_t conn_gen;
    pending_comm_t *waiting;
    uint64_t order;
} ctl = {.lock = NRT__MUTEX_INITIALIZER, .epfd = -1, .wake_fd = -1};

/*===------------------------------------------------------------------===*/
/* Host identity                                                          */
/*===------------------------------------------------------------------===*/

static void host_id(uint8_t out[16])
{
    memset(out, 0, 16);
    char boot[64] = "";
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
    if (f) {
        if (!fgets(boot, sizeof(boot), f))
            boot[0] = 0;
        fclose(f);
    }
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const char *p = boot; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    struct stat st;
    uint64_t ns = stat("/proc/self/ns/net", &st) == 0 ? (uint64_t)st.st_ino : 0;
    memcpy(out, &h, 8);
    memcpy(out + 8, &ns, 8);
}

bool nrt__sr_same_host_id(const uint8_t id[16])
{
    return memcmp(id, ctl.host, 16) == 0;
}

/*===------------------------------------------------------------------===*/
/* Connections                                                            */
/*===------------------------------------------------------------------===*/

static void msg_init(ctl_msg_t *m, uint16_t type)
{
    memset(m, 0, sizeof(*m));
    m->magic = CTL_MAGIC;
    m->version = CTL_VERSION;
    m->type = type;
    m->pid = (int32_t)getpid();
}

static conn_t *conn_add(int fd, conn_kind_t kind, uint32_t events)
{
    uint32_t i;
    for (i = 0; i < CTL_MAX_CONNS && ctl.conns[i]; i++)
        ;
    if (i == CTL_MAX_CONNS) {
        LOG_ERROR("nrt_async_sendrecv: more than %d control connections", CTL_MAX_CONNS);
        close(fd);
        return NULL;
    }
    conn_t *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return NULL;
    }
    c->kind = kind;
    c->fd = fd;
    c->gen = ++ctl.conn_gen;
    c->since_ns = nrt__now_ns();
    struct epoll_event ev = {.events = events, .data.u64 = ((uint64_t)c->gen << 32) | i};
    if (epoll_ctl(ctl.epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        LOG_ERROR("nrt_async_sendrecv: epoll_ctl: %s", strerror(errno));
        close(fd);
        free(c);
        return NULL;
    }
    ctl.conns[i] = c;
    return c;
}

static void conn_events(conn_t *c, uint32_t events)
{
    for (uint32_t i = 0; i < CTL_MAX_CONNS; i++)
        if (ctl.conns[i] == c) {
            struct epoll_event ev = {.events = events, .data.u64 = ((uint64_t)c->gen << 32) | i};
            epoll_ctl(ctl.epfd, EPOLL_CTL_MOD, c->fd, &ev);
        }
}

static void conn_close(conn_t *c)
{
    for (uint32_t i = 0; i < CTL_MAX_CONNS; i++)
        if (ctl.conns[i] == c)
            ctl.conns[i] = NULL;
    epoll_ctl(ctl.epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    if (c->comm)
        nrt__obj_release(c->comm);
    free(c);
}

static int sock_nb(int family, int type)
{
    return socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

static void unix_name(struct sockaddr_un *a, socklen_t *len)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "opennrt-sr-%u", ctl.boot_port);
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

/* Reads into c->msg; true once a whole message is there. Sets *eof. */
static bool conn_read(conn_t *c, bool *eof)
{
    *eof = false;
    while (c->rx < sizeof(c->msg)) {
        ssize_t n = recv(c->fd, (char *)&c->msg + c->rx, sizeof(c->msg) - c->rx, 0);
        if (n > 0) {
            c->rx += (size_t)n;
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            *eof = true;
            return false;
        }
        if (errno != EINTR)
            return false;
    }
    c->rx = 0;
    if (c->msg.magic != CTL_MAGIC || c->msg.version != CTL_VERSION) {
        *eof = true;
        return false;
    }
    return true;
}

/* Small messages on a fresh connection go out whole or not at all. */
static bool conn_send(int fd, const ctl_msg_t *m)
{
    return send(fd, m, sizeof(*m), MSG_NOSIGNAL) == (ssize_t)sizeof(*m);
}

static void keepalive(int fd)
{
    int one = 1, idle = 1, cnt = (int)(nrt__sr_cfg.peer_timeout_ms / 500 + 1);
    int intvl = 1;
    unsigned int user_to = (unsigned int)nrt__sr_cfg.peer_timeout_ms;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_to, sizeof(user_to));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* A TCP listener on the wildcard address, dual-stack when IPv6 exists. */
static int tcp_listen(uint16_t port, uint16_t *bound)
{
    int fd = sock_nb(AF_INET6, SOCK_STREAM);
    int one = 1, zero = 0;
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
        struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = in6addr_any};
        if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 128) != 0) {
            close(fd);
            fd = -1;
        }
    }
    if (fd < 0) {
        fd = sock_nb(AF_INET, SOCK_STREAM);
        if (fd < 0)
            return -1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
        if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 128) != 0) {
            close(fd);
            return -1;
        }
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                            : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

/* The IPv4 form of a v4-mapped address; other addresses unchanged. */
static void ip_normalize(struct sockaddr_storage *ss)
{
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
        struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = v6->sin6_port};
        memcpy(&v4.sin_addr, &v6->sin6_addr.s6_addr[12], 4);
        memset(ss, 0, sizeof(*ss));
        memcpy(ss, &v4, sizeof(v4));
    }
}

static bool ip_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

static int tcp_connect(const struct sockaddr_storage *ip, uint16_t port)
{
    struct sockaddr_storage a = *ip;
    socklen_t len;
    if (a.ss_family == AF_INET) {
        ((struct sockaddr_in *)&a)->sin_port = htons(port);
        len = sizeof(struct sockaddr_in);
    } else {
        ((struct sockaddr_in6 *)&a)->sin6_port = htons(port);
        len = sizeof(struct sockaddr_in6);
    }
    int fd = sock_nb(a.ss_family, SOCK_STREAM);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&a, len) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

static void wake_ctl(void)
{
    uint64_t one = 1;
    ssize_t r = write(ctl.wake_fd, &one, sizeof(one));
    (void)r;
}

/*===------------------------------------------------------------------===*/
/* Rendezvous: owner election and registration                            */
/*===------------------------------------------------------------------===*/

static void table_drop_conn(uint32_t conn_index)
{
    for (uint32_t i = 0; i < ctl.ntable;)
        if (ctl.table[i].conn == conn_index)
            ctl.table[i] = ctl.table[--ctl.ntable];
        else
            i++;
}

static struct reg_entry *table_find(int lnc)
{
    for (uint32_t i = 0; i < ctl.ntable; i++)
        if (ctl.table[i].lnc == lnc)
            return &ctl.table[i];
    return NULL;
}

static bool table_add(int lnc, int pid, uint16_t port, uint32_t conn)
{
    struct reg_entry *e = table_find(lnc);
    if (e) {
        /* A stale entry of a process that died without its socket noticed. */
        if (e->pid != pid && (kill(e->pid, 0) == 0 || errno != ESRCH))
            return false;
        *e = (struct reg_entry){lnc, pid, port, conn};
        return true;
    }
    if (ctl.ntable == sizeof(ctl.table) / sizeof(ctl.table[0]))
        return false;
    ctl.table[ctl.ntable++] = (struct reg_entry){lnc, pid, port, conn};
    return true;
}

/* Tries to become this host's rendezvous owner. */
static bool try_own(void)
{
    int u = sock_nb(AF_UNIX, SOCK_STREAM);
    if (u < 0)
        return false;
    struct sockaddr_un a;
    socklen_t len;
    unix_name(&a, &len);
    if (bind(u, (struct sockaddr *)&a, len) != 0 || listen(u, 128) != 0) {
        close(u);
        return false;
    }
    uint16_t bound;
    int t = tcp_listen(ctl.boot_port, &bound);
    if (t < 0) {
        LOG_ERROR("nrt_async_sendrecv: cannot listen on the bootstrap port %u (NEURON_RT_ASYNC_SENDRECV_BOOTSTRAP_PORT): "
                  "%s; peers on other hosts cannot reach this one",
                  ctl.boot_port, strerror(errno));
    } else {
        conn_add(t, C_BOOT_LISTEN, EPOLLIN);
    }
    conn_add(u, C_UNIX_LISTEN, EPOLLIN);
    ctl.owner = true;
    ctl.ntable = 0;
    LOG_INFO("nrt_async_sendrecv: this process serves the host's rendezvous on port %u", ctl.boot_port);
    return true;
}

/* Registers |lnc| (ctl.lock held). NRT_FAILURE: another live process has
 * it; NRT_QUEUE_FULL: no owner reachable right now (retry). */
static NRT_STATUS register_lnc(int lnc)
{
    if (ctl.owner)
        return table_add(lnc, (int)getpid(), (uint16_t)ctl.proc_port, UINT32_MAX) ? NRT_SUCCESS : NRT_FAILURE;
    int u = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (u < 0)
        return NRT_QUEUE_FULL;
    struct sockaddr_un a;
    socklen_t len;
    unix_name(&a, &len);
    if (connect(u, (struct sockaddr *)&a, len) != 0) {
        close(u);
        return try_own() ? register_lnc(lnc) : NRT_QUEUE_FULL;
    }
    struct timeval tv = {.tv_sec = 2};
    setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ctl_msg_t m;
    msg_init(&m, M_REG);
    m.lnc = lnc;
    m.port = (uint16_t)ctl.proc_port;
    ctl_msg_t r;
    if (!conn_send(u, &m) || recv(u, &r, sizeof(r), MSG_WAITALL) != (ssize_t)sizeof(r) || r.magic != CTL_MAGIC) {
        close(u);
        return NRT_QUEUE_FULL;
    }
    if (r.type != M_REG_OK) {
        close(u);
        LOG_ERROR("nrt_async_sendrecv_init: lnc %d is already served by process %d on this host", lnc, r.pid);
        return NRT_FAILURE;
    }
    fcntl(u, F_SETFL, fcntl(u, F_GETFL) | O_NONBLOCK);
    conn_t *c = conn_add(u, C_REG_CLIENT, EPOLLIN | EPOLLRDHUP);
    if (!c)
        return NRT_QUEUE_FULL;
    c->lnc = lnc;
    return NRT_SUCCESS;
}

static void unregister_lnc(int lnc)
{
    if (ctl.owner) {
        for (uint32_t i = 0; i < ctl.ntable; i++)
            if (ctl.table[i].lnc == lnc && ctl.table[i].conn == UINT32_MAX) {
                ctl.table[i] = ctl.table[--ctl.ntable];
                break;
            }
    }
    for (uint32_t i = 0; i < CTL_MAX_CONNS; i++) {
        conn_t *c = ctl.conns[i];
        if (c && c->kind == C_REG_CLIENT && c->lnc == lnc)
            conn_close(c);
    }
    ctl.our_lncs &= ~(1ull << lnc);
    ctl.reregister &= ~(1ull << lnc);
}

static void reregister_due(void)
{
    if (!ctl.reregister || nrt__now_ns() < ctl.rereg_at_ns)
        return;
    for (int lnc = 0; lnc < 64; lnc++) {
        if (!(ctl.reregister & (1ull << lnc)))
            continue;
        NRT_STATUS st = register_lnc(lnc);
        if (st == NRT_SUCCESS) {
            ctl.reregister &= ~(1ull << lnc);
        } else if (st == NRT_FAILURE) {
            LOG_ERROR("nrt_async_sendrecv: lnc %d could not register again with the new rendezvous owner", lnc);
            ctl.reregister &= ~(1ull << lnc);
        }
    }
    ctl.rereg_at_ns = nrt__now_ns() + CTL_RETRY_NS;
}

/*===------------------------------------------------------------------===*/
/* Handshake                                                              */
/*===------------------------------------------------------------------===*/

static void comm_fail_ctl(nrt__sr_comm_t *comm, NRT_STATUS st, const char *why)
{
    nrt__sr_comm_fail(comm, st, why);
}

/* The numeric local address of connection |fd| (v4-mapped made IPv4). */
static bool local_ip(int fd, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
        return false;
    ip_normalize(&ss);
    const void *a = ss.ss_family == AF_INET ? (const void *)&((struct sockaddr_in *)&ss)->sin_addr
                                            : (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
    return inet_ntop(ss.ss_family, a, out, (socklen_t)cap) != NULL;
}

/* Sets up the data path of |comm| for |path| with the peer's names. */
static NRT_STATUS data_path(nrt__sr_comm_t *comm, nrt__sr_path_t path, const struct sockaddr_storage *peer_ip,
                            uint16_t tcp_port, const char *shm, uint32_t peer_comm_id, int peer_lnc_core,
                            nrt__net_ep_t *tcp_ep)
{
    comm->path = path;
    comm->peer_id = peer_comm_id;
    if (path == NRT__SR_LOCAL) {
        nrt__sr_core_t *pc = nrt__sr_core_get(peer_lnc_core);
        nrt__sr_comm_t *peer = NULL;
        if (pc) {
            nrt__mutex_lock(&pc->lock);
            peer = pc->comms[peer_comm_id & 0x3ff];
            if (peer && peer->id == peer_comm_id)
                nrt__obj_retain(peer);
            else
                peer = NULL;
            nrt__mutex_unlock(&pc->lock);
        }
        if (!peer)
            return NRT_FAILURE;
        comm->local_peer = peer;
        return NRT_SUCCESS;
    }
    nrt__net_ep_t *ep = path == NRT__SR_SHM ? nrt__sr_core_ep(comm->core, NRT__NET_SHM) : tcp_ep;
    if (!ep)
        return NRT_FAILURE;
    if (path == NRT__SR_SHM) {
        snprintf(comm->peer_shm, sizeof(comm->peer_shm), "%s", shm);
        if (nrt__net_av_insert(ep, shm, &comm->peer_addr) != NRT_SUCCESS)
            return NRT_FAILURE;
    } else {
        struct sockaddr_storage a, pip = *peer_ip;
        ip_normalize(&pip);
        if (!nrt__net_tcp_addr(ep, &pip, tcp_port, &a))
            return NRT_FAILURE;
        if (nrt__net_av_insert(ep, &a, &comm->peer_addr) != NRT_SUCCESS)
            return NRT_FAILURE;
    }
    comm->ep = ep;
    return NRT_SUCCESS;
}

/* Fills the fabric names of |comm| in |m| for the paths |want| allows;
 * the TCP endpoint is the one bound to connection |fd|'s local address. */
static void hello_names(nrt__sr_comm_t *comm, ctl_msg_t *m, bool same_host, int fd)
{
    nrt__sr_core_t *core = comm->core;
    nrt__sr_want_t want = nrt__sr_cfg.want;
    char ip[64];
    if (want != NRT__SR_WANT_SHM && local_ip(fd, ip, sizeof(ip))) {
        nrt__net_ep_t *t = nrt__sr_core_tcp_ep(core, ip);
        if (t)
            m->tcp_port = nrt__net_tcp_port(t);
    }
    if (same_host && want == NRT__SR_WANT_SHM) {
        nrt__net_ep_t *s = nrt__sr_core_ep(core, NRT__NET_SHM);
        size_t len = sizeof(m->shm) - 1;
        if (s && nrt__net_ep_name(s, m->shm, &len) == NRT_SUCCESS)
            m->shm[len] = 0;
        else
            m->shm[0] = 0;
    }
}

static void send_reject(int fd, const char *why)
{
    ctl_msg_t r;
    msg_init(&r, M_REJECT);
    snprintf(r.text, sizeof(r.text), "%s", why);
    conn_send(fd, &r);
}

/* Matches the HELLO parked on |c| to a pending accept; true when done. */
static bool try_match(conn_t *c)
{
    ctl_msg_t *h = &c->msg;
    nrt__sr_core_t *core = nrt__sr_core_get(h->to_lnc);
    bool local_hello = nrt__sr_same_host_id(h->host) && h->pid == (int32_t)getpid() &&
                       nrt__sr_cfg.want == NRT__SR_WANT_AUTO && h->want == NRT__SR_WANT_AUTO;
    if (!core || (!local_hello && !atomic_load_explicit(&core->eps_ready, memory_order_acquire)))
        return false; /* stays parked: retried when the core is ready or an accept arrives */
    nrt__sr_comm_t *best = NULL;
    nrt__mutex_lock(&core->lock);
    for (uint32_t i = 0; i < NRT__SR_MAX_COMMS; i++) {
        nrt__sr_comm_t *a = core->comms[i];
        if (!a || a->is_send || a->matched || a->peer_lnc != h->lnc ||
            atomic_load(&a->state) != NRT__SR_CONNECTING)
            continue;
        struct sockaddr_storage want = a->peer_sa;
        ip_normalize(&want);
        if (!ip_equal(&want, &c->peer))
            continue;
        if (!best || a->order < best->order)
            best = a;
    }
    if (best) {
        best->matched = true;
        nrt__obj_retain(best);
    }
    nrt__mutex_unlock(&core->lock);
    if (!best)
        return false;

    bool same_host = nrt__sr_same_host_id(h->host);
    bool same_proc = same_host && h->pid == (int32_t)getpid();
    nrt__sr_want_t want = nrt__sr_cfg.want;
    if (h->want != NRT__SR_WANT_AUTO)
        want = (nrt__sr_want_t)h->want;
    nrt__sr_path_t path;
    if (same_proc && want == NRT__SR_WANT_AUTO)
        path = NRT__SR_LOCAL;
    else if (same_host && want == NRT__SR_WANT_SHM && h->shm[0] && nrt__sr_core_ep(core, NRT__NET_SHM))
        path = NRT__SR_SHM;
    else if (same_host && want == NRT__SR_WANT_SHM && atomic_load(&core->shm_blocked))
        path = NRT__SR_SHM; /* refused below */
    else
        path = NRT__SR_TCP;
    const char *why = NULL;
    if (path == NRT__SR_SHM && atomic_load(&core->shm_blocked))
        why = "this core's shm endpoint was blocked by a peer that died; close and init send/recv of the core again";
    else if (want == NRT__SR_WANT_SHM && path != NRT__SR_SHM)
        why = same_host ? "the shm provider is not available" : "OPENNRT_SR_TRANSPORT=shm, but the peer is on another host";
    else if (path == NRT__SR_TCP && !h->tcp_port)
        why = "the peer has no TCP endpoint (FI_PROVIDER?)";
    h->shm[sizeof(h->shm) - 1] = 0;
    nrt__net_ep_t *tcp_ep = NULL;
    char ip[64];
    if (!why && path == NRT__SR_TCP && (!local_ip(c->fd, ip, sizeof(ip)) || !(tcp_ep = nrt__sr_core_tcp_ep(core, ip))))
        why = "no TCP endpoint for the address the peer reached";
    if (!why && data_path(best, path, &c->peer, h->tcp_port, h->shm, h->comm_id, h->lnc, tcp_ep) != NRT_SUCCESS)
        why = "the data path could not be set up";
    if (why) {
        send_reject(c->fd, why);
        comm_fail_ctl(best, NRT_FAILURE, why);
        nrt__obj_release(best);
        conn_close(c);
        return true;
    }
    ctl_msg_t w;
    msg_init(&w, M_WELCOME);
    w.comm_id = best->id;
    w.path = (uint8_t)path;
    memcpy(w.host, ctl.host, 16);
    if (path == NRT__SR_TCP)
        w.tcp_port = nrt__net_tcp_port(best->ep);
    if (path == NRT__SR_SHM) {
        size_t len = sizeof(w.shm) - 1;
        if (nrt__net_ep_name(best->ep, w.shm, &len) == NRT_SUCCESS)
            w.shm[len] = 0;
    }
    best->peer_pid = h->pid;
    if (!conn_send(c->fd, &w)) {
        comm_fail_ctl(best, NRT_FAILURE, "the peer went away during the handshake");
        nrt__obj_release(best);
        conn_close(c);
        return true;
    }
    keepalive(c->fd);
    c->kind = C_COMM;
    c->comm = best; /* the retain above */
    conn_events(c, EPOLLIN | EPOLLRDHUP);
    nrt__sr_comm_connected(best);
    return true;
}

static void try_match_all(void)
{
    for (uint32_t i = 0; i < CTL_MAX_CONNS; i++) {
        conn_t *c = ctl.conns[i];
        if (c && c->kind == C_HELLO_IN && c->have_hello)
            try_match(c);
    }
}

/* True while an older send communicator of the same core to the same peer
 * is still connecting: HELLOs of one pair go out one at a time, in the
 * order of the connects, so that the acceptor pairs them with its accepts
 * in order (first come, first matched). */
static bool older_connecting(const nrt__sr_comm_t *comm)
{
    nrt__sr_core_t *core = comm->core;
    struct sockaddr_storage a = comm->peer_sa;
    ip_normalize(&a);
    bool older = false;
    nrt__mutex_lock(&core->lock);
    for (uint32_t i = 0; i < NRT__SR_MAX_COMMS && !older; i++) {
        const nrt__sr_comm_t *c = core->comms[i];
        if (!c || c == comm || !c->is_send || c->order >= comm->order || c->peer_lnc != comm->peer_lnc ||
            atomic_load(&c->state) != NRT__SR_CONNECTING)
            continue;
        struct sockaddr_storage b = c->peer_sa;
        ip_normalize(&b);
        older = ip_equal(&a, &b);
    }
    nrt__mutex_unlock(&core->lock);
    return older;
}

/* Starts the next attempt of a waiting connector. */
static void attempt(pending_comm_t *p)
{
    nrt__sr_comm_t *comm = p->comm;
    bool local = nrt__sr_same_host_id(p->host) && p->pid == (int)getpid() && nrt__sr_cfg.want == NRT__SR_WANT_AUTO;
    if (p->port && ((!local && !atomic_load_explicit(&comm->core->eps_ready, memory_order_acquire)) ||
                    older_connecting(comm))) {
        p->at_ns = nrt__now_ns() + 1000000; /* its turn comes after the older one's */
        p->next = ctl.waiting;
        ctl.waiting = p;
        return;
    }
    int fd = tcp_connect(&comm->peer_sa, p->port ? p->port : ctl.boot_port);
    conn_t *c = fd < 0 ? NULL : conn_add(fd, p->port ? C_HELLO_OUT : C_LOOKUP_OUT, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
    if (!c) {
        p->at_ns = nrt__now_ns() + CTL_RETRY_NS;
        p->next = ctl.waiting;
        ctl.waiting = p;
        return;
    }
    c->comm = comm; /* the pending entry's reference moves to the conn */
    c->pid = p->pid;
    memcpy(c->msg.host, p->host, 16);
    free(p);
}

static void retry_later(nrt__sr_comm_t *comm, uint16_t port, int pid, const uint8_t *host)
{
    pending_comm_t *p = calloc(1, sizeof(*p));
    if (!p) {
        comm_fail_ctl(comm, NRT_RESOURCE, "out of memory");
        nrt__obj_release(comm);
        return;
    }
    nrt__obj_retain(comm);
    p->comm = comm;
    p->port = port;
    p->pid = pid;
    if (host)
        memcpy(p->host, host, 16);
    p->at_ns = nrt__now_ns() + (port ? 0 : CTL_RETRY_NS);
    p->next = ctl.waiting;
    ctl.waiting = p;
}

static void run_waiting(uint64_t now)
{
    pending_comm_t **pp = &ctl.waiting;
    while (*pp) {
        pending_comm_t *p = *pp;
        int s = atomic_load(&p->comm->state);
        if (s == NRT__SR_FAILED) {
            *pp = p->next;
            nrt__obj_release(p->comm);
            free(p);
            continue;
        }
        if (now > p->comm->deadline_ns) {
            *pp = p->next;
            char why[96];
            snprintf(why, sizeof(why), "no connection within %llu ms (OPENNRT_SR_CONNECT_TIMEOUT_MS)",
                     (unsigned long long)(nrt__sr_cfg.connect_timeout_ns / 1000000u));
            comm_fail_ctl(p->comm, NRT_TIMEOUT, why);
            nrt__obj_release(p->comm);
            free(p);
            continue;
        }
        if (p->at_ns <= now) {
            *pp = p->next;
            attempt(p);
            continue;
        }
        pp = &p->next;
    }
}

/* The connector's side of a connection event. */
static void out_event(conn_t *c, uint32_t events)
{
    nrt__sr_comm_t *comm = c->comm;
    if (atomic_load(&comm->state) == NRT__SR_FAILED) {
        conn_close(c);
        return;
    }
    if (!c->sent && (events & EPOLLOUT)) {
        int err = 0;
        socklen_t el = sizeof(err);
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err) {
            nrt__obj_retain(comm);
            retry_later(comm, 0, 0, NULL);
            nrt__obj_release(comm);
            conn_close(c);
            return;
        }
        ctl_msg_t m;
        if (c->kind == C_LOOKUP_OUT) {
            msg_init(&m, M_LOOKUP);
            m.lnc = comm->peer_lnc;
        } else {
            bool same_host = nrt__sr_same_host_id(c->msg.host);
            bool local = same_host && c->pid == (int)getpid() && nrt__sr_cfg.want == NRT__SR_WANT_AUTO;
            msg_init(&m, M_HELLO);
            m.lnc = comm->core->lnc;
            m.to_lnc = comm->peer_lnc;
            m.comm_id = comm->id;
            m.want = (uint8_t)nrt__sr_cfg.want;
            memcpy(m.host, ctl.host, 16);
            if (!local) /* cores of one process need no endpoint (and must not wait for one) */
                hello_names(comm, &m, same_host, c->fd);
        }
        if (!conn_send(c->fd, &m)) {
            nrt__obj_retain(comm);
            retry_later(comm, 0, 0, NULL);
            nrt__obj_release(comm);
            conn_close(c);
            return;
        }
        c->sent = true;
        conn_events(c, EPOLLIN | EPOLLRDHUP);
        return;
    }
    bool eof;
    if (!conn_read(c, &eof)) {
        if (eof) {
            nrt__obj_retain(comm);
            retry_later(comm, 0, 0, NULL);
            nrt__obj_release(comm);
            conn_close(c);
        }
        return;
    }
    ctl_msg_t *m = &c->msg;
    if (c->kind == C_LOOKUP_OUT) {
        if (m->type == M_LOOKUP_REPLY && m->port) {
            nrt__obj_retain(comm);
            retry_later(comm, m->port, m->pid, m->host);
            nrt__obj_release(comm);
        } else {
            nrt__obj_retain(comm);
            retry_later(comm, 0, 0, NULL);
            nrt__obj_release(comm);
        }
        conn_close(c);
        return;
    }
    if (m->type == M_REJECT) {
        m->text[sizeof(m->text) - 1] = 0;
        comm_fail_ctl(comm, NRT_FAILURE, m->text);
        conn_close(c);
        return;
    }
    if (m->type != M_WELCOME) {
        conn_close(c);
        return;
    }
    m->shm[sizeof(m->shm) - 1] = 0;
    comm->peer_pid = m->pid;
    char lip[64];
    nrt__net_ep_t *tcp_ep = m->path == NRT__SR_TCP && local_ip(c->fd, lip, sizeof(lip)) ? nrt__sr_core_tcp_ep(comm->core, lip) : NULL;
    if (data_path(comm, (nrt__sr_path_t)m->path, &comm->peer_sa, m->tcp_port, m->shm, m->comm_id, comm->peer_lnc,
                  tcp_ep) != NRT_SUCCESS) {
        comm_fail_ctl(comm, NRT_FAILURE, "the data path could not be set up");
        conn_close(c);
        return;
    }
    keepalive(c->fd);
    c->kind = C_COMM;
    conn_events(c, EPOLLIN | EPOLLRDHUP);
    nrt__sr_comm_connected(comm);
}

/*===------------------------------------------------------------------===*/
/* Events                                                                 */
/*===------------------------------------------------------------------===*/

static void accept_all(conn_t *l, conn_kind_t kind)
{
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        conn_t *c = conn_add(fd, kind, EPOLLIN | EPOLLRDHUP);
        if (c) {
            ip_normalize(&ss);
            c->peer = ss;
        }
    }
}

/* True when process |pid| of this host is gone (or a zombie: its parent
 * has not reaped it yet, but it will never run again). */
static bool pid_dead(int pid)
{
    if (pid <= 0)
        return false;
    if (kill(pid, 0) != 0 && errno == ESRCH)
        return true;
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOENT;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *rp = strrchr(buf, ')');
    return rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X');
}

/* Ends the control connections of communicators the data plane failed
 * (their peers must learn it too) and releases them. */
static void drop_victims(nrt__sr_comm_t **victims, int n)
{
    for (int v = 0; v < n; v++) {
        for (uint32_t i = 0; i < CTL_MAX_CONNS; i++)
            if (ctl.conns[i] && ctl.conns[i]->comm == victims[v] && ctl.conns[i]->kind == C_COMM)
                shutdown(ctl.conns[i]->fd, SHUT_RDWR);
        nrt__obj_release(victims[v]);
    }
}

/* What a dead shm peer leaves: its region (the provider does not remove
 * it) and, for a receiver of ours, a blocked endpoint. |lnc|: our core. */
static void shm_peer_dead(int lnc, bool we_send, int pid, const char *peer_shm)
{
    nrt__sr_core_t *core = nrt__sr_core_get(lnc);
    if (core)
        atomic_store_explicit(&core->shm_peer_died, true, memory_order_relaxed); /* the stuck watch */
    if (we_send && core) {
        nrt__sr_comm_t *victims[NRT__SR_MAX_COMMS];
        drop_victims(victims, nrt__sr_core_retire_shm(core, pid, victims));
    }
    char path[NRT__NET_ADDR_MAX + 16];
    if (nrt__net_shm_region_path(peer_shm, path, sizeof(path)) && unlink(path) == 0)
        LOG_INFO("nrt_async_sendrecv: removed %s left by the dead process %d", path, pid);
}

/* Peers whose connection ended while their process was still exiting (a
 * process closes its sockets before it is gone): looked at again. */
#define WATCH_MAX 64
static struct watch {
    int pid, lnc;
    bool we_send;
    uint64_t until_ns;
    char shm[NRT__NET_ADDR_MAX];
} watches[WATCH_MAX];
static int nwatches;

static void watch_due(void)
{
    uint64_t now = nrt__now_ns();
    for (int i = 0; i < nwatches;) {
        struct watch *w = &watches[i];
        if (pid_dead(w->pid))
            shm_peer_dead(w->lnc, w->we_send, w->pid, w->shm);
        else if (now < w->until_ns) {
            i++;
            continue;
        }
        watches[i] = watches[--nwatches];
    }
}

static void peer_gone(conn_t *c)
{
    nrt__sr_comm_t *comm = c->comm;
    if (comm && atomic_load(&comm->state) != NRT__SR_FAILED) {
        char why[160];
        bool dead = comm->path != NRT__SR_TCP && pid_dead(comm->peer_pid);
        snprintf(why, sizeof(why), "the connection to the peer (process %d) ended%s", comm->peer_pid,
                 dead ? ": the process is gone" : "");
        nrt__sr_comm_fail(comm, NRT_FAILURE, why);
    }
    if (comm && comm->path == NRT__SR_SHM) {
        if (pid_dead(comm->peer_pid)) {
            shm_peer_dead(comm->core->lnc, comm->is_send, comm->peer_pid, comm->peer_shm);
        } else if (nwatches < WATCH_MAX && comm->peer_pid > 0) {
            struct watch *w = &watches[nwatches++];
            *w = (struct watch){.pid = comm->peer_pid, .lnc = comm->core->lnc, .we_send = comm->is_send,
                                .until_ns = nrt__now_ns() + 10000000000ull};
            snprintf(w->shm, sizeof(w->shm), "%s", comm->peer_shm);
        }
    }
    conn_close(c);
}

static void handle(conn_t *c, uint32_t index, uint32_t events)
{
    bool eof = false;
    switch (c->kind) {
    case C_UNIX_LISTEN:
        accept_all(c, C_REG_PEER);
        return;
    case C_BOOT_LISTEN:
        accept_all(c, C_BOOT_PEER);
        return;
    case C_PROC_LISTEN:
        accept_all(c, C_HELLO_IN);
        return;
    case C_REG_PEER:
        if (conn_read(c, &eof)) {
            ctl_msg_t r;
            if (c->msg.type == M_REG) {
                bool ok = table_add(c->msg.lnc, c->msg.pid, c->msg.port, index);
                msg_init(&r, ok ? M_REG_OK : M_REG_TAKEN);
                if (!ok) {
                    struct reg_entry *e = table_find(c->msg.lnc);
                    r.pid = e ? e->pid : 0;
                }
                conn_send(c->fd, &r);
            }
            return;
        }
        if (eof) {
            table_drop_conn(index);
            conn_close(c);
        }
        return;
    case C_BOOT_PEER:
        if (conn_read(c, &eof)) {
            if (c->msg.type == M_LOOKUP) {
                ctl_msg_t r;
                msg_init(&r, M_LOOKUP_REPLY);
                struct reg_entry *e = table_find(c->msg.lnc);
                r.lnc = c->msg.lnc;
                if (e) {
                    r.port = e->port;
                    r.pid = e->pid;
                }
                memcpy(r.host, ctl.host, 16);
                conn_send(c->fd, &r);
            }
            conn_close(c);
            return;
        }
        if (eof)
            conn_close(c);
        return;
    case C_REG_CLIENT:
        /* The owner never writes after REG_OK: readable means it is gone. */
        LOG_INFO("nrt_async_sendrecv: the host's rendezvous owner went away; registering lnc %d again", c->lnc);
        ctl.reregister |= 1ull << c->lnc;
        ctl.rereg_at_ns = 0;
        conn_close(c);
        reregister_due();
        return;
    case C_HELLO_IN:
        if (!c->have_hello) {
            if (conn_read(c, &eof)) {
                if (c->msg.type != M_HELLO) {
                    conn_close(c);
                    return;
                }
                c->have_hello = true;
                if (!try_match(c))
                    conn_events(c, EPOLLRDHUP); /* parked until an accept arrives */
                return;
            }
            if (eof)
                conn_close(c);
            return;
        }
        if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            conn_close(c); /* the connector gave up while parked */
        return;
    case C_LOOKUP_OUT:
    case C_HELLO_OUT:
        out_event(c, events);
        return;
    case C_COMM: {
        char b[64];
        ssize_t n = recv(c->fd, b, sizeof(b), 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) || (events & (EPOLLHUP | EPOLLERR)))
            peer_gone(c);
        return;
    }
    default:
        return;
    }
}

static void *ctl_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "nrt-sr-ctl");
    struct epoll_event evs[32];
    for (;;) {
        nrt__mutex_lock(&ctl.lock);
        uint64_t now = nrt__now_ns();
        run_waiting(now);
        reregister_due();
        watch_due();
        int timeout = ctl.waiting || ctl.reregister || nwatches ? 10 : -1;
        for (int lnc = 0; lnc < 64; lnc++) {
            nrt__sr_core_t *core = (ctl.our_lncs & (1ull << lnc)) ? nrt__sr_core_get(lnc) : NULL;
            if (!core)
                continue;
            if (atomic_load_explicit(&core->any_graced, memory_order_acquire)) {
                nrt__sr_sweep_graced(core);
                timeout = timeout < 0 || timeout > 100 ? 100 : timeout;
            }
            /* A progress thread caught inside the provider after a shm peer
             * died (sr_data.c): looked at while the core has work. */
            if (atomic_load_explicit(&core->shm_peer_died, memory_order_relaxed) &&
                !atomic_load_explicit(&core->stuck, memory_order_relaxed)) {
                nrt__sr_comm_t *victims[NRT__SR_MAX_COMMS];
                drop_victims(victims, nrt__sr_core_check_stuck(core, now, victims));
                if (atomic_load_explicit(&core->active, memory_order_relaxed) > 0 ||
                    atomic_load_explicit(&core->prov_since_ns, memory_order_relaxed))
                    timeout = timeout < 0 || timeout > 500 ? 500 : timeout;
            }
        }
        /* Connecting comms also time out here (test_comm need not poll). */
        for (uint32_t i = 0; i < CTL_MAX_CONNS; i++) {
            conn_t *c = ctl.conns[i];
            if (!c)
                continue;
            if ((c->kind == C_LOOKUP_OUT || c->kind == C_HELLO_OUT)) {
                timeout = 10;
                if (now > c->comm->deadline_ns) {
                    char why[96];
                    snprintf(why, sizeof(why), "no connection within %llu ms (OPENNRT_SR_CONNECT_TIMEOUT_MS)",
                             (unsigned long long)(nrt__sr_cfg.connect_timeout_ns / 1000000u));
                    comm_fail_ctl(c->comm, NRT_TIMEOUT, why);
                    conn_close(c);
                }
            } else if (c->kind == C_HELLO_IN && now - c->since_ns > nrt__sr_cfg.connect_timeout_ns + 1000000000ull) {
                conn_close(c); /* never matched */
            } else if (c->kind == C_HELLO_IN) {
                timeout = timeout < 0 || timeout > 20 ? 20 : timeout;
            }
        }
        nrt__mutex_unlock(&ctl.lock);
        if (atomic_load(&ctl.stop))
            break;
        int n = epoll_wait(ctl.epfd, evs, 32, timeout);
        if (atomic_load(&ctl.stop))
            break;
        nrt__mutex_lock(&ctl.lock);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.u64 == UINT64_MAX) {
                uint64_t v;
                ssize_t r = read(ctl.wake_fd, &v, sizeof(v));
                (void)r;
                continue;
            }
            uint32_t idx = (uint32_t)evs[i].data.u64, gen = (uint32_t)(evs[i].data.u64 >> 32);
            conn_t *c = idx < CTL_MAX_CONNS ? ctl.conns[idx] : NULL;
            if (c && c->gen == gen)
                handle(c, idx, evs[i].events);
        }
        try_match_all();
        nrt__mutex_unlock(&ctl.lock);
    }
    return NULL;
}

/*===------------------------------------------------------------------===*/
/* Entry points                                                           */
/*===------------------------------------------------------------------===*/

static NRT_STATUS ctl_start(void)
{
    if (ctl.started)
        return NRT_SUCCESS;
    ctl.boot_port = nrt__sr_cfg.boot_port;
    host_id(ctl.host);
    ctl.epfd = epoll_create1(EPOLL_CLOEXEC);
    ctl.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (ctl.epfd < 0 || ctl.wake_fd < 0)
        goto fail;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
    if (epoll_ctl(ctl.epfd, EPOLL_CTL_ADD, ctl.wake_fd, &ev) != 0)
        goto fail;
    uint16_t port;
    int l = tcp_listen(0, &port);
    if (l < 0)
        goto fail;
    if (!conn_add(l, C_PROC_LISTEN, EPOLLIN))
        goto fail;
    ctl.proc_port = port;
    atomic_store(&ctl.stop, false);
    if (pthread_create(&ctl.thread, NULL, ctl_main, NULL) != 0)
        goto fail;
    ctl.started = true;
    return NRT_SUCCESS;
fail:
    LOG_ERROR("nrt_async_sendrecv_init: cannot start the control plane: %s", strerror(errno));
    for (uint32_t i = 0; i < CTL_MAX_CONNS; i++)
        if (ctl.conns[i])
            conn_close(ctl.conns[i]);
    if (ctl.epfd >= 0)
        close(ctl.epfd);
    if (ctl.wake_fd >= 0)
        close(ctl.wake_fd);
    ctl.epfd = ctl.wake_fd = -1;
    return NRT_FAILURE;
}

NRT_STATUS nrt__sr_ctl_register(nrt__sr_core_t *core)
{
    nrt__mutex_lock(&ctl.lock);
    NRT_STATUS st = ctl_start();
    if (st == NRT_SUCCESS) {
        if (ctl.boot_port != nrt__sr_cfg.boot_port)
            LOG_WARN("nrt_async_sendrecv_init: the bootstrap port stays %u for this process (now set to %u)",
                     ctl.boot_port, nrt__sr_cfg.boot_port);
        st = NRT_QUEUE_FULL;
        for (int tries = 0; tries < 100 && st == NRT_QUEUE_FULL; tries++) {
            st = register_lnc(core->lnc);
            if (st == NRT_QUEUE_FULL) {
                nrt__mutex_unlock(&ctl.lock);
                usleep(10000);
                nrt__mutex_lock(&ctl.lock);
            }
        }
        if (st == NRT_QUEUE_FULL) {
            LOG_ERROR("nrt_async_sendrecv_init: cannot reach or become this host's rendezvous for port %u",
                      ctl.boot_port);
            st = NRT_FAILURE;
        }
        if (st == NRT_SUCCESS)
            ctl.our_lncs |= 1ull << core->lnc;
    }
    nrt__mutex_unlock(&ctl.lock);
    if (st == NRT_SUCCESS)
        wake_ctl();
    return st;
}

void nrt__sr_ctl_unregister(nrt__sr_core_t *core)
{
    nrt__mutex_lock(&ctl.lock);
    if (!ctl.started) {
        nrt__mutex_unlock(&ctl.lock);
        return;
    }
    unregister_lnc(core->lnc);
    for (uint32_t i = 0; i < CTL_MAX_CONNS; i++) {
        conn_t *c = ctl.conns[i];
        if (c && c->comm && c->comm->core == core)
            conn_close(c);
    }
    pending_comm_t **pp = &ctl.waiting;
    while (*pp) {
        pending_comm_t *p = *pp;
        if (p->comm->core == core) {
            *pp = p->next;
            nrt__obj_release(p->comm);
            free(p);
        } else {
            pp = &p->next;
        }
    }
    nrt__mutex_unlock(&ctl.lock);
}

void nrt__sr_ctl_add_comm(nrt__sr_comm_t *comm)
{
    nrt__mutex_lock(&ctl.lock);
    if (comm->is_send) {
        retry_later(comm, 0, 0, NULL);
        ctl.waiting->at_ns = 0; /* first attempt at once */
    }
    nrt__mutex_unlock(&ctl.lock);
    wake_ctl();
}

void nrt__sr_ctl_shutdown(void)
{
    nrt__mutex_lock(&ctl.lock);
    bool started = ctl.started;
    ctl.started = false;
    nrt__mutex_unlock(&ctl.lock);
    if (!started)
        return;
    atomic_store(&ctl.stop, true);
    wake_ctl();
    pthread_join(ctl.thread, NULL);
    nrt__mutex_lock(&ctl.lock);
    for (uint32_t i = 0; i < CTL_MAX_CONNS; i++)
        if (ctl.conns[i])
            conn_close(ctl.conns[i]);
    while (ctl.waiting) {
        pending_comm_t *p = ctl.waiting;
        ctl.waiting = p->next;
        nrt__obj_release(p->comm);
        free(p);
    }
    close(ctl.epfd);
    close(ctl.wake_fd);
    ctl.epfd = ctl.wake_fd = -1;
    ctl.owner = false;
    ctl.ntable = 0;
    nwatches = 0;
    ctl.our_lncs = ctl.reregister = 0;
    nrt__mutex_unlock(&ctl.lock);
}

void nrt__sr_ctl_drop(nrt__sr_comm_t *comm)
{
    nrt__mutex_lock(&ctl.lock);
    for (uint32_t i = 0; i < CTL_MAX_CONNS; i++) {
        conn_t *c = ctl.conns[i];
        /* shutdown, not close: the thread sees the end and cleans up. */
        if (c && c->comm == comm && c->kind == C_COMM)
            shutdown(c->fd, SHUT_RDWR);
    }
    nrt__mutex_unlock(&ctl.lock);
}

void nrt__sr_ctl_wake(void)
{
    nrt__mutex_lock(&ctl.lock);
    if (ctl.started)
        wake_ctl();
    nrt__mutex_unlock(&ctl.lock);
}

/* fork() child: the control thread does not exist here and its sockets
 * are the parent's. Close our copies (kept open, they would hold the
 * parent's connections up after it died: its peers would never learn it is
 * gone, and the host's rendezvous would look served) and forget the rest
 * (memory left behind), so that the child can start a control plane of
 * its own after nrt_init. */
void nrt__sr_ctl_after_fork(void)
{
    for (int i = 0; i < CTL_MAX_CONNS; i++)
        if (ctl.conns[i] && ctl.conns[i]->fd >= 0)
            close(ctl.conns[i]->fd);
    if (ctl.epfd >= 0)
        close(ctl.epfd);
    if (ctl.wake_fd >= 0)
        close(ctl.wake_fd);
    nrt__mutex_init(&ctl.lock);
    memset(ctl.conns, 0, sizeof ctl.conns);
    ctl.started = false;
    ctl.owner = false;
    ctl.epfd = ctl.wake_fd = -1;
    ctl.ntable = 0;
    ctl.our_lncs = ctl.reregister = 0;
    ctl.waiting = NULL;
    nwatches = 0;
}

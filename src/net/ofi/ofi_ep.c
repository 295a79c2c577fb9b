/*
 * src/net/ofi/ofi_ep.c - endpoints, address vectors and posts.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "net/ofi/ofi.h"

nrt__net_kind_t nrt__net_ep_kind(const nrt__net_ep_t *ep)
{
    return ep->kind;
}

void nrt__ofi_op_link(nrt__net_ep_t *ep, nrt__net_op_t *op)
{
    op->ep = ep;
    nrt__mutex_lock(&ep->ops_lock);
    op->prev = NULL;
    op->next = ep->ops;
    if (ep->ops)
        ep->ops->prev = op;
    ep->ops = op;
    nrt__mutex_unlock(&ep->ops_lock);
}

void nrt__ofi_op_unlink(nrt__net_ep_t *ep, nrt__net_op_t *op)
{
    nrt__mutex_lock(&ep->ops_lock);
    if (op->prev)
        op->prev->next = op->next;
    else
        ep->ops = op->next;
    if (op->next)
        op->next->prev = op->prev;
    op->next = op->prev = NULL;
    nrt__mutex_unlock(&ep->ops_lock);
}

/* The shm regions of this process's endpoints, removed at exit when the
 * application never closed them (libfabric leaves them behind; a 16 MiB
 * file per endpoint in /dev/shm). A killed process cannot do this: its
 * peers remove its region when they notice (src/sendrecv/sr_ctl.c). */
#define SHM_REGIONS_MAX 64
static char shm_regions[SHM_REGIONS_MAX][NRT__NET_ADDR_MAX + 16];
static nrt__mutex_t shm_regions_lock = NRT__MUTEX_INITIALIZER;
static bool shm_atexit;

static void shm_regions_unlink(void)
{
    nrt__mutex_lock(&shm_regions_lock);
    for (int i = 0; i < SHM_REGIONS_MAX; i++)
        if (shm_regions[i][0])
            unlink(shm_regions[i]);
    nrt__mutex_unlock(&shm_regions_lock);
}

static void shm_region_track(const nrt__net_ep_t *ep, bool add)
{
    char path[sizeof(shm_regions[0])];
    if (ep->kind != NRT__NET_SHM || !nrt__net_shm_region_path(ep->name, path, sizeof(path)))
        return;
    nrt__mutex_lock(&shm_regions_lock);
    if (add && !shm_atexit)
        shm_atexit = atexit(shm_regions_unlink) == 0;
    for (int i = 0; i < SHM_REGIONS_MAX; i++) {
        if (add && !shm_regions[i][0]) {
            memcpy(shm_regions[i], path, sizeof(path));
            break;
        }
        if (!add && strcmp(shm_regions[i], path) == 0) {
            shm_regions[i][0] = 0;
            break;
        }
    }
    nrt__mutex_unlock(&shm_regions_lock);
}

NRT_STATUS nrt__net_ep_open(nrt__net_kind_t kind, nrt__net_ep_t **out)
{
    return nrt__net_ep_open_at(kind, NULL, out);
}

NRT_STATUS nrt__net_ep_open_at(nrt__net_kind_t kind, const char *bind_ip, nrt__net_ep_t **out)
{
    nrt__net_ep_t *ep = calloc(1, sizeof(*ep));
    if (!ep) {
        LOG_ERROR("out of memory for a network endpoint");
        return NRT_RESOURCE;
    }
    ep->kind = kind;
    if (bind_ip)
        snprintf(ep->bind_ip, sizeof(ep->bind_ip), "%s", bind_ip);
    ep->wait_fd = -1;
    nrt__mutex_init(&ep->ops_lock);
    NRT_STATUS st = nrt__ofi_open_domain(ep);
    if (st != NRT_SUCCESS)
        goto fail;
    st = nrt__ofi_cq_open(ep);
    if (st != NRT_SUCCESS)
        goto fail;
    struct fi_av_attr av_attr = {.type = FI_AV_TABLE};
    int ret = fi_av_open(ep->domain, &av_attr, &ep->av, NULL);
    if (ret) {
        st = nrt__ofi_fail("fi_av_open", ret);
        goto fail;
    }
    ret = fi_endpoint(ep->domain, ep->info, &ep->ep, NULL);
    if (ret) {
        st = nrt__ofi_fail("fi_endpoint", ret);
        goto fail;
    }
    if ((ret = fi_ep_bind(ep->ep, &ep->av->fid, 0)) || (ret = fi_ep_bind(ep->ep, &ep->cq->fid, FI_TRANSMIT | FI_RECV)) ||
        (ret = fi_enable(ep->ep))) {
        st = nrt__ofi_fail("endpoint setup", ret);
        goto fail;
    }
    ep->name_len = sizeof(ep->name);
    ret = fi_getname(&ep->ep->fid, ep->name, &ep->name_len);
    if (ret) {
        st = nrt__ofi_fail("fi_getname", ret);
        goto fail;
    }
    if (kind == NRT__NET_TCP) {
        const struct sockaddr *sa = (const struct sockaddr *)ep->name;
        ep->port = ntohs(sa->sa_family == AF_INET6 ? ((const struct sockaddr_in6 *)sa)->sin6_port
                                                   : ((const struct sockaddr_in *)sa)->sin_port);
        ep->ipv6 = sa->sa_family == AF_INET6;
    }
    ep->inject_max = ep->info->tx_attr->inject_size;
    ep->name[sizeof(ep->name) - 1] = 0;
    shm_region_track(ep, true);
    LOG_DEBUG("network endpoint %s open (port %u)", nrt__net_kind_name(kind), ep->port);
    *out = ep;
    return NRT_SUCCESS;
fail:
    nrt__net_ep_close(ep);
    return st;
}

void nrt__net_ep_close(nrt__net_ep_t *ep)
{
    if (!ep)
        return;
    if (ep->ep) {
        fi_close(&ep->ep->fid);
        shm_region_track(ep, false);
    }
    if (ep->av)
        fi_close(&ep->av->fid);
    if (ep->cq)
        fi_close(&ep->cq->fid);
    nrt__ofi_close_domain(ep);
    /* The provider is gone: end what it still held. */
    for (;;) {
        nrt__mutex_lock(&ep->ops_lock);
        nrt__net_op_t *op = ep->ops;
        nrt__mutex_unlock(&ep->ops_lock);
        if (!op)
            break;
        nrt__ofi_op_unlink(ep, op);
        op->done(op, NRT_FAILURE, 0);
    }
    nrt__mutex_destroy(&ep->ops_lock);
    free(ep);
}

NRT_STATUS nrt__net_ep_name(nrt__net_ep_t *ep, void *buf, size_t *len)
{
    if (*len < ep->name_len)
        return NRT_INVALID;
    memcpy(buf, ep->name, ep->name_len);
    *len = ep->name_len;
    return NRT_SUCCESS;
}

uint16_t nrt__net_tcp_port(const nrt__net_ep_t *ep)
{
    return ep->port;
}

bool nrt__net_tcp_is_ipv6(const nrt__net_ep_t *ep)
{
    return ep->ipv6;
}

size_t nrt__net_tcp_addr(const nrt__net_ep_t *ep, const struct sockaddr_storage *ip, uint16_t port,
                         struct sockaddr_storage *out)
{
    memset(out, 0, sizeof(*out));
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)ip;
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)ip;
    if (ep->ipv6) {
        struct sockaddr_in6 *o = (struct sockaddr_in6 *)out;
        o->sin6_family = AF_INET6;
        o->sin6_port = htons(port);
        if (ip->ss_family == AF_INET6) {
            o->sin6_addr = v6->sin6_addr;
            o->sin6_scope_id = v6->sin6_scope_id;
        } else {
            o->sin6_addr.s6_addr[10] = 0xff;
            o->sin6_addr.s6_addr[11] = 0xff;
            memcpy(&o->sin6_addr.s6_addr[12], &v4->sin_addr, 4);
        }
        return sizeof(*o);
    }
    struct sockaddr_in *o = (struct sockaddr_in *)out;
    o->sin_family = AF_INET;
    o->sin_port = htons(port);
    if (ip->ss_family == AF_INET) {
        o->sin_addr = v4->sin_addr;
    } else if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
        memcpy(&o->sin_addr, &v6->sin6_addr.s6_addr[12], 4);
    } else {
        return 0; /* an IPv6 peer and no IPv6 here */
    }
    return sizeof(*o);
}

NRT_STATUS nrt__net_av_insert(nrt__net_ep_t *ep, const void *name, nrt__net_addr_t *out)
{
    fi_addr_t a = FI_ADDR_NOTAVAIL;
    int n = fi_av_insert(ep->av, name, 1, &a, 0, NULL);
    if (n != 1 || a == FI_ADDR_NOTAVAIL)
        return nrt__ofi_fail("fi_av_insert", n < 0 ? n : -FI_EINVAL);
    *out = a;
    return NRT_SUCCESS;
}

void nrt__net_av_remove(nrt__net_ep_t *ep, nrt__net_addr_t addr)
{
    fi_addr_t a = addr;
    fi_av_remove(ep->av, &a, 1, 0);
}

NRT_STATUS nrt__net_post_send(nrt__net_ep_t *ep, nrt__net_addr_t dst, const void *buf, size_t len, uint64_t tag,
                              nrt__net_op_t *op)
{
    op->is_recv = false;
    op->tag = tag;
    nrt__ofi_op_link(ep, op);
    ssize_t ret = fi_tsend(ep->ep, buf, len, NULL, dst, tag, op);
    if (ret == 0)
        return NRT_SUCCESS;
    nrt__ofi_op_unlink(ep, op);
    if (ret == -FI_EAGAIN)
        return NRT_QUEUE_FULL;
    return nrt__ofi_fail("fi_tsend", (int)ret);
}

NRT_STATUS nrt__net_post_recv(nrt__net_ep_t *ep, void *buf, size_t len, uint64_t tag, uint64_t ignore,
                              nrt__net_op_t *op)
{
    op->is_recv = true;
    op->tag = tag;
    nrt__ofi_op_link(ep, op);
    ssize_t ret = fi_trecv(ep->ep, buf, len, NULL, FI_ADDR_UNSPEC, tag, ignore, op);
    if (ret == 0)
        return NRT_SUCCESS;
    nrt__ofi_op_unlink(ep, op);
    if (ret == -FI_EAGAIN)
        return NRT_QUEUE_FULL;
    return nrt__ofi_fail("fi_trecv", (int)ret);
}

NRT_STATUS nrt__net_inject(nrt__net_ep_t *ep, nrt__net_addr_t dst, const void *buf, size_t len, uint64_t tag)
{
    ssize_t ret = fi_tinject(ep->ep, buf, len, dst, tag);
    if (ret == 0)
        return NRT_SUCCESS;
    if (ret == -FI_EAGAIN)
        return NRT_QUEUE_FULL;
    return nrt__ofi_fail("fi_tinject", (int)ret);
}

size_t nrt__net_inject_max(const nrt__net_ep_t *ep)
{
    return ep->inject_max;
}

void nrt__net_cancel(nrt__net_ep_t *ep, nrt__net_op_t *op)
{
    fi_cancel(&ep->ep->fid, op);
}

bool nrt__net_shm_region_path(const void *name, char *path, size_t cap)
{
    /* libfabric 1.17's shm names are "fi_shm://<pid>:<n>:<n>" and its
     * region is /dev/shm/<the part after the prefix>. */
    static const char prefix[] = "fi_shm://";
    const char *s = name;
    if (strncmp(s, prefix, sizeof(prefix) - 1) != 0)
        return false;
    s += sizeof(prefix) - 1;
    if (!*s || strchr(s, '/'))
        return false;
    return (size_t)snprintf(path, cap, "/dev/shm/%s", s) < cap;
}

const char *nrt__net_tcp_bind_ip(const nrt__net_ep_t *ep)
{
    return ep->bind_ip;
}

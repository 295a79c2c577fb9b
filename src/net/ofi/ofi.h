/*
 * src/net/ofi/ofi.h - private header of the libfabric transport.
 *
 * One file per libfabric object, as libfabric's own providers are laid
 * out: ofi_fabric.c (fi_getinfo, fabric, domain), ofi_ep.c (endpoint,
 * address vector, posts), ofi_cq.c (completion queue and progress),
 * ofi_err.c (the one map from -FI_* codes to NRT_STATUS).
 */
#pragma once

#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_tagged.h>

#include "common/lock.h"
#include "net/net.h"

#define NRT__OFI_VERSION FI_VERSION(1, 17)

struct nrt__net_ep {
    nrt__net_kind_t kind;
    struct fi_info *info;
    struct fid_fabric *fabric;
    struct fid_domain *domain;
    struct fid_av *av;
    struct fid_cq *cq;
    struct fid_ep *ep;
    int wait_fd;        /* the CQ's, or -1 */
    bool ipv6;          /* TCP: an IPv6 endpoint */
    char bind_ip[64];   /* TCP: the address it is bound to ("" wildcard) */
    uint16_t port;      /* TCP: our port */
    size_t inject_max;
    char name[NRT__NET_ADDR_MAX];
    size_t name_len;
    /* Posted operations, so that close can end them (see net.h). */
    nrt__mutex_t ops_lock;
    nrt__net_op_t *ops;
};

/* ofi_fabric.c: fi_getinfo for |kind| (honouring FI_PROVIDER), then the
 * fabric and domain. */
NRT_STATUS nrt__ofi_open_domain(nrt__net_ep_t *ep);
void nrt__ofi_close_domain(nrt__net_ep_t *ep);

/* ofi_cq.c */
NRT_STATUS nrt__ofi_cq_open(nrt__net_ep_t *ep);

/* ofi_err.c: a libfabric return code (negative -FI_*) or CQ error (positive
 * FI_*) as an NRT_STATUS. */
NRT_STATUS nrt__ofi_status(int fi_err);

/* Logs one line for a failed libfabric call. */
NRT_STATUS nrt__ofi_fail(const char *what, int ret);

/* The posted-ops list (ofi_ep.c). */
void nrt__ofi_op_link(nrt__net_ep_t *ep, nrt__net_op_t *op);
void nrt__ofi_op_unlink(nrt__net_ep_t *ep, nrt__net_op_t *op);

/*
 * src/net/ofi/ofi_fabric.c - provider selection, fabric and domain.
 *
 * FI_PROVIDER (libfabric's own variable) can exclude a kind: the endpoint
 * then fails to open and the send/recv layer uses the other path. The
 * `net` provider of libfabric 1.17 is never asked for (it hangs under
 * aws-ofi-nccl, libfabric issue #8963): we name our providers exactly.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/common.h"
#include "net/ofi/ofi.h"

const char *nrt__net_kind_name(nrt__net_kind_t kind)
{
    return kind == NRT__NET_SHM ? "shm" : "tcp;ofi_rxm";
}

static struct fi_info *make_hints(nrt__net_kind_t kind)
{
    struct fi_info *h = fi_allocinfo();
    if (!h)
        return NULL;
    h->caps = FI_TAGGED | FI_SEND | FI_RECV;
    h->mode = FI_CONTEXT | FI_CONTEXT2;
    h->ep_attr->type = FI_EP_RDM;
    h->domain_attr->threading = FI_THREAD_SAFE;
    h->domain_attr->mr_mode = 0; /* host memory, no registration */
    h->tx_attr->msg_order = FI_ORDER_SAS;
    h->fabric_attr->prov_name = strdup(nrt__net_kind_name(kind));
    if (!h->fabric_attr->prov_name) {
        fi_freeinfo(h);
        return NULL;
    }
    return h;
}

static NRT_STATUS get_info(nrt__net_ep_t *ep)
{
    struct fi_info *hints = make_hints(ep->kind);
    if (!hints) {
        LOG_ERROR("out of memory for libfabric hints");
        return NRT_RESOURCE;
    }
    int ret;
    if (ep->kind == NRT__NET_TCP && ep->bind_ip[0]) {
        /* A concrete address: the name peers insert is then the endpoint's
         * own, which tcp;ofi_rxm needs to pair connections (with a wildcard
         * bind, two sides connecting at once could hang). */
        ret = fi_getinfo(NRT__OFI_VERSION, ep->bind_ip, "0", FI_SOURCE, hints, &ep->info);
    } else if (ep->kind == NRT__NET_TCP) {
        /* The wildcard address: dual-stack IPv6 when the kernel has it. */
        ret = fi_getinfo(NRT__OFI_VERSION, "::", "0", FI_SOURCE, hints, &ep->info);
        ep->ipv6 = ret == 0;
        if (ret != 0)
            ret = fi_getinfo(NRT__OFI_VERSION, "0.0.0.0", "0", FI_SOURCE, hints, &ep->info);
    } else {
        ret = fi_getinfo(NRT__OFI_VERSION, NULL, NULL, 0, hints, &ep->info);
    }
    fi_freeinfo(hints);
    if (ret != 0) {
        const char *forced = getenv("FI_PROVIDER");
        LOG_WARN("libfabric provider %s is not available%s%s%s: %s", nrt__net_kind_name(ep->kind),
                 forced ? " (FI_PROVIDER=" : "", forced ? forced : "", forced ? ")" : "", fi_strerror(-ret));
        ep->info = NULL;
        return NRT_FAILURE;
    }
    return NRT_SUCCESS;
}

NRT_STATUS nrt__ofi_open_domain(nrt__net_ep_t *ep)
{
    NRT_STATUS st = get_info(ep);
    if (st != NRT_SUCCESS)
        return st;
    int ret = fi_fabric(ep->info->fabric_attr, &ep->fabric, NULL);
    if (ret)
        return nrt__ofi_fail("fi_fabric", ret);
    ret = fi_domain(ep->fabric, ep->info, &ep->domain, NULL);
    if (ret)
        return nrt__ofi_fail("fi_domain", ret);
    return NRT_SUCCESS;
}

void nrt__ofi_close_domain(nrt__net_ep_t *ep)
{
    if (ep->domain)
        fi_close(&ep->domain->fid);
    if (ep->fabric)
        fi_close(&ep->fabric->fid);
    if (ep->info)
        fi_freeinfo(ep->info);
    ep->domain = NULL;
    ep->fabric = NULL;
    ep->info = NULL;
}

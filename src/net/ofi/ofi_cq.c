/*
 * src/net/ofi/ofi_cq.c - the completion queue and progress.
 *
 * libfabric 1.17's tcp;ofi_rxm and shm make progress only inside calls
 * such as fi_cq_read (FI_PROGRESS_MANUAL): nothing moves, connection
 * setup included, unless someone reads the queue. Error entries are read
 * with fi_cq_readerr, delivered once through the op's done callback.
 */
#include "common/common.h"
#include "net/ofi/ofi.h"

NRT_STATUS nrt__ofi_cq_open(nrt__net_ep_t *ep)
{
    struct fi_cq_attr attr = {
        .format = FI_CQ_FORMAT_TAGGED,
        .wait_obj = FI_WAIT_FD,
        .size = 1024,
    };
    int ret = fi_cq_open(ep->domain, &attr, &ep->cq, NULL);
    if (ret == -FI_ENOSYS || ret == -FI_EINVAL || ret == -FI_EOPNOTSUPP) {
        attr.wait_obj = FI_WAIT_NONE; /* shm: no wait object; sleep with a timeout */
        ret = fi_cq_open(ep->domain, &attr, &ep->cq, NULL);
    }
    if (ret)
        return nrt__ofi_fail("fi_cq_open", ret);
    ep->wait_fd = -1;
    if (attr.wait_obj == FI_WAIT_FD && fi_control(&ep->cq->fid, FI_GETWAIT, &ep->wait_fd) != 0)
        ep->wait_fd = -1;
    return NRT_SUCCESS;
}

int nrt__net_progress(nrt__net_ep_t *ep)
{
    struct fi_cq_tagged_entry e[16];
    int total = 0;
    for (;;) {
        ssize_t n = fi_cq_read(ep->cq, e, 16);
        if (n > 0) {
            for (ssize_t i = 0; i < n; i++) {
                nrt__net_op_t *op = e[i].op_context;
                nrt__ofi_op_unlink(ep, op);
                if (op->is_recv)
                    op->tag = e[i].tag;
                op->done(op, NRT_SUCCESS, e[i].len);
            }
            total += (int)n;
            if (n < 16)
                return total;
            continue;
        }
        if (n == -FI_EAVAIL) {
            struct fi_cq_err_entry err = {0};
            if (fi_cq_readerr(ep->cq, &err, 0) > 0 && err.op_context) {
                nrt__net_op_t *op = err.op_context;
                nrt__ofi_op_unlink(ep, op);
                if (err.err != FI_ECANCELED)
                    LOG_DEBUG("libfabric %s completion error: %s", op->is_recv ? "receive" : "send",
                              fi_strerror(err.err));
                /* A truncated receive wrote len bytes, never more than posted. */
                op->done(op, nrt__ofi_status(err.err),
                         err.err == FI_ETRUNC ? err.len - (err.olen < err.len ? err.olen : 0) : 0);
                total++;
                continue;
            }
            return total;
        }
        if (n != -FI_EAGAIN)
            LOG_DEBUG("fi_cq_read: %s", fi_strerror((int)-n));
        return total;
    }
}

int nrt__net_wait_fd(const nrt__net_ep_t *ep)
{
    return ep->wait_fd;
}

bool nrt__net_trywait(nrt__net_ep_t *ep)
{
    if (ep->wait_fd < 0)
        return false;
    struct fid *f = &ep->cq->fid;
    return fi_trywait(ep->fabric, &f, 1) == FI_SUCCESS;
}

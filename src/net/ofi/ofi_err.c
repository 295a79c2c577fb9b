/*
 * src/net/ofi/ofi_err.c - libfabric error codes as NRT_STATUS: the one
 * place where -FI_* codes are interpreted.
 */
#include <stdlib.h>

#include "common/common.h"
#include "net/ofi/ofi.h"

NRT_STATUS nrt__ofi_status(int fi_err)
{
    int e = abs(fi_err);
    switch (e) {
    case 0:
        return NRT_SUCCESS;
    case FI_EAGAIN:
        return NRT_QUEUE_FULL; /* out of provider resources: retry */
    case FI_ETIMEDOUT:
        return NRT_TIMEOUT;
    case FI_ENOMEM:
    case FI_ENOSPC:
    case FI_ETOOSMALL:
        return NRT_RESOURCE;
    case FI_EINVAL:
    case FI_EMSGSIZE:
        return NRT_INVALID;
    case FI_ENOSYS:
    case FI_EOPNOTSUPP:
    case FI_ENODATA:
        return NRT_INVALID;
    default:
        /* FI_ETRUNC, FI_ECANCELED, FI_ECONNREFUSED, FI_ECONNRESET,
         * FI_EIO, FI_ENOTCONN, FI_EHOSTUNREACH, ...: the transfer failed. */
        return NRT_FAILURE;
    }
}

NRT_STATUS nrt__ofi_fail(const char *what, int ret)
{
    LOG_ERROR("libfabric %s failed: %s (%d)", what, fi_strerror(abs(ret)), ret);
    return nrt__ofi_status(ret) == NRT_QUEUE_FULL ? NRT_FAILURE : nrt__ofi_status(ret);
}

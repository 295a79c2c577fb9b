/*
 * src/xu/op_exec.c - the model execution op (COMPUTE unit).
 *
 * The op holds a reference to the model and to the storage of every input
 * and output. Up to EXEC_INLINE tensors live in the op's inline payload (no
 * allocation); a model with more tensors gets one block for its bindings.
 * The kernel runs through the device seam; with OPENNRT_NAN_CHECK, float
 * outputs holding NaN/Inf complete with NRT_EXEC_COMPLETED_WITH_NUM_ERR.
 */
#include <stdlib.h>
#include <string.h>

#include "core/compat.h"
#include "dev/dev.h"
#include "model/model.h"
#include "tensor/tensor.h"
#include "xu/xu.h"

#define EXEC_INLINE 10

typedef struct exec_payload {
    nrt_model_t *model; /* retained */
    uint32_t n;
    void **block; /* NULL: bindings are inline */
    nrt__storage_t *sts[EXEC_INLINE];
    void *ptrs[EXEC_INLINE];
} exec_payload_t;
NRT__OP_PAYLOAD_FITS(exec_payload_t);

static nrt__storage_t **bound_sts(exec_payload_t *p)
{
    return p->block ? (nrt__storage_t **)p->block : p->sts;
}

static void **bound_ptrs(exec_payload_t *p)
{
    return p->block ? p->block + p->n : p->ptrs;
}

static bool is_bad_float(const void *ptr, size_t n, nrt_dtype_t dt)
{
    if (dt == NRT_DTYPE_FLOAT32 || dt == NRT_DTYPE_FP32R) {
        const uint32_t *w = ptr;
        for (size_t i = 0; i < n / 4; i++)
            if ((w[i] & 0x7f800000u) == 0x7f800000u)
                return true;
    } else if (dt == NRT_DTYPE_FLOAT16) {
        const uint16_t *h = ptr;
        for (size_t i = 0; i < n / 2; i++)
            if ((h[i] & 0x7c00u) == 0x7c00u)
                return true;
    } else if (dt == NRT_DTYPE_BFLOAT16) {
        const uint16_t *h = ptr;
        for (size_t i = 0; i < n / 2; i++)
            if ((h[i] & 0x7f80u) == 0x7f80u)
                return true;
    }
    return false;
}

static NRT_STATUS run_exec(nrt__op_t *op, nrt__queue_t *q, uint64_t pos)
{
    exec_payload_t *p = NRT__OP_PAYLOAD_OF(op, exec_payload_t);
    nrt_model_t *m = p->model;
    const nrt_kernel_descriptor_t *d = m->desc;
    void **ptrs = bound_ptrs(p);
    nrt_kernel_args_t args = {
        .state = m->state,
        .inputs = (const void *const *)ptrs,
        .outputs = ptrs + d->num_inputs,
        .lnc = q->lnc,
    };
    NRT_STATUS st = nrt__dev()->execute(d, &args);
    if (st == NRT_SUCCESS && q->cfg.nan_check) {
        for (uint32_t i = 0; i < d->num_outputs; i++)
            if (is_bad_float(args.outputs[i], d->outputs[i].size, d->outputs[i].dtype)) {
                LOG_DEBUG("model '%s' output '%s' holds NaN/Inf", d->name, d->outputs[i].name);
                st = NRT_EXEC_COMPLETED_WITH_NUM_ERR;
                break;
            }
    }
    nrt__exec_completed(q->lnc, pos + 1, bound_sts(p) + d->num_inputs, d->num_outputs, st);
    return st;
}

static void release_exec(nrt__op_t *op)
{
    exec_payload_t *p = NRT__OP_PAYLOAD_OF(op, exec_payload_t);
    nrt__storage_t **sts = bound_sts(p);
    for (uint32_t i = 0; i < p->n; i++)
        nrt__storage_release(sts[i]);
    free(p->block);
    nrt__model_release(p->model);
}

static const nrt__op_vtbl_t exec_vtbl = {"execute", run_exec, release_exec, false, sizeof(exec_payload_t)};

NRT_STATUS nrt__op_exec_init(nrt__op_t *op, nrt_model_t *model, const nrt_tensor_set_t *input,
                             nrt_tensor_set_t *output, const char *func)
{
    exec_payload_t *p = NRT__OP_PAYLOAD_OF(op, exec_payload_t);
    uint32_t n = nrt__model_ntensors(model);
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < model->desc->num_inputs; i++)
        bytes += model->desc->inputs[i].size;
    p->model = model;
    p->n = n;
    p->block = NULL;
    if (n > EXEC_INLINE) {
        p->block = malloc(2 * (size_t)n * sizeof(void *));
        if (!p->block) {
            NRT__LOG(NRT__LOG_ERROR, "%s: out of host memory", func);
            return NRT_FAIL_HOST_MEM_ALLOC;
        }
    }
    NRT_STATUS st = nrt__model_bind(model, input, output, func, bound_sts(p), bound_ptrs(p));
    if (st != NRT_SUCCESS) {
        free(p->block);
        return st;
    }
    op->vtbl = &exec_vtbl;
    op->size = bytes;
    nrt__model_retain(model);
    return NRT_SUCCESS;
}

/*
 * src/model/model.c - nrt_load / nrt_unload and model queries.
 *
 * The object's bytes are checked (model_check.c) and handed to the device
 * seam, which loads them (the CPU backend: memfd + dlopen). The descriptor
 * is then validated and init() runs once per load. A model is a handle of
 * the object model: the user's handle and each queued execution hold a
 * reference; the object is finalized and unloaded when the last goes.
 */
#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "dev/dev.h"
#include "tensor/tensor.h"

#define CHECK_MODEL(m)                                                         \
    do {                                                                       \
        if (!nrt__model_check((m), __func__))                                  \
            return NRT_INVALID;                                                \
    } while (0)

static void model_destroy(nrt__obj_t *o)
{
    nrt_model_t *m = (nrt_model_t *)o;
    if (m->desc && m->desc->fini)
        m->desc->fini(m->state);
    nrt__dev()->model_close(m->dl);
}

const nrt__obj_type_t nrt__model_type = {
    NRT__OBJ_MODEL, "model", "unloaded", sizeof(nrt_model_t), model_destroy, false,
};

static int pick_core(void)
{
    uint32_t best = 0, best_n = UINT32_MAX;
    for (uint32_t i = 0; i < nrt__rt.cfg.num_cores; i++) {
        uint32_t n = atomic_load_explicit(&nrt__rt.cores[i].nmodels, memory_order_relaxed);
        if (n < best_n) {
            best = i;
            best_n = n;
        }
    }
    return (int)best;
}

static NRT_STATUS load_common(const void *neff_bytes, size_t size, int32_t vnc, int32_t vnc_count,
                              uint32_t ctx_id, uint32_t ctx_count, nrt_model_t **model, const char *func)
{
    char why[256];
    NRT_STATUS st = nrt__model_check_elf(neff_bytes, size, why, sizeof why);
    if (st != NRT_SUCCESS) {
        NRT__LOG(NRT__LOG_ERROR, "%s: %s", func, why);
        return st;
    }
    if (vnc != -1 && !nrt__core_check(vnc, func))
        return NRT_INVALID;
    if (vnc_count != -1 && vnc_count != 1) {
        NRT__LOG(NRT__LOG_ERROR, "%s: vnc_count %d unsupported (models use one logical core; pass 1 or -1)", func,
                 vnc_count);
        return NRT_INVALID;
    }
    void *dl;
    const nrt_kernel_descriptor_t *desc;
    st = nrt__dev()->model_open(neff_bytes, size, &dl, &desc, why, sizeof why);
    if (st == NRT_SUCCESS && (st = nrt__model_check_descriptor(desc, why, sizeof why)) != NRT_SUCCESS)
        nrt__dev()->model_close(dl);
    if (st != NRT_SUCCESS) {
        NRT__LOG(NRT__LOG_ERROR, "%s: %s", func, why);
        return st;
    }
    nrt_model_t *m = nrt__obj_create(&nrt__model_type);
    if (!m) {
        nrt__dev()->model_close(dl);
        return NRT_FAIL_HOST_MEM_ALLOC;
    }
    m->dl = dl;
    m->desc = desc;
    m->core = vnc == -1 ? pick_core() : vnc;
    m->ctx_device_id = ctx_id;
    m->ctx_device_count = ctx_count;
    if (m->desc->init) {
        nrt_kernel_load_info_t info = {(uint32_t)m->core, ctx_id, ctx_count};
        st = m->desc->init(&info, &m->state);
        if (st != NRT_SUCCESS) {
            NRT__LOG(NRT__LOG_ERROR, "%s: model '%s' init() failed with %s", func, m->desc->name,
                     nrt_get_status_as_str(st));
            m->desc = NULL; /* no fini after a failed init */
            nrt__obj_user_release(m, func);
            return st;
        }
    }
    atomic_fetch_add_explicit(&nrt__rt.cores[m->core].nmodels, 1, memory_order_relaxed);
    LOG_INFO("loaded model '%s' on core %d (%u inputs, %u outputs)", m->desc->name, m->core, m->desc->num_inputs,
             m->desc->num_outputs);
    *model = m;
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_load(const void *neff_bytes, size_t size, int32_t vnc, int32_t vnc_count, nrt_model_t **model)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(model);
    *model = NULL;
    CHECK_NOT_NULL(neff_bytes);
    CHECK_ARG(size > 0, NRT_INVALID, "size is 0");
    return load_common(neff_bytes, size, vnc, vnc_count, 0, 1, model, __func__);
}

NRT_API NRT_STATUS nrt_load_collectives(const void *neff_bytes, size_t size, int32_t vnc, int32_t vnc_count,
                                        uint32_t ctx_device_id, uint32_t ctx_device_count, nrt_model_t **model)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(model);
    *model = NULL;
    CHECK_NOT_NULL(neff_bytes);
    CHECK_ARG(size > 0, NRT_INVALID, "size is 0");
    CHECK_ARG(ctx_device_count > 0 && ctx_device_id < ctx_device_count, NRT_INVALID,
              "ctx_device_id %u is not below ctx_device_count %u", ctx_device_id, ctx_device_count);
    return load_common(neff_bytes, size, vnc, vnc_count, ctx_device_id, ctx_device_count, model, __func__);
}

NRT_API NRT_STATUS nrt_unload(nrt_model_t *model)
{
    CHECK_RUNNING();
    CHECK_MODEL(model);
    int core = model->core;
    /* Queued executions keep the object alive until they complete. */
    if (!nrt__obj_user_release(model, __func__)) /* unloaded concurrently */
        return NRT_INVALID;
    atomic_fetch_sub_explicit(&nrt__rt.cores[core].nmodels, 1, memory_order_relaxed);
    return NRT_SUCCESS;
}

void nrt__model_close_all(void)
{
    nrt__obj_close_all(NRT__OBJ_MODEL);
}

NRT_API NRT_STATUS nrt_get_model_nc_count(const nrt_model_t *model, uint32_t *vnc_count)
{
    CHECK_RUNNING();
    CHECK_MODEL(model);
    CHECK_NOT_NULL(vnc_count);
    *vnc_count = 1;
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_get_model_vnc_count(const nrt_model_t *model, uint32_t *vnc_count)
{
    CHECK_RUNNING();
    CHECK_MODEL(model);
    CHECK_NOT_NULL(vnc_count);
    *vnc_count = 1;
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_get_model_tensor_info(nrt_model_t *model, nrt_tensor_info_array_t **tensor_info)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(tensor_info);
    *tensor_info = NULL;
    CHECK_MODEL(model);
    const nrt_kernel_descriptor_t *d = model->desc;
    uint32_t n = nrt__model_ntensors(model);
    /* One block: header, entries, then every shape array. */
    size_t bytes = sizeof(nrt_tensor_info_array_t) + n * sizeof(nrt_tensor_info_t) +
                   (size_t)n * NRT_KERNEL_MAX_DIMS * sizeof(uint32_t);
    nrt_tensor_info_array_t *a = calloc(1, bytes);
    if (!a) {
        LOG_ERROR("out of host memory");
        return NRT_FAIL_HOST_MEM_ALLOC;
    }
    uint32_t *shapes = (uint32_t *)&a->tensor_array[n];
    a->tensor_count = n;
    for (uint32_t i = 0; i < n; i++) {
        bool in = i < d->num_inputs;
        const nrt_kernel_tensor_t *t = in ? &d->inputs[i] : &d->outputs[i - d->num_inputs];
        nrt_tensor_info_t *o = &a->tensor_array[i];
        nrt__strlcpy(o->name, t->name, sizeof o->name);
        o->usage = in ? NRT_TENSOR_USAGE_INPUT : NRT_TENSOR_USAGE_OUTPUT;
        o->size = (size_t)t->size;
        o->dtype = t->dtype;
        o->ndim = t->ndim;
        o->shape = shapes + (size_t)i * NRT_KERNEL_MAX_DIMS;
        memcpy(o->shape, t->shape, t->ndim * sizeof(uint32_t));
    }
    *tensor_info = a;
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_free_model_tensor_info(nrt_tensor_info_array_t *tensor_info)
{
    CHECK_NOT_NULL(tensor_info);
    free(tensor_info);
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_get_model_info(const nrt_model_t *model, nrt_model_info_t *info, size_t info_size_in,
                                      size_t *info_size_out)
{
    CHECK_RUNNING();
    CHECK_MODEL(model);
    CHECK_NOT_NULL(info);
    CHECK_ARG(info_size_in > 0, NRT_INVALID, "info_size_in is 0");
    nrt_model_info_t mi = {.vnc = (uint32_t)model->core};
    memcpy(info, &mi, info_size_in < sizeof mi ? info_size_in : sizeof mi);
    if (info_size_out)
        *info_size_out = sizeof mi;
    return NRT_SUCCESS;
}

static NRT_STATUS bind_one(const nrt_model_t *m, const nrt__tset_t *set, const nrt_kernel_tensor_t *kt,
                           const char *kind, const char *func, nrt__storage_t **st, void **ptr)
{
    nrt_tensor_t *t = nrt__tset_find(set, kt->name);
    if (!t) {
        NRT__LOG(NRT__LOG_ERROR, "%s: model '%s' %s '%s' is missing from the %s set", func, m->desc->name, kind,
                 kt->name, kind);
        return NRT_EXEC_BAD_INPUT;
    }
    size_t size = nrt__tensor_size(t);
    if (size != kt->size) {
        if (size == 0)
            NRT__LOG(NRT__LOG_ERROR, "%s: %s '%s' has no storage", func, kind, kt->name);
        else
            NRT__LOG(NRT__LOG_ERROR, "%s: %s '%s' is %zu bytes, model '%s' needs %llu", func, kind, kt->name, size,
                     m->desc->name, (unsigned long long)kt->size);
        return NRT_EXEC_BAD_INPUT;
    }
    if (t->placement == NRT_TENSOR_PLACEMENT_DEVICE && t->core != m->core) {
        NRT__LOG(NRT__LOG_ERROR, "%s: %s '%s' is on core %d but model '%s' is on core %d", func, kind, kt->name,
                 t->core, m->desc->name, m->core);
        return NRT_INVALID;
    }
    /* Storage and address as one, retained: a buffer attached on another
     * thread meanwhile cannot free them (tensor.c). */
    char *data;
    if (nrt__tensor_use(t, 0, kt->size, false, func, st, &data) != NRT_SUCCESS)
        return NRT_EXEC_BAD_INPUT;
    *ptr = data;
    return NRT_SUCCESS;
}

NRT_STATUS nrt__model_bind(nrt_model_t *m, const void *in_set, const void *out_set, const char *func,
                           nrt__storage_t **sts, void **ptrs)
{
    if (!nrt__tset_check(in_set, func) || !nrt__tset_check(out_set, func))
        return NRT_INVALID;
    const nrt_kernel_descriptor_t *d = m->desc;
    uint32_t n = 0;
    NRT_STATUS st = NRT_SUCCESS;
    for (uint32_t i = 0; i < d->num_inputs && st == NRT_SUCCESS; i++, n++)
        st = bind_one(m, in_set, &d->inputs[i], "input", func, &sts[n], &ptrs[n]);
    for (uint32_t i = 0; i < d->num_outputs && st == NRT_SUCCESS; i++, n++)
        st = bind_one(m, out_set, &d->outputs[i], "output", func, &sts[n], &ptrs[n]);
    if (st != NRT_SUCCESS) /* sts[n - 1] failed: release those bound before it */
        for (uint32_t i = 0; i + 1 < n; i++)
            nrt__storage_release(sts[i]);
    return st;
}

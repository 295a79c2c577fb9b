/*
 * src/tensor/tensor.c - tensors: allocation (device / host / virtual),
 * bounds-checked read, write, copy and memset, batches, slices, attached
 * caller buffers, and the reference-counted storage behind them.
 *
 * Device memory comes from the device seam (src/dev/) and is accounted
 * against the owning core's limit. Tensors and tensor sets are handles of
 * the object model (common/obj.h): a tensor is referenced by the user's
 * handle and by every set that holds it; its bytes live in a storage that
 * slices and queued requests reference too.
 *
 * Attaching a buffer replaces a tensor's (storage, offset, size) while other
 * threads may schedule requests on it: every reader takes them as one under
 * the tensor's view lock (nrt__tensor_use), and a request retains the
 * storage it read, so the storage a buffer replaced is freed only when the
 * last request using it completed.
 */
#include "tensor/tensor.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "dev/dev.h"

/*===------------------------------------------------------------------===*/
/* Storage                                                                */
/*===------------------------------------------------------------------===*/

static NRT_STATUS storage_create(size_t size, int core, nrt__storage_t **out)
{
    *out = NULL;
    if (core >= 0) {
        NRT_STATUS st = nrt__mem_reserve((uint32_t)core, size);
        if (st != NRT_SUCCESS)
            return st;
    }
    nrt__storage_t *s = calloc(1, sizeof *s);
    void *p = s ? nrt__dev()->mem_alloc(size) : NULL;
    if (!s || !p) {
        free(s);
        if (core >= 0)
            nrt__mem_unreserve((uint32_t)core, atomic_load(&nrt__rt.gen), size);
        LOG_ERROR("out of host memory allocating %zu bytes", size);
        return NRT_FAIL_HOST_MEM_ALLOC;
    }
    atomic_init(&s->refs, 1);
    s->owned = true;
    s->core = core;
    s->gen = atomic_load_explicit(&nrt__rt.gen, memory_order_relaxed);
    s->ptr = p;
    s->size = size;
    *out = s;
    return NRT_SUCCESS;
}

void nrt__storage_retain(nrt__storage_t *st)
{
    /* Relaxed: the caller already holds a reference. */
    atomic_fetch_add_explicit(&st->refs, 1, memory_order_relaxed);
}

void nrt__storage_release(nrt__storage_t *st)
{
    if (!st)
        return;
    /* acq_rel: the last releaser must see every write made under other
     * references before it frees. */
    if (atomic_fetch_sub_explicit(&st->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (st->owned) {
        nrt__dev()->mem_free(st->ptr, st->size);
        if (st->core >= 0)
            nrt__mem_unreserve((uint32_t)st->core, st->gen, st->size);
    }
    free(st);
}

/*===------------------------------------------------------------------===*/
/* Tensor objects                                                         */
/*===------------------------------------------------------------------===*/

static void tensor_destroy(nrt__obj_t *o)
{
    nrt__storage_release(((nrt_tensor_t *)o)->st);
}

const nrt__obj_type_t nrt__tensor_type = {
    NRT__OBJ_TENSOR, "tensor", "freed", sizeof(nrt_tensor_t), tensor_destroy, true,
};

static NRT_STATUS tensor_new(const char *name, nrt_tensor_placement_t placement, int core, size_t size,
                             nrt__storage_t *st, size_t offset, nrt_tensor_t **out)
{
    nrt_tensor_t *t = nrt__obj_create(&nrt__tensor_type);
    if (!t)
        return NRT_FAIL_HOST_MEM_ALLOC;
    t->st = st;
    t->offset = offset;
    t->size = size;
    t->placement = placement;
    t->core = core;
    nrt__strlcpy(t->name, name, sizeof t->name);
    *out = t;
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_tensor_allocate(nrt_tensor_placement_t tensor_placement, int vnc, size_t size,
                                       const char *name, nrt_tensor_t **tensor)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(tensor);
    *tensor = NULL;
    CHECK_ARG(size > 0, NRT_INVALID, "size is 0");
    int core = -1;
    switch (tensor_placement) {
    case NRT_TENSOR_PLACEMENT_DEVICE:
        CHECK_CORE(vnc);
        core = vnc;
        break;
    case NRT_TENSOR_PLACEMENT_HOST:
    case NRT_TENSOR_PLACEMENT_VIRTUAL:
        if (vnc != -1)
            CHECK_CORE(vnc);
        core = vnc;
        break;
    default:
        LOG_ERROR("unknown tensor placement %d", (int)tensor_placement);
        return NRT_INVALID;
    }
    nrt__storage_t *st = NULL;
    if (tensor_placement != NRT_TENSOR_PLACEMENT_VIRTUAL) {
        /* Only device memory counts against a core's limit. */
        NRT_STATUS s = storage_create(size, tensor_placement == NRT_TENSOR_PLACEMENT_DEVICE ? core : -1, &st);
        if (s != NRT_SUCCESS)
            return s;
    }
    NRT_STATUS s = tensor_new(name, tensor_placement, core, size, st, 0, tensor);
    if (s != NRT_SUCCESS)
        nrt__storage_release(st);
    return s;
}

NRT_API void nrt_tensor_free(nrt_tensor_t **tensor)
{
    if (nrt__rt_check(__func__) != NRT_SUCCESS)
        return;
    if (!tensor) {
        LOG_ERROR("argument 'tensor' is NULL");
        return;
    }
    if (!*tensor)
        return; /* like free(NULL) */
    nrt_tensor_t *t = *tensor;
    if (!nrt__tensor_check(t, __func__))
        return;
    *tensor = NULL;
    nrt__obj_user_release(t, __func__);
}

static void view_lock(const nrt_tensor_t *t)
{
    _Atomic bool *l = &((nrt_tensor_t *)t)->view_lock;
    /* Acquire: pairs with the release in view_unlock. Holders run a few
     * instructions; yield rather than spin against a preempted one. */
    for (unsigned i = 0; atomic_exchange_explicit(l, true, memory_order_acquire); i++)
        if (i >= 64)
            sched_yield();
}

static void view_unlock(const nrt_tensor_t *t)
{
    atomic_store_explicit(&((nrt_tensor_t *)t)->view_lock, false, memory_order_release);
}

NRT_STATUS nrt__tensor_use(const nrt_tensor_t *t, uint64_t offset, uint64_t size, bool nonempty, const char *func,
                           nrt__storage_t **out_st, char **out_data)
{
    if (!nrt__tensor_check(t, func))
        return NRT_INVALID;
    view_lock(t);
    nrt__storage_t *st = t->st;
    size_t t_size = t->size;
    char *data = st ? (char *)st->ptr + t->offset : NULL;
    bool ok = st && (size > 0 || !nonempty) && nrt__range_ok(offset, size, t_size);
    if (ok && out_st)
        nrt__storage_retain(st);
    view_unlock(t);
    if (NRT__UNLIKELY(!st)) {
        NRT__LOG(NRT__LOG_ERROR, "%s: tensor '%s' has no storage (attach a buffer first)", func, t->name);
        return NRT_INVALID;
    }
    if (NRT__UNLIKELY(!ok)) {
        NRT__LOG(NRT__LOG_ERROR, "%s: range [offset %llu, size %llu] is %soutside tensor '%s' of %zu bytes", func,
                 (unsigned long long)offset, (unsigned long long)size, nonempty ? "empty or " : "", t->name, t_size);
        return NRT_INVALID;
    }
    if (out_st)
        *out_st = st;
    *out_data = data + offset;
    return NRT_SUCCESS;
}

size_t nrt__tensor_size(const nrt_tensor_t *t)
{
    view_lock(t);
    size_t n = t->size;
    view_unlock(t);
    return n;
}

/* The bytes of a synchronous call: [offset, offset + size) of |t|. */
#define USE_RANGE(t, off, sz, data)                                                                    \
    do {                                                                                               \
        NRT_STATUS use_st_ = nrt__tensor_use((t), (off), (sz), false, __func__, NULL, &(data));       \
        if (use_st_ != NRT_SUCCESS)                                                                    \
            return use_st_;                                                                            \
    } while (0)

NRT_API NRT_STATUS nrt_tensor_read(const nrt_tensor_t *tensor, void *buf, size_t offset, size_t size)
{
    CHECK_RUNNING();
    char *data;
    USE_RANGE(tensor, offset, size, data);
    CHECK_NOT_NULL(buf);
    memcpy(buf, data, size);
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_tensor_write(nrt_tensor_t *tensor, const void *buf, size_t offset, size_t size)
{
    CHECK_RUNNING();
    char *data;
    USE_RANGE(tensor, offset, size, data);
    CHECK_NOT_NULL(buf);
    memcpy(data, buf, size);
    return NRT_SUCCESS;
}

static NRT_STATUS batch_validate(const nrt_tensor_batch_t *batches, uint64_t num_batches, const char *func)
{
    if (!batches && num_batches) {
        NRT__LOG(NRT__LOG_ERROR, "%s: argument 'batches' is NULL", func);
        return NRT_INVALID;
    }
    for (uint64_t b = 0; b < num_batches; b++) {
        const nrt_tensor_t *t = batches[b].tensor;
        char *data;
        if (nrt__tensor_use(t, 0, 0, false, func, NULL, &data) != NRT_SUCCESS)
            return NRT_INVALID;
        size_t t_size = nrt__tensor_size(t);
        if (!batches[b].ops && batches[b].num_ops) {
            NRT__LOG(NRT__LOG_ERROR, "%s: batch %llu has NULL ops", func, (unsigned long long)b);
            return NRT_INVALID;
        }
        for (uint32_t i = 0; i < batches[b].num_ops; i++) {
            const nrt_tensor_batch_op_t *op = &batches[b].ops[i];
            if (!op->buffer && op->size) {
                NRT__LOG(NRT__LOG_ERROR, "%s: batch %llu op %u has a NULL buffer", func, (unsigned long long)b, i);
                return NRT_INVALID;
            }
            if (!nrt__range_ok(op->offset, op->size, t_size)) {
                NRT__LOG(NRT__LOG_ERROR, "%s: batch %llu op %u range [%llu, +%llu] is outside tensor '%s' of %zu bytes",
                         func, (unsigned long long)b, i, (unsigned long long)op->offset,
                         (unsigned long long)op->size, t->name, t_size);
                return NRT_INVALID;
            }
        }
    }
    return NRT_SUCCESS;
}

static NRT_STATUS batch_transfer(const nrt_tensor_batch_t *batches, uint64_t num_batches, bool write,
                                 const char *func)
{
    NRT_STATUS st = nrt__rt_check(func);
    if (st == NRT_SUCCESS)
        st = batch_validate(batches, num_batches, func);
    if (st != NRT_SUCCESS)
        return st;
    for (uint64_t b = 0; b < num_batches; b++)
        for (uint32_t i = 0; i < batches[b].num_ops; i++) {
            const nrt_tensor_batch_op_t *op = &batches[b].ops[i];
            char *dev;
            if (!op->size)
                continue;
            /* Checked above; refused only if a buffer attached meanwhile
             * (another thread) is too small. */
            st = nrt__tensor_use(batches[b].tensor, op->offset, op->size, false, func, NULL, &dev);
            if (st != NRT_SUCCESS)
                return st;
            if (write)
                memcpy(dev, op->buffer, op->size);
            else
                memcpy(op->buffer, dev, op->size);
        }
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_tensor_read_batch(const nrt_tensor_batch_t *batches, uint64_t num_batches, bool unsafe)
{
    (void)unsafe; /* nothing to pin: always safe */
    return batch_transfer(batches, num_batches, false, __func__);
}

NRT_API NRT_STATUS nrt_tensor_write_batch(const nrt_tensor_batch_t *batches, uint64_t num_batches, bool unsafe)
{
    (void)unsafe;
    return batch_transfer(batches, num_batches, true, __func__);
}

NRT_API NRT_STATUS nrt_tensor_copy(const nrt_tensor_t *src, size_t src_offset, nrt_tensor_t *dst, size_t dst_offset,
                                   size_t size)
{
    CHECK_RUNNING();
    char *from, *to;
    USE_RANGE(src, src_offset, size, from);
    USE_RANGE(dst, dst_offset, size, to);
    CHECK_ARG(!(src->placement == NRT_TENSOR_PLACEMENT_DEVICE && dst->placement == NRT_TENSOR_PLACEMENT_DEVICE &&
                src->core != dst->core),
              NRT_INVALID, "device tensors '%s' (core %d) and '%s' (core %d) are on different cores", src->name,
              src->core, dst->name, dst->core);
    memmove(to, from, size);
    return NRT_SUCCESS;
}

NRT_API size_t nrt_tensor_get_size(const nrt_tensor_t *tensor)
{
    if (!nrt__tensor_check(tensor, __func__))
        return 0;
    return nrt__tensor_size(tensor);
}

NRT_API NRT_STATUS nrt_tensor_memset(nrt_tensor_t *tensor, uint64_t offset, int value, size_t size)
{
    CHECK_RUNNING();
    char *data;
    USE_RANGE(tensor, offset, size, data);
    memset(data, value, size);
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_tensor_allocate_empty(const char *name, nrt_tensor_t **tensor)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(tensor);
    *tensor = NULL;
    return tensor_new(name, NRT_TENSOR_PLACEMENT_VIRTUAL, -1, 0, NULL, 0, tensor);
}

NRT_API NRT_STATUS nrt_tensor_attach_buffer(nrt_tensor_t *tensor, void *buffer, size_t size)
{
    CHECK_RUNNING();
    if (!nrt__tensor_check(tensor, __func__))
        return NRT_INVALID;
    CHECK_NOT_NULL(buffer);
    CHECK_ARG(size > 0, NRT_INVALID, "size is 0");
    nrt__storage_t *st = calloc(1, sizeof *st);
    if (!st) {
        LOG_ERROR("out of host memory");
        return NRT_FAIL_HOST_MEM_ALLOC;
    }
    atomic_init(&st->refs, 1);
    st->owned = false;
    st->core = -1;
    st->ptr = buffer;
    st->size = size;
    /* Requests scheduled before keep the storage they retained (and so the
     * old buffer) until they complete; schedules racing with this call see
     * the old view or the new one, whole. */
    view_lock(tensor);
    nrt__storage_t *old = tensor->st;
    bool owned = old && old->owned;
    if (!owned) {
        tensor->st = st;
        tensor->offset = 0;
        tensor->size = size;
    }
    view_unlock(tensor);
    if (owned) {
        free(st);
        LOG_ERROR("tensor '%s' owns its memory; only empty or virtual tensors take a buffer", tensor->name);
        return NRT_INVALID;
    }
    nrt__storage_release(old);
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_tensor_allocate_slice(const nrt_tensor_t *tensor_source, size_t offset, size_t size,
                                             const char *name, nrt_tensor_t **tensor_slice)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(tensor_slice);
    *tensor_slice = NULL;
    nrt__storage_t *src;
    char *data;
    NRT_STATUS st = nrt__tensor_use(tensor_source, offset, size, true, __func__, &src, &data);
    if (st != NRT_SUCCESS)
        return st;
    st = tensor_new(name, tensor_source->placement, tensor_source->core, size, src,
                    (size_t)(data - (char *)src->ptr), tensor_slice);
    if (st != NRT_SUCCESS)
        nrt__storage_release(src);
    return st;
}

NRT_API void *nrt_tensor_get_va(const nrt_tensor_t *tensor)
{
    if (nrt__rt_check(__func__) != NRT_SUCCESS || !nrt__tensor_check(tensor, __func__))
        return NULL;
    view_lock(tensor);
    char *data = nrt__tensor_data(tensor); /* NULL without storage */
    view_unlock(tensor);
    return data;
}

NRT_API NRT_STATUS nrt_tensor_get_device_allocation_info(const nrt_tensor_t *tensor,
                                                         nrt_tensor_device_allocation_info_t *alloc_info)
{
    CHECK_RUNNING();
    char *data;
    USE_RANGE(tensor, 0, 0, data);
    CHECK_NOT_NULL(alloc_info);
    alloc_info->physical_address = (uint64_t)(uintptr_t)data;
    alloc_info->size = nrt__tensor_size(tensor);
    alloc_info->hbm_index = tensor->placement == NRT_TENSOR_PLACEMENT_DEVICE ? tensor->core : -1;
    return NRT_SUCCESS;
}

/*===------------------------------------------------------------------===*/
/* Tensor sets                                                            */
/*===------------------------------------------------------------------===*/

nrt_tensor_t *nrt__tset_find(const nrt__tset_t *set, const char *name)
{
    for (size_t i = 0; i < set->count; i++)
        if (strcmp(set->entries[i].name, name) == 0)
            return set->entries[i].tensor;
    return NULL;
}

NRT_API NRT_STATUS nrt_allocate_tensor_set(nrt_tensor_set_t **result)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(result);
    *result = NULL;
    nrt__tset_t *s = nrt__obj_create(&nrt__tset_type);
    if (!s)
        return NRT_FAIL_HOST_MEM_ALLOC;
    *result = s;
    return NRT_SUCCESS;
}

static void tset_destroy(nrt__obj_t *o)
{
    nrt__tset_t *s = (nrt__tset_t *)o;
    for (size_t i = 0; i < s->count; i++) {
        free(s->entries[i].name);
        nrt__obj_release(s->entries[i].tensor);
    }
    free(s->entries);
}

const nrt__obj_type_t nrt__tset_type = {
    NRT__OBJ_TSET, "tensor set", "destroyed", sizeof(nrt__tset_t), tset_destroy, false,
};

NRT_API void nrt_destroy_tensor_set(nrt_tensor_set_t **tensor_set)
{
    if (nrt__rt_check(__func__) != NRT_SUCCESS)
        return;
    if (!tensor_set) {
        LOG_ERROR("argument 'tensor_set' is NULL");
        return;
    }
    if (!*tensor_set)
        return;
    nrt__tset_t *s = *tensor_set;
    if (!nrt__tset_check(s, __func__))
        return;
    *tensor_set = NULL;
    nrt__obj_user_release(s, __func__);
}

static bool name_ok(const char *name, const char *func)
{
    if (!name || !*name || strnlen(name, NRT_TENSOR_NAME_MAX) >= NRT_TENSOR_NAME_MAX) {
        NRT__LOG(NRT__LOG_ERROR, "%s: tensor name is %s", func,
                 !name ? "NULL" : !*name ? "empty" : "longer than 255 bytes");
        return false;
    }
    return true;
}

NRT_API NRT_STATUS nrt_add_tensor_to_tensor_set(nrt_tensor_set_t *tensor_set, const char *tensor_name,
                                                nrt_tensor_t *tensor)
{
    CHECK_RUNNING();
    if (!nrt__tset_check(tensor_set, __func__) || !name_ok(tensor_name, __func__) ||
        !nrt__tensor_check(tensor, __func__))
        return NRT_INVALID;
    nrt__tset_t *s = tensor_set;
    for (size_t i = 0; i < s->count; i++) {
        if (strcmp(s->entries[i].name, tensor_name) == 0) {
            nrt__obj_retain(tensor);
            nrt__obj_release(s->entries[i].tensor);
            s->entries[i].tensor = tensor;
            return NRT_SUCCESS;
        }
    }
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        nrt__tset_entry_t *e = realloc(s->entries, cap * sizeof *e);
        if (!e) {
            LOG_ERROR("out of host memory");
            return NRT_FAIL_HOST_MEM_ALLOC;
        }
        s->entries = e;
        s->cap = cap;
    }
    char *name = strdup(tensor_name);
    if (!name) {
        LOG_ERROR("out of host memory");
        return NRT_FAIL_HOST_MEM_ALLOC;
    }
    nrt__obj_retain(tensor);
    s->entries[s->count].name = name;
    s->entries[s->count].tensor = tensor;
    s->count++;
    return NRT_SUCCESS;
}

NRT_API NRT_STATUS nrt_get_tensor_from_tensor_set(nrt_tensor_set_t *tensor_set, const char *tensor_name,
                                                  nrt_tensor_t **tensor)
{
    CHECK_RUNNING();
    CHECK_NOT_NULL(tensor);
    *tensor = NULL;
    if (!nrt__tset_check(tensor_set, __func__) || !name_ok(tensor_name, __func__))
        return NRT_INVALID;
    nrt_tensor_t *t = nrt__tset_find(tensor_set, tensor_name);
    CHECK_ARG(t != NULL, NRT_INVALID, "no tensor named '%s' in the set", tensor_name);
    *tensor = t;
    return NRT_SUCCESS;
}

void nrt__tensor_close_all(void)
{
    /* Sets first: they hold references to tensors. */
    nrt__obj_close_all(NRT__OBJ_TSET);
    nrt__obj_close_all(NRT__OBJ_TENSOR);
}

/*
 * src/coll/coll_reduce.c - reduction kernels of the collectives: ADD, MAX,
 * MIN over every integer type, fp32, fp16 and bf16 (fp16/bf16 are reduced
 * in fp32 and rounded to nearest even), and tensor-list (iov) copies.
 *
 * Integer ADD wraps modulo 2^bits (computed unsigned: no signed overflow).
 * Floating MAX/MIN follow fmaxf/fminf (a NaN loses to a number).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "coll/coll.h"

size_t nrt__cc_dtype_size(nrt_dtype_t dtype)
{
    switch (dtype) {
    case NRT_DTYPE_UINT8:
    case NRT_DTYPE_INT8: return 1;
    case NRT_DTYPE_UINT16:
    case NRT_DTYPE_INT16:
    case NRT_DTYPE_FLOAT16:
    case NRT_DTYPE_BFLOAT16: return 2;
    case NRT_DTYPE_UINT32:
    case NRT_DTYPE_INT32:
    case NRT_DTYPE_FLOAT32:
    case NRT_DTYPE_FP32R: return 4;
    case NRT_DTYPE_UINT64:
    case NRT_DTYPE_INT64: return 8;
    default: return 0; /* fp8 and unknown values: refused */
    }
}

const char *nrt__cc_dtype_name(nrt_dtype_t dtype)
{
    switch (dtype) {
    case NRT_DTYPE_UINT8: return "uint8";
    case NRT_DTYPE_INT8: return "int8";
    case NRT_DTYPE_UINT16: return "uint16";
    case NRT_DTYPE_INT16: return "int16";
    case NRT_DTYPE_FLOAT16: return "fp16";
    case NRT_DTYPE_BFLOAT16: return "bf16";
    case NRT_DTYPE_UINT32: return "uint32";
    case NRT_DTYPE_INT32: return "int32";
    case NRT_DTYPE_FLOAT32: return "fp32";
    case NRT_DTYPE_FP32R: return "fp32r";
    case NRT_DTYPE_UINT64: return "uint64";
    case NRT_DTYPE_INT64: return "int64";
    case NRT_DTYPE_FP8_E3: return "fp8_e3";
    case NRT_DTYPE_FP8_E4: return "fp8_e4m3";
    case NRT_DTYPE_FP8_E5: return "fp8_e5m2";
    default: return "unknown";
    }
}

const char *nrt__cc_op_name(nrt_op_type_t op)
{
    switch (op) {
    case NRT_OP_ADD: return "add";
    case NRT_OP_MAX: return "max";
    case NRT_OP_MIN: return "min";
    case NRT_OP_FMA: return "fma";
    default: return "invalid";
    }
}

const char *nrt__cc_ccop_name(nrt_cc_op_type_t cc_op)
{
    switch (cc_op) {
    case NRT_CC_ALLGATHER: return "all-gather";
    case NRT_CC_ALLREDUCE: return "all-reduce";
    case NRT_CC_REDUCESCATTER: return "reduce-scatter";
    default: return "unknown collective";
    }
}

bool nrt__cc_desc_equal(const nrt__cc_desc_t *a, const nrt__cc_desc_t *b)
{
    return a->cc_op == b->cc_op && a->dtype == b->dtype && a->op == b->op && a->rank_n == b->rank_n &&
           a->in_bytes == b->in_bytes && a->out_bytes == b->out_bytes && a->group_hash == b->group_hash;
}

void nrt__cc_desc_describe(const nrt__cc_desc_t *d, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s %s/%s of %llu -> %llu bytes over %u ranks (group %016llx)", nrt__cc_ccop_name(d->cc_op),
             nrt__cc_dtype_name(d->dtype), nrt__cc_op_name(d->op), (unsigned long long)d->in_bytes,
             (unsigned long long)d->out_bytes, d->rank_n, (unsigned long long)d->group_hash);
}

/*===------------------------------------------------------------------===*/
/* Half-precision conversions                                             */
/*===------------------------------------------------------------------===*/

static inline float bf16_to_f(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline uint16_t f_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40); /* quiet NaN */
    u += 0x7fffu + ((u >> 16) & 1u);       /* nearest even */
    return (uint16_t)(u >> 16);
}

static inline float f16_to_f(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, u;
    if (exp == 0) {
        if (man == 0) {
            u = sign;
        } else { /* subnormal: normalise */
            int e = -1;
            do {
                e++;
                man <<= 1;
            } while (!(man & 0x400u));
            u = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ffu) << 13);
        }
    } else if (exp == 31) {
        u = sign | 0x7f800000u | (man << 13);
    } else {
        u = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline uint16_t f_to_f16(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u)
        return (uint16_t)(sign | 0x7e00u); /* NaN */
    if (a >= 0x477ff000u)                  /* rounds to >= 65520: inf */
        return (uint16_t)(sign | 0x7c00u);
    if (a < 0x38800000u) { /* below 2^-14: subnormal or zero */
        if (a < 0x33000000u)
            return sign; /* below half the smallest subnormal */
        uint32_t man = (a & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126 - (a >> 23); /* 14 + (113 - exp) */
        uint32_t q = man >> shift, rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1u)))
            q++;
        return (uint16_t)(sign | q);
    }
    uint32_t r = a + 0xfffu + ((a >> 13) & 1u) - 0x38000000u; /* rebias 127 -> 15, nearest even */
    return (uint16_t)(sign | (r >> 13));
}

/*===------------------------------------------------------------------===*/
/* Kernels                                                                */
/*===------------------------------------------------------------------===*/

#define INT_KERNELS(T, U)                                                                                   \
    static void red2_##T(void *dv, const void *sv, size_t n, nrt_op_type_t op)                              \
    {                                                                                                       \
        T *restrict d = dv;                                                                                 \
        const T *restrict s = sv;                                                                           \
        if (op == NRT_OP_ADD)                                                                               \
            for (size_t i = 0; i < n; i++)                                                                  \
                d[i] = (T)((U)d[i] + (U)s[i]);                                                              \
        else if (op == NRT_OP_MAX)                                                                          \
            for (size_t i = 0; i < n; i++)                                                                  \
                d[i] = s[i] > d[i] ? s[i] : d[i];                                                           \
        else                                                                                                \
            for (size_t i = 0; i < n; i++)                                                                  \
                d[i] = s[i] < d[i] ? s[i] : d[i];                                                           \
    }                                                                                                       \
    static void redn_##T(void *dv, const void *const *sv, uint32_t k, size_t n, nrt_op_type_t op)          \
    {                                                                                                       \
        T *d = dv;                                                                                          \
        const T *s0 = sv[0];                                                                                \
        if (d != s0)                                                                                        \
            memmove(d, s0, n * sizeof(T));                                                                  \
        for (uint32_t j = 1; j < k; j++)                                                                    \
            red2_##T(d, sv[j], n, op);                                                                      \
    }

INT_KERNELS(uint8_t, uint8_t)
INT_KERNELS(int8_t, uint8_t)
INT_KERNELS(uint16_t, uint16_t)
INT_KERNELS(int16_t, uint16_t)
INT_KERNELS(uint32_t, uint32_t)
INT_KERNELS(int32_t, uint32_t)
INT_KERNELS(uint64_t, uint64_t)
INT_KERNELS(int64_t, uint64_t)

static inline float fop(float a, float b, nrt_op_type_t op)
{
    return op == NRT_OP_ADD ? a + b : op == NRT_OP_MAX ? fmaxf(a, b) : fminf(a, b);
}

static void red2_f32(void *dv, const void *sv, size_t n, nrt_op_type_t op)
{
    float *restrict d = dv;
    const float *restrict s = sv;
    if (op == NRT_OP_ADD)
        for (size_t i = 0; i < n; i++)
            d[i] += s[i];
    else if (op == NRT_OP_MAX)
        for (size_t i = 0; i < n; i++)
            d[i] = fmaxf(d[i], s[i]);
    else
        for (size_t i = 0; i < n; i++)
            d[i] = fminf(d[i], s[i]);
}

static void redn_f32(void *dv, const void *const *sv, uint32_t k, size_t n, nrt_op_type_t op)
{
    float *d = dv;
    if (d != sv[0])
        memmove(d, sv[0], n * 4);
    for (uint32_t j = 1; j < k; j++)
        red2_f32(d, sv[j], n, op);
}

#define HALF_KERNELS(NAME, TOF, FROMF)                                                                      \
    static void red2_##NAME(void *dv, const void *sv, size_t n, nrt_op_type_t op)                           \
    {                                                                                                       \
        uint16_t *d = dv;                                                                                   \
        const uint16_t *s = sv;                                                                             \
        for (size_t i = 0; i < n; i++)                                                                      \
            d[i] = FROMF(fop(TOF(d[i]), TOF(s[i]), op));                                                    \
    }                                                                                                       \
    static void redn_##NAME(void *dv, const void *const *sv, uint32_t k, size_t n, nrt_op_type_t op)       \
    {                                                                                                       \
        uint16_t *d = dv;                                                                                   \
        float acc[512];                                                                                     \
        for (size_t b = 0; b < n; b += 512) {                                                               \
            size_t m = n - b < 512 ? n - b : 512;                                                           \
            const uint16_t *s0 = (const uint16_t *)sv[0] + b;                                               \
            for (size_t i = 0; i < m; i++)                                                                  \
                acc[i] = TOF(s0[i]);                                                                        \
            for (uint32_t j = 1; j < k; j++) {                                                              \
                const uint16_t *s = (const uint16_t *)sv[j] + b;                                            \
                for (size_t i = 0; i < m; i++)                                                              \
                    acc[i] = fop(acc[i], TOF(s[i]), op);                                                    \
            }                                                                                               \
            for (size_t i = 0; i < m; i++)                                                                  \
                d[b + i] = FROMF(acc[i]);                                                                   \
        }                                                                                                   \
    }

HALF_KERNELS(bf16, bf16_to_f, f_to_bf16)
HALF_KERNELS(f16, f16_to_f, f_to_f16)

typedef void (*red2_fn)(void *, const void *, size_t, nrt_op_type_t);
typedef void (*redn_fn)(void *, const void *const *, uint32_t, size_t, nrt_op_type_t);

static bool kernels(nrt_dtype_t dtype, red2_fn *r2, redn_fn *rn)
{
    switch (dtype) {
#define K(DT, NAME)                                                                                          \
    case DT:                                                                                                 \
        *r2 = red2_##NAME;                                                                                   \
        *rn = redn_##NAME;                                                                                   \
        return true;
        K(NRT_DTYPE_UINT8, uint8_t)
        K(NRT_DTYPE_INT8, int8_t)
        K(NRT_DTYPE_UINT16, uint16_t)
        K(NRT_DTYPE_INT16, int16_t)
        K(NRT_DTYPE_UINT32, uint32_t)
        K(NRT_DTYPE_INT32, int32_t)
        K(NRT_DTYPE_UINT64, uint64_t)
        K(NRT_DTYPE_INT64, int64_t)
        K(NRT_DTYPE_FLOAT32, f32)
        K(NRT_DTYPE_FP32R, f32)
        K(NRT_DTYPE_BFLOAT16, bf16)
        K(NRT_DTYPE_FLOAT16, f16)
#undef K
    default: return false;
    }
}

void nrt__cc_reduce2(void *dst, const void *src, size_t n, nrt_dtype_t dtype, nrt_op_type_t op)
{
    red2_fn r2;
    redn_fn rn;
    if (kernels(dtype, &r2, &rn))
        r2(dst, src, n, op);
}

void nrt__cc_reduce_n(void *dst, const void *const *srcs, uint32_t k, size_t n, nrt_dtype_t dtype,
                      nrt_op_type_t op)
{
    red2_fn r2;
    redn_fn rn;
    if (kernels(dtype, &r2, &rn))
        rn(dst, srcs, k, n, op);
}

/*===------------------------------------------------------------------===*/
/* Tensor lists                                                           */
/*===------------------------------------------------------------------===*/

char *nrt__cc_iov_at(const nrt__cc_iov_t *iov, uint64_t off, uint64_t *contig)
{
    for (uint32_t i = 0; i < iov->n; i++) {
        if (off < iov->v[i].len) {
            *contig = iov->v[i].len - off;
            return iov->v[i].p + off;
        }
        off -= iov->v[i].len;
    }
    *contig = 0;
    return NULL;
}

/* Copies between |iov| at |off| and the flat buffer |flat|: to the iov
 * when |to_iov|, else from it. */
static void iov_flat(const nrt__cc_iov_t *iov, uint64_t off, char *flat, uint64_t len, bool to_iov)
{
    while (len) {
        uint64_t c;
        char *p = nrt__cc_iov_at(iov, off, &c);
        if (!p)
            return;
        if (c > len)
            c = len;
        if (p != flat)
            memmove(to_iov ? p : flat, to_iov ? flat : p, c);
        flat += c;
        off += c;
        len -= c;
    }
}

void nrt__cc_iov_gather(const nrt__cc_iov_t *iov, uint64_t off, void *dst, uint64_t len)
{
    iov_flat(iov, off, dst, len, false);
}

void nrt__cc_iov_scatter(const nrt__cc_iov_t *iov, uint64_t off, const void *src, uint64_t len)
{
    iov_flat(iov, off, (char *)(uintptr_t)src, len, true);
}

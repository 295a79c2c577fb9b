/*
 * tests/api/test_models.c - loading and running models: every example
 * model loads and reports its tensors; vnc = -1 placement; outputs of
 * nrt_execute and nrt_execute_repeat match plain C reference
 * implementations on random inputs (vadd and small exactly, matmul and mlp
 * within a relative 1e-4 of the accumulated magnitude); per-load state and
 * collectives context reach the model; a failing execute stops
 * nrt_execute_repeat. NRT_KERNEL_DEFINE declares a model without inputs
 * (NULL table: 0 inputs, not 8) and a model written in C++ (the
 * descriptor is exported; built when C++ is enabled).
 */
#include "harness.h"
#include "api_env.h"

#include <math.h>

#include "mlp_params.h"
#include "nrt/nrt_experimental.h"

#define VADD_N (1024 * 1024)
#define SMALL_N 4096
#define SMALL_PASSES 8 /* as in models/small.c */
#define MM 256

static void *module_bytes(const char *name, size_t *n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.so", NRT_TEST_MODULE_DIR, name);
    return t_read_file(path, n);
}

static nrt_model_t *load_module(const char *name, int32_t vnc)
{
    size_t n;
    void *b = module_bytes(name, &n);
    nrt_model_t *m = NULL;
    ASSERT_OK(nrt_load(b, n, vnc, -1, &m));
    free(b);
    return m;
}

static uint32_t model_vnc(const nrt_model_t *m)
{
    nrt_model_info_t mi = {UINT32_MAX};
    size_t out = 0;
    ASSERT_OK(nrt_get_model_info(m, &mi, sizeof mi, &out));
    ASSERT_EQ_U64(out, sizeof mi);
    return mi.vnc;
}

/* A tensor of |bytes| on |vnc| (-1: host), added to |set| as |name|. */
static nrt_tensor_t *add_tensor(nrt_tensor_set_t *set, const char *name, int vnc, size_t bytes)
{
    nrt_tensor_t *t = NULL;
    ASSERT_OK(nrt_tensor_allocate(vnc < 0 ? NRT_TENSOR_PLACEMENT_HOST : NRT_TENSOR_PLACEMENT_DEVICE, vnc, bytes,
                                  name, &t));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(set, name, t));
    nrt_tensor_free(&t); /* the set keeps it */
    nrt_tensor_t *got = NULL;
    ASSERT_OK(nrt_get_tensor_from_tensor_set(set, name, &got));
    return got;
}

/*===------------------------------------------------------------------===*/
/* Tensor info                                                            */
/*===------------------------------------------------------------------===*/

typedef struct {
    const char *name;
    nrt_tensor_usage_t usage;
    nrt_dtype_t dtype;
    uint32_t ndim;
    uint32_t shape[3];
    size_t size;
} want_info_t;

static void check_info(const char *model, const want_info_t *want, size_t n)
{
    nrt_model_t *m = t_load_model(model, 0);
    nrt_tensor_info_array_t *info = NULL;
    ASSERT_OK(nrt_get_model_tensor_info(m, &info));
    ASSERT_TRUE(info != NULL);
    ASSERT_EQ_U64(info->tensor_count, n);
    for (size_t i = 0; i < n; i++) {
        const nrt_tensor_info_t *t = &info->tensor_array[i];
        if (strcmp(t->name, want[i].name) != 0) {
            fprintf(stderr, "%s tensor %zu is '%s', expected '%s'\n", model, i, t->name, want[i].name);
            abort();
        }
        ASSERT_EQ_U64(t->usage, want[i].usage);
        ASSERT_EQ_U64(t->dtype, want[i].dtype);
        ASSERT_EQ_U64(t->size, want[i].size);
        ASSERT_EQ_U64(t->ndim, want[i].ndim);
        ASSERT_TRUE(t->shape != NULL);
        for (uint32_t d = 0; d < t->ndim; d++)
            ASSERT_EQ_U64(t->shape[d], want[i].shape[d]);
    }
    ASSERT_OK(nrt_free_model_tensor_info(info));
    uint32_t c = 0;
    ASSERT_OK(nrt_get_model_nc_count(m, &c));
    ASSERT_EQ_U64(c, 1);
    c = 0;
    ASSERT_OK(nrt_get_model_vnc_count(m, &c));
    ASSERT_EQ_U64(c, 1);
    ASSERT_EQ_U64(model_vnc(m), 0);
    ASSERT_OK(nrt_unload(m));
}

static void test_tensor_info(void)
{
    const nrt_tensor_usage_t I = NRT_TENSOR_USAGE_INPUT, O = NRT_TENSOR_USAGE_OUTPUT;
    const nrt_dtype_t F = NRT_DTYPE_FLOAT32;
    const want_info_t vadd[] = {{"a", I, F, 1, {VADD_N}, VADD_N * 4},
                                {"b", I, F, 1, {VADD_N}, VADD_N * 4},
                                {"c", O, F, 1, {VADD_N}, VADD_N * 4}};
    const want_info_t matmul[] = {{"a", I, F, 2, {MM, MM}, MM * MM * 4},
                                  {"b", I, F, 2, {MM, MM}, MM * MM * 4},
                                  {"c", O, F, 2, {MM, MM}, MM * MM * 4}};
    const want_info_t mlp[] = {{"x", I, F, 2, {MLP_BATCH, MLP_IN}, MLP_BATCH * MLP_IN * 4},
                               {"y", O, F, 2, {MLP_BATCH, MLP_OUT}, MLP_BATCH * MLP_OUT * 4}};
    const want_info_t scale[] = {{"x", I, F, 1, {VADD_N}, VADD_N * 4}, {"y", O, F, 1, {VADD_N}, VADD_N * 4}};
    const want_info_t small[] = {{"x", I, F, 1, {SMALL_N}, SMALL_N * 4}, {"y", O, F, 1, {SMALL_N}, SMALL_N * 4}};
    const want_info_t acc[] = {{"x", I, F, 1, {4}, 16}, {"y", O, F, 1, {4}, 16},
                               {"info", O, NRT_DTYPE_UINT32, 2, {2, 4}, 32}};
    check_info("vadd", vadd, 3);
    check_info("matmul", matmul, 3);
    check_info("mlp", mlp, 2);
    check_info("scale", scale, 2);
    check_info("small", small, 2);

    nrt_model_t *m = load_module("acc", 1);
    nrt_tensor_info_array_t *info = NULL;
    ASSERT_OK(nrt_get_model_tensor_info(m, &info));
    ASSERT_EQ_U64(info->tensor_count, 3);
    for (size_t i = 0; i < 3; i++) {
        ASSERT_TRUE(strcmp(info->tensor_array[i].name, acc[i].name) == 0);
        ASSERT_EQ_U64(info->tensor_array[i].usage, acc[i].usage);
        ASSERT_EQ_U64(info->tensor_array[i].dtype, acc[i].dtype);
        ASSERT_EQ_U64(info->tensor_array[i].ndim, acc[i].ndim);
        ASSERT_EQ_U64(info->tensor_array[i].size, acc[i].size);
    }
    ASSERT_EQ_U64(info->tensor_array[2].shape[0], 2);
    ASSERT_EQ_U64(info->tensor_array[2].shape[1], 4);
    ASSERT_OK(nrt_free_model_tensor_info(info));
    ASSERT_EQ_U64(model_vnc(m), 1);
    /* a larger caller struct: only the known part is written */
    unsigned char big[32];
    memset(big, 0xcc, sizeof big);
    size_t out = 0;
    ASSERT_OK(nrt_get_model_info(m, (nrt_model_info_t *)(void *)big, sizeof big, &out));
    ASSERT_EQ_U64(out, sizeof(nrt_model_info_t));
    ASSERT_EQ_U64(((nrt_model_info_t *)(void *)big)->vnc, 1);
    ASSERT_EQ_U64(big[sizeof(nrt_model_info_t)], 0xcc);
    ASSERT_OK(nrt_get_model_info(m, (nrt_model_info_t *)(void *)big, sizeof big, NULL)); /* out may be NULL */
    ASSERT_OK(nrt_unload(m));
}

/*===------------------------------------------------------------------===*/
/* Placement                                                              */
/*===------------------------------------------------------------------===*/

/* vnc = -1 picks a core with no model, else (all busy) core 0 / the least
 * loaded; with two cores both rules give the same answers below. */
static void test_placement(void)
{
    nrt_model_t *a = load_module("acc", -1);
    ASSERT_EQ_U64(model_vnc(a), 0);
    nrt_model_t *b = load_module("acc", -1);
    ASSERT_EQ_U64(model_vnc(b), 1);
    nrt_model_t *c = load_module("acc", -1);
    ASSERT_EQ_U64(model_vnc(c), 0);
    ASSERT_OK(nrt_unload(a));
    nrt_model_t *d = load_module("acc", -1); /* 1 and 1: core 0 */
    ASSERT_EQ_U64(model_vnc(d), 0);
    ASSERT_OK(nrt_unload(b));
    nrt_model_t *e = load_module("acc", -1); /* core 1 is free again */
    ASSERT_EQ_U64(model_vnc(e), 1);
    nrt_model_t *f = load_module("acc", 1); /* explicit core */
    ASSERT_EQ_U64(model_vnc(f), 1);
    ASSERT_OK(nrt_unload(c));
    ASSERT_OK(nrt_unload(d));
    ASSERT_OK(nrt_unload(e));
    ASSERT_OK(nrt_unload(f));
}

/*===------------------------------------------------------------------===*/
/* Execution against references                                           */
/*===------------------------------------------------------------------===*/

static void test_vadd(int vnc, bool host_tensors)
{
    nrt_model_t *m = t_load_model("vadd", vnc);
    nrt_tensor_set_t *in, *out;
    ASSERT_OK(nrt_allocate_tensor_set(&in));
    ASSERT_OK(nrt_allocate_tensor_set(&out));
    int tv = host_tensors ? -1 : vnc;
    nrt_tensor_t *a = add_tensor(in, "a", tv, VADD_N * 4), *b = add_tensor(in, "b", vnc, VADD_N * 4),
                 *c = add_tensor(out, "c", tv, VADD_N * 4);
    float *ha = malloc(VADD_N * 4), *hb = malloc(VADD_N * 4), *hc = malloc(VADD_N * 4);
    ASSERT_TRUE(ha && hb && hc);
    for (int round = 0; round < 2; round++) {
        t_fill_random(ha, VADD_N, 100 + (uint64_t)round);
        t_fill_random(hb, VADD_N, 200 + (uint64_t)round);
        ASSERT_OK(nrt_tensor_write(a, ha, 0, VADD_N * 4));
        ASSERT_OK(nrt_tensor_write(b, hb, 0, VADD_N * 4));
        ASSERT_OK(nrt_tensor_memset(c, 0, 0xff, VADD_N * 4));
        if (round == 0)
            ASSERT_OK(nrt_execute(m, in, out));
        else
            ASSERT_OK(nrt_execute_repeat(m, in, out, 3));
        ASSERT_OK(nrt_tensor_read(c, hc, 0, VADD_N * 4));
        for (size_t i = 0; i < VADD_N; i++) {
            float want = ha[i] + hb[i];
            if (memcmp(&hc[i], &want, 4) != 0) {
                fprintf(stderr, "vadd[%zu] = %.9g, expected %.9g\n", i, hc[i], want);
                abort();
            }
        }
    }
    nrt_destroy_tensor_set(&in);
    nrt_destroy_tensor_set(&out);
    ASSERT_OK(nrt_unload(m));
    free(ha);
    free(hb);
    free(hc);
}

static void test_scale(void)
{
    nrt_model_t *m = t_load_model("scale", 1);
    nrt_tensor_set_t *in, *out;
    ASSERT_OK(nrt_allocate_tensor_set(&in));
    ASSERT_OK(nrt_allocate_tensor_set(&out));
    nrt_tensor_t *x = add_tensor(in, "x", 1, VADD_N * 4), *y = add_tensor(out, "y", 1, VADD_N * 4);
    float *hx = malloc(VADD_N * 4), *hy = malloc(VADD_N * 4);
    ASSERT_TRUE(hx && hy);
    t_fill_random(hx, VADD_N, 7);
    ASSERT_OK(nrt_tensor_write(x, hx, 0, VADD_N * 4));
    ASSERT_OK(nrt_execute_repeat(m, in, out, 2));
    ASSERT_OK(nrt_tensor_read(y, hy, 0, VADD_N * 4));
    for (size_t i = 0; i < VADD_N; i++) {
        float want = 2.0f * hx[i] + 1.0f;
        ASSERT_TRUE(fabsf(hy[i] - want) <= 1e-6f * fabsf(want) + 1e-7f);
    }
    nrt_destroy_tensor_set(&in);
    nrt_destroy_tensor_set(&out);
    ASSERT_OK(nrt_unload(m));
    free(hx);
    free(hy);
}

/* models/small.c's f applied SMALL_PASSES times. The volatile makes each
 * product round to fp32 on its own, as the model does (it is built with
 * -ffp-contract=off), even where this file's compiler would fuse. */
static float small_ref(float v)
{
    for (int p = 0; p < SMALL_PASSES; p++) {
        volatile float m = v * 0.75f;
        v = m + 0.25f;
    }
    return v;
}

/* Bit-exact against the reference: the model's vector copies round like
 * plain C. nrt_execute and nrt_execute_repeat, a device input and a host
 * output. */
static void test_small(int vnc)
{
    nrt_model_t *m = t_load_model("small", vnc);
    nrt_tensor_set_t *in, *out;
    ASSERT_OK(nrt_allocate_tensor_set(&in));
    ASSERT_OK(nrt_allocate_tensor_set(&out));
    nrt_tensor_t *x = add_tensor(in, "x", vnc, SMALL_N * 4), *y = add_tensor(out, "y", -1, SMALL_N * 4);
    float hx[SMALL_N], hy[SMALL_N];
    for (int round = 0; round < 2; round++) {
        t_fill_random(hx, SMALL_N, 900 + (uint64_t)round);
        hx[0] = 0.0f; /* special values: 0, 1 (a fixed point of f), a large one */
        hx[1] = 1.0f;
        hx[2] = 1.0e6f;
        ASSERT_OK(nrt_tensor_write(x, hx, 0, SMALL_N * 4));
        ASSERT_OK(nrt_tensor_memset(y, 0, 0xff, SMALL_N * 4));
        if (round == 0)
            ASSERT_OK(nrt_execute(m, in, out));
        else
            ASSERT_OK(nrt_execute_repeat(m, in, out, 3));
        ASSERT_OK(nrt_tensor_read(y, hy, 0, SMALL_N * 4));
        for (size_t i = 0; i < SMALL_N; i++) {
            float want = small_ref(hx[i]);
            if (memcmp(&hy[i], &want, 4) != 0) {
                fprintf(stderr, "small[%zu] = %.9g, expected %.9g (x = %.9g)\n", i, hy[i], want, hx[i]);
                abort();
            }
        }
        ASSERT_TRUE(hy[1] == 1.0f);
    }
    nrt_destroy_tensor_set(&in);
    nrt_destroy_tensor_set(&out);
    ASSERT_OK(nrt_unload(m));
}

static void check_close(const char *what, size_t i, double got, double want, double magnitude)
{
    double tol = 1e-4 * magnitude + 1e-6;
    if (!(fabs(got - want) <= tol)) {
        fprintf(stderr, "%s[%zu] = %.9g, expected %.9g (tolerance %.3g)\n", what, i, got, want, tol);
        abort();
    }
}

static void test_matmul(void)
{
    nrt_model_t *m = t_load_model("matmul", 0);
    nrt_tensor_set_t *in, *out;
    ASSERT_OK(nrt_allocate_tensor_set(&in));
    ASSERT_OK(nrt_allocate_tensor_set(&out));
    nrt_tensor_t *a = add_tensor(in, "a", 0, MM * MM * 4), *b = add_tensor(in, "b", -1, MM * MM * 4),
                 *c = add_tensor(out, "c", 0, MM * MM * 4);
    float *ha = malloc(MM * MM * 4), *hb = malloc(MM * MM * 4), *hc = malloc(MM * MM * 4);
    ASSERT_TRUE(ha && hb && hc);
    for (int round = 0; round < 2; round++) {
        t_fill_random(ha, MM * MM, 300 + (uint64_t)round);
        t_fill_random(hb, MM * MM, 400 + (uint64_t)round);
        ASSERT_OK(nrt_tensor_write(a, ha, 0, MM * MM * 4));
        ASSERT_OK(nrt_tensor_write(b, hb, 0, MM * MM * 4));
        if (round == 0)
            ASSERT_OK(nrt_execute(m, in, out));
        else
            ASSERT_OK(nrt_execute_repeat(m, in, out, 2));
        ASSERT_OK(nrt_tensor_read(c, hc, 0, MM * MM * 4));
        for (size_t i = 0; i < MM; i++)
            for (size_t j = 0; j < MM; j++) {
                double s = 0, mag = 0;
                for (size_t k = 0; k < MM; k++) {
                    double p = (double)ha[i * MM + k] * (double)hb[k * MM + j];
                    s += p;
                    mag += fabs(p);
                }
                check_close("matmul", i * MM + j, hc[i * MM + j], s, mag);
            }
    }
    nrt_destroy_tensor_set(&in);
    nrt_destroy_tensor_set(&out);
    ASSERT_OK(nrt_unload(m));
    free(ha);
    free(hb);
    free(hc);
}

static void test_mlp(void)
{
    float *w1 = malloc(sizeof(float) * MLP_IN * MLP_HIDDEN), *b1 = malloc(sizeof(float) * MLP_HIDDEN),
          *w2 = malloc(sizeof(float) * MLP_HIDDEN * MLP_OUT), *b2 = malloc(sizeof(float) * MLP_OUT),
          *hx = malloc(sizeof(float) * MLP_BATCH * MLP_IN), *hy = malloc(sizeof(float) * MLP_BATCH * MLP_OUT);
    double *h = malloc(sizeof(double) * MLP_HIDDEN), *hmag = malloc(sizeof(double) * MLP_HIDDEN);
    ASSERT_TRUE(w1 && b1 && w2 && b2 && hx && hy && h && hmag);
    mlp_fill(w1, MLP_IN * MLP_HIDDEN, MLP_SEED_W1, MLP_SCALE_W1);
    mlp_fill(b1, MLP_HIDDEN, MLP_SEED_B1, MLP_SCALE_B);
    mlp_fill(w2, MLP_HIDDEN * MLP_OUT, MLP_SEED_W2, MLP_SCALE_W2);
    mlp_fill(b2, MLP_OUT, MLP_SEED_B2, MLP_SCALE_B);

    nrt_model_t *m = t_load_model("mlp", 1);
    nrt_tensor_set_t *in, *out;
    ASSERT_OK(nrt_allocate_tensor_set(&in));
    ASSERT_OK(nrt_allocate_tensor_set(&out));
    nrt_tensor_t *x = add_tensor(in, "x", 1, MLP_BATCH * MLP_IN * 4),
                 *y = add_tensor(out, "y", 1, MLP_BATCH * MLP_OUT * 4);
    size_t positive = 0;
    for (int round = 0; round < 2; round++) {
        t_fill_random(hx, MLP_BATCH * MLP_IN, 500 + (uint64_t)round);
        ASSERT_OK(nrt_tensor_write(x, hx, 0, MLP_BATCH * MLP_IN * 4));
        if (round == 0)
            ASSERT_OK(nrt_execute(m, in, out));
        else
            ASSERT_OK(nrt_execute_repeat(m, in, out, 2));
        ASSERT_OK(nrt_tensor_read(y, hy, 0, MLP_BATCH * MLP_OUT * 4));
        for (size_t r = 0; r < MLP_BATCH; r++) {
            /* h = relu(x W1 + b1), with the magnitude of every term */
            for (size_t k = 0; k < MLP_HIDDEN; k++) {
                double s = b1[k], mag = fabs(b1[k]);
                for (size_t j = 0; j < MLP_IN; j++) {
                    double p = (double)hx[r * MLP_IN + j] * (double)w1[j * MLP_HIDDEN + k];
                    s += p;
                    mag += fabs(p);
                }
                h[k] = s > 0 ? s : 0;
                hmag[k] = mag;
            }
            /* y = relu(h W2 + b2) */
            for (size_t o = 0; o < MLP_OUT; o++) {
                double s = b2[o], mag = fabs(b2[o]);
                for (size_t k = 0; k < MLP_HIDDEN; k++) {
                    s += h[k] * (double)w2[k * MLP_OUT + o];
                    mag += hmag[k] * fabs((double)w2[k * MLP_OUT + o]);
                }
                double want = s > 0 ? s : 0;
                check_close("mlp", r * MLP_OUT + o, hy[r * MLP_OUT + o], want, mag);
                positive += want > 1e-3;
            }
        }
    }
    ASSERT_TRUE(positive > MLP_BATCH * MLP_OUT / 10); /* not trivially zero */
    nrt_destroy_tensor_set(&in);
    nrt_destroy_tensor_set(&out);
    ASSERT_OK(nrt_unload(m));
    free(w1);
    free(b1);
    free(w2);
    free(b2);
    free(hx);
    free(hy);
    free(h);
    free(hmag);
}

/*===------------------------------------------------------------------===*/
/* The acc test model: state, context, repeat, failures                   */
/*===------------------------------------------------------------------===*/

typedef struct {
    nrt_tensor_set_t *in, *out;
    nrt_tensor_t *x, *y, *info;
} acc_io_t;

static void acc_io(acc_io_t *io, int vnc)
{
    ASSERT_OK(nrt_allocate_tensor_set(&io->in));
    ASSERT_OK(nrt_allocate_tensor_set(&io->out));
    io->x = add_tensor(io->in, "x", vnc, 16);
    io->y = add_tensor(io->out, "y", vnc, 16);
    io->info = add_tensor(io->out, "info", -1, 32);
}

static void acc_io_free(acc_io_t *io)
{
    nrt_destroy_tensor_set(&io->in);
    nrt_destroy_tensor_set(&io->out);
}

static void expect_acc(const acc_io_t *io, float x0, float scale, const uint32_t info[5])
{
    float y[4], x[4];
    uint32_t got[8];
    ASSERT_OK(nrt_tensor_read(io->x, x, 0, 16));
    ASSERT_OK(nrt_tensor_read(io->y, y, 0, 16));
    ASSERT_OK(nrt_tensor_read(io->info, got, 0, 32));
    ASSERT_TRUE(x[0] == x0);
    for (int i = 0; i < 4; i++)
        ASSERT_TRUE(y[i] == scale * x[i]);
    for (int i = 0; i < 5; i++)
        ASSERT_EQ_U64(got[i], info[i]);
}

static void test_acc(void)
{
    size_t n;
    void *bytes = module_bytes("acc", &n);
    nrt_model_t *m1 = NULL, *m0 = NULL;
    ASSERT_OK(nrt_load_collectives(bytes, n, 1, 1, 2, 4, &m1));
    ASSERT_OK(nrt_load(bytes, n, 0, -1, &m0)); /* same bytes, separate globals and state */
    free(bytes);
    acc_io_t io1, io0;
    acc_io(&io1, 1);
    acc_io(&io0, 0);
    const float x[4] = {1, 2, 3, 4};
    ASSERT_OK(nrt_tensor_write(io1.x, x, 0, 16));
    ASSERT_OK(nrt_tensor_write(io0.x, x, 0, 16));

    ASSERT_OK(nrt_execute(m1, io1.in, io1.out));
    expect_acc(&io1, 1, 1, (const uint32_t[]){1, 1, 2, 4, 1});
    ASSERT_OK(nrt_execute_repeat(m1, io1.in, io1.out, 4)); /* runs exactly 4 times */
    expect_acc(&io1, 1, 5, (const uint32_t[]){1, 1, 2, 4, 5});
    ASSERT_OK(nrt_execute_repeat(m0, io0.in, io0.out, 1));
    expect_acc(&io0, 1, 1, (const uint32_t[]){0, 0, 0, 1, 1});

    /* execute fails once y[0] > 100: repeat stops at the first failure */
    const float x30[4] = {30, 0, 0, 0};
    ASSERT_OK(nrt_tensor_write(io1.x, x30, 0, 16));
    ASSERT_OK(nrt_tensor_memset(io1.y, 0, 0, 16));
    ASSERT_ST_LOG1(nrt_execute_repeat(m1, io1.in, io1.out, 10), NRT_EXEC_COMPLETED_WITH_ERR);
    expect_acc(&io1, 30, 4, (const uint32_t[]){1, 1, 2, 4, 9});
    ASSERT_ST_LOG1(nrt_execute(m1, io1.in, io1.out), NRT_EXEC_COMPLETED_WITH_ERR);
    expect_acc(&io1, 30, 5, (const uint32_t[]){1, 1, 2, 4, 10});
    /* and the model keeps working */
    ASSERT_OK(nrt_tensor_memset(io1.y, 0, 0, 16));
    ASSERT_OK(nrt_execute(m1, io1.in, io1.out));
    expect_acc(&io1, 30, 1, (const uint32_t[]){1, 1, 2, 4, 11});

    /* one output set may serve models on two cores when it holds host
     * tensors only: run m0 with io1's sets made of host tensors */
    acc_io_t ioh;
    acc_io(&ioh, -1);
    ASSERT_OK(nrt_tensor_write(ioh.x, x, 0, 16));
    ASSERT_OK(nrt_execute(m0, ioh.in, ioh.out));
    expect_acc(&ioh, 1, 1, (const uint32_t[]){0, 0, 0, 1, 2});
    ASSERT_OK(nrt_execute(m1, ioh.in, ioh.out));
    expect_acc(&ioh, 1, 2, (const uint32_t[]){1, 1, 2, 4, 12});

    acc_io_free(&io1);
    acc_io_free(&io0);
    acc_io_free(&ioh);
    ASSERT_OK(nrt_unload(m1));
    ASSERT_OK(nrt_unload(m0));
}

/* NRT_KERNEL_DEFINE with NULL inputs: 0 inputs, runs with an empty set. */
static void test_noinput(void)
{
    nrt_model_t *m = load_module("noinput", 1);
    nrt_tensor_info_array_t *info = NULL;
    ASSERT_OK(nrt_get_model_tensor_info(m, &info));
    ASSERT_EQ_U64(info->tensor_count, 1);
    ASSERT_EQ_U64(info->tensor_array[0].usage, NRT_TENSOR_USAGE_OUTPUT);
    ASSERT_OK(nrt_free_model_tensor_info(info));
    nrt_tensor_set_t *in, *out;
    ASSERT_OK(nrt_allocate_tensor_set(&in));
    ASSERT_OK(nrt_allocate_tensor_set(&out));
    nrt_tensor_t *seq = add_tensor(out, "seq", 1, 32);
    ASSERT_OK(nrt_execute(m, in, out));
    uint32_t got[8];
    ASSERT_OK(nrt_tensor_read(seq, got, 0, sizeof got));
    for (uint32_t i = 0; i < 8; i++)
        ASSERT_EQ_U64(got[i], i == 0 ? 1 : i);
    nrt_destroy_tensor_set(&in);
    nrt_destroy_tensor_set(&out);
    ASSERT_OK(nrt_unload(m));
}

/* A model written in C++: y = x * 3 + lnc. */
static void test_cpp(void)
{
#ifdef NRT_TEST_CPP_MODEL
    nrt_model_t *m = load_module("cpp", 1);
    nrt_tensor_set_t *in, *out;
    ASSERT_OK(nrt_allocate_tensor_set(&in));
    ASSERT_OK(nrt_allocate_tensor_set(&out));
    nrt_tensor_t *x = add_tensor(in, "x", 1, 16), *y = add_tensor(out, "y", 1, 16);
    const float hx[4] = {1, 2, -3, 0.5f};
    float hy[4];
    ASSERT_OK(nrt_tensor_write(x, hx, 0, sizeof hx));
    ASSERT_OK(nrt_execute(m, in, out));
    ASSERT_OK(nrt_tensor_read(y, hy, 0, sizeof hy));
    for (int i = 0; i < 4; i++)
        ASSERT_TRUE(hy[i] == hx[i] * 3.0f + 1.0f);
    nrt_destroy_tensor_set(&in);
    nrt_destroy_tensor_set(&out);
    ASSERT_OK(nrt_unload(m));
#else
    printf("no C++ compiler enabled: the C++ model is not built\n");
#endif
}

/* Executions with bad sets, on a real model. */
static void test_bad_sets(void)
{
    nrt_model_t *m = t_load_model("matmul", 1);
    nrt_tensor_set_t *in, *out;
    ASSERT_OK(nrt_allocate_tensor_set(&in));
    ASSERT_OK(nrt_allocate_tensor_set(&out));
    add_tensor(in, "a", 1, MM * MM * 4);
    add_tensor(out, "c", 1, MM * MM * 4);
    ASSERT_ST_LOG1(nrt_execute(m, in, out), NRT_EXEC_BAD_INPUT); /* "b" missing */
    add_tensor(in, "b", 1, MM * MM * 4 - 1);
    ASSERT_ST_LOG1(nrt_execute(m, in, out), NRT_EXEC_BAD_INPUT); /* "b" one byte short */
    add_tensor(in, "b", 0, MM * MM * 4);
    ASSERT_ST_LOG1(nrt_execute(m, in, out), NRT_INVALID); /* "b" on core 0 */
    ASSERT_ST_LOG1(nrt_execute_repeat(m, in, out, 5), NRT_INVALID);
    add_tensor(in, "b", 1, MM * MM * 4);
    add_tensor(out, "c", 0, MM * MM * 4);
    ASSERT_ST_LOG1(nrt_execute(m, in, out), NRT_INVALID); /* output "c" on core 0 */
    add_tensor(out, "c", -1, MM * MM * 4);
    ASSERT_OK(nrt_execute(m, in, out));
    nrt_destroy_tensor_set(&in);
    nrt_destroy_tensor_set(&out);
    ASSERT_OK(nrt_unload(m));
}

int main(void)
{
    t_api_env();
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, NULL, NULL));
    test_placement();
    test_tensor_info();
    test_vadd(0, false);
    test_vadd(1, false);
    test_vadd(1, true);
    test_scale();
    test_small(0);
    test_small(1);
    test_matmul();
    test_mlp();
    test_acc();
    test_noinput();
    test_cpp();
    test_bad_sets();
    nrt_close();
    printf("models ok\n");
    return 0;
}

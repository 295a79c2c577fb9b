/*
 * models/mlp.c - example model: a two-layer perceptron,
 *   y = relu(relu(x . W1 + b1) . W2 + b2),
 * with weights made deterministically at load (mlp_params.h) and kept in
 * per-load state. Matrix products go through OpenBLAS.
 */
#include <cblas.h>
#include <stdlib.h>

#include "mlp_params.h"
#include "nrt/nrt_kernel.h"

static const nrt_kernel_tensor_t inputs[] = {
    {"x", NRT_DTYPE_FLOAT32, 2, {MLP_BATCH, MLP_IN}, MLP_BATCH * MLP_IN * 4},
};
static const nrt_kernel_tensor_t outputs[] = {
    {"y", NRT_DTYPE_FLOAT32, 2, {MLP_BATCH, MLP_OUT}, MLP_BATCH * MLP_OUT * 4},
};

typedef struct {
    float w1[MLP_IN * MLP_HIDDEN], b1[MLP_HIDDEN];
    float w2[MLP_HIDDEN * MLP_OUT], b2[MLP_OUT];
    float h[MLP_BATCH * MLP_HIDDEN];
} mlp_state_t;

void openblas_set_num_threads(int);

static NRT_STATUS mlp_init(const nrt_kernel_load_info_t *info, void **out_state)
{
    (void)info;
    mlp_state_t *s = malloc(sizeof *s);
    if (!s)
        return NRT_RESOURCE;
    mlp_fill(s->w1, MLP_IN * MLP_HIDDEN, MLP_SEED_W1, MLP_SCALE_W1);
    mlp_fill(s->b1, MLP_HIDDEN, MLP_SEED_B1, MLP_SCALE_B);
    mlp_fill(s->w2, MLP_HIDDEN * MLP_OUT, MLP_SEED_W2, MLP_SCALE_W2);
    mlp_fill(s->b2, MLP_OUT, MLP_SEED_B2, MLP_SCALE_B);
    openblas_set_num_threads(1);
    *out_state = s;
    return NRT_SUCCESS;
}

static void mlp_fini(void *state)
{
    free(state);
}

static void bias_relu(float *m, const float *b, int rows, int cols)
{
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            float v = m[r * cols + c] + b[c];
            m[r * cols + c] = v > 0.0f ? v : 0.0f;
        }
}

static NRT_STATUS mlp_execute(const nrt_kernel_args_t *args)
{
    mlp_state_t *s = args->state;
    const float *x = args->inputs[0];
    float *y = args->outputs[0];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, MLP_BATCH, MLP_HIDDEN, MLP_IN, 1.0f, x, MLP_IN, s->w1,
                MLP_HIDDEN, 0.0f, s->h, MLP_HIDDEN);
    bias_relu(s->h, s->b1, MLP_BATCH, MLP_HIDDEN);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, MLP_BATCH, MLP_OUT, MLP_HIDDEN, 1.0f, s->h, MLP_HIDDEN,
                s->w2, MLP_OUT, 0.0f, y, MLP_OUT);
    bias_relu(y, s->b2, MLP_BATCH, MLP_OUT);
    return NRT_SUCCESS;
}

NRT_KERNEL_DEFINE("mlp", inputs, outputs, mlp_init, mlp_fini, mlp_execute);

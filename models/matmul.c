/*
 * models/matmul.c - example model: C[M,N] = A[M,K] . B[K,N] in fp32 through
 * OpenBLAS (single-threaded: the runtime's units provide the parallelism).
 */
#include <cblas.h>

#include "nrt/nrt_kernel.h"

#define M 256
#define K 256
#define N 256

static const nrt_kernel_tensor_t inputs[] = {
    {"a", NRT_DTYPE_FLOAT32, 2, {M, K}, M * K * 4},
    {"b", NRT_DTYPE_FLOAT32, 2, {K, N}, K * N * 4},
};
static const nrt_kernel_tensor_t outputs[] = {
    {"c", NRT_DTYPE_FLOAT32, 2, {M, N}, M * N * 4},
};

void openblas_set_num_threads(int);

static NRT_STATUS matmul_init(const nrt_kernel_load_info_t *info, void **state)
{
    (void)info;
    *state = NULL;
    openblas_set_num_threads(1);
    return NRT_SUCCESS;
}

static NRT_STATUS matmul_execute(const nrt_kernel_args_t *args)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, args->inputs[0], K, args->inputs[1], N,
                0.0f, args->outputs[0], N);
    return NRT_SUCCESS;
}

NRT_KERNEL_DEFINE("matmul", inputs, outputs, matmul_init, NULL, matmul_execute);

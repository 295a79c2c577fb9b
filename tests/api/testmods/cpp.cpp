/*
 * tests/api/testmods/cpp.cpp - a model written in C++: the
 * descriptor comes from NRT_KERNEL_DEFINE compiled as C++ (it must be
 * exported with C linkage), and the object has a global constructor and a
 * template, so C++ runtime initialization happens at load.
 * y = x * factor + lnc over 4 floats, factor = 3 (set by the constructor).
 */
#include "nrt/nrt_kernel.h"

namespace {

struct Factor {
    float value;
    Factor() : value(3.0f) {}
};
Factor factor; /* constructed when the object loads */

template <typename T, int N> void scale_add(const T *x, T *y, T f, T add)
{
    for (int i = 0; i < N; i++)
        y[i] = x[i] * f + add;
}

const nrt_kernel_tensor_t inputs[] = {
    {"x", NRT_DTYPE_FLOAT32, 1, {4}, 16},
};
const nrt_kernel_tensor_t outputs[] = {
    {"y", NRT_DTYPE_FLOAT32, 1, {4}, 16},
};

NRT_STATUS cpp_execute(const nrt_kernel_args_t *args)
{
    scale_add<float, 4>(static_cast<const float *>(args->inputs[0]), static_cast<float *>(args->outputs[0]),
                        factor.value, static_cast<float>(args->lnc));
    return NRT_SUCCESS;
}

} // namespace

NRT_KERNEL_DEFINE("cpp", inputs, outputs, NULL, NULL, cpp_execute);

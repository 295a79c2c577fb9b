/*
 * tests/api/test_headers_cpp.cpp - every public header compiles as C++
 * (extern "C" guards, no C-only constructs), links against libnrt.so, and
 * the fixed ABI holds there too (abi_asserts.h).
 */
#include "nrt/nrt.h"
#include "nrt/nrt_async.h"
#include "nrt/nrt_async_sendrecv.h"
#include "nrt/nrt_experimental.h"
#include "nrt/nrt_ext.h"
#include "nrt/nrt_kernel.h"
#include "nrt/nrt_status.h"
#include "nrt/nrt_version.h"
#include "nrt/nrt_profile.h"
#include "nrt/nrt_sys_trace.h"
#include "nrt/ndebug_stream.h"
#include "nrt/nec.h"
#include "ndl/neuron_driver_shared_tensor_batch_op.h"

#include <cstdio>
#include <cstring>
#include <type_traits>

#include "abi_asserts.h"

static_assert(sizeof(ndebug_stream_event_header_t) == 64, "debug event header is 64 bytes");
static_assert(sizeof(ndebug_stream_payload_debug_tensor_read_t) == 1024, "tensor data follows at 1024");
static_assert(sizeof(enc_host_mem_t) == 32, "enc_host_mem_t is 32 bytes");
static_assert(sizeof(nec_version_info_t) == 56, "nec_version_info_t: 56 bytes before future fields");
static_assert(std::is_same<decltype(&nrt_sys_trace_stop), NRT_STATUS (*)()>::value, "nrt_sys_trace_stop prototype");

static_assert(std::is_same<nrt_tensor_set_t, void>::value, "nrt_tensor_set_t is void");
static_assert(std::is_same<nrta_seq_t, uint64_t>::value, "nrta_seq_t is uint64_t");
static_assert(std::is_same<nrta_xu_id_t, uint16_t>::value, "nrta_xu_id_t is uint16_t");
static_assert(std::is_same<decltype(&nrt_tensor_get_size), size_t (*)(const nrt_tensor_t *)>::value,
              "nrt_tensor_get_size prototype");
static_assert(std::is_same<decltype(&nrt_close), void (*)()>::value, "nrt_close prototype");
static_assert(std::is_same<decltype(&nrt_tensor_get_va), void *(*)(const nrt_tensor_t *)>::value,
              "nrt_tensor_get_va prototype");
static_assert(std::is_same<decltype(&nrt_tensor_read_batch),
                           NRT_STATUS (*)(const nrt_tensor_batch_t *, uint64_t, bool)>::value,
              "nrt_tensor_read_batch prototype");
static_assert(std::is_same<decltype(&nrta_error_tracker_get_list),
                           NRT_STATUS (*)(nrta_error_tracker_t *, const nrta_error_t **, size_t *)>::value,
              "nrta_error_tracker_get_list prototype");

/* A model written in C++ with the kernel ABI macro. */
namespace {
const nrt_kernel_tensor_t outs[] = {{"y", NRT_DTYPE_FLOAT32, 1, {4}, 16}};
NRT_STATUS cpp_execute(const nrt_kernel_args_t *args)
{
    (void)args;
    return NRT_SUCCESS;
}
} // namespace

static const nrt_kernel_descriptor_t descriptor = {NRT_KERNEL_MAGIC, NRT_KERNEL_ABI_VERSION, "cpp", 0, 1, nullptr,
                                                   outs, nullptr, nullptr, cpp_execute};

int main()
{
    if (std::strcmp(nrt_get_status_as_str(NRT_EXEC_BAD_INPUT), "NRT_EXEC_BAD_INPUT") != 0)
        return 1;
    if (nrt_kernel_dtype_size(NRT_DTYPE_INT64) != 8 || descriptor.execute(nullptr) != NRT_SUCCESS)
        return 1;
    if (std::strcmp(nrtx_version(), NRTX_VERSION_STRING) != 0)
        return 1;
    std::printf("headers (C++%ld) ok\n", (long)__cplusplus);
    return 0;
}

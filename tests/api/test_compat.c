/*
 * tests/api/test_compat.c - the Neuron runtime functions around the core
 * API (issue 10): nrt_get_version (size-tolerant, before nrt_init too),
 * nrt_memcpy_to_device (really copies into a device tensor),
 * nrt_async_drain_queued_execs, and the device-memory exports that have no
 * device behind them (documented NRT_FAILURE). Public API only.
 */
#include "harness.h"
#include "nrt/nrt_experimental.h"
#include "nrt/nrt_version.h"

int main(void)
{
    /* Version: whole, partial (a shorter struct), bad arguments; before init. */
    _Static_assert(sizeof(nrt_version_t) == 224, "nrt_version_t is 224 bytes");
    nrt_version_t v;
    memset(&v, 0xa5, sizeof v);
    ASSERT_OK(nrt_get_version(&v, sizeof v));
    ASSERT_TRUE(strncmp(v.rt_detail, "OpenNRT ", 8) == 0);
    ASSERT_TRUE(memchr(v.git_hash, 0, sizeof v.git_hash) != NULL);
    unsigned char part[16];
    memset(part, 0xa5, sizeof part);
    ASSERT_OK(nrt_get_version((nrt_version_t *)(void *)part, 8)); /* only rt_major */
    uint64_t major;
    memcpy(&major, part, 8);
    ASSERT_EQ_U64(major, v.rt_major);
    ASSERT_EQ_U64(part[8], 0xa5); /* nothing past the size */
    ASSERT_ST(nrt_get_version(NULL, sizeof v), NRT_INVALID);
    ASSERT_ST(nrt_get_version(&v, 0), NRT_INVALID);

    char src[256], back[256];
    for (int i = 0; i < 256; i++)
        src[i] = (char)(i * 7);
    ASSERT_ST(nrt_memcpy_to_device(back, src, 4), NRT_UNINITIALIZED);

    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    nrt_tensor_t *t;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, sizeof src, "t", &t));
    void *va = nrt_tensor_get_va(t);
    ASSERT_TRUE(va != NULL);
    ASSERT_OK(nrt_memcpy_to_device(va, src, sizeof src));
    ASSERT_OK(nrt_tensor_read(t, back, 0, sizeof back));
    ASSERT_TRUE(memcmp(src, back, sizeof src) == 0);
    ASSERT_OK(nrt_memcpy_to_device(NULL, NULL, 0));
    ASSERT_ST(nrt_memcpy_to_device(NULL, src, 4), NRT_INVALID);
    ASSERT_ST(nrt_memcpy_to_device(va, NULL, 4), NRT_INVALID);

    /* Drain: an idle core, a core that does not exist. */
    ASSERT_OK(nrt_async_drain_queued_execs(0));
    ASSERT_ST(nrt_async_drain_queued_execs(64), NRT_INVALID);
    ASSERT_ST(nrt_async_drain_queued_execs(-1), NRT_INVALID);

    /* No device behind these: documented failures, outputs cleared. */
    int fd = 5;
    ASSERT_ST(nrt_get_dmabuf_fd((uint64_t)(uintptr_t)va, sizeof src, &fd), NRT_FAILURE);
    ASSERT_TRUE(fd == -1);
    ASSERT_ST(nrt_get_dmabuf_fd(0, 0, NULL), NRT_INVALID);
    void *addr = va;
    size_t sz = 9;
    ASSERT_ST(nrt_get_hbm_mmap_va(0, 0, &addr, &sz), NRT_FAILURE);
    ASSERT_TRUE(addr == NULL && sz == 0);
    char bdf[32] = "x";
    size_t len = sizeof bdf;
    ASSERT_ST(nrt_get_attached_efa_bdf(va, bdf, &len), NRT_FAILURE);
    ASSERT_TRUE(len == 0 && bdf[0] == 0);
    nrt_tensor_free(&t);
    nrt_close();
    printf("compat: ok (OpenNRT %llu.%llu.%llu, git %s)\n", (unsigned long long)v.rt_major,
           (unsigned long long)v.rt_minor, (unsigned long long)v.rt_patch, v.git_hash[0] ? v.git_hash : "-");
    return 0;
}

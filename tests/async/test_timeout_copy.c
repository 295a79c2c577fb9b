/*
 * A copy that exceeds the exec timeout stops before its completion is
 * reported: once a request reports complete (with NRT_TIMEOUT or not), the
 * runtime never touches the caller's buffer again. A read must not write
 * into the destination after completion; the source of a write may be
 * freed (unmapped) right after completion without a crash; a copy into a
 * caller's buffer attached to a tensor stops writing it at completion.
 *
 * The timeout is 1 ms and the copies are 256 MiB, so they normally time
 * out; the checked property holds whatever the timing (a copy that
 * finished in time simply completes with NRT_SUCCESS).
 */
#include "async_util.h"

#include <sys/mman.h>

#define BIG (256u << 20)

static NRT_STATUS status_of(nrta_error_tracker_t *et, nrta_seq_t seq)
{
    nrta_error_t e[4];
    size_t n = t_drain(et, e, 4);
    for (size_t i = 0; i < n && i < 4; i++)
        if (e[i].seq_id == seq)
            return (NRT_STATUS)e[i].error_code;
    return NRT_SUCCESS;
}

int main(void)
{
    t_setenv("OPENNRT_EXEC_TIMEOUT_MS", "1");
    t_init();
    nrta_error_tracker_t *et;
    ASSERT_OK(nrta_error_tracker_create(0, &et));
    nrt_tensor_t *t;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, BIG, "big", &t));
    ASSERT_OK(nrt_tensor_memset(t, 0, 0x5a, BIG));

    /* Read: the destination stays as it was at completion. */
    unsigned char *dst = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(dst != MAP_FAILED);
    nrta_seq_t rs;
    ASSERT_OK(nrta_tensor_read(dst, t, 0, BIG, 0, et, &rs));
    t_wait(rs);
    NRT_STATUS rst = status_of(et, rs);
    ASSERT_TRUE(rst == NRT_SUCCESS || rst == NRT_TIMEOUT);
    size_t touched = 0;
    for (size_t i = 0; i < BIG; i += 4096)
        touched += dst[i] != 0;
    usleep(100000); /* a runaway copy would go on meanwhile */
    size_t later = 0;
    for (size_t i = 0; i < BIG; i += 4096)
        later += dst[i] != 0;
    printf("read: %s, %zu of %u pages written at completion, %zu after\n", nrt_get_status_as_str(rst), touched,
           BIG / 4096, later);
    ASSERT_EQ_U64(later, touched);
    munmap(dst, BIG);

    /* Write: the source may be unmapped as soon as the request completed. */
    unsigned char *src = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(src != MAP_FAILED);
    memset(src, 0x11, BIG);
    nrta_seq_t ws;
    ASSERT_OK(nrta_tensor_write(t, src, 0, BIG, 0, et, &ws));
    t_wait(ws);
    NRT_STATUS wst = status_of(et, ws);
    ASSERT_TRUE(wst == NRT_SUCCESS || wst == NRT_TIMEOUT);
    munmap(src, BIG); /* a copy still reading it would crash here */
    usleep(100000);
    printf("write: %s, source unmapped after completion\n", nrt_get_status_as_str(wst));

    /* Copy into a caller's buffer attached to a tensor (TENSOR_OP): the
     * same rule; the unit degraded by the write's timeout is TENSOR_WRITE,
     * TENSOR_OP still runs. */
    unsigned char *att = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(att != MAP_FAILED);
    nrt_tensor_t *a;
    ASSERT_OK(nrt_tensor_allocate_empty("attached", &a));
    ASSERT_OK(nrt_tensor_attach_buffer(a, att, BIG));
    nrta_seq_t cs;
    ASSERT_OK(nrta_tensor_copy(t, 0, a, 0, BIG, 0, et, &cs));
    t_wait(cs);
    NRT_STATUS cst = status_of(et, cs);
    ASSERT_TRUE(cst == NRT_SUCCESS || cst == NRT_TIMEOUT);
    touched = 0;
    for (size_t i = 0; i < BIG; i += 4096)
        touched += att[i] != 0;
    usleep(100000);
    later = 0;
    for (size_t i = 0; i < BIG; i += 4096)
        later += att[i] != 0;
    printf("copy to an attached buffer: %s, %zu of %u pages written at completion, %zu after\n",
           nrt_get_status_as_str(cst), touched, BIG / 4096, later);
    ASSERT_EQ_U64(later, touched);
    nrt_tensor_free(&a);
    munmap(att, BIG);

    nrt_tensor_free(&t);
    nrta_error_tracker_destroy(et);
    nrt_close();
    printf("timeout_copy: ok\n");
    return 0;
}

/*
 * Which core serves a tensor with an attached buffer (issue 11, defect
 * 12; docs/API.md "Which unit"): the core the tensor was allocated on
 * (a VIRTUAL tensor allocated on core 1, and its slices: core 1's units
 * and tracker), core 0 for a tensor allocated without one
 * (nrt_tensor_allocate_empty, VIRTUAL with vnc -1), and core 0 for host
 * tensors whatever core they name. A tracker of another core is refused
 * with NRT_INVALID and one log line, as is a copy across cores.
 */
#include "async_util.h"

/* A write then a read of 64 bytes through |t| on queue 1 with tracker
 * |et|: checks the data and that both ran on core |lnc|. */
static void roundtrip(nrt_tensor_t *t, uint32_t lnc, nrta_error_tracker_t *et, unsigned char tag)
{
    unsigned char in[64], out[64] = {0};
    for (int i = 0; i < 64; i++)
        in[i] = (unsigned char)(i ^ tag);
    nrta_seq_t w, r;
    ASSERT_OK(nrta_tensor_write(t, in, 0, sizeof in, 1, et, &w));
    ASSERT_SEQ(w, t_seq(lnc, NRTA_XU_TENSOR_WRITE, 1, NRTA_SEQ_GET_SEQ_NUM(w)));
    t_wait(w);
    ASSERT_OK(nrta_tensor_read(out, t, 0, sizeof out, 1, et, &r));
    ASSERT_SEQ(r, t_seq(lnc, NRTA_XU_TENSOR_READ, 1, NRTA_SEQ_GET_SEQ_NUM(r)));
    t_wait(r);
    ASSERT_TRUE(memcmp(in, out, sizeof in) == 0);
    nrta_error_t e[2];
    ASSERT_EQ_U64(t_drain(et, e, 2), 0);
}

static nrt_tensor_t *attached(nrt_tensor_placement_t p, int vnc, unsigned char *buf, size_t n)
{
    nrt_tensor_t *t;
    if (vnc == -2)
        ASSERT_OK(nrt_tensor_allocate_empty("att", &t));
    else
        ASSERT_OK(nrt_tensor_allocate(p, vnc, n, "att", &t));
    if (buf)
        ASSERT_OK(nrt_tensor_attach_buffer(t, buf, n));
    return t;
}

int main(void)
{
    t_setenv("OPENNRT_FAULT", NULL);
    t_init();
    nrta_error_tracker_t *et0, *et1;
    ASSERT_OK(nrta_error_tracker_create(0, &et0));
    ASSERT_OK(nrta_error_tracker_create(1, &et1));
    static unsigned char b1[4096], b2[4096], b3[4096];
    unsigned char tmp[64];
    nrta_seq_t s;

    /* VIRTUAL on core 1 with a buffer: core 1's units and tracker. */
    nrt_tensor_t *v1 = attached(NRT_TENSOR_PLACEMENT_VIRTUAL, 1, b1, sizeof b1);
    roundtrip(v1, 1, et1, 1);
    ASSERT_ST_LOG1(nrta_tensor_write(v1, tmp, 0, sizeof tmp, 0, et0, &s), NRT_INVALID);
    ASSERT_ST_LOG1(nrta_tensor_read(tmp, v1, 0, sizeof tmp, 0, et0, &s), NRT_INVALID);
    /* its slices too */
    nrt_tensor_t *sl;
    ASSERT_OK(nrt_tensor_allocate_slice(v1, 1024, 1024, "sl", &sl));
    roundtrip(sl, 1, et1, 2);
    ASSERT_TRUE(b1[1024] == (0 ^ 2) && b1[1025] == (1 ^ 2));
    /* copies: with core 1's device tensors, not with host memory (core 0) */
    nrt_tensor_t *d1, *h;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, 4096, "d1", &d1));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, 1, 4096, "h", &h));
    ASSERT_OK(nrta_tensor_copy(v1, 0, d1, 0, 64, 0, et1, &s));
    ASSERT_SEQ(s, t_seq(1, NRTA_XU_TENSOR_OP, 0, NRTA_SEQ_GET_SEQ_NUM(s)));
    t_wait(s);
    ASSERT_ST_LOG1(nrta_tensor_copy(v1, 0, h, 0, 64, 0, NULL, &s), NRT_INVALID);
    /* re-attaching keeps the core */
    ASSERT_OK(nrt_tensor_attach_buffer(v1, b2, sizeof b2));
    roundtrip(v1, 1, et1, 3);
    ASSERT_TRUE(b2[0] == 3);

    /* Allocated without a core: core 0. */
    nrt_tensor_t *e = attached(NRT_TENSOR_PLACEMENT_VIRTUAL, -2, b3, sizeof b3);
    roundtrip(e, 0, et0, 4);
    ASSERT_ST_LOG1(nrta_tensor_write(e, tmp, 0, sizeof tmp, 0, et1, &s), NRT_INVALID);
    nrt_tensor_t *vn = attached(NRT_TENSOR_PLACEMENT_VIRTUAL, -1, b3, sizeof b3);
    roundtrip(vn, 0, et0, 5);
    ASSERT_OK(nrta_tensor_copy(vn, 0, h, 0, 64, 2, et0, &s)); /* host memory: core 0 */
    ASSERT_SEQ(s, t_seq(0, NRTA_XU_TENSOR_OP, 2, NRTA_SEQ_GET_SEQ_NUM(s)));
    t_wait(s);

    /* Host tensors run on core 0 whatever core they name. */
    roundtrip(h, 0, et0, 6);
    ASSERT_ST_LOG1(nrta_tensor_write(h, tmp, 0, sizeof tmp, 0, et1, &s), NRT_INVALID);

    nrt_tensor_free(&sl);
    nrt_tensor_free(&v1);
    nrt_tensor_free(&e);
    nrt_tensor_free(&vn);
    nrt_tensor_free(&d1);
    nrt_tensor_free(&h);
    nrta_error_tracker_destroy(et0);
    nrta_error_tracker_destroy(et1);
    nrt_close();
    printf("async_attached_core ok\n");
    return 0;
}

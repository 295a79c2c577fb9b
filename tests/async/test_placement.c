/*
 * Which units serve a request: reads and writes use the units of the
 * tensor's core, copies need both tensors on one core (NRT_INVALID
 * otherwise) and use its TENSOR_OP unit, executions use the model's core's
 * COMPUTE unit, and host tensors use core 0's units. Error trackers must
 * belong to that core.
 */
#include "async_util.h"

static nrt_tensor_t *alloc(nrt_tensor_placement_t p, int vnc, size_t size)
{
    nrt_tensor_t *t = NULL;
    ASSERT_OK(nrt_tensor_allocate(p, vnc, size, "t", &t));
    return t;
}

static uint64_t submitted(uint32_t lnc, nrta_xu_t xu, int q)
{
    return t_stats(lnc, xu, q).submitted;
}

static uint64_t total_submitted(void)
{
    uint64_t n = 0;
    for (uint32_t lnc = 0; lnc < 2; lnc++)
        for (uint32_t xu = 0; xu < NRTA_XU_TYPE_NUM; xu++)
            for (int q = 0; q < (xu <= NRTA_XU_TENSOR_OP ? 4 : 1); q++)
                n += submitted(lnc, (nrta_xu_t)xu, q);
    return n;
}

/* write |t| then read it back, both async on queue |q|, checking the ids
 * name core |lnc|. */
static void io_roundtrip(nrt_tensor_t *t, uint32_t lnc, int q, nrta_error_tracker_t *et, unsigned char seed)
{
    unsigned char in[256], out[256];
    for (int i = 0; i < 256; i++)
        in[i] = (unsigned char)(i ^ seed);
    memset(out, 0, sizeof out);
    uint64_t wn = submitted(lnc, NRTA_XU_TENSOR_WRITE, q), rn = submitted(lnc, NRTA_XU_TENSOR_READ, q);
    uint64_t other_w = submitted(1 - lnc, NRTA_XU_TENSOR_WRITE, q), other_r = submitted(1 - lnc, NRTA_XU_TENSOR_READ, q);
    nrta_seq_t w, r;
    ASSERT_OK(nrta_tensor_write(t, in, 0, sizeof in, q, et, &w));
    ASSERT_SEQ(w, t_seq(lnc, NRTA_XU_TENSOR_WRITE, (uint32_t)q, wn + 1));
    t_wait(w);
    ASSERT_OK(nrta_tensor_read(out, t, 0, sizeof out, q, et, &r));
    ASSERT_SEQ(r, t_seq(lnc, NRTA_XU_TENSOR_READ, (uint32_t)q, rn + 1));
    t_wait(r);
    ASSERT_TRUE(memcmp(in, out, sizeof in) == 0);
    /* the other core's units saw nothing */
    ASSERT_EQ_U64(submitted(1 - lnc, NRTA_XU_TENSOR_WRITE, q), other_w);
    ASSERT_EQ_U64(submitted(1 - lnc, NRTA_XU_TENSOR_READ, q), other_r);
}

static void copy_ok(nrt_tensor_t *a, nrt_tensor_t *b, uint32_t lnc, int q)
{
    unsigned char in[128], out[128];
    for (int i = 0; i < 128; i++)
        in[i] = (unsigned char)(i * 3 + lnc + (unsigned)q);
    ASSERT_OK(nrt_tensor_write(a, in, 0, sizeof in));
    uint64_t n = submitted(lnc, NRTA_XU_TENSOR_OP, q);
    nrta_seq_t s;
    ASSERT_OK(nrta_tensor_copy(a, 0, b, 64, sizeof in, q, NULL, &s));
    ASSERT_SEQ(s, t_seq(lnc, NRTA_XU_TENSOR_OP, (uint32_t)q, n + 1));
    t_wait(s);
    ASSERT_OK(nrt_tensor_read(b, out, 64, sizeof out));
    ASSERT_TRUE(memcmp(in, out, sizeof in) == 0);
}

int main(void)
{
    t_init();
    nrta_error_tracker_t *et0, *et1;
    ASSERT_OK(nrta_error_tracker_create(0, &et0));
    ASSERT_OK(nrta_error_tracker_create(1, &et1));
    nrta_error_tracker_t *bad = (nrta_error_tracker_t *)&bad;
    ASSERT_ST(nrta_error_tracker_create(2, &bad), NRT_INVALID);
    ASSERT_TRUE(bad == NULL);

    nrt_tensor_t *d0 = alloc(NRT_TENSOR_PLACEMENT_DEVICE, 0, 4096);
    nrt_tensor_t *d0b = alloc(NRT_TENSOR_PLACEMENT_DEVICE, 0, 4096);
    nrt_tensor_t *d1 = alloc(NRT_TENSOR_PLACEMENT_DEVICE, 1, 4096);
    nrt_tensor_t *d1b = alloc(NRT_TENSOR_PLACEMENT_DEVICE, 1, 4096);
    nrt_tensor_t *h = alloc(NRT_TENSOR_PLACEMENT_HOST, -1, 4096);
    nrt_tensor_t *hb = alloc(NRT_TENSOR_PLACEMENT_HOST, -1, 4096);

    /* reads and writes: the tensor's core; host tensors: core 0 */
    for (int q = 0; q < 4; q++) {
        io_roundtrip(d0, 0, q, et0, 1);
        io_roundtrip(d1, 1, q, et1, 2);
        io_roundtrip(h, 0, q, et0, 3);
        io_roundtrip(d1, 1, q, NULL, 4);
    }
    /* a slice is served by its source's core */
    nrt_tensor_t *s1;
    ASSERT_OK(nrt_tensor_allocate_slice(d1, 1024, 1024, "s1", &s1));
    io_roundtrip(s1, 1, 2, et1, 5);
    /* a tensor with an attached caller buffer is a host tensor */
    nrt_tensor_t *att;
    static unsigned char user_buf[512];
    ASSERT_OK(nrt_tensor_allocate_empty("att", &att));
    ASSERT_OK(nrt_tensor_attach_buffer(att, user_buf, sizeof user_buf));
    io_roundtrip(att, 0, 1, et0, 6);
    for (int i = 0; i < 256; i++)
        ASSERT_EQ_U64(user_buf[i], (unsigned char)(i ^ 6));

    /* trackers must belong to the core that runs the request */
    unsigned char buf[64] = {0};
    nrta_seq_t s;
    uint64_t before = total_submitted();
    ASSERT_ST(nrta_tensor_write(d0, buf, 0, 64, 0, et1, &s), NRT_INVALID);
    ASSERT_ST(nrta_tensor_read(buf, d1, 0, 64, 0, et0, &s), NRT_INVALID);
    ASSERT_ST(nrta_tensor_write(h, buf, 0, 64, 0, et1, &s), NRT_INVALID);
    ASSERT_ST(nrta_tensor_copy(d1, 0, d1b, 0, 64, 0, et0, &s), NRT_INVALID);

    /* copies: both tensors on one core */
    for (int q = 0; q < 4; q++) {
        copy_ok(d0, d0b, 0, q);
        copy_ok(d1, d1b, 1, q);
        copy_ok(h, hb, 0, q);  /* host -> host: core 0 */
        copy_ok(h, d0, 0, q);  /* host -> core 0 */
        copy_ok(d0, h, 0, q);  /* core 0 -> host */
        copy_ok(d1, s1, 1, q); /* into a slice of core 1 */
    }
    ASSERT_ST(nrta_tensor_copy(d0, 0, d1, 0, 64, 0, NULL, &s), NRT_INVALID);
    ASSERT_ST(nrta_tensor_copy(d1, 0, d0, 0, 64, 1, NULL, &s), NRT_INVALID);
    ASSERT_ST(nrta_tensor_copy(h, 0, d1, 0, 64, 2, NULL, &s), NRT_INVALID);
    ASSERT_ST(nrta_tensor_copy(d1, 0, h, 0, 64, 3, NULL, &s), NRT_INVALID);
    ASSERT_ST(nrta_tensor_copy(d1, 0, d1b, 0, 64, 0, et1, NULL), NRT_INVALID);
    /* bounds and empty tensors */
    nrt_tensor_t *empty;
    ASSERT_OK(nrt_tensor_allocate_empty("empty", &empty));
    ASSERT_ST(nrta_tensor_write(empty, buf, 0, 64, 0, NULL, &s), NRT_INVALID);
    ASSERT_ST(nrta_tensor_write(d0, buf, 4095, 2, 0, NULL, &s), NRT_INVALID);
    ASSERT_ST(nrta_tensor_write(d0, buf, UINT64_MAX, 2, 0, NULL, &s), NRT_INVALID);
    ASSERT_ST(nrta_tensor_read(buf, d0, 1, 4096, 0, NULL, &s), NRT_INVALID);
    ASSERT_ST(nrta_tensor_copy(d0, 4000, d0b, 0, 128, 0, NULL, &s), NRT_INVALID);
    ASSERT_ST(nrta_tensor_write(d0, NULL, 0, 64, 0, NULL, &s), NRT_INVALID);
    ASSERT_ST(nrta_tensor_read(NULL, d0, 0, 64, 0, NULL, &s), NRT_INVALID);
    ASSERT_ST(nrta_tensor_write(NULL, buf, 0, 64, 0, NULL, &s), NRT_INVALID);
    ASSERT_EQ_U64(total_submitted(), before + 4 * 6); /* only the copy_ok ones */

    /* executions: the model's core */
    tm_shared_t *sh = t_shared_new();
    nrt_model_t *m1 = t_tm_load(1), *m0 = t_tm_load(0);
    t_tm_req_t r1, r0;
    t_tm_req_init(&r1, 1, (t_tm_opts_t){.sh = sh, .tag = 11});
    t_tm_req_init(&r0, 0, (t_tm_opts_t){.sh = sh, .tag = 10});
    nrta_seq_t e;
    ASSERT_OK(nrta_execute_schedule(m1, r1.in, r1.out, 0, et1, &e));
    ASSERT_SEQ(e, t_seq(1, NRTA_XU_COMPUTE, 0, 1));
    t_wait(e);
    t_tm_check_y(r1.y, 11);
    ASSERT_EQ_U64(atomic_load(&sh->lnc_mask), 1u << 1);
    ASSERT_EQ_U64(submitted(0, NRTA_XU_COMPUTE, 0), 0);
    ASSERT_OK(nrta_execute_schedule(m0, r0.in, r0.out, 0, et0, &e));
    ASSERT_SEQ(e, t_seq(0, NRTA_XU_COMPUTE, 0, 1));
    t_wait(e);
    t_tm_check_y(r0.y, 10);
    ASSERT_EQ_U64(atomic_load(&sh->lnc_mask), 3u);
    /* tracker of the other core; tensors of the other core */
    ASSERT_ST(nrta_execute_schedule(m1, r1.in, r1.out, 0, et0, &e), NRT_INVALID);
    ASSERT_ST(nrta_execute_schedule(m1, r0.in, r0.out, 0, et1, &e), NRT_INVALID);
    ASSERT_EQ_U64(submitted(1, NRTA_XU_COMPUTE, 0), 1);
    /* host tensors may feed a model on any core */
    t_tm_req_t rh;
    t_tm_req_init(&rh, 1, (t_tm_opts_t){.tag = 12});
    nrt_tensor_t *hx = alloc(NRT_TENSOR_PLACEMENT_HOST, -1, TM_N * 4), *hy = alloc(NRT_TENSOR_PLACEMENT_HOST, -1, TM_N * 4);
    float xs[TM_N];
    for (int i = 0; i < TM_N; i++)
        xs[i] = (float)i;
    ASSERT_OK(nrt_tensor_write(hx, xs, 0, sizeof xs));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(rh.in, "x", hx));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(rh.out, "y", hy));
    ASSERT_OK(nrta_execute_schedule(m1, rh.in, rh.out, 0, et1, &e));
    ASSERT_SEQ(e, t_seq(1, NRTA_XU_COMPUTE, 0, 2));
    t_wait(e);
    t_tm_check_y(hy, 12);
    /* a model loaded with vnc -1 runs on the core it was given */
    nrt_model_t *many[3];
    for (int i = 0; i < 3; i++) {
        many[i] = t_tm_load(-1);
        nrt_model_info_t info;
        ASSERT_OK(nrt_get_model_info(many[i], &info, sizeof info, NULL));
        ASSERT_TRUE(info.vnc < 2);
        t_tm_req_t r;
        t_tm_req_init(&r, (int)info.vnc, (t_tm_opts_t){.tag = 20});
        uint64_t n = submitted(info.vnc, NRTA_XU_COMPUTE, 0);
        ASSERT_OK(nrta_execute_schedule(many[i], r.in, r.out, 0, NULL, &e));
        ASSERT_SEQ(e, t_seq(info.vnc, NRTA_XU_COMPUTE, 0, n + 1));
        t_wait(e);
        t_tm_check_y(r.y, 20);
        t_tm_req_free(&r);
    }

    /* a second, different model object loaded while tmodel is: its own
     * code runs (regression: the loader handed back the first object) */
    nrt_model_t *v = t_load_model("vadd", 1);
    nrt_tensor_info_array_t *info = NULL;
    ASSERT_OK(nrt_get_model_tensor_info(v, &info));
    ASSERT_EQ_U64(info->tensor_count, 3);
    ASSERT_TRUE(strcmp(info->tensor_array[0].name, "a") == 0);
    ASSERT_OK(nrt_free_model_tensor_info(info));
    ASSERT_OK(nrt_unload(v));

    /* no request failed */
    nrta_error_t errs[4];
    ASSERT_EQ_U64(t_drain(et0, errs, 4), 0);
    ASSERT_EQ_U64(t_drain(et1, errs, 4), 0);

    /* Documented in nrt_async.h: "Host tensors use the units of core 0",
     * also when the host tensor was allocated naming a core. */
    nrt_tensor_t *h1 = alloc(NRT_TENSOR_PLACEMENT_HOST, 1, 4096);
    io_roundtrip(h1, 0, 3, et0, 7);
    copy_ok(h1, d0, 0, 1);
    ASSERT_ST(nrta_tensor_copy(h1, 0, d1, 0, 64, 0, NULL, &s), NRT_INVALID);

    for (int i = 0; i < 3; i++)
        ASSERT_OK(nrt_unload(many[i]));
    t_tm_req_free(&r0);
    t_tm_req_free(&r1);
    t_tm_req_free(&rh);
    nrt_tensor_free(&hx);
    nrt_tensor_free(&hy);
    ASSERT_OK(nrt_unload(m0));
    ASSERT_OK(nrt_unload(m1));
    nrt_tensor_t **ts[] = {&d0, &d0b, &d1, &d1b, &h, &hb, &s1, &att, &empty, &h1};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        nrt_tensor_free(ts[i]);
    nrta_error_tracker_destroy(et0);
    nrta_error_tracker_destroy(et1);
    nrt_close();
    free(sh);
    printf("async_placement ok\n");
    return 0;
}

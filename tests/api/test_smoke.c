/* End-to-end smoke: load vadd, run it synchronously and asynchronously. */
#include "harness.h"
#include "nrt/nrt_async.h"

#define N (1024 * 1024)

int main(void)
{
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    nrt_model_t *m = t_load_model("vadd", 0);
    nrt_tensor_t *a, *b, *c;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, N * 4, "a", &a));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, N * 4, "b", &b));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, N * 4, "c", &c));
    nrt_tensor_set_t *in, *out;
    ASSERT_OK(nrt_allocate_tensor_set(&in));
    ASSERT_OK(nrt_allocate_tensor_set(&out));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(in, "a", a));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(in, "b", b));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(out, "c", c));
    float *ha = malloc(N * 4), *hb = malloc(N * 4), *hc = malloc(N * 4);
    t_fill_random(ha, N, 1);
    t_fill_random(hb, N, 2);
    ASSERT_OK(nrt_tensor_write(a, ha, 0, N * 4));
    ASSERT_OK(nrt_tensor_write(b, hb, 0, N * 4));
    ASSERT_OK(nrt_execute(m, in, out));
    ASSERT_OK(nrt_tensor_read(c, hc, 0, N * 4));
    for (size_t i = 0; i < N; i++)
        ASSERT_TRUE(hc[i] == ha[i] + hb[i]);

    /* async: write, execute, read with an error tracker */
    nrta_error_tracker_t *et;
    ASSERT_OK(nrta_error_tracker_create(0, &et));
    nrta_seq_t s1, s2, s3;
    t_fill_random(ha, N, 3);
    ASSERT_OK(nrta_tensor_write(a, ha, 0, N * 4, 0, et, &s1));
    bool done = false;
    while (!done)
        ASSERT_OK(nrta_is_completed(s1, &done));
    ASSERT_OK(nrta_execute_schedule(m, in, out, 0, et, &s2));
    nrta_seq_t seen;
    do
        ASSERT_OK(nrta_get_sequence(0, NRTA_XU_COMPUTE, 0, &seen));
    while (seen < s2);
    memset(hc, 0, N * 4);
    ASSERT_OK(nrta_tensor_read(hc, c, 0, N * 4, 1, et, &s3));
    done = false;
    while (!done)
        ASSERT_OK(nrta_is_completed(s3, &done));
    for (size_t i = 0; i < N; i++)
        ASSERT_TRUE(hc[i] == ha[i] + hb[i]);
    const nrta_error_t *list;
    size_t count;
    ASSERT_OK(nrta_error_tracker_get_list(et, &list, &count));
    ASSERT_EQ_U64(count, 0);
    ASSERT_EQ_U64(NRTA_SEQ_GET_SEQ_NUM(s2), 2); /* sync execute was number 1 */
    nrta_error_tracker_destroy(et);
    nrt_destroy_tensor_set(&in);
    nrt_destroy_tensor_set(&out);
    nrt_tensor_free(&a);
    nrt_tensor_free(&b);
    nrt_tensor_free(&c);
    ASSERT_OK(nrt_unload(m));
    nrt_close();
    free(ha);
    free(hb);
    free(hc);
    printf("smoke ok\n");
    return 0;
}

/*
 * tests/api/test_lifecycle.c - the runtime's whole life, many times in one
 * process: OPENNRT_TEST_CYCLES (default 100) rounds of nrt_init, load,
 * execute (checked), unload, nrt_close, alternating one and two cores, and
 * every other round leaving a model, tensors, a slice and a set alive for
 * nrt_close to release. nrt_init twice fails with NRT_FAILURE; handles are
 * refused after close. Run under valgrind by api_lifecycle_valgrind (no
 * leak, no memory error).
 */
#include "reject_all.h"
#include "api_env.h"

#define N (1024 * 1024)

static void one_cycle(int cycle, const void *bytes, size_t nbytes, float *ha, float *hb, float *hc)
{
    bool two = cycle % 2 == 0, leave_alive = cycle % 4 == 1;
    setenv("NEURON_RT_NUM_CORES", two ? "2" : "1", 1);
    ASSERT_OK(nrt_init(cycle % 3 ? NRT_FRAMEWORK_TYPE_NO_FW : NRT_FRAMEWORK_TYPE_PYTORCH, "x", "y"));
    if (cycle == 0)
        ASSERT_ST_LOG1(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, NULL, NULL), NRT_FAILURE);
    uint32_t n = 0;
    ASSERT_OK(nrt_get_visible_nc_count(&n));
    ASSERT_EQ_U64(n, two ? 2 : 1);
    int vnc = two ? cycle / 2 % 2 : 0;

    nrt_model_t *m = NULL;
    ASSERT_OK(nrt_load(bytes, nbytes, vnc, -1, &m));
    nrt_tensor_t *a, *b, *c, *slice;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, vnc, N * 4, "a", &a));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, -1, N * 4, "b", &b));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, vnc, N * 4, "c", &c));
    nrt_tensor_set_t *in, *out;
    ASSERT_OK(nrt_allocate_tensor_set(&in));
    ASSERT_OK(nrt_allocate_tensor_set(&out));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(in, "a", a));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(in, "b", b));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(out, "c", c));
    t_fill_random(ha, N, (uint64_t)cycle);
    t_fill_random(hb, N, (uint64_t)cycle + 1000);
    ASSERT_OK(nrt_tensor_write(a, ha, 0, N * 4));
    ASSERT_OK(nrt_tensor_write(b, hb, 0, N * 4));
    ASSERT_OK(nrt_execute(m, in, out));
    ASSERT_OK(nrt_tensor_allocate_slice(c, 4 * (N / 2), 4 * (N / 2), "slice", &slice));
    ASSERT_OK(nrt_tensor_read(slice, hc, 0, 4 * (N / 2)));
    for (size_t i = 0; i < N / 2; i++)
        ASSERT_TRUE(hc[i] == ha[N / 2 + i] + hb[N / 2 + i]);

    if (!leave_alive) {
        nrt_destroy_tensor_set(&in);
        nrt_destroy_tensor_set(&out);
        nrt_tensor_free(&a);
        nrt_tensor_free(&b);
        nrt_tensor_free(&c);
        nrt_tensor_free(&slice);
        ASSERT_OK(nrt_unload(m));
        nrt_vnc_memory_stats_t ms;
        ASSERT_OK(nrt_get_vnc_memory_stats((uint32_t)vnc, &ms, sizeof ms, NULL));
        ASSERT_EQ_U64(ms.bytes_used, 0);
    }
    nrt_close(); /* releases whatever is still alive */
    ASSERT_ST_LOG1(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, -1, 64, "t", &a), NRT_CLOSED);
    ASSERT_ST_LOG1(nrt_load(bytes, nbytes, 0, 1, &m), NRT_CLOSED);
}

int main(void)
{
    t_api_env();
    const char *s = getenv("OPENNRT_TEST_CYCLES");
    int cycles = s ? atoi(s) : 100;
    ASSERT_TRUE(cycles > 0);
    size_t nbytes;
    void *bytes = t_read_model("vadd", &nbytes);
    float *ha = malloc(N * 4), *hb = malloc(N * 4), *hc = malloc(N * 4);
    ASSERT_TRUE(ha && hb && hc);
    uint64_t t0 = t_now_ns();
    for (int i = 0; i < cycles; i++)
        one_cycle(i, bytes, nbytes, ha, hb, hc);
    setenv("NEURON_RT_NUM_CORES", "2", 1);
    t_check_all_rejected(NRT_CLOSED);
    free(bytes);
    free(ha);
    free(hb);
    free(hc);
    printf("lifecycle ok: %d cycles in %.1f ms\n", cycles, (double)(t_now_ns() - t0) / 1e6);
    return 0;
}

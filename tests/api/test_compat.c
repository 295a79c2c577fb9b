/*
 * tests/api/test_compat.c - the Neuron runtime functions around the core
 * API (issue 10): nrt_get_version (size-tolerant, before nrt_init too),
 * nrt_memcpy_to_device (really copies into a device tensor),
 * nrt_async_drain_queued_execs, and the device-memory exports that have no
 * device behind them (documented NRT_FAILURE). Public API only.
 */
#include "harness.h"
#include "reject_all.h"
#include "nrt/nrt_experimental.h"
#include "nrt/nrt_version.h"

static struct {
    int calls;
    uint32_t vnc;
    uint64_t last_job;
    NRT_STATUS st;
    void *params;
} cb_seen;

static void on_exec(void *params, uint32_t model_id, uint32_t vnc, uint64_t job_id, NRT_STATUS status)
{
    (void)model_id;
    cb_seen.calls++;
    cb_seen.vnc = vnc;
    cb_seen.last_job = job_id;
    cb_seen.st = status;
    cb_seen.params = params;
}

static nrt_tensor_t *add_tensor(nrt_tensor_set_t *set, const char *name)
{
    nrt_tensor_t *t = NULL;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 1024 * 1024 * 4, name, &t));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(set, name, t));
    return t;
}

/* Executions: the callback sees each one; outputs count their completions. */
static void executions(void)
{
    nrt_model_t *m = t_load_model("vadd", 0);
    nrt_tensor_set_t *in, *out;
    ASSERT_OK(nrt_allocate_tensor_set(&in));
    ASSERT_OK(nrt_allocate_tensor_set(&out));
    nrt_tensor_t *a = add_tensor(in, "a"), *b = add_tensor(in, "b"), *c = add_tensor(out, "c");
    uint32_t n = 0;
    ASSERT_OK(nrt_get_model_instance_count(m, &n));
    ASSERT_TRUE(n == 1);
    ASSERT_ST(nrt_get_model_instance_count(m, NULL), NRT_INVALID);
    ASSERT_ST(nrt_get_model_instance_count(NULL, &n), NRT_INVALID);

    ASSERT_OK(nrt_tensor_check_output_completion(c, 0, 0));
    ASSERT_ST(nrt_tensor_check_output_completion(c, 0, 1), NRT_TIMEOUT); /* not written yet */
    int token;
    ASSERT_OK(nrt_register_async_exec_callback(on_exec, &token));
    ASSERT_OK(nrt_execute(m, in, out));
    ASSERT_OK(nrt_execute(m, in, out));
    ASSERT_TRUE(cb_seen.calls == 2 && cb_seen.vnc == 0 && cb_seen.st == NRT_SUCCESS && cb_seen.params == &token);
    ASSERT_TRUE(cb_seen.last_job >= 2);
    ASSERT_OK(nrt_tensor_check_output_completion(c, 0, 2));
    ASSERT_OK(nrt_tensor_check_output_completion(c, -1, 2)); /* reached: no wait */
    ASSERT_ST(nrt_tensor_check_output_completion(c, 1000, 3), NRT_TIMEOUT);
    ASSERT_ST(nrt_tensor_check_output_completion(a, 0, 1), NRT_TIMEOUT); /* inputs are not written */
    ASSERT_OK(nrt_tensor_reset_output_completion(c));
    ASSERT_ST(nrt_tensor_check_output_completion(c, 0, 1), NRT_TIMEOUT);
    ASSERT_OK(nrt_register_async_exec_callback(NULL, NULL));
    ASSERT_OK(nrt_execute(m, in, out));
    ASSERT_TRUE(cb_seen.calls == 2); /* unregistered */
    ASSERT_OK(nrt_tensor_check_output_completion(c, -1, 1));
    ASSERT_ST_LOG1(nrt_tensor_check_output_completion(NULL, 0, 1), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_tensor_reset_output_completion(NULL), NRT_INVALID);
    nrt_tensor_t *empty = NULL;
    ASSERT_OK(nrt_tensor_allocate_empty("empty", &empty));
    ASSERT_ST_LOG1(nrt_tensor_check_output_completion(empty, 0, 1), NRT_INVALID); /* no storage */
    nrt_tensor_free(&empty);
    nrt_tensor_free(&a);
    nrt_tensor_free(&b);
    nrt_tensor_free(&c);
    nrt_destroy_tensor_set(&in);
    nrt_destroy_tensor_set(&out);
    ASSERT_OK(nrt_unload(m));
}

static void no_device(void)
{
    uint32_t id = 7;
    ASSERT_OK(nrt_host_device_id_get(0, &id));
    ASSERT_TRUE(id == 0);
    ASSERT_ST_LOG1(nrt_host_device_id_get(1, &id), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_host_device_id_get(0, NULL), NRT_INVALID);
    uint32_t map[4] = {9, 9, 9, 9}, count = 4;
    ASSERT_OK(nrt_host_device_id_rid_map_get(&count, map));
    ASSERT_TRUE(count == 1 && map[0] == 0 && map[1] == 9);
    count = 0;
    ASSERT_OK(nrt_host_device_id_rid_map_get(&count, NULL));
    ASSERT_TRUE(count == 0);
    count = 2;
    ASSERT_ST_LOG1(nrt_host_device_id_rid_map_get(&count, NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_host_device_id_rid_map_get(NULL, map), NRT_INVALID);

    int err = 0;
    char msg[128] = "";
    ASSERT_TRUE(nrt_get_libnccl_net(&err, msg, sizeof msg) == NULL);
    ASSERT_TRUE(err != 0 && msg[0] != 0);
    ASSERT_TRUE(nrt_get_libnccl_net(NULL, NULL, 0) == NULL);
    uint8_t code[16] = {0};
    nrt_ucode_info u = {{code, sizeof code}, {code, sizeof code}};
    ASSERT_ST_LOG1(nrt_set_pool_eng_ucode(&u), NRT_FAILURE);
    ASSERT_ST_LOG1(nrt_set_pool_eng_ucode(NULL), NRT_INVALID);
}

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
    executions();
    no_device();
    nrt_close();
    printf("compat: ok (OpenNRT %llu.%llu.%llu, git %s)\n", (unsigned long long)v.rt_major,
           (unsigned long long)v.rt_minor, (unsigned long long)v.rt_patch, v.git_hash[0] ? v.git_hash : "-");
    return 0;
}

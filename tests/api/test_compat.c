/*
 * tests/api/test_compat.c - the Neuron runtime functions around the core
 * API (issue 10): nrt_get_version (size-tolerant, before nrt_init too),
 * nrt_memcpy_to_device (really copies into a device tensor),
 * nrt_async_drain_queued_execs, and the device-memory exports that have no
 * device behind them (documented NRT_FAILURE). Public API only.
 */
#include "harness.h"
#include "reject_all.h"
#include "nrt/ndebug_stream.h"
#include "nrt/nec.h"

#include <errno.h>
#include <poll.h>
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

/* Debug streams: one client per core, pollable, never an event. */
static void debug_streams(void)
{
    int fd = -2, fd2 = -2;
    ASSERT_OK(nrt_debug_client_connect(0, &fd));
    ASSERT_TRUE(fd >= 0);
    ASSERT_ST_LOG1(nrt_debug_client_connect(0, &fd2), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_debug_client_connect(64, &fd2), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_debug_client_connect(1, NULL), NRT_INVALID);
    struct pollfd p = {fd, POLLIN, 0};
    ASSERT_TRUE(poll(&p, 1, 0) == 0);
    ndebug_stream_event_header_t h;
    memset(&h, 0xa5, sizeof h);
    void *payload = &h;
    ASSERT_ST(nrt_debug_client_read_one_event(fd, &h, &payload), NRT_QUEUE_EMPTY);
    ASSERT_TRUE(payload == NULL && h.data_size == 0 && h.type == NDEBUG_STREAM_EVENT_TYPE_INVALID);
    ASSERT_ST_LOG1(nrt_debug_client_read_one_event(fd + 1000, &h, &payload), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_debug_client_read_one_event(fd, NULL, &payload), NRT_INVALID);
    nrt_debug_client_connect_close(fd);
    ASSERT_VOID_LOG1(nrt_debug_client_connect_close(fd)); /* closed already */
    ASSERT_OK(nrt_debug_client_connect(0, &fd2));
    nrt_debug_client_connect_close(fd2);
}

/* The collectives-plugin interface: a host without Neuron devices. */
static void nec(uint64_t major)
{
    nec_version_info_t vi;
    memset(&vi, 0xa5, sizeof vi);
    ASSERT_OK(nec_get_version_info(&vi));
    ASSERT_TRUE(vi.major == major && memchr(vi.git_hash, 0, sizeof vi.git_hash) != NULL);
    ASSERT_ST_LOG1(nec_get_version_info(NULL), NRT_INVALID);
    uint32_t vcs = 0;
    ASSERT_OK(nec_get_virtual_core_size(&vcs));
    ASSERT_TRUE(vcs == 1);
    int devs[4];
    ASSERT_TRUE(nec_get_device_count(devs, 4) == 0);
    uint32_t dom, bus;
    uint8_t slot, fn;
    ASSERT_TRUE(nec_get_device_pci_bdf(0, &dom, &bus, &slot, &fn) == -ENODEV);
    ASSERT_ST_LOG1(nec_build_port_and_rid_map(0, devs, devs, 1), NRT_FAILURE);
    ASSERT_TRUE(!nec_is_mla_available(0, 0));
    ASSERT_TRUE(nec_mla_idx_to_rid(0, 0) == -1 && nec_rid_to_mla_idx(0, 0) == -1 && nec_get_peer_mla_idx(0, 0, 0) == -1);
    int peer = 5, can = 5;
    ASSERT_TRUE(nec_get_p2p_pod_peer_node(0, 0, 1, &peer) == -ENODEV && peer == -1);
    ASSERT_ST_LOG1(nec_pod_node_can_access_peer_node(NEC_POD_TYPE_P2P, 0, 0, 1, 1, &can), NRT_FAILURE);
    ASSERT_TRUE(can == 0);
    ASSERT_ST_LOG1(nec_pod_node_can_access_peer_node(NEC_POD_TYPE_P2P, 0, 0, 1, 1, NULL), NRT_INVALID);
    uint32_t table[8] = {0};
    enc_host_mem_t hm = {NULL, table, 0, sizeof table};
    ASSERT_TRUE(nec_get_dynamic_send_size_bytes(&hm, 4, 0, 2) == 0);
    ASSERT_TRUE(nec_get_dynamic_send_offset_bytes(&hm, 4, 0, 2) == 0);
    ASSERT_TRUE(nec_get_dynamic_recv_offset_bytes(&hm, 4, 0, 2) == 0);
    ASSERT_VOID_LOG1(nec_set_recv_size_bytes(&hm, 16, 4, 0, 2));
    volatile uint32_t sem = 0;
    ASSERT_VOID_LOG1(nec_inc_semaphore(&sem, 1));
    char msg[] = "hello";
    nec_ndl_printk(msg, sizeof msg, 0);
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
    debug_streams();
    nec(v.rt_major);
    nrt_close();
    printf("compat: ok (OpenNRT %llu.%llu.%llu, git %s)\n", (unsigned long long)v.rt_major,
           (unsigned long long)v.rt_minor, (unsigned long long)v.rt_patch, v.git_hash[0] ? v.git_hash : "-");
    return 0;
}

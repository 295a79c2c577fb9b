/*
 * tests/api/reject_all.h - calls every state-checked function of nrt.h and
 * nrt_experimental.h while the runtime is not running and expects |want|
 * (NRT_UNINITIALIZED before the first nrt_init, NRT_CLOSED after
 * nrt_close) with exactly one log line each. The arguments are otherwise
 * well-formed; handles are zero-filled fakes, which a runtime that checks
 * its state first never looks at.
 */
#pragma once

#include "harness.h"
#include "nrt/nrt_async.h"
#include "nrt/nrt_experimental.h"
#include "nrt/nrt_profile.h"
#include "nrt/nrt_sys_trace.h"
#include "nrt/ndebug_stream.h"

/* Runs a void call, expecting one log line. */
#define ASSERT_VOID_LOG1(stmt)                                                                         \
    do {                                                                                               \
        char log_[1024];                                                                               \
        t_capture_begin();                                                                             \
        stmt;                                                                                          \
        int lines_ = t_capture_end(log_, sizeof log_);                                                 \
        if (lines_ != 1) {                                                                             \
            fprintf(stderr, "%s:%d: %s logged %d lines, expected 1:\n%s\n", __FILE__, __LINE__, #stmt, \
                    lines_, log_);                                                                     \
            abort();                                                                                   \
        }                                                                                              \
    } while (0)

/* Runs a call, expecting no log line. */
#define ASSERT_LOG0(stmt)                                                                              \
    do {                                                                                               \
        char log_[1024];                                                                               \
        t_capture_begin();                                                                             \
        stmt;                                                                                          \
        int lines_ = t_capture_end(log_, sizeof log_);                                                 \
        if (lines_ != 0) {                                                                             \
            fprintf(stderr, "%s:%d: %s logged %d lines, expected none:\n%s\n", __FILE__, __LINE__,     \
                    #stmt, lines_, log_);                                                              \
            abort();                                                                                   \
        }                                                                                              \
    } while (0)

static inline void t_check_all_rejected(NRT_STATUS want)
{
    static uint64_t fake_storage[64];
    nrt_tensor_t *ft = (nrt_tensor_t *)(void *)fake_storage;
    nrt_model_t *fm = (nrt_model_t *)(void *)fake_storage;
    nrt_tensor_set_t *fs = fake_storage;
    unsigned char buf[64] = {0x7f, 'E', 'L', 'F'};
    uint32_t u32 = 0;
    nrt_model_t *m = NULL;
    nrt_tensor_t *t = NULL;
    nrt_tensor_set_t *s = NULL;

    /* models */
    ASSERT_ST_LOG1(nrt_load(buf, sizeof buf, 0, 1, &m), want);
    ASSERT_ST_LOG1(nrt_load(buf, sizeof buf, -1, -1, &m), want);
    ASSERT_ST_LOG1(nrt_load_collectives(buf, sizeof buf, 0, 1, 0, 1, &m), want);
    ASSERT_TRUE(m == NULL);
    ASSERT_ST_LOG1(nrt_unload(fm), want);
    ASSERT_ST_LOG1(nrt_get_model_nc_count(fm, &u32), want);
    ASSERT_ST_LOG1(nrt_get_model_vnc_count(fm, &u32), want);
    nrt_tensor_info_array_t *info = NULL;
    ASSERT_ST_LOG1(nrt_get_model_tensor_info(fm, &info), want);
    ASSERT_TRUE(info == NULL);
    nrt_model_info_t mi;
    ASSERT_ST_LOG1(nrt_get_model_info(fm, &mi, sizeof mi, NULL), want);

    /* tensor sets */
    ASSERT_ST_LOG1(nrt_allocate_tensor_set(&s), want);
    ASSERT_TRUE(s == NULL);
    nrt_tensor_set_t *fs2 = fs;
    ASSERT_VOID_LOG1(nrt_destroy_tensor_set(&fs2));
    ASSERT_ST_LOG1(nrt_add_tensor_to_tensor_set(fs, "a", ft), want);
    ASSERT_ST_LOG1(nrt_get_tensor_from_tensor_set(fs, "a", &t), want);

    /* execution and collectives setup */
    ASSERT_ST_LOG1(nrt_execute(fm, fs, fs), want);
    ASSERT_ST_LOG1(nrt_execute_repeat(fm, fs, fs, 2), want);
    ASSERT_ST_LOG1(nrt_build_global_comm(0, 0, 1), want);
    ASSERT_ST_LOG1(nrt_cc_global_comm_init(0, 0, 1), want);
    ASSERT_ST_LOG1(nrt_barrier(0, 0, 1), want);
    ASSERT_ST_LOG1(nrt_all_gather(0, 0, 1, 4, buf, buf + 8), want);
    uint32_t group[2] = {0, 1};
    nrt_cc_comm_t comm = {.replica_group = group, .rank = 0, .rank_n = 2, .ctx_device_id = 0,
                          .ctx_device_count = 2, .vnc = 0};
    nrt_tensor_list_t tl = {&ft, 1};
    nrt_cc_context_t *cctx = (nrt_cc_context_t *)(void *)fake_storage;
    ASSERT_ST_LOG1(nrta_cc_prepare(&comm, &tl, &tl, NRT_DTYPE_FLOAT32, NRT_OP_ADD, NRT_CC_ALLREDUCE, &cctx), want);
    nrta_seq_t seq = 0;
    ASSERT_ST_LOG1(nrta_cc_schedule(&cctx, 0, NULL, &seq), want);

    /* around the core API (compat, profile) */
    ASSERT_ST_LOG1(nrt_memcpy_to_device(buf, buf + 8, 4), want);
    ASSERT_ST_LOG1(nrt_async_drain_queued_execs(0), want);
    ASSERT_ST_LOG1(nrt_profile_start(NULL, "/nonexistent/p.json"), want);
    ASSERT_ST_LOG1(nrt_profile_stop("/nonexistent/p.json"), want);
    ASSERT_ST_LOG1(nrt_trace_start(false), want);
    ASSERT_ST_LOG1(nrt_trace_stop("/nonexistent/t.json"), want);
    ASSERT_ST_LOG1(nrt_inspect_begin(), want);
    ASSERT_ST_LOG1(nrt_inspect_stop(), want);
    nrt_profile_continuous_options_t *co = NULL;
    ASSERT_OK(nrt_profile_continuous_options_allocate(&co));
    ASSERT_ST_LOG1(nrt_profile_continuous_start(co), want);
    ASSERT_ST_LOG1(nrt_profile_continuous_save(0, co), want);
    ASSERT_ST_LOG1(nrt_profile_continuous_stop(), want);
    ASSERT_OK(nrt_profile_continuous_options_free(co));
    uint64_t sid = 0;
    ASSERT_ST_LOG1(nrt_profile_session_start(0), want);
    ASSERT_ST_LOG1(nrt_profile_session_stop(0, &sid), want);
    ASSERT_ST_LOG1(nrt_profile_session_serialize(1, "/nonexistent/s.json"), want);
    ASSERT_ST_LOG1(nrt_profile_session_drop(1), want);
    ASSERT_ST_LOG1(nrt_profile_session_drop_all(0), want);
    char *tbuf = NULL;
    size_t tsize = 0;
    ASSERT_ST_LOG1(nrt_sys_trace_start(NULL), want);
    ASSERT_ST_LOG1(nrt_sys_trace_stop(), want);
    ASSERT_ST_LOG1(nrt_sys_trace_fetch_events(&tbuf, &tsize, NULL), want);
    ASSERT_ST_LOG1(nrt_tensor_check_output_completion(ft, 0, 1), want);
    ASSERT_ST_LOG1(nrt_tensor_reset_output_completion(ft), want);
    ASSERT_ST_LOG1(nrt_host_device_id_get(0, &u32), want);
    ASSERT_ST_LOG1(nrt_host_device_id_rid_map_get(&u32, &u32), want);
    ASSERT_ST_LOG1(nrt_get_model_instance_count(fm, &u32), want);
    int sfd = -1;
    ASSERT_ST_LOG1(nrt_debug_client_connect(0, &sfd), want);

    /* tensors */
    ASSERT_ST_LOG1(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 64, "t", &t), want);
    ASSERT_ST_LOG1(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, -1, 64, "t", &t), want);
    ASSERT_ST_LOG1(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_VIRTUAL, -1, 64, "t", &t), want);
    ASSERT_TRUE(t == NULL);
    nrt_tensor_t *ft2 = ft;
    ASSERT_VOID_LOG1(nrt_tensor_free(&ft2));
    ASSERT_ST_LOG1(nrt_tensor_read(ft, buf, 0, 4), want);
    ASSERT_ST_LOG1(nrt_tensor_write(ft, buf, 0, 4), want);
    nrt_tensor_batch_op_t op = {0, 4, buf};
    nrt_tensor_batch_t batch = {ft, &op, 1};
    ASSERT_ST_LOG1(nrt_tensor_read_batch(&batch, 1, false), want);
    ASSERT_ST_LOG1(nrt_tensor_write_batch(&batch, 1, true), want);
    ASSERT_ST_LOG1(nrt_tensor_copy(ft, 0, ft, 8, 4), want);
    ASSERT_ST_LOG1(nrt_tensor_memset(ft, 0, 0, 4), want);
    ASSERT_ST_LOG1(nrt_tensor_allocate_empty("e", &t), want);
    ASSERT_ST_LOG1(nrt_tensor_attach_buffer(ft, buf, sizeof buf), want);
    ASSERT_ST_LOG1(nrt_tensor_allocate_slice(ft, 0, 4, "s", &t), want);
    ASSERT_TRUE(t == NULL);
    void *va = buf;
    ASSERT_VOID_LOG1(va = nrt_tensor_get_va(ft));
    ASSERT_TRUE(va == NULL);
    nrt_tensor_device_allocation_info_t ai;
    ASSERT_ST_LOG1(nrt_tensor_get_device_allocation_info(ft, &ai), want);
    nrt_vnc_memory_stats_t ms;
    ASSERT_ST_LOG1(nrt_get_vnc_memory_stats(0, &ms, sizeof ms, NULL), want);

    /* Available in every state: status names, counts, instance info, and
     * argument errors of the calls that need no runtime. */
    const char *name = NULL;
    ASSERT_LOG0(name = nrt_get_status_as_str(want));
    ASSERT_TRUE(strcmp(name, want == NRT_CLOSED ? "NRT_CLOSED" : "NRT_UNINITIALIZED") == 0);
    NRT_STATUS st = NRT_FAILURE;
    ASSERT_LOG0(st = nrt_get_total_nc_count(&u32));
    ASSERT_OK(st);
    ASSERT_TRUE(u32 >= 2);
    ASSERT_LOG0(st = nrt_get_total_vnc_count(&u32));
    ASSERT_OK(st);
    ASSERT_LOG0(st = nrt_get_visible_nc_count(&u32));
    ASSERT_OK(st);
    ASSERT_EQ_U64(u32, 2); /* NEURON_RT_NUM_CORES=2 */
    ASSERT_LOG0(st = nrt_get_visible_vnc_count(&u32));
    ASSERT_OK(st);
    ASSERT_EQ_U64(u32, 2);
    nrt_instance_info_t ii;
    ASSERT_LOG0(st = nrt_get_instance_info(&ii, sizeof ii));
    ASSERT_OK(st);
    ASSERT_EQ_U64(ii.size, 2);
    ASSERT_ST_LOG1(nrt_get_visible_nc_count(NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_instance_info(NULL, sizeof ii), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_free_model_tensor_info(NULL), NRT_INVALID);
    size_t sz = 1;
    ASSERT_VOID_LOG1(sz = nrt_tensor_get_size(NULL));
    ASSERT_EQ_U64(sz, 0);
    /* The fakes were never touched. */
    for (size_t i = 0; i < sizeof fake_storage / sizeof fake_storage[0]; i++)
        ASSERT_EQ_U64(fake_storage[i], 0);
}

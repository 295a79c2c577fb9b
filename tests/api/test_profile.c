/*
 * tests/api/test_profile.c - nrt/nrt_profile.h on OpenNRT's recorder:
 * profile, trace and inspect sessions write a Chrome trace holding the
 * requests made meanwhile; the inspect configuration; bad arguments.
 * Public API only.
 */
#include "harness.h"
#include "nrt/nrt_async.h"
#include "nrt/nrt_profile.h"

#include <sys/stat.h>

static void some_requests(nrt_tensor_t *t)
{
    char buf[64] = {1};
    nrta_seq_t seq;
    ASSERT_OK(nrta_tensor_write(t, buf, 0, sizeof buf, 0, NULL, &seq));
    bool done = false;
    for (long i = 0; i < 100000000 && !done; i++)
        ASSERT_OK(nrta_is_completed(seq, &done));
    ASSERT_TRUE(done);
}

/* The file exists and holds trace events of requests ("write"). */
static void check_trace(const char *path)
{
    size_t size = 0;
    char *s = t_read_file(path, &size);
    ASSERT_TRUE(size > 0 && strstr(s, "\"traceEvents\"") && strstr(s, "write"));
    free(s);
}

int main(void)
{
    char dir[] = "/tmp/nrt_profile_XXXXXX";
    ASSERT_TRUE(mkdtemp(dir) != NULL);
    char p1[256], p2[256], out[256];
    snprintf(p1, sizeof p1, "%s/profile.json", dir);
    snprintf(p2, sizeof p2, "%s/trace.json", dir);
    snprintf(out, sizeof out, "%s/inspect", dir);

    ASSERT_ST(nrt_profile_start(NULL, p1), NRT_UNINITIALIZED);
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    nrt_tensor_t *t;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 64, "t", &t));

    ASSERT_ST(nrt_profile_start(NULL, NULL), NRT_INVALID);
    ASSERT_ST(nrt_profile_start((nrt_model_t *)(void *)t, p1), NRT_INVALID); /* not a model */
    ASSERT_OK(nrt_profile_start(NULL, p1));
    some_requests(t);
    ASSERT_OK(nrt_profile_stop(NULL)); /* the file given to start */
    check_trace(p1);

    ASSERT_OK(nrt_trace_start(false));
    some_requests(t);
    ASSERT_ST(nrt_trace_stop(NULL), NRT_INVALID);
    ASSERT_OK(nrt_trace_stop(p2));
    check_trace(p2);

    nrt_inspect_config_t *c = NULL;
    ASSERT_OK(nrt_inspect_config_allocate(&c));
    ASSERT_OK(nrt_inspect_config_set_output_dir(c, out));
    ASSERT_OK(nrt_inspect_config_set_session_id(c, 7));
    ASSERT_OK(nrt_inspect_config_set_activity(c, "transfers", false));
    ASSERT_OK(nrt_inspect_config_set_activity(c, "some_other_runtime_activity", true)); /* ignored */
    ASSERT_ST(nrt_inspect_config_set_capture_enabled_for_nc(c, 0, false), NRT_INVALID);
    ASSERT_OK(nrt_inspect_config_set_capture_enabled_for_nc(c, 0, true));
    ASSERT_OK(nrt_inspect_config_set_enable_inspect_on_fail(c, true));
    ASSERT_OK(nrt_inspect_config_set_sys_trace_max_events_per_nc(c, 1000));
    const char **acts = NULL;
    size_t n = 0;
    ASSERT_OK(nrt_inspect_config_get_all_activity_types(&acts, &n));
    ASSERT_EQ_U64(n, 2);
    nrt_inspect_config_free_activity_types(acts, n);
    ASSERT_OK(nrt_inspect_config_get_enabled_activity_types(c, &acts, &n));
    ASSERT_TRUE(n == 1 && !strcmp(acts[0], "requests"));
    nrt_inspect_config_free_activity_types(acts, n);
    ASSERT_ST(nrt_inspect_config_set_output_dir(c, NULL), NRT_INVALID);
    ASSERT_ST(nrt_inspect_stop(), NRT_INVALID); /* none running */
    ASSERT_OK(nrt_inspect_begin_with_options(c));
    some_requests(t);
    ASSERT_OK(nrt_inspect_stop());
    char ip[400];
    snprintf(ip, sizeof ip, "%s/opennrt_trace_%d_7.json", out, (int)getpid());
    check_trace(ip);
    char inst[300];
    ASSERT_OK(nrt_inspect_get_instance_output_dir(out, inst, sizeof inst));
    ASSERT_TRUE(!strcmp(inst, out));
    ASSERT_ST(nrt_inspect_get_instance_output_dir(out, inst, 4), NRT_INVALID);
    ASSERT_ST(nrt_inspect_config_set_inspect_device_profile_mode(NULL, NRT_INSPECT_DEVICE_PROFILE_MODE_SESSION),
              NRT_INVALID);
    ASSERT_ST(nrt_inspect_config_set_inspect_device_profile_mode(c, (nrt_inspect_device_profile_mode_t)7),
              NRT_INVALID);
    ASSERT_OK(nrt_inspect_config_set_inspect_device_profile_mode(c, NRT_INSPECT_DEVICE_PROFILE_MODE_SESSION));
    ASSERT_OK(nrt_inspect_config_free(c));

    /* Continuous profiling: each save writes what was recorded so far. */
    char cdir[256], cp[300];
    snprintf(cdir, sizeof cdir, "%s/cont", dir);
    nrt_profile_continuous_options_t *co = NULL;
    ASSERT_OK(nrt_profile_continuous_options_allocate(&co));
    ASSERT_ST(nrt_profile_continuous_options_set_output_dir(co, ""), NRT_INVALID);
    ASSERT_OK(nrt_profile_continuous_options_set_output_dir(co, cdir));
    ASSERT_ST(nrt_profile_continuous_save(0, co), NRT_INVALID); /* not started */
    ASSERT_ST(nrt_profile_continuous_start(NULL), NRT_INVALID);
    ASSERT_OK(nrt_profile_continuous_start(co));
    ASSERT_ST(nrt_profile_continuous_start(co), NRT_INVALID);
    some_requests(t);
    ASSERT_ST(nrt_profile_continuous_save(64, co), NRT_INVALID);
    ASSERT_OK(nrt_profile_continuous_save(0, co));
    snprintf(cp, sizeof cp, "%s/opennrt_continuous_%d_nc0_0.json", cdir, (int)getpid());
    check_trace(cp);
    ASSERT_OK(nrt_profile_continuous_stop());
    ASSERT_ST(nrt_profile_continuous_stop(), NRT_INVALID);
    ASSERT_OK(nrt_profile_continuous_options_free(co));

    /* Profile sessions: one per core, serialized once stopped. */
    char sp[300];
    snprintf(sp, sizeof sp, "%s/session.json", dir);
    uint64_t sid = 0, sid2 = 0;
    ASSERT_ST(nrt_profile_session_stop(0, &sid), NRT_INVALID); /* none running */
    ASSERT_OK(nrt_profile_session_start(0));
    ASSERT_ST(nrt_profile_session_start(0), NRT_INVALID);
    ASSERT_ST(nrt_profile_session_start(64), NRT_INVALID);
    some_requests(t);
    ASSERT_ST(nrt_profile_session_stop(0, NULL), NRT_INVALID);
    ASSERT_OK(nrt_profile_session_stop(0, &sid));
    ASSERT_TRUE(sid != 0);
    ASSERT_OK(nrt_profile_session_serialize(sid, sp));
    check_trace(sp);
    ASSERT_ST(nrt_profile_session_serialize(sid + 100, sp), NRT_INVALID);
    ASSERT_OK(nrt_profile_session_start(0));
    ASSERT_ST(nrt_profile_session_serialize(sid + 1, sp), NRT_INVALID); /* still running */
    ASSERT_OK(nrt_profile_session_stop(0, &sid2));
    ASSERT_TRUE(sid2 != sid);
    ASSERT_OK(nrt_profile_session_drop(sid));
    ASSERT_ST(nrt_profile_session_drop(sid), NRT_INVALID);
    ASSERT_OK(nrt_profile_session_drop_all(0));
    ASSERT_ST(nrt_profile_session_serialize(sid2, sp), NRT_INVALID);

    nrt_tensor_free(&t);
    nrt_close();
    remove(p1);
    remove(p2);
    remove(ip);
    remove(cp);
    remove(sp);
    rmdir(cdir);
    rmdir(out);
    rmdir(dir);
    printf("profile: ok\n");
    return 0;
}

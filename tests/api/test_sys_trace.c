/*
 * tests/api/test_sys_trace.c - nrt/nrt_sys_trace.h as an application (and
 * nkipy's reader) uses it: start a capture, run requests (async writes
 * and reads, executions), fetch the JSON and read it the way nkipy does
 * (events[], event_type, phase, tracking_id, data.nc_timestamp_ns); each
 * event is fetched once; the capture and fetch limits; per-core and
 * per-type capture; other recorder users do not stop the capture; bad
 * arguments and states. Public API only.
 */
#include "harness.h"
#include "nrt/nrt_async.h"
#include "nrt/nrt_profile.h"
#include "nrt/nrt_sys_trace.h"
#include "reject_all.h"

#include <pthread.h>

#define N (64 * 1024)

static nrt_tensor_t *w_tensor;

static void wait_seq(nrta_seq_t seq)
{
    bool done = false;
    for (long i = 0; i < 100000000 && !done; i++)
        ASSERT_OK(nrta_is_completed(seq, &done));
    ASSERT_TRUE(done);
}

static void writes(int n)
{
    static char buf[256];
    for (int i = 0; i < n; i++) {
        nrta_seq_t seq;
        ASSERT_OK(nrta_tensor_write(w_tensor, buf, 0, sizeof buf, 0, NULL, &seq));
        wait_seq(seq);
    }
}

static void reads(int n)
{
    static char buf[256];
    for (int i = 0; i < n; i++) {
        nrta_seq_t seq;
        ASSERT_OK(nrta_tensor_read(buf, w_tensor, 0, sizeof buf, 0, NULL, &seq));
        wait_seq(seq);
    }
}

/* What a fetch holds, read as nkipy reads it. */
typedef struct {
    int pairs[5]; /* complete start/stop pairs per type (order of type_names) */
    int starts, stops, unpaired;
    uint64_t dropped;
    int max_nc;
} fetched_t;

static const char *const type_names[5] = {"nc_exec_running", "tensor_read", "tensor_write", "tensor_copy",
                                          "cc_exec"};

/* The number after "key": in [s, end), or -1. */
static long long num_after(const char *s, const char *end, const char *key)
{
    const char *p = strstr(s, key);
    if (!p || p >= end)
        return -1;
    return strtoll(p + strlen(key), NULL, 10);
}

static fetched_t fetch(const nrt_sys_trace_fetch_options_t *o)
{
    char *buf = (char *)1;
    size_t size = 7;
    ASSERT_OK(nrt_sys_trace_fetch_events(&buf, &size, o));
    ASSERT_TRUE(buf != NULL && size == strlen(buf));
    /* The top level: an object with an events array. */
    ASSERT_TRUE(buf[0] == '{' && buf[size - 1] == '}');
    ASSERT_TRUE(strstr(buf, "\"events\":[") != NULL);
    fetched_t f = {{0}, 0, 0, 0, 0, -1};
    long long d = num_after(buf, buf + size, "\"dropped_events\":");
    ASSERT_TRUE(d >= 0);
    f.dropped = (uint64_t)d;
    /* Each event is one object starting with "event_type". */
    enum { MAXEV = 4096 };
    static long long open_ids[MAXEV];
    static int open_type[MAXEV];
    int nopen = 0;
    for (const char *e = strstr(buf, "{\"event_type\":\""); e; e = strstr(e + 1, "{\"event_type\":\"")) {
        const char *next = strstr(e + 1, "{\"event_type\":\"");
        const char *end = next ? next : buf + size;
        const char *tname = e + strlen("{\"event_type\":\"");
        int type = -1;
        for (int i = 0; i < 5; i++)
            if (!strncmp(tname, type_names[i], strlen(type_names[i])) && tname[strlen(type_names[i])] == '"')
                type = i;
        ASSERT_TRUE(type >= 0);
        long long id = num_after(e, end, "\"tracking_id\":");
        long long ts = num_after(e, end, "\"nc_timestamp_ns\":");
        long long nc = num_after(e, end, "\"nc_idx\":");
        ASSERT_TRUE(id > 0 && ts > 0 && nc >= 0);
        if (nc > f.max_nc)
            f.max_nc = (int)nc;
        const char *ph = strstr(e, "\"phase\":\"");
        ASSERT_TRUE(ph && ph < end);
        ph += strlen("\"phase\":\"");
        if (!strncmp(ph, "start\"", 6)) {
            f.starts++;
            ASSERT_TRUE(nopen < MAXEV);
            open_ids[nopen] = id;
            open_type[nopen++] = type;
        } else {
            ASSERT_TRUE(!strncmp(ph, "stop\"", 5));
            f.stops++;
            int k = -1;
            for (int i = 0; i < nopen; i++)
                if (open_ids[i] == id)
                    k = i;
            if (k < 0) {
                f.unpaired++;
                continue;
            }
            ASSERT_TRUE(open_type[k] == type);
            f.pairs[type]++;
            open_ids[k] = open_ids[--nopen];
            open_type[k] = open_type[nopen];
        }
    }
    f.unpaired += nopen;
    nrt_sys_trace_buffer_free(buf);
    return f;
}

static void expect(fetched_t f, int exec, int rd, int wr)
{
    if (f.pairs[0] != exec || f.pairs[1] != rd || f.pairs[2] != wr || f.unpaired || f.starts != f.stops) {
        fprintf(stderr, "fetched exec %d read %d write %d (starts %d stops %d unpaired %d), expected %d %d %d\n",
                f.pairs[0], f.pairs[1], f.pairs[2], f.starts, f.stops, f.unpaired, exec, rd, wr);
        abort();
    }
}

/* Requests on another thread while the main thread fetches: every
 * request is fetched exactly once. */
enum { CONCURRENT_WRITES = 400 };

static void *writer(void *arg)
{
    (void)arg;
    writes(CONCURRENT_WRITES);
    return NULL;
}

static void concurrent_fetches(void)
{
    pthread_t th;
    ASSERT_TRUE(pthread_create(&th, NULL, writer, NULL) == 0);
    int total = 0;
    for (int i = 0; i < 50; i++) {
        fetched_t f = fetch(NULL);
        ASSERT_TRUE(f.unpaired == 0 && f.starts == f.stops);
        total += f.pairs[2];
    }
    ASSERT_TRUE(pthread_join(th, NULL) == 0);
    total += fetch(NULL).pairs[2];
    ASSERT_TRUE(total == CONCURRENT_WRITES);
}

static void vadd(nrt_model_t *m, nrt_tensor_set_t *in, nrt_tensor_set_t *out, int n)
{
    for (int i = 0; i < n; i++)
        ASSERT_OK(nrt_execute(m, in, out));
}

static void add_tensor(nrt_tensor_set_t *set, const char *name)
{
    nrt_tensor_t *t = NULL;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 1024 * 1024 * 4, name, &t));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(set, name, t));
    nrt_tensor_free(&t); /* the set keeps it */
}

int main(void)
{
    /* Configuration objects, any time. */
    nrt_sys_trace_config_t *cfg = NULL;
    ASSERT_OK(nrt_sys_trace_config_allocate(&cfg));
    const char **types = NULL;
    size_t ntypes = 0;
    ASSERT_OK(nrt_sys_trace_get_event_types(&types, &ntypes));
    ASSERT_TRUE(ntypes == 5);
    bool has_exec = false;
    for (size_t i = 0; i < ntypes; i++)
        has_exec |= !strcmp(types[i], "nc_exec_running");
    ASSERT_TRUE(has_exec);
    nrt_sys_trace_free_event_types(types, ntypes);
    ASSERT_OK(nrt_sys_trace_config_get_enabled_event_types(cfg, &types, &ntypes));
    ASSERT_TRUE(ntypes == 5);
    nrt_sys_trace_free_event_types(types, ntypes);
    ASSERT_OK(nrt_sys_trace_config_set_capture_enabled_for_event_type(cfg, "tensor_write", false));
    ASSERT_OK(nrt_sys_trace_config_get_enabled_event_types(cfg, &types, &ntypes));
    ASSERT_TRUE(ntypes == 4);
    for (size_t i = 0; i < ntypes; i++)
        ASSERT_TRUE(strcmp(types[i], "tensor_write") != 0);
    nrt_sys_trace_free_event_types(types, ntypes);
    ASSERT_ST_LOG1(nrt_sys_trace_config_set_capture_enabled_for_event_type(cfg, "dma_queue", true), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_sys_trace_config_set_capture_enabled_for_event_type(NULL, "tensor_read", true), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_sys_trace_config_allocate(NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_sys_trace_get_event_types(NULL, &ntypes), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_sys_trace_config_get_enabled_event_types(cfg, &types, NULL), NRT_INVALID);
    ASSERT_VOID_LOG1(nrt_sys_trace_config_set_defaults(NULL));
    ASSERT_VOID_LOG1(nrt_sys_trace_config_set_max_events_per_nc(NULL, 5));
    ASSERT_VOID_LOG1(nrt_sys_trace_config_set_capture_enabled_for_nc(NULL, 0, true));
    ASSERT_VOID_LOG1(nrt_sys_trace_config_set_capture_enabled_for_nc(cfg, 1u << 20, true));
    nrt_sys_trace_config_set_defaults(cfg);
    nrt_sys_trace_config_free(NULL);

    nrt_sys_trace_fetch_options_t *fo = NULL;
    ASSERT_OK(nrt_sys_trace_fetch_options_allocate(&fo));
    ASSERT_ST_LOG1(nrt_sys_trace_fetch_options_allocate(NULL), NRT_INVALID);
    ASSERT_VOID_LOG1(nrt_sys_trace_fetch_options_set_nc_idx(NULL, 0));
    ASSERT_VOID_LOG1(nrt_sys_trace_fetch_options_set_max_events_per_nc(NULL, 0));
    ASSERT_VOID_LOG1(nrt_sys_trace_fetch_options_set_defaults(NULL));

    /* Outside nrt_init..nrt_close. */
    char *buf = (char *)1;
    size_t size = 1;
    ASSERT_ST_LOG1(nrt_sys_trace_start(cfg), NRT_UNINITIALIZED);
    ASSERT_ST_LOG1(nrt_sys_trace_stop(), NRT_UNINITIALIZED);
    ASSERT_ST_LOG1(nrt_sys_trace_fetch_events(&buf, &size, NULL), NRT_UNINITIALIZED);
    ASSERT_TRUE(buf == NULL && size == 0);

    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    uint32_t ncores = 0;
    ASSERT_OK(nrt_get_visible_vnc_count(&ncores));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, N, "w", &w_tensor));
    nrt_model_t *m = t_load_model("vadd", 0);
    nrt_tensor_set_t *in, *out;
    ASSERT_OK(nrt_allocate_tensor_set(&in));
    ASSERT_OK(nrt_allocate_tensor_set(&out));
    add_tensor(in, "a");
    add_tensor(in, "b");
    add_tensor(out, "c");

    ASSERT_ST_LOG1(nrt_sys_trace_fetch_events(&buf, &size, NULL), NRT_INVALID); /* not started */
    ASSERT_ST_LOG1(nrt_sys_trace_fetch_events(NULL, &size, NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_sys_trace_fetch_events(&buf, NULL, NULL), NRT_INVALID);

    /* What ran before the start is not captured; each event comes once. */
    writes(2);
    vadd(m, in, out, 1);
    ASSERT_OK(nrt_sys_trace_start(NULL));
    ASSERT_ST_LOG1(nrt_sys_trace_start(cfg), NRT_INVALID); /* already running */
    writes(3);
    vadd(m, in, out, 2);
    reads(1);
    expect(fetch(NULL), 2, 1, 3);
    expect(fetch(NULL), 0, 0, 0);
    writes(2);
    vadd(m, in, out, 1);
    expect(fetch(fo), 1, 0, 2);

    /* Fetch limit: the oldest first, the rest at the next fetch. */
    writes(3);
    nrt_sys_trace_fetch_options_set_max_events_per_nc(fo, 1);
    expect(fetch(fo), 0, 0, 1);
    nrt_sys_trace_fetch_options_set_defaults(fo);
    expect(fetch(fo), 0, 0, 2);

    /* Per core: another core holds none of core 0's requests. */
    writes(1);
    nrt_sys_trace_fetch_options_set_nc_idx(fo, ncores);
    ASSERT_ST_LOG1(nrt_sys_trace_fetch_events(&buf, &size, fo), NRT_INVALID);
    ASSERT_TRUE(buf == NULL && size == 0);
    if (ncores > 1) {
        nrt_sys_trace_fetch_options_set_nc_idx(fo, 1);
        expect(fetch(fo), 0, 0, 0);
    }
    nrt_sys_trace_fetch_options_set_nc_idx(fo, 0);
    fetched_t f = fetch(fo);
    expect(f, 0, 0, 1);
    ASSERT_TRUE(f.max_nc == 0);

    /* Another user of the recorder starting and stopping leaves the
     * capture running. */
    char dir[] = "/tmp/nrt_sys_trace_XXXXXX";
    ASSERT_TRUE(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/p.json", dir);
    ASSERT_OK(nrt_profile_start(NULL, path));
    writes(1);
    ASSERT_OK(nrt_profile_stop(path));
    writes(1);
    expect(fetch(NULL), 0, 0, 2);
    unlink(path);
    concurrent_fetches();
    rmdir(dir);

    ASSERT_OK(nrt_sys_trace_stop());
    ASSERT_ST_LOG1(nrt_sys_trace_fetch_events(&buf, &size, NULL), NRT_INVALID); /* stopped */
    ASSERT_OK(nrt_sys_trace_stop()); /* again: nothing to stop */

    /* Per type, and the capture limit (the oldest are dropped). */
    ASSERT_OK(nrt_sys_trace_config_set_capture_enabled_for_event_type(cfg, "tensor_write", false));
    nrt_sys_trace_config_set_max_events_per_nc(cfg, 2);
    ASSERT_OK(nrt_sys_trace_start(cfg));
    writes(2);
    vadd(m, in, out, 1);
    reads(4);
    f = fetch(NULL);
    expect(f, 0, 2, 0);
    ASSERT_TRUE(f.dropped == 3);
    ASSERT_OK(nrt_sys_trace_stop());

    /* Core 0 left out. */
    nrt_sys_trace_config_set_defaults(cfg);
    nrt_sys_trace_config_set_capture_enabled_for_nc(cfg, 0, false);
    ASSERT_OK(nrt_sys_trace_start(cfg));
    writes(2);
    vadd(m, in, out, 1);
    expect(fetch(NULL), 0, 0, 0);
    ASSERT_OK(nrt_sys_trace_stop());

    /* A capture does not survive nrt_close. */
    ASSERT_OK(nrt_sys_trace_start(NULL));
    nrt_destroy_tensor_set(&in);
    nrt_destroy_tensor_set(&out);
    ASSERT_OK(nrt_unload(m));
    nrt_tensor_free(&w_tensor);
    nrt_close();
    ASSERT_ST_LOG1(nrt_sys_trace_fetch_events(&buf, &size, NULL), NRT_CLOSED);
    ASSERT_ST_LOG1(nrt_sys_trace_start(NULL), NRT_CLOSED);
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    ASSERT_ST_LOG1(nrt_sys_trace_fetch_events(&buf, &size, NULL), NRT_INVALID);
    ASSERT_OK(nrt_sys_trace_start(NULL));
    expect(fetch(NULL), 0, 0, 0);
    ASSERT_OK(nrt_sys_trace_stop());
    nrt_close();

    nrt_sys_trace_fetch_options_free(fo);
    nrt_sys_trace_config_free(cfg);
    printf("sys_trace: ok (%u cores)\n", ncores);
    return 0;
}

/*
 * Released handles are refused everywhere with NRT_INVALID and exactly one
 * log line: an unloaded model (also while a queued execution still holds
 * it, and after it is gone), a destroyed error tracker, a destroyed tensor
 * set, a freed tensor, and handles of the wrong kind. Never a crash.
 */
#include "harness.h"

#include "nrt/nrt_async.h"

static void add(nrt_tensor_set_t *set, const char *name, size_t bytes)
{
    nrt_tensor_t *t;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, bytes, name, &t));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(set, name, t));
    nrt_tensor_free(&t); /* the set keeps it */
}

int main(void)
{
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    nrt_model_t *m = t_load_model("vadd", 0);
    nrt_tensor_set_t *in, *out;
    ASSERT_OK(nrt_allocate_tensor_set(&in));
    ASSERT_OK(nrt_allocate_tensor_set(&out));
    add(in, "a", 4u << 20);
    add(in, "b", 4u << 20);
    add(out, "c", 4u << 20);
    nrta_seq_t seq;

    /* Unloaded while an execution is queued: the request keeps the model
     * alive, but the handle is refused at once. */
    ASSERT_OK(nrta_execute_schedule(m, in, out, 0, NULL, &seq));
    ASSERT_OK(nrt_unload(m));
    ASSERT_ST_LOG1(nrta_execute_schedule(m, in, out, 0, NULL, &seq), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_execute(m, in, out), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_unload(m), NRT_INVALID);
    bool done = false;
    for (int i = 0; i < 600000 && !done; i++) {
        ASSERT_OK(nrta_is_completed(seq, &done));
        if (!done)
            usleep(100);
    }
    ASSERT_TRUE(done);
    /* And after the last reference went. */
    ASSERT_ST_LOG1(nrta_execute_schedule(m, in, out, 0, NULL, &seq), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_execute_repeat(m, in, out, 2), NRT_INVALID);
    uint32_t n;
    ASSERT_ST_LOG1(nrt_get_model_nc_count(m, &n), NRT_INVALID);

    /* A destroyed error tracker. */
    nrta_error_tracker_t *et;
    ASSERT_OK(nrta_error_tracker_create(0, &et));
    nrta_error_tracker_destroy(et);
    const nrta_error_t *list;
    size_t count;
    ASSERT_ST_LOG1(nrta_error_tracker_get_list(et, &list, &count), NRT_INVALID);
    nrt_tensor_t *t;
    ASSERT_OK(nrt_get_tensor_from_tensor_set(in, "a", &t));
    static char buf[64];
    ASSERT_ST_LOG1(nrta_tensor_write(t, buf, 0, sizeof buf, 0, et, &seq), NRT_INVALID);

    /* Handles of the wrong kind. */
    ASSERT_ST_LOG1(nrta_tensor_write((nrt_tensor_t *)(void *)in, buf, 0, sizeof buf, 0, NULL, &seq), NRT_INVALID);
    ASSERT_ST_LOG1(nrt_get_model_nc_count((nrt_model_t *)(void *)t, &n), NRT_INVALID);

    /* A destroyed tensor set. */
    nrt_tensor_set_t *gone = in;
    nrt_destroy_tensor_set(&in);
    ASSERT_TRUE(in == NULL);
    ASSERT_ST_LOG1(nrt_get_tensor_from_tensor_set(gone, "a", &t), NRT_INVALID);

    /* A freed tensor (no set holds it). */
    nrt_tensor_t *f;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 64, "f", &f));
    nrt_tensor_t *stale = f;
    nrt_tensor_free(&f);
    ASSERT_ST_LOG1(nrt_tensor_write(stale, buf, 0, 8), NRT_INVALID);
    ASSERT_ST_LOG1(nrta_tensor_read(buf, stale, 0, 8, 0, NULL, &seq), NRT_INVALID);

    nrt_destroy_tensor_set(&out);
    nrt_close();
    printf("released: ok\n");
    return 0;
}

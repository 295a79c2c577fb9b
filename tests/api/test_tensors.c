/*
 * tests/api/test_tensors.c - tensors end to end: placements, zero fill,
 * read/write/copy/memset round trips, batches (validated before any data
 * moves), slices sharing storage, storage that outlives the freed source
 * tensor (slices, tensor sets), empty tensors with attached buffers,
 * addresses and allocation info, and memory accounting including the
 * OPENNRT_MEM_LIMIT limit.
 */
#include "reject_all.h"
#include "api_env.h"

#define SMALL 4096
#define LARGE (4u << 20) /* above the 2 MiB mmap threshold */

static uint64_t used(uint32_t vnc)
{
    nrt_vnc_memory_stats_t ms;
    ASSERT_OK(nrt_get_vnc_memory_stats(vnc, &ms, sizeof ms, NULL));
    return ms.bytes_used;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 131 + seed * 17 + (i >> 8));
}

static void expect_bytes(const nrt_tensor_t *t, size_t off, const unsigned char *want, size_t n)
{
    unsigned char *got = malloc(n);
    ASSERT_TRUE(got != NULL);
    ASSERT_OK(nrt_tensor_read(t, got, off, n));
    for (size_t i = 0; i < n; i++) {
        if (got[i] != want[i]) {
            fprintf(stderr, "byte %zu (offset %zu): got 0x%02x, expected 0x%02x\n", i, off + i, got[i], want[i]);
            abort();
        }
    }
    free(got);
}

static void expect_value(const nrt_tensor_t *t, size_t off, unsigned char value, size_t n)
{
    unsigned char *want = malloc(n);
    ASSERT_TRUE(want != NULL);
    memset(want, value, n);
    expect_bytes(t, off, want, n);
    free(want);
}

static void test_placements(void)
{
    static const size_t sizes[] = {1, 63, SMALL, LARGE, LARGE + 1};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        nrt_tensor_t *d = NULL, *d1 = NULL, *h = NULL, *hc = NULL, *v = NULL;
        ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, n, "d", &d));
        ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, n, NULL, &d1)); /* name may be NULL */
        ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, -1, n, "h", &h));
        ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, 1, n, "hc", &hc));
        ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_VIRTUAL, -1, n, "v", &v));
        nrt_tensor_t *all[] = {d, d1, h, hc};
        for (size_t i = 0; i < 4; i++) {
            ASSERT_EQ_U64(nrt_tensor_get_size(all[i]), n);
            ASSERT_TRUE(nrt_tensor_get_va(all[i]) != NULL);
            expect_value(all[i], 0, 0, n); /* zero-filled */
            nrt_tensor_device_allocation_info_t ai = {0, 0, 99};
            ASSERT_OK(nrt_tensor_get_device_allocation_info(all[i], &ai));
            ASSERT_EQ_U64(ai.physical_address, (uintptr_t)nrt_tensor_get_va(all[i]));
            ASSERT_EQ_U64(ai.size, n);
            ASSERT_EQ_U64((int64_t)ai.hbm_index, (int64_t)(i == 0 ? 0 : i == 1 ? 1 : -1));
        }
        /* only DEVICE memory is accounted, against its own core */
        ASSERT_EQ_U64(used(0), n);
        ASSERT_EQ_U64(used(1), n);
        /* VIRTUAL: a size but no storage until a buffer is attached */
        ASSERT_EQ_U64(nrt_tensor_get_size(v), n);
        ASSERT_TRUE(nrt_tensor_get_va(v) == NULL);
        unsigned char *buf = malloc(n);
        ASSERT_TRUE(buf != NULL);
        fill(buf, n, 3);
        ASSERT_OK(nrt_tensor_attach_buffer(v, buf, n));
        ASSERT_TRUE(nrt_tensor_get_va(v) == buf);
        expect_bytes(v, 0, buf, n);
        for (size_t i = 0; i < 5; i++) {
            nrt_tensor_t **pt = i < 4 ? &all[i] : &v;
            nrt_tensor_free(pt);
            ASSERT_TRUE(*pt == NULL);
        }
        free(buf);
        ASSERT_EQ_U64(used(0), 0);
        ASSERT_EQ_U64(used(1), 0);
    }
}

static void test_round_trips(void)
{
    nrt_tensor_t *d, *d2, *d1, *h;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, LARGE, "d", &d));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, LARGE, "d2", &d2));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, LARGE, "d1", &d1));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, -1, LARGE, "h", &h));
    unsigned char *src = malloc(LARGE), *ref = malloc(LARGE);
    ASSERT_TRUE(src && ref);
    fill(src, LARGE, 1);

    /* whole and partial writes */
    ASSERT_OK(nrt_tensor_write(d, src, 0, LARGE));
    expect_bytes(d, 0, src, LARGE);
    ASSERT_OK(nrt_tensor_write(d, src + 100, 5, 1000)); /* unaligned */
    memcpy(ref, src, LARGE);
    memcpy(ref + 5, src + 100, 1000);
    expect_bytes(d, 0, ref, LARGE);
    ASSERT_OK(nrt_tensor_write(d, src, LARGE - 1, 1)); /* last byte */
    ref[LARGE - 1] = src[0];
    expect_bytes(d, 0, ref, LARGE);
    expect_bytes(d, 17, ref + 17, 333); /* partial read */

    /* memset */
    ASSERT_OK(nrt_tensor_memset(d, 10, 0xab, 20));
    memset(ref + 10, 0xab, 20);
    expect_bytes(d, 0, ref, LARGE);
    ASSERT_OK(nrt_tensor_memset(d, 0, 0, LARGE));
    expect_value(d, 0, 0, LARGE);

    /* copies: device -> device (same core), device <-> host, any -> host */
    ASSERT_OK(nrt_tensor_write(d, src, 0, LARGE));
    ASSERT_OK(nrt_tensor_copy(d, 0, d2, 0, LARGE));
    expect_bytes(d2, 0, src, LARGE);
    ASSERT_OK(nrt_tensor_copy(d2, 1000, h, 7, 5000));
    expect_bytes(h, 7, src + 1000, 5000);
    ASSERT_OK(nrt_tensor_copy(h, 7, d1, 0, 5000)); /* host -> device of core 1 */
    expect_bytes(d1, 0, src + 1000, 5000);
    ASSERT_OK(nrt_tensor_copy(d1, 0, h, 0, 64)); /* core 1 -> host */
    expect_bytes(h, 0, src + 1000, 64);
    /* overlapping copies inside one tensor behave as memmove */
    ASSERT_OK(nrt_tensor_write(d, src, 0, LARGE));
    ASSERT_OK(nrt_tensor_copy(d, 0, d, 3, 4096));
    memcpy(ref, src, LARGE);
    memmove(ref + 3, ref, 4096);
    expect_bytes(d, 0, ref, 8192);
    ASSERT_OK(nrt_tensor_copy(d, 100, d, 50, 4096));
    memmove(ref + 50, ref + 100, 4096);
    expect_bytes(d, 0, ref, 8192);

    nrt_tensor_free(&d);
    nrt_tensor_free(&d2);
    nrt_tensor_free(&d1);
    nrt_tensor_free(&h);
    free(src);
    free(ref);
}

static void test_batches(void)
{
    nrt_tensor_t *a, *b;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, SMALL, "a", &a));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, -1, SMALL, "b", &b));
    unsigned char src[SMALL], got[SMALL], ref_a[SMALL] = {0}, ref_b[SMALL] = {0};
    fill(src, SMALL, 9);

    /* write: two tensors, several ops each, any order and size */
    nrt_tensor_batch_op_t ops_a[] = {{0, 16, src}, {100, 1, src + 16}, {SMALL - 8, 8, src + 17}, {50, 0, NULL}};
    nrt_tensor_batch_op_t ops_b[] = {{8, 1000, src + 200}, {2000, 2000, src + 1200}};
    nrt_tensor_batch_t wb[] = {{a, ops_a, 4}, {b, ops_b, 2}, {a, NULL, 0}};
    ASSERT_OK(nrt_tensor_write_batch(wb, 3, false));
    memcpy(ref_a, src, 16);
    ref_a[100] = src[16];
    memcpy(ref_a + SMALL - 8, src + 17, 8);
    memcpy(ref_b + 8, src + 200, 1000);
    memcpy(ref_b + 2000, src + 1200, 2000);
    expect_bytes(a, 0, ref_a, SMALL);
    expect_bytes(b, 0, ref_b, SMALL);

    /* read: into separate buffers */
    memset(got, 0, sizeof got);
    nrt_tensor_batch_op_t rops[] = {{0, 16, got}, {SMALL - 8, 8, got + 16}, {8, 1000, got + 24}};
    nrt_tensor_batch_t rb[] = {{a, rops, 2}, {b, rops + 2, 1}};
    ASSERT_OK(nrt_tensor_read_batch(rb, 2, true));
    ASSERT_TRUE(memcmp(got, ref_a, 16) == 0);
    ASSERT_TRUE(memcmp(got + 16, ref_a + SMALL - 8, 8) == 0);
    ASSERT_TRUE(memcmp(got + 24, ref_b + 8, 1000) == 0);

    /* A batch whose last op is out of range moves nothing at all. */
    unsigned char junk[SMALL];
    memset(junk, 0x5a, sizeof junk);
    nrt_tensor_batch_op_t bad_a[] = {{0, SMALL, junk}, {0, 1, junk}};
    nrt_tensor_batch_op_t bad_b[] = {{0, 16, junk}, {SMALL - 4, 8, junk}};
    nrt_tensor_batch_t bad[] = {{a, bad_a, 2}, {b, bad_b, 2}};
    ASSERT_ST_LOG1(nrt_tensor_write_batch(bad, 2, false), NRT_INVALID);
    expect_bytes(a, 0, ref_a, SMALL);
    expect_bytes(b, 0, ref_b, SMALL);
    bad_b[1] = (nrt_tensor_batch_op_t){SIZE_MAX - 1, 4, junk}; /* wraps */
    ASSERT_ST_LOG1(nrt_tensor_write_batch(bad, 2, false), NRT_INVALID);
    expect_bytes(a, 0, ref_a, SMALL);
    expect_bytes(b, 0, ref_b, SMALL);
    /* nor does a read: the destination buffers stay untouched */
    ASSERT_ST_LOG1(nrt_tensor_read_batch(bad, 2, false), NRT_INVALID);
    for (size_t i = 0; i < SMALL; i++)
        ASSERT_EQ_U64(junk[i], 0x5a);

    nrt_tensor_free(&a);
    nrt_tensor_free(&b);
}

static void test_slices(void)
{
    nrt_tensor_t *src, *s1, *s2, *s3;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, SMALL, "src", &src));
    ASSERT_EQ_U64(used(1), SMALL);
    ASSERT_OK(nrt_tensor_allocate_slice(src, 1024, 1024, "s1", &s1));
    ASSERT_OK(nrt_tensor_allocate_slice(s1, 16, 32, "s2", &s2)); /* slice of a slice */
    ASSERT_OK(nrt_tensor_allocate_slice(src, 0, SMALL, NULL, &s3)); /* the whole tensor */
    ASSERT_EQ_U64(used(1), SMALL); /* slices allocate nothing */
    ASSERT_EQ_U64(nrt_tensor_get_size(s1), 1024);
    ASSERT_EQ_U64(nrt_tensor_get_size(s2), 32);
    char *base = nrt_tensor_get_va(src);
    ASSERT_TRUE(nrt_tensor_get_va(s1) == base + 1024);
    ASSERT_TRUE(nrt_tensor_get_va(s2) == base + 1040);
    ASSERT_TRUE(nrt_tensor_get_va(s3) == base);
    nrt_tensor_device_allocation_info_t ai;
    ASSERT_OK(nrt_tensor_get_device_allocation_info(s2, &ai));
    ASSERT_EQ_U64(ai.physical_address, (uintptr_t)(base + 1040));
    ASSERT_EQ_U64(ai.size, 32);
    ASSERT_EQ_U64(ai.hbm_index, 1);

    /* writes through either side are seen by the other */
    unsigned char data[SMALL], ref[SMALL] = {0};
    fill(data, SMALL, 5);
    ASSERT_OK(nrt_tensor_write(s2, data, 0, 32));
    memcpy(ref + 1040, data, 32);
    expect_bytes(src, 0, ref, SMALL);
    ASSERT_OK(nrt_tensor_write(src, data, 1000, 100));
    memcpy(ref + 1000, data, 100);
    expect_bytes(s1, 0, ref + 1024, 1024);
    ASSERT_OK(nrt_tensor_memset(s1, 1000, 0x77, 24));
    memset(ref + 2024, 0x77, 24);
    expect_bytes(s3, 0, ref, SMALL);
    /* slice bounds are the slice's own */
    ASSERT_ST_LOG1(nrt_tensor_read(s2, data, 16, 17), NRT_INVALID);
    nrt_tensor_t *s5 = s3;
    ASSERT_ST_LOG1(nrt_tensor_allocate_slice(s2, 0, 33, "too big", &s5), NRT_INVALID);
    ASSERT_TRUE(s5 == NULL);
    nrt_tensor_free(&s3);

    /* The slices outlive the freed source: storage is reference counted. */
    nrt_tensor_free(&src);
    ASSERT_TRUE(src == NULL);
    ASSERT_EQ_U64(used(1), SMALL);
    expect_bytes(s1, 0, ref + 1024, 1024);
    ASSERT_OK(nrt_tensor_write(s2, data + 500, 0, 32));
    memcpy(ref + 1040, data + 500, 32);
    expect_bytes(s1, 0, ref + 1024, 1024);
    nrt_tensor_t *s4;
    ASSERT_OK(nrt_tensor_allocate_slice(s2, 8, 8, "s4", &s4)); /* slicing still works */
    expect_bytes(s4, 0, data + 508, 8);
    nrt_tensor_free(&s1);
    nrt_tensor_free(&s2);
    ASSERT_EQ_U64(used(1), SMALL);
    nrt_tensor_free(&s4); /* last reference: storage and accounting released */
    ASSERT_EQ_U64(used(1), 0);
}

static void test_sets_hold_tensors(void)
{
    nrt_tensor_t *t, *u, *got;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, SMALL, "t", &t));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 2 * SMALL, "u", &u));
    unsigned char data[SMALL];
    fill(data, SMALL, 11);
    ASSERT_OK(nrt_tensor_write(t, data, 0, SMALL));
    nrt_tensor_set_t *s1, *s2;
    ASSERT_OK(nrt_allocate_tensor_set(&s1));
    ASSERT_OK(nrt_allocate_tensor_set(&s2));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(s1, "x", t));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(s1, "x2", t)); /* one tensor under two names */
    ASSERT_OK(nrt_add_tensor_to_tensor_set(s2, "x", t));  /* and in two sets */
    ASSERT_OK(nrt_get_tensor_from_tensor_set(s1, "x", &got));
    ASSERT_TRUE(got == t);

    /* The sets keep the tensor after the user frees it. */
    nrt_tensor_free(&t);
    ASSERT_EQ_U64(used(0), 3 * SMALL);
    ASSERT_OK(nrt_get_tensor_from_tensor_set(s1, "x2", &got));
    expect_bytes(got, 0, data, SMALL);
    ASSERT_OK(nrt_tensor_memset(got, 0, 0x11, 8));
    ASSERT_OK(nrt_get_tensor_from_tensor_set(s2, "x", &got));
    expect_value(got, 0, 0x11, 8);

    /* Replacing a name swaps the tensor and releases the old one once no
     * other name or set holds it. */
    ASSERT_OK(nrt_add_tensor_to_tensor_set(s1, "x", u));
    ASSERT_OK(nrt_get_tensor_from_tensor_set(s1, "x", &got));
    ASSERT_TRUE(got == u);
    ASSERT_OK(nrt_add_tensor_to_tensor_set(s1, "x2", u));
    ASSERT_EQ_U64(used(0), 3 * SMALL); /* s2 still holds it */
    nrt_destroy_tensor_set(&s2);
    ASSERT_TRUE(s2 == NULL);
    ASSERT_EQ_U64(used(0), 2 * SMALL);
    nrt_tensor_free(&u);
    ASSERT_EQ_U64(used(0), 2 * SMALL); /* s1 holds u */
    nrt_destroy_tensor_set(&s1);
    ASSERT_EQ_U64(used(0), 0);

    /* A slice in a set outlives both its source and its own handle. */
    nrt_tensor_t *src, *sl;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, SMALL, "src", &src));
    ASSERT_OK(nrt_tensor_write(src, data, 0, SMALL));
    ASSERT_OK(nrt_tensor_allocate_slice(src, 64, 64, "sl", &sl));
    ASSERT_OK(nrt_allocate_tensor_set(&s1));
    ASSERT_OK(nrt_add_tensor_to_tensor_set(s1, "sl", sl));
    nrt_tensor_free(&src);
    nrt_tensor_free(&sl);
    ASSERT_OK(nrt_get_tensor_from_tensor_set(s1, "sl", &got));
    expect_bytes(got, 0, data + 64, 64);
    ASSERT_EQ_U64(used(0), SMALL);
    nrt_destroy_tensor_set(&s1);
    ASSERT_EQ_U64(used(0), 0);
}

static void test_attach(void)
{
    nrt_tensor_t *t;
    ASSERT_OK(nrt_tensor_allocate_empty("empty", &t));
    ASSERT_EQ_U64(nrt_tensor_get_size(t), 0);
    ASSERT_TRUE(nrt_tensor_get_va(t) == NULL);
    unsigned char buf1[256], buf2[512], out[512];
    fill(buf1, sizeof buf1, 21);
    fill(buf2, sizeof buf2, 22);
    ASSERT_OK(nrt_tensor_attach_buffer(t, buf1, sizeof buf1));
    ASSERT_EQ_U64(nrt_tensor_get_size(t), sizeof buf1);
    ASSERT_TRUE(nrt_tensor_get_va(t) == buf1);
    expect_bytes(t, 0, buf1, sizeof buf1);
    ASSERT_OK(nrt_tensor_memset(t, 0, 0x42, 4)); /* writes land in the caller's buffer */
    ASSERT_TRUE(buf1[0] == 0x42 && buf1[3] == 0x42);
    nrt_tensor_device_allocation_info_t ai;
    ASSERT_OK(nrt_tensor_get_device_allocation_info(t, &ai));
    ASSERT_EQ_U64(ai.physical_address, (uintptr_t)buf1);
    ASSERT_EQ_U64((int64_t)ai.hbm_index, -1);
    ASSERT_EQ_U64(used(0), 0); /* caller memory is not accounted */

    /* a slice keeps using buf1 after the tensor moves to buf2 */
    nrt_tensor_t *sl;
    ASSERT_OK(nrt_tensor_allocate_slice(t, 16, 16, "sl", &sl));
    ASSERT_OK(nrt_tensor_attach_buffer(t, buf2, sizeof buf2));
    ASSERT_EQ_U64(nrt_tensor_get_size(t), sizeof buf2);
    ASSERT_TRUE(nrt_tensor_get_va(t) == buf2);
    ASSERT_TRUE(nrt_tensor_get_va(sl) == buf1 + 16);
    expect_bytes(sl, 0, buf1 + 16, 16);
    ASSERT_OK(nrt_tensor_read(t, out, 0, sizeof buf2));
    ASSERT_TRUE(memcmp(out, buf2, sizeof buf2) == 0);
    ASSERT_ST_LOG1(nrt_tensor_read(t, out, 1, sizeof buf2), NRT_INVALID);

    /* copies between attached and owned memory */
    nrt_tensor_t *d;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, sizeof buf2, "d", &d));
    ASSERT_OK(nrt_tensor_copy(t, 0, d, 0, sizeof buf2));
    expect_bytes(d, 0, buf2, sizeof buf2);

    /* Freeing never frees the caller's buffers (stack memory here). */
    nrt_tensor_free(&t);
    nrt_tensor_free(&sl);
    nrt_tensor_free(&d);
    buf1[0] = buf2[0] = 1;
    ASSERT_EQ_U64(used(1), 0);
}

static void test_memory_stats(void)
{
    nrt_vnc_memory_stats_t ms;
    size_t out = 0;
    ASSERT_OK(nrt_get_vnc_memory_stats(0, &ms, sizeof ms, &out));
    ASSERT_EQ_U64(out, sizeof ms);
    ASSERT_EQ_U64(ms.bytes_used, 0);
    ASSERT_EQ_U64(ms.bytes_limit, 16ull << 30); /* default: 16 GiB per core */
    nrt_tensor_t *t[8];
    uint64_t want[2] = {0, 0};
    for (int i = 0; i < 8; i++) {
        ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, i % 2, (size_t)(i + 1) * 1000, "t", &t[i]));
        want[i % 2] += (uint64_t)(i + 1) * 1000;
        ASSERT_EQ_U64(used(0), want[0]);
        ASSERT_EQ_U64(used(1), want[1]);
    }
    ASSERT_EQ_U64(used(0), 16000);
    ASSERT_EQ_U64(used(1), 20000);
    for (int i = 0; i < 8; i++) {
        nrt_tensor_free(&t[i]);
        want[i % 2] -= (uint64_t)(i + 1) * 1000;
        ASSERT_EQ_U64(used(0), want[0]);
        ASSERT_EQ_U64(used(1), want[1]);
    }
    ASSERT_EQ_U64(used(0), 0);
    ASSERT_EQ_U64(used(1), 0);

    /* A smaller caller struct gets only what fits; the runtime says what
     * it knows. */
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 4096, "t", &t[0]));
    size_t small[2] = {12345, 67890};
    ASSERT_OK(nrt_get_vnc_memory_stats(0, (nrt_vnc_memory_stats_t *)(void *)small, sizeof(size_t), &out));
    ASSERT_EQ_U64(small[0], 4096);
    ASSERT_EQ_U64(small[1], 67890);
    ASSERT_EQ_U64(out, sizeof(nrt_vnc_memory_stats_t));
    unsigned char big[64];
    memset(big, 0xcc, sizeof big);
    ASSERT_OK(nrt_get_vnc_memory_stats(0, (nrt_vnc_memory_stats_t *)(void *)big, sizeof big, &out));
    ASSERT_EQ_U64(((nrt_vnc_memory_stats_t *)(void *)big)->bytes_used, 4096);
    ASSERT_EQ_U64(big[sizeof(nrt_vnc_memory_stats_t)], 0xcc); /* nothing past the struct */
    nrt_tensor_free(&t[0]);
}

/* Running with a limit set before nrt_init. */
static void test_mem_limit(void)
{
    setenv("OPENNRT_MEM_LIMIT", "8M", 1);
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, NULL, NULL));
    unsetenv("OPENNRT_MEM_LIMIT");
    nrt_vnc_memory_stats_t ms;
    ASSERT_OK(nrt_get_vnc_memory_stats(1, &ms, sizeof ms, NULL));
    ASSERT_EQ_U64(ms.bytes_limit, 8u << 20);
    nrt_tensor_t *a = NULL, *b = NULL, *c = NULL, *h = NULL;
    ASSERT_ST_LOG1(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, (8u << 20) + 1, "a", &a), NRT_RESOURCE);
    ASSERT_TRUE(a == NULL);
    ASSERT_EQ_U64(used(0), 0);
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 6u << 20, "a", &a));
    ASSERT_ST_LOG1(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, (2u << 20) + 1, "b", &b), NRT_RESOURCE);
    ASSERT_EQ_U64(used(0), 6u << 20);
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 2u << 20, "b", &b)); /* exactly full */
    ASSERT_ST_LOG1(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 1, "c", &c), NRT_RESOURCE);
    /* the limit is per core; host memory is not accounted; slices are free */
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, 8u << 20, "c", &c));
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_HOST, -1, 16u << 20, "h", &h));
    nrt_tensor_t *sl = NULL;
    ASSERT_OK(nrt_tensor_allocate_slice(a, 0, 6u << 20, "sl", &sl));
    /* freeing gives the room back; a slice holds its storage's share */
    nrt_tensor_free(&a);
    ASSERT_ST_LOG1(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 1, "a", &a), NRT_RESOURCE);
    nrt_tensor_free(&sl);
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 6u << 20, "a", &a));
    ASSERT_EQ_U64(used(0), 8u << 20);
    nrt_tensor_free(&a);
    nrt_tensor_free(&b);
    nrt_tensor_free(&c);
    nrt_tensor_free(&h);
    ASSERT_EQ_U64(used(0), 0);
    ASSERT_EQ_U64(used(1), 0);
    nrt_close();
}

int main(void)
{
    t_api_env();
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, NULL, NULL));
    test_placements();
    test_round_trips();
    test_batches();
    test_slices();
    test_sets_hold_tensors();
    test_attach();
    test_memory_stats();
    nrt_close();
    test_mem_limit();
    printf("tensors ok\n");
    return 0;
}

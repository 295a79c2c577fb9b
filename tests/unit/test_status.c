/*
 * tests/unit/test_status.c - nrt_get_status_as_str() covers every status of
 * NRT_STATUS_MAP with "NRT_<name>", and maps everything else to
 * "NRT_UNKNOWN_STATUS".
 */
#include "harness.h"

#include "common/common.h"

static void check_one(NRT_STATUS st, int value, const char *want, const char *desc)
{
    const char *got = nrt_get_status_as_str(st);
    ASSERT_TRUE(got != NULL);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "status %d: got '%s', expected '%s'\n", value, got, want);
        abort();
    }
    ASSERT_EQ_U64((int)st, value);
    ASSERT_TRUE(desc && desc[0]);
}

int main(void)
{
    size_t n = 0;
#define CHECK_STATUS_(name, value, desc)                                       \
    check_one(NRT_##name, value, "NRT_" #name, desc);                          \
    n++;
    NRT_STATUS_MAP(CHECK_STATUS_)
#undef CHECK_STATUS_
    ASSERT_EQ_U64(n, 28);

    /* Values not in the map, including the gaps of the fixed numbering. */
    static const int unknown[] = {-1, 8, 12, 16, 100, 102, 1000, 1001, 1007, 1099, 1101, 1199, 1207, 99999, INT32_MIN};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *s = nrt_get_status_as_str((NRT_STATUS)unknown[i]);
        ASSERT_TRUE(s != NULL);
        ASSERT_TRUE(strcmp(s, "NRT_UNKNOWN_STATUS") == 0);
    }

    /* Callable before nrt_init, without logging. */
    t_capture_begin();
    (void)nrt_get_status_as_str(NRT_SUCCESS);
    (void)nrt_get_status_as_str((NRT_STATUS)12345);
    ASSERT_EQ_U64(t_capture_end(NULL, 0), 0);
    printf("status ok (%zu statuses)\n", n);
    return 0;
}

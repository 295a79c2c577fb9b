/*
 * tests/unit/test_parse.c - the small parsers behind the environment
 * settings (nrt__parse_u64, nrt__parse_size), the overflow-safe range check
 * every bounds check uses (nrt__range_ok) and nrt__strlcpy.
 */
#include "harness.h"

#include "common/common.h"

static void u64_ok(const char *s, uint64_t want)
{
    uint64_t v = 12345;
    if (!nrt__parse_u64(s, &v) || v != want) {
        fprintf(stderr, "nrt__parse_u64('%s') failed or gave %llu, expected %llu\n", s, (unsigned long long)v,
                (unsigned long long)want);
        abort();
    }
}

static void u64_bad(const char *s)
{
    uint64_t v = 12345;
    if (nrt__parse_u64(s, &v)) {
        fprintf(stderr, "nrt__parse_u64('%s') accepted (%llu)\n", s ? s : "(null)", (unsigned long long)v);
        abort();
    }
    ASSERT_EQ_U64(v, 12345); /* output untouched on error */
}

static void size_ok(const char *s, uint64_t want)
{
    uint64_t v = 12345;
    if (!nrt__parse_size(s, &v) || v != want) {
        fprintf(stderr, "nrt__parse_size('%s') failed or gave %llu, expected %llu\n", s, (unsigned long long)v,
                (unsigned long long)want);
        abort();
    }
}

static void size_bad(const char *s)
{
    uint64_t v = 12345;
    if (nrt__parse_size(s, &v)) {
        fprintf(stderr, "nrt__parse_size('%s') accepted (%llu)\n", s ? s : "(null)", (unsigned long long)v);
        abort();
    }
    ASSERT_EQ_U64(v, 12345);
}

static void test_parse_u64(void)
{
    u64_ok("0", 0);
    u64_ok("1", 1);
    u64_ok("007", 7);
    u64_ok("4294967296", 4294967296ull);
    u64_ok("18446744073709551615", UINT64_MAX);
    u64_bad(NULL);
    u64_bad("");
    u64_bad("-1");
    u64_bad("-0");
    u64_bad(" -1"); /* strtoull would accept and negate this */
    u64_bad(" 1");
    u64_bad("+1");
    u64_bad("1 ");
    u64_bad("1x");
    u64_bad("0x10");
    u64_bad("1K"); /* sizes only for nrt__parse_size */
    u64_bad("abc");
    u64_bad("18446744073709551616"); /* 2^64 */
    u64_bad("99999999999999999999999");
}

static void test_parse_size(void)
{
    size_ok("0", 0);
    size_ok("1", 1);
    size_ok("4096", 4096);
    size_ok("1k", 1024);
    size_ok("1K", 1024);
    size_ok("1KB", 1024);
    size_ok("1KiB", 1024);
    size_ok("3m", 3ull << 20);
    size_ok("64M", 64ull << 20);
    size_ok("64MiB", 64ull << 20);
    size_ok("1g", 1ull << 30);
    size_ok("16G", 16ull << 30);
    size_ok("16GB", 16ull << 30);
    size_ok("0G", 0);
    size_ok("18446744073709551615", UINT64_MAX);
    size_ok("17179869183G", 17179869183ull << 30); /* largest G multiple */
    size_bad(NULL);
    size_bad("");
    size_bad("-1");
    size_bad("-1G");
    size_bad(" -1");
    size_bad(" 1");
    size_bad("+1");
    size_bad("K");
    size_bad("G1");
    size_bad("1T");
    size_bad("1X");
    size_bad("1KK");
    size_bad("1KiBx");
    size_bad("1 K");
    size_bad("1.5G");
    size_bad("17179869184G");         /* 2^34 * 2^30 wraps */
    size_bad("18014398509481984K");   /* 2^54 * 2^10 wraps */
    size_bad("18446744073709551616"); /* 2^64 */
}

static void test_range_ok(void)
{
    ASSERT_TRUE(nrt__range_ok(0, 0, 0));
    ASSERT_TRUE(!nrt__range_ok(0, 1, 0));
    ASSERT_TRUE(!nrt__range_ok(1, 0, 0));
    ASSERT_TRUE(nrt__range_ok(0, 100, 100));
    ASSERT_TRUE(nrt__range_ok(99, 1, 100));
    ASSERT_TRUE(nrt__range_ok(100, 0, 100)); /* empty range at the end */
    ASSERT_TRUE(!nrt__range_ok(100, 1, 100));
    ASSERT_TRUE(!nrt__range_ok(101, 0, 100));
    ASSERT_TRUE(!nrt__range_ok(99, 2, 100));
    ASSERT_TRUE(!nrt__range_ok(0, 101, 100));
    /* offset + size wraps around to a small number */
    ASSERT_TRUE(!nrt__range_ok(UINT64_MAX - 1, 4, 100));
    ASSERT_TRUE(!nrt__range_ok(4, UINT64_MAX - 1, 100));
    ASSERT_TRUE(!nrt__range_ok(UINT64_MAX, 1, 100));
    ASSERT_TRUE(!nrt__range_ok(1, UINT64_MAX, 100));
    ASSERT_TRUE(!nrt__range_ok(UINT64_MAX, UINT64_MAX, UINT64_MAX));
    ASSERT_TRUE(!nrt__range_ok(1, UINT64_MAX, UINT64_MAX));
    ASSERT_TRUE(!nrt__range_ok(UINT64_MAX / 2 + 1, UINT64_MAX / 2 + 1, UINT64_MAX));
    ASSERT_TRUE(nrt__range_ok(0, UINT64_MAX, UINT64_MAX));
    ASSERT_TRUE(nrt__range_ok(UINT64_MAX, 0, UINT64_MAX));
    ASSERT_TRUE(nrt__range_ok(UINT64_MAX / 2, UINT64_MAX / 2 + 1, UINT64_MAX));
    /* exhaustive over a small space against the obvious wide formula */
    for (uint64_t total = 0; total < 20; total++)
        for (uint64_t off = 0; off < 24; off++)
            for (uint64_t size = 0; size < 24; size++)
                ASSERT_EQ_U64(nrt__range_ok(off, size, total), off + size <= total);
}

static void test_strlcpy(void)
{
    char buf[8];
    memset(buf, 'x', sizeof buf);
    nrt__strlcpy(buf, "abc", sizeof buf);
    ASSERT_TRUE(strcmp(buf, "abc") == 0);
    nrt__strlcpy(buf, "abcdefghijkl", sizeof buf);
    ASSERT_TRUE(strcmp(buf, "abcdefg") == 0);
    nrt__strlcpy(buf, NULL, sizeof buf);
    ASSERT_TRUE(buf[0] == '\0');
    buf[0] = 'z';
    nrt__strlcpy(buf, "abc", 0); /* no room: untouched */
    ASSERT_TRUE(buf[0] == 'z');
    nrt__strlcpy(buf, "abc", 1);
    ASSERT_TRUE(buf[0] == '\0');
}

int main(void)
{
    test_parse_u64();
    test_parse_size();
    test_range_ok();
    test_strlcpy();
    printf("parse ok\n");
    return 0;
}

/*
 * tests/harness.h - tiny test harness: assertions that print both operands
 * and abort, exit codes (0 pass, 1 fail, 77 skip), stderr capture to check
 * log lines, and helpers to read model objects.
 * Model objects live in NRT_MODEL_DIR (set by CMake).
 */
#pragma once

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nrt/nrt.h"

#define T_SKIP 77

/* Sanitizer builds: T_SANITIZED under ASan or TSan, T_TSAN under TSan
 * alone (some tests run a smaller matrix or skip a check there). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define T_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define T_SANITIZED 1
#endif
#endif
#ifndef T_SANITIZED
#define T_SANITIZED 0
#endif
#if defined(__SANITIZE_THREAD__)
#define T_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define T_TSAN 1
#endif
#endif
#ifndef T_TSAN
#define T_TSAN 0
#endif

#define ASSERT_TRUE(c)                                                                                 \
    do {                                                                                               \
        if (!(c)) {                                                                                    \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #c);                  \
            abort();                                                                                   \
        }                                                                                              \
    } while (0)

#define ASSERT_EQ_U64(a, b)                                                                            \
    do {                                                                                               \
        unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);                 \
        if (a_ != b_) {                                                                                \
            fprintf(stderr, "%s:%d: %s == %s failed: %llu vs %llu\n", __FILE__, __LINE__, #a, #b, a_,  \
                    b_);                                                                               \
            abort();                                                                                   \
        }                                                                                              \
    } while (0)

#define ASSERT_ST(expr, want)                                                                          \
    do {                                                                                               \
        NRT_STATUS got_ = (expr), want_ = (want);                                                      \
        if (got_ != want_) {                                                                           \
            fprintf(stderr, "%s:%d: %s returned %s (%d), expected %s (%d)\n", __FILE__, __LINE__,      \
                    #expr, nrt_get_status_as_str(got_), (int)got_, nrt_get_status_as_str(want_),       \
                    (int)want_);                                                                       \
            abort();                                                                                   \
        }                                                                                              \
    } while (0)

#define ASSERT_OK(expr) ASSERT_ST(expr, NRT_SUCCESS)

/* Reads a whole file; aborts on error. Caller frees. */
static inline void *t_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
        abort();
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc(n > 0 ? (size_t)n : 1);
    ASSERT_TRUE(buf && fread(buf, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* Reads example model |name| ("vadd", "mlp", ...) from NRT_MODEL_DIR. */
static inline void *t_read_model(const char *name, size_t *size)
{
    char path[4096];
    const char *dir = getenv("NRT_MODEL_DIR");
#ifdef NRT_MODEL_DIR_DEFAULT
    if (!dir)
        dir = NRT_MODEL_DIR_DEFAULT;
#endif
    ASSERT_TRUE(dir != NULL);
    snprintf(path, sizeof path, "%s/%s.so", dir, name);
    return t_read_file(path, size);
}

/* Loads example model |name| on |vnc|. */
static inline nrt_model_t *t_load_model(const char *name, int vnc)
{
    size_t n;
    void *bytes = t_read_model(name, &n);
    nrt_model_t *m = NULL;
    ASSERT_OK(nrt_load(bytes, n, vnc, -1, &m));
    free(bytes);
    return m;
}

/* stderr capture: t_capture_begin() redirects stderr to a temp file;
 * t_capture_end() restores it and returns the number of lines written (and
 * the text in |buf| if non-NULL). Used to check "one log line" rules. */
static int t_saved_stderr = -1;
static char t_capture_path[64];

static inline void t_capture_begin(void)
{
    fflush(stderr);
    snprintf(t_capture_path, sizeof t_capture_path, "/tmp/nrt-test-capture-XXXXXX");
    int fd = mkstemp(t_capture_path);
    ASSERT_TRUE(fd >= 0);
    t_saved_stderr = dup(2);
    dup2(fd, 2);
    close(fd);
}

static inline int t_capture_end(char *buf, size_t cap)
{
    fflush(stderr);
    dup2(t_saved_stderr, 2);
    close(t_saved_stderr);
    size_t n;
    char *text = t_read_file(t_capture_path, &n);
    unlink(t_capture_path);
    int lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += text[i] == '\n';
    if (buf && cap) {
        size_t c = n < cap - 1 ? n : cap - 1;
        memcpy(buf, text, c);
        buf[c] = '\0';
    }
    free(text);
    return lines;
}

/* Expects |expr| to return |want| and log exactly one line. */
#define ASSERT_ST_LOG1(expr, want)                                                                     \
    do {                                                                                               \
        char log_[1024];                                                                               \
        t_capture_begin();                                                                             \
        NRT_STATUS got_ = (expr);                                                                      \
        int lines_ = t_capture_end(log_, sizeof log_);                                                 \
        if (got_ != (want) || lines_ != 1) {                                                           \
            fprintf(stderr, "%s:%d: %s returned %s with %d log lines, expected %s with 1:\n%s\n",      \
                    __FILE__, __LINE__, #expr, nrt_get_status_as_str(got_), lines_,                    \
                    nrt_get_status_as_str(want), log_);                                                \
            abort();                                                                                   \
        }                                                                                              \
    } while (0)

static inline uint64_t t_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* xorshift fill for random inputs */
static inline void t_fill_random(float *p, size_t n, uint64_t seed)
{
    uint64_t s = seed * 2654435761ull + 1;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        p[i] = (float)((s >> 40) & 0xffff) / 65536.0f - 0.5f;
    }
}

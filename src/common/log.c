/*
 * src/common/log.c - one-line logging to stderr, filtered by
 * NEURON_RT_LOG_LEVEL, plus the small parsing and futex helpers every
 * module uses.
 */
#include "common/common.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

_Atomic int nrt__log_level = NRT__LOG_ERROR;

static const char *const level_names[] = {"OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"};

void nrt__log_configure(void)
{
    const char *s = getenv("NEURON_RT_LOG_LEVEL");
    int level = NRT__LOG_ERROR;
    if (s && *s) {
        level = -1;
        for (int i = 0; i <= NRT__LOG_TRACE; i++)
            if (strcasecmp(s, level_names[i]) == 0)
                level = i;
        if (level < 0) {
            fprintf(stderr, "nrt WARN  nrt__log_configure: unknown NEURON_RT_LOG_LEVEL '%s', using ERROR\n", s);
            level = NRT__LOG_ERROR;
        }
    }
    atomic_store_explicit(&nrt__log_level, level, memory_order_relaxed);
}

void nrt__log_write(int level, const char *func, const char *fmt, ...)
{
    /* One fprintf per line so concurrent lines do not interleave. */
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    fprintf(stderr, "%02d:%02d:%02d.%06ld nrt %-5s %s: %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
            ts.tv_nsec / 1000, level_names[level], func, msg);
}

void nrt__futex_wait(_Atomic uint32_t *addr, uint32_t expected, uint64_t timeout_ns)
{
    struct timespec ts, *tsp = NULL;
    if (timeout_ns) {
        ts.tv_sec = (time_t)(timeout_ns / 1000000000ull);
        ts.tv_nsec = (long)(timeout_ns % 1000000000ull);
        tsp = &ts;
    }
    /* EAGAIN (value changed), EINTR and ETIMEDOUT all mean "re-check". */
    syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE, expected, tsp, NULL, 0);
}

void nrt__futex_wake_all(_Atomic uint32_t *addr)
{
    syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

void nrt__futex_wake_one(_Atomic uint32_t *addr)
{
    syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

bool nrt__parse_u64(const char *s, uint64_t *out)
{
    /* A digit first: strtoull would skip blanks and accept a sign. */
    if (!s || *s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

bool nrt__parse_size(const char *s, uint64_t *out)
{
    /* A digit first: strtoull would skip blanks and accept a sign. */
    if (!s || *s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return false;
    uint64_t mul = 1;
    switch (*end) {
    case '\0': break;
    case 'k': case 'K': mul = 1ull << 10; end++; break;
    case 'm': case 'M': mul = 1ull << 20; end++; break;
    case 'g': case 'G': mul = 1ull << 30; end++; break;
    default: return false;
    }
    if (*end == 'i' || *end == 'B')
        end++;
    if (*end == 'B')
        end++;
    if (*end || (v && mul > UINT64_MAX / v))
        return false;
    *out = v * mul;
    return true;
}

void nrt__strlcpy(char *dst, const char *src, size_t cap)
{
    if (!cap)
        return;
    size_t n = src ? strnlen(src, cap - 1) : 0;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

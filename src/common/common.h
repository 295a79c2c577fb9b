/*
 * src/common/common.h - internal helpers shared by every module: logging,
 * argument-check macros, time, futex, overflow-safe range checks.
 * Private to libnrt.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "nrt/nrt.h"

#define NRT_API __attribute__((visibility("default")))

/* A public name with two variants (the async API 2.28 and 3.0, as glibc
 * keeps old and new versions of one symbol): each variant is a function
 * of its own, marked NRT_VERSIONED, and exported under the public name at
 * one version node of src/libnrt.map. NRT_EXPORT_AS gives the older
 * variant (name@NODE, bound only by binaries that ask for it);
 * NRT_EXPORT_DEFAULT_AS the default one (name@@NODE: what the linker and
 * dlsym pick). tests/api/abi/check_exports.sh reads these lines. */
#define NRT_VERSIONED __attribute__((visibility("default")))
#define NRT_EXPORT_AS(impl, name, node) __asm__(".symver " #impl ", " #name "@" node);
#define NRT_EXPORT_DEFAULT_AS(impl, name, node) __asm__(".symver " #impl ", " #name "@@" node);

#define NRT__CACHELINE 64
#define NRT__LIKELY(x) __builtin_expect(!!(x), 1)
#define NRT__UNLIKELY(x) __builtin_expect(!!(x), 0)

/*===------------------------------------------------------------------===*/
/* Logging                                                                */
/*===------------------------------------------------------------------===*/

enum {
    NRT__LOG_OFF = 0,
    NRT__LOG_ERROR = 1,
    NRT__LOG_WARN = 2,
    NRT__LOG_INFO = 3,
    NRT__LOG_DEBUG = 4,
    NRT__LOG_TRACE = 5
};

/* Read by every log call on any thread, rewritten by nrt_init and the
 * count queries while no runtime is running (a worker stuck in a kernel
 * past nrt_close may still log): atomic, relaxed. */
extern _Atomic int nrt__log_level;

static inline int nrt__log_get(void)
{
    return atomic_load_explicit(&nrt__log_level, memory_order_relaxed);
}

/* Reads NEURON_RT_LOG_LEVEL (called at init and by the count queries). */
void nrt__log_configure(void);
void nrt__log_write(int level, const char *func, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define NRT__LOG(level, ...)                                                   \
    do {                                                                       \
        if (NRT__UNLIKELY((level) <= nrt__log_get()))                          \
            nrt__log_write((level), __func__, __VA_ARGS__);                    \
    } while (0)
#define LOG_ERROR(...) NRT__LOG(NRT__LOG_ERROR, __VA_ARGS__)
#define LOG_WARN(...) NRT__LOG(NRT__LOG_WARN, __VA_ARGS__)
#define LOG_INFO(...) NRT__LOG(NRT__LOG_INFO, __VA_ARGS__)
#define LOG_DEBUG(...) NRT__LOG(NRT__LOG_DEBUG, __VA_ARGS__)

/* Argument checks: log one line naming the bad argument, return |status|. */
#define CHECK_ARG(cond, status, ...)                                           \
    do {                                                                       \
        if (NRT__UNLIKELY(!(cond))) {                                          \
            LOG_ERROR(__VA_ARGS__);                                            \
            return (status);                                                   \
        }                                                                      \
    } while (0)
#define CHECK_NOT_NULL(ptr)                                                    \
    CHECK_ARG((ptr) != NULL, NRT_INVALID, "argument '%s' is NULL", #ptr)

/* True when [offset, offset+size) lies inside [0, total) without wrapping. */
static inline bool nrt__range_ok(uint64_t offset, uint64_t size, uint64_t total)
{
    return offset <= total && size <= total - offset;
}

/*===------------------------------------------------------------------===*/
/* Time, futex                                                            */
/*===------------------------------------------------------------------===*/

static inline uint64_t nrt__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void nrt__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Sleeps while *addr == expected (or until woken / |timeout_ns| passes, 0:
 * no timeout). Spurious returns are allowed. */
void nrt__futex_wait(_Atomic uint32_t *addr, uint32_t expected, uint64_t timeout_ns);
void nrt__futex_wake_all(_Atomic uint32_t *addr);
void nrt__futex_wake_one(_Atomic uint32_t *addr);

/* Parses a byte size with optional K/M/G suffix; false on error. */
bool nrt__parse_size(const char *s, uint64_t *out);
/* Parses a non-negative integer; false on error or trailing junk. */
bool nrt__parse_u64(const char *s, uint64_t *out);

/* Copies |src| (may be NULL) into |dst| of |cap| bytes, always terminated. */
void nrt__strlcpy(char *dst, const char *src, size_t cap);

/*
 * tools/cpu_noise.h - how much of the machine other processes took while a
 * measurement ran: machine-wide busy and steal CPU seconds (/proc/stat) and
 * this process's own CPU seconds. A figure measured while others took more
 * than a few percent of the machine is not quotable (README, PERFORMANCE.md).
 * Shared by nrt-bench and the benchmarks under bench/. Header-only.
 */
#pragma once

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

/* Machine-wide busy (user, nice, system, irq, softirq) and steal CPU
 * seconds since boot; both NAN when /proc/stat cannot be read. It counts
 * clock ticks (10 ms): differences over less than a second are mostly
 * rounding. */
static inline void cpu_noise_sys_s(double *busy, double *steal)
{
    *busy = *steal = NAN;
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return;
    unsigned long long v[8] = {0};
    if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
               &v[7]) == 8) {
        double hz = (double)sysconf(_SC_CLK_TCK);
        *busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / hz;
        *steal = (double)v[7] / hz;
    }
    fclose(f);
}

/* This process's CPU seconds (with |children|: plus its waited-for
 * children's, for benchmarks that run their peers as processes). */
static inline double cpu_noise_own_s(bool children)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
               (double)ru.ru_stime.tv_usec * 1e-6;
    if (children) {
        getrusage(RUSAGE_CHILDREN, &ru);
        s += (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
             (double)ru.ru_stime.tv_usec * 1e-6;
    }
    return s;
}

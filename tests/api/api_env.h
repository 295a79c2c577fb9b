/*
 * tests/api/api_env.h - a known environment for the API tests: two
 * logical cores and none of the settings that would change what a test
 * sees (log level, fault injection, limits, traces). Call before nrt_init.
 */
#pragma once

#include <stdlib.h>

static inline void t_api_env(void)
{
    static const char *const clear[] = {
        "NEURON_RT_LOG_LEVEL", "NEURON_RT_VISIBLE_CORES", "NEURON_RT_EXEC_TIMEOUT", "OPENNRT_TOTAL_CORES",
        "OPENNRT_MEM_LIMIT",   "OPENNRT_FAULT",           "OPENNRT_TRACE",          "OPENNRT_NAN_CHECK",
        "OPENNRT_QUEUES",      "OPENNRT_QUEUE_DEPTH",     "OPENNRT_EXEC_TIMEOUT_MS", "OPENNRT_SCALE_PASSES",
    };
    for (size_t i = 0; i < sizeof clear / sizeof clear[0]; i++)
        unsetenv(clear[i]);
    setenv("NEURON_RT_NUM_CORES", "2", 1);
}

/*
 * tests/fuzz/fuzz.h - what the fuzz targets share: the invariant check,
 * which aborts (libFuzzer's finding) with the failed condition.
 */
#pragma once

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strnlen, setenv */
#endif
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ASSERT(c)                                                                                  \
    do {                                                                                                \
        if (!(c)) {                                                                                     \
            fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #c);             \
            abort();                                                                                    \
        }                                                                                               \
    } while (0)

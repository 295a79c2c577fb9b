/*
 * tests/fuzz/replay_main.c - runs the fuzz target without libFuzzer (any
 * compiler): every file named on the command line, then a fixed number of
 * deterministic mutations of each (bit flips, byte stores, truncations),
 * so the target's invariants are checked in every build.
 * Usage: fuzz_model_check_replay [-n MUTATIONS] FILE...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t xs(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static uint8_t *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *b = malloc(cap);
    size_t got;
    while (b && (got = fread(b + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap)
            b = realloc(b, cap *= 2);
    }
    fclose(f);
    if (!b)
        exit(1);
    *n = len;
    return b;
}

int main(int argc, char **argv)
{
    long mutations = 2000;
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "-n") == 0) {
        mutations = atol(argv[2]);
        first = 3;
    }
    uint64_t seed = 0x2545f4914f6cdd1dull;
    long runs = 0;
    /* Inputs that need no file: empty and tiny. */
    LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
    for (int i = 0; i < 256; i++) {
        uint8_t b[3] = {(uint8_t)i, (uint8_t)(i * 7), (uint8_t)(255 - i)};
        LLVMFuzzerTestOneInput(b, sizeof b);
    }
    for (int a = first; a < argc; a++) {
        size_t n;
        uint8_t *orig = read_all(argv[a], &n);
        LLVMFuzzerTestOneInput(orig, n);
        for (long m = 0; m < mutations; m++) {
            size_t len = n;
            if (xs(&seed) % 8 == 0 && n)
                len = (size_t)(xs(&seed) % n); /* truncate */
            uint8_t *b = malloc(len ? len : 1);
            if (!b)
                return 1;
            memcpy(b, orig, len);
            int edits = 1 + (int)(xs(&seed) % 8);
            for (int e = 0; e < edits && len; e++) {
                /* mostly the headers at the front */
                size_t at = (size_t)(xs(&seed) % (xs(&seed) % 2 ? (len < 512 ? len : 512) : len));
                if (xs(&seed) % 2)
                    b[at] ^= (uint8_t)(1u << (xs(&seed) % 8));
                else
                    b[at] = (uint8_t)xs(&seed);
            }
            LLVMFuzzerTestOneInput(b, len);
            free(b);
            runs++;
        }
        free(orig);
    }
    printf("replayed %d files, %ld mutations\n", argc - first, runs);
    return 0;
}

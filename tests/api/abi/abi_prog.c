/*
 * tests/api/abi/abi_prog.c - a program linked against a stub libnrt.so.1
 * that defines exactly the real runtime's version nodes (NRT_2.0.0,
 * NRT_3.0.0), as a binary built against the Neuron runtime records its
 * imports (nrt_init@NRT_2.0.0, ...); run against OpenNRT's library it must
 * load and work. Public API only.
 */
#include <stdio.h>
#include <string.h>

#include "nrt/nrt.h"
#include "nrt/nrt_async.h"

#define CHECK(e)                                                                                             \
    do {                                                                                                     \
        NRT_STATUS s_ = (e);                                                                                 \
        if (s_ != NRT_SUCCESS) {                                                                             \
            fprintf(stderr, "abi_prog: %s returned %d\n", #e, (int)s_);                                      \
            return 1;                                                                                        \
        }                                                                                                    \
    } while (0)

int main(void)
{
    CHECK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    nrt_tensor_t *t = NULL;
    CHECK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 64, "t", &t));
    char in[64], out[64];
    for (int i = 0; i < 64; i++)
        in[i] = (char)i;
    CHECK(nrt_tensor_write(t, in, 0, sizeof in));
    nrta_seq_t seq;
    CHECK(nrta_tensor_read(out, t, 0, sizeof out, 0, NULL, &seq));
    bool done = false;
    for (long i = 0; i < 100000000 && !done; i++)
        CHECK(nrta_is_completed(seq, &done));
    if (!done || memcmp(in, out, sizeof in)) {
        fprintf(stderr, "abi_prog: the async read did not bring the data back\n");
        return 1;
    }
    nrt_tensor_free(&t);
    nrt_close();
    printf("abi_prog: ok\n");
    return 0;
}

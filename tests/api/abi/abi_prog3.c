/*
 * tests/api/abi/abi_prog3.c - as abi_prog.c, for a program written for the
 * async API 3.0 (built with -DNRTA_API_VERSION=3): linked against the stub
 * libnrt.so.1 it records nrta_tensor_read@NRT_3.0.0 etc.; run against
 * OpenNRT it must bind the 3.0 variants (a status pointer per request,
 * reads on TENSOR_OP). Public API only.
 */
#include <stdio.h>
#include <string.h>

#include "nrt/nrt.h"
#include "nrt/nrt_async.h"

#if NRTA_API_VERSION != 3
#error "build with -DNRTA_API_VERSION=3"
#endif

#define CHECK(e)                                                                                             \
    do {                                                                                                     \
        NRT_STATUS s_ = (e);                                                                                 \
        if (s_ != NRT_SUCCESS) {                                                                             \
            fprintf(stderr, "abi_prog3: %s returned %d\n", #e, (int)s_);                                     \
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
        in[i] = (char)(i * 3);
    NRT_STATUS wret = NRT_FAILURE, rret = NRT_FAILURE;
    nrta_seq_t wseq, rseq;
    CHECK(nrta_tensor_write(t, in, 0, sizeof in, 0, 0, &wret, &wseq));
    CHECK(nrta_tensor_read(out, t, 0, sizeof out, 0, 0, &rret, &rseq));
    /* Both on TENSOR_OP queue 0, in order: the read sees the write. */
    if (NRTA_SEQ_GET_XU_ID(wseq) != NRTA_SEQ_GET_XU_ID(rseq) || NRTA_SEQ_GET_SEQ_NUM(rseq) != 2) {
        fprintf(stderr, "abi_prog3: write 0x%016llx and read 0x%016llx are not requests 1 and 2 of one queue\n",
                (unsigned long long)wseq, (unsigned long long)rseq);
        return 1;
    }
    bool done = false;
    for (long i = 0; i < 100000000 && !done; i++)
        CHECK(nrta_is_completed(rseq, &done));
    nrta_seq_t last = 0;
    CHECK(nrta_get_sequence(0, NRTA_XU_TENSOR_OP, 0, &last));
    if (!done || wret != NRT_SUCCESS || rret != NRT_SUCCESS || memcmp(in, out, sizeof in) || last != rseq) {
        fprintf(stderr, "abi_prog3: done %d, statuses %d/%d, last 0x%016llx: the 3.0 calls did not work\n",
                (int)done, (int)wret, (int)rret, (unsigned long long)last);
        return 1;
    }
    nrt_tensor_free(&t);
    nrt_close();
    printf("abi_prog3: ok\n");
    return 0;
}

/*
 * src/model/model.h - models: kernel objects loaded from memory (private).
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nrt/nrt.h"
#include "nrt/nrt_kernel.h"

#define NRT__MODEL_MAGIC 0x4c444f4du /* "MODL" */

struct nrt_model {
    uint32_t magic;
    _Atomic uint32_t refs; /* user + queued requests */
    bool user_unloaded;
    int core;
    void *dl;
    const nrt_kernel_descriptor_t *desc;
    void *state;
    uint32_t ctx_device_id, ctx_device_count;
    struct nrt_model *reg_prev, *reg_next;
};

void nrt__model_retain(nrt_model_t *m);
void nrt__model_release(nrt_model_t *m);
bool nrt__model_check(const nrt_model_t *m, const char *what);
void nrt__model_close_all(void);

/* Pure checks on untrusted bytes (fuzzed): returns NRT_SUCCESS if |bytes|
 * is a well-formed ELF shared object for this host, else
 * NRT_UNSUPPORTED_NEFF_VERSION / NRT_INVALID with |why| filled. */
NRT_STATUS nrt__model_check_elf(const void *bytes, size_t size, char *why, size_t why_cap);
/* Checks a descriptor found in a loaded object. */
NRT_STATUS nrt__model_check_descriptor(const nrt_kernel_descriptor_t *d, char *why, size_t why_cap);

/* Resolves |model|'s inputs and outputs in the sets: on success fills
 * sts[i] (retained) and ptrs[i] for every declared tensor, inputs first.
 * Returns NRT_EXEC_BAD_INPUT (missing name, wrong size, no storage) or
 * NRT_INVALID (bad handle, tensor on another core), logging which. */
struct nrt__storage;
NRT_STATUS nrt__model_bind(nrt_model_t *m, const void *in_set, const void *out_set, const char *func,
                           struct nrt__storage **sts, void **ptrs);
static inline uint32_t nrt__model_ntensors(const nrt_model_t *m)
{
    return m->desc->num_inputs + m->desc->num_outputs;
}

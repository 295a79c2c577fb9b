/*
 * src/model/model.h - models: kernel objects loaded from memory (private).
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/obj.h"
#include "nrt/nrt.h"
#include "nrt/nrt_kernel.h"

struct nrt_model {
    nrt__obj_t obj; /* references: the user's handle + queued executions */
    int core;
    void *dl;       /* the device's handle of the loaded object */
    const nrt_kernel_descriptor_t *desc;
    void *state;
    uint32_t ctx_device_id, ctx_device_count;
};

extern const nrt__obj_type_t nrt__model_type;

static inline void nrt__model_retain(nrt_model_t *m) { nrt__obj_retain(m); }
static inline void nrt__model_release(nrt_model_t *m) { nrt__obj_release(m); }
/* Refuses NULL, other handles and models the application unloaded. */
static inline bool nrt__model_check(const nrt_model_t *m, const char *func)
{
    return nrt__obj_check(m, &nrt__model_type, func);
}
void nrt__model_close_all(void);

/* Pure checks on untrusted bytes (fuzzed): returns NRT_SUCCESS if |bytes|
 * is a well-formed ELF shared object for this host, else
 * NRT_UNSUPPORTED_NEFF_VERSION / NRT_INVALID with |why| filled. */
NRT_STATUS nrt__model_check_elf(const void *bytes, size_t size, char *why, size_t why_cap);
/* On bytes that pass nrt__model_check_elf: stores in |names| (at most
 * |max|) the DT_NEEDED libraries, pointers into |bytes| terminated inside
 * the string table, and returns how many; 0 for anything malformed. */
size_t nrt__model_elf_needed(const void *bytes, size_t size, const char **names, size_t max);
/* The p_flags (PF_R/W/X) of the loadable segment holding the virtual
 * range [vaddr, vaddr+len) of the object, 0 when none holds all of it. */
uint32_t nrt__model_elf_flags_at(const void *bytes, size_t size, uint64_t vaddr, uint64_t len);
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

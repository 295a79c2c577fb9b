/*
 * src/model/model_check.c - checks on untrusted model bytes before they
 * reach the dynamic loader, and on the descriptor a loaded object exports.
 * Pure functions with no runtime state: the fuzz target drives them
 * directly. Every read is bounds-checked against |size|; headers are
 * copied out with memcpy, so unaligned input is fine.
 */
#include "model/model.h"

#include <elf.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#else
#define HOST_MACHINE EM_NONE
#endif

#define WHY(...) (snprintf(why, why_cap, __VA_ARGS__), NRT_INVALID)

static bool range_in(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

NRT_STATUS nrt__model_check_elf(const void *bytes, size_t size, char *why, size_t why_cap)
{
    const unsigned char *b = bytes;
    if (!b || size < SELFMAG || memcmp(b, ELFMAG, SELFMAG) != 0) {
        bool gz = b && size >= 2 && b[0] == 0x1f && b[1] == 0x8b;
        snprintf(why, why_cap,
                 "not an OpenNRT model object (no ELF header%s); OpenNRT runs models compiled as kernel shared "
                 "objects (docs/MODELS.md), Neuron NEFF files cannot run here",
                 gz ? ", looks like a compressed NEFF/archive" : "");
        return NRT_UNSUPPORTED_NEFF_VERSION;
    }
    Elf64_Ehdr eh;
    if (size < sizeof eh)
        return WHY("truncated ELF header (%zu bytes)", size);
    memcpy(&eh, b, sizeof eh);
    if (eh.e_ident[EI_CLASS] != ELFCLASS64)
        return WHY("ELF class %u is not 64-bit", eh.e_ident[EI_CLASS]);
    if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
        return WHY("ELF data encoding %u is not little-endian", eh.e_ident[EI_DATA]);
    if (eh.e_ident[EI_VERSION] != EV_CURRENT || eh.e_version != EV_CURRENT)
        return WHY("unknown ELF version");
    if (eh.e_type != ET_DYN)
        return WHY("ELF type %u is not a shared object (ET_DYN)", eh.e_type);
    if (eh.e_machine != HOST_MACHINE)
        return WHY("ELF machine %u does not match this host (%u)", eh.e_machine, HOST_MACHINE);
    if (eh.e_ehsize != sizeof(Elf64_Ehdr) || eh.e_phentsize != sizeof(Elf64_Phdr))
        return WHY("unexpected ELF header sizes");
    if (eh.e_phnum == 0 || eh.e_phnum == PN_XNUM)
        return WHY("ELF object has no program headers");
    if (!range_in(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), size))
        return WHY("program headers lie outside the %zu bytes given (truncated?)", size);
    if (eh.e_shoff && (eh.e_shentsize != sizeof(Elf64_Shdr) ||
                       !range_in(eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr), size)))
        return WHY("section headers lie outside the %zu bytes given (truncated?)", size);
    unsigned loads = 0, dynamics = 0;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, b + eh.e_phoff + (uint64_t)i * sizeof ph, sizeof ph);
        if (ph.p_type != PT_LOAD && ph.p_type != PT_DYNAMIC)
            continue;
        if (!range_in(ph.p_offset, ph.p_filesz, size))
            return WHY("segment %u [%llu, +%llu] lies outside the %zu bytes given (truncated?)", i,
                       (unsigned long long)ph.p_offset, (unsigned long long)ph.p_filesz, size);
        if (ph.p_type == PT_LOAD) {
            if (ph.p_filesz > ph.p_memsz)
                return WHY("segment %u has file size above memory size", i);
            if (ph.p_align > 1 && ((ph.p_align & (ph.p_align - 1)) ||
                                   (ph.p_vaddr % ph.p_align) != (ph.p_offset % ph.p_align)))
                return WHY("segment %u is misaligned", i);
            loads++;
        } else {
            dynamics++;
        }
    }
    if (!loads)
        return WHY("ELF object has no loadable segment");
    if (dynamics != 1)
        return WHY("ELF object has %u dynamic sections (expected 1)", dynamics);
    return NRT_SUCCESS;
}

/* The program header |i| of checked bytes. */
static Elf64_Phdr phdr_at(const unsigned char *b, const Elf64_Ehdr *eh, unsigned i)
{
    Elf64_Phdr ph;
    memcpy(&ph, b + eh->e_phoff + (uint64_t)i * sizeof ph, sizeof ph);
    return ph;
}

/* The file offset of [va, va+len) when it lies in the file part of one
 * loadable segment. */
static bool vaddr_to_off(const unsigned char *b, size_t size, const Elf64_Ehdr *eh, uint64_t va, uint64_t len,
                         uint64_t *off)
{
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph = phdr_at(b, eh, i);
        if (ph.p_type == PT_LOAD && va >= ph.p_vaddr && range_in(va - ph.p_vaddr, len, ph.p_filesz) &&
            range_in(ph.p_offset + (va - ph.p_vaddr), len, size)) {
            *off = ph.p_offset + (va - ph.p_vaddr);
            return true;
        }
    }
    return false;
}

size_t nrt__model_elf_needed(const void *bytes, size_t size, const char **names, size_t max)
{
    const unsigned char *b = bytes;
    Elf64_Ehdr eh;
    if (size < sizeof eh || nrt__model_check_elf(bytes, size, NULL, 0) != NRT_SUCCESS)
        return 0;
    memcpy(&eh, b, sizeof eh);
    Elf64_Phdr dyn = {0};
    for (unsigned i = 0; i < eh.e_phnum && dyn.p_type != PT_DYNAMIC; i++)
        dyn = phdr_at(b, &eh, i);
    if (dyn.p_type != PT_DYNAMIC) /* checked above; kept for the reader */
        return 0;
    uint64_t strtab = 0, strsz = 0, n_ent = dyn.p_filesz / sizeof(Elf64_Dyn);
    for (int pass = 0; pass < 2; pass++) {
        size_t found = 0;
        uint64_t stroff = 0;
        if (pass == 1 && (!strtab || !vaddr_to_off(b, size, &eh, strtab, strsz, &stroff)))
            return 0;
        for (uint64_t i = 0; i < n_ent; i++) {
            Elf64_Dyn d;
            memcpy(&d, b + dyn.p_offset + i * sizeof d, sizeof d);
            if (d.d_tag == DT_NULL)
                break;
            if (pass == 0 && d.d_tag == DT_STRTAB)
                strtab = d.d_un.d_ptr;
            else if (pass == 0 && d.d_tag == DT_STRSZ)
                strsz = d.d_un.d_val;
            else if (pass == 1 && d.d_tag == DT_NEEDED && d.d_un.d_val < strsz && found < max) {
                const char *name = (const char *)b + stroff + d.d_un.d_val;
                if (memchr(name, 0, strsz - d.d_un.d_val)) /* terminated inside the table */
                    names[found++] = name;
            }
        }
        if (pass == 1)
            return found;
    }
    return 0;
}

uint32_t nrt__model_elf_flags_at(const void *bytes, size_t size, uint64_t vaddr, uint64_t len)
{
    const unsigned char *b = bytes;
    Elf64_Ehdr eh;
    if (size < sizeof eh || nrt__model_check_elf(bytes, size, NULL, 0) != NRT_SUCCESS)
        return 0;
    memcpy(&eh, b, sizeof eh);
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph = phdr_at(b, &eh, i);
        if (ph.p_type == PT_LOAD && vaddr >= ph.p_vaddr && range_in(vaddr - ph.p_vaddr, len, ph.p_memsz))
            return ph.p_flags;
    }
    return 0;
}

static bool name_valid(const char *n)
{
    return n && n[0] && strnlen(n, 256) < 256;
}

static NRT_STATUS check_tensors(const nrt_kernel_tensor_t *ts, uint32_t n, const char *kind, char *why,
                                size_t why_cap)
{
    for (uint32_t i = 0; i < n; i++) {
        const nrt_kernel_tensor_t *t = &ts[i];
        if (!name_valid(t->name))
            return WHY("%s %u has no valid name (1..255 bytes)", kind, i);
        size_t es = nrt_kernel_dtype_size(t->dtype);
        if (!es)
            return WHY("%s '%s' has unknown dtype %d", kind, t->name, (int)t->dtype);
        if (t->ndim < 1 || t->ndim > NRT_KERNEL_MAX_DIMS)
            return WHY("%s '%s' has %u dimensions (1..%d allowed)", kind, t->name, t->ndim, NRT_KERNEL_MAX_DIMS);
        uint64_t bytes = es;
        for (uint32_t d = 0; d < t->ndim; d++) {
            if (!t->shape[d] || bytes > UINT64_MAX / t->shape[d])
                return WHY("%s '%s' has a zero or overflowing shape", kind, t->name);
            bytes *= t->shape[d];
        }
        if (bytes != t->size)
            return WHY("%s '%s' declares %llu bytes but its shape and dtype give %llu", kind, t->name,
                       (unsigned long long)t->size, (unsigned long long)bytes);
    }
    return NRT_SUCCESS;
}

NRT_STATUS nrt__model_check_descriptor(const nrt_kernel_descriptor_t *d, char *why, size_t why_cap)
{
    if (!d)
        return WHY("object does not export '%s' (not built with nrt/nrt_kernel.h?)", NRT_KERNEL_SYMBOL);
    if (d->magic != NRT_KERNEL_MAGIC)
        return WHY("'%s' has bad magic 0x%08x", NRT_KERNEL_SYMBOL, d->magic);
    if (d->abi_version != NRT_KERNEL_ABI_VERSION) {
        snprintf(why, why_cap, "kernel ABI version %u is not supported (this runtime speaks version %u)",
                 d->abi_version, NRT_KERNEL_ABI_VERSION);
        return NRT_UNSUPPORTED_NEFF_VERSION;
    }
    if (!name_valid(d->name))
        return WHY("model name is missing or longer than 255 bytes");
    if (d->num_inputs > NRT_KERNEL_MAX_TENSORS || d->num_outputs > NRT_KERNEL_MAX_TENSORS)
        return WHY("model '%s' declares too many tensors (%u inputs, %u outputs, max %d each)", d->name,
                   d->num_inputs, d->num_outputs, NRT_KERNEL_MAX_TENSORS);
    if (d->num_outputs == 0)
        return WHY("model '%s' declares no outputs", d->name);
    if ((d->num_inputs && !d->inputs) || !d->outputs)
        return WHY("model '%s' has a NULL tensor table", d->name);
    if (!d->execute)
        return WHY("model '%s' has no execute function", d->name);
    NRT_STATUS st = check_tensors(d->inputs, d->num_inputs, "input", why, why_cap);
    if (st == NRT_SUCCESS)
        st = check_tensors(d->outputs, d->num_outputs, "output", why, why_cap);
    if (st != NRT_SUCCESS)
        return st;
    uint32_t n = d->num_inputs + d->num_outputs;
    for (uint32_t i = 0; i < n; i++) {
        const char *a = i < d->num_inputs ? d->inputs[i].name : d->outputs[i - d->num_inputs].name;
        for (uint32_t j = i + 1; j < n; j++) {
            const char *b = j < d->num_inputs ? d->inputs[j].name : d->outputs[j - d->num_inputs].name;
            if (strcmp(a, b) == 0)
                return WHY("model '%s' declares tensor name '%s' twice", d->name, a);
        }
    }
    return NRT_SUCCESS;
}

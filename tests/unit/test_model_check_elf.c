/*
 * tests/unit/test_model_check_elf.c - nrt__model_check_elf() on untrusted
 * bytes: the example models pass; every truncated prefix, each corrupted
 * header field, random bytes and a gzip (packed NEFF) header are rejected
 * with NRT_UNSUPPORTED_NEFF_VERSION (not ELF at all) or NRT_INVALID (a bad
 * ELF), with a reason, and never crash.
 */
#include "harness.h"

#include <elf.h>

#include "model/model.h"

static const char *const models[] = {"vadd", "matmul", "mlp", "scale"};

static NRT_STATUS check(const void *b, size_t n, char *why, size_t cap)
{
    if (cap)
        why[0] = '\0';
    return nrt__model_check_elf(b, n, why, cap);
}

static void expect(const void *b, size_t n, NRT_STATUS want, const char *what)
{
    char why[256];
    NRT_STATUS got = check(b, n, why, sizeof why);
    if (got != want) {
        fprintf(stderr, "%s: got %s, expected %s (why: '%s')\n", what, nrt_get_status_as_str(got),
                nrt_get_status_as_str(want), why);
        abort();
    }
    if (want != NRT_SUCCESS && why[0] == '\0') {
        fprintf(stderr, "%s: rejected without a reason\n", what);
        abort();
    }
}

static void test_real_models(void)
{
    for (size_t m = 0; m < sizeof models / sizeof models[0]; m++) {
        size_t n;
        unsigned char *b = t_read_model(models[m], &n);
        expect(b, n, NRT_SUCCESS, models[m]);
        /* Unaligned input is fine: the checks copy headers out. */
        unsigned char *shifted = malloc(n + 1);
        ASSERT_TRUE(shifted != NULL);
        memcpy(shifted + 1, b, n);
        expect(shifted + 1, n, NRT_SUCCESS, "unaligned copy");
        free(shifted);
        /* Every proper prefix, in an exactly-sized heap buffer so that any
         * read past |len| is caught under ASan. */
        for (size_t len = 0; len < n; len++) {
            unsigned char *p = malloc(len ? len : 1);
            ASSERT_TRUE(p != NULL);
            memcpy(p, b, len);
            char why[128];
            NRT_STATUS st = check(p, len, why, sizeof why);
            NRT_STATUS want = len < SELFMAG ? NRT_UNSUPPORTED_NEFF_VERSION : NRT_INVALID;
            if (st != want) {
                fprintf(stderr, "%s prefix of %zu/%zu bytes: got %s, expected %s (%s)\n", models[m], len, n,
                        nrt_get_status_as_str(st), nrt_get_status_as_str(want), why);
                abort();
            }
            free(p);
        }
        free(b);
    }
}

static unsigned char *model_copy(size_t *n)
{
    return t_read_model("vadd", n);
}

static Elf64_Ehdr get_eh(const unsigned char *b)
{
    Elf64_Ehdr eh;
    memcpy(&eh, b, sizeof eh);
    return eh;
}

#define MUTATE_EH(field, value, what)                                          \
    do {                                                                       \
        size_t n_;                                                             \
        unsigned char *b_ = model_copy(&n_);                                   \
        Elf64_Ehdr eh_ = get_eh(b_);                                           \
        eh_.field = (value);                                                   \
        memcpy(b_, &eh_, sizeof eh_);                                          \
        expect(b_, n_, NRT_INVALID, what);                                     \
        free(b_);                                                              \
    } while (0)

/* Applies |fn| to the |nth| program header of type |type|. */
static void mutate_ph(uint32_t type, unsigned nth, void (*fn)(Elf64_Phdr *), NRT_STATUS want, const char *what)
{
    size_t n;
    unsigned char *b = model_copy(&n);
    Elf64_Ehdr eh = get_eh(b);
    bool found = false;
    for (unsigned i = 0; i < eh.e_phnum && !found; i++) {
        Elf64_Phdr ph;
        unsigned char *at = b + eh.e_phoff + (size_t)i * sizeof ph;
        memcpy(&ph, at, sizeof ph);
        if (ph.p_type != type || nth-- > 0)
            continue;
        fn(&ph);
        memcpy(at, &ph, sizeof ph);
        found = true;
    }
    ASSERT_TRUE(found);
    expect(b, n, want, what);
    free(b);
}

/* Applies |fn| to every program header. */
static void mutate_all_ph(void (*fn)(Elf64_Phdr *), NRT_STATUS want, const char *what)
{
    size_t n;
    unsigned char *b = model_copy(&n);
    Elf64_Ehdr eh = get_eh(b);
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        unsigned char *at = b + eh.e_phoff + (size_t)i * sizeof ph;
        memcpy(&ph, at, sizeof ph);
        fn(&ph);
        memcpy(at, &ph, sizeof ph);
    }
    expect(b, n, want, what);
    free(b);
}

static void ph_offset_huge(Elf64_Phdr *p) { p->p_offset = UINT64_MAX - 8; }
static void ph_filesz_wrap(Elf64_Phdr *p) { ASSERT_TRUE(p->p_offset > 16); p->p_filesz = UINT64_MAX - p->p_offset + 16; }
static void ph_filesz_past_end(Elf64_Phdr *p) { p->p_filesz += 1u << 30; p->p_memsz = p->p_filesz; }
static void ph_filesz_over_memsz(Elf64_Phdr *p) { p->p_memsz = p->p_filesz ? p->p_filesz - 1 : 0; p->p_filesz = p->p_memsz + 1; }
static void ph_align_not_pow2(Elf64_Phdr *p) { p->p_align = 0x3000; }
static void ph_misaligned(Elf64_Phdr *p) { p->p_vaddr += 8; }
static void ph_dynamic_to_null(Elf64_Phdr *p) { if (p->p_type == PT_DYNAMIC) p->p_type = PT_NULL; }
static void ph_load_to_null(Elf64_Phdr *p) { if (p->p_type == PT_LOAD) p->p_type = PT_NULL; }
static void ph_extra_dynamic(Elf64_Phdr *p) { if (p->p_type == PT_NOTE || p->p_type == PT_GNU_STACK) p->p_type = PT_DYNAMIC, p->p_offset = 0, p->p_filesz = 0; }

static void test_header_fields(void)
{
    size_t n;
    unsigned char *b = model_copy(&n);
    const Elf64_Ehdr orig = get_eh(b);
    free(b);

    MUTATE_EH(e_ident[EI_CLASS], ELFCLASS32, "32-bit class");
    MUTATE_EH(e_ident[EI_CLASS], 7, "unknown class");
    MUTATE_EH(e_ident[EI_DATA], ELFDATA2MSB, "big endian");
    MUTATE_EH(e_ident[EI_DATA], 0, "no data encoding");
    MUTATE_EH(e_ident[EI_VERSION], 0, "ident version 0");
    MUTATE_EH(e_version, 2, "e_version 2");
    MUTATE_EH(e_type, ET_EXEC, "executable");
    MUTATE_EH(e_type, ET_REL, "relocatable object");
    MUTATE_EH(e_type, ET_CORE, "core dump");
    MUTATE_EH(e_machine, orig.e_machine == EM_X86_64 ? EM_AARCH64 : EM_X86_64, "other machine");
    MUTATE_EH(e_machine, EM_NONE, "no machine");
    MUTATE_EH(e_ehsize, sizeof(Elf64_Ehdr) - 1, "e_ehsize");
    MUTATE_EH(e_phentsize, sizeof(Elf64_Phdr) + 8, "e_phentsize");
    MUTATE_EH(e_phnum, 0, "no program headers");
    MUTATE_EH(e_phnum, PN_XNUM, "PN_XNUM program headers");
    MUTATE_EH(e_phnum, 0xfffe, "too many program headers");
    MUTATE_EH(e_phoff, (Elf64_Off)n, "program headers at the end");
    MUTATE_EH(e_phoff, UINT64_MAX - 16, "program header offset wraps");
    MUTATE_EH(e_shoff, UINT64_MAX - 16, "section header offset wraps");
    MUTATE_EH(e_shoff, (Elf64_Off)n - 8, "section headers past the end");
    MUTATE_EH(e_shnum, 0xffff, "too many section headers");
    MUTATE_EH(e_shentsize, sizeof(Elf64_Shdr) - 1, "e_shentsize");

    /* Section headers are optional for the loader: e_shoff 0 is fine. */
    b = model_copy(&n);
    Elf64_Ehdr eh = get_eh(b);
    eh.e_shoff = 0;
    eh.e_shnum = 0;
    memcpy(b, &eh, sizeof eh);
    expect(b, n, NRT_SUCCESS, "no section headers");
    free(b);

    mutate_ph(PT_LOAD, 0, ph_offset_huge, NRT_INVALID, "load segment offset wraps");
    mutate_ph(PT_LOAD, 1, ph_filesz_wrap, NRT_INVALID, "load segment size wraps");
    mutate_ph(PT_LOAD, 0, ph_filesz_past_end, NRT_INVALID, "load segment past the end");
    mutate_ph(PT_LOAD, 0, ph_filesz_over_memsz, NRT_INVALID, "file size above memory size");
    mutate_ph(PT_LOAD, 0, ph_align_not_pow2, NRT_INVALID, "alignment not a power of two");
    mutate_ph(PT_LOAD, 0, ph_misaligned, NRT_INVALID, "misaligned segment");
    mutate_ph(PT_DYNAMIC, 0, ph_offset_huge, NRT_INVALID, "dynamic offset wraps");
    mutate_ph(PT_DYNAMIC, 0, ph_filesz_wrap, NRT_INVALID, "dynamic size wraps");
    mutate_all_ph(ph_dynamic_to_null, NRT_INVALID, "no dynamic section");
    mutate_all_ph(ph_load_to_null, NRT_INVALID, "no load segment");
    mutate_all_ph(ph_extra_dynamic, NRT_INVALID, "two dynamic sections");

    /* Broken magic: not ELF at all. */
    b = model_copy(&n);
    b[1] = 'e';
    expect(b, n, NRT_UNSUPPORTED_NEFF_VERSION, "broken magic");
    free(b);
}

static uint64_t xs(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_random(void)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (int iter = 0; iter < 2000; iter++) {
        size_t n = (size_t)(xs(&seed) % 4096);
        unsigned char *b = malloc(n ? n : 1);
        ASSERT_TRUE(b != NULL);
        for (size_t i = 0; i < n; i++)
            b[i] = (unsigned char)xs(&seed);
        char why[64];
        NRT_STATUS st = check(b, n, why, sizeof why);
        if (n >= SELFMAG && memcmp(b, ELFMAG, SELFMAG) == 0)
            ASSERT_TRUE(st == NRT_INVALID);
        else
            ASSERT_ST(st, NRT_UNSUPPORTED_NEFF_VERSION);
        /* The same bytes behind a valid ELF magic reach the deeper checks. */
        if (n >= SELFMAG) {
            memcpy(b, ELFMAG, SELFMAG);
            ASSERT_ST(check(b, n, why, sizeof why), NRT_INVALID);
        }
        free(b);
    }
    /* Random corruption of a real model's headers: any verdict, no crash. */
    size_t n;
    unsigned char *orig = model_copy(&n);
    unsigned char *b = malloc(n);
    ASSERT_TRUE(b != NULL);
    Elf64_Ehdr eh = get_eh(orig);
    size_t hdr_end = eh.e_phoff + (size_t)eh.e_phnum * sizeof(Elf64_Phdr);
    ASSERT_TRUE(hdr_end <= n);
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(b, orig, n);
        int flips = 1 + (int)(xs(&seed) % 4);
        for (int f = 0; f < flips; f++)
            b[xs(&seed) % hdr_end] ^= (unsigned char)(1u << (xs(&seed) % 8));
        char why[64];
        NRT_STATUS st = check(b, n, why, sizeof why);
        ASSERT_TRUE(st == NRT_SUCCESS || st == NRT_INVALID || st == NRT_UNSUPPORTED_NEFF_VERSION);
    }
    free(b);
    free(orig);
}

static void test_not_elf(void)
{
    char why[256];
    /* A packed NEFF / gzip stream. */
    static const unsigned char gz[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 'N', 'E', 'F', 'F'};
    ASSERT_ST(check(gz, sizeof gz, why, sizeof why), NRT_UNSUPPORTED_NEFF_VERSION);
    ASSERT_TRUE(strstr(why, "compressed") != NULL);
    ASSERT_ST(check(gz, 2, why, sizeof why), NRT_UNSUPPORTED_NEFF_VERSION);
    static const char text[] = "#!/bin/sh\necho not a model\n";
    ASSERT_ST(check(text, sizeof text, why, sizeof why), NRT_UNSUPPORTED_NEFF_VERSION);
    ASSERT_TRUE(strstr(why, "compressed") == NULL);
    ASSERT_ST(check(NULL, 0, why, sizeof why), NRT_UNSUPPORTED_NEFF_VERSION);
    ASSERT_ST(check(NULL, 100, why, sizeof why), NRT_UNSUPPORTED_NEFF_VERSION);
    ASSERT_ST(check("", 0, why, sizeof why), NRT_UNSUPPORTED_NEFF_VERSION);
    ASSERT_ST(check(ELFMAG, SELFMAG, why, sizeof why), NRT_INVALID);
    /* No room for a reason is fine too. */
    ASSERT_ST(nrt__model_check_elf(gz, sizeof gz, NULL, 0), NRT_UNSUPPORTED_NEFF_VERSION);
    ASSERT_ST(nrt__model_check_elf(ELFMAG, SELFMAG, NULL, 0), NRT_INVALID);
    char tiny[4] = "zzz";
    ASSERT_ST(nrt__model_check_elf(ELFMAG, SELFMAG, tiny, sizeof tiny), NRT_INVALID);
    ASSERT_TRUE(strlen(tiny) < sizeof tiny);
    size_t n;
    unsigned char *b = model_copy(&n);
    ASSERT_OK(nrt__model_check_elf(b, n, NULL, 0));
    free(b);
}

int main(void)
{
    test_real_models();
    test_header_fields();
    test_random();
    test_not_elf();
    printf("model_check_elf ok\n");
    return 0;
}

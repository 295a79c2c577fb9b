/*
 * tests/api/test_model_bytes.c - nrt_load on bytes that are not a
 * well-formed model never crashes and returns the documented status with
 * one log line: NRT_UNSUPPORTED_NEFF_VERSION for non-ELF bytes (random
 * data, a packed NEFF) and an unknown kernel ABI version; NRT_INVALID for a
 * truncated or corrupted ELF, an object without the descriptor, an invalid
 * descriptor, an unresolvable symbol, an executable; init()'s own status
 * when it fails. Afterwards loading still works and nothing leaked into
 * the core placement.
 *
 * Damaged metadata (issue 11, defect 6): the loader's own structures in the
 * build's models/vadd.so (ELF and program headers, dynamic section, dynamic
 * symbols and strings, relocations, hash and version sections; never code)
 * changed by 1-4 bytes at random, and the low byte of DT_SYMTAB,
 * DT_INIT_ARRAY, DT_RELA and DT_GNU_HASH. Each is loaded in a forked child
 * (with its own nrt_init) so that a crash, or the loader's _exit(127), is
 * seen: the test fails if any child does not exit normally with a
 * documented status.
 *
 * No file descriptors left (defect 9): a valid model is a resource
 * failure, NRT_RESOURCE with the errno's text, never "malformed".
 *
 * Prints (asserts nothing) what a load costs: nrt_load + nrt_unload of
 * vadd.so against memfd + dlopen + dlclose of the same bytes, with and
 * without 256 MiB of touched memory (the trial load forks the process);
 * docs/MODELS.md quotes it.
 */
#include "harness.h"
#include "api_env.h"

#include <dlfcn.h>
#include <elf.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nrt/nrt_experimental.h"

static void *module_bytes(const char *name, size_t *n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.so", NRT_TEST_MODULE_DIR, name);
    return t_read_file(path, n);
}

/* Loads |n| bytes (copied to an exactly-sized buffer, so ASan sees any
 * overread) through nrt_load and nrt_load_collectives. */
static void expect_load_(const void *bytes, size_t n, NRT_STATUS want, const char *what, int line)
{
    void *copy = malloc(n ? n : 1);
    ASSERT_TRUE(copy != NULL);
    memcpy(copy, bytes, n);
    for (int coll = 0; coll < 2; coll++) {
        nrt_model_t *m = (nrt_model_t *)(uintptr_t)1;
        char log[1024];
        t_capture_begin();
        NRT_STATUS st = coll ? nrt_load_collectives(copy, n, 0, 1, 0, 1, &m) : nrt_load(copy, n, -1, -1, &m);
        int lines = t_capture_end(log, sizeof log);
        if (st != want || lines != 1 || m != NULL) {
            fprintf(stderr, "line %d: %s (%zu bytes): got %s with %d log lines (model %p), expected %s with 1:\n%s",
                    line, what, n, nrt_get_status_as_str(st), lines, (void *)m, nrt_get_status_as_str(want), log);
            abort();
        }
    }
    free(copy);
}
#define EXPECT_LOAD(b, n, want, what) expect_load_((b), (n), (want), (what), __LINE__)

static uint64_t xs(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_not_elf(void)
{
    uint64_t seed = 12345;
    static const size_t sizes[] = {1, 2, 3, 4, 16, 64, 1000, 65536};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *b = malloc(sizes[i]);
        for (size_t j = 0; j < sizes[i]; j++)
            b[j] = (unsigned char)xs(&seed);
        b[0] = (unsigned char)(b[0] == 0x7f ? 0 : b[0]);
        EXPECT_LOAD(b, sizes[i], NRT_UNSUPPORTED_NEFF_VERSION, "random bytes");
        /* the same behind an ELF magic: a malformed ELF */
        if (sizes[i] >= 4) {
            memcpy(b, ELFMAG, SELFMAG);
            EXPECT_LOAD(b, sizes[i], NRT_INVALID, "random bytes with ELF magic");
        }
        free(b);
    }
    /* A packed NEFF (gzip/tar) as the real runtime would get it. */
    unsigned char neff[512] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03};
    memcpy(neff + 10, "neff.json", 9);
    EXPECT_LOAD(neff, sizeof neff, NRT_UNSUPPORTED_NEFF_VERSION, "gzip NEFF");
    char log[1024];
    nrt_model_t *m = NULL;
    t_capture_begin();
    NRT_STATUS st = nrt_load(neff, sizeof neff, 0, 1, &m);
    t_capture_end(log, sizeof log);
    ASSERT_ST(st, NRT_UNSUPPORTED_NEFF_VERSION);
    ASSERT_TRUE(strstr(log, "NEFF") != NULL); /* the log says why */
    static const char text[] = "This is not a model.\n";
    EXPECT_LOAD(text, sizeof text, NRT_UNSUPPORTED_NEFF_VERSION, "text");
    unsigned char zeros[4096] = {0};
    EXPECT_LOAD(zeros, sizeof zeros, NRT_UNSUPPORTED_NEFF_VERSION, "zeros");
}

static void test_truncated(void)
{
    static const char *const names[] = {"vadd", "mlp"};
    for (size_t k = 0; k < 2; k++) {
        size_t n;
        unsigned char *b = t_read_model(names[k], &n);
        const size_t lens[] = {1, 3, 4, 5, 16, 63, 64, 65, 120, 200, 1000, 4096, n / 4, n / 2, n - 4096, n - 64, n - 1};
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
            EXPECT_LOAD(b, lens[i], lens[i] < SELFMAG ? NRT_UNSUPPORTED_NEFF_VERSION : NRT_INVALID, "truncated model");
        free(b);
    }
}

static void test_corrupted_headers(void)
{
    size_t n;
    unsigned char *b = t_read_model("vadd", &n);
    Elf64_Ehdr eh;
    memcpy(&eh, b, sizeof eh);
    struct {
        size_t off, len;
        uint64_t value;
        const char *what;
    } edits[] = {
        {EI_CLASS, 1, ELFCLASS32, "32-bit class"},
        {EI_DATA, 1, ELFDATA2MSB, "big endian"},
        {offsetof(Elf64_Ehdr, e_type), 2, ET_EXEC, "ET_EXEC"},
        {offsetof(Elf64_Ehdr, e_machine), 2, EM_NONE, "no machine"},
        {offsetof(Elf64_Ehdr, e_phoff), 8, UINT64_MAX - 8, "program headers wrap"},
        {offsetof(Elf64_Ehdr, e_phnum), 2, 0, "no program headers"},
        {offsetof(Elf64_Ehdr, e_phnum), 2, 5000, "too many program headers"},
        {offsetof(Elf64_Ehdr, e_shoff), 8, (uint64_t)n, "section headers past the end"},
        {eh.e_phoff + offsetof(Elf64_Phdr, p_offset), 8, UINT64_MAX - 100, "segment offset wraps"},
        {eh.e_phoff + offsetof(Elf64_Phdr, p_filesz), 8, (uint64_t)n * 2, "segment past the end"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        unsigned char *c = malloc(n);
        memcpy(c, b, n);
        memcpy(c + edits[i].off, &edits[i].value, edits[i].len); /* little endian host */
        EXPECT_LOAD(c, n, NRT_INVALID, edits[i].what);
        free(c);
    }
    free(b);
}

static void test_bad_objects(void)
{
    static const struct {
        const char *name;
        NRT_STATUS want;
    } mods[] = {
        {"nodesc", NRT_INVALID},                    /* valid ELF, no nrt_kernel_descriptor */
        {"baddesc", NRT_INVALID},                   /* size does not match shape */
        {"badabi", NRT_UNSUPPORTED_NEFF_VERSION},   /* kernel ABI version 99 */
        {"undef", NRT_INVALID},                     /* the dynamic loader refuses it */
        {"initfail", NRT_RESOURCE},                 /* init() returns NRT_RESOURCE */
    };
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++) {
        size_t n;
        void *b = module_bytes(mods[i].name, &n);
        EXPECT_LOAD(b, n, mods[i].want, mods[i].name);
        free(b);
    }
    /* An executable (position independent or not) is not a model. */
    size_t n;
    void *exe = t_read_file("/proc/self/exe", &n);
    EXPECT_LOAD(exe, n, NRT_INVALID, "this test executable");
    free(exe);
}

/* Exit codes of a damaged-load child. */
enum { CHILD_OK = 0, CHILD_BAD_STATUS = 3, CHILD_NO_INIT = 4 };

/* In a child: nrt_init, nrt_load of |b|, unload, close. Returns what the
 * parent saw: -1 when the child died or exited abnormally (printed), else
 * the load's status. */
static int load_in_child(const unsigned char *b, size_t n, const char *what)
{
    int p[2];
    ASSERT_TRUE(pipe(p) == 0);
    fflush(NULL);
    pid_t pid = fork();
    ASSERT_TRUE(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        if (!getenv("T_VERBOSE")) /* the runtime's one log line per refusal */
            freopen("/dev/null", "w", stderr);
        if (nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, NULL, NULL) != NRT_SUCCESS)
            _exit(CHILD_NO_INIT);
        nrt_model_t *m = NULL;
        NRT_STATUS st = nrt_load(b, n, -1, -1, &m);
        int code = st == NRT_SUCCESS || st == NRT_INVALID || st == NRT_UNSUPPORTED_NEFF_VERSION ? CHILD_OK
                                                                                                 : CHILD_BAD_STATUS;
        if ((st == NRT_SUCCESS) != (m != NULL))
            code = CHILD_BAD_STATUS;
        if (m)
            nrt_unload(m);
        nrt_close();
        int32_t v = (int32_t)st;
        if (write(p[1], &v, sizeof v) != sizeof v)
            _exit(CHILD_BAD_STATUS);
        _exit(code);
    }
    close(p[1]);
    int32_t v = -1;
    ssize_t got = read(p[0], &v, sizeof v);
    close(p[0]);
    int ws;
    ASSERT_TRUE(waitpid(pid, &ws, 0) == pid);
    if (WIFSIGNALED(ws)) {
        fprintf(stderr, "%s: nrt_load killed the process with signal %d (%s)\n", what, WTERMSIG(ws),
                strsignal(WTERMSIG(ws)));
        return -1;
    }
    if (!WIFEXITED(ws) || WEXITSTATUS(ws) != CHILD_OK || got != sizeof v) {
        fprintf(stderr, "%s: the process exited with status %d%s\n", what, WIFEXITED(ws) ? WEXITSTATUS(ws) : -1,
                WIFEXITED(ws) && WEXITSTATUS(ws) == CHILD_BAD_STATUS ? " (an undocumented status)" : "");
        return -1;
    }
    return v;
}

/* The loader's metadata in a shared object: [off, off+len) ranges. */
typedef struct {
    size_t off[64], len[64], n, total;
} regions_t;

static void add_region(regions_t *r, uint64_t off, uint64_t len, size_t size)
{
    if (!len || off >= size || r->n == 64)
        return;
    if (len > size - off)
        len = size - off;
    r->off[r->n] = (size_t)off;
    r->len[r->n++] = (size_t)len;
    r->total += (size_t)len;
}

static regions_t metadata_regions(const unsigned char *b, size_t n)
{
    regions_t r = {0};
    Elf64_Ehdr eh;
    memcpy(&eh, b, sizeof eh);
    add_region(&r, 0, sizeof eh, n);
    add_region(&r, eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), n);
    for (unsigned i = 0; i < eh.e_shnum; i++) {
        Elf64_Shdr sh;
        memcpy(&sh, b + eh.e_shoff + (uint64_t)i * sizeof sh, sizeof sh);
        switch (sh.sh_type) {
        case SHT_DYNAMIC: case SHT_DYNSYM: case SHT_RELA: case SHT_REL: case SHT_HASH: case SHT_GNU_HASH:
        case SHT_GNU_versym: case SHT_GNU_verdef: case SHT_GNU_verneed:
            add_region(&r, sh.sh_offset, sh.sh_size, n);
            break;
        case SHT_STRTAB: /* .dynstr only: the one a loaded section links */
            if (sh.sh_flags & SHF_ALLOC)
                add_region(&r, sh.sh_offset, sh.sh_size, n);
            break;
        default:
            break;
        }
    }
    ASSERT_TRUE(r.n >= 6); /* headers, dynamic, dynsym, dynstr, rela, hash */
    return r;
}

static void test_damaged_metadata(void)
{
    size_t n;
    unsigned char *orig = t_read_model("vadd", &n);
    regions_t r = metadata_regions(orig, n);
    unsigned char *b = malloc(n);
    ASSERT_TRUE(b != NULL);
    int crashes = 0, loaded = 0, refused = 0;
    const int trials = getenv("T_MUTATIONS") ? atoi(getenv("T_MUTATIONS")) : 300;
    uint64_t seed = 0x6e72742d62797465ull;
    for (int t = 0; t < trials; t++) {
        memcpy(b, orig, n);
        size_t at = (size_t)(xs(&seed) % r.total), k = 0;
        while (at >= r.len[k])
            at -= r.len[k++];
        size_t off = r.off[k] + at, len = 1 + (size_t)(xs(&seed) % 4);
        for (size_t i = 0; i < len && off + i < r.off[k] + r.len[k]; i++) {
            unsigned char v;
            do
                v = (unsigned char)xs(&seed);
            while (v == orig[off + i]);
            b[off + i] = v;
        }
        char what[96];
        snprintf(what, sizeof what, "mutation %d (%zu bytes at offset 0x%zx)", t, len, off);
        int st = load_in_child(b, n, what);
        crashes += st < 0;
        loaded += st == NRT_SUCCESS;
        refused += st > 0;
    }
    printf("damaged metadata: %d mutations, %d refused, %d still loaded, %d killed the process\n", trials, refused,
           loaded, crashes);
    ASSERT_EQ_U64(crashes, 0);

    /* The four cases: the low byte of these dynamic entries. */
    static const Elf64_Sxword tags[] = {DT_SYMTAB, DT_INIT_ARRAY, DT_RELA, DT_GNU_HASH};
    static const unsigned char lows[] = {0x00, 0x01, 0x08, 0x40, 0x80, 0xff};
    Elf64_Ehdr eh;
    memcpy(&eh, orig, sizeof eh);
    Elf64_Phdr dyn = {0};
    for (unsigned i = 0; i < eh.e_phnum && dyn.p_type != PT_DYNAMIC; i++)
        memcpy(&dyn, orig + eh.e_phoff + (uint64_t)i * sizeof dyn, sizeof dyn);
    ASSERT_TRUE(dyn.p_type == PT_DYNAMIC);
    int bad = 0;
    for (size_t t = 0; t < sizeof tags / sizeof tags[0]; t++) {
        size_t at = 0;
        for (size_t off = dyn.p_offset; off + sizeof(Elf64_Dyn) <= dyn.p_offset + dyn.p_filesz; off += sizeof(Elf64_Dyn)) {
            Elf64_Dyn d;
            memcpy(&d, orig + off, sizeof d);
            if (d.d_tag == tags[t])
                at = off + offsetof(Elf64_Dyn, d_un);
        }
        ASSERT_TRUE(at != 0);
        for (size_t l = 0; l < sizeof lows; l++) {
            if (orig[at] == lows[l])
                continue;
            memcpy(b, orig, n);
            b[at] = lows[l];
            char what[64];
            snprintf(what, sizeof what, "dynamic tag %lld, low byte 0x%02x", (long long)tags[t], lows[l]);
            bad += load_in_child(b, n, what) < 0;
        }
    }
    ASSERT_EQ_U64(bad, 0);
    free(b);
    free(orig);
}

/* Loads vadd.so with exactly |free_fds| descriptors free. */
static NRT_STATUS load_with_free_fds(const void *bytes, size_t n, int free_fds, char *log, size_t cap, int *lines)
{
    struct rlimit old;
    ASSERT_TRUE(getrlimit(RLIMIT_NOFILE, &old) == 0);
    struct rlimit lim = {256, old.rlim_max};
    ASSERT_TRUE(old.rlim_cur >= 256 && setrlimit(RLIMIT_NOFILE, &lim) == 0);
    t_capture_begin();
    int fds[256], nfds = 0;
    for (int fd; nfds < 256 && (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;)
        fds[nfds++] = fd;
    for (int i = 0; i < free_fds && nfds > 0; i++)
        close(fds[--nfds]);
    nrt_model_t *m = NULL;
    NRT_STATUS st = nrt_load(bytes, n, -1, -1, &m);
    while (nfds > 0)
        close(fds[--nfds]);
    *lines = t_capture_end(log, cap);
    ASSERT_TRUE(setrlimit(RLIMIT_NOFILE, &old) == 0);
    ASSERT_TRUE((st == NRT_SUCCESS) == (m != NULL));
    if (m)
        ASSERT_OK(nrt_unload(m));
    return st;
}

static void test_no_descriptors(void)
{
    size_t n;
    void *b = t_read_model("vadd", &n);
    for (int free_fds = 0; free_fds < 6; free_fds++) {
        char log[1024];
        int lines;
        NRT_STATUS st = load_with_free_fds(b, n, free_fds, log, sizeof log, &lines);
        if (free_fds <= 1) { /* the case: one free descriptor */
            ASSERT_ST(st, NRT_RESOURCE);
        }
        if (st != NRT_SUCCESS && (st != NRT_RESOURCE || lines != 1 || !strstr(log, strerror(EMFILE)))) {
            fprintf(stderr, "%d free descriptors: %s with %d log lines:\n%s", free_fds, nrt_get_status_as_str(st),
                    lines, log);
            abort();
        }
    }
    free(b);
}

static double us_per(uint64_t t0, int n)
{
    return (double)(t_now_ns() - t0) / 1e3 / n;
}

static void print_load_cost(const char *when)
{
    size_t n;
    void *b = t_read_model("vadd", &n);
    enum { N = 50 };
    uint64_t t0 = t_now_ns();
    for (int i = 0; i < N; i++) {
        nrt_model_t *m = NULL;
        ASSERT_OK(nrt_load(b, n, 0, 1, &m));
        ASSERT_OK(nrt_unload(m));
    }
    double load = us_per(t0, N);
    t0 = t_now_ns();
    for (int i = 0; i < N; i++) {
        int fd = memfd_create("cost", MFD_CLOEXEC);
        ASSERT_TRUE(fd >= 0 && write(fd, b, n) == (ssize_t)n);
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        ASSERT_TRUE(dl != NULL);
        close(fd);
        dlclose(dl);
    }
    double raw = us_per(t0, N);
    printf("load cost (%s): nrt_load+nrt_unload of vadd.so %.0f us, memfd+dlopen+dlclose alone %.0f us\n", when,
           load, raw);
    free(b);
}

static void test_load_cost(void)
{
    print_load_cost("small process");
    size_t big = 256u << 20;
    char *p = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return;
    memset(p, 1, big); /* resident: fork copies its page tables */
    print_load_cost("256 MiB resident");
    munmap(p, big);
}

static uint32_t model_vnc(const nrt_model_t *m)
{
    nrt_model_info_t mi;
    ASSERT_OK(nrt_get_model_info(m, &mi, sizeof mi, NULL));
    return mi.vnc;
}

int main(void)
{
    t_api_env();
    test_damaged_metadata(); /* before nrt_init: each child has its own runtime */
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, NULL, NULL));
    for (int round = 0; round < 3; round++) { /* repeated: no state builds up */
        test_not_elf();
        test_truncated();
        test_corrupted_headers();
        test_bad_objects();
        test_no_descriptors();
    }
    /* Failed loads left no model behind: -1 still finds core 0 empty,
     * then core 1. */
    test_load_cost();
    nrt_model_t *a = t_load_model("vadd", -1), *b = t_load_model("vadd", -1);
    ASSERT_EQ_U64(model_vnc(a), 0);
    ASSERT_EQ_U64(model_vnc(b), 1);
    ASSERT_OK(nrt_unload(a));
    ASSERT_OK(nrt_unload(b));
    nrt_close();
    printf("model_bytes ok\n");
    return 0;
}

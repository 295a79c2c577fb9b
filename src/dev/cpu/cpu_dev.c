/*
 * src/dev/cpu/cpu_dev.c - the CPU backend: device memory is host memory,
 * copies are memmove (chunked when cancellable), models are ELF shared
 * objects loaded from memory and kernels are plain function calls.
 *
 * Memory: allocations of 2 MiB and more come straight from mmap (zeroed,
 * page aligned, returned to the OS on free); smaller ones are 64-byte
 * aligned. Models: the object's bytes are written to an anonymous memfd and
 * opened with dlopen(RTLD_NOW | RTLD_LOCAL) through /proc/self/fd, so no
 * file path is needed and two loads of the same bytes get separate copies
 * of the object's globals.
 *
 * Bytes that are not a well-formed model must never crash the process, but
 * the dynamic loader trusts the object's metadata: a damaged symbol table,
 * hash table or relocation makes it fault or assert and _exit(127), and a
 * damaged init array or IRELATIVE addend makes it call garbage. Code
 * pointers cannot be validated by reading bytes, so a disposable child
 * (fork) tries the load first: dlopen, dlsym, the descriptor checks and
 * dlclose; the process loads the object only when the child got through
 * them (the object's constructors and destructors ran there too). The libraries the object needs are opened
 * in the process first, so the child does not run their constructors (nor
 * start their threads) at every load. docs/MODELS.md gives the cost.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "dev/dev.h"
#include "model/model.h"

#define MMAP_THRESHOLD (2u << 20)
/* Cancellable copies check between chunks: 1 MiB is ~50-100 us of copy,
 * far below any useful timeout, and costs nothing measurable. */
#define COPY_CHUNK (1u << 20)

static void *cpu_mem_alloc(size_t size)
{
    void *p = NULL;
    if (size >= MMAP_THRESHOLD) {
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? NULL : p;
    }
    size_t rounded = (size + 63) & ~(size_t)63;
    if (rounded < size || posix_memalign(&p, 64, rounded) != 0)
        return NULL;
    memset(p, 0, rounded);
    return p;
}

static void cpu_mem_free(void *p, size_t size)
{
    if (!p)
        return;
    if (size >= MMAP_THRESHOLD)
        munmap(p, size);
    else
        free(p);
}

static NRT_STATUS cpu_copy(void *dst, const void *src, size_t n, const nrt__cancel_t *cancel)
{
    if (!cancel || n <= COPY_CHUNK) {
        memmove(dst, src, n);
        return NRT_SUCCESS;
    }
    char *d = dst;
    const char *s = src;
    /* Overlapping regions with dst above src copy from the end. */
    bool backward = d > s && d < s + n;
    for (size_t done = 0; done < n;) {
        if (cancel->cancelled(cancel))
            return NRT_TIMEOUT;
        size_t k = n - done < COPY_CHUNK ? n - done : COPY_CHUNK;
        if (backward)
            memmove(d + n - done - k, s + n - done - k, k);
        else
            memmove(d + done, s + done, k);
        done += k;
    }
    return NRT_SUCCESS;
}

/* How long the trial load may take (constructors run in it) before the
 * object counts as one that hangs the loader. */
#define TRIAL_TIMEOUT_MS 30000
#define TRIAL_OK "\n#nrt-trial-ok"
#define MAX_NEEDED 64

/* init, fini and execute must lie in an executable segment of the object:
 * a damaged relocation otherwise has nrt_load call into data. */
static NRT_STATUS check_code(void *dl, const nrt_kernel_descriptor_t *d, const void *bytes, size_t size, char *why,
                             size_t why_cap)
{
    struct link_map *lm = NULL;
    if (dlinfo(dl, RTLD_DI_LINKMAP, &lm) != 0 || !lm) {
        snprintf(why, why_cap, "cannot find where the model object was loaded");
        return NRT_INVALID;
    }
    const struct {
        const char *what;
        uintptr_t p;
    } fns[] = {{"init", (uintptr_t)d->init}, {"fini", (uintptr_t)d->fini}, {"execute", (uintptr_t)d->execute}};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        if (fns[i].p && (fns[i].p < lm->l_addr ||
                         !(nrt__model_elf_flags_at(bytes, size, fns[i].p - lm->l_addr, 1) & PF_X))) {
            snprintf(why, why_cap, "the descriptor's %s() does not point into the object's code", fns[i].what);
            return NRT_INVALID;
        }
    }
    return NRT_SUCCESS;
}

static NRT_STATUS check_loaded(void *dl, const void *bytes, size_t size, const nrt_kernel_descriptor_t **out_desc,
                               char *why, size_t why_cap)
{
    const nrt_kernel_descriptor_t *d = dlsym(dl, NRT_KERNEL_SYMBOL);
    *out_desc = d;
    NRT_STATUS st = nrt__model_check_descriptor(d, why, why_cap);
    return st == NRT_SUCCESS ? check_code(dl, d, bytes, size, why, why_cap) : st;
}

/* The child's side: every fault it meets kills it with the default action
 * (the application's handlers, a sanitizer's included, stay out of it);
 * what the loader prints goes to the parent through |fd|. */
static _Noreturn void trial_child(int fd, const char *path, const void *bytes, size_t size)
{
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS, SIGTRAP};
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) {
        signal(fatal[i], SIG_DFL);
        sigaddset(&set, fatal[i]);
    }
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    dup2(fd, STDERR_FILENO);
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (dl) {
        const nrt_kernel_descriptor_t *d;
        char why[8];
        check_loaded(dl, bytes, size, &d, why, sizeof why);
        dlclose(dl); /* the finalizers a later nrt_unload would run */
    }
    /* Reached only if nothing above crashed; the verdict itself is the
     * parent's to find again. */
    if (write(fd, TRIAL_OK, sizeof TRIAL_OK - 1) < 0)
        _exit(2);
    _exit(0);
}

/* Runs the trial load of |path| in a child and waits for it (bounded).
 * NRT_SUCCESS when the child got through; NRT_INVALID when it died or hung
 * (|why| says how, with the loader's first line); NRT_RESOURCE when no
 * child could be made. */
static NRT_STATUS trial_load(const char *path, const void *bytes, size_t size, char *why, size_t why_cap)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        snprintf(why, why_cap, "cannot create the pipe for the trial load: %s", strerror(errno));
        return NRT_RESOURCE;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        snprintf(why, why_cap, "cannot fork the trial load: %s", strerror(e));
        return NRT_RESOURCE;
    }
    if (pid == 0) {
        close(p[0]);
        trial_child(p[1], path, bytes, size);
    }
    close(p[1]);
    char out[512], tail[sizeof TRIAL_OK];
    size_t got = 0, tlen = 0, mark = sizeof TRIAL_OK - 1;
    bool eof = false;
    uint64_t deadline = nrt__now_ns() + (uint64_t)TRIAL_TIMEOUT_MS * 1000000u;
    while (!eof) {
        uint64_t now = nrt__now_ns();
        if (now >= deadline)
            break;
        struct pollfd pf = {p[0], POLLIN, 0};
        int r = poll(&pf, 1, (int)((deadline - now) / 1000000u) + 1);
        if (r < 0 && errno != EINTR)
            break;
        if (r <= 0)
            continue;
        char tmp[256];
        ssize_t n = read(p[0], tmp, sizeof tmp);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            eof = true;
            break;
        }
        /* Keep the first bytes (the loader's message) and, apart, the last
         * |mark| bytes (the success mark, which may span reads). */
        size_t k = (size_t)n, c = k < sizeof out - 1 - got ? k : sizeof out - 1 - got;
        memcpy(out + got, tmp, c);
        got += c;
        for (size_t i = 0; i < k; i++) {
            if (tlen == mark) {
                memmove(tail, tail + 1, mark - 1);
                tlen--;
            }
            tail[tlen++] = tmp[i];
        }
    }
    close(p[0]);
    if (!eof)
        kill(pid, SIGKILL);
    int ws = 0;
    pid_t w;
    while ((w = waitpid(pid, &ws, 0)) < 0 && errno == EINTR)
        ;
    out[got] = '\0';
    /* The mark alone decides: the child wrote it after everything the load
     * runs, and only _exit follows, whose status can be a tool's (valgrind
     * reports the parent's threads' memory as leaked in the child) or lost
     * (SIGCHLD ignored, or the application reaped the child). */
    if (eof && tlen == mark && memcmp(tail, TRIAL_OK, mark) == 0)
        return NRT_SUCCESS;
    if (got >= mark && memcmp(out + got - mark, TRIAL_OK, mark) == 0)
        out[got - mark] = '\0'; /* a mark that came too late (timeout) */
    char *nl = strchr(out, '\n');
    if (nl)
        *nl = '\0';
    char how[64];
    if (!eof)
        snprintf(how, sizeof how, "did not finish within %d s", TRIAL_TIMEOUT_MS / 1000);
    else if (w == pid && WIFSIGNALED(ws))
        snprintf(how, sizeof how, "died of signal %d (%s)", WTERMSIG(ws), strsignal(WTERMSIG(ws)));
    else if (w == pid && WIFEXITED(ws))
        snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(ws));
    else
        snprintf(how, sizeof how, "ended without reporting");
    snprintf(why, why_cap, "loading the model object in a trial process %s: it is malformed%s%s", how,
             out[0] ? ": " : "", out);
    return NRT_INVALID;
}

/* Opens the object's DT_NEEDED libraries found by name (never by a path
 * from the bytes): the system's libraries, trusted like any the
 * application links. Returns how many handles it stored. */
static size_t open_needed(const void *bytes, size_t size, void **handles)
{
    const char *names[MAX_NEEDED];
    size_t n = nrt__model_elf_needed(bytes, size, names, MAX_NEEDED), k = 0;
    for (size_t i = 0; i < n; i++) {
        if (strchr(names[i], '/'))
            continue;
        void *h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (h)
            handles[k++] = h;
    }
    return k;
}

static bool resource_error(const char *e)
{
    return e && (strstr(e, strerror(EMFILE)) || strstr(e, strerror(ENFILE)));
}

static NRT_STATUS cpu_model_open(const void *bytes, size_t size, void **out_handle,
                                 const nrt_kernel_descriptor_t **out_desc, char *why, size_t why_cap)
{
    *out_handle = NULL;
    *out_desc = NULL;
    int fd = memfd_create("nrt-model", MFD_CLOEXEC);
    if (fd < 0) {
        snprintf(why, why_cap, "memfd_create failed: %s", strerror(errno));
        return errno == EMFILE || errno == ENFILE || errno == ENOMEM ? NRT_RESOURCE : NRT_FAILURE;
    }
    const char *p = bytes;
    size_t left = size;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w <= 0) {
            int e = w < 0 ? errno : ENOSPC;
            snprintf(why, why_cap, "writing the model object to a memfd failed: %s", strerror(e));
            close(fd);
            return e == ENOMEM || e == ENOSPC ? NRT_RESOURCE : NRT_FAILURE;
        }
        p += w;
        left -= (size_t)w;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    /* The dynamic loader finds loaded objects by name first: if a live
     * model was loaded from this path (its memfd number since reused),
     * dlopen would hand back that model. Move to a number no live model
     * was loaded from. */
    for (void *old; (old = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD)) != NULL;) {
        dlclose(old);
        int nfd = fcntl(fd, F_DUPFD_CLOEXEC, fd + 1);
        int e = errno;
        close(fd);
        if (nfd < 0) {
            snprintf(why, why_cap, "cannot move the model's memfd: %s", strerror(e));
            return e == EMFILE || e == ENFILE ? NRT_RESOURCE : NRT_FAILURE;
        }
        fd = nfd;
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    /* The loader opens the path: refuse a lack of descriptors here, as a
     * resource failure, before it reports it as an unloadable object. */
    int probe = open(path, O_RDONLY | O_CLOEXEC);
    if (probe < 0) {
        int e = errno;
        close(fd);
        snprintf(why, why_cap, "cannot open the model object for the dynamic loader: %s", strerror(e));
        return e == EMFILE || e == ENFILE || e == ENOMEM ? NRT_RESOURCE : NRT_FAILURE;
    }
    close(probe);
    void *needed[MAX_NEEDED];
    size_t nneeded = open_needed(bytes, size, needed);
    NRT_STATUS st = trial_load(path, bytes, size, why, why_cap);
    void *dl = NULL;
    if (st == NRT_SUCCESS) {
        dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!dl) {
            const char *e = dlerror();
            snprintf(why, why_cap, "the dynamic loader rejected the model object: %s", e ? e : "unknown error");
            st = resource_error(e) ? NRT_RESOURCE : NRT_INVALID;
        }
    }
    close(fd); /* the mapping keeps the object alive */
    for (size_t i = 0; i < nneeded; i++)
        dlclose(needed[i]); /* the object holds its own references */
    if (st != NRT_SUCCESS)
        return st;
    const nrt_kernel_descriptor_t *d;
    st = check_loaded(dl, bytes, size, &d, why, why_cap);
    if (st != NRT_SUCCESS) {
        dlclose(dl);
        return st;
    }
    *out_handle = dl;
    *out_desc = d;
    return NRT_SUCCESS;
}

static void cpu_model_close(void *handle)
{
    if (handle)
        dlclose(handle);
}

static NRT_STATUS cpu_execute(const nrt_kernel_descriptor_t *d, const nrt_kernel_args_t *args)
{
    return d->execute(args);
}

const nrt__dev_t nrt__dev_cpu = {
    .name = "cpu",
    .mem_alloc = cpu_mem_alloc,
    .mem_free = cpu_mem_free,
    .copy = cpu_copy,
    .model_open = cpu_model_open,
    .model_close = cpu_model_close,
    .execute = cpu_execute,
};

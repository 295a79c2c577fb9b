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
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/common.h"
#include "dev/dev.h"

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

static NRT_STATUS cpu_model_open(const void *bytes, size_t size, void **out_handle,
                                 const nrt_kernel_descriptor_t **out_desc, char *why, size_t why_cap)
{
    *out_handle = NULL;
    *out_desc = NULL;
    int fd = memfd_create("nrt-model", MFD_CLOEXEC);
    if (fd < 0) {
        snprintf(why, why_cap, "memfd_create failed: %m");
        return NRT_FAILURE;
    }
    const char *p = bytes;
    size_t left = size;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w <= 0) {
            snprintf(why, why_cap, "writing the model object to a memfd failed: %m");
            close(fd);
            return NRT_FAILURE;
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
        close(fd);
        if (nfd < 0) {
            snprintf(why, why_cap, "cannot move the model's memfd: %m");
            return NRT_FAILURE;
        }
        fd = nfd;
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    close(fd); /* the mapping keeps the object alive */
    if (!dl) {
        const char *e = dlerror();
        snprintf(why, why_cap, "the dynamic loader rejected the model object: %s", e ? e : "unknown error");
        return NRT_INVALID;
    }
    *out_handle = dl;
    *out_desc = dlsym(dl, NRT_KERNEL_SYMBOL);
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

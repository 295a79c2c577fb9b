/*
 * fork() while async send/recv runs (Python multiprocessing, data-loader
 * workers): the child holds none of the parent's control connections (its
 * copies are closed, so the parent's peers would see the parent die), a
 * fresh nrt_init gives it send/recv of its own that works, its nrt_close
 * returns (the parent's progress and control threads do not exist in the
 * child: nothing may wait for them), and the parent's transfers go on.
 * Public API only.
 */
#include "net_util.h"

#include <signal.h>
#include <sys/wait.h>

#define IP "127.0.0.1"

/* Open socket descriptors of this process. */
static int count_sockets(void)
{
    DIR *d = opendir("/proc/self/fd");
    ASSERT_TRUE(d);
    int n = 0;
    struct dirent *e;
    char path[300], target[64];
    while ((e = readdir(d))) {
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t k = readlink(path, target, sizeof target - 1);
        if (k > 0) {
            target[k] = 0;
            n += strncmp(target, "socket:", 7) == 0;
        }
    }
    closedir(d);
    return n;
}

static void pair_xfer(int src, int dst, size_t n, uint64_t seed, const char *what)
{
    nrt_async_sendrecv_comm_t *s, *r;
    ASSERT_OK(nrt_async_sendrecv_connect(IP, dst, src, &s));
    ASSERT_OK(nrt_async_sendrecv_accept(IP, src, dst, &r));
    nrt_async_sendrecv_comm_t *c[2] = {s, r};
    t_comms_ok(c, 2, T_OP_S, what);
    nrt_tensor_t *st = t_tensor(src, n, "src"), *rt = t_tensor(dst, n, "dst");
    t_tfill(st, 0, n, seed, 0);
    nrt_async_sendrecv_request_t *q[2];
    ASSERT_OK(nrt_async_sendrecv_recv_tensor(rt, 0, n, r, &q[1]));
    ASSERT_OK(nrt_async_sendrecv_send_tensor(st, 0, n, s, &q[0]));
    size_t want[2] = {n, n};
    t_reqs_ok(q, 2, want, what);
    t_tcheck(rt, 0, n, seed, 0, what);
    nrt_tensor_free(&st);
    nrt_tensor_free(&rt);
}

static int child(int parent_sockets)
{
    alarm(60); /* a hang fails the test instead of blocking it */
    int mine = count_sockets();
    if (mine >= parent_sockets) {
        fprintf(stderr, "child: %d sockets open after fork, the parent had %d: the parent's control connections "
                        "were kept\n", mine, parent_sockets);
        return 1;
    }
    ASSERT_ST(nrt_async_sendrecv_init(2), NRT_UNINITIALIZED); /* the parent's runtime is not ours */
    nrt_close();
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    ASSERT_OK(nrt_async_sendrecv_init(2));
    ASSERT_OK(nrt_async_sendrecv_init(3));
    pair_xfer(2, 3, 1 << 20, 7, "child 2 -> 3");
    ASSERT_OK(nrt_async_sendrecv_close(2));
    ASSERT_OK(nrt_async_sendrecv_close(3));
    /* Initialized again and left to nrt_close: it must not wait for the
     * parent's threads. */
    ASSERT_OK(nrt_async_sendrecv_init(2));
    nrt_close();
    return 0;
}

int main(void)
{
    if (T_TSAN) {
        /* ThreadSanitizer's view of a child of a multi-threaded fork that
         * starts threads is not reliable (libfabric, uninstrumented, frees
         * its parameters in the child); tests/async/test_fork.c skips too. */
        printf("sr_fork: skipped under ThreadSanitizer\n");
        return T_SKIP;
    }
    t_setenv("NEURON_RT_NUM_CORES", "4");
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", ""));
    ASSERT_OK(nrt_async_sendrecv_init(0));
    ASSERT_OK(nrt_async_sendrecv_init(1));
    pair_xfer(0, 1, 1 << 20, 1, "parent 0 -> 1, before the fork");
    int sockets = count_sockets();
    fflush(NULL);
    pid_t pid = fork();
    ASSERT_TRUE(pid >= 0);
    if (pid == 0)
        _exit(child(sockets));
    int status = 0;
    ASSERT_TRUE(waitpid(pid, &status, 0) == pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "sr_fork: the child failed (%s %d)\n", WIFEXITED(status) ? "exit" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        return 1;
    }
    pair_xfer(0, 1, 1 << 20, 2, "parent 0 -> 1, after the child");
    ASSERT_OK(nrt_async_sendrecv_close(0));
    ASSERT_OK(nrt_async_sendrecv_close(1));
    nrt_close();
    printf("sr_fork: ok\n");
    return 0;
}

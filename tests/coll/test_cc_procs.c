/*
 * tests/coll/test_cc_procs.c - collectives between processes of this host:
 * starts NPROCS cc_peer processes that meet through NEURON_RT_ROOT_COMM_ID
 * on a free loopback port (IPv4, or IPv6 with "v6"), bounds them in time
 * and checks how each ended (in "death" mode the last one kills itself).
 * Usage: test_cc_procs CC_PEER NPROCS CORES MODE [v6]
 */
#include "harness.h" /* first: it defines _GNU_SOURCE */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

static int free_port(int family)
{
    int fd = socket(family, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_storage ss = {0};
    socklen_t len;
    if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
    }
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: test_cc_procs CC_PEER NPROCS CORES MODE [v6]\n");
        return 2;
    }
    const char *peer = argv[1], *mode = argv[4];
    int nprocs = atoi(argv[2]);
    bool v6 = argc > 5 && !strcmp(argv[5], "v6");
    int port = free_port(v6 ? AF_INET6 : AF_INET);
    if (port < 0) {
        if (v6) {
            printf("test_cc_procs: skipped: no IPv6 loopback (::1) on this machine\n");
            return T_SKIP;
        }
        fprintf(stderr, "test_cc_procs: no free port\n");
        return 1;
    }
    char root[64];
    snprintf(root, sizeof root, v6 ? "[::1]:%d" : "127.0.0.1:%d", port);
    setenv("NEURON_RT_ROOT_COMM_ID", root, 1);
    printf("test_cc_procs: %d processes x %s cores, %s, root %s\n", nprocs, argv[3], mode, root);
    fflush(stdout);
    pid_t pids[16];
    for (int i = 0; i < nprocs; i++) {
        pids[i] = fork();
        ASSERT_TRUE(pids[i] >= 0);
        if (pids[i] == 0) {
            char r[16], n[16];
            snprintf(r, sizeof r, "%d", i);
            snprintf(n, sizeof n, "%d", nprocs);
            execl(peer, peer, r, n, argv[3], mode, (char *)NULL);
            _exit(127);
        }
    }
    /* Bounded: 400 s at most (CTest's own timeout is above it). */
    int fails = 0, left = nprocs;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bool done[16] = {0};
    while (left) {
        for (int i = 0; i < nprocs; i++) {
            int st;
            if (done[i] || waitpid(pids[i], &st, WNOHANG) != pids[i])
                continue;
            done[i] = true;
            left--;
            bool want_kill = !strcmp(mode, "death") && i == nprocs - 1;
            bool ok = want_kill ? WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL : WIFEXITED(st) && WEXITSTATUS(st) == 0;
            if (!ok) {
                fprintf(stderr, "test_cc_procs: process %d ended with %s %d\n", i,
                        WIFEXITED(st) ? "exit" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
                fails++;
            }
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec > 400) {
            fprintf(stderr, "test_cc_procs: processes still running after 400 s; killing them\n");
            for (int i = 0; i < nprocs; i++)
                if (!done[i])
                    kill(pids[i], SIGKILL), waitpid(pids[i], NULL, 0);
            return 1;
        }
        usleep(20000);
    }
    printf("test_cc_procs: %s\n", fails ? "FAILED" : "ok");
    return fails ? 1 : 0;
}

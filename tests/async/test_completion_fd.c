/*
 * nrta_get_completion_handle: a new fd that poll, epoll and select report
 * readable once the request completed (at once if it already had), and not
 * before. Thousands may be outstanding; the caller may close one before
 * its request completes.
 */
#include "async_util.h"

#include <sys/epoll.h>
#include <sys/select.h>

static int handle(nrta_seq_t s)
{
    int fd = -1;
    ASSERT_OK(nrta_get_completion_handle(s, &fd));
    ASSERT_TRUE(fd >= 0);
    return fd;
}

static bool select_ready(int fd)
{
    ASSERT_TRUE(fd < FD_SETSIZE);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(fd, &r);
    struct timeval tv = {0, 0};
    int n = select(fd + 1, &r, NULL, NULL, &tv);
    ASSERT_TRUE(n >= 0);
    return n == 1 && FD_ISSET(fd, &r);
}

static void basics(nrt_model_t *m)
{
    tm_shared_t *sh = t_shared_new();
    t_tm_req_t r;
    t_tm_req_init(&r, 0, (t_tm_opts_t){.sh = sh, .flags = TM_F_WAIT_GATE, .tag = 1});
    nrta_seq_t e;
    ASSERT_OK(nrta_execute_schedule(m, r.in, r.out, 0, NULL, &e));
    T_WAIT_UNTIL(atomic_load(&sh->started) == 1);
    int fd = handle(e), fd2 = handle(e);
    ASSERT_TRUE(fd != fd2);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    ASSERT_TRUE(ep >= 0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42};
    ASSERT_TRUE(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
    struct epoll_event out[4];
    /* not readable while the request runs */
    for (int i = 0; i < 50; i++) {
        ASSERT_TRUE(!t_fd_ready(fd));
        ASSERT_TRUE(!t_fd_ready(fd2));
        ASSERT_TRUE(!select_ready(fd));
        ASSERT_EQ_U64(epoll_wait(ep, out, 4, 0), 0);
        ASSERT_TRUE(!t_done(e));
        usleep(100);
    }
    t_gate(sh, 1);
    int n;
    do
        n = epoll_wait(ep, out, 4, T_WAIT_S * 1000);
    while (n < 0 && errno == EINTR);
    ASSERT_EQ_U64(n, 1);
    ASSERT_EQ_U64(out[0].data.u64, 42);
    ASSERT_TRUE(out[0].events & EPOLLIN);
    /* readable means complete, with the results in place */
    ASSERT_TRUE(t_done(e));
    t_tm_check_y(r.y, 1);
    ASSERT_TRUE(t_fd_ready(fd));
    ASSERT_TRUE(select_ready(fd));
    t_fd_wait(fd2);
    uint64_t v = 0;
    ASSERT_EQ_U64(read(fd, &v, sizeof v), sizeof v);
    ASSERT_TRUE(v >= 1);
    close(fd);
    close(fd2);
    close(ep);

    /* already complete: readable at once, by every mechanism */
    fd = handle(e);
    ASSERT_TRUE(t_fd_ready(fd));
    ASSERT_TRUE(select_ready(fd));
    ep = epoll_create1(EPOLL_CLOEXEC);
    ASSERT_TRUE(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
    ASSERT_EQ_U64(epoll_wait(ep, out, 4, 0), 1);
    close(fd);
    close(ep);

    /* tensor units too */
    nrt_tensor_t *t;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 1, 4096, "t", &t));
    static unsigned char buf[4096];
    for (int q = 0; q < 4; q++) {
        nrta_seq_t s;
        ASSERT_OK(nrta_tensor_write(t, buf, 0, sizeof buf, q, NULL, &s));
        fd = handle(s);
        t_fd_wait_done(fd, s);
        close(fd);
        ASSERT_OK(nrta_tensor_read(buf, t, 0, sizeof buf, q, NULL, &s));
        fd = handle(s);
        t_fd_wait_done(fd, s);
        close(fd);
        ASSERT_OK(nrta_tensor_copy(t, 0, t, 2048, 2048, q, NULL, &s));
        fd = handle(s);
        t_fd_wait_done(fd, s);
        close(fd);
    }
    nrt_tensor_free(&t);

    /* bad ids and arguments */
    fd = 7;
    ASSERT_ST(nrta_get_completion_handle(t_seq(0, NRTA_XU_COMPUTE, 0, 1000), &fd), NRT_INVALID);
    ASSERT_EQ_U64(fd, (uint64_t)-1);
    ASSERT_ST(nrta_get_completion_handle(e, NULL), NRT_INVALID);
    t_tm_req_free(&r);
    free(sh);
}

/* Closing the fd before completion is safe, and the runtime never writes
 * into a descriptor number the application reused. */
static void close_early(nrt_model_t *m)
{
    tm_shared_t *sh = t_shared_new();
    t_tm_req_t r;
    t_tm_req_init(&r, 0, (t_tm_opts_t){.sh = sh, .flags = TM_F_WAIT_GATE, .tag = 2});
    nrta_seq_t e[40];
    ASSERT_OK(nrta_execute_schedule(m, r.in, r.out, 0, NULL, &e[0]));
    for (int i = 1; i < 40; i++)
        ASSERT_OK(nrta_execute_schedule(m, r.in, r.out, 0, NULL, &e[i]));
    for (int i = 0; i < 40; i++)
        for (int k = 0; k < 5; k++)
            close(handle(e[i]));
    int fd = handle(e[39]);
    close(fd);
    int p[2];
    ASSERT_TRUE(pipe(p) == 0); /* likely reuses fd's number */
    int keep = handle(e[39]);
    t_gate(sh, 1);
    t_fd_wait(keep);
    close(keep);
    for (int i = 0; i < 40; i++)
        ASSERT_TRUE(t_done(e[i]));
    ASSERT_TRUE(!t_fd_ready(p[0])); /* nothing was written into the reused number */
    close(p[0]);
    close(p[1]);
    t_tm_req_free(&r);
    free(sh);
}

/* 2500 handles outstanding at once (2000+), each for its own request,
 * plus several for one request; all become readable, none early. */
#define MANY 2500
static void many(nrt_model_t *m)
{
    tm_shared_t *sh = t_shared_new();
    t_tm_req_t held, r;
    t_tm_req_init(&held, 0, (t_tm_opts_t){.sh = sh, .flags = TM_F_WAIT_GATE, .tag = 3});
    t_tm_req_init(&r, 0, (t_tm_opts_t){.tag = 4});
    static nrta_seq_t e[MANY];
    static int fds[MANY + 8];
    ASSERT_OK(nrta_execute_schedule(m, held.in, held.out, 0, NULL, &e[0]));
    for (int i = 1; i < MANY; i++)
        ASSERT_OK(nrta_execute_schedule(m, r.in, r.out, 0, NULL, &e[i]));
    for (int i = 0; i < MANY; i++)
        fds[i] = handle(e[i]);
    for (int i = 0; i < 8; i++)
        fds[MANY + i] = handle(e[MANY / 2]);
    static struct pollfd pf[MANY + 8];
    for (int i = 0; i < MANY + 8; i++)
        pf[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
    ASSERT_EQ_U64(poll(pf, MANY + 8, 0), 0);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    ASSERT_TRUE(ep >= 0);
    for (int i = 0; i < MANY + 8; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        ASSERT_TRUE(epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) == 0);
    }
    struct epoll_event out[64];
    ASSERT_EQ_U64(epoll_wait(ep, out, 64, 0), 0);
    t_gate(sh, 1);
    static bool seen[MANY + 8];
    int nseen = 0;
    uint64_t until = t_now_ns() + (uint64_t)T_WAIT_S * 1000000000ull;
    while (nseen < MANY + 8) {
        ASSERT_TRUE(t_now_ns() < until);
        int n = epoll_wait(ep, out, 64, 1000);
        ASSERT_TRUE(n >= 0 || errno == EINTR);
        for (int k = 0; k < n; k++) {
            uint32_t i = out[k].data.u32;
            ASSERT_TRUE(i < MANY + 8);
            if (seen[i])
                continue;
            seen[i] = true;
            nseen++;
            /* readable implies complete */
            ASSERT_TRUE(t_done(e[i < MANY ? i : MANY / 2]));
            ASSERT_TRUE(epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL) == 0);
        }
    }
    ASSERT_EQ_U64(poll(pf, MANY + 8, 0), MANY + 8);
    for (int i = 0; i < MANY + 8; i++)
        close(fds[i]);
    close(ep);
    t_tm_check_y(held.y, 3);
    t_tm_check_y(r.y, 4);
    t_tm_req_free(&held);
    t_tm_req_free(&r);
    free(sh);
}

int main(void)
{
    t_setenv("OPENNRT_QUEUE_DEPTH", "4096");
    t_init();
    nrt_model_t *m = t_tm_load(0);
    basics(m);
    close_early(m);
    many(m);
    ASSERT_OK(nrt_unload(m));

    /* a handle taken before nrt_close for a request still queued becomes
     * readable (the request finishes during nrt_close) */
    tm_shared_t *sh = t_shared_new();
    m = t_tm_load(0);
    t_tm_req_t r;
    t_tm_req_init(&r, 0, (t_tm_opts_t){.sh = sh, .flags = TM_F_WAIT_GATE, .max_wait_ms = 1, .tag = 5});
    nrta_seq_t e;
    ASSERT_OK(nrta_execute_schedule(m, r.in, r.out, 0, NULL, &e));
    int fd = handle(e);
    nrt_close();
    ASSERT_TRUE(t_fd_ready(fd));
    close(fd);
    t_setenv("OPENNRT_QUEUE_DEPTH", NULL);
    free(sh);
    printf("async_completion_fd ok\n");
    return 0;
}

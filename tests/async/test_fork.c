/*
 * fork() with a running runtime (Python multiprocessing, data-loader
 * workers): the child must not accept work that cannot run. Its calls are
 * refused with NRT_UNINITIALIZED and one log line naming the cause, never
 * hang; after a fresh nrt_init the child has a working runtime of its own;
 * the parent's runtime is unaffected.
 */
#include "async_util.h"

#include <signal.h>
#include <sys/wait.h>

static int child(nrt_tensor_t *parent_t, nrt_model_t *parent_m, t_tm_req_t *parent_r)
{
    static unsigned char buf[256];
    nrta_seq_t seq;
    alarm(60); /* a hang fails the test instead of blocking it */
    ASSERT_ST_LOG1(nrta_tensor_write(parent_t, buf, 0, sizeof buf, 0, NULL, &seq), NRT_UNINITIALIZED);
    ASSERT_ST_LOG1(nrt_execute(parent_m, parent_r->in, parent_r->out), NRT_UNINITIALIZED);
    ASSERT_ST_LOG1(nrt_tensor_write(parent_t, buf, 0, 8), NRT_UNINITIALIZED);
    nrt_close(); /* nothing to close: returns at once */
    nrt_close();
    ASSERT_ST_LOG1(nrta_tensor_read(buf, parent_t, 0, 8, 0, NULL, &seq), NRT_UNINITIALIZED);

    /* A runtime of the child's own works. */
    t_init();
    nrt_tensor_t *t;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, sizeof buf, "child", &t));
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(i ^ 0x5a);
    ASSERT_OK(nrta_tensor_write(t, buf, 0, sizeof buf, 0, NULL, &seq));
    t_wait(seq);
    static unsigned char back[256];
    ASSERT_OK(nrta_tensor_read(back, t, 0, sizeof back, 1, NULL, &seq));
    int fd;
    ASSERT_OK(nrta_get_completion_handle(seq, &fd));
    t_fd_wait_done(fd, seq);
    close(fd);
    ASSERT_TRUE(memcmp(buf, back, sizeof buf) == 0);
    nrt_model_t *m = t_tm_load(0);
    t_tm_req_t r;
    t_tm_req_init(&r, 0, (t_tm_opts_t){.tag = 9});
    ASSERT_OK(nrt_execute(m, r.in, r.out));
    t_tm_check_y(r.y, 9);
    ASSERT_OK(nrta_execute_schedule(m, r.in, r.out, 0, NULL, &seq));
    t_wait(seq);
    t_tm_req_free(&r);
    ASSERT_OK(nrt_unload(m));
    nrt_tensor_free(&t);
    nrt_close();
    return 0;
}

int main(void)
{
    if (T_TSAN) {
        /* ThreadSanitizer kills a child that starts threads after a
         * multi-threaded fork (die_after_fork), which is this test's point. */
        printf("fork: skipped under ThreadSanitizer\n");
        return T_SKIP;
    }
    /* A long exec timeout: a child's nrt_close that waited for the
     * parent's queued requests to drain (no thread of the child runs them)
     * would wait it out, and the child's alarm fails the test. */
    t_setenv("OPENNRT_EXEC_TIMEOUT_MS", "600000");
    t_init();
    nrt_tensor_t *t;
    ASSERT_OK(nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, 256, "parent", &t));
    nrt_model_t *m = t_tm_load(0);
    t_tm_req_t r;
    t_tm_req_init(&r, 0, (t_tm_opts_t){.tag = 4});
    /* Start the workers, and keep requests in flight across the fork. */
    static unsigned char buf[256];
    nrta_seq_t seqs[16];
    for (int i = 0; i < 16; i++)
        ASSERT_OK(nrta_tensor_write(t, buf, 0, sizeof buf, i % 4, NULL, &seqs[i]));
    if (T_SANITIZED) {
        /* AddressSanitizer's thread registry lock may be held at fork() by
         * a thread that is being created or is starting (our workers are);
         * a thread the child then creates blocks on it forever. A limit
         * of the sanitizer runtime (plain and Debug builds keep requests in
         * flight across the fork): let the parent settle first. */
        for (int i = 0; i < 16; i++)
            t_wait(seqs[i]);
        usleep(200000);
    }
    fflush(NULL);
    pid_t pid = fork();
    ASSERT_TRUE(pid >= 0);
    if (pid == 0)
        _exit(child(t, m, &r));
    int status = 0;
    ASSERT_TRUE(waitpid(pid, &status, 0) == pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "child failed: status 0x%x%s\n", status,
                WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM ? " (hung)" : "");
        return 1;
    }
    /* The parent's runtime goes on. */
    for (int i = 0; i < 16; i++)
        t_wait(seqs[i]);
    ASSERT_OK(nrt_execute(m, r.in, r.out));
    t_tm_check_y(r.y, 4);
    t_tm_req_free(&r);
    ASSERT_OK(nrt_unload(m));
    nrt_tensor_free(&t);
    nrt_close();
    printf("fork: ok\n");
    return 0;
}

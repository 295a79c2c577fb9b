/*
 * bench/bench_cc.c - OpenNRT's collectives beside OpenMPI's and memcpy,
 * measured in the same run, with the ratios per size.
 *
 * For each op (allr, allg, redsct) and rank count (default 2 and 4):
 *   nrt threads  nrt-cc-test with the ranks as cores of one process
 *   nrt tcp      nrt-cc-test --procs: one process per rank, libfabric
 *                tcp;ofi_rxm over 127.0.0.1 (the default transport)
 *   nrt shm      the same with OPENNRT_CC_TRANSPORT=shm (libfabric shm)
 *   mpi          mpi_cc (bench/mpi_cc.c) under mpirun: MPI_Allreduce,
 *                MPI_Allgather, MPI_Reduce_scatter_block; n/a, with the
 *                reason, when CMake found no MPI or mpirun fails
 *   memcpy       one thread copying the op's size (a ceiling for one
 *                core's data movement, not a collective)
 * Everything is fp32 with the same sizes (nrt-cc-test's rounding; mpi_cc
 * gets the sizes nrt-cc-test reported), iterations and warm-up; times are
 * defined alike (mean over the iterations of the slowest rank's time).
 * Figures: time (us) and busbw in GB/s = 1e9 B/s (nccom-test's busbw:
 * algbw * 2(n-1)/n for allr, (n-1)/n for allg and redsct); ratios are
 * busbw over the baseline's (> 1: OpenNRT moves more per second), and
 * memcpy's is nrt threads' algbw over memcpy's bandwidth.
 *
 * mpirun runs with --oversubscribe (this machine may have fewer CPUs
 * than ranks), --bind-to core when the ranks fit the CPUs and
 * --bind-to none otherwise, and --allow-run-as-root as root.
 *
 * Checks: every nrt-cc-test run verifies its results (-c random) and its
 * JSON report must hold one "ok" row per size; the table it printed must
 * have its header, one row per size and the "Avg bus bandwidth" footer;
 * one extra run with --inject-mismatch must fail (exit 1, a WRONG row):
 * the verification itself is tested. mpi_cc checks its own results. Every
 * child runs under a time limit (then its process group is killed).
 *
 * Output: a table per op and rank count, then one key=value line. Exit
 * status: 0 when every OpenNRT run and check passed; 1 otherwise; 77
 * (skip) when the runtime says its collectives are not available yet.
 *
 * Usage: bench_cc [--quick] [--ranks 2,4] [--ops allr,allg,redsct] [-b SIZE] [-e SIZE] [-f F]
 *                 [-n ITERS] [-w WARMUP] [--modes threads,procs,shm] [--nrt-cc-test PATH]
 *                 [--mpi-cc PATH|none] [--mpirun PATH]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "json.h"

#define PROG "bench_cc"
#define MAXROWS 64

#ifndef NRT_CC_TEST_PATH
#define NRT_CC_TEST_PATH "nrt-cc-test"
#endif
#ifndef MPI_CC_PATH
#define MPI_CC_PATH ""
#endif
#ifndef MPIRUN_PATH
#define MPIRUN_PATH ""
#endif

typedef struct {
    uint64_t size;
    double time_us, busbw, algbw;
    bool ok;
} pt_t;

/* The ways nrt-cc-test runs the ranks. */
enum { M_THR = 0, M_TCP, M_SHM, M_NUM };
static const char *const mode_names[M_NUM] = {"threads", "procs", "shm"};
static const char *const mode_cols[M_NUM] = {"thr", "tcp", "shm"};

typedef struct {
    pt_t p[MAXROWS];
    int n;
    bool ran;
    char why[200];
} series_t;

static struct {
    bool quick;
    char ranks[64], ops[64], modes[64];
    const char *minb, *maxb, *factor, *iters, *warmup;
    const char *cct, *mpi_cc, *mpirun;
    char tmp[256];
    long ncpu;
    int errors, skipped_not_yet;
    char why[400];
} B;

static void failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char b[400];
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    fprintf(stderr, PROG ": %s\n", b);
    if (!B.errors++)
        snprintf(B.why, sizeof B.why, "%s", b);
}

/* Runs |argv| with stdout and stderr into |out_path|, in its own process
 * group, for at most |limit_s|, with |env| ("NAME=VALUE", may be NULL)
 * added. Returns the wait status, or -1 when it could not start or ran
 * past the limit (then the group is killed). */
static int run_cmd(char *const argv[], const char *env, const char *out_path, double limit_s)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        setpgid(0, 0);
        int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            _exit(127);
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
        if (env)
            putenv((char *)env);
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    uint64_t end = bench_now_ns() + (uint64_t)(limit_s * 1e9);
    for (;;) {
        int st;
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            return st;
        if (w < 0 && errno != EINTR)
            return -1;
        if (bench_now_ns() > end) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            fprintf(stderr, PROG ": %s ran past %.0f s: killed\n", argv[0], limit_s);
            return -1;
        }
        bench_sleep_ns(20000000);
    }
}

static char *slurp(const char *path)
{
    size_t n = 0;
    char err[200];
    char *s = json_read_all(path, &n, err, sizeof err);
    if (!s)
        return calloc(1, 1);
    char *z = realloc(s, n + 1);
    if (!z) {
        free(s);
        return calloc(1, 1);
    }
    z[n] = 0;
    return z;
}

static void show_tail(const char *text)
{
    size_t n = strlen(text);
    fprintf(stderr, "--- output:\n%s%s\n---\n", n > 3000 ? "..." : "", n > 3000 ? text + n - 3000 : text);
}

static bool exit_ok(int st)
{
    return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Counts the table rows of nrt-cc-test's stdout: lines starting with a
 * size (digits after blanks). */
static int table_rows(const char *out)
{
    int rows = 0;
    for (const char *l = out; l && *l;) {
        const char *p = l;
        while (*p == ' ')
            p++;
        if (p > l && *p >= '0' && *p <= '9')
            rows++;
        const char *nl = strchr(l, '\n');
        l = nl ? nl + 1 : NULL;
    }
    return rows;
}

/* One nrt-cc-test run: fills |s| from its JSON report and checks its
 * table. */
static void run_nrt(const char *op, int ranks, int m, series_t *s)
{
    const char *mode = mode_names[m];
    memset(s, 0, sizeof *s);
    char rs[16], json[300], out[300];
    snprintf(rs, sizeof rs, "%d", ranks);
    snprintf(json, sizeof json, "%s/%s-%d-%s.json", B.tmp, op, ranks, mode);
    snprintf(out, sizeof out, "%s/%s-%d-%s.out", B.tmp, op, ranks, mode);
    unlink(json);
    char *argv[32];
    int a = 0;
    argv[a++] = (char *)B.cct;
    if (m != M_THR)
        argv[a++] = "--procs";
    char *rest[] = {"-r", rs, (char *)op, "-b", (char *)B.minb, "-e", (char *)B.maxb, "-f", (char *)B.factor,
                    "-n", (char *)B.iters, "-w", (char *)B.warmup, "-d", "fp32", "-c", "random",
                    "--timeout", "30", "--report-to-json-file", json};
    for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++)
        argv[a++] = rest[i];
    argv[a] = NULL;
    int st = run_cmd(argv, m == M_SHM ? "OPENNRT_CC_TRANSPORT=shm" : NULL, out, 300);
    char *text = slurp(out);
    s->ran = true;
    if (strstr(text, "not available yet")) {
        B.skipped_not_yet++;
        snprintf(s->why, sizeof s->why, "the runtime's collectives are not available yet");
        s->ran = false;
        free(text);
        return;
    }
    if (!exit_ok(st)) {
        failf("nrt-cc-test %s -r %d (%s) failed (%s)", op, ranks, mode,
              st == -1 ? "did not finish" : WIFEXITED(st) ? "exit status != 0" : "killed by a signal");
        show_tail(text);
        snprintf(s->why, sizeof s->why, "failed");
        free(text);
        return;
    }
    char err[200];
    json_doc_t *d = json_parse_file(json, err, sizeof err);
    const json_value_t *res = d ? json_get(json_root(d), "results") : NULL;
    if (!res || json_len(res) == 0) {
        failf("nrt-cc-test %s -r %d (%s): no results in its JSON report (%s)", op, ranks, mode,
              d ? "no \"results\"" : err);
        show_tail(text);
    } else {
        for (size_t i = 0; i < json_len(res) && s->n < MAXROWS; i++) {
            const json_value_t *r = json_at(res, i);
            pt_t *p = &s->p[s->n++];
            p->size = (uint64_t)json_num(json_get(r, "size"), 0);
            p->time_us = json_num(json_get(r, "time_us"), NAN);
            p->busbw = json_num(json_get(r, "busbw"), NAN);
            p->algbw = json_num(json_get(r, "algbw"), NAN);
            p->ok = !strcmp(json_str(json_get(r, "check"), ""), "ok");
            if (!p->ok || !(p->time_us > 0))
                failf("nrt-cc-test %s -r %d (%s): size %llu: check '%s', time %g us", op, ranks, mode,
                      (unsigned long long)p->size, json_str(json_get(r, "check"), "?"), p->time_us);
        }
        /* The table on stdout: header, a row per size, the footer. */
        if (!strstr(text, "size(B)") || !strstr(text, "busbw(GB/s)") || !strstr(text, "Avg bus bandwidth:") ||
            table_rows(text) != s->n) {
            failf("nrt-cc-test %s -r %d (%s): its table lacks the header, the footer or a row per size (%d rows, "
                  "%d in the JSON)",
                  op, ranks, mode, table_rows(text), s->n);
            show_tail(text);
        }
    }
    json_doc_free(d);
    free(text);
}

/* nrt-cc-test must catch a wrong result: --inject-mismatch flips a byte. */
static void run_mismatch_check(void)
{
    char out[300];
    snprintf(out, sizeof out, "%s/mismatch.out", B.tmp);
    char *argv[] = {(char *)B.cct, "-r", "2", "allr", "-b", "4k", "-n", "2", "-w", "1", "-c", "random",
                    "--timeout", "30", "--inject-mismatch", NULL};
    int st = run_cmd(argv, NULL, out, 120);
    char *text = slurp(out);
    if (strstr(text, "not available yet"))
        B.skipped_not_yet++;
    else if (!(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 1) || !strstr(text, "WRONG") ||
             !strstr(text, "elements wrong")) {
        failf("nrt-cc-test --inject-mismatch did not fail as it must (exit 1, a WRONG row, a message)");
        show_tail(text);
    }
    free(text);
}

static void run_mpi(const char *op, int ranks, const series_t *ref, series_t *s)
{
    memset(s, 0, sizeof *s);
    if (!B.mpi_cc[0] || !strcmp(B.mpi_cc, "none")) {
        snprintf(s->why, sizeof s->why, "no MPI (CMake did not find it; install openmpi-bin libopenmpi-dev)");
        return;
    }
    if (access(B.mpi_cc, X_OK) != 0) {
        snprintf(s->why, sizeof s->why, "%s: %s", B.mpi_cc, strerror(errno));
        return;
    }
    if (ref->n == 0) {
        snprintf(s->why, sizeof s->why, "no sizes (nrt-cc-test did not run)");
        return;
    }
    char sizes[2048] = "", np[16], out[300];
    for (int i = 0; i < ref->n; i++)
        snprintf(sizes + strlen(sizes), sizeof sizes - strlen(sizes), "%s%llu", i ? "," : "",
                 (unsigned long long)ref->p[i].size);
    snprintf(np, sizeof np, "%d", ranks);
    snprintf(out, sizeof out, "%s/%s-%d-mpi.out", B.tmp, op, ranks);
    char *argv[32];
    int a = 0;
    argv[a++] = (char *)B.mpirun;
    argv[a++] = "-np";
    argv[a++] = np;
    argv[a++] = "--oversubscribe";
    argv[a++] = "--bind-to";
    argv[a++] = ranks <= B.ncpu ? "core" : "none";
    if (geteuid() == 0)
        argv[a++] = "--allow-run-as-root";
    argv[a++] = (char *)B.mpi_cc;
    argv[a++] = (char *)op;
    argv[a++] = sizes;
    argv[a++] = (char *)B.iters;
    argv[a++] = (char *)B.warmup;
    argv[a] = NULL;
    int st = run_cmd(argv, NULL, out, 300);
    char *text = slurp(out);
    s->ran = true;
    for (const char *l = text; l && *l;) {
        unsigned long long size;
        double t;
        char check[16];
        if (sscanf(l, "mpi_cc op=%*s ranks=%*d size=%llu time_us=%lf check=%15s", &size, &t, check) == 3 &&
            s->n < MAXROWS) {
            pt_t *p = &s->p[s->n++];
            p->size = size;
            p->time_us = t;
            p->algbw = (double)size / (t * 1e-6) / 1e9;
            double nr = ranks;
            p->busbw = p->algbw * (!strcmp(op, "allr") ? 2 * (nr - 1) / nr : (nr - 1) / nr);
            p->ok = !strcmp(check, "ok");
        }
        const char *nl = strchr(l, '\n');
        l = nl ? nl + 1 : NULL;
    }
    if (!exit_ok(st) || s->n == 0) {
        snprintf(s->why, sizeof s->why, "mpirun failed (see below)");
        fprintf(stderr, PROG ": mpirun -np %d mpi_cc %s failed; its column reads n/a\n", ranks, op);
        show_tail(text);
    }
    free(text);
}

/* memcpy of |size| bytes, GB/s (median of 5 timed batches). */
static double memcpy_gbs(uint64_t size)
{
    char *src = malloc(size), *dst = malloc(size);
    if (!src || !dst) {
        free(src);
        free(dst);
        return NAN;
    }
    memset(src, 1, size);
    memset(dst, 2, size);
    int reps = (int)(((B.quick ? 4.0 : 64.0) * 1048576.0) / (double)size) + 1;
    double v[5];
    for (int k = 0; k < 5; k++) {
        uint64_t t0 = bench_now_ns();
        for (int i = 0; i < reps; i++) {
            memcpy(dst, src, size);
            __asm__ __volatile__("" : : "r"(dst) : "memory");
        }
        v[k] = (double)size * reps / ((double)(bench_now_ns() - t0) * 1e-9) / 1e9;
    }
    free(src);
    free(dst);
    return bench_quantile(v, 5, 0.5);
}

static const pt_t *find(const series_t *s, uint64_t size)
{
    for (int i = 0; i < s->n; i++)
        if (s->p[i].size == size)
            return &s->p[i];
    return NULL;
}

static void cell(char *b, size_t n, double v, const char *f)
{
    if (isnan(v) || v <= 0)
        snprintf(b, n, "n/a");
    else
        snprintf(b, n, f, v);
}

/* Geometric means of the ratios, for the summary line: each mode against
 * MPI, then threads against memcpy. */
static double lg_sum[M_NUM + 1];
static int lg_n[M_NUM + 1];

static void add_ratio(int k, double r)
{
    if (r > 0 && !isnan(r)) {
        lg_sum[k] += log(r);
        lg_n[k]++;
    }
}

static void report(const char *op, int ranks, const series_t nrt[M_NUM], const series_t *mpi)
{
    const series_t *ref = NULL;
    for (int m = 0; m < M_NUM && !ref; m++)
        if (nrt[m].n)
            ref = &nrt[m];
    printf("\n%s, %d ranks  (time us | busbw GB/s; ratios: busbw / mpi's; thr/mcpy: algbw / memcpy's)\n", op,
           ranks);
    for (int m = 0; m < M_NUM; m++)
        if (!nrt[m].n && nrt[m].why[0])
            printf("  nrt %s: %s\n", mode_cols[m], nrt[m].why);
    if (!mpi->n)
        printf("  mpi: %s\n", mpi->why[0] ? mpi->why : "not run");
    if (!ref)
        return;
    char h[64];
    printf("%10s |", "size(B)");
    for (int m = 0; m < M_NUM; m++) {
        snprintf(h, sizeof h, "%s us", mode_cols[m]);
        printf(" %9s %7s |", h, "busbw");
    }
    printf(" %9s %7s | %7s |", "mpi us", "busbw", "memcpy");
    for (int m = 0; m < M_NUM; m++) {
        snprintf(h, sizeof h, "%s/mpi", mode_cols[m]);
        printf(" %7s", h);
    }
    printf(" %8s\n", "thr/mcpy");
    for (int i = 0; i < ref->n; i++) {
        uint64_t size = ref->p[i].size;
        const pt_t *m = find(mpi, size);
        double mc = memcpy_gbs(size);
        char c[2][24];
        printf("%10llu |", (unsigned long long)size);
        for (int k = 0; k < M_NUM; k++) {
            const pt_t *a = find(&nrt[k], size);
            cell(c[0], 24, a ? a->time_us : NAN, "%.1f");
            cell(c[1], 24, a ? a->busbw : NAN, "%.3f");
            printf(" %9s %7s |", c[0], c[1]);
        }
        cell(c[0], 24, m ? m->time_us : NAN, "%.1f");
        cell(c[1], 24, m ? m->busbw : NAN, "%.3f");
        printf(" %9s %7s |", c[0], c[1]);
        cell(c[0], 24, mc, "%.2f");
        printf(" %7s |", c[0]);
        for (int k = 0; k < M_NUM; k++) {
            const pt_t *a = find(&nrt[k], size);
            double r = a && m ? a->busbw / m->busbw : NAN;
            add_ratio(k, r);
            cell(c[0], 24, r, "%.2fx");
            printf(" %7s", c[0]);
        }
        const pt_t *t = find(&nrt[M_THR], size);
        double r = t ? t->algbw / mc : NAN;
        add_ratio(M_NUM, r);
        cell(c[0], 24, r, "%.3fx");
        printf(" %8s\n", c[0]);
    }
    fflush(stdout);
}

static void usage(FILE *f, int code)
{
    fprintf(f,
            "usage: " PROG " [--quick] [--ranks 2,4] [--ops allr,allg,redsct] [-b SIZE] [-e SIZE] [-f F]\n"
            "                [-n ITERS] [-w WARMUP] [--modes threads,procs,shm] [--nrt-cc-test PATH]\n"
            "                [--mpi-cc PATH|none] [--mpirun PATH]\n"
            "  --quick   2 ranks, 4 KiB and 64 KiB, 5 iterations (the CTest smoke run; figures not worth quoting)\n"
            "  defaults: ranks 2,4; sizes 4K to 16M by x16; 20 iterations after 5 warm-up; modes threads (cores of\n"
            "            one process), procs (--procs, tcp;ofi_rxm) and shm (--procs, OPENNRT_CC_TRANSPORT=shm)\n");
    exit(code);
}

int main(int argc, char **argv)
{
    snprintf(B.ranks, sizeof B.ranks, "2,4");
    snprintf(B.ops, sizeof B.ops, "allr,allg,redsct");
    snprintf(B.modes, sizeof B.modes, "threads,procs,shm");
    B.minb = "4K";
    B.maxb = "16M";
    B.factor = "16";
    B.iters = "20";
    B.warmup = "5";
    B.cct = getenv("NRT_CC_TEST") ? getenv("NRT_CC_TEST") : NRT_CC_TEST_PATH;
    B.mpi_cc = MPI_CC_PATH;
    B.mpirun = MPIRUN_PATH[0] ? MPIRUN_PATH : "mpirun";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = strcmp(a, "--quick") && strcmp(a, "-h") && strcmp(a, "--help");
        if (takes && !v)
            usage(stderr, 2);
        if (!strcmp(a, "--quick")) {
            B.quick = true;
            snprintf(B.ranks, sizeof B.ranks, "2");
            B.minb = "4K";
            B.maxb = "64K";
            B.iters = "5";
            B.warmup = "1";
            snprintf(B.modes, sizeof B.modes, "threads,procs");
            continue;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            usage(stdout, 0);
        else if (!strcmp(a, "--ranks"))
            snprintf(B.ranks, sizeof B.ranks, "%s", v);
        else if (!strcmp(a, "--ops"))
            snprintf(B.ops, sizeof B.ops, "%s", v);
        else if (!strcmp(a, "--modes"))
            snprintf(B.modes, sizeof B.modes, "%s", v);
        else if (!strcmp(a, "-b"))
            B.minb = v;
        else if (!strcmp(a, "-e"))
            B.maxb = v;
        else if (!strcmp(a, "-f"))
            B.factor = v;
        else if (!strcmp(a, "-n"))
            B.iters = v;
        else if (!strcmp(a, "-w"))
            B.warmup = v;
        else if (!strcmp(a, "--nrt-cc-test"))
            B.cct = v;
        else if (!strcmp(a, "--mpi-cc"))
            B.mpi_cc = v;
        else if (!strcmp(a, "--mpirun"))
            B.mpirun = v;
        else
            usage(stderr, 2);
        i++;
    }
    B.ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    snprintf(B.tmp, sizeof B.tmp, "%s/bench_cc.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(B.tmp)) {
        fprintf(stderr, PROG ": mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    bool want[M_NUM];
    for (int m = 0; m < M_NUM; m++)
        want[m] = strstr(B.modes, mode_names[m]) != NULL;
    printf(PROG ": nrt-cc-test (%s) vs OpenMPI (%s) vs memcpy; fp32, -b %s -e %s -f %s, %s iterations after %s "
                "warm-up; %ld CPUs\n",
           B.cct, B.mpi_cc[0] && strcmp(B.mpi_cc, "none") ? B.mpi_cc : "n/a", B.minb, B.maxb, B.factor, B.iters,
           B.warmup, B.ncpu);
    printf("mpirun: --oversubscribe, --bind-to core when the ranks fit the CPUs, else none%s; "
           "GB/s = 1e9 B/s\n",
           geteuid() == 0 ? ", --allow-run-as-root" : "");

    run_mismatch_check();
    char ops[64], ranks[64];
    snprintf(ops, sizeof ops, "%s", B.ops);
    int nrows = 0;
    bool mpi_any = false;
    for (char *s1 = NULL, *op = strtok_r(ops, ",", &s1); op; op = strtok_r(NULL, ",", &s1)) {
        snprintf(ranks, sizeof ranks, "%s", B.ranks);
        for (char *s2 = NULL, *rk = strtok_r(ranks, ",", &s2); rk; rk = strtok_r(NULL, ",", &s2)) {
            int r = atoi(rk);
            if (r < 1 || r > 64) {
                fprintf(stderr, PROG ": bad rank count '%s'\n", rk);
                return 2;
            }
            static series_t nrt[M_NUM], mpi;
            const series_t *ref = NULL;
            int most = 0;
            for (int m = 0; m < M_NUM; m++) {
                memset(&nrt[m], 0, sizeof nrt[m]);
                if (want[m])
                    run_nrt(op, r, m, &nrt[m]);
                if (!ref && nrt[m].n)
                    ref = &nrt[m];
                most = nrt[m].n > most ? nrt[m].n : most;
            }
            run_mpi(op, r, ref ? ref : &nrt[0], &mpi);
            mpi_any |= mpi.n > 0;
            nrows += most;
            report(op, r, nrt, &mpi);
        }
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", B.tmp);
    if (system(cmd) != 0)
        fprintf(stderr, PROG ": could not remove %s\n", B.tmp);
    double g[M_NUM + 1];
    for (int k = 0; k <= M_NUM; k++)
        g[k] = lg_n[k] ? exp(lg_sum[k] / lg_n[k]) : NAN;
    printf("\n" PROG " ok=%d rows=%d mpi=%s geomean_thr_vs_mpi=%.3f geomean_tcp_vs_mpi=%.3f "
           "geomean_shm_vs_mpi=%.3f geomean_thr_vs_memcpy=%.4f%s%s\n",
           B.errors == 0, nrows, mpi_any ? "measured" : "n/a", g[M_THR], g[M_TCP], g[M_SHM], g[M_NUM],
           B.errors ? " why=" : "", B.errors ? B.why : "");
    if (B.errors)
        return 1;
    if (B.skipped_not_yet) {
        printf(PROG ": skipped: the runtime's collectives are not available yet\n");
        return 77;
    }
    return 0;
}

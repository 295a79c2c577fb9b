/*
 * bench/mpi_cc.c - the OpenMPI peer of bench_cc: MPI_Allreduce,
 * MPI_Allgather and MPI_Reduce_scatter_block on fp32, timed exactly as
 * nrt-cc-test times its collectives, so that the two columns compare.
 *
 *   mpirun -np RANKS mpi_cc allr|allg|redsct SIZE[,SIZE...] ITERS WARMUP
 *
 * SIZE is the op's size in bytes as nrt-cc-test counts it: in = out for
 * allr; the gathered output for allg (each rank gives SIZE/RANKS); the
 * scattered input for redsct (each rank gets SIZE/RANKS). Per size: the
 * inputs are all ones, WARMUP untimed calls, MPI_Barrier, ITERS timed
 * calls one at a time; an iteration's time is the slowest rank's
 * (MPI_Reduce MAX over the per-iteration times); the result is checked
 * (exact: RANKS for the reductions, 1 for the gather). Rank 0 prints one
 * line per size:
 *
 *   mpi_cc op=allr ranks=2 size=4096 time_us=12.345 check=ok
 *
 * Exit status: 0, or 1 on a wrong result or bad arguments.
 */
#define _POSIX_C_SOURCE 200809L
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank = 0, n = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    if (argc != 5 || (strcmp(argv[1], "allr") && strcmp(argv[1], "allg") && strcmp(argv[1], "redsct"))) {
        if (rank == 0)
            fprintf(stderr, "usage: mpirun -np RANKS mpi_cc allr|allg|redsct SIZE[,SIZE...] ITERS WARMUP\n");
        MPI_Finalize();
        return 1;
    }
    const char *op = argv[1];
    long iters = atol(argv[3]), warmup = atol(argv[4]);
    if (iters < 1 || warmup < 0) {
        if (rank == 0)
            fprintf(stderr, "mpi_cc: ITERS must be >= 1 and WARMUP >= 0\n");
        MPI_Finalize();
        return 1;
    }
    size_t sizes[256];
    int nsizes = 0;
    for (char *save = NULL, *t = strtok_r(argv[2], ",", &save); t && nsizes < 256; t = strtok_r(NULL, ",", &save))
        sizes[nsizes++] = (size_t)strtoull(t, NULL, 10);
    qsort(sizes, (size_t)nsizes, sizeof sizes[0], cmp_size);

    int rc = 0;
    double *t = malloc((size_t)iters * sizeof *t), *tmax = malloc((size_t)iters * sizeof *tmax);
    for (int si = 0; si < nsizes && t && tmax; si++) {
        size_t unit = 4 * (strcmp(op, "allr") ? (size_t)n : 1);
        size_t size = sizes[si] / unit * unit;
        if (size == 0)
            size = unit;
        size_t cnt = size / 4; /* elements of the op's size */
        size_t in_cnt = !strcmp(op, "allg") ? cnt / (size_t)n : cnt;
        size_t out_cnt = !strcmp(op, "redsct") ? cnt / (size_t)n : cnt;
        float *in = malloc(in_cnt * 4), *out = malloc(out_cnt * 4);
        if (!in || !out) {
            fprintf(stderr, "mpi_cc: out of memory for %zu B\n", size);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        for (size_t j = 0; j < in_cnt; j++)
            in[j] = 1.0f;
        for (long k = -warmup; k < iters; k++) {
            if (k == 0)
                MPI_Barrier(MPI_COMM_WORLD);
            double t0 = MPI_Wtime();
            if (!strcmp(op, "allr"))
                MPI_Allreduce(in, out, (int)cnt, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            else if (!strcmp(op, "allg"))
                MPI_Allgather(in, (int)in_cnt, MPI_FLOAT, out, (int)in_cnt, MPI_FLOAT, MPI_COMM_WORLD);
            else
                MPI_Reduce_scatter_block(in, out, (int)out_cnt, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            if (k >= 0)
                t[k] = MPI_Wtime() - t0;
        }
        float want = !strcmp(op, "allg") ? 1.0f : (float)n;
        long bad = 0;
        for (size_t j = 0; j < out_cnt; j++)
            bad += out[j] != want;
        long bad_all = 0;
        MPI_Reduce(&bad, &bad_all, 1, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
        MPI_Reduce(t, tmax, (int)iters, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
        if (rank == 0) {
            double sum = 0;
            for (long k = 0; k < iters; k++)
                sum += tmax[k];
            printf("mpi_cc op=%s ranks=%d size=%zu time_us=%.3f check=%s\n", op, n, size, sum / (double)iters * 1e6,
                   bad_all ? "wrong" : "ok");
            fflush(stdout);
        }
        if (bad_all)
            rc = 1;
        free(in);
        free(out);
    }
    free(t);
    free(tmax);
    MPI_Finalize();
    return rc;
}

/*
 * bench/bench_pocl.c - the OpenCL peer of bench_async: the same figures
 * measured on the first OpenCL device (PoCL's CPU device here), so that
 * every OpenNRT number has a baseline from the same machine and run.
 *
 *   enqueue     clEnqueueWriteBuffer of 64 B, non-blocking, batches of 32
 *   round trip  that enqueue + clFinish, warm and cold
 *   pipeline    write 4 MiB -> y = 2x+1 kernel -> read 4 MiB; serial on an
 *               in-order queue (clFinish per iteration; event profiling
 *               gives the in-context stage times) and pipelined on an
 *               out-of-order queue with event dependencies over the same
 *               rotation of buffer sets as the OpenNRT pipeline
 *   idle        process CPU in a quiet second with the context alive
 */
#define _GNU_SOURCE
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

static const char *kernel_src =
    "__kernel void scale(__global const float *x, __global float *y)\n"
    "{\n"
    "    size_t i = get_global_id(0);\n"
    "    y[i] = 2.0f * x[i] + 1.0f;\n"
    "}\n";

#define CL_CHECK(expr)                                                                                 \
    do {                                                                                               \
        cl_int e_ = (expr);                                                                            \
        if (e_ != CL_SUCCESS) {                                                                        \
            fprintf(stderr, "bench_pocl: %s:%d: %s returned %d\n", __FILE__, __LINE__, #expr, (int)e_); \
            goto fail;                                                                                 \
        }                                                                                              \
    } while (0)

typedef struct {
    float *hin, *hout;
    cl_mem din, dout;
    cl_kernel k;
} cl_set_t;

static int rt_samples(cl_command_queue q, cl_mem b, const void *host, int n, uint64_t idle_ns, double *p50,
                      double *p99)
{
    double *v = calloc((size_t)n, sizeof *v);
    if (!v)
        return -1;
    for (int i = 0; i < n; i++) {
        if (idle_ns)
            bench_sleep_ns(idle_ns);
        uint64_t t0 = bench_now_ns();
        CL_CHECK(clEnqueueWriteBuffer(q, b, CL_FALSE, 0, 64, host, 0, NULL, NULL));
        CL_CHECK(clFinish(q));
        v[i] = (double)(bench_now_ns() - t0) / 1000.0;
    }
    *p50 = bench_quantile(v, (size_t)n, 0.5);
    *p99 = bench_quantile(v, (size_t)n, 0.99);
    free(v);
    return 0;
fail:
    free(v);
    return -1;
}

static cl_int enqueue_stage(cl_command_queue q, cl_set_t *s, int stage, cl_uint nwait, const cl_event *wait,
                            cl_event *ev)
{
    size_t gws = BENCH_PIPE_ELEMS;
    if (stage == 0)
        return clEnqueueWriteBuffer(q, s->din, CL_FALSE, 0, BENCH_PIPE_BYTES, s->hin, nwait, wait, ev);
    if (stage == 1)
        return clEnqueueNDRangeKernel(q, s->k, 1, NULL, &gws, NULL, nwait, wait, ev);
    return clEnqueueReadBuffer(q, s->dout, CL_FALSE, 0, BENCH_PIPE_BYTES, s->hout, nwait, wait, ev);
}

static bool check_out(cl_set_t *s, int k)
{
    bool ok = true;
    for (size_t j = 0; j < BENCH_PIPE_ELEMS; j += 997)
        if (s[k].hout[j] != 2.0f * bench_pipe_x(k, j) + 1.0f)
            ok = false;
    s[k].hout[0] = s[k].hout[BENCH_PIPE_ELEMS - 1] = -1.0f;
    return ok;
}

int bench_peer_run(const bench_opts_t *o, bench_peer_t *out)
{
    memset(out, 0, sizeof *out);
    cl_platform_id plat;
    cl_device_id dev;
    cl_uint n = 0;
    if (clGetPlatformIDs(1, &plat, &n) != CL_SUCCESS || n == 0) {
        snprintf(out->why, sizeof out->why, "no OpenCL platform (install pocl-opencl-icd)");
        return 0;
    }
    if (clGetDeviceIDs(plat, CL_DEVICE_TYPE_ALL, 1, &dev, &n) != CL_SUCCESS || n == 0) {
        snprintf(out->why, sizeof out->why, "no OpenCL device");
        return 0;
    }
    char pname[256] = "", dname[256] = "";
    clGetPlatformInfo(plat, CL_PLATFORM_VERSION, sizeof pname, pname, NULL);
    clGetDeviceInfo(dev, CL_DEVICE_NAME, sizeof dname, dname, NULL);
    snprintf(out->name, sizeof out->name, "%s / %s", pname, dname);

    int rc = -1;
    cl_int err;
    cl_context ctx = NULL;
    cl_command_queue qi = NULL, qo = NULL;
    cl_program prog = NULL;
    cl_mem small = NULL;
    cl_event *ev = NULL;
    int ns = o->pipe_sets, iters = o->pipe_iters;
    cl_set_t *s = calloc((size_t)ns, sizeof *s);
    double *per = calloc((size_t)o->sched_batches, sizeof *per);
    char host64[64] = {0};
    if (!s || !per)
        goto fail;

    ctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &err);
    CL_CHECK(err);
    qi = clCreateCommandQueue(ctx, dev, CL_QUEUE_PROFILING_ENABLE, &err);
    CL_CHECK(err);
    qo = clCreateCommandQueue(ctx, dev, CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE, &err);
    CL_CHECK(err);
    prog = clCreateProgramWithSource(ctx, 1, &kernel_src, NULL, &err);
    CL_CHECK(err);
    CL_CHECK(clBuildProgram(prog, 1, &dev, "", NULL, NULL));
    small = clCreateBuffer(ctx, CL_MEM_READ_WRITE, 64, NULL, &err);
    CL_CHECK(err);

    /* Enqueue cost. */
    for (int warm = 1; warm >= 0; warm--)
        for (int b = 0; b < o->sched_batches; b++) {
            uint64_t t0 = bench_now_ns();
            for (int j = 0; j < 32; j++)
                CL_CHECK(clEnqueueWriteBuffer(qi, small, CL_FALSE, 0, 64, host64, 0, NULL, NULL));
            per[b] = (double)(bench_now_ns() - t0) / 32;
            CL_CHECK(clFinish(qi));
        }
    out->enqueue_ns = bench_quantile(per, (size_t)o->sched_batches, 0.5);

    /* Round trips. */
    double dummy;
    if (rt_samples(qi, small, host64, 50, 0, &dummy, &dummy) ||
        rt_samples(qi, small, host64, o->rt_warm, 0, &out->rt_warm_p50_us, &out->rt_warm_p99_us) ||
        rt_samples(qi, small, host64, o->rt_cold, o->cold_idle_ns, &out->rt_cold_p50_us, &out->rt_cold_p99_us))
        goto fail;

    /* Pipeline sets. */
    for (int k = 0; k < ns; k++) {
        s[k].hin = malloc(BENCH_PIPE_BYTES);
        s[k].hout = calloc(1, BENCH_PIPE_BYTES);
        if (!s[k].hin || !s[k].hout)
            goto fail;
        for (size_t j = 0; j < BENCH_PIPE_ELEMS; j++)
            s[k].hin[j] = bench_pipe_x(k, j);
        s[k].din = clCreateBuffer(ctx, CL_MEM_READ_WRITE, BENCH_PIPE_BYTES, NULL, &err);
        CL_CHECK(err);
        s[k].dout = clCreateBuffer(ctx, CL_MEM_READ_WRITE, BENCH_PIPE_BYTES, NULL, &err);
        CL_CHECK(err);
        s[k].k = clCreateKernel(prog, "scale", &err);
        CL_CHECK(err);
        CL_CHECK(clSetKernelArg(s[k].k, 0, sizeof(cl_mem), &s[k].din));
        CL_CHECK(clSetKernelArg(s[k].k, 1, sizeof(cl_mem), &s[k].dout));
        /* Touch everything once (allocation, kernel compilation). */
        for (int stage = 0; stage < 3; stage++)
            CL_CHECK(enqueue_stage(qi, &s[k], stage, 0, NULL, NULL));
        CL_CHECK(clFinish(qi));
    }

    ev = calloc((size_t)iters * 3, sizeof *ev);
    if (!ev)
        goto fail;
    bool ok = true;
    enum { MAXR = 64 };
    double vs[MAXR], vp[MAXR], vb[MAXR], vib[MAXR], ve[MAXR], vst[3][MAXR], vis[3][MAXR];
    int runs = o->pipe_runs < MAXR ? o->pipe_runs : MAXR;
    for (int r = 0; r < runs; r++) {
        /* Standalone stages on the in-order queue (median of 3), measured
         * next to the pipelines as in bench_async.c. */
        double st[3];
        for (int stage = 0; stage < 3; stage++) {
            double t3[3];
            for (int run = 0; run < 3; run++) {
                uint64_t t0 = bench_now_ns();
                for (int i = 0; i < o->stage_reps; i++)
                    CL_CHECK(enqueue_stage(qi, &s[i % ns], stage, 0, NULL, NULL));
                CL_CHECK(clFinish(qi));
                t3[run] = (double)(bench_now_ns() - t0) * 1e-9 / o->stage_reps;
            }
            st[stage] = bench_quantile(t3, 3, 0.5);
            vis[stage][r] = st[stage] * 1e3;
        }
        vib[r] = bench_bound_its(st, o->cores);

        /* Serial: one iteration at a time; each command's own run time
         * (profiling start..end) gives the in-context stage times. */
        double ctx[3] = {0, 0, 0};
        uint64_t t0 = bench_now_ns();
        for (int i = 0; i < iters; i++) {
            cl_set_t *c = &s[i % ns];
            cl_event e3[3];
            for (int stage = 0; stage < 3; stage++)
                CL_CHECK(enqueue_stage(qi, c, stage, 0, NULL, &e3[stage]));
            CL_CHECK(clFinish(qi));
            for (int stage = 0; stage < 3; stage++) {
                cl_ulong a = 0, b = 0;
                clGetEventProfilingInfo(e3[stage], CL_PROFILING_COMMAND_START, sizeof a, &a, NULL);
                clGetEventProfilingInfo(e3[stage], CL_PROFILING_COMMAND_END, sizeof b, &b, NULL);
                ctx[stage] += (double)(b - a) * 1e-9 / iters;
                clReleaseEvent(e3[stage]);
            }
        }
        vs[r] = iters / ((double)(bench_now_ns() - t0) * 1e-9);
        for (int stage = 0; stage < 3; stage++)
            vst[stage][r] = ctx[stage] * 1e3;
        vb[r] = bench_bound_its(ctx, o->cores);
        for (int k = 0; k < ns && k < iters; k++)
            ok &= check_out(s, k);

        /* Pipelined: the same dependencies as the OpenNRT pipeline, given
         * to the runtime as events. */
        t0 = bench_now_ns();
        for (int i = 0; i < iters; i++) {
            cl_set_t *c = &s[i % ns];
            cl_event *w = &ev[3 * i], *x = w + 1, *rd = w + 2;
            cl_event wl[2];
            cl_uint nw = 0;
            if (i >= ns)
                wl[nw++] = ev[3 * (i - ns) + 1]; /* exec i-ns read our input */
            CL_CHECK(enqueue_stage(qo, c, 0, nw, nw ? wl : NULL, w));
            nw = 0;
            wl[nw++] = *w;
            if (i >= ns)
                wl[nw++] = ev[3 * (i - ns) + 2]; /* read i-ns took our output */
            CL_CHECK(enqueue_stage(qo, c, 1, nw, wl, x));
            CL_CHECK(enqueue_stage(qo, c, 2, 1, x, rd));
            CL_CHECK(clFlush(qo));
        }
        CL_CHECK(clFinish(qo));
        vp[r] = iters / ((double)(bench_now_ns() - t0) * 1e-9);
        ve[r] = vp[r] / vb[r];
        for (int i = 0; i < 3 * iters; i++)
            clReleaseEvent(ev[i]);
        memset(ev, 0, (size_t)iters * 3 * sizeof *ev);
        for (int k = 0; k < ns && k < iters; k++)
            ok &= check_out(s, k);
    }
    out->serial_its = bench_quantile(vs, (size_t)runs, 0.5);
    out->pipe_its = bench_quantile(vp, (size_t)runs, 0.5);
    out->bound_its = bench_quantile(vb, (size_t)runs, 0.5);
    out->iso_bound_its = bench_quantile(vib, (size_t)runs, 0.5);
    out->eff = bench_quantile(ve, (size_t)runs, 0.5);
    for (int i = 0; i < 3; i++) {
        out->stage_ms[i] = bench_quantile(vst[i], (size_t)runs, 0.5);
        out->iso_ms[i] = bench_quantile(vis[i], (size_t)runs, 0.5);
    }
    out->pipe_ok = ok;

    /* Idle: the context and its worker threads stay alive. */
    bench_sleep_ns(100000000ull);
    double c0 = bench_cpu_s();
    uint64_t t0 = bench_now_ns();
    bench_sleep_ns((uint64_t)(o->idle_s * 1e9));
    out->idle_pct = 100.0 * (bench_cpu_s() - c0) / ((double)(bench_now_ns() - t0) * 1e-9);
    out->available = true;
    rc = 0;
fail:
    if (ev) {
        for (int i = 0; i < 3 * iters; i++)
            if (ev[i])
                clReleaseEvent(ev[i]);
        free(ev);
    }
    if (s) {
        for (int k = 0; k < ns; k++) {
            if (s[k].k)
                clReleaseKernel(s[k].k);
            if (s[k].din)
                clReleaseMemObject(s[k].din);
            if (s[k].dout)
                clReleaseMemObject(s[k].dout);
            free(s[k].hin);
            free(s[k].hout);
        }
        free(s);
    }
    free(per);
    if (small)
        clReleaseMemObject(small);
    if (prog)
        clReleaseProgram(prog);
    if (qo)
        clReleaseCommandQueue(qo);
    if (qi)
        clReleaseCommandQueue(qi);
    if (ctx)
        clReleaseContext(ctx);
    return rc;
}

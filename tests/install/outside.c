/*
 * tests/install/outside.c - a program outside the project, built against an
 * installed OpenNRT (pkg-config or find_package(OpenNRT)) by
 * test_install.sh: it includes <nrt/...> from the installed include
 * directory, links the installed libnrt.so, loads the installed example
 * model vadd.so and checks c = a + b.
 * Usage: outside MODELDIR/vadd.so     exit 0 ok, 1 failure
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nrt/nrt.h>
#include <nrt/nrt_experimental.h>
#include <nrt/nrt_version.h>

#define N_ELEMS (1u << 20) /* vadd: a, b, c are float32[1048576] */

static int fail(const char *what, NRT_STATUS st)
{
    fprintf(stderr, "outside: %s: %s\n", what, nrt_get_status_as_str(st));
    return 1;
}

static void *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    void *buf = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n);
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: outside MODEL.so\n");
        return 1;
    }
    size_t size;
    void *bytes = read_file(argv[1], &size);
    if (!bytes) {
        fprintf(stderr, "outside: cannot read %s\n", argv[1]);
        return 1;
    }
    NRT_STATUS st = nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", "");
    if (st != NRT_SUCCESS)
        return fail("nrt_init", st);

    int rc = 1;
    nrt_model_t *model = NULL;
    nrt_tensor_t *a = NULL, *b = NULL, *c = NULL;
    nrt_tensor_set_t *in = NULL, *out = NULL;
    float *ha = malloc(N_ELEMS * sizeof(float)), *hb = malloc(N_ELEMS * sizeof(float)),
          *hc = malloc(N_ELEMS * sizeof(float));
    if (!ha || !hb || !hc)
        goto done;
    for (unsigned i = 0; i < N_ELEMS; i++) {
        ha[i] = (float)i;
        hb[i] = 0.5f * (float)(i % 1000);
    }
    if ((st = nrt_load(bytes, size, 0, 1, &model)) != NRT_SUCCESS) {
        fail("nrt_load", st);
        goto done;
    }
    size_t bytes_each = N_ELEMS * sizeof(float);
    if ((st = nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, bytes_each, "a", &a)) != NRT_SUCCESS ||
        (st = nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, bytes_each, "b", &b)) != NRT_SUCCESS ||
        (st = nrt_tensor_allocate(NRT_TENSOR_PLACEMENT_DEVICE, 0, bytes_each, "c", &c)) != NRT_SUCCESS ||
        (st = nrt_allocate_tensor_set(&in)) != NRT_SUCCESS || (st = nrt_allocate_tensor_set(&out)) != NRT_SUCCESS ||
        (st = nrt_add_tensor_to_tensor_set(in, "a", a)) != NRT_SUCCESS ||
        (st = nrt_add_tensor_to_tensor_set(in, "b", b)) != NRT_SUCCESS ||
        (st = nrt_add_tensor_to_tensor_set(out, "c", c)) != NRT_SUCCESS ||
        (st = nrt_tensor_write(a, ha, 0, bytes_each)) != NRT_SUCCESS ||
        (st = nrt_tensor_write(b, hb, 0, bytes_each)) != NRT_SUCCESS ||
        (st = nrt_execute(model, in, out)) != NRT_SUCCESS || (st = nrt_tensor_read(c, hc, 0, bytes_each)) != NRT_SUCCESS) {
        fail("setup or execution", st);
        goto done;
    }
    for (unsigned i = 0; i < N_ELEMS; i++) {
        if (hc[i] != ha[i] + hb[i]) {
            fprintf(stderr, "outside: c[%u] = %g, expected %g\n", i, (double)hc[i], (double)(ha[i] + hb[i]));
            goto done;
        }
    }
    nrt_version_t ver;
    if ((st = nrt_get_version(&ver, sizeof ver)) != NRT_SUCCESS) {
        fail("nrt_get_version", st);
        goto done;
    }
    printf("outside: vadd ok on %u elements; %s\n", N_ELEMS, ver.rt_detail);
    rc = 0;
done:
    nrt_destroy_tensor_set(&in);
    nrt_destroy_tensor_set(&out);
    nrt_tensor_free(&a);
    nrt_tensor_free(&b);
    nrt_tensor_free(&c);
    if (model)
        nrt_unload(model);
    nrt_close();
    free(ha);
    free(hb);
    free(hc);
    free(bytes);
    return rc;
}

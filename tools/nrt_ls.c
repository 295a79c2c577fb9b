/*
 * tools/nrt_ls.c - nrt-ls: lists the logical cores this process would see
 * (after NEURON_RT_VISIBLE_CORES / NEURON_RT_NUM_CORES), each with its
 * physical id, memory use and limit and its execution units, plus the
 * runtime version and settings. --json prints the same for scripts.
 * --params-md prints the settings table of README.md and docs/CONFIG.md.
 *
 * It initializes the runtime exactly as an application would, so a bad
 * environment fails here the same way (with the runtime's own message)
 * and nrt-ls exits non-zero. Which variables exist, and what they hold,
 * comes from the runtime's own settings table (nrtx_param_get), so this
 * file never lists them.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "nrt/nrt.h"
#include "nrt/nrt_async.h"
#include "nrt/nrt_ext.h"

#define MAX_CORES 256

static const char *const unit_names[NRTA_XU_TYPE_NUM] = {"TENSOR_READ", "TENSOR_WRITE", "TENSOR_OP", "COMPUTE",
                                                         "COLLECTIVES"};
static const char *const unit_short[NRTA_XU_TYPE_NUM] = {"read", "write", "op", "compute", "coll"};
static const char *const level_names[] = {"OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"};

/* The runtime's settings table (nrtx_param_get), in its order. */
typedef struct {
    nrtx_param_t *p; /* calloc'd, n entries */
    uint32_t n;
} params_t;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nrt-ls [--json | --params-md] [--help]\n"
            "\n"
            "Lists the logical cores the OpenNRT runtime sees (honouring NEURON_RT_VISIBLE_CORES\n"
            "and NEURON_RT_NUM_CORES), with memory use and limit and the execution units of each,\n"
            "and prints the runtime version and settings.\n"
            "\n"
            "  --json       machine-readable output (one JSON object on stdout)\n"
            "  --params-md  print the table of environment settings as Markdown (the one in\n"
            "               README.md and docs/CONFIG.md) without starting the runtime\n"
            "  --help       this text\n"
            "\n"
            "Exit status: 0 on success, 1 when the runtime cannot initialize (e.g. a bad\n"
            "NEURON_RT_VISIBLE_CORES), 2 on a usage error.\n");
}

/* Reads the settings table into |ps| (the caller frees ps->p); with the
 * runtime running, each entry carries the value in force. */
static NRT_STATUS read_params(params_t *ps)
{
    uint32_t n = 0;
    NRT_STATUS st = nrtx_param_count(&n);
    ps->n = 0;
    if (st != NRT_SUCCESS)
        return st;
    ps->p = calloc(n ? n : 1, sizeof *ps->p);
    if (!ps->p)
        return NRT_FAIL_HOST_MEM_ALLOC;
    for (uint32_t i = 0; i < n && st == NRT_SUCCESS; i++)
        if ((st = nrtx_param_get(i, &ps->p[i])) == NRT_SUCCESS)
            ps->n = i + 1;
    return st;
}

/* Writes |s| with '|' escaped, so it stays inside one Markdown cell. */
static void md_cell(const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            putchar('\\');
        putchar(*s);
    }
}

/* The table README.md and docs/CONFIG.md hold between their
 * <!-- params:begin --> and <!-- params:end --> markers
 * (scripts/params_md.sh; the tools_params_md test compares them). It
 * depends on the table only, never on the environment. */
static void print_params_md(const params_t *ps)
{
    printf("| variable | type | range | default | meaning |\n");
    printf("|---|---|---|---|---|\n");
    for (uint32_t i = 0; i < ps->n; i++) {
        const nrtx_param_t *p = &ps->p[i];
        printf("| `%s` | %s | ", p->name, p->type_name);
        md_cell(p->range[0] ? p->range : "-");
        printf(" | ");
        md_cell(p->def);
        printf(" | ");
        md_cell(p->doc);
        printf(" |\n");
    }
}

/* "300 ms", "30 s", "disabled". */
static const char *human_ms(uint64_t ms, char *buf, size_t cap)
{
    if (ms == 0)
        snprintf(buf, cap, "disabled");
    else if (ms % 1000 == 0)
        snprintf(buf, cap, "%" PRIu64 " s", ms / 1000);
    else
        snprintf(buf, cap, "%" PRIu64 " ms", ms);
    return buf;
}

/* "16.0 GiB"-style sizes for people. */
static const char *human_bytes(uint64_t v, char *buf, size_t cap)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double d = (double)v;
    unsigned u = 0;
    while (d >= 1024.0 && u < 4) {
        d /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, cap, "%" PRIu64 " B", v);
    else
        snprintf(buf, cap, "%.1f %s", d, units[u]);
    return buf;
}

typedef struct {
    uint32_t id, phys;
    nrt_vnc_memory_stats_t mem;
    bool degraded[NRTA_XU_TYPE_NUM];
} core_info_t;

static const char *level_name(int level)
{
    return level >= 0 && level <= 5 ? level_names[level] : "?";
}

static void print_text(const nrtx_config_t *cfg, const params_t *ps, const nrt_instance_info_t *inst,
                       uint32_t total, const core_info_t *cores, uint32_t n)
{
    char a[32], b[32];
    printf("OpenNRT %s (Neuron Runtime API %d.%d), arch %s, revision %s\n", nrtx_version(), NRT_MAJOR_VERSION,
           NRT_MINOR_VERSION, inst->arch_name, inst->device_revision);
    printf("%u of %u logical cores visible\n", n, total);
    bool any_env = false;
    for (uint32_t i = 0; i < ps->n; i++) {
        if (ps->p[i].set) {
            printf("%s%s=%s", any_env ? " " : "environment: ", ps->p[i].name, getenv(ps->p[i].name));
            any_env = true;
        }
    }
    if (any_env)
        printf("\n");
    printf("\nsettings:\n");
    printf("  queues per unit   ");
    for (unsigned xu = 0; xu < NRTA_XU_TYPE_NUM; xu++)
        printf("%s%s %u", xu ? ", " : "", unit_names[xu], cfg->queues[xu]);
    printf("\n");
    printf("  queue depth       %u requests\n", cfg->queue_depth);
    printf("  memory limit      %s per core\n", human_bytes(cfg->mem_limit, a, sizeof a));
    printf("  worker spin       %" PRIu64 " us\n", cfg->spin_ns / 1000);
    printf("  workers           %u threads\n", cfg->workers);
    printf("  exec timeout      %s\n", human_ms(cfg->exec_timeout_ms, a, sizeof a));
    printf("  NaN check         %s\n", cfg->nan_check ? "on" : "off");
    printf("  log level         %s\n", level_name(cfg->log_level));
    printf("\nenvironment settings (value in force; see docs/CONFIG.md):\n");
    for (uint32_t i = 0; i < ps->n; i++) {
        const nrtx_param_t *p = &ps->p[i];
        const char *v = !p->library ? "-" : p->value[0] ? p->value : "unset";
        printf("  %-24s %-10s %s%s%s\n", p->name, v, p->set ? "set, " : "", p->library ? "default " : "",
               p->library ? p->def : "read by the example models only");
    }
    printf("\n%4s %5s  %-24s %s\n", "core", "phys", "memory used / limit", "units (queues x depth)");
    for (uint32_t i = 0; i < n; i++) {
        char mem[96];
        snprintf(mem, sizeof mem, "%s / %s", human_bytes(cores[i].mem.bytes_used, a, sizeof a),
                 human_bytes(cores[i].mem.bytes_limit, b, sizeof b));
        printf("%4u %5u  %-24s", cores[i].id, cores[i].phys, mem);
        for (unsigned xu = 0; xu < NRTA_XU_TYPE_NUM; xu++)
            printf(" %s %ux%u%s", unit_short[xu], cfg->queues[xu], cfg->queue_depth,
                   cores[i].degraded[xu] ? " (DEGRADED)" : "");
        printf("\n");
    }
}

static void print_json(const nrtx_config_t *cfg, const params_t *ps, const nrt_instance_info_t *inst,
                       uint32_t total, const core_info_t *cores, uint32_t n)
{
    printf("{\"version\":");
    json_write_string(stdout, nrtx_version());
    printf(",\"api_version\":\"%d.%d\",\"arch\":", NRT_MAJOR_VERSION, NRT_MINOR_VERSION);
    json_write_string(stdout, inst->arch_name);
    printf(",\"device_revision\":");
    json_write_string(stdout, inst->device_revision);
    printf(",\"total_cores\":%u,\"visible_cores\":%u,\"environment\":{", total, n);
    bool first = true;
    for (uint32_t i = 0; i < ps->n; i++) {
        if (!ps->p[i].set)
            continue;
        printf("%s\"%s\":", first ? "" : ",", ps->p[i].name);
        json_write_string(stdout, getenv(ps->p[i].name));
        first = false;
    }
    printf("},\"config\":{\"num_cores\":%u,\"queues\":{", cfg->num_cores);
    for (unsigned xu = 0; xu < NRTA_XU_TYPE_NUM; xu++)
        printf("%s\"%s\":%u", xu ? "," : "", unit_names[xu], cfg->queues[xu]);
    printf("},\"queue_depth\":%u,\"mem_limit\":%" PRIu64 ",\"spin_ns\":%" PRIu64
           ",\"workers\":%u,\"exec_timeout_s\":%u,\"exec_timeout_ms\":%" PRIu64
           ",\"nan_check\":%s,\"log_level\":\"%s\"},\"params\":{",
           cfg->queue_depth, cfg->mem_limit, cfg->spin_ns, cfg->workers, cfg->exec_timeout_s, cfg->exec_timeout_ms,
           cfg->nan_check ? "true" : "false", level_name(cfg->log_level));
    /* Every value is a string in the variable's own syntax; null where
     * the library does not read the variable. */
    for (uint32_t i = 0; i < ps->n; i++) {
        const nrtx_param_t *p = &ps->p[i];
        printf("%s\"%s\":{\"type\":", i ? "," : "", p->name);
        json_write_string(stdout, p->type_name);
        printf(",\"range\":");
        json_write_string(stdout, p->range);
        printf(",\"default\":");
        json_write_string(stdout, p->def);
        printf(",\"value\":");
        if (p->library)
            json_write_string(stdout, p->value);
        else
            printf("null");
        printf(",\"set\":%s}", p->set ? "true" : "false");
    }
    printf("},\"cores\":[");
    for (uint32_t i = 0; i < n; i++) {
        printf("%s{\"id\":%u,\"physical_id\":%u,\"memory\":{\"used\":%zu,\"limit\":%zu},\"units\":[", i ? "," : "",
               cores[i].id, cores[i].phys, cores[i].mem.bytes_used, cores[i].mem.bytes_limit);
        for (unsigned xu = 0; xu < NRTA_XU_TYPE_NUM; xu++)
            printf("%s{\"name\":\"%s\",\"queues\":%u,\"depth\":%u,\"degraded\":%s}", xu ? "," : "", unit_names[xu],
                   cfg->queues[xu], cfg->queue_depth, cores[i].degraded[xu] ? "true" : "false");
        printf("]}");
    }
    printf("]}\n");
}

/* One error line on stderr; with --json also the error object on stdout
 * (json_write_error), so scripts always get JSON. */
static bool json_errors;

static void ls_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void ls_error(const char *fmt, ...)
{
    char m[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    fprintf(stderr, "nrt-ls: %s\n", m);
    if (json_errors)
        json_write_error(stdout, "nrt-ls", m);
}

int main(int argc, char **argv)
{
    bool json = false, params_md = false;
    params_t params = {NULL, 0};
    json_errors = json_flag_given(argc, argv);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--params-md") == 0) {
            params_md = true;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            ls_error("unknown argument '%s' (try --help)", argv[i]);
            return 2;
        }
    }
    if (json && params_md) {
        ls_error("--json and --params-md exclude each other (try --help)");
        return 2;
    }
    if (params_md) {
        NRT_STATUS st = read_params(&params);
        if (st == NRT_SUCCESS)
            print_params_md(&params);
        else
            ls_error("cannot read the settings table: %s", nrt_get_status_as_str(st));
        free(params.p);
        return st == NRT_SUCCESS && fflush(stdout) == 0 ? 0 : 1;
    }

    uint32_t total = 0;
    NRT_STATUS st = nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", "");
    if (st != NRT_SUCCESS) {
        const char *vis = getenv("NEURON_RT_VISIBLE_CORES"), *num = getenv("NEURON_RT_NUM_CORES");
        ls_error("the runtime failed to initialize (%s); check NEURON_RT_VISIBLE_CORES='%s', "
                 "NEURON_RT_NUM_CORES='%s' and the OPENNRT_* settings",
                 nrt_get_status_as_str(st), vis ? vis : "", num ? num : "");
        return 1;
    }

    int rc = 0;
    nrtx_config_t cfg;
    nrt_instance_info_t inst;
    uint32_t phys[MAX_CORES], n = 0;
    core_info_t *cores = NULL;
    if ((st = nrtx_get_config(&cfg)) != NRT_SUCCESS ||
        (st = nrt_get_instance_info(&inst, sizeof inst)) != NRT_SUCCESS ||
        (st = nrt_get_total_vnc_count(&total)) != NRT_SUCCESS ||
        (st = nrtx_get_visible_cores(phys, MAX_CORES, &n)) != NRT_SUCCESS ||
        (st = read_params(&params)) != NRT_SUCCESS) {
        ls_error("cannot query the runtime: %s", nrt_get_status_as_str(st));
        rc = 1;
        goto out;
    }
    if (n > MAX_CORES)
        n = MAX_CORES;
    cores = calloc(n ? n : 1, sizeof *cores);
    if (!cores) {
        ls_error("out of memory");
        rc = 1;
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        cores[i].id = i;
        cores[i].phys = phys[i];
        st = nrt_get_vnc_memory_stats(i, &cores[i].mem, sizeof cores[i].mem, NULL);
        for (unsigned xu = 0; xu < NRTA_XU_TYPE_NUM && st == NRT_SUCCESS; xu++) {
            nrtx_queue_stats_t qs;
            st = nrtx_get_queue_stats(i, (nrta_xu_t)xu, 0, &qs);
            cores[i].degraded[xu] = qs.degraded;
        }
        if (st != NRT_SUCCESS) {
            ls_error("cannot query core %u: %s", i, nrt_get_status_as_str(st));
            rc = 1;
            goto out;
        }
    }
    if (json)
        print_json(&cfg, &params, &inst, total, cores, n);
    else
        print_text(&cfg, &params, &inst, total, cores, n);
    if (fflush(stdout) != 0) {
        ls_error("error writing the output");
        rc = 1;
    }
out:
    free(cores);
    free(params.p);
    nrt_close();
    return rc;
}

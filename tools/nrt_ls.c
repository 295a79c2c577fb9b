/*
 * tools/nrt_ls.c - nrt-ls: lists the logical cores this process would see
 * (after NEURON_RT_VISIBLE_CORES / NEURON_RT_NUM_CORES), each with its
 * physical id, memory use and limit and its execution units, plus the
 * runtime version and settings. --json prints the same for scripts.
 *
 * It initializes the runtime exactly as an application would, so a bad
 * environment fails here the same way (with the runtime's own message)
 * and nrt-ls exits non-zero.
 */
#define _GNU_SOURCE
#include <inttypes.h>
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

/* The environment that decides what the runtime sees; shown when set. */
static const char *const env_names[] = {
    "NEURON_RT_VISIBLE_CORES", "NEURON_RT_NUM_CORES", "OPENNRT_TOTAL_CORES", "OPENNRT_QUEUES",
    "OPENNRT_QUEUE_DEPTH",     "OPENNRT_MEM_LIMIT",   "OPENNRT_SPIN_US",     "OPENNRT_NAN_CHECK",
    "NEURON_RT_EXEC_TIMEOUT",  "OPENNRT_EXEC_TIMEOUT_MS", "NEURON_RT_LOG_LEVEL", "OPENNRT_TRACE",
    "OPENNRT_FAULT",
};
#define NUM_ENV (sizeof env_names / sizeof env_names[0])

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nrt-ls [--json] [--help]\n"
            "\n"
            "Lists the logical cores the OpenNRT runtime sees (honouring NEURON_RT_VISIBLE_CORES\n"
            "and NEURON_RT_NUM_CORES), with memory use and limit and the execution units of each,\n"
            "and prints the runtime version and settings.\n"
            "\n"
            "  --json   machine-readable output (one JSON object on stdout)\n"
            "  --help   this text\n"
            "\n"
            "Exit status: 0 on success, 1 when the runtime cannot initialize (e.g. a bad\n"
            "NEURON_RT_VISIBLE_CORES), 2 on a usage error.\n");
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

static void print_text(const nrtx_config_t *cfg, const nrt_instance_info_t *inst, uint32_t total,
                       const core_info_t *cores, uint32_t n)
{
    char a[32], b[32];
    printf("OpenNRT %s (Neuron Runtime API %d.%d), arch %s, revision %s\n", nrtx_version(), NRT_MAJOR_VERSION,
           NRT_MINOR_VERSION, inst->arch_name, inst->device_revision);
    printf("%u of %u logical cores visible\n", n, total);
    bool any_env = false;
    for (size_t i = 0; i < NUM_ENV; i++) {
        const char *v = getenv(env_names[i]);
        if (v && *v) {
            printf("%s%s=%s", any_env ? " " : "environment: ", env_names[i], v);
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
    printf("  exec timeout      %u s\n", cfg->exec_timeout_s);
    printf("  NaN check         %s\n", cfg->nan_check ? "on" : "off");
    printf("  log level         %s\n", level_name(cfg->log_level));
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

static void print_json(const nrtx_config_t *cfg, const nrt_instance_info_t *inst, uint32_t total,
                       const core_info_t *cores, uint32_t n)
{
    printf("{\"version\":");
    json_write_string(stdout, nrtx_version());
    printf(",\"api_version\":\"%d.%d\",\"arch\":", NRT_MAJOR_VERSION, NRT_MINOR_VERSION);
    json_write_string(stdout, inst->arch_name);
    printf(",\"device_revision\":");
    json_write_string(stdout, inst->device_revision);
    printf(",\"total_cores\":%u,\"visible_cores\":%u,\"environment\":{", total, n);
    bool first = true;
    for (size_t i = 0; i < NUM_ENV; i++) {
        const char *v = getenv(env_names[i]);
        if (!v || !*v)
            continue;
        printf("%s\"%s\":", first ? "" : ",", env_names[i]);
        json_write_string(stdout, v);
        first = false;
    }
    printf("},\"config\":{\"num_cores\":%u,\"queues\":{", cfg->num_cores);
    for (unsigned xu = 0; xu < NRTA_XU_TYPE_NUM; xu++)
        printf("%s\"%s\":%u", xu ? "," : "", unit_names[xu], cfg->queues[xu]);
    printf("},\"queue_depth\":%u,\"mem_limit\":%" PRIu64 ",\"spin_ns\":%" PRIu64
           ",\"exec_timeout_s\":%u,\"nan_check\":%s,\"log_level\":\"%s\"},\"cores\":[",
           cfg->queue_depth, cfg->mem_limit, cfg->spin_ns, cfg->exec_timeout_s, cfg->nan_check ? "true" : "false",
           level_name(cfg->log_level));
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

int main(int argc, char **argv)
{
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "nrt-ls: unknown argument '%s' (try --help)\n", argv[i]);
            return 2;
        }
    }

    uint32_t total = 0;
    NRT_STATUS st = nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, "", "");
    if (st != NRT_SUCCESS) {
        const char *vis = getenv("NEURON_RT_VISIBLE_CORES"), *num = getenv("NEURON_RT_NUM_CORES");
        fprintf(stderr,
                "nrt-ls: the runtime failed to initialize (%s); check NEURON_RT_VISIBLE_CORES='%s', "
                "NEURON_RT_NUM_CORES='%s' and the OPENNRT_* settings\n",
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
        (st = nrtx_get_visible_cores(phys, MAX_CORES, &n)) != NRT_SUCCESS) {
        fprintf(stderr, "nrt-ls: cannot query the runtime: %s\n", nrt_get_status_as_str(st));
        rc = 1;
        goto out;
    }
    if (n > MAX_CORES)
        n = MAX_CORES;
    cores = calloc(n ? n : 1, sizeof *cores);
    if (!cores) {
        fprintf(stderr, "nrt-ls: out of memory\n");
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
            fprintf(stderr, "nrt-ls: cannot query core %u: %s\n", i, nrt_get_status_as_str(st));
            rc = 1;
            goto out;
        }
    }
    if (json)
        print_json(&cfg, &inst, total, cores, n);
    else
        print_text(&cfg, &inst, total, cores, n);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "nrt-ls: error writing the output\n");
        rc = 1;
    }
out:
    free(cores);
    nrt_close();
    return rc;
}

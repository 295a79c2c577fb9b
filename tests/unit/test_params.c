/*
 * tests/unit/test_params.c - the settings table (src/core/params.h) and
 * what it generates: the table itself is well formed, the reader parses
 * and range-checks every entry with one log line per bad value, nrt_init
 * turns it into nrtx_config_t (exec timeout, workers, depth rounding),
 * nrtx_param_get reports each value in force, and an unknown OPENNRT_*
 * variable gets one warning naming the closest known one.
 */
#include "harness.h"

#include "core/params.h"
#include "nrt/nrt_ext.h"

/* Removes every table variable and any other OPENNRT_* one (CTest sets
 * some), so each test starts from the defaults. */
static void clean_env(void)
{
    for (size_t i = 0; i < NRT__P_COUNT; i++)
        unsetenv(nrt__params[i].name);
    for (;;) {
        char name[256] = "";
        for (char **e = environ; *e; e++) {
            if (strncmp(*e, "OPENNRT_", 8) == 0) {
                size_t n = strcspn(*e, "=");
                ASSERT_TRUE(n < sizeof name);
                memcpy(name, *e, n);
                name[n] = '\0';
                break;
            }
        }
        if (!name[0])
            break;
        unsetenv(name); /* not while walking environ: it changes it */
    }
}

static void set_log_level(const char *level)
{
    setenv("NEURON_RT_LOG_LEVEL", level, 1);
    nrt__log_configure();
}

static bool contains(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

#define ASSERT_CONTAINS(hay, needle)                                                                   \
    do {                                                                                               \
        if (!contains((hay), (needle))) {                                                              \
            fprintf(stderr, "%s:%d: '%s' not found in:\n%s\n", __FILE__, __LINE__, (needle), (hay));   \
            abort();                                                                                   \
        }                                                                                              \
    } while (0)

/*===------------------------------------------------------------------===*/
/* The table                                                              */
/*===------------------------------------------------------------------===*/

static void test_table(void)
{
    uint32_t count = 0;
    ASSERT_OK(nrtx_param_count(&count));
    ASSERT_EQ_U64(count, NRT__P_COUNT);
    for (size_t i = 0; i < NRT__P_COUNT; i++) {
        const nrt__param_def_t *p = &nrt__params[i];
        ASSERT_TRUE(strncmp(p->name, "OPENNRT_", 8) == 0 || strncmp(p->name, "NEURON_RT_", 10) == 0);
        ASSERT_TRUE(nrt__param_find(p->name) == p); /* names are unique */
        ASSERT_TRUE(p->min <= p->max);
        ASSERT_TRUE(p->def && p->def[0]);
        /* One Markdown table cell: no '|', no line break, starts lower case. */
        ASSERT_TRUE(p->doc && p->doc[0] && !strchr(p->doc, '|') && !strchr(p->doc, '\n'));
        /* The reader handles numbers and strings; core lists and log
         * levels have their own readers. */
        if (p->reader == NRT__PARAM_BY_CONFIG)
            ASSERT_TRUE(p->type == NRTX_PARAM_INT || p->type == NRTX_PARAM_SIZE || p->type == NRTX_PARAM_STRING);
        /* Every default the reader stores is a valid value. */
        if ((p->reader == NRT__PARAM_BY_CONFIG && p->type != NRTX_PARAM_STRING) ||
            i == NRT__P_OPENNRT_TOTAL_CORES) {
            uint64_t v = 0;
            if (!nrt__param_parse(p, p->def, &v)) {
                fprintf(stderr, "%s: default '%s' is not a valid value\n", p->name, p->def);
                abort();
            }
        }
    }
    ASSERT_TRUE(nrt__param_find("OPENNRT_NOPE") == NULL);
    ASSERT_TRUE(nrt__param_find("OPENNRT_QUEUE") == NULL); /* exact names only */

    /* The public view matches the table. */
    for (uint32_t i = 0; i < count; i++) {
        nrtx_param_t p;
        memset(&p, 0xab, sizeof p);
        ASSERT_OK(nrtx_param_get(i, &p));
        ASSERT_TRUE(strcmp(p.name, nrt__params[i].name) == 0);
        ASSERT_EQ_U64(p.type, nrt__params[i].type);
        ASSERT_EQ_U64(p.min, nrt__params[i].min);
        ASSERT_EQ_U64(p.max, nrt__params[i].max);
        ASSERT_TRUE(p.def == nrt__params[i].def && p.doc == nrt__params[i].doc);
        ASSERT_TRUE(p.type_name && p.type_name[0]);
        ASSERT_TRUE(p.type == NRTX_PARAM_STRING ? p.range[0] == '\0' : p.range[0] != '\0');
        ASSERT_TRUE(!p.set || i == NRT__P_NEURON_RT_LOG_LEVEL); /* clean_env */
        ASSERT_TRUE(p.value[0] == '\0');    /* not running */
        ASSERT_TRUE(p.library == (nrt__params[i].reader != NRT__PARAM_BY_MODEL));
    }
    nrtx_param_t p;
    ASSERT_OK(nrtx_param_get(NRT__P_OPENNRT_QUEUES, &p));
    ASSERT_TRUE(strcmp(p.range, "1..32") == 0 && strcmp(p.def, "4") == 0 && strcmp(p.type_name, "integer") == 0);
    ASSERT_OK(nrtx_param_get(NRT__P_OPENNRT_MEM_LIMIT, &p));
    ASSERT_TRUE(strcmp(p.range, ">= 1") == 0 && strcmp(p.type_name, "size") == 0);
    ASSERT_OK(nrtx_param_get(NRT__P_NEURON_RT_LOG_LEVEL, &p));
    ASSERT_TRUE(strcmp(p.range, "OFF..TRACE") == 0);
    ASSERT_OK(nrtx_param_get(NRT__P_NEURON_RT_VISIBLE_CORES, &p));
    ASSERT_TRUE(strcmp(p.range, "0..63") == 0 && strcmp(p.type_name, "core list") == 0);
    setenv("OPENNRT_QUEUES", "", 1); /* empty is unset */
    ASSERT_OK(nrtx_param_get(NRT__P_OPENNRT_QUEUES, &p));
    ASSERT_TRUE(!p.set);
    setenv("OPENNRT_QUEUES", "3", 1);
    ASSERT_OK(nrtx_param_get(NRT__P_OPENNRT_QUEUES, &p));
    ASSERT_TRUE(p.set);
    unsetenv("OPENNRT_QUEUES");

    ASSERT_ST_LOG1(nrtx_param_get(count, &p), NRT_INVALID);
    ASSERT_TRUE(p.name == NULL); /* cleared on error */
    ASSERT_ST_LOG1(nrtx_param_get(UINT32_MAX, &p), NRT_INVALID);
    ASSERT_ST_LOG1(nrtx_param_get(0, NULL), NRT_INVALID);
    ASSERT_ST_LOG1(nrtx_param_count(NULL), NRT_INVALID);
}

/*===------------------------------------------------------------------===*/
/* Parsing and ranges                                                     */
/*===------------------------------------------------------------------===*/

static void parse_ok(nrt__param_id_t id, const char *s, uint64_t want)
{
    uint64_t v = 12345;
    if (!nrt__param_parse(&nrt__params[id], s, &v) || v != want) {
        fprintf(stderr, "%s='%s' gave %llu, expected %llu\n", nrt__params[id].name, s, (unsigned long long)v,
                (unsigned long long)want);
        abort();
    }
}

static void parse_bad(nrt__param_id_t id, const char *s)
{
    uint64_t v = 12345;
    if (nrt__param_parse(&nrt__params[id], s, &v)) {
        fprintf(stderr, "%s='%s' accepted (%llu)\n", nrt__params[id].name, s, (unsigned long long)v);
        abort();
    }
    ASSERT_EQ_U64(v, 12345); /* untouched */
}

static void test_parse(void)
{
    /* Both ends of every integer range, and one past each. */
    for (size_t i = 0; i < NRT__P_COUNT; i++) {
        const nrt__param_def_t *p = &nrt__params[i];
        if (p->type != NRTX_PARAM_INT)
            continue;
        char buf[32];
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)p->min);
        parse_ok((nrt__param_id_t)i, buf, p->min);
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)p->max);
        parse_ok((nrt__param_id_t)i, buf, p->max);
        if (p->min > 0) {
            snprintf(buf, sizeof buf, "%llu", (unsigned long long)p->min - 1);
            parse_bad((nrt__param_id_t)i, buf);
        }
        if (p->max < UINT64_MAX) {
            snprintf(buf, sizeof buf, "%llu", (unsigned long long)p->max + 1);
            parse_bad((nrt__param_id_t)i, buf);
        }
        static const char *const junk[] = {"", "x", " 1", "1 ", "-1", "+1", "0x1", "1.5", "1k",
                                           "99999999999999999999"};
        for (size_t j = 0; j < sizeof junk / sizeof junk[0]; j++)
            parse_bad((nrt__param_id_t)i, junk[j]);
    }
    parse_ok(NRT__P_OPENNRT_QUEUES, "32", 32);
    parse_bad(NRT__P_OPENNRT_QUEUES, "33");
    parse_ok(NRT__P_OPENNRT_WORKERS, "0", 0);
    parse_ok(NRT__P_OPENNRT_WORKERS, "256", 256);
    parse_bad(NRT__P_OPENNRT_WORKERS, "257");
    parse_ok(NRT__P_OPENNRT_EXEC_TIMEOUT_MS, "4294967295", UINT32_MAX);
    parse_bad(NRT__P_OPENNRT_EXEC_TIMEOUT_MS, "4294967296");

    /* Sizes: suffixes, and at least one byte. */
    parse_ok(NRT__P_OPENNRT_MEM_LIMIT, "1", 1);
    parse_ok(NRT__P_OPENNRT_MEM_LIMIT, "16G", 16ull << 30);
    parse_ok(NRT__P_OPENNRT_MEM_LIMIT, "16GiB", 16ull << 30);
    parse_ok(NRT__P_OPENNRT_MEM_LIMIT, "512m", 512ull << 20);
    parse_ok(NRT__P_OPENNRT_MEM_LIMIT, "4K", 4096);
    static const char *const bad_sizes[] = {"0", "0G", "", "G", "1T", "1 G", "-1", "lots", "99999999999G"};
    for (size_t j = 0; j < sizeof bad_sizes / sizeof bad_sizes[0]; j++)
        parse_bad(NRT__P_OPENNRT_MEM_LIMIT, bad_sizes[j]);

    /* The generic parser is for numbers only. */
    parse_bad(NRT__P_OPENNRT_TRACE, "1");
    parse_bad(NRT__P_NEURON_RT_VISIBLE_CORES, "1");
    parse_bad(NRT__P_NEURON_RT_LOG_LEVEL, "1");
}

/*===------------------------------------------------------------------===*/
/* Reading                                                                */
/*===------------------------------------------------------------------===*/

/* Expects nrt__params_read to fail with |lines| log lines containing
 * |msg| (if not NULL). */
static void read_bad_(int lines, const char *msg, int line)
{
    nrt__param_values_t v;
    char log[2048];
    t_capture_begin();
    bool ok = nrt__params_read(&v);
    int n = t_capture_end(log, sizeof log);
    if (ok || n != lines || (msg && !contains(log, msg))) {
        fprintf(stderr, "line %d: read %s with %d log lines, expected failure with %d%s%s:\n%s", line,
                ok ? "succeeded" : "failed", n, lines, msg ? " holding " : "", msg ? msg : "", log);
        abort();
    }
}
#define READ_BAD(lines, msg) read_bad_((lines), (msg), __LINE__)

static void test_read(void)
{
    set_log_level("ERROR");
    nrt__param_values_t v;
    ASSERT_TRUE(nrt__params_read(&v));
    ASSERT_EQ_U64(v.u[NRT__P_OPENNRT_QUEUES], 4);
    ASSERT_EQ_U64(v.u[NRT__P_OPENNRT_QUEUE_DEPTH], 64);
    ASSERT_EQ_U64(v.u[NRT__P_OPENNRT_WORKERS], 0);
    ASSERT_EQ_U64(v.u[NRT__P_OPENNRT_SPIN_US], 50);
    ASSERT_EQ_U64(v.u[NRT__P_OPENNRT_MEM_LIMIT], 16ull << 30);
    ASSERT_EQ_U64(v.u[NRT__P_NEURON_RT_EXEC_TIMEOUT], 30);
    ASSERT_EQ_U64(v.u[NRT__P_OPENNRT_EXEC_TIMEOUT_MS], 0);
    ASSERT_EQ_U64(v.u[NRT__P_OPENNRT_NAN_CHECK], 0);
    ASSERT_TRUE(v.s[NRT__P_OPENNRT_TRACE] == NULL);

    setenv("OPENNRT_QUEUES", "7", 1);
    setenv("OPENNRT_MEM_LIMIT", "1536M", 1);
    setenv("OPENNRT_TRACE", "/tmp/t.json", 1);
    setenv("OPENNRT_WORKERS", "", 1); /* empty is unset */
    ASSERT_TRUE(nrt__params_read(&v));
    ASSERT_EQ_U64(v.u[NRT__P_OPENNRT_QUEUES], 7);
    ASSERT_EQ_U64(v.u[NRT__P_OPENNRT_MEM_LIMIT], 1536ull << 20);
    ASSERT_TRUE(v.s[NRT__P_OPENNRT_TRACE] && strcmp(v.s[NRT__P_OPENNRT_TRACE], "/tmp/t.json") == 0);
    ASSERT_EQ_U64(v.u[NRT__P_OPENNRT_WORKERS], 0);
    clean_env();

    /* One line per bad value, with the messages the settings always had. */
    setenv("OPENNRT_QUEUES", "99", 1);
    READ_BAD(1, "invalid OPENNRT_QUEUES='99' (expected an integer in [1, 32])");
    clean_env();
    setenv("OPENNRT_MEM_LIMIT", "0", 1);
    READ_BAD(1, "invalid OPENNRT_MEM_LIMIT='0' (expected bytes with optional K/M/G suffix)\n");
    setenv("OPENNRT_MEM_LIMIT", "lots", 1);
    READ_BAD(1, "invalid OPENNRT_MEM_LIMIT='lots'");
    clean_env();
    setenv("OPENNRT_WORKERS", "257", 1);
    READ_BAD(1, "invalid OPENNRT_WORKERS='257' (expected an integer in [0, 256])");
    setenv("OPENNRT_NAN_CHECK", "2", 1);
    setenv("NEURON_RT_EXEC_TIMEOUT", "-1", 1);
    setenv("OPENNRT_SPIN_US", "x", 1);
    READ_BAD(4, "invalid NEURON_RT_EXEC_TIMEOUT='-1'");
    /* A bad value leaves the default in place. */
    t_capture_begin();
    ASSERT_TRUE(!nrt__params_read(&v));
    t_capture_end(NULL, 0);
    ASSERT_EQ_U64(v.u[NRT__P_OPENNRT_WORKERS], 0);
    ASSERT_EQ_U64(v.u[NRT__P_OPENNRT_NAN_CHECK], 0);
    ASSERT_EQ_U64(v.u[NRT__P_OPENNRT_SPIN_US], 50);
    clean_env();

    /* Variables other modules read are not read here. */
    setenv("OPENNRT_SCALE_PASSES", "abc", 1);
    setenv("OPENNRT_FAULT", "junk", 1);
    setenv("NEURON_RT_NUM_CORES", "abc", 1);
    t_capture_begin();
    ASSERT_TRUE(nrt__params_read(&v));
    ASSERT_EQ_U64(t_capture_end(NULL, 0), 0);
    clean_env();

    /* Single reads, as nrt__cores_from_env does for OPENNRT_TOTAL_CORES. */
    uint64_t u = 0;
    ASSERT_TRUE(nrt__param_read_u64(NRT__P_OPENNRT_TOTAL_CORES, &u));
    ASSERT_EQ_U64(u, 16);
    setenv("OPENNRT_TOTAL_CORES", "65", 1);
    t_capture_begin();
    ASSERT_TRUE(!nrt__param_read_u64(NRT__P_OPENNRT_TOTAL_CORES, &u));
    char log[512];
    ASSERT_EQ_U64(t_capture_end(log, sizeof log), 1);
    ASSERT_CONTAINS(log, "invalid OPENNRT_TOTAL_CORES='65' (expected an integer in [1, 64])");
    ASSERT_EQ_U64(u, 16);
    clean_env();

    /* Workers: 0 means the online CPUs; never 0, never above the table's max. */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    uint32_t want = cpus < 1 ? 1 : cpus > 256 ? 256 : (uint32_t)cpus;
    ASSERT_EQ_U64(nrt__params_workers(0), want);
    ASSERT_EQ_U64(nrt__params_workers(1), 1);
    ASSERT_EQ_U64(nrt__params_workers(256), 256);
}

/*===------------------------------------------------------------------===*/
/* nrt_init: the configuration and the values in force                   */
/*===------------------------------------------------------------------===*/

static void param_value(nrt__param_id_t id, char *buf, size_t cap)
{
    nrtx_param_t p;
    ASSERT_OK(nrtx_param_get(id, &p));
    nrt__strlcpy(buf, p.value, cap);
}

#define ASSERT_VALUE(id, want)                                                                         \
    do {                                                                                               \
        char v_[NRTX_PARAM_VALUE_MAX];                                                                 \
        param_value((id), v_, sizeof v_);                                                              \
        if (strcmp(v_, (want)) != 0) {                                                                 \
            fprintf(stderr, "%s:%d: %s is '%s', expected '%s'\n", __FILE__, __LINE__,                  \
                    nrt__params[id].name, v_, (want));                                                 \
            abort();                                                                                   \
        }                                                                                              \
    } while (0)

static void init_config(nrtx_config_t *cfg)
{
    ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, NULL, NULL));
    ASSERT_OK(nrtx_get_config(cfg));
}

static void test_init(void)
{
    nrtx_config_t cfg;
    setenv("NEURON_RT_NUM_CORES", "2", 1);

    /* Defaults. */
    init_config(&cfg);
    ASSERT_EQ_U64(cfg.num_cores, 2);
    ASSERT_EQ_U64(cfg.queues[NRTA_XU_TENSOR_READ], 4);
    ASSERT_EQ_U64(cfg.queues[NRTA_XU_COMPUTE], 1);
    ASSERT_EQ_U64(cfg.queue_depth, 64);
    ASSERT_EQ_U64(cfg.mem_limit, 16ull << 30);
    ASSERT_EQ_U64(cfg.spin_ns, 50000);
    ASSERT_EQ_U64(cfg.exec_timeout_s, 30);
    ASSERT_EQ_U64(cfg.exec_timeout_ms, 30000);
    ASSERT_EQ_U64(cfg.workers, nrt__params_workers(0));
    ASSERT_TRUE(cfg.workers >= 1);
    ASSERT_TRUE(!cfg.nan_check);
    /* Every value the library reads is reported while running. */
    for (uint32_t i = 0; i < NRT__P_COUNT; i++) {
        nrtx_param_t p;
        ASSERT_OK(nrtx_param_get(i, &p));
        bool empty_ok = !p.library || p.type == NRTX_PARAM_STRING;
        if (!empty_ok && !p.value[0]) {
            fprintf(stderr, "%s has no value while running\n", p.name);
            abort();
        }
    }
    ASSERT_VALUE(NRT__P_NEURON_RT_VISIBLE_CORES, "0-1");
    ASSERT_VALUE(NRT__P_NEURON_RT_NUM_CORES, "2");
    ASSERT_VALUE(NRT__P_OPENNRT_TOTAL_CORES, "16");
    ASSERT_VALUE(NRT__P_OPENNRT_MEM_LIMIT, "16G");
    ASSERT_VALUE(NRT__P_OPENNRT_EXEC_TIMEOUT_MS, "30000");
    ASSERT_VALUE(NRT__P_NEURON_RT_LOG_LEVEL, "ERROR");
    ASSERT_VALUE(NRT__P_OPENNRT_TRACE, "");
    ASSERT_VALUE(NRT__P_OPENNRT_FAULT, "");
    ASSERT_VALUE(NRT__P_OPENNRT_SCALE_PASSES, "");
    nrt_close();
    ASSERT_VALUE(NRT__P_OPENNRT_QUEUES, ""); /* not running */

    /* Values as set, and as resolved. */
    setenv("OPENNRT_TOTAL_CORES", "8", 1);
    setenv("NEURON_RT_VISIBLE_CORES", "6,0-1,3,7", 1);
    setenv("OPENNRT_QUEUES", "3", 1);
    setenv("OPENNRT_QUEUE_DEPTH", "100", 1);
    setenv("OPENNRT_WORKERS", "3", 1);
    setenv("OPENNRT_MEM_LIMIT", "1536M", 1);
    setenv("OPENNRT_SPIN_US", "0", 1);
    setenv("OPENNRT_NAN_CHECK", "1", 1);
    setenv("OPENNRT_FAULT", "xu=compute,seq=1000000", 1);
    init_config(&cfg);
    ASSERT_EQ_U64(cfg.num_cores, 5);
    ASSERT_EQ_U64(cfg.queues[NRTA_XU_TENSOR_WRITE], 3);
    ASSERT_EQ_U64(cfg.queues[NRTA_XU_COLLECTIVES], 1);
    ASSERT_EQ_U64(cfg.queue_depth, 128);
    ASSERT_EQ_U64(cfg.workers, 3);
    ASSERT_EQ_U64(cfg.mem_limit, 1536ull << 20);
    ASSERT_EQ_U64(cfg.spin_ns, 0);
    ASSERT_TRUE(cfg.nan_check);
    ASSERT_VALUE(NRT__P_NEURON_RT_VISIBLE_CORES, "0-1,3,6-7");
    ASSERT_VALUE(NRT__P_NEURON_RT_NUM_CORES, "5");
    ASSERT_VALUE(NRT__P_OPENNRT_TOTAL_CORES, "8");
    ASSERT_VALUE(NRT__P_OPENNRT_QUEUES, "3");
    ASSERT_VALUE(NRT__P_OPENNRT_QUEUE_DEPTH, "128");
    ASSERT_VALUE(NRT__P_OPENNRT_WORKERS, "3");
    ASSERT_VALUE(NRT__P_OPENNRT_MEM_LIMIT, "1536M");
    ASSERT_VALUE(NRT__P_OPENNRT_SPIN_US, "0");
    ASSERT_VALUE(NRT__P_OPENNRT_NAN_CHECK, "1");
    ASSERT_VALUE(NRT__P_OPENNRT_FAULT, "xu=compute,seq=1000000");
    nrt_close();
    clean_env();
    setenv("NEURON_RT_NUM_CORES", "1", 1);

    /* The exec timeout in force: OPENNRT_EXEC_TIMEOUT_MS when not 0, else
     * NEURON_RT_EXEC_TIMEOUT seconds; 0 seconds disables it. */
    static const struct {
        const char *s, *ms;
        uint64_t want_s, want_ms;
    } timeouts[] = {
        {NULL, "300", 30, 300}, {"2", NULL, 2, 2000}, {"2", "300", 2, 300},  {"0", NULL, 0, 0},
        {"0", "0", 0, 0},       {NULL, "0", 30, 30000}, {"0", "5", 0, 5}, {"31536000", NULL, 31536000, 31536000000ull},
    };
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
        if (timeouts[i].s)
            setenv("NEURON_RT_EXEC_TIMEOUT", timeouts[i].s, 1);
        else
            unsetenv("NEURON_RT_EXEC_TIMEOUT");
        if (timeouts[i].ms)
            setenv("OPENNRT_EXEC_TIMEOUT_MS", timeouts[i].ms, 1);
        else
            unsetenv("OPENNRT_EXEC_TIMEOUT_MS");
        init_config(&cfg);
        if (cfg.exec_timeout_s != timeouts[i].want_s || cfg.exec_timeout_ms != timeouts[i].want_ms) {
            fprintf(stderr, "NEURON_RT_EXEC_TIMEOUT=%s OPENNRT_EXEC_TIMEOUT_MS=%s gave %u s, %llu ms\n",
                    timeouts[i].s ? timeouts[i].s : "(unset)", timeouts[i].ms ? timeouts[i].ms : "(unset)",
                    cfg.exec_timeout_s, (unsigned long long)cfg.exec_timeout_ms);
            abort();
        }
        nrt_close();
    }
    clean_env();
    setenv("NEURON_RT_NUM_CORES", "1", 1);

    /* Bad values make nrt_init fail, one line each. */
    setenv("OPENNRT_WORKERS", "300", 1);
    ASSERT_ST_LOG1(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, NULL, NULL), NRT_INVALID);
    setenv("OPENNRT_QUEUE_DEPTH", "0", 1);
    t_capture_begin();
    ASSERT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, NULL, NULL), NRT_INVALID);
    ASSERT_EQ_U64(t_capture_end(NULL, 0), 2);
    clean_env();
}

/*===------------------------------------------------------------------===*/
/* Unknown variables                                                      */
/*===------------------------------------------------------------------===*/

static void closest(const char *name, const char *want, size_t want_distance)
{
    size_t d = 999;
    const nrt__param_def_t *p = nrt__param_closest(name, strlen(name), &d);
    if (strcmp(p->name, want) != 0 || d != want_distance) {
        fprintf(stderr, "closest to %s: %s at %zu, expected %s at %zu\n", name, p->name, d, want, want_distance);
        abort();
    }
}

static void test_closest(void)
{
    closest("OPENNRT_QUEUES", "OPENNRT_QUEUES", 0);
    closest("OPENNRT_QUEUE", "OPENNRT_QUEUES", 1);      /* deletion */
    closest("OPENNRT_QUEUESS", "OPENNRT_QUEUES", 1);    /* insertion */
    closest("OPENNRT_QUEUE_DEPHT", "OPENNRT_QUEUE_DEPTH", 2); /* transposition: two edits */
    closest("OPENNRT_WORKER", "OPENNRT_WORKERS", 1);
    closest("OPENNRT_MEMLIMIT", "OPENNRT_MEM_LIMIT", 1);
    closest("opennrt_queues", "OPENNRT_QUEUES", 13);   /* case counts; still the nearest */
    closest("OPENNRT_VISIBLE_CORES", "NEURON_RT_VISIBLE_CORES", 6);
    closest("OPENNRT_LOG_LEVEL", "NEURON_RT_LOG_LEVEL", 6);
    closest("OPENNRT_EXEC_TIMEOUT", "OPENNRT_EXEC_TIMEOUT_MS", 3);
    /* Only |len| bytes count: the name may be followed by "=value". */
    size_t d = 9;
    ASSERT_TRUE(nrt__param_closest("OPENNRT_QUEUES=4", 14, &d) == &nrt__params[NRT__P_OPENNRT_QUEUES]);
    ASSERT_EQ_U64(d, 0);
    /* Very long names are compared by their first 64 bytes; no overflow. */
    char longname[300];
    memset(longname, 'Q', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    nrt__param_closest(longname, strlen(longname), NULL);
}

static void test_warn_unknown(void)
{
    char *env[] = {"OPENNRT_QUEUE=4",         /* unknown: closest OPENNRT_QUEUES */
                   "OPENNRT_QUEUES=4",        /* known */
                   "PATH=/bin",               /* not ours */
                   "NEURON_RT_FOO=1",         /* Neuron's: never warned about */
                   "XOPENNRT_QUEUES=1",       /* the prefix must be at the start */
                   "OPENNRT_EXEC_TIMEOUT=5",  /* unknown: closest OPENNRT_EXEC_TIMEOUT_MS */
                   "OPENNRT_NO_EQUALS_SIGN",  /* unknown, no value */
                   NULL};
    char log[4096];

    set_log_level("WARN");
    t_capture_begin();
    size_t n = nrt__params_warn_unknown(env);
    int lines = t_capture_end(log, sizeof log);
    ASSERT_EQ_U64(n, 3);
    ASSERT_EQ_U64(lines, 3);
    ASSERT_CONTAINS(log, "WARN  nrt__params_warn_unknown: unknown setting OPENNRT_QUEUE is ignored; "
                         "did you mean OPENNRT_QUEUES?");
    ASSERT_CONTAINS(log, "unknown setting OPENNRT_EXEC_TIMEOUT is ignored; did you mean OPENNRT_EXEC_TIMEOUT_MS?");
    ASSERT_CONTAINS(log, "unknown setting OPENNRT_NO_EQUALS_SIGN is ignored");
    ASSERT_TRUE(!contains(log, "PATH") && !contains(log, "NEURON_RT_FOO") && !contains(log, "XOPENNRT"));

    /* Below WARN it is counted but quiet. */
    set_log_level("ERROR");
    t_capture_begin();
    n = nrt__params_warn_unknown(env);
    ASSERT_EQ_U64(t_capture_end(NULL, 0), 0);
    ASSERT_EQ_U64(n, 3);

    /* A long name is cut in the log line, which stays one line. */
    static char long_entry[600];
    memset(long_entry, 'Z', sizeof long_entry - 1);
    memcpy(long_entry, "OPENNRT_", 8);
    char *env_long[] = {long_entry, NULL};
    set_log_level("WARN");
    t_capture_begin();
    ASSERT_EQ_U64(nrt__params_warn_unknown(env_long), 1);
    ASSERT_EQ_U64(t_capture_end(NULL, 0), 1);
    ASSERT_EQ_U64(nrt__params_warn_unknown(NULL), 0);

    /* nrt_init warns once per call, before anything else, even when a
     * bad value then makes it fail. */
    setenv("NEURON_RT_NUM_CORES", "1", 1);
    setenv("OPENNRT_QUEUE_DEPT", "8", 1);
    for (int round = 0; round < 2; round++) {
        t_capture_begin();
        ASSERT_OK(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, NULL, NULL));
        lines = t_capture_end(log, sizeof log);
        ASSERT_EQ_U64(lines, 1);
        ASSERT_CONTAINS(log, "unknown setting OPENNRT_QUEUE_DEPT is ignored; did you mean OPENNRT_QUEUE_DEPTH?");
        nrt_close();
    }
    setenv("OPENNRT_QUEUES", "0", 1);
    t_capture_begin();
    ASSERT_ST(nrt_init(NRT_FRAMEWORK_TYPE_NO_FW, NULL, NULL), NRT_INVALID);
    lines = t_capture_end(log, sizeof log);
    ASSERT_EQ_U64(lines, 2);
    ASSERT_CONTAINS(log, "OPENNRT_QUEUE_DEPT is ignored");
    ASSERT_CONTAINS(log, "invalid OPENNRT_QUEUES='0'");
    clean_env();
    set_log_level("ERROR");
}

int main(void)
{
    clean_env();
    set_log_level("ERROR");
    test_table();
    test_parse();
    test_read();
    test_init();
    test_closest();
    test_warn_unknown();
    unsetenv("NEURON_RT_LOG_LEVEL");
    printf("params ok\n");
    return 0;
}

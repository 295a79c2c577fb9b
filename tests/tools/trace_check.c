/*
 * tests/tools/trace_check.c - checks a timeline trace against what
 * nrt-bench says it scheduled while tracing:
 *
 *   trace_check BENCH.json TRACE.json
 *
 * BENCH.json is nrt-bench --json --trace output; its trace.queues lists,
 * per (core, tid), how many requests the queue accepted while tracing.
 * The trace must have exactly one track (pid = core + 1, tid >= 1) per such queue,
 * named by one thread_name record, holding one complete ("X") slice per
 * request: as many as scheduled, each sequence number once, consecutive,
 * in execution order, and never overlapping on the same queue (a queue
 * runs one request at a time). Names must read "<kind> <size>B #<seq>".
 * Times are compared in integer nanoseconds (the trace prints
 * microseconds with three decimals, i.e. exact nanoseconds).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

typedef struct {
    int64_t pid, tid;
    int64_t ts, end; /* ns */
    uint64_t seq;
} slice_t;

static int cmp_slice(const void *a, const void *b)
{
    const slice_t *x = a, *y = b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    if (x->tid != y->tid)
        return x->tid < y->tid ? -1 : 1;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

#define FAIL(...)                                                                                      \
    do {                                                                                               \
        fprintf(stderr, "trace_check: " __VA_ARGS__);                                                  \
        fputc('\n', stderr);                                                                           \
        return 1;                                                                                      \
    } while (0)

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: trace_check BENCH.json TRACE.json\n");
        return 2;
    }
    char err[512];
    json_doc_t *bench = json_parse_file(argv[1], err, sizeof err);
    if (!bench)
        FAIL("%s: %s", argv[1], err);
    json_doc_t *trace = json_parse_file(argv[2], err, sizeof err);
    if (!trace)
        FAIL("%s: %s", argv[2], err);

    const json_value_t *queues = json_path(json_root(bench), "trace.queues");
    if (!queues || queues->type != JSON_ARRAY || !json_len(queues))
        FAIL("%s has no trace.queues (run nrt-bench with --json --trace)", argv[1]);
    const json_value_t *evs = json_get(json_root(trace), "traceEvents");
    if (!evs || evs->type != JSON_ARRAY)
        FAIL("%s has no traceEvents array", argv[2]);

    size_t n = json_len(evs), ns = 0;
    slice_t *sl = calloc(n ? n : 1, sizeof *sl);
    if (!sl)
        FAIL("out of memory");
    for (size_t i = 0; i < n; i++) {
        const json_value_t *e = json_at(evs, i);
        const char *ph = json_str(json_get(e, "ph"), "");
        if (strcmp(ph, "X") != 0)
            continue;
        const json_value_t *ts = json_get(e, "ts"), *dur = json_get(e, "dur");
        const json_value_t *args = json_get(e, "args");
        const char *name = json_str(json_get(e, "name"), NULL), *cat = json_str(json_get(e, "cat"), NULL);
        if (!ts || ts->type != JSON_NUMBER || !dur || dur->type != JSON_NUMBER || !name || !cat)
            FAIL("event %zu: an X event needs numeric ts/dur, a name and a cat", i);
        if (dur->u.num < 0)
            FAIL("event %zu (%s): negative duration", i, name);
        slice_t *s = &sl[ns++];
        s->pid = (int64_t)json_num(json_get(e, "pid"), -1);
        s->tid = (int64_t)json_num(json_get(e, "tid"), -1);
        s->ts = llround(ts->u.num * 1000.0);
        s->end = s->ts + llround(dur->u.num * 1000.0);
        s->seq = (uint64_t)json_num(json_get(args, "seq_num"), 0);
        /* "<kind> <size>B #<seq>", kind == cat, size == args.size */
        char want[128];
        snprintf(want, sizeof want, "%s %.0fB #%" PRIu64, cat, json_num(json_get(args, "size"), -1), s->seq);
        if (strcmp(name, want) != 0)
            FAIL("event %zu: name '%s', expected '%s'", i, name, want);
        if (s->seq == 0)
            FAIL("event %zu (%s): no args.seq_num", i, name);
        if (s->pid < 1 || s->tid < 1)
            FAIL("event %zu (%s): pid %" PRId64 " tid %" PRId64 " (Perfetto treats 0 specially: ids start at 1)", i,
                 name, s->pid, s->tid);
    }
    qsort(sl, ns, sizeof *sl, cmp_slice);

    /* Every track must be an active queue of the benchmark, and vice versa
     * with the same count. */
    size_t matched = 0;
    for (size_t q = 0; q < json_len(queues); q++) {
        const json_value_t *qv = json_at(queues, q);
        int64_t pid = (int64_t)json_num(json_get(qv, "pid"), -1), tid = (int64_t)json_num(json_get(qv, "tid"), -1);
        /* Perfetto treats pid 0 and tid 0 specially: tracks start at 1. */
        if (pid != (int64_t)json_num(json_get(qv, "core"), -1) + 1 || tid < 1)
            FAIL("queue %zu: pid %" PRId64 " / tid %" PRId64 ", expected pid = core + 1 and tid >= 1", q, pid, tid);
        uint64_t want = (uint64_t)json_num(json_get(qv, "requests"), 0);
        size_t first = 0;
        while (first < ns && !(sl[first].pid == pid && sl[first].tid == tid))
            first++;
        size_t cnt = 0;
        while (first + cnt < ns && sl[first + cnt].pid == pid && sl[first + cnt].tid == tid)
            cnt++;
        if (cnt != want)
            FAIL("core %" PRId64 " tid %" PRId64 " (%s q%.0f): %zu slices in the trace, %" PRIu64
                 " requests scheduled",
                 pid, tid, json_str(json_get(qv, "unit"), "?"), json_num(json_get(qv, "queue"), -1), cnt, want);
        matched += cnt;
        /* In execution order: consecutive sequence numbers, no overlap. */
        for (size_t k = first + 1; k < first + cnt; k++) {
            if (sl[k].seq != sl[k - 1].seq + 1)
                FAIL("core %" PRId64 " tid %" PRId64 ": seq #%" PRIu64 " follows #%" PRIu64
                     " (each request once, in order)",
                     pid, tid, sl[k].seq, sl[k - 1].seq);
            if (sl[k].ts < sl[k - 1].end)
                FAIL("core %" PRId64 " tid %" PRId64 ": #%" PRIu64 " starts at %" PRId64 " ns before #%" PRIu64
                     " ends at %" PRId64 " ns",
                     pid, tid, sl[k].seq, sl[k].ts, sl[k - 1].seq, sl[k - 1].end);
        }
        /* One thread_name record names the track. */
        int names = 0;
        for (size_t i = 0; i < n; i++) {
            const json_value_t *e = json_at(evs, i);
            if (!strcmp(json_str(json_get(e, "ph"), ""), "M") &&
                !strcmp(json_str(json_get(e, "name"), ""), "thread_name") &&
                (int64_t)json_num(json_get(e, "pid"), -1) == pid && (int64_t)json_num(json_get(e, "tid"), -1) == tid)
                names++;
        }
        if (names != 1)
            FAIL("core %" PRId64 " tid %" PRId64 ": %d thread_name records, expected 1", pid, tid, names);
    }
    if (matched != ns)
        FAIL("%zu slices are on tracks no benchmark queue accounts for (%zu slices in all)", ns - matched, ns);
    printf("trace_check: %zu slices on %zu tracks match the scheduled requests, no overlaps\n", ns,
           json_len(queues));
    free(sl);
    json_doc_free(bench);
    json_doc_free(trace);
    return 0;
}

/*
 * tools/nrt_trace_plot.c - nrt-trace-plot: renders an OpenNRT timeline
 * trace (the Chrome trace-event JSON written by OPENNRT_TRACE,
 * nrtx_trace_write or nrt-bench --trace) into a standalone SVG: one lane
 * per core / unit / queue, one rectangle per request coloured by kind, a
 * time axis and a legend. No dependencies beyond libc and tools/json.c.
 *
 * Only what the runtime emits is interpreted: "M" events name processes
 * (cores) and threads (unit queues) and give their sort order; "X" events
 * are requests (ts/dur in microseconds, "cat" is the request kind, "args"
 * may hold a status). Other event types are ignored, so traces from other
 * producers render too as long as they use complete events.
 *
 * Requests much shorter than a pixel would make huge files for long runs,
 * so back-to-back requests of one kind whose rectangles would touch are
 * drawn as one; zoom with --from/--to to see individual requests. Failed
 * requests are never merged: each is a red-outlined mark at least
 * FAIL_MIN_W pixels wide, counted in the header and the legend.
 *
 * The output is SVG only: an OUT name with another extension (.png, ...)
 * is refused (exit 2) rather than given SVG bytes under a raster name.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"

#define LABEL_W 200.0  /* left column with lane names */
#define RIGHT_PAD 24.0
#define LANE_H 18.0
#define LANE_GAP 4.0
#define GROUP_H 22.0   /* core header */
#define TOP 64.0       /* title + axis */
#define LEGEND_H 44.0
#define TITLES_MAX 20000 /* tooltips per request up to this many rectangles */
#define FAIL_MIN_W 5.0   /* pixels: a failed request is always visible */

typedef struct {
    int64_t pid, tid;
    double ts, dur;
    int kind; /* index into kinds[] */
    bool failed;
    const char *name;
} event_t;

typedef struct {
    int64_t pid, tid;
    const char *name;
    double sort;
    size_t first, count; /* events of the lane after sorting */
} lane_t;

typedef struct {
    int64_t pid;
    const char *name;
} proc_t;

typedef struct {
    const char *cat;
    const char *color;
    size_t count;
} kind_t;

/* Colours by request kind (colour-blind-safe Tableau 10 hues). */
static kind_t kinds[16] = {
    {"write", "#4e79a7", 0},   {"execute", "#59a14f", 0}, {"read", "#f28e2b", 0},
    {"copy", "#b07aa1", 0},    {"collective", "#e15759", 0},
};
static int nkinds = 5;
static const char *const extra_colors[] = {"#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#bab0ac"};

static int kind_of(const char *cat)
{
    for (int i = 0; i < nkinds; i++)
        if (strcmp(kinds[i].cat, cat) == 0)
            return i;
    if (nkinds < (int)(sizeof kinds / sizeof kinds[0])) {
        char *copy = strdup(cat);
        kinds[nkinds].cat = copy ? copy : "other";
        kinds[nkinds].color = extra_colors[(nkinds - 5) % 5];
        kinds[nkinds].count = 0;
        return nkinds++;
    }
    return nkinds - 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: nrt-trace-plot [options] TRACE.json OUT.svg\n"
            "\n"
            "Renders an OpenNRT timeline trace (OPENNRT_TRACE=FILE, nrtx_trace_write, nrt-bench --trace)\n"
            "as an SVG: one lane per core/unit/queue, one rectangle per request coloured by kind;\n"
            "failed requests are outlined in red and counted. SVG only (convert it for a PNG).\n"
            "\n"
            "  --from US     start of the window, in microseconds from the trace start\n"
            "  --to US       end of the window (default: the end of the last request)\n"
            "  --width PX    drawing width in pixels (default 1400)\n"
            "  --title TEXT  title (default: the trace file name)\n"
            "  -h, --help    this text\n");
}

static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            if ((unsigned char)*s >= 0x20)
                fputc(*s, f);
        }
    }
}

static int cmp_lane(const void *a, const void *b)
{
    const lane_t *x = a, *y = b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    if (x->sort != y->sort)
        return x->sort < y->sort ? -1 : 1;
    return (x->tid > y->tid) - (x->tid < y->tid);
}

static int cmp_event(const void *a, const void *b)
{
    const event_t *x = a, *y = b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    if (x->tid != y->tid)
        return x->tid < y->tid ? -1 : 1;
    return (x->ts > y->ts) - (x->ts < y->ts);
}

/* A tick step of 1, 2 or 5 times a power of ten giving about |n| ticks. */
static double nice_step(double range, int n)
{
    double raw = range / n;
    double p = pow(10, floor(log10(raw)));
    double m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/* Axis label for time |us|: the unit follows the scale of the window (its
 * end |t1| and the tick |step|), the decimals resolve one step. */
static void fmt_tick(double us, double t1, double step, char *buf, size_t cap)
{
    double div = 1;
    const char *unit = "us";
    if (t1 >= 1e6 && step >= 1e4) {
        div = 1e6;
        unit = "s";
    } else if (t1 >= 1e3 && step >= 10) {
        div = 1e3;
        unit = "ms";
    }
    double st = step / div;
    int dec = st >= 1 ? 0 : (int)ceil(-log10(st) - 1e-9);
    if (dec > 6)
        dec = 6;
    snprintf(buf, cap, "%.*f %s", dec, us / div, unit);
}

/* OUT must be SVG: no extension, or .svg. */
static bool svg_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    return !dot || dot == base || strcasecmp(dot, ".svg") == 0;
}

static bool parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

typedef struct {
    FILE *f;
    double t0, t1, scale, y; /* window, pixels per us, top of the lane */
    bool titles;             /* a tooltip per rectangle */
} plot_t;

/* Draws the requests of one lane (|n| from |ev|, sorted by start) whose
 * failed flag is |failed|: touching rectangles of one kind merge unless
 * they failed; every request is at least a pixel wide, a failed one
 * FAIL_MIN_W. Returns the rectangles written. */
static size_t draw_requests(const plot_t *p, const event_t *ev, size_t n, bool failed)
{
    size_t rects = 0, merged = 0;
    double cur_x0 = 0, cur_x1 = -1;
    const event_t *cur = NULL;
    for (size_t i = 0; i <= n; i++) {
        const event_t *e = i < n ? &ev[i] : NULL;
        if (e && e->failed != failed)
            continue;
        double x0 = 0, x1 = 0;
        if (e) {
            double s = e->ts < p->t0 ? p->t0 : e->ts, end = e->ts + e->dur > p->t1 ? p->t1 : e->ts + e->dur;
            x0 = LABEL_W + (s - p->t0) * p->scale;
            x1 = LABEL_W + (end - p->t0) * p->scale;
            double min_w = failed ? FAIL_MIN_W : 1.0;
            if (x1 - x0 < min_w) { /* keep every request visible, every failure obvious */
                x0 = failed ? (x0 + x1 - min_w) / 2 : x0;
                x1 = x0 + min_w;
            }
            /* Touching a rectangle of the same kind: extend it. */
            if (!failed && cur && cur->kind == e->kind && x0 <= cur_x1 + 0.25) {
                if (x1 > cur_x1)
                    cur_x1 = x1;
                merged++;
                continue;
            }
        }
        if (cur) {
            fprintf(p->f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\"%s>", cur_x0,
                    p->y + 1, cur_x1 - cur_x0, LANE_H - 2, kinds[cur->kind].color,
                    failed ? " stroke=\"#d00000\" stroke-width=\"2\"" : "");
            if (p->titles) {
                fprintf(p->f, "<title>");
                xml_text(p->f, cur->name);
                if (merged)
                    fprintf(p->f, " (+%zu more)", merged);
                fprintf(p->f, ": %.3f us at %.3f us</title>", cur->dur, cur->ts);
            }
            fprintf(p->f, "</rect>\n");
            rects++;
        }
        cur = e;
        cur_x0 = x0;
        cur_x1 = x1;
        merged = 0;
    }
    return rects;
}

int main(int argc, char **argv)
{
    const char *in_path = NULL, *out_path = NULL, *title = NULL;
    double from = NAN, to = NAN, width = 1400;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--from") || !strcmp(a, "--to") || !strcmp(a, "--width")) {
            double d;
            if (!v || !parse_double(v, &d) || d < 0) {
                fprintf(stderr, "nrt-trace-plot: %s needs a number >= 0\n", a);
                return 2;
            }
            if (!strcmp(a, "--from"))
                from = d;
            else if (!strcmp(a, "--to"))
                to = d;
            else if (d < 200 || d > 100000) {
                fprintf(stderr, "nrt-trace-plot: --width must be in 200..100000\n");
                return 2;
            } else
                width = d;
            i++;
        } else if (!strcmp(a, "--title")) {
            if (!v) {
                fprintf(stderr, "nrt-trace-plot: --title needs a value\n");
                return 2;
            }
            title = v;
            i++;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "nrt-trace-plot: unknown option '%s' (try --help)\n", a);
            return 2;
        } else if (!in_path) {
            in_path = a;
        } else if (!out_path) {
            out_path = a;
        } else {
            fprintf(stderr, "nrt-trace-plot: too many arguments (usage: nrt-trace-plot TRACE.json OUT.svg)\n");
            return 2;
        }
    }
    if (!in_path || !out_path) {
        fprintf(stderr, "nrt-trace-plot: usage: nrt-trace-plot [options] TRACE.json OUT.svg (try --help)\n");
        return 2;
    }
    if (!svg_name(out_path)) {
        fprintf(stderr,
                "nrt-trace-plot: '%s': the output is SVG only; name it .svg (for a PNG, convert the SVG, e.g. "
                "rsvg-convert -o out.png out.svg from Debian's librsvg2-bin)\n",
                out_path);
        return 2;
    }
    if (!isnan(from) && !isnan(to) && to <= from) {
        fprintf(stderr, "nrt-trace-plot: --to must be after --from\n");
        return 2;
    }

    char err[512];
    json_doc_t *doc = json_parse_file(in_path, err, sizeof err);
    if (!doc) {
        fprintf(stderr, "nrt-trace-plot: %s: %s\n", in_path, err);
        return 1;
    }
    const json_value_t *root = json_root(doc);
    const json_value_t *evs = root->type == JSON_ARRAY ? root : json_get(root, "traceEvents");
    if (!evs || evs->type != JSON_ARRAY) {
        fprintf(stderr, "nrt-trace-plot: %s: not a Chrome trace (no \"traceEvents\" array)\n", in_path);
        json_doc_free(doc);
        return 1;
    }

    size_t nev_all = json_len(evs);
    event_t *ev = calloc(nev_all ? nev_all : 1, sizeof *ev);
    lane_t *lanes = calloc(nev_all ? nev_all : 1, sizeof *lanes);
    proc_t *procs = calloc(nev_all ? nev_all : 1, sizeof *procs);
    if (!ev || !lanes || !procs) {
        fprintf(stderr, "nrt-trace-plot: out of memory\n");
        return 1;
    }
    size_t nev = 0, nlanes = 0, nprocs = 0;
    double tmin = INFINITY, tmax = -INFINITY;

    /* Metadata first: lane names and order. */
    for (size_t i = 0; i < nev_all; i++) {
        const json_value_t *e = json_at(evs, i);
        const char *ph = json_str(json_get(e, "ph"), "");
        if (strcmp(ph, "M") != 0)
            continue;
        const char *what = json_str(json_get(e, "name"), "");
        int64_t pid = (int64_t)json_num(json_get(e, "pid"), 0), tid = (int64_t)json_num(json_get(e, "tid"), 0);
        const json_value_t *args = json_get(e, "args");
        if (!strcmp(what, "process_name")) {
            procs[nprocs].pid = pid;
            procs[nprocs].name = json_str(json_get(args, "name"), NULL);
            nprocs++;
            continue;
        }
        size_t l = 0;
        while (l < nlanes && !(lanes[l].pid == pid && lanes[l].tid == tid))
            l++;
        if (l == nlanes) {
            lanes[l].pid = pid;
            lanes[l].tid = tid;
            lanes[l].sort = (double)tid;
            nlanes++;
        }
        if (!strcmp(what, "thread_name"))
            lanes[l].name = json_str(json_get(args, "name"), NULL);
        else if (!strcmp(what, "thread_sort_index"))
            lanes[l].sort = json_num(json_get(args, "sort_index"), (double)tid);
    }
    /* Requests. */
    for (size_t i = 0; i < nev_all; i++) {
        const json_value_t *e = json_at(evs, i);
        if (strcmp(json_str(json_get(e, "ph"), ""), "X") != 0)
            continue;
        const json_value_t *ts = json_get(e, "ts"), *dur = json_get(e, "dur");
        if (!ts || ts->type != JSON_NUMBER)
            continue;
        event_t *x = &ev[nev];
        x->pid = (int64_t)json_num(json_get(e, "pid"), 0);
        x->tid = (int64_t)json_num(json_get(e, "tid"), 0);
        x->ts = ts->u.num;
        x->dur = dur && dur->type == JSON_NUMBER && dur->u.num > 0 ? dur->u.num : 0;
        x->name = json_str(json_get(e, "name"), "");
        const char *cat = json_str(json_get(e, "cat"), NULL);
        static char firstword[64];
        if (!cat) { /* "write 4096B #3" -> "write" */
            size_t n = strcspn(x->name, " ");
            snprintf(firstword, sizeof firstword, "%.*s", (int)(n < 63 ? n : 63), x->name);
            cat = firstword;
        }
        x->kind = kind_of(cat);
        const char *status = json_str(json_get(json_get(e, "args"), "status"), NULL);
        x->failed = status && strcmp(status, "NRT_SUCCESS") != 0;
        if (x->ts < tmin)
            tmin = x->ts;
        if (x->ts + x->dur > tmax)
            tmax = x->ts + x->dur;
        nev++;
    }

    double t0 = isnan(from) ? (nev ? tmin : 0) : from;
    double t1 = isnan(to) ? (nev ? tmax : 1) : to;
    if (t1 <= t0)
        t1 = t0 + 1;

    /* Keep the requests in the window; make a lane for each (pid, tid) that
     * has one (unnamed lanes too). */
    size_t keep = 0, nfailed = 0;
    for (size_t i = 0; i < nev; i++)
        if (ev[i].ts + ev[i].dur >= t0 && ev[i].ts <= t1)
            ev[keep++] = ev[i];
    nev = keep;
    qsort(ev, nev, sizeof *ev, cmp_event);
    for (size_t i = 0; i < nev; i++) {
        size_t l = 0;
        while (l < nlanes && !(lanes[l].pid == ev[i].pid && lanes[l].tid == ev[i].tid))
            l++;
        if (l == nlanes) {
            lanes[l].pid = ev[i].pid;
            lanes[l].tid = ev[i].tid;
            lanes[l].sort = (double)ev[i].tid;
            nlanes++;
        }
        if (lanes[l].count == 0)
            lanes[l].first = i;
        lanes[l].count++;
        kinds[ev[i].kind].count++;
        nfailed += ev[i].failed;
    }
    /* Drop lanes without requests in the window. */
    size_t nl = 0;
    for (size_t l = 0; l < nlanes; l++)
        if (lanes[l].count)
            lanes[nl++] = lanes[l];
    nlanes = nl;
    qsort(lanes, nlanes, sizeof *lanes, cmp_lane);

    size_t ngroups = 0;
    for (size_t l = 0; l < nlanes; l++)
        if (l == 0 || lanes[l].pid != lanes[l - 1].pid)
            ngroups++;
    double plot_w = width - LABEL_W - RIGHT_PAD;
    double height = TOP + (double)ngroups * GROUP_H + (double)nlanes * (LANE_H + LANE_GAP) + LEGEND_H + 10;
    double scale = plot_w / (t1 - t0);

    FILE *f = fopen(out_path, "w");
    if (!f) {
        fprintf(stderr, "nrt-trace-plot: cannot write '%s': %s\n", out_path, strerror(errno));
        return 1;
    }
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
            "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
            width, height, width, height);
    fprintf(f, "<text x=\"12\" y=\"22\" font-size=\"15\" font-weight=\"bold\">");
    xml_text(f, title ? title : in_path);
    fprintf(f, "</text>\n");
    char a[64];
    fprintf(f,
            "<text x=\"%.1f\" y=\"22\" text-anchor=\"end\" fill=\"#555\">%zu requests (%zu failed), %.3f .. %.3f "
            "ms</text>\n",
            width - RIGHT_PAD, nev, nfailed, t0 / 1e3, t1 / 1e3);

    /* Time axis and grid. */
    double step = nice_step(t1 - t0, 10);
    double y_axis = TOP - 8, y_end = height - LEGEND_H - 6;
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", LABEL_W, y_axis,
            LABEL_W + plot_w, y_axis);
    for (double t = ceil(t0 / step) * step; t <= t1 + step * 1e-9; t += step) {
        double x = LABEL_W + (t - t0) * scale;
        fmt_tick(t, t1, step, a, sizeof a);
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>"
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#333\">%s</text>\n",
                x, y_axis, x, y_end, x, y_axis - 4, x, y_axis, x, y_axis - 8, a);
    }

    /* Lanes. */
    double y = TOP;
    size_t rects = 0;
    for (size_t l = 0; l < nlanes; l++) {
        if (l == 0 || lanes[l].pid != lanes[l - 1].pid) {
            const char *pname = NULL;
            for (size_t k = 0; k < nprocs; k++)
                if (procs[k].pid == lanes[l].pid)
                    pname = procs[k].name;
            fprintf(f, "<text x=\"8\" y=\"%.1f\" font-weight=\"bold\">", y + 15);
            if (pname)
                xml_text(f, pname);
            else
                fprintf(f, "pid %lld", (long long)lanes[l].pid);
            fprintf(f, "</text><line x1=\"8\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#bbb\"/>\n", y + 19,
                    LABEL_W + plot_w, y + 19);
            y += GROUP_H;
        }
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#f6f6f6\"/>\n", LABEL_W, y,
                plot_w, LANE_H);
        fprintf(f, "<text x=\"20\" y=\"%.1f\" fill=\"#222\">", y + 13);
        if (lanes[l].name)
            xml_text(f, lanes[l].name);
        else
            fprintf(f, "tid %lld", (long long)lanes[l].tid);
        fprintf(f, "</text>\n");
        /* How busy the queue was in the window. */
        double busy = 0;
        for (size_t i = lanes[l].first; i < lanes[l].first + lanes[l].count; i++) {
            double s0 = ev[i].ts < t0 ? t0 : ev[i].ts, s1 = ev[i].ts + ev[i].dur > t1 ? t1 : ev[i].ts + ev[i].dur;
            if (s1 > s0)
                busy += s1 - s0;
        }
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#666\">%.0f%%</text>\n", LABEL_W - 8,
                y + 13, 100 * busy / (t1 - t0));
        /* The requests that succeeded, then the failed ones on top, so that
         * no rectangle hides a failure. */
        plot_t p = {f, t0, t1, scale, y, nev <= TITLES_MAX};
        rects += draw_requests(&p, &ev[lanes[l].first], lanes[l].count, false);
        rects += draw_requests(&p, &ev[lanes[l].first], lanes[l].count, true);
        y += LANE_H + LANE_GAP;
    }
    if (!nev)
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#888\">no requests in this trace</text>\n", LABEL_W + 10,
                TOP + 20);

    /* Legend. */
    double lx = LABEL_W, ly = height - LEGEND_H + 14;
    fprintf(f, "<text x=\"8\" y=\"%.1f\" fill=\"#333\">request kind</text>\n", ly + 10);
    for (int k = 0; k < nkinds; k++) {
        if (!kinds[k].count)
            continue;
        fprintf(f,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"12\" fill=\"%s\"/>"
                "<text x=\"%.1f\" y=\"%.1f\">",
                lx, ly, kinds[k].color, lx + 19, ly + 10);
        xml_text(f, kinds[k].cat);
        fprintf(f, " (%zu)</text>\n", kinds[k].count);
        lx += 30 + 8.0 * (double)(strlen(kinds[k].cat) + 8);
    }
    fprintf(f,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"12\" fill=\"#ffffff\" stroke=\"#d00000\" "
            "stroke-width=\"2\"/><text x=\"%.1f\" y=\"%.1f\">failed (%zu)</text>\n",
            lx, ly, lx + 19, ly + 10, nfailed);
    fprintf(f, "</svg>\n");
    bool bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad) {
        fprintf(stderr, "nrt-trace-plot: error writing '%s'\n", out_path);
        return 1;
    }
    if (!nev)
        fprintf(stderr, "nrt-trace-plot: warning: %s has no requests%s\n", in_path,
                isnan(from) && isnan(to) ? "" : " in the window");
    free(ev);
    free(lanes);
    free(procs);
    json_doc_free(doc);
    (void)rects;
    return 0;
}

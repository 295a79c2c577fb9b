/*
 * tools/json.c - recursive-descent JSON parser into an arena (see json.h).
 *
 * Children of the array or object being parsed are collected on one shared
 * stack and copied into the arena when it closes, so a document costs one
 * arena plus one stack however many containers it holds. Errors carry the
 * line and column so a broken trace file can be found with an editor.
 */
#define _GNU_SOURCE
#include "json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*===------------------------------------------------------------------===*/
/* Arena                                                                  */
/*===------------------------------------------------------------------===*/

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    _Alignas(max_align_t) unsigned char data[];
} chunk_t;

struct json_doc {
    chunk_t *chunks;
    json_value_t *root;
};

static void *arena_alloc(json_doc_t *doc, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    chunk_t *c = doc->chunks;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > (1u << 20) ? n : (1u << 20);
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->used = 0;
        c->cap = cap;
        c->next = doc->chunks;
        doc->chunks = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

void json_doc_free(json_doc_t *doc)
{
    if (!doc)
        return;
    for (chunk_t *c = doc->chunks, *n; c; c = n) {
        n = c->next;
        free(c);
    }
    free(doc);
}

/*===------------------------------------------------------------------===*/
/* Parser                                                                 */
/*===------------------------------------------------------------------===*/

typedef struct {
    const char *s;
    size_t len, pos;
    json_doc_t *doc;
    int depth;
    char *err;
    size_t errcap;
    bool failed;
    /* Shared stack of pending children (keys parallel to values). */
    json_value_t **vals;
    const char **keys;
    size_t top, cap;
} parser_t;

static void fail(parser_t *p, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    if (!p->errcap)
        return;
    size_t line = 1, col = 1;
    for (size_t i = 0; i < p->pos && i < p->len; i++) {
        if (p->s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    int n = snprintf(p->err, p->errcap, "line %zu, column %zu: ", line, col);
    if (n < 0 || (size_t)n >= p->errcap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + n, p->errcap - (size_t)n, fmt, ap);
    va_end(ap);
}

static void skip_ws(parser_t *p)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

static json_value_t *new_value(parser_t *p, json_type_t t)
{
    json_value_t *v = arena_alloc(p->doc, sizeof *v);
    if (!v) {
        fail(p, "out of memory");
        return NULL;
    }
    memset(v, 0, sizeof *v);
    v->type = t;
    return v;
}

static bool push(parser_t *p, const char *key, json_value_t *v)
{
    if (p->top == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 256;
        json_value_t **nv = realloc(p->vals, cap * sizeof *nv);
        if (nv)
            p->vals = nv;
        const char **nk = realloc(p->keys, cap * sizeof *nk);
        if (nk)
            p->keys = nk;
        if (!nv || !nk) {
            fail(p, "out of memory");
            return false;
        }
        p->cap = cap;
    }
    p->keys[p->top] = key;
    p->vals[p->top] = v;
    p->top++;
    return true;
}

static int hex4(const char *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Parses the string at p->pos (on the opening quote). The decoded form is
 * never longer than the source, so one allocation of the raw length does. */
static const char *parse_string(parser_t *p, size_t *out_len)
{
    p->pos++; /* opening quote */
    size_t start = p->pos, end = start;
    bool escaped = false;
    while (end < p->len && p->s[end] != '"') {
        if ((unsigned char)p->s[end] < 0x20) {
            p->pos = end;
            fail(p, "control character in string");
            return NULL;
        }
        if (p->s[end] == '\\') {
            escaped = true;
            end++;
        }
        end++;
    }
    if (end >= p->len) {
        fail(p, "unterminated string");
        return NULL;
    }
    char *o = arena_alloc(p->doc, end - start + 1);
    if (!o) {
        fail(p, "out of memory");
        return NULL;
    }
    if (!escaped) {
        memcpy(o, p->s + start, end - start);
        o[end - start] = '\0';
        *out_len = end - start;
        p->pos = end + 1;
        return o;
    }
    size_t n = 0;
    for (size_t i = start; i < end; i++) {
        char c = p->s[i];
        if (c != '\\') {
            o[n++] = c;
            continue;
        }
        c = p->s[++i];
        switch (c) {
        case '"': o[n++] = '"'; break;
        case '\\': o[n++] = '\\'; break;
        case '/': o[n++] = '/'; break;
        case 'b': o[n++] = '\b'; break;
        case 'f': o[n++] = '\f'; break;
        case 'n': o[n++] = '\n'; break;
        case 'r': o[n++] = '\r'; break;
        case 't': o[n++] = '\t'; break;
        case 'u': {
            int hi = i + 4 < end ? hex4(p->s + i + 1) : -1;
            if (hi < 0) {
                p->pos = i;
                fail(p, "bad \\u escape");
                return NULL;
            }
            i += 4;
            uint32_t cp = (uint32_t)hi;
            if (hi >= 0xd800 && hi < 0xdc00 && i + 6 < end && p->s[i + 1] == '\\' && p->s[i + 2] == 'u') {
                int lo = hex4(p->s + i + 3);
                if (lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + (((uint32_t)hi - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
                    i += 6;
                }
            }
            if (cp >= 0xd800 && cp < 0xe000)
                cp = 0xfffd; /* lone surrogate */
            n += put_utf8(o + n, cp);
            break;
        }
        default:
            p->pos = i;
            fail(p, "bad escape '\\%c'", c);
            return NULL;
        }
    }
    o[n] = '\0';
    *out_len = n;
    p->pos = end + 1;
    return o;
}

static json_value_t *parse_value(parser_t *p);

static json_value_t *parse_number(parser_t *p)
{
    size_t i = p->pos;
    if (i < p->len && p->s[i] == '-')
        i++;
    if (i >= p->len || p->s[i] < '0' || p->s[i] > '9') {
        fail(p, "invalid number");
        return NULL;
    }
    if (p->s[i] == '0')
        i++;
    else
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
            i++;
    if (i < p->len && p->s[i] == '.') {
        i++;
        if (i >= p->len || p->s[i] < '0' || p->s[i] > '9') {
            p->pos = i;
            fail(p, "invalid number: digit expected after '.'");
            return NULL;
        }
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
            i++;
    }
    if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
        i++;
        if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
            i++;
        if (i >= p->len || p->s[i] < '0' || p->s[i] > '9') {
            p->pos = i;
            fail(p, "invalid number: digit expected in exponent");
            return NULL;
        }
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
            i++;
    }
    /* strtod needs a terminated copy: the text may end right here. */
    char buf[64];
    size_t n = i - p->pos;
    char *tmp = n < sizeof buf ? buf : malloc(n + 1);
    if (!tmp) {
        fail(p, "out of memory");
        return NULL;
    }
    memcpy(tmp, p->s + p->pos, n);
    tmp[n] = '\0';
    json_value_t *v = new_value(p, JSON_NUMBER);
    if (v)
        v->u.num = strtod(tmp, NULL);
    if (tmp != buf)
        free(tmp);
    p->pos = i;
    return v;
}

static bool literal(parser_t *p, const char *word)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0) {
        fail(p, "invalid literal");
        return false;
    }
    p->pos += n;
    return true;
}

static json_value_t *parse_array(parser_t *p)
{
    p->pos++; /* [ */
    size_t base = p->top;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ']') {
        p->pos++;
    } else {
        for (;;) {
            json_value_t *item = parse_value(p);
            if (!item || !push(p, NULL, item))
                return NULL;
            skip_ws(p);
            if (p->pos < p->len && p->s[p->pos] == ',') {
                p->pos++;
                continue;
            }
            if (p->pos < p->len && p->s[p->pos] == ']') {
                p->pos++;
                break;
            }
            fail(p, "expected ',' or ']'");
            return NULL;
        }
    }
    json_value_t *v = new_value(p, JSON_ARRAY);
    if (!v)
        return NULL;
    size_t n = p->top - base;
    v->u.arr.n = n;
    if (n) {
        v->u.arr.items = arena_alloc(p->doc, n * sizeof *v->u.arr.items);
        if (!v->u.arr.items) {
            fail(p, "out of memory");
            return NULL;
        }
        memcpy(v->u.arr.items, p->vals + base, n * sizeof *v->u.arr.items);
    }
    p->top = base;
    return v;
}

static json_value_t *parse_object(parser_t *p)
{
    p->pos++; /* { */
    size_t base = p->top;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == '}') {
        p->pos++;
    } else {
        for (;;) {
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != '"') {
                fail(p, "expected a string key");
                return NULL;
            }
            size_t klen;
            const char *key = parse_string(p, &klen);
            if (!key)
                return NULL;
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') {
                fail(p, "expected ':'");
                return NULL;
            }
            p->pos++;
            json_value_t *val = parse_value(p);
            if (!val || !push(p, key, val))
                return NULL;
            skip_ws(p);
            if (p->pos < p->len && p->s[p->pos] == ',') {
                p->pos++;
                continue;
            }
            if (p->pos < p->len && p->s[p->pos] == '}') {
                p->pos++;
                break;
            }
            fail(p, "expected ',' or '}'");
            return NULL;
        }
    }
    json_value_t *v = new_value(p, JSON_OBJECT);
    if (!v)
        return NULL;
    size_t n = p->top - base;
    v->u.obj.n = n;
    if (n) {
        v->u.obj.keys = arena_alloc(p->doc, n * sizeof *v->u.obj.keys);
        v->u.obj.vals = arena_alloc(p->doc, n * sizeof *v->u.obj.vals);
        if (!v->u.obj.keys || !v->u.obj.vals) {
            fail(p, "out of memory");
            return NULL;
        }
        memcpy(v->u.obj.keys, p->keys + base, n * sizeof *v->u.obj.keys);
        memcpy(v->u.obj.vals, p->vals + base, n * sizeof *v->u.obj.vals);
    }
    p->top = base;
    return v;
}

static json_value_t *parse_value(parser_t *p)
{
    skip_ws(p);
    if (p->pos >= p->len) {
        fail(p, "unexpected end of input");
        return NULL;
    }
    if (++p->depth > JSON_MAX_DEPTH) {
        fail(p, "nesting deeper than %d levels", JSON_MAX_DEPTH);
        return NULL;
    }
    json_value_t *v = NULL;
    char c = p->s[p->pos];
    switch (c) {
    case '{': v = parse_object(p); break;
    case '[': v = parse_array(p); break;
    case '"': {
        size_t n;
        const char *s = parse_string(p, &n);
        if (s && (v = new_value(p, JSON_STRING)) != NULL) {
            v->u.str.s = s;
            v->u.str.len = n;
        }
        break;
    }
    case 't':
        if (literal(p, "true") && (v = new_value(p, JSON_BOOL)) != NULL)
            v->u.b = true;
        break;
    case 'f':
        if (literal(p, "false") && (v = new_value(p, JSON_BOOL)) != NULL)
            v->u.b = false;
        break;
    case 'n':
        if (literal(p, "null"))
            v = new_value(p, JSON_NULL);
        break;
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            v = parse_number(p);
        else
            fail(p, "unexpected character '%c'", c);
    }
    p->depth--;
    return v;
}

json_doc_t *json_parse(const char *text, size_t len, char *err, size_t errcap)
{
    if (errcap)
        err[0] = '\0';
    json_doc_t *doc = calloc(1, sizeof *doc);
    if (!doc) {
        if (errcap)
            snprintf(err, errcap, "out of memory");
        return NULL;
    }
    parser_t p = {.s = text, .len = len, .doc = doc, .err = err, .errcap = errcap};
    doc->root = parse_value(&p);
    if (doc->root) {
        skip_ws(&p);
        if (p.pos != p.len)
            fail(&p, "trailing characters after the JSON value");
    }
    free(p.vals);
    free(p.keys);
    if (p.failed) {
        json_doc_free(doc);
        return NULL;
    }
    return doc;
}

void *json_read_all(const char *path, size_t *size, char *err, size_t errcap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errcap)
            snprintf(err, errcap, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    bool rerr = ferror(f);
    fclose(f);
    if (!buf || rerr) {
        if (errcap)
            snprintf(err, errcap, "cannot read '%s': %s", path, buf ? "read error" : "out of memory");
        free(buf);
        return NULL;
    }
    *size = n;
    return buf;
}

json_doc_t *json_parse_file(const char *path, char *err, size_t errcap)
{
    size_t n;
    char *buf = json_read_all(path, &n, err, errcap);
    if (!buf)
        return NULL;
    json_doc_t *doc = json_parse(buf, n, err, errcap);
    free(buf);
    return doc;
}

void json_write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/*===------------------------------------------------------------------===*/
/* Queries                                                                */
/*===------------------------------------------------------------------===*/

const json_value_t *json_root(const json_doc_t *doc)
{
    return doc ? doc->root : NULL;
}

const json_value_t *json_get(const json_value_t *v, const char *key)
{
    if (!v || v->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < v->u.obj.n; i++)
        if (strcmp(v->u.obj.keys[i], key) == 0)
            return v->u.obj.vals[i];
    return NULL;
}

const json_value_t *json_at(const json_value_t *v, size_t i)
{
    if (!v || v->type != JSON_ARRAY || i >= v->u.arr.n)
        return NULL;
    return v->u.arr.items[i];
}

const json_value_t *json_path(const json_value_t *v, const char *path)
{
    char part[256];
    const char *p = path;
    while (v && *p) {
        size_t n = strcspn(p, ".");
        if (n >= sizeof part)
            return NULL;
        memcpy(part, p, n);
        part[n] = '\0';
        p += n;
        if (*p == '.')
            p++;
        if (v->type == JSON_ARRAY) {
            char *end;
            unsigned long idx = strtoul(part, &end, 10);
            v = (*part && !*end) ? json_at(v, idx) : NULL;
        } else {
            v = json_get(v, part);
        }
    }
    return v;
}

double json_num(const json_value_t *v, double fallback)
{
    return v && v->type == JSON_NUMBER ? v->u.num : fallback;
}

const char *json_str(const json_value_t *v, const char *fallback)
{
    return v && v->type == JSON_STRING ? v->u.str.s : fallback;
}

size_t json_len(const json_value_t *v)
{
    if (!v)
        return 0;
    if (v->type == JSON_ARRAY)
        return v->u.arr.n;
    if (v->type == JSON_OBJECT)
        return v->u.obj.n;
    return 0;
}

const char *json_type_name(json_type_t t)
{
    static const char *const names[] = {"null", "bool", "number", "string", "array", "object"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

void json_write_error(FILE *f, const char *tool, const char *message)
{
    size_t n = strlen(message);
    while (n && message[n - 1] == '\n')
        n--;
    char *m = malloc(n + 1);
    fprintf(f, "{\"tool\":");
    json_write_string(f, tool);
    fprintf(f, ",\"ok\":false,\"error\":");
    if (m) {
        memcpy(m, message, n);
        m[n] = '\0';
        json_write_string(f, m);
        free(m);
    } else {
        json_write_string(f, message);
    }
    fprintf(f, "}\n");
    fflush(f);
}

bool json_flag_given(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--json") == 0)
            return true;
    return false;
}

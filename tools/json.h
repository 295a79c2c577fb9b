/*
 * tools/json.h - a small, dependency-free JSON reader for the tools and
 * their tests (nrt-trace-plot reads Chrome traces, the tests check the
 * --json output of nrt-ls / nrt-bench).
 *
 * It parses RFC 8259 JSON into a read-only tree. Every node lives in one
 * arena owned by the json_doc_t, so json_doc_free() releases everything at
 * once and nodes are borrowed pointers valid until then. Strings are
 * decoded (escapes, \uXXXX including surrogate pairs, to UTF-8) and
 * NUL-terminated; numbers keep their double value. Nesting is limited to
 * JSON_MAX_DEPTH levels so hostile input cannot exhaust the stack.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>

#define JSON_MAX_DEPTH 256

typedef enum {
    JSON_NULL = 0,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
} json_type_t;

typedef struct json_value json_value_t;

struct json_value {
    json_type_t type;
    union {
        bool b;
        double num;
        struct {
            const char *s; /* NUL-terminated; may contain NULs from \u0000 */
            size_t len;
        } str;
        struct {
            json_value_t **items;
            size_t n;
        } arr;
        struct {
            const char **keys;
            json_value_t **vals;
            size_t n;
        } obj;
    } u;
};

typedef struct json_doc json_doc_t;

/* Parses |len| bytes of |text|. Returns a document the caller frees with
 * json_doc_free(), or NULL with a message like "line 3, column 7: expected
 * ':'" in |err| (|errcap| bytes, may be 0). */
json_doc_t *json_parse(const char *text, size_t len, char *err, size_t errcap);

/* As json_parse, reading the whole file at |path|. */
json_doc_t *json_parse_file(const char *path, char *err, size_t errcap);

/* Reads the whole file at |path| into a malloc'd buffer (caller frees) and
 * its length into *size, or NULL with a message in |err|. */
void *json_read_all(const char *path, size_t *size, char *err, size_t errcap);

/* Writes |s| as a quoted, escaped JSON string. */
void json_write_string(FILE *f, const char *s);

/* What a tool's JSON output holds when it fails before it has results:
 * {"tool":TOOL,"ok":false,"error":MESSAGE} and a newline, MESSAGE without
 * its trailing newline. */
void json_write_error(FILE *f, const char *tool, const char *message);
/* Whether "--json" is among the arguments: so that errors met before the
 * options are parsed are reported as JSON too. */
bool json_flag_given(int argc, char **argv);

void json_doc_free(json_doc_t *doc);

/* The root value (borrowed). */
const json_value_t *json_root(const json_doc_t *doc);

/* Member |key| of object |v|, element |i| of array |v|; NULL when |v| is
 * NULL, of another type, or has no such member/element. */
const json_value_t *json_get(const json_value_t *v, const char *key);
const json_value_t *json_at(const json_value_t *v, size_t i);

/* Follows a dotted path such as "cores.1.units.0.name" (numeric parts index
 * arrays); NULL if any step is missing. */
const json_value_t *json_path(const json_value_t *v, const char *path);

/* Typed accessors with a fallback for missing or mistyped values. */
double json_num(const json_value_t *v, double fallback);
const char *json_str(const json_value_t *v, const char *fallback);
size_t json_len(const json_value_t *v); /* elements or members; 0 otherwise */

const char *json_type_name(json_type_t t);

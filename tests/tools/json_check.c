/*
 * tests/tools/json_check.c - validates a JSON file and checks values in it,
 * so the tool tests need no python:
 *
 *   json_check FILE [CHECK...]
 *     PATH=VALUE   the value at PATH equals VALUE (number, true/false/null,
 *                  else compared as a string)
 *     PATH#N       the array/object at PATH has N elements
 *     PATH?        PATH exists
 *     PATH>N       the number at PATH is greater than N
 *   PATH is dotted, numbers index arrays: "cores.1.physical_id".
 * Exit 0 when the file parses and every check holds, else 1 with a message.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static int check(const json_value_t *root, const char *spec)
{
    char path[512];
    const char *op = spec + strcspn(spec, "=#?>");
    if (!*op || (size_t)(op - spec) >= sizeof path) {
        fprintf(stderr, "json_check: bad check '%s'\n", spec);
        return 1;
    }
    memcpy(path, spec, (size_t)(op - spec));
    path[op - spec] = '\0';
    const char *want = op + 1;
    const json_value_t *v = json_path(root, path);
    if (!v) {
        fprintf(stderr, "json_check: '%s' is missing\n", path);
        return 1;
    }
    char *end;
    double num = strtod(want, &end);
    bool is_num = *want && !*end;
    switch (*op) {
    case '?':
        return 0;
    case '#':
        if ((v->type == JSON_ARRAY || v->type == JSON_OBJECT) && is_num && json_len(v) == (size_t)num)
            return 0;
        fprintf(stderr, "json_check: '%s' has %zu elements (%s), expected %s\n", path, json_len(v),
                json_type_name(v->type), want);
        return 1;
    case '>':
        if (v->type == JSON_NUMBER && is_num && v->u.num > num)
            return 0;
        fprintf(stderr, "json_check: '%s' = %g (%s) is not > %s\n", path, json_num(v, 0), json_type_name(v->type),
                want);
        return 1;
    default:
        break;
    }
    bool ok;
    if (is_num)
        ok = v->type == JSON_NUMBER && v->u.num == num;
    else if (!strcmp(want, "true") || !strcmp(want, "false"))
        ok = v->type == JSON_BOOL && v->u.b == (want[0] == 't');
    else if (!strcmp(want, "null"))
        ok = v->type == JSON_NULL;
    else
        ok = v->type == JSON_STRING && strcmp(v->u.str.s, want) == 0;
    if (!ok) {
        fprintf(stderr, "json_check: '%s' is ", path);
        if (v->type == JSON_NUMBER)
            fprintf(stderr, "%g", v->u.num);
        else if (v->type == JSON_STRING)
            fprintf(stderr, "\"%s\"", v->u.str.s);
        else if (v->type == JSON_BOOL)
            fprintf(stderr, "%s", v->u.b ? "true" : "false");
        else
            fprintf(stderr, "a %s", json_type_name(v->type));
        fprintf(stderr, ", expected %s\n", want);
    }
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: json_check FILE [PATH=VALUE | PATH#N | PATH? | PATH>N]...\n");
        return 2;
    }
    char err[512];
    json_doc_t *doc = json_parse_file(argv[1], err, sizeof err);
    if (!doc) {
        fprintf(stderr, "json_check: %s: %s\n", argv[1], err);
        return 1;
    }
    int bad = 0;
    for (int i = 2; i < argc; i++)
        bad |= check(json_root(doc), argv[i]);
    json_doc_free(doc);
    return bad;
}

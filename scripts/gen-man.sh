#!/bin/sh
# Generates OpenNRT's man pages from their one source, so that they cannot
# drift from it:
#   - section 3, from the public headers: one page per header (nrt.h.3:
#     the header's opening comment and its functions by section) and one page
#     per function (nrt_init.3: the prototype, the #include line and the
#     comment written above the declaration, shared by the declarations
#     that follow it with no blank line);
#   - section 1, from the tools' own --help text: NAME from its first
#     sentence, SYNOPSIS from the usage lines, the rest as written.
# Usage:
#   gen-man.sh headers OUTDIR VERSION HEADER...   (writes OUTDIR/*.3)
#   gen-man.sh tools   OUTDIR VERSION TOOL...     (runs TOOL --help, writes OUTDIR/TOOL.1)
# OUTDIR is emptied of its *.3 / *.1 pages first (a removed function leaves
# no stale page). Needs only sh and awk.
set -eu

mode="$1" out="$2" version="$3"
shift 3
mkdir -p "$out"

# roff escaping of plain text: backslashes, and lines that start with a
# control character.
esc() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

case "$mode" in
headers)
    rm -f "$out"/*.3
    for h in "$@"; do
        base=$(basename "$h")
        # Pass 1 (awk): one record per function: name, prototype, comment,
        # section, separated by \001; the header's own description first.
        awk '
        function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
        function comment_text(l) {
            l = trim(l); sub(/^\/\*+ ?/, "", l); sub(/\*+\/$/, "", l); sub(/^\*+ ?/, "", l)
            return l
        }
        # Comment lines are joined with \002 (records are one line each).
        function add_comment_line(l) {
            l = comment_text(l)
            if (ctext == "" && trim(l) == "") return
            ctext = ctext (ctext == "" ? "" : "\002") l
        }
        function finish_comment() {
            sub(/(\002[ \t]*)+$/, "", ctext)
            if (first) { first = 0; printf "H\001%s\n", ctext; cmt = ""; return }
            if (banner == 1) { banner = 2; section = trim(ctext); cmt = ""; return }
            cmt = ctext
        }
        BEGIN { depth = 0; cmt = ""; incmt = 0; inmacro = 0; decl = ""; section = ""; first = 1; banner = 0; ncond = 0 }
        {
            line = $0
            if (incmt) {
                add_comment_line(line)
                if (index(line, "*/")) { incmt = 0; finish_comment() }
                next
            }
            if (inmacro) { inmacro = (line ~ /\\$/); next }
            if (line ~ /^[ \t]*#/) { inmacro = (line ~ /\\$/); preproc(line); next }
            if (depth == 0 && decl == "" && line ~ /^[ \t]*\/\*/) {
                # A section title sits between two banner lines.
                if (line ~ /^[ \t]*\/\*=+-+=+\*\/[ \t]*$/) { banner = (banner == 0); next }
                ctext = ""; add_comment_line(line)
                if (index(substr(line, index(line, "/*") + 2), "*/")) finish_comment(); else incmt = 1
                next
            }
            if (line ~ /^[ \t]*$/) { if (decl == "") cmt = ""; next }
            if (line ~ /^extern "C"/ || (depth == 0 && decl == "" && line ~ /^}[ \t]*$/)) next
            code = line; sub(/\/\*.*$/, "", code); sub(/\/\/.*$/, "", code)
            o = gsub(/{/, "{", code); c = gsub(/}/, "}", code)
            if (depth > 0 || o > 0) {
                # A struct / enum body, or the body of a static inline function
                # (which is recorded with its head as the prototype).
                if (depth == 0) {
                    head = code; sub(/{.*$/, "", head)
                    decl = decl (decl == "" ? "" : " ") trim(head)
                    if (decl ~ /\)[ \t]*$/ && decl !~ /^typedef/) record(decl ";")
                    decl = ""
                }
                depth += o - c
                if (depth == 0) cmt = ""
                next
            }
            decl = decl (decl == "" ? "" : " ") trim(code)
            if (decl ~ /;[ \t]*$/) {
                d = decl; decl = ""
                if (d !~ /^typedef/) record(d)
            }
        }
        # The #if conditions that select API versions (not include guards or
        # __cplusplus), so that each variant of a declaration says which it is.
        function preproc(l,   kw, c) {
            sub(/^[ \t]*#[ \t]*/, "", l); kw = l; sub(/[ \t].*$/, "", kw); c = l; sub(/^[a-z]+[ \t]*/, "", c)
            sub(/[ \t]*\/\*.*$/, "", c)
            if (kw == "if" || kw == "ifdef" || kw == "ifndef") {
                if (kw == "ifdef") c = "defined " c
                if (kw == "ifndef") c = "!defined " c
                cond[++ncond] = c
            } else if (kw == "elif" && ncond > 0) {
                cond[ncond] = c
            } else if (kw == "else" && ncond > 0) {
                c = cond[ncond]
                if (c ~ / == /) sub(/ == /, " != ", c); else if (c ~ / != /) sub(/ != /, " == ", c); else c = "!(" c ")"
                cond[ncond] = c
            } else if (kw == "endif" && ncond > 0) {
                ncond--
            }
        }
        function version_cond(   i, r) {
            r = ""
            for (i = 1; i <= ncond; i++)
                if (cond[i] ~ /VERSION/) r = r (r == "" ? "" : " && ") cond[i]
            return r
        }
        function record(d,   pre, n, parts, name, i, lvl) {
            if (d !~ /\(/) return
            gsub(/[ \t]+/, " ", d)
            # The prototype ends at the parenthesis closing the parameters
            # (dropping attribute macros after it).
            lvl = 0
            for (i = index(d, "("); i <= length(d); i++) {
                if (substr(d, i, 1) == "(") lvl++
                else if (substr(d, i, 1) == ")" && --lvl == 0) break
            }
            d = substr(d, 1, i) ";"
            pre = substr(d, 1, index(d, "(") - 1); sub(/[ \t]+$/, "", pre)
            n = split(pre, parts, /[ *]+/); name = parts[n]
            if (name ~ /^[A-Za-z][A-Za-z0-9_]*$/ && name != "static_assert")
                printf "F\001%s\001%s\001%s\001%s\001%s\n", name, d, cmt, section, version_cond()
        }
        ' "$h" >"$out/.records"
        # Pass 2: the pages.
        awk -v hdr="$base" -v out="$out" -v version="$version" '
        function esc(s) { gsub(/\\/, "\\e", s); return s }
        function para(s,   n, i, a, r, l) {
            # roff text of a comment: |param| in italics; blank lines separate paragraphs.
            s = esc(s)
            while (match(s, /\|[A-Za-z_][A-Za-z0-9_]*\|/))
                s = substr(s, 1, RSTART - 1) "\\fI" substr(s, RSTART + 1, RLENGTH - 2) "\\fP" substr(s, RSTART + RLENGTH)
            n = split(s, a, "\002"); r = ""
            for (i = 1; i <= n; i++) {
                l = a[i]
                if (l == "") { r = r ".PP\n"; continue }
                if (l ~ /^[.\047]/) l = "\\&" l
                if (l ~ /^ *- / || l ~ /^   /) r = r ".br\n"
                r = r l "\n"
            }
            return r
        }
        function first_sentence(s,   t) {
            t = s; gsub(/\002/, " ", t); gsub(/  +/, " ", t)
            if (match(t, /[.;:]( |$)/)) t = substr(t, 1, RSTART - 1)
            if (length(t) > 100) t = substr(t, 1, 97) "..."
            gsub(/\|/, "", t)
            return esc(t)
        }
        function th(name, sec) {
            return ".TH \"" toupper(name) "\" " sec " \"\" \"OpenNRT " version "\" \"OpenNRT Programmer\\(aqs Manual\"\n"
        }
        BEGIN { FS = "\001"; nf = 0 }
        $1 == "H" { hdesc = $2; next }
        $1 == "F" {
            name = $2
            if (!(name in nv)) { order[++nf] = name; nv[name] = 0; sec[name] = $5 }
            v = ++nv[name]; vproto[name, v] = $3; vcmt[name, v] = $4; vcond[name, v] = $6
            if (v == 1 || cmt[name] == "") cmt[name] = $4
        }
        END {
            hname = hdr
            hsum = hdesc; sub(/^[^ ]*\.h - /, "", hsum)
            f = out "/" hname ".3"
            printf "%s", th(hname, 3) > f
            printf ".SH NAME\n%s \\- %s\n", hname, first_sentence(hsum) > f
            printf ".SH SYNOPSIS\n.nf\n.B #include <nrt/%s>\n.fi\n", hdr > f
            printf ".SH DESCRIPTION\n%s", para(hsum) > f
            if (nf > 0) {
                printf ".SH FUNCTIONS\n" > f
                last = "\001"
                for (i = 1; i <= nf; i++) {
                    n = order[i]
                    if (sec[n] != last) { last = sec[n]; if (sec[n] != "") printf ".SS %s\n", esc(sec[n]) > f }
                    printf ".BR %s (3)\n.br\n", n > f
                }
            }
            printf ".SH SEE ALSO\nThe documentation of OpenNRT: docs/API.md, docs/CONFIG.md.\n" > f
            close(f)
            for (i = 1; i <= nf; i++) {
                n = order[i]; f = out "/" n ".3"
                printf "%s", th(n, 3) > f
                what = cmt[n] != "" ? first_sentence(cmt[n]) : (sec[n] != "" ? esc(sec[n]) : hdr)
                printf ".SH NAME\n%s \\- %s\n", n, what > f
                printf ".SH SYNOPSIS\n.nf\n.B #include <nrt/%s>\n.PP\n", hdr > f
                for (j = 1; j <= nv[n]; j++) {
                    if (vcond[n, j] != "") printf "%s/* %s */\n", (j > 1 ? "\n" : ""), esc(vcond[n, j]) > f
                    printf "%s\n", esc(vproto[n, j]) > f
                }
                printf ".fi\n.PP\nLink with \\fI\\-lnrt\\fP (pkg\\-config: \\fInrt\\fP).\n" > f
                printf ".SH DESCRIPTION\n" > f
                for (j = 1; j <= nv[n]; j++) {
                    if (nv[n] > 1) printf ".SS %s\n", (vcond[n, j] != "" ? esc(vcond[n, j]) : "variant " j) > f
                    if (vcmt[n, j] != "") printf "%s", para(vcmt[n, j]) > f
                    else if (j > 1) printf "As above.\n" > f
                    else printf "Part of %s (%s).\n", (sec[n] != "" ? esc(sec[n]) : "the API"), hdr > f
                }
                printf ".PP\nThe conventions of every function of this header (argument checks, statuses\nbefore \\fBnrt_init\\fP and after \\fBnrt_close\\fP) are in\n.BR %s (3).\n", hname > f
                printf ".SH SEE ALSO\n.BR %s (3)\n", hname > f
                close(f)
            }
        }
        ' "$out/.records"
        rm -f "$out/.records"
    done
    ;;
tools)
    rm -f "$out"/*.1
    for tool in "$@"; do
        name=$(basename "$tool")
        help=$("$tool" --help 2>&1) || { echo "gen-man.sh: $tool --help failed" >&2; exit 1; }
        f="$out/$name.1"
        upper=$(printf '%s' "$name" | tr 'a-z' 'A-Z')
        {
            printf '.TH "%s" 1 "" "OpenNRT %s" "OpenNRT Manual"\n' "$upper" "$version"
            # The first paragraph after the usage lines; its first sentence is the NAME line.
            summary=$(printf '%s\n' "$help" | awk '
                /^usage:/ || (u && /^ +/ && !started) { u = 1; next }
                u && /^$/ { if (started) exit; next }
                u { started = 1; printf "%s ", $0 }' |
                sed -e 's/\. .*//' -e 's/ (.*//' -e 's/: .*//' -e 's/\.$//' -e 's/ *$//')
            first=$(printf '%s' "$summary" | cut -c1 | tr 'A-Z' 'a-z')
            printf '.SH NAME\n%s \\- %s%s\n' "$name" "$first" "$(printf '%s' "$summary" | cut -c2- | esc)"
            printf '.SH SYNOPSIS\n.nf\n'
            printf '%s\n' "$help" | awk '/^usage:/ { u = 1; sub(/^usage: /, ""); print; next }
                                         u && /^$/ { exit } u { sub(/^       /, ""); print }' | esc
            printf '.fi\n.SH DESCRIPTION\n.nf\n'
            printf '%s\n' "$help" | awk '/^usage:/ { u = 1; next } u && /^$/ { d = 1 } d' | sed '1{/^$/d}' | esc
            printf '.fi\n.SH SEE ALSO\n'
            for other in "$@"; do
                o=$(basename "$other")
                [ "$o" = "$name" ] || printf '.BR %s (1),\n' "$o"
            done
            printf '.BR nrt.h (3).\nThe documentation of OpenNRT: docs/TOOLS.md.\n'
        } >"$f"
    done
    ;;
*)
    echo "usage: gen-man.sh headers|tools OUTDIR VERSION FILE..." >&2
    exit 2
    ;;
esac

/*
 * entrypoints.h - entry_points.txt, and the files an installer makes from it: the
 * launcher scripts of console_scripts and gui_scripts, and the "#!python" line of a
 * wheel's own scripts rewritten for the target interpreter.
 *
 * entry_points.txt is INI as Python's configparser reads it for this file (what
 * importlib.metadata does): "[group]" sections, "name = value" lines ('=' is the only
 * delimiter; names are case-sensitive and keep inner spaces; white space around both
 * is dropped), '#' and ';' comment lines, blank lines. A value is "module:attr.path
 * [extra1, extra2]" or just "module" (extras ignored by installers). Errors name the file
 * and line: "foo-1.0.dist-info/entry_points.txt:4: 'main' has no value".
 */
#ifndef BUNPY_ENTRYPOINTS_H
#define BUNPY_ENTRYPOINTS_H

#include <stdbool.h>
#include <stddef.h>

#include "../engine/arena.h"
#include "../engine/buf.h"
#include "../engine/err.h"

typedef struct EntryPoint {
	const char *group;           /* "console_scripts", ... */
	const char *name;
	const char *value;           /* as written, trimmed */
	const char *module;          /* "pkg.cli" */
	const char *attr;            /* "main" or "Cls.method"; NULL when the value has none */
	unsigned line;
} EntryPoint;

/* Parse the whole file; entries in file order. A line outside any section, a section
 * header without ']', a line without '=' and a duplicate name within a group are errors
 * (configparser refuses them too). Module and attr are checked to be dotted Python
 * identifiers (ASCII or not, as str.isidentifier says for the ASCII range; other
 * code points are accepted). */
int entrypoints_parse(const char *data, size_t len, const char *what, Arena *arena,
		      EntryPoint **out, size_t *n, Err *err);

/* Whether name can be a script's file name in bin/: not empty, no '/', no NUL, not
 * "." or "..", no leading '-', no control character (pip refuses only '/' and escapes;
 * the rest would be an option to every command given the name, or an unprintable name). */
bool entrypoints_script_name_ok(const char *name);

/*
 * The first line of a script for the interpreter at python (an absolute path):
 * "#!PYTHON\n", or, when the path holds a space or is longer than 124 bytes, pip's
 * portable form, a /bin/sh line followed by the exec line that re-runs the file with
 * PYTHON:
 *     #!/bin/sh
 *     '''exec' "PYTHON" "$0" "$@"
 *     ' '''
 * (PYTHON in double quotes only when it holds a space, as pip 23 writes it; observed.)
 */
void entrypoints_shebang(const char *python, Buf *out);

/*
 * The launcher of a console or gui script (pip 23's template; the same for both on
 * POSIX):
 *     SHEBANG
 *     # -*- coding: utf-8 -*-
 *     import re
 *     import sys
 *     from MODULE import ATTR0
 *     if __name__ == '__main__':
 *         sys.argv[0] = re.sub(r'(-script\.pyw|\.exe)?$', '', sys.argv[0])
 *         sys.exit(ATTR)
 * with ATTR0 the first component of attr and ATTR the full dotted path followed by
 * "()". -1 with err when the entry point has no attr (pip refuses those too).
 */
int entrypoints_launcher(const EntryPoint *ep, const char *python, Buf *out, Err *err);

/*
 * A wheel script (.data/scripts/) whose first line starts with "#!python" (that covers
 * "#!pythonw"): the whole first line is replaced by entrypoints_shebang(python).
 * Returns 1 with the new content appended to out, 0 when the script does not start with
 * "#!python" (then nothing is appended: install it as it is).
 */
int entrypoints_rewrite_script(const char *data, size_t len, const char *python, Buf *out);

#endif

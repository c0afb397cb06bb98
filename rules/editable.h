/*
 * editable.h - the project itself in its own environment, as an editable install.
 *
 * `pip install -e .` asks the project's build backend for an editable wheel (PEP 660):
 * a .dist-info describing the project and a .pth file that puts its sources on sys.path,
 * so that an edit is seen without reinstalling. bunpy runs no build backend yet, so for
 * a project whose [project] metadata is static it makes that wheel itself: METADATA
 * (name, version, summary, requires-python, dependencies and extras), WHEEL,
 * entry_points.txt ([project.scripts], [project.gui-scripts], [project.entry-points])
 * and RECORD, with `__editable__.NAME-VERSION.pth` naming the import root: `src/` when
 * it exists, else the project directory. The wheel then goes through the installer like
 * any other (launchers for the scripts, REQUESTED, direct_url.json with "editable").
 *
 * The project is a package, and installed, when pyproject.toml has a [build-system]
 * table, unless [tool.bunpy] package = false (or true without one), as uv decides.
 * A package whose metadata is dynamic (setuptools-scm versions, dependencies read from
 * a file) needs its backend: it is left out, and the caller says why.
 */
#ifndef BUNPY_EDITABLE_H
#define BUNPY_EDITABLE_H

#include <stddef.h>
#include <stdint.h>

#include "../engine/arena.h"
#include "../engine/buf.h"
#include "../engine/err.h"
#include "../packaging/pyproject.h"

typedef struct EditableWheel {
	const char *name;            /* normalized */
	const char *version;
	const char *wheel_name;      /* NAME-VERSION-py3-none-any.whl, NAME with '_' */
	const char *import_root;     /* absolute */
	const char *direct_url_json; /* {"url": "file:///...", "dir_info": {"editable": true}} */
	const char **paths;          /* the members but RECORD, which editable_write adds */
	const char **data;
	size_t *lens;
	size_t n;
	const char *record_path;     /* NAME-VERSION.dist-info/RECORD */
	char digest[33];             /* XXH3-128 of the members: what changes on a reinstall */
} EditableWheel;

/*
 * Describe the project's editable wheel (everything in arena). Returns 1 with *out
 * filled; 0 when the project is not installed, with *why saying why when it is a
 * package that cannot be (NULL when it simply is not a package).
 */
int editable_plan(const Pyproject *py, const char *root, Arena *arena, EditableWheel *out,
		  const char **why);

/* Write the wheel to path (a deterministic zip: the same members give the same bytes),
 * replacing it atomically; its SHA-256 in hex and its size. */
int editable_write(const EditableWheel *w, const char *path, char sha_hex[65], uint64_t *size,
		   Err *err);

#endif

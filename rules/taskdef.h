/*
 * taskdef.h - project tasks as declared in pyproject.toml.
 *
 *   [tool.bunpy.tasks]
 *   lint = "ruff check ."                       # shorthand: the command alone
 *   [tool.bunpy.tasks.build]
 *   cmd = ["python", "-m", "build"]             # argv, or a string for sh -c
 *   deps = ["gen"]                              # tasks to run first
 *   inputs = ["src", "pyproject.toml"]          # files, directories, globs it reads
 *   outputs = ["dist/app.pyz"]                  # files it writes (restored from cache)
 *   env = { PYTHONHASHSEED = "0" }
 *   cwd = "src"
 *   description = "Build the app"
 *
 * The whole table is validated at once (unknown keys, types, unknown deps, cycles,
 * outputs outside the project, two tasks writing one file) and stored packed: a sorted
 * index of names, each with its definition as canonical JSON, so one task's definition
 * is found by binary search without decoding the others.
 */
#ifndef BUNPY_TASKDEF_H
#define BUNPY_TASKDEF_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/arena.h"
#include "engine/buf.h"
#include "engine/err.h"

typedef struct TaskDef {
	const char *name;
	const char *const *argv;      /* NULL-terminated; "sh", "-c", CMD for a string */
	bool shell;
	const char *command;          /* as the user wrote it, for display */
	const char *const *deps;
	size_t ndeps;
	const char *const *inputs;
	size_t ninputs;
	const char *const *outputs;
	size_t noutputs;
	const char *const *env;       /* "NAME=value", sorted by name */
	size_t nenv;
	const char *cwd;              /* relative to the project; "." by default */
	const char *description;      /* "" when none */
} TaskDef;

/* Parse the tasks of a pyproject.toml document into a packed table (which is empty when
 * the project declares none). Errors name the file, line and key. */
int taskdef_parse_pyproject(const char *text, size_t len, const char *filename, Buf *table,
			    Err *err);

size_t taskdef_count(const void *table, size_t len);
/* Entry i in name order; returns false when i or the table is out of range. */
bool taskdef_entry(const void *table, size_t len, size_t i, const char **name,
		   size_t *name_len, const char **json, size_t *json_len);
bool taskdef_find(const void *table, size_t len, const char *name, const char **json,
		  size_t *json_len);

int taskdef_decode(const char *json, size_t len, Arena *arena, TaskDef *out, Err *err);
/* Canonical JSON; without the description, it is what decides whether a task re-runs. */
void taskdef_encode(const TaskDef *t, bool with_description, Buf *out);

/* Is a task name acceptable on a command line? */
bool taskdef_valid_name(const char *name, size_t len);
/* pyproject.toml and the state directory: no task may have them as outputs. */
bool taskdef_is_own_file(const char *path);

#endif

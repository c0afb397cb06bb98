/*
 * proc.h - starting child processes and reading how they ended.
 *
 * A child runs in one of the engine's process slots: a worker thread starts it and
 * waits for it, so that the coordinator never blocks in posix_spawn (which holds the
 * caller until the child has exec'd). The child inherits the terminal (standard input,
 * output and error stream through), gets the parent's environment plus the given
 * variables, and an empty signal mask.
 */
#ifndef BUNPY_PROC_H
#define BUNPY_PROC_H

#include <stdbool.h>

#include "buf.h"
#include "err.h"

typedef struct ProcSpec {
	const char *const *argv;     /* argv[0] is looked up in PATH when it has no '/' */
	const char *const *env_set;  /* "NAME=value" entries added to the environment */
	const char *cwd;             /* NULL: the parent's */
} ProcSpec;

typedef struct ProcResult {
	int exit_code;               /* the child's status, or 128 + signal */
	int signal;                  /* the signal that ended it, or 0 */
} ProcResult;

/* Run and wait. Returns 0 when the child ran (whatever its status), -1 when it could
 * not be started (err says why; res->exit_code is then 127, as a shell would say). */
int proc_run(const ProcSpec *spec, ProcResult *res, Err *err);

/* Run argv (looked up in PATH) with standard output read into out, standard error
 * and input inherited; waits for it. -1 when it could not be started. */
int proc_output(const char *const *argv, Buf *out, int *exit_code, Err *err);

/* Look name (without a '/') up in a PATH-style list as execvp would (an empty entry is
 * the current directory): true with the file's path in out. */
bool proc_search_path(const char *path, const char *name, Buf *out);

/* Replace this process with file (a path) running argv, in the environment without
 * the variables env_unset names and with env_set ("NAME=value") added; standard
 * streams flushed first. Returns only on failure: -1 with err, errno kept (ENOENT,
 * EACCES, ...). Every descriptor bunpy opens is close-on-exec, so the program
 * inherits exactly what bunpy was given. */
int proc_exec(const char *file, const char *const *argv, const char *const *env_set,
	      const char *const *env_unset, Err *err);

#endif

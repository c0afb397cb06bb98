/*
 * proc.c - posix_spawn and waitpid.
 */
#include "config.h"

#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"

extern char **environ;

/* The parent's environment without the variables named in unset and with env_set
 * applied (later entries win); NULL when neither changes anything. */
static char **
merged_environment(const char *const *env_set, const char *const *unset)
{
	size_t n = 0, extra = 0, nunset = 0, i, j, k;
	char **out;

	while (environ[n])
		n++;
	while (env_set && env_set[extra])
		extra++;
	while (unset && unset[nunset])
		nunset++;
	if (!extra && !nunset)
		return NULL;
	out = xcalloc(n + extra + 1, sizeof(*out));
	k = 0;
	for (i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t len = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
		bool overridden = false;

		for (j = 0; j < extra && !overridden; j++)
			overridden = !strncmp(env_set[j], environ[i], len) && env_set[j][len] == '=';
		for (j = 0; j < nunset && !overridden; j++)
			overridden = strlen(unset[j]) == len && !strncmp(unset[j], environ[i], len);
		if (!overridden)
			out[k++] = environ[i];
	}
	for (j = 0; j < extra; j++)
		out[k++] = (char *)env_set[j];
	out[k] = NULL;
	return out;
}

/* The PATH the child will have when its variables set one (else NULL). */
static const char *
child_path(const char *const *env_set)
{
	const char *path = NULL;
	size_t i;

	for (i = 0; env_set && env_set[i]; i++)
		if (!strncmp(env_set[i], "PATH=", 5))
			path = env_set[i] + 5;
	return path;
}

/* Look name up in path as execvp in the child would. posix_spawnp searches bunpy's
 * own PATH, but a task that sets PATH means its commands to be found there; and a
 * relative entry is relative to the child's directory, not bunpy's. */
static bool
search_path(const char *path, const char *name, const char *cwd, Buf *out)
{
	const char *p = path;

	for (;;) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		struct stat sb;

		buf_clear(out);
		if (cwd && (len == 0 || p[0] != '/'))
			buf_printf(out, "%s/", cwd);
		if (len)   /* an empty entry is the current directory */
			buf_printf(out, "%.*s/", (int)len, p);
		buf_puts(out, name);
		if (stat(out->data, &sb) == 0 && S_ISREG(sb.st_mode) && access(out->data, X_OK) == 0)
			return true;
		if (!colon)
			return false;
		p = colon + 1;
	}
}

int
proc_run(const ProcSpec *spec, ProcResult *res, Err *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none;
	char **env = merged_environment(spec->env_set, NULL);
	const char *path;
	pid_t pid;
	int rc, status;

	res->exit_code = 127;
	res->signal = 0;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	/* The engine blocks SIGINT and SIGTERM in its threads (it reads them from a
	 * signalfd); the child starts with nothing blocked. Handlers need no reset:
	 * execve resets every caught signal, and bunpy ignores none. */
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	if (spec->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, spec->cwd);
	if (!strchr(spec->argv[0], '/') && (path = child_path(spec->env_set)) != NULL) {
		Buf found = { 0 };

		rc = search_path(path, spec->argv[0], spec->cwd, &found) ?
		     posix_spawn(&pid, found.data, &fa, &attr, (char *const *)spec->argv, env) :
		     ENOENT;
		buf_free(&found);
	} else {
		rc = posix_spawnp(&pid, spec->argv[0], &fa, &attr, (char *const *)spec->argv,
				  env ? env : environ);
	}
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free(env);
	if (rc != 0) {
		errno = rc;
		return err_sys(err, "cannot run '%s'%s%s", spec->argv[0],
			       spec->cwd ? " in " : "", spec->cwd ? spec->cwd : "");
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return err_sys(err, "waiting for '%s'", spec->argv[0]);
	}
	res->exit_code = 1;
	if (WIFEXITED(status)) {
		res->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		res->signal = WTERMSIG(status);
		res->exit_code = 128 + res->signal;
	}
	return 0;
}

int
proc_output(const char *const *argv, Buf *out, int *exit_code, Err *err)
{
	posix_spawn_file_actions_t fa;
	int fds[2], status;
	pid_t pid;
	char chunk[4096];
	ssize_t n;

	*exit_code = 127;
	if (pipe2(fds, O_CLOEXEC) != 0)
		return err_sys(err, "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ) != 0) {
		int e = errno;

		posix_spawn_file_actions_destroy(&fa);
		close(fds[0]);
		close(fds[1]);
		errno = e;
		return err_sys(err, "cannot run %s", argv[0]);
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	while ((n = read(fds[0], chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		buf_append(out, chunk, (size_t)n);
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return err_sys(err, "waitpid");
	*exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return 0;
}

bool
proc_search_path(const char *path, const char *name, Buf *out)
{
	return search_path(path, name, NULL, out);
}

int
proc_exec(const char *file, const char *const *argv, const char *const *env_set,
	  const char *const *env_unset, Err *err)
{
	char **env = merged_environment(env_set, env_unset);
	int e;

	fflush(NULL);
	execve(file, (char *const *)argv, env ? env : environ);
	e = errno;
	free(env);
	errno = e;
	err_sys(err, "cannot run '%s'", file);
	errno = e;
	return -1;
}

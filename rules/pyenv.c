/*
 * pyenv.c - the interpreter a pyenv shim would run (see pyenv.h).
 */
#include "config.h"

#include "pyenv.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../engine/arena.h"
#include "../engine/fs.h"
#include "../packaging/version.h"

/* The PYENV_ROOT a shim exports: `export PYENV_ROOT="/root/.pyenv"`. */
static bool
shim_root(const char *text, Buf *root)
{
	static const char key[] = "export PYENV_ROOT=\"";
	const char *p = strstr(text, key), *end;

	if (!p || !strstr(text, "pyenv\" exec "))
		return false;
	p += sizeof(key) - 1;
	if (!(end = strchr(p, '"')) || end == p || memchr(p, '\n', (size_t)(end - p)))
		return false;
	buf_append(root, p, (size_t)(end - p));
	return true;
}

/* The versions a .python-version file names, else NULL (no such file). */
static char *
version_file(const char *path)
{
	Buf text = { 0 };

	char *s;

	if (fs_read_file(path, &text, NULL) != 0) {
		buf_free(&text);
		return NULL;
	}
	s = buf_detach(&text);
	return s ? s : xstrdup("");
}

/* $PYENV_VERSION, the nearest .python-version, or $PYENV_ROOT/version (malloc'd). */
static char *
selected_versions(const char *root)
{
	const char *env = getenv("PYENV_VERSION"), *dir = getenv("PYENV_DIR");
	char d[PATH_MAX], *found;
	Buf path = { 0 };

	if (env && *env)
		return xstrdup(env);
	if (dir && *dir)
		snprintf(d, sizeof(d), "%s", dir);
	else if (!getcwd(d, sizeof(d)))
		d[0] = '\0';
	/* d, then each parent up to / */
	while (d[0] == '/') {
		char *slash = strrchr(d, '/');

		buf_clear(&path);
		buf_printf(&path, "%s/.python-version", d[1] ? d : "");
		if ((found = version_file(path.data))) {
			buf_free(&path);
			return found;
		}
		if (!d[1])
			break;
		if (slash == d)
			d[1] = '\0';
		else
			*slash = '\0';
	}
	buf_clear(&path);
	buf_printf(&path, "%s/version", root);
	found = version_file(path.data);
	buf_free(&path);
	return found;
}

/* The installed version directory that name means: itself, or for a prefix of digits
 * and dots the newest installed release under it (3.11 -> 3.11.7). */
static bool
installed_version(const char *root, const char *name, const char *program, Buf *out)
{
	Buf path = { 0 };
	Arena a = { 0 };
	Version best, v;
	char *best_name = NULL;
	size_t n = strlen(name);
	struct dirent *e;
	DIR *d;
	bool ok = false;

	buf_printf(&path, "%s/versions/%s/bin/%s", root, name, program);
	if (access(path.data, X_OK) == 0) {
		buf_append(out, path.data, path.len);
		buf_free(&path);
		return true;
	}
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)name[i]) && name[i] != '.')
			goto out;
	buf_clear(&path);
	buf_printf(&path, "%s/versions", root);
	if (!(d = opendir(path.data)))
		goto out;
	while ((e = readdir(d))) {
		const char *s = e->d_name;

		if (strncmp(s, name, n) != 0 || s[n] != '.' || strspn(s, "0123456789.") != strlen(s) ||
		    version_parse(s, strlen(s), &a, &v, NULL) != 0)
			continue;
		if (!best_name || version_cmp(&v, &best) > 0) {
			best = v;
			best_name = arena_strdup(&a, s);
		}
	}
	closedir(d);
	if (best_name) {
		buf_clear(&path);
		buf_printf(&path, "%s/versions/%s/bin/%s", root, best_name, program);
		if ((ok = access(path.data, X_OK) == 0))
			buf_append(out, path.data, path.len);
	}
out:
	buf_free(&path);
	arena_free(&a);
	return ok;
}

bool
pyenv_shim_target(const char *shim, Buf *out)
{
	Buf text = { 0 }, root = { 0 }, dir = { 0 };
	const char *slash = strrchr(shim, '/'), *program;
	char *versions = NULL, *save = NULL, *tok;
	bool ok = false;

	if (!slash || fs_read_file(shim, &text, NULL) != 0 || !text.data || !shim_root(text.data, &root))
		goto out;
	program = slash + 1;
	/* a shim of this root's layout only */
	buf_printf(&dir, "%s/shims", root.data);
	if ((size_t)(slash - shim) != dir.len || memcmp(shim, dir.data, dir.len) != 0)
		goto out;
	if (!(versions = selected_versions(root.data)))
		goto out;
	for (tok = strtok_r(versions, ": \t\r\n", &save); tok; tok = strtok_r(NULL, ": \t\r\n", &save)) {
		if (tok[0] == '#')
			break;
		if (!strcmp(tok, "system"))
			break;   /* what PATH has past the shims: left to the shim */
		if (!strncmp(tok, "python-", 7))
			tok += 7;
		if (installed_version(root.data, tok, program, out)) {
			ok = true;
			break;
		}
	}
out:
	free(versions);
	buf_free(&text);
	buf_free(&root);
	buf_free(&dir);
	return ok;
}

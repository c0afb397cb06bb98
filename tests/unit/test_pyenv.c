/*
 * test_pyenv.c - unit tests of following a pyenv shim without running it (rules/pyenv.c).
 *
 * A fake PYENV_ROOT is built in a temporary directory: shims written as pyenv 2.x writes
 * them, versions/V/bin/PROGRAM files. Each case sets what pyenv reads ($PYENV_VERSION,
 * .python-version files from $PYENV_DIR up, $PYENV_ROOT/version) and checks the
 * interpreter found, or that the shim is left to itself ("system", a version that is
 * not installed, a script that is not a shim, a shim of another root).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/buf.h"
#include "engine/err.h"
#include "engine/fs.h"
#include "rules/pyenv.h"

typedef struct Fake {
	char root[256];      /* the temporary directory: PYENV_ROOT is root/pyenv */
	Buf pyenv;
} Fake;

static void
put(const char *path, const char *text, unsigned mode)
{
	Err err;

	assert_int_equal(fs_mkdir_parent(path, &err), 0);
	assert_int_equal(fs_write_atomic(path, text, strlen(text), mode, &err), 0);
}

static void
putf(Fake *f, const char *rel, const char *text, unsigned mode)
{
	Buf p = { 0 };

	buf_printf(&p, "%s/%s", f->root, rel);
	put(p.data, text, mode);
	buf_free(&p);
}

/* A shim as pyenv writes it, for PROGRAM under ROOT. */
static void
shim(Fake *f, const char *rel, const char *pyenv_root)
{
	Buf text = { 0 };

	buf_printf(&text, "#!/usr/bin/env bash\nset -e\n[ -n \"$PYENV_DEBUG\" ] && set -x\n\n"
		   "program=\"${0##*/}\"\n\nexport PYENV_ROOT=\"%s\"\n"
		   "exec \"%s/libexec/pyenv\" exec \"$program\" \"$@\"\n", pyenv_root, pyenv_root);
	putf(f, rel, text.data, 0755);
	buf_free(&text);
}

static int
setup(void **state)
{
	Fake *f = calloc(1, sizeof(*f));

	snprintf(f->root, sizeof(f->root), "/tmp/bunpy-test-pyenv-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	buf_printf(&f->pyenv, "%s/pyenv", f->root);
	shim(f, "pyenv/shims/python3", f->pyenv.data);
	shim(f, "pyenv/shims/python3.12", f->pyenv.data);
	for (const char *const *v = (const char *const[]){ "3.11.2", "3.11.10", "3.11.9", "3.12.0",
							  "3.9.18", NULL }; *v; v++) {
		Buf rel = { 0 };

		buf_printf(&rel, "pyenv/versions/%s/bin/python3", *v);
		putf(f, rel.data, "#!/bin/sh\n", 0755);
		buf_free(&rel);
	}
	putf(f, "pyenv/versions/3.12.0/bin/python3.12", "", 0755);
	putf(f, "pyenv/version", "3.9.18\n", 0644);
	unsetenv("PYENV_VERSION");
	setenv("PYENV_DIR", f->root, 1);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	Fake *f = *state;
	Err err;

	fs_remove_tree(f->root, &err);
	buf_free(&f->pyenv);
	free(f);
	unsetenv("PYENV_VERSION");
	unsetenv("PYENV_DIR");
	return 0;
}

/* What the shim at rel resolves to, relative to the fake root; "-" when unknown. */
static char *
follow(Fake *f, const char *rel)
{
	Buf shim_path = { 0 }, out = { 0 };
	char *r;

	buf_printf(&shim_path, "%s/%s", f->root, rel);
	if (!pyenv_shim_target(shim_path.data, &out)) {
		r = strdup("-");
	} else {
		assert_true(out.len > strlen(f->root));
		assert_memory_equal(out.data, f->root, strlen(f->root));
		r = strdup(out.data + strlen(f->root) + 1);
	}
	buf_free(&shim_path);
	buf_free(&out);
	return r;
}

#define FOLLOWS(rel, want)                                          \
	do {                                                        \
		char *got_ = follow(f, rel);                        \
		assert_string_equal(got_, want);                    \
		free(got_);                                         \
	} while (0)

static void
test_sources(void **state)
{
	Fake *f = *state;

	/* $PYENV_ROOT/version, when nothing nearer says */
	FOLLOWS("pyenv/shims/python3", "pyenv/versions/3.9.18/bin/python3");
	/* a .python-version in a parent of $PYENV_DIR beats it */
	putf(f, ".python-version", "3.12.0\n", 0644);
	putf(f, "proj/sub/file", "", 0644);
	{
		Buf sub = { 0 };

		buf_printf(&sub, "%s/proj/sub", f->root);
		setenv("PYENV_DIR", sub.data, 1);
		buf_free(&sub);
	}
	FOLLOWS("pyenv/shims/python3", "pyenv/versions/3.12.0/bin/python3");
	/* the nearest one wins */
	putf(f, "proj/.python-version", "# a comment line is not a version\n3.11.2\n", 0644);
	FOLLOWS("pyenv/shims/python3", "-");
	putf(f, "proj/.python-version", "3.11.2\n", 0644);
	FOLLOWS("pyenv/shims/python3", "pyenv/versions/3.11.2/bin/python3");
	/* $PYENV_VERSION beats every file */
	setenv("PYENV_VERSION", "3.12.0", 1);
	FOLLOWS("pyenv/shims/python3", "pyenv/versions/3.12.0/bin/python3");
	unsetenv("PYENV_VERSION");
}

static void
test_versions(void **state)
{
	Fake *f = *state;

	/* a prefix: the newest installed release under it, compared as versions */
	setenv("PYENV_VERSION", "3.11", 1);
	FOLLOWS("pyenv/shims/python3", "pyenv/versions/3.11.10/bin/python3");
	setenv("PYENV_VERSION", "python-3.12.0", 1);
	FOLLOWS("pyenv/shims/python3", "pyenv/versions/3.12.0/bin/python3");
	/* several: the first that has the program */
	setenv("PYENV_VERSION", "3.9.18:3.12.0", 1);
	FOLLOWS("pyenv/shims/python3.12", "pyenv/versions/3.12.0/bin/python3.12");
	setenv("PYENV_VERSION", "3.4.0:3.11.9", 1);
	FOLLOWS("pyenv/shims/python3", "pyenv/versions/3.11.9/bin/python3");
	/* left to the shim: system, nothing installed, a prefix that is not one */
	setenv("PYENV_VERSION", "system", 1);
	FOLLOWS("pyenv/shims/python3", "-");
	setenv("PYENV_VERSION", "3.4.0", 1);
	FOLLOWS("pyenv/shims/python3", "-");
	setenv("PYENV_VERSION", "3.1", 1);
	FOLLOWS("pyenv/shims/python3", "-");
	unsetenv("PYENV_VERSION");
}

static void
test_not_shims(void **state)
{
	Fake *f = *state;
	Buf other = { 0 };

	/* a script that is not a shim, a shim outside its root's shims directory */
	putf(f, "bin/python3", "#!/bin/sh\nexec /usr/bin/python3 \"$@\"\n", 0755);
	FOLLOWS("bin/python3", "-");
	buf_printf(&other, "%s/elsewhere", f->root);
	shim(f, "pyenv/shims/python3-moved", other.data);
	FOLLOWS("pyenv/shims/python3-moved", "-");
	shim(f, "copied/shims/python3", f->pyenv.data);
	FOLLOWS("copied/shims/python3", "-");
	FOLLOWS("pyenv/shims/missing", "-");
	buf_free(&other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_shims, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_install.c - unit tests of installing unpacked wheels into an environment and
 * removing them (rules/install.c).
 *
 * The wheels are real ones made by tests/fixtures/installwheels.py, unpacked the way the
 * wheel cache unpacks them; the environment is a directory laid out as a venv (its
 * bin/python a link to the test's Python, for compiling). What is checked: the installed
 * tree file by file (contents, modes, links), RECORD read back and every row hashed
 * again, the same layout as pip's for the same wheel, replacement and removal (shared
 * namespace directories kept, empty ones gone), refusals (paths leaving the environment
 * by "..", absolute rows, symbolic links; broken wheels leave the environment as it
 * was), link modes, compiling, and recovery: a child installing, replacing and removing
 * in a loop is killed at random moments, and after each kill installer_open must leave
 * every distribution either complete or absent.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/arena.h"
#include "engine/buf.h"
#include "engine/err.h"
#include "engine/fs.h"
#include "engine/hash.h"
#include "engine/proc.h"
#include "packaging/record.h"
#include "rules/install.h"

static char g_work[512];      /* everything this test makes */
static const char *g_python;
static char g_cache_tag[64];
static bool g_built[16];

typedef struct Variant {
	const char *variant, *name, *version, *wheel;
} Variant;

static const Variant variants[] = {
	{ "v1", "demo-pkg", "1.0", "demo_pkg-1.0-py3-none-any.whl" },
	{ "v2", "demo-pkg", "2.0", "demo_pkg-2.0-py3-none-any.whl" },
	{ "other", "other", "1.0", "other-1.0-py3-none-any.whl" },
	{ "bad-data", "demo-pkg", "2.0", "demo_pkg-2.0-py3-none-any.whl" },
	{ "bad-ep", "demo-pkg", "2.0", "demo_pkg-2.0-py3-none-any.whl" },
	{ "clash", "demo-pkg", "2.0", "demo_pkg-2.0-py3-none-any.whl" },
	{ "state", "demo-pkg", "2.0", "demo_pkg-2.0-py3-none-any.whl" },
	{ "overlap", "demo-pkg", "2.0", "demo_pkg-2.0-py3-none-any.whl" },
};

/* What v1 installs, relative to ROOT. */
static const char *const v1_files[] = {
	"bin/demo-cli",
	"bin/demo-gui",
	"bin/demo-script",
	"bin/plain.sh",
	"include/site/python3.11/demo-pkg/demo.h",
	"lib/python3.11/site-packages/demo_extra.py",
	"lib/python3.11/site-packages/demo_pkg-1.0.dist-info/INSTALLER",
	"lib/python3.11/site-packages/demo_pkg-1.0.dist-info/METADATA",
	"lib/python3.11/site-packages/demo_pkg-1.0.dist-info/RECORD",
	"lib/python3.11/site-packages/demo_pkg-1.0.dist-info/REQUESTED",
	"lib/python3.11/site-packages/demo_pkg-1.0.dist-info/WHEEL",
	"lib/python3.11/site-packages/demo_pkg-1.0.dist-info/direct_url.json",
	"lib/python3.11/site-packages/demo_pkg-1.0.dist-info/entry_points.txt",
	"lib/python3.11/site-packages/demo_pkg-1.0.dist-info/licenses/LICENSE",
	"lib/python3.11/site-packages/demo_pkg/__init__.py",
	"lib/python3.11/site-packages/demo_pkg/broken.py",
	"lib/python3.11/site-packages/demo_pkg/cli.py",
	"lib/python3.11/site-packages/demo_pkg/sub/__init__.py",
	"lib/python3.11/site-packages/demo_pkg/sub/data.txt",
	"lib/python3.11/site-packages/demo_pkg/tool.sh",
	"lib/python3.11/site-packages/ns/demo/__init__.py",
	"share/demo/readme.txt",
};

/* Paths only v1 has (v2 has the others but demo_pkg/new.py). */
static const char *const v1_only[] = {
	"bin/demo-gui", "bin/demo-script", "bin/plain.sh", "include/site", "share",
	"lib/python3.11/site-packages/demo_extra.py",
	"lib/python3.11/site-packages/demo_pkg/sub",
	"lib/python3.11/site-packages/demo_pkg/tool.sh",
	"lib/python3.11/site-packages/demo_pkg-1.0.dist-info",
};

static const char *const demo_any[] = {
	"bin/demo-cli", "lib/python3.11/site-packages/demo_pkg",
	"lib/python3.11/site-packages/ns/demo",
	"lib/python3.11/site-packages/demo_pkg-2.0.dist-info",
	"lib/python3.11/site-packages/demo_pkg/new.py",
};

/* ---------------------------------------------------------------- helpers */

static void pathf(char *out, size_t n, const char *f, ...) ERR_PRINTF(3, 4);

/* snprintf that fails the test instead of cutting a path short */
static void
pathf(char *out, size_t n, const char *f, ...)
{
	va_list ap;
	int len;

	va_start(ap, f);
	len = vsnprintf(out, n, f, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= n)
		fail_msg("a path is too long: %s", out);
}

static int
run(const char *const *argv)
{
	ProcSpec spec = { argv, NULL, NULL };
	ProcResult res;
	Err err;

	if (proc_run(&spec, &res, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	return res.exit_code;
}

static const char *
fixture_script(void)
{
	static char path[PATH_MAX];
	const char *dir = getenv("FIXTURES_DIR");

	pathf(path, sizeof(path), "%s/installwheels.py", dir ? dir : "tests/fixtures");
	return path;
}

static const Variant *
variant(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++)
		if (!strcmp(variants[i].variant, name)) {
			if (!g_built[i]) {
				const char *argv[] = { g_python, fixture_script(), "build", g_work,
						       name, NULL };

				assert_int_equal(run(argv), 0);
				g_built[i] = true;
			}
			return &variants[i];
		}
	fail_msg("no variant %s", name);
	return NULL;
}

static char *
unpacked_of(const char *name, char *out, size_t n)
{
	variant(name);
	pathf(out, n, "%s/wheels/%s", g_work, name);
	return out;
}

typedef struct Env {
	char root[1024];
	char bin[1100], python[1100], purelib[1100], include[1100], state[1100];
	Venv venv;
	Arena arena;
	int warnings;
	char warning[1024];
} Env;

static void
on_warn(void *ctx, const char *message)
{
	Env *e = ctx;

	e->warnings++;
	pathf(e->warning, sizeof(e->warning), "%s", message);
}

static void
mkdirs(const char *path)
{
	Err err;

	assert_int_equal(fs_mkdir_p(path, &err), 0);
}

static void
env_init(Env *e, const char *name)
{
	char path[PATH_MAX];

	memset(e, 0, sizeof(*e));
	pathf(e->root, sizeof(e->root), "%s/%s/root", g_work, name);
	pathf(e->bin, sizeof(e->bin), "%s/bin", e->root);
	pathf(e->python, sizeof(e->python), "%s/bin/python", e->root);
	pathf(e->purelib, sizeof(e->purelib), "%s/lib/python3.11/site-packages", e->root);
	pathf(e->include, sizeof(e->include), "%s/include/python3.11", e->root);
	pathf(e->state, sizeof(e->state), "%s/.bunpy", e->root);
	mkdirs(e->purelib);
	mkdirs(e->bin);
	mkdirs(e->include);
	assert_int_equal(symlink(g_python, e->python), 0);
	pathf(path, sizeof(path), "%s/pyvenv.cfg", e->root);
	{
		Err err;

		assert_int_equal(fs_write_atomic(path, "home = /usr/bin\n", 16, 0644, &err), 0);
	}
	e->venv.root = e->root;
	e->venv.bin = e->bin;
	e->venv.python = e->python;
	e->venv.purelib = e->purelib;
	e->venv.platlib = e->purelib;
	e->venv.include = e->include;
	e->venv.data = e->root;
	e->venv.state_dir = e->state;
	e->venv.cache_tag = g_cache_tag;
}

static void
env_free(Env *e)
{
	arena_free(&e->arena);
}

static void
open_installer(Env *e, Installer *in, InstallLinkMode mode)
{
	Err err;

	memset(in, 0, sizeof(*in));
	in->warn = on_warn;
	in->warn_ctx = e;
	if (installer_open(in, &e->venv, mode, &err) != 0)
		fail_msg("installer_open: %s", err.msg);
}

/* The installed distribution called name, or NULL. */
static const InstalledDist *
find_dist(Env *e, const char *name)
{
	InstalledDist *d;
	size_t n, i;
	Err err;

	assert_int_equal(install_scan(&e->venv, &e->arena, &d, &n, &err), 0);
	for (i = 0; i < n; i++)
		if (!strcmp(d[i].name, name))
			return &d[i];
	return NULL;
}

static int
install_variant(Env *e, Installer *in, const char *name, bool requested, const char *url, Err *err)
{
	const Variant *v = variant(name);
	char unpacked[PATH_MAX];
	InstallRequest req = { v->name, v->version, v->wheel, unpacked_of(name, unpacked, sizeof(unpacked)),
			       requested, url };

	return install_wheel(in, &req, find_dist(e, v->name), err);
}

static void
install_ok(Env *e, Installer *in, const char *name)
{
	Err err;

	if (install_variant(e, in, name, false, NULL, &err) != 0)
		fail_msg("install %s: %s", name, err.msg);
}

static bool
exists(const Env *e, const char *rel)
{
	char path[PATH_MAX];
	struct stat sb;

	pathf(path, sizeof(path), "%s/%s", e->root, rel);
	return lstat(path, &sb) == 0;
}

static struct stat
stat_of(const char *dir, const char *rel)
{
	char path[PATH_MAX];
	struct stat sb;

	pathf(path, sizeof(path), "%s/%s", dir, rel);
	if (lstat(path, &sb) != 0)
		fail_msg("%s: %s", path, strerror(errno));
	return sb;
}

static char *
slurp(const char *dir, const char *rel, Buf *b)
{
	char path[PATH_MAX];
	Err err;

	pathf(path, sizeof(path), "%s/%s", dir, rel);
	buf_clear(b);
	if (fs_read_file(path, b, &err) != 0)
		fail_msg("%s", err.msg);
	return b->data ? b->data : (char *)"";
}

static void
write_text(const char *path, const char *text)
{
	Err err;

	assert_int_equal(fs_write_atomic(path, text, strlen(text), 0644, &err), 0);
}

static int
cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every file under ROOT but bunpy's state and the environment's own files. */
static void
list_files(const char *root, const char *rel, char ***out, size_t *n, size_t *cap)
{
	char path[PATH_MAX];
	DIR *d;
	struct dirent *ent;

	pathf(path, sizeof(path), "%s%s%s", root, *rel ? "/" : "", rel);
	d = opendir(path);
	assert_non_null(d);
	while ((ent = readdir(d))) {
		char child[PATH_MAX];
		struct stat sb;

		if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
			continue;
		pathf(child, sizeof(child), "%s%s%s", rel, *rel ? "/" : "", ent->d_name);
		if (!strcmp(child, ".bunpy") || !strcmp(child, "bin/python") ||
		    !strcmp(child, "pyvenv.cfg") || !strcmp(ent->d_name, "__pycache__"))
			continue;
		sb = stat_of(root, child);
		if (S_ISDIR(sb.st_mode)) {
			list_files(root, child, out, n, cap);
		} else {
			xgrow(out, cap, *n + 1, sizeof(**out));
			(*out)[(*n)++] = xstrdup(child);
		}
	}
	closedir(d);
}

static void
assert_files(const Env *e, const char *const *want, size_t nwant)
{
	char **got = NULL;
	size_t n = 0, cap = 0, i;

	list_files(e->root, "", &got, &n, &cap);
	if (n > 1)
		qsort(got, n, sizeof(*got), cmp_cstr);
	for (i = 0; i < n && i < nwant; i++)
		if (strcmp(got[i], want[i]))
			fail_msg("file %zu: got %s, want %s", i, got[i], want[i]);
	if (n != nwant)
		fail_msg("%zu files installed, want %zu (first extra or missing: %s)", n, nwant,
			 n > nwant ? got[nwant] : want[n]);
	for (i = 0; i < n; i++)
		free(got[i]);
	free(got);
}

/* RECORD read back: every row's file exists with that hash and size; RECORD's own
 * row has neither. Returns the number of rows. */
static size_t
check_record(const InstalledDist *d)
{
	char parent[PATH_MAX], *slash;
	Buf b = { 0 };
	Arena a = { 0 };
	Record rec;
	Err err;
	size_t i, own = 0, n;

	pathf(parent, sizeof(parent), "%s", d->dist_info);
	slash = strrchr(parent, '/');
	*slash = '\0';
	slurp(d->dist_info, "RECORD", &b);
	if (record_parse(b.data, b.len, "RECORD", &a, &rec, &err) != 0)
		fail_msg("%s", err.msg);
	for (i = 0; i < rec.nrows; i++) {
		const RecordRow *row = &rec.rows[i];
		Buf f = { 0 };
		Sha256 sha;

		if (!row->alg) {
			assert_true(strstr(row->path, ".dist-info/RECORD") != NULL);
			assert_false(row->has_size);
			own++;
			continue;
		}
		assert_string_equal(row->alg, "sha256");
		slurp(parent, row->path, &f);
		sha = sha256_bytes(f.data, f.len);
		if (memcmp(sha.b, row->digest, 32))
			fail_msg("%s: hash differs from RECORD", row->path);
		assert_true(row->has_size);
		assert_int_equal(row->size, f.len);
		buf_free(&f);
	}
	assert_int_equal(own, 1);
	n = rec.nrows;
	buf_free(&b);
	arena_free(&a);
	return n;
}

static size_t
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *ent;
	size_t n = 0;

	if (!d)
		return 0;
	while ((ent = readdir(d)))
		if (strcmp(ent->d_name, ".") && strcmp(ent->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* No journal, nothing staged. */
static void
assert_settled(const Env *e)
{
	char path[PATH_MAX];

	pathf(path, sizeof(path), "%s/journal", e->state);
	assert_int_equal(count_entries(path), 0);
	pathf(path, sizeof(path), "%s/stage", e->state);
	assert_int_equal(count_entries(path), 0);
}

/* ---------------------------------------------------------------- tests */

static void
test_install_tree(void **state)
{
	static const char url[] = "{\"url\": \"file:///w/demo_pkg-1.0-py3-none-any.whl\"}";
	Env e;
	Installer in;
	Err err;
	Buf b = { 0 };
	char cache[PATH_MAX], line[PATH_MAX + 8];
	const InstalledDist *d;
	struct stat sb;

	(void)state;
	env_init(&e, "tree");
	open_installer(&e, &in, INSTALL_COPY);
	if (install_variant(&e, &in, "v1", true, url, &err) != 0)
		fail_msg("%s", err.msg);
	assert_files(&e, v1_files, sizeof(v1_files) / sizeof(v1_files[0]));
	assert_settled(&e);

	/* contents and modes as in the wheel */
	unpacked_of("v1", cache, sizeof(cache));
	assert_string_equal(slurp(e.purelib, "demo_pkg/__init__.py", &b), "VERSION = '1.0'\n");
	assert_int_equal(stat_of(e.purelib, "demo_pkg/__init__.py").st_mode & 07777, 0644);
	assert_int_equal(stat_of(e.purelib, "demo_pkg/tool.sh").st_mode & 07777, 0755);
	assert_string_equal(slurp(e.bin, "plain.sh", &b), "#!/bin/sh\necho plain\n");
	assert_int_equal(stat_of(e.bin, "plain.sh").st_mode & 07777, 0755);
	assert_string_equal(slurp(e.root, "share/demo/readme.txt", &b), "readme\n");
	assert_string_equal(slurp(e.root, "include/site/python3.11/demo-pkg/demo.h", &b),
			    "#define DEMO 1\n");
	assert_string_equal(slurp(e.purelib, "demo_extra.py", &b), "EXTRA = True\n");

	/* "#!python -u": the whole first line replaced, made executable */
	pathf(line, sizeof(line), "#!%s\nprint('script')\n", e.python);
	assert_string_equal(slurp(e.bin, "demo-script", &b), line);
	assert_int_equal(stat_of(e.bin, "demo-script").st_mode & 07777, 0755);

	/* the launcher, not the wheel's script of the same name */
	slurp(e.bin, "demo-cli", &b);
	pathf(line, sizeof(line), "#!%s\n", e.python);
	assert_true(!strncmp(b.data, line, strlen(line)));
	assert_non_null(strstr(b.data, "from demo_pkg.cli import main\n"));
	assert_non_null(strstr(b.data, "sys.exit(main())"));
	assert_null(strstr(b.data, "the launcher wins"));
	assert_int_equal(stat_of(e.bin, "demo-cli").st_mode & 07777, 0755);
	assert_non_null(strstr(slurp(e.bin, "demo-gui", &b), "from demo_pkg.cli import gui\n"));

	/* the .dist-info's own files */
	assert_string_equal(slurp(e.purelib, "demo_pkg-1.0.dist-info/INSTALLER", &b), "bunpy\n");
	assert_string_equal(slurp(e.purelib, "demo_pkg-1.0.dist-info/REQUESTED", &b), "");
	assert_string_equal(slurp(e.purelib, "demo_pkg-1.0.dist-info/direct_url.json", &b), url);
	assert_string_equal(slurp(e.purelib, "demo_pkg-1.0.dist-info/licenses/LICENSE", &b), "MIT\n");

	/* RECORD: every file, paths relative to site-packages */
	d = find_dist(&e, "demo-pkg");
	assert_non_null(d);
	assert_string_equal(d->version, "1.0");
	assert_string_equal(d->installer, "bunpy");
	assert_true(d->has_record);
	assert_int_equal(check_record(d), sizeof(v1_files) / sizeof(v1_files[0]));
	slurp(e.purelib, "demo_pkg-1.0.dist-info/RECORD", &b);
	assert_non_null(strstr(b.data, "\n../../../bin/demo-script,sha256="));
	assert_non_null(strstr(b.data, "\n../../../include/site/python3.11/demo-pkg/demo.h,sha256="));
	assert_non_null(strstr(b.data, "\n../../../share/demo/readme.txt,sha256="));
	assert_non_null(strstr(b.data, "demo_pkg-1.0.dist-info/RECORD,,\n"));
	assert_null(strstr(b.data, ".data/"));

	/* copies are new files; the cache is untouched */
	sb = stat_of(e.purelib, "demo_pkg/cli.py");
	assert_int_equal(sb.st_nlink, 1);
	assert_string_equal(slurp(cache, "demo_pkg-1.0.data/scripts/demo-script", &b),
			    "#!python -u\nprint('script')\n");
	buf_free(&b);
	env_free(&e);
}

static void
test_like_pip(void **state)
{
	Env e;
	Installer in;
	Err err;
	char wheel[PATH_MAX], work[PATH_MAX];
	int rc;

	(void)state;
	env_init(&e, "pip");
	open_installer(&e, &in, INSTALL_HARDLINK);
	if (install_variant(&e, &in, "v1", true, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	pathf(wheel, sizeof(wheel), "%s/v1/%s", g_work, variant("v1")->wheel);
	pathf(work, sizeof(work), "%s/pip", g_work);
	{
		const char *argv[] = { g_python, fixture_script(), "pip-compare", wheel, e.root, work,
				       NULL };

		rc = run(argv);
	}
	if (rc == 77)
		skip();
	assert_int_equal(rc, 0);
	env_free(&e);
}

static void
test_replace(void **state)
{
	Env e;
	Installer in;
	char path[PATH_MAX];
	InstalledDist *all;
	size_t n;
	Err err;
	Buf b = { 0 };
	size_t i;

	(void)state;
	env_init(&e, "replace");
	open_installer(&e, &in, INSTALL_HARDLINK);
	install_ok(&e, &in, "other");
	install_ok(&e, &in, "v1");
	/* a byte-compiled file of a module both versions have must not survive */
	pathf(path, sizeof(path), "%s/demo_pkg/__pycache__", e.purelib);
	mkdirs(path);
	pathf(path, sizeof(path), "%s/demo_pkg/__pycache__/__init__.%s.pyc", e.purelib, g_cache_tag);
	write_text(path, "stale");
	install_ok(&e, &in, "v2");
	assert_settled(&e);
	for (i = 0; i < sizeof(v1_only) / sizeof(v1_only[0]); i++)
		if (exists(&e, v1_only[i]))
			fail_msg("%s survived the upgrade", v1_only[i]);
	assert_false(exists(&e, "lib/python3.11/site-packages/demo_pkg/__pycache__"));
	assert_string_equal(slurp(e.purelib, "demo_pkg/__init__.py", &b), "VERSION = '2.0'\n");
	assert_true(exists(&e, "lib/python3.11/site-packages/demo_pkg/new.py"));
	assert_true(exists(&e, "bin/demo-cli"));
	assert_true(exists(&e, "include/python3.11"));
	assert_int_equal(install_scan(&e.venv, &e.arena, &all, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(all[0].name, "demo-pkg");
	assert_string_equal(all[0].version, "2.0");
	assert_string_equal(all[1].name, "other");
	check_record(&all[0]);
	check_record(&all[1]);
	/* and back down, then the same version again (the same .dist-info name) */
	for (i = 0; i < 2; i++) {
		const char *want[sizeof(v1_files) / sizeof(v1_files[0]) + 6];
		size_t k, nw = 0;

		install_ok(&e, &in, "v1");
		assert_settled(&e);
		for (k = 0; k < sizeof(v1_files) / sizeof(v1_files[0]); k++)
			if (!strstr(v1_files[k], "REQUESTED") && !strstr(v1_files[k], "direct_url"))
				want[nw++] = v1_files[k];
		want[nw++] = "lib/python3.11/site-packages/ns/other/__init__.py";
		want[nw++] = "lib/python3.11/site-packages/other-1.0.dist-info/INSTALLER";
		want[nw++] = "lib/python3.11/site-packages/other-1.0.dist-info/METADATA";
		want[nw++] = "lib/python3.11/site-packages/other-1.0.dist-info/RECORD";
		want[nw++] = "lib/python3.11/site-packages/other-1.0.dist-info/WHEEL";
		want[nw++] = "lib/python3.11/site-packages/other.py";
		qsort(want, nw, sizeof(*want), cmp_cstr);
		assert_files(&e, want, nw);
		check_record(find_dist(&e, "demo-pkg"));
	}
	buf_free(&b);
	env_free(&e);
}

static void
test_remove(void **state)
{
	Env e;
	Installer in;
	Err err;
	const InstalledDist *d;

	(void)state;
	env_init(&e, "remove");
	open_installer(&e, &in, INSTALL_HARDLINK);
	install_ok(&e, &in, "other");
	install_ok(&e, &in, "v1");
	d = find_dist(&e, "demo-pkg");
	assert_non_null(d);
	if (install_remove(&in, d, &err) != 0)
		fail_msg("%s", err.msg);
	assert_settled(&e);
	assert_null(find_dist(&e, "demo-pkg"));
	{
		static const char *const left[] = {
			"lib/python3.11/site-packages/ns/other/__init__.py",
			"lib/python3.11/site-packages/other-1.0.dist-info/INSTALLER",
			"lib/python3.11/site-packages/other-1.0.dist-info/METADATA",
			"lib/python3.11/site-packages/other-1.0.dist-info/RECORD",
			"lib/python3.11/site-packages/other-1.0.dist-info/WHEEL",
			"lib/python3.11/site-packages/other.py",
		};

		assert_files(&e, left, sizeof(left) / sizeof(left[0]));
	}
	/* emptied directories go, the scheme's stay */
	assert_false(exists(&e, "share"));
	assert_false(exists(&e, "include/site"));
	assert_false(exists(&e, "lib/python3.11/site-packages/demo_pkg"));
	assert_false(exists(&e, "lib/python3.11/site-packages/ns/demo"));
	assert_true(exists(&e, "include/python3.11"));
	assert_true(exists(&e, "bin"));
	d = find_dist(&e, "other");
	assert_non_null(d);
	if (install_remove(&in, d, &err) != 0)
		fail_msg("%s", err.msg);
	assert_files(&e, NULL, 0);
	assert_false(exists(&e, "lib/python3.11/site-packages/ns"));
	assert_true(exists(&e, "lib/python3.11/site-packages"));
	assert_true(exists(&e, "bin"));
	env_free(&e);
}

static void
test_scan(void **state)
{
	Env e;
	Installer in;
	Err err;
	InstalledDist *d;
	size_t n;
	char path[PATH_MAX];

	(void)state;
	env_init(&e, "scan");
	open_installer(&e, &in, INSTALL_HARDLINK);
	assert_int_equal(install_scan(&e.venv, &e.arena, &d, &n, &err), 0);
	assert_int_equal(n, 0);
	install_ok(&e, &in, "v2");
	install_ok(&e, &in, "other");
	/* one made by hand: no version in its name, no INSTALLER, no RECORD */
	pathf(path, sizeof(path), "%s/Weird.dist-info", e.purelib);
	mkdirs(path);
	pathf(path, sizeof(path), "%s/Weird.dist-info/METADATA", e.purelib);
	write_text(path, "Metadata-Version: 2.1\nName: Weird_Thing\nVersion: 3\n\n");
	assert_int_equal(install_scan(&e.venv, &e.arena, &d, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(d[0].name, "demo-pkg");
	assert_string_equal(d[0].version, "2.0");
	pathf(path, sizeof(path), "%s/demo_pkg-2.0.dist-info", e.purelib);
	assert_string_equal(d[0].dist_info, path);
	assert_string_equal(d[1].name, "other");
	assert_string_equal(d[2].name, "weird-thing");
	assert_string_equal(d[2].version, "3");
	assert_null(d[2].installer);
	assert_false(d[2].has_record);
	/* removing it is refused, as pip refuses */
	assert_int_equal(install_remove(&in, &d[2], &err), -1);
	assert_non_null(strstr(err.msg, "has no RECORD"));
	assert_non_null(strstr(err.msg, "Weird.dist-info by hand"));
	assert_true(exists(&e, "lib/python3.11/site-packages/Weird.dist-info/METADATA"));
	env_free(&e);
}

/* A RECORD row leading out of ROOT: the removal is refused and removes nothing. */
static void
try_evil_row(Env *e, Installer *in, const char *row, const char *victim)
{
	char record[PATH_MAX];
	Buf orig = { 0 }, evil = { 0 };
	const InstalledDist *d = find_dist(e, "other");
	Err err;
	struct stat sb;

	assert_non_null(d);
	pathf(record, sizeof(record), "%s/RECORD", d->dist_info);
	slurp(d->dist_info, "RECORD", &orig);
	buf_printf(&evil, "%s%s,,\n", orig.data, row);
	write_text(record, evil.data);
	if (install_remove(in, d, &err) == 0)
		fail_msg("the row %s was followed", row);
	if (!strstr(err.msg, "outside") && !strstr(err.msg, "leads out"))
		fail_msg("%s: %s", row, err.msg);
	assert_int_equal(lstat(victim, &sb), 0);
	assert_true(exists(e, "lib/python3.11/site-packages/other.py"));
	assert_true(exists(e, "lib/python3.11/site-packages/other-1.0.dist-info/METADATA"));
	assert_settled(e);
	write_text(record, orig.data);
	buf_free(&orig);
	buf_free(&evil);
}

static void
test_remove_refuses_escape(void **state)
{
	Env e;
	Installer in;
	char outside[PATH_MAX], outdir[PATH_MAX], victim[PATH_MAX], link[PATH_MAX], row[PATH_MAX + 8];

	(void)state;
	env_init(&e, "escape");
	open_installer(&e, &in, INSTALL_HARDLINK);
	install_ok(&e, &in, "other");
	pathf(outside, sizeof(outside), "%s/escape/outside.txt", g_work);
	write_text(outside, "precious\n");
	try_evil_row(&e, &in, "../../../../outside.txt", outside);
	try_evil_row(&e, &in, "../../../../../../../../../../etc/passwd", "/etc/passwd");
	pathf(row, sizeof(row), "%s", outside);
	try_evil_row(&e, &in, row, outside);
	/* a directory on the way is a link to outside */
	pathf(outdir, sizeof(outdir), "%s/escape/outdir", g_work);
	mkdirs(outdir);
	pathf(victim, sizeof(victim), "%s/victim.txt", outdir);
	write_text(victim, "precious\n");
	pathf(link, sizeof(link), "%s/evil", e.purelib);
	assert_int_equal(symlink(outdir, link), 0);
	try_evil_row(&e, &in, "evil/victim.txt", victim);
	unlink(link);
	assert_int_equal(symlink("../../../..", link), 0);
	try_evil_row(&e, &in, "evil/outdir/victim.txt", victim);
	unlink(link);
	/* the RECORD as it was still removes everything */
	{
		Err err;

		if (install_remove(&in, find_dist(&e, "other"), &err) != 0)
			fail_msg("%s", err.msg);
	}
	assert_files(&e, NULL, 0);
	env_free(&e);
}

static void
broken_wheel(Env *e, Installer *in, const char *name, const char *message)
{
	Err err;
	char path[PATH_MAX];
	struct stat sb;

	if (install_variant(e, in, name, false, NULL, &err) == 0)
		fail_msg("%s was installed", name);
	if (!strstr(err.msg, message))
		fail_msg("%s: '%s' does not say '%s'", name, err.msg, message);
	/* as it was: v1 complete, nothing staged */
	assert_settled(e);
	check_record(find_dist(e, "demo-pkg"));
	assert_files(e, v1_files, sizeof(v1_files) / sizeof(v1_files[0]));
	pathf(path, sizeof(path), "%s/journal/evil", e->state);
	assert_int_equal(lstat(path, &sb), -1);
}

static void
test_broken_wheels(void **state)
{
	Env e;
	Installer in;
	Err err;

	(void)state;
	env_init(&e, "broken");
	open_installer(&e, &in, INSTALL_COPY);
	if (install_variant(&e, &in, "v1", true, "{}", &err) != 0)
		fail_msg("%s", err.msg);
	broken_wheel(&e, &in, "bad-data", "unknown .data directory 'demo_pkg-2.0.data/weird'");
	broken_wheel(&e, &in, "bad-ep", "entry_points.txt:2");
	broken_wheel(&e, &in, "clash", "two files of the wheel install to "
		     "lib/python3.11/site-packages/demo_pkg/__init__.py");
	broken_wheel(&e, &in, "state", "bunpy's own");
	broken_wheel(&e, &in, "overlap", "two files of the wheel install to "
		     "lib/python3.11/site-packages/demo_pkg/new.py");
	/* a wheel that is not the project asked for */
	{
		char unpacked[PATH_MAX];
		InstallRequest req = { "other", "1.0", "x.whl", unpacked_of("v2", unpacked, sizeof(unpacked)),
				       false, NULL };

		assert_int_equal(install_wheel(&in, &req, NULL, &err), -1);
		assert_non_null(strstr(err.msg, "is not for other"));
	}
	assert_settled(&e);
	env_free(&e);
}

static void
test_link_modes(void **state)
{
	Env e1, e2, e3;
	Installer in;
	char cache[PATH_MAX];
	struct stat before, after, inst;

	(void)state;
	unpacked_of("v2", cache, sizeof(cache));

	env_init(&e1, "copy");
	open_installer(&e1, &in, INSTALL_COPY);
	before = stat_of(cache, "demo_pkg/cli.py");
	install_ok(&e1, &in, "v2");
	after = stat_of(cache, "demo_pkg/cli.py");
	inst = stat_of(e1.purelib, "demo_pkg/cli.py");
	assert_int_equal(inst.st_nlink, 1);
	assert_int_equal(after.st_nlink, before.st_nlink);
	assert_true(inst.st_ino != after.st_ino);
	assert_int_equal(e1.warnings, 0);

	env_init(&e2, "hardlink");
	open_installer(&e2, &in, INSTALL_HARDLINK);
	install_ok(&e2, &in, "v2");
	inst = stat_of(e2.purelib, "demo_pkg/cli.py");
	after = stat_of(cache, "demo_pkg/cli.py");
	assert_int_equal(after.st_nlink, before.st_nlink + 1);
	assert_int_equal(inst.st_ino, after.st_ino);
	/* rewritten and generated files are never links into the cache */
	assert_int_equal(stat_of(e2.purelib, "demo_pkg-2.0.dist-info/RECORD").st_nlink, 1);
	assert_int_equal(stat_of(e2.bin, "demo-cli").st_nlink, 1);
	assert_int_equal(e2.warnings, 0);

	/* clone: where the filesystem cannot (ext4, tmpfs), hard links, said once */
	env_init(&e3, "clone");
	open_installer(&e3, &in, INSTALL_CLONE);
	install_ok(&e3, &in, "v2");
	install_ok(&e3, &in, "other");
	inst = stat_of(e3.purelib, "demo_pkg/cli.py");
	if (e3.warnings == 0) {
		assert_int_equal(inst.st_nlink, 1);   /* a real clone */
		assert_int_equal(atomic_load(&in.effective), INSTALL_CLONE);
	} else {
		assert_int_equal(e3.warnings, 1);
		assert_non_null(strstr(e3.warning, "cannot clone files from"));
		assert_non_null(strstr(e3.warning, "hard-linking them instead"));
		assert_int_equal(atomic_load(&in.effective), INSTALL_HARDLINK);
		assert_true(inst.st_nlink >= 2);
	}
	check_record(find_dist(&e3, "demo-pkg"));
	env_free(&e1);
	env_free(&e2);
	env_free(&e3);
}

static void
test_compile(void **state)
{
	Env e;
	Installer in;
	Err err;
	const InstalledDist *d;
	char pyc[PATH_MAX];
	const char *dist_infos[1];

	(void)state;
	env_init(&e, "compile");
	open_installer(&e, &in, INSTALL_HARDLINK);
	install_ok(&e, &in, "v1");
	d = find_dist(&e, "demo-pkg");
	dist_infos[0] = d->dist_info;
	if (install_compile(&e.venv, dist_infos, 1, &err) != 0)
		fail_msg("%s", err.msg);
	pathf(pyc, sizeof(pyc), "lib/python3.11/site-packages/demo_pkg/__pycache__/__init__.%s.pyc",
		 g_cache_tag);
	assert_true(exists(&e, pyc));
	pathf(pyc, sizeof(pyc), "lib/python3.11/site-packages/demo_pkg/sub/__pycache__/__init__.%s.pyc",
		 g_cache_tag);
	assert_true(exists(&e, pyc));
	/* a file that does not compile is no error, and gets no .pyc */
	pathf(pyc, sizeof(pyc), "lib/python3.11/site-packages/demo_pkg/__pycache__/broken.%s.pyc",
		 g_cache_tag);
	assert_false(exists(&e, pyc));
	/* removal takes the .pyc files and their directories */
	if (install_remove(&in, d, &err) != 0)
		fail_msg("%s", err.msg);
	assert_false(exists(&e, "lib/python3.11/site-packages/demo_pkg"));
	/* no Python: an error */
	e.venv.python = "/nonexistent/python";
	assert_int_equal(install_compile(&e.venv, dist_infos, 0, &err), 0);
	install_ok(&e, &in, "v2");
	dist_infos[0] = find_dist(&e, "demo-pkg")->dist_info;
	assert_int_equal(install_compile(&e.venv, dist_infos, 1, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/python"));
	env_free(&e);
}

/* A journal left by a killed sync: an install whose .dist-info never arrived is undone;
 * a journal naming a path outside ROOT is refused and nothing outside is touched. */
static void
test_recover_journal(void **state)
{
	Env e;
	Installer in;
	Err err;
	char path[PATH_MAX], outside[PATH_MAX];
	struct stat sb;

	(void)state;
	env_init(&e, "journal");
	open_installer(&e, &in, INSTALL_HARDLINK);
	install_ok(&e, &in, "other");
	/* half an install of v2: two files in place, no .dist-info */
	pathf(path, sizeof(path), "%s/demo_pkg", e.purelib);
	mkdirs(path);
	pathf(path, sizeof(path), "%s/demo_pkg/__init__.py", e.purelib);
	write_text(path, "half\n");
	pathf(path, sizeof(path), "%s/demo-cli", e.bin);
	write_text(path, "half\n");
	pathf(path, sizeof(path), "%s/odd\nname\\x.py", e.purelib);   /* escaped in the journal */
	write_text(path, "half\n");
	pathf(path, sizeof(path), "%s/journal/demo-pkg", e.state);
	write_text(path, "bunpy-journal 1\ninstall\n"
		   "dist-info lib/python3.11/site-packages/demo_pkg-2.0.dist-info\nino 1\n"
		   "path lib/python3.11/site-packages/odd\\nname\\\\x.py\n"
		   "path lib/python3.11/site-packages/demo_pkg/__init__.py\n"
		   "path lib/python3.11/site-packages/demo_pkg/new.py\n"
		   "path bin/demo-cli\n"
		   "path lib/python3.11/site-packages/demo_pkg-2.0.dist-info/METADATA\n");
	pathf(path, sizeof(path), "%s/stage/demo-pkg.abcdef/lib", e.state);
	mkdirs(path);
	open_installer(&e, &in, INSTALL_HARDLINK);
	assert_settled(&e);
	assert_false(exists(&e, "lib/python3.11/site-packages/demo_pkg"));
	assert_false(exists(&e, "bin/demo-cli"));
	assert_false(exists(&e, "lib/python3.11/site-packages/odd\nname\\x.py"));
	check_record(find_dist(&e, "other"));

	/* a remove that was under way is finished */
	pathf(path, sizeof(path), "%s/journal/other", e.state);
	write_text(path, "bunpy-journal 1\nremove\n"
		   "dist-info lib/python3.11/site-packages/other-1.0.dist-info\n"
		   "path lib/python3.11/site-packages/other.py\n"
		   "path lib/python3.11/site-packages/ns/other/__init__.py\n");
	open_installer(&e, &in, INSTALL_HARDLINK);
	assert_settled(&e);
	assert_null(find_dist(&e, "other"));
	assert_files(&e, NULL, 0);

	/* a journal naming a path outside */
	pathf(outside, sizeof(outside), "%s/journal/outside.txt", g_work);
	write_text(outside, "precious\n");
	pathf(path, sizeof(path), "%s/journal/evil", e.state);
	write_text(path, "bunpy-journal 1\ninstall\n"
		   "dist-info lib/python3.11/site-packages/evil-1.0.dist-info\nino 1\n"
		   "path ../outside.txt\n");
	assert_int_equal(installer_open(&in, &e.venv, INSTALL_HARDLINK, &err), -1);
	assert_non_null(strstr(err.msg, "outside the environment"));
	assert_int_equal(lstat(outside, &sb), 0);
	write_text(path, "bunpy-journal 1\ninstall\n");
	assert_int_equal(installer_open(&in, &e.venv, INSTALL_HARDLINK, &err), -1);
	assert_non_null(strstr(err.msg, "damaged journal"));
	unlink(path);
	env_free(&e);
}

/* ------------------------------------------------------------ threads */

typedef struct Churner {
	Env *e;
	Installer *in;
	const char *name, *variant;
	int failures;
	char error[2048];
} Churner;

/* Install and remove one project over and over; another thread does the same with a
 * project sharing the namespace directory ns/, which each removal may leave empty. */
static void *
churn_thread(void *arg)
{
	Churner *c = arg;
	int i;

	for (i = 0; i < 40; i++) {
		const Variant *v = variant(c->variant);
		char unpacked[PATH_MAX];
		InstallRequest req = { v->name, v->version, v->wheel,
				       unpacked_of(c->variant, unpacked, sizeof(unpacked)), false, NULL };
		Arena a = { 0 };
		InstalledDist *d;
		size_t n, k;
		const InstalledDist *mine = NULL;
		Err err;

		if (install_scan(&c->e->venv, &a, &d, &n, &err) != 0) {
			c->failures++;
			snprintf(c->error, sizeof(c->error), "%s", err.msg);
		}
		for (k = 0; k < n; k++)
			if (!strcmp(d[k].name, c->name))
				mine = &d[k];
		if (mine ? install_remove(c->in, mine, &err) : install_wheel(c->in, &req, NULL, &err)) {
			c->failures++;
			snprintf(c->error, sizeof(c->error), "%s", err.msg);
		}
		arena_free(&a);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	Env e;
	Installer in;
	pthread_t t[2];
	Churner c[2];
	int k;

	(void)state;
	variant("v2");
	variant("other");
	env_init(&e, "threads");
	open_installer(&e, &in, INSTALL_HARDLINK);
	for (k = 0; k < 2; k++) {
		memset(&c[k], 0, sizeof(c[k]));
		c[k].e = &e;
		c[k].in = &in;
		c[k].name = k ? "other" : "demo-pkg";
		c[k].variant = k ? "other" : "v2";
		assert_int_equal(pthread_create(&t[k], NULL, churn_thread, &c[k]), 0);
	}
	for (k = 0; k < 2; k++) {
		pthread_join(t[k], NULL);
		if (c[k].failures)
			fail_msg("%s: %d failures, the last: %s", c[k].name, c[k].failures, c[k].error);
	}
	/* 40 operations each: both removed in the end, nothing left */
	assert_settled(&e);
	assert_files(&e, NULL, 0);
	assert_false(exists(&e, "lib/python3.11/site-packages/ns"));
	env_free(&e);
}

/* ------------------------------------------------------------ kill -9 at any moment */

static const char *
demo_state(Env *e)
{
	const InstalledDist *d = find_dist(e, "demo-pkg");

	return d ? d->version : NULL;
}

/* What the child tells the parent, in shared memory: how many operations it finished
 * and how long the last one took, so that kills land within operations at any speed
 * (a sanitizer build, a slow disk). */
typedef struct Progress {
	_Atomic int ops;
	_Atomic long last_us;
} Progress;

/* The child: install, upgrade, downgrade, remove, for ever (until killed). */
static _Noreturn void
churn(Env *e, InstallLinkMode mode, unsigned seed, Progress *progress)
{
	Installer in;
	Err err;

	memset(&in, 0, sizeof(in));
	seed *= 2654435761u;     /* rand_r's first outputs for neighbouring seeds are alike */
	(void)rand_r(&seed);
	if (installer_open(&in, &e->venv, mode, &err) != 0)
		_exit(10);
	for (;;) {
		int64_t start = fs_monotonic_us();
		const char *v = demo_state(e);
		int r = (int)(rand_r(&seed) % 3);

		if (v && r == 0) {
			if (install_remove(&in, find_dist(e, "demo-pkg"), &err) != 0)
				_exit(11);
		} else if (install_variant(e, &in, !v || !strcmp(v, "2.0") ? "v1" : "v2", r == 1, NULL,
					   &err) != 0) {
			_exit(12);
		}
		arena_free(&e->arena);
		atomic_store(&progress->last_us, (long)(fs_monotonic_us() - start));
		atomic_fetch_add(&progress->ops, 1);
	}
}

static void
assert_absent(const Env *e, const char *const *paths, size_t n, const char *why)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (exists(e, paths[i]))
			fail_msg("%s exists while %s", paths[i], why);
}

static void
test_kill_anywhere(void **state)
{
	Env e;
	Installer in;
	unsigned seed = 20240611;
	int iter, states[3] = { 0 };
	Progress *progress;

	(void)state;
	progress = mmap(NULL, sizeof(*progress), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			-1, 0);
	assert_true(progress != MAP_FAILED);
	variant("v1");
	variant("v2");
	env_init(&e, "kill");
	open_installer(&e, &in, INSTALL_HARDLINK);
	install_ok(&e, &in, "other");
	for (iter = 0; iter < 100; iter++) {
		InstallLinkMode mode = iter % 3 == 0 ? INSTALL_COPY : iter % 3 == 1 ? INSTALL_CLONE
										   : INSTALL_HARDLINK;
		pid_t pid;
		int status;
		const char *v;

		fflush(NULL);
		int target = (int)(rand_r(&seed) % 4), waited = 0;
		long op_us;

		atomic_store(&progress->ops, 0);
		atomic_store(&progress->last_us, 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			churn(&e, mode, seed + (unsigned)iter, progress);
		/* after a few finished operations, at a random moment of the next one */
		while (atomic_load(&progress->ops) < target && waited++ < 100000)
			usleep(200);
		op_us = atomic_load(&progress->last_us);
		usleep((useconds_t)(rand_r(&seed) % (unsigned long)(2 * (op_us > 500 ? op_us : 500))));
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status))
			fail_msg("the child failed on its own (exit %d)", WEXITSTATUS(status));
		open_installer(&e, &in, INSTALL_HARDLINK);
		assert_settled(&e);
		v = demo_state(&e);
		check_record(find_dist(&e, "other"));
		assert_true(exists(&e, "lib/python3.11/site-packages/ns/other/__init__.py"));
		if (!v) {
			states[0]++;
			assert_absent(&e, demo_any, sizeof(demo_any) / sizeof(demo_any[0]),
				      "demo-pkg is absent");
			assert_absent(&e, v1_only, sizeof(v1_only) / sizeof(v1_only[0]),
				      "demo-pkg is absent");
		} else if (!strcmp(v, "1.0")) {
			states[1]++;
			check_record(find_dist(&e, "demo-pkg"));
			assert_false(exists(&e, "lib/python3.11/site-packages/demo_pkg/new.py"));
			assert_false(exists(&e, "lib/python3.11/site-packages/demo_pkg-2.0.dist-info"));
		} else {
			states[2]++;
			check_record(find_dist(&e, "demo-pkg"));
			assert_absent(&e, v1_only, sizeof(v1_only) / sizeof(v1_only[0]),
				      "demo-pkg 2.0 is installed");
		}
		arena_free(&e.arena);
	}
	/* the loop saw every state, so kills did land at different places */
	print_message("after the kills: %d absent, %d at 1.0, %d at 2.0\n", states[0], states[1],
		      states[2]);
	assert_true(states[0] > 0 && states[1] + states[2] > 0);
	munmap(progress, sizeof(*progress));
	env_free(&e);
}

/* ---------------------------------------------------------------- setup */

static int
setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	Buf out = { 0 };
	int code;
	Err err;
	const char *argv[] = { NULL, "-c", "import sys; print(sys.implementation.cache_tag)", NULL };

	(void)state;
	g_python = getenv("PYTHON3");
	if (!g_python || !*g_python || access(g_python, X_OK) != 0)
		g_python = "/usr/bin/python3";
	argv[0] = g_python;
	if (proc_output(argv, &out, &code, &err) != 0 || code != 0)
		return -1;
	pathf(g_cache_tag, sizeof(g_cache_tag), "%.*s", (int)strcspn(out.data, "\n"), out.data);
	buf_free(&out);
	pathf(g_work, sizeof(g_work), "%s/test_install.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(g_work))
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	Err err;

	(void)state;
	if (!getenv("KEEP_TEST_DIR"))
		fs_remove_tree(g_work, &err);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_install_tree),
		cmocka_unit_test(test_like_pip),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_remove_refuses_escape),
		cmocka_unit_test(test_broken_wheels),
		cmocka_unit_test(test_link_modes),
		cmocka_unit_test(test_compile),
		cmocka_unit_test(test_recover_journal),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_kill_anywhere),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_wheelcache.c - unit tests of unpacking wheels into the cache (rules/wheelcache.c).
 *
 * The wheels come from tests/fixtures/evilwheels.py, run into a temporary directory:
 * for every case of its cases.json, unpacking succeeds or fails with the case's
 * fragment (judging case as the filesystem does, and as if it told case apart and as
 * if it ignored it), and a failure leaves nothing in the cache, neither the temporary
 * directory nor the final one nor anything a bad name would have put beside them. The
 * good wheels' files have their contents, modes (whatever the umask) and links; a
 * second unpack does not read the wheel again; threads unpacking one wheel into one
 * cache all succeed.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "engine/arena.h"
#include "engine/buf.h"
#include "engine/err.h"
#include "engine/fs.h"
#include "engine/hash.h"
#include "engine/proc.h"
#include "rules/wheelcache.h"

typedef struct Case {
	char file[128];
	char path[512];
	Sha256 sha;
	bool ok;                     /* where case is told apart */
	bool ok_ci;                  /* where it is not */
	char fragment[128];
} Case;

typedef struct Fixture {
	char dir[64];                /* the test's temporary directory */
	char wheels[128];            /* evilwheels.py's output */
	Case *cases;
	size_t ncases;
	bool fs_ignores_case;
	int next;                    /* for fresh cache names */
} Fixture;

static Fixture fx;

static void
fresh_cache(char *out, size_t n)
{
	snprintf(out, n, "%s/cache-%d", fx.dir, fx.next++);
}

static const Case *
find_case(const char *file)
{
	size_t i;

	for (i = 0; i < fx.ncases; i++)
		if (!strcmp(fx.cases[i].file, file))
			return &fx.cases[i];
	fail_msg("no case %s", file);
	return NULL;
}

static const char *
json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static int
setup(void **state)
{
	const char *fixtures = getenv("FIXTURES_DIR"), *python = getenv("PYTHON3");
	const char *argv[4];
	Buf script = { 0 }, out = { 0 }, json = { 0 };
	Err err;
	int code = -1, dirfd;
	cJSON *doc, *c;
	size_t i = 0;

	(void)state;
	if (!fixtures || !python || !*python) {
		fprintf(stderr, "FIXTURES_DIR and PYTHON3 must be set (make check sets them)\n");
		return -1;
	}
	strcpy(fx.dir, "/tmp/test_wheelcache-XXXXXX");
	if (!mkdtemp(fx.dir))
		return -1;
	snprintf(fx.wheels, sizeof(fx.wheels), "%s/wheels", fx.dir);
	buf_printf(&script, "%s/evilwheels.py", fixtures);
	argv[0] = python;
	argv[1] = script.data;
	argv[2] = fx.wheels;
	argv[3] = NULL;
	if (proc_output(argv, &out, &code, &err) != 0 || code != 0) {
		fprintf(stderr, "evilwheels.py failed (%d): %s\n", code, out.data ? out.data : err.msg);
		return -1;
	}
	buf_clear(&script);
	buf_printf(&script, "%s/cases.json", fx.wheels);
	if (fs_read_file(script.data, &json, &err) != 0 || !(doc = cJSON_Parse(json.data)))
		return -1;
	fx.ncases = (size_t)cJSON_GetArraySize(doc);
	fx.cases = calloc(fx.ncases, sizeof(*fx.cases));
	cJSON_ArrayForEach(c, doc) {
		Case *k = &fx.cases[i++];

		snprintf(k->file, sizeof(k->file), "%s", json_str(c, "file"));
		snprintf(k->path, sizeof(k->path), "%s/%s", fx.wheels, k->file);
		snprintf(k->fragment, sizeof(k->fragment), "%s", json_str(c, "fragment"));
		k->ok = !strcmp(json_str(c, "expect"), "ok");
		k->ok_ci = !strcmp(json_str(c, "expect_if_case_insensitive"), "ok");
		if (hash_unhex(json_str(c, "sha256"), k->sha.b, sizeof(k->sha.b)) != 0)
			return -1;
	}
	cJSON_Delete(doc);
	buf_free(&script);
	buf_free(&out);
	buf_free(&json);

	if ((dirfd = open(fx.dir, O_RDONLY | O_DIRECTORY)) < 0)
		return -1;
	code = wheelcache_ignores_case(dirfd, &err);
	close(dirfd);
	if (code < 0)
		return -1;
	fx.fs_ignores_case = code == 1;
	return 0;
}

static int
teardown(void **state)
{
	Err err;

	(void)state;
	fs_remove_tree(fx.dir, &err);
	free(fx.cases);
	return 0;
}

/* The names in dir, sorted, joined by spaces ("" when empty or missing). */
static void
listing(const char *dir, Buf *out)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), i;

	buf_clear(out);
	buf_puts(out, "");
	for (i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
			if (out->len)
				buf_putc(out, ' ');
			buf_puts(out, names[i]->d_name);
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

static void
hex_of(const Sha256 *sha, char *hex)
{
	hash_hex(sha->b, sizeof(sha->b), hex);
}

/* Unpack k into a fresh cache as how says; check the outcome and what is left. */
static void
check_case(const Case *k, WheelcacheCase how, bool want_ok)
{
	char cache[128], hex[SHA256_HEX_LEN + 1];
	Buf wheels = { 0 }, names = { 0 };
	Err err = { "" };
	int rc;

	fresh_cache(cache, sizeof(cache));
	rc = how == WHEELCACHE_CASE_PROBE ? wheelcache_unpack(cache, k->path, &k->sha, k->file, &err)
					  : wheelcache_unpack_case(cache, k->path, &k->sha, k->file, how, &err);
	buf_printf(&wheels, "%s/wheels", cache);
	listing(wheels.data, &names);
	hex_of(&k->sha, hex);
	if (want_ok) {
		if (rc != 0)
			fail_msg("%s (mode %d): expected success, got: %s", k->file, how, err.msg);
		assert_true(wheelcache_has(cache, &k->sha));
		/* the final directory and nothing else: no temporary, no escaped file */
		assert_string_equal(names.data, hex);
	} else {
		if (rc == 0)
			fail_msg("%s (mode %d): expected an error with '%s', got success", k->file, how,
				 k->fragment);
		if (!strstr(err.msg, k->fragment))
			fail_msg("%s (mode %d): the error lacks '%s': %s", k->file, how, k->fragment,
				 err.msg);
		/* messages begin with the wheel's name */
		assert_int_equal(strncmp(err.msg, k->file, strlen(k->file)), 0);
		assert_false(wheelcache_has(cache, &k->sha));
		assert_string_equal(names.data, "");
	}
	/* only wheels/ in the cache (and, after a success, the cache index's journal):
	 * nothing written beside them */
	listing(cache, &names);
	assert_string_equal(names.data, want_ok ? "index.d wheels" : "wheels");
	buf_free(&wheels);
	buf_free(&names);
}

static void
test_cases(void **state)
{
	size_t i, bad = 0;

	(void)state;
	assert_true(fx.ncases >= 25);
	for (i = 0; i < fx.ncases; i++) {
		const Case *k = &fx.cases[i];

		check_case(k, WHEELCACHE_CASE_PROBE, fx.fs_ignores_case ? k->ok_ci : k->ok);
		check_case(k, WHEELCACHE_CASE_SENSITIVE, k->ok);
		check_case(k, WHEELCACHE_CASE_INSENSITIVE, k->ok_ci);
		bad += !k->ok;
	}
	/* the generator makes mostly bad wheels: a broken cases.json would not */
	assert_true(bad >= 20);
}

/* The case that only a case-ignoring filesystem refuses is judged by the probe. */
static void
test_case_collision(void **state)
{
	const Case *k = find_case("evil_case-1.0-py3-none-any.whl");
	char cache[128];
	Err err;

	(void)state;
	assert_true(k->ok);
	assert_false(k->ok_ci);
	fresh_cache(cache, sizeof(cache));
	assert_int_equal(wheelcache_unpack_case(cache, k->path, &k->sha, k->file,
						WHEELCACHE_CASE_INSENSITIVE, &err), -1);
	assert_non_null(strstr(err.msg, "'evil_case/Readme.txt' and 'evil_case/README.txt' differ "
					"only by case"));
}

static void
test_probe(void **state)
{
	Buf names = { 0 };
	Err err;
	int dirfd;
	char dir[128];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/probe", fx.dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_true((dirfd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0);
	/* Linux filesystems (tmpfs, ext4 without casefold) tell case apart */
	assert_int_equal(wheelcache_ignores_case(dirfd, &err), 0);
	listing(dir, &names);
	assert_string_equal(names.data, "");   /* the probe file is gone */
	/* a file there under the upper-case name is what a case-ignoring filesystem shows */
	close(openat(dirfd, "CASE-PROBE", O_WRONLY | O_CREAT, 0644));
	assert_int_equal(wheelcache_ignores_case(dirfd, &err), 1);
	listing(dir, &names);
	assert_string_equal(names.data, "CASE-PROBE");
	close(dirfd);
	buf_free(&names);
}

static void
read_at(const char *root, const char *rel, Buf *out, unsigned *mode)
{
	char path[1024];
	struct stat st;
	Err err;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(lstat(path, &st), 0);
	*mode = st.st_mode;
	buf_clear(out);
	if (S_ISREG(st.st_mode) && fs_read_file(path, out, &err) != 0)
		fail_msg("%s", err.msg);
}

static void
expect_file(const char *root, const char *rel, const char *text, unsigned mode)
{
	Buf b = { 0 };
	unsigned got;

	read_at(root, rel, &b, &got);
	if (got != (S_IFREG | mode))
		fail_msg("%s: mode %o, expected %o", rel, got, S_IFREG | mode);
	assert_int_equal(b.len, strlen(text));
	assert_memory_equal(b.data ? b.data : "", text, b.len);
	buf_free(&b);
}

static void
expect_dir(const char *root, const char *rel)
{
	Buf b = { 0 };
	unsigned got;

	read_at(root, rel, &b, &got);
	if (got != (S_IFDIR | 0755))
		fail_msg("%s: mode %o, expected a directory 0755", rel, got);
	buf_free(&b);
}

static void
test_good_wheel(void **state)
{
	const Case *k = find_case("good_wheel-1.0-py3-none-any.whl");
	char cache[128], data[1001] = "";
	Arena arena = { 0 };
	const char *root;
	Buf names = { 0 };
	struct stat before, after;
	mode_t old;
	Err err;
	int i;

	(void)state;
	fresh_cache(cache, sizeof(cache));
	root = wheelcache_dir(cache, &k->sha, &arena);
	assert_false(wheelcache_has(cache, &k->sha));
	/* modes are the cache's, not the umask's */
	old = umask(077);
	i = wheelcache_unpack(cache, k->path, &k->sha, k->file, &err);
	umask(old);
	if (i != 0)
		fail_msg("%s", err.msg);
	assert_true(wheelcache_has(cache, &k->sha));
	for (i = 0; i < 100; i++)
		strcat(data, "some data\n");
	expect_dir(root, ".");
	expect_dir(root, "good_wheel");
	expect_dir(root, "good_wheel/sub");
	expect_dir(root, "good_wheel-1.0.data/scripts");
	expect_file(root, "good_wheel/__init__.py", "__version__ = '1.0'\n", 0644);
	expect_file(root, "good_wheel/core.py", "def answer():\n    return 42\n", 0644);
	expect_file(root, "good_wheel/sub/data.txt", data, 0644);
	expect_file(root, "good_wheel/sub/empty.txt", "", 0644);
	expect_file(root, "good_wheel/sub/run.sh", "#!/bin/sh\necho run\n", 0755);
	expect_file(root, "good_wheel-1.0.data/scripts/good-tool",
		    "#!python\nfrom good_wheel.core import answer\nprint(answer())\n", 0755);
	expect_file(root, "good_wheel-1.0.dist-info/WHEEL",
		    "Wheel-Version: 1.0\nGenerator: bunpy-evilwheels 1\nRoot-Is-Purelib: true\n"
		    "Tag: py3-none-any\n", 0644);
	/* exactly the members: the .pyc RECORD lists without a hash is not made up */
	listing(root, &names);
	assert_string_equal(names.data, "good_wheel good_wheel-1.0.data good_wheel-1.0.dist-info");
	{
		char sub[1024];

		snprintf(sub, sizeof(sub), "%s/good_wheel", root);
		listing(sub, &names);
		assert_string_equal(names.data, "__init__.py core.py sub");
		snprintf(sub, sizeof(sub), "%s/good_wheel-1.0.dist-info", root);
		listing(sub, &names);
		assert_string_equal(names.data, "METADATA RECORD WHEEL");
	}

	/* a second unpack is a no-op: it does not even open the wheel */
	assert_int_equal(stat(root, &before), 0);
	assert_int_equal(wheelcache_unpack(cache, "/nonexistent/wheel.whl", &k->sha, k->file, &err), 0);
	assert_int_equal(stat(root, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	{
		Buf w = { 0 };

		buf_printf(&w, "%s/wheels", cache);
		listing(w.data, &names);
		assert_int_equal(names.len, SHA256_HEX_LEN);   /* one directory, no temporary */
		buf_free(&w);
	}
	buf_free(&names);
	arena_free(&arena);
}

static void
expect_link(const char *root, const char *rel, const char *target)
{
	char path[1024], got[256];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	n = readlink(path, got, sizeof(got) - 1);
	assert_true(n >= 0);
	got[n] = '\0';
	assert_string_equal(got, target);
}

static void
test_links_and_names(void **state)
{
	const Case *links = find_case("good_symlinks-1.0-py3-none-any.whl");
	const Case *uni = find_case("good_unicode-1.0-py3-none-any.whl");
	const Case *sha512 = find_case("good_sha512-1.0-py3-none-any.whl");
	char cache[128], text[301] = "";
	Arena arena = { 0 };
	const char *root;
	Err err;
	int i;

	(void)state;
	fresh_cache(cache, sizeof(cache));
	assert_int_equal(wheelcache_unpack(cache, links->path, &links->sha, links->file, &err), 0);
	root = wheelcache_dir(cache, &links->sha, &arena);
	expect_link(root, "good_symlinks/alias.py", "real.py");
	expect_link(root, "good_symlinks/sub/up.py", "../real.py");
	expect_link(root, "good_symlinks/sub/pkg", "./../../good_symlinks/");
	/* and they lead where they should */
	expect_file(root, "good_symlinks/sub/pkg/real.py", "x = 1\n", 0644);

	assert_int_equal(wheelcache_unpack(cache, uni->path, &uni->sha, uni->file, &err), 0);
	root = wheelcache_dir(cache, &uni->sha, &arena);
	expect_file(root, "good_unicode/donn\xc3\xa9" "es.txt", "caf\xc3\xa9\n", 0644);
	expect_file(root, "good_unicode/\xe6\x97\xa5\xe6\x9c\xac/\xe8\xaa\x9e.py", "x = 1\n", 0644);

	assert_int_equal(wheelcache_unpack(cache, sha512->path, &sha512->sha, sha512->file, &err), 0);
	root = wheelcache_dir(cache, &sha512->sha, &arena);
	for (i = 0; i < 50; i++)
		strcat(text, "x = 1\n");
	expect_file(root, "good_sha512/x.py", text, 0644);
	arena_free(&arena);
}

static void
test_missing_wheel(void **state)
{
	const Case *k = find_case("good_wheel-1.0-py3-none-any.whl");
	char cache[128];
	Buf names = { 0 };
	Err err;

	(void)state;
	fresh_cache(cache, sizeof(cache));
	assert_int_equal(wheelcache_unpack(cache, "/nonexistent/x.whl", &k->sha, k->file, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/x.whl"));
	{
		Buf w = { 0 };

		buf_printf(&w, "%s/wheels", cache);
		listing(w.data, &names);
		assert_string_equal(names.data, "");
		buf_free(&w);
	}
	buf_free(&names);
}

/* Temporary directories of dead processes go, of live ones and wheels stay. */
static void
test_sweep(void **state)
{
	char cache[128], path[512];
	Buf names = { 0 }, w = { 0 };
	Err err;

	(void)state;
	fresh_cache(cache, sizeof(cache));
	assert_int_equal(wheelcache_sweep(cache, &err), 0);   /* no wheels/ yet */
	buf_printf(&w, "%s/wheels", cache);
	assert_int_equal(fs_mkdir_p(w.data, &err), 0);
	/* pid_max is at most 2^22: no process has this id */
	snprintf(path, sizeof(path), "%s/.tmp-999999999-abcdef/pkg", w.data);
	assert_int_equal(fs_mkdir_p(path, &err), 0);
	snprintf(path, sizeof(path), "%s/.tmp-999999999-abcdef/pkg/x.py", w.data);
	assert_int_equal(fs_write_atomic(path, "x", 1, 0644, &err), 0);
	snprintf(path, sizeof(path), "%s/.tmp-%ld-ghijkl", w.data, (long)getpid());
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%064d", w.data, 0);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/.tmp-notapid", w.data);
	assert_int_equal(mkdir(path, 0755), 0);

	assert_int_equal(wheelcache_sweep(cache, &err), 1);
	listing(w.data, &names);
	buf_clear(&w);
	buf_printf(&w, ".tmp-%ld-ghijkl .tmp-notapid %064d", (long)getpid(), 0);
	assert_string_equal(names.data, w.data);
	buf_free(&names);
	buf_free(&w);
}

typedef struct Racer {
	pthread_barrier_t *barrier;
	const char *cache;
	const Case *k;
	int rc;
	Err err;
} Racer;

static void *
race(void *arg)
{
	Racer *r = arg;

	pthread_barrier_wait(r->barrier);
	r->rc = wheelcache_unpack(r->cache, r->k->path, &r->k->sha, r->k->file, &r->err);
	return NULL;
}

static void
test_threads(void **state)
{
	const Case *k = find_case("good_wheel-1.0-py3-none-any.whl");
	enum { THREADS = 4, ROUNDS = 10 };
	int round, i;

	(void)state;
	for (round = 0; round < ROUNDS; round++) {
		char cache[128];
		pthread_barrier_t barrier;
		pthread_t t[THREADS];
		Racer r[THREADS];
		Arena arena = { 0 };
		Buf names = { 0 }, w = { 0 };
		char hex[SHA256_HEX_LEN + 1];

		fresh_cache(cache, sizeof(cache));
		pthread_barrier_init(&barrier, NULL, THREADS);
		for (i = 0; i < THREADS; i++) {
			r[i] = (Racer){ .barrier = &barrier, .cache = cache, .k = k, .rc = -2 };
			assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
		}
		for (i = 0; i < THREADS; i++) {
			pthread_join(t[i], NULL);
			if (r[i].rc != 0)
				fail_msg("thread %d: %s", i, r[i].err.msg);
		}
		pthread_barrier_destroy(&barrier);
		buf_printf(&w, "%s/wheels", cache);
		listing(w.data, &names);
		hex_of(&k->sha, hex);
		assert_string_equal(names.data, hex);   /* the losers' copies are gone */
		expect_file(wheelcache_dir(cache, &k->sha, &arena), "good_wheel/core.py",
			    "def answer():\n    return 42\n", 0644);
		buf_free(&names);
		buf_free(&w);
		arena_free(&arena);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_case_collision),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_good_wheel),
		cmocka_unit_test(test_links_and_names),
		cmocka_unit_test(test_missing_wheel),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

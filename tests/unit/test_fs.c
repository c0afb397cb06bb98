/*
 * test_fs.c - paths, atomic writes, stat tuples, globs and the CAS.
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

#include "engine/cas.h"
#include "engine/fs.h"
#include "engine/glob.h"

static char dir[256];

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/bunpy-test-fs-XXXXXX");
	assert_non_null(mkdtemp(dir));
	(void)state;
	return 0;
}

static int
teardown(void **state)
{
	Err err;

	(void)state;
	fs_remove_tree(dir, &err);
	return 0;
}

static void
put(const char *rel, const char *content)
{
	char path[512];
	Err err;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(fs_mkdir_parent(path, &err), 0);
	assert_int_equal(fs_write_atomic(path, content, strlen(content), 0644, &err), 0);
}

static void
test_path_clean(void **state)
{
	static const char *const cases[][2] = {
		{ "a/b/c", "a/b/c" }, { "./a//b/", "a/b" }, { "a/./b/../c", "a/c" },
		{ "../a", "../a" }, { "a/../../b", "../b" }, { "/a/../../b", "/b" },
		{ "", "." }, { ".", "." }, { "a/..", "." }, { "/", "/" }, { "//x//", "/x" },
		{ "../../x/./y", "../../x/y" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[64];

		strcpy(buf, cases[i][0]);
		fs_path_clean(buf);
		assert_string_equal(buf, cases[i][1]);
	}
}

static void
test_atomic_write_leaves_no_temporaries(void **state)
{
	char path[512];
	Buf b = { 0 };
	Err err;

	(void)state;
	put("f.txt", "one");
	put("f.txt", "two");
	snprintf(path, sizeof(path), "%s/f.txt", dir);
	assert_int_equal(fs_read_file(path, &b, &err), 0);
	assert_string_equal(b.data, "two");
	buf_clear(&b);
	assert_int_equal(glob_expand(dir, "*", &b, &err), 0);
	assert_string_equal(b.data, "f.txt\n");
	buf_free(&b);
	/* writing into a directory that does not exist fails cleanly */
	snprintf(path, sizeof(path), "%s/missing/f.txt", dir);
	assert_int_equal(fs_write_atomic(path, "x", 1, 0644, &err), -1);
	assert_non_null(strstr(err.msg, "missing/f.txt"));
}

static void
test_stat_tuple(void **state)
{
	char path[512];
	FileStat a, b;
	Err err;

	(void)state;
	put("s.txt", "content");
	snprintf(path, sizeof(path), "%s/s.txt", dir);
	assert_int_equal(fs_stat(path, &a, &err), 0);
	assert_true(a.racy);              /* just written */
	assert_false(fs_stat_same(&a, &a));
	{
		unsigned char packed[FILESTAT_PACKED];

		fs_stat_pack(&a, packed);
		fs_stat_unpack(&b, packed);
		assert_memory_equal(&a, &b, sizeof(a));
	}
	a.racy = b.racy = 0;
	assert_true(fs_stat_same(&a, &b));
	b.mtime_ns++;
	assert_false(fs_stat_same(&a, &b));
	snprintf(path, sizeof(path), "%s/nope", dir);
	assert_int_equal(fs_stat(path, &a, &err), 1);
	assert_int_equal(a.mode, 0);
}

static void
test_glob_match(void **state)
{
	static const struct { const char *pat, *path; bool match; } cases[] = {
		{ "*.py", "a.py", true }, { "*.py", "d/a.py", false },
		{ "src/**/*.py", "src/a.py", true }, { "src/**/*.py", "src/x/y/a.py", true },
		{ "src/**/*.py", "srcx/a.py", false }, { "**", "a/b/c", true },
		{ "**/c", "c", true }, { "a/?.txt", "a/b.txt", true }, { "a/?.txt", "a/bb.txt", false },
		{ "[ab].c", "b.c", true }, { "[!ab].c", "b.c", false },
		{ "*", ".hidden", false }, { ".*", ".hidden", true }, { "**/x", ".git/x", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (glob_match(cases[i].pat, cases[i].path) != cases[i].match)
			fail_msg("glob_match(%s, %s) should be %d", cases[i].pat, cases[i].path,
				 cases[i].match);
	}
	assert_true(glob_has_magic("a/*.c"));
	assert_false(glob_has_magic("a/b.c"));
}

static void
test_glob_expand(void **state)
{
	Buf b = { 0 };
	Err err;

	(void)state;
	put("src/a.py", "");
	put("src/pkg/b.py", "");
	put("src/pkg/deep/c.py", "");
	put("src/pkg/notes.txt", "");
	put("src/.venv/lib.py", "");
	put("top.py", "");
	assert_int_equal(glob_expand(dir, "src/**/*.py", &b, &err), 0);
	assert_string_equal(b.data, "src/a.py\nsrc/pkg/b.py\nsrc/pkg/deep/c.py\n");
	buf_clear(&b);
	assert_int_equal(glob_expand(dir, "src/**", &b, &err), 0);
	assert_string_equal(b.data, "src/a.py\nsrc/pkg/b.py\nsrc/pkg/deep/c.py\nsrc/pkg/notes.txt\n");
	buf_clear(&b);
	assert_int_equal(glob_expand(dir, "*.py", &b, &err), 0);
	assert_string_equal(b.data, "top.py\n");
	buf_clear(&b);
	assert_int_equal(glob_expand(dir, "src/pkg/notes.txt", &b, &err), 0);
	assert_string_equal(b.data, "src/pkg/notes.txt\n");
	buf_clear(&b);
	assert_int_equal(glob_expand(dir, "nowhere/*.py", &b, &err), 0);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

/* '**' does not follow a directory symlink (one to an ancestor would never end), but a
 * pattern that names the link's entries does. */
static void
test_glob_symlinked_dirs(void **state)
{
	char link_path[512];
	Buf b = { 0 };
	Err err;

	(void)state;
	put("src/a.py", "");
	put("other/b.py", "");
	snprintf(link_path, sizeof(link_path), "%s/src/loop", dir);
	assert_int_equal(symlink("..", link_path), 0);
	snprintf(link_path, sizeof(link_path), "%s/src/linked", dir);
	assert_int_equal(symlink("../other", link_path), 0);
	assert_int_equal(glob_expand(dir, "src/**/*.py", &b, &err), 0);
	assert_string_equal(b.data, "src/a.py\n");
	buf_clear(&b);
	assert_int_equal(glob_expand(dir, "src/*/*.py", &b, &err), 0);
	assert_string_equal(b.data, "src/linked/b.py\n");
	buf_clear(&b);
	/* through the loop once, and no further */
	assert_int_equal(glob_expand(dir, "src/loop/**/*.py", &b, &err), 0);
	assert_string_equal(b.data, "src/loop/other/b.py\nsrc/loop/src/a.py\n");
	buf_free(&b);
}

static void
test_cas(void **state)
{
	char casdir[512], path[512], out[512];
	Cas cas;
	Sha256 sha;
	Buf b = { 0 };
	Err err;
	struct stat sb;

	(void)state;
	snprintf(casdir, sizeof(casdir), "%s/cas", dir);
	assert_int_equal(cas_open(&cas, casdir, true, &err), 0);
	assert_int_equal(cas_put_bytes(&cas, "hello", 5, &sha, &err), 0);
	assert_true(cas_has(&cas, &sha));
	/* SHA-256("hello") */
	{
		char hex[SHA256_HEX_LEN + 1];

		hash_hex(sha.b, 32, hex);
		assert_string_equal(hex, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
	}
	assert_int_equal(cas_get_bytes(&cas, &sha, &b, &err), 0);
	assert_string_equal(b.data, "hello");

	/* restore writes the blob with the mode asked for */
	snprintf(out, sizeof(out), "%s/restored/x.sh", dir);
	assert_int_equal(cas_restore(&cas, &sha, out, 0755, &err), 0);
	assert_int_equal(stat(out, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0755);

	/* a damaged blob is refused and removed, and the destination is left alone */
	cas_path(&cas, &sha, &b);
	snprintf(path, sizeof(path), "%s", b.data);
	chmod(path, 0644);
	{
		FILE *f = fopen(path, "w");

		fputs("HELLO", f);
		fclose(f);
	}
	assert_int_equal(cas_restore(&cas, &sha, out, 0644, &err), -1);
	assert_non_null(strstr(err.msg, "damaged"));
	assert_false(cas_has(&cas, &sha));
	buf_clear(&b);
	assert_int_equal(fs_read_file(out, &b, &err), 0);
	assert_string_equal(b.data, "hello");

	/* a blob that is not there */
	assert_int_equal(cas_restore(&cas, &sha, out, 0644, &err), -1);
	assert_non_null(strstr(err.msg, "not in the cache"));

	/* a symlink is not taken in by a hard link (the blob would be the link itself) */
	{
		char target[512], link_path[512];

		snprintf(target, sizeof(target), "%s/target", dir);
		snprintf(link_path, sizeof(link_path), "%s/link", dir);
		put("target", "hello");
		assert_int_equal(symlink(target, link_path), 0);
		assert_int_equal(cas_link_file(&cas, link_path, &sha), -1);
		assert_false(cas_has(&cas, &sha));
		assert_int_equal(cas_put_file(&cas, link_path, &sha, &err), 0);
		cas_path(&cas, &sha, &b);
		assert_int_equal(lstat(b.data, &sb), 0);
		assert_true(S_ISREG(sb.st_mode));
	}
	buf_free(&b);
	cas_close(&cas);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_clean),
		cmocka_unit_test_setup_teardown(test_atomic_write_leaves_no_temporaries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stat_tuple, setup, teardown),
		cmocka_unit_test(test_glob_match),
		cmocka_unit_test_setup_teardown(test_glob_expand, setup, teardown),
		cmocka_unit_test_setup_teardown(test_glob_symlinked_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cas, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

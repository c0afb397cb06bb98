/*
 * test_tags.c - compatibility tags (packaging/tags.c) against pypa/packaging's vectors
 * (tests/packaging/vectors/tags.json): the 914-tag supported list of CPython 3.11 on
 * glibc 2.36 x86_64 in both orderings, index by index; the generator functions called
 * with explicit arguments; tag parsing; platform lists for Linux (glibc, musl, the
 * PEP 600 hook), macOS, iOS and Android; and ranking candidates by their best tag.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/arena.h"
#include "packaging/tags.h"
#include "vectors.h"

static cJSON *vectors;
static int rows_checked;

/* ---------------------------------------------------------------- helpers */

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A JSON array of strings as a C array (in the arena). */
static const char **
strs(const cJSON *arr, Arena *a, size_t *n)
{
	const char **v;
	const cJSON *x;
	size_t i = 0;

	*n = (size_t)cJSON_GetArraySize(arr);
	v = arena_alloc(a, (*n ? *n : 1) * sizeof(*v));
	cJSON_ArrayForEach(x, arr)
		v[i++] = vectors_str(x);
	return v;
}

static TagsPyVersion
pyver(const cJSON *arr)
{
	TagsPyVersion v = {0, 0, false};
	int n = cJSON_GetArraySize(arr);

	assert_true(n >= 1);
	v.major = (unsigned)cJSON_GetArrayItem(arr, 0)->valueint;
	if (n >= 2) {
		v.minor = (unsigned)cJSON_GetArrayItem(arr, 1)->valueint;
		v.has_minor = true;
	}
	return v;
}

static void
expect_list(const char *what, const TagList *got, const cJSON *want, Arena *a)
{
	size_t n = (size_t)cJSON_GetArraySize(want), i = 0;
	const cJSON *x;

	cJSON_ArrayForEach(x, want) {
		const char *s;

		if (i >= got->len)
			fail_msg("%s: %u tags, want %zu (missing %s)", what, got->len, n,
				 vectors_str(x));
		s = tags_format(got->tags[i], a);
		if (strcmp(s, vectors_str(x)) != 0)
			fail_msg("%s: tag %zu is %s, want %s", what, i, s, vectors_str(x));
		i++;
	}
	if (got->len != n)
		fail_msg("%s: %u tags, want %zu (extra %s)", what, got->len, n,
			 tags_format(got->tags[n], a));
}

static void
expect_strs(const char *what, const TagStrs *got, const cJSON *want)
{
	size_t n = (size_t)cJSON_GetArraySize(want), i = 0;
	const cJSON *x;

	cJSON_ArrayForEach(x, want) {
		if (i >= got->len)
			fail_msg("%s: %zu items, want %zu (missing %s)", what, got->len, n,
				 vectors_str(x));
		if (strcmp(got->items[i], vectors_str(x)) != 0)
			fail_msg("%s: item %zu is %s, want %s", what, i, got->items[i],
				 vectors_str(x));
		i++;
	}
	if (got->len != n)
		fail_msg("%s: %zu items, want %zu (extra %s)", what, got->len, n, got->items[n]);
}

/* ---------------------------------------------------------------- supported_tags */

static void
check_supported(const char *key, unsigned flags)
{
	const cJSON *sec = vectors_section(vectors, key);
	const cJSON *want = cJSON_GetObjectItem(sec, "tags");
	static const char *const abis[] = { "cp311" };
	TagsInterpreter in = { TAGS_IMPL_CPYTHON, NULL, { 3, 11, true }, abis, 1 };
	TagsPlatform p = { 0 };
	TagStrs plats;
	TagList list;
	Arena a = {0};
	const cJSON *x;
	long i = 0;

	/* The host of supported_tags.host: glibc 2.36, x86_64, 64-bit, no _manylinux. */
	p.os = TAGS_OS_LINUX;
	p.arch = "x86_64";
	p.libc = TAGS_LIBC_GLIBC;
	p.libc_major = 2;
	p.libc_minor = 36;
	p.flags = flags;
	tags_strs_init(&plats, &a);
	tags_platforms(&p, &plats);
	expect_strs(key, &plats, cJSON_GetObjectItem(sec, "platforms"));

	tags_list_init(&list, &a);
	tags_supported(&in, &p, &list);
	expect_list(key, &list, want, &a);
	assert_int_equal(list.len, 914);
	/* The index finds every tag at its own position (the list has no duplicates), and a
	 * parsed tag ranks there too. */
	cJSON_ArrayForEach(x, want) {
		const char *s = vectors_str(x);
		TagSet set;
		Err err;

		assert_int_equal(tags_parse(s, strlen(s), 0, 0, &a, &set, &err), 0);
		if (tags_list_rank(&list, &set) != i)
			fail_msg("%s: %s ranks %ld, want %ld", key, s, tags_list_rank(&list, &set), i);
		i++;
		rows_checked++;
	}
	arena_free(&a);
}

static void
test_supported_new_order(void **state)
{
	(void)state;
	check_supported("supported_tags.packaging_26_4_dev0", 0);
}

static void
test_supported_old_order(void **state)
{
	(void)state;
	check_supported("supported_tags.packaging_23_0", TAGS_LINUX_LAST);
}

/* ---------------------------------------------------------------- explicit */

/* Positional argument i, else keyword kw, else NULL. */
static const cJSON *
arg(const cJSON *row, int i, const char *kw)
{
	const cJSON *args = cJSON_GetObjectItem(row, "args");

	if (i < cJSON_GetArraySize(args))
		return cJSON_GetArrayItem(args, i);
	return kw ? cJSON_GetObjectItem(cJSON_GetObjectItem(row, "kwargs"), kw) : NULL;
}

static void
test_explicit(void **state)
{
	const cJSON *row;
	Arena a = {0};

	(void)state;
	cJSON_ArrayForEach(row, vectors_section(vectors, "explicit")) {
		const char *fn = vectors_str(cJSON_GetObjectItem(row, "function"));
		const char *test = vectors_str(cJSON_GetObjectItem(row, "test"));
		const cJSON *want = cJSON_GetObjectItem(row, "expected");
		char what[256];
		TagList list;
		TagStrs out;
		size_t na = 0, np = 0;
		const char **abis, **plats;

		snprintf(what, sizeof(what), "%s (%s)", test, fn);
		tags_list_init(&list, &a);
		tags_strs_init(&out, &a);
		if (strcmp(fn, "cpython_tags") == 0) {
			/* Every row gives the ABIs and platforms: nothing comes from the host. */
			assert_non_null(arg(row, 1, "abis"));
			assert_non_null(arg(row, 2, "platforms"));
			abis = strs(arg(row, 1, "abis"), &a, &na);
			plats = strs(arg(row, 2, "platforms"), &a, &np);
			tags_cpython(&list, pyver(arg(row, 0, NULL)), abis, na, plats, np);
			expect_list(what, &list, want, &a);
		} else if (strcmp(fn, "generic_tags") == 0) {
			abis = strs(arg(row, 1, "abis"), &a, &na);
			plats = strs(arg(row, 2, "platforms"), &a, &np);
			tags_generic(&list, vectors_str(arg(row, 0, NULL)), abis, na, plats, np);
			expect_list(what, &list, want, &a);
		} else if (strcmp(fn, "pure_python_tags") == 0) {
			tags_pure_python(&list, pyver(arg(row, 0, NULL)));
			expect_list(what, &list, want, &a);
		} else if (strcmp(fn, "compatible_tags") == 0) {
			const cJSON *interp = arg(row, 1, "interpreter");

			assert_non_null(arg(row, 2, "platforms"));
			plats = strs(arg(row, 2, "platforms"), &a, &np);
			/* Not given is None: no INTERPRETER-none-any line. */
			tags_compatible(&list, pyver(arg(row, 0, NULL)),
					interp && cJSON_IsString(interp) ? interp->valuestring : NULL,
					plats, np);
			expect_list(what, &list, want, &a);
		} else if (strcmp(fn, "mac_platforms") == 0) {
			const cJSON *v = arg(row, 0, "version");

			tags_mac_platforms((unsigned)cJSON_GetArrayItem(v, 0)->valueint,
					   (unsigned)cJSON_GetArrayItem(v, 1)->valueint,
					   vectors_str(arg(row, 1, "arch")), &out);
			expect_strs(what, &out, want);
		} else if (strcmp(fn, "ios_platforms") == 0) {
			const cJSON *v = arg(row, 0, "version");

			tags_ios_platforms((unsigned)cJSON_GetArrayItem(v, 0)->valueint,
					   (unsigned)cJSON_GetArrayItem(v, 1)->valueint,
					   vectors_str(arg(row, 1, "multiarch")), &out);
			expect_strs(what, &out, want);
		} else if (strcmp(fn, "android_platforms") == 0) {
			tags_android_platforms((unsigned)arg(row, 0, "api_level")->valueint,
					       vectors_str(arg(row, 1, "abi")), &out);
			expect_strs(what, &out, want);
		} else {
			fail_msg("%s: no harness for function %s", test, fn);
		}
		rows_checked++;
	}
	arena_free(&a);
}

/* ---------------------------------------------------------------- mac helpers */

static void
test_mac_helpers(void **state)
{
	const cJSON *row;
	Arena a = {0};

	(void)state;
	cJSON_ArrayForEach(row, vectors_section(vectors, "mac_binary_formats")) {
		const cJSON *v = cJSON_GetArrayItem(row, 0);
		const char *arch = vectors_str(cJSON_GetArrayItem(row, 1));
		TagStrs out;

		tags_strs_init(&out, &a);
		tags_mac_binary_formats((unsigned)cJSON_GetArrayItem(v, 0)->valueint,
					(unsigned)cJSON_GetArrayItem(v, 1)->valueint, arch, &out);
		expect_strs(arch, &out, cJSON_GetArrayItem(row, 2));
		rows_checked++;
	}
	cJSON_ArrayForEach(row, vectors_section(vectors, "mac_arch")) {
		const char *arch = vectors_str(cJSON_GetArrayItem(row, 0));
		bool is32 = cJSON_IsTrue(cJSON_GetArrayItem(row, 1));

		assert_string_equal(tags_mac_arch(arch, is32), vectors_str(cJSON_GetArrayItem(row, 2)));
		rows_checked++;
	}
	arena_free(&a);
}

static void
test_version_nodot(void **state)
{
	const cJSON *row;

	(void)state;
	cJSON_ArrayForEach(row, vectors_section(vectors, "interpreter_version_nodot")) {
		/* packaging takes version_info[:2]. */
		TagsPyVersion v = pyver(cJSON_GetArrayItem(row, 0));
		char out[24];

		tags_version_nodot(v, out);
		assert_string_equal(out, vectors_str(cJSON_GetArrayItem(row, 1)));
		rows_checked++;
	}
}

/* ---------------------------------------------------------------- parse_tag */

static void
expect_set(const char *s, const TagSet *set, const cJSON *want, Arena *a)
{
	size_t n = tags_set_count(set), m, i, k = 0;
	const char **got = arena_alloc(a, (n ? n : 1) * sizeof(*got));
	const char **exp = strs(want, a, &m);

	for (i = 0; i < n; i++)
		got[i] = tags_format(tags_set_at(set, i), a);
	qsort(got, n, sizeof(*got), str_cmp);
	for (i = 0; i < n; i++)
		if (k == 0 || strcmp(got[k - 1], got[i]) != 0)
			got[k++] = got[i];
	qsort(exp, m, sizeof(*exp), str_cmp);
	if (k != m)
		fail_msg("%s: %zu distinct tags, want %zu", s, k, m);
	for (i = 0; i < k; i++)
		if (strcmp(got[i], exp[i]) != 0)
			fail_msg("%s: %s, want %s", s, got[i], exp[i]);
}

static void
test_parse_tag(void **state)
{
	const cJSON *row;
	Arena a = {0};
	TagSet set, again;
	Err err;

	(void)state;
	cJSON_ArrayForEach(row, vectors_section(vectors, "parse_tag.valid")) {
		const char *s = vectors_str(cJSON_GetArrayItem(row, 0));
		const char *canon;

		if (tags_parse(s, strlen(s), 0, 0, &a, &set, &err) != 0)
			fail_msg("%s: %s", s, err.msg);
		expect_set(s, &set, cJSON_GetArrayItem(row, 1), &a);
		/* Compressed again, sorted: it parses with validate_order to the same set. */
		canon = tags_set_format(&set, &a);
		if (tags_parse(canon, strlen(canon), TAGS_VALIDATE_ORDER, 0, &a, &again, &err) != 0)
			fail_msg("%s -> %s: %s", s, canon, err.msg);
		expect_set(canon, &again, cJSON_GetArrayItem(row, 1), &a);
		rows_checked++;
	}
	cJSON_ArrayForEach(row, vectors_section(vectors, "parse_tag.invalid")) {
		const char *s = vectors_str(cJSON_GetArrayItem(row, 0));
		const char *reason = vectors_str(cJSON_GetArrayItem(row, 1));

		err.msg[0] = '\0';
		if (tags_parse(s, strlen(s), 0, 0, &a, &set, &err) == 0)
			fail_msg("%s: accepted (should be rejected: %s)", s, reason);
		/* The message names the same fault as packaging's. */
		if (!strstr(err.msg, strstr(reason, "three") ? "exactly three components" :
				     strstr(reason, "interpreter") ? "invalid interpreter" :
				     "empty component"))
			fail_msg("%s: message '%s' does not say: %s", s, err.msg, reason);
		rows_checked++;
	}
	cJSON_ArrayForEach(row, vectors_section(vectors, "parse_tag.invalid_with_validate_order")) {
		const char *s = vectors_str(row);

		assert_int_equal(tags_parse(s, strlen(s), 0, 0, &a, &set, &err), 0);
		if (tags_parse(s, strlen(s), TAGS_VALIDATE_ORDER, 0, &a, &set, &err) == 0)
			fail_msg("%s: accepted with validate_order", s);
		assert_non_null(strstr(err.msg, "sorted order"));
		rows_checked++;
	}
	cJSON_ArrayForEach(row, vectors_section(vectors, "parse_tag.limit")) {
		const char *s = vectors_str(cJSON_GetArrayItem(row, 0));
		size_t limit = (size_t)cJSON_GetArrayItem(row, 1)->valueint;
		bool ok = cJSON_IsTrue(cJSON_GetArrayItem(row, 2));

		if ((tags_parse(s, strlen(s), 0, limit, &a, &set, &err) == 0) != ok)
			fail_msg("%s with limit %zu: want %s", s, limit, ok ? "ok" : "rejected");
		rows_checked++;
	}
	arena_free(&a);
}

/* ---------------------------------------------------------------- selector */

typedef struct Ranked {
	const char *name;
	long rank;
	size_t pos;
} Ranked;

static int
ranked_cmp(const void *x, const void *y)
{
	const Ranked *a = x, *b = y;

	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;   /* Python's sort is stable */
}

static void
test_selector(void **state)
{
	const cJSON *row;
	Arena a = {0};

	(void)state;
	cJSON_ArrayForEach(row, vectors_section(vectors, "compatible_tags_selector")) {
		const cJSON *x, *want = cJSON_GetObjectItem(row, "expected");
		const cJSON *cands = cJSON_GetObjectItem(row, "candidates");
		Ranked *r = arena_alloc(&a, ((size_t)cJSON_GetArraySize(cands) + 1) * sizeof(*r));
		size_t n = 0, i;
		TagList list;
		TagSet set;
		Err err;

		tags_list_init(&list, &a);
		cJSON_ArrayForEach(x, cJSON_GetObjectItem(row, "supported")) {
			const char *s = vectors_str(x);

			assert_int_equal(tags_parse(s, strlen(s), 0, 1, &a, &set, &err), 0);
			tags_list_push(&list, set.interpreters[0], set.abis[0], set.platforms[0]);
		}
		cJSON_ArrayForEach(x, cands) {
			const char *s = vectors_str(cJSON_GetArrayItem(x, 1));

			assert_int_equal(tags_parse(s, strlen(s), 0, 0, &a, &set, &err), 0);
			r[n].name = vectors_str(cJSON_GetArrayItem(x, 0));
			r[n].rank = tags_list_rank(&list, &set);
			r[n].pos = n;
			if (r[n].rank != TAGS_INCOMPATIBLE)
				n++;
		}
		qsort(r, n, sizeof(*r), ranked_cmp);
		assert_int_equal(n, cJSON_GetArraySize(want));
		for (i = 0; i < n; i++)
			assert_string_equal(r[i].name, vectors_str(cJSON_GetArrayItem(want, (int)i)));
		rows_checked++;
	}
	arena_free(&a);
}

/* ---------------------------------------------------------------- Linux platforms */

/* The _manylinux modules of the vectors, by their description. */
static int
hook_below_25(void *ctx, unsigned major, unsigned minor, const char *arch)
{
	(void)ctx;
	(void)arch;
	return major == 2 && minor < 25 ? 0 : -1;
}

static int
hook_no_2014(void *ctx, unsigned major, unsigned minor, const char *arch)
{
	(void)ctx;
	(void)arch;
	/* Only the legacy attribute: it speaks for 2.17 alone. */
	return major == 2 && minor == 17 ? 0 : -1;
}

/* want with the linux_* entries moved to the end: the order before packaging 26.3. */
static cJSON *
linux_last(const cJSON *want)
{
	cJSON *out = cJSON_CreateArray();
	const cJSON *x;
	int pass;

	for (pass = 0; pass < 2; pass++)
		cJSON_ArrayForEach(x, want)
			if ((strncmp(vectors_str(x), "linux_", 6) == 0) == (pass == 1))
				cJSON_AddItemToArray(out, cJSON_CreateString(x->valuestring));
	return out;
}

static void
check_linux(const char *what, TagsPlatform *p, const cJSON *want, Arena *a)
{
	TagStrs out;
	cJSON *old = linux_last(want);

	tags_strs_init(&out, a);
	p->flags = 0;
	tags_linux_platforms(p, &out);
	expect_strs(what, &out, want);
	tags_strs_init(&out, a);
	p->flags = TAGS_LINUX_LAST;
	tags_platforms(p, &out);
	expect_strs(what, &out, old);
	cJSON_Delete(old);
}

static void
test_linux_platforms(void **state)
{
	const cJSON *row;
	Arena a = {0};

	(void)state;
	cJSON_ArrayForEach(row, vectors_section(vectors, "linux_platforms")) {
		const char *what = vectors_str(cJSON_GetObjectItem(row, "description"));
		const char *glibc = vectors_str(cJSON_GetObjectItem(row, "glibc"));
		const char *plat = vectors_str(cJSON_GetObjectItem(row, "sysconfig_platform"));
		const cJSON *module = cJSON_GetObjectItem(row, "manylinux_module");
		TagsPlatform p = { 0 };
		unsigned major, minor;

		assert_int_equal(sscanf(glibc, "%u.%u", &major, &minor), 2);
		assert_int_equal(strncmp(plat, "linux_", 6), 0);
		p.os = TAGS_OS_LINUX;
		p.arch = plat + 6;
		p.is_32bit = cJSON_IsTrue(cJSON_GetObjectItem(row, "is_32bit"));
		p.elf_abi_ok = true;
		p.libc = TAGS_LIBC_GLIBC;
		p.libc_major = major;
		p.libc_minor = minor;
		/* "assume_all_compatible" is the default without a hook. */
		if (module) {
			const char *m = vectors_str(module);

			if (strstr(m, "manylinux_compatible(2, minor<25"))
				p.manylinux_hook = hook_below_25;
			else if (strcmp(m, "manylinux2014_compatible = False") == 0)
				p.manylinux_hook = hook_no_2014;
			else
				fail_msg("%s: no hook for module '%s'", what, m);
		}
		check_linux(what, &p, cJSON_GetObjectItem(row, "expected"), &a);
		rows_checked++;
	}
	cJSON_ArrayForEach(row, vectors_section(vectors, "musllinux_platforms")) {
		const cJSON *ver = cJSON_GetObjectItem(row, "musl_version");
		TagsPlatform p = { 0 };

		p.os = TAGS_OS_LINUX;
		p.arch = vectors_str(cJSON_GetObjectItem(row, "native_arch"));
		p.is_32bit = cJSON_IsTrue(cJSON_GetObjectItem(row, "is_32bit"));
		p.libc = TAGS_LIBC_MUSL;
		p.libc_major = (unsigned)cJSON_GetArrayItem(ver, 0)->valueint;
		p.libc_minor = (unsigned)cJSON_GetArrayItem(ver, 1)->valueint;
		check_linux(p.arch, &p, cJSON_GetObjectItem(row, "expected"), &a);
		rows_checked++;
	}
	arena_free(&a);
}

/* ---------------------------------------------------------------- beyond the vectors */

/* packaging's _cpython_abis for the builds bunpy meets. */
static void
test_cpython_abis(void **state)
{
	static const struct {
		TagsPyVersion v;
		bool debug, ft;
		const char *want[3];
	} cases[] = {
		{ { 3, 11, true }, false, false, { "cp311" } },
		{ { 3, 11, true }, true, false, { "cp311d", "cp311" } },
		{ { 3, 13, true }, false, true, { "cp313t" } },
		{ { 3, 13, true }, true, true, { "cp313td", "cp313t" } },
		/* No free-threaded builds before 3.13. */
		{ { 3, 12, true }, false, true, { "cp312" } },
		{ { 3, 7, true }, false, false, { "cp37m" } },
		{ { 3, 7, true }, true, false, { "cp37dm" } },
		{ { 2, 7, true }, false, false, { "cp27mu" } },
	};
	size_t i, k;
	Arena a = {0};

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		TagStrs out;

		tags_strs_init(&out, &a);
		tags_cpython_abis(cases[i].v, cases[i].debug, cases[i].ft, &out);
		for (k = 0; k < 3 && cases[i].want[k]; k++) {
			assert_true(k < out.len);
			assert_string_equal(out.items[k], cases[i].want[k]);
		}
		assert_int_equal(out.len, k);
	}
	arena_free(&a);
}

/* sys_tags for other interpreters: generic_tags, then compatible_tags (pp3 for PyPy). */
static void
test_supported_other(void **state)
{
	static const char *const abis[] = { "pypy310_pp73" };
	static const char *const plats[] = { "win_amd64" };
	TagsInterpreter in = { TAGS_IMPL_PYPY, NULL, { 3, 10, true }, abis, 1 };
	TagsPlatform p = { 0 };
	TagList got, want;
	Arena a = {0};
	uint32_t i;

	(void)state;
	p.os = TAGS_OS_OTHER;
	p.arch = "win-amd64";
	tags_list_init(&got, &a);
	tags_supported(&in, &p, &got);
	tags_list_init(&want, &a);
	tags_generic(&want, "pp310", abis, 1, plats, 1);
	tags_compatible(&want, in.version, "pp3", plats, 1);
	assert_int_equal(got.len, want.len);
	for (i = 0; i < got.len; i++)
		assert_string_equal(tags_format(got.tags[i], &a), tags_format(want.tags[i], &a));
	assert_string_equal(tags_format(got.tags[0], &a), "pp310-pypy310_pp73-win_amd64");
	assert_true(tags_list_find(&got, "pp3", 3, "none", 4, "any", 3) >= 0);

	/* A macOS arm64 CPython: platform tags from mac_platforms. */
	in.impl = TAGS_IMPL_CPYTHON;
	in.version = (TagsPyVersion){ 3, 12, true };
	in.abis = (const char *const[]){ "cp312" };
	p.os = TAGS_OS_MACOS;
	p.arch = "arm64";
	p.os_major = 14;
	p.os_minor = 2;
	tags_list_init(&got, &a);
	tags_supported(&in, &p, &got);
	assert_string_equal(tags_format(got.tags[0], &a), "cp312-cp312-macosx_14_0_arm64");
	assert_true(tags_list_find(&got, "cp312", 5, "abi3", 4, "macosx_10_9_universal2", 22) > 0);
	assert_int_equal(tags_list_find(&got, "cp312", 5, "cp312", 5, "macosx_10_9_x86_64", 18),
			 TAGS_INCOMPATIBLE);
	arena_free(&a);
}

/* Duplicates keep their first place, and both ways of ranking agree. */
static void
test_list_index(void **state)
{
	TagList list;
	TagSet set;
	Arena a = {0};
	Err err;
	char buf[64];
	int i;

	(void)state;
	tags_list_init(&list, &a);
	for (i = 0; i < 1000; i++) {
		snprintf(buf, sizeof(buf), "py%d", i);
		tags_list_push(&list, arena_strdup(&a, buf), "none", "any");
	}
	tags_list_push(&list, "py5", "none", "any");
	tags_list_push(&list, "PY7", "None", "ANY");   /* lower-cased, as Tag() does */
	assert_int_equal(list.len, 1002);
	assert_string_equal(list.tags[1001].interpreter, "py7");
	assert_int_equal(tags_list_find(&list, "py5", 3, "none", 4, "any", 3), 5);
	assert_int_equal(tags_list_find(&list, "py7", 3, "none", 4, "any", 3), 7);
	assert_int_equal(tags_list_find(&list, "py1000", 6, "none", 4, "any", 3), TAGS_INCOMPATIBLE);
	/* A NUL inside the span is not the end of the string. */
	assert_int_equal(tags_list_find(&list, "py5\0x", 5, "none", 4, "any", 3), TAGS_INCOMPATIBLE);

	/* 2 values: looked up one by one. */
	assert_int_equal(tags_parse("py999.py500-none-any", 20, 0, 0, &a, &set, &err), 0);
	assert_int_equal(tags_list_rank(&list, &set), 500);
	/* More tags than the list: the list is walked instead; same answer. */
	{
		char *big = arena_alloc(&a, 20000);
		size_t n = 0;

		for (i = 999; i >= 400; i--)
			n += (size_t)snprintf(big + n, 20000 - n, "%spy%d", i == 999 ? "" : ".", i);
		n += (size_t)snprintf(big + n, 20000 - n, "-none.abi3-any.x");
		assert_int_equal(tags_parse(big, n, 0, 0, &a, &set, &err), 0);
		assert_true(tags_set_count(&set) > list.len);
		assert_int_equal(tags_list_rank(&list, &set), 400);
		big[n - 1] = 'y';   /* platform "y" instead of "x": still any */
		assert_int_equal(tags_parse(big, n, 0, 0, &a, &set, &err), 0);
		assert_int_equal(tags_list_rank(&list, &set), 400);
		memcpy(big + n - 5, "zzz.y", 5);   /* "any" gone: nothing matches */
		assert_int_equal(tags_parse(big, n, 0, 0, &a, &set, &err), 0);
		assert_int_equal(tags_list_rank(&list, &set), TAGS_INCOMPATIBLE);
	}
	/* A NUL byte in a tag is refused. */
	assert_int_equal(tags_parse("py3-none-a\0y", 12, 0, 0, &a, &set, &err), -1);
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_supported_new_order),
		cmocka_unit_test(test_supported_old_order),
		cmocka_unit_test(test_explicit),
		cmocka_unit_test(test_mac_helpers),
		cmocka_unit_test(test_version_nodot),
		cmocka_unit_test(test_parse_tag),
		cmocka_unit_test(test_selector),
		cmocka_unit_test(test_linux_platforms),
		cmocka_unit_test(test_cpython_abis),
		cmocka_unit_test(test_supported_other),
		cmocka_unit_test(test_list_index),
	};
	int rc;

	vectors = vectors_load("tags.json");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	printf("tags.json: %d rows checked (each supported tag counted once), 0 skipped\n",
	       rows_checked);
	cJSON_Delete(vectors);
	return rc;
}

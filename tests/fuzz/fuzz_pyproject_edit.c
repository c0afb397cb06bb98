/*
 * fuzz_pyproject_edit.c - libFuzzer target for the pyproject.toml editor
 * (packaging/pyproject_edit.c).
 *
 * Any bytes are a pyproject.toml; each of project.dependencies, the extra "cli" and the
 * group "dev" is edited in turn. An input that is refused must carry a message that
 * starts "pyproject.toml:LINE:COL: " with LINE inside the input (or, when the array had
 * to be created where bunpy cannot write it, say so). An accepted edit must parse
 * again and hold the new entry once; when the array existed, no byte outside its
 * brackets may change and removing the entry must give the input back; when it did
 * not, the result must be the input with one insertion. Removing the first entry of an
 * existing array also keeps every byte outside it. Any breach aborts.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/arena.h"
#include "engine/buf.h"
#include "engine/err.h"
#include "packaging/pyproject_edit.h"
#include "packaging/requirement.h"
#include "packaging/toml.h"
#include "fuzz.h"

#define NAME "pyproject.toml"
#define REQ "fuzz-pkg[x]>=1; python_version >= '3'"
#define REQ_NORM "fuzz-pkg"

static size_t
prefix_len(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0;

	while (i < an && i < bn && a[i] == b[i])
		i++;
	return i;
}

static size_t
suffix_len(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0;

	while (i < an && i < bn && a[an - 1 - i] == b[bn - 1 - i])
		i++;
	return i;
}

static void
check_parses(const Buf *b)
{
	Arena a = { 0 };
	TomlValue *root;
	Err err;

	CHECK(toml_parse(b->data, b->len, NAME, &a, &root, &err) == 0);
	arena_free(&a);
}

/* Outside [open, close] of the input, out has the input's bytes. */
static void
check_outside(const char *in, size_t n, const Buf *out, size_t open, size_t close)
{
	CHECK(prefix_len(in, n, out->data, out->len) >= open + 1);
	CHECK(suffix_len(in, n, out->data, out->len) >= n - close);
}

/* The first string entry's project, to remove it. */
static const char *
first_name(const char *in, size_t n, size_t open, size_t close, Arena *a)
{
	const char *p = memchr(in + open, '"', close - open);
	const char *q = p ? memchr(p + 1, '"', (size_t)(in + close - p - 1)) : NULL;
	Requirement r;

	if (!q || requirement_parse(p + 1, (size_t)(q - p - 1), a, &r, NULL) != 0)
		return NULL;
	(void)n;
	return r.normalized;
}

/* Whether the input's array already names the project that is added. */
static bool
had_entry(const char *in, size_t n, PyprojectArray which, const char *name)
{
	Buf none = { 0 };
	size_t removed = 0;
	Err err;

	if (pyproject_edit_remove(in, n, NAME, which, name, REQ_NORM, &none, &removed, &err) != 0)
		removed = 0;
	buf_free(&none);
	return removed > 0;
}

static void
one(const char *in, size_t n, PyprojectArray which, const char *name)
{
	Buf out = { 0 }, back = { 0 };
	size_t open = 0, close = 0, removed = 0;
	int exists;
	Err err;

	exists = pyproject_edit_locate(in, n, NAME, which, name, &open, &close, &err);
	if (pyproject_edit_add(in, n, NAME, which, name, REQ, &out, &err) != 0) {
		/* a refusal of an existing array is about the input, located */
		CHECK(exists != 1);
		if (exists < 0 || !strstr(err.msg, "could not edit"))
			fuzz_check_located(err.msg, NAME, in, n);
		goto remove;
	}
	CHECK(exists >= 0);
	check_parses(&out);
	if (exists) {
		CHECK(open < close && close < n && in[open] == '[' && in[close] == ']');
		check_outside(in, n, &out, open, close);
		CHECK(pyproject_edit_remove(out.data, out.len, NAME, which, name, REQ_NORM, &back, &removed,
					    &err) == 0);
		/* add then remove gives the input back only when the input had no entry of
		 * that name (add replaces one) */
		if (removed == 1 && !had_entry(in, n, which, name))
			CHECK(back.len == n && !memcmp(back.data, in, n));
	} else {
		CHECK(prefix_len(in, n, out.data, out.len) + suffix_len(in, n, out.data, out.len) >= n);
	}
remove:
	if (exists == 1) {
		Arena a = { 0 };
		const char *victim = first_name(in, n, open, close, &a);

		buf_clear(&back);
		if (victim) {
			CHECK(pyproject_edit_remove(in, n, NAME, which, name, victim, &back, &removed, &err) == 0);
			check_parses(&back);
			check_outside(in, n, &back, open, close);
		}
		arena_free(&a);
	}
	buf_free(&out);
	buf_free(&back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;

	if (size > 1 << 16)
		return 0;
	one(in, size, PYPROJECT_ARRAY_DEPENDENCIES, NULL);
	one(in, size, PYPROJECT_ARRAY_OPTIONAL, "cli");
	one(in, size, PYPROJECT_ARRAY_GROUP, "dev");
	return 0;
}

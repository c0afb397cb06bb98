/*
 * test_pylock.c - unit tests of pylock.toml reading and writing (packaging/pylock.c).
 *
 * There are no upstream vectors for pylock.toml in tests/packaging/vectors; the cases
 * come from the specification (packaging-specs.md section 9): its example must read,
 * and must write out exactly as the layout documented in pylock.h says (the expected
 * text below was written by hand from that description, not captured from the
 * writer). Round trips are checked three ways: write -> read -> write gives the same
 * bytes; the model read back equals the model written; and the text re-parsed with the
 * plain TOML parser holds the values (datetimes in UTC, escaped strings, tool tables).
 * Rejections assert the exact "FILE:LINE:COL: KEY:" prefix.
 *
 * With PYLOCK_DUMP_DIR set, every document a round trip wrote is also saved there as
 * NAME.toml, next to NAME.json: what packaging/toml.c reads from it, as tagged JSON
 * (tests/packaging/pylock_tomllib.sh compares that with what Python's tomllib reads).
 * Some of these documents exist for that comparison: hostile strings and keys,
 * floats, date-times.
 *
 * The TOML writer (packaging/toml_write.c) and the file names taken from URLs are
 * tested here too.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/arena.h"
#include "engine/buf.h"
#include "engine/err.h"
#include "packaging/marker.h"
#include "packaging/pylock.h"
#include "packaging/toml.h"
#include "packaging/toml_write.h"

#define FILE_NAME "pylock.toml"
#define SHA_A "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define SHA_B "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

static int error_cases, roundtrips;

/* ------------------------------------------------------------------ helpers */

/*
 * v as tagged JSON: tables as objects, arrays as arrays, every scalar as
 * {"type": ..., "value": ...}: integers as decimal text, floats in C's exact hexadecimal
 * form (%a), date-times as [year, month, day, hour, minute, second, nanosecond,
 * offset minutes] with the parts a type lacks 0.
 */
static void
json_value(Buf *b, const TomlValue *v)
{
	static const char *const dt_types[] = { "datetime", "datetime-local", "date-local",
						"time-local" };
	const TomlDatetime *d = &v->u.dt;
	size_t i;

	switch (v->type) {
	case TOML_TABLE:
		buf_putc(b, '{');
		for (i = 0; i < v->u.table.len; i++) {
			if (i)
				buf_putc(b, ',');
			buf_json_string(b, v->u.table.entries[i].key, v->u.table.entries[i].key_len);
			buf_putc(b, ':');
			json_value(b, v->u.table.entries[i].value);
		}
		buf_putc(b, '}');
		return;
	case TOML_ARRAY:
		buf_putc(b, '[');
		for (i = 0; i < v->u.arr.len; i++) {
			if (i)
				buf_putc(b, ',');
			json_value(b, v->u.arr.items[i]);
		}
		buf_putc(b, ']');
		return;
	case TOML_STRING:
		buf_puts(b, "{\"type\":\"string\",\"value\":");
		buf_json_string(b, v->u.str.ptr, v->u.str.len);
		buf_putc(b, '}');
		return;
	case TOML_INTEGER:
		buf_printf(b, "{\"type\":\"integer\",\"value\":\"%" PRId64 "\"}", v->u.integer);
		return;
	case TOML_FLOAT:
		buf_printf(b, "{\"type\":\"float\",\"value\":\"%a\"}", v->u.flt);
		return;
	case TOML_BOOL:
		buf_printf(b, "{\"type\":\"bool\",\"value\":%s}", v->u.boolean ? "true" : "false");
		return;
	default:
		buf_printf(b, "{\"type\":\"%s\",\"value\":[%d,%d,%d,%d,%d,%d,%d,%d]}",
			   dt_types[v->type - TOML_DATETIME], d->year, d->month, d->day, d->hour,
			   d->minute, d->second, d->nanosecond, d->offset_minutes);
		return;
	}
}

static void
save(const char *dir, const char *name, const char *ext, const char *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s%s", dir, name, ext);
	if (!(f = fopen(path, "wb")) || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		print_error("cannot write %s\n", path);
		fail();
	}
}

/* With PYLOCK_DUMP_DIR set: the written text as NAME.toml and what toml.c reads from
 * it as NAME.json. */
static void
dump(const char *name, const Buf *b)
{
	const char *dir = getenv("PYLOCK_DUMP_DIR");
	Arena a = { 0 };
	TomlValue *root;
	Buf j = { 0 };
	Err err;

	if (!dir || !*dir)
		return;
	assert_int_equal(toml_parse(b->data, b->len, name, &a, &root, &err), 0);
	json_value(&j, root);
	buf_putc(&j, '\n');
	save(dir, name, "", b->data, b->len);
	save(dir, name, ".json", j.data, j.len);
	buf_free(&j);
	arena_free(&a);
}

static void
must_read(const char *text, size_t len, Arena *a, Pylock *lock)
{
	Err err;

	if (pylock_read(text, len, FILE_NAME, a, lock, &err) != 0) {
		print_error("input:\n%.*s\nunexpected error: %s\n", (int)len, text, err.msg);
		fail();
	}
}

static void
must_write(const Pylock *lock, Buf *out)
{
	Err err;

	if (pylock_write(lock, out, &err) != 0) {
		print_error("write failed: %s\n", err.msg);
		fail();
	}
}

static void
expect_msg(const char *what, int rc, const char *msg, const char *prefix, const char *phrase)
{
	if (rc != -1 || strncmp(msg, prefix, strlen(prefix)) != 0 || !strstr(msg, phrase)) {
		print_error("%s\nwanted: %s...%s...\n   got: rc %d, %s\n", what, prefix, phrase, rc,
			    rc ? msg : "(accepted)");
		fail();
	}
	error_cases++;
}

static void
expect_error(const char *text, const char *prefix, const char *phrase)
{
	Arena a = { 0 };
	Pylock lock;
	Err err;
	int rc = pylock_read(text, strlen(text), FILE_NAME, &a, &lock, &err);

	expect_msg(text, rc, err.msg, prefix, phrase);
	arena_free(&a);
}

/* TOML trees equal as data: tables compared by key, whatever their order. */
static bool
tree_equal(const TomlValue *a, const TomlValue *b)
{
	size_t i;

	if (a->type != b->type)
		return false;
	switch (a->type) {
	case TOML_TABLE:
		if (a->u.table.len != b->u.table.len)
			return false;
		for (i = 0; i < a->u.table.len; i++) {
			const TomlEntry *e = &a->u.table.entries[i];
			const TomlValue *o = toml_getn(b, e->key, e->key_len);

			if (!o || !tree_equal(e->value, o))
				return false;
		}
		return true;
	case TOML_ARRAY:
		if (a->u.arr.len != b->u.arr.len)
			return false;
		for (i = 0; i < a->u.arr.len; i++)
			if (!tree_equal(a->u.arr.items[i], b->u.arr.items[i]))
				return false;
		return true;
	case TOML_STRING:
		return a->u.str.len == b->u.str.len && !memcmp(a->u.str.ptr, b->u.str.ptr, a->u.str.len);
	case TOML_INTEGER:
		return a->u.integer == b->u.integer;
	case TOML_FLOAT:
		if (isnan(a->u.flt) || isnan(b->u.flt))
			return isnan(a->u.flt) && isnan(b->u.flt);
		return !memcmp(&a->u.flt, &b->u.flt, sizeof(double));
	case TOML_BOOL:
		return a->u.boolean == b->u.boolean;
	default:
		return !memcmp(&a->u.dt, &b->u.dt, sizeof(a->u.dt));
	}
}

static bool
str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool
file_equal(const PylockFile *a, const PylockFile *b)
{
	size_t i;

	if (!str_eq(a->name, b->name) || !str_eq(a->url, b->url) || !str_eq(a->path, b->path) ||
	    !str_eq(a->subdirectory, b->subdirectory) || a->has_size != b->has_size ||
	    (a->has_size && a->size != b->size) || a->has_upload_time != b->has_upload_time ||
	    (a->has_upload_time &&
	     memcmp(&a->upload_time, &b->upload_time, sizeof(a->upload_time))) ||
	    a->hashes_len != b->hashes_len)
		return false;
	for (i = 0; i < a->hashes_len; i++)
		if (!str_eq(pylock_file_hash(b, a->hashes[i].alg), a->hashes[i].value))
			return false;
	return true;
}

static bool
marker_eq(const Marker *a, const Marker *b, Arena *ar)
{
	return (!a && !b) || (a && b && !strcmp(marker_format(a, ar), marker_format(b, ar)));
}

static bool
names_eq(const char *const *a, size_t an, const char *const *b, size_t bn)
{
	size_t i, j;

	if (an != bn)
		return false;
	for (i = 0; i < an; i++) {
		for (j = 0; j < bn && strcmp(a[i], b[j]); j++)
			;
		if (j == bn)
			return false;
	}
	return true;
}

/* Same content; packages compared in order (the documents given are in written order);
 * wheels matched by file name, hashes by algorithm. */
static bool
lock_equal(const Pylock *a, const Pylock *b)
{
	Arena ar = { 0 };
	size_t i, j, k;
	bool ok = false;

	if (!str_eq(a->created_by, b->created_by) ||
	    a->has_requires_python != b->has_requires_python ||
	    (a->has_requires_python &&
	     strcmp(specset_format(&a->requires_python, &ar), specset_format(&b->requires_python, &ar))) ||
	    a->has_environments != b->has_environments || a->environments_len != b->environments_len ||
	    !names_eq(a->extras, a->extras_len, b->extras, b->extras_len) ||
	    !names_eq(a->dependency_groups, a->dependency_groups_len, b->dependency_groups,
		      b->dependency_groups_len) ||
	    !names_eq(a->default_groups, a->default_groups_len, b->default_groups,
		      b->default_groups_len) ||
	    a->packages_len != b->packages_len || (!a->tool) != (!b->tool) ||
	    (a->tool && !tree_equal(a->tool, b->tool)))
		goto out;
	for (i = 0; i < a->environments_len; i++) {
		for (j = 0; j < b->environments_len; j++)
			if (marker_eq(a->environments[i], b->environments[j], &ar))
				break;
		if (j == b->environments_len)
			goto out;
	}
	for (i = 0; i < a->packages_len; i++) {
		const PylockPackage *p = &a->packages[i], *q = &b->packages[i];

		if (strcmp(p->name, q->name) || p->has_version != q->has_version ||
		    (p->has_version && strcmp(p->version.str, q->version.str)) ||
		    !marker_eq(p->marker, q->marker, &ar) ||
		    p->has_requires_python != q->has_requires_python ||
		    (p->has_requires_python && strcmp(specset_format(&p->requires_python, &ar),
						      specset_format(&q->requires_python, &ar))) ||
		    !str_eq(p->index, q->index) || p->source != q->source ||
		    p->dependencies_len != q->dependencies_len || p->wheels_len != q->wheels_len ||
		    (!p->sdist) != (!q->sdist) || (p->sdist && !file_equal(p->sdist, q->sdist)) ||
		    p->attestation_identities_len != q->attestation_identities_len ||
		    (!p->tool) != (!q->tool) || (p->tool && !tree_equal(p->tool, q->tool)))
			goto out;
		switch (p->source) {
		case PYLOCK_SOURCE_VCS:
			if (!str_eq(p->vcs.type, q->vcs.type) || !str_eq(p->vcs.url, q->vcs.url) ||
			    !str_eq(p->vcs.path, q->vcs.path) || !str_eq(p->vcs.commit_id, q->vcs.commit_id) ||
			    !str_eq(p->vcs.requested_revision, q->vcs.requested_revision) ||
			    !str_eq(p->vcs.subdirectory, q->vcs.subdirectory))
				goto out;
			break;
		case PYLOCK_SOURCE_DIRECTORY:
			if (!str_eq(p->directory.path, q->directory.path) ||
			    p->directory.editable != q->directory.editable ||
			    !str_eq(p->directory.subdirectory, q->directory.subdirectory))
				goto out;
			break;
		case PYLOCK_SOURCE_ARCHIVE:
			if (!file_equal(&p->archive, &q->archive))
				goto out;
			break;
		case PYLOCK_SOURCE_DISTS:
			break;
		}
		for (j = 0; j < p->wheels_len; j++) {
			const char *n = pylock_file_name(&p->wheels[j], &ar);

			for (k = 0; k < q->wheels_len; k++)
				if (!strcmp(n, pylock_file_name(&q->wheels[k], &ar)))
					break;
			if (k == q->wheels_len || !file_equal(&p->wheels[j], &q->wheels[k]))
				goto out;
		}
		for (j = 0; j < p->dependencies_len; j++) {
			const PylockDep *d = &p->dependencies[j];

			for (k = 0; k < q->dependencies_len; k++) {
				const PylockDep *e = &q->dependencies[k];

				if (str_eq(d->name, e->name) && str_eq(d->version, e->version) &&
				    (!d->rest) == (!e->rest) && (!d->rest || tree_equal(d->rest, e->rest)))
					break;
			}
			if (k == q->dependencies_len)
				goto out;
		}
		for (j = 0; j < p->attestation_identities_len; j++) {
			for (k = 0; k < q->attestation_identities_len; k++)
				if (tree_equal(p->attestation_identities[j], q->attestation_identities[k]))
					break;
			if (k == q->attestation_identities_len)
				goto out;
		}
	}
	ok = true;
out:
	arena_free(&ar);
	return ok;
}

/*
 * text reads; written, read back and written again it gives the same bytes and the
 * same content. The first writing is returned in first (when not NULL).
 */
static void
roundtrip(const char *name, const char *text, Buf *first)
{
	Arena a = { 0 }, b = { 0 };
	Pylock l1, l2;
	Buf w1 = { 0 }, w2 = { 0 };
	TomlValue *root;
	Err err;

	must_read(text, strlen(text), &a, &l1);
	must_write(&l1, &w1);
	assert_true(w1.len > 0 && w1.data[w1.len - 1] == '\n');
	/* the plain TOML parser reads what was written */
	if (toml_parse(w1.data, w1.len, "written.toml", &b, &root, &err) != 0) {
		print_error("%s: written text is not TOML: %s\n%s\n", name, err.msg, w1.data);
		fail();
	}
	must_read(w1.data, w1.len, &b, &l2);
	if (!lock_equal(&l1, &l2)) {
		print_error("%s: content changed by a round trip:\n%s\n", name, w1.data);
		fail();
	}
	must_write(&l2, &w2);
	if (w1.len != w2.len || memcmp(w1.data, w2.data, w1.len)) {
		print_error("%s: not byte-identical:\n--- first\n%s\n--- second\n%s\n", name, w1.data,
			    w2.data);
		fail();
	}
	dump(name, &w1);
	roundtrips++;
	if (first)
		buf_append(first, w1.data, w1.len);
	buf_free(&w1);
	buf_free(&w2);
	arena_free(&a);
	arena_free(&b);
}

/* ------------------------------------------------------------------ the spec example */

/* packaging-specs.md section 9, as given there. */
static const char spec_example[] =
	"lock-version = \"1.0\"\n"
	"created-by = \"ourtool\"\n"
	"requires-python = \">=3.11\"\n"
	"environments = [\"sys_platform == 'linux'\"]\n"
	"extras = []\n"
	"dependency-groups = [\"test\"]\n"
	"default-groups = []\n"
	"\n"
	"[[packages]]\n"
	"name = \"charset-normalizer\"\n"
	"version = \"3.4.0\"\n"
	"requires-python = \">=3.7\"\n"
	"index = \"https://pypi.org/simple/\"\n"
	"wheels = [\n"
	"  { name = \"charset_normalizer-3.4.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl\", url = \"https://files.example/cn-3.4.0-cp311.whl\", size = 142000, upload-time = 2024-10-09T07:38:00Z, hashes = { sha256 = \"" SHA_A "\" } },\n"
	"  { name = \"charset_normalizer-3.4.0-py3-none-any.whl\", url = \"https://files.example/cn-3.4.0-py3.whl\", size = 49000, hashes = { sha256 = \"" SHA_A "\" } },\n"
	"]\n"
	"\n"
	"[[packages]]\n"
	"name = \"iniconfig\"\n"
	"version = \"2.0.0\"\n"
	"marker = \"'test' in dependency_groups\"\n"
	"[packages.sdist]\n"
	"url = \"https://files.example/iniconfig-2.0.0.tar.gz\"\n"
	"hashes = { sha256 = \"" SHA_A "\" }\n"
	"\n"
	"[[packages]]\n"
	"name = \"myapp\"                       # the project itself: a source tree, so no version\n"
	"directory = { path = \".\", editable = true }\n"
	"dependencies = [{ name = \"charset-normalizer\" }]\n";

/* Written by hand from the layout pylock.h documents. */
static const char spec_example_written[] =
	"lock-version = \"1.0\"\n"
	"environments = ['sys_platform == \"linux\"']\n"
	"requires-python = \">=3.11\"\n"
	"extras = []\n"
	"dependency-groups = [\"test\"]\n"
	"default-groups = []\n"
	"created-by = \"ourtool\"\n"
	"\n"
	"[[packages]]\n"
	"name = \"charset-normalizer\"\n"
	"version = \"3.4.0\"\n"
	"requires-python = \">=3.7\"\n"
	"index = \"https://pypi.org/simple/\"\n"
	"wheels = [\n"
	"    { name = \"charset_normalizer-3.4.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl\", upload-time = 2024-10-09T07:38:00Z, url = \"https://files.example/cn-3.4.0-cp311.whl\", size = 142000, hashes = { sha256 = \"" SHA_A "\" } },\n"
	"    { name = \"charset_normalizer-3.4.0-py3-none-any.whl\", url = \"https://files.example/cn-3.4.0-py3.whl\", size = 49000, hashes = { sha256 = \"" SHA_A "\" } },\n"
	"]\n"
	"\n"
	"[[packages]]\n"
	"name = \"iniconfig\"\n"
	"version = \"2.0.0\"\n"
	"marker = '\"test\" in dependency_groups'\n"
	"sdist = { url = \"https://files.example/iniconfig-2.0.0.tar.gz\", hashes = { sha256 = \"" SHA_A "\" } }\n"
	"\n"
	"[[packages]]\n"
	"name = \"myapp\"\n"
	"dependencies = [\n"
	"    { name = \"charset-normalizer\" },\n"
	"]\n"
	"directory = { path = \".\", editable = true }\n";

static void
test_spec_example(void **state)
{
	Arena a = { 0 };
	Pylock l;
	const PylockPackage *p;
	Buf w = { 0 };

	(void)state;
	must_read(spec_example, strlen(spec_example), &a, &l);
	assert_string_equal(l.lock_version, "1.0");
	assert_false(l.newer_minor);
	assert_int_equal(l.warnings_len, 0);
	assert_string_equal(l.created_by, "ourtool");
	assert_true(l.has_requires_python);
	assert_true(l.has_environments);
	assert_int_equal(l.environments_len, 1);
	assert_int_equal(l.extras_len, 0);
	assert_int_equal(l.dependency_groups_len, 1);
	assert_string_equal(l.dependency_groups[0], "test");
	assert_int_equal(l.default_groups_len, 0);
	assert_int_equal(l.packages_len, 3);
	assert_null(l.tool);

	p = &l.packages[0];
	assert_string_equal(p->name, "charset-normalizer");
	assert_true(p->has_version);
	assert_string_equal(p->version.str, "3.4.0");
	assert_true(p->has_requires_python);
	assert_string_equal(p->index, "https://pypi.org/simple/");
	assert_int_equal(p->source, PYLOCK_SOURCE_DISTS);
	assert_null(p->sdist);
	assert_int_equal(p->wheels_len, 2);
	assert_true(p->wheels[0].has_size);
	assert_int_equal(p->wheels[0].size, 142000);
	assert_true(p->wheels[0].has_upload_time);
	assert_int_equal(p->wheels[0].upload_time.year, 2024);
	assert_int_equal(p->wheels[0].upload_time.month, 10);
	assert_int_equal(p->wheels[0].upload_time.day, 9);
	assert_int_equal(p->wheels[0].upload_time.hour, 7);
	assert_int_equal(p->wheels[0].upload_time.minute, 38);
	assert_false(p->wheels[1].has_upload_time);
	assert_string_equal(pylock_file_hash(&p->wheels[1], "sha256"), SHA_A);
	assert_null(pylock_file_hash(&p->wheels[1], "md5"));
	assert_string_equal(pylock_file_name(&p->wheels[1], &a),
			    "charset_normalizer-3.4.0-py3-none-any.whl");
	assert_int_equal(p->line, 9);

	p = &l.packages[1];
	assert_string_equal(p->name, "iniconfig");
	assert_non_null(p->marker);
	assert_non_null(p->sdist);
	assert_int_equal(p->wheels_len, 0);
	assert_string_equal(p->sdist->url, "https://files.example/iniconfig-2.0.0.tar.gz");
	assert_string_equal(pylock_file_name(p->sdist, &a), "iniconfig-2.0.0.tar.gz");

	p = &l.packages[2];
	assert_string_equal(p->name, "myapp");
	assert_false(p->has_version);
	assert_int_equal(p->source, PYLOCK_SOURCE_DIRECTORY);
	assert_string_equal(p->directory.path, ".");
	assert_true(p->directory.editable);
	assert_int_equal(p->dependencies_len, 1);
	assert_string_equal(p->dependencies[0].name, "charset-normalizer");
	assert_null(p->dependencies[0].version);
	assert_null(p->dependencies[0].rest);

	roundtrip("spec-example.toml", spec_example, &w);
	if (strcmp(w.data, spec_example_written) != 0) {
		print_error("written:\n%s\nexpected:\n%s\n", w.data, spec_example_written);
		fail();
	}
	buf_free(&w);
	arena_free(&a);
}

/* Everything else the format has: vcs, archive, attestations, dependencies with more
 * keys, tool tables of every TOML type, offsets converted to UTC, a newer minor. */
static const char kitchen_sink[] =
	"lock-version = \"1.0\"\n"
	"created-by = \"bunpy 0.1 \\\"dev\\\" \\\\ tab\\there, \\u00e9\\u0001\"\n"
	"extras = [\"cli\", \"all\"]\n"
	"dependency-groups = [\"Dev_Tools\", \"docs\"]\n"
	"default-groups = [\"default\"]\n"
	"\n"
	"[[packages]]\n"
	"name = \"attrs\"\n"
	"version = \"25.1.0\"\n"
	"marker = \"python_version >= '3.8' and ('cli' in extras or 'docs' in dependency_groups)\"\n"
	"dependencies = [{ name = \"a\", version = \"1\" }, { name = \"b\", vcs = { url = \"https://x\" } }]\n"
	"index = \"https://pypi.org/simple\"\n"
	"[[packages.wheels]]\n"
	"url = \"https://files.example/p/attrs-25.1.0-py3-none-any.whl?x=1#frag\"\n"
	"upload-time = 2025-01-25T11:30:10.164985+00:00\n"
	"size = 63152\n"
	"hashes = { sha256 = \"" SHA_B "\", md5 = \"D41D8CD98F00B204E9800998ECF8427E\" }\n"
	"[[packages.wheels]]\n"
	"name = \"attrs-25.1.0-py2-none-any.whl\"\n"
	"path = \"wheels/other.whl\"\n"
	"upload-time = 2024-01-01T01:30:00.5+02:00\n"
	"hashes = { sha256 = \"" SHA_A "\" }\n"
	"[[packages.attestation-identities]]\n"
	"kind = \"GitHub\"\n"
	"repository = \"python-attrs/attrs\"\n"
	"[[packages.attestation-identities]]\n"
	"kind = \"GitLab\"\n"
	"[packages.tool.bunpy]\n"
	"why = [\"direct\"]\n"
	"\n"
	"[[packages]]\n"
	"name = \"from-git\"\n"
	"vcs = { type = \"git\", url = \"https://example.org/r.git\", requested-revision = \"main\", commit-id = \"0123abc\", subdirectory = \"sub\" }\n"
	"\n"
	"[[packages]]\n"
	"name = \"tarball\"\n"
	"version = \"1.0\"\n"
	"requires-python = \">=3.8,!=3.9.*\"\n"
	"archive = { path = \"vendor/tarball.tgz\", size = 0, upload-time = 1999-12-31T23:00:00-05:00, hashes = { sha256 = \"" SHA_A "\" }, subdirectory = \"pkg\" }\n"
	"\n"
	"[tool.x]\n"
	"\"a b\" = 1\n"
	"\"\" = \"empty key\"\n"
	"f = [0.1, -0.0, 1e300, inf, -inf, nan, 5.0, 1.5e-7]\n"
	"t = 1979-05-27T07:32:00.999999-07:00\n"
	"l = 1979-05-27T07:32:00\n"
	"d = 1979-05-27\n"
	"tm = 07:32:00.5\n"
	"arr = [{ k = 1 }, { k = [1, 2] }, []]\n"
	"nested.deep.deeper = true\n"
	"s = 'C:\\path\\to'\n"
	"q = \"it's \\\"quoted\\\"\"\n"
	"u = \"\\u0000nul and \\u007f\"\n"
	"[tool.x.sub]\n"
	"i = -9223372036854775808\n"
	"[[tool.y]]\n"
	"z = 1\n"
	"[tool.empty]\n";

static void
test_kitchen_sink(void **state)
{
	Arena a = { 0 }, b = { 0 };
	Pylock l;
	const PylockPackage *p;
	Buf w = { 0 };
	TomlValue *root;
	const TomlValue *v;
	Err err;

	(void)state;
	must_read(kitchen_sink, strlen(kitchen_sink), &a, &l);
	assert_string_equal(l.created_by, "bunpy 0.1 \"dev\" \\ tab\there, \xc3\xa9\x01");
	assert_false(l.has_environments);
	assert_string_equal(l.dependency_groups[0], "dev-tools");
	p = &l.packages[0];
	assert_int_equal(p->wheels_len, 2);
	assert_string_equal(pylock_file_name(&p->wheels[0], &a), "attrs-25.1.0-py3-none-any.whl");
	assert_string_equal(pylock_file_hash(&p->wheels[0], "md5"), "d41d8cd98f00b204e9800998ecf8427e");
	assert_int_equal(p->wheels[0].upload_time.nanosecond, 164985000);
	/* 01:30 at +02:00 is 23:30 the day (and year) before in UTC */
	assert_int_equal(p->wheels[1].upload_time.year, 2023);
	assert_int_equal(p->wheels[1].upload_time.month, 12);
	assert_int_equal(p->wheels[1].upload_time.day, 31);
	assert_int_equal(p->wheels[1].upload_time.hour, 23);
	assert_int_equal(p->wheels[1].upload_time.minute, 30);
	assert_int_equal(p->wheels[1].upload_time.offset_minutes, 0);
	assert_string_equal(pylock_file_name(&p->wheels[1], &a), "attrs-25.1.0-py2-none-any.whl");
	assert_int_equal(p->dependencies_len, 2);
	assert_string_equal(p->dependencies[0].version, "1");
	assert_null(p->dependencies[0].rest);
	assert_non_null(p->dependencies[1].rest);
	assert_non_null(toml_get(p->dependencies[1].rest, "vcs"));
	assert_int_equal(p->attestation_identities_len, 2);
	assert_non_null(p->tool);
	p = &l.packages[1];
	assert_int_equal(p->source, PYLOCK_SOURCE_VCS);
	assert_string_equal(p->vcs.commit_id, "0123abc");
	assert_string_equal(p->vcs.requested_revision, "main");
	p = &l.packages[2];
	assert_int_equal(p->source, PYLOCK_SOURCE_ARCHIVE);
	assert_string_equal(p->archive.subdirectory, "pkg");
	assert_true(p->archive.has_size);
	assert_int_equal(p->archive.size, 0);
	assert_int_equal(p->archive.upload_time.year, 2000);
	assert_int_equal(p->archive.upload_time.hour, 4);

	roundtrip("kitchen-sink.toml", kitchen_sink, &w);

	/* the written text, parsed as plain TOML, holds the values */
	assert_int_equal(toml_parse(w.data, w.len, "w.toml", &b, &root, &err), 0);
	v = toml_get_path(root, "created-by");
	assert_non_null(v);
	assert_int_equal(v->u.str.len, strlen(l.created_by));
	assert_memory_equal(v->u.str.ptr, l.created_by, v->u.str.len);
	v = toml_get(root, "packages");
	assert_int_equal(v->type, TOML_ARRAY);
	v = toml_get(v->u.arr.items[0], "wheels");
	assert_int_equal(v->u.arr.len, 2);
	/* sorted by file name: py2 before py3 */
	assert_string_equal(toml_get(v->u.arr.items[0], "name")->u.str.ptr,
			    "attrs-25.1.0-py2-none-any.whl");
	v = toml_get(v->u.arr.items[0], "upload-time");
	assert_int_equal(v->type, TOML_DATETIME);
	assert_int_equal(v->u.dt.offset_minutes, 0);
	assert_int_equal(v->u.dt.year, 2023);
	assert_int_equal(v->u.dt.nanosecond, 500000000);
	assert_true(tree_equal(toml_get(root, "tool"), l.tool));
	/* datetimes are written in UTC with Z, fractions trimmed */
	assert_non_null(strstr(w.data, "upload-time = 2023-12-31T23:30:00.5Z"));
	assert_non_null(strstr(w.data, "upload-time = 2025-01-25T11:30:10.164985Z"));
	assert_non_null(strstr(w.data, "upload-time = 2000-01-01T04:00:00Z"));
	/* tool data keeps its own offsets */
	assert_non_null(strstr(w.data, "t = 1979-05-27T07:32:00.999999-07:00\n"));
	/* hashes sorted by algorithm, lower-case */
	assert_non_null(strstr(w.data, "hashes = { md5 = \"d41d8cd98f00b204e9800998ecf8427e\","
			       " sha256 = \"" SHA_B "\" }"));
	assert_non_null(strstr(w.data, "\n[packages.tool]\n\n[packages.tool.bunpy]\n"));
	assert_non_null(strstr(w.data, "s = 'C:\\path\\to'\n"));
	buf_free(&w);
	arena_free(&a);
	arena_free(&b);
}

/* ------------------------------------------------------------------ building locks */

static PylockHash *
hashes2(Arena *a, const char *alg1, const char *v1, const char *alg2, const char *v2)
{
	PylockHash *h = arena_zalloc(a, 2 * sizeof(*h));

	h[0].alg = alg1;
	h[0].value = v1;
	h[1].alg = alg2;
	h[1].value = v2;
	return h;
}

static void
set_version(Arena *a, PylockPackage *p, const char *v)
{
	assert_int_equal(version_parse(v, strlen(v), a, &p->version, NULL), 0);
	p->has_version = true;
}

/* A lock of three packages, the input order chosen by order (a permutation of 0..2),
 * wheels and hashes reversed when flip is set. */
static void
build_lock(Arena *a, Pylock *l, const int order[3], bool flip)
{
	PylockPackage *pk = arena_zalloc(a, 3 * sizeof(*pk)), tmp[3];
	PylockFile *wh = arena_zalloc(a, 2 * sizeof(*wh));
	static const char *const extras_fwd[] = { "b", "a" }, *const extras_rev[] = { "a", "b" };
	Marker **env = arena_zalloc(a, 2 * sizeof(*env));
	int i;

	memset(l, 0, sizeof(*l));
	l->created_by = "bunpy";
	l->extras = flip ? extras_rev : extras_fwd;
	l->extras_len = 2;
	assert_int_equal(marker_parse("os_name == 'nt'", 15, a, &env[flip ? 0 : 1], NULL), 0);
	assert_int_equal(marker_parse("os_name == 'posix'", 18, a, &env[flip ? 1 : 0], NULL), 0);
	l->has_environments = true;
	l->environments = env;
	l->environments_len = 2;

	memset(tmp, 0, sizeof(tmp));
	tmp[0].name = "beta";
	tmp[1].name = "alpha";
	tmp[2].name = "alpha";
	set_version(a, &tmp[0], "1.0");
	set_version(a, &tmp[1], "10.0");
	set_version(a, &tmp[2], "2.0");
	for (i = 0; i < 3; i++) {
		tmp[i].source = PYLOCK_SOURCE_DISTS;
		tmp[i].sdist = arena_zalloc(a, sizeof(PylockFile));
		tmp[i].sdist->url = arena_printf(a, "https://f.example/%s-%s.tar.gz", tmp[i].name,
						 tmp[i].version.str);
		tmp[i].sdist->hashes = hashes2(a, "sha256", SHA_A, "blake2b", "00ff");
		tmp[i].sdist->hashes_len = 2;
	}
	wh[flip ? 1 : 0].url = "https://f.example/beta-1.0-py3-none-any.whl";
	wh[flip ? 0 : 1].url = "https://f.example/beta-1.0-cp311-cp311-linux_x86_64.whl";
	for (i = 0; i < 2; i++) {
		wh[i].hashes = flip ? hashes2(a, "sha512", "ab", "sha256", SHA_B) :
				      hashes2(a, "sha256", SHA_B, "sha512", "ab");
		wh[i].hashes_len = 2;
		wh[i].has_upload_time = true;
		wh[i].upload_time = (TomlDatetime){ 2024, 2, 29, 23, 59, 59, 0, 0 };
	}
	tmp[0].wheels = wh;
	tmp[0].wheels_len = 2;
	for (i = 0; i < 3; i++)
		pk[i] = tmp[order[i]];
	l->packages = pk;
	l->packages_len = 3;
}

static const char built_written[] =
	"lock-version = \"1.0\"\n"
	"environments = ['os_name == \"nt\"', 'os_name == \"posix\"']\n"
	"extras = [\"a\", \"b\"]\n"
	"dependency-groups = []\n"
	"default-groups = []\n"
	"created-by = \"bunpy\"\n"
	"\n"
	"[[packages]]\n"
	"name = \"alpha\"\n"
	"version = \"2.0\"\n"
	"sdist = { url = \"https://f.example/alpha-2.0.tar.gz\", hashes = { blake2b = \"00ff\", sha256 = \"" SHA_A "\" } }\n"
	"\n"
	"[[packages]]\n"
	"name = \"alpha\"\n"
	"version = \"10.0\"\n"
	"sdist = { url = \"https://f.example/alpha-10.0.tar.gz\", hashes = { blake2b = \"00ff\", sha256 = \"" SHA_A "\" } }\n"
	"\n"
	"[[packages]]\n"
	"name = \"beta\"\n"
	"version = \"1.0\"\n"
	"sdist = { url = \"https://f.example/beta-1.0.tar.gz\", hashes = { blake2b = \"00ff\", sha256 = \"" SHA_A "\" } }\n"
	"wheels = [\n"
	"    { upload-time = 2024-02-29T23:59:59Z, url = \"https://f.example/beta-1.0-cp311-cp311-linux_x86_64.whl\", hashes = { sha256 = \"" SHA_B "\", sha512 = \"ab\" } },\n"
	"    { upload-time = 2024-02-29T23:59:59Z, url = \"https://f.example/beta-1.0-py3-none-any.whl\", hashes = { sha256 = \"" SHA_B "\", sha512 = \"ab\" } },\n"
	"]\n";

/* Same content in any order: the same bytes, in the documented order. */
static void
test_deterministic(void **state)
{
	static const int orders[6][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
	};
	Buf first = { 0 };
	int i;

	(void)state;
	for (i = 0; i < 12; i++) {
		Arena a = { 0 };
		Pylock l;
		Buf w = { 0 };

		build_lock(&a, &l, orders[i % 6], i >= 6);
		must_write(&l, &w);
		if (i == 0) {
			buf_append(&first, w.data, w.len);
			if (strcmp(w.data, built_written) != 0) {
				print_error("written:\n%s\nexpected:\n%s\n", w.data, built_written);
				fail();
			}
			dump("built.toml", &w);
		} else {
			assert_int_equal(w.len, first.len);
			assert_memory_equal(w.data, first.data, w.len);
		}
		roundtrip("built-roundtrip.toml", w.data, NULL);
		buf_free(&w);
		arena_free(&a);
	}
	buf_free(&first);
}

/* The writer refuses a lock that would not read back, and appends nothing then. */
static void
test_write_rejects(void **state)
{
	Arena a = { 0 };
	Pylock l;
	Buf w = { 0 };
	Err err;
	static const int order[3] = { 0, 1, 2 };
	PylockHash *h;

	(void)state;
	buf_puts(&w, "keep");
#define REJECT(phrase)                                                                      \
	do {                                                                                \
		expect_msg("write", pylock_write(&l, &w, &err), err.msg, "cannot write pylock.toml: ", \
			   phrase);                                                         \
		assert_int_equal(w.len, 4);                                                 \
	} while (0)

	build_lock(&a, &l, order, false);
	l.packages[1].name = "Alpha";
	REJECT("expected a normalized package name");

	build_lock(&a, &l, order, false);
	l.packages[0].wheels = NULL;
	l.packages[0].wheels_len = 0;
	l.packages[0].sdist = NULL;
	REJECT("no source");

	build_lock(&a, &l, order, false);
	l.packages[0].source = PYLOCK_SOURCE_DIRECTORY;
	l.packages[0].directory.path = ".";
	REJECT("an sdist or wheels next to a vcs, directory or archive source");

	build_lock(&a, &l, order, false);
	l.packages[2].sdist->hashes_len = 1;
	l.packages[2].sdist->hashes[0].alg = "md5";
	REJECT("without a sha256 digest");

	build_lock(&a, &l, order, false);
	h = l.packages[2].sdist->hashes;
	h[0].value = "ABC";
	REJECT("not lower-case hexadecimal");

	build_lock(&a, &l, order, false);
	l.packages[2].sdist->hashes_len = 0;
	REJECT("a file without hashes");

	build_lock(&a, &l, order, false);
	l.packages[2].sdist->url = "https://f.example/thing.whl";
	REJECT("is not an sdist file name");

	build_lock(&a, &l, order, false);
	l.packages[2].sdist->url = NULL;
	REJECT("neither url nor path");

	build_lock(&a, &l, order, false);
	l.created_by = "bad \xff utf-8";
	REJECT("is not UTF-8");

	build_lock(&a, &l, order, false);
	l.created_by = NULL;
	REJECT("created-by is missing");

	build_lock(&a, &l, order, false);
	assert_int_equal(marker_parse("extra == 'x'", 12, &a, &l.packages[1].marker, NULL), 0);
	REJECT("compares \"extra\"");

	build_lock(&a, &l, order, false);
	l.extras = (const char *const[]){ "Not_Normal" };
	l.extras_len = 1;
	REJECT("extras[0]: \"Not_Normal\" is not a normalized name");

	build_lock(&a, &l, order, false);
	l.packages[0].wheels[0].upload_time.month = 13;
	REJECT("upload-time is not a valid date-time");

	build_lock(&a, &l, order, false);
	l.packages[0].wheels[0].has_size = true;
	l.packages[0].wheels[0].size = UINT64_MAX;
	REJECT("does not fit in a TOML integer");
#undef REJECT
	/* a valid one still writes after all that */
	build_lock(&a, &l, order, false);
	assert_int_equal(pylock_write(&l, &w, &err), 0);
	assert_memory_equal(w.data, "keeplock-version", 16);
	buf_free(&w);
	arena_free(&a);
}

/* ------------------------------------------------------------------ rejections */

#define H "lock-version = \"1.0\"\ncreated-by = \"t\"\n"
#define PKG H "[[packages]]\nname = \"a\"\n"

static void
test_read_rejects(void **state)
{
	(void)state;
	/* lock-version */
	expect_error("lock-version = \"2.0\"\ncreated-by = \"t\"\npackages = []\n",
		     FILE_NAME ":1:16: lock-version: ", "\"2.0\" is not supported; expected a 1.x");
	expect_error("lock-version = \"0.9\"\ncreated-by = \"t\"\npackages = []\n",
		     FILE_NAME ":1:16: lock-version: ", "is not supported");
	expect_error("created-by = \"t\"\npackages = []\n", FILE_NAME ":1:1: lock-version: ",
		     "missing; expected lock-version = \"1.0\"");
	expect_error("lock-version = 1\n", FILE_NAME ":1:16: lock-version: ",
		     "expected a version string such as \"1.0\", found an integer");
	expect_error("lock-version = \"one\"\n", FILE_NAME ":1:16: lock-version: ",
		     "\"one\" is not a version");
	/* top level */
	expect_error(H "packages = []\ncolour = 1\n", FILE_NAME ":4:10: colour: ",
		     "unknown key; expected one of: lock-version, environments");
	expect_error("lock-version = \"1.0\"\npackages = []\n", FILE_NAME ":1:1: created-by: ",
		     "missing; expected the name of the tool");
	/* found by fuzz_pylock: the writer refused what the reader took */
	expect_error("lock-version = \"1.0\"\ncreated-by = \"\"\npackages = []\n",
		     FILE_NAME ":2:14: created-by: ", "empty; expected the name of the tool");
	expect_error(H, FILE_NAME ":1:1: packages: ", "missing; expected [[packages]]");
	expect_error(H "packages = 1\n", FILE_NAME ":3:12: packages: ",
		     "expected an array of tables ([[packages]]), found an integer");
	expect_error(H "packages = [1]\n", FILE_NAME ":3:13: packages[0]: ",
		     "expected a table, found an integer");
	expect_error(H "packages = []\ntool = 1\n", FILE_NAME ":4:8: tool: ",
		     "expected a table, found an integer");
	expect_error(H "environments = [\"os_name == 'posix'\", \"bogus\"]\npackages = []\n",
		     FILE_NAME ":3:39: environments[1]: ", "\"bogus\" is not a valid environment marker");
	expect_error(H "environments = \"os_name == 'posix'\"\npackages = []\n",
		     FILE_NAME ":3:16: environments: ", "expected an array of environment markers");
	expect_error(H "requires-python = \"3.11\"\npackages = []\n",
		     FILE_NAME ":3:19: requires-python: ", "\"3.11\" is not a valid version specifier");
	expect_error(H "extras = [\"Foo\"]\npackages = []\n", FILE_NAME ":3:11: extras[0]: ",
		     "\"Foo\" is not normalized; expected \"foo\"");
	expect_error(H "dependency-groups = [\"-x\"]\npackages = []\n",
		     FILE_NAME ":3:22: dependency-groups[0]: ", "\"-x\" is not a valid name");
	expect_error(H "default-groups = [1]\npackages = []\n",
		     FILE_NAME ":3:19: default-groups[0]: ", "expected a name, found an integer");

	/* packages */
	expect_error(H "[[packages]]\nname = \"Foo_Bar\"\ndirectory = { path = \".\" }\n",
		     FILE_NAME ":4:8: packages[0].name: ", "\"Foo_Bar\" is not normalized; expected"
		     " \"foo-bar\"");
	expect_error(H "[[packages]]\nversion = \"1\"\n", FILE_NAME ":3:1: packages[0].name: ",
		     "missing; expected the package's normalized name");
	expect_error(PKG, FILE_NAME ":3:1: packages[0]: ", "expected exactly one source: sdist"
		     " and/or wheels, or vcs, or directory, or archive; found none");
	expect_error(PKG "directory = { path = \".\" }\nwheels = [{ url = \"https://x/a-1-py3-none-any.whl\","
		     " hashes = { sha256 = \"" SHA_A "\" } }]\n",
		     FILE_NAME ":3:1: packages[0]: ", "found directory, wheels");
	expect_error(PKG "directory = { path = \".\" }\nvcs = { type = \"git\", path = \".\","
		     " commit-id = \"1\" }\n", FILE_NAME ":3:1: packages[0]: ", "found vcs, directory");
	expect_error(PKG "wheels = []\n", FILE_NAME ":3:1: packages[0]: ", "found none");
	expect_error(PKG "colour = \"x\"\n", FILE_NAME ":5:10: packages[0].colour: ",
		     "unknown key; expected one of: name, version, marker");
	expect_error(PKG "version = \"1.0-x\"\n", FILE_NAME ":5:11: packages[0].version: ",
		     "\"1.0-x\" is not a valid version (PEP 440)");
	expect_error(PKG "marker = \"os_name ==\"\n", FILE_NAME ":5:10: packages[0].marker: ",
		     "\"os_name ==\" is not a valid environment marker");
	expect_error(PKG "marker = \"extra == 'x'\"\n", FILE_NAME ":5:10: packages[0].marker: ",
		     "compares \"extra\", which lock files do not define");
	expect_error(PKG "requires-python = \">=3.x\"\n",
		     FILE_NAME ":5:19: packages[0].requires-python: ", "is not a valid version specifier");
	expect_error(PKG "index = 1\n", FILE_NAME ":5:9: packages[0].index: ",
		     "expected the URL of a simple repository, found an integer");
	expect_error(PKG "dependencies = [{ version = \"1\" }]\ndirectory = { path = \".\" }\n",
		     FILE_NAME ":5:17: packages[0].dependencies[0].name: ", "missing");
	expect_error(PKG "dependencies = [\"b\"]\ndirectory = { path = \".\" }\n",
		     FILE_NAME ":5:17: packages[0].dependencies[0]: ",
		     "expected a table such as { name = \"...\" }, found a string");
	expect_error(PKG "directory = { path = \".\" }\nattestation-identities = [{ repo = \"x\" }]\n",
		     FILE_NAME ":6:27: packages[0].attestation-identities[0].kind: ", "missing");
	expect_error(PKG "directory = { path = \".\" }\ntool = []\n",
		     FILE_NAME ":6:8: packages[0].tool: ", "expected a table, found an array");
	/* the second package is packages[1] */
	expect_error(PKG "directory = { path = \".\" }\n[[packages]]\nname = \"b\"\n"
		     "directory = { path = 3 }\n", FILE_NAME ":8:22: packages[1].directory.path: ",
		     "expected the directory's path, found an integer");

	/* sources */
	expect_error(PKG "vcs = { type = \"git\", url = \"https://x/r.git\" }\n",
		     FILE_NAME ":5:7: packages[0].vcs.commit-id: ", "missing; expected the exact commit");
	expect_error(PKG "vcs = { type = \"git\", commit-id = \"1\" }\n",
		     FILE_NAME ":5:7: packages[0].vcs: ", "neither url nor path");
	expect_error(PKG "vcs = { url = \"u\", commit-id = \"1\" }\n",
		     FILE_NAME ":5:7: packages[0].vcs.type: ", "missing; expected a version control system");
	expect_error(PKG "directory = { editable = true }\n",
		     FILE_NAME ":5:13: packages[0].directory.path: ", "missing");
	expect_error(PKG "directory = { path = \".\", editable = \"yes\" }\n",
		     FILE_NAME ":5:38: packages[0].directory.editable: ",
		     "expected true or false, found a string");
	expect_error(PKG "directory = { path = \".\", url = \"x\" }\n",
		     FILE_NAME ":5:33: packages[0].directory.url: ", "unknown key; expected one of: path,"
		     " editable, subdirectory");
	expect_error(PKG "archive = { url = \"https://x/a.tgz\" }\n",
		     FILE_NAME ":5:11: packages[0].archive.hashes: ", "missing; expected a table of digests");
	expect_error(PKG "sdist = { url = \"https://x/a-1.tar.gz\" }\n",
		     FILE_NAME ":5:9: packages[0].sdist.hashes: ", "missing; expected a table of digests"
		     " with at least sha256");

	/* files, in table form so that columns are easy to see */
#define SD PKG "[packages.sdist]\nurl = \"https://x/a-1.tar.gz\"\n"
	expect_error(SD "hashes = { md5 = \"d41d8cd98f00b204e9800998ecf8427e\" }\n",
		     FILE_NAME ":7:10: packages[0].sdist.hashes: ", "no sha256 digest");
	expect_error(SD "hashes = {}\n", FILE_NAME ":7:10: packages[0].sdist.hashes: ",
		     "empty; expected at least a sha256 digest");
	expect_error(SD "hashes = { sha256 = \"abc\" }\n",
		     FILE_NAME ":7:21: packages[0].sdist.hashes.sha256: ",
		     "the sha256 digest has 3 digits; expected 64");
	expect_error(SD "hashes = { sha256 = \"zz\" }\n",
		     FILE_NAME ":7:21: packages[0].sdist.hashes.sha256: ", "\"zz\" is not a hex digest");
	expect_error(SD "hashes = { SHA256 = \"" SHA_A "\" }\n",
		     FILE_NAME ":7:21: packages[0].sdist.hashes.SHA256: ",
		     "\"SHA256\" is not a hash algorithm name; expected a lower-case name");
	expect_error(SD "hashes = { sha256 = 1 }\n",
		     FILE_NAME ":7:21: packages[0].sdist.hashes.sha256: ", "expected a hex digest, found"
		     " an integer");
	expect_error(SD "hashes = \"" SHA_A "\"\n", FILE_NAME ":7:10: packages[0].sdist.hashes: ",
		     "expected a table of hash algorithm names to hex digests, found a string");
	expect_error(SD "hashes = { sha256 = \"" SHA_A "\" }\nsize = -1\n",
		     FILE_NAME ":8:8: packages[0].sdist.size: ", "-1 is negative");
	expect_error(SD "hashes = { sha256 = \"" SHA_A "\" }\nsize = \"12\"\n",
		     FILE_NAME ":8:8: packages[0].sdist.size: ", "expected a size in bytes, found a string");
	expect_error(SD "hashes = { sha256 = \"" SHA_A "\" }\nupload-time = \"2024-01-01\"\n",
		     FILE_NAME ":8:15: packages[0].sdist.upload-time: ",
		     "expected a date-time in UTC (e.g. 2024-10-09T07:38:00Z), found a string");
	expect_error(SD "hashes = { sha256 = \"" SHA_A "\" }\nupload-time = 2024-01-01\n",
		     FILE_NAME ":8:15: packages[0].sdist.upload-time: ", "found a local date");
	expect_error(SD "hashes = { sha256 = \"" SHA_A "\" }\nupload-time = 0001-01-01T00:30:00+01:00\n",
		     FILE_NAME ":8:15: packages[0].sdist.upload-time: ",
		     "the date-time in UTC falls outside the years 0001-9999 or is a leap second");
	expect_error(SD "hashes = { sha256 = \"" SHA_A "\" }\nupload-time = 2016-12-31T23:59:60Z\n",
		     FILE_NAME ":8:15: packages[0].sdist.upload-time: ", "or is a leap second");
	/* tool data is kept, but must be something Python can read too */
	expect_error(H "packages = []\n[tool.x]\nok = 1979-05-27\nt = [1, { at = 23:59:60 }]\n",
		     FILE_NAME ":6:16: tool.x.t[1].at: ", "a year outside 0001-9999 or a leap second");
	expect_error(H "packages = []\n[tool.x]\nd = 0000-01-01\n",
		     FILE_NAME ":5:5: tool.x.d: ", "a year outside 0001-9999");
	expect_error(PKG "directory = { path = \".\" }\ntool = { when = 0000-12-31T00:00:00 }\n",
		     FILE_NAME ":6:17: packages[0].tool.when: ", "a year outside 0001-9999");
	expect_error(PKG "directory = { path = \".\" }\nattestation-identities = [{ kind = \"k\", t = 00:00:60 }]\n",
		     FILE_NAME ":6:45: packages[0].attestation-identities[0].t: ", "leap second");
	expect_error(PKG "directory = { path = \".\" }\ndependencies = [{ name = \"b\", x = [0000-01-01] }]\n",
		     FILE_NAME ":6:36: packages[0].dependencies[0].x[0]: ", "a year outside");
	expect_error(SD "hashes = { sha256 = \"" SHA_A "\" }\nsubdirectory = \"x\"\n",
		     FILE_NAME ":8:16: packages[0].sdist.subdirectory: ", "unknown key");
	expect_error(PKG "[packages.sdist]\nname = \"a-1.tar.gz\"\nhashes = { sha256 = \"" SHA_A "\" }\n",
		     FILE_NAME ":5:1: packages[0].sdist: ", "neither url nor path");
	expect_error(PKG "[packages.sdist]\nurl = \"https://x/a-1.whl\"\nhashes = { sha256 = \"" SHA_A "\" }\n",
		     FILE_NAME ":5:1: packages[0].sdist: ",
		     "\"a-1.whl\" is not an sdist file name; expected a name ending in \".tar.gz\" or \".zip\"");
	expect_error(PKG "wheels = [{ url = \"https://x/a-1.tar.gz\", hashes = { sha256 = \"" SHA_A "\" } }]\n",
		     FILE_NAME ":5:11: packages[0].wheels[0]: ", "\"a-1.tar.gz\" is not a wheel file name");
	expect_error(PKG "wheels = [{ url = \"https://x/\", hashes = { sha256 = \"" SHA_A "\" } }]\n",
		     FILE_NAME ":5:11: packages[0].wheels[0]: ", "no file name");
	expect_error(PKG "wheels = { url = \"https://x/a-1-py3-none-any.whl\" }\n",
		     FILE_NAME ":5:10: packages[0].wheels: ", "expected an array of tables, found a table");
	expect_error(PKG "[[packages.wheels]]\nurl = \"https://x/a-1-py3-none-any.whl\"\n"
		     "hashes = { sha256 = \"" SHA_A "\" }\n[[packages.wheels]]\npath = 1\n",
		     FILE_NAME ":9:8: packages[0].wheels[1].path: ", "expected a path, found an integer");
#undef SD
	/* TOML errors keep the TOML parser's message */
	expect_error("lock-version = \"1.0\"\nlock-version = \"1.0\"\n", FILE_NAME ":2:1: ",
		     "duplicate key");
	expect_error(H "created-by = \"a\\u0000b\"\n", FILE_NAME ":3:1: ", "duplicate key");
	expect_error("lock-version = \"1.0\"\ncreated-by = \"a\\u0000b\"\npackages = []\n",
		     FILE_NAME ":2:14: created-by: ", "the string holds a NUL byte");
}

/* Fractions finer than microseconds are read but not written: Python keeps no more. */
static void
test_datetime_precision(void **state)
{
	static const char doc[] =
		"lock-version = \"1.0\"\n"
		"created-by = \"t\"\n"
		"[[packages]]\n"
		"name = \"a\"\n"
		"archive = { url = \"https://x/a.tgz\", upload-time = 2024-03-01T00:00:00.123456789+00:01,"
		" hashes = { sha256 = \"" SHA_A "\" } }\n"
		"[tool.x]\n"
		"t = 23:59:59.0000009\n"
		"u = 1979-05-27T00:00:00.1000009\n";
	Arena a = { 0 };
	Pylock l;
	Buf w = { 0 };

	(void)state;
	must_read(doc, strlen(doc), &a, &l);
	assert_int_equal(l.packages[0].archive.upload_time.nanosecond, 123456789);
	/* 00:00 at +00:01 is 23:59 the day before in UTC: a leap year's 29 February */
	assert_int_equal(l.packages[0].archive.upload_time.month, 2);
	assert_int_equal(l.packages[0].archive.upload_time.day, 29);
	must_write(&l, &w);
	assert_non_null(strstr(w.data, "upload-time = 2024-02-29T23:59:00.123456Z,"));
	assert_non_null(strstr(w.data, "\nt = 23:59:59\n"));
	assert_non_null(strstr(w.data, "\nu = 1979-05-27T00:00:00.1\n"));
	roundtrip("precision.toml", w.data, NULL);
	buf_free(&w);
	arena_free(&a);
}

static void
test_newer_minor(void **state)
{
	Arena a = { 0 };
	Pylock l;
	static const char doc[] =
		"lock-version = \"1.1\"\n"
		"created-by = \"future\"\n"
		"colour = \"blue\"\n"
		"[[packages]]\n"
		"name = \"a\"\n"
		"shiny = true\n"
		"directory = { path = \".\", shade = 1 }\n";
	Buf w = { 0 };

	(void)state;
	must_read(doc, strlen(doc), &a, &l);
	assert_true(l.newer_minor);
	assert_string_equal(l.lock_version, "1.1");
	assert_int_equal(l.warnings_len, 4);
	assert_string_equal(l.warnings[0], FILE_NAME ":1:16: lock-version: \"1.1\" is newer than"
			    " 1.0, which bunpy reads; keys it does not know are ignored");
	assert_true(!strncmp(l.warnings[1], FILE_NAME ":3:10: colour: unknown key, ignored", 37));
	assert_true(!strncmp(l.warnings[2], FILE_NAME ":6:9: packages[0].shiny: unknown key", 37));
	assert_true(!strncmp(l.warnings[3],
			     FILE_NAME ":7:35: packages[0].directory.shade: unknown key", 48));
	/* the lock is written as 1.0 without the unknown keys */
	must_write(&l, &w);
	assert_non_null(strstr(w.data, "lock-version = \"1.0\"\n"));
	assert_null(strstr(w.data, "colour"));
	assert_null(strstr(w.data, "shiny"));
	buf_free(&w);
	arena_free(&a);
}

#define PKG_ "lock-version = \"1.0\"\ncreated-by = \"t\"\n[[packages]]\nname = \"a\"\n"

static void
test_filenames(void **state)
{
	static const struct { const char *name; bool ok; } names[] = {
		{ "pylock.toml", true }, { "pylock.dev.toml", true }, { "pylock.spam-2.toml", true },
		{ "pylock..toml", false }, { "pylock.a.b.toml", false }, { "Pylock.toml", false },
		{ "pylock.toml.bak", false }, { "pylock.TOML", false }, { "lock.toml", false },
		{ "pylock.toml/", false }, { "pylock.x/y.toml", false }, { "", false },
	};
	Arena a = { 0 };
	PylockFile f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (pylock_is_valid_filename(names[i].name) != names[i].ok) {
			print_error("%s: expected %s\n", names[i].name, names[i].ok ? "valid" : "invalid");
			fail();
		}
	memset(&f, 0, sizeof(f));
	f.url = "https://h.example/a/b/c-1.0.tar.gz?sig=1#sha256=00";
	assert_string_equal(pylock_file_name(&f, &a), "c-1.0.tar.gz");
	f.url = "https://h.example";
	assert_string_equal(pylock_file_name(&f, &a), "");
	f.url = "file:///tmp/x/d-1.zip";
	assert_string_equal(pylock_file_name(&f, &a), "d-1.zip");
	f.path = "..\\dist\\e-1.whl";
	assert_string_equal(pylock_file_name(&f, &a), "e-1.whl");
	f.path = "f-1.whl";
	assert_string_equal(pylock_file_name(&f, &a), "f-1.whl");
	f.name = "given.whl";
	assert_string_equal(pylock_file_name(&f, &a), "given.whl");
	memset(&f, 0, sizeof(f));
	assert_null(pylock_file_name(&f, &a));

	/* a URL's last component is percent-decoded, as pip and uv do */
	{
		static const struct { const char *url, *name; } urls[] = {
			{ "https://h/x-1.0%2Blocal-py3-none-any.whl", "x-1.0+local-py3-none-any.whl" },
			{ "https://h/d%2fe/x%2b1%20y.whl?a=%2F#%00", "x+1 y.whl" },
			{ "https://h/%C3%A9-1.tar.gz", "\xc3\xa9-1.tar.gz" },
			{ "https://h/100%-1.zip", "100%-1.zip" },
			{ "https://h/a%zz%4-1.zip%", "a%zz%4-1.zip%" },
			/* decoded names that are no file names */
			{ "https://h/a%2Fb.whl", NULL }, { "https://h/a%2fb.whl", NULL },
			{ "https://h/a%00b.whl", NULL }, { "https://h/a%5Cb.whl", NULL },
			{ "https://h/%2e%2E", NULL }, { "https://h/%2E", NULL },
			{ "https://h/%FF-1.whl", NULL }, { "https://h/%C3-1.whl", NULL },
		};

		for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
			const char *got;

			memset(&f, 0, sizeof(f));
			f.url = urls[i].url;
			got = pylock_file_name(&f, &a);
			if (urls[i].name ? !got || strcmp(got, urls[i].name) : got != NULL) {
				print_error("%s: got %s, expected %s\n", urls[i].url,
					    got ? got : "NULL", urls[i].name ? urls[i].name : "NULL");
				fail();
			}
		}
	}
	expect_error(PKG_ "wheels = [{ url = \"https://x/a%2F..%2Fb-1-py3-none-any.whl\","
		     " hashes = { sha256 = \"" SHA_A "\" } }]\n",
		     FILE_NAME ":5:11: packages[0].wheels[0]: ", "the last path component of url"
		     " \"https://x/a%2F..%2Fb-1-py3-none-any.whl\" does not decode to a file name");
	arena_free(&a);
}

/* ------------------------------------------------------------------ hostile text */

/* Every kind of string, key, float and date-time TOML has, in the places a lock keeps
 * them: written, read back the same, and (through PYLOCK_DUMP_DIR) compared with
 * Python's tomllib by tests/packaging/pylock_tomllib.sh. */
static const char hostile_doc[] =
	"lock-version = \"1.0\"\n"
	"created-by = \"q\\\"uo'te \\\\ back\\\\slash \\t tab \\n nl \\r cr \\b\\f \\u0001 \\u001f \\u007f é 中文 😀 \\u2028 \\u009b\"\n"
	"requires-python = \">=3.9\"\n"
	"environments = [\"sys_platform == 'linux' and platform_release == \\\"it's\\\"\"]\n"
	"\n"
	"[[packages]]\n"
	"name = \"hostile\"\n"
	"version = \"1.0+local.7\"\n"
	"index = \"https://idx.example/simple/ünï/\"\n"
	"dependencies = [{ name = \"dep\", \"new\\nline key\" = \"v\", \"😀\" = [1, 2.5, \"x\"] }]\n"
	"[[packages.wheels]]\n"
	"url = \"https://files.example/p/hostile-1.0%2Blocal.7-py3-none-any.whl?sig=a'b\\\"c#frag\"\n"
	"upload-time = 2024-02-29T23:59:59.9999999-00:30\n"
	"size = 9223372036854775807\n"
	"hashes = { sha256 = \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\" }\n"
	"[[packages.wheels]]\n"
	"name = \"hostile-1.0+local.7-cp311-cp311-manylinux_2_17_x86_64.whl\"\n"
	"path = \"C:\\\\wheels\\\\'quoted'\\\\ünï.whl\"\n"
	"upload-time = 0001-01-01T05:45:00+05:45\n"
	"hashes = { sha256 = \"9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08\", blake2b = \"00\" }\n"
	"[[packages.attestation-identities]]\n"
	"kind = \"Git\\\"Hub\\u0007\"\n"
	"\"key with spaces\" = { nested = { deep = [\"a\\\\b\", 'c\\d', \"\"\"multi\n"
	"line\"\"\"] } }\n"
	"\n"
	"[[packages]]\n"
	"name = \"from-vcs\"\n"
	"vcs = { type = \"git\", url = \"https://example.org/r.git?q=\\\"1\\\"\", requested-revision = \"'single' \\\"double\\\" \\\\ \\t\", commit-id = \"0123abc\", subdirectory = \"sub dir/ü\" }\n"
	"\n"
	"[[packages]]\n"
	"name = \"from-dir\"\n"
	"directory = { path = \"../a \\\"b\\\" 'c'\\\\d\", editable = true, subdirectory = \"\\u00e9\" }\n"
	"\n"
	"[tool.h]\n"
	"\"new\\nline\" = \"value\\nwith\\nnewlines\"\n"
	"\"tab\\tkey\" = \"\\t\"\n"
	"\"quote\\\"key\" = \"'\"\n"
	"\"back\\\\slash\" = \"\\\\\\\\\"\n"
	"\"'\" = \"\\\"\"\n"
	"\"\" = \"empty key\"\n"
	"\"😀\" = \"emoji 😀🏳️‍🌈\"\n"
	"\"nul\\u0000key\" = \"nul\\u0000value\"\n"
	"\"del\\u007f\" = \"c1 \\u0085 \\u009f\"\n"
	"\"\\u2028\" = \"\\uFEFF bom\"\n"
	"bare-key_1 = true\n"
	"f = [0.1, -0.0, 0.0, 1e300, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, inf, -inf, nan, -nan, +inf, 123456789012345680.0, 0.30000000000000004, 1e-7, 100.0, 1e16, -2.5e-10, 3.0e0, 6.626e-34]\n"
	"i = [0, -1, 9223372036854775807, -9223372036854775808, 0x7f, 0o17, 0b101, 1_000]\n"
	"dt = [1979-05-27T07:32:00Z, 1979-05-27T00:32:00.999999-07:00, 1979-05-27T07:32:00.1234567+14:00, 2000-02-29T12:00:00-23:59, 1979-05-27 07:32:00.5z]\n"
	"ldt = [1979-05-27T07:32:00, 9999-12-31T23:59:59.999999, 0001-01-01T00:00:00.000001]\n"
	"d = [1979-05-27, 0001-01-01, 9999-12-31, 2024-02-29]\n"
	"t = [00:00:00, 23:59:59.999999, 07:32:00.5, 12:34:56.1234567]\n"
	"mixed = [1, \"two\", 3.0, [4], { five = 5 }, 1979-05-27]\n"
	"empty-array = []\n"
	"empty-table = {}\n"
	"[tool.h.sub.\"dotted.key\".'lit \"key\"']\n"
	"x = 1\n"
	"[[tool.aot]]\n"
	"a = 1\n"
	"[[tool.aot]]\n"
	"b = \"\\u00e9\"\n";
static void
test_hostile(void **state)
{
	Arena a = { 0 }, b = { 0 };
	Pylock l;
	Buf w = { 0 }, w0 = { 0 };
	PylockPackage *pk;
	const TomlValue *v;
	TomlValue *root;
	Err err;

	(void)state;
	must_read(hostile_doc, strlen(hostile_doc), &a, &l);
	pk = &l.packages[0];
	assert_string_equal(pylock_file_name(&pk->wheels[0], &a),
			    "hostile-1.0+local.7-py3-none-any.whl");
	assert_string_equal(pylock_file_name(&pk->wheels[1], &a),
			    "hostile-1.0+local.7-cp311-cp311-manylinux_2_17_x86_64.whl");
	/* 23:59:59.9999999 at -00:30 is half past midnight on 1 March in UTC */
	assert_int_equal(pk->wheels[0].upload_time.month, 3);
	assert_int_equal(pk->wheels[0].upload_time.day, 1);
	assert_int_equal(pk->wheels[0].upload_time.hour, 0);
	assert_int_equal(pk->wheels[0].upload_time.minute, 29);
	assert_int_equal(pk->wheels[0].upload_time.year, 2024);
	assert_int_equal(pk->wheels[1].upload_time.year, 1);
	assert_int_equal(pk->wheels[1].upload_time.hour, 0);
	/* fractions below the microsecond are not written (Python keeps none): the round
	 * trip starts from the first writing */
	must_write(&l, &w0);
	roundtrip("hostile.toml", w0.data, &w);
	buf_free(&w0);
	/* the text written holds the same strings and keys for the plain TOML parser */
	assert_int_equal(toml_parse(w.data, w.len, "w.toml", &b, &root, &err), 0);
	v = toml_get(root, "created-by");
	assert_int_equal(v->u.str.len, strlen(l.created_by));
	assert_memory_equal(v->u.str.ptr, l.created_by, v->u.str.len);
	v = toml_getn(toml_get_path(root, "tool.h"), "nul\0key", 7);
	assert_non_null(v);
	assert_int_equal(v->u.str.len, 9);
	buf_free(&w);
	arena_free(&a);
	arena_free(&b);
}

/* A lock built in memory with control characters and non-ASCII text in every string
 * field the writer quotes. */
static void
test_hostile_built(void **state)
{
	static const char nasty[] = "a\"b'c\\d\te\nf\rg\x01h\x1fi\x7fj \xc3\xa9 \xf0\x9f\x98\x80 "
				    "\xe2\x80\xa8 \xc2\x9b end";
	static const int order[3] = { 2, 0, 1 };
	Arena a = { 0 };
	Pylock l;
	Buf w = { 0 };
	PylockPackage *pk;

	(void)state;
	build_lock(&a, &l, order, false);
	l.created_by = nasty;
	pk = &l.packages[0];
	pk->index = nasty;
	pk->sdist->path = arena_printf(&a, "dir %s/x-1.tar.gz", nasty);
	pk->sdist->has_upload_time = true;
	pk->sdist->upload_time = (TomlDatetime){ 1999, 12, 31, 23, 0, 0, 999999999, -60 };
	pk = &l.packages[1];
	pk->source = PYLOCK_SOURCE_VCS;
	pk->sdist = NULL;
	pk->wheels = NULL;
	pk->wheels_len = 0;
	pk->vcs.type = "git";
	pk->vcs.url = nasty;
	pk->vcs.requested_revision = nasty;
	pk->vcs.commit_id = "'\"";
	pk->vcs.subdirectory = "C:\\sub\\dir";
	must_write(&l, &w);
	/* one of the packages kept its upload time, now in UTC */
	assert_non_null(strstr(w.data, "upload-time = 2000-01-01T00:00:00.999999Z"));
	roundtrip("hostile-built.toml", w.data, NULL);
	buf_free(&w);
	arena_free(&a);
}

/* ------------------------------------------------------------------ toml_write */

/* Strings and keys written read back as the same bytes; literal strings where they can
 * be; text that is not UTF-8 is refused. */
static void
test_toml_write_strings(void **state)
{
	static const char *const texts[] = {
		"", "plain", "a\"b", "C:\\path", "it's", "it's \"both\"", "tab\there",
		"\x01\x08\x0b\x0c\x0d\x1f\x7f", "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80",
		"\xc2\x85\xc2\x9b", "\xef\xbb\xbf", "ends with \\", "'''", "\"\"\"",
	};
	static const char *const bad[] = {
		"\xff", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "ok\x80",
	};
	Arena a = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		Buf doc = { 0 };
		TomlValue *root;
		const TomlValue *v;
		Err err;
		size_t n = strlen(texts[i]);

		assert_int_equal(toml_write_key(&doc, texts[i], n, &err), 0);
		buf_puts(&doc, " = ");
		assert_int_equal(toml_write_str(&doc, texts[i], n, &err), 0);
		buf_putc(&doc, '\n');
		if (toml_parse(doc.data, doc.len, "s.toml", &a, &root, &err) != 0) {
			print_error("%s: %s\n", doc.data, err.msg);
			fail();
		}
		assert_int_equal(root->u.table.len, 1);
		assert_int_equal(root->u.table.entries[0].key_len, n);
		assert_memory_equal(root->u.table.entries[0].key, texts[i], n);
		v = root->u.table.entries[0].value;
		assert_int_equal(v->u.str.len, n);
		assert_memory_equal(v->u.str.ptr, texts[i], n);
		buf_free(&doc);
	}
	{
		Buf o = { 0 };
		Err err;

		/* a '"' or '\' without "'" or controls is written literally, readable */
		assert_int_equal(toml_write_str(&o, "a \"b\" \\c", 8, &err), 0);
		assert_string_equal(o.data, "'a \"b\" \\c'");
		buf_clear(&o);
		assert_int_equal(toml_write_str(&o, "it's \"x\"\x7f", 9, &err), 0);
		assert_string_equal(o.data, "\"it's \\\"x\\\"\\u007F\"");
		buf_clear(&o);
		assert_int_equal(toml_write_key(&o, "bare-Key_09", 11, &err), 0);
		assert_int_equal(toml_write_key(&o, "a.b", 3, &err), 0);
		assert_string_equal(o.data, "bare-Key_09\"a.b\"");
		assert_true(toml_write_bare_key("A-z_0", 5));
		assert_false(toml_write_bare_key("", 0));
		assert_false(toml_write_bare_key("\xc3\xa9", 2));
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			buf_clear(&o);
			err.msg[0] = '\0';
			assert_int_equal(toml_write_str(&o, bad[i], strlen(bad[i]), &err), -1);
			assert_non_null(strstr(err.msg, "is not UTF-8"));
			assert_null(strchr(err.msg, '\x80'));
		}
		buf_free(&o);
	}
	arena_free(&a);
}

/* Floats: the shortest text that reads back as the same double, laid out as Python's
 * repr() lays it out (fixed notation for exponents -4 to 15). */
static void
test_toml_write_floats(void **state)
{
	static const struct { double x; const char *text; } cases[] = {
		{ 0.1, "0.1" }, { 5.0, "5.0" }, { -0.0, "-0.0" }, { 0.0, "0.0" },
		{ 1e300, "1e+300" }, { 100.0, "100.0" }, { 1e16, "1e+16" },
		{ 0.30000000000000004, "0.30000000000000004" }, { 1.5e-7, "1.5e-07" },
		{ 5e-324, "5e-324" }, { 1e-5, "1e-05" }, { 1e-4, "0.0001" },
		{ 123456789012345680.0, "1.2345678901234568e+17" }, { 1234.5, "1234.5" },
		{ 1e15, "1000000000000000.0" }, { 1.7976931348623157e308,
		  "1.7976931348623157e+308" }, { -2.5, "-2.5" },
	};
	Arena a = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		Buf o = { 0 };
		TomlValue *root;
		Err err;
		double back;

		toml_write_float(&o, cases[i].x);
		if (strcmp(o.data, cases[i].text) != 0) {
			print_error("%.17g written as %s; expected %s\n", cases[i].x, o.data,
				    cases[i].text);
			fail();
		}
		{
			Buf doc = { 0 };

			buf_printf(&doc, "x = %s\n", o.data);
			assert_int_equal(toml_parse(doc.data, doc.len, "f.toml", &a, &root, &err), 0);
			assert_int_equal(toml_get(root, "x")->type, TOML_FLOAT);
			back = toml_get(root, "x")->u.flt;
			assert_memory_equal(&back, &cases[i].x, sizeof(double));
			buf_free(&doc);
		}
		buf_free(&o);
	}
	{
		Buf o = { 0 };

		toml_write_float(&o, INFINITY);
		buf_putc(&o, ' ');
		toml_write_float(&o, -INFINITY);
		buf_putc(&o, ' ');
		toml_write_float(&o, NAN);
		assert_string_equal(o.data, "inf -inf nan");
		buf_free(&o);
	}
	arena_free(&a);
}

/* Date-times: conversion to UTC across days, months, leap years and years; the limits
 * of what Python holds; the text written. */
static void
test_toml_write_datetimes(void **state)
{
	static const struct {
		TomlDatetime in;
		bool ok;
		int y, mo, d, h, mi;
	} utc[] = {
		{ { 2024, 10, 9, 7, 38, 0, 0, 0 }, true, 2024, 10, 9, 7, 38 },
		{ { 2024, 1, 1, 1, 30, 0, 0, 120 }, true, 2023, 12, 31, 23, 30 },
		{ { 2024, 3, 1, 0, 0, 0, 0, 1 }, true, 2024, 2, 29, 23, 59 },
		{ { 2023, 3, 1, 0, 0, 0, 0, 1 }, true, 2023, 2, 28, 23, 59 },
		{ { 1900, 3, 1, 0, 0, 0, 0, 1 }, true, 1900, 2, 28, 23, 59 },
		{ { 2000, 2, 28, 23, 0, 0, 0, -90 }, true, 2000, 2, 29, 0, 30 },
		{ { 1999, 12, 31, 23, 0, 0, 0, -1439 }, true, 2000, 1, 1, 22, 59 },
		{ { 9999, 12, 31, 23, 0, 0, 0, -60 }, false, 0, 0, 0, 0, 0 },
		{ { 0, 1, 1, 0, 0, 0, 0, 60 }, false, 0, 0, 0, 0, 0 },
		{ { 1, 1, 1, 0, 0, 0, 0, 60 }, true, 0, 12, 31, 23, 0 },
	};
	static const struct { TomlDatetime d; TomlType t; const char *text; } texts[] = {
		{ { 1979, 5, 27, 7, 32, 0, 999999999, -420 }, TOML_DATETIME,
		  "1979-05-27T07:32:00.999999-07:00" },
		{ { 1979, 5, 27, 7, 32, 0, 500000000, 0 }, TOML_DATETIME, "1979-05-27T07:32:00.5Z" },
		{ { 1979, 5, 27, 7, 32, 0, 999, 30 }, TOML_DATETIME, "1979-05-27T07:32:00+00:30" },
		{ { 1, 1, 1, 0, 0, 0, 1000, 0 }, TOML_DATETIME_LOCAL, "0001-01-01T00:00:00.000001" },
		{ { 2024, 2, 29, 0, 0, 0, 0, 0 }, TOML_DATE_LOCAL, "2024-02-29" },
		{ { 0, 0, 0, 23, 59, 59, 120000000, 0 }, TOML_TIME_LOCAL, "23:59:59.12" },
	};
	static const struct { TomlDatetime d; TomlType t; } refused[] = {
		{ { 0, 1, 1, 0, 0, 0, 0, 0 }, TOML_DATE_LOCAL },
		{ { 2023, 2, 29, 0, 0, 0, 0, 0 }, TOML_DATE_LOCAL },
		{ { 2016, 12, 31, 23, 59, 60, 0, 0 }, TOML_DATETIME },
		{ { 0, 0, 0, 23, 59, 60, 0, 0 }, TOML_TIME_LOCAL },
		{ { 2024, 1, 1, 24, 0, 0, 0, 0 }, TOML_DATETIME_LOCAL },
		{ { 2024, 1, 1, 0, 0, 0, 0, 24 * 60 }, TOML_DATETIME },
		{ { 2024, 13, 1, 0, 0, 0, 0, 0 }, TOML_DATETIME },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(utc) / sizeof(utc[0]); i++) {
		TomlDatetime out;

		assert_int_equal(toml_write_datetime_to_utc(&utc[i].in, &out), utc[i].ok);
		if (!utc[i].ok)
			continue;
		if (out.year != utc[i].y || out.month != utc[i].mo || out.day != utc[i].d ||
		    out.hour != utc[i].h || out.minute != utc[i].mi || out.offset_minutes != 0 ||
		    out.second != utc[i].in.second || out.nanosecond != utc[i].in.nanosecond) {
			print_error("case %zu: %04d-%02d-%02dT%02d:%02d offset %d\n", i, out.year,
				    out.month, out.day, out.hour, out.minute, out.offset_minutes);
			fail();
		}
	}
	/* year 0 holds in TOML, not in Python */
	assert_true(toml_write_datetime_valid(&utc[9].in, TOML_DATETIME));
	assert_false(toml_write_datetime_python_ok(&(TomlDatetime){ 0, 12, 31, 23, 0, 0, 0, 0 },
						   TOML_DATETIME));
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		Buf o = { 0 };
		Err err;

		assert_int_equal(toml_write_datetime(&o, &texts[i].d, texts[i].t, &err), 0);
		assert_string_equal(o.data, texts[i].text);
		buf_free(&o);
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		Buf o = { 0 };
		Err err;

		if (toml_write_datetime(&o, &refused[i].d, refused[i].t, &err) != -1 ||
		    !strstr(err.msg, "is out of range")) {
			print_error("case %zu: written as %s\n", i, o.data ? o.data : "");
			fail();
		}
		buf_free(&o);
	}
}

/* Values and tables: keys sorted, every type, what is written parses to the same tree. */
static void
test_toml_write_tables(void **state)
{
	static const char doc[] =
		"z = 1\n\"a b\" = [1, 2.5, \"s\", [true], { y = 1, x = 2 }, 1979-05-27]\n"
		"m = { \"new\\nline\" = 'x', b = { c = [] } }\n"
		"[t]\nk = 0x10\n[t.\"sub.table\"]\nq = 07:32:00\n[t.empty]\n";
	Arena a = { 0 };
	TomlValue *root, *back;
	Buf o = { 0 };
	Err err;

	(void)state;
	assert_int_equal(toml_parse(doc, strlen(doc), "t.toml", &a, &root, &err), 0);
	assert_int_equal(toml_write_table(&o, "root", root, &err), 0);
	assert_string_equal(o.data,
			    "\n[root]\n\"a b\" = [1, 2.5, \"s\", [true], { x = 2, y = 1 }, 1979-05-27]\n"
			    "z = 1\n"
			    "\n[root.m]\n\"new\\nline\" = \"x\"\n"
			    "\n[root.m.b]\nc = []\n"
			    "\n[root.t]\nk = 16\n"
			    "\n[root.t.empty]\n"
			    "\n[root.t.\"sub.table\"]\nq = 07:32:00\n");
	assert_int_equal(toml_parse(o.data, o.len, "o.toml", &a, &back, &err), 0);
	assert_true(tree_equal(toml_get(back, "root"), root));
	buf_clear(&o);
	assert_int_equal(toml_write_value(&o, toml_get(root, "m"), &err), 0);
	assert_string_equal(o.data, "{ b = { c = [] }, \"new\\nline\" = \"x\" }");
	buf_clear(&o);
	assert_int_equal(toml_write_table(&o, "x", toml_get(root, "z"), &err), -1);
	assert_non_null(strstr(err.msg, "not a table"));
	buf_free(&o);
	arena_free(&a);
}

/* ------------------------------------------------------------------ messages */

/* Outside text is quoted safely; a version's message names it once. */
static void
test_messages(void **state)
{
	static const char *const docs[] = {
		PKG_ "[packages.sdist]\nurl = \"https://x/a-1.tar.gz\"\n"
		"hashes = { \"s\\u009bha\\u001b[0m\" = \"00\" }\n",
		PKG_ "version = \"1.0\\u009b\"\ndirectory = { path = \".\" }\n",
		PKG_ "directory = { path = \".\", \"\\u009b\" = 1 }\n",
		"lock-version = \"1.0\"\ncreated-by = \"t\"\npackages = []\n\"k\\u009b\" = 1\n",
	};
	static const struct { const char *doc, *prefix, *value, *mark, *reason; } versions[] = {
		{ PKG_ "version = \"1.0\\nx\"\ndirectory = { path = \".\" }\n",
		  FILE_NAME ":5:11: packages[0].version: ", "\"1.0\\nx\"", "is not a valid version",
		  "unexpected text after the version" },
		{ "lock-version = \"1.x\\u001b\"\n", FILE_NAME ":1:16: lock-version: ",
		  "\"1.x\\x1b\"", "is not a version", NULL },
		{ PKG_ "requires-python = \">=3\\n,>=3.x\"\ndirectory = { path = \".\" }\n",
		  FILE_NAME ":5:19: packages[0].requires-python: ", "\">=3\\n,>=3.x\"",
		  "is not a valid version specifier", "in \">=3.x\": " },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		Arena a = { 0 };
		Pylock l;
		Err err;
		const unsigned char *p;

		assert_int_equal(pylock_read(docs[i], strlen(docs[i]), FILE_NAME, &a, &l, &err), -1);
		for (p = (const unsigned char *)err.msg; *p; p++)
			if (*p < 0x20 || *p == 0x7F || (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)) {
				print_error("raw control character in: %s\n", err.msg);
				fail();
			}
		assert_non_null(strstr(err.msg, "\\u009b"));
		error_cases++;
		arena_free(&a);
	}
	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		Arena a = { 0 };
		Pylock l;
		Err err;
		char want[256];
		const char *p = err.msg;
		int n = 0;

		snprintf(want, sizeof(want), "%s%s %s", versions[i].prefix, versions[i].value,
			 versions[i].mark);
		assert_int_equal(pylock_read(versions[i].doc, strlen(versions[i].doc), FILE_NAME, &a,
					     &l, &err), -1);
		while ((p = strstr(p, versions[i].mark)))
			n++, p++;
		if (strncmp(err.msg, want, strlen(want)) != 0 || n != 1 || strchr(err.msg, '\n') ||
		    strchr(err.msg, '\'') || (versions[i].reason &&
					      !strstr(err.msg, versions[i].reason))) {
			print_error("wanted: %s... once, no raw newline, no second quoting\n"
				    "   got: %s\n", want, err.msg);
			fail();
		}
		error_cases++;
		arena_free(&a);
	}
}

static int
report(void **state)
{
	(void)state;
	printf("test_pylock: %d error cases checked, %d round trips byte-identical\n",
	       error_cases, roundtrips);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_example),
		cmocka_unit_test(test_kitchen_sink),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_write_rejects),
		cmocka_unit_test(test_read_rejects),
		cmocka_unit_test(test_datetime_precision),
		cmocka_unit_test(test_newer_minor),
		cmocka_unit_test(test_filenames),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_hostile_built),
		cmocka_unit_test(test_toml_write_strings),
		cmocka_unit_test(test_toml_write_floats),
		cmocka_unit_test(test_toml_write_datetimes),
		cmocka_unit_test(test_toml_write_tables),
		cmocka_unit_test(test_messages),
	};

	return cmocka_run_group_tests(tests, NULL, report);
}

/*
 * fuzz_metadata.c - libFuzzer target for core metadata files (packaging/metadata.c).
 *
 * A rejected input must leave an empty result and a message with no control character,
 * C1 control or bytes that are not UTF-8 from the input, not cut at the size of an Err
 * (with packaging's caret layout, for a Requires-Dist, well formed). An accepted one must be
 * consistent: the interpreted fields agree with the raw fields they come from (Name,
 * Version, one Requires-Dist per field, extras normalized and unique), field names are
 * what a header line can hold, values are UTF-8 without trailing line breaks, and
 * lookups by name find the first field of that name. Written back as headers (plus the
 * body), it must parse to the same fields and description, and every requirement must
 * print to text that parses back equal. Any breach aborts.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/arena.h"
#include "engine/buf.h"
#include "engine/err.h"
#include "engine/utf8.h"
#include "packaging/ascii.h"
#include "packaging/metadata.h"
#include "packaging/name.h"
#include "fuzz.h"

static bool
same_name(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (ascii_lower(*a) != ascii_lower(*b))
			return false;
	return *a == *b;
}

static size_t
count(const Metadata *m, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < m->fields_len; i++)
		n += same_name(m->fields[i].name, name);
	return n;
}

static void
check_consistent(const Metadata *m, Arena *a)
{
	Version v;
	size_t i, j;

	CHECK(m->name && name_is_valid(m->name, strlen(m->name)));
	CHECK(strcmp(m->normalized_name, name_normalize(m->name, strlen(m->name), a)) == 0);
	CHECK(strcmp(metadata_get(m, "NAME"), m->name) == 0);
	CHECK(version_parse(metadata_get(m, "version"), strlen(metadata_get(m, "version")), a, &v,
			    NULL) == 0);
	CHECK(version_cmp(&v, &m->version) == 0);
	CHECK(strcmp(metadata_get(m, "Metadata-Version"), m->metadata_version) == 0);
	CHECK(m->version_major == 1 || m->version_major == 2);
	CHECK(m->requires_dist_len == count(m, "requires-dist"));
	CHECK(m->provides_extra_len + m->provides_extra_ignored <= count(m, "provides-extra"));
	CHECK((m->requires_python_text != NULL) == (count(m, "requires-python") == 1));
	for (i = 0; i < m->provides_extra_len; i++) {
		const char *e = m->provides_extra[i];

		CHECK(name_is_normalized(e, strlen(e)));
		for (j = 0; j < i; j++)
			CHECK(strcmp(m->provides_extra[j], e) != 0);
	}
	for (i = 0; i < m->fields_len; i++) {
		const MetadataField *f = &m->fields[i], *first = metadata_field(m, f->name);
		const char *c;

		CHECK(f->name[0] != '\0');
		for (c = f->name; *c; c++)
			CHECK(*c > 0x20 && *c < 0x7F && *c != ':');
		CHECK(f->value[f->value_len] == '\0');
		CHECK(f->value_len == 0 || (f->value[f->value_len - 1] != '\n' &&
					    f->value[f->value_len - 1] != '\r'));
		CHECK(first && first <= f && same_name(first->name, f->name));
		CHECK(i == 0 || f->line > m->fields[i - 1].line);
	}
	for (i = 0; i < m->requires_dist_len; i++) {
		const Requirement *r = &m->requires_dist[i];
		char *text = requirement_format(r, a);
		Requirement again;

		CHECK(requirement_parse(text, strlen(text), a, &again, NULL) == 0);
		CHECK(requirement_equal(r, &again));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Arena a = { 0 };
	Metadata m, again;
	Buf out = { 0 };
	size_t i;
	Err err;

	if (metadata_parse((const char *)data, size, &a, &m, &err) != 0) {
		CHECK(m.name == NULL && m.fields_len == 0);
		fuzz_check_shown(err.msg, false, sizeof(err.msg));
		arena_free(&a);
		return 0;
	}
	check_consistent(&m, &a);

	/* Written back: the fields as "Name: value" lines, then the body, if any. */
	for (i = 0; i < m.fields_len; i++) {
		buf_puts(&out, m.fields[i].name);
		buf_puts(&out, ": ");
		buf_append(&out, m.fields[i].value, m.fields[i].value_len);
		buf_putc(&out, '\n');
	}
	if (m.description && !metadata_get(&m, "description")) {
		buf_putc(&out, '\n');
		buf_append(&out, m.description, m.description_len);
	}
	if (metadata_parse(out.data, out.len, &a, &again, &err) != 0) {
		fprintf(stderr, "written back, rejected: %s\n", err.msg);
		abort();
	}
	CHECK(again.fields_len == m.fields_len);
	for (i = 0; i < m.fields_len; i++) {
		CHECK(strcmp(again.fields[i].name, m.fields[i].name) == 0);
		CHECK(again.fields[i].value_len == m.fields[i].value_len);
		CHECK(memcmp(again.fields[i].value, m.fields[i].value, m.fields[i].value_len) == 0);
	}
	CHECK((again.description == NULL) == (m.description == NULL));
	CHECK(again.description_len == m.description_len);
	CHECK(!m.description || memcmp(again.description, m.description, m.description_len) == 0);
	CHECK(again.requires_dist_len == m.requires_dist_len);
	for (i = 0; i < m.requires_dist_len; i++)
		CHECK(requirement_equal(&again.requires_dist[i], &m.requires_dist[i]));
	CHECK(again.provides_extra_len == m.provides_extra_len);
	CHECK(specset_equal(&again.requires_python, &m.requires_python));
	buf_free(&out);
	arena_free(&a);
	return 0;
}

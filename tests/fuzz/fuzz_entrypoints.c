/*
 * fuzz_entrypoints.c - libFuzzer target for entry_points.txt and the scripts made from
 * it (packaging/entrypoints.c).
 *
 * A rejected input must leave no entries and a message that names the file and a line
 * within the input, showing outside text only escaped. An accepted one must be
 * consistent: names and values non-empty and trimmed, modules and attributes dotted
 * names, one entry per line in order, no name twice in a group. Written back, one
 * "[group]" header before each "name = value" line, it must parse to the same entries.
 * Every entry with an attribute makes a launcher that imports and calls it; one without
 * is refused. The input as a script: rewritten exactly when it starts with "#!python",
 * keeping every byte after its first line.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/arena.h"
#include "engine/buf.h"
#include "engine/err.h"
#include "packaging/entrypoints.h"
#include "fuzz.h"

#define WHAT "x-1.dist-info/entry_points.txt"
#define PYTHON "/venv/bin/python"

static bool
space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
	       (c >= 0x1c && c <= 0x1f);
}

static bool
trimmed(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && !space(s[0]) && !space(s[n - 1]);
}

static bool
dotted(const char *s)
{
	bool start = true;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '.') {
			if (start)
				return false;
			start = true;
		} else if (c >= 0x80 || c == '_' || (c >= 'a' && c <= 'z') ||
			   (c >= 'A' && c <= 'Z') || (!start && c >= '0' && c <= '9')) {
			start = false;
		} else {
			return false;
		}
	}
	return !start;
}

static void
check_error(const char *msg, const uint8_t *data, size_t size)
{
	unsigned long line, lines = 1;
	char *end;
	size_t i;

	CHECK(strncmp(msg, WHAT ":", strlen(WHAT) + 1) == 0);
	line = strtoul(msg + strlen(WHAT) + 1, &end, 10);
	for (i = 0; i < size; i++)
		lines += data[i] == '\n' || (data[i] == '\r' && !(i + 1 < size && data[i + 1] == '\n'));
	CHECK(line >= 1 && line <= lines && end[0] == ':' && end[1] == ' ');
	fuzz_check_shown(msg, false, sizeof(((Err *)0)->msg));
}

static void
check_script(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t rest = nl ? size - (size_t)(nl + 1 - (const char *)data) : 0;
	Buf out = { 0 };
	int rc = entrypoints_rewrite_script((const char *)data, size, PYTHON, &out);

	if (size >= 8 && memcmp(data, "#!python", 8) == 0) {
		CHECK(rc == 1);
		CHECK(out.len == strlen("#!" PYTHON "\n") + rest);
		CHECK(memcmp(out.data, "#!" PYTHON "\n", strlen("#!" PYTHON "\n")) == 0);
		CHECK(rest == 0 || memcmp(out.data + out.len - rest, nl + 1, rest) == 0);
	} else {
		CHECK(rc == 0 && out.len == 0);
	}
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Arena a = { 0 };
	EntryPoint *eps, *again;
	size_t n, m, i, j;
	Buf out = { 0 }, script = { 0 };
	Err err;

	check_script(data, size);
	if (entrypoints_parse((const char *)data, size, WHAT, &a, &eps, &n, &err) != 0) {
		CHECK(eps == NULL && n == 0);
		check_error(err.msg, data, size);
		arena_free(&a);
		return 0;
	}
	for (i = 0; i < n; i++) {
		const EntryPoint *ep = &eps[i];

		CHECK(ep->group[0] != '\0' && trimmed(ep->name) && trimmed(ep->value));
		CHECK(dotted(ep->module) && (!ep->attr || dotted(ep->attr)));
		CHECK(strncmp(ep->value, ep->module, strlen(ep->module)) == 0);
		CHECK(i == 0 || ep->line > eps[i - 1].line);
		/* A name seen twice in a group is the parser's job; quadratic, so bounded. */
		for (j = 0; j < i && i < 200; j++)
			CHECK(strcmp(eps[j].group, ep->group) != 0 || strcmp(eps[j].name, ep->name) != 0);
		if (entrypoints_script_name_ok(ep->name))
			CHECK(!strchr(ep->name, '/') && strcmp(ep->name, "..") != 0);

		buf_clear(&script);
		if (ep->attr) {
			char *from = NULL, *call = NULL;
			size_t first = strcspn(ep->attr, ".");

			CHECK(entrypoints_launcher(ep, PYTHON, &script, &err) == 0);
			CHECK(strncmp(script.data, "#!" PYTHON "\n", strlen("#!" PYTHON "\n")) == 0);
			from = arena_printf(&a, "\nfrom %s import %.*s\n", ep->module, (int)first,
					    ep->attr);
			call = arena_printf(&a, "    sys.exit(%s())\n", ep->attr);
			CHECK(strstr(script.data, from) != NULL);
			CHECK(strlen(script.data) >= strlen(call) &&
			      strcmp(script.data + strlen(script.data) - strlen(call), call) == 0);
		} else {
			CHECK(entrypoints_launcher(ep, PYTHON, &script, &err) == -1);
			CHECK(script.len == 0);
			fuzz_check_shown(err.msg, false, sizeof(err.msg));
		}
		buf_printf(&out, "[%s]\n%s = %s\n", ep->group, ep->name, ep->value);
	}

	if (entrypoints_parse(out.data ? out.data : "", out.len, WHAT, &a, &again, &m, &err) != 0) {
		fprintf(stderr, "written back, rejected: %s\n", err.msg);
		abort();
	}
	CHECK(m == n);
	for (i = 0; i < n; i++) {
		CHECK(strcmp(again[i].group, eps[i].group) == 0);
		CHECK(strcmp(again[i].name, eps[i].name) == 0);
		CHECK(strcmp(again[i].value, eps[i].value) == 0);
		CHECK(strcmp(again[i].module, eps[i].module) == 0);
		CHECK((again[i].attr == NULL) == (eps[i].attr == NULL));
		CHECK(!eps[i].attr || strcmp(again[i].attr, eps[i].attr) == 0);
	}
	buf_free(&out);
	buf_free(&script);
	arena_free(&a);
	return 0;
}

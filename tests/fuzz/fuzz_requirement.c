/*
 * fuzz_requirement.c - libFuzzer target for PEP 508 requirements
 * (packaging/requirement.c, and the markers and specifiers inside them).
 *
 * A rejected input must come with a message in packaging's three-line layout, the caret
 * within the shown source line, with no control character, C1 control or bytes that
 * are not UTF-8 from the input, and not cut at the size of an Err. An
 * accepted one must be consistent (the normalized name is the name normalized, extras
 * are names, a URL requirement has no specifiers) and print to a canonical text that
 * parses to an equal requirement and prints the same. Any breach aborts.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/arena.h"
#include "engine/err.h"
#include "engine/utf8.h"
#include "packaging/name.h"
#include "packaging/requirement.h"
#include "fuzz.h"

/*
 * A message that shows outside text: no control character but line breaks, no C1
 * control, valid UTF-8, and never cut at the size of an Err. With packaging's layout
 * (layout true, or a message with a line break), the caret line is spaces, tildes and
 * one caret that stands within the shown source line, or just after it.
 */
static void
check_clean(const char *msg, bool layout)
{
	const char *caret = strrchr(msg, '\n'), *line;
	size_t n = strlen(msg), i, width = 0, col;

	CHECK(n > 0 && n < sizeof(((Err *)0)->msg) - 1);
	CHECK(utf8_valid_prefix(msg, n) == n);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)msg[i];

		CHECK(c >= 0x20 || c == '\n');
		CHECK(c != 0x7F && !(c == 0xC2 && (unsigned char)msg[i + 1] < 0xA0));
	}
	if (!layout && !caret)
		return;
	CHECK(caret != NULL);
	for (line = caret - 1; line > msg && line[-1] != '\n'; line--)
		;
	CHECK(line > msg && strncmp(line, "    ", 4) == 0);
	for (i = 4; line + i < caret; i++)
		width += ((unsigned char)line[i] & 0xC0) != 0x80;
	CHECK(strncmp(caret + 1, "    ", 4) == 0);
	col = strspn(caret + 5, " ");
	col += strspn(caret + 5 + col, "~");
	CHECK(strcmp(caret + 5 + col, "^") == 0);
	CHECK(col <= width);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	Arena a = { 0 };
	Requirement r, again;
	char *text;
	size_t i;
	Err err;

	if (requirement_parse(s, size, &a, &r, &err) != 0) {
		check_clean(err.msg, true);
		CHECK(r.name == NULL);
		arena_free(&a);
		return 0;
	}
	CHECK(r.name && r.name[0] && r.normalized);
	CHECK(strcmp(r.normalized, name_normalize(r.name, strlen(r.name), &a)) == 0);
	for (i = 0; i < r.extras_len; i++)
		CHECK(r.extras[i][0] != '\0' && strpbrk(r.extras[i], " \t,[]") == NULL);
	CHECK(!r.url || (r.url[0] && r.spec.len == 0));
	text = requirement_format(&r, &a);
	if (requirement_parse(text, strlen(text), &a, &again, &err) != 0) {
		fprintf(stderr, "canonical text rejected: %s\n%s\n", text, err.msg);
		abort();
	}
	CHECK(requirement_equal(&r, &again));
	CHECK(requirement_equal(&again, &r));
	CHECK(strcmp(requirement_format(&again, &a), text) == 0);
	arena_free(&a);
	return 0;
}

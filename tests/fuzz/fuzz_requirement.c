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
		fuzz_check_shown(err.msg, true, sizeof(err.msg));
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

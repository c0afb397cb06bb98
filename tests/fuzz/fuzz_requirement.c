/*
 * fuzz_requirement.c - libFuzzer target for PEP 508 requirements
 * (packaging/requirement.c, and the markers and specifiers inside them).
 *
 * A rejected input must come with a message: packaging's three-line layout with the
 * caret within the input, or an "Invalid specifier" message naming the clause. An
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
#include "packaging/name.h"
#include "packaging/requirement.h"
#include "fuzz.h"

/* packaging's syntax-error layout, except for a bad specifier, which has its own message. */
static void
check_error(const char *msg, size_t input_len)
{
	if (strncmp(msg, "Invalid specifier: '", 20) != 0)
		fuzz_check_caret(msg, input_len, sizeof(((Err *)0)->msg));
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
		check_error(err.msg, size);
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

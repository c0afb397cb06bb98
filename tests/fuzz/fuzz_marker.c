/*
 * fuzz_marker.c - libFuzzer target for PEP 508 markers (packaging/marker.c).
 *
 * The input is a marker, optionally followed by a NUL byte and an environment: one
 * value per line, in the order of MarkerVar (os_name ... implementation_version, then
 * extra), then a comma-separated extras set and a dependency_groups set (a set is
 * defined only when its line is present). Checked on every input:
 *  - a rejected marker has a message in packaging's three-line layout, the caret line
 *    pointing within the shown source line, and no message (of parsing or evaluation)
 *    carries a control character, a C1 control or bytes that are not UTF-8, or is cut
 *    at the size of an Err;
 *  - an accepted one prints to a canonical text that parses to an equal tree and prints
 *    the same again, and both trees evaluate alike (same result, or both fail);
 *  - the prefix parser consumes the whole of an accepted marker, and what it consumes
 *    of any input parses as a whole marker to the same tree.
 * Any breach aborts.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/arena.h"
#include "engine/err.h"
#include "engine/utf8.h"
#include "packaging/marker.h"
#include "fuzz.h"

/* The environment after the NUL byte (see the header comment). */
static void
read_env(const char *s, size_t n, Arena *a, MarkerEnv *env)
{
	const char **sets[2] = { NULL, NULL };
	size_t lens[2] = { 0, 0 };
	size_t line = 0, i = 0;

	memset(env, 0, sizeof(*env));
	while (i <= n && line < MARKER_EXTRA + 3) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - s) : n;
		char *v = arena_strndup(a, s + i, end - i);

		if (line < MARKER_EXTRA) {
			env->values[line] = v;
		} else if (line == MARKER_EXTRA) {
			env->extra = v;
		} else {
			int k = (int)(line - MARKER_EXTRA - 1);
			size_t cap = 1, j;
			char *tok;

			for (j = 0; v[j]; j++)
				cap += v[j] == ',';
			sets[k] = arena_alloc(a, cap * sizeof(char *));
			for (tok = v;;) {
				char *comma = strchr(tok, ',');

				if (comma)
					*comma = '\0';
				sets[k][lens[k]++] = tok;
				if (!comma)
					break;
				tok = comma + 1;
			}
		}
		line++;
		if (!nl)
			break;
		i = end + 1;
	}
	env->extras = sets[0];
	env->extras_len = lens[0];
	env->dependency_groups = sets[1];
	env->dependency_groups_len = lens[1];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *nul = memchr(data, 0, size);
	size_t n = nul ? (size_t)(nul - s) : size, used;
	Arena a = { 0 };
	Marker *m, *again, *pre;
	MarkerEnv env;
	char *text;
	bool r1, r2;
	int rc1, rc2;
	Err err;

	if (nul)
		read_env(nul + 1, size - n - 1, &a, &env);
	else
		memset(&env, 0, sizeof(env));

	if (marker_parse_prefix(s, n, &a, &pre, &used, &err) == 0) {
		CHECK(used <= n);
		CHECK(marker_parse(s, used, &a, &again, &err) == 0);
		CHECK(marker_equal(pre, again));
	} else {
		fuzz_check_shown(err.msg, true, sizeof(err.msg));
	}

	if (marker_parse(s, n, &a, &m, &err) != 0) {
		fuzz_check_shown(err.msg, true, sizeof(err.msg));
		arena_free(&a);
		return 0;
	}
	CHECK(m != NULL);
	CHECK(marker_parse_prefix(s, n, &a, &pre, &used, &err) == 0 && used == n);
	text = marker_format(m, &a);
	if (marker_parse(text, strlen(text), &a, &again, &err) != 0) {
		fprintf(stderr, "canonical text rejected: %s\n%s\n", text, err.msg);
		abort();
	}
	CHECK(strcmp(marker_format(again, &a), text) == 0);
	CHECK(marker_equal(m, again));
	rc1 = marker_evaluate(m, &env, &r1, &err);
	rc2 = marker_evaluate(again, &env, &r2, &err);
	CHECK(rc1 == rc2 && (rc1 != 0 || r1 == r2));
	if (rc1 != 0)
		fuzz_check_shown(err.msg, false, sizeof(err.msg));
	arena_free(&a);
	return 0;
}

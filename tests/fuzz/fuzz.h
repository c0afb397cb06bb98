/*
 * fuzz.h - what every fuzz target shares: CHECK, which aborts (libFuzzer reports it
 * like a crash) when an invariant is broken, and the checks of error messages.
 */
#ifndef BUNPY_FUZZ_H
#define BUNPY_FUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                               \
	do {                                                                      \
		if (!(cond)) {                                                    \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,    \
				__LINE__, #cond);                                 \
			abort();                                                  \
		}                                                                 \
	} while (0)

/* msg reads "NAME:LINE:COL: message", with LINE and COL within the input. */
static inline void
fuzz_check_located(const char *msg, const char *name, const void *data, size_t size)
{
	const char *p = msg + strlen(name), *bytes = data;
	unsigned long line, col, lines = 1;
	char *end;
	size_t i;

	if (strncmp(msg, name, strlen(name)) != 0 || *p != ':') {
		fprintf(stderr, "error without the file name %s: %s\n", name, msg);
		abort();
	}
	line = strtoul(p + 1, &end, 10);
	CHECK(end > p + 1 && *end == ':');
	col = strtoul(end + 1, &end, 10);
	CHECK(*end == ':' && end[1] == ' ' && end[2] != '\0');
	for (i = 0; i < size; i++)
		lines += bytes[i] == '\n';
	CHECK(line >= 1 && line <= lines && col >= 1 && col <= size + 1);
}

/*
 * A message that shows outside text: no control character but line breaks, no C1
 * control, valid UTF-8, and never cut at the size of an Err. With packaging's layout
 * (layout true, or a message with a line break), the caret line is spaces, tildes and
 * one caret that stands within the shown source line, or just after it.
 */
static inline void
fuzz_check_shown(const char *msg, bool layout, size_t msg_cap)
{
	const char *caret = strrchr(msg, '\n'), *line;
	size_t n = strlen(msg), i, width = 0, col;

	CHECK(n > 0 && n < msg_cap - 1);
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

#endif

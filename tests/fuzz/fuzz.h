/*
 * fuzz.h - what every fuzz target shares: CHECK, which aborts (libFuzzer reports it
 * like a crash) when an invariant is broken, and the check of a located error message.
 */
#ifndef BUNPY_FUZZ_H
#define BUNPY_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
 * msg ends with packaging's syntax-error layout, "message\n    source\n    ~~~^": the
 * caret line is spaces, tildes and one caret, within the input.
 */
static inline void
fuzz_check_caret(const char *msg, size_t input_len, size_t msg_cap)
{
	const char *last = strrchr(msg, '\n'), *p;
	size_t width;

	CHECK(last && last > msg && strstr(msg, "\n    ") != NULL);
	if (strlen(msg) >= msg_cap - 1)
		return; /* cut short: the caret line may be lost */
	p = last + 1;
	CHECK(strncmp(p, "    ", 4) == 0);
	p += 4;
	width = strspn(p, " ");
	width += strspn(p + width, "~");
	CHECK(p[width] == '^' && p[width + 1] == '\0');
	CHECK(width <= input_len);
}

#endif

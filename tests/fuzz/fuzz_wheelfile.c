/*
 * fuzz_wheelfile.c - libFuzzer target for a wheel's WHEEL file (packaging/wheelfile.c).
 *
 * A rejected input must leave an empty WheelFile and a message that names the file
 * (and, when it names a line, one within the input), showing outside text only
 * escaped. An accepted one has major version 1, newer_minor for any minor above 0, and
 * NUL-terminated tags. Written back as a WHEEL file (the version, Root-Is-Purelib,
 * Generator, every Tag, Build), it must parse to the same values.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/arena.h"
#include "engine/buf.h"
#include "engine/err.h"
#include "packaging/wheelfile.h"
#include "fuzz.h"

#define WHAT "x-1.dist-info/WHEEL"

static bool
same_str(const char *a, const char *b)
{
	return (a == NULL) == (b == NULL) && (!a || strcmp(a, b) == 0);
}

static void
check_error(const char *msg, const uint8_t *data, size_t size)
{
	const char *p = msg + strlen(WHAT);
	unsigned long line, lines = 1;
	char *end;
	size_t i;

	CHECK(strncmp(msg, WHAT, strlen(WHAT)) == 0);
	if (p[0] == ':' && p[1] >= '0' && p[1] <= '9') {
		line = strtoul(p + 1, &end, 10);
		for (i = 0; i < size; i++)
			lines += data[i] == '\n' ||
				 (data[i] == '\r' && !(i + 1 < size && data[i + 1] == '\n'));
		CHECK(line >= 1 && line <= lines && end[0] == ':' && end[1] == ' ');
	} else {
		CHECK(strncmp(p, ": ", 2) == 0);
	}
	fuzz_check_shown(msg, false, sizeof(((Err *)0)->msg));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Arena a = { 0 };
	WheelFile w, again;
	Buf out = { 0 };
	size_t i;
	Err err;

	if (wheelfile_parse((const char *)data, size, WHAT, &a, &w, &err) != 0) {
		CHECK(w.version_major == 0 && w.tags_len == 0 && w.tags == NULL && !w.generator);
		check_error(err.msg, data, size);
		arena_free(&a);
		return 0;
	}
	CHECK(w.version_major == 1);
	CHECK(w.version_minor == 0 || w.newer_minor);
	for (i = 0; i < w.tags_len; i++)
		CHECK(w.tags[i] != NULL);

	buf_printf(&out, "Wheel-Version: 1.%u%s\nRoot-Is-Purelib: %s\n", w.version_minor,
		   w.newer_minor && w.version_minor == 0 ? ".1" : "",
		   w.root_is_purelib ? "true" : "false");
	if (w.generator)
		buf_printf(&out, "Generator: %s\n", w.generator);
	for (i = 0; i < w.tags_len; i++)
		buf_printf(&out, "Tag: %s\n", w.tags[i]);
	if (w.build)
		buf_printf(&out, "Build: %s\n", w.build);
	if (wheelfile_parse(out.data, out.len, WHAT, &a, &again, &err) != 0) {
		fprintf(stderr, "written back, rejected: %s\n", err.msg);
		abort();
	}
	CHECK(again.version_major == 1 && again.version_minor == w.version_minor);
	CHECK(again.newer_minor == w.newer_minor && again.root_is_purelib == w.root_is_purelib);
	CHECK(same_str(again.generator, w.generator) && same_str(again.build, w.build));
	CHECK(again.tags_len == w.tags_len);
	for (i = 0; i < w.tags_len; i++)
		CHECK(strcmp(again.tags[i], w.tags[i]) == 0);
	buf_free(&out);
	arena_free(&a);
	return 0;
}

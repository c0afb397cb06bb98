/*
 * vectors.c - loading the conformance vectors (vectors.h).
 */
#include "config.h"

#include "vectors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Noreturn void
die(const char *fmt, const char *arg)
{
	fprintf(stderr, "vectors: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

cJSON *
vectors_load(const char *name)
{
	const char *dir = getenv("VECTORS_DIR");
	char path[4096];
	FILE *f;
	char *data;
	long n;
	cJSON *root;

	if (!dir || !*dir)
		die("VECTORS_DIR is not set (run through make check) for %s", name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(f = fopen(path, "rb")))
		die("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc((size_t)n + 1);
	if (!data || fread(data, 1, (size_t)n, f) != (size_t)n)
		die("cannot read %s", path);
	fclose(f);
	data[n] = 0;
	root = cJSON_ParseWithLength(data, (size_t)n);
	free(data);
	if (!root)
		die("%s is not valid JSON", path);
	return root;
}

const cJSON *
vectors_section(const cJSON *root, const char *dotted)
{
	char part[256];
	const char *p = dotted, *dot;
	const cJSON *cur = root;

	while (*p) {
		size_t n;

		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(part))
			die("section path too long: %s", dotted);
		memcpy(part, p, n);
		part[n] = 0;
		cur = cJSON_GetObjectItemCaseSensitive(cur, part);
		if (!cur)
			die("no section %s", dotted);
		p += n + (dot ? 1 : 0);
	}
	return cur;
}

const char *
vectors_str(const cJSON *item)
{
	if (!cJSON_IsString(item))
		die("expected a string, got %s", cJSON_PrintUnformatted(item));
	return item->valuestring;
}

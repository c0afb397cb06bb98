/*
 * replay_main.c - runs a fuzz target over its seed corpus when libFuzzer is not used.
 *
 * Linked with any fuzz target as tests/fuzz/replay_NAME, it feeds every file of
 * $FUZZ_CORPUS_DIR/NAME/ to LLVMFuzzerTestOneInput, so that `make check` exercises
 * each target with its corpus, crash regressions included. The corpus name comes from
 * the program's own name, so one driver serves every target. Files or directories
 * given as arguments are replayed instead.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PREFIX "replay_"

/* The input goes in a buffer of exactly its size, so that a sanitizer sees overreads. */
static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *data;
	size_t n;

	if (!f || fstat(fileno(f), &st) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	n = (size_t)st.st_size;
	data = malloc(n ? n : 1);
	if (!data || fread(data, 1, n, f) != n) {
		fprintf(stderr, "%s: cannot read\n", path);
		fclose(f);
		free(data);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, n);
	free(data);
	return 0;
}

static int
skip_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Replays path, a file or a directory of files; adds to *count. */
static int
replay(const char *path, int *count)
{
	struct dirent **names;
	struct stat st;
	char sub[4096];
	int n, i, rc = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (replay_file(path) != 0)
			return -1;
		++*count;
		return 0;
	}
	if ((n = scandir(path, &names, skip_dot, alphasort)) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
		if (rc == 0 && stat(sub, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(sub) != 0)
				rc = -1;
			else
				++*count;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/'), *root = getenv("FUZZ_CORPUS_DIR");
	char dir[4096];
	int count = 0, i;

	base = base ? base + 1 : argv[0];
	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if (replay(argv[i], &count) != 0)
				return 1;
		printf("%s: replayed %d inputs\n", base, count);
		return 0;
	}
	if (strncmp(base, PREFIX, strlen(PREFIX)) != 0 || !base[strlen(PREFIX)]) {
		fprintf(stderr, "%s: the program must be named %sNAME to find its corpus\n", base,
			PREFIX);
		return 1;
	}
	if (!root || !*root) {
		fprintf(stderr, "%s: FUZZ_CORPUS_DIR is not set\n", base);
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/%s", root, base + strlen(PREFIX));
	if (replay(dir, &count) != 0)
		return 1;
	if (count == 0) {
		fprintf(stderr, "%s: no inputs in %s\n", base, dir);
		return 1;
	}
	printf("%s: replayed %d inputs from %s\n", base, count, dir);
	return 0;
}

/*
 * replay_main.c - runs a fuzz target without libFuzzer: its seed corpus, then a short
 * mutation run.
 *
 * Linked with any fuzz target as tests/fuzz/replay_NAME, it feeds every file of
 * $FUZZ_CORPUS_DIR/NAME/ to LLVMFuzzerTestOneInput (crash regressions included), then
 * $FUZZ_RUNS (default 20000) inputs made by mutating and splicing corpus files with a
 * fixed seed ($FUZZ_SEED), so that every `make check` also fuzzes each target a little,
 * reproducibly, with gcc and the sanitizers alike. The long campaigns use libFuzzer
 * (configure --enable-fuzzing). The corpus name comes from the program's own name, so
 * one driver serves every target. Files or directories given as arguments are replayed
 * instead, with no mutation run.
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
#define MUTANT_MAX 65536

typedef struct Corpus {
	uint8_t **data;
	size_t *size;
	size_t len, cap;
} Corpus;

/* Read a file into a buffer of exactly its size, so that a sanitizer sees overreads. */
static int
load_file(const char *path, uint8_t **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	size_t n;

	if (!f || fstat(fileno(f), &st) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	n = (size_t)st.st_size;
	*data = malloc(n ? n : 1);
	if (!*data || fread(*data, 1, n, f) != n) {
		fprintf(stderr, "%s: cannot read\n", path);
		fclose(f);
		free(*data);
		return -1;
	}
	fclose(f);
	*size = n;
	return 0;
}

static int
replay_file(const char *path, Corpus *corpus)
{
	uint8_t *data;
	size_t n;

	if (load_file(path, &data, &n) != 0)
		return -1;
	LLVMFuzzerTestOneInput(data, n);
	if (corpus->len == corpus->cap) {
		corpus->cap = corpus->cap ? 2 * corpus->cap : 64;
		corpus->data = realloc(corpus->data, corpus->cap * sizeof(*corpus->data));
		corpus->size = realloc(corpus->size, corpus->cap * sizeof(*corpus->size));
		if (!corpus->data || !corpus->size) {
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
	}
	corpus->data[corpus->len] = data;
	corpus->size[corpus->len++] = n;
	return 0;
}

static void
corpus_free(Corpus *c)
{
	size_t i;

	for (i = 0; i < c->len; i++)
		free(c->data[i]);
	free(c->data);
	free(c->size);
}

static int
skip_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Replays path, a file or a directory of files, keeping the inputs in corpus. */
static int
replay(const char *path, Corpus *corpus)
{
	struct dirent **names;
	struct stat st;
	char sub[4096];
	int n, i, rc = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path, corpus);
	if ((n = scandir(path, &names, skip_dot, alphasort)) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
		if (rc == 0 && stat(sub, &st) == 0 && S_ISREG(st.st_mode) && replay_file(sub, corpus) != 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

static uint64_t
next_random(uint64_t *state)
{
	/* xorshift64*: small, and the same sequence on every machine */
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 2685821657736338717ULL;
}

/*
 * One mutant: a corpus input with a few byte-level edits (flip, set to an interesting
 * byte, insert, delete, copy a chunk of itself or of another input).
 */
static size_t
mutate(const Corpus *c, uint64_t *rng, uint8_t *out)
{
	static const uint8_t interesting[] = {0, '\n', '\r', ' ', '\t', '"', '\'', '\\', '.', '-', '_',
					      '+', '!', '*', ',', ';', '=', '<', '>', '~', '[', ']', '(',
					      ')', '#', '@', '0', '9', 'a', 'z', 0x7f, 0x80, 0xc3, 0xff};
	size_t pick = (size_t)(next_random(rng) % c->len), n = c->size[pick], edits, e;

	if (n > MUTANT_MAX / 2)
		n = MUTANT_MAX / 2;
	memcpy(out, c->data[pick], n);
	edits = 1 + (size_t)(next_random(rng) % 4);
	for (e = 0; e < edits; e++) {
		size_t at = n ? (size_t)(next_random(rng) % n) : 0, k;

		switch (next_random(rng) % 6) {
		case 0:
			if (n)
				out[at] ^= (uint8_t)(1u << (next_random(rng) % 8));
			break;
		case 1:
			if (n)
				out[at] = interesting[next_random(rng) % sizeof(interesting)];
			break;
		case 2:
			if (n < MUTANT_MAX - 1) {
				memmove(out + at + 1, out + at, n - at);
				out[at] = interesting[next_random(rng) % sizeof(interesting)];
				n++;
			}
			break;
		case 3:
			if (n) {
				k = 1 + (size_t)(next_random(rng) % (n - at < 8 ? n - at : 8));
				memmove(out + at, out + at + k, n - at - k);
				n -= k;
			}
			break;
		default: {
			/* splice a chunk of some input (maybe this one) in at `at` */
			size_t from = (size_t)(next_random(rng) % c->len), fn = c->size[from], start, len;

			if (fn == 0)
				break;
			start = (size_t)(next_random(rng) % fn);
			len = 1 + (size_t)(next_random(rng) % (fn - start < 32 ? fn - start : 32));
			if (n + len >= MUTANT_MAX)
				break;
			memmove(out + at + len, out + at, n - at);
			memcpy(out + at, c->data[from] + start, len);
			n += len;
		}
		}
	}
	return n;
}

static void
mutation_run(const Corpus *c, long runs, uint64_t seed)
{
	uint8_t *work = malloc(MUTANT_MAX), *exact;
	uint64_t rng = seed ? seed : 1;
	long i;

	for (i = 0; i < runs && c->len; i++) {
		size_t n = mutate(c, &rng, work);

		exact = malloc(n ? n : 1);
		memcpy(exact, work, n);
		LLVMFuzzerTestOneInput(exact, n);
		free(exact);
	}
	free(work);
}

static long
env_long(const char *name, long fallback)
{
	const char *s = getenv(name);

	return s && *s ? strtol(s, NULL, 10) : fallback;
}

int
main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/'), *root = getenv("FUZZ_CORPUS_DIR");
	Corpus corpus = {0};
	char dir[4096];
	long runs = 0;
	int k, rc = 0;

	base = base ? base + 1 : argv[0];
	if (argc > 1) {
		for (k = 1; k < argc && rc == 0; k++)
			if (replay(argv[k], &corpus) != 0)
				rc = 1;
		if (rc == 0)
			printf("%s: replayed %zu inputs\n", base, corpus.len);
		corpus_free(&corpus);
		return rc;
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
	if (replay(dir, &corpus) != 0) {
		rc = 1;
	} else if (corpus.len == 0) {
		fprintf(stderr, "%s: no inputs in %s\n", base, dir);
		rc = 1;
	} else {
		runs = env_long("FUZZ_RUNS", 20000);
		mutation_run(&corpus, runs, (uint64_t)env_long("FUZZ_SEED", 20261126));
		printf("%s: replayed %zu inputs from %s, then %ld mutated inputs\n", base, corpus.len,
		       dir, runs);
	}
	corpus_free(&corpus);
	return rc;
}

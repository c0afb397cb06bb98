/*
 * pkgtool.c - the packaging library behind a line protocol, for the differential test
 * against Python's packaging (tests/packaging/differential.py) and for the benchmark
 * (bench/packaging.py).
 *
 * Requests mode: `pkgtool` reads requests on stdin, one per line, and writes exactly
 * one answer line per request, in order, so that a client can send a whole batch and
 * then read the answers back. Fields are separated by TAB. Inside a field, and in
 * answers, a backslash escapes: \\ \t \n \r, and \xHH for any other byte (the client
 * escapes what it likes; pkgtool escapes bytes below 0x20 and 0x7f). Text is UTF-8
 * and passed through as bytes.
 *
 *   V <version>                   ok <canonical> <stripped> <pre> <post> <dev>
 *       Parse a version. canonical is str(Version(s)), stripped is
 *       canonicalize_version() (trailing .0 removed); pre/post/dev are 0 or 1
 *       (is_prerelease, is_postrelease, is_devrelease).
 *   C <a> <b>                     ok <-1|0|1>
 *       Compare two versions (an invalid one is an error).
 *   S <specifier set>             ok <canonical>
 *       Parse a specifier set; canonical is str(SpecifierSet(s)).
 *   I <set> <candidate> <pre> [installed]     ok <0|1>
 *       specset_contains. candidate is a string that need not be a valid version;
 *       pre is "default", "allow" or "deny"; "installed" as a fifth field sets the
 *       installed flag.
 *   F <set> <pre> [<candidate>...]             ok [<kept>...]
 *       specset_filter; answers the kept candidates, in input order.
 *
 * Any request that fails answers `err <message>` (the library's message); a request
 * that pkgtool does not understand answers `err bad request: ...`. The process exits
 * 0 at the end of input.
 *
 * Bench mode: `pkgtool bench KIND FILE [REPS]` loads FILE (one input per line, the
 * escapes above apply), then times REPS passes (default 1) of the work with
 * CLOCK_MONOTONIC, loading excluded, and prints one JSON object:
 *   {"kind": K, "ops": N, "seconds": [s1, ...], "ops_per_sec": N / median, "check": C}
 * check is a count both sides can compare so that a benchmark that does nothing, or
 * something else, is noticed. Kinds:
 *   versions    FILE: a version per line. Work: parse every version and sort them all
 *               with version_cmp. ops = versions; check = neighbours equal once sorted.
 *   specparse   FILE: a specifier set per line. Work: parse each. ops = sets;
 *               check = clauses.
 *   specifiers  FILE: "<set>\t<version>" per line. Sets and versions are parsed while
 *               loading; the work is specset_contains with pre-releases allowed (the
 *               same test Python's packaging makes with prereleases=True; with the
 *               default it turns a pre-release away before looking at the clauses in
 *               23.0 but not in bunpy, so the two would do different work).
 *               ops = pairs; check = pairs contained.
 *   metadata    FILE: the path of a METADATA file per line. The files are read while
 *               loading; the work is metadata_parse of each (headers, Name, Version,
 *               Requires-Python, every Requires-Dist, Provides-Extra). ops = files;
 *               check = Requires-Dist entries.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/arena.h"
#include "engine/err.h"
#include "packaging/metadata.h"
#include "packaging/specifier.h"
#include "packaging/version.h"

/* ---------------------------------------------------------------- fields */

typedef struct Field {
	char *s;
	size_t len;
} Field;

enum { MAX_FIELDS = 4096 };

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Split line (NUL-terminated, newline removed) into fields at TABs and undo the
 * escapes in place. Returns the number of fields, or -1 for a bad escape or too many
 * fields.
 */
static int
split_fields(char *line, size_t len, Field *fields, int max)
{
	int n = 0;
	size_t i = 0;

	for (;;) {
		char *out = line + i, *start = out;

		if (n == max)
			return -1;
		while (i < len && line[i] != '\t') {
			char c = line[i++];

			if (c == '\\') {
				if (i >= len)
					return -1;
				c = line[i++];
				switch (c) {
				case '\\': break;
				case 't': c = '\t'; break;
				case 'n': c = '\n'; break;
				case 'r': c = '\r'; break;
				case 'x': {
					int hi = i + 1 < len ? hexval(line[i]) : -1;
					int lo = hi >= 0 ? hexval(line[i + 1]) : -1;

					if (lo < 0)
						return -1;
					c = (char)(hi * 16 + lo);
					i += 2;
					break;
				}
				default:
					return -1;
				}
			}
			*out++ = c;
		}
		fields[n].s = start;
		fields[n].len = (size_t)(out - start);
		n++;
		if (i >= len)
			return n;
		i++; /* the TAB */
	}
}

static void
put_escaped(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '\\': fputs("\\\\", f); break;
		case '\t': fputs("\\t", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\x%02x", c);
			else
				putc(c, f);
		}
	}
}

static void
answer_err(FILE *f, const char *msg)
{
	fputs("err\t", f);
	put_escaped(f, msg, strlen(msg));
	putc('\n', f);
}

static bool
parse_pre(const Field *fl, Prereleases *out)
{
	static const struct { const char *name; Prereleases p; } names[] = {
		{ "default", PRERELEASES_DEFAULT },
		{ "allow", PRERELEASES_ALLOW },
		{ "deny", PRERELEASES_DENY },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (fl->len == strlen(names[i].name) && memcmp(fl->s, names[i].name, fl->len) == 0) {
			*out = names[i].p;
			return true;
		}
	return false;
}

/* A candidate from a string: parsed when it is a version, raw either way. */
static void
candidate(const Field *fl, Arena *arena, SpecCandidate *c)
{
	Version *v = arena_alloc(arena, sizeof(*v));

	c->version = version_parse(fl->s, fl->len, arena, v, NULL) == 0 ? v : NULL;
	c->raw = fl->s;
	c->raw_len = fl->len;
}

/* ---------------------------------------------------------------- requests */

static void
req_version(const Field *f, Arena *arena, Err *err, FILE *out)
{
	Version v;

	if (version_parse(f[1].s, f[1].len, arena, &v, err) < 0) {
		answer_err(out, err->msg);
		return;
	}
	char *stripped = version_canonical_stripped(&v, arena);

	fputs("ok\t", out);
	put_escaped(out, v.str, v.str_len);
	putc('\t', out);
	put_escaped(out, stripped, strlen(stripped));
	fprintf(out, "\t%d\t%d\t%d\n", version_is_prerelease(&v), version_is_postrelease(&v),
		version_is_devrelease(&v));
}

static void
req_compare(const Field *f, Arena *arena, Err *err, FILE *out)
{
	Version a, b;

	if (version_parse(f[1].s, f[1].len, arena, &a, err) < 0 ||
	    version_parse(f[2].s, f[2].len, arena, &b, err) < 0) {
		answer_err(out, err->msg);
		return;
	}
	int c = version_cmp(&a, &b);

	fprintf(out, "ok\t%d\n", (c > 0) - (c < 0));
}

static void
req_specset(const Field *f, Arena *arena, Err *err, FILE *out)
{
	SpecifierSet set;

	if (specset_parse(f[1].s, f[1].len, arena, &set, err) < 0) {
		answer_err(out, err->msg);
		return;
	}
	char *s = specset_format(&set, arena);

	fputs("ok\t", out);
	put_escaped(out, s, strlen(s));
	putc('\n', out);
}

static void
req_contains(const Field *f, int n, Arena *arena, Err *err, FILE *out)
{
	SpecifierSet set;
	SpecCandidate c;
	Prereleases pre;
	bool installed = false;

	if (!parse_pre(&f[3], &pre)) {
		answer_err(out, "bad request: the pre-release flag is default, allow or deny");
		return;
	}
	if (n == 5) {
		if (f[4].len != 9 || memcmp(f[4].s, "installed", 9) != 0) {
			answer_err(out, "bad request: the fifth field can only be 'installed'");
			return;
		}
		installed = true;
	}
	if (specset_parse(f[1].s, f[1].len, arena, &set, err) < 0) {
		answer_err(out, err->msg);
		return;
	}
	candidate(&f[2], arena, &c);
	fprintf(out, "ok\t%d\n", specset_contains(&set, &c, pre, installed));
}

static void
req_filter(const Field *f, int n, Arena *arena, Err *err, FILE *out)
{
	SpecifierSet set;
	Prereleases pre;
	size_t count = (size_t)(n - 3);

	if (!parse_pre(&f[2], &pre)) {
		answer_err(out, "bad request: the pre-release flag is default, allow or deny");
		return;
	}
	if (specset_parse(f[1].s, f[1].len, arena, &set, err) < 0) {
		answer_err(out, err->msg);
		return;
	}
	SpecCandidate *cands = arena_alloc(arena, (count + 1) * sizeof(*cands));
	bool *keep = arena_alloc(arena, (count + 1) * sizeof(*keep));

	for (size_t i = 0; i < count; i++)
		candidate(&f[3 + i], arena, &cands[i]);
	specset_filter(&set, cands, count, pre, keep);
	fputs("ok", out);
	for (size_t i = 0; i < count; i++)
		if (keep[i]) {
			putc('\t', out);
			put_escaped(out, cands[i].raw, cands[i].raw_len);
		}
	putc('\n', out);
}

static int
serve(FILE *in, FILE *out)
{
	static Field fields[MAX_FIELDS];
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	Arena arena = { 0 };
	Err err;

	while ((len = getline(&line, &cap, in)) >= 0) {
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		int n = split_fields(line, (size_t)len, fields, MAX_FIELDS);
		char op = n > 0 && fields[0].len == 1 ? fields[0].s[0] : '?';

		err.msg[0] = '\0';
		if (n < 0)
			answer_err(out, "bad request: a bad escape or too many fields");
		else if (op == 'V' && n == 2)
			req_version(fields, &arena, &err, out);
		else if (op == 'C' && n == 3)
			req_compare(fields, &arena, &err, out);
		else if (op == 'S' && n == 2)
			req_specset(fields, &arena, &err, out);
		else if (op == 'I' && (n == 4 || n == 5))
			req_contains(fields, n, &arena, &err, out);
		else if (op == 'F' && n >= 3)
			req_filter(fields, n, &arena, &err, out);
		else
			answer_err(out, "bad request: expected V, C, S, I or F with its fields");
		arena_free(&arena);
	}
	free(line);
	if (fflush(out) != 0 || ferror(out)) {
		perror("pkgtool: writing answers");
		return 1;
	}
	return 0;
}

/* ---------------------------------------------------------------- bench */

typedef struct Lines {
	Field *items;
	size_t len, cap;
	char *data;
} Lines;

/* Read FILE into memory, one unescaped line per item (empty lines skipped). */
static int
load_lines(const char *path, Lines *out)
{
	FILE *f = fopen(path, "rb");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	memset(out, 0, sizeof(*out));
	if (!f) {
		perror(path);
		return -1;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0)
			continue;
		xgrow(&out->items, &out->cap, out->len + 1, sizeof(*out->items));
		out->items[out->len].s = xstrndup(line, (size_t)len);
		out->items[out->len].len = (size_t)len;
		out->len++;
	}
	free(line);
	fclose(f);
	return 0;
}

static void
free_lines(Lines *l)
{
	for (size_t i = 0; i < l->len; i++)
		free(l->items[i].s);
	free(l->items);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
cmp_version_ptr(const void *a, const void *b)
{
	return version_cmp(*(const Version *const *)a, *(const Version *const *)b);
}

static int
bench_versions(const Lines *in, int reps, double *secs, uint64_t *check)
{
	size_t n = in->len;
	Version *vs = xmalloc((n + 1) * sizeof(*vs));
	const Version **order = xmalloc((n + 1) * sizeof(*order));
	int rc = 0;

	for (int r = 0; r < reps && rc == 0; r++) {
		Arena arena = { 0 };
		double t = now();

		for (size_t i = 0; i < n; i++) {
			Field f = in->items[i];

			if (version_parse(f.s, f.len, &arena, &vs[i], NULL) < 0) {
				fprintf(stderr, "pkgtool bench: not a valid version: %.*s\n", (int)f.len, f.s);
				rc = -1;
				break;
			}
			order[i] = &vs[i];
		}
		if (rc < 0) {
			arena_free(&arena);
			break;
		}
		qsort(order, n, sizeof(*order), cmp_version_ptr);
		secs[r] = now() - t;
		/* Neighbours that compare equal once sorted ("1.0" next to "1.0.0"): a count
		 * both sides must agree on, whatever their sort does with equal keys. */
		*check = 0;
		for (size_t i = 1; i < n; i++)
			*check += version_cmp(order[i - 1], order[i]) == 0;
		arena_free(&arena);
	}
	free(vs);
	free(order);
	return rc;
}

static int
bench_specparse(const Lines *in, int reps, double *secs, uint64_t *check)
{
	for (int r = 0; r < reps; r++) {
		Arena arena = { 0 };
		SpecifierSet set;
		double t = now();

		*check = 0;
		for (size_t i = 0; i < in->len; i++) {
			if (specset_parse(in->items[i].s, in->items[i].len, &arena, &set, NULL) < 0) {
				fprintf(stderr, "pkgtool bench: not a valid specifier set: %.*s\n",
					(int)in->items[i].len, in->items[i].s);
				arena_free(&arena);
				return -1;
			}
			*check += set.len;
		}
		secs[r] = now() - t;
		arena_free(&arena);
	}
	return 0;
}

static int
bench_specifiers(const Lines *in, int reps, double *secs, uint64_t *check)
{
	size_t n = in->len;
	SpecifierSet *sets = xmalloc((n + 1) * sizeof(*sets));
	SpecCandidate *cands = xmalloc((n + 1) * sizeof(*cands));
	Version *vs = xmalloc((n + 1) * sizeof(*vs));
	Arena arena = { 0 };
	Err err;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		Field f[3];

		if (split_fields(in->items[i].s, in->items[i].len, f, 3) != 2) {
			fprintf(stderr, "pkgtool bench: line %zu: expected SET<TAB>VERSION\n", i + 1);
			rc = -1;
		} else if (specset_parse(f[0].s, f[0].len, &arena, &sets[i], &err) < 0 ||
			   version_parse(f[1].s, f[1].len, &arena, &vs[i], &err) < 0) {
			fprintf(stderr, "pkgtool bench: line %zu: %s\n", i + 1, err.msg);
			rc = -1;
		} else {
			cands[i] = (SpecCandidate){ &vs[i], f[1].s, f[1].len };
		}
	}
	for (int r = 0; r < reps && rc == 0; r++) {
		uint64_t hits = 0;
		double t = now();

		for (size_t i = 0; i < n; i++)
			hits += specset_contains(&sets[i], &cands[i], PRERELEASES_ALLOW, false);
		secs[r] = now() - t;
		*check = hits;
	}
	arena_free(&arena);
	free(sets);
	free(cands);
	free(vs);
	return rc;
}

/* Read a whole file into memory (malloc'd). */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t cap = 0, n = 0, got;

	if (!f) {
		perror(path);
		return NULL;
	}
	do {
		xgrow(&data, &cap, n + 65536, 1);
		got = fread(data + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		perror(path);
		free(data);
		data = NULL;
	}
	fclose(f);
	*len = n;
	return data;
}

static int
bench_metadata(const Lines *in, int reps, double *secs, uint64_t *check)
{
	size_t n = in->len;
	Field *files = xcalloc(n + 1, sizeof(*files));
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++)
		if (!(files[i].s = slurp(in->items[i].s, &files[i].len)))
			rc = -1;
	for (int r = 0; r < reps && rc == 0; r++) {
		Arena arena = { 0 };
		Metadata m;
		Err err;
		uint64_t reqs = 0;
		double t = now();

		for (size_t i = 0; i < n; i++) {
			if (metadata_parse(files[i].s, files[i].len, &arena, &m, &err) < 0) {
				fprintf(stderr, "pkgtool bench: %s: %s\n", in->items[i].s, err.msg);
				rc = -1;
				break;
			}
			reqs += m.requires_dist_len;
		}
		secs[r] = now() - t;
		*check = reqs;
		arena_free(&arena);
	}
	for (size_t i = 0; i < n; i++)
		free(files[i].s);
	free(files);
	return rc;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
bench(const char *kind, const char *path, int reps)
{
	Lines in;
	uint64_t check = 0;
	int rc;

	if (reps < 1 || reps > 1000) {
		fprintf(stderr, "pkgtool bench: REPS must be 1..1000\n");
		return 2;
	}
	if (load_lines(path, &in) < 0)
		return 1;
	if (in.len == 0) {
		fprintf(stderr, "pkgtool bench: %s has no inputs\n", path);
		free_lines(&in);
		return 1;
	}
	/* Every kind but specifiers reads the file's lines as they are; unescape them here
	 * (specifiers splits and unescapes its two fields itself). */
	if (strcmp(kind, "specifiers") != 0)
		for (size_t i = 0; i < in.len; i++) {
			Field f;

			if (split_fields(in.items[i].s, in.items[i].len, &f, 1) != 1) {
				fprintf(stderr, "pkgtool bench: line %zu: a TAB or a bad escape\n", i + 1);
				free_lines(&in);
				return 1;
			}
			in.items[i].len = f.len;
		}

	double *secs = xcalloc((size_t)reps, sizeof(*secs));

	if (strcmp(kind, "versions") == 0)
		rc = bench_versions(&in, reps, secs, &check);
	else if (strcmp(kind, "specparse") == 0)
		rc = bench_specparse(&in, reps, secs, &check);
	else if (strcmp(kind, "specifiers") == 0)
		rc = bench_specifiers(&in, reps, secs, &check);
	else if (strcmp(kind, "metadata") == 0)
		rc = bench_metadata(&in, reps, secs, &check);
	else {
		fprintf(stderr, "pkgtool bench: unknown kind '%s' (versions, specparse, specifiers, metadata)\n", kind);
		rc = -2;
	}
	if (rc == 0) {
		printf("{\"kind\": \"%s\", \"ops\": %zu, \"seconds\": [", kind, in.len);
		for (int r = 0; r < reps; r++)
			printf("%s%.9f", r ? ", " : "", secs[r]);
		qsort(secs, (size_t)reps, sizeof(*secs), cmp_double);
		double med = reps % 2 ? secs[reps / 2] : (secs[reps / 2 - 1] + secs[reps / 2]) / 2;
		printf("], \"ops_per_sec\": %.1f, \"check\": %llu}\n",
		       med > 0 ? (double)in.len / med : 0.0, (unsigned long long)check);
	}
	free(secs);
	free_lines(&in);
	return rc == 0 ? 0 : rc == -2 ? 2 : 1;
}

int
main(int argc, char **argv)
{
	if (argc >= 4 && argc <= 5 && strcmp(argv[1], "bench") == 0)
		return bench(argv[2], argv[3], argc == 5 ? atoi(argv[4]) : 1);
	if (argc != 1) {
		fprintf(stderr, "usage: pkgtool < requests\n"
			"       pkgtool bench versions|specparse|specifiers|metadata FILE [REPS]\n");
		return 2;
	}
	return serve(stdin, stdout);
}

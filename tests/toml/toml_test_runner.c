/*
 * toml_test_runner.c - runs toml-test's TOML 1.0.0 suite against packaging/toml.c.
 *
 * Every case listed in $TOML_TEST_DIR/files-toml-1.0.0 is run: a valid document must
 * parse and, written as toml-test's tagged JSON, match the expected .json the way the
 * upstream runner compares them (see the suite's README.md); an invalid document must
 * be rejected, with an error message of the form FILE:LINE:COL: message.
 *
 * Usage: toml_test_runner [-v] [SUBSTRING]. A SUBSTRING runs only the cases whose path
 * contains it; -v also prints the tagged JSON of each valid case.
 */
#include "config.h"

#include <cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/arena.h"
#include "engine/err.h"
#include "packaging/toml.h"

/* cJSON strings end at the first NUL, and TOML strings may hold NUL (a "\u0000"
 * escape). So that such strings are still compared whole, NUL becomes U+FDD0, a
 * noncharacter that occurs nowhere in the suite, on both sides. */
#define NUL_STANDIN "\xEF\xB7\x90"

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		xgrow(&data, &cap, n + 4096 + 1, 1);
		got = fread(data + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		fclose(f);
		free(data);
		return NULL;
	}
	fclose(f);
	data[n] = '\0';
	*len = n;
	return data;
}

/* A copy of s..s+n as a C string, with NUL bytes replaced by the stand-in. */
static char *
nul_safe(const char *s, size_t n)
{
	char *out = xmalloc(n * 3 + 1), *o = out;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\0') {
			memcpy(o, NUL_STANDIN, 3);
			o += 3;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

/* Rewrites each JSON escape \u0000 in text to \ufdd0, in place (same length). */
static void
json_nul_standin(char *text)
{
	bool in_string = false;
	char *p;

	for (p = text; *p; p++) {
		if (*p == '"') {
			in_string = !in_string;
		} else if (in_string && *p == '\\') {
			if (strncmp(p + 1, "u0000", 5) == 0)
				memcpy(p + 1, "ufdd0", 5);
			if (p[1])
				p++;
		}
	}
}

static cJSON *
scalar(const char *type, const char *value)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "type", cJSON_CreateString(type));
	cJSON_AddItemToObject(o, "value", cJSON_CreateString(value));
	return o;
}

static void
format_datetime(const TomlValue *v, char *buf, size_t size)
{
	const TomlDatetime *d = &v->u.dt;
	size_t n = 0;

	if (v->type != TOML_TIME_LOCAL)
		n += (size_t)snprintf(buf + n, size - n, "%04d-%02d-%02d", d->year, d->month,
				      d->day);
	if (v->type == TOML_DATE_LOCAL)
		return;
	if (v->type != TOML_TIME_LOCAL)
		buf[n++] = 'T';
	n += (size_t)snprintf(buf + n, size - n, "%02d:%02d:%02d", d->hour, d->minute, d->second);
	if (d->nanosecond)
		n += (size_t)snprintf(buf + n, size - n, ".%09d", d->nanosecond);
	if (v->type == TOML_DATETIME) {
		int off = d->offset_minutes;

		if (off == 0)
			snprintf(buf + n, size - n, "Z");
		else
			snprintf(buf + n, size - n, "%c%02d:%02d", off < 0 ? '-' : '+',
				 abs(off) / 60, abs(off) % 60);
	}
}

/* The tagged JSON of a value, as toml-test's README describes it. */
static cJSON *
tagged(const TomlValue *v)
{
	char buf[64];
	cJSON *o;
	size_t i;

	switch (v->type) {
	case TOML_TABLE:
		o = cJSON_CreateObject();
		for (i = 0; i < v->u.table.len; i++) {
			const TomlEntry *e = &v->u.table.entries[i];
			char *key = nul_safe(e->key, e->key_len);

			cJSON_AddItemToObject(o, key, tagged(e->value));
			free(key);
		}
		return o;
	case TOML_ARRAY:
		o = cJSON_CreateArray();
		for (i = 0; i < v->u.arr.len; i++)
			cJSON_AddItemToArray(o, tagged(v->u.arr.items[i]));
		return o;
	case TOML_STRING: {
		char *s = nul_safe(v->u.str.ptr, v->u.str.len);

		o = scalar("string", s);
		free(s);
		return o;
	}
	case TOML_INTEGER:
		snprintf(buf, sizeof(buf), "%" PRId64, v->u.integer);
		break;
	case TOML_FLOAT:
		if (isnan(v->u.flt))
			snprintf(buf, sizeof(buf), "nan");
		else if (isinf(v->u.flt))
			snprintf(buf, sizeof(buf), "%sinf", v->u.flt < 0 ? "-" : "");
		else
			snprintf(buf, sizeof(buf), "%.17g", v->u.flt);
		break;
	case TOML_BOOL:
		snprintf(buf, sizeof(buf), "%s", v->u.boolean ? "true" : "false");
		break;
	case TOML_DATETIME:
	case TOML_DATETIME_LOCAL:
	case TOML_DATE_LOCAL:
	case TOML_TIME_LOCAL:
		format_datetime(v, buf, sizeof(buf));
		break;
	}
	return scalar(toml_type_name(v->type), buf);
}

/* ------------------------------------------------------------------ comparison */

typedef struct Instant {
	int year, month, day, hour, minute, second;
	long nano;
	int offset;  /* minutes */
} Instant;

static bool
two(const char *p, int *out)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return false;
	*out = (p[0] - '0') * 10 + (p[1] - '0');
	return true;
}

/* Parses one of the four layouts after toml-test's normalisation of ' ', 't', 'z'. */
static bool
parse_instant(const char *type, const char *text, Instant *t)
{
	char s[128], *p;
	size_t i;
	int hi, lo;
	bool date = strcmp(type, "time-local") != 0;
	bool time = strcmp(type, "date-local") != 0;

	memset(t, 0, sizeof(*t));
	if (strlen(text) >= sizeof(s))
		return false;
	for (i = 0; text[i]; i++)
		s[i] = text[i] == ' ' || text[i] == 't' ? 'T' : text[i] == 'z' ? 'Z' : text[i];
	s[i] = '\0';
	p = s;
	if (date) {
		if (!two(p, &hi) || !two(p + 2, &lo) || p[4] != '-' || !two(p + 5, &t->month) ||
		    p[7] != '-' || !two(p + 8, &t->day))
			return false;
		t->year = hi * 100 + lo;
		p += 10;
		if (time && *p++ != 'T')
			return false;
	}
	if (time) {
		long scale = 100000000;

		if (!two(p, &t->hour) || p[2] != ':' || !two(p + 3, &t->minute) || p[5] != ':' ||
		    !two(p + 6, &t->second))
			return false;
		p += 8;
		if (*p == '.') {
			for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
				t->nano += (*p - '0') * scale;
		}
	}
	if (strcmp(type, "datetime") == 0) {
		if (*p == 'Z') {
			p++;
		} else if ((*p == '+' || *p == '-') && two(p + 1, &hi) && p[3] == ':' &&
			   two(p + 4, &lo)) {
			t->offset = (*p == '-' ? -1 : 1) * (hi * 60 + lo);
			p += 6;
		} else {
			return false;
		}
	}
	return *p == '\0';
}

/* Days from 1970-01-01 to a proleptic Gregorian date. */
static long
days_from_civil(int y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool
same_datetime(const char *type, const char *want, const char *have)
{
	Instant a, b;

	if (!parse_instant(type, want, &a) || !parse_instant(type, have, &b))
		return false;
	if (strcmp(type, "datetime") == 0) {
		long long sa = (days_from_civil(a.year, a.month, a.day) * 86400LL +
				a.hour * 3600 + a.minute * 60 + a.second) - a.offset * 60LL;
		long long sb = (days_from_civil(b.year, b.month, b.day) * 86400LL +
				b.hour * 3600 + b.minute * 60 + b.second) - b.offset * 60LL;

		return sa == sb && a.nano == b.nano;
	}
	return a.year == b.year && a.month == b.month && a.day == b.day && a.hour == b.hour &&
	       a.minute == b.minute && a.second == b.second && a.nano == b.nano;
}

static bool
same_float(const char *want, const char *have)
{
	char *end1, *end2;
	double a = strtod(want, &end1), b = strtod(have, &end2);

	if (*end1 || *end2 || !*want || !*have)
		return false;
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	return a == b;
}

/* A scalar wrapper is an object of exactly two string members, type and value. */
static bool
is_scalar(const cJSON *o)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "type");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "value");

	return cJSON_IsObject(o) && cJSON_GetArraySize(o) == 2 && cJSON_IsString(t) &&
	       cJSON_IsString(v);
}

static bool
compare(const cJSON *want, const cJSON *have, const char *path, char *why, size_t size)
{
	char sub[1024];
	const cJSON *w;
	int i;

	if (cJSON_IsArray(want)) {
		if (!cJSON_IsArray(have)) {
			snprintf(why, size, "%s: expected an array", path);
			return false;
		}
		if (cJSON_GetArraySize(want) != cJSON_GetArraySize(have)) {
			snprintf(why, size, "%s: expected %d elements, got %d", path,
				 cJSON_GetArraySize(want), cJSON_GetArraySize(have));
			return false;
		}
		for (i = 0; i < cJSON_GetArraySize(want); i++) {
			snprintf(sub, sizeof(sub), "%s[%d]", path, i);
			if (!compare(cJSON_GetArrayItem(want, i), cJSON_GetArrayItem(have, i), sub,
				     why, size))
				return false;
		}
		return true;
	}
	if (!cJSON_IsObject(want)) {
		snprintf(why, size, "%s: the expected JSON holds something other than an object "
			 "or array", path);
		return false;
	}
	if (is_scalar(want)) {
		const char *wt = cJSON_GetObjectItemCaseSensitive(want, "type")->valuestring;
		const char *wv = cJSON_GetObjectItemCaseSensitive(want, "value")->valuestring;
		const char *ht, *hv;
		bool same;

		if (!is_scalar(have)) {
			snprintf(why, size, "%s: expected a %s, got a table or array", path, wt);
			return false;
		}
		ht = cJSON_GetObjectItemCaseSensitive(have, "type")->valuestring;
		hv = cJSON_GetObjectItemCaseSensitive(have, "value")->valuestring;
		if (strcmp(wt, ht) != 0) {
			snprintf(why, size, "%s: expected type %s, got %s", path, wt, ht);
			return false;
		}
		if (strcmp(wt, "float") == 0)
			same = same_float(wv, hv);
		else if (strcmp(wt, "bool") == 0)
			same = strcasecmp(wv, hv) == 0;
		else if (strcmp(wt, "string") == 0 || strcmp(wt, "integer") == 0)
			same = strcmp(wv, hv) == 0;
		else
			same = same_datetime(wt, wv, hv);
		if (!same)
			snprintf(why, size, "%s: expected %s %s, got %s", path, wt, wv, hv);
		return same;
	}
	if (!cJSON_IsObject(have) || is_scalar(have)) {
		snprintf(why, size, "%s: expected a table", path);
		return false;
	}
	if (cJSON_GetArraySize(want) != cJSON_GetArraySize(have)) {
		snprintf(why, size, "%s: expected %d keys, got %d", path, cJSON_GetArraySize(want),
			 cJSON_GetArraySize(have));
		return false;
	}
	cJSON_ArrayForEach(w, want) {
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(have, w->string);

		snprintf(sub, sizeof(sub), "%s.%s", path, w->string);
		if (!h) {
			snprintf(why, size, "%s: missing key", sub);
			return false;
		}
		if (!compare(w, h, sub, why, size))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------ cases */

/* An error message must read "NAME:LINE:COL: message". */
static bool
well_formed_error(const char *msg, const char *name)
{
	size_t n = strlen(name);
	const char *p = msg + n;
	int i;

	if (strncmp(msg, name, n) != 0)
		return false;
	for (i = 0; i < 2; i++) {
		if (*p++ != ':' || *p < '1' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return p[0] == ':' && p[1] == ' ' && p[2] != '\0';
}

/* Runs one case; on failure returns false with the reason in why. */
static bool
run_case(const char *dir, const char *name, bool valid, bool verbose, char *why, size_t size)
{
	char path[4096];
	char *data, *expected_text = NULL, *have_text;
	size_t len, elen;
	TomlValue *root;
	Arena arena = { 0 };
	Err err;
	cJSON *have = NULL, *want = NULL;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(data = read_file(path, &len))) {
		snprintf(why, size, "cannot read %.1024s", path);
		return false;
	}
	if (toml_parse(data, len, name, &arena, &root, &err) != 0) {
		free(data);
		arena_free(&arena);
		if (valid) {
			snprintf(why, size, "rejected a valid document: %.1500s", err.msg);
			return false;
		}
		if (!well_formed_error(err.msg, name)) {
			snprintf(why, size, "error message not of the form FILE:LINE:COL: %.1500s",
				 err.msg);
			return false;
		}
		return true;
	}
	free(data);
	if (!valid) {
		arena_free(&arena);
		snprintf(why, size, "accepted an invalid document");
		return false;
	}
	have = tagged(root);
	arena_free(&arena);
	if (verbose) {
		have_text = cJSON_Print(have);
		printf("%s:\n%s\n", name, have_text);
		free(have_text);
	}
	snprintf(path + strlen(path) - strlen(".toml"), sizeof(path) - strlen(path) + 5, ".json");
	if (!(expected_text = read_file(path, &elen))) {
		snprintf(why, size, "cannot read %.1024s", path);
		cJSON_Delete(have);
		return false;
	}
	json_nul_standin(expected_text);
	if (!(want = cJSON_Parse(expected_text))) {
		snprintf(why, size, "cannot parse the expected JSON in %.1024s", path);
		ok = false;
	} else {
		ok = compare(want, have, "$", why, size);
	}
	free(expected_text);
	cJSON_Delete(want);
	cJSON_Delete(have);
	return ok;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int
main(int argc, char **argv)
{
	const char *dir = getenv("TOML_TEST_DIR"), *filter = NULL;
	char path[4096], line[1024], why[2048];
	int valid_total = 0, valid_ok = 0, invalid_total = 0, invalid_ok = 0, i;
	bool verbose = false;
	FILE *manifest;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0)
			verbose = true;
		else
			filter = argv[i];
	}
	if (!dir || !*dir) {
		fprintf(stderr, "toml_test_runner: TOML_TEST_DIR is not set\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/files-toml-1.0.0", dir);
	if (!(manifest = fopen(path, "r"))) {
		perror(path);
		return 1;
	}
	while (fgets(line, sizeof(line), manifest)) {
		bool valid;

		line[strcspn(line, "\r\n")] = '\0';
		if (!ends_with(line, ".toml") || (filter && !strstr(line, filter)))
			continue;
		if (strncmp(line, "valid/", 6) == 0)
			valid = true;
		else if (strncmp(line, "invalid/", 8) == 0)
			valid = false;
		else
			continue;
		if (valid)
			valid_total++;
		else
			invalid_total++;
		if (run_case(dir, line, valid, verbose, why, sizeof(why))) {
			if (valid)
				valid_ok++;
			else
				invalid_ok++;
		} else {
			printf("FAIL %s: %s\n", line, why);
		}
	}
	fclose(manifest);
	printf("toml-test 1.0.0: %d/%d valid passed, %d/%d invalid rejected, %d failures\n",
	       valid_ok, valid_total, invalid_ok, invalid_total,
	       valid_total - valid_ok + invalid_total - invalid_ok);
	if (valid_total + invalid_total == 0) {
		fprintf(stderr, "toml_test_runner: no cases found in %s\n", path);
		return 1;
	}
	return valid_ok == valid_total && invalid_ok == invalid_total ? 0 : 1;
}

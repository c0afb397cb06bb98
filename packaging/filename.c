/*
 * filename.c - see filename.h.
 *
 * The rules are packaging's (26.3), which pip applies to every link of an index page:
 *
 *  - a wheel has exactly 4 or 5 '-' before ".whl"; the last three parts are the tags,
 *    a fifth part is the build tag and must start with a digit;
 *  - the wheel's name part is letters, digits, '_' and '.', without "__" and not empty.
 *    packaging means Unicode letters and digits (its pattern is "\w"); here any byte
 *    of a non-ASCII character passes, since telling letters from symbols needs Unicode
 *    tables, and no such name can match a project anyway (project names are ASCII);
 *  - an sdist's name is whatever comes before the last '-' (legacy sdists have '-' in
 *    their names) as long as it is not empty, and it is only normalized, not checked.
 *
 * NUL bytes are refused outright: what comes out is NUL-terminated strings.
 */
#include "config.h"

#include "filename.h"

#include <string.h>

#include "name.h"

#define SHOWN(len) ((int)((len) > 512 ? 512 : (len)))

static bool
ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

static bool
wheel_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '_' && i + 1 < n && s[i + 1] == '_')
			return false;
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '_' || c == '.' || c >= 0x80))
			return false;
	}
	return true;
}

static void
set_name(const char *s, size_t n, Arena *arena, const char **name, uint32_t *name_len)
{
	char *out = arena_alloc(arena, n + 1);

	*name_len = (uint32_t)name_normalize_into(s, n, out);
	*name = out;
}

int
filename_wheel_parse(const char *s, size_t len, unsigned flags, Arena *arena,
		     WheelFilename *out, Err *err)
{
	const char *dash[5], *stem_end, *tag_start, *p;
	size_t dashes = 0;
	Err tag_err;

	memset(out, 0, sizeof(*out));
	if (len > UINT32_MAX)
		return err_set(err, "wheel file name is too long (%zu bytes)", len);
	if (memchr(s, '\0', len))
		return err_set(err, "invalid wheel file name: it contains a NUL byte");
	if (!ends_with(s, len, ".whl"))
		return err_set(err, "invalid wheel file name '%.*s': expected the extension '.whl'",
			       SHOWN(len), s);
	stem_end = s + len - 4;
	for (p = s; p < stem_end && dashes <= 5; p++)
		if (*p == '-' && dashes++ < 5)
			dash[dashes - 1] = p;
	if (dashes != 4 && dashes != 5)
		return err_set(err,
			       "invalid wheel file name '%.*s': expected "
			       "name-version(-build)-python-abi-platform.whl (4 or 5 '-', found %s%zu)",
			       SHOWN(len), s, dashes > 5 ? "more than " : "",
			       dashes > 5 ? (size_t)5 : dashes);

	if (!wheel_name_ok(s, (size_t)(dash[0] - s)))
		return err_set(err,
			       "invalid wheel file name '%.*s': the project name '%.*s' must be "
			       "letters, digits, '_' and '.', not empty and without '__'",
			       SHOWN(len), s, SHOWN(dash[0] - s), s);
	set_name(s, (size_t)(dash[0] - s), arena, &out->name, &out->name_len);

	if (version_parse(dash[0] + 1, (size_t)(dash[1] - dash[0] - 1), arena, &out->version,
			  NULL) != 0)
		return err_set(err, "invalid wheel file name '%.*s': '%.*s' is not a PEP 440 version",
			       SHOWN(len), s, SHOWN(dash[1] - dash[0] - 1), dash[0] + 1);

	if (dashes == 5) {
		const char *b = dash[1] + 1, *end, *num, *d;
		size_t blen = (size_t)(dash[2] - b);

		if (blen == 0 || !(*b >= '0' && *b <= '9'))
			return err_set(err,
				       "invalid wheel file name '%.*s': the build tag '%.*s' must "
				       "start with a digit",
				       SHOWN(len), s, SHOWN(blen), b);
		b = arena_strndup(arena, b, blen);
		end = b + blen;
		for (d = b; d < end && *d >= '0' && *d <= '9'; d++)
			;
		/* The number as Python's int() reads it: "007" is 7, "00" is 0. */
		for (num = b; num + 1 < d && *num == '0'; num++)
			;
		out->has_build = true;
		out->build_num.digits = num;
		out->build_num.len = (uint32_t)(d - num);
		out->build_suffix = d;
		out->build_suffix_len = (uint32_t)(end - d);
		tag_start = dash[2] + 1;
	} else {
		out->build_suffix = "";
		tag_start = dash[1] + 1;
	}

	if (tags_parse(tag_start, (size_t)(stem_end - tag_start), flags & TAGS_VALIDATE_ORDER, 0,
		       arena, &out->tags, &tag_err) != 0)
		return err_set(err, "invalid wheel file name '%.*s': %s", SHOWN(len), s,
			       tag_err.msg);
	return 0;
}

int
filename_sdist_parse(const char *s, size_t len, Arena *arena, SdistFilename *out, Err *err)
{
	size_t stem;
	const char *dash = NULL, *p;

	memset(out, 0, sizeof(*out));
	if (len > UINT32_MAX)
		return err_set(err, "sdist file name is too long (%zu bytes)", len);
	if (memchr(s, '\0', len))
		return err_set(err, "invalid sdist file name: it contains a NUL byte");
	if (ends_with(s, len, ".tar.gz")) {
		out->format = SDIST_TAR_GZ;
		stem = len - 7;
	} else if (ends_with(s, len, ".zip")) {
		out->format = SDIST_ZIP;
		stem = len - 4;
	} else {
		return err_set(err,
			       "invalid sdist file name '%.*s': expected the extension '.tar.gz' "
			       "(or the legacy '.zip')",
			       SHOWN(len), s);
	}
	/* A version has no '-', so the last one separates it from the name. */
	for (p = s; p < s + stem; p++)
		if (*p == '-')
			dash = p;
	if (!dash)
		return err_set(err, "invalid sdist file name '%.*s': expected name-version%s",
			       SHOWN(len), s, out->format == SDIST_ZIP ? ".zip" : ".tar.gz");
	if (dash == s)
		return err_set(err, "invalid sdist file name '%.*s': the project name is empty",
			       SHOWN(len), s);
	if (version_parse(dash + 1, (size_t)(s + stem - dash - 1), arena, &out->version, NULL) !=
	    0)
		return err_set(err, "invalid sdist file name '%.*s': '%.*s' is not a PEP 440 version",
			       SHOWN(len), s, SHOWN(s + stem - dash - 1), dash + 1);
	set_name(s, (size_t)(dash - s), arena, &out->name, &out->name_len);
	return 0;
}

/* The normalized name as file names spell it: '_' for '-'. */
static char *
file_name_part(const char *name, uint32_t len, Arena *arena)
{
	char *out = arena_strndup(arena, name, len);
	uint32_t i;

	for (i = 0; i < len; i++)
		if (out[i] == '-')
			out[i] = '_';
	return out;
}

char *
filename_wheel_format(const WheelFilename *w, Arena *arena)
{
	const char *name = file_name_part(w->name, w->name_len, arena);
	const char *tags = tags_set_format(&w->tags, arena);

	if (!w->has_build)
		return arena_printf(arena, "%s-%s-%s.whl", name, w->version.str, tags);
	return arena_printf(arena, "%s-%s-%.*s%s-%s.whl", name, w->version.str,
			    (int)w->build_num.len, w->build_num.digits, w->build_suffix, tags);
}

char *
filename_sdist_format(const SdistFilename *s, Arena *arena)
{
	return arena_printf(arena, "%s-%s%s", file_name_part(s->name, s->name_len, arena),
			    s->version.str, s->format == SDIST_ZIP ? ".zip" : ".tar.gz");
}

int
filename_build_cmp(const WheelFilename *a, const WheelFilename *b)
{
	int c;
	uint32_t n;

	if (a->has_build != b->has_build)
		return a->has_build ? 1 : -1;
	if (!a->has_build)
		return 0;
	if ((c = versionnum_cmp(a->build_num, b->build_num)))
		return c;
	/* Python compares the suffixes as strings: code points, which is UTF-8 byte order. */
	n = a->build_suffix_len < b->build_suffix_len ? a->build_suffix_len : b->build_suffix_len;
	if ((c = memcmp(a->build_suffix, b->build_suffix, n)))
		return c < 0 ? -1 : 1;
	return a->build_suffix_len < b->build_suffix_len ? -1 :
	       a->build_suffix_len > b->build_suffix_len;
}

long
filename_wheel_rank(const WheelFilename *w, const TagList *supported)
{
	return tags_list_rank(supported, &w->tags);
}

int
filename_wheel_prefer(const WheelFilename *a, long rank_a, const WheelFilename *b, long rank_b)
{
	if (rank_a == TAGS_INCOMPATIBLE || rank_b == TAGS_INCOMPATIBLE) {
		if (rank_a == rank_b)
			return 0;
		return rank_a == TAGS_INCOMPATIBLE ? 1 : -1;
	}
	if (rank_a != rank_b)
		return rank_a < rank_b ? -1 : 1;
	/* pip's sort key ends with the build tag: the higher one wins. */
	return -filename_build_cmp(a, b);
}

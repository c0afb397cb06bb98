/*
 * specifier.c - PEP 440 version specifiers (specifier.h).
 *
 * Matching follows the words of PEP 440 clause by clause ("'<V' must not allow a
 * pre-release of V unless V is itself a pre-release", ...) rather than the intervals of
 * range.c, on purpose: the two are written independently and a property test checks
 * that they agree on every generated version.
 *
 * "~=V" takes its prefix from V's parsed release ("~=1.0c1" is ">=1.0rc1, ==1.*"), as
 * PEP 440 says. packaging splits the text as written instead, so for unusual spellings
 * ("~=1.0c1", "~=1.0.pre1", "~=1.0.rev1") it builds "==1.0.*" and rejects 1.1.
 */
#include "config.h"

#include "specifier.h"

#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "../engine/buf.h"

static const char *const op_text[] = {"==", "!=", "<", "<=", ">", ">=", "~=", "==="};

const char *
spec_op_str(SpecOp op)
{
	return op_text[op];
}

/* Skip white space at the start of s (Unicode too: packaging matches with \s). */
static void
skip_space(const char **s, size_t *len)
{
	size_t k;

	while (*len && (k = version_space_len(*s, *len)))
		*s += k, *len -= k;
}

static int
bad(Err *err, const char *s, size_t len, const char *why)
{
	Buf shown = {0};

	if (!err)
		return -1;
	buf_put_quoted(&shown, s, len, 200);
	err_set(err, "%s" SPECIFIER_ERROR_PHRASE "%s", shown.data, why);
	buf_free(&shown);
	return -1;
}

/* The operator at s; its length in *oplen, or -1. Longest first: "===" before "==". */
static int
parse_op(const char *s, size_t len, size_t *oplen)
{
	static const struct { const char *text; SpecOp op; } ops[] = {
		{"===", SPEC_ARBITRARY}, {"==", SPEC_EQ}, {"!=", SPEC_NE}, {"~=", SPEC_COMPATIBLE},
		{"<=", SPEC_LE}, {">=", SPEC_GE}, {"<", SPEC_LT}, {">", SPEC_GT},
	};
	size_t i, n;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		n = strlen(ops[i].text);
		if (len >= n && memcmp(s, ops[i].text, n) == 0) {
			*oplen = n;
			return (int)ops[i].op;
		}
	}
	return -1;
}

/* "V.*" is only a release (and epoch): no pre, post, dev or local part. */
static bool
is_plain_release(const Version *v)
{
	return v->pre_kind == VERSION_PRE_NONE && !v->has_post && !v->has_dev && v->local_len == 0;
}

int
specifier_parse(const char *s, size_t len, Arena *arena, Specifier *out, Err *err)
{
	const char *orig = s;
	size_t orig_len = len, oplen, i;
	int op;

	version_strip(&s, &len);
	memset(out, 0, sizeof(*out));
	if ((op = parse_op(s, len, &oplen)) < 0)
		return bad(err, orig, orig_len, "it must start with an operator (==, !=, <=, >=, <, >, ~= or ===)");
	out->op = (SpecOp)op;
	s += oplen, len -= oplen;
	skip_space(&s, &len);
	/* packaging takes a bare "===" as matching the empty string; no index lists one */
	if (len == 0)
		return bad(err, orig, orig_len, "a version must follow the operator");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (version_space_len(s + i, len - i) || (out->op == SPEC_ARBITRARY && (c == ';' || c == ')')))
			return bad(err, orig, orig_len, "the version contains white space or other text");
		/* a NUL or escape byte would vanish or garble when the clause is printed */
		if (c < 0x20 || c == 0x7f)
			return bad(err, orig, orig_len, "the version contains a control character");
	}
	out->text = arena_strndup(arena, s, len);
	out->text_len = len;
	if (out->op == SPEC_ARBITRARY)
		return 0;
	if (len >= 2 && s[len - 2] == '.' && s[len - 1] == '*') {
		if (out->op != SPEC_EQ && out->op != SPEC_NE)
			return bad(err, orig, orig_len, "'.*' is only allowed with == and !=");
		out->wildcard = true;
		len -= 2;
	}
	for (i = 0; i < len; i++)
		if (s[i] & 0x80)
			return bad(err, orig, orig_len, "a version is ASCII letters, digits and punctuation");
	if (version_parse(s, len, arena, &out->version, NULL) != 0)
		return bad(err, orig, orig_len, "the version is not a valid PEP 440 version");
	if (out->wildcard && !is_plain_release(&out->version))
		return bad(err, orig, orig_len, "'.*' may only follow a release number such as 1.2");
	if (out->version.local_len && out->op != SPEC_EQ && out->op != SPEC_NE)
		return bad(err, orig, orig_len, "a local version (+label) is only allowed with == and !=");
	if (out->op == SPEC_COMPATIBLE && out->version.release_len < 2)
		return bad(err, orig, orig_len, "~= needs at least two release numbers, e.g. ~=1.4");
	return 0;
}

int
specset_parse(const char *s, size_t len, Arena *arena, SpecifierSet *out, Err *err)
{
	size_t i, start = 0, count = 0, n = 1;

	for (i = 0; i < len; i++)
		n += s[i] == ',';
	out->items = arena_alloc(arena, n * sizeof(*out->items));
	out->len = 0;
	for (i = 0; i <= len; i++) {
		const char *clause = s + start;
		size_t clause_len = i - start;

		if (i < len && s[i] != ',')
			continue;
		version_strip(&clause, &clause_len);
		if (clause_len && specifier_parse(clause, clause_len, arena, &out->items[count++], err) != 0)
			return -1;
		start = i + 1;
	}
	out->len = count;
	return 0;
}

/* C's release, zero-padded, starts with the first n components of p's release. */
static bool
release_prefix(const Version *c, const Version *p, uint32_t n)
{
	static const VersionNum zero = {"0", 1};
	uint32_t i;

	if (versionnum_cmp(c->epoch, p->epoch) != 0)
		return false;
	for (i = 0; i < n; i++)
		if (versionnum_cmp(i < c->release_len ? c->release[i] : zero, p->release[i]) != 0)
			return false;
	return true;
}

static bool
release_equal(const Version *a, const Version *b)
{
	uint32_t i;

	if (versionnum_cmp(a->epoch, b->epoch) != 0 || a->release_sig != b->release_sig)
		return false;
	for (i = 0; i < a->release_sig; i++)
		if (versionnum_cmp(a->release[i], b->release[i]) != 0)
			return false;
	return true;
}

static bool
pre_equal(const Version *a, const Version *b)
{
	return a->pre_kind == b->pre_kind &&
	       (a->pre_kind == VERSION_PRE_NONE || versionnum_cmp(a->pre, b->pre) == 0);
}

static bool
equal_match(const Specifier *sp, const Version *c)
{
	if (sp->wildcard)
		return release_prefix(c, &sp->version, sp->version.release_len);
	if (sp->version.local_len)
		return version_cmp(c, &sp->version) == 0;
	return version_cmp_public(c, &sp->version) == 0;
}

/* "C is a post-release of V": V's epoch, release and pre-release, with a post part. */
static bool
is_post_of(const Version *c, const Version *v)
{
	return c->has_post && release_equal(c, v) && pre_equal(c, v);
}

/*
 * "C is a pre-release of V" for V that is not a pre-release: of a final V, any a/b/rc/dev
 * of V's release; of V.postN, a .devM of V.postN itself.
 */
static bool
is_pre_of(const Version *c, const Version *v)
{
	if (!version_is_prerelease(c) || !release_equal(c, v))
		return false;
	if (!v->has_post)
		return true;
	return c->pre_kind == VERSION_PRE_NONE && c->has_post &&
	       versionnum_cmp(c->post, v->post) == 0;
}

/*
 * "===" compares strings with ASCII letters folded, whatever the locale; packaging folds
 * non-ASCII letters too (str.lower), which no real version string needs.
 */
static bool
same_text_ascii_case(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && ascii_equal_fold(a, b, alen);
}

bool
specifier_matches(const Specifier *sp, const Version *c, const char *raw, size_t raw_len)
{
	const Version *v = &sp->version;

	if (sp->op == SPEC_ARBITRARY)
		return same_text_ascii_case(raw, raw_len, sp->text, sp->text_len);
	if (!c)
		return false;
	switch (sp->op) {
	case SPEC_EQ:
		return equal_match(sp, c);
	case SPEC_NE:
		return !equal_match(sp, c);
	case SPEC_LE:
		return version_cmp_public(c, v) <= 0;
	case SPEC_GE:
		return version_cmp_public(c, v) >= 0;
	case SPEC_LT:
		if (version_cmp_public(c, v) >= 0)
			return false;
		return version_is_prerelease(v) || !is_pre_of(c, v);
	case SPEC_GT:
		/* Public comparison: V+local is not greater than V. */
		if (version_cmp_public(c, v) <= 0)
			return false;
		return v->has_post || v->has_dev || !is_post_of(c, v);
	case SPEC_COMPATIBLE:
		return version_cmp_public(c, v) >= 0 && release_prefix(c, v, v->release_len - 1);
	case SPEC_ARBITRARY:
		break;
	}
	return false;
}

bool
specifier_implies_prereleases(const Specifier *sp)
{
	if (sp->op == SPEC_NE || sp->op == SPEC_ARBITRARY || sp->wildcard)
		return false;
	return version_is_prerelease(&sp->version);
}

bool
specset_implies_prereleases(const SpecifierSet *set)
{
	size_t i;

	for (i = 0; i < set->len; i++)
		if (specifier_implies_prereleases(&set->items[i]))
			return true;
	return false;
}

static bool
all_match(const SpecifierSet *set, const SpecCandidate *c)
{
	size_t i;

	for (i = 0; i < set->len; i++)
		if (!specifier_matches(&set->items[i], c->version, c->raw, c->raw_len))
			return false;
	return true;
}

bool
specset_contains(const SpecifierSet *set, const SpecCandidate *c, Prereleases pre, bool installed)
{
	if (pre == PRERELEASES_DENY && !installed && c->version && version_is_prerelease(c->version))
		return false;
	return all_match(set, c);
}

size_t
specset_filter(const SpecifierSet *set, const SpecCandidate *cands, size_t n, Prereleases pre,
	       bool *keep)
{
	bool allow = pre == PRERELEASES_ALLOW ||
		     (pre == PRERELEASES_DEFAULT && specset_implies_prereleases(set));
	size_t i, kept = 0, finals = 0;

	for (i = 0; i < n; i++) {
		const SpecCandidate *c = &cands[i];
		bool is_pre = c->version && version_is_prerelease(c->version);

		/* The empty set keeps everything, strings that are not versions too. */
		keep[i] = set->len == 0 ? true : all_match(set, c);
		if (keep[i] && is_pre && pre == PRERELEASES_DENY)
			keep[i] = false;
		/* strings that are not versions do not count as final releases */
		if (keep[i] && c->version && !is_pre)
			finals++;
	}
	/* Matching pre-releases are used by default only when nothing else matches. */
	for (i = 0; i < n; i++) {
		const SpecCandidate *c = &cands[i];

		if (keep[i] && c->version && version_is_prerelease(c->version) && !allow && finals)
			keep[i] = false;
		kept += keep[i];
	}
	return kept;
}

char *
specifier_format(const Specifier *sp, Arena *arena)
{
	return arena_printf(arena, "%s%s", op_text[sp->op], sp->text);
}

/*
 * Equality as packaging compares canonical texts: versions equal with trailing zeros
 * dropped, except for ~= (where they matter: ~=1.18.0 is not ~=1.18); "V.*" and "==="
 * clauses by their text (==1.0.* and ==1.0.0.* are different sets).
 */
bool
specifier_equal(const Specifier *a, const Specifier *b)
{
	if (a->op != b->op || a->wildcard != b->wildcard)
		return false;
	if (a->op == SPEC_ARBITRARY || a->wildcard)
		return a->text_len == b->text_len && memcmp(a->text, b->text, a->text_len) == 0;
	if (a->op == SPEC_COMPATIBLE && a->version.release_len != b->version.release_len)
		return false;
	return version_cmp(&a->version, &b->version) == 0;
}

typedef struct Clause {
	char *text;
	const Specifier *sp;
} Clause;

static int
cmp_clause(const void *a, const void *b)
{
	return strcmp(((const Clause *)a)->text, ((const Clause *)b)->text);
}

/*
 * The set's clauses sorted by text, equal clauses (specifier_equal) dropped: of ">1.0"
 * and ">1.0.0" the spelling that sorts first stays, as packaging prints it.
 */
static size_t
unique_sorted(const SpecifierSet *set, Arena *arena, Clause **out)
{
	Clause *c = arena_alloc(arena, (set->len + 1) * sizeof(*c));
	size_t i, j, n = 0;

	for (i = 0; i < set->len; i++)
		c[i] = (Clause){specifier_format(&set->items[i], arena), &set->items[i]};
	qsort(c, set->len, sizeof(*c), cmp_clause);
	for (i = 0; i < set->len; i++) {
		for (j = 0; j < n && !specifier_equal(c[j].sp, c[i].sp); j++)
			;
		if (j == n)
			c[n++] = c[i];
	}
	*out = c;
	return n;
}

char *
specset_format(const SpecifierSet *set, Arena *arena)
{
	Clause *c;
	size_t n = unique_sorted(set, arena, &c), i, total = 1, off = 0;
	char *out;

	for (i = 0; i < n; i++)
		total += strlen(c[i].text) + 1;
	out = arena_alloc(arena, total);
	for (i = 0; i < n; i++) {
		size_t k = strlen(c[i].text);

		if (i)
			out[off++] = ',';
		memcpy(out + off, c[i].text, k);
		off += k;
	}
	out[off] = 0;
	return out;
}

bool
specset_equal(const SpecifierSet *a, const SpecifierSet *b)
{
	size_t i, j;

	/* Sets: every clause of one has an equal clause in the other. */
	for (i = 0; i < a->len; i++) {
		for (j = 0; j < b->len && !specifier_equal(&a->items[i], &b->items[j]); j++)
			;
		if (j == b->len)
			return false;
	}
	for (j = 0; j < b->len; j++) {
		for (i = 0; i < a->len && !specifier_equal(&a->items[i], &b->items[j]); i++)
			;
		if (i == a->len)
			return false;
	}
	return true;
}

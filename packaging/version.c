/*
 * version.c - PEP 440 versions (version.h).
 *
 * The parser is a hand-written scanner for the permissive grammar, and writes the
 * canonical form as it goes: every number is copied without its leading zeros into
 * the canonical string, and the Version's numbers point at those copies, so a parsed
 * version is one arena allocation for the text plus its two arrays.
 *
 * Longer labels are tried before their prefixes ("alpha" before "a", "preview" before
 * "pre", "rc" before "c", "rev" before "r"). A separator is consumed only when what it
 * introduces follows, except after a label, where a dangling separator belongs to the
 * label: "1.0a-" is 1.0a0, as packaging's regular expression has it.
 */
#include "config.h"

#include "version.h"

#include "ascii.h"
#include "../engine/buf.h"

#include <stdio.h>
#include <string.h>

/*
 * White space around a version: ASCII, plus the other characters Python's str.isspace()
 * accepts. packaging strips with str.strip(), so " 1.0\u202f" is a version there; we
 * agree with it rather than with the letter of the spec (ASCII only), so that the same
 * index pages give the same candidates in both tools.
 */
size_t
version_space_len(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	if (n >= 1 && (p[0] == ' ' || (p[0] >= 0x09 && p[0] <= 0x0d) ||
		       (p[0] >= 0x1c && p[0] <= 0x1f)))
		return 1;
	if (n >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
		return 2;
	if (n >= 3 && p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80)       /* U+1680 */
		return 3;
	if (n >= 3 && p[0] == 0xe2 && p[1] == 0x80 &&
	    ((p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf))
		return 3;                                                  /* U+2000-200A, 2028, 2029, 202F */
	if (n >= 3 && p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f)       /* U+205F */
		return 3;
	if (n >= 3 && p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80)       /* U+3000 */
		return 3;
	return 0;
}

/* The last white-space character ending at p + n, or 0. */
static size_t
space_len_back(const char *p, size_t n)
{
	size_t k;

	for (k = 1; k <= 3 && k <= n; k++)
		if (version_space_len(p + n - k, k) == k)
			return k;
	return 0;
}

void
version_strip(const char **s, size_t *len)
{
	size_t k;

	while (*len && (k = version_space_len(*s, *len)))
		*s += k, *len -= k;
	while (*len && (k = space_len_back(*s, *len)))
		*len -= k;
}

static const char *const pre_text[] = {"", "a", "b", "rc"};

typedef struct Scan {
	const char *s;
	size_t len, pos;
	char *out;          /* the canonical text being written */
	size_t olen;
} Scan;

/* Case-insensitive match of a lower-case word at the current position. */
static bool
scan_word(Scan *sc, const char *word)
{
	size_t n = strlen(word), i;

	if (sc->len - sc->pos < n)
		return false;
	for (i = 0; i < n; i++)
		if (ascii_lower((unsigned char)sc->s[sc->pos + i]) != word[i])
			return false;
	sc->pos += n;
	return true;
}

static void
emit(Scan *sc, const char *text, size_t n)
{
	memcpy(sc->out + sc->olen, text, n);
	sc->olen += n;
}

/* Copy the digits at the current position without leading zeros; false when none. */
static bool
scan_number(Scan *sc, VersionNum *num)
{
	size_t start = sc->pos, first;

	while (sc->pos < sc->len && ascii_is_digit(sc->s[sc->pos]))
		sc->pos++;
	if (sc->pos == start)
		return false;
	for (first = start; first + 1 < sc->pos && sc->s[first] == '0'; first++)
		;
	num->digits = sc->out + sc->olen;
	num->len = (uint32_t)(sc->pos - first);
	emit(sc, sc->s + first, sc->pos - first);
	return true;
}

static void
emit_zero(Scan *sc, VersionNum *num)
{
	num->digits = sc->out + sc->olen;
	num->len = 1;
	emit(sc, "0", 1);
}

/* After a label: an optional separator, an optional number (zero when missing). */
static void
scan_label_number(Scan *sc, VersionNum *num)
{
	if (sc->pos < sc->len && ascii_is_sep(sc->s[sc->pos]))
		sc->pos++;
	if (!scan_number(sc, num))
		emit_zero(sc, num);
}

/* Try "[sep] label" for each label; on success the position is after the label. */
static int
scan_labelled(Scan *sc, const char *const *labels, size_t nlabels)
{
	size_t save = sc->pos, i;

	if (sc->pos < sc->len && ascii_is_sep(sc->s[sc->pos]))
		sc->pos++;
	for (i = 0; i < nlabels; i++)
		if (scan_word(sc, labels[i]))
			return (int)i;
	sc->pos = save;
	return -1;
}

/*
 * Sorting spends its time fetching the release numbers of two versions from wherever
 * the arena put them. Most comparisons are decided by the epoch and the first three
 * release numbers, so those are packed into one word kept in the Version itself: epoch
 * (7 bits), then 3 x 18 bits of release, each saturating, one bit set so that 0 means
 * "no hint" (a Version filled in by hand). Two hints that differ and are both exact
 * (nothing saturated) order the versions; otherwise the full comparison runs.
 */
#define HINT_BITS 18
#define HINT_MAX ((1u << HINT_BITS) - 1)

static uint64_t
order_hint(const Version *v)
{
	uint64_t hint = 1, n;
	uint32_t i;

	if (!versionnum_to_u64(v->epoch, &n) || n >= 127)
		return 0;
	hint = hint << 7 | n;
	for (i = 0; i < 3; i++) {
		n = 0;
		if (i < v->release_len && (!versionnum_to_u64(v->release[i], &n) || n >= HINT_MAX))
			return 0;
		hint = hint << HINT_BITS | n;
	}
	return hint;
}

static int
fail(Err *err, const char *s, size_t len, const char *why)
{
	Buf shown = {0};

	if (!err)
		return -1;
	buf_put_quoted(&shown, s, len, 200);
	err_set(err, "%s" VERSION_ERROR_PHRASE "%s", shown.data, why);
	buf_free(&shown);
	return -1;
}

int
version_parse(const char *s, size_t len, Arena *arena, Version *out, Err *err)
{
	static const char *const pre_labels[] = {"alpha", "a", "beta", "b", "preview", "pre", "c", "rc"};
	static const VersionPre pre_kinds[] = {VERSION_PRE_A, VERSION_PRE_A, VERSION_PRE_B, VERSION_PRE_B,
					       VERSION_PRE_RC, VERSION_PRE_RC, VERSION_PRE_RC, VERSION_PRE_RC};
	static const char *const post_labels[] = {"post", "rev", "r"};
	static const char *const dev_labels[] = {"dev"};
	size_t parts = 1, i;
	VersionNum *release;
	VersionLocal *local;
	Scan sc;
	int label;

	version_strip(&s, &len);
	if (len == 0)
		return fail(err, s, len, "it is empty");
	if (len > UINT32_MAX / 2)
		return fail(err, s, 40, "it is too long");
	for (i = 0; i < len; i++)
		parts += ascii_is_sep(s[i]) || s[i] == '!' || s[i] == '+';

	memset(out, 0, sizeof(*out));
	/* Canonical text is at most the input plus a few bytes per segment ("-1" -> ".post1"). */
	sc = (Scan){.s = s, .len = len, .out = arena_alloc(arena, len + 24)};
	release = arena_alloc(arena, parts * sizeof(*release));
	local = NULL;

	if (ascii_lower(s[0]) == 'v')
		sc.pos = 1;
	/* Epoch or first release number: only the '!' tells them apart. */
	{
		size_t save = sc.pos;
		VersionNum n;

		if (!scan_number(&sc, &n))
			return fail(err, s, len, "it must start with a number");
		if (sc.pos < len && s[sc.pos] == '!') {
			sc.pos++;
			if (n.len == 1 && n.digits[0] == '0') {
				sc.olen = 0;
			} else {
				out->epoch = n;
				emit(&sc, "!", 1);
			}
		} else {
			sc.pos = save;
			sc.olen = 0;
		}
		if (out->epoch.len == 0) {
			out->epoch.digits = "0";
			out->epoch.len = 1;
		}
	}
	if (!scan_number(&sc, &release[0]))
		return fail(err, s, len, "the release must start with a number");
	out->release_len = 1;
	while (sc.pos + 1 < len && s[sc.pos] == '.' && ascii_is_digit(s[sc.pos + 1])) {
		sc.pos++;
		emit(&sc, ".", 1);
		scan_number(&sc, &release[out->release_len++]);
	}

	if ((label = scan_labelled(&sc, pre_labels, 8)) >= 0) {
		out->pre_kind = pre_kinds[label];
		emit(&sc, pre_text[out->pre_kind], strlen(pre_text[out->pre_kind]));
		scan_label_number(&sc, &out->pre);
	}
	if (sc.pos + 1 < len && s[sc.pos] == '-' && ascii_is_digit(s[sc.pos + 1])) {
		sc.pos++;
		emit(&sc, ".post", 5);
		scan_number(&sc, &out->post);
		out->has_post = true;
	} else if (scan_labelled(&sc, post_labels, 3) >= 0) {
		emit(&sc, ".post", 5);
		scan_label_number(&sc, &out->post);
		out->has_post = true;
	}
	if (scan_labelled(&sc, dev_labels, 1) >= 0) {
		emit(&sc, ".dev", 4);
		scan_label_number(&sc, &out->dev);
		out->has_dev = true;
	}
	out->public_len = (uint32_t)sc.olen;
	if (sc.pos < len && s[sc.pos] == '+') {
		sc.pos++;
		local = arena_alloc(arena, parts * sizeof(*local));
		emit(&sc, "+", 1);
		for (;;) {
			size_t start = sc.pos;
			VersionLocal *seg = &local[out->local_len];
			bool numeric = true;

			while (sc.pos < len && ascii_is_alnum(s[sc.pos])) {
				numeric &= ascii_is_digit(s[sc.pos]);
				sc.pos++;
			}
			if (sc.pos == start)
				return fail(err, s, len, "each part of a local label (after '+') must be letters or digits");
			seg->numeric = numeric;
			if (numeric) {
				VersionNum n;

				sc.pos = start;
				scan_number(&sc, &n);
				seg->text = n.digits;
				seg->len = n.len;
			} else {
				seg->text = sc.out + sc.olen;
				seg->len = (uint32_t)(sc.pos - start);
				for (i = start; i < sc.pos; i++)
					sc.out[sc.olen++] = (char)ascii_lower(s[i]);
			}
			out->local_len++;
			if (sc.pos + 1 < len && ascii_is_sep(s[sc.pos]) && ascii_is_alnum(s[sc.pos + 1])) {
				sc.pos++;
				emit(&sc, ".", 1);
				continue;
			}
			break;
		}
	}
	if (sc.pos != len)
		return fail(err, s, len, sc.pos < len && (s[sc.pos] == ' ' || s[sc.pos] == '\t')
					     ? "it contains white space"
					     : "unexpected text after the version");
	sc.out[sc.olen] = 0;
	out->str = sc.out;
	out->str_len = (uint32_t)sc.olen;
	out->release = release;
	out->local = local;
	out->release_sig = version_release_sig(release, out->release_len);
	out->order_hint = order_hint(out);
	return 0;
}

uint32_t
version_release_sig(const VersionNum *release, uint32_t len)
{
	while (len > 0 && release[len - 1].len == 1 && release[len - 1].digits[0] == '0')
		len--;
	return len;
}

int
versionnum_cmp(VersionNum a, VersionNum b)
{
	int c;

	if (a.len != b.len)
		return a.len < b.len ? -1 : 1;
	c = memcmp(a.digits, b.digits, a.len);
	return (c > 0) - (c < 0);
}

static bool
num_is_zero(VersionNum n)
{
	return n.len == 1 && n.digits[0] == '0';
}

static int
cmp_release(const Version *a, const Version *b)
{
	uint32_t n = a->release_sig < b->release_sig ? a->release_sig : b->release_sig, i;
	int c;

	for (i = 0; i < n; i++)
		if ((c = versionnum_cmp(a->release[i], b->release[i])) != 0)
			return c;
	/* Past the shorter significant part, the other has a non-zero component. */
	return (a->release_sig > b->release_sig) - (a->release_sig < b->release_sig);
}

/*
 * The pre-release key: -1 for a dev-only release (before every a/b/rc), 3 for none, else
 * the kind (a < b < rc); then the number.
 */
static int
pre_rank(const Version *v)
{
	if (v->pre_kind == VERSION_PRE_NONE)
		return !v->has_post && v->has_dev && !v->synthetic ? -1 : 3;
	return (int)v->pre_kind - 1;
}

static int
cmp_local(const Version *a, const Version *b)
{
	uint32_t n = a->local_len < b->local_len ? a->local_len : b->local_len, i;

	for (i = 0; i < n; i++) {
		const VersionLocal *x = &a->local[i], *y = &b->local[i];
		int c;

		if (x->numeric != y->numeric)
			return x->numeric ? 1 : -1;     /* letters sort before numbers */
		if (x->numeric) {
			c = versionnum_cmp((VersionNum){x->text, x->len}, (VersionNum){y->text, y->len});
		} else {
			c = memcmp(x->text, y->text, x->len < y->len ? x->len : y->len);
			c = c ? c : (x->len > y->len) - (x->len < y->len);
		}
		if (c)
			return c > 0 ? 1 : -1;
	}
	return (a->local_len > b->local_len) - (a->local_len < b->local_len);
}

static int
cmp_public(const Version *a, const Version *b)
{
	int c, ra, rb;

	if (a->order_hint != b->order_hint && a->order_hint && b->order_hint)
		return a->order_hint < b->order_hint ? -1 : 1;
	if ((c = versionnum_cmp(a->epoch, b->epoch)) != 0)
		return c;
	if ((c = cmp_release(a, b)) != 0)
		return c;
	ra = pre_rank(a), rb = pre_rank(b);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (ra >= 0 && ra < 3 && (c = versionnum_cmp(a->pre, b->pre)) != 0)
		return c;
	if (a->synthetic || b->synthetic)
		return (a->synthetic != 0) - (b->synthetic != 0);
	if (a->has_post != b->has_post)
		return a->has_post ? 1 : -1;
	if (a->has_post && (c = versionnum_cmp(a->post, b->post)) != 0)
		return c;
	if (a->has_dev != b->has_dev)
		return a->has_dev ? -1 : 1;
	if (a->has_dev && (c = versionnum_cmp(a->dev, b->dev)) != 0)
		return c;
	return 0;
}

int
version_cmp_public(const Version *a, const Version *b)
{
	return cmp_public(a, b);
}

int
version_cmp(const Version *a, const Version *b)
{
	int c = cmp_public(a, b);

	if (c || a->synthetic || b->synthetic)
		return c;
	return cmp_local(a, b);
}

bool
version_is_prerelease(const Version *v)
{
	return v->pre_kind != VERSION_PRE_NONE || v->has_dev;
}

bool
version_is_postrelease(const Version *v)
{
	return v->has_post;
}

bool
version_is_devrelease(const Version *v)
{
	return v->has_dev;
}

VersionNum
versionnum_succ(VersionNum a, Arena *arena)
{
	char *d = arena_alloc(arena, a.len + 2);
	uint32_t i = a.len;

	memcpy(d + 1, a.digits, a.len);
	d[0] = '0';
	while (i > 0 && d[i] == '9')
		d[i--] = '0';
	d[i]++;
	d[a.len + 1] = 0;
	if (d[0] == '0')
		return (VersionNum){d + 1, a.len};
	return (VersionNum){d, a.len + 1};
}

VersionNum
versionnum_from_u64(uint64_t n, Arena *arena)
{
	char tmp[24];
	int len = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)n);

	return (VersionNum){arena_strndup(arena, tmp, (size_t)len), (uint32_t)len};
}

bool
versionnum_to_u64(VersionNum a, uint64_t *out)
{
	uint64_t v = 0;
	uint32_t i;

	if (a.len > 20)
		return false;
	for (i = 0; i < a.len; i++) {
		uint64_t d = (uint64_t)(a.digits[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* Write v's text, its release limited to release_len components, into b (NULL: measure). */
static size_t
render(const Version *v, uint32_t release_len, char *b)
{
	size_t n = 0, k;
	uint32_t i;

#define PUT(p, len)                          \
	do {                                 \
		if (b)                       \
			memcpy(b + n, p, len); \
		n += (len);                  \
	} while (0)
	if (!num_is_zero(v->epoch)) {
		PUT(v->epoch.digits, v->epoch.len);
		PUT("!", 1);
	}
	for (i = 0; i < release_len; i++) {
		if (i)
			PUT(".", 1);
		PUT(v->release[i].digits, v->release[i].len);
	}
	if (v->pre_kind != VERSION_PRE_NONE) {
		k = strlen(pre_text[v->pre_kind]);
		PUT(pre_text[v->pre_kind], k);
		PUT(v->pre.digits, v->pre.len);
	}
	if (v->synthetic) {
		PUT(".post*", 6);
		return n;
	}
	if (v->has_post) {
		PUT(".post", 5);
		PUT(v->post.digits, v->post.len);
	}
	if (v->has_dev) {
		PUT(".dev", 4);
		PUT(v->dev.digits, v->dev.len);
	}
	for (i = 0; i < v->local_len; i++) {
		PUT(i ? "." : "+", 1);
		PUT(v->local[i].text, v->local[i].len);
	}
#undef PUT
	return n;
}

void
version_format(Version *v, Arena *arena)
{
	size_t n = render(v, v->release_len, NULL);
	char *b = arena_alloc(arena, n + 1);
	const char *plus;

	render(v, v->release_len, b);
	b[n] = 0;
	plus = strchr(b, '+');
	v->order_hint = v->synthetic ? 0 : order_hint(v);
	v->str = b;
	v->str_len = (uint32_t)n;
	v->public_len = (uint32_t)(plus ? plus - b : (ptrdiff_t)n);
}

char *
version_canonical_stripped(const Version *v, Arena *arena)
{
	uint32_t keep = v->release_sig ? v->release_sig : 1;
	size_t n = render(v, keep, NULL);
	char *b = arena_alloc(arena, n + 1);

	render(v, keep, b);
	b[n] = 0;
	return b;
}

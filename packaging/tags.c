/*
 * tags.c - see tags.h.
 *
 * The generators follow packaging.tags (26.3) function by function, since the lists
 * must match its order index by index: pip and the vectors rank wheels by that order,
 * and a different order picks a different wheel. Where the order changed between
 * packaging releases (linux_<arch> first or last) both are offered.
 */
#include "config.h"

#include "tags.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- small helpers */

static char
lower(char c)
{
	return (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

static bool
has_upper(const char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			return true;
	return false;
}

static char *
dup_lower(Arena *arena, const char *s, size_t n)
{
	char *out = arena_alloc(arena, n + 1);
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = lower(s[i]);
	out[n] = '\0';
	return out;
}

/* A tag part built by the generators: lower case, as packaging's Tag() makes it. */
static char *
part_printf(Arena *arena, const char *fmt, ...) ERR_PRINTF(2, 3);

static char *
part_printf(Arena *arena, const char *fmt, ...)
{
	char small[256], *s;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n < sizeof(small))
		return dup_lower(arena, small, (size_t)n);
	s = arena_alloc(arena, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	for (char *p = s; *p; p++)
		*p = lower(*p);
	return s;
}

/* Python's tuple order on versions: (3,) < (3, 0). */
static bool
ver_ge(TagsPyVersion v, unsigned major, unsigned minor)
{
	if (v.major != major)
		return v.major > major;
	return v.has_minor && v.minor >= minor;
}

void
tags_version_nodot(TagsPyVersion v, char *out)
{
	if (v.has_minor)
		snprintf(out, 24, "%u%u", v.major, v.minor);
	else
		snprintf(out, 24, "%u", v.major);
}

/* ---------------------------------------------------------------- parsing */

static bool
is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
is_ident(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !is_ident_start((unsigned char)s[0]))
		return false;
	for (i = 1; i < n; i++)
		if (!is_ident_start((unsigned char)s[i]) && !(s[i] >= '0' && s[i] <= '9'))
			return false;
	return true;
}

/* Byte order on UTF-8 is code point order, which is how Python sorts strings. */
static int
span_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c)
		return c;
	return an < bn ? -1 : an > bn;
}

typedef struct Span {
	const char *p;
	size_t n;
} Span;

int
tags_parse(const char *s, size_t len, unsigned flags, size_t limit, Arena *arena,
	   TagSet *out, Err *err)
{
	/* The three parts (more are counted, to say how many there were). */
	Span part[3];
	size_t n_parts = 0, count = 1, i, k;
	size_t n_values[3] = { 0, 0, 0 };
	const char ***dest[3];
	uint32_t *dest_n[3];

	memset(out, 0, sizeof(*out));
	if (memchr(s, '\0', len))
		return err_set(err, "tag %.*s contains a NUL byte", (int)strnlen(s, len), s);

	/* Split on '-', checking each part's values as packaging does, part by part:
	 * empty values first, then their order. */
	for (i = 0;;) {
		size_t end = i, values = 0, vstart = i;
		const char *prev = NULL;
		size_t prev_n = 0;

		while (end < len && s[end] != '-')
			end++;
		for (k = i; k <= end; k++) {
			if (k < end && s[k] != '.')
				continue;
			if (k == vstart)
				return err_set(err,
					       "tag '%.*s' has an empty component '%.*s': expected "
					       "values such as 'py3' between '-' and '.' separators",
					       (int)len, s, (int)(end - i), s + i);
			if ((flags & TAGS_VALIDATE_ORDER) && prev &&
			    span_cmp(prev, prev_n, s + vstart, k - vstart) > 0)
				return err_set(err,
					       "tag component '%.*s' is not in sorted order "
					       "(PEP 425 wants the values of a compressed set sorted)",
					       (int)(end - i), s + i);
			prev = s + vstart;
			prev_n = k - vstart;
			values++;
			vstart = k + 1;
		}
		if (n_parts < 3) {
			part[n_parts].p = s + i;
			part[n_parts].n = end - i;
			n_values[n_parts] = values;
		}
		n_parts++;
		/* A product that would overflow is over any limit, and too many to
		 * expand anyway: clamp it. */
		count = count > SIZE_MAX / values ? SIZE_MAX : count * values;
		if (end >= len)
			break;
		i = end + 1;
	}
	if (limit && count > limit)
		return err_set(err, "tag '%.*s' expands to %zu tags, more than the limit of %zu",
			       (int)len, s, count, limit);
	if (n_parts != 3)
		return err_set(err,
			       "tag '%.*s' must have exactly three components "
			       "(interpreter-abi-platform), found %zu",
			       (int)len, s, n_parts);
	if (count > UINT32_MAX)
		return err_set(err, "tag '%.*s' has too many values", (int)len, s);

	dest[0] = &out->interpreters;
	dest[1] = &out->abis;
	dest[2] = &out->platforms;
	dest_n[0] = &out->n_interpreters;
	dest_n[1] = &out->n_abis;
	dest_n[2] = &out->n_platforms;
	for (k = 0; k < 3; k++) {
		const char **vals = arena_alloc(arena, n_values[k] * sizeof(*vals));
		const char *p = part[k].p, *end = p + part[k].n;
		size_t nv = 0;

		while (p <= end) {
			const char *dot = memchr(p, '.', (size_t)(end - p));
			size_t n = (size_t)((dot ? dot : end) - p);

			if (k == 0 && !is_ident(p, n))
				return err_set(err,
					       "tag '%.*s' has an invalid interpreter '%.*s': "
					       "expected an identifier such as 'py3' or 'cp311'",
					       (int)len, s, (int)n, p);
			vals[nv++] = dup_lower(arena, p, n);
			p += n + 1;
		}
		*dest[k] = vals;
		*dest_n[k] = (uint32_t)nv;
	}
	return 0;
}

size_t
tags_set_count(const TagSet *set)
{
	return (size_t)set->n_interpreters * set->n_abis * set->n_platforms;
}

Tag
tags_set_at(const TagSet *set, size_t i)
{
	size_t np = set->n_platforms, na = set->n_abis;
	Tag t;

	t.interpreter = set->interpreters[i / (na * np)];
	t.abi = set->abis[(i / np) % na];
	t.platform = set->platforms[i % np];
	return t;
}

static int
str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Append the values sorted and without duplicates, joined by '.'. */
static size_t
join_sorted(const char **vals, uint32_t n, Arena *arena, char *out)
{
	const char **sorted = arena_alloc(arena, (n ? n : 1) * sizeof(*sorted));
	size_t len = 0, k;
	uint32_t i;

	memcpy(sorted, vals, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), str_ptr_cmp);
	for (i = 0; i < n; i++) {
		if (i && strcmp(sorted[i], sorted[i - 1]) == 0)
			continue;
		if (len)
			out[len++] = '.';
		k = strlen(sorted[i]);
		memcpy(out + len, sorted[i], k);
		len += k;
	}
	return len;
}

char *
tags_set_format(const TagSet *set, Arena *arena)
{
	size_t room = 3, len;
	uint32_t i;
	char *out;

	for (i = 0; i < set->n_interpreters; i++)
		room += strlen(set->interpreters[i]) + 1;
	for (i = 0; i < set->n_abis; i++)
		room += strlen(set->abis[i]) + 1;
	for (i = 0; i < set->n_platforms; i++)
		room += strlen(set->platforms[i]) + 1;
	out = arena_alloc(arena, room);
	len = join_sorted(set->interpreters, set->n_interpreters, arena, out);
	out[len++] = '-';
	len += join_sorted(set->abis, set->n_abis, arena, out + len);
	out[len++] = '-';
	len += join_sorted(set->platforms, set->n_platforms, arena, out + len);
	out[len] = '\0';
	return out;
}

char *
tags_format(Tag t, Arena *arena)
{
	return arena_printf(arena, "%s-%s-%s", t.interpreter, t.abi, t.platform);
}

/* ---------------------------------------------------------------- lists */

void
tags_strs_init(TagStrs *l, Arena *arena)
{
	memset(l, 0, sizeof(*l));
	l->arena = arena;
}

void
tags_strs_push(TagStrs *l, const char *s)
{
	if (l->len == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		const char **items = arena_alloc(l->arena, cap * sizeof(*items));

		if (l->len)
			memcpy(items, l->items, l->len * sizeof(*items));
		l->items = items;
		l->cap = cap;
	}
	l->items[l->len++] = s;
}

/* FNV-1a over "interpreter-abi-platform": parts never contain '-', so it is unique. */
static uint64_t
fnv(uint64_t h, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t
tag_hash(const char *i, size_t in, const char *a, size_t an, const char *p, size_t pn)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	h = fnv(h, i, in);
	h = fnv(h, "-", 1);
	h = fnv(h, a, an);
	h = fnv(h, "-", 1);
	h = fnv(h, p, pn);
	return h ^ (h >> 29);
}

/* span[0..n) equals the NUL-terminated z (span may hold anything, NUL included). */
static bool
span_is(const char *span, size_t n, const char *z)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (z[i] != span[i] || z[i] == '\0')
			return false;
	return z[n] == '\0';
}

void
tags_list_init(TagList *l, Arena *arena)
{
	memset(l, 0, sizeof(*l));
	l->arena = arena;
}

static void
index_insert(uint32_t *slots, uint32_t n_slots, uint64_t h, uint32_t pos)
{
	uint32_t mask = n_slots - 1, s = (uint32_t)h & mask;

	while (slots[s])
		s = (s + 1) & mask;
	slots[s] = pos + 1;
}

static void
index_grow(TagList *l)
{
	uint32_t n = l->n_slots ? l->n_slots * 2 : 64, i;
	uint32_t *slots = arena_zalloc(l->arena, n * sizeof(*slots));

	for (i = 0; i < l->n_slots; i++) {
		if (l->slots[i]) {
			const Tag *t = &l->tags[l->slots[i] - 1];

			index_insert(slots, n,
				     tag_hash(t->interpreter, strlen(t->interpreter), t->abi,
					      strlen(t->abi), t->platform, strlen(t->platform)),
				     l->slots[i] - 1);
		}
	}
	l->slots = slots;
	l->n_slots = n;
}

void
tags_list_push(TagList *l, const char *interpreter, const char *abi, const char *platform)
{
	Tag *t;

	/* packaging's Tag() lower-cases its parts; generated parts already are. */
	if (has_upper(interpreter))
		interpreter = dup_lower(l->arena, interpreter, strlen(interpreter));
	if (has_upper(abi))
		abi = dup_lower(l->arena, abi, strlen(abi));
	if (has_upper(platform))
		platform = dup_lower(l->arena, platform, strlen(platform));
	if (l->len == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 64;
		Tag *tags = arena_alloc(l->arena, cap * sizeof(*tags));

		if (l->len)
			memcpy(tags, l->tags, l->len * sizeof(*tags));
		l->tags = tags;
		l->cap = cap;
	}
	t = &l->tags[l->len];
	t->interpreter = interpreter;
	t->abi = abi;
	t->platform = platform;
	if (tags_list_find(l, interpreter, strlen(interpreter), abi, strlen(abi), platform,
			   strlen(platform)) == TAGS_INCOMPATIBLE) {
		if ((l->n_distinct + 1) * 2 > l->n_slots)
			index_grow(l);
		index_insert(l->slots, l->n_slots,
			     tag_hash(interpreter, strlen(interpreter), abi, strlen(abi),
				      platform, strlen(platform)),
			     l->len);
		l->n_distinct++;
	}
	l->len++;
}

long
tags_list_find(const TagList *l, const char *interpreter, size_t ilen, const char *abi,
	       size_t alen, const char *platform, size_t plen)
{
	uint32_t mask, s;

	if (!l->n_slots)
		return TAGS_INCOMPATIBLE;
	mask = l->n_slots - 1;
	s = (uint32_t)tag_hash(interpreter, ilen, abi, alen, platform, plen) & mask;
	for (; l->slots[s]; s = (s + 1) & mask) {
		const Tag *t = &l->tags[l->slots[s] - 1];

		if (span_is(platform, plen, t->platform) && span_is(abi, alen, t->abi) &&
		    span_is(interpreter, ilen, t->interpreter))
			return (long)l->slots[s] - 1;
	}
	return TAGS_INCOMPATIBLE;
}

static bool
in_values(const char *const *vals, uint32_t n, const char *s)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (strcmp(vals[i], s) == 0)
			return true;
	return false;
}

long
tags_list_rank(const TagList *l, const TagSet *set)
{
	size_t count = tags_set_count(set), i;
	long best = TAGS_INCOMPATIBLE;

	/*
	 * A set's product can be far bigger than the list (a hostile file name may list a
	 * thousand values per part): past the list's length, walking the list in order
	 * and stopping at the first tag the set contains is cheaper, and the first found
	 * is the best.
	 */
	if (count > l->len) {
		for (i = 0; i < l->len; i++) {
			const Tag *t = &l->tags[i];

			if (in_values(set->platforms, set->n_platforms, t->platform) &&
			    in_values(set->abis, set->n_abis, t->abi) &&
			    in_values(set->interpreters, set->n_interpreters, t->interpreter))
				return (long)i;
		}
		return TAGS_INCOMPATIBLE;
	}
	for (i = 0; i < count; i++) {
		Tag t = tags_set_at(set, i);
		long r = tags_list_find(l, t.interpreter, strlen(t.interpreter), t.abi,
					strlen(t.abi), t.platform, strlen(t.platform));

		if (r != TAGS_INCOMPATIBLE && (best == TAGS_INCOMPATIBLE || r < best))
			best = r;
	}
	return best;
}

/* ---------------------------------------------------------------- generators */

static bool
is_free_threaded_abi(const char *abi)
{
	/* packaging: re.match(r"cp\d+(.*)", abi) and "t" in the rest (up to a newline). */
	const char *p = abi + 2;

	if (strncmp(abi, "cp", 2) != 0 || !(*p >= '0' && *p <= '9'))
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	for (; *p && *p != '\n'; p++)
		if (*p == 't')
			return true;
	return false;
}

void
tags_cpython(TagList *out, TagsPyVersion v, const char *const *abis, size_t n_abis,
	     const char *const *platforms, size_t n_platforms)
{
	Arena *arena = out->arena;
	bool threading = n_abis > 0 && is_free_threaded_abi(abis[0]);
	bool use_abi3, use_abi3t, removed[3] = { false, false, false };
	static const char *const explicit_abis[3] = { "abi3", "abi3t", "none" };
	char nodot[24];
	const char *interp;
	size_t a, p, e;

	tags_version_nodot(v, nodot);
	interp = part_printf(arena, "cp%s", nodot);
	for (a = 0; a < n_abis; a++) {
		/* The stable ABIs and none have their own places below; packaging removes
		 * the first occurrence of each from the list (abi3t only when threaded). */
		bool skip = false;

		for (e = 0; e < 3; e++) {
			if (e == 1 && !threading)
				continue;
			if (!removed[e] && strcmp(abis[a], explicit_abis[e]) == 0) {
				removed[e] = skip = true;
				break;
			}
		}
		if (skip)
			continue;
		for (p = 0; p < n_platforms; p++)
			tags_list_push(out, interp, abis[a], platforms[p]);
	}
	/* PEP 384's stable ABI arrived in 3.2; free-threaded builds use abi3t instead. */
	use_abi3 = v.has_minor && ver_ge(v, 3, 2) && !threading;
	use_abi3t = v.has_minor && ver_ge(v, 3, 2) && threading;
	if (use_abi3)
		for (p = 0; p < n_platforms; p++)
			tags_list_push(out, interp, "abi3", platforms[p]);
	if (use_abi3t)
		for (p = 0; p < n_platforms; p++)
			tags_list_push(out, interp, "abi3t", platforms[p]);
	for (p = 0; p < n_platforms; p++)
		tags_list_push(out, interp, "none", platforms[p]);
	if (!use_abi3 && !use_abi3t)
		return;
	for (unsigned minor = v.minor; minor-- > 2;) {
		const char *older = part_printf(arena, "cp%u%u", v.major, minor);

		for (p = 0; p < n_platforms; p++)
			tags_list_push(out, older, use_abi3 ? "abi3" : "abi3t", platforms[p]);
	}
}

void
tags_generic(TagList *out, const char *interpreter, const char *const *abis, size_t n_abis,
	     const char *const *platforms, size_t n_platforms)
{
	bool has_none = false;
	size_t a, p;

	for (a = 0; a < n_abis; a++) {
		has_none |= strcmp(abis[a], "none") == 0;
		for (p = 0; p < n_platforms; p++)
			tags_list_push(out, interpreter, abis[a], platforms[p]);
	}
	if (!has_none)
		for (p = 0; p < n_platforms; p++)
			tags_list_push(out, interpreter, "none", platforms[p]);
}

/* pyXY, pyX, then pyX(Y-1) ... pyX0: "py3" right after the exact version. */
static size_t
py_range(TagsPyVersion v, Arena *arena, const char **out)
{
	size_t n = 0;
	char nodot[24];

	tags_version_nodot(v, nodot);
	if (v.has_minor)
		out[n++] = part_printf(arena, "py%s", nodot);
	out[n++] = part_printf(arena, "py%u", v.major);
	if (v.has_minor)
		for (unsigned minor = v.minor; minor-- > 0;)
			out[n++] = part_printf(arena, "py%u%u", v.major, minor);
	return n;
}

static const char **
py_range_alloc(TagsPyVersion v, Arena *arena, size_t *n)
{
	const char **vers = arena_alloc(arena, ((v.has_minor ? v.minor : 0) + 2) * sizeof(*vers));

	*n = py_range(v, arena, vers);
	return vers;
}

void
tags_compatible(TagList *out, TagsPyVersion v, const char *interpreter,
		const char *const *platforms, size_t n_platforms)
{
	size_t n, i, p;
	const char **vers = py_range_alloc(v, out->arena, &n);

	for (i = 0; i < n; i++)
		for (p = 0; p < n_platforms; p++)
			tags_list_push(out, vers[i], "none", platforms[p]);
	if (interpreter)
		tags_list_push(out, interpreter, "none", "any");
	for (i = 0; i < n; i++)
		tags_list_push(out, vers[i], "none", "any");
}

void
tags_pure_python(TagList *out, TagsPyVersion v)
{
	size_t n, i;
	const char **vers = py_range_alloc(v, out->arena, &n);

	for (i = 0; i < n; i++)
		tags_list_push(out, vers[i], "none", "any");
}

/*
 * packaging reads Py_DEBUG, Py_GIL_DISABLED, WITH_PYMALLOC and Py_UNICODE_SIZE from
 * sysconfig. Only the first two vary on the interpreters bunpy targets (3.8+); for
 * older ones pymalloc and wide unicode are assumed, which is how they were built.
 */
void
tags_cpython_abis(TagsPyVersion v, bool debug, bool free_threaded, TagStrs *out)
{
	char nodot[24];
	const char *t = ver_ge(v, 3, 13) && free_threaded ? "t" : "";
	bool old = !ver_ge(v, 3, 8);

	tags_version_nodot(v, nodot);
	tags_strs_push(out, part_printf(out->arena, "cp%s%s%s%s%s", nodot, t, debug ? "d" : "",
					old ? "m" : "", !ver_ge(v, 3, 3) ? "u" : ""));
	/* A 3.8+ debug build also loads ordinary extension modules. */
	if (!old && debug)
		tags_strs_push(out, part_printf(out->arena, "cp%s%s", nodot, t));
}

/* ---------------------------------------------------------------- platforms */

char *
tags_normalize_platform(const char *s, Arena *arena)
{
	char *out = dup_lower(arena, s, strlen(s));

	for (char *p = out; *p; p++)
		if (*p == '-' || *p == '.' || *p == ' ')
			*p = '_';
	return out;
}

/* PEP 599/571/513 aliases, listed right after the manylinux_2_Y tag they equal. */
static const char *
legacy_manylinux(unsigned major, unsigned minor)
{
	if (major != 2)
		return NULL;
	switch (minor) {
	case 17: return "manylinux2014";
	case 12: return "manylinux2010";
	case 5: return "manylinux1";
	default: return NULL;
	}
}

/*
 * packaging's _have_compatible_abi: the architectures manylinux defines, with 32-bit
 * ARM and x86 needing the interpreter's ELF to match (hard-float EABI5, i386).
 */
static bool
manylinux_abi(const TagsPlatform *p, const char *const *archs, size_t n_archs)
{
	static const char *const allowed[] = { "x86_64", "aarch64", "ppc64", "ppc64le",
					       "s390x", "loongarch64", "riscv64" };
	size_t i, k;

	for (i = 0; i < n_archs; i++)
		if (strcmp(archs[i], "armv7l") == 0)
			return p->elf_abi_ok;
	for (i = 0; i < n_archs; i++)
		if (strcmp(archs[i], "i686") == 0)
			return p->elf_abi_ok;
	for (i = 0; i < n_archs; i++)
		for (k = 0; k < sizeof(allowed) / sizeof(allowed[0]); k++)
			if (strcmp(archs[i], allowed[k]) == 0)
				return true;
	return false;
}

/*
 * glibc promises compatibility across major versions, so under a hypothetical glibc
 * 3.Y every 2.x is listed too; packaging assumes 2.50 was the last 2.x until one is.
 */
#define LAST_GLIBC2_MINOR 50

static void
manylinux_platforms(const TagsPlatform *p, const char *const *archs, size_t n_archs,
		    TagStrs *out)
{
	Arena *arena = out->arena;
	unsigned cur_major = p->libc_major, cur_minor = p->libc_minor;
	/* The oldest manylinux: 2.17 everywhere, 2.5 on x86. Kept as "one below". */
	unsigned floor_minor = 16;
	size_t a;

	if (!manylinux_abi(p, archs, n_archs))
		return;
	for (a = 0; a < n_archs; a++)
		if (strcmp(archs[a], "x86_64") == 0 || strcmp(archs[a], "i686") == 0)
			floor_minor = 4;
	for (a = 0; a < n_archs; a++) {
		for (unsigned major = cur_major; major >= 2 || major == cur_major; major--) {
			unsigned top = major == cur_major ? cur_minor : LAST_GLIBC2_MINOR;
			/* Minors down to floor_minor + 1 for 2.x, down to 0 for others. */
			long stop = major == 2 ? (long)floor_minor : -1;

			for (long minor = (long)top; minor > stop; minor--) {
				const char *legacy;

				if (p->manylinux_hook &&
				    p->manylinux_hook(p->hook_ctx, major, (unsigned)minor,
						      archs[a]) == 0)
					continue;
				tags_strs_push(out, part_printf(arena, "manylinux_%u_%ld_%s",
								major, minor, archs[a]));
				if ((legacy = legacy_manylinux(major, (unsigned)minor)))
					tags_strs_push(out, part_printf(arena, "%s_%s", legacy,
									archs[a]));
			}
			if (major == 0)
				break;
		}
	}
}

void
tags_linux_platforms(const TagsPlatform *p, TagStrs *out)
{
	Arena *arena = out->arena;
	const char *arch = tags_normalize_platform(p->arch ? p->arch : "", arena);
	const char *archs[2];
	size_t n_archs = 1, a;

	/* A 32-bit interpreter on a 64-bit kernel reports the kernel's machine. */
	if (p->is_32bit) {
		if (strcmp(arch, "x86_64") == 0)
			arch = "i686";
		else if (strcmp(arch, "aarch64") == 0)
			arch = "armv8l";
	}
	archs[0] = arch;
	if (strcmp(arch, "armv8l") == 0)
		archs[n_archs++] = "armv7l";
	if (!(p->flags & TAGS_LINUX_LAST))
		for (a = 0; a < n_archs; a++)
			tags_strs_push(out, part_printf(arena, "linux_%s", archs[a]));
	if (p->libc == TAGS_LIBC_GLIBC)
		manylinux_platforms(p, archs, n_archs, out);
	else if (p->libc == TAGS_LIBC_MUSL)
		for (a = 0; a < n_archs; a++)
			for (unsigned minor = p->libc_minor + 1; minor-- > 0;)
				tags_strs_push(out, part_printf(arena, "musllinux_%u_%u_%s",
								p->libc_major, minor, archs[a]));
	if (p->flags & TAGS_LINUX_LAST)
		for (a = 0; a < n_archs; a++)
			tags_strs_push(out, part_printf(arena, "linux_%s", archs[a]));
}

const char *
tags_mac_arch(const char *arch, bool is_32bit)
{
	if (!is_32bit)
		return arch;
	return strncmp(arch, "ppc", 3) == 0 ? "ppc" : "i386";
}

static bool
ver_lt(unsigned major, unsigned minor, unsigned omajor, unsigned ominor)
{
	return major != omajor ? major < omajor : minor < ominor;
}

void
tags_mac_binary_formats(unsigned major, unsigned minor, const char *arch, TagStrs *out)
{
	size_t start = out->len;
	bool x86_64 = strcmp(arch, "x86_64") == 0, i386 = strcmp(arch, "i386") == 0;
	bool ppc64 = strcmp(arch, "ppc64") == 0, ppc = strcmp(arch, "ppc") == 0;

	tags_strs_push(out, arch);
	if (x86_64 || i386) {
		if (ver_lt(major, minor, 10, 4))
			goto none;
		tags_strs_push(out, "intel");
		if (x86_64) {
			tags_strs_push(out, "fat64");
			tags_strs_push(out, "fat3");
		} else {
			tags_strs_push(out, "fat3");
			tags_strs_push(out, "fat");
		}
	} else if (ppc64) {
		if (ver_lt(10, 5, major, minor) || ver_lt(major, minor, 10, 4))
			goto none;
		tags_strs_push(out, "fat64");
	} else if (ppc) {
		if (ver_lt(10, 6, major, minor))
			goto none;
		tags_strs_push(out, "fat3");
		tags_strs_push(out, "fat");
	}
	if (x86_64 || strcmp(arch, "arm64") == 0)
		tags_strs_push(out, "universal2");
	if (x86_64 || i386 || ppc64 || ppc || strcmp(arch, "intel") == 0)
		tags_strs_push(out, "universal");
	return;
none:
	out->len = start;
}

static void
mac_version_formats(unsigned major, unsigned minor, const char *arch, TagStrs *out)
{
	TagStrs formats;
	size_t i;

	tags_strs_init(&formats, out->arena);
	tags_mac_binary_formats(major, minor, arch, &formats);
	for (i = 0; i < formats.len; i++)
		tags_strs_push(out, part_printf(out->arena, "macosx_%u_%u_%s", major, minor,
						formats.items[i]));
}

void
tags_mac_platforms(unsigned major, unsigned minor, const char *arch, TagStrs *out)
{
	if (major == 10) {
		/* Before 11, each yearly release bumped the minor. */
		for (unsigned m = minor + 1; m-- > 0;)
			mac_version_formats(10, m, arch, out);
	}
	if (major < 11)
		return;
	/* From 11 on the major moves yearly; minors are mid-year updates, never needed. */
	for (unsigned m = major; m > 10; m--)
		mac_version_formats(m, 0, arch, out);
	/*
	 * 11+ on x86_64 runs binaries built for 10.x; arm64 appeared with 11, so for it
	 * only universal2 wheels (whose x86_64 half names the old version) qualify.
	 */
	for (unsigned m = 16; m > 3; m--) {
		if (strcmp(arch, "x86_64") == 0)
			mac_version_formats(10, m, arch, out);
		else
			tags_strs_push(out, part_printf(out->arena, "macosx_10_%u_universal2", m));
	}
}

void
tags_ios_platforms(unsigned major, unsigned minor, const char *multiarch, TagStrs *out)
{
	char *ma;

	/* 12.0 is the first iOS that can run CPython. Minors are listed up to 9; none has
	 * gone past 8 so far, and an extra candidate costs nothing. */
	if (major < 12)
		return;
	ma = part_printf(out->arena, "%s", multiarch);
	for (char *p = ma; *p; p++)
		if (*p == '-')
			*p = '_';
	for (unsigned m = minor + 1; m-- > 0;)
		tags_strs_push(out, part_printf(out->arena, "ios_%u_%u_%s", major, m, ma));
	for (unsigned M = major - 1; M >= 12; M--)
		for (unsigned m = 10; m-- > 0;)
			tags_strs_push(out, part_printf(out->arena, "ios_%u_%u_%s", M, m, ma));
}

void
tags_android_platforms(unsigned api_level, const char *abi, TagStrs *out)
{
	const char *norm = tags_normalize_platform(abi, out->arena);

	/* 16 is the oldest API level CPython runs on without major patching. */
	for (unsigned v = api_level; v >= 16; v--)
		tags_strs_push(out, part_printf(out->arena, "android_%u_%s", v, norm));
}

void
tags_platforms(const TagsPlatform *p, TagStrs *out)
{
	switch (p->os) {
	case TAGS_OS_LINUX:
		tags_linux_platforms(p, out);
		break;
	case TAGS_OS_MACOS:
		tags_mac_platforms(p->os_major, p->os_minor,
				   tags_mac_arch(p->arch ? p->arch : "", p->is_32bit), out);
		break;
	case TAGS_OS_IOS:
		tags_ios_platforms(p->os_major, p->os_minor, p->arch ? p->arch : "", out);
		break;
	case TAGS_OS_ANDROID:
		tags_android_platforms(p->os_major, p->arch ? p->arch : "", out);
		break;
	case TAGS_OS_OTHER:
		tags_strs_push(out, tags_normalize_platform(p->arch ? p->arch : "", out->arena));
		break;
	}
}

/* ---------------------------------------------------------------- the supported list */

void
tags_supported(const TagsInterpreter *in, const TagsPlatform *p, TagList *out)
{
	Arena *arena = out->arena;
	TagStrs plats;
	char nodot[24];
	const char *compat_interp = NULL;

	tags_strs_init(&plats, arena);
	tags_platforms(p, &plats);
	tags_version_nodot(in->version, nodot);
	switch (in->impl) {
	case TAGS_IMPL_CPYTHON:
		tags_cpython(out, in->version, in->abis, in->n_abis, plats.items, plats.len);
		compat_interp = part_printf(arena, "cp%s", nodot);
		break;
	case TAGS_IMPL_PYPY:
		tags_generic(out, part_printf(arena, "pp%s", nodot), in->abis, in->n_abis,
			     plats.items, plats.len);
		/* PyPy's own pure wheels, whatever its Python version (packaging 21.3). */
		compat_interp = "pp3";
		break;
	case TAGS_IMPL_OTHER:
		tags_generic(out, part_printf(arena, "%s%s", in->name ? in->name : "", nodot),
			     in->abis, in->n_abis, plats.items, plats.len);
		break;
	}
	tags_compatible(out, in->version, compat_interp, plats.items, plats.len);
}

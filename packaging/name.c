/*
 * name.c - see name.h.
 *
 * Names are compared far more often than they are stored (every requirement, every
 * file on an index page, every lock entry), so the comparison walks both spellings
 * side by side instead of normalizing them into buffers first.
 *
 * Only ASCII letters are folded. packaging lower-cases with Python's str.ascii_lower(), which
 * also folds non-ASCII letters, but a valid name is ASCII, and the invalid names that
 * reach normalization (legacy sdist and wheel file names) keep their other bytes as
 * they are: both ways give the same answer on every valid name.
 */
#include "config.h"

#include "name.h"

#include "ascii.h"

#include <string.h>

bool
name_is_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || !ascii_is_alnum((unsigned char)s[0]) || !ascii_is_alnum((unsigned char)s[len - 1]))
		return false;
	for (i = 1; i + 1 < len; i++)
		if (!ascii_is_alnum((unsigned char)s[i]) && !ascii_is_sep((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * packaging >= 26.3 says "a--b" is not normalized (it normalizes to "a-b"); older
 * releases' pattern let it through. Normalized means: valid, and unchanged by
 * normalization.
 */
bool
name_is_normalized(const char *s, size_t len)
{
	size_t i;

	if (!name_is_valid(s, len))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || c == '_' || c == '.')
			return false;
		if (c == '-' && s[i + 1] == '-')   /* i + 1 < len: a valid name ends alnum */
			return false;
	}
	return true;
}

size_t
name_normalize_into(const char *s, size_t len, char *out)
{
	size_t i = 0, n = 0;

	while (i < len) {
		if (ascii_is_sep((unsigned char)s[i])) {
			while (i < len && ascii_is_sep((unsigned char)s[i]))
				i++;
			out[n++] = '-';
		} else {
			out[n++] = ascii_lower((unsigned char)s[i++]);
		}
	}
	out[n] = '\0';
	return n;
}

char *
name_normalize(const char *s, size_t len, Arena *arena)
{
	char *out = arena_alloc(arena, len + 1);

	name_normalize_into(s, len, out);
	return out;
}

/* The next byte of the normalized form of s[*i..len), or -1 at the end. */
static int
next_norm(const char *s, size_t len, size_t *i)
{
	if (*i >= len)
		return -1;
	if (ascii_is_sep((unsigned char)s[*i])) {
		while (*i < len && ascii_is_sep((unsigned char)s[*i]))
			(*i)++;
		return '-';
	}
	return (unsigned char)ascii_lower((unsigned char)s[(*i)++]);
}

bool
name_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i = 0, j = 0;
	int ca, cb;

	do {
		ca = next_norm(a, alen, &i);
		cb = next_norm(b, blen, &j);
		if (ca != cb)
			return false;
	} while (ca >= 0);
	return true;
}

bool
name_in(const char *name, const char *const *list, size_t n)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < n; i++)
		if (name_equal(name, len, list[i], strlen(list[i])))
			return true;
	return false;
}

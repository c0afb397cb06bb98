/*
 * ascii.h - character classes of the packaging grammars.
 *
 * Names, versions, tags and requirements are defined over ASCII only, whatever the
 * locale: <ctype.h> would let a locale make 'İ' a letter.
 */
#ifndef BUNPY_ASCII_H
#define BUNPY_ASCII_H

#include <stdbool.h>
#include <stddef.h>

static inline bool
ascii_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static inline bool
ascii_is_alnum(int c)
{
	return ascii_is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline char
ascii_lower(int c)
{
	return (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

/* a[0..n) and b[0..n) equal with ASCII letters folded. */
static inline bool
ascii_equal_fold(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
			return false;
	return true;
}

/* The separators of names (PEP 503) and of version segments (PEP 440). */
static inline bool
ascii_is_sep(int c)
{
	return c == '.' || c == '-' || c == '_';
}

#endif

/*
 * utf8.c - strict UTF-8 (utf8.h).
 */
#include "config.h"

#include "utf8.h"

size_t
utf8_decode(const char *s, size_t avail, uint32_t *cp, const char **why)
{
	const unsigned char *u = (const unsigned char *)s;
	const char *reason;
	uint32_t v, min;
	size_t n, i;

	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if (u[0] < 0xC0) {
		reason = "a continuation byte without a lead byte";
		goto bad;
	} else if (u[0] < 0xC2) {
		reason = "an overlong encoding";
		goto bad;
	} else if (u[0] < 0xE0) {
		n = 2, v = u[0] & 0x1F, min = 0x80;
	} else if (u[0] < 0xF0) {
		n = 3, v = u[0] & 0x0F, min = 0x800;
	} else if (u[0] < 0xF5) {
		n = 4, v = u[0] & 0x07, min = 0x10000;
	} else {
		reason = "a byte that never occurs in UTF-8";
		goto bad;
	}
	for (i = 1; i < n; i++) {
		if (i >= avail || (u[i] & 0xC0) != 0x80) {
			reason = "a truncated sequence";
			goto bad;
		}
		v = v << 6 | (u[i] & 0x3F);
	}
	if (v < min) {
		reason = "an overlong encoding";
		goto bad;
	}
	if (v >= 0xD800 && v <= 0xDFFF) {
		reason = "an encoded surrogate";
		goto bad;
	}
	if (v > 0x10FFFF) {
		reason = "a code point past U+10FFFF";
		goto bad;
	}
	*cp = v;
	return n;
bad:
	if (why)
		*why = reason;
	return 0;
}

size_t
utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

size_t
utf8_valid_prefix(const char *s, size_t len)
{
	size_t i = 0, n;
	uint32_t cp;

	while (i < len) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = utf8_decode(s + i, len - i, &cp, NULL)) == 0)
			return i;
		i += n;
	}
	return len;
}

/*
 * err.c - error messages and allocation that cannot fail.
 */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A message cut to fit ends on a whole UTF-8 character, not inside one. */
static void
trim_partial_char(char *s, size_t len)
{
	size_t start = len, need;
	unsigned char lead;

	while (start > 0 && len - start < 4 && ((unsigned char)s[start - 1] & 0xC0) == 0x80)
		start--;
	if (start == 0)
		return;
	lead = (unsigned char)s[start - 1];
	if (lead < 0xC0)
		return;
	need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
	if (len - (start - 1) < need)
		s[start - 1] = '\0';
}

int
err_set(Err *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(err->msg))
		trim_partial_char(err->msg, sizeof(err->msg) - 1);
	return -1;
}

int
err_sys(Err *err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t n;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(saved));
	errno = saved;
	return -1;
}

void
err_wrap(Err *err, const char *fmt, ...)
{
	char prefix[sizeof(err->msg) / 2];
	size_t plen, mlen;
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	plen = strlen(prefix);
	mlen = strlen(err->msg);
	if (plen + 2 + mlen >= sizeof(err->msg))
		mlen = sizeof(err->msg) - plen - 3;
	memmove(err->msg + plen + 2, err->msg, mlen);
	memcpy(err->msg, prefix, plen);
	err->msg[plen] = ':';
	err->msg[plen + 1] = ' ';
	err->msg[plen + 2 + mlen] = '\0';
	trim_partial_char(err->msg, plen + 2 + mlen);
}

_Noreturn void
xout_of_memory(size_t n)
{
	fprintf(stderr, "bunpy: out of memory (allocating %zu bytes)\n", n);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		xout_of_memory(n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		xout_of_memory(n * size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		xout_of_memory(n);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
xgrow(void *items, size_t *cap, size_t need, size_t elem)
{
	void **pp = items;
	size_t c = *cap;

	if (need <= c)
		return;
	if (c < 8)
		c = 8;
	while (c < need)
		c *= 2;
	*pp = xrealloc(*pp, c * elem);
	*cap = c;
}

const char *
err_reason(const char *msg, const char *phrase)
{
	const char *r = NULL, *at = msg;
	size_t n = strlen(phrase);

	while (n && (at = strstr(at, phrase)))
		r = at += n;
	return r ? r : msg;
}

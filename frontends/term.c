/*
 * term.c - messages and colour.
 */
#include "config.h"

#include "term.h"

#include "engine/buf.h"
#include "engine/fs.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
term_init(Term *t, const char *when)
{
	bool no_color = getenv("NO_COLOR") && *getenv("NO_COLOR");

	if (!when || !strcmp(when, "auto")) {
		t->color = !no_color && isatty(STDERR_FILENO);
		t->color_out = !no_color && isatty(STDOUT_FILENO);
	} else if (!strcmp(when, "always")) {
		t->color = t->color_out = true;
	} else if (!strcmp(when, "never")) {
		t->color = t->color_out = false;
	} else {
		return -1;
	}
	return 0;
}

static void
say_line(const Term *t, const char *label, const char *color, const char *text, size_t len)
{
	fputs("bunpy: ", stderr);
	if (label) {
		if (t->color)
			fprintf(stderr, "\033[%sm%s\033[0m ", color, label);
		else
			fprintf(stderr, "%s ", label);
	}
	fprintf(stderr, "%.*s\n", (int)len, text);
}

/* One line per message; what follows ERR_HINT goes on "bunpy: hint:" lines of its own. */
static void
say(const Term *t, const char *label, const char *color, const char *fmt, va_list ap)
{
	Buf b = { 0 };
	const char *s, *hint;

	buf_vprintf(&b, fmt, ap);
	s = b.data ? b.data : "";
	while ((hint = strstr(s, ERR_HINT))) {
		say_line(t, label, color, s, (size_t)(hint - s));
		s = hint + strlen(ERR_HINT);
		label = "hint:";
		color = "1;36";
	}
	say_line(t, label, color, s, strlen(s));
	buf_free(&b);
}

void
term_error(const Term *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(t, "error:", "1;31", fmt, ap);
	va_end(ap);
}

void
term_warn(const Term *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(t, "warning:", "1;33", fmt, ap);
	va_end(ap);
}

void
term_note(const Term *t, const char *fmt, ...)
{
	va_list ap;

	if (t->verbosity < 0)
		return;
	va_start(ap, fmt);
	say(t, NULL, NULL, fmt, ap);
	va_end(ap);
}

void
term_debug(const Term *t, const char *fmt, ...)
{
	va_list ap;

	if (t->verbosity < 1)
		return;
	va_start(ap, fmt);
	say(t, NULL, NULL, fmt, ap);
	va_end(ap);
}

void
term_progress_init(TermProgress *p, const Term *t)
{
	p->on = t->verbosity == 0 && isatty(2);
	p->shown_us = 0;
}

void
term_progress_show(TermProgress *p, const char *fmt, ...)
{
	int64_t now = fs_monotonic_us();
	va_list ap;

	if (!p->on || now - p->shown_us < 100000)
		return;
	fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	p->shown_us = now;
}

void
term_progress_clear(TermProgress *p)
{
	if (p->shown_us) {
		fputs("\r\033[K", stderr);
		p->shown_us = 0;
	}
}

static bool
colored(const Term *t, FILE *f)
{
	return f == stdout ? t->color_out : t->color;
}

const char *
term_bold(const Term *t, FILE *f)
{
	return colored(t, f) ? "\033[1m" : "";
}

const char *
term_dim(const Term *t, FILE *f)
{
	return colored(t, f) ? "\033[2m" : "";
}

const char *
term_reset(const Term *t, FILE *f)
{
	return colored(t, f) ? "\033[0m" : "";
}

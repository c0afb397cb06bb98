/*
 * err.h - error messages that travel up by return value.
 *
 * A failing function fills an Err and returns -1; callers add context on the way
 * up with err_wrap, and only the top level prints the message, once.
 */
#ifndef BUNPY_ERR_H
#define BUNPY_ERR_H

#include <stddef.h>

typedef struct Err {
	char msg[2048];
} Err;

#define ERR_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Set the message; returns -1 so that `return err_set(...)` reads naturally. */
int err_set(Err *err, const char *fmt, ...) ERR_PRINTF(2, 3);
/* Like err_set, with ": strerror(errno)" appended (errno is read first). */
int err_sys(Err *err, const char *fmt, ...) ERR_PRINTF(2, 3);
/*
 * The reason in a message of the form "VALUE PHRASE REASON": what follows the last
 * PHRASE (the value may contain the phrase, the reason never does), or the whole
 * message when PHRASE is not in it. For callers that quote the value themselves.
 */
const char *err_reason(const char *msg, const char *phrase);
/* Prefix the current message with context, "context: message". */
void err_wrap(Err *err, const char *fmt, ...) ERR_PRINTF(2, 3);
/*
 * What the person can do about it follows the message after ERR_HINT, in the same
 * format string ("%s: sha256 mismatch ..." ERR_HINT "run bunpy lock --refresh ...").
 * The front end prints it on a line of its own, "bunpy: hint: ..."; err_wrap keeps it
 * at the end.
 */
#define ERR_HINT "\nhint: "

/* Allocation that cannot fail: out of memory ends the process with a message. */
_Noreturn void xout_of_memory(size_t n);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Grow *items (of *cap elements of size elem) so that it holds at least need. */
void xgrow(void *items, size_t *cap, size_t need, size_t elem);

#endif

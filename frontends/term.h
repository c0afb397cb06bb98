/*
 * term.h - what bunpy says to a person: errors, notes, progress, colour.
 *
 * Everything goes to standard error except what a command produces as its result
 * (a task list, a graph), which goes to standard output so it can be piped. Colour
 * is used on terminals unless NO_COLOR is set or --color says otherwise.
 */
#ifndef BUNPY_TERM_H
#define BUNPY_TERM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/err.h"

typedef struct Term {
	bool color;          /* on standard error */
	bool color_out;      /* on standard output */
	int verbosity;       /* -1 quiet, 0 normal, 1+ verbose */
} Term;

/* when: "auto", "always" or "never"; -1 when it is none of them. */
int term_init(Term *t, const char *when);
void term_error(const Term *t, const char *fmt, ...) ERR_PRINTF(2, 3);
void term_warn(const Term *t, const char *fmt, ...) ERR_PRINTF(2, 3);
/* Progress and summaries: hidden by --quiet. */
void term_note(const Term *t, const char *fmt, ...) ERR_PRINTF(2, 3);
/* Details: shown with --verbose only. */
void term_debug(const Term *t, const char *fmt, ...) ERR_PRINTF(2, 3);

/*
 * One status line on standard error, redrawn in place at most ten times a second, and
 * only on a terminal at normal verbosity: "Resolving: 12 project pages, 30 wheel
 * metadata read". term_progress_clear wipes it before anything else is printed.
 */
typedef struct TermProgress {
	bool on;
	int64_t shown_us;
} TermProgress;

void term_progress_init(TermProgress *p, const Term *t);
void term_progress_show(TermProgress *p, const char *fmt, ...) ERR_PRINTF(2, 3);
void term_progress_clear(TermProgress *p);

/* SGR sequences, or "" when colour is off for that stream. */
const char *term_bold(const Term *t, FILE *f);
const char *term_dim(const Term *t, FILE *f);
const char *term_reset(const Term *t, FILE *f);

#endif

/*
 * buf.h - a growable byte buffer, always NUL-terminated after the last byte.
 *
 * The owner frees it with buf_free; buf_detach hands the bytes over to the caller.
 */
#ifndef BUNPY_BUF_H
#define BUNPY_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "err.h"

typedef struct Buf {
	char *data;
	size_t len, cap;
} Buf;

void buf_reserve(Buf *b, size_t extra);
void buf_append(Buf *b, const void *p, size_t n);
void buf_puts(Buf *b, const char *s);
void buf_putc(Buf *b, char c);
void buf_printf(Buf *b, const char *fmt, ...) ERR_PRINTF(2, 3);
void buf_vprintf(Buf *b, const char *fmt, va_list ap) ERR_PRINTF(2, 0);
/* Append s as a JSON string literal, quotes included. */
void buf_json_string(Buf *b, const char *s, size_t n);
/*
 * Append s as a double-quoted string for a message: quotes and backslashes escaped,
 * control characters and bytes that are not UTF-8 as \xHH (so outside data can never
 * put terminal escapes into bunpy's output), at most max bytes of s, cut on a character
 * boundary and followed by "..." when longer.
 */
void buf_put_quoted(Buf *b, const char *s, size_t n, size_t max);
/* The same, as a string allocated from arena. */
char *buf_quoted_string(Arena *arena, const char *s, size_t n, size_t max);
/* Little-endian fixed-width integers, for packed records. */
void buf_put_u32(Buf *b, uint32_t v);
void buf_put_u64(Buf *b, uint64_t v);
void buf_clear(Buf *b);
char *buf_detach(Buf *b);
void buf_free(Buf *b);

/* Read side of packed records: a cursor that stops at the end instead of overrunning. */
typedef struct BufReader {
	const unsigned char *p, *end;
	int bad;  /* set when a read ran past the end */
} BufReader;

void bufr_init(BufReader *r, const void *p, size_t n);
uint32_t bufr_u32(BufReader *r);
uint64_t bufr_u64(BufReader *r);
const void *bufr_bytes(BufReader *r, size_t n);

#endif

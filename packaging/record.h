/*
 * record.h - a wheel's RECORD file ("Recording installed projects"): CSV rows of
 * path, hash and size, and the hash field's "sha256=<urlsafe base64, no padding>".
 *
 * Unpacking checks every member of a wheel against its RECORD; installing writes a new
 * RECORD for the installed paths; uninstalling removes what RECORD lists. The reader
 * follows Python's csv module (',' delimiter, '"' quoting with "" for a quote, "\n" or
 * "\r\n" line ends, a last line without an end); errors name the file and the line:
 * "pkg-1.0.dist-info/RECORD:3: the hash 'md5=...' uses md5; RECORD needs sha256 or
 * stronger". The writer quotes only fields that need it, as csv.writer does.
 */
#ifndef BUNPY_RECORD_H
#define BUNPY_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/arena.h"
#include "../engine/buf.h"
#include "../engine/err.h"

/* The largest digest a RECORD may use (sha512, blake2b). */
#define RECORD_DIGEST_MAX 64

typedef struct RecordRow {
	const char *path;            /* as written: '/'-separated, relative (or ../ when installed) */
	const char *alg;             /* "sha256", "sha384", "sha512", "blake2b"...; NULL: no hash */
	unsigned char digest[RECORD_DIGEST_MAX];
	size_t digest_len;
	bool has_size;
	uint64_t size;
	unsigned line;               /* 1-based, for messages */
} RecordRow;

typedef struct Record {
	RecordRow *rows;             /* in file order */
	size_t nrows;
	const RecordRow **by_path;   /* the same rows sorted by path, for record_find */
} Record;

/*
 * Parse RECORD text. what names the file in messages. Refused: a row without a path or
 * with more than three fields, an empty path, a hash without '=' or with bad base64,
 * md5 and sha1 (forbidden in wheels), a size that is not a decimal number, a digest
 * whose length does not fit its algorithm, two rows for one path. Empty lines are
 * skipped. Results live in arena.
 */
int record_parse(const char *data, size_t len, const char *what, Arena *arena, Record *out,
		 Err *err);

/* The row for path (exact byte comparison, binary search); NULL when none. */
const RecordRow *record_find(const Record *r, const char *path);

/* urlsafe base64 without padding, as RECORD writes digests. */
void record_b64_encode(const void *bytes, size_t n, Buf *out);
/* -1 when s is not urlsafe base64 without padding (or does not fit max bytes). */
int record_b64_decode(const char *s, size_t len, unsigned char *out, size_t max, size_t *n);

/*
 * Append RECORD text for rows, sorted by path (byte order), one row per line ending
 * in "\n", each "path,alg=digest,size" (empty hash and size fields when alg is NULL or
 * has_size is false), fields quoted as csv.writer quotes them.
 */
void record_write(const RecordRow *rows, size_t n, Buf *out);

#endif

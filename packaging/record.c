/*
 * record.c - RECORD files (record.h).
 *
 * The reader is the state machine of Python's csv module with the excel dialect that
 * pip and pypa/installer use (',' delimiter, '"' quote, "" for a quote inside quotes,
 * no escape character, strict off), over the whole text, so:
 *  - a line ends at "\n", "\r\n" or "\r" (a file read with newline='' splits there),
 *    except inside quotes, where line breaks belong to the field;
 *  - a quote opens a quoted field only as the first character of a field; elsewhere it
 *    is an ordinary character (a"b is the path a"b);
 *  - text after a closing quote joins the field ("a"b is ab), as non-strict csv does.
 * Choices of ours, stricter than csv where it would accept garbage: a quoted field still
 * open at the end of the file is an error (csv returns what it has), a NUL byte is an
 * error, and a path must be UTF-8 (pip decodes RECORD as UTF-8 and fails too).
 *
 * The hash algorithm must be one of hashlib's guaranteed ones of at least sha256's
 * strength (an unknown name could not be verified, so it is refused rather than
 * skipped); the digest must have that algorithm's length. Sizes are plain decimal
 * digits (Python's int() would also take "+1" or "1_0"; no tool writes those).
 */
#include "config.h"

#include "record.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/utf8.h"

/* Bytes of outside text quoted in a message at most. */
#define QUOTED_MAX 120

static const struct {
	const char *name;
	size_t len;
} algorithms[] = {
	{ "sha224", 28 },   { "sha256", 32 },   { "sha384", 48 },   { "sha512", 64 },
	{ "sha3_224", 28 }, { "sha3_256", 32 }, { "sha3_384", 48 }, { "sha3_512", 64 },
	{ "blake2b", 64 },  { "blake2s", 32 },
};

/* ---------------------------------------------------------------- base64 */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void
record_b64_encode(const void *bytes, size_t n, Buf *out)
{
	const unsigned char *p = bytes;
	size_t i;

	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		buf_putc(out, b64_alphabet[v >> 18 & 63]);
		buf_putc(out, b64_alphabet[v >> 12 & 63]);
		buf_putc(out, b64_alphabet[v >> 6 & 63]);
		buf_putc(out, b64_alphabet[v & 63]);
	}
	if (n - i == 1) {
		buf_putc(out, b64_alphabet[p[i] >> 2]);
		buf_putc(out, b64_alphabet[(p[i] & 3) << 4]);
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 8 | p[i + 1];

		buf_putc(out, b64_alphabet[v >> 10 & 63]);
		buf_putc(out, b64_alphabet[v >> 4 & 63]);
		buf_putc(out, b64_alphabet[(v & 15) << 2]);
	}
}

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Bits left over in the last character are ignored, as Python's decoder ignores them:
 * only their count is checked (a length of 4k+1 cannot be base64).
 */
int
record_b64_decode(const char *s, size_t len, unsigned char *out, size_t max, size_t *n)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t i, o = 0;

	if (len % 4 == 1 || len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0) > max)
		return -1;
	for (i = 0; i < len; i++) {
		int v = b64_value(s[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6 | (uint32_t)v) & 0xFFFFFF;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	*n = o;
	return 0;
}

/* ---------------------------------------------------------------- reading */

typedef struct Reader {
	const char *s;
	size_t len, pos;
	unsigned line;       /* the line the reader is on */
	Buf field;
} Reader;

/* Consume one line break at pos, if there is one; whether there was. */
static bool
eat_break(Reader *r)
{
	if (r->pos >= r->len || (r->s[r->pos] != '\n' && r->s[r->pos] != '\r'))
		return false;
	r->pos += r->s[r->pos] == '\r' && r->pos + 1 < r->len && r->s[r->pos + 1] == '\n' ? 2 : 1;
	r->line++;
	return true;
}

/*
 * Read one field into r->field. *end is set when the field ends its row (a line break
 * or the end of the text). -1 on an unterminated quote or a NUL byte, with *bad_line
 * the line where the trouble is.
 */
static int
read_field(Reader *r, bool *end, const char **why, unsigned *bad_line)
{
	buf_clear(&r->field);
	if (r->pos < r->len && r->s[r->pos] == '"') {
		unsigned open_line = r->line;

		r->pos++;
		for (;;) {
			char c;

			if (r->pos >= r->len) {
				*why = "a quoted field is not closed";
				*bad_line = open_line;
				return -1;
			}
			c = r->s[r->pos++];
			if (c == '"') {
				if (r->pos < r->len && r->s[r->pos] == '"') {
					buf_putc(&r->field, '"');
					r->pos++;
					continue;
				}
				break;
			}
			if (c == '\0') {
				*why = "a NUL byte";
				*bad_line = r->line;
				return -1;
			}
			if (c == '\n' || (c == '\r' && !(r->pos < r->len && r->s[r->pos] == '\n')))
				r->line++;
			buf_putc(&r->field, c);
		}
	}
	/* Unquoted, or what follows a closing quote (non-strict csv keeps it). */
	while (r->pos < r->len) {
		char c = r->s[r->pos];

		if (c == ',') {
			r->pos++;
			*end = false;
			return 0;
		}
		if (c == '\n' || c == '\r')
			break;
		if (c == '\0') {
			*why = "a NUL byte";
			*bad_line = r->line;
			return -1;
		}
		buf_putc(&r->field, c);
		r->pos++;
	}
	eat_break(r);
	*end = true;
	return 0;
}

static const char *
quoted(Arena *arena, const char *s, size_t n)
{
	return buf_quoted_string(arena, s, n, QUOTED_MAX);
}

static int
parse_hash(RecordRow *row, const char *h, size_t n, const char *what, Arena *arena, Err *err)
{
	const char *eq = memchr(h, '=', n);
	size_t alen, k, got;

	if (!eq)
		return err_set(err, "%s:%u: the hash %s has no '=' (it should read "
				    "\"sha256=<urlsafe base64>\")",
			       what, row->line, quoted(arena, h, n));
	alen = (size_t)(eq - h);
	if ((alen == 3 && memcmp(h, "md5", 3) == 0) || (alen == 4 && memcmp(h, "sha1", 4) == 0))
		return err_set(err, "%s:%u: the hash %s uses %.*s; RECORD needs sha256 or stronger",
			       what, row->line, quoted(arena, h, n), (int)alen, h);
	for (k = 0; k < sizeof(algorithms) / sizeof(algorithms[0]); k++)
		if (strlen(algorithms[k].name) == alen && memcmp(algorithms[k].name, h, alen) == 0)
			break;
	if (k == sizeof(algorithms) / sizeof(algorithms[0]))
		return err_set(err, "%s:%u: the hash %s uses an unknown algorithm %s (RECORD needs "
				    "sha256 or stronger: sha256, sha384, sha512, sha3_*, blake2b, "
				    "blake2s, sha224)",
			       what, row->line, quoted(arena, h, n), quoted(arena, h, alen));
	if (record_b64_decode(eq + 1, n - alen - 1, row->digest, sizeof(row->digest), &got) != 0)
		return err_set(err, "%s:%u: the hash %s is not urlsafe base64 without padding",
			       what, row->line, quoted(arena, h, n));
	if (got != algorithms[k].len)
		return err_set(err, "%s:%u: the hash %s has %zu bytes; %s digests have %zu",
			       what, row->line, quoted(arena, h, n), got, algorithms[k].name,
			       algorithms[k].len);
	row->alg = algorithms[k].name;
	row->digest_len = got;
	return 0;
}

static int
parse_size(RecordRow *row, const char *s, size_t n, const char *what, Arena *arena, Err *err)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return err_set(err, "%s:%u: the size %s is not a decimal number of bytes",
				       what, row->line, quoted(arena, s, n));
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	row->has_size = true;
	row->size = v;
	return 0;
}

static int
cmp_row_ptr(const void *a, const void *b)
{
	return strcmp((*(const RecordRow *const *)a)->path, (*(const RecordRow *const *)b)->path);
}

/* One row's fields, already split: checked and stored in row. */
static int
parse_row(RecordRow *row, Buf *fields, size_t nf, const char *what, Arena *arena, Err *err)
{
	size_t bad;

	if (nf > 3)
		return err_set(err, "%s:%u: %zu fields; a row is path, hash, size", what,
			       row->line, nf);
	if (fields[0].len == 0)
		return err_set(err, "%s:%u: the path is empty", what, row->line);
	if ((bad = utf8_valid_prefix(fields[0].data, fields[0].len)) < fields[0].len)
		return err_set(err, "%s:%u: the path %s is not valid UTF-8 (byte 0x%02x)", what,
			       row->line, quoted(arena, fields[0].data, fields[0].len),
			       (unsigned char)fields[0].data[bad]);
	row->path = arena_strndup(arena, fields[0].data, fields[0].len);
	if (nf > 1 && fields[1].len > 0 &&
	    parse_hash(row, fields[1].data, fields[1].len, what, arena, err) != 0)
		return -1;
	if (nf > 2 && fields[2].len > 0 &&
	    parse_size(row, fields[2].data, fields[2].len, what, arena, err) != 0)
		return -1;
	return 0;
}

int
record_parse(const char *data, size_t len, const char *what, Arena *arena, Record *out,
	     Err *err)
{
	Reader r = { data, len, 0, 1, { 0 } };
	Buf fields[4] = { { 0 } };
	RecordRow *rows = NULL, row;
	size_t nrows = 0, cap = 0, nf, i;
	const char *why;
	unsigned bad_line;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	while (r.pos < r.len) {
		bool end = false;

		/* An empty line is no row (csv gives [], which every reader skips). */
		if (eat_break(&r))
			continue;
		memset(&row, 0, sizeof(row));
		row.line = r.line;
		for (nf = 0; !end; nf++) {
			if (read_field(&r, &end, &why, &bad_line) != 0) {
				err_set(err, "%s:%u: %s", what, bad_line, why);
				goto done;
			}
			/* Only the count matters past the third field. */
			if (nf < 4) {
				buf_clear(&fields[nf]);
				buf_append(&fields[nf], r.field.data ? r.field.data : "", r.field.len);
			}
		}
		if (parse_row(&row, fields, nf, what, arena, err) != 0)
			goto done;
		xgrow(&rows, &cap, nrows + 1, sizeof(*rows));
		rows[nrows++] = row;
	}

	out->rows = arena_alloc(arena, (nrows ? nrows : 1) * sizeof(*out->rows));
	if (nrows)
		memcpy(out->rows, rows, nrows * sizeof(*rows));
	out->nrows = nrows;
	out->by_path = arena_alloc(arena, (nrows ? nrows : 1) * sizeof(*out->by_path));
	for (i = 0; i < nrows; i++)
		out->by_path[i] = &out->rows[i];
	qsort(out->by_path, nrows, sizeof(*out->by_path), cmp_row_ptr);
	for (i = 1; i < nrows; i++) {
		if (strcmp(out->by_path[i - 1]->path, out->by_path[i]->path) == 0) {
			const RecordRow *a = out->by_path[i - 1], *b = out->by_path[i];

			if (a->line > b->line) {
				const RecordRow *t = a;

				a = b;
				b = t;
			}
			err_set(err, "%s:%u: %s is listed again (first at line %u)", what, b->line,
				quoted(arena, b->path, strlen(b->path)), a->line);
			memset(out, 0, sizeof(*out));
			goto done;
		}
	}
	rc = 0;
done:
	free(rows);
	buf_free(&r.field);
	for (i = 0; i < 4; i++)
		buf_free(&fields[i]);
	return rc;
}

const RecordRow *
record_find(const Record *r, const char *path)
{
	size_t lo = 0, hi = r->nrows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(r->by_path[mid]->path, path);

		if (c == 0)
			return r->by_path[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---------------------------------------------------------------- writing */

/* A field as csv.writer's QUOTE_MINIMAL writes it: quoted when it holds the delimiter,
 * the quote or a line break character, with quotes doubled. */
static void
put_field(Buf *out, const char *s)
{
	const char *p;

	if (!s[strcspn(s, ",\"\r\n")]) {
		buf_puts(out, s);
		return;
	}
	buf_putc(out, '"');
	for (p = s; *p; p++) {
		if (*p == '"')
			buf_putc(out, '"');
		buf_putc(out, *p);
	}
	buf_putc(out, '"');
}

void
record_write(const RecordRow *rows, size_t n, Buf *out)
{
	const RecordRow **sorted = xmalloc((n ? n : 1) * sizeof(*sorted));
	size_t i;

	for (i = 0; i < n; i++)
		sorted[i] = &rows[i];
	qsort(sorted, n, sizeof(*sorted), cmp_row_ptr);
	for (i = 0; i < n; i++) {
		const RecordRow *row = sorted[i];

		/* Algorithm names and base64 never need quoting. */
		put_field(out, row->path);
		buf_putc(out, ',');
		if (row->alg) {
			buf_puts(out, row->alg);
			buf_putc(out, '=');
			record_b64_encode(row->digest, row->digest_len, out);
		}
		buf_putc(out, ',');
		if (row->has_size)
			buf_printf(out, "%" PRIu64, row->size);
		buf_putc(out, '\n');
	}
	free(sorted);
}

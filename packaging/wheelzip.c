/*
 * wheelzip.c - reading one member of a wheel from pieces of it (wheelzip.h).
 *
 * The end-of-central-directory record is looked for backwards from the end, within
 * the last 22 + 65535 bytes (its size plus the longest comment). Only a record whose
 * comment ends exactly at the end of the file counts: a zip with bytes after it is
 * refused rather than guessed at, and so a tail of any length finds the same record
 * as the whole file does (or asks for more). A zip64 locator just before it, and the
 * zip64 record it points to, give the real counts and offsets.
 *
 * Everything is checked against the file's size: the directory lies before the end
 * record, each entry fits in the directory, each member's local header lies before
 * the directory, and the members do not overlap (a member ends where the next one by
 * offset begins, or at the directory). Spanned archives are refused.
 *
 * Extraction trusts the central directory for sizes and CRC (a local header may
 * defer them to a data descriptor, bit 3), checks that the local header names the same
 * member with the same method, then inflates through libarchive: the compressed bytes
 * are given to libarchive's streaming zip reader behind a local header written here
 * with the directory's sizes, so that libarchive never has to find the end of the data
 * itself. The result's size and CRC-32 are checked here too, whatever libarchive says.
 */
#include "config.h"

#include "wheelzip.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/dynlib.h"

#include "ascii.h"
#include "name.h"

#define EOCD_SIG 0x06054b50u
#define EOCD_LEN 22
#define LOC64_SIG 0x07064b50u
#define LOC64_LEN 20
#define EOCD64_SIG 0x06064b50u
#define EOCD64_LEN 56
#define CDIR_SIG 0x02014b50u
#define CDIR_LEN 46
#define LOCAL_SIG 0x04034b50u
#define LOCAL_LEN 30
#define COMMENT_MAX 65535
/* names quoted in a message at most: a list of them still fits an Err */
#define NAME_SHOWN_MAX 80
/* a list of names in a message stops once the message is this long */
#define LIST_MAX 1200

static uint16_t
rd16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
rd64(const unsigned char *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void
wr16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void
wr32(unsigned char *p, uint32_t v)
{
	wr16(p, (uint16_t)v);
	wr16(p + 2, (uint16_t)(v >> 16));
}

/* ---------------------------------------------------------------- the directory */

/*
 * The zip64 extra field of a directory entry: the fields whose 32-bit (16-bit for the
 * disk) value is all ones follow in this order.
 */
static int
read_zip64_extra(const unsigned char *extra, size_t n, uint64_t *usize, uint64_t *csize,
		 uint64_t *offset, uint32_t disk16, size_t index, Err *err)
{
	size_t i = 0;

	while (i + 4 <= n) {
		uint16_t id = rd16(extra + i), len = rd16(extra + i + 2);
		const unsigned char *d = extra + i + 4;
		size_t need = 0;

		if (i + 4 + len > n)
			return err_set(err, "central directory entry %zu: extra field runs past the entry",
				       index);
		if (id == 0x0001) {
			need = (*usize == 0xFFFFFFFFu ? 8 : 0) + (*csize == 0xFFFFFFFFu ? 8 : 0) +
			       (*offset == 0xFFFFFFFFu ? 8 : 0) + (disk16 == 0xFFFFu ? 4 : 0);
			if (len < need)
				return err_set(err, "central directory entry %zu: zip64 extra field too short",
					       index);
			if (*usize == 0xFFFFFFFFu)
				*usize = rd64(d), d += 8;
			if (*csize == 0xFFFFFFFFu)
				*csize = rd64(d), d += 8;
			if (*offset == 0xFFFFFFFFu)
				*offset = rd64(d);
			return 0;
		}
		i += 4 + (size_t)len;
	}
	if (*usize == 0xFFFFFFFFu || *csize == 0xFFFFFFFFu || *offset == 0xFFFFFFFFu) {
		/* a plain archive may hold a member of exactly 4 GiB - 1: only an offset
		 * that large without zip64 is impossible in a wheel we can read */
		if (*offset == 0xFFFFFFFFu)
			return err_set(err, "central directory entry %zu: zip64 extra field missing", index);
	}
	return 0;
}

typedef struct ByOffset {
	uint64_t offset;
	size_t index;
} ByOffset;

static int
cmp_offset(const void *a, const void *b)
{
	const ByOffset *x = a, *y = b;

	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Entries from the directory bytes dir[0..size); end offsets computed. */
static int
read_entries(const unsigned char *dir, uint64_t size, uint64_t count, uint64_t dir_offset,
	     Arena *arena, WheelzipDir *out, Err *err)
{
	WheelzipMember *m;
	ByOffset *order;
	uint64_t pos = 0;
	size_t i;

	if (count > size / CDIR_LEN)
		return err_set(err, "the end record counts %llu entries, more than a directory of %llu "
			       "bytes can hold", (unsigned long long)count, (unsigned long long)size);
	m = count ? arena_zalloc(arena, (size_t)count * sizeof(*m)) : NULL;
	for (i = 0; i < count; i++) {
		const unsigned char *e = dir + pos;
		uint64_t usize, csize, offset;
		uint16_t name_len, extra_len, comment_len, disk;

		if (size - pos < CDIR_LEN)
			return err_set(err, "central directory entry %zu runs past the directory", i);
		if (rd32(e) != CDIR_SIG)
			return err_set(err, "central directory entry %zu: bad signature", i);
		name_len = rd16(e + 28);
		extra_len = rd16(e + 30);
		comment_len = rd16(e + 32);
		if (size - pos - CDIR_LEN < (uint64_t)name_len + extra_len + comment_len)
			return err_set(err, "central directory entry %zu: name runs past the directory", i);
		if (memchr(e + CDIR_LEN, '\0', name_len))
			return err_set(err, "central directory entry %zu: the name contains a NUL byte", i);
		m[i].made_by = rd16(e + 4);
		m[i].method = rd16(e + 10);
		m[i].external_attr = rd32(e + 38);
		m[i].crc32 = rd32(e + 16);
		csize = rd32(e + 20);
		usize = rd32(e + 24);
		disk = rd16(e + 34);
		offset = rd32(e + 42);
		if (read_zip64_extra(e + CDIR_LEN + name_len, extra_len, &usize, &csize, &offset, disk,
				     i, err) != 0)
			return -1;
		if (disk != 0 && disk != 0xFFFF)
			return err_set(err, "central directory entry %zu: on disk %u (spanned archives "
				       "are not supported)", i, disk);
		m[i].name = arena_strndup(arena, (const char *)e + CDIR_LEN, name_len);
		m[i].compressed_size = csize;
		m[i].uncompressed_size = usize;
		m[i].local_offset = offset;
		pos += CDIR_LEN + (uint64_t)name_len + extra_len + comment_len;
	}
	if (pos != size)
		return err_set(err, "the central directory has %llu bytes, its %llu entries %llu",
			       (unsigned long long)size, (unsigned long long)count,
			       (unsigned long long)pos);

	/* each member ends where the next one by offset begins, the last at the directory */
	order = count ? xmalloc((size_t)count * sizeof(*order)) : NULL;
	for (i = 0; i < count; i++) {
		order[i].offset = m[i].local_offset;
		order[i].index = i;
	}
	if (count)
		qsort(order, (size_t)count, sizeof(*order), cmp_offset);
	for (i = 0; i < count; i++) {
		WheelzipMember *x = &m[order[i].index];
		uint64_t end = i + 1 < count ? order[i + 1].offset : dir_offset;

		if (x->local_offset >= dir_offset) {
			err_set(err, "central directory entry %zu: local header at %llu, past the "
				"directory at %llu", order[i].index, (unsigned long long)x->local_offset,
				(unsigned long long)dir_offset);
			free(order);
			return -1;
		}
		if (i + 1 < count && order[i + 1].offset == x->local_offset) {
			err_set(err, "central directory entries %zu and %zu share the local header at %llu",
				order[i].index, order[i + 1].index, (unsigned long long)x->local_offset);
			free(order);
			return -1;
		}
		x->end_offset = end;
		if (end - x->local_offset < LOCAL_LEN ||
		    end - x->local_offset - LOCAL_LEN < strlen(x->name) ||
		    end - x->local_offset - LOCAL_LEN - strlen(x->name) < x->compressed_size) {
			err_set(err, "central directory entry %zu: %llu bytes of data at %llu run past "
				"the next member at %llu", order[i].index,
				(unsigned long long)x->compressed_size, (unsigned long long)x->local_offset,
				(unsigned long long)end);
			free(order);
			return -1;
		}
	}
	free(order);
	out->members = m;
	out->nmembers = (size_t)count;
	out->dir_offset = dir_offset;
	return 0;
}

int
wheelzip_read_dir(const void *tail, size_t tail_len, uint64_t file_size, Arena *arena,
		  WheelzipDir *out, uint64_t *need_from, Err *err)
{
	const unsigned char *t = tail;
	uint64_t tail_start, eocd_at, count, dir_size, dir_offset, dir_end_limit;
	size_t pos, low;
	bool found = false;

	memset(out, 0, sizeof(*out));
	if (tail_len > file_size)
		return err_set(err, "%zu bytes of the end of a file of %llu bytes", tail_len,
			       (unsigned long long)file_size);
	tail_start = file_size - tail_len;
	if (tail_len < EOCD_LEN) {
		if (tail_start == 0)
			return err_set(err, "not a zip file (%zu bytes)", tail_len);
		*need_from = file_size >= EOCD_LEN + COMMENT_MAX + LOC64_LEN
				     ? file_size - (EOCD_LEN + COMMENT_MAX + LOC64_LEN) : 0;
		return 1;
	}
	/* backwards from the last place the record fits; the comment must end the file */
	low = tail_len - EOCD_LEN > COMMENT_MAX ? tail_len - EOCD_LEN - COMMENT_MAX : 0;
	for (pos = tail_len - EOCD_LEN + 1; pos-- > low;) {
		if (rd32(t + pos) == EOCD_SIG && pos + EOCD_LEN + rd16(t + pos + 20) == tail_len) {
			found = true;
			break;
		}
	}
	if (!found) {
		if (low == 0 && tail_start > 0) {
			/* the record may begin before the tail */
			*need_from = file_size >= EOCD_LEN + COMMENT_MAX + LOC64_LEN
					     ? file_size - (EOCD_LEN + COMMENT_MAX + LOC64_LEN) : 0;
			return 1;
		}
		return err_set(err, "not a zip file (no end of central directory record)");
	}
	eocd_at = tail_start + pos;
	/* a zip64 locator would be just before; it must be in view to know */
	if (pos < LOC64_LEN && tail_start > 0) {
		*need_from = eocd_at >= LOC64_LEN ? eocd_at - LOC64_LEN : 0;
		return 1;
	}
	if (rd16(t + pos + 4) != 0 || rd16(t + pos + 6) != 0 ||
	    rd16(t + pos + 8) != rd16(t + pos + 10))
		return err_set(err, "a spanned archive (more than one disk) is not supported");
	count = rd16(t + pos + 10);
	dir_size = rd32(t + pos + 12);
	dir_offset = rd32(t + pos + 16);
	dir_end_limit = eocd_at;

	if (pos >= LOC64_LEN && rd32(t + pos - LOC64_LEN) == LOC64_SIG) {
		const unsigned char *loc = t + pos - LOC64_LEN, *r;
		uint64_t rec_at = rd64(loc + 8), loc_at = eocd_at - LOC64_LEN;

		if (rd32(loc + 4) != 0 || rd32(loc + 16) > 1)
			return err_set(err, "a spanned archive (more than one disk) is not supported");
		if (rec_at > loc_at || loc_at - rec_at < EOCD64_LEN)
			return err_set(err, "the zip64 locator points to %llu, not before itself at %llu",
				       (unsigned long long)rec_at, (unsigned long long)loc_at);
		if (rec_at < tail_start) {
			*need_from = rec_at;
			return 1;
		}
		r = t + (rec_at - tail_start);
		if (rd32(r) != EOCD64_SIG)
			return err_set(err, "no zip64 end of central directory record at %llu",
				       (unsigned long long)rec_at);
		if (rd32(r + 16) != 0 || rd32(r + 20) != 0 || rd64(r + 24) != rd64(r + 32))
			return err_set(err, "a spanned archive (more than one disk) is not supported");
		count = rd64(r + 32);
		dir_size = rd64(r + 40);
		dir_offset = rd64(r + 48);
		dir_end_limit = rec_at;
	}
	if (dir_offset > dir_end_limit || dir_end_limit - dir_offset < dir_size)
		return err_set(err, "the central directory (%llu bytes at %llu) runs past the end "
			       "record at %llu", (unsigned long long)dir_size,
			       (unsigned long long)dir_offset, (unsigned long long)dir_end_limit);
	if (dir_offset < tail_start) {
		*need_from = dir_offset;
		return 1;
	}
	if (read_entries(t + (dir_offset - tail_start), dir_size, count, dir_offset, arena, out,
			 err) != 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- METADATA */

/* Versions as in a wheel's file name: '_' stands for '-', letters in any case. */
static bool
version_text_equal(const char *a, size_t an, const char *b)
{
	size_t i;

	if (an != strlen(b))
		return false;
	for (i = 0; i < an; i++) {
		char x = ascii_lower((unsigned char)a[i]), y = ascii_lower((unsigned char)b[i]);

		if (x == '_')
			x = '-';
		if (y == '_')
			y = '-';
		if (x != y)
			return false;
	}
	return true;
}

/* Whether "X.dist-info" (X = d[0..n)) names dist_name and version. */
static bool
dist_info_matches(const char *d, size_t n, const char *dist_name, const char *version)
{
	size_t i;

	if (!dist_name && !version)
		return true;
	/* the name may hold '-' in old wheels: try every split, the version has none */
	for (i = 0; i < n; i++) {
		if (d[i] != '-')
			continue;
		if ((!dist_name || name_equal(d, i, dist_name, strlen(dist_name))) &&
		    (!version || version_text_equal(d + i + 1, n - i - 1, version)))
			return true;
	}
	return false;
}

/* The "X" of a top-level "X.dist-info/METADATA", or NULL. */
static const char *
top_metadata(const char *name, size_t *xlen)
{
	static const char suffix[] = ".dist-info/METADATA";
	size_t n = strlen(name), s = sizeof(suffix) - 1;

	if (n <= s || strcmp(name + n - s, suffix) != 0 || memchr(name, '/', n - s))
		return NULL;
	*xlen = n - s;
	return name;
}

/* A name or version from the caller (a file name from an index page): as it is when
 * it is plain, else quoted. */
static void
put_shown(Buf *b, const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; i < n && n <= NAME_SHOWN_MAX; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7F || s[i] == '"' || s[i] == '\\')
			break;
	if (i == n && n <= NAME_SHOWN_MAX)
		buf_append(b, s, n);
	else
		buf_put_quoted(b, s, n, NAME_SHOWN_MAX);
}

const WheelzipMember *
wheelzip_find_metadata(const WheelzipDir *dir, const char *dist_name, const char *version,
		       Err *err)
{
	const WheelzipMember *found = NULL;
	size_t i, matches = 0, listed = 0, xlen;
	Buf b = { 0 };

	for (i = 0; i < dir->nmembers; i++) {
		const char *x = top_metadata(dir->members[i].name, &xlen);

		if (x && dist_info_matches(x, xlen, dist_name, version)) {
			matches++;
			if (!found)
				found = &dir->members[i];
		}
	}
	if (matches == 1)
		return found;

	if (matches == 0)
		buf_puts(&b, "no METADATA in the wheel");
	else
		buf_printf(&b, "%zu METADATA files in the wheel", matches);
	if (dist_name || version) {
		buf_puts(&b, " for ");
		put_shown(&b, dist_name ? dist_name : "any name");
		if (version) {
			buf_putc(&b, ' ');
			put_shown(&b, version);
		}
	}
	/* what there is, so that the message says why (as much as an Err holds) */
	for (i = 0; i < dir->nmembers; i++) {
		const char *name = dir->members[i].name;

		if (!top_metadata(name, &xlen))
			continue;
		if (b.len > LIST_MAX) {
			buf_puts(&b, ", ...");
			break;
		}
		buf_puts(&b, listed ? ", " : "; found ");
		buf_put_quoted(&b, name, strlen(name), NAME_SHOWN_MAX);
		listed++;
	}
	if (!listed)
		buf_puts(&b, "; found no NAME-VERSION.dist-info/METADATA at the top level");
	err_set(err, "%s", b.data);
	buf_free(&b);
	return NULL;
}

/* ---------------------------------------------------------------- extraction */

static uint32_t
crc32_update(uint32_t crc, const unsigned char *p, size_t n, const uint32_t table[256])
{
	size_t i;

	crc = ~crc;
	for (i = 0; i < n; i++)
		crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
	return ~crc;
}

static void
crc32_table(uint32_t table[256])
{
	uint32_t i, k, c;

	for (i = 0; i < 256; i++) {
		for (c = i, k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		table[i] = c;
	}
}

/* libarchive's words for its last error, on one line */
static const char *
la_reason(const ArchiveApi *la, struct archive *a, char *buf, size_t size)
{
	const char *why = la->archive_error_string(a);
	size_t i, n;

	snprintf(buf, size, "%s", why ? why : "no reason given");
	for (i = 0, n = strlen(buf); i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7F)
			buf[i] = ' ';
	while (n > 0 && buf[n - 1] == ' ')
		buf[--n] = '\0';
	return buf;
}

/* Inflate through libarchive: the data behind a local header of our own making. */
static int
inflate_member(const unsigned char *data, const WheelzipMember *m, Buf *out, Err *err)
{
	const ArchiveApi *la = dynlib_archive(err);
	unsigned char *zip;
	struct archive *a;
	struct archive_entry *e;
	char chunk[65536];
	char reason[256];
	la_ssize_t got;
	uint64_t total = 0;
	int rc = -1, r;

	if (!la)
		return -1;
	zip = xmalloc(LOCAL_LEN + 1 + (size_t)m->compressed_size);
	a = la->archive_read_new();
	memset(zip, 0, LOCAL_LEN);
	wr32(zip, LOCAL_SIG);
	wr16(zip + 4, 20);
	wr16(zip + 8, 8);
	wr32(zip + 14, m->crc32);
	wr32(zip + 18, (uint32_t)m->compressed_size);
	wr32(zip + 22, (uint32_t)m->uncompressed_size);
	wr16(zip + 26, 1);
	zip[LOCAL_LEN] = 'm';
	memcpy(zip + LOCAL_LEN + 1, data, (size_t)m->compressed_size);
	if (!a) {
		free(zip);
		return err_set(err, "%s: cannot start libarchive", m->name);
	}
	la->archive_read_support_format_zip_streamable(a);
	if (la->archive_read_open_memory(a, zip, LOCAL_LEN + 1 + (size_t)m->compressed_size) != ARCHIVE_OK ||
	    la->archive_read_next_header(a, &e) < ARCHIVE_WARN) {
		err_set(err, "cannot inflate: %s", la_reason(la, a, reason, sizeof(reason)));
		goto done;
	}
	while ((got = la->archive_read_data(a, chunk, sizeof(chunk))) > 0) {
		/* stop a bomb at the size the directory promised */
		if ((uint64_t)got > m->uncompressed_size - total) {
			err_set(err, "inflates to more than its %llu bytes",
				(unsigned long long)m->uncompressed_size);
			goto done;
		}
		buf_append(out, chunk, (size_t)got);
		total += (uint64_t)got;
	}
	if (got < 0) {
		err_set(err, "corrupt deflate data (%s)", la_reason(la, a, reason, sizeof(reason)));
		goto done;
	}
	rc = 0;
done:
	r = la->archive_read_free(a);
	(void)r;
	free(zip);
	return rc;
}

int
wheelzip_extract(const void *data, size_t len, const WheelzipMember *m, uint64_t max_size,
		 Buf *out, Err *err)
{
	const unsigned char *p = data;
	uint64_t span = m->end_offset - m->local_offset, data_at;
	uint16_t flags, method, name_len, extra_len;
	uint32_t table[256];
	size_t start = out->len, name_n = strlen(m->name);
	Buf quoted = { 0 };
	Err inner, why;

	buf_put_quoted(&quoted, m->name, name_n, NAME_SHOWN_MAX);
#define FAIL(...)                                                         \
	do {                                                              \
		err_set(&inner, __VA_ARGS__);                             \
		err_set(err, "member %s: %s", quoted.data, inner.msg);    \
		out->len = start;                                         \
		if (out->data)                                            \
			out->data[start] = '\0';                          \
		buf_free(&quoted);                                        \
		return -1;                                                \
	} while (0)

	if (m->end_offset < m->local_offset || len < span)
		FAIL("%zu bytes given, the member spans %llu", len,
		     (unsigned long long)(m->end_offset - m->local_offset));
	if (len < LOCAL_LEN || rd32(p) != LOCAL_SIG)
		FAIL("no local file header at %llu", (unsigned long long)m->local_offset);
	flags = rd16(p + 6);
	method = rd16(p + 8);
	name_len = rd16(p + 26);
	extra_len = rd16(p + 28);
	data_at = LOCAL_LEN + (uint64_t)name_len + extra_len;
	if (name_len != name_n || data_at > span || memcmp(p + LOCAL_LEN, m->name, name_n) != 0)
		FAIL("the local header names another member");
	if (method != m->method)
		FAIL("the local header says method %u, the directory %u", method, m->method);
	if (flags & 1)
		FAIL("encrypted");
	if (m->method != 0 && m->method != 8)
		FAIL("compression method %u is not supported (only stored and deflated)", m->method);
	if (!(flags & 8)) {
		/* sizes and CRC are in the local header too: they must agree */
		uint32_t lcrc = rd32(p + 14), lcsize = rd32(p + 18), lusize = rd32(p + 22);

		if (lcrc != m->crc32 ||
		    (lcsize != 0xFFFFFFFFu && lcsize != m->compressed_size) ||
		    (lusize != 0xFFFFFFFFu && lusize != m->uncompressed_size))
			FAIL("the local header disagrees with the central directory");
	}
	if (span - data_at < m->compressed_size)
		FAIL("%llu bytes of data run past the member's end", (unsigned long long)m->compressed_size);
	if (max_size && m->uncompressed_size > max_size)
		FAIL("%llu bytes, more than the %llu allowed", (unsigned long long)m->uncompressed_size,
		     (unsigned long long)max_size);
	if (m->uncompressed_size >= 0xFFFFFFFFu || m->compressed_size >= 0xFFFFFFFFu)
		FAIL("too large to read into memory (%llu bytes)", (unsigned long long)m->uncompressed_size);
	if (m->method == 0) {
		if (m->compressed_size != m->uncompressed_size)
			FAIL("stored, but %llu bytes become %llu", (unsigned long long)m->compressed_size,
			     (unsigned long long)m->uncompressed_size);
		buf_append(out, p + data_at, (size_t)m->compressed_size);
	} else if (inflate_member(p + data_at, m, out, &why) != 0) {
		FAIL("%s", why.msg);
	}
	if (out->len - start != m->uncompressed_size)
		FAIL("%zu bytes where the directory says %llu", out->len - start,
		     (unsigned long long)m->uncompressed_size);
	crc32_table(table);
	/* (an empty result may have left the buffer unallocated) */
	if (crc32_update(0, out->data ? (const unsigned char *)out->data + start : NULL,
			 out->len - start, table) != m->crc32)
		FAIL("CRC-32 mismatch: the data is corrupt");
#undef FAIL
	buf_free(&quoted);
	return 0;
}

/*
 * wheelzip.h - reading one member of a wheel (a zip file) from pieces of it.
 *
 * The lock needs each candidate's METADATA. When the index has no PEP 658 file, the
 * cheapest way to it over HTTP is two range requests: the end of the wheel (the zip's
 * end-of-central-directory record and, usually, the whole central directory), then
 * the bytes of the METADATA member alone. wheelzip finds the central directory in such
 * a tail (zip64 included), lists its entries, picks the `NAME-VERSION.dist-info/METADATA`
 * member, and decompresses a member (stored or deflated, through libarchive) from the
 * bytes that begin at its local header, checking its size and CRC-32. The same calls
 * read METADATA from a whole wheel (the tail is then the whole file).
 *
 * Pure functions over bytes, results in the caller's arena; every error says what is
 * wrong with the archive ("central directory entry 3: name runs past the directory").
 */
#ifndef BUNPY_WHEELZIP_H
#define BUNPY_WHEELZIP_H

#include <stddef.h>
#include <stdint.h>

#include "../engine/arena.h"
#include "../engine/buf.h"
#include "../engine/err.h"

/* How many bytes of a wheel's end to fetch first: the central directory of almost
 * every wheel fits. */
#define WHEELZIP_TAIL_GUESS 65536

typedef struct WheelzipMember {
	const char *name;            /* as stored (UTF-8 or CP437 bytes as given) */
	uint64_t local_offset;       /* of its local file header */
	uint64_t end_offset;         /* where the next member (or the directory) begins */
	uint64_t compressed_size, uncompressed_size;
	uint32_t crc32;
	uint16_t method;             /* 0 stored, 8 deflated; others are refused on extraction */
	uint16_t made_by;            /* "version made by": the high byte is the system, 3 Unix */
	uint32_t external_attr;      /* made on Unix: st_mode (file type and permissions) << 16 */
} WheelzipMember;

typedef struct WheelzipDir {
	WheelzipMember *members;     /* in directory order */
	size_t nmembers;
	uint64_t dir_offset;         /* where the central directory starts */
} WheelzipDir;

/*
 * Read the central directory from the last tail_len bytes of a file of file_size bytes.
 * Returns 0 with *out filled; 1 when the directory begins before the tail, with
 * *need_from set to the offset to fetch from (call again with a longer tail); -1 with
 * err when the bytes are not a zip file or the directory is inconsistent.
 */
int wheelzip_read_dir(const void *tail, size_t tail_len, uint64_t file_size, Arena *arena,
		      WheelzipDir *out, uint64_t *need_from, Err *err);

/*
 * The METADATA member: "D.dist-info/METADATA" for the one top-level D ending in
 * ".dist-info" whose name, normalized as a project name and version would be in a wheel
 * file name, matches dist_name and version (both as in the wheel's file name; either may
 * be NULL to accept any). NULL with err when there is none, or more than one.
 */
const WheelzipMember *wheelzip_find_metadata(const WheelzipDir *dir, const char *dist_name,
					     const char *version, Err *err);

/*
 * The contents of member m, from bytes that start at its local header (at least up to
 * m->end_offset - m->local_offset of them, fewer is an error). A result longer than
 * max_size (0: no limit) is refused.
 */
int wheelzip_extract(const void *data, size_t len, const WheelzipMember *m, uint64_t max_size,
		     Buf *out, Err *err);

#endif

/*
 * cas.h - a content-addressed store of blobs named by their SHA-256.
 *
 * Blobs live at DIR/ab/cdef... (the first two hex digits as a fan-out directory). A blob
 * is written under a temporary name and renamed, so a name that exists always holds its
 * whole content; several processes may write the same blob at once.
 *
 * A file a task just produced is taken in by a hard link when the cache is on the same
 * filesystem: no data is copied and no inode is made, which for small outputs is most of
 * the cost of caching them. The blob then shares the output's inode, so whoever runs
 * the task again first replaces the output with a private copy (cas_unshare), and a
 * blob is always re-hashed when it is restored: an output edited in place damages only
 * its own blob, which is then found out, removed, and the task runs instead.
 */
#ifndef BUNPY_CAS_H
#define BUNPY_CAS_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "hash.h"

typedef struct Cas {
	char *dir;
	long pid;                     /* for temporary names */
	_Atomic uint64_t fanout[4];   /* which of the 256 fan-out directories exist */
	_Atomic uint64_t tmp_serial;  /* temporary names, unique within the process */
} Cas;

/* create: make the directory when missing (not for read-only use). */
int cas_open(Cas *cas, const char *dir, bool create, Err *err);
void cas_close(Cas *cas);
void cas_path(const Cas *cas, const Sha256 *sha, Buf *out);
bool cas_has(const Cas *cas, const Sha256 *sha);
/* Store the file at path under the SHA-256 the caller computed earlier. The copy is
 * hashed again, so a file that changed in between is refused, not stored under a
 * name that is not its own. */
int cas_put_file(Cas *cas, const char *path, const Sha256 *sha, Err *err);
/* Take in a file by a hard link; -1 (and nothing stored) when the filesystem will not
 * link it there: then use cas_put_file. */
int cas_link_file(Cas *cas, const char *path, const Sha256 *sha);
/* If path shares its inode with other names (a blob), make it a private copy. */
int cas_unshare(const char *path, Err *err);
int cas_put_bytes(Cas *cas, const void *p, size_t n, Sha256 *sha_out, Err *err);
int cas_get_bytes(const Cas *cas, const Sha256 *sha, Buf *out, Err *err);
/*
 * A blob whose content arrives in pieces (a download): cas_begin opens a temporary
 * file beside the blob's place (*fd, *tmp) and returns 0, or 1 when the blob exists
 * already (nothing opened); cas_commit renames the file, which the caller has checked
 * to hold exactly the content sha names, into place (read-only), and cas_abort throws
 * it away. Both close fd.
 */
int cas_begin(Cas *cas, const Sha256 *sha, Buf *tmp, int *fd, Err *err);
int cas_commit(Cas *cas, const Sha256 *sha, const char *tmp, int fd, Err *err);
void cas_abort(const char *tmp, int fd);
/* Write the blob to dest (atomically, with the given mode); fails when the blob is
 * missing or its content no longer matches its name. */
int cas_restore(const Cas *cas, const Sha256 *sha, const char *dest, unsigned mode, Err *err);

#endif

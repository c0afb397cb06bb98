/*
 * cas.h - a content-addressed store of blobs named by their SHA-256.
 *
 * Blobs live at DIR/ab/cdef... (the first two hex digits as a fan-out directory). A blob
 * is written under a temporary name and renamed, so a name that exists always holds its
 * whole content; several processes may write the same blob at once. Restoring copies a
 * blob out (a reflink where the filesystem allows) and checks its hash on the way, so a
 * blob damaged by a power loss is detected instead of restored.
 */
#ifndef BUNPY_CAS_H
#define BUNPY_CAS_H

#include <stdbool.h>

#include "buf.h"
#include "err.h"
#include "hash.h"

typedef struct Cas {
	char *dir;
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
int cas_put_bytes(Cas *cas, const void *p, size_t n, Sha256 *sha_out, Err *err);
int cas_get_bytes(const Cas *cas, const Sha256 *sha, Buf *out, Err *err);
/* Write the blob to dest (atomically, with the given mode); fails when the blob is
 * missing or its content no longer matches its name. */
int cas_restore(const Cas *cas, const Sha256 *sha, const char *dest, unsigned mode, Err *err);

#endif

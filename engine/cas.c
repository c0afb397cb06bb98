/*
 * cas.c - content-addressed blob store on the filesystem.
 */
#include "config.h"

#include "cas.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cacheindex.h"
#include "fs.h"

int
cas_open(Cas *cas, const char *dir, bool create, Err *err)
{
	memset(cas, 0, sizeof(*cas));
	cas->dir = xstrdup(dir);
	cas->pid = (long)getpid();
	if (create && fs_mkdir_p(dir, err) != 0) {
		err_wrap(err, "cache");
		cas_close(cas);
		return -1;
	}
	return 0;
}

void
cas_close(Cas *cas)
{
	free(cas->dir);
	cas->dir = NULL;
}

void
cas_path(const Cas *cas, const Sha256 *sha, Buf *out)
{
	char hex[SHA256_HEX_LEN + 1];

	hash_hex(sha->b, sizeof(sha->b), hex);
	buf_clear(out);
	buf_printf(out, "%s/%.2s/%s", cas->dir, hex, hex + 2);
}

bool
cas_has(const Cas *cas, const Sha256 *sha)
{
	Buf p = { 0 };
	bool ok;

	cas_path(cas, sha, &p);
	ok = access(p.data, F_OK) == 0;
	buf_free(&p);
	return ok;
}

/*
 * Tell the cache's index about a blob: only for the shared cache's own store, CACHE/cas
 * (tests open stores anywhere). The path relative to the cache is "cas/ab/cdef...".
 */
static void
note(const Cas *cas, const char *blob, int64_t bytes)
{
	size_t n = strlen(cas->dir);
	char *cache;

	if (n < 4 || strcmp(cas->dir + n - 4, "/cas") != 0)
		return;
	cache = xstrndup(cas->dir, n - 4);
	if (bytes < 0)
		cacheindex_note_use(cache, blob + n - 3);
	else
		cacheindex_note_add(cache, blob + n - 3, (uint64_t)bytes, NULL);
	free(cache);
}

/* Move a finished temporary file to its final name (a blob, or a restored file). */
static int
publish(const char *tmp, const char *final, Err *err)
{
	if (rename(tmp, final) != 0) {
		err_sys(err, "cannot write %s", final);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The fan-out directory of a blob exists (made now if need be). */
static int
fanout_ready(Cas *cas, const Sha256 *sha, const char *dest, Err *err)
{
	unsigned d = sha->b[0];
	uint64_t bit = (uint64_t)1 << (d & 63);

	if (atomic_load(&cas->fanout[d >> 6]) & bit)
		return 0;
	if (fs_mkdir_parent(dest, err) != 0)
		return -1;
	atomic_fetch_or(&cas->fanout[d >> 6], bit);
	return 0;
}

/* A temporary name next to dest, without a syscall: pid and a counter. */
static void
tmp_name(Cas *cas, const char *dest, Buf *out)
{
	buf_clear(out);
	buf_printf(out, "%s.tmp-%ld-%llu", dest, cas->pid,
		   (unsigned long long)atomic_fetch_add(&cas->tmp_serial, 1));
}

/* Where a new blob goes, and a temporary name to write it under first; 1 when the
 * blob is already there. */
static int
begin_put(Cas *cas, const Sha256 *sha, Buf *dest, Buf *tmp, Err *err)
{
	cas_path(cas, sha, dest);
	if (access(dest->data, F_OK) == 0)
		return 1;
	if (fanout_ready(cas, sha, dest->data, err) != 0)
		return -1;
	tmp_name(cas, dest->data, tmp);
	return 0;
}

int
cas_link_file(Cas *cas, const char *path, const Sha256 *sha)
{
	Buf dest = { 0 }, tmp = { 0 };
	struct stat sb;
	int rc;

	if ((rc = begin_put(cas, sha, &dest, &tmp, NULL)) != 0) {
		rc = rc > 0 ? 0 : -1;
		goto out;
	}
	/* link() takes a symlink itself, not its target: symlinks are copied instead */
	if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || link(path, tmp.data) != 0) {
		rc = -1;
		goto out;
	}
	if (rename(tmp.data, dest.data) != 0) {
		unlink(tmp.data);
		rc = -1;
	} else {
		note(cas, dest.data, (int64_t)sb.st_size);
	}
out:
	buf_free(&dest);
	buf_free(&tmp);
	return rc;
}

int
cas_unshare(const char *path, Err *err)
{
	struct stat sb;
	Buf tmp = { 0 };
	int rc;

	if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_nlink < 2)
		return 0;
	fs_tmp_name(&tmp, path);
	rc = fs_copy_file(path, tmp.data, sb.st_mode & 07777, err);
	if (rc == 0 && rename(tmp.data, path) != 0)
		rc = err_sys(err, "%s", path);
	if (rc != 0)
		unlink(tmp.data);
	buf_free(&tmp);
	return rc;
}

int
cas_put_file(Cas *cas, const char *path, const Sha256 *sha, Err *err)
{
	Buf dest = { 0 }, tmp = { 0 };
	int rc;

	if ((rc = begin_put(cas, sha, &dest, &tmp, err)) != 0) {
		rc = rc > 0 ? 0 : -1;
		goto out;
	}
	/* Blobs are read-only so that a hard link or reflink out of the store cannot be
	 * edited in place by accident. */
	{
		Hasher *h = hasher_new(true);
		Sha256 got;

		rc = fs_copy_hashing(path, tmp.data, 0444, h, err);
		hasher_final(h, NULL, &got);
		if (rc == 0 && memcmp(got.b, sha->b, sizeof(got.b)) != 0) {
			unlink(tmp.data);
			rc = err_set(err, "%s changed before it could be cached", path);
		}
	}
	if (rc == 0 && (rc = publish(tmp.data, dest.data, err)) == 0) {
		struct stat sb;

		if (stat(dest.data, &sb) == 0)
			note(cas, dest.data, (int64_t)sb.st_size);
	}
out:
	buf_free(&dest);
	buf_free(&tmp);
	return rc;
}

int
cas_begin(Cas *cas, const Sha256 *sha, Buf *tmp, int *fd, Err *err)
{
	Buf dest = { 0 };
	int rc = begin_put(cas, sha, &dest, tmp, err);

	*fd = -1;
	if (rc == 0 && (*fd = open(tmp->data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444)) < 0)
		rc = err_sys(err, "cannot create %s", tmp->data);
	buf_free(&dest);
	return rc;
}

int
cas_commit(Cas *cas, const Sha256 *sha, const char *tmp, int fd, Err *err)
{
	Buf dest = { 0 };
	struct stat sb;
	int rc;

	if (fstat(fd, &sb) != 0)
		sb.st_size = 0;
	if (close(fd) != 0) {
		unlink(tmp);
		return err_sys(err, "cannot write %s", tmp);
	}
	cas_path(cas, sha, &dest);
	rc = publish(tmp, dest.data, err);
	if (rc == 0)
		note(cas, dest.data, (int64_t)sb.st_size);
	buf_free(&dest);
	return rc;
}

void
cas_abort(const char *tmp, int fd)
{
	if (fd >= 0)
		close(fd);
	unlink(tmp);
}

int
cas_put_bytes(Cas *cas, const void *p, size_t n, Sha256 *sha_out, Err *err)
{
	Sha256 sha = sha256_bytes(p, n);
	Buf dest = { 0 };
	int rc = 0;

	if (sha_out)
		*sha_out = sha;
	cas_path(cas, &sha, &dest);
	if (access(dest.data, F_OK) != 0) {
		rc = fs_mkdir_parent(dest.data, err);
		if (rc == 0)
			rc = fs_write_atomic(dest.data, p, n, 0444, err);
		if (rc == 0)
			note(cas, dest.data, (int64_t)n);
	}
	buf_free(&dest);
	return rc;
}

int
cas_get_bytes(const Cas *cas, const Sha256 *sha, Buf *out, Err *err)
{
	Buf path = { 0 };
	Sha256 got;
	int rc;

	cas_path(cas, sha, &path);
	buf_clear(out);
	rc = fs_read_file(path.data, out, err);
	if (rc == 0) {
		got = sha256_bytes(out->data, out->len);
		if (memcmp(got.b, sha->b, sizeof(got.b)) != 0)
			rc = err_set(err, "cache blob %s is damaged (its content does not match its hash)",
				     path.data);
		else
			note(cas, path.data, -1);
	}
	buf_free(&path);
	return rc;
}

int
cas_restore(const Cas *cas, const Sha256 *sha, const char *dest, unsigned mode, Err *err)
{
	Buf src = { 0 }, tmp = { 0 };
	Sha256 got;
	int rc;

	cas_path(cas, sha, &src);
	if (access(src.data, F_OK) != 0) {
		rc = err_set(err, "%s is not in the cache", dest);
		goto out;
	}
	if ((rc = fs_mkdir_parent(dest, err)) != 0)
		goto out;
	fs_tmp_name(&tmp, dest);
	if ((rc = fs_copy_file(src.data, tmp.data, mode & 07777, err)) != 0)
		goto out;
	if ((rc = hash_file(tmp.data, NULL, &got, err)) == 0 &&
	    memcmp(got.b, sha->b, sizeof(got.b)) != 0) {
		/* A damaged blob must not be served again. */
		unlink(src.data);
		rc = err_set(err, "cache blob for %s was damaged and has been removed", dest);
	}
	if (rc == 0) {
		chmod(tmp.data, mode & 07777);
		note(cas, src.data, -1);
	}
	if (rc == 0)
		rc = publish(tmp.data, dest, err);
	else
		unlink(tmp.data);
out:
	buf_free(&src);
	buf_free(&tmp);
	return rc;
}

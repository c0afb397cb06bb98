/*
 * fs.c - stat tuples, atomic writes and copies on Linux.
 */
#include "config.h"

#include "fs.h"
#include "hash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Linux stamps files from a coarse clock that ticks every few milliseconds; a file
 * whose mtime is this close to now may still change without its tuple moving. */
#define RACY_WINDOW_NS (100 * 1000000LL)

static int64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t
fs_now_us(void)
{
	return clock_ns(CLOCK_REALTIME) / 1000;
}

int64_t
fs_monotonic_us(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1000;
}

int
fs_stat(const char *path, FileStat *st, Err *err)
{
	return fs_statat(AT_FDCWD, path, st, err);
}

int
fs_statat(int dirfd, const char *path, FileStat *st, Err *err)
{
	struct stat sb;
	int64_t now;

	memset(st, 0, sizeof(*st));
	if (fstatat(dirfd, path, &sb, 0) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 1;
		return err_sys(err, "%s", path);
	}
	st->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
	st->ctime_ns = (int64_t)sb.st_ctim.tv_sec * 1000000000LL + sb.st_ctim.tv_nsec;
	st->size = (uint64_t)sb.st_size;
	st->ino = (uint64_t)sb.st_ino;
	st->mode = (uint32_t)sb.st_mode;
	now = clock_ns(CLOCK_REALTIME);
	st->racy = now - st->mtime_ns < RACY_WINDOW_NS || now - st->ctime_ns < RACY_WINDOW_NS;
	return 0;
}

bool
fs_stat_same(const FileStat *a, const FileStat *b)
{
	return !a->racy && !b->racy && a->mode && a->mtime_ns == b->mtime_ns &&
	       a->ctime_ns == b->ctime_ns && a->size == b->size && a->ino == b->ino &&
	       a->mode == b->mode;
}

static void
put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void
fs_stat_pack(const FileStat *st, unsigned char out[FILESTAT_PACKED])
{
	put64(out, (uint64_t)st->mtime_ns);
	put64(out + 8, (uint64_t)st->ctime_ns);
	put64(out + 16, st->size);
	put64(out + 24, st->ino);
	put64(out + 32, (uint64_t)st->mode | (uint64_t)st->racy << 32);
}

void
fs_stat_unpack(FileStat *st, const unsigned char in[FILESTAT_PACKED])
{
	uint64_t mode = get64(in + 32);

	st->mtime_ns = (int64_t)get64(in);
	st->ctime_ns = (int64_t)get64(in + 8);
	st->size = get64(in + 16);
	st->ino = get64(in + 24);
	st->mode = (uint32_t)mode;
	st->racy = (uint32_t)(mode >> 32);
}

int
fs_read_file(const char *path, Buf *out, Err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	ssize_t n;

	if (fd < 0)
		return err_sys(err, "%s", path);
	if (fstat(fd, &sb) == 0 && sb.st_size > 0)
		buf_reserve(out, (size_t)sb.st_size);
	for (;;) {
		buf_reserve(out, 64 * 1024);
		n = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err_sys(err, "%s: read", path);
			close(fd);
			return -1;
		}
		out->len += (size_t)n;
	}
	out->data[out->len] = '\0';
	close(fd);
	return 0;
}

void
fs_tmp_name(Buf *out, const char *path)
{
	unsigned char r[6];
	char hex[13];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		/* Without randomness the pid and a stack address still keep concurrent
		 * writers apart. */
		uintptr_t a = (uintptr_t)&r;

		memcpy(r, &a, sizeof(r) < sizeof(a) ? sizeof(r) : sizeof(a));
	}
	snprintf(hex, sizeof(hex), "%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5]);
	buf_clear(out);
	buf_printf(out, "%s.tmp-%ld-%s", path, (long)getpid(), hex);
}

int
fs_write_all(int fd, const void *data, size_t n)
{
	const char *p = data;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
fs_write_atomic(const char *path, const void *data, size_t n, unsigned mode, Err *err)
{
	Buf tmp = { 0 };
	int fd;

	fs_tmp_name(&tmp, path);
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode ? mode : 0644);
	if (fd < 0) {
		err_sys(err, "%s", tmp.data);
		buf_free(&tmp);
		return -1;
	}
	if (fs_write_all(fd, data, n) != 0 || close(fd) != 0) {
		err_sys(err, "%s: write", path);
		unlink(tmp.data);
		buf_free(&tmp);
		return -1;
	}
	if (rename(tmp.data, path) != 0) {
		err_sys(err, "%s: rename", path);
		unlink(tmp.data);
		buf_free(&tmp);
		return -1;
	}
	buf_free(&tmp);
	return 0;
}

/* The whole path first: it usually exists already, and then this is one syscall. Only
 * when the parent is missing does it walk up. */
int
fs_mkdir_p(const char *path, Err *err)
{
	const char *slash;
	char *parent;
	struct stat sb;
	int rc;

	if (mkdir(path, 0777) == 0)
		return 0;
	if (errno == EEXIST)
		return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode) ? 0 :
		       err_set(err, "cannot create directory %s: a file is in the way", path);
	if (errno != ENOENT)
		return err_sys(err, "cannot create directory %s", path);
	slash = strrchr(path, '/');
	if (!slash || slash == path)
		return err_sys(err, "cannot create directory %s", path);
	parent = xstrndup(path, (size_t)(slash - path));
	rc = fs_mkdir_p(parent, err);
	free(parent);
	if (rc == 0 && mkdir(path, 0777) != 0 && errno != EEXIST)   /* made meanwhile: fine */
		rc = err_sys(err, "cannot create directory %s", path);
	return rc;
}

int
fs_mkdir_parent(const char *path, Err *err)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int rc;

	if (!slash || slash == path)
		return 0;
	dir = xstrndup(path, (size_t)(slash - path));
	rc = fs_mkdir_p(dir, err);
	free(dir);
	return rc;
}

static int
copy_fd(int in, int out)
{
	char buf[64 * 1024];
	ssize_t n;

	if (ioctl(out, FICLONE, in) == 0)
		return 0;
	for (;;) {
		ssize_t c = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);

		if (c == 0)
			return 0;
		if (c < 0)
			break;
	}
	if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
		return -1;
	/* Nothing was copied when copy_file_range fails with these on the first call;
	 * rewind in case a later call failed halfway. */
	if (lseek(in, 0, SEEK_SET) < 0 || lseek(out, 0, SEEK_SET) < 0 || ftruncate(out, 0) < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (fs_write_all(out, buf, (size_t)n) != 0)
			return -1;
	}
	return 0;
}

/* src opened to read, and dst created (it must not exist) to write. */
static int
open_copy(const char *src, const char *dst, unsigned mode, int *in, int *out, Err *err)
{
	*in = open(src, O_RDONLY | O_CLOEXEC);
	if (*in < 0)
		return err_sys(err, "%s", src);
	*out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode ? mode : 0644);
	if (*out < 0) {
		err_sys(err, "%s", dst);
		close(*in);
		return -1;
	}
	return 0;
}

int
fs_copy_file(const char *src, const char *dst, unsigned mode, Err *err)
{
	int in, out;

	if (open_copy(src, dst, mode, &in, &out, err) != 0)
		return -1;
	if (copy_fd(in, out) != 0) {
		err_sys(err, "copying %s to %s", src, dst);
		close(in);
		close(out);
		unlink(dst);
		return -1;
	}
	close(in);
	if (close(out) != 0) {
		err_sys(err, "%s", dst);
		unlink(dst);
		return -1;
	}
	return 0;
}

int
fs_copy_hashing(const char *src, const char *dst, unsigned mode, struct Hasher *h, Err *err)
{
	char buf[64 * 1024];
	int in, out, rc = 0;
	ssize_t n;

	if (open_copy(src, dst, mode, &in, &out, err) != 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = err_sys(err, "%s: read", src);
			break;
		}
		hasher_update(h, buf, (size_t)n);
		if (fs_write_all(out, buf, (size_t)n) != 0) {
			rc = err_sys(err, "%s: write", dst);
			break;
		}
	}
	close(in);
	if (close(out) != 0 && rc == 0)
		rc = err_sys(err, "%s", dst);
	if (rc != 0)
		unlink(dst);
	return rc;
}

int
fs_remove_tree(const char *path, Err *err)
{
	struct stat sb;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (lstat(path, &sb) != 0)
		return errno == ENOENT ? 0 : err_sys(err, "%s", path);
	if (!S_ISDIR(sb.st_mode)) {
		if (unlink(path) != 0 && errno != ENOENT)
			return err_sys(err, "cannot remove %s", path);
		return 0;
	}
	d = opendir(path);
	if (!d)
		return err_sys(err, "%s", path);
	while (rc == 0 && (e = readdir(d))) {
		Buf child = { 0 };

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		buf_printf(&child, "%s/%s", path, e->d_name);
		rc = fs_remove_tree(child.data, err);
		buf_free(&child);
	}
	closedir(d);
	if (rc == 0 && rmdir(path) != 0)
		return err_sys(err, "cannot remove %s", path);
	return rc;
}

bool
fs_path_is_abs(const char *p)
{
	return p[0] == '/';
}

void
fs_path_clean(char *path)
{
	bool abs = path[0] == '/';
	char *out = path, *in = path;
	size_t kept = 0;   /* segments written that a ".." may remove */

	if (abs)
		in++, out++;
	while (*in) {
		char *seg = in;
		size_t len;

		while (*in && *in != '/')
			in++;
		len = (size_t)(in - seg);
		while (*in == '/')
			in++;
		if (len == 0 || (len == 1 && seg[0] == '.'))
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			if (kept > 0) {
				/* drop the last kept segment */
				out--;
				while (out > path + abs && out[-1] != '/')
					out--;
				kept--;
				continue;
			}
			if (abs)
				continue;   /* "/.." is "/" */
		} else {
			kept++;
		}
		if (out > path + abs && out[-1] != '/')
			*out++ = '/';
		memmove(out, seg, len);
		out += len;
	}
	if (out > path + abs && out[-1] == '/')
		out--;
	if (out == path) {
		if (abs)
			*out++ = '/';
		else
			*out++ = '.';
	}
	*out = '\0';
}

char *
fs_path_join(Arena *a, const char *dir, const char *name)
{
	size_t n;

	if (fs_path_is_abs(name) || !dir || !*dir || !strcmp(dir, "."))
		return arena_strdup(a, name);
	n = strlen(dir);
	if (dir[n - 1] == '/')
		return arena_printf(a, "%s%s", dir, name);
	return arena_printf(a, "%s/%s", dir, name);
}

static int
lock_file(const char *path, int op, bool wait, Err *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return err_sys(err, "%s", path);
	while (flock(fd, op | (wait ? 0 : LOCK_NB)) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK) {
			close(fd);
			return -2;
		}
		err_sys(err, "cannot lock %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

int
fs_lock(const char *path, bool wait, Err *err)
{
	return lock_file(path, LOCK_EX, wait, err);
}

int
fs_lock_shared(const char *path, bool wait, Err *err)
{
	return lock_file(path, LOCK_SH, wait, err);
}

void
fs_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

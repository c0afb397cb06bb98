/*
 * fs.h - the filesystem as the engine sees it: stat tuples, atomic writes, copies.
 *
 * Every write of durable state goes to a temporary name in the target's directory and is
 * renamed into place, so a crash or kill -9 leaves the old file or the new one, never a
 * mix. The stat tuple (mtime, ctime, size, inode, mode) is the fast path that lets a file
 * be trusted without reading it.
 */
#ifndef BUNPY_FS_H
#define BUNPY_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "err.h"

typedef struct FileStat {
	int64_t mtime_ns;
	int64_t ctime_ns;
	uint64_t size;
	uint64_t ino;
	uint32_t mode;       /* st_mode; 0 when the file does not exist */
	uint32_t racy;       /* modified too recently for the tuple to prove anything */
} FileStat;

#define FILESTAT_PACKED 40   /* bytes in the persisted form */

/* 0 when the path exists, 1 when it does not (st->mode is then 0), -1 on other errors.
 * The racy flag is set when the modification time is within the clock granularity of
 * now: a later write in the same tick would not move the tuple, so it must be re-read. */
int fs_stat(const char *path, FileStat *st, Err *err);
/* The same for a path relative to the directory dirfd (AT_FDCWD: the current one). */
int fs_statat(int dirfd, const char *path, FileStat *st, Err *err);
/* Equal tuples, and neither racy: the contents are the same without reading them. */
bool fs_stat_same(const FileStat *a, const FileStat *b);
void fs_stat_pack(const FileStat *st, unsigned char out[FILESTAT_PACKED]);
void fs_stat_unpack(FileStat *st, const unsigned char in[FILESTAT_PACKED]);

int64_t fs_now_us(void);           /* wall clock, microseconds */
int64_t fs_monotonic_us(void);     /* for durations */

int fs_read_file(const char *path, Buf *out, Err *err);
/* Write data to path through a temporary file and rename. */
/* Write all n bytes (again after EINTR and short writes); -1 with errno set. */
int fs_write_all(int fd, const void *data, size_t n);
int fs_write_atomic(const char *path, const void *data, size_t n, unsigned mode, Err *err);
/* A unique temporary name next to path, for write-then-rename. */
void fs_tmp_name(Buf *out, const char *path);
int fs_mkdir_p(const char *path, Err *err);
/* Create the directory that will hold path. */
int fs_mkdir_parent(const char *path, Err *err);
/* Copy src's bytes to a new file dst (which must not exist): a reflink when the
 * filesystem can, else an in-kernel copy, else read/write. */
int fs_copy_file(const char *src, const char *dst, unsigned mode, Err *err);
/* Copy src to a new file dst through user space, feeding every byte to h on the way,
 * so that what was written is what was hashed. */
struct Hasher;
int fs_copy_hashing(const char *src, const char *dst, unsigned mode, struct Hasher *h, Err *err);
int fs_remove_tree(const char *path, Err *err);

/* Lexical clean-up of a relative or absolute path: "a//b/./c/../d" -> "a/b/d".
 * Leading ".." of a relative path are kept. Done in place; "" becomes ".". */
void fs_path_clean(char *path);
char *fs_path_join(Arena *a, const char *dir, const char *name);
bool fs_path_is_abs(const char *p);

/* An exclusive advisory lock on path (created if needed). Blocks when wait is true;
 * returns the fd (keep it open while locked), -2 when busy and !wait, -1 on error. */
int fs_lock(const char *path, bool wait, Err *err);
/* The same with a shared lock (many holders at once, none while an exclusive one is held). */
int fs_lock_shared(const char *path, bool wait, Err *err);
void fs_unlock(int fd);

#endif

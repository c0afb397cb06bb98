/*
 * wheelcache.h - wheels unpacked once per machine: CACHE/wheels/SHA256HEX/ holds the
 * files of the wheel with that SHA-256, exactly as named in the archive, checked.
 *
 * Installing links (or clones, or copies) from there into an environment, so a wheel
 * is decompressed once however many environments use it. Unpacking reads the zip with
 * libarchive (engine/dynlib.h) into a temporary directory beside the final one and
 * renames it into place: a directory that exists under a hash is always complete, and
 * two processes unpacking the same wheel at once both succeed (the second rename
 * loses, and its copy is removed).
 *
 * Every member is checked before anything of it is written, and the wheel is refused,
 * with an error naming the wheel and the member, when a name is absolute, has a ".."
 * component, a backslash, a NUL or a drive letter, or is not UTF-8; when a member is a
 * device, a FIFO or a hard link; when a symbolic link's target is absolute or leads out
 * of the wheel; when two members have the same name, or names that differ only by case
 * while the cache's filesystem ignores case (probed once per unpack); when a member is
 * below a path that another member makes a file or a link. Then every file is checked
 * against the wheel's RECORD (the single top-level *.dist-info/RECORD): its hash
 * (sha256 or stronger) and size must match, and a file RECORD does not list, or a row
 * whose file is missing, is an error; only RECORD itself (and the deprecated
 * RECORD.jws / RECORD.p7s) may go unlisted, and pyc files RECORD lists without a hash
 * may be absent. Extracted files get mode 0644, or 0755 when the zip entry has any
 * execute bit; directories 0755.
 */
#ifndef BUNPY_WHEELCACHE_H
#define BUNPY_WHEELCACHE_H

#include <stdbool.h>

#include "engine/arena.h"
#include "engine/err.h"
#include "engine/hash.h"

/* CACHE/wheels/HEX (allocated in arena); touches nothing. */
const char *wheelcache_dir(const char *cache_dir, const Sha256 *sha, Arena *arena);

/* Whether the wheel is unpacked (its directory exists). */
bool wheelcache_has(const char *cache_dir, const Sha256 *sha);

/*
 * Unpack the wheel file at wheel_path, whose SHA-256 the caller has checked to be sha,
 * into wheelcache_dir() unless it is there already. wheel_name is the wheel's file name
 * (messages: "bad-1.0-py3-none-any.whl: member '../evil.py' leaves the wheel"). Safe to
 * call from several threads and processes at once. Returns 0, or -1 with err and
 * nothing left behind.
 */
int wheelcache_unpack(const char *cache_dir, const char *wheel_path, const Sha256 *sha,
		      const char *wheel_name, Err *err);

/*
 * Remove the temporary directories of unpacks whose process is gone (killed halfway:
 * CACHE/wheels/.tmp-PID-XXXXXX where no process PID runs). Cheap enough to call once
 * per sync, not per wheel (it reads the whole directory). Returns how many were
 * removed, or -1 with err.
 */
int wheelcache_sweep(const char *cache_dir, Err *err);

/* How names that differ only by case are judged: as the cache's filesystem does
 * (probed, what wheelcache_unpack does), or as if it told case apart or ignored it
 * (for tests, which can only run on one kind of filesystem). */
typedef enum WheelcacheCase {
	WHEELCACHE_CASE_PROBE,
	WHEELCACHE_CASE_SENSITIVE,
	WHEELCACHE_CASE_INSENSITIVE,
} WheelcacheCase;

int wheelcache_unpack_case(const char *cache_dir, const char *wheel_path, const Sha256 *sha,
			   const char *wheel_name, WheelcacheCase how, Err *err);

/* Whether the filesystem of the directory dirfd ignores case: 1 or 0, or -1 with err. A
 * probe file "case-probe" is made in it and removed, so dirfd must be a directory of the
 * caller's own. */
int wheelcache_ignores_case(int dirfd, Err *err);

#endif

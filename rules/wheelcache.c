/*
 * wheelcache.c - wheels unpacked once per machine, checked (wheelcache.h).
 *
 * Two passes over the wheel. The first reads the zip's central directory itself
 * (packaging/wheelzip.c), because libarchive hides what must be refused: it turns a
 * FIFO entry into a regular file (a work-around for Info-ZIP), turns backslashes into
 * slashes in names made on DOS, and names depend on the process's locale. From the raw
 * names and Unix modes every member is judged, a table of every path (members, and the
 * directories they are below) catches duplicates, case collisions and members below
 * files or links, and RECORD and symbolic link targets (small members) are read and
 * checked. Only then does the second pass stream the members through libarchive's
 * seekable zip reader into a temporary directory, hashing each file as it is written:
 * every name libarchive gives must be one the first pass judged, met once, of the same
 * kind, so a zip whose local headers disagree with its directory is refused too.
 *
 * Files are created with openat() in the directory of the member before (wheels list
 * a directory's files together, so it is opened once per run of them), never through a
 * symbolic link: no member may be below one, and links are made as they come, after
 * the checks. Nothing is synced: a wheel is unpacked again if its directory is lost,
 * and the rename that publishes it is what other processes wait for, not durability.
 * Directory entries are not created (as pip skips them): an empty directory would be
 * installed and never listed in RECORD.
 *
 * All state lives in the call (an arena, the table, one digest context), so threads
 * unpack at once; the temporary directory comes from mkdtemp, so processes do too.
 */
#include "config.h"

#include "wheelcache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "engine/buf.h"
#include "engine/cacheindex.h"
#include "engine/dynlib.h"
#include "engine/fs.h"
#include "engine/utf8.h"
#include "packaging/ascii.h"
#include "packaging/filename.h"
#include "packaging/record.h"
#include "packaging/wheelzip.h"

/* RECORD is read into memory; no real one comes near this. */
#define RECORD_MAX (64u << 20)
#define LINK_MAX 4096
#define ZIP_SYSTEM_DOS 0
#define ZIP_SYSTEM_UNIX 3
#define DOS_DIRECTORY 0x10

enum { K_DIR = 1, K_FILE, K_LINK };

typedef struct Member {
	const WheelzipMember *zm;
	const char *name;           /* as in the wheel; a directory's without its '/' */
	size_t len;
	int kind;
	bool exec;                  /* the zip's mode has an execute bit */
	bool seen;                  /* met again in the second pass */
	const char *target;         /* a link's */
	const RecordRow *row;
	const EVP_MD *md;           /* the row's hash */
} Member;

/* One path of the tree: a member, or a directory that members are below. */
typedef struct Slot {
	const char *key;            /* the name, folded to lower case when case is ignored */
	size_t len;
	const char *raw;            /* the name as the first member to make it wrote it */
	int kind;
	Member *member;             /* NULL for a directory no entry names */
	bool made;                  /* the directory exists on disk */
} Slot;

/* Digests are fetched once per unpack and per algorithm, not once per file. */
static const struct {
	const char *python, *openssl;
} algorithms[] = {
	{ "sha256", "SHA2-256" },   { "sha384", "SHA2-384" },   { "sha512", "SHA2-512" },
	{ "sha3_256", "SHA3-256" }, { "sha3_384", "SHA3-384" }, { "sha3_512", "SHA3-512" },
	{ "blake2b", "BLAKE2B-512" }, { "blake2s", "BLAKE2S-256" },
};
#define NALGORITHMS (sizeof(algorithms) / sizeof(*algorithms))

typedef struct Unpack {
	const char *wheel_name;
	Err *err;
	Arena arena;
	bool fold;                  /* the cache's filesystem ignores case */
	Member *members;
	size_t nmembers;
	Slot *slots;                /* open addressing, a power of two */
	size_t cap;
	const char *dist;           /* the .dist-info directory */
	size_t dist_len;
	const char *record_name;
	Record record;
	const CryptoApi *cr;        /* libcrypto, opened for the first unpack */
	EVP_MD *mds[NALGORITHMS];
	EVP_MD_CTX *ctx;
	int root;                   /* the temporary directory */
	Slot *cur_dir;              /* the directory cur_fd is open on */
	int cur_fd;
	bool mode_known[2], mode_cut[2];   /* by exec: whether files come out with their mode */
	uint64_t bytes;             /* written: files and link targets, for the cache's index */
} Unpack;

static int fail(Unpack *u, const char *fmt, ...) ERR_PRINTF(2, 3);

/* "wheel.whl: message", always with the wheel's name first. */
static int
fail(Unpack *u, const char *fmt, ...)
{
	char msg[sizeof(u->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(u->err, "%s: %s", u->wheel_name, msg);
}

/* A name for a message, in single quotes, with anything unprintable escaped. */
static const char *
q(Unpack *u, const char *s, size_t n)
{
	char *d = buf_quoted_string(&u->arena, s, n, 200);
	size_t len = strlen(d);

	d[0] = '\'';
	d[len - 1] = '\'';
	return d;
}

/* ---------------------------------------------------------------- names */

static bool
is_drive(const char *s, size_t n)
{
	return n >= 2 && s[1] == ':' && ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'));
}

/* What is wrong with a member's name (a directory's trailing '/' removed), or NULL. */
static const char *
name_problem(const char *s, size_t n)
{
	size_t i = 0;
	long depth = 0;
	bool dotdot = false, odd = false;

	if (n == 0)
		return "has an empty name";
	if (utf8_valid_prefix(s, n) != n)
		return "is not UTF-8";
	if (s[0] == '/')
		return "is an absolute path";
	if (is_drive(s, n))
		return "has a drive letter";
	if (memchr(s, '\\', n))
		return "has a backslash";
	while (i <= n) {
		const char *c = s + i, *slash = memchr(c, '/', n - i);
		size_t len = slash ? (size_t)(slash - c) : n - i;

		if (len == 0 || (len == 1 && c[0] == '.'))
			odd = true;
		else if (len == 2 && c[0] == '.' && c[1] == '.') {
			dotdot = true;
			if (--depth < 0)
				return "leaves the wheel";
		} else
			depth++;
		i += len + 1;
	}
	if (dotdot)
		return "has a '..' component";
	if (odd)
		return "is not a normal path";
	return NULL;
}

/*
 * What is wrong with a link's target, for a link whose directory is depth levels below
 * the wheel's root, or NULL. A '..' is allowed only in a leading run: after a name it
 * would climb out of wherever that name leads, and a name may itself be a link (x/s
 * pointing at the root makes x/s/../.. the root's parent while it reads as x).
 */
static const char *
target_problem(const char *t, size_t n, size_t depth)
{
	size_t i = 0, ups = 0;
	bool named = false;

	if (n == 0)
		return "is a symbolic link with an empty target";
	if (utf8_valid_prefix(t, n) != n)
		return "is a symbolic link whose target is not UTF-8";
	if (t[0] == '/' || is_drive(t, n))
		return "is a symbolic link to an absolute path";
	if (memchr(t, '\\', n))
		return "is a symbolic link whose target has a backslash";
	while (i <= n) {
		const char *c = t + i, *slash = memchr(c, '/', n - i);
		size_t len = slash ? (size_t)(slash - c) : n - i;

		if (len == 2 && c[0] == '.' && c[1] == '.') {
			if (named)
				return "is a symbolic link with '..' after a name in its target";
			if (++ups > depth)
				return "is a symbolic link that leads out of the wheel";
		} else if (len != 0 && !(len == 1 && c[0] == '.'))
			named = true;
		i += len + 1;
	}
	return NULL;
}

/* ---------------------------------------------------------------- the path table */

static uint64_t
fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* The slot for key, or the empty slot where it would go. */
static Slot *
slot_at(Unpack *u, const char *key, size_t len)
{
	size_t i = (size_t)fnv1a(key, len) & (u->cap - 1);

	for (;; i = (i + 1) & (u->cap - 1)) {
		Slot *s = &u->slots[i];

		if (!s->key || (s->len == len && memcmp(s->key, key, len) == 0))
			return s;
	}
}

static const char *
fold_key(Unpack *u, const char *name, size_t len)
{
	char *k;
	size_t i;

	if (!u->fold)
		return name;
	k = arena_alloc(&u->arena, len + 1);
	for (i = 0; i < len; i++)
		k[i] = (char)ascii_lower((unsigned char)name[i]);
	k[len] = '\0';
	return k;
}

/* The member with exactly this name, or NULL. */
static Member *
find_member(Unpack *u, const char *name, size_t len)
{
	Slot *s = slot_at(u, fold_key(u, name, len), len);

	if (!s->key || !s->member || memcmp(s->member->name, name, len) != 0)
		return NULL;
	return s->member;
}

static const char *
kind_phrase(int kind)
{
	return kind == K_FILE ? "a file" : kind == K_LINK ? "a symbolic link" : "a directory";
}

/* Enter m and every directory above it; refuse what cannot coexist with the others. */
static int
add_path(Unpack *u, Member *m)
{
	const char *key = fold_key(u, m->name, m->len);
	size_t i = m->len;
	Slot *s;

	/* directories above, longest first: one already known means all above it are */
	while (i-- > 0) {
		if (key[i] != '/')
			continue;
		s = slot_at(u, key, i);
		if (s->key) {
			if (s->kind == K_DIR)
				break;
			return fail(u, "member %s is below %s, which is %s", q(u, m->name, m->len),
				    q(u, s->raw, s->len), kind_phrase(s->kind));
		}
		*s = (Slot){ .key = key, .len = i, .raw = m->name, .kind = K_DIR };
	}
	s = slot_at(u, key, m->len);
	if (!s->key) {
		*s = (Slot){ .key = key, .len = m->len, .raw = m->name, .kind = m->kind, .member = m };
		return 0;
	}
	if (s->member) {
		if (memcmp(s->member->name, m->name, m->len) == 0)
			return fail(u, "member %s appears twice", q(u, m->name, m->len));
		return fail(u, "members %s and %s differ only by case, and the cache's filesystem "
			    "ignores case", q(u, s->raw, s->len), q(u, m->name, m->len));
	}
	if (m->kind != K_DIR)
		return fail(u, "member %s is %s and is also a directory (other members are below it)",
			    q(u, m->name, m->len), kind_phrase(m->kind));
	s->member = m;
	return 0;
}

/* ---------------------------------------------------------------- pass 1 */

static int
pread_full(int fd, void *buf, size_t n, uint64_t at)
{
	char *p = buf;

	while (n > 0) {
		ssize_t got = pread(fd, p, n, (off_t)at);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (got == 0)
				errno = EIO;
			return -1;
		}
		p += got;
		n -= (size_t)got;
		at += (uint64_t)got;
	}
	return 0;
}

static int
read_dir(Unpack *u, int fd, WheelzipDir *dir)
{
	struct stat st;
	uint64_t size, need_from = 0;
	size_t tail;
	void *buf;
	Err inner;
	int rc;

	if (fstat(fd, &st) != 0)
		return err_sys(u->err, "%s", u->wheel_name);
	size = (uint64_t)st.st_size;
	tail = size < WHEELZIP_TAIL_GUESS ? (size_t)size : WHEELZIP_TAIL_GUESS;
	for (;;) {
		buf = arena_alloc(&u->arena, tail ? tail : 1);
		if (pread_full(fd, buf, tail, size - tail) != 0)
			return err_sys(u->err, "%s", u->wheel_name);
		rc = wheelzip_read_dir(buf, tail, size, &u->arena, dir, &need_from, &inner);
		if (rc == 0)
			return 0;
		if (rc < 0 || need_from >= size - tail)
			return fail(u, "cannot read the zip archive: %s", rc < 0 ? inner.msg :
				    "the central directory moved");
		tail = (size_t)(size - need_from);
	}
}

/* The contents of a small member (RECORD, a link's target), NUL-terminated. */
static int
read_small(Unpack *u, int fd, const Member *m, size_t max, Buf *out)
{
	const WheelzipMember *zm = m->zm;
	uint64_t span = zm->end_offset - zm->local_offset;
	void *bytes;
	Err inner;

	if (zm->uncompressed_size > max || span > (uint64_t)max + 65536 + 1024)
		return fail(u, "member %s is too large (%llu bytes)", q(u, m->name, m->len),
			    (unsigned long long)zm->uncompressed_size);
	bytes = arena_alloc(&u->arena, (size_t)span + 1);
	if (pread_full(fd, bytes, (size_t)span, zm->local_offset) != 0)
		return err_sys(u->err, "%s", u->wheel_name);
	if (wheelzip_extract(bytes, (size_t)span, zm, max, out, &inner) != 0)
		return fail(u, "cannot read the zip archive: %s", inner.msg);
	return 0;
}

/* What a directory entry says about a member: its kind and execute bit. */
static int
classify(Unpack *u, Member *m)
{
	const WheelzipMember *zm = m->zm;
	unsigned system = zm->made_by >> 8, mode = 0, type;
	const char *why;
	bool slash = m->len > 0 && m->name[m->len - 1] == '/';

	if (slash)
		m->len--;
	if ((why = name_problem(m->name, m->len)))
		return fail(u, "member %s %s", q(u, zm->name, strlen(zm->name)), why);
	if (system == ZIP_SYSTEM_UNIX)
		mode = zm->external_attr >> 16;
	type = mode & S_IFMT;
	if (slash || type == S_IFDIR ||
	    (system == ZIP_SYSTEM_DOS && (zm->external_attr & DOS_DIRECTORY)))
		m->kind = K_DIR;
	else if (type == 0 || type == S_IFREG)
		m->kind = K_FILE;
	else if (type == S_IFLNK)
		m->kind = K_LINK;
	else
		return fail(u, "member %s is %s", q(u, m->name, m->len),
			    type == S_IFCHR || type == S_IFBLK ? "a device" :
			    type == S_IFIFO ? "a FIFO" :
			    type == S_IFSOCK ? "a socket" : "of an unknown file type");
	m->exec = (mode & 0111) != 0;
	return 0;
}

/* Note the member's top-level .dist-info directory, if it is in one. */
static int
note_dist_info(Unpack *u, const Member *m)
{
	const char *slash = memchr(m->name, '/', m->len);
	size_t n = slash ? (size_t)(slash - m->name) : m->len;
	static const char suffix[] = ".dist-info";
	size_t sl = sizeof(suffix) - 1;

	if ((!slash && m->kind != K_DIR) || n <= sl || memcmp(m->name + n - sl, suffix, sl) != 0)
		return 0;
	if (!u->dist) {
		u->dist = m->name;
		u->dist_len = n;
	} else if (u->dist_len != n || memcmp(u->dist, m->name, n) != 0)
		return fail(u, "the wheel has two .dist-info directories, %s and %s",
			    q(u, u->dist, u->dist_len), q(u, m->name, n));
	return 0;
}

static const EVP_MD *
digest_for(Unpack *u, const RecordRow *row)
{
	size_t i;

	for (i = 0; i < NALGORITHMS; i++) {
		if (strcmp(row->alg, algorithms[i].python) != 0)
			continue;
		if (!u->mds[i])
			u->mds[i] = u->cr->EVP_MD_fetch(NULL, algorithms[i].openssl, NULL);
		if (!u->mds[i] || (size_t)u->cr->EVP_MD_get_size(u->mds[i]) != row->digest_len)
			return NULL;
		return u->mds[i];
	}
	return NULL;
}

static bool
exempt(Unpack *u, const char *name, size_t len)
{
	size_t rl = strlen(u->record_name);

	return len >= rl && memcmp(name, u->record_name, rl) == 0 &&
	       (len == rl || (len == rl + 4 && (memcmp(name + rl, ".jws", 4) == 0 ||
						memcmp(name + rl, ".p7s", 4) == 0)));
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* Every file against RECORD's list (contents are checked as they are written). */
static int
check_record(Unpack *u, int fd)
{
	Member *rec = find_member(u, u->record_name, strlen(u->record_name));
	Buf text = { 0 };
	Err inner;
	size_t i;
	int rc;

	if (!rec || rec->kind != K_FILE)
		return fail(u, "the wheel has no RECORD (%s)", q(u, u->record_name, strlen(u->record_name)));
	if (read_small(u, fd, rec, RECORD_MAX, &text) != 0) {
		buf_free(&text);
		return -1;
	}
	rc = record_parse(text.data ? text.data : "", text.len, u->record_name, &u->arena, &u->record,
			  &inner);
	buf_free(&text);
	if (rc != 0)
		return fail(u, "%s", inner.msg);

	for (i = 0; i < u->nmembers; i++) {
		Member *m = &u->members[i];
		const RecordRow *row;

		if (m->kind == K_DIR || exempt(u, m->name, m->len))
			continue;
		if (!(row = record_find(&u->record, m->name)))
			return fail(u, "member %s is not listed in RECORD", q(u, m->name, m->len));
		if (!row->alg)
			return fail(u, "RECORD has no hash for member %s", q(u, m->name, m->len));
		if (!(m->md = digest_for(u, row)))
			return fail(u, "RECORD's hash for member %s uses %s, which cannot be checked",
				    q(u, m->name, m->len), q(u, row->alg, strlen(row->alg)));
		if (m->kind == K_FILE && row->has_size && row->size != m->zm->uncompressed_size)
			return fail(u, "member %s has %llu bytes, RECORD says %llu", q(u, m->name, m->len),
				    (unsigned long long)m->zm->uncompressed_size,
				    (unsigned long long)row->size);
		m->row = row;
	}
	for (i = 0; i < u->record.nrows; i++) {
		const RecordRow *row = &u->record.rows[i];
		size_t len = strlen(row->path);
		Member *m;

		if (exempt(u, row->path, len))
			continue;
		m = find_member(u, row->path, len);
		if (m && m->kind != K_DIR)
			continue;
		if (!row->alg && ends_with(row->path, ".pyc"))
			continue;
		return fail(u, "RECORD lists %s, which is not in the wheel", q(u, row->path, len));
	}
	return 0;
}

static int
digest_matches(Unpack *u, const Member *m, const void *data, size_t n)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dn = 0;

	if (!u->cr->EVP_DigestInit_ex(u->ctx, m->md, NULL) || !u->cr->EVP_DigestUpdate(u->ctx, data, n) ||
	    !u->cr->EVP_DigestFinal_ex(u->ctx, d, &dn))
		return fail(u, "cannot hash member %s", q(u, m->name, m->len));
	if (dn != m->row->digest_len || memcmp(d, m->row->digest, dn) != 0)
		return fail(u, "member %s does not match its hash in RECORD", q(u, m->name, m->len));
	return 0;
}

/* Read links' targets and check them (as paths and against RECORD). */
static int
check_links(Unpack *u, int fd)
{
	size_t i;

	for (i = 0; i < u->nmembers; i++) {
		Member *m = &u->members[i];
		Buf t = { 0 };
		const char *why;
		size_t depth = 0, k;

		if (m->kind != K_LINK)
			continue;
		if (read_small(u, fd, m, LINK_MAX, &t) != 0) {
			buf_free(&t);
			return -1;
		}
		for (k = 0; k < m->len; k++)
			depth += m->name[k] == '/';
		m->target = arena_strndup(&u->arena, t.data ? t.data : "", t.len);
		why = memchr(m->target, '\0', t.len) ? "is a symbolic link whose target has a NUL byte"
						      : target_problem(m->target, t.len, depth);
		if (!why && m->row && m->row->has_size && m->row->size != t.len)
			why = "is a symbolic link whose target's size does not match RECORD";
		if (why) {
			buf_free(&t);
			return fail(u, "member %s %s", q(u, m->name, m->len), why);
		}
		if (m->row && digest_matches(u, m, m->target, t.len) != 0) {
			buf_free(&t);
			return -1;
		}
		buf_free(&t);
	}
	return 0;
}

/* Judge every member from the central directory; nothing is written. */
static int
check_members(Unpack *u, int fd)
{
	WheelzipDir dir;
	size_t i, slots = 0;

	if (read_dir(u, fd, &dir) != 0)
		return -1;
	u->nmembers = dir.nmembers;
	u->members = arena_zalloc(&u->arena, (dir.nmembers ? dir.nmembers : 1) * sizeof(Member));
	for (i = 0; i < dir.nmembers; i++) {
		const char *n = dir.members[i].name;

		slots++;
		while ((n = strchr(n, '/')))
			slots++, n++;
	}
	for (u->cap = 16; u->cap < slots * 2; u->cap *= 2)
		;
	u->slots = arena_zalloc(&u->arena, u->cap * sizeof(Slot));
	for (i = 0; i < dir.nmembers; i++) {
		Member *m = &u->members[i];

		m->zm = &dir.members[i];
		m->name = m->zm->name;
		m->len = strlen(m->name);
		if (classify(u, m) != 0 || add_path(u, m) != 0 || note_dist_info(u, m) != 0)
			return -1;
	}
	if (!u->dist)
		return fail(u, "the wheel has no .dist-info directory");
	u->record_name = arena_printf(&u->arena, "%.*s/RECORD", (int)u->dist_len, u->dist);
	if (check_record(u, fd) != 0 || check_links(u, fd) != 0)
		return -1;
	return 0;
}

/* ---------------------------------------------------------------- pass 2 */

static int
make_dir(Unpack *u, Slot *s)
{
	const char *slash;
	char *path;

	if (s->made)
		return 0;
	slash = memrchr(s->key, '/', s->len);
	if (slash && make_dir(u, slot_at(u, s->key, (size_t)(slash - s->key))) != 0)
		return -1;
	path = arena_strndup(&u->arena, s->raw, s->len);
	if ((mkdirat(u->root, path, 0755) != 0 && errno != EEXIST) ||
	    fchmodat(u->root, path, 0755, 0) != 0)
		return err_sys(u->err, "%s: cannot create %s", u->wheel_name, q(u, path, s->len));
	s->made = true;
	return 0;
}

/* An open directory for the member's parent (the temporary root at the top). */
static int
parent_fd(Unpack *u, const Member *m)
{
	const char *slash = memrchr(m->name, '/', m->len);
	Slot *s;
	char *path;

	if (!slash)
		return u->root;
	s = slot_at(u, fold_key(u, m->name, m->len), (size_t)(slash - m->name));
	if (s == u->cur_dir)
		return u->cur_fd;
	if (make_dir(u, s) != 0)
		return -1;
	if (u->cur_fd >= 0)
		close(u->cur_fd);
	u->cur_dir = NULL;
	path = arena_strndup(&u->arena, s->raw, s->len);
	u->cur_fd = openat(u->root, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (u->cur_fd < 0)
		return err_sys(u->err, "%s: cannot open %s", u->wheel_name, q(u, path, s->len));
	u->cur_dir = s;
	return u->cur_fd;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
write_file(Unpack *u, const ArchiveApi *la, struct archive *a, Member *m, int dirfd,
	   const char *base)
{
	unsigned mode = m->exec ? 0755 : 0644;
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dn = 0;
	uint64_t size = 0;
	const void *block;
	size_t n;
	la_int64_t off;
	int fd, r;

	fd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return err_sys(u->err, "%s: cannot create %s", u->wheel_name, q(u, m->name, m->len));
	/* RECORD (and its signatures) are the only members written without a row */
	if (m->row && !u->cr->EVP_DigestInit_ex(u->ctx, m->md, NULL)) {
		close(fd);
		return fail(u, "cannot hash member %s", q(u, m->name, m->len));
	}
	while ((r = la->archive_read_data_block(a, &block, &n, &off)) == ARCHIVE_OK) {
		if ((uint64_t)off != size) {
			close(fd);
			return fail(u, "member %s has a hole", q(u, m->name, m->len));
		}
		if (write_all(fd, block, n) != 0) {
			err_sys(u->err, "%s: cannot write %s", u->wheel_name, q(u, m->name, m->len));
			close(fd);
			return -1;
		}
		if (m->row)
			u->cr->EVP_DigestUpdate(u->ctx, block, n);
		size += n;
	}
	if (r != ARCHIVE_EOF) {
		close(fd);
		return fail(u, "cannot read member %s: %s", q(u, m->name, m->len),
			    la->archive_error_string(a));
	}
	/*
	 * The mode asked of openat is cut by the umask (or a default ACL), the cache's is
	 * fixed. The first file of each mode shows whether it was cut; only then do the
	 * others need an fchmod (a syscall per file saved in the usual case).
	 */
	if (!u->mode_known[m->exec]) {
		struct stat st;

		if (fstat(fd, &st) != 0) {
			err_sys(u->err, "%s: cannot write %s", u->wheel_name, q(u, m->name, m->len));
			close(fd);
			return -1;
		}
		u->mode_known[m->exec] = true;
		u->mode_cut[m->exec] = (st.st_mode & 07777) != mode;
	}
	if ((u->mode_cut[m->exec] && fchmod(fd, mode) != 0) || close(fd) != 0)
		return err_sys(u->err, "%s: cannot write %s", u->wheel_name, q(u, m->name, m->len));
	u->bytes += size;
	if (!m->row)
		return 0;
	if (m->row->has_size && size != m->row->size)
		return fail(u, "member %s has %llu bytes, RECORD says %llu", q(u, m->name, m->len),
			    (unsigned long long)size, (unsigned long long)m->row->size);
	u->cr->EVP_DigestFinal_ex(u->ctx, d, &dn);
	if (dn != m->row->digest_len || memcmp(d, m->row->digest, dn) != 0)
		return fail(u, "member %s does not match its hash in RECORD", q(u, m->name, m->len));
	return 0;
}

static int
extract_entry(Unpack *u, const ArchiveApi *la, struct archive *a, struct archive_entry *e)
{
	const char *name = la->archive_entry_pathname(e);
	unsigned type = la->archive_entry_filetype(e);
	size_t len;
	const char *base;
	Member *m;
	int dirfd;

	if (!name)
		return fail(u, "cannot read the zip archive: a member's name cannot be read");
	len = strlen(name);
	if (type == AE_IFDIR && len > 0 && name[len - 1] == '/')
		len--;
	m = find_member(u, name, len);
	if (!m || m->seen ||
	    type != (m->kind == K_DIR ? AE_IFDIR : m->kind == K_LINK ? AE_IFLNK : AE_IFREG))
		return fail(u, "the zip's directory and its local headers disagree about member %s",
			    q(u, name, len));
	m->seen = true;
	if (la->archive_entry_hardlink(e))
		return fail(u, "member %s is a hard link", q(u, m->name, m->len));
	if (m->kind == K_DIR)
		return 0;
	if ((dirfd = parent_fd(u, m)) < 0)
		return -1;
	base = memrchr(m->name, '/', m->len);
	base = base ? base + 1 : m->name;
	if (m->kind == K_FILE)
		return write_file(u, la, a, m, dirfd, base);
	if (symlinkat(m->target, dirfd, base) != 0)
		return err_sys(u->err, "%s: cannot create %s", u->wheel_name, q(u, m->name, m->len));
	u->bytes += strlen(m->target);
	return 0;
}

/*
 * Stream every member into the temporary root. libarchive converts names with the
 * zip's UTF-8 flag to the locale's charset and fails in the C locale, so this thread
 * uses C.UTF-8 meanwhile; names without the flag are passed through as they are. Both
 * then equal the raw names the first pass checked (all of them UTF-8).
 */
static int
extract(Unpack *u, int fd)
{
	const ArchiveApi *la = dynlib_archive(u->err);
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0), old = (locale_t)0;
	struct archive *a;
	struct archive_entry *e;
	size_t i;
	int r, rc = 0;

	if (!la) {
		if (utf8)
			freelocale(utf8);
		return -1;
	}
	if (utf8)
		old = uselocale(utf8);
	a = la->archive_read_new();
	if (!a) {
		rc = fail(u, "cannot start libarchive");
		goto out;
	}
	la->archive_read_support_format_zip_seekable(a);
	if (lseek(fd, 0, SEEK_SET) != 0) {
		rc = err_sys(u->err, "%s", u->wheel_name);
		goto out;
	}
	if (la->archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
		rc = fail(u, "cannot read the zip archive: %s", la->archive_error_string(a));
		goto out;
	}
	while (rc == 0 && (r = la->archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		if (r != ARCHIVE_OK)
			rc = fail(u, "cannot read the zip archive: %s", la->archive_error_string(a));
		else
			rc = extract_entry(u, la, a, e);
	}
	for (i = 0; rc == 0 && i < u->nmembers; i++)
		if (!u->members[i].seen)
			rc = fail(u, "the zip's directory lists member %s, which libarchive did not find",
				  q(u, u->members[i].name, u->members[i].len));
out:
	if (a)
		la->archive_read_free(a);
	if (utf8) {
		uselocale(old);
		freelocale(utf8);
	}
	return rc;
}

/* ---------------------------------------------------------------- the cache */

const char *
wheelcache_dir(const char *cache_dir, const Sha256 *sha, Arena *arena)
{
	char hex[SHA256_HEX_LEN + 1];

	hash_hex(sha->b, sizeof(sha->b), hex);
	return arena_printf(arena, "%s/wheels/%s", cache_dir, hex);
}

bool
wheelcache_has(const char *cache_dir, const Sha256 *sha)
{
	Arena arena = { 0 };
	struct stat st;
	const char *dir = wheelcache_dir(cache_dir, sha, &arena);
	bool has = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);

	/* found means about to be used: the cache's index keeps the time */
	if (has)
		cacheindex_note_use(cache_dir, dir + strlen(cache_dir) + 1);
	arena_free(&arena);
	return has;
}

int
wheelcache_sweep(const char *cache_dir, Err *err)
{
	Arena arena = { 0 };
	const char *wheels = arena_printf(&arena, "%s/wheels", cache_dir);
	DIR *d = opendir(wheels);
	struct dirent *e;
	int removed = 0;

	if (!d) {
		arena_free(&arena);
		return errno == ENOENT ? 0 : err_sys(err, "cannot read %s", wheels);
	}
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, ".tmp-", 5) != 0 || !cacheindex_abandoned(e->d_name, ".tmp-"))
			continue;
		if (fs_remove_tree(fs_path_join(&arena, wheels, e->d_name), err) != 0) {
			removed = -1;
			break;
		}
		removed++;
	}
	closedir(d);
	arena_free(&arena);
	return removed;
}

int
wheelcache_ignores_case(int dirfd, Err *err)
{
	struct stat st;
	int fd = openat(dirfd, "case-probe", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	int rc;

	if (fd < 0)
		return err_sys(err, "cannot create a file to probe the filesystem");
	close(fd);
	if (fstatat(dirfd, "CASE-PROBE", &st, AT_SYMLINK_NOFOLLOW) == 0)
		rc = 1;
	else if (errno == ENOENT)
		rc = 0;
	else
		rc = err_sys(err, "cannot probe the filesystem");
	if (unlinkat(dirfd, "case-probe", 0) != 0 && rc >= 0)
		rc = err_sys(err, "cannot remove the probe file");
	return rc;
}

static int
unpack_into(Unpack *u, int fd, WheelcacheCase how)
{
	int ci;

	if (how == WHEELCACHE_CASE_PROBE) {
		if ((ci = wheelcache_ignores_case(u->root, u->err)) < 0)
			return -1;
		u->fold = ci == 1;
	} else
		u->fold = how == WHEELCACHE_CASE_INSENSITIVE;
	if (!(u->cr = dynlib_crypto(u->err)))
		return -1;
	if (!(u->ctx = u->cr->EVP_MD_CTX_new()))
		return fail(u, "cannot hash: out of memory");
	if (check_members(u, fd) != 0)
		return -1;
	return extract(u, fd);
}

int
wheelcache_unpack_case(const char *cache_dir, const char *wheel_path, const Sha256 *sha,
		       const char *wheel_name, WheelcacheCase how, Err *err)
{
	Unpack u = { .wheel_name = wheel_name, .err = err, .root = -1, .cur_fd = -1 };
	const char *final, *wheels, *tmp = NULL;
	char *tmpl;
	int fd = -1, rc = -1;
	size_t i;

	final = wheelcache_dir(cache_dir, sha, &u.arena);
	if (wheelcache_has(cache_dir, sha)) {
		arena_free(&u.arena);
		return 0;
	}
	wheels = arena_printf(&u.arena, "%s/wheels", cache_dir);
	if (fs_mkdir_p(wheels, err) != 0)
		goto out;
	if ((fd = open(wheel_path, O_RDONLY | O_CLOEXEC)) < 0) {
		err_sys(err, "%s: cannot open %s", wheel_name, wheel_path);
		goto out;
	}
	tmpl = arena_printf(&u.arena, "%s/.tmp-%ld-XXXXXX", wheels, (long)getpid());
	if (!(tmp = mkdtemp(tmpl))) {
		err_sys(err, "%s: cannot create a directory in %s", wheel_name, wheels);
		goto out;
	}
	if ((u.root = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fchmod(u.root, 0755) != 0) {
		err_sys(err, "%s: cannot open %s", wheel_name, tmp);
		goto out;
	}
	if (unpack_into(&u, fd, how) != 0)
		goto out;
	if (rename(tmp, final) == 0) {
		WheelFilename w;
		const char *name = NULL;

		tmp = NULL;
		if (filename_wheel_parse(wheel_name, strlen(wheel_name), 0, &u.arena, &w, NULL) == 0)
			name = arena_strndup(&u.arena, w.name, w.name_len);
		cacheindex_note_add(cache_dir, final + strlen(cache_dir) + 1, u.bytes, name);
	} else if (errno != EEXIST && errno != ENOTEMPTY) {
		err_sys(err, "%s: cannot rename %s to %s", wheel_name, tmp, final);
		goto out;
	}
	/* else another thread or process put the same wheel there first: ours goes */
	rc = 0;
out:
	if (u.cur_fd >= 0)
		close(u.cur_fd);
	if (u.root >= 0)
		close(u.root);
	if (fd >= 0)
		close(fd);
	if (tmp) {
		Err ignored;

		fs_remove_tree(tmp, &ignored);
	}
	for (i = 0; u.cr && i < NALGORITHMS; i++)
		u.cr->EVP_MD_free(u.mds[i]);
	if (u.cr)
		u.cr->EVP_MD_CTX_free(u.ctx);
	arena_free(&u.arena);
	return rc;
}

int
wheelcache_unpack(const char *cache_dir, const char *wheel_path, const Sha256 *sha,
		  const char *wheel_name, Err *err)
{
	return wheelcache_unpack_case(cache_dir, wheel_path, sha, wheel_name, WHEELCACHE_CASE_PROBE,
				      err);
}

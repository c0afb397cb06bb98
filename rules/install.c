/*
 * install.c - putting unpacked wheels into an environment and taking them out again, so
 * that a distribution is at every moment either completely installed or absent.
 *
 * Why it is built the way it is:
 *   - The stage lives in ROOT/.bunpy/stage, on ROOT's filesystem, so that moving the
 *     staged tree into place is renames only: cheap, and each one atomic.
 *   - Python decides that a distribution exists by its .dist-info directory, so that
 *     directory moves last when installing and first when removing; the journal says
 *     which paths belong to an unfinished step, and recovery looks at where the
 *     .dist-info directory is (and at its inode: a reinstall of the same version has
 *     the same .dist-info name) to know whether to finish or to undo.
 *   - Paths are handled relative to directory descriptors (openat, linkat, renameat),
 *     so a wheel with thousands of files does not make the kernel walk ROOT's path for
 *     each, and so that every directory on the way can be checked not to be a
 *     symbolic link leading out of ROOT.
 *   - Nothing is synced: a kill -9 loses nothing the page cache holds, and a sync per
 *     file would cost more than the rest of the install.
 *   - Files in the wheel cache are never written: a file that changes (a rewritten
 *     script) is a new file, and generated files are created, never opened for writing
 *     when they exist.
 *
 * Journal format (text, one record per line, paths relative to ROOT with '\' and
 * newline escaped as "\\" and "\n"):
 *     bunpy-journal 1
 *     install | remove
 *     dist-info PATH            the distribution's .dist-info directory
 *     ino N                     (install) the staged .dist-info's inode
 *     old-dist-info PATH        (install) the .dist-info of the distribution replaced
 *     path PATH                 a path the step makes appear (install) or removes
 *     old PATH                  (install) a path of the replaced distribution
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "install.h"

#include "engine/buf.h"
#include "engine/fs.h"
#include "engine/hash.h"
#include "packaging/entrypoints.h"
#include "packaging/name.h"
#include "packaging/record.h"
#include "packaging/wheelfile.h"

extern char **environ;

#define MAX_SYMLINKS 40

/* ---------------------------------------------------------------- small helpers */

static const char *
cstr(const Buf *b)
{
	return b->data ? b->data : "";
}

static void
buf_truncate(Buf *b, size_t len)
{
	if (b->data) {
		b->len = len;
		b->data[len] = '\0';
	}
}

/* Append "/name" (or "name" when b is at the start) after b's first base bytes. */
static void
path_push(Buf *b, size_t base, const char *name)
{
	buf_truncate(b, base);
	if (base > 0)
		buf_putc(b, '/');
	buf_puts(b, name);
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !memcmp(s + n - m, suffix, m);
}

/* The whole file name (relative to dirfd) into out: 0, 1 when it does not exist, -1
 * with errno. */
static int
read_at(int dirfd, const char *name, Buf *out)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	for (;;) {
		ssize_t r;

		buf_reserve(out, 16384);
		r = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (r < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		out->len += (size_t)r;
		out->data[out->len] = '\0';
	}
	close(fd);
	return 0;
}

/* A new file (never an existing one: it could be a link into the wheel cache) with
 * exactly mode, whatever the umask. */
static int
write_new_at(int dirfd, const char *name, const void *data, size_t n, unsigned mode)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	if (fs_write_all(fd, data, n) != 0 || fchmod(fd, mode) != 0) {
		int e = errno;

		close(fd);
		unlinkat(dirfd, name, 0);
		errno = e;
		return -1;
	}
	return close(fd);
}

static void
sha_of(const void *data, size_t n, unsigned char out[32])
{
	Sha256 s = sha256_bytes(data, n);

	memcpy(out, s.b, 32);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
cmp_str_case(const void *a, const void *b)
{
	return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

/* A growable array of strings (the strings live elsewhere, usually in an arena). */
typedef struct StrVec {
	const char **v;
	size_t n, cap;
} StrVec;

static void
strvec_push(StrVec *s, const char *p)
{
	xgrow(&s->v, &s->cap, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = p;
}

static void
strvec_free(StrVec *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* A directory stream over a copy of fd, from its start (a copy shares the offset
 * that an earlier reading of the directory left at its end). */
static DIR *
opendir_dup(int fd)
{
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	DIR *d;

	if (copy < 0)
		return NULL;
	d = fdopendir(copy);
	if (!d) {
		close(copy);
		return NULL;
	}
	rewinddir(d);
	return d;
}

/* Remove name (below dirfd) and everything under it, never following a link. */
static int
remove_tree_at(int dirfd, const char *name)
{
	struct stat sb;
	int fd, rc = 0;
	DIR *d;
	struct dirent *e;

	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(sb.st_mode))
		return unlinkat(dirfd, name, 0) == 0 || errno == ENOENT ? 0 : -1;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) {
			if (unlinkat(fd, e->d_name, 0) != 0 && errno != ENOENT)
				rc = -1;
		} else if (remove_tree_at(fd, e->d_name) != 0) {
			rc = -1;
		}
	}
	closedir(d);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

/* ---------------------------------------------------------------- the root and paths in it */

/* ROOT, and the scheme's directories relative to it. */
typedef struct Root {
	const Venv *venv;
	int fd;
	const char *given;           /* ROOT as given, cleaned */
	const char *real;            /* its realpath */
	const char *purelib, *platlib, *bin, *include, *state;  /* relative to ROOT */
	const char *prot[48];        /* never removed: the scheme's directories, their parents */
	size_t nprot;
	Arena *arena;
} Root;

static const char *
under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return path[0] == '/' ? path + 1 : NULL;
	if (strncmp(path, dir, n))
		return NULL;
	if (path[n] == '\0')
		return path + n;
	if (path[n] == '/')
		return path + n + 1;
	return NULL;
}

/* The path relative to ROOT of an absolute path, or NULL when it is not inside. */
static const char *
root_rel(const Root *r, const char *abs)
{
	char *c = arena_strdup(r->arena, abs);
	const char *rel;

	fs_path_clean(c);
	if ((rel = under(c, r->given)) || (rel = under(c, r->real)))
		return rel;
	return NULL;
}

static int
root_rel_req(const Root *r, const char *abs, const char **out, Err *err)
{
	*out = root_rel(r, abs);
	if (!*out)
		return err_set(err, "%s is not inside the environment %s", abs, r->given);
	return 0;
}

static void
protect(Root *r, const char *rel)
{
	char *p = arena_strdup(r->arena, rel);

	for (;;) {
		char *slash;
		size_t i;

		for (i = 0; i < r->nprot; i++)
			if (!strcmp(r->prot[i], p))
				break;
		if (i == r->nprot && r->nprot < sizeof(r->prot) / sizeof(r->prot[0]))
			r->prot[r->nprot++] = p;
		if (!*p)
			return;
		p = arena_strdup(r->arena, p);
		slash = strrchr(p, '/');
		if (slash)
			*slash = '\0';
		else
			p[0] = '\0';
	}
}

static bool
is_protected(const Root *r, const char *rel)
{
	size_t i;

	for (i = 0; i < r->nprot; i++)
		if (!strcmp(r->prot[i], rel))
			return true;
	return false;
}

static int
root_open(Root *r, const Venv *venv, Arena *arena, Err *err)
{
	char *given, *real;

	memset(r, 0, sizeof(*r));
	r->venv = venv;
	r->arena = arena;
	r->fd = -1;
	given = arena_strdup(arena, venv->root);
	fs_path_clean(given);
	r->given = given;
	r->fd = open(given, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->fd < 0)
		return err_sys(err, "%s", given);
	real = realpath(given, NULL);
	if (!real) {
		err_sys(err, "%s", given);
		close(r->fd);
		r->fd = -1;
		return -1;
	}
	r->real = arena_strdup(arena, real);
	free(real);
	if (root_rel_req(r, venv->purelib, &r->purelib, err) != 0 ||
	    root_rel_req(r, venv->platlib ? venv->platlib : venv->purelib, &r->platlib, err) != 0 ||
	    root_rel_req(r, venv->bin, &r->bin, err) != 0 ||
	    root_rel_req(r, venv->include, &r->include, err) != 0 ||
	    root_rel_req(r, venv->state_dir, &r->state, err) != 0) {
		close(r->fd);
		r->fd = -1;
		return -1;
	}
	protect(r, "");
	protect(r, r->purelib);
	protect(r, r->platlib);
	protect(r, r->bin);
	protect(r, r->include);
	protect(r, r->state);
	return 0;
}

static void
root_close(Root *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

/*
 * Open the directory rel (relative to ROOT) the way the kernel would resolve it, but
 * refusing to leave ROOT: ".." above ROOT, or a symbolic link whose target is outside
 * (an absolute target is allowed when it points inside ROOT). With create, missing
 * directories are made. 0 with *out, 1 when it does not exist (without create), -1.
 */
static int
beneath_dir(const Root *r, const char *rel, bool create, int *out, Err *err)
{
	Buf rest = { 0 }, cur = { 0 }, tmp = { 0 };
	size_t pos = 0;
	int links = 0, rc = -1;
	int fd = fcntl(r->fd, F_DUPFD_CLOEXEC, 0);

	if (fd < 0)
		return err_sys(err, "%s", r->given);
	buf_puts(&rest, rel);
	buf_puts(&cur, "");
	while (pos < rest.len) {
		const char *c = rest.data + pos;
		size_t cl = strcspn(c, "/");
		char comp[NAME_MAX + 1];
		int nfd;

		if (cl > NAME_MAX) {
			err_set(err, "%s/%s: a name is too long", r->given, rel);
			goto out;
		}
		memcpy(comp, c, cl);
		comp[cl] = '\0';
		pos += cl;
		if (pos < rest.len)
			pos++;
		if (cl == 0 || !strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			char *slash;

			if (cur.len == 0) {
				err_set(err, "%s/%s leads out of %s", r->given, rel, r->given);
				goto out;
			}
			slash = strrchr(cur.data, '/');
			buf_truncate(&cur, slash ? (size_t)(slash - cur.data) : 0);
			close(fd);
			fd = cur.len ? openat(r->fd, cur.data, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
				     : fcntl(r->fd, F_DUPFD_CLOEXEC, 0);
			if (fd < 0) {
				err_sys(err, "%s/%s", r->given, cstr(&cur));
				goto out;
			}
			continue;
		}
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT) {
			if (!create) {
				rc = 1;
				goto out;
			}
			if (mkdirat(fd, comp, 0755) != 0 && errno != EEXIST) {
				err_sys(err, "cannot make %s/%s%s%s", r->given, cstr(&cur),
					cur.len ? "/" : "", comp);
				goto out;
			}
			nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (nfd >= 0) {
			if (cur.len)
				buf_putc(&cur, '/');
			buf_puts(&cur, comp);
			close(fd);
			fd = nfd;
			continue;
		}
		if (errno == ELOOP || errno == ENOTDIR) {
			char target[PATH_MAX];
			ssize_t tl = readlinkat(fd, comp, target, sizeof(target) - 1);

			if (tl < 0) {
				err_set(err, "%s/%s%s%s is not a directory", r->given, cstr(&cur),
					cur.len ? "/" : "", comp);
				goto out;
			}
			target[tl] = '\0';
			if (++links > MAX_SYMLINKS) {
				err_set(err, "%s/%s: too many symbolic links", r->given, rel);
				goto out;
			}
			buf_clear(&tmp);
			if (target[0] == '/') {
				const char *inside = root_rel(r, target);

				if (!inside) {
					err_set(err, "%s/%s%s%s is a symbolic link that leads out of %s",
						r->given, cstr(&cur), cur.len ? "/" : "", comp, r->given);
					goto out;
				}
				buf_clear(&cur);
				close(fd);
				fd = fcntl(r->fd, F_DUPFD_CLOEXEC, 0);
				if (fd < 0) {
					err_sys(err, "%s", r->given);
					goto out;
				}
				buf_puts(&tmp, inside);
			} else {
				buf_puts(&tmp, target);
			}
			buf_putc(&tmp, '/');
			buf_append(&tmp, rest.data + pos, rest.len - pos);
			buf_clear(&rest);
			buf_append(&rest, tmp.data, tmp.len);
			pos = 0;
			continue;
		}
		err_sys(err, "%s/%s%s%s", r->given, cstr(&cur), cur.len ? "/" : "", comp);
		goto out;
	}
	*out = fd;
	fd = -1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_free(&rest);
	buf_free(&cur);
	buf_free(&tmp);
	return rc;
}

/* A clean relative path that stays inside ROOT lexically. */
static bool
rel_ok(const char *p)
{
	const char *c = p;

	if (!*p || *p == '/')
		return false;
	while (*c) {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += n;
		if (*c == '/')
			c++;
		if (!*c && c[-1] == '/')
			return false;
	}
	return true;
}

/* The parent of a relative path ("" for a top-level name), in arena. */
static char *
parent_of(Arena *a, const char *p)
{
	const char *slash = strrchr(p, '/');

	return slash ? arena_strndup(a, p, (size_t)(slash - p)) : arena_strdup(a, "");
}

static const char *
base_of(const char *p)
{
	const char *slash = strrchr(p, '/');

	return slash ? slash + 1 : p;
}

/* Whether rel exists (not following a final link); -1 when a directory on the way
 * leads out of ROOT. */
static int
exists_in_root(const Root *r, const char *rel, struct stat *sb, Err *err)
{
	Arena a = { 0 };
	int fd, rc;
	struct stat local;

	rc = beneath_dir(r, parent_of(&a, rel), false, &fd, err);
	if (rc == 0) {
		rc = fstatat(fd, base_of(rel), sb ? sb : &local, AT_SYMLINK_NOFOLLOW) == 0;
		close(fd);
	} else if (rc == 1) {
		rc = 0;
	}
	arena_free(&a);
	return rc;
}

/*
 * The path relative to ROOT of a RECORD row of a .dist-info whose parent directory is
 * base (relative to ROOT). Absolute rows are accepted when they point inside ROOT.
 */
static int
resolve_row(const Root *r, const char *base, const char *row, const char *what, unsigned line,
	    const char **out, Err *err)
{
	char *p;

	if (row[0] == '/') {
		const char *rel = root_rel(r, row);

		p = rel ? arena_strdup(r->arena, rel) : NULL;
	} else {
		p = arena_printf(r->arena, "%s%s%s", base, *base ? "/" : "", row);
		fs_path_clean(p);
	}
	if (!p || !rel_ok(p))
		return err_set(err, "%s:%u: '%s' is outside the environment %s; refusing to "
			       "remove anything", what, line, row, r->given);
	*out = p;
	return 0;
}

/* The relative path from directory from to the file to (both relative to ROOT):
 * "../../../bin/tool" from "lib/python3.11/site-packages". */
static char *
rel_path(Arena *a, const char *from, const char *to)
{
	const char *f = from, *t = to;
	size_t ups = 0;
	Buf b = { 0 };
	char *out;

	while (*f && *t) {
		size_t fn = strcspn(f, "/"), tn = strcspn(t, "/");

		if (fn != tn || memcmp(f, t, fn) || t[tn] != '/')
			break;
		f += fn;
		t += tn + 1;
		if (*f == '/')
			f++;
	}
	if (*f) {
		ups = 1;
		for (; *f; f++)
			ups += *f == '/';
	}
	for (; ups > 0; ups--)
		buf_puts(&b, "../");
	buf_puts(&b, t);
	out = arena_strdup(a, cstr(&b));
	buf_free(&b);
	return out;
}

/* ---------------------------------------------------------------- removing paths */

/* Whether p is in the sorted array keep. */
static bool
kept(const char *p, const char *const *keep, size_t nkeep, bool fold)
{
	return keep && bsearch(&p, keep, nkeep, sizeof(*keep), fold ? cmp_str_case : cmp_str);
}

/* Depth first, then by name, for removing directories children first. */
static int
cmp_depth(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t dx = 0, dy = 0;
	const char *c;

	for (c = x; *c; c++)
		dx += *c == '/';
	for (c = y; *c; c++)
		dy += *c == '/';
	if (dx != dy)
		return dx > dy ? -1 : 1;
	return strcmp(x, y);
}

/* Check every path (relative to ROOT) before touching any: lexically inside, and no
 * directory on the way a link leading out. */
static int
validate_paths(const Root *r, const char *const *paths, size_t n, const char *what, Err *err)
{
	Arena a = { 0 };
	const char *last = NULL;
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		const char *parent;
		int fd;

		if (!rel_ok(paths[i])) {
			rc = err_set(err, "%s: '%s' is outside the environment %s", what, paths[i],
				     r->given);
			break;
		}
		parent = parent_of(&a, paths[i]);
		if (last && !strcmp(last, parent))
			continue;
		last = parent;
		rc = beneath_dir(r, parent, false, &fd, err);
		if (rc == 0)
			close(fd);
		else if (rc == 1)
			rc = 0;
		else
			err_wrap(err, "%s", what);
	}
	arena_free(&a);
	return rc;
}

/*
 * Remove paths (validated already) but those in keep (sorted), the .pyc files of the
 * .py files among them (kept or not: a kept source gets new contents), then the
 * directories they leave empty, up to the scheme's directories. Carries on past
 * failures; the first one is reported.
 */
static int
remove_paths(const Root *r, const char *const *paths, size_t n, const char *const *keep,
	     size_t nkeep, bool fold, const char *except, Err *err)
{
	Arena a = { 0 };
	StrVec dirs = { 0 };
	const char *last_parent = NULL;
	bool cache_exists = false;
	size_t i, except_len = except ? strlen(except) : 0;
	int rc = 0;
	const char *tag = r->venv->cache_tag;

	for (i = 0; i < n; i++) {
		const char *p = paths[i];
		const char *parent;

		if (except && !strncmp(p, except, except_len) &&
		    (p[except_len] == '/' || p[except_len] == '\0'))
			continue;
		parent = parent_of(&a, p);
		if (!last_parent || strcmp(last_parent, parent)) {
			struct stat sb;
			const char *pc = arena_printf(&a, "%s%s__pycache__", parent, *parent ? "/" : "");

			last_parent = parent;
			strvec_push(&dirs, parent);
			cache_exists = tag && fstatat(r->fd, pc, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
				       S_ISDIR(sb.st_mode);
			if (cache_exists)
				strvec_push(&dirs, pc);
		}
		if (!kept(p, keep, nkeep, fold) && unlinkat(r->fd, p, 0) != 0 && errno != ENOENT &&
		    errno != EISDIR && errno != ENOTDIR && rc == 0)
			rc = err_sys(err, "cannot remove %s/%s", r->given, p);
		if (cache_exists && has_suffix(p, ".py")) {
			const char *b = base_of(p);
			static const char *const levels[] = { "", ".opt-1", ".opt-2" };
			size_t k;

			for (k = 0; k < 3; k++) {
				char *pyc = arena_printf(&a, "%s%s__pycache__/%.*s.%s%s.pyc", parent,
							 *parent ? "/" : "", (int)(strlen(b) - 3), b,
							 tag, levels[k]);

				unlinkat(r->fd, pyc, 0);
			}
		}
	}
	/* Directories left empty, children first; each one removed lets its parent go. */
	if (dirs.n > 0) {
		qsort(dirs.v, dirs.n, sizeof(*dirs.v), cmp_depth);
		for (i = 0; i < dirs.n; i++) {
			char *d;

			if (i > 0 && !strcmp(dirs.v[i], dirs.v[i - 1]))
				continue;
			d = arena_strdup(&a, dirs.v[i]);
			while (*d && !is_protected(r, d)) {
				char *slash;

				/* ENOENT: gone already (a removal killed halfway): go on up */
				if (unlinkat(r->fd, d, AT_REMOVEDIR) != 0 && errno != ENOENT)
					break;
				slash = strrchr(d, '/');
				if (slash)
					*slash = '\0';
				else
					d[0] = '\0';
			}
		}
	}
	strvec_free(&dirs);
	arena_free(&a);
	return rc;
}

/* ---------------------------------------------------------------- the journal */

typedef struct Journal {
	bool install;
	const char *name;            /* the file's name in journal/ */
	const char *dist_info;
	unsigned long long ino;
	const char *old_dist_info;
	StrVec paths;
	StrVec old;
} Journal;

static void
journal_line(Buf *b, const char *tag, const char *path)
{
	const char *c;

	buf_puts(b, tag);
	buf_putc(b, ' ');
	for (c = path; *c;) {
		size_t n = strcspn(c, "\\\n");

		buf_append(b, c, n);
		c += n;
		if (*c) {
			buf_puts(b, *c == '\n' ? "\\n" : "\\\\");
			c++;
		}
	}
	buf_putc(b, '\n');
}

static void
journal_format(const Journal *j, Buf *b)
{
	size_t i;

	buf_puts(b, "bunpy-journal 1\n");
	buf_puts(b, j->install ? "install\n" : "remove\n");
	journal_line(b, "dist-info", j->dist_info);
	if (j->install)
		buf_printf(b, "ino %llu\n", j->ino);
	if (j->old_dist_info)
		journal_line(b, "old-dist-info", j->old_dist_info);
	for (i = 0; i < j->paths.n; i++)
		journal_line(b, "path", j->paths.v[i]);
	for (i = 0; i < j->old.n; i++)
		journal_line(b, "old", j->old.v[i]);
}

static int
journal_parse(const char *data, size_t len, const char *what, Arena *a, Journal *j, Err *err)
{
	const char *p = data, *end = data + len;
	unsigned line = 0;

	memset(j, 0, sizeof(*j));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *sp, *v;
		size_t tl;
		char *val, *o;

		line++;
		if (!nl)
			return err_set(err, "%s:%u: damaged journal (a line without its end)", what,
				       line);
		if (line == 1) {
			if ((size_t)(nl - p) != 15 || memcmp(p, "bunpy-journal 1", 15))
				return err_set(err, "%s: not a journal of this version of bunpy",
					       what);
			p = nl + 1;
			continue;
		}
		if (line == 2) {
			if ((size_t)(nl - p) == 7 && !memcmp(p, "install", 7))
				j->install = true;
			else if (!((size_t)(nl - p) == 6 && !memcmp(p, "remove", 6)))
				return err_set(err, "%s:2: damaged journal", what);
			p = nl + 1;
			continue;
		}
		sp = memchr(p, ' ', (size_t)(nl - p));
		if (!sp)
			return err_set(err, "%s:%u: damaged journal", what, line);
		tl = (size_t)(sp - p);
		val = o = arena_alloc(a, (size_t)(nl - sp));
		for (v = sp + 1; v < nl; v++) {
			if (*v == '\\' && v + 1 < nl) {
				v++;
				*o++ = *v == 'n' ? '\n' : *v;
			} else {
				*o++ = *v;
			}
		}
		*o = '\0';
		if (tl == 9 && !memcmp(p, "dist-info", 9))
			j->dist_info = val;
		else if (tl == 3 && !memcmp(p, "ino", 3))
			j->ino = strtoull(val, NULL, 10);
		else if (tl == 13 && !memcmp(p, "old-dist-info", 13))
			j->old_dist_info = val;
		else if (tl == 4 && !memcmp(p, "path", 4))
			strvec_push(&j->paths, val);
		else if (tl == 3 && !memcmp(p, "old", 3))
			strvec_push(&j->old, val);
		else
			return err_set(err, "%s:%u: damaged journal", what, line);
		p = nl + 1;
	}
	if (line < 2 || !j->dist_info)
		return err_set(err, "%s: damaged journal (no .dist-info named)", what);
	return 0;
}

static void
journal_free(Journal *j)
{
	strvec_free(&j->paths);
	strvec_free(&j->old);
}

static char *
journal_path(const Root *r, const char *name)
{
	return arena_printf(r->arena, "%s/journal/%s", r->venv->state_dir, name);
}

/* Move the .dist-info directory rel out of the environment's sight, into a new
 * directory of the stage, then remove it. */
static int
hide_dist_info(const Root *r, const char *rel, const char *name, Err *err)
{
	char *dst = arena_printf(r->arena, "%s/stage/%s.XXXXXX", r->venv->state_dir, name);
	int fd, rc;

	if (!mkdtemp(dst))
		return err_sys(err, "cannot make %s", dst);
	rc = beneath_dir(r, parent_of(r->arena, rel), false, &fd, err);
	if (rc == 1)
		return 0;
	if (rc < 0)
		return -1;
	rc = renameat(fd, base_of(rel), AT_FDCWD, dst);
	close(fd);
	if (rc != 0 && errno != ENOENT)
		return err_sys(err, "cannot move %s/%s aside", r->given, rel);
	/* gone for Python now; what is left of it goes too (or with the stage, if killed) */
	if (remove_tree_at(AT_FDCWD, dst) != 0)
		return err_sys(err, "cannot remove %s", dst);
	return 0;
}

/*
 * Bring the environment back to a state where the journal's distribution is either
 * installed or absent: what installer_open does with a journal it finds, and what
 * install_wheel does when a step after the journal fails.
 */
static int
journal_recover(const Root *r, const Journal *j, bool fold, Err *err)
{
	const char *what = arena_printf(r->arena, "%s/journal/%s", r->venv->state_dir, j->name);
	struct stat sb;
	int st;

	if (!rel_ok(j->dist_info) || (j->old_dist_info && !rel_ok(j->old_dist_info)))
		return err_set(err, "%s: a .dist-info outside the environment", what);
	if (validate_paths(r, j->paths.v, j->paths.n, what, err) != 0 ||
	    validate_paths(r, j->old.v, j->old.n, what, err) != 0)
		return -1;
	st = exists_in_root(r, j->dist_info, &sb, err);
	if (st < 0)
		return -1;
	if (!j->install) {
		if (st == 1 && hide_dist_info(r, j->dist_info, j->name, err) != 0)
			return -1;
		return remove_paths(r, j->paths.v, j->paths.n, NULL, 0, fold, NULL, err);
	}
	if (st == 1 && (unsigned long long)sb.st_ino == j->ino) {
		/* Installed: only the replaced distribution's leftovers may remain. */
		const char **keep = xmalloc((j->paths.n + 1) * sizeof(*keep));
		int rc;

		memcpy(keep, j->paths.v, j->paths.n * sizeof(*keep));
		qsort(keep, j->paths.n, sizeof(*keep), fold ? cmp_str_case : cmp_str);
		rc = remove_paths(r, j->old.v, j->old.n, keep, j->paths.n, fold, NULL, err);
		free(keep);
		return rc;
	}
	if (j->old_dist_info) {
		int old = exists_in_root(r, j->old_dist_info, NULL, err);

		if (old < 0)
			return -1;
		if (old == 1)   /* step 3 had not begun: nothing new is in place */
			return 0;
	}
	/* Between the first step that changes the environment and the last: undo. A
	 * .dist-info of that name that is not ours (st == 1) keeps its files. */
	if (remove_paths(r, j->paths.v, j->paths.n, NULL, 0, fold, st == 1 ? j->dist_info : NULL,
			 err) != 0)
		return -1;
	return remove_paths(r, j->old.v, j->old.n, NULL, 0, fold, NULL, err);
}

static int
journal_write(const Root *r, const Journal *j, Err *err)
{
	Buf b = { 0 };
	int rc;

	journal_format(j, &b);
	rc = fs_write_atomic(journal_path(r, j->name), b.data, b.len, 0644, err);
	buf_free(&b);
	return rc;
}

static void
journal_drop(const Root *r, const char *name)
{
	unlink(journal_path(r, name));
}

/* ---------------------------------------------------------------- opening */

static int
probe_case(const Venv *venv, bool *folds, Err *err)
{
	char *path = NULL, *upper;
	struct stat sb;
	int fd;
	Buf b = { 0 };

	buf_printf(&b, "%s/stage/.Case-Probe-XXXXXX", venv->state_dir);
	path = buf_detach(&b);
	fd = mkstemp(path);
	if (fd < 0) {
		err_sys(err, "cannot make %s", path);
		free(path);
		return -1;
	}
	close(fd);
	upper = xstrdup(path);
	{
		char *c = strrchr(upper, '/') + 1;

		for (; *c; c++)
			if (*c >= 'a' && *c <= 'z')
				*c = (char)(*c - 'a' + 'A');
			else if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
	}
	*folds = lstat(upper, &sb) == 0;
	unlink(path);
	free(path);
	free(upper);
	return 0;
}

int
installer_open(Installer *in, const Venv *venv, InstallLinkMode mode, Err *err)
{
	Arena a = { 0 };
	Root r;
	char *stage, *jdir;
	DIR *d;
	struct dirent *e;
	int rc = 0, sfd;

	in->venv = venv;
	in->mode = mode;
	atomic_store(&in->effective, (int)mode);
	in->case_insensitive = false;
	stage = arena_printf(&a, "%s/stage", venv->state_dir);
	jdir = arena_printf(&a, "%s/journal", venv->state_dir);
	if (fs_mkdir_p(stage, err) != 0 || fs_mkdir_p(jdir, err) != 0 ||
	    probe_case(venv, &in->case_insensitive, err) != 0) {
		arena_free(&a);
		return -1;
	}
	if (root_open(&r, venv, &a, err) != 0) {
		arena_free(&a);
		return -1;
	}
	d = opendir(jdir);
	if (!d) {
		rc = err_sys(err, "%s", jdir);
		goto out;
	}
	while (rc == 0 && (e = readdir(d))) {
		Buf data = { 0 };
		Journal j;
		char *path;

		if (e->d_name[0] == '.')
			continue;
		path = arena_printf(&a, "%s/%s", jdir, e->d_name);
		if (strstr(e->d_name, ".tmp-")) {   /* a journal being written when killed */
			unlink(path);
			continue;
		}
		if (read_at(dirfd(d), e->d_name, &data) != 0) {
			rc = err_sys(err, "%s", path);
		} else if (journal_parse(cstr(&data), data.len, path, &a, &j, err) == 0) {
			j.name = arena_strdup(&a, e->d_name);
			rc = journal_recover(&r, &j, in->case_insensitive, err);
			if (rc != 0)
				err_wrap(err, "cannot recover from an interrupted sync");
			else if (unlinkat(dirfd(d), e->d_name, 0) != 0)
				rc = err_sys(err, "cannot remove %s", path);
			journal_free(&j);
		} else {
			rc = -1;
		}
		buf_free(&data);
	}
	closedir(d);
	if (rc != 0)
		goto out;
	/* With every journal settled, nothing in the stage is needed. */
	sfd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0) {
		rc = err_sys(err, "%s", stage);
		goto out;
	}
	d = fdopendir(sfd);
	if (!d) {
		close(sfd);
		rc = err_sys(err, "%s", stage);
		goto out;
	}
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    remove_tree_at(sfd, e->d_name) != 0 && rc == 0)
			rc = err_sys(err, "cannot remove %s/%s", stage, e->d_name);
	}
	closedir(d);
out:
	root_close(&r);
	arena_free(&a);
	return rc;
}

/* ---------------------------------------------------------------- scanning */

static int
cmp_dist(const void *a, const void *b)
{
	const InstalledDist *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->version, y->version);
}

/* Name and Version from a METADATA's headers, for a .dist-info named without them. */
static void
metadata_name_version(const char *data, size_t len, Arena *arena, const char **name,
		      const char **version)
{
	const char *p = data, *end = data + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0)
			break;
		if (n > 5 && !strncasecmp(p, "Name:", 5) && !*name) {
			const char *v = p + 5;

			while (v < p + n && (*v == ' ' || *v == '\t'))
				v++;
			*name = name_normalize(v, (size_t)(p + n - v), arena);
		} else if (n > 8 && !strncasecmp(p, "Version:", 8) && !*version) {
			const char *v = p + 8;

			while (v < p + n && (*v == ' ' || *v == '\t'))
				v++;
			*version = arena_strndup(arena, v, (size_t)(p + n - v));
		}
		if (!nl)
			break;
		p = nl + 1;
	}
}

static int
scan_dir(const char *dir, Arena *arena, InstalledDist **items, size_t *n, size_t *cap, Err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *e;

	if (fd < 0)
		return errno == ENOENT ? 0 : err_sys(err, "%s", dir);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return err_sys(err, "%s", dir);
	}
	while ((e = readdir(d))) {
		const char *nm = e->d_name, *dash;
		size_t base = strlen(nm);
		InstalledDist *it;
		struct stat sb;
		Buf b = { 0 };
		int dfd;

		if (!has_suffix(nm, ".dist-info") || base == 10)
			continue;
		base -= 10;
		dfd = openat(fd, nm, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			continue;
		xgrow(items, cap, *n + 1, sizeof(**items));
		it = &(*items)[(*n)++];
		memset(it, 0, sizeof(*it));
		dash = memchr(nm, '-', base);
		if (dash) {
			it->name = name_normalize(nm, (size_t)(dash - nm), arena);
			it->version = arena_strndup(arena, dash + 1, base - (size_t)(dash - nm) - 1);
		} else if (read_at(dfd, "METADATA", &b) == 0) {
			metadata_name_version(cstr(&b), b.len, arena, &it->name, &it->version);
		}
		if (!it->name)
			it->name = name_normalize(nm, base, arena);
		if (!it->version)
			it->version = "";
		it->dist_info = arena_printf(arena, "%s/%s", dir, nm);
		buf_clear(&b);
		if (read_at(dfd, "INSTALLER", &b) == 0)
			it->installer = arena_strndup(arena, cstr(&b), strcspn(cstr(&b), "\r\n"));
		it->has_record = fstatat(dfd, "RECORD", &sb, 0) == 0 && S_ISREG(sb.st_mode);
		buf_free(&b);
		close(dfd);
	}
	closedir(d);
	return 0;
}

int
install_scan(const Venv *venv, Arena *arena, InstalledDist **out, size_t *n, Err *err)
{
	InstalledDist *items = NULL;
	size_t cnt = 0, cap = 0;

	if (scan_dir(venv->purelib, arena, &items, &cnt, &cap, err) != 0 ||
	    (venv->platlib && strcmp(venv->platlib, venv->purelib) &&
	     scan_dir(venv->platlib, arena, &items, &cnt, &cap, err) != 0)) {
		free(items);
		return -1;
	}
	if (cnt > 1)
		qsort(items, cnt, sizeof(*items), cmp_dist);
	*out = arena_alloc(arena, (cnt ? cnt : 1) * sizeof(**out));
	if (cnt)
		memcpy(*out, items, cnt * sizeof(*items));
	*n = cnt;
	free(items);
	return 0;
}

/* ---------------------------------------------------------------- removing */

/* The paths a .dist-info's RECORD lists, relative to ROOT, checked. */
static int
record_paths(const Root *r, const char *dist_rel, const char *verb, const char *label, StrVec *out,
	     Err *err)
{
	const char *base = parent_of(r->arena, dist_rel);
	const char *what = arena_printf(r->arena, "%s/RECORD", base_of(dist_rel));
	Buf data = { 0 };
	Record rec;
	int fd, rc;
	size_t i;

	rc = beneath_dir(r, dist_rel, false, &fd, err);
	if (rc == 1)
		return err_set(err, "%s: %s/%s does not exist", label, r->given, dist_rel);
	if (rc < 0)
		return -1;
	rc = read_at(fd, "RECORD", &data);
	close(fd);
	if (rc == 1 && !strcmp(verb, "remove"))
		return err_set(err, "cannot remove %s: it has no RECORD; remove %s/%s by hand", label,
			       r->given, dist_rel);
	if (rc == 1)
		return err_set(err, "cannot %s %s: %s/%s has no RECORD", verb, label, r->given,
			       dist_rel);
	if (rc < 0)
		return err_sys(err, "%s/%s/RECORD", r->given, dist_rel);
	rc = record_parse(cstr(&data), data.len, what, r->arena, &rec, err);
	buf_free(&data);
	if (rc != 0)
		return err_wrap(err, "cannot %s %s", verb, label), -1;
	for (i = 0; i < rec.nrows; i++) {
		const char *p = NULL;

		if (resolve_row(r, base, rec.rows[i].path, what, rec.rows[i].line, &p, err) != 0)
			return err_wrap(err, "cannot %s %s", verb, label), -1;
		strvec_push(out, p);
	}
	return validate_paths(r, out->v, out->n, label, err);
}

int
install_remove(Installer *in, const InstalledDist *dist, Err *err)
{
	Arena a = { 0 };
	Root r;
	Journal j;
	const char *label;
	int rc = -1;

	memset(&j, 0, sizeof(j));
	if (root_open(&r, in->venv, &a, err) != 0) {
		arena_free(&a);
		return -1;
	}
	label = arena_printf(&a, "%s %s", dist->name, dist->version);
	if (root_rel_req(&r, dist->dist_info, &j.dist_info, err) != 0 || !rel_ok(j.dist_info)) {
		if (j.dist_info)
			err_set(err, "%s is not inside the environment %s", dist->dist_info, r.given);
		goto out;
	}
	if (!dist->has_record) {
		err_set(err, "cannot remove %s: it has no RECORD; remove %s by hand", label,
			dist->dist_info);
		goto out;
	}
	j.install = false;
	j.name = dist->name;
	if (record_paths(&r, j.dist_info, "remove", label, &j.paths, err) != 0)
		goto out;
	if (journal_write(&r, &j, err) != 0)
		goto out;
	/* The moment the distribution stops existing. */
	if (hide_dist_info(&r, j.dist_info, j.name, err) != 0 ||
	    remove_paths(&r, j.paths.v, j.paths.n, NULL, 0, in->case_insensitive, NULL, err) != 0) {
		err_wrap(err, "cannot remove %s", label);
		goto out;   /* the journal stays: the next installer_open carries on */
	}
	journal_drop(&r, j.name);
	rc = 0;
out:
	journal_free(&j);
	root_close(&r);
	arena_free(&a);
	return rc;
}

/* ---------------------------------------------------------------- staging */

/* A directory of the stage, made when the first file goes into it (pip makes no empty
 * directories). */
typedef struct DstDir {
	struct DstDir *parent;
	const char *name;
	int fd;
} DstDir;

typedef struct Staged {
	const char *dst;             /* relative to ROOT */
	const char *src;             /* relative to the wheel; NULL when made here */
	const RecordRow *row;        /* the wheel's RECORD row for src */
	bool hashed;
	bool symlink;
	unsigned char sha[32];
	uint64_t size;
} Staged;

enum { K_PLAIN, K_SCRIPTS, K_DISTINFO };

enum { S_PURELIB, S_PLATLIB, S_SCRIPTS, S_HEADERS, S_DATA, S_COUNT };
static const char *const scheme_keys[S_COUNT] = { "purelib", "platlib", "scripts", "headers",
						   "data" };

typedef struct Stage {
	Installer *in;
	const Root *r;
	const InstallRequest *req;
	Arena *a;
	Err *err;
	const char *cache;           /* the wheel cache, for messages */
	const Record *wrec;
	const char *dist_info;       /* its name */
	const EntryPoint **launchers;
	size_t nlaunchers;
	int ufd;                     /* the unpacked wheel */
	Buf src, dst;                /* the current entry, relative to the wheel and to ROOT */
	Staged *items;
	size_t nitems, cap;
	DstDir root;                 /* the stage */
	DstDir *chains[S_COUNT];     /* the stage's directory for each scheme */
	const char *scheme_rel[S_COUNT];
	DstDir *lib;                 /* where the wheel's root and .dist-info go */
	const char *lib_rel;
	struct dirent *top;          /* the wheel's top level (d_name and d_type) */
	size_t ntop;
} Stage;

static int
dstdir_fd(Stage *s, DstDir *d)
{
	int pfd;

	if (d->fd >= 0)
		return d->fd;
	pfd = dstdir_fd(s, d->parent);
	if (pfd < 0)
		return -1;
	if (mkdirat(pfd, d->name, 0755) != 0 && errno != EEXIST)
		return err_sys(s->err, "%s: cannot make %s in the stage", s->req->wheel_name,
			       d->name);
	d->fd = openat(pfd, d->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d->fd < 0)
		return err_sys(s->err, "%s: %s in the stage", s->req->wheel_name, d->name);
	return d->fd;
}

static const char *headers_rel(Stage *s);

/*
 * The stage's directory for scheme k: STAGE/KEY, one per destination (purelib and
 * platlib are one directory in a venv), so that a wheel's root costs one directory in
 * the stage rather than lib/python3.N/site-packages; step 4 moves each into its place.
 */
static DstDir *
scheme_dir(Stage *s, int k)
{
	DstDir *d;
	int j;

	if (s->chains[k])
		return s->chains[k];
	if (k == S_HEADERS && !s->scheme_rel[S_HEADERS])
		s->scheme_rel[S_HEADERS] = headers_rel(s);
	for (j = 0; j < S_COUNT; j++)
		if (j != k && s->chains[j] && !strcmp(s->scheme_rel[j], s->scheme_rel[k]))
			return s->chains[k] = s->chains[j];
	d = arena_zalloc(s->a, sizeof(*d));
	d->parent = &s->root;
	d->name = scheme_keys[k];
	d->fd = -1;
	return s->chains[k] = d;
}

static void
dstdir_close(DstDir *d)
{
	if (d && d->parent && d->fd >= 0) {
		close(d->fd);
		d->fd = -1;
	}
}

static Staged *
add_item(Stage *s, const char *src)
{
	Staged *it;

	xgrow(&s->items, &s->cap, s->nitems + 1, sizeof(*s->items));
	it = &s->items[s->nitems++];
	memset(it, 0, sizeof(*it));
	it->dst = arena_strdup(s->a, cstr(&s->dst));
	it->src = src ? arena_strdup(s->a, src) : NULL;
	it->row = src ? record_find(s->wrec, it->src) : NULL;
	return it;
}

static int
collision(Stage *s)
{
	return err_set(s->err, "%s: two files of the wheel install to %s%s", s->req->wheel_name,
		       cstr(&s->dst),
		       s->in->case_insensitive ? " (their names may differ only by case, and "
						 "the filesystem ignores case)" : "");
}

static void
fallback(Stage *s, int from, int to, int e)
{
	int expected = from;

	if (atomic_compare_exchange_strong(&s->in->effective, &expected, to) && s->in->warn &&
	    !(from == INSTALL_CLONE && to == INSTALL_HARDLINK && s->in->clone_by_default)) {
		char msg[PATH_MAX * 2 + 200];

		snprintf(msg, sizeof(msg), "cannot %s files from %s into %s (%s); %s them instead",
			 from == INSTALL_CLONE ? "clone" : "hard-link", s->cache, s->r->given,
			 strerror(e), to == INSTALL_HARDLINK ? "hard-linking" : "copying");
		s->in->warn(s->in->warn_ctx, msg);
	}
}

static int
copy_fd(int in, int out)
{
	char buf[65536];
	bool ranged = true;

	for (;;) {
		ssize_t n;

		if (ranged) {
			n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
			if (n == 0)
				return 0;
			if (n > 0)
				continue;
			if (errno == EINTR)
				continue;
			if (errno != EXDEV && errno != EINVAL && errno != ENOSYS &&
			    errno != EOPNOTSUPP && errno != EPERM)
				return -1;
			ranged = false;
		}
		n = read(in, buf, sizeof(buf));
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (fs_write_all(out, buf, (size_t)n) != 0)
			return -1;
	}
}

/* Clone (or copy) name from sfd into dfd with the source's mode: 0, 1 when cloning
 * is not possible (errno says why; nothing is left behind), -1 with err. */
static int
clone_or_copy(Stage *s, int sfd, const char *name, int dfd, bool clone)
{
	struct stat sb;
	int in, out, e;

	in = openat(sfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return err_sys(s->err, "%s/%s", s->req->unpacked, cstr(&s->src));
	if (fstat(in, &sb) != 0) {
		e = errno;
		close(in);
		errno = e;
		return err_sys(s->err, "%s/%s", s->req->unpacked, cstr(&s->src));
	}
	out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		e = errno;
		close(in);
		if (e == EEXIST)
			return collision(s);
		errno = e;
		return err_sys(s->err, "%s: cannot stage %s", s->req->wheel_name, cstr(&s->dst));
	}
	if (clone) {
		if (ioctl(out, FICLONE, in) != 0) {
			e = errno;
			close(out);
			close(in);
			unlinkat(dfd, name, 0);
			errno = e;
			return 1;
		}
	} else if (copy_fd(in, out) != 0) {
		goto fail;
	}
	if (fchmod(out, sb.st_mode & 0777) != 0)
		goto fail;
	close(in);
	if (close(out) != 0) {
		e = errno;
		unlinkat(dfd, name, 0);
		errno = e;
		return err_sys(s->err, "%s: cannot stage %s", s->req->wheel_name, cstr(&s->dst));
	}
	return 0;
fail:
	e = errno;
	close(out);
	close(in);
	unlinkat(dfd, name, 0);
	errno = e;
	return err_sys(s->err, "%s: cannot stage %s", s->req->wheel_name, cstr(&s->dst));
}

/* One file from the wheel cache into the stage, by the link mode that works. */
static int
place_file(Stage *s, int sfd, const char *name, int dfd)
{
	int mode = atomic_load(&s->in->effective);

	if (mode == INSTALL_CLONE) {
		int rc = clone_or_copy(s, sfd, name, dfd, true);

		if (rc <= 0)
			return rc;
		fallback(s, INSTALL_CLONE, INSTALL_HARDLINK, errno);
		mode = INSTALL_HARDLINK;
	}
	if (mode == INSTALL_HARDLINK) {
		if (linkat(sfd, name, dfd, name, 0) == 0)
			return 0;
		if (errno == EEXIST)
			return collision(s);
		if (errno == EXDEV || errno == EPERM || errno == EOPNOTSUPP || errno == ENOSYS ||
		    errno == EACCES)
			fallback(s, INSTALL_HARDLINK, INSTALL_COPY, errno);
		else if (errno != EMLINK)   /* too many links to this one file: copy it */
			return err_sys(s->err, "%s: cannot link %s", s->req->wheel_name,
				       cstr(&s->dst));
	}
	return clone_or_copy(s, sfd, name, dfd, false);
}

static bool
is_launcher(const Stage *s, const char *script)
{
	static const char *const suffixes[] = { ".exe", "-script.py", ".pya" };
	size_t n = strlen(script), i, k;

	for (i = 0; i < s->nlaunchers; i++) {
		const char *ln = s->launchers[i]->name;
		size_t m = strlen(ln);

		if (!strcmp(ln, script))
			return true;
		for (k = 0; k < 3; k++) {
			size_t sl = strlen(suffixes[k]);

			if (n == m + sl && !memcmp(script, ln, m) && !strcmp(script + m, suffixes[k]))
				return true;
		}
	}
	return false;
}

/* A file of .data/scripts: skipped when an entry point has its name, rewritten when it
 * starts with "#!python", else placed like any file. */
static int
stage_script(Stage *s, int sfd, const char *name, DstDir *dst, bool *done)
{
	const char *rel = cstr(&s->dst) + strlen(s->scheme_rel[S_SCRIPTS]) + 1;
	char head[8];
	ssize_t got;
	int fd, dfd;
	Buf data = { 0 }, out = { 0 };
	Staged *it;

	*done = true;
	if (is_launcher(s, rel))
		return 0;
	fd = openat(sfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_sys(s->err, "%s/%s", s->req->unpacked, cstr(&s->src));
	got = pread(fd, head, sizeof(head), 0);
	close(fd);
	if (got != (ssize_t)sizeof(head) || memcmp(head, "#!python", 8)) {
		*done = false;
		return 0;
	}
	if (read_at(sfd, name, &data) != 0)
		return err_sys(s->err, "%s/%s", s->req->unpacked, cstr(&s->src));
	if (entrypoints_rewrite_script(cstr(&data), data.len, s->r->venv->python, &out) != 1) {
		buf_free(&data);
		buf_free(&out);
		*done = false;
		return 0;
	}
	buf_free(&data);
	dfd = dstdir_fd(s, dst);
	if (dfd < 0 || write_new_at(dfd, name, cstr(&out), out.len, 0755) != 0) {
		int e = errno;

		buf_free(&out);
		if (dfd < 0)
			return -1;
		if (e == EEXIST)
			return collision(s);
		errno = e;
		return err_sys(s->err, "%s: cannot stage %s", s->req->wheel_name, cstr(&s->dst));
	}
	it = add_item(s, cstr(&s->src));
	it->hashed = true;
	sha_of(cstr(&out), out.len, it->sha);
	it->size = out.len;
	buf_free(&out);
	return 0;
}

static int
stage_symlink(Stage *s, int sfd, const char *name, DstDir *dst)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(sfd, name, target, sizeof(target) - 1);
	char *joined;
	int dfd;

	if (n < 0)
		return err_sys(s->err, "%s/%s", s->req->unpacked, cstr(&s->src));
	target[n] = '\0';
	joined = arena_printf(s->a, "%s/../%s", cstr(&s->dst), target);
	fs_path_clean(joined);
	if (target[0] == '/' || !rel_ok(joined))
		return err_set(s->err, "%s: the symbolic link %s leads out of the environment",
			       s->req->wheel_name, cstr(&s->src));
	dfd = dstdir_fd(s, dst);
	if (dfd < 0)
		return -1;
	if (symlinkat(target, dfd, name) != 0)
		return errno == EEXIST ? collision(s)
				       : err_sys(s->err, "%s: cannot stage %s", s->req->wheel_name,
						 cstr(&s->dst));
	add_item(s, cstr(&s->src))->symlink = true;
	return 0;
}

static unsigned
entry_type(int dirfd, const struct dirent *e)
{
	struct stat sb;

	if (e->d_type != DT_UNKNOWN)
		return e->d_type;
	if (fstatat(dirfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		return DT_UNKNOWN;
	return S_ISDIR(sb.st_mode) ? DT_DIR : S_ISREG(sb.st_mode) ? DT_REG
	       : S_ISLNK(sb.st_mode) ? DT_LNK : DT_UNKNOWN;
}

static int stage_tree(Stage *s, int sfd, DstDir *dst, int kind);

static bool
in_state_dir(const Stage *s)
{
	return under(cstr(&s->dst), s->r->state) != NULL;
}

/* One entry (s->src and s->dst say where it comes from and goes) into dst. */
static int
stage_entry(Stage *s, int sfd, const char *name, unsigned type, DstDir *dst, int kind)
{
	if (in_state_dir(s))
		return err_set(s->err, "%s: %s would install into bunpy's own %s/%s",
			       s->req->wheel_name, cstr(&s->src), s->r->given, s->r->state);
	if (type == DT_DIR) {
		DstDir child = { dst, name, -1 };
		int cfd = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int rc;

		if (cfd < 0)
			return err_sys(s->err, "%s/%s", s->req->unpacked, cstr(&s->src));
		rc = stage_tree(s, cfd, &child, kind == K_DISTINFO ? K_PLAIN : kind);
		if (child.fd >= 0)
			close(child.fd);
		return rc;
	}
	if (type == DT_LNK)
		return stage_symlink(s, sfd, name, dst);
	if (type != DT_REG)
		return err_set(s->err, "%s: %s is not a file", s->req->wheel_name, cstr(&s->src));
	if (kind == K_DISTINFO &&
	    (!strcmp(name, "RECORD") || !strcmp(name, "INSTALLER") || !strcmp(name, "REQUESTED") ||
	     !strcmp(name, "direct_url.json")))
		return 0;
	if (kind == K_SCRIPTS) {
		bool done;

		if (stage_script(s, sfd, name, dst, &done) != 0)
			return -1;
		if (done)
			return 0;
	}
	{
		int dfd = dstdir_fd(s, dst);
		Staged *it;

		if (dfd < 0 || place_file(s, sfd, name, dfd) != 0)
			return -1;
		it = add_item(s, cstr(&s->src));
		if (!it->row || !it->row->alg) {
			/* not in the wheel's RECORD (the cache checks that it is): hash it here */
			Sha256 sha;
			struct stat sb;

			if (hash_file_at(dfd, name, NULL, &sha, s->err) != 0 ||
			    fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
				return -1;
			it->hashed = true;
			memcpy(it->sha, sha.b, 32);
			it->size = (uint64_t)sb.st_size;
		}
	}
	return 0;
}

static int
stage_tree(Stage *s, int sfd, DstDir *dst, int kind)
{
	size_t slen = s->src.len, dlen = s->dst.len;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (!(d = fdopendir(sfd))) {
		close(sfd);
		return err_sys(s->err, "%s/%s", s->req->unpacked, cstr(&s->src));
	}
	while (rc == 0 && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		path_push(&s->src, slen, e->d_name);
		path_push(&s->dst, dlen, e->d_name);
		rc = stage_entry(s, sfd, e->d_name, entry_type(sfd, e), dst, kind);
	}
	closedir(d);
	buf_truncate(&s->src, slen);
	buf_truncate(&s->dst, dlen);
	return rc;
}

/* include/python3.N -> include/site/python3.N/NAME. pip names the directory after the
 * requirement (for a wheel file, the name in the file's name with '-' for '_'; from an
 * index, as the user spelled it); bunpy's requirements are normalized names. */
static const char *
headers_rel(Stage *s)
{
	char *inc_parent = parent_of(s->a, s->r->include);

	return arena_printf(s->a, "%s%ssite/%s/%s", inc_parent, *inc_parent ? "/" : "",
			    base_of(s->r->include), s->req->name);
}

/* NAME.data/KEY/... to the scheme's directories. */
static int
stage_data(Stage *s, const char *name)
{
	int dfd = openat(s->ufd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		return err_sys(s->err, "%s/%s", s->req->unpacked, name);
	}
	while (rc == 0 && (e = readdir(d))) {
		int k, kfd;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		for (k = 0; k < S_COUNT; k++)
			if (!strcmp(e->d_name, scheme_keys[k]))
				break;
		if (k == S_COUNT) {
			rc = err_set(s->err, "%s: unknown .data directory '%s/%s' (expected purelib, "
				     "platlib, headers, scripts or data)", s->req->wheel_name, name,
				     e->d_name);
			break;
		}
		if (entry_type(dfd, e) != DT_DIR) {
			rc = err_set(s->err, "%s: %s/%s is not a directory", s->req->wheel_name, name,
				     e->d_name);
			break;
		}
		kfd = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (kfd < 0) {
			rc = err_sys(s->err, "%s/%s/%s", s->req->unpacked, name, e->d_name);
			break;
		}
		scheme_dir(s, k);
		buf_clear(&s->src);
		buf_printf(&s->src, "%s/%s", name, e->d_name);
		buf_clear(&s->dst);
		buf_puts(&s->dst, s->scheme_rel[k]);
		rc = stage_tree(s, kfd, s->chains[k], k == S_SCRIPTS ? K_SCRIPTS : K_PLAIN);
	}
	closedir(d);
	return rc;
}

/* The wheel's top level: the root to lib, .data directories to their schemes, the
 * .dist-info (done last, by the caller). */
static int
stage_root(Stage *s)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < s->ntop; i++) {
		const struct dirent *e = &s->top[i];
		unsigned type = e->d_type;

		if (!strcmp(e->d_name, s->dist_info))
			continue;
		if (type == DT_DIR && has_suffix(e->d_name, ".data")) {
			rc = stage_data(s, e->d_name);
			continue;
		}
		buf_clear(&s->src);
		buf_puts(&s->src, e->d_name);
		buf_clear(&s->dst);
		buf_printf(&s->dst, "%s/%s", s->lib_rel, e->d_name);
		rc = stage_entry(s, s->ufd, e->d_name, type, s->lib, K_PLAIN);
	}
	return rc;
}

/* The single top-level .dist-info of the wheel, for the project req->name; the top
 * level is kept for stage_root. */
static int
find_dist_info(Stage *s)
{
	DIR *d;
	struct dirent *e;
	const char *found = NULL;
	int rc = 0;

	if (!(d = opendir_dup(s->ufd))) {
		return err_sys(s->err, "%s", s->req->unpacked);
	}
	while ((e = readdir(d))) {
		size_t cap = s->ntop;
		struct dirent *t;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!(s->ntop & (s->ntop - 1))) {   /* 0, 1, 2, 4...: grow to the next power */
			struct dirent *grown = arena_alloc(s->a, (cap ? 2 * cap : 1) * sizeof(*grown));

			if (s->ntop)
				memcpy(grown, s->top, s->ntop * sizeof(*grown));
			s->top = grown;
		}
		t = &s->top[s->ntop++];
		memcpy(t, e, sizeof(*t));
		t->d_type = (unsigned char)entry_type(s->ufd, e);
		if (!has_suffix(e->d_name, ".dist-info") || t->d_type != DT_DIR)
			continue;
		if (found) {
			rc = err_set(s->err, "%s: more than one .dist-info directory (%s and %s)",
				     s->req->wheel_name, found, e->d_name);
			break;
		}
		found = arena_strdup(s->a, e->d_name);
	}
	closedir(d);
	if (rc != 0)
		return rc;
	if (!found)
		return err_set(s->err, "%s: no .dist-info directory", s->req->wheel_name);
	{
		char *canon = name_normalize(found, strlen(found), s->a);
		size_t n = strlen(s->req->name);

		if (strncmp(canon, s->req->name, n) || canon[n] != '-')
			return err_set(s->err, "%s: its .dist-info directory %s is not for %s",
				       s->req->wheel_name, found, s->req->name);
	}
	s->dist_info = found;
	return 0;
}

static int
read_dist_file(Stage *s, const char *file, Buf *out, bool *present)
{
	int dfd = openat(s->ufd, s->dist_info, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (dfd < 0)
		return err_sys(s->err, "%s/%s", s->req->unpacked, s->dist_info);
	rc = read_at(dfd, file, out);
	close(dfd);
	if (rc < 0)
		return err_sys(s->err, "%s/%s/%s", s->req->unpacked, s->dist_info, file);
	*present = rc == 0;
	return 0;
}

/* The .dist-info: the wheel's files, then INSTALLER, REQUESTED, direct_url.json, RECORD. */
static int
stage_dist_info(Stage *s, unsigned long long *ino)
{
	DstDir di = { s->lib, s->dist_info, -1 };
	int sfd, fd, rc;
	struct stat sb;
	RecordRow *rows;
	size_t i, nrows = 0;
	Buf rec = { 0 };
	const char *dist_rel = arena_printf(s->a, "%s/%s", s->lib_rel, s->dist_info);

	sfd = openat(s->ufd, s->dist_info, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		return err_sys(s->err, "%s/%s", s->req->unpacked, s->dist_info);
	buf_clear(&s->src);
	buf_puts(&s->src, s->dist_info);
	buf_clear(&s->dst);
	buf_puts(&s->dst, dist_rel);
	rc = stage_tree(s, sfd, &di, K_DISTINFO);
	if (rc != 0)
		goto out;
	rc = -1;
	fd = dstdir_fd(s, &di);
	if (fd < 0)
		goto out;
	{
		struct { const char *name; const char *data; bool on; } gen[] = {
			{ "INSTALLER", "bunpy\n", true },
			{ "REQUESTED", "", s->req->requested },
			{ "direct_url.json", s->req->direct_url_json, s->req->direct_url_json != NULL },
		};

		for (i = 0; i < sizeof(gen) / sizeof(gen[0]); i++) {
			Staged *it;

			if (!gen[i].on)
				continue;
			if (write_new_at(fd, gen[i].name, gen[i].data, strlen(gen[i].data), 0644) != 0) {
				err_sys(s->err, "%s: cannot stage %s/%s", s->req->wheel_name, dist_rel,
					gen[i].name);
				goto out;
			}
			path_push(&s->dst, strlen(dist_rel), gen[i].name);
			it = add_item(s, NULL);
			it->hashed = true;
			sha_of(gen[i].data, strlen(gen[i].data), it->sha);
			it->size = strlen(gen[i].data);
		}
	}
	/* RECORD, for the installed paths, relative to the directory holding the .dist-info */
	rows = arena_zalloc(s->a, (s->nitems + 1) * sizeof(*rows));
	for (i = 0; i < s->nitems; i++) {
		Staged *it = &s->items[i];
		RecordRow *row = &rows[nrows++];
		const RecordRow *w = it->row;

		row->path = rel_path(s->a, s->lib_rel, it->dst);
		if (it->hashed) {
			row->alg = "sha256";
			memcpy(row->digest, it->sha, 32);
			row->digest_len = 32;
			row->has_size = true;
			row->size = it->size;
		} else if (w) {
			row->alg = w->alg;
			memcpy(row->digest, w->digest, w->digest_len);
			row->digest_len = w->digest_len;
			row->has_size = w->has_size;
			row->size = w->size;
		}
	}
	rows[nrows++].path = arena_printf(s->a, "%s/RECORD", s->dist_info);
	record_write(rows, nrows, &rec);
	if (write_new_at(fd, "RECORD", cstr(&rec), rec.len, 0644) != 0) {
		err_sys(s->err, "%s: cannot stage %s/RECORD", s->req->wheel_name, dist_rel);
		goto out;
	}
	path_push(&s->dst, strlen(dist_rel), "RECORD");
	add_item(s, NULL);
	if (fstat(fd, &sb) != 0) {
		err_sys(s->err, "%s", dist_rel);
		goto out;
	}
	*ino = (unsigned long long)sb.st_ino;
	rc = 0;
out:
	buf_free(&rec);
	if (di.fd >= 0)
		close(di.fd);
	return rc;
}

static int
stage_launchers(Stage *s)
{
	size_t i;
	DstDir *bin;
	int fd;

	if (s->nlaunchers == 0)
		return 0;
	bin = scheme_dir(s, S_SCRIPTS);
	fd = dstdir_fd(s, bin);
	if (fd < 0)
		return -1;
	for (i = 0; i < s->nlaunchers; i++) {
		const EntryPoint *ep = s->launchers[i];
		Buf b = { 0 };
		Staged *it;

		buf_clear(&s->dst);
		buf_printf(&s->dst, "%s/%s", s->scheme_rel[S_SCRIPTS], ep->name);
		if (entrypoints_launcher(ep, s->r->venv->python, &b, s->err) != 0) {
			buf_free(&b);
			err_wrap(s->err, "%s", s->req->wheel_name);
			return -1;
		}
		if (write_new_at(fd, ep->name, cstr(&b), b.len, 0755) != 0) {
			int e = errno;

			buf_free(&b);
			if (e == EEXIST)
				return collision(s);
			errno = e;
			return err_sys(s->err, "%s: cannot stage %s", s->req->wheel_name,
				       cstr(&s->dst));
		}
		it = add_item(s, NULL);
		it->hashed = true;
		sha_of(cstr(&b), b.len, it->sha);
		it->size = b.len;
		buf_free(&b);
	}
	return 0;
}

/* WHEEL, RECORD and entry_points.txt of the wheel. */
static int
read_wheel_meta(Stage *s, Record *wrec, WheelFile *wf)
{
	Buf b = { 0 };
	bool present;
	const char *what;
	EntryPoint *eps = NULL;
	size_t neps = 0, i;
	int rc = -1;

	what = arena_printf(s->a, "%s: %s/WHEEL", s->req->wheel_name, s->dist_info);
	if (read_dist_file(s, "WHEEL", &b, &present) != 0)
		goto out;
	if (!present) {
		err_set(s->err, "%s: no %s/WHEEL", s->req->wheel_name, s->dist_info);
		goto out;
	}
	if (wheelfile_parse(cstr(&b), b.len, what, s->a, wf, s->err) != 0)
		goto out;
	if (wf->newer_minor && s->in->warn) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s uses Wheel-Version %u.%u, newer than this installer "
			 "knows (1.0); installing it anyway", s->req->wheel_name, wf->version_major,
			 wf->version_minor);
		s->in->warn(s->in->warn_ctx, msg);
	}
	buf_clear(&b);
	what = arena_printf(s->a, "%s: %s/RECORD", s->req->wheel_name, s->dist_info);
	if (read_dist_file(s, "RECORD", &b, &present) != 0)
		goto out;
	if (!present) {
		err_set(s->err, "%s: no %s/RECORD", s->req->wheel_name, s->dist_info);
		goto out;
	}
	if (record_parse(cstr(&b), b.len, what, s->a, wrec, s->err) != 0)
		goto out;
	buf_clear(&b);
	what = arena_printf(s->a, "%s: %s/entry_points.txt", s->req->wheel_name, s->dist_info);
	if (read_dist_file(s, "entry_points.txt", &b, &present) != 0)
		goto out;
	if (present && entrypoints_parse(cstr(&b), b.len, what, s->a, &eps, &neps, s->err) != 0)
		goto out;
	s->launchers = arena_alloc(s->a, (neps + 1) * sizeof(*s->launchers));
	/* console_scripts, then gui_scripts; a later entry of the same name wins */
	for (int pass = 0; pass < 2; pass++) {
		const char *group = pass == 0 ? "console_scripts" : "gui_scripts";

		for (i = 0; i < neps; i++) {
			size_t k;

			if (strcmp(eps[i].group, group))
				continue;
			if (!entrypoints_script_name_ok(eps[i].name)) {
				err_set(s->err, "%s:%u: '%s' cannot be the name of a script", what,
					eps[i].line, eps[i].name);
				goto out;
			}
			if (!eps[i].attr) {
				err_set(s->err, "%s:%u: '%s = %s' names no function to call", what,
					eps[i].line, eps[i].name, eps[i].value);
				goto out;
			}
			for (k = 0; k < s->nlaunchers; k++)
				if (!strcmp(s->launchers[k]->name, eps[i].name))
					break;
			s->launchers[k] = &eps[i];
			if (k == s->nlaunchers)
				s->nlaunchers++;
		}
	}
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

/* ---------------------------------------------------------------- moving into place */

typedef struct Merge {
	const Root *r;
	const char *skip;            /* the .dist-info, moved last */
	const char *wheel;
	Buf rel;
	Err *err;
} Merge;

/* What merge_dir returns when a directory of the environment it was moving files into
 * was removed meanwhile (another thread removed the last distribution using it, just
 * before this one's files arrived): the caller moves the entry again. */
#define MERGE_VANISHED (-2)
#define MERGE_TRIES 4

static int merge_dir(Merge *m, int sfd, int dfd, bool owned);

/* One entry of the stage's directory sfd into dfd (m->rel names it). */
static int
merge_entry(Merge *m, int sfd, int dfd, const char *name, unsigned type)
{
	struct stat ds;
	bool have = fstatat(dfd, name, &ds, AT_SYMLINK_NOFOLLOW) == 0;
	int csfd, cdfd = -1;

	if (!have && errno != ENOENT)
		return err_sys(m->err, "%s/%s", m->r->given, m->rel.data);
	if (type != DT_DIR) {
		if (have && S_ISDIR(ds.st_mode))
			return err_set(m->err, "%s: cannot install %s: it is a directory in %s",
				       m->wheel, m->rel.data, m->r->given);
		if (renameat(sfd, name, dfd, name) == 0)
			return 0;
		return errno == ENOENT ? MERGE_VANISHED
				       : err_sys(m->err, "cannot move %s into %s", m->rel.data,
						 m->r->given);
	}
	if (!have) {
		/* A directory the environment lacks moves in one rename. */
		if (renameat2(sfd, name, dfd, name, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno == EINVAL && renameat(sfd, name, dfd, name) == 0)
			return 0;
		if (errno == ENOENT)
			return MERGE_VANISHED;
		if (errno != EEXIST && errno != ENOTEMPTY)
			return err_sys(m->err, "cannot move %s into %s", m->rel.data, m->r->given);
		if (fstatat(dfd, name, &ds, AT_SYMLINK_NOFOLLOW) != 0)
			return errno == ENOENT ? MERGE_VANISHED
					       : err_sys(m->err, "%s/%s", m->r->given, m->rel.data);
	}
	if (S_ISDIR(ds.st_mode)) {
		cdfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cdfd < 0)
			return errno == ENOENT ? MERGE_VANISHED
					       : err_sys(m->err, "%s/%s", m->r->given, m->rel.data);
	} else if (S_ISLNK(ds.st_mode)) {
		/* a link to a directory inside ROOT is followed; one leading out is refused */
		int b = beneath_dir(m->r, m->rel.data, false, &cdfd, m->err);

		if (b == 1)
			return err_set(m->err, "%s/%s is a broken symbolic link", m->r->given,
				       m->rel.data);
		if (b != 0)
			return -1;
	} else {
		return err_set(m->err, "%s: cannot install %s: %s/%s is a file", m->wheel,
			       m->rel.data, m->r->given, m->rel.data);
	}
	csfd = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (csfd < 0) {
		close(cdfd);
		return err_sys(m->err, "%s: the stage", m->wheel);
	}
	{
		int rc = merge_dir(m, csfd, cdfd, true);

		close(cdfd);
		return rc;
	}
}

/* Move the contents of the stage's directory sfd into dfd (taking sfd when owned). */
static int
merge_dir(Merge *m, int sfd, int dfd, bool owned)
{
	size_t base = m->rel.len;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (!(d = owned ? fdopendir(sfd) : opendir_dup(sfd))) {
		if (owned)
			close(sfd);
		return err_sys(m->err, "%s: the stage", m->wheel);
	}
	sfd = dirfd(d);
	while (rc == 0 && (e = readdir(d))) {
		unsigned type;
		int tries;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		path_push(&m->rel, base, e->d_name);
		if (!strcmp(m->rel.data, m->skip))
			continue;
		type = entry_type(sfd, e);
		rc = merge_entry(m, sfd, dfd, e->d_name, type);
		/* a directory below vanished: this entry again (what is left of it moves whole) */
		for (tries = 1; rc == MERGE_VANISHED && tries < MERGE_TRIES; tries++) {
			struct stat here;

			if (fstat(dfd, &here) != 0 || here.st_nlink == 0)
				break;       /* this directory went: the caller starts again */
			path_push(&m->rel, base, e->d_name);
			rc = merge_entry(m, sfd, dfd, e->d_name, type);
		}
	}
	closedir(d);
	buf_truncate(&m->rel, base);
	return rc;
}

/* Steps 3 and 4 once the stage and the journal are ready. */
static int
install_commit(Installer *in, Root *r, Stage *s, Journal *j, const char *stage_name,
	       const InstalledDist *replace, Err *err)
{
	Merge m = { r, j->dist_info, s->req->wheel_name, { 0 }, err };
	const char **keep = NULL;
	int libfd = -1, rc = -1, k;

	if (replace) {
		/* step 3: the replaced distribution stops existing, then its files go (those the
		 * new one also has are replaced by the renames of step 4) */
		keep = xmalloc((j->paths.n + 1) * sizeof(*keep));
		memcpy(keep, j->paths.v, j->paths.n * sizeof(*keep));
		qsort(keep, j->paths.n, sizeof(*keep), in->case_insensitive ? cmp_str_case : cmp_str);
		if (hide_dist_info(r, j->old_dist_info, stage_name, err) != 0 ||
		    remove_paths(r, j->old.v, j->old.n, keep, j->paths.n, in->case_insensitive, NULL,
				 err) != 0)
			goto out;
	}
	/* step 4: each of the stage's scheme directories into its place */
	for (k = 0; k < S_COUNT; k++) {
		DstDir *d = s->chains[k];
		int dfd, i, mrc;

		for (i = 0; i < k && d; i++)
			if (s->chains[i] == d)
				d = NULL;    /* done with an earlier scheme of the same place */
		if (!d || d->fd < 0)
			continue;
		for (i = 0, mrc = MERGE_VANISHED; mrc == MERGE_VANISHED && i < MERGE_TRIES; i++) {
			if (libfd >= 0 && d == s->lib) {
				close(libfd);
				libfd = -1;
			}
			if (beneath_dir(r, s->scheme_rel[k], true, &dfd, err) != 0) {
				/* include/site/... may be pruned by another thread meanwhile */
				if (i + 1 < MERGE_TRIES) {
					mrc = MERGE_VANISHED;
					continue;
				}
				goto out;
			}
			buf_clear(&m.rel);
			buf_puts(&m.rel, s->scheme_rel[k]);
			mrc = merge_dir(&m, d->fd, dfd, false);
			if (d == s->lib)
				libfd = dfd;
			else
				close(dfd);
		}
		if (mrc == MERGE_VANISHED)
			err_set(err, "%s: the directories of %s/%s keep vanishing", s->req->wheel_name,
				r->given, s->scheme_rel[k]);
		if (mrc != 0)
			goto out;
	}
	/* the moment the distribution exists */
	if (libfd < 0 || (renameat2(s->lib->fd, s->dist_info, libfd, s->dist_info,
				    RENAME_NOREPLACE) != 0 &&
			  (errno != EINVAL ||
			   renameat(s->lib->fd, s->dist_info, libfd, s->dist_info) != 0))) {
		if (libfd >= 0 && (errno == EEXIST || errno == ENOTEMPTY))
			err_set(err, "%s: %s/%s already exists", s->req->wheel_name, r->given,
				j->dist_info);
		else
			err_sys(err, "%s: cannot move %s into place", s->req->wheel_name,
				j->dist_info);
		goto out;
	}
	rc = 0;
out:
	free(keep);
	buf_free(&m.rel);
	if (libfd >= 0)
		close(libfd);
	return rc;
}

int
install_wheel(Installer *in, const InstallRequest *req, const InstalledDist *replace, Err *err)
{
	Arena a = { 0 };
	Root r;
	Stage s;
	Record wrec;
	WheelFile wf;
	Journal j;
	char *stage_path = NULL;
	const char *stage_name = NULL;
	int stagefd = -1, rc = -1, k;
	size_t i;

	memset(&s, 0, sizeof(s));
	memset(&j, 0, sizeof(j));
	s.root.fd = -1;
	s.ufd = -1;
	if (root_open(&r, in->venv, &a, err) != 0) {
		arena_free(&a);
		return -1;
	}
	s.in = in;
	s.r = &r;
	s.req = req;
	s.a = &a;
	s.err = err;
	s.wrec = &wrec;
	{
		/* CACHE/wheels/HEX: the cache is two levels up */
		char *c = arena_strdup(&a, req->unpacked), *p;

		fs_path_clean(c);
		if ((p = strrchr(c, '/')) && p != c)
			*p = '\0';
		if ((p = strrchr(c, '/')) && p != c && !strcmp(p, "/wheels"))
			*p = '\0';
		s.cache = c;
	}
	s.ufd = open(req->unpacked, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s.ufd < 0) {
		err_sys(err, "%s: %s", req->wheel_name, req->unpacked);
		goto out;
	}
	/* step 1: read the wheel, stage the tree */
	if (find_dist_info(&s) != 0 || read_wheel_meta(&s, &wrec, &wf) != 0)
		goto out;
	s.lib_rel = wf.root_is_purelib ? r.purelib : r.platlib;
	s.scheme_rel[S_PURELIB] = r.purelib;
	s.scheme_rel[S_PLATLIB] = r.platlib;
	s.scheme_rel[S_SCRIPTS] = r.bin;
	s.scheme_rel[S_DATA] = "";
	stage_name = arena_printf(&a, "%s.XXXXXX", req->name);
	stage_path = arena_printf(&a, "%s/stage/%s", in->venv->state_dir, stage_name);
	if (!mkdtemp(stage_path)) {
		err_sys(err, "cannot make %s", stage_path);
		stage_path = NULL;
		goto out;
	}
	stage_name = base_of(stage_path);
	stagefd = open(stage_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (stagefd < 0) {
		err_sys(err, "%s", stage_path);
		goto out;
	}
	s.root.fd = stagefd;
	s.lib = scheme_dir(&s, wf.root_is_purelib ? S_PURELIB : S_PLATLIB);
	if (stage_root(&s) != 0 || stage_launchers(&s) != 0 || stage_dist_info(&s, &j.ino) != 0)
		goto out;
	/* step 2: the journal */
	j.install = true;
	j.name = req->name;
	j.dist_info = arena_printf(&a, "%s/%s", s.lib_rel, s.dist_info);
	for (i = 0; i < s.nitems; i++)
		strvec_push(&j.paths, s.items[i].dst);
	if (s.chains[S_DATA] && s.nitems > 1) {
		/* .data/data goes to ROOT, over the other schemes' places: the only way two
		 * files of the stage can land on one path (RECORD would list it twice) */
		const char **sorted = xmalloc(s.nitems * sizeof(*sorted));
		int (*cmp)(const void *, const void *) = in->case_insensitive ? cmp_str_case : cmp_str;

		memcpy(sorted, j.paths.v, s.nitems * sizeof(*sorted));
		qsort(sorted, s.nitems, sizeof(*sorted), cmp);
		for (i = 1; i < s.nitems; i++)
			if (cmp(&sorted[i - 1], &sorted[i]) == 0)
				break;
		if (i < s.nitems)
			err_set(err, "%s: two files of the wheel install to %s", req->wheel_name,
				sorted[i]);
		free(sorted);
		if (i < s.nitems)
			goto out;
	}
	if (replace) {
		const char *label = arena_printf(&a, "%s %s", replace->name, replace->version);

		if (root_rel_req(&r, replace->dist_info, &j.old_dist_info, err) != 0)
			goto out;
		if (!replace->has_record) {
			err_set(err, "cannot remove %s: it has no RECORD; remove %s by hand", label,
				replace->dist_info);
			goto out;
		}
		if (!rel_ok(j.old_dist_info) ||
		    record_paths(&r, j.old_dist_info, "remove", label, &j.old, err) != 0) {
			if (!rel_ok(j.old_dist_info))
				err_set(err, "%s is not inside the environment", replace->dist_info);
			err_wrap(err, "cannot install %s", req->wheel_name);
			goto out;
		}
	}
	if (journal_write(&r, &j, err) != 0)
		goto out;
	/* steps 3 and 4 */
	if (install_commit(in, &r, &s, &j, stage_name, replace, err) != 0) {
		Err again;

		/* undo: the environment goes back to a state the journal describes */
		if (journal_recover(&r, &j, in->case_insensitive, &again) == 0)
			journal_drop(&r, j.name);
		goto out;
	}
	/* step 5 */
	journal_drop(&r, j.name);
	rc = 0;
out:
	for (k = 0; k < S_COUNT; k++)
		dstdir_close(s.chains[k]);
	if (stagefd >= 0)
		close(stagefd);
	if (stage_path)
		remove_tree_at(AT_FDCWD, stage_path);
	if (s.ufd >= 0)
		close(s.ufd);
	free(s.items);
	buf_free(&s.src);
	buf_free(&s.dst);
	journal_free(&j);
	root_close(&r);
	arena_free(&a);
	return rc;
}

/* ---------------------------------------------------------------- compiling */

/* Reads NUL-separated paths; compiles each quietly; a file that does not compile is
 * left alone (pip neither fails). */
static const char compile_program[] =
	"import os, sys, py_compile\n"
	"for p in sys.stdin.buffer.read().split(b'\\0'):\n"
	"    if p:\n"
	"        try:\n"
	"            py_compile.compile(os.fsdecode(p), doraise=True, quiet=2)\n"
	"        except Exception:\n"
	"            pass\n";

int
install_compile(const Venv *venv, const char *const *dist_infos, size_t n, Err *err)
{
	Arena a = { 0 };
	Root r;
	Buf list = { 0 };
	size_t i, count = 0;
	int rc = -1, mfd = -1, status;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	const char *argv[] = { venv->python, "-I", "-c", compile_program, NULL };

	if (root_open(&r, venv, &a, err) != 0) {
		arena_free(&a);
		return -1;
	}
	for (i = 0; i < n; i++) {
		StrVec paths = { 0 };
		const char *rel;
		size_t k;

		if (root_rel_req(&r, dist_infos[i], &rel, err) != 0 || !rel_ok(rel)) {
			if (rel)
				err_set(err, "%s is not inside the environment %s", dist_infos[i],
					r.given);
			goto out;
		}
		if (record_paths(&r, rel, "compile", base_of(rel), &paths, err) != 0) {
			strvec_free(&paths);
			goto out;
		}
		for (k = 0; k < paths.n; k++) {
			if (!has_suffix(paths.v[k], ".py"))
				continue;
			buf_printf(&list, "%s/%s", r.given, paths.v[k]);
			buf_putc(&list, '\0');
			count++;
		}
		strvec_free(&paths);
	}
	if (count == 0) {
		rc = 0;
		goto out;
	}
	/* the list goes through a memory file: a pipe would need a writer thread, and a
	 * child that dies early would send SIGPIPE */
	mfd = memfd_create("bunpy-compile", MFD_CLOEXEC);
	if (mfd < 0 || fs_write_all(mfd, list.data, list.len) != 0 || lseek(mfd, 0, SEEK_SET) != 0) {
		err_sys(err, "cannot list the files to compile");
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, mfd, 0);
	status = posix_spawn(&pid, venv->python, &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (status != 0) {
		errno = status;
		err_sys(err, "cannot run %s", venv->python);
		goto out;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			err_sys(err, "%s", venv->python);
			goto out;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		err_set(err, "%s could not compile the installed files (%s %d)", venv->python,
			WIFEXITED(status) ? "exit status" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		goto out;
	}
	rc = 0;
out:
	if (mfd >= 0)
		close(mfd);
	buf_free(&list);
	root_close(&r);
	arena_free(&a);
	return rc;
}

/*
 * glob.c - matching and expanding path patterns with '**'.
 *
 * Expansion walks only the directories the pattern can reach: literal segments are
 * joined without listing, and only segments with wildcards read a directory.
 */
#include "config.h"

#include "glob.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool
glob_has_magic(const char *p)
{
	return strpbrk(p, "*?[") != NULL;
}

/* Match one segment, pattern [ps, pe) against name [ns, ne). */
static bool
segment_match(const char *ps, size_t pl, const char *ns, size_t nl)
{
	char pat[4096], name[4096];

	if (pl >= sizeof(pat) || nl >= sizeof(name))
		return false;
	memcpy(pat, ps, pl);
	pat[pl] = '\0';
	memcpy(name, ns, nl);
	name[nl] = '\0';
	return fnmatch(pat, name, FNM_PERIOD) == 0;
}

static bool
match_from(const char *p, const char *s)
{
	for (;;) {
		const char *pe = strchr(p, '/'), *se;
		size_t pl = pe ? (size_t)(pe - p) : strlen(p);

		if (pl == 2 && p[0] == '*' && p[1] == '*') {
			const char *rest = pe ? pe + 1 : NULL;

			if (!rest)
				return *s && s[0] != '.';   /* trailing '**' matches what is left */
			/* try the rest of the pattern at every segment boundary of s */
			for (;;) {
				if (match_from(rest, s))
					return true;
				if (s[0] == '.')
					return false;
				se = strchr(s, '/');
				if (!se)
					return false;
				s = se + 1;
			}
		}
		se = strchr(s, '/');
		{
			size_t sl = se ? (size_t)(se - s) : strlen(s);

			if (!segment_match(p, pl, s, sl))
				return false;
		}
		if (!pe || !se)
			return !pe && !se;
		p = pe + 1;
		s = se + 1;
	}
}

bool
glob_match(const char *pattern, const char *path)
{
	return match_from(pattern, path);
}

typedef struct Walk {
	const char *root;
	Buf path;        /* root-relative directory being walked, "" for root */
	char **found;
	size_t nfound, cap;
	Err *err;
} Walk;

static void
full_path(Walk *w, Buf *out, const char *rel)
{
	buf_clear(out);
	buf_puts(out, w->root);
	if (*rel) {
		buf_putc(out, '/');
		buf_puts(out, rel);
	}
}

/* What a directory entry is. '**' does not descend into a directory reached through a
 * symlink: a link to an ancestor would make the walk endless. */
enum { ENTRY_OTHER, ENTRY_FILE, ENTRY_DIR, ENTRY_LINKED_DIR };

static int
stat_kind(Walk *w, const char *rel, bool maybe_link)
{
	Buf full = { 0 };
	struct stat sb;
	int kind = ENTRY_OTHER;
	bool ok, link = false;

	full_path(w, &full, rel);
	if (maybe_link) {
		/* lstat answers alone unless the entry is a link */
		ok = lstat(full.data, &sb) == 0;
		link = ok && S_ISLNK(sb.st_mode);
		if (link)
			ok = stat(full.data, &sb) == 0;
	} else {
		ok = stat(full.data, &sb) == 0;
	}
	if (ok)
		kind = S_ISDIR(sb.st_mode) ? (link ? ENTRY_LINKED_DIR : ENTRY_DIR) :
		       S_ISREG(sb.st_mode) ? ENTRY_FILE : ENTRY_OTHER;
	buf_free(&full);
	return kind;
}

static bool
is_dir(int kind)
{
	return kind == ENTRY_DIR || kind == ENTRY_LINKED_DIR;
}

static void
add_found(Walk *w, const char *rel)
{
	xgrow(&w->found, &w->cap, w->nfound + 1, sizeof(*w->found));
	w->found[w->nfound++] = xstrdup(rel);
}

static int walk(Walk *w, const char *pat);

static bool
segment_magic(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] == '*' || p[i] == '?' || p[i] == '[')
			return true;
	return false;
}

/* Push name onto the current directory path; pop_child undoes it. */
static size_t
push_child(Walk *w, const char *name, size_t nl)
{
	size_t saved = w->path.len;

	if (w->path.len)
		buf_putc(&w->path, '/');
	buf_append(&w->path, name, nl);
	return saved;
}

static void
pop_child(Walk *w, size_t saved)
{
	w->path.len = saved;
	w->path.data[saved] = '\0';
}

static void
add_child(Walk *w, const char *name)
{
	size_t saved = push_child(w, name, strlen(name));

	add_found(w, w->path.data);
	pop_child(w, saved);
}

/* Descend into dir/name and continue with pat. */
static int
walk_into(Walk *w, const char *name, size_t nl, const char *pat)
{
	size_t saved = push_child(w, name, nl);
	int rc = walk(w, pat);

	pop_child(w, saved);
	return rc;
}

typedef struct Entry {
	char *name;
	int kind;
} Entry;

static int
list_dir(Walk *w, Entry **out, size_t *n)
{
	Buf full = { 0 };
	DIR *d;
	struct dirent *e;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	full_path(w, &full, w->path.data);
	d = opendir(full.data);
	if (!d) {
		int rc = (errno == ENOENT || errno == ENOTDIR) ? 0 :
			 err_sys(w->err, "cannot list %s", full.data);

		buf_free(&full);
		return rc;
	}
	while ((e = readdir(d))) {
		int kind = ENTRY_OTHER;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (e->d_type == DT_DIR)
			kind = ENTRY_DIR;
		else if (e->d_type == DT_REG)
			kind = ENTRY_FILE;
		else if (e->d_type == DT_LNK || e->d_type == DT_UNKNOWN) {
			size_t saved = push_child(w, e->d_name, strlen(e->d_name));

			kind = stat_kind(w, w->path.data, true);
			pop_child(w, saved);
		}
		xgrow(out, &cap, *n + 1, sizeof(**out));
		(*out)[*n].name = xstrdup(e->d_name);
		(*out)[(*n)++].kind = kind;
	}
	closedir(d);
	buf_free(&full);
	return 0;
}

static void
free_entries(Entry *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(e[i].name);
	free(e);
}

static int
walk(Walk *w, const char *pat)
{
	const char *pe = strchr(pat, '/');
	size_t pl = pe ? (size_t)(pe - pat) : strlen(pat);
	const char *rest = pe ? pe + 1 : NULL;
	Entry *ents;
	size_t n, i;
	int rc = 0;

	while (rest && *rest == '/')
		rest++;
	if (pl == 0)
		return rest ? walk(w, rest) : 0;
	if (pl == 2 && pat[0] == '*' && pat[1] == '*') {
		/* zero directories: the rest applies here */
		if (rest && (rc = walk(w, rest)) != 0)
			return rc;
		if ((rc = list_dir(w, &ents, &n)) != 0)
			return rc;
		for (i = 0; i < n && rc == 0; i++) {
			if (ents[i].name[0] == '.')
				continue;
			if (ents[i].kind == ENTRY_DIR)
				rc = walk_into(w, ents[i].name, strlen(ents[i].name), pat);
			else if (!rest && ents[i].kind == ENTRY_FILE)
				add_child(w, ents[i].name);
		}
		free_entries(ents, n);
		return rc;
	}
	if (!segment_magic(pat, pl)) {
		size_t saved = push_child(w, pat, pl);
		int kind = stat_kind(w, w->path.data, false);

		if (rest && is_dir(kind))
			rc = walk(w, rest);
		else if (!rest && kind == ENTRY_FILE)
			add_found(w, w->path.data);
		pop_child(w, saved);
		return rc;
	}
	if ((rc = list_dir(w, &ents, &n)) != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		if (!segment_match(pat, pl, ents[i].name, strlen(ents[i].name)))
			continue;
		if (rest && is_dir(ents[i].kind))
			rc = walk_into(w, ents[i].name, strlen(ents[i].name), rest);
		else if (!rest && ents[i].kind == ENTRY_FILE)
			add_child(w, ents[i].name);
	}
	free_entries(ents, n);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
glob_expand(const char *root, const char *pattern, Buf *out, Err *err)
{
	Walk w = { .root = root, .err = err };
	size_t i;
	int rc;

	buf_puts(&w.path, "");
	rc = walk(&w, pattern);
	if (w.nfound)
		qsort(w.found, w.nfound, sizeof(*w.found), cmp_str);
	for (i = 0; rc == 0 && i < w.nfound; i++) {
		/* '**' patterns may reach one file twice ("**" then "**" again) */
		if (i == 0 || strcmp(w.found[i], w.found[i - 1]) != 0) {
			buf_puts(out, w.found[i]);
			buf_putc(out, '\n');
		}
	}
	for (i = 0; i < w.nfound; i++)
		free(w.found[i]);
	free(w.found);
	buf_free(&w.path);
	return rc;
}

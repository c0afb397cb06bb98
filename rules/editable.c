/*
 * editable.c - the project's editable wheel (see editable.h).
 */
#include "config.h"

#include "editable.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../engine/dynlib.h"
#include "../engine/fs.h"
#include "../engine/hash.h"
#include "../engine/http.h"
#include "../packaging/marker.h"
#include "../packaging/record.h"
#include "../packaging/requirement.h"

/* Every member's time in the zip: the earliest a zip can say, so the same members
 * always give the same bytes. */
#define EDITABLE_MTIME 315532800

/* Fields whose dynamic value only a build backend knows and the wheel needs. */
static const char *const needs_backend[] = {
	"name", "version", "requires-python", "dependencies", "optional-dependencies",
	"scripts", "gui-scripts", "entry-points", NULL,
};

typedef struct Members {
	const char **paths, **data;
	size_t *lens;
	size_t n, cap;
} Members;

static void
add_member(Members *m, Arena *a, const char *path, Buf *text)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 8;
		const char **paths = arena_alloc(a, cap * sizeof(*paths));
		const char **data = arena_alloc(a, cap * sizeof(*data));
		size_t *lens = arena_alloc(a, cap * sizeof(*lens));

		if (m->n) {
			memcpy(paths, m->paths, m->n * sizeof(*paths));
			memcpy(data, m->data, m->n * sizeof(*data));
			memcpy(lens, m->lens, m->n * sizeof(*lens));
		}
		m->paths = paths, m->data = data, m->lens = lens, m->cap = cap;
	}
	m->paths[m->n] = arena_strdup(a, path);
	m->data[m->n] = arena_strndup(a, text->data ? text->data : "", text->len);
	m->lens[m->n] = text->len;
	m->n++;
	text->len = 0;
	if (text->data)
		text->data[0] = '\0';
}

/* One Requires-Dist line; for an extra, its marker joined with `extra == "NAME"`. */
static void
requires_dist(Buf *b, const Requirement *req, const char *extra, Arena *a)
{
	Requirement bare = *req;
	const char *marker = req->marker ? marker_format(req->marker, a) : NULL;

	bare.marker = NULL;
	buf_printf(b, "Requires-Dist: %s", requirement_format(&bare, a));
	if (extra && marker)
		buf_printf(b, "; (%s) and extra == \"%s\"", marker, extra);
	else if (extra)
		buf_printf(b, "; extra == \"%s\"", extra);
	else if (marker)
		buf_printf(b, "; %s", marker);
	buf_puts(b, "\n");
}

static void
entry_section(Buf *b, const char *group, const PyprojectEntryList *l)
{
	if (!l->len)
		return;
	buf_printf(b, "%s[%s]\n", b->len ? "\n" : "", group);
	for (size_t i = 0; i < l->len; i++)
		buf_printf(b, "%s = %s\n", l->items[i].name, l->items[i].value);
}

int
editable_plan(const Pyproject *py, const char *root, Arena *a, EditableWheel *out,
	      const char **why)
{
	const PyprojectProject *pr = &py->project;
	Members m = { 0 };
	Buf b = { 0 };
	char *stem, *dist_info, *src;
	struct stat st;
	Hasher *h;
	Digest d;
	size_t i;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (py->bunpy.package == PYPROJECT_PACKAGE_NO ||
	    (py->bunpy.package == PYPROJECT_PACKAGE_UNSET && !py->build_system.present))
		return 0;
	if (!pr->present || !pr->name) {
		*why = "pyproject.toml has no [project] name";
		return 0;
	}
	for (i = 0; i < pr->dynamic.len; i++)
		for (const char *const *f = needs_backend; *f; f++)
			if (!strcmp(pr->dynamic.items[i], *f)) {
				*why = arena_printf(a, "its %s is dynamic, which only its build backend "
						    "knows, and bunpy does not run build backends yet", *f);
				return 0;
			}
	if (!pr->has_version) {
		*why = "[project] has no version";
		return 0;
	}
	out->name = pr->normalized;
	out->version = pr->version.str;
	stem = arena_printf(a, "%s-%s", pr->normalized, pr->version.str);
	for (char *p = stem; *p && p < stem + strlen(pr->normalized); p++)
		if (*p == '-' || *p == '.')
			*p = '_';
	out->wheel_name = arena_printf(a, "%s-py3-none-any.whl", stem);
	src = arena_printf(a, "%s/src", root);
	out->import_root = stat(src, &st) == 0 && S_ISDIR(st.st_mode) ? src : arena_strdup(a, root);
	dist_info = arena_printf(a, "%s.dist-info", stem);

	buf_printf(&b, "%s\n", out->import_root);
	add_member(&m, a, arena_printf(a, "__editable__.%s.pth", stem), &b);

	buf_printf(&b, "Metadata-Version: 2.1\nName: %s\nVersion: %s\n", pr->name, pr->version.str);
	if (pr->description && !strchr(pr->description, '\n'))
		buf_printf(&b, "Summary: %s\n", pr->description);
	if (pr->has_requires_python)
		buf_printf(&b, "Requires-Python: %s\n", pr->requires_python_text);
	for (i = 0; i < pr->dependencies.len; i++)
		requires_dist(&b, &pr->dependencies.items[i].req, NULL, a);
	for (i = 0; i < pr->extras_len; i++) {
		buf_printf(&b, "Provides-Extra: %s\n", pr->extras[i].normalized);
		for (size_t k = 0; k < pr->extras[i].deps.len; k++)
			requires_dist(&b, &pr->extras[i].deps.items[k].req, pr->extras[i].normalized, a);
	}
	add_member(&m, a, arena_printf(a, "%s/METADATA", dist_info), &b);

	buf_printf(&b, "Wheel-Version: 1.0\nGenerator: bunpy %s\nRoot-Is-Purelib: true\n"
		   "Tag: py3-none-any\n", PACKAGE_VERSION);
	add_member(&m, a, arena_printf(a, "%s/WHEEL", dist_info), &b);

	entry_section(&b, "console_scripts", &pr->scripts);
	entry_section(&b, "gui_scripts", &pr->gui_scripts);
	for (i = 0; i < pr->entry_points_len; i++)
		entry_section(&b, pr->entry_points[i].group, &pr->entry_points[i].entries);
	if (b.len)
		add_member(&m, a, arena_printf(a, "%s/entry_points.txt", dist_info), &b);

	out->record_path = arena_printf(a, "%s/RECORD", dist_info);
	{
		char *url = http_file_url(root);

		buf_puts(&b, "{\"url\": ");
		buf_json_string(&b, url, strlen(url));
		buf_puts(&b, ", \"dir_info\": {\"editable\": true}}");
		free(url);
	}
	out->direct_url_json = arena_strndup(a, b.data, b.len);

	h = hasher_new(false);
	for (i = 0; i < m.n; i++) {
		hasher_update(h, m.paths[i], strlen(m.paths[i]) + 1);
		hasher_update(h, m.data[i], m.lens[i]);
		hasher_update(h, "", 1);
	}
	hasher_update(h, out->direct_url_json, strlen(out->direct_url_json));
	hasher_final(h, &d, NULL);
	hash_hex(d.b, sizeof(d.b), out->digest);
	out->paths = m.paths;
	out->data = m.data;
	out->lens = m.lens;
	out->n = m.n;
	buf_free(&b);
	return 1;
}

/* RECORD for the members: their SHA-256 digests and sizes (computed only when the
 * wheel is written: the no-op check needs the digest above, not these). */
static void
record_text(const EditableWheel *w, Arena *a, Buf *out)
{
	RecordRow *rows = arena_zalloc(a, (w->n + 1) * sizeof(*rows));

	for (size_t i = 0; i < w->n; i++) {
		Sha256 sha = sha256_bytes(w->data[i], w->lens[i]);

		rows[i].path = w->paths[i];
		rows[i].alg = "sha256";
		memcpy(rows[i].digest, sha.b, sizeof(sha.b));
		rows[i].digest_len = sizeof(sha.b);
		rows[i].has_size = true;
		rows[i].size = w->lens[i];
	}
	rows[w->n].path = w->record_path;
	record_write(rows, w->n + 1, out);
}

int
editable_write(const EditableWheel *w, const char *path, char sha_hex[65], uint64_t *size,
	       Err *err)
{
	const ArchiveApi *la = dynlib_archive(err);
	struct archive *z = NULL;
	struct archive_entry *e = NULL;
	Arena a = { 0 };
	Buf record = { 0 };
	char *tmp = NULL;
	Sha256 sha;
	struct stat st;
	int fd = -1, rc = -1;

	if (!la)
		return -1;
	if (fs_mkdir_parent(path, err) != 0)
		return -1;
	if (asprintf(&tmp, "%s.%ld.tmp", path, (long)getpid()) < 0)
		xout_of_memory(0);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		err_sys(err, "%s", tmp);
		goto out;
	}
	z = la->archive_write_new();
	if (!z || la->archive_write_set_format_zip(z) != ARCHIVE_OK ||
	    la->archive_write_open_fd(z, fd) != ARCHIVE_OK)
		goto archive_failed;
	record_text(w, &a, &record);
	for (size_t i = 0; i <= w->n; i++) {
		const char *name = i < w->n ? w->paths[i] : w->record_path;
		const char *data = i < w->n ? w->data[i] : record.data;
		size_t len = i < w->n ? w->lens[i] : record.len;

		if (!(e = la->archive_entry_new()))
			goto archive_failed;
		la->archive_entry_set_pathname(e, name);
		la->archive_entry_set_size(e, (la_int64_t)len);
		la->archive_entry_set_filetype(e, AE_IFREG);
		la->archive_entry_set_perm(e, 0644);
		la->archive_entry_set_mtime(e, EDITABLE_MTIME, 0);
		if (la->archive_write_header(z, e) != ARCHIVE_OK ||
		    la->archive_write_data(z, data, len) != (la_ssize_t)len)
			goto archive_failed;
		la->archive_entry_free(e);
		e = NULL;
	}
	if (la->archive_write_close(z) != ARCHIVE_OK)
		goto archive_failed;
	la->archive_write_free(z);
	z = NULL;
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		err_sys(err, "%s", tmp);
		goto out;
	}
	fd = -1;
	if (hash_file(tmp, NULL, &sha, err) != 0 || stat(tmp, &st) != 0)
		goto out;
	if (rename(tmp, path) != 0) {
		err_sys(err, "renaming %s to %s", tmp, path);
		goto out;
	}
	hash_hex(sha.b, sizeof(sha.b), sha_hex);
	*size = (uint64_t)st.st_size;
	rc = 0;
	goto out;
archive_failed:
	err_set(err, "%s: writing the editable wheel: %s", tmp,
		z && la->archive_error_string(z) ? la->archive_error_string(z) : "out of memory");
out:
	if (e)
		la->archive_entry_free(e);
	if (z)
		la->archive_write_free(z);
	if (fd >= 0)
		close(fd);
	if (rc != 0 && tmp)
		unlink(tmp);
	free(tmp);
	buf_free(&record);
	arena_free(&a);
	return rc;
}

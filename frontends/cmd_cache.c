/*
 * cmd_cache.c - `bunpy cache [size] | dir | clean [NAME...] | prune`: the shared cache
 * seen through its index (engine/cacheindex.h).
 *
 * size reads the index's totals (no walk, except once, the first time, to adopt what
 * was there before the index). clean and prune take CACHE/.lock exclusively, waiting for
 * running commands that use the cache, and walk it once to adopt entries the index does
 * not know (made before it, or by a run killed before it recorded them). The knowledge
 * of what an entry is (which project a wheel directory or a metadata file belongs to)
 * lives here, not in the index.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "engine/cacheindex.h"
#include "engine/fs.h"
#include "packaging/metadata.h"
#include "packaging/name.h"
#include "project.h"
#include "rules/lockctx.h"

enum { OPT_MAX_AGE = 1, OPT_MAX_SIZE, OPT_DRY_RUN };

static const CliOption cache_options[] = {
	{ "max-age", 0, "AGE", "prune: remove entries unused for longer than AGE (30d, 12h, 90m, 45s; default 30d)", OPT_MAX_AGE },
	{ "max-size", 0, "SIZE", "prune: then remove the least recently used until under SIZE (2G, 500M, 1.5GiB)", OPT_MAX_SIZE },
	{ "dry-run", 'n', NULL, "prune, clean: list what would be removed; remove nothing", OPT_DRY_RUN },
	{ NULL, 0, NULL, NULL, 0 },
};

/* "30d", "12h", "90m", "45s", "2w", "1.5d", "0" -> microseconds; -1 when malformed. */
static int64_t
parse_age(const char *s)
{
	char *end;
	double v;
	double unit;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || v < 0 || !isfinite(v) || !isdigit((unsigned char)*s))
		return -1;
	if (!*end)
		unit = v == 0 ? 1 : -1;
	else if (!strcmp(end, "s"))
		unit = 1;
	else if (!strcmp(end, "m"))
		unit = 60;
	else if (!strcmp(end, "h"))
		unit = 3600;
	else if (!strcmp(end, "d"))
		unit = 86400;
	else if (!strcmp(end, "w"))
		unit = 7 * 86400;
	else
		return -1;
	if (unit < 0 || v * unit > 1e11)
		return -1;
	return (int64_t)(v * unit * 1e6);
}

/* "2G", "500M", "1.5GiB", "10KB", "4096" -> bytes; K, M, G, T (with or without "i", "iB")
 * are powers of 1024, KB, MB, GB, TB powers of 1000. -1 when malformed. */
static int64_t
parse_size(const char *s)
{
	static const char units[] = "KMGT";
	const char *u;
	char *end;
	double v, mult = 1, base;
	int power;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || v < 0 || !isfinite(v) || !isdigit((unsigned char)*s))
		return -1;
	if (*end && strcasecmp(end, "B") != 0) {
		if (!(u = strchr(units, toupper((unsigned char)*end))))
			return -1;
		power = (int)(u - units) + 1;
		end++;
		if (!*end || !strcasecmp(end, "i") || !strcasecmp(end, "iB"))
			base = 1024;
		else if (!strcasecmp(end, "B"))
			base = 1000;
		else
			return -1;
		while (power-- > 0)
			mult *= base;
	}
	if (v * mult > 9e18)
		return -1;
	return (int64_t)(v * mult);
}

static double
mib(uint64_t bytes)
{
	return (double)bytes / (1024.0 * 1024.0);
}

/* The project of an entry the walk found: a wheel directory's *.dist-info, a metadata
 * file's Name field. */
static const char *
namer(void *ctx, const char *kind, const char *abs, Arena *arena)
{
	(void)ctx;
	if (!strcmp(kind, "wheels")) {
		DIR *d = opendir(abs);
		struct dirent *e;
		const char *name = NULL;
		size_t n;

		if (!d)
			return NULL;
		while (!name && (e = readdir(d))) {
			n = strlen(e->d_name);
			if (n > 10 && !strcmp(e->d_name + n - 10, ".dist-info") && strchr(e->d_name, '-') &&
			    name_is_valid(e->d_name, strcspn(e->d_name, "-")))
				name = name_normalize(e->d_name, strcspn(e->d_name, "-"), arena);
		}
		closedir(d);
		return name;
	}
	if (!strcmp(kind, "metadata")) {
		/* what dist_metadata.c stores: LOCK_FOUND, then the METADATA text */
		Buf text = { 0 };
		const MetadataField *fields;
		const char *name = NULL;
		size_t n = 0;

		if (fs_read_file(abs, &text, NULL) == 0 && text.len > 1 && text.data[0] == LOCK_FOUND &&
		    metadata_parse_headers(text.data + 1, text.len - 1, arena, &fields, &n, NULL) == 0)
			for (size_t i = 0; i < n && !name; i++)
				if (!strcasecmp(fields[i].name, "Name") &&
				    name_is_valid(fields[i].value, strlen(fields[i].value)))
					name = name_normalize(fields[i].value, strlen(fields[i].value), arena);
		buf_free(&text);
		return name;
	}
	return NULL;
}

typedef struct CacheCmd {
	Cli *cli;
	const char *dir;
	CacheIndex *ix;
	int lock;
} CacheCmd;

static int
open_index(CacheCmd *c, bool adopt_always)
{
	CacheAdoption ad;
	Err err;

	if (cacheindex_open(&c->ix, c->dir, &err) != 0 || cacheindex_merge(c->ix, &err) < 0) {
		term_error(&c->cli->term, "%s", err.msg);
		return 1;
	}
	if (!adopt_always && cacheindex_adopted(c->ix))
		return 0;
	if (cacheindex_adopt(c->ix, namer, NULL, &ad, &err) != 0) {
		term_error(&c->cli->term, "%s", err.msg);
		return 1;
	}
	if (ad.adopted)
		term_note(&c->cli->term, "Adopted %llu entries (%.1f MiB) the index did not know"
			  " (made before it existed, or by a run killed before it recorded them),"
			  " by one walk of the cache", (unsigned long long)ad.adopted,
			  mib(ad.adopted_bytes));
	if (ad.forgotten)
		term_debug(&c->cli->term, "forgot %llu entries no longer in the cache",
			   (unsigned long long)ad.forgotten);
	return 0;
}

static int
lock_exclusive(CacheCmd *c)
{
	Err err;

	c->lock = cacheindex_lock(c->dir, true, false, &err);
	if (c->lock == -2) {
		term_note(&c->cli->term, "waiting for other bunpy processes using the cache...");
		c->lock = cacheindex_lock(c->dir, true, true, &err);
	}
	if (c->lock < 0) {
		term_error(&c->cli->term, "%s", err.msg);
		return 1;
	}
	return 0;
}

static bool
cache_exists(const char *dir)
{
	struct stat st;

	return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
do_size(CacheCmd *c)
{
	CacheTotals t;
	Err err;
	int rc;

	if (!cache_exists(c->dir)) {
		printf("0 entries, 0.0 MiB\n");
		return 0;
	}
	if ((rc = open_index(c, false)) != 0)
		return rc;
	if (cacheindex_totals(c->ix, &t, &err) != 0) {
		term_error(&c->cli->term, "%s", err.msg);
		return 1;
	}
	printf("%llu entries, %.1f MiB\n", (unsigned long long)t.entries, mib(t.bytes));
	term_debug(&c->cli->term, "%llu bytes", (unsigned long long)t.bytes);
	return 0;
}

static void
list_entries(const CacheEntry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%s\t%.1f MiB%s%s\n", v[i].path, mib(v[i].bytes), v[i].name ? "\t" : "",
		       v[i].name ? v[i].name : "");
}

static int
sweep(CacheCmd *c, bool dry_run)
{
	uint64_t bytes;
	Err err;
	int n;

	if (dry_run)
		return 0;
	if ((n = cacheindex_sweep(c->dir, &bytes, &err)) < 0) {
		term_error(&c->cli->term, "%s", err.msg);
		return 1;
	}
	if (n > 0)
		term_note(&c->cli->term, "Removed %d leftovers of killed runs (%.1f MiB)", n, mib(bytes));
	return 0;
}

static int
do_clean(CacheCmd *c, char *const *names, int nnames, bool dry_run)
{
	Arena arena = { 0 };
	CacheEntry *all = NULL, *v;
	size_t nall = 0, n, cap = 0, i;
	uint64_t bytes = 0;
	Err err;
	int rc, k;

	for (k = 0; k < nnames; k++)
		if (!name_is_valid(names[k], strlen(names[k])))
			return cli_usage_error(c->cli, "'%s' is not a valid project name", names[k]);
	if (!cache_exists(c->dir)) {
		term_note(&c->cli->term, "Removed 0 entries (0.0 MiB)");
		return 0;
	}
	if ((rc = lock_exclusive(c)) != 0 || (rc = open_index(c, true)) != 0)
		return rc;
	if (nnames == 0) {
		if (cacheindex_list(c->ix, NULL, &arena, &all, &nall, &err) != 0)
			goto fail;
	} else {
		for (k = 0; k < nnames; k++) {
			if (cacheindex_list(c->ix, name_normalize(names[k], strlen(names[k]), &arena),
					    &arena, &v, &n, &err) != 0)
				goto fail;
			if (nall + n > cap) {
				CacheEntry *bigger;

				cap = (nall + n) * 2;
				bigger = arena_alloc(&arena, cap * sizeof(*bigger));
				if (nall)
					memcpy(bigger, all, nall * sizeof(*all));
				all = bigger;
			}
			if (n)
				memcpy(all + nall, v, n * sizeof(*v));
			nall += n;
		}
	}
	for (i = 0; i < nall; i++)
		bytes += all[i].bytes;
	if (dry_run) {
		list_entries(all, nall);
		term_note(&c->cli->term, "Would remove %zu entries (%.1f MiB)", nall, mib(bytes));
	} else {
		if (cacheindex_remove(c->ix, all, nall, &err) != 0)
			goto fail;
		if (nnames == 0 && (rc = sweep(c, false)) != 0)
			goto out;
		term_note(&c->cli->term, "Removed %zu entries (%.1f MiB)", nall, mib(bytes));
	}
	rc = 0;
	goto out;
fail:
	term_error(&c->cli->term, "%s", err.msg);
	rc = 1;
out:
	arena_free(&arena);
	return rc;
}

static int
do_prune(CacheCmd *c, int64_t max_age_us, int64_t max_size, bool dry_run)
{
	Arena arena = { 0 };
	CacheEntry *v;
	CacheTotals t;
	size_t n, i, cut = 0;
	uint64_t total = 0, removed = 0;
	int64_t before = fs_now_us() - max_age_us;
	Err err;
	int rc;

	if (!cache_exists(c->dir)) {
		term_note(&c->cli->term, "Removed 0 entries (0.0 MiB), cache now 0 entries, 0.0 MiB");
		return 0;
	}
	if ((rc = lock_exclusive(c)) != 0 || (rc = open_index(c, true)) != 0 ||
	    (rc = sweep(c, dry_run)) != 0)
		return rc;
	if (cacheindex_list(c->ix, NULL, &arena, &v, &n, &err) != 0)
		goto fail;
	for (i = 0; i < n; i++)
		total += v[i].bytes;
	/* oldest first: those unused for longer than the age, then more until under the size */
	while (cut < n && (v[cut].used_us < before ||
			   (max_size >= 0 && total - removed > (uint64_t)max_size))) {
		removed += v[cut].bytes;
		cut++;
	}
	if (dry_run) {
		list_entries(v, cut);
		term_note(&c->cli->term, "Would remove %zu entries (%.1f MiB), cache would be %zu entries,"
			  " %.1f MiB", cut, mib(removed), n - cut, mib(total - removed));
		rc = 0;
		goto out;
	}
	if (cacheindex_remove(c->ix, v, cut, &err) != 0 || cacheindex_totals(c->ix, &t, &err) != 0)
		goto fail;
	term_note(&c->cli->term, "Removed %zu entries (%.1f MiB), cache now %llu entries, %.1f MiB",
		  cut, mib(removed), (unsigned long long)t.entries, mib(t.bytes));
	rc = 0;
	goto out;
fail:
	term_error(&c->cli->term, "%s", err.msg);
	rc = 1;
out:
	arena_free(&arena);
	return rc;
}

static int
cache_main(Cli *cli, int argc, char **argv)
{
	CacheCmd c = { .cli = cli, .lock = -1 };
	const char *arg, *sub = "size";
	int64_t max_age = 30LL * 86400 * 1000000, max_size = -1;
	bool dry_run = false, age_set = false, size_set = false;
	char *dir;
	int id, rc;

	cli_begin(cli, &cmd_cache, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE) {
		switch (id) {
		case CLI_HELP: return 0;
		case CLI_ERROR: return 2;
		case OPT_MAX_AGE:
			if ((max_age = parse_age(arg)) < 0)
				return cli_usage_error(cli, "--max-age '%s': write an age like 30d, 12h, 90m"
						       " or 45s", arg);
			age_set = true;
			break;
		case OPT_MAX_SIZE:
			if ((max_size = parse_size(arg)) < 0)
				return cli_usage_error(cli, "--max-size '%s': write a size like 2G, 500M,"
						       " 1.5GiB or 10MB", arg);
			size_set = true;
			break;
		case OPT_DRY_RUN: dry_run = true; break;
		}
	}
	if (cli->noperands)
		sub = cli->operands[0];
	if (strcmp(sub, "size") && strcmp(sub, "dir") && strcmp(sub, "clean") && strcmp(sub, "prune"))
		return cli_usage_error(cli, "no cache subcommand '%s' (size, dir, clean, prune)", sub);
	if ((age_set || size_set) && strcmp(sub, "prune"))
		return cli_usage_error(cli, "--max-age and --max-size are options of prune");
	if (dry_run && strcmp(sub, "prune") && strcmp(sub, "clean"))
		return cli_usage_error(cli, "--dry-run is an option of prune and clean");
	if (cli->noperands > 1 && strcmp(sub, "clean"))
		return cli_usage_error(cli, "cache %s takes no operands ('%s')", sub, cli->operands[1]);
	if (!(dir = project_cache_dir(cli))) {
		term_error(&cli->term, "no cache directory" ERR_HINT "use --cache-dir DIR, or set BUNPY_CACHE_DIR, XDG_CACHE_HOME or HOME");
		return 1;
	}
	c.dir = dir;
	if (!strcmp(sub, "dir")) {
		printf("%s\n", dir);
		rc = 0;
	} else if (!strcmp(sub, "size")) {
		rc = do_size(&c);
	} else if (!strcmp(sub, "clean")) {
		rc = do_clean(&c, cli->operands + 1, cli->noperands - 1, dry_run);
	} else {
		rc = do_prune(&c, max_age, max_size, dry_run);
	}
	cacheindex_close(c.ix);
	cacheindex_unlock(c.lock);
	free(dir);
	return rc;
}

const CliCommand cmd_cache = {
	.name = "cache",
	.usage = "[size] | dir | clean [NAME...] | prune [--max-age AGE] [--max-size SIZE] [--dry-run]",
	.summary = "show, clean or prune the shared cache",
	.description = "Show, clean or prune the shared cache (downloaded wheels, unpacked wheels,\n"
		"metadata, index pages, interpreter probes, task outputs).\n"
		"  size          the number of entries and their size, from the index (the default)\n"
		"  dir           print the cache's directory\n"
		"  clean [NAME]  remove everything, or the wheels and metadata of the projects NAME\n"
		"  prune         remove entries unused for longer than --max-age (default 30d), then\n"
		"                the least recently used until under --max-size, and the leftovers\n"
		"                of killed runs\n"
		"clean and prune wait for running bunpy commands that use the cache.",
	.options = cache_options,
	.subcommands = "size dir clean prune",
	.run = cache_main,
};

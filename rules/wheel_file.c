/*
 * wheel_file.c - the kinds wheel-file and wheel-unpack (syncctx.h): a locked wheel,
 * fetched and checked against the lock's SHA-256, then unpacked once per machine.
 *
 * A wheel on an index is downloaded in the net pool straight into a temporary file of
 * the CAS, hashed while it arrives, and renamed to its blob name only when its hash and
 * size are the lock's (a blob already there is hashed again before it is used: the CAS
 * lets a blob be damaged, see cas.h, and is then downloaded anew); a wheel in a local
 * directory (file: URLs, --find-links) is read where it is, hashed in the cpu pool.
 * Either way the payload is the checked file's path. wheel-unpack asks for the file only when the wheel cache lacks the wheel, so a
 * warm sync reads no wheel at all.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/fs.h"
#include "engine/http.h"
#include "syncctx.h"
#include "wheelcache.h"

typedef struct FileJob {
	SyncCtx *sc;
	SyncInstall *it;
	Cas *cas;                    /* the CAS, safe from any thread */
	Sha256 sha;
	char *path;                  /* the result: where the checked file is */
	const char *wheel;           /* wheel-unpack: the file to unpack */
	bool cached;                 /* the blob was in the CAS: being checked (blobs can be
				      * damaged, cas.h), downloaded again when it fails */
	int rc;
	Err err;
} FileJob;

static void
file_job_free(void *p)
{
	FileJob *j = p;

	if (!j)
		return;
	free(j->path);
	free(j);
}

static int
check_hash(const SyncInstall *it, const Sha256 *got, Err *err)
{
	char hex[65];

	hash_hex(got->b, sizeof(got->b), hex);
	if (strcmp(hex, it->sha_hex) != 0)
		return err_set(err, "%s: sha256 mismatch: the lock says %s, the file has %s; the file "
			       "on the index changed since the lock was made"
			       ERR_HINT "run bunpy lock --refresh if that is expected", it->wheel_name, it->sha_hex, hex);
	return 0;
}

static int
check_size(const SyncInstall *it, uint64_t got, Err *err)
{
	if (it->has_size && got != it->size)
		return err_set(err, "%s: the file has %llu bytes, the lock says %llu", it->wheel_name,
			       (unsigned long long)got, (unsigned long long)it->size);
	return 0;
}

/* A wheel in a local directory: hashed where it is. */
static void
local_work(void *arg)
{
	FileJob *j = arg;
	Sha256 got;
	struct stat st;

	if (stat(j->path, &st) != 0) {
		j->rc = err_sys(&j->err, "%s", j->path);
		return;
	}
	if ((j->rc = hash_file(j->path, NULL, &got, &j->err)) == 0 &&
	    (j->rc = check_size(j->it, (uint64_t)st.st_size, &j->err)) == 0)
		j->rc = check_hash(j->it, &got, &j->err);
}

static void
download_work(void *arg)
{
	FileJob *j = arg;
	SyncCtx *sc = j->sc;
	HttpClient *http = lockctx_http(&sc->lock, &j->err);
	HttpRequest req = { 0 };
	HttpResponse resp;
	Arena a = { 0 };
	Buf tmp = { 0 }, shown = { 0 };
	int fd = -1;

	j->rc = -1;
	if (!http)
		goto out;
	if ((j->rc = cas_begin(j->cas, &j->sha, &tmp, &fd, &j->err)) != 0) {
		j->rc = j->rc > 0 ? 0 : -1;  /* another process stored it meanwhile */
		goto out;
	}
	j->rc = -1;
	req.url = lockctx_unmask(&sc->lock, j->it->url, &a);
	req.cls = HTTP_CLASS_DOWNLOAD;
	req.out_fd = fd;
	req.received = &sc->bytes_received;
	req.max_bytes = j->it->has_size ? (int64_t)j->it->size : 0;
	http_mask_url(j->it->url, &shown);
	if (http_fetch(http, &req, &resp, &j->err) != 0) {
		cas_abort(tmp.data, fd);
		goto out;
	}
	if (resp.status != 200) {
		err_set(&j->err, "GET %s: HTTP %ld", shown.data, resp.status);
	} else if (check_size(j->it, (uint64_t)resp.body_bytes, &j->err) == 0 &&
		   check_hash(j->it, &resp.sha256, &j->err) == 0) {
		/* cas_commit closes fd and removes the file itself when it fails: fd may
		 * already be another thread's, so it is not closed again */
		if (cas_commit(j->cas, &j->sha, tmp.data, fd, &j->err) == 0) {
			atomic_fetch_add(&sc->bytes_downloaded, (uint64_t)resp.body_bytes);
			atomic_fetch_add(&sc->downloaded, 1);
			j->rc = 0;
		}
		http_response_free(&resp);
		goto out;
	}
	cas_abort(tmp.data, fd);
	http_response_free(&resp);
out:
	arena_free(&a);
	buf_free(&tmp);
	buf_free(&shown);
}

static int
parse_key(const char *key, Sha256 *sha)
{
	char hex[65];

	if (strlen(key) <= 65 || key[64] != ' ')
		return -1;
	memcpy(hex, key, 64);
	hex[64] = 0;
	return hash_unhex(hex, sha->b, sizeof(sha->b));
}

static RuleStatus
file_run(RuleCtx *ctx)
{
	FileJob **state = (FileJob **)rule_state(ctx);
	SyncCtx *sc = rule_user(ctx);
	const char *key = rule_key(ctx);
	FileJob *j = *state;
	Buf blob = { 0 };

	if (j) {
		if (j->cached) {
			j->cached = false;
			if (j->rc != 0) {
				/* not what its name says: away with it, and download the wheel */
				unlink(j->path);
				j->rc = 0;
				return rule_offload(ctx, POOL_NET, download_work, j);
			}
		}
		if (j->rc != 0)
			return rule_fail(ctx, 1, "%s %s: %s", j->it->name, j->it->version, j->err.msg);
		rule_set_data(ctx, j->path, strlen(j->path) + 1);
		return RULE_DONE;
	}
	j = *state = xcalloc(1, sizeof(*j));
	j->sc = sc;
	if (!sc || !(j->it = syncctx_find_key(sc, key)) || parse_key(key, &j->sha) != 0)
		return rule_fail(ctx, 1, "wheel-file:%s: not a wheel of this sync", key);
	rule_describe(ctx, j->it->wheel_name);
	if (!strncmp(j->it->url, "file:", 5)) {
		if (!(j->path = http_file_path(j->it->url)))
			return rule_fail(ctx, 1, "%s %s: %s is not a local file URL", j->it->name,
					 j->it->version, j->it->url);
		return rule_offload(ctx, POOL_CPU, local_work, j);
	}
	j->cas = rule_cas(ctx);
	cas_path(j->cas, &j->sha, &blob);
	j->path = xstrdup(blob.data);
	buf_free(&blob);
	if (access(j->path, F_OK) == 0) {
		/* asked for only when the wheel cache lacks the wheel: the cost of a hash is
		 * paid once, before the unpack */
		j->cached = true;
		return rule_offload(ctx, POOL_CPU, local_work, j);
	}
	return rule_offload(ctx, POOL_NET, download_work, j);
}

const Rule rules_wheel_file_rule = {
	.kind = "wheel-file",
	.version = 1,
	.flags = RULE_VOLATILE,
	.run = file_run,
	.free_state = file_job_free,
};

static void
unpack_work(void *arg)
{
	FileJob *j = arg;

	j->rc = wheelcache_unpack(j->sc->cache_dir, j->wheel, &j->sha, j->it->wheel_name, &j->err);
	if (j->rc == 0)
		atomic_fetch_add(&j->sc->unpacked, 1);
}

static RuleStatus
unpack_run(RuleCtx *ctx)
{
	FileJob **state = (FileJob **)rule_state(ctx);
	SyncCtx *sc = rule_user(ctx);
	const char *key = rule_key(ctx);
	const NodeValue *file;
	FileJob *j = *state;

	if (!j) {
		j = *state = xcalloc(1, sizeof(*j));
		j->sc = sc;
		if (!sc || !(j->it = syncctx_find_key(sc, key)) || parse_key(key, &j->sha) != 0)
			return rule_fail(ctx, 1, "wheel-unpack:%s: not a wheel of this sync", key);
		j->path = xstrdup(wheelcache_dir(sc->cache_dir, &j->sha, rule_arena(ctx)));
		if (wheelcache_has(sc->cache_dir, &j->sha)) {
			rule_set_data(ctx, j->path, strlen(j->path) + 1);
			return RULE_DONE;
		}
	}
	if (j->wheel) {
		if (j->rc != 0)
			return rule_fail(ctx, 1, "%s %s: %s", j->it->name, j->it->version, j->err.msg);
		rule_set_data(ctx, j->path, strlen(j->path) + 1);
		return RULE_DONE;
	}
	if (!(file = rule_need(ctx, "wheel-file", key)))
		return RULE_SUSPEND;
	j->wheel = arena_strndup(rule_arena(ctx), file->data, file->len);
	rule_describe(ctx, j->it->wheel_name);
	return rule_offload(ctx, POOL_CPU, unpack_work, j);
}

const Rule rules_wheel_unpack_rule = {
	.kind = "wheel-unpack",
	.version = 1,
	.flags = RULE_VOLATILE,
	.run = unpack_run,
	.free_state = file_job_free,
};

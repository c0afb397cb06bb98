/*
 * httptool.c - engine/http.h from the command line, for tests/integration/http.sh.
 *
 *   httptool [options] URL...
 *
 * Fetches every URL at once (one thread each, all sharing one HttpClient, as the
 * engine's net pool would) and prints one JSON line per URL, in argument order:
 *   {"url", "rc", "error", "status", "bytes", "sha256", "etag", "last_modified",
 *    "cache_control", "content_type", "content_range", "http_version", "attempts"}
 * Exit status 0 when every fetch returned 0, 1 when one did not, 2 on bad usage.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../engine/buf.h"
#include "../../engine/err.h"
#include "../../engine/hash.h"
#include "../../engine/http.h"

typedef struct Job {
	HttpClient *client;
	HttpRequest req;
	HttpResponse resp;
	Err err;
	int rc;
	pthread_t thread;
} Job;

static const char usage[] =
	"usage: httptool [--offline] [--cert CA] [--index-cap N] [--download-cap N]\n"
	"                [--class index|download] [--retries N] [--stall-ms N] [--backoff-ms N]\n"
	"                [--debug] [--range START:LEN|-N] [--accept A] [--if-none-match E]\n"
	"                [--if-modified-since D] [--max-bytes N] [--out-dir DIR]\n"
	"                [--cancel-after-ms N] URL...\n";

static void *
run_job(void *arg)
{
	Job *j = arg;

	j->rc = http_fetch(j->client, &j->req, &j->resp, &j->err);
	return NULL;
}

static void
json_field(Buf *b, const char *key, const char *v)
{
	buf_printf(b, ", \"%s\": ", key);
	if (v)
		buf_json_string(b, v, strlen(v));
	else
		buf_puts(b, "null");
}

static long long
number(const char *opt, const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || !*s || *end) {
		fprintf(stderr, "httptool: %s: not a number: %s\n", opt, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv);

int
main(int argc, char **argv)
{
	HttpConfig cfg = {.retries = -1};
	HttpRequest proto = {.out_fd = -1};
	const char *out_dir = NULL;
	long cancel_after_ms = -1;
	HttpClient *client;
	Job *jobs;
	Err err;
	int i, njobs, failed = 0;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "--") == 0) {
			i++;
			break;
		} else if (strcmp(o, "--offline") == 0) {
			cfg.offline = true;
			continue;
		} else if (strcmp(o, "--debug") == 0) {
			cfg.debug = true;
			continue;
		}
		if (!v) {
			fprintf(stderr, "httptool: %s needs a value\n%s", o, usage);
			return 2;
		}
		i++;
		if (strcmp(o, "--cert") == 0) {
			cfg.ca_file = v;
		} else if (strcmp(o, "--index-cap") == 0) {
			cfg.index_cap = (int)number(o, v);
		} else if (strcmp(o, "--download-cap") == 0) {
			cfg.download_cap = (int)number(o, v);
		} else if (strcmp(o, "--class") == 0) {
			proto.cls = strcmp(v, "download") == 0 ? HTTP_CLASS_DOWNLOAD : HTTP_CLASS_INDEX;
		} else if (strcmp(o, "--retries") == 0) {
			cfg.retries = (int)number(o, v);
		} else if (strcmp(o, "--stall-ms") == 0) {
			cfg.stall_timeout_ms = (long)number(o, v);
		} else if (strcmp(o, "--backoff-ms") == 0) {
			cfg.backoff_ms = (long)number(o, v);
		} else if (strcmp(o, "--range") == 0) {
			const char *colon = strchr(v, ':');

			if (v[0] == '-') {
				proto.range_start = number(o, v);
			} else if (colon) {
				char *start = strndup(v, (size_t)(colon - v));

				proto.range_start = number(o, start);
				proto.range_len = number(o, colon + 1);
				free(start);
			} else {
				fprintf(stderr, "httptool: --range: expected START:LEN or -N\n");
				return 2;
			}
		} else if (strcmp(o, "--accept") == 0) {
			proto.accept = v;
		} else if (strcmp(o, "--if-none-match") == 0) {
			proto.if_none_match = v;
		} else if (strcmp(o, "--if-modified-since") == 0) {
			proto.if_modified_since = v;
		} else if (strcmp(o, "--max-bytes") == 0) {
			proto.max_bytes = number(o, v);
		} else if (strcmp(o, "--out-dir") == 0) {
			out_dir = v;
		} else if (strcmp(o, "--cancel-after-ms") == 0) {
			cancel_after_ms = (long)number(o, v);
		} else {
			fprintf(stderr, "httptool: unknown option %s\n%s", o, usage);
			return 2;
		}
	}
	njobs = argc - i;
	if (njobs <= 0) {
		fputs(usage, stderr);
		return 2;
	}
	if (http_client_new(&client, &cfg, &err) < 0) {
		fprintf(stderr, "httptool: %s\n", err.msg);
		return 2;
	}
	jobs = xcalloc((size_t)njobs, sizeof(*jobs));
	for (int k = 0; k < njobs; k++) {
		Job *j = &jobs[k];

		j->client = client;
		j->req = proto;
		j->req.url = argv[i + k];
		if (out_dir) {
			Buf path = {0};

			buf_printf(&path, "%s/%d", out_dir, k);
			j->req.out_fd = open(path.data, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			if (j->req.out_fd < 0) {
				fprintf(stderr, "httptool: %s: %s\n", path.data, strerror(errno));
				return 2;
			}
			buf_free(&path);
		}
		if (pthread_create(&j->thread, NULL, run_job, j) != 0) {
			fprintf(stderr, "httptool: cannot start a thread\n");
			return 2;
		}
	}
	if (cancel_after_ms >= 0) {
		struct timespec ts = {cancel_after_ms / 1000, (cancel_after_ms % 1000) * 1000000L};

		nanosleep(&ts, NULL);
		http_client_free(client);
		client = NULL;
	}
	for (int k = 0; k < njobs; k++)
		pthread_join(jobs[k].thread, NULL);
	http_client_free(client);
	for (int k = 0; k < njobs; k++) {
		Job *j = &jobs[k];
		char hex[SHA256_HEX_LEN + 1];
		Buf line = {0}, masked = {0};

		/* URLs masked: the tests look for passwords in everything printed */
		http_mask_url(j->req.url, &masked);
		buf_puts(&line, "{\"url\": ");
		buf_json_string(&line, masked.data, masked.len);
		buf_clear(&masked);
		buf_printf(&line, ", \"rc\": %d", j->rc);
		json_field(&line, "error", j->rc ? j->err.msg : NULL);
		buf_printf(&line, ", \"status\": %ld, \"bytes\": %lld", j->resp.status,
			   (long long)j->resp.body_bytes);
		hash_hex(j->resp.sha256.b, sizeof(j->resp.sha256.b), hex);
		json_field(&line, "sha256", j->rc ? NULL : hex);
		json_field(&line, "etag", j->resp.etag);
		json_field(&line, "last_modified", j->resp.last_modified);
		json_field(&line, "cache_control", j->resp.cache_control);
		json_field(&line, "content_type", j->resp.content_type);
		json_field(&line, "content_range", j->resp.content_range);
		if (j->resp.effective_url)
			http_mask_url(j->resp.effective_url, &masked);
		json_field(&line, "effective_url", j->resp.effective_url ? masked.data : NULL);
		buf_free(&masked);
		buf_printf(&line, ", \"http_version\": %d, \"attempts\": %d}\n", j->resp.http_version,
			   j->resp.attempts);
		fputs(line.data, stdout);
		buf_free(&line);
		if (j->rc != 0)
			failed = 1;
		if (j->req.out_fd >= 0)
			close(j->req.out_fd);
		http_response_free(&j->resp);
	}
	free(jobs);
	return failed;
}

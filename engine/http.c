/*
 * http.c - the index client's transport over one libcurl multi handle (see http.h).
 *
 * Threading. An HttpClient owns one driver thread and the curl multi handle; only that
 * thread touches curl easy handles, the multi, the per-host slot counts and the PRNG.
 * http_fetch runs in the caller's thread (the engine's `net` pool): it puts an Xfer
 * (on its own stack) on the pending list under the client's mutex, wakes the driver
 * with curl_multi_wakeup and sleeps on the Xfer's condition variable until the driver
 * marks it done. The driver starts pending transfers in submission order whenever their
 * host and class has a free slot and their backoff has elapsed, runs curl_multi_perform
 * and curl_multi_poll, and on completion either schedules a retry (back on the pending
 * list, keeping its place in the order) or fills the response and signals the caller.
 *
 * Why callers block instead of the engine talking to curl itself: the engine's
 * coordinator never blocks and has no curl in its loop; a rule offloads "fetch this"
 * to a net-pool thread like any other piece of slow work, and the result comes back
 * through the pool's usual completion queue. A blocked pool thread costs a stack and
 * nothing else, while all the transfers still share one event loop, one connection
 * cache, one DNS cache and multiplexed HTTP/2 connections, which is what makes many
 * small index requests cheap. Writing a body to its file descriptor happens in the
 * driver (page-cache writes; the bodies are wheels and pages, not streams).
 *
 * file:// URLs never reach the driver: the caller's thread reads the file.
 *
 * Global state: libcurl requires curl_global_init once per process before any other
 * call and is not to be re-run; dynlib.c does it when it opens the library, once, and
 * never undoes it. It only initialises libcurl's (and its TLS library's) own tables,
 * so it holds nothing of ours, and curl_global_cleanup is never called because other
 * clients may still exist and the process ends soon enough.
 */
#include "config.h"

#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "dynlib.h"
#include "fs.h"

#define HTTP_DEFAULT_INDEX_CAP 16
#define HTTP_DEFAULT_DOWNLOAD_CAP 32
#define HTTP_DEFAULT_RETRIES 3
#define HTTP_MAX_BACKOFF_MS 30000L

typedef struct Host {
	char *key;                  /* scheme://host:port, lower-case */
	int active[2];              /* transfers running, by HttpClass */
} Host;

typedef struct Xfer {
	/* set by the caller before queueing, read-only afterwards */
	const HttpRequest *req;
	HttpResponse *resp;
	Err *err;
	const char *masked;         /* the URL for messages */
	char *host_key;
	uint64_t seq;
	pthread_cond_t cv;
	/* under the client's mutex */
	struct Xfer *next;          /* pending list, ordered by seq */
	bool done;
	int rc;
	/* driver only */
	Host *host;
	int64_t not_before_us;      /* backoff: do not start before */
	struct Xfer *run_prev, *run_next;
	CURL *easy;
	struct curl_slist *headers;
	Hasher *sha;
	off_t fd_start;             /* where the body starts in out_fd; -1: not seekable */
	const char *fail;           /* a local failure that is not retried */
	char fail_buf[256];
	char errbuf[CURL_ERROR_SIZE];
} Xfer;

struct HttpClient {
	/* resolved configuration */
	int cap[2];
	int retries;
	long connect_timeout_ms, stall_timeout_ms, backoff_ms;
	char *ca_file, *user_agent, *netrc_file;
	bool offline, debug;

	pthread_mutex_t mu;
	pthread_cond_t idle;        /* waiters reached 0 after stopping */
	Xfer *pending;              /* under mu */
	uint64_t seq;               /* under mu */
	int waiters;                /* callers inside http_fetch (under mu) */
	bool stopping;              /* under mu */

	/* driver only */
	pthread_t thread;
	CURLM *multi;
	CURLSH *share;
	Host **hosts;
	size_t nhosts, caphosts;
	Xfer *running;
	uint64_t prng;
};

/* libcurl is opened on first use (dynlib.h); every call goes through its table, which
 * http_client_new has made sure is there. */
#define CURL(f) (dynlib_curl(NULL)->curl_##f)

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* splitmix64: the backoff jitter only needs to spread clients apart. */
static uint64_t
prng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ---------------------------------------------------------------- URLs */

void
http_mask_url(const char *url, Buf *out)
{
	const char *sep = strstr(url, "://");
	const char *auth, *end, *at = NULL, *colon = NULL;

	if (!sep) {
		buf_puts(out, url);
		return;
	}
	auth = sep + 3;
	end = auth + strcspn(auth, "/?#");
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at)
		colon = memchr(auth, ':', (size_t)(at - auth));
	if (!colon) {
		buf_puts(out, url);
		return;
	}
	buf_append(out, url, (size_t)(colon + 1 - url));
	buf_puts(out, "****");
	buf_puts(out, at);
}

static bool
is_file_url(const char *url)
{
	return strncasecmp(url, "file:", 5) == 0;
}

/* "scheme://host:port" in lower case, without userinfo: what per-host caps count. */
static char *
host_key_of(const char *url)
{
	const char *sep = strstr(url, "://");
	const char *auth, *end;
	Buf b = {0};

	if (!sep)
		return xstrdup("");
	auth = sep + 3;
	end = auth + strcspn(auth, "/?#");
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			auth = p + 1;
	buf_append(&b, url, (size_t)(sep + 3 - url));
	buf_append(&b, auth, (size_t)(end - auth));
	for (size_t i = 0; i < b.len; i++)
		b.data[i] = (char)tolower((unsigned char)b.data[i]);
	return buf_detach(&b);
}

/* ---------------------------------------------------------------- configuration */

static int
env_positive(const char *name, long *out, Err *err)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0 || v > 1000000)
		return err_set(err, "$%s: expected a positive integer, found '%s'", name, s);
	*out = v;
	return 1;
}

static int
resolve_config(HttpClient *c, const HttpConfig *cfg, Err *err)
{
	long v;
	int r;

	c->cap[HTTP_CLASS_INDEX] = cfg->index_cap;
	if (c->cap[HTTP_CLASS_INDEX] <= 0) {
		c->cap[HTTP_CLASS_INDEX] = HTTP_DEFAULT_INDEX_CAP;
		if ((r = env_positive("BUNPY_CONCURRENCY_INDEX", &v, err)) < 0)
			return -1;
		if (r)
			c->cap[HTTP_CLASS_INDEX] = (int)v;
	}
	c->cap[HTTP_CLASS_DOWNLOAD] = cfg->download_cap;
	if (c->cap[HTTP_CLASS_DOWNLOAD] <= 0) {
		c->cap[HTTP_CLASS_DOWNLOAD] = HTTP_DEFAULT_DOWNLOAD_CAP;
		if ((r = env_positive("BUNPY_CONCURRENCY_DOWNLOADS", &v, err)) < 0)
			return -1;
		if (r)
			c->cap[HTTP_CLASS_DOWNLOAD] = (int)v;
	}
	c->retries = cfg->retries;
	if (c->retries < 0) {
		const char *s = getenv("BUNPY_HTTP_RETRIES");
		char *end;

		c->retries = HTTP_DEFAULT_RETRIES;
		if (s && *s) {
			errno = 0;
			v = strtol(s, &end, 10);
			if (errno || *end || v < 0 || v > 100)
				return err_set(err, "$BUNPY_HTTP_RETRIES: expected a number from 0 to 100, found '%s'", s);
			c->retries = (int)v;
		}
	}
	c->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 10000;
	c->stall_timeout_ms = cfg->stall_timeout_ms;
	if (c->stall_timeout_ms <= 0) {
		c->stall_timeout_ms = 30000;
		if ((r = env_positive("BUNPY_HTTP_TIMEOUT", &v, err)) < 0)
			return -1;
		if (r)
			c->stall_timeout_ms = v * 1000;
	}
	c->backoff_ms = cfg->backoff_ms > 0 ? cfg->backoff_ms : 200;
	if (cfg->ca_file)
		c->ca_file = xstrdup(cfg->ca_file);
	else if (getenv("SSL_CERT_FILE") && *getenv("SSL_CERT_FILE"))
		c->ca_file = xstrdup(getenv("SSL_CERT_FILE"));
	c->user_agent = xstrdup(cfg->user_agent ? cfg->user_agent : "bunpy/" PACKAGE_VERSION);
	if (getenv("NETRC") && *getenv("NETRC"))
		c->netrc_file = xstrdup(getenv("NETRC"));
	c->offline = cfg->offline;
	c->debug = cfg->debug;
	return 0;
}

/* ---------------------------------------------------------------- responses */

static void
free_headers(HttpResponse *r)
{
	free(r->etag);
	free(r->last_modified);
	free(r->cache_control);
	free(r->content_type);
	free(r->content_range);
	r->etag = r->last_modified = r->cache_control = r->content_type = r->content_range = NULL;
}

void
http_response_free(HttpResponse *resp)
{
	if (!resp)
		return;
	free_headers(resp);
	free(resp->effective_url);
	buf_free(&resp->body);
	memset(resp, 0, sizeof(*resp));
}

/* Body bytes go to out_fd or the Buf, through the hash. -1 with errno on a write error. */
static int
body_put(const HttpRequest *req, HttpResponse *resp, Hasher *sha, const void *p, size_t n)
{
	if (req->out_fd >= 0) {
		if (fs_write_all(req->out_fd, p, n) < 0)
			return -1;
	} else {
		buf_append(&resp->body, p, n);
	}
	hasher_update(sha, p, n);
	resp->body_bytes += (int64_t)n;
	if (req->received)
		atomic_fetch_add(req->received, (uint64_t)n);
	return 0;
}

static Hasher *
sha_new(void)
{
	return hasher_new(true);
}

static void
sha_finish(Hasher *sha, Sha256 *out)
{
	Digest unused;

	hasher_final(sha, &unused, out);
}

/* ---------------------------------------------------------------- content negotiation */

/* The q-value Accept gives a media type: that of its most specific matching range
 * (RFC 9110 12.5.1); 1 when there is no Accept header, 0 when nothing matches. */
static double
accept_q(const char *accept, const char *type)
{
	const char *slash = strchr(type, '/');
	size_t tlen = (size_t)(slash - type);
	double best_q = 0;
	int best_spec = 0;

	if (!accept)
		return 1;
	for (const char *p = accept; *p;) {
		const char *end = p + strcspn(p, ","), *semi, *q;
		const char *r = p, *rend;
		double qv = 1;
		int spec = 0;

		while (r < end && (*r == ' ' || *r == '\t'))
			r++;
		semi = memchr(r, ';', (size_t)(end - r));
		rend = semi ? semi : end;
		while (rend > r && (rend[-1] == ' ' || rend[-1] == '\t'))
			rend--;
		if ((size_t)(rend - r) == strlen(type) && strncasecmp(r, type, strlen(type)) == 0)
			spec = 3;
		else if ((size_t)(rend - r) == tlen + 2 && strncasecmp(r, type, tlen + 1) == 0 && r[tlen + 1] == '*')
			spec = 2;
		else if (rend - r == 3 && memcmp(r, "*/*", 3) == 0)
			spec = 1;
		for (q = semi; q && q < end; q = memchr(q + 1, ';', (size_t)(end - q - 1))) {
			const char *v = q + 1;

			while (v < end && *v == ' ')
				v++;
			if (end - v >= 2 && (v[0] == 'q' || v[0] == 'Q') && v[1] == '=')
				qv = strtod(v + 2, NULL);
		}
		if (spec > best_spec) {
			best_spec = spec;
			best_q = qv;
		}
		p = *end ? end + 1 : end;
	}
	return best_q;
}

/* ---------------------------------------------------------------- file:// */

static const char *const wdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
	"Sep", "Oct", "Nov", "Dec"};

static char *
http_date(time_t t)
{
	struct tm tm;
	Buf b = {0};

	gmtime_r(&t, &tm);
	buf_printf(&b, "%s, %02d %s %04d %02d:%02d:%02d GMT", wdays[tm.tm_wday], tm.tm_mday,
		   months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return buf_detach(&b);
}

char *
http_file_url(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	Buf b = {0};
	const unsigned char *p;

	buf_puts(&b, "file://");
	for (p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("/-._~+", *p)) {
			buf_putc(&b, (char)*p);
		} else {
			buf_putc(&b, '%');
			buf_putc(&b, hex[*p >> 4]);
			buf_putc(&b, hex[*p & 15]);
		}
	}
	return buf_detach(&b);
}

char *
http_file_path(const char *url)
{
	const char *p = url + 5, *end;
	Buf b = {0};

	if (strncmp(p, "//", 2) == 0) {
		const char *auth = p + 2, *slash = auth + strcspn(auth, "/?#");

		if (slash != auth && !((size_t)(slash - auth) == 9 && strncasecmp(auth, "localhost", 9) == 0))
			return NULL;
		p = slash;
	}
	end = p + strcspn(p, "?#");
	if (p == end || *p != '/')
		return NULL;
	for (; p < end; p++) {
		int hi, lo;

		if (*p == '%' && end - p >= 3 && (hi = hash_hex_digit(p[1])) >= 0 &&
		    (lo = hash_hex_digit(p[2])) >= 0) {
			if (hi == 0 && lo == 0) {
				buf_free(&b);
				return NULL;
			}
			buf_putc(&b, (char)(hi * 16 + lo));
			p += 2;
		} else {
			buf_putc(&b, *p);
		}
	}
	return buf_detach(&b);
}

static const char *
content_type_of(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot && strchr(dot, '/'))
		dot = NULL;
	if (dot && (strcmp(dot, ".html") == 0 || strcmp(dot, ".htm") == 0))
		return "text/html";
	if (dot && strcmp(dot, ".json") == 0)
		return "application/json";
	return NULL;
}

/*
 * A directory is answered as a Simple API server answers a project URL: index.json
 * (as application/vnd.pypi.simple.v1+json) when Accept prefers PEP 691 JSON and the file
 * exists, else index.html.
 */
static int
fetch_file(const HttpRequest *req, HttpResponse *resp, const char *masked, Err *err)
{
	char *path = http_file_path(req->url);
	const char *ctype = NULL;
	Hasher *sha;
	struct stat st;
	int fd = -1, rc = 0;
	int64_t start = 0, len;
	char buf[64 * 1024];

	resp->attempts = 1;
	resp->effective_url = xstrdup(req->url);
	if (!path)
		return err_set(err, "GET %s: not a local file URL", masked), HTTP_E_TRANSPORT;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		double qj = accept_q(req->accept, "application/vnd.pypi.simple.v1+json");
		double qh = accept_q(req->accept, "text/html");
		double qv = accept_q(req->accept, "application/vnd.pypi.simple.v1+html");
		Buf p = {0};

		if (qv > qh)
			qh = qv;
		buf_printf(&p, "%s%sindex.json", path, path[strlen(path) - 1] == '/' ? "" : "/");
		if (qj > qh && access(p.data, R_OK) == 0) {
			ctype = "application/vnd.pypi.simple.v1+json";
		} else {
			p.len -= 4;
			buf_puts(&p, "html");
			ctype = "text/html";
		}
		free(path);
		path = buf_detach(&p);
	} else {
		ctype = content_type_of(path);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd < 0 && errno != ENOENT && errno != ENOTDIR) {
			err_sys(err, "GET %s", masked);
			rc = HTTP_E_TRANSPORT;
			goto out;
		}
		resp->status = 404;
		sha = sha_new();
		sha_finish(sha, &resp->sha256);
		goto out;
	}
	resp->last_modified = http_date(st.st_mtime);
	if (ctype)
		resp->content_type = xstrdup(ctype);
	len = st.st_size;
	resp->status = 200;
	if (req->range_len > 0 || (req->range_start < 0 && req->range_len == 0)) {
		Buf cr = {0};

		if (req->range_len > 0) {
			start = req->range_start;
			len = req->range_len;
			if (start + len > st.st_size)
				len = st.st_size - start;
		} else {
			len = -req->range_start;
			if (len > st.st_size)
				len = st.st_size;
			start = st.st_size - len;
		}
		if (start < 0 || start >= st.st_size || len <= 0) {
			resp->status = 416;
			buf_printf(&cr, "bytes */%lld", (long long)st.st_size);
			start = len = 0;
		} else {
			resp->status = 206;
			buf_printf(&cr, "bytes %lld-%lld/%lld", (long long)start,
				   (long long)(start + len - 1), (long long)st.st_size);
		}
		resp->content_range = buf_detach(&cr);
	}
	if (req->max_bytes > 0 && len > req->max_bytes) {
		err_set(err, "GET %s: the body is larger than %lld bytes", masked, (long long)req->max_bytes);
		rc = HTTP_E_TRANSPORT;
		goto out;
	}
	sha = sha_new();
	while (len > 0) {
		ssize_t n = pread(fd, buf, len < (int64_t)sizeof(buf) ? (size_t)len : sizeof(buf), start);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;   /* the file shrank while read */
			err_sys(err, "GET %s: reading %s", masked, path);
			rc = HTTP_E_TRANSPORT;
			break;
		}
		if (body_put(req, resp, sha, buf, (size_t)n) < 0) {
			err_sys(err, "GET %s: writing the body", masked);
			rc = HTTP_E_TRANSPORT;
			break;
		}
		start += n;
		len -= n;
	}
	sha_finish(sha, &resp->sha256);
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

/* ---------------------------------------------------------------- driver: one transfer */

static size_t
on_body(char *p, size_t size, size_t n, void *ud)
{
	Xfer *x = ud;
	size_t len = size * n;

	if (x->req->max_bytes > 0 && x->resp->body_bytes + (int64_t)len > x->req->max_bytes) {
		snprintf(x->fail_buf, sizeof(x->fail_buf), "the body is larger than %lld bytes",
			 (long long)x->req->max_bytes);
		x->fail = x->fail_buf;
		return len == 0 ? 1 : 0;
	}
	if (body_put(x->req, x->resp, x->sha, p, len) < 0) {
		snprintf(x->fail_buf, sizeof(x->fail_buf), "writing the body: %s", strerror(errno));
		x->fail = x->fail_buf;
		return len == 0 ? 1 : 0;
	}
	return len;
}

static void
keep_header(char **slot, const char *v, size_t n)
{
	free(*slot);
	*slot = xstrndup(v, n);
}

/* Response headers of the last response (a redirect's are dropped at the next status line). */
static size_t
on_header(char *p, size_t size, size_t n, void *ud)
{
	Xfer *x = ud;
	size_t len = size * n, nlen;
	const char *colon, *v, *end = p + len;
	static const struct {
		const char *name;
		size_t off;
	} wanted[] = {
		{"etag", offsetof(HttpResponse, etag)},
		{"last-modified", offsetof(HttpResponse, last_modified)},
		{"cache-control", offsetof(HttpResponse, cache_control)},
		{"content-type", offsetof(HttpResponse, content_type)},
		{"content-range", offsetof(HttpResponse, content_range)},
	};

	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		free_headers(x->resp);
		return len;
	}
	colon = memchr(p, ':', len);
	if (!colon)
		return len;
	nlen = (size_t)(colon - p);
	for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
		if (strlen(wanted[i].name) == nlen && strncasecmp(p, wanted[i].name, nlen) == 0)
			keep_header((char **)((char *)x->resp + wanted[i].off), v, (size_t)(end - v));
	return len;
}

static void
set_error(Xfer *x, const char *what)
{
	err_set(x->err, "GET %s: %s (after %d attempt%s)", x->masked, what, x->resp->attempts,
		x->resp->attempts == 1 ? "" : "s");
}

/* Set up and add one attempt; -1 with the Xfer's error set when curl refuses. */
static int
start_attempt(HttpClient *c, Xfer *x)
{
	const HttpRequest *req = x->req;
	CURL *e = CURL(easy_init)();
	char range[64];
	Buf h = {0};

	x->resp->attempts++;
	if (!e) {
		set_error(x, "cannot create a transfer");
		return -1;
	}
	x->easy = e;
	x->errbuf[0] = '\0';
	x->fail = NULL;
	x->sha = sha_new();
	if (req->accept) {
		buf_printf(&h, "Accept: %s", req->accept);
		x->headers = CURL(slist_append)(x->headers, h.data);
		buf_clear(&h);
	}
	if (req->if_none_match) {
		buf_printf(&h, "If-None-Match: %s", req->if_none_match);
		x->headers = CURL(slist_append)(x->headers, h.data);
		buf_clear(&h);
	}
	if (req->if_modified_since) {
		buf_printf(&h, "If-Modified-Since: %s", req->if_modified_since);
		x->headers = CURL(slist_append)(x->headers, h.data);
	}
	buf_free(&h);
	CURL(easy_setopt)(e, CURLOPT_URL, req->url);
	CURL(easy_setopt)(e, CURLOPT_PRIVATE, x);
	CURL(easy_setopt)(e, CURLOPT_ERRORBUFFER, x->errbuf);
	CURL(easy_setopt)(e, CURLOPT_NOSIGNAL, 1L);
	CURL(easy_setopt)(e, CURLOPT_SHARE, c->share);
	CURL(easy_setopt)(e, CURLOPT_PROTOCOLS_STR, "http,https");
	CURL(easy_setopt)(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	CURL(easy_setopt)(e, CURLOPT_FOLLOWLOCATION, 1L);
	CURL(easy_setopt)(e, CURLOPT_MAXREDIRS, 10L);
	CURL(easy_setopt)(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	/* wait for a TLS connection being set up to say (by ALPN) whether it multiplexes,
	 * rather than opening one connection per request before the first answer; plain
	 * http:// is always HTTP/1.1 here, so waiting there would only serialise */
	if (strncasecmp(req->url, "https:", 6) == 0)
		CURL(easy_setopt)(e, CURLOPT_PIPEWAIT, 1L);
	CURL(easy_setopt)(e, CURLOPT_TCP_KEEPALIVE, 1L);
	CURL(easy_setopt)(e, CURLOPT_USERAGENT, c->user_agent);
	CURL(easy_setopt)(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	CURL(easy_setopt)(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	CURL(easy_setopt)(e, CURLOPT_LOW_SPEED_TIME, (c->stall_timeout_ms + 999) / 1000);
	CURL(easy_setopt)(e, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
	if (c->netrc_file)
		CURL(easy_setopt)(e, CURLOPT_NETRC_FILE, c->netrc_file);
	if (c->ca_file)
		CURL(easy_setopt)(e, CURLOPT_CAINFO, c->ca_file);
	if (x->headers)
		CURL(easy_setopt)(e, CURLOPT_HTTPHEADER, x->headers);
	if (req->range_len > 0) {
		snprintf(range, sizeof(range), "%lld-%lld", (long long)req->range_start,
			 (long long)(req->range_start + req->range_len - 1));
		CURL(easy_setopt)(e, CURLOPT_RANGE, range);
	} else if (req->range_start < 0) {
		snprintf(range, sizeof(range), "%lld", (long long)req->range_start);
		CURL(easy_setopt)(e, CURLOPT_RANGE, range);
	} else {
		/* pages may come compressed; a range of a compressed body would be nonsense */
		CURL(easy_setopt)(e, CURLOPT_ACCEPT_ENCODING, "");
	}
	if (req->max_bytes > 0)
		CURL(easy_setopt)(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->max_bytes);
	CURL(easy_setopt)(e, CURLOPT_WRITEFUNCTION, on_body);
	CURL(easy_setopt)(e, CURLOPT_WRITEDATA, x);
	CURL(easy_setopt)(e, CURLOPT_HEADERFUNCTION, on_header);
	CURL(easy_setopt)(e, CURLOPT_HEADERDATA, x);
	if (CURL(multi_add_handle)(c->multi, e) != CURLM_OK) {
		CURL(easy_cleanup)(e);
		x->easy = NULL;
		set_error(x, "cannot start the transfer");
		return -1;
	}
	x->host->active[x->req->cls]++;
	x->run_prev = NULL;
	x->run_next = c->running;
	if (c->running)
		c->running->run_prev = x;
	c->running = x;
	return 0;
}

/* Undo an attempt's curl state (the body and headers stay for the caller or a retry). */
static void
end_attempt(HttpClient *c, Xfer *x)
{
	if (x->easy) {
		CURL(multi_remove_handle)(c->multi, x->easy);
		CURL(easy_cleanup)(x->easy);
		x->easy = NULL;
		x->host->active[x->req->cls]--;
		if (x->run_prev)
			x->run_prev->run_next = x->run_next;
		else
			c->running = x->run_next;
		if (x->run_next)
			x->run_next->run_prev = x->run_prev;
	}
	CURL(slist_free_all)(x->headers);
	x->headers = NULL;
}

/* Hand the result to the caller. mu held; x must not be touched afterwards. */
static void
finish_locked(Xfer *x, int rc)
{
	if (x->sha) {
		sha_finish(x->sha, &x->resp->sha256);
		x->sha = NULL;
	}
	x->rc = rc;
	x->done = true;
	pthread_cond_signal(&x->cv);
}

static void
finish(HttpClient *c, Xfer *x, int rc)
{
	pthread_mutex_lock(&c->mu);
	finish_locked(x, rc);
	pthread_mutex_unlock(&c->mu);
}

static bool
retryable_code(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:   /* a reset during the handshake */
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

/* Put the body back to empty for another attempt; false when out_fd cannot be rewound. */
static bool
restart_body(Xfer *x)
{
	HttpResponse *r = x->resp;

	if (x->req->out_fd >= 0 && r->body_bytes > 0) {
		if (x->fd_start < 0 || ftruncate(x->req->out_fd, x->fd_start) < 0 ||
		    lseek(x->req->out_fd, x->fd_start, SEEK_SET) < 0)
			return false;
	}
	buf_clear(&r->body);
	r->body_bytes = 0;
	free_headers(r);
	if (x->sha) {
		Digest unused;

		hasher_final(x->sha, &unused, NULL);
		x->sha = NULL;
	}
	return true;
}

static void
pending_insert_locked(HttpClient *c, Xfer *x)
{
	Xfer **pp = &c->pending;

	while (*pp && (*pp)->seq < x->seq)
		pp = &(*pp)->next;
	x->next = *pp;
	*pp = x;
}

static void
on_done(HttpClient *c, Xfer *x, CURLcode code)
{
	HttpResponse *r = x->resp;
	long status = 0, ver = 0;
	char *eff = NULL;
	bool retry;

	CURL(easy_getinfo)(x->easy, CURLINFO_RESPONSE_CODE, &status);
	CURL(easy_getinfo)(x->easy, CURLINFO_HTTP_VERSION, &ver);
	CURL(easy_getinfo)(x->easy, CURLINFO_EFFECTIVE_URL, &eff);
	r->status = status;
	r->http_version = ver == CURL_HTTP_VERSION_1_0 ? 10 : ver == CURL_HTTP_VERSION_1_1 ? 11 :
		ver == CURL_HTTP_VERSION_2_0 ? 20 : ver == CURL_HTTP_VERSION_3 ? 30 : 0;
	free(r->effective_url);
	r->effective_url = eff ? xstrdup(eff) : NULL;
	if (code == CURLE_FILESIZE_EXCEEDED) {
		snprintf(x->fail_buf, sizeof(x->fail_buf), "the body is larger than %lld bytes",
			 (long long)x->req->max_bytes);
		x->fail = x->fail_buf;
	}
	if (x->fail) {
		end_attempt(c, x);
		set_error(x, x->fail);
		finish(c, x, HTTP_E_TRANSPORT);
		return;
	}
	retry = code == CURLE_OK ? status >= 500 : retryable_code(code);
	if (retry && r->attempts <= c->retries && restart_body(x)) {
		int shift = r->attempts - 1 < 16 ? r->attempts - 1 : 16;
		long delay = c->backoff_ms << shift;

		if (delay > HTTP_MAX_BACKOFF_MS)
			delay = HTTP_MAX_BACKOFF_MS;
		delay = delay / 2 + (long)(prng_next(&c->prng) % (uint64_t)(delay + 1));
		end_attempt(c, x);
		x->not_before_us = now_us() + (int64_t)delay * 1000;
		r->status = 0;
		pthread_mutex_lock(&c->mu);
		pending_insert_locked(c, x);
		pthread_mutex_unlock(&c->mu);
		return;
	}
	if (code == CURLE_OK) {
		end_attempt(c, x);
		finish(c, x, 0);
		return;
	}
	r->status = 0;
	{
		Buf m = {0};

		buf_puts(&m, x->errbuf[0] ? x->errbuf : CURL(easy_strerror)(code));
		if (retry && r->attempts <= c->retries)
			buf_puts(&m, "; cannot retry: the output cannot be rewound");
		end_attempt(c, x);
		set_error(x, m.data);
		buf_free(&m);
	}
	finish(c, x, HTTP_E_TRANSPORT);
}

static Host *
host_get(HttpClient *c, const char *key)
{
	Host *h;

	for (size_t i = 0; i < c->nhosts; i++)
		if (strcmp(c->hosts[i]->key, key) == 0)
			return c->hosts[i];
	xgrow(&c->hosts, &c->caphosts, c->nhosts + 1, sizeof(*c->hosts));
	h = xcalloc(1, sizeof(*h));
	h->key = xstrdup(key);
	c->hosts[c->nhosts++] = h;
	return h;
}

/* ---------------------------------------------------------------- driver loop */

static void
cancel_all_locked(HttpClient *c)
{
	while (c->running) {
		Xfer *x = c->running;

		end_attempt(c, x);
		err_set(x->err, "GET %s: cancelled", x->masked);
		finish_locked(x, HTTP_E_TRANSPORT);
	}
	while (c->pending) {
		Xfer *x = c->pending;

		c->pending = x->next;
		err_set(x->err, "GET %s: cancelled", x->masked);
		finish_locked(x, HTTP_E_TRANSPORT);
	}
}

static void *
driver_main(void *arg)
{
	HttpClient *c = arg;

	for (;;) {
		Xfer *start = NULL, **tail = &start;
		int64_t now = now_us(), next_deadline = -1;
		int running = 0;
		bool progressed = false;
		CURLMsg *msg;
		int left;

		pthread_mutex_lock(&c->mu);
		if (c->stopping) {
			cancel_all_locked(c);
			pthread_mutex_unlock(&c->mu);
			break;
		}
		/* in submission order, whatever has a free slot and no backoff to wait out */
		for (Xfer **pp = &c->pending; *pp;) {
			Xfer *x = *pp;

			if (!x->host)
				x->host = host_get(c, x->host_key);
			if (x->not_before_us > now) {
				if (next_deadline < 0 || x->not_before_us < next_deadline)
					next_deadline = x->not_before_us;
			} else if (x->host->active[x->req->cls] < c->cap[x->req->cls]) {
				*pp = x->next;
				x->next = NULL;
				*tail = x;
				tail = &x->next;
				x->host->active[x->req->cls]++;   /* reserved until it starts */
				continue;
			}
			pp = &x->next;
		}
		pthread_mutex_unlock(&c->mu);
		while (start) {
			Xfer *x = start;

			start = x->next;
			x->host->active[x->req->cls]--;
			if (start_attempt(c, x) < 0) {
				end_attempt(c, x);
				finish(c, x, HTTP_E_TRANSPORT);
			}
		}
		CURL(multi_perform)(c->multi, &running);
		while ((msg = CURL(multi_info_read)(c->multi, &left))) {
			Xfer *x = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			CURL(easy_getinfo)(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			on_done(c, x, msg->data.result);
			progressed = true;
		}
		if (!progressed) {
			int timeout = 1000;

			if (next_deadline >= 0) {
				int64_t wait = (next_deadline - now_us() + 999) / 1000;

				timeout = wait < 0 ? 0 : wait < timeout ? (int)wait : timeout;
			}
			CURL(multi_poll)(c->multi, NULL, 0, timeout, NULL);
		}
	}
	return NULL;
}

/* ---------------------------------------------------------------- the client */

int
http_client_new(HttpClient **out, const HttpConfig *cfg, Err *err)
{
	HttpClient *c;
	sigset_t all, old;
	int rc;

	*out = NULL;
	if (!dynlib_curl(err))
		return -1;
	c = xcalloc(1, sizeof(*c));
	if (resolve_config(c, cfg, err) < 0) {
		http_client_free(c);
		return -1;
	}
	c->prng = (uint64_t)now_us() ^ (uint64_t)(uintptr_t)c ^ ((uint64_t)getpid() << 32);
	c->multi = CURL(multi_init)();
	c->share = CURL(share_init)();
	if (!c->multi || !c->share) {
		http_client_free(c);
		return err_set(err, "cannot initialise libcurl");
	}
	/* the share is used by the driver thread alone, so it needs no lock callbacks */
	CURL(share_setopt)(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	CURL(share_setopt)(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	CURL(multi_setopt)(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	CURL(multi_setopt)(c->multi, CURLMOPT_MAXCONNECTS,
			  (long)(2 * (c->cap[HTTP_CLASS_INDEX] + c->cap[HTTP_CLASS_DOWNLOAD])));
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->idle, NULL);
	/* the driver takes no signals: the engine reads them from a signalfd */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&c->thread, NULL, driver_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->idle);
		errno = rc;
		err_sys(err, "cannot start the HTTP thread");
		CURL(multi_cleanup)(c->multi);
		c->multi = NULL;
		http_client_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

void
http_client_free(HttpClient *c)
{
	if (!c)
		return;
	if (c->multi) {
		pthread_mutex_lock(&c->mu);
		c->stopping = true;
		CURL(multi_wakeup)(c->multi);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->thread, NULL);
		/* cancelled callers still have to take the mutex once to read their result */
		pthread_mutex_lock(&c->mu);
		while (c->waiters > 0)
			pthread_cond_wait(&c->idle, &c->mu);
		pthread_mutex_unlock(&c->mu);
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->idle);
		CURL(multi_cleanup)(c->multi);
	}
	if (c->share)
		CURL(share_cleanup)(c->share);
	for (size_t i = 0; i < c->nhosts; i++) {
		free(c->hosts[i]->key);
		free(c->hosts[i]);
	}
	free(c->hosts);
	free(c->ca_file);
	free(c->user_agent);
	free(c->netrc_file);
	free(c);
}

static int
fetch_remote(HttpClient *c, const HttpRequest *req, HttpResponse *resp, const char *masked, Err *err)
{
	Xfer x;

	memset(&x, 0, sizeof(x));
	x.req = req;
	x.resp = resp;
	x.err = err;
	x.masked = masked;
	x.host_key = host_key_of(req->url);
	x.fd_start = -1;
	if (req->out_fd >= 0)
		x.fd_start = lseek(req->out_fd, 0, SEEK_CUR);
	pthread_cond_init(&x.cv, NULL);
	pthread_mutex_lock(&c->mu);
	if (c->stopping) {
		pthread_mutex_unlock(&c->mu);
		err_set(err, "GET %s: cancelled", masked);
		x.rc = HTTP_E_TRANSPORT;
		goto out;
	}
	c->waiters++;
	x.seq = c->seq++;
	pending_insert_locked(c, &x);
	CURL(multi_wakeup)(c->multi);
	while (!x.done)
		pthread_cond_wait(&x.cv, &c->mu);
	if (--c->waiters == 0 && c->stopping)
		pthread_cond_signal(&c->idle);
	pthread_mutex_unlock(&c->mu);
out:
	pthread_cond_destroy(&x.cv);
	free(x.host_key);
	return x.rc;
}

static const char *
proto_name(int v)
{
	switch (v) {
	case 10: return "h1.0";
	case 11: return "h1.1";
	case 20: return "h2";
	case 30: return "h3";
	default: return "file";
	}
}

int
http_fetch(HttpClient *c, const HttpRequest *req, HttpResponse *resp, Err *err)
{
	int64_t t0 = now_us();
	/* read now: a cancelled fetch returns while http_client_free is freeing c */
	bool debug = c->debug;
	Buf masked = {0};
	int rc;

	memset(resp, 0, sizeof(*resp));
	http_mask_url(req->url, &masked);
	if (req->range_len < 0 || (req->range_len > 0 && req->range_start < 0)) {
		rc = HTTP_E_TRANSPORT;
		err_set(err, "GET %s: bad byte range", masked.data);
	} else if (is_file_url(req->url)) {
		rc = fetch_file(req, resp, masked.data, err);
	} else if (c->offline) {
		rc = HTTP_E_OFFLINE;
		err_set(err, "offline: not fetching %s", masked.data);
	} else {
		rc = fetch_remote(c, req, resp, masked.data, err);
	}
	resp->seconds = (double)(now_us() - t0) / 1e6;
	if (debug) {
		Buf line = {0};

		buf_printf(&line, "http: GET %s ", masked.data);
		if (rc == HTTP_E_OFFLINE)
			buf_puts(&line, "offline");
		else if (rc != 0)
			buf_printf(&line, "failed %.1f ms", resp->seconds * 1000);
		else
			buf_printf(&line, "%ld %s %.1f ms", resp->status, proto_name(resp->http_version),
				   resp->seconds * 1000);
		if (resp->attempts > 1)
			buf_printf(&line, " (attempt %d)", resp->attempts);
		buf_putc(&line, '\n');
		fputs(line.data, stderr);
		buf_free(&line);
	}
	buf_free(&masked);
	return rc;
}

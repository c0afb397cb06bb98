/*
 * http.h - the index client's transport: one libcurl multi handle shared by every
 * request of a process.
 *
 * Requests are made from the engine's `net` pool threads (rule_offload(POOL_NET)) with
 * http_fetch, which blocks its caller until the transfer is over. All transfers are
 * driven by one thread that owns the curl multi handle, so HTTP/2 connections are
 * shared and streams multiplexed (ALPN over TLS, HTTP/1.1 fallback); a thread that
 * waits costs nothing but its stack. Per-host caps bound how many transfers of each
 * class run at once against one host (index pages: 16, downloads: 32, see HttpConfig);
 * requests over the cap wait in order of submission.
 *
 * Transfers that fail on the connection (refused, reset, nothing received, timed out)
 * or with a 5xx status are retried with exponential backoff; 4xx statuses are answers
 * and are returned as they are. A transfer that receives nothing for
 * HttpConfig.stall_timeout_ms is a timeout. Proxies come from the usual environment
 * variables (http_proxy, https_proxy, no_proxy, as libcurl reads them), credentials
 * from the URL's userinfo or ~/.netrc ($NETRC), a CA bundle from HttpConfig.ca_file
 * (--cert, $SSL_CERT_FILE). TLS verification is never turned off.
 *
 * URLs in every message this module makes have their password masked (http_mask_url).
 * With HttpConfig.debug, each finished request prints one line on stderr:
 *   http: GET https://user:****@host/simple/a/ 200 h2 12.3 ms (attempt 2)
 *
 * file:// URLs are served by the same call (read from disk, status 200 or 404), so
 * that callers treat local and remote indexes alike; range requests work on them too.
 * A file:// URL naming a directory is answered as a Simple API server answers a
 * project URL: its index.json (Content-Type application/vnd.pypi.simple.v1+json) when
 * Accept prefers that type and the file exists, else its index.html (text/html).
 *
 * When the retries are spent on 5xx answers, the last answer is returned as it is
 * (0, its status, attempts = retries + 1): an HTTP answer arrived.
 */
#ifndef BUNPY_HTTP_H
#define BUNPY_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "hash.h"

typedef struct HttpClient HttpClient;

typedef enum HttpClass {
	HTTP_CLASS_INDEX,        /* index pages and metadata: per-host cap index_cap */
	HTTP_CLASS_DOWNLOAD,     /* files: per-host cap download_cap */
} HttpClass;

typedef struct HttpConfig {
	int index_cap;           /* 0: $BUNPY_CONCURRENCY_INDEX, else 16 */
	int download_cap;        /* 0: $BUNPY_CONCURRENCY_DOWNLOADS, else 32 */
	int retries;             /* extra attempts after the first; <0: $BUNPY_HTTP_RETRIES, else 3 */
	long connect_timeout_ms; /* 0: 10000 */
	long stall_timeout_ms;   /* no byte received for this long: a timeout. 0: $BUNPY_HTTP_TIMEOUT (seconds), else 30000 */
	long backoff_ms;         /* first retry's delay, doubled each time, with jitter; 0: 200 */
	const char *ca_file;     /* NULL: $SSL_CERT_FILE, else the system's bundle */
	const char *user_agent;  /* NULL: "bunpy/VERSION" */
	bool offline;            /* every non-file:// request fails with HTTP_E_OFFLINE */
	bool debug;              /* one line per request on stderr (BUNPY_DEBUG=http) */
} HttpConfig;

typedef struct HttpRequest {
	const char *url;
	HttpClass cls;
	const char *accept;              /* Accept header, or NULL */
	const char *if_none_match;       /* a stored ETag, or NULL */
	const char *if_modified_since;   /* a stored Last-Modified, or NULL */
	/* Byte range: range_len > 0 asks for [range_start, range_start + range_len);
	 * range_start < 0 with range_len == 0 asks for the last -range_start bytes. */
	int64_t range_start, range_len;
	int out_fd;                      /* >= 0: the body is written there, else kept in memory */
	int64_t max_bytes;               /* a longer body is an error; 0: no limit */
	/* when set, every body byte received is added here as it arrives (a progress line
	 * reads it from another thread; a retried attempt counts again) */
	_Atomic uint64_t *received;
} HttpRequest;

typedef struct HttpResponse {
	long status;                     /* 200, 206, 304, 404 ... */
	Buf body;                        /* when out_fd < 0; the caller frees it */
	int64_t body_bytes;              /* bytes received (in body or written to out_fd) */
	Sha256 sha256;                   /* of the body as received */
	char *etag, *last_modified, *cache_control, *content_type, *content_range;
	char *effective_url;             /* after redirects */
	int http_version;                /* 10, 11, 20, 30; 0 for file:// */
	int attempts;
	double seconds;                  /* wall time of all attempts */
} HttpResponse;

/* Why a fetch failed without a status to show (Err has the message). */
enum {
	HTTP_E_NONE = 0,
	HTTP_E_OFFLINE = -2,             /* config.offline and not a file:// URL */
	HTTP_E_TRANSPORT = -1,           /* connection, TLS, timeout, write error: retries spent */
};

int http_client_new(HttpClient **out, const HttpConfig *cfg, Err *err);
void http_client_free(HttpClient *c);   /* waits for transfers in flight to be cancelled */

/*
 * Make one request (with retries), blocking the calling thread. Returns 0 when an HTTP
 * answer arrived, whatever its status (the caller decides what a 404 means), or
 * HTTP_E_* with err set: "GET https://host/x: Connection reset by peer (after 4
 * attempts)". Safe to call from many threads at once. resp is zeroed first; free it
 * with http_response_free.
 */
int http_fetch(HttpClient *c, const HttpRequest *req, HttpResponse *resp, Err *err);
void http_response_free(HttpResponse *resp);

/* The URL with the password of its userinfo replaced by "****" (a user name alone is
 * kept), for messages. */
void http_mask_url(const char *url, Buf *out);

/* The path a file: URL names, percent-decoded; NULL when it names another host (or
 * holds an encoded NUL). Free it. */
char *http_file_path(const char *url);
/* The file: URL of an absolute path, with every byte but unreserved ones and '/'
 * percent-encoded ("a b#1" is "a%20b%231"). Free it. */
char *http_file_url(const char *path);

#endif

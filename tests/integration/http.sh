#!/bin/sh
# The HTTP transport (engine/http.c) through tests/tools/httptool, against
# tests/fixtures/serve.py (content negotiation, revalidation, ranges, faults, auth,
# per-host caps) and nginx over TLS (HTTP/2 multiplexing, gzip). Every check says
# what it checked.
. "$(dirname "$0")/lib.sh"

: "${HTTPTOOL:?HTTPTOOL must name tests/tools/httptool (make check sets it)}"
: "${FIXTURES_DIR:?FIXTURES_DIR must name tests/fixtures (make check sets it)}"
: "${PYTHON3:?PYTHON3 must name a Python 3 (make check sets it)}"

# the tests talk to 127.0.0.1 only: no proxy, no inherited credentials or settings
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
unset SSL_CERT_FILE NETRC BUNPY_HTTP_RETRIES BUNPY_HTTP_TIMEOUT
unset BUNPY_CONCURRENCY_INDEX BUNPY_CONCURRENCY_DOWNLOADS
# httptool runs with HOME here, so that only the test's own ~/.netrc is read
mkdir -p "$WORK/home"

PIDS=""
cleanup() {
	if [ "$FAILURES" -ne 0 ]; then
		for f in "$WORK"/*.err; do
			[ -s "$f" ] && { echo "--- $f:"; cat "$f"; } >&2
		done
	fi
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	wait
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

CHECKS=0
ok() {
	CHECKS=$((CHECKS + 1))
	echo "ok: $*"
}
check_eq() {   # check_eq ACTUAL EXPECTED WHAT
	if [ "$1" = "$2" ]; then ok "$3 ($1)"; else fail "$3: got '$1', expected '$2'"; fi
}
check_in() {   # check_in HAYSTACK NEEDLE WHAT
	case "$1" in
	*"$2"*) ok "$3" ;;
	*) fail "$3: expected to find '$2' in: $1" ;;
	esac
}
check_not_in() {
	case "$1" in
	*"$2"*) fail "$3: did not expect '$2' in: $1" ;;
	*) ok "$3" ;;
	esac
}

# ht ARGS...: run httptool; JSON lines in $OUT, stderr in $ERR, status in $RC. A hang
# is ended after a minute (status 124) instead of stalling the suite.
ht() {
	OUT=$(HOME="$WORK/home" timeout 60 "$HTTPTOOL" "$@" 2>"$WORK/.stderr")
	RC=$?
	ERR=$(cat "$WORK/.stderr")
	case "$ERR" in
	*Sanitizer* | *"runtime error"*) fail "httptool $*: sanitizer report: $ERR" ;;
	esac
}

# jf N FIELD: FIELD of the Nth line of $OUT ("null" for null).
jf() {
	printf '%s\n' "$OUT" | "$PYTHON3" -c '
import json, sys
lines = sys.stdin.read().splitlines()
try:
    v = json.loads(lines[int(sys.argv[1]) - 1])[sys.argv[2]]
except (IndexError, ValueError, KeyError):
    v = "<missing>"
print("null" if v is None else v)' "$1" "$2"
}

# jall FIELD: FIELD of every line of $OUT, sorted and counted ("20 200").
jall() {
	printf '%s\n' "$OUT" | "$PYTHON3" -c '
import collections, json, sys
c = collections.Counter(str(json.loads(l)[sys.argv[1]]) for l in sys.stdin.read().splitlines() if l)
print(" ".join("%d:%s" % (n, v) for v, n in sorted(c.items())))' "$1"
}

# logq LOG EXPR: a Python expression over R, the records of a serve.py log.
logq() {
	"$PYTHON3" -c '
import json, sys
R = [json.loads(l) for l in open(sys.argv[1])] if __import__("os").path.exists(sys.argv[1]) else []
print(eval(sys.argv[2]))' "$1" "$2"
}

sha() {
	"$PYTHON3" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$1"
}

# start_server NAME ARGS...: serve.py in the background; $PORT once it listens.
start_server() {
	name=$1
	shift
	"$PYTHON3" "$FIXTURES_DIR/serve.py" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	PIDS="$PIDS $!"
	n=0
	until grep -q '^PORT ' "$WORK/$name.out" 2>/dev/null; do
		n=$((n + 1))
		if [ $n -gt 150 ]; then
			fail "$name: serve.py did not start: $(cat "$WORK/$name.err")"
			finish
		fi
		sleep 0.1
	done
	PORT=$(sed -n 's/^PORT //p' "$WORK/$name.out")
}

# ---------------------------------------------------------------- the index
IDX="$WORK/idx"
"$PYTHON3" - "$IDX" <<'EOF'
import json, os, random, sys
root = sys.argv[1]
rnd = random.Random(4)
for name in ["demo", "storm", "forever", "reset", "resetall", "stall", "garbage", "truncate"]:
    d = os.path.join(root, "simple", name)
    os.makedirs(d)
    with open(os.path.join(d, "index.html"), "w") as f:
        f.write('<!DOCTYPE html>\n<html><body><a href="../../files/%s-1.0-py3-none-any.whl">'
                "%s-1.0-py3-none-any.whl</a></body></html>\n" % (name, name))
    with open(os.path.join(d, "index.json"), "w") as f:
        json.dump({"meta": {"api-version": "1.1"}, "name": name, "files": [
            {"filename": "%s-1.0-py3-none-any.whl" % name,
             "url": "../../files/%s-1.0-py3-none-any.whl" % name, "hashes": {}}] * 20}, f)
os.makedirs(os.path.join(root, "files"))
with open(os.path.join(root, "files", "demo-1.0-py3-none-any.whl"), "wb") as f:
    f.write(bytes(rnd.getrandbits(8) for _ in range(5000)))
with open(os.path.join(root, "files", "demo-1.0-py3-none-any.whl.metadata"), "w") as f:
    f.write("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n")
EOF
WHL="$IDX/files/demo-1.0-py3-none-any.whl"
tail -c 100 "$WHL" >"$WORK/suffix100"
dd if="$WHL" of="$WORK/range10" bs=1 skip=10 count=100 2>/dev/null
SHA_HTML=$(sha "$IDX/simple/demo/index.html")
SHA_JSON=$(sha "$IDX/simple/demo/index.json")
SHA_WHL=$(sha "$WHL")
ACCEPT='application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01'
JSON_TYPE=application/vnd.pypi.simple.v1+json

cat >"$WORK/faults.json" <<'EOF'
[
 {"path": "^/simple/storm/", "kind": "status", "status": 500, "times": 2},
 {"path": "^/simple/forever/", "kind": "status", "status": 503},
 {"path": "^/simple/reset/", "kind": "reset", "times": 1},
 {"path": "^/simple/resetall/", "kind": "reset"},
 {"path": "^/simple/stall/", "kind": "stall"},
 {"path": "^/simple/garbage/", "kind": "garbage"},
 {"path": "^/simple/truncate/", "kind": "truncate"}
]
EOF
LOG="$WORK/serve.jsonl"
start_server main "$IDX" --log "$LOG" --faults "$WORK/faults.json"
B="http://127.0.0.1:$PORT"

# ---------------------------------------------------------------- negotiation
ht --accept "$ACCEPT" "$B/simple/demo/"
check_eq "$RC" 0 "JSON page: exit status"
check_eq "$(jf 1 status)" 200 "JSON page: status"
check_eq "$(jf 1 content_type)" "$JSON_TYPE" "PEP 691 Accept gets JSON"
check_eq "$(jf 1 sha256)" "$SHA_JSON" "JSON page: body is index.json"
check_eq "$(jf 1 http_version)" 11 "plain http:// is HTTP/1.1"
check_eq "$(jf 1 cache_control)" "max-age=600" "Cache-Control captured"
ETAG_JSON=$(jf 1 etag)
LM=$(jf 1 last_modified)
check_in "$LM" " GMT" "Last-Modified captured"

ht "$B/simple/demo/"
check_eq "$(jf 1 content_type)" text/html "no Accept gets HTML"
check_eq "$(jf 1 sha256)" "$SHA_HTML" "HTML page: body is index.html"
ETAG_HTML=$(jf 1 etag)
[ "$ETAG_HTML" != "$ETAG_JSON" ] && [ "$ETAG_HTML" != null ] &&
	ok "each representation has its own ETag ($ETAG_HTML, $ETAG_JSON)" ||
	fail "ETags of HTML and JSON should differ: $ETAG_HTML $ETAG_JSON"

ht --accept 'application/vnd.pypi.simple.v1+json;q=0, text/html' "$B/simple/demo/"
check_eq "$(jf 1 content_type)" text/html "q=0 refuses JSON"
ht --accept 'application/vnd.pypi.simple.v1+html' "$B/simple/demo/"
check_eq "$(jf 1 content_type)" application/vnd.pypi.simple.v1+html "the v1+html type when preferred"

ht --accept "$ACCEPT" "$B/simple/demo"
check_eq "$(jf 1 status)" 200 "redirect to the slash form followed"
check_eq "$(jf 1 effective_url)" "$B/simple/demo/" "effective URL after the redirect"
check_eq "$(jf 1 sha256)" "$SHA_JSON" "redirected body is the page alone"

# ---------------------------------------------------------------- revalidation
ht --accept "$ACCEPT" --if-none-match "$ETAG_JSON" "$B/simple/demo/"
check_eq "$(jf 1 status)" 304 "If-None-Match with the current ETag: 304"
check_eq "$(jf 1 bytes)" 0 "304 has no body"
check_eq "$(jf 1 etag)" "$ETAG_JSON" "304 repeats the ETag"
ht --accept "$ACCEPT" --if-none-match '"stale"' "$B/simple/demo/"
check_eq "$(jf 1 status)" 200 "If-None-Match with another ETag: 200"
ht --if-modified-since "$LM" "$B/simple/demo/"
check_eq "$(jf 1 status)" 304 "If-Modified-Since the Last-Modified: 304"

# ---------------------------------------------------------------- ranges
ht --range 10:100 "$B/files/demo-1.0-py3-none-any.whl"
check_eq "$(jf 1 status)" 206 "range: 206"
check_eq "$(jf 1 bytes)" 100 "range: 100 bytes"
check_eq "$(jf 1 sha256)" "$(sha "$WORK/range10")" "range: the bytes 10..109"
check_eq "$(jf 1 content_range)" "bytes 10-109/5000" "range: Content-Range"
ht --range -100 "$B/files/demo-1.0-py3-none-any.whl"
check_eq "$(jf 1 status)" 206 "suffix range: 206"
check_eq "$(jf 1 sha256)" "$(sha "$WORK/suffix100")" "suffix range: the last 100 bytes"
check_eq "$(jf 1 content_range)" "bytes 4900-4999/5000" "suffix range: Content-Range"
ht --range 9000:10 "$B/files/demo-1.0-py3-none-any.whl"
check_eq "$(jf 1 status)" 416 "range past the end: 416"
check_eq "$(jf 1 content_range)" "bytes */5000" "416 says the size"
ht --max-bytes 100 "$B/files/demo-1.0-py3-none-any.whl"
check_eq "$RC" 1 "max_bytes: a longer body fails"
check_in "$(jf 1 error)" "larger than 100 bytes" "max_bytes: the error says so"
check_eq "$(jf 1 attempts)" 1 "max_bytes: not retried"
mkdir -p "$WORK/out"
ht --class download --out-dir "$WORK/out" "$B/files/demo-1.0-py3-none-any.whl"
check_eq "$(sha "$WORK/out/0")" "$SHA_WHL" "download to a file descriptor: the file's bytes"
check_eq "$(jf 1 sha256)" "$SHA_WHL" "download: SHA-256 computed while streaming"

# ---------------------------------------------------------------- file:// and offline
F="file://$IDX"
ht --offline "$F/files/demo-1.0-py3-none-any.whl" "$F/files/nosuch.whl"
check_eq "$RC" 0 "file:// works offline"
check_eq "$(jf 1 status)" 200 "file://: 200"
check_eq "$(jf 1 sha256)" "$SHA_WHL" "file://: the file's bytes"
check_eq "$(jf 1 http_version)" 0 "file://: no HTTP version"
check_eq "$(jf 2 status)" 404 "file:// of a missing file: 404"
ht --offline --range -100 "$F/files/demo-1.0-py3-none-any.whl"
check_eq "$(jf 1 status) $(jf 1 sha256)" "206 $(sha "$WORK/suffix100")" "file:// suffix range"
ht --range 10:100 "$F/files/demo-1.0-py3-none-any.whl"
check_eq "$(jf 1 content_range) $(jf 1 sha256)" "bytes 10-109/5000 $(sha "$WORK/range10")" "file:// range"
ht --accept "$ACCEPT" "$F/simple/demo/"
check_eq "$(jf 1 content_type) $(jf 1 sha256)" "$JSON_TYPE $SHA_JSON" "file:// directory negotiates JSON"
ht "$F/simple/demo/"
check_eq "$(jf 1 content_type) $(jf 1 sha256)" "text/html $SHA_HTML" "file:// directory falls back to HTML"
ht --offline --debug "$B/simple/demo/"
check_eq "$RC" 1 "http:// offline fails"
check_eq "$(jf 1 rc)" -2 "offline: HTTP_E_OFFLINE"
check_eq "$(jf 1 error)" "offline: not fetching $B/simple/demo/" "offline: the message"
ht --debug "$F/files/demo-1.0-py3-none-any.whl"
check_in "$ERR" "http: GET $F/files/demo-1.0-py3-none-any.whl 200 file " "debug line for file://"

# ---------------------------------------------------------------- statuses and faults
ht --backoff-ms 20 "$B/files/nosuch.whl"
check_eq "$RC $(jf 1 status) $(jf 1 attempts)" "0 404 1" "404 is an answer, not retried"
check_eq "$(logq "$LOG" 'sum(r["path"] == "/files/nosuch.whl" for r in R)')" 1 "404: one request in the log"

ht --backoff-ms 20 --debug --out-dir "$WORK/out" "$B/simple/storm/"
check_eq "$RC $(jf 1 status) $(jf 1 attempts)" "0 200 3" "two 500s then success: 200 after 3 attempts"
check_eq "$(logq "$LOG" '[r["status"] for r in R if r["path"] == "/simple/storm/"]')" "[500, 500, 200]" "storm: the log"
check_eq "$(sha "$WORK/out/0")" "$(sha "$IDX/simple/storm/index.html")" "a retry starts the output file over"
check_in "$ERR" "200 h1.1" "debug line: status and protocol"
check_in "$ERR" "(attempt 3)" "debug line: attempt count"

ht --backoff-ms 20 --retries 2 "$B/simple/forever/"
check_eq "$RC $(jf 1 status) $(jf 1 attempts)" "0 503 3" "5xx forever: the last answer after the retries"
check_eq "$(logq "$LOG" 'sum(r["path"] == "/simple/forever/" for r in R)')" 3 "5xx forever: 3 requests"

ht --backoff-ms 20 "$B/simple/reset/"
check_eq "$RC $(jf 1 status) $(jf 1 attempts)" "0 200 2" "a reset connection is retried"
ht --backoff-ms 20 --retries 1 "$B/simple/resetall/"
check_eq "$RC $(jf 1 rc)" "1 -1" "reset every time: a transport error"
check_in "$(jf 1 error)" "GET $B/simple/resetall/: " "reset: the message names the URL"
check_in "$(jf 1 error)" "(after 2 attempts)" "reset: the message counts the attempts"
check_eq "$(logq "$LOG" 'sum(r["path"] == "/simple/resetall/" for r in R)')" 2 "reset: 2 requests"

ht --stall-ms 1500 --retries 0 "$B/simple/stall/"
check_eq "$RC $(jf 1 rc)" "1 -1" "a stalled body is a timeout error, no hang"
check_in "$(jf 1 error)" "too slow" "stall: the message"
ht --stall-ms 20000 --cancel-after-ms 500 "$B/simple/stall/" "$B/simple/stall/"
check_eq "$RC" 1 "freeing the client cancels waiting fetches, no hang"
check_eq "$(jf 1 error)" "GET $B/simple/stall/: cancelled" "cancelled: the message"

ht --accept "$ACCEPT" "$B/simple/garbage/"
check_eq "$RC $(jf 1 status) $(jf 1 bytes)" "0 200 512" "garbage is a 200 for the parser to reject"
check_eq "$(jf 1 content_type)" "$JSON_TYPE" "garbage comes with the negotiated type"
ht --backoff-ms 20 --retries 1 "$B/simple/truncate/"
check_eq "$RC $(jf 1 rc) $(jf 1 attempts)" "1 -1 2" "a truncated body is a transport error, retried"
check_in "$(jf 1 error)" "remaining to read" "truncated: curl's partial-file reason"

ht --retries 1 --backoff-ms 20 "http://127.0.0.1:1/simple/demo/"
check_in "$(jf 1 error)" "(after 2 attempts)" "connection refused: retried, then an error"

# ---------------------------------------------------------------- credentials
start_server auth "$IDX" --auth user:secret --log "$WORK/auth.jsonl"
A="127.0.0.1:$PORT"
ht "http://$A/simple/demo/"
check_eq "$RC $(jf 1 status)" "0 401" "no credentials: 401 returned as an answer"
ht --debug "http://user:secret@$A/simple/demo/" "http://user:wrong@$A/simple/demo/" \
	"http://user:secret@127.0.0.1:1/simple/demo/"
check_eq "$(jf 1 status)" 200 "credentials in the URL"
check_eq "$(jf 2 status)" 401 "a wrong password: 401"
check_in "$ERR" "http: GET http://user:****@$A/simple/demo/ 200 h1.1" "debug line masks the password"
check_in "$(jf 3 error)" "GET http://user:****@127.0.0.1:1/simple/demo/: " "errors mask the password"
check_not_in "$OUT$ERR" secret "the password appears nowhere in the output"
printf 'machine 127.0.0.1\nlogin user\npassword secret\n' >"$WORK/home/.netrc"
chmod 600 "$WORK/home/.netrc"
ht --debug "http://$A/simple/demo/"
check_eq "$(jf 1 status)" 200 "credentials from ~/.netrc"
check_not_in "$OUT$ERR" secret "netrc: the password appears nowhere in the output"
mv "$WORK/home/.netrc" "$WORK/other-netrc"
export NETRC="$WORK/other-netrc"   # (an assignment before a function call may stay)
ht "http://$A/simple/demo/"
unset NETRC
check_eq "$(jf 1 status)" 200 "credentials from \$NETRC"
ht "http://$A/simple/demo/"
check_eq "$(jf 1 status)" 401 "without a netrc: 401 again"

# ---------------------------------------------------------------- per-host caps
start_server slow "$IDX" --delay-ms 200 --log "$WORK/slow.jsonl"
S="http://127.0.0.1:$PORT/simple/demo/"
ht --index-cap 2 "$S" "$S" "$S" "$S" "$S" "$S" "$S" "$S"
check_eq "$(jall status)" "8:200" "cap 2: all 8 fetched"
check_eq "$(logq "$WORK/slow.jsonl" 'max(r["inflight"] for r in R)')" 2 "index cap 2: at most 2 requests at once"
: >"$WORK/slow.jsonl"
D="http://127.0.0.1:$PORT/files/demo-1.0-py3-none-any.whl"
ht --class download --download-cap 3 --index-cap 1 "$D" "$D" "$D" "$D" "$D" "$D" "$D" "$D" "$D"
check_eq "$(jall sha256)" "9:$SHA_WHL" "download cap 3: all 9 fetched"
check_eq "$(logq "$WORK/slow.jsonl" 'max(r["inflight"] for r in R[-9:])')" 3 "download cap 3: at most 3 at once"

# ---------------------------------------------------------------- TLS and HTTP/2 (nginx)
if [ ! -x /usr/sbin/nginx ]; then
	fail "nginx is not installed (apt-get install nginx-light): the HTTP/2 checks cannot run"
else
	mkdir -p "$WORK/nginx"
	"$PYTHON3" "$FIXTURES_DIR/nginx/run.py" "$IDX" "$WORK/nginx" >"$WORK/nginx.out" 2>"$WORK/nginx.err" &
	PIDS="$PIDS $!"
	n=0
	until grep -q '^CA ' "$WORK/nginx.out" 2>/dev/null || [ $n -gt 150 ]; do
		n=$((n + 1))
		sleep 0.1
	done
	NPORT=$(sed -n 's/^PORT //p' "$WORK/nginx.out")
	CA=$(sed -n 's/^CA //p' "$WORK/nginx.out")
	if [ -z "$CA" ]; then
		fail "nginx did not start: $(cat "$WORK/nginx.err")"
	else
		H="https://127.0.0.1:$NPORT/simple/demo/"
		set --
		i=0
		while [ $i -lt 20 ]; do
			set -- "$@" "$H"
			i=$((i + 1))
		done
		ht --cert "$CA" --accept "$ACCEPT" "$@"
		check_eq "$RC" 0 "https: 20 fetches"
		check_eq "$(jall http_version)" "20:20" "https: all 20 over HTTP/2"
		check_eq "$(jall sha256)" "20:$SHA_JSON" "https: gzip-encoded JSON decoded to the page"
		check_eq "$("$PYTHON3" -c '
import sys
conns = {l.split()[0] for l in open(sys.argv[1]) if l.strip()}
print(len(conns))' "$WORK/nginx/access.log")" 1 "https: the 20 requests shared one connection"
		SENT=$(awk 'NR == 1 { print $6 }' "$WORK/nginx/access.log")
		SIZE=$(wc -c <"$IDX/simple/demo/index.json" | tr -d ' ')
		[ "$SENT" -lt "$SIZE" ] && ok "https: the page came compressed ($SENT bytes sent for $SIZE)" ||
			fail "https: the page should have come gzip-encoded: $SENT bytes sent for $SIZE"
		ht "https://localhost:$NPORT/files/demo-1.0-py3-none-any.whl"
		check_eq "$RC $(jf 1 rc)" "1 -1" "an unknown CA is refused (verification stays on)"
		check_in "$(jf 1 error)" "certificate" "unknown CA: the message says why"
		export SSL_CERT_FILE="$CA"
		ht --range -100 "https://localhost:$NPORT/files/demo-1.0-py3-none-any.whl"
		unset SSL_CERT_FILE
		check_eq "$(jf 1 status) $(jf 1 sha256)" "206 $(sha "$WORK/suffix100")" "\$SSL_CERT_FILE, localhost, range over HTTP/2"
	fi
fi

echo "$CHECKS checks"
finish

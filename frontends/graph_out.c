/*
 * graph_out.c - rendering the graph and the last run.
 */
#include "config.h"

#include "graph_out.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/buf.h"

static const char *
result_name(NodeResult r)
{
	static const char *const names[] = {
		[NR_NONE] = "none", [NR_CLEAN] = "clean", [NR_RESTORED] = "restored",
		[NR_RAN] = "ran", [NR_FAILED] = "failed", [NR_SKIPPED] = "skipped",
		[NR_WOULD_RUN] = "would-run",
	};

	return r <= NR_WOULD_RUN ? names[r] : "unknown";
}

static const char *
state_name(const NodeInfo *ni)
{
	if (ni->failed)
		return "failed";
	if (!ni->built)
		return "never built";
	return ni->is_volatile ? "built, runs every time" : "built";
}

/* What a node read (or wrote, with outputs) into a reusable array. */
static size_t
edges_of(Engine *eng, uint32_t id, bool outputs, uint32_t **buf, size_t *cap)
{
	size_t (*get)(Engine *, uint32_t, uint32_t *, size_t) = outputs ? eng_node_outputs : eng_node_deps;
	size_t n = get(eng, id, *buf, *cap);

	if (n > *cap) {
		*cap = n;
		*buf = xrealloc(*buf, n * sizeof(**buf));
		get(eng, id, *buf, *cap);
	}
	return n;
}

static void
node_name(Engine *eng, uint32_t id, Buf *out)
{
	NodeInfo ni;

	buf_clear(out);
	if (eng_node_info(eng, id, &ni) == 0)
		buf_printf(out, "%s:%s", ni.kind, ni.key);
	else
		buf_printf(out, "#%u", id);
}

void
graph_out_text(FILE *f, const GraphView *v, const Term *t)
{
	uint32_t *ids = NULL, id;
	size_t cap = 0, n, i;
	Buf name = { 0 };

	for (id = 1; id < v->limit; id++) {
		NodeInfo ni;
		char hex[DIGEST_HEX_LEN + 1];

		if (!v->shown[id] || eng_node_info(v->eng, id, &ni) != 0)
			continue;
		hash_hex(ni.value.b, 6, hex);
		fprintf(f, "%s%s:%s%s  [%s", term_bold(t, f), ni.kind, ni.key, term_reset(t, f),
			state_name(&ni));
		if (ni.built)
			fprintf(f, ", value %s", hex);
		if (ni.duration_us > 0)
			fprintf(f, ", last run %.3fs", (double)ni.duration_us / 1e6);
		fputs("]\n", f);
		n = edges_of(v->eng, id, false, &ids, &cap);
		for (i = 0; i < n; i++) {
			node_name(v->eng, ids[i], &name);
			fprintf(f, "    %sreads%s %s\n", term_dim(t, f), term_reset(t, f), name.data);
		}
		n = edges_of(v->eng, id, true, &ids, &cap);
		for (i = 0; i < n; i++) {
			node_name(v->eng, ids[i], &name);
			fprintf(f, "    %swrites%s %s\n", term_dim(t, f), term_reset(t, f), name.data);
		}
	}
	free(ids);
	buf_free(&name);
}

static void
dot_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

void
graph_out_dot(FILE *f, const GraphView *v)
{
	uint32_t *ids = NULL, id;
	size_t cap = 0, n, i;

	fputs("digraph bunpy {\n  rankdir=LR;\n  node [fontname=\"monospace\", fontsize=10];\n", f);
	for (id = 1; id < v->limit; id++) {
		NodeInfo ni;
		Buf label = { 0 };
		const char *shape = "box";

		if (!v->shown[id] || eng_node_info(v->eng, id, &ni) != 0)
			continue;
		buf_printf(&label, "%s:%s", ni.kind, ni.key);
		if (!strcmp(ni.kind, "file"))
			shape = "note";
		else if (!strcmp(ni.kind, "glob"))
			shape = "folder";
		else if (strcmp(ni.kind, "task") != 0)
			shape = "component";
		fprintf(f, "  n%u [label=", id);
		dot_string(f, label.data);
		fprintf(f, ", shape=%s%s];\n", shape,
			ni.failed ? ", color=red" : !ni.built ? ", style=dashed" : "");
		buf_free(&label);
	}
	for (id = 1; id < v->limit; id++) {
		if (!v->shown[id])
			continue;
		n = edges_of(v->eng, id, false, &ids, &cap);
		for (i = 0; i < n; i++)
			if (ids[i] < v->limit && v->shown[ids[i]])
				fprintf(f, "  n%u -> n%u;\n", ids[i], id);
		n = edges_of(v->eng, id, true, &ids, &cap);
		for (i = 0; i < n; i++)
			if (ids[i] < v->limit && v->shown[ids[i]])
				fprintf(f, "  n%u -> n%u [style=dashed, label=\"writes\"];\n", id, ids[i]);
	}
	fputs("}\n", f);
	free(ids);
}

static void
json_str(FILE *f, const char *s)
{
	Buf b = { 0 };

	buf_json_string(&b, s, strlen(s));
	fwrite(b.data, 1, b.len, f);
	buf_free(&b);
}

static void
json_ids(FILE *f, const uint32_t *ids, size_t n)
{
	size_t i;

	fputc('[', f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%u", i ? "," : "", ids[i]);
	fputc(']', f);
}

void
graph_out_json(FILE *f, const GraphView *v)
{
	uint32_t *ids = NULL, id;
	size_t cap = 0, n;
	bool first = true;

	fputs("{\"root\":", f);
	json_str(f, v->root);
	fputs(",\"nodes\":[", f);
	for (id = 1; id < v->limit; id++) {
		NodeInfo ni;
		char hex[DIGEST_HEX_LEN + 1];

		if (!v->shown[id] || eng_node_info(v->eng, id, &ni) != 0)
			continue;
		hash_hex(ni.value.b, sizeof(ni.value.b), hex);
		fprintf(f, "%s\n{\"id\":%u,\"kind\":", first ? "" : ",", id);
		json_str(f, ni.kind);
		fputs(",\"key\":", f);
		json_str(f, ni.key);
		fprintf(f, ",\"state\":\"%s\",\"volatile\":%s,\"rule_version\":%u,\"value\":\"%s\","
			"\"duration_us\":%lld,\"deps\":",
			ni.failed ? "failed" : ni.built ? "built" : "never-built",
			ni.is_volatile ? "true" : "false", ni.rule_version, ni.built ? hex : "",
			(long long)ni.duration_us);
		n = edges_of(v->eng, id, false, &ids, &cap);
		json_ids(f, ids, n);
		fputs(",\"outputs\":", f);
		n = edges_of(v->eng, id, true, &ids, &cap);
		json_ids(f, ids, n);
		fputc('}', f);
		first = false;
	}
	fputs("\n]}\n", f);
	free(ids);
}

void
graph_out_trace(FILE *f, Engine *eng, const RunInfo *run)
{
	uint32_t maxlane = 0, lane;
	size_t i;
	Buf name = { 0 };

	fputs("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"command\":", f);
	json_str(f, run->command ? run->command : "");
	fprintf(f, ",\"started_us\":%lld,\"exit_status\":%d},\"traceEvents\":[\n",
		(long long)run->started_us, run->status);
	fputs("{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{\"name\":\"bunpy\"}}", f);
	for (i = 0; i < run->nrecords; i++)
		if (run->records[i].lane > maxlane)
			maxlane = run->records[i].lane;
	for (lane = 0; lane <= maxlane; lane++)
		fprintf(f, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%u,"
			"\"args\":{\"name\":\"%s %u\"}}", lane, lane ? "worker" : "coordinator", lane);
	for (i = 0; i < run->nrecords; i++) {
		const RunRecord *r = &run->records[i];
		NodeInfo ni;

		if (eng_node_info(eng, r->node, &ni) != 0)
			continue;
		node_name(eng, r->node, &name);
		fputs(",\n{\"name\":", f);
		json_str(f, name.data);
		fputs(",\"cat\":", f);
		json_str(f, ni.kind);
		fprintf(f, ",\"ph\":\"X\",\"ts\":%lld,\"dur\":%lld,\"pid\":1,\"tid\":%u,"
			"\"args\":{\"result\":\"%s\",\"cached\":%s}}",
			(long long)r->start_us, (long long)(r->end_us - r->start_us), r->lane,
			result_name(r->result),
			r->result == NR_CLEAN || r->result == NR_RESTORED ? "true" : "false");
	}
	fputs("\n]}\n", f);
	buf_free(&name);
}

typedef struct ByEnd {
	int64_t end_us;
	uint32_t index;
} ByEnd;

static int
cmp_end(const void *a, const void *b)
{
	const ByEnd *x = a, *y = b;

	if (x->end_us != y->end_us)
		return x->end_us < y->end_us ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

typedef struct KindRow {
	const char *kind;
	size_t counts[NR_WOULD_RUN + 1];
	size_t total;
} KindRow;

void
graph_out_stats(FILE *f, Engine *eng, const RunInfo *run, const Term *t)
{
	uint32_t limit = eng_node_limit(eng), id;
	KindRow *rows = NULL;
	size_t nrows = 0, i, r, hits = 0, misses = 0;
	int64_t *dur, *path, work = 0, best = 0;
	uint32_t *rec_of, *prev, best_end = 0;
	uint32_t *ids = NULL;
	size_t cap = 0;
	size_t nodes_by_kind_total = 0;
	time_t when = (time_t)(run->started_us / 1000000);
	char stamp[64];

	/* counts per kind, over the whole graph and over the last run */
	for (id = 1; id < limit; id++) {
		NodeInfo ni;

		if (eng_node_info(eng, id, &ni) != 0)
			continue;
		for (r = 0; r < nrows && strcmp(rows[r].kind, ni.kind); r++)
			;
		if (r == nrows) {
			rows = xrealloc(rows, (nrows + 1) * sizeof(*rows));
			memset(&rows[nrows], 0, sizeof(*rows));
			rows[nrows++].kind = ni.kind;
		}
		rows[r].total++;
		nodes_by_kind_total++;
	}
	rec_of = xcalloc(limit, sizeof(*rec_of));
	for (i = 0; i < run->nrecords; i++) {
		const RunRecord *rec = &run->records[i];
		NodeInfo ni;

		if (eng_node_info(eng, rec->node, &ni) != 0)
			continue;
		rec_of[rec->node] = (uint32_t)i + 1;
		for (r = 0; r < nrows && strcmp(rows[r].kind, ni.kind); r++)
			;
		if (r < nrows)
			rows[r].counts[rec->result]++;
		if (strcmp(ni.kind, "file") && strcmp(ni.kind, "glob")) {
			if (rec->result == NR_CLEAN || rec->result == NR_RESTORED)
				hits++;
			else if (rec->result == NR_RAN)
				misses++;
		}
		if (rec->result == NR_RAN || rec->result == NR_RESTORED)
			work += rec->end_us - rec->start_us;
	}
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", localtime(&when));
	fprintf(f, "%sGraph:%s %zu nodes\n", term_bold(t, f), term_reset(t, f), nodes_by_kind_total);
	fprintf(f, "%sLast run:%s bunpy %s, %s, %.3fs, exit status %d\n\n", term_bold(t, f),
		term_reset(t, f), run->command, stamp,
		(double)(run->ended_us - run->started_us) / 1e6, run->status);
	fprintf(f, "  %-12s %8s %8s %8s %8s %8s %8s\n", "kind", "nodes", "clean", "restored",
		"ran", "failed", "skipped");
	for (r = 0; r < nrows; r++)
		fprintf(f, "  %-12s %8zu %8zu %8zu %8zu %8zu %8zu\n", rows[r].kind, rows[r].total,
			rows[r].counts[NR_CLEAN], rows[r].counts[NR_RESTORED], rows[r].counts[NR_RAN],
			rows[r].counts[NR_FAILED], rows[r].counts[NR_SKIPPED]);
	fprintf(f, "\n  cache hits: %zu of %zu nodes (file and glob checks not counted)", hits,
		hits + misses);
	if (hits + misses)
		fprintf(f, ", %.1f%%", 100.0 * (double)hits / (double)(hits + misses));
	fprintf(f, "\n  work done:  %.3fs (running and restoring, summed over workers)\n",
		(double)work / 1e6);

	/* Critical path: the heaviest chain of run nodes along trace edges. A dep ends
	 * before its dependent does, so going through records by end time sees every
	 * dep's path before it is needed. */
	dur = xcalloc(run->nrecords + 1, sizeof(*dur));
	path = xcalloc(run->nrecords + 1, sizeof(*path));
	prev = xcalloc(run->nrecords + 1, sizeof(*prev));
	{
		ByEnd *order = xmalloc((run->nrecords + 1) * sizeof(*order));
		size_t j;

		for (i = 0; i < run->nrecords; i++) {
			const RunRecord *rec = &run->records[i];

			order[i] = (ByEnd){ rec->end_us, (uint32_t)i };
			dur[i + 1] = rec->result == NR_RAN || rec->result == NR_RESTORED ?
				     rec->end_us - rec->start_us : 0;
		}
		qsort(order, run->nrecords, sizeof(*order), cmp_end);
		for (j = 0; j < run->nrecords; j++) {
			uint32_t ri = order[j].index;
			const RunRecord *rec = &run->records[ri];
			size_t nd = edges_of(eng, rec->node, false, &ids, &cap), d;
			int64_t best_dep = 0;
			uint32_t best_prev = 0;

			for (d = 0; d < nd; d++) {
				uint32_t di = ids[d] < limit ? rec_of[ids[d]] : 0;

				if (di && path[di] > best_dep) {
					best_dep = path[di];
					best_prev = di;
				}
			}
			path[ri + 1] = best_dep + dur[ri + 1];
			prev[ri + 1] = best_prev;
			if (path[ri + 1] > best) {
				best = path[ri + 1];
				best_end = ri + 1;
			}
		}
		free(order);
	}
	fprintf(f, "  critical path: %.3fs", (double)best / 1e6);
	if (best_end) {
		uint32_t *chain = xmalloc((run->nrecords + 1) * sizeof(*chain));
		size_t len = 0;
		uint32_t at;
		Buf name = { 0 };

		for (at = best_end; at && len <= run->nrecords; at = prev[at])
			if (dur[at] > 0)
				chain[len++] = at;
		fputs(" (", f);
		while (len) {
			node_name(eng, run->records[chain[--len] - 1].node, &name);
			fprintf(f, "%s%s", name.data, len ? " -> " : "");
		}
		fputc(')', f);
		free(chain);
		buf_free(&name);
	}
	fputc('\n', f);
	free(dur);
	free(path);
	free(prev);
	free(rec_of);
	free(rows);
	free(ids);
}

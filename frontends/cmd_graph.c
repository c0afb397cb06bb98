/*
 * cmd_graph.c - `bunpy graph`: show the persisted graph, explain, export the last run.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "graph_out.h"
#include "project.h"

enum { OPT_FORMAT = 1, OPT_KIND, OPT_WHY, OPT_TRACE, OPT_STATS };

static const CliOption graph_options[] = {
	{ "format", 0, "FMT", "text (default), dot (Graphviz) or json", OPT_FORMAT },
	{ "kind", 0, "KIND", "show only nodes of this kind (task, file, glob, ...)", OPT_KIND },
	{ "why", 0, "TARGET", "explain why TARGET would run in the next build", OPT_WHY },
	{ "trace", 0, "FILE", "write the last run as Chrome Trace Event JSON ('-': stdout)", OPT_TRACE },
	{ "stats", 0, NULL, "counts per kind and result, cache hits, critical path of the last run", OPT_STATS },
	{ NULL, 0, NULL, NULL, 0 },
};

static int graph_main(Cli *cli, int argc, char **argv);

/* Mark targets and everything they read or write, transitively. */
static int
select_nodes(Cli *cli, Engine *eng, uint8_t *shown, uint32_t limit)
{
	uint32_t *stack = xmalloc((size_t)limit * sizeof(*stack) + sizeof(*stack));
	uint32_t *ids = NULL;
	size_t sp = 0, cap = 0, n, i;
	int t;

	for (t = 0; t < cli->noperands; t++) {
		char *owned;
		NodeRef ref = project_target(eng, cli->operands[t], &owned);
		uint32_t id;

		if (eng_find(eng, ref.kind, ref.key, &id) != 0) {
			term_error(&cli->term, "%s:%s is not in the graph (has it been built?)", ref.kind, ref.key);
			free(owned);
			free(stack);
			return 2;
		}
		free(owned);
		if (!shown[id]) {
			shown[id] = 1;
			stack[sp++] = id;
		}
	}
	while (sp) {
		uint32_t id = stack[--sp];
		int pass;

		for (pass = 0; pass < 2; pass++) {
			n = pass ? eng_node_outputs(eng, id, ids, cap) : eng_node_deps(eng, id, ids, cap);
			if (n > cap) {
				cap = n;
				ids = xrealloc(ids, cap * sizeof(*ids));
				n = pass ? eng_node_outputs(eng, id, ids, cap) : eng_node_deps(eng, id, ids, cap);
			}
			for (i = 0; i < n; i++) {
				if (ids[i] < limit && !shown[ids[i]]) {
					shown[ids[i]] = 1;
					stack[sp++] = ids[i];
				}
			}
		}
	}
	free(ids);
	free(stack);
	return 0;
}

static int
explain(Cli *cli, Engine *eng, const char *target)
{
	char *owned;
	NodeRef ref = project_target(eng, target, &owned);
	Buf why = { 0 };
	Err err;
	int rc = 0;

	if (eng_explain(eng, &ref, &why, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		rc = 1;
	} else {
		fputs(why.data, stdout);
	}
	buf_free(&why);
	free(owned);
	return rc;
}

static int
last_run(Cli *cli, Engine *eng, const char *trace_file, bool stats)
{
	RunInfo run;
	bool found;
	Err err;
	int rc = 0;

	if (eng_last_run(eng, &run, &found, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		return 1;
	}
	if (!found) {
		term_error(&cli->term, "no run has been recorded in this project yet");
		return 1;
	}
	if (trace_file) {
		bool to_stdout = !strcmp(trace_file, "-");
		Buf tmp = { 0 };
		FILE *f = stdout;

		if (!to_stdout) {
			/* written under a temporary name: never a half-written trace */
			buf_printf(&tmp, "%s.tmp-%ld", trace_file, (long)getpid());
			f = fopen(tmp.data, "w");
		}
		if (!f) {
			term_error(&cli->term, "cannot write %s: %s", trace_file, strerror(errno));
			rc = 1;
		} else {
			graph_out_trace(f, eng, &run);
			if (!to_stdout) {
				if (fclose(f) != 0 || rename(tmp.data, trace_file) != 0) {
					term_error(&cli->term, "cannot write %s: %s", trace_file, strerror(errno));
					unlink(tmp.data);
					rc = 1;
				} else {
					term_note(&cli->term, "wrote the last run (%zu nodes) to %s; open it in"
						  " https://ui.perfetto.dev", run.nrecords, trace_file);
				}
			}
		}
		buf_free(&tmp);
	}
	if (stats && rc == 0)
		graph_out_stats(stdout, eng, &run, &cli->term);
	run_info_free(&run);
	return rc;
}

static int
graph_main(Cli *cli, int argc, char **argv)
{
	EngineConfig cfg = { .readonly = true, .command = "graph" };
	const char *format = "text", *kind = NULL, *why = NULL, *trace = NULL, *arg;
	bool stats = false;
	Project p;
	Engine *eng = NULL;
	int id, rc;

	cli_begin(cli, &cmd_graph, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE) {
		switch (id) {
		case CLI_HELP: return 0;
		case CLI_ERROR: return 2;
		case OPT_FORMAT:
			if (strcmp(arg, "text") && strcmp(arg, "dot") && strcmp(arg, "json"))
				return cli_usage_error(cli, "--format takes text, dot or json, not '%s'", arg);
			format = arg;
			break;
		case OPT_KIND: kind = arg; break;
		case OPT_WHY: why = arg; break;
		case OPT_TRACE: trace = arg; break;
		case OPT_STATS: stats = true; break;
		}
	}
	if ((rc = project_find(cli, &p)) != 0)
		return rc;
	rc = project_open(cli, &p, &cfg, &eng);
	if (rc == 3) {
		/* nothing built yet: an empty graph, or say so */
		rc = 0;
		if (why)
			printf("task:%s would run: nothing has been built in this project yet\n", why);
		else if (trace || stats)
			term_error(&cli->term, "no run has been recorded in this project yet"), rc = 1;
		else if (!strcmp(format, "dot"))
			puts("digraph bunpy {\n}");
		else if (!strcmp(format, "json"))
			puts("{\"nodes\":[]}");
		else
			term_note(&cli->term, "nothing has been built in %s yet", p.root);
		project_free(&p);
		return rc;
	}
	if (rc != 0) {
		project_free(&p);
		return rc;
	}
	if (why) {
		rc = explain(cli, eng, why);
	} else if (trace || stats) {
		rc = last_run(cli, eng, trace, stats);
	} else {
		uint32_t limit = eng_node_limit(eng), n;
		uint8_t *shown = xcalloc(limit, 1);
		GraphView v = { eng, shown, limit, p.root };

		if (cli->noperands)
			rc = select_nodes(cli, eng, shown, limit);
		else
			memset(shown, 1, limit);
		for (n = 1; rc == 0 && kind && n < limit; n++) {
			NodeInfo ni;

			if (shown[n] && eng_node_info(eng, n, &ni) == 0 && strcmp(ni.kind, kind))
				shown[n] = 0;
		}
		if (rc == 0) {
			if (!strcmp(format, "dot"))
				graph_out_dot(stdout, &v);
			else if (!strcmp(format, "json"))
				graph_out_json(stdout, &v);
			else
				graph_out_text(stdout, &v, &cli->term);
		}
		free(shown);
	}
	eng_close(eng);
	project_free(&p);
	return rc;
}

const CliCommand cmd_graph = {
	.name = "graph",
	.usage = "[OPTIONS] [TARGET...]",
	.summary = "show the build graph, explain a rebuild, export the last run",
	.description = "Show the graph bunpy keeps of this project's work: every node, what it read and\n"
		"what it wrote. TARGET (a task name, or KIND:KEY such as file:src/app.py) limits it\n"
		"to what TARGET depends on.",
	.options = graph_options,
	.run = graph_main,
};

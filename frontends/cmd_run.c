/*
 * cmd_run.c - `bunpy run [TASK...]`: bring tasks up to date, or list them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "engine/engine.h"
#include "project.h"
#include "rules/rules.h"
#include "rules/taskdef.h"

enum { OPT_JOBS = 1, OPT_KEEP_GOING, OPT_DRY_RUN };

static const CliOption run_options[] = {
	{ "jobs", 'j', "N", "run at most N tasks at once (default: number of cores)", OPT_JOBS },
	{ "keep-going", 'k', NULL, "after a failure, still run what does not depend on it", OPT_KEEP_GOING },
	{ "dry-run", 'n', NULL, "say which tasks would run and why, run nothing", OPT_DRY_RUN },
	{ NULL, 0, NULL, NULL, 0 },
};

static int run_main(Cli *cli, int argc, char **argv);

typedef struct RunState {
	Cli *cli;
	size_t ran, clean, restored, failed, skipped;
} RunState;

static void
on_started(void *ctx, const char *kind, const char *key, const char *detail)
{
	RunState *rs = ctx;
	const Term *t = &rs->cli->term;

	if (strcmp(kind, "task") != 0 || t->verbosity < 0)
		return;
	fprintf(stderr, "%s[%s]%s %s%s%s\n", term_bold(t, stderr), key, term_reset(t, stderr),
		term_dim(t, stderr), detail ? detail : "", term_reset(t, stderr));
	fflush(stderr);
}

static const char *
result_word(NodeResult r)
{
	switch (r) {
	case NR_CLEAN: return "up to date";
	case NR_RESTORED: return "restored from cache";
	case NR_RAN: return "ran";
	case NR_FAILED: return "failed";
	case NR_SKIPPED: return "not run";
	default: return "unknown";
	}
}

static void
on_finished(void *ctx, const char *kind, const char *key, NodeResult r, int64_t us,
	    const char *error)
{
	RunState *rs = ctx;
	bool task = !strcmp(kind, "task");

	if (task) {
		switch (r) {
		case NR_RAN: rs->ran++; break;
		case NR_CLEAN: rs->clean++; break;
		case NR_RESTORED: rs->restored++; break;
		case NR_FAILED: rs->failed++; break;
		case NR_SKIPPED: rs->skipped++; break;
		default: break;
		}
	}
	if (rs->cli->term.verbosity >= (task ? 1 : 2))
		term_debug(&rs->cli->term, "%s:%s %s (%.3fs)%s%s", kind, key, result_word(r),
			   (double)us / 1e6, error ? ": " : "", error ? error : "");
}

static int
list_tasks(Cli *cli, Project *p, Engine *eng)
{
	NodeRef goal = { "tasks", RULES_PYPROJECT };
	BuildReport report;
	NodeValue v;
	size_t i, n, width = 0;
	Err err;
	int rc = 0;

	if (eng_build(eng, &goal, 1, &report, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		return 1;
	}
	if (report.nfailures) {
		term_error(&cli->term, "%s", report.failures[0].message);
		build_report_free(&report);
		return 2;
	}
	build_report_free(&report);
	if (eng_value(eng, "tasks", RULES_PYPROJECT, &v, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		return 1;
	}
	n = taskdef_count(v.data, v.len);
	if (!n) {
		printf("%s/%s declares no tasks. Add some under [tool.bunpy.tasks], e.g.\n\n"
		       "  [tool.bunpy.tasks]\n  test = \"python -m pytest\"\n", p->root, RULES_PYPROJECT);
		return 0;
	}
	for (i = 0; i < n; i++) {
		const char *name, *json;
		size_t nl, jl;

		if (taskdef_entry(v.data, v.len, i, &name, &nl, &json, &jl) && nl > width)
			width = nl;
	}
	printf("Tasks in %s/%s:\n", p->root, RULES_PYPROJECT);
	for (i = 0; i < n && rc == 0; i++) {
		const char *name, *json;
		size_t nl, jl;
		Arena a = { 0 };
		TaskDef def;

		if (!taskdef_entry(v.data, v.len, i, &name, &nl, &json, &jl) ||
		    taskdef_decode(json, jl, &a, &def, &err) != 0) {
			term_error(&cli->term, "the task table is damaged; delete %s/.bunpy", p->root);
			rc = 1;
		} else {
			printf("  %s%-*s%s  %s\n", term_bold(&cli->term, stdout), (int)width, def.name,
			       term_reset(&cli->term, stdout), *def.description ? def.description : def.command);
		}
		arena_free(&a);
	}
	return rc;
}

static int
dry_run(Cli *cli, Engine *eng, char *const *tasks, int ntasks)
{
	int i;

	for (i = 0; i < ntasks; i++) {
		NodeRef goal = { "task", tasks[i] };
		Buf why = { 0 };
		Err err;

		if (eng_explain(eng, &goal, &why, &err) != 0) {
			term_error(&cli->term, "%s", err.msg);
			buf_free(&why);
			return 1;
		}
		fputs(why.data, stdout);
		buf_free(&why);
	}
	return 0;
}

static void
on_warning(void *ctx, const char *message)
{
	RunState *rs = ctx;

	term_warn(&rs->cli->term, "%s", message);
}

static void
summarize(Cli *cli, const RunState *rs, const BuildReport *report)
{
	size_t total = rs->ran + rs->clean + rs->restored + rs->failed + rs->skipped;
	Buf parts = { 0 };

	if (total == rs->skipped)
		return;   /* nothing was even checked: the error said it all */
	if (rs->ran)
		buf_printf(&parts, "%zu ran", rs->ran);
	if (rs->clean)
		buf_printf(&parts, "%s%zu up to date", parts.len ? ", " : "", rs->clean);
	if (rs->restored)
		buf_printf(&parts, "%s%zu restored from cache", parts.len ? ", " : "", rs->restored);
	if (rs->failed)
		buf_printf(&parts, "%s%zu failed", parts.len ? ", " : "", rs->failed);
	if (rs->skipped)
		buf_printf(&parts, "%s%zu not run", parts.len ? ", " : "", rs->skipped);
	term_note(&cli->term, "%zu task%s: %s (%.2fs)", total, total == 1 ? "" : "s", parts.data,
		  (double)report->wall_us / 1e6);
	buf_free(&parts);
}

static int
run_main(Cli *cli, int argc, char **argv)
{
	EngineConfig cfg = { 0 };
	RunState rs = { .cli = cli };
	BuildReport report;
	Project p;
	Engine *eng = NULL;
	NodeRef *goals;
	bool dry = false;
	const char *arg;
	Err err;
	int id, rc, i;

	cli_begin(cli, &cmd_run, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE) {
		switch (id) {
		case CLI_HELP: return 0;
		case CLI_ERROR: return 2;
		case OPT_JOBS:
			if ((cfg.jobs = cli_positive(arg)) < 0)
				return cli_usage_error(cli, "--jobs takes a positive number, not '%s'", arg);
			break;
		case OPT_KEEP_GOING: cfg.keep_going = true; break;
		case OPT_DRY_RUN: dry = true; break;
		}
	}
	if ((rc = project_find(cli, &p)) != 0)
		return rc;
	cfg.command = "run";
	cfg.handle_signals = true;
	cfg.hooks = (EngineHooks){ &rs, on_started, on_finished, on_warning };
	if ((rc = project_open(cli, &p, &cfg, &eng)) != 0) {
		project_free(&p);
		return rc;
	}
	if (cli->noperands == 0) {
		rc = list_tasks(cli, &p, eng);
		goto out;
	}
	for (i = 0; i < cli->noperands; i++) {
		if (!taskdef_valid_name(cli->operands[i], strlen(cli->operands[i]))) {
			rc = cli_usage_error(cli, "'%s' is not a task name", cli->operands[i]);
			goto out;
		}
	}
	if (dry) {
		rc = dry_run(cli, eng, cli->operands, cli->noperands);
		goto out;
	}
	goals = xcalloc((size_t)cli->noperands, sizeof(*goals));
	for (i = 0; i < cli->noperands; i++)
		goals[i] = (NodeRef){ "task", cli->operands[i] };
	if (eng_build(eng, goals, (size_t)cli->noperands, &report, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		free(goals);
		rc = 1;
		goto out;
	}
	free(goals);
	for (i = 0; i < (int)report.nfailures; i++)
		term_error(&cli->term, "%s", report.failures[i].message);
	if (report.interrupted)
		term_error(&cli->term, "interrupted; what finished is kept, the next run does the rest");
	summarize(cli, &rs, &report);
	rc = report.interrupted ? 130 : report.exit_code;
	build_report_free(&report);
out:
	eng_close(eng);
	project_free(&p);
	return rc;
}

const CliCommand cmd_run = {
	.name = "run",
	.usage = "[OPTIONS] [TASK...]",
	.summary = "run the project's tasks, only those out of date",
	.description = "Run the project's tasks ([tool.bunpy.tasks] in pyproject.toml), each only when\n"
		"its command, environment, inputs or dependencies changed or an output is missing.\n"
		"Without TASK, list the tasks.",
	.options = run_options,
	.run = run_main,
};

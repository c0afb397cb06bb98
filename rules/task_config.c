/*
 * task_config.c - the kinds "tasks" (the task table of pyproject.toml) and "task-def"
 * (one task's definition).
 *
 * Splitting the two gives each task its own early cutoff: editing pyproject.toml
 * re-parses the table once, and only the tasks whose definition changed re-run.
 */
#include "config.h"

#include <string.h>

#include "engine/fs.h"
#include "rules.h"
#include "taskdef.h"

#define TASKS_RULE_VERSION 1
#define TASK_DEF_RULE_VERSION 1

static RuleStatus
tasks_run(RuleCtx *ctx)
{
	const char *file = rule_key(ctx);
	char *path = fs_path_join(rule_arena(ctx), rule_root(ctx), file);
	Buf text = { 0 }, table = { 0 };
	Err err;
	RuleStatus s = RULE_DONE;

	if (!rule_need(ctx, "file", file))
		return RULE_SUSPEND;
	if (fs_read_file(path, &text, &err) != 0)
		s = rule_fail(ctx, 2, "%s", err.msg);
	else if (taskdef_parse_pyproject(text.data, text.len, file, &table, &err) != 0)
		s = rule_fail(ctx, 2, "%s", err.msg);
	else
		rule_set_data(ctx, table.data, table.len);
	buf_free(&text);
	buf_free(&table);
	return s;
}

static RuleStatus
missing_task(RuleCtx *ctx, const NodeValue *tasks)
{
	Buf names = { 0 };
	size_t i, n = taskdef_count(tasks->data, tasks->len);
	RuleStatus s;

	for (i = 0; i < n && i < 12; i++) {
		const char *name, *json;
		size_t nl, jl;

		if (taskdef_entry(tasks->data, tasks->len, i, &name, &nl, &json, &jl))
			buf_printf(&names, "%s%.*s", i ? ", " : "", (int)nl, name);
	}
	if (n > 12)
		buf_printf(&names, ", ... (%zu in all)", n);
	if (n)
		s = rule_fail(ctx, 2, "no task named '%s' in %s (its tasks: %s)", rule_key(ctx),
			      RULES_PYPROJECT, names.data);
	else
		s = rule_fail(ctx, 2, "no task named '%s': %s declares no [tool.bunpy.tasks]",
			      rule_key(ctx), RULES_PYPROJECT);
	buf_free(&names);
	return s;
}

static RuleStatus
task_def_run(RuleCtx *ctx)
{
	const NodeValue *tasks = rule_need(ctx, "tasks", RULES_PYPROJECT);
	const char *json;
	size_t len;
	TaskDef def;
	Buf canon = { 0 };
	Err err;

	if (!tasks)
		return RULE_SUSPEND;
	if (!taskdef_find(tasks->data, tasks->len, rule_key(ctx), &json, &len))
		return missing_task(ctx, tasks);
	if (taskdef_decode(json, len, rule_arena(ctx), &def, &err) != 0)
		return rule_fail(ctx, 1, "%s", err.msg);
	/* The description is left out: rewording it must not re-run the task. */
	taskdef_encode(&def, false, &canon);
	rule_set_data(ctx, canon.data, canon.len);
	buf_free(&canon);
	return RULE_DONE;
}

const Rule rules_tasks_rule = {
	.kind = "tasks",
	.version = TASKS_RULE_VERSION,
	.flags = RULE_PURE,
	.run = tasks_run,
};

const Rule rules_task_def_rule = {
	.kind = "task-def",
	.version = TASK_DEF_RULE_VERSION,
	.flags = RULE_PURE,
	.run = task_def_run,
};

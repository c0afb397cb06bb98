/*
 * task.c - the kind "task": running one of the project's tasks.
 *
 * A task's trace is, in order: its definition; the tasks it depends on; its globs and
 * literal inputs; the files its globs matched. It re-runs when any of those changed
 * or an output is missing or modified (an output found in the CAS is restored instead).
 * A task that declares neither inputs nor outputs has nothing to compare, so it runs
 * every time. Its value is the digest of its outputs, so a re-run that writes the same
 * files leaves dependent tasks alone; without outputs, it is the digest of its inputs.
 *
 * The command runs in a process slot, with the work around it (making output
 * directories before; hashing and caching outputs after) done in the same slot, so
 * that the coordinator only does bookkeeping.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/fs.h"
#include "engine/glob.h"
#include "engine/proc.h"
#include "lockctx.h"
#include "syncctx.h"
#include "rules.h"
#include "taskdef.h"

#define TASK_RULE_VERSION 1

enum { NEED_DEF, NEED_DEPS, NEED_INPUTS, NEED_MATCHES, RUNNING };

typedef struct TaskRun {
	int phase;
	TaskDef def;
	const NodeValue **globs;      /* values of glob inputs, in input order */
	size_t nglobs;
	ProcSpec spec;
	SpawnHooks hooks;
	/* for the process slot */
	const char *root;
	Cas *cas;
	char **out_paths;             /* relative */
	OutputFile *outs;
	size_t nouts;
	int rc;
	Err err;
} TaskRun;

static void
task_free(void *state)
{
	TaskRun *r = state;
	size_t i;

	for (i = 0; i < r->nouts; i++)
		free(r->out_paths[i]);
	free(r->out_paths);
	free(r->outs);
	free(r->globs);
	free(r);
}

static void
add_output(TaskRun *r, const char *rel)
{
	r->out_paths = xrealloc(r->out_paths, (r->nouts + 1) * sizeof(*r->out_paths));
	r->outs = xrealloc(r->outs, (r->nouts + 1) * sizeof(*r->outs));
	r->out_paths[r->nouts] = xstrdup(rel);
	memset(&r->outs[r->nouts], 0, sizeof(*r->outs));
	r->nouts++;
}

/* The outputs the task declares, as files: literal paths, and what globs match now. */
static int
list_outputs(TaskRun *r)
{
	size_t i;

	for (i = 0; i < r->nouts; i++)
		free(r->out_paths[i]);
	r->nouts = 0;
	for (i = 0; i < r->def.noutputs; i++) {
		const char *o = r->def.outputs[i];
		Buf matches = { 0 };
		char *line, *save = NULL;

		if (!glob_has_magic(o)) {
			add_output(r, o);
			continue;
		}
		if (glob_expand(r->root, o, &matches, &r->err) != 0) {
			buf_free(&matches);
			return -1;
		}
		/* restoring the outputs would overwrite it */
		for (line = strtok_r(matches.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			if (!taskdef_is_own_file(line))
				add_output(r, line);
		buf_free(&matches);
	}
	return 0;
}

/* Before the command: its directory must exist; as Ninja does, the directories that
 * declared outputs go into are made; and an output that is also a blob in the CAS
 * (taken in by a hard link) becomes a private copy, so that a command writing it in
 * place cannot change the cached blob. */
static int
before_command(void *arg, Err *err)
{
	TaskRun *r = arg;
	struct stat sb;
	Buf path = { 0 };
	size_t i;
	int rc = 0;

	if (strcmp(r->def.cwd, ".") != 0 && (stat(r->spec.cwd, &sb) != 0 || !S_ISDIR(sb.st_mode)))
		return err_set(err, "its directory %s does not exist", r->spec.cwd);
	if (list_outputs(r) != 0)
		return err_set(err, "%s", r->err.msg);
	for (i = 0; i < r->nouts && rc == 0; i++) {
		buf_clear(&path);
		buf_printf(&path, "%s/%s", r->root, r->out_paths[i]);
		rc = fs_mkdir_parent(path.data, err);
		if (rc == 0)
			rc = cas_unshare(path.data, err);
	}
	buf_free(&path);
	return rc;
}

/* After the command succeeded: hash and cache what it wrote. */
static void
after_command(void *arg)
{
	TaskRun *r = arg;
	Buf path = { 0 };
	size_t i;

	if (list_outputs(r) != 0) {
		r->rc = -1;
		return;
	}
	for (i = 0; i < r->nouts && r->rc == 0; i++) {
		buf_clear(&path);
		buf_printf(&path, "%s/%s", r->root, r->out_paths[i]);
		if (eng_capture_file(r->cas, path.data, &r->outs[i], &r->err) != 0) {
			if (r->outs[i].stat.mode == 0)
				err_set(&r->err, "it did not create its declared output '%s'", r->out_paths[i]);
			r->rc = -1;
		}
	}
	buf_free(&path);
}

/* Inputs: globs, and literal paths; a directory stands for everything under it, which
 * its file node tells without another stat. */
static RuleStatus
need_inputs(RuleCtx *ctx, TaskRun *r)
{
	Digest missing = eng_file_missing_digest(), dir = eng_file_directory_digest();
	bool waiting = false;
	size_t i;

	r->nglobs = 0;
	for (i = 0; i < r->def.ninputs; i++) {
		const char *in = r->def.inputs[i], *pattern = in;
		const NodeValue *v;

		if (!glob_has_magic(in)) {
			v = rule_need(ctx, "file", in);
			if (!v) {
				waiting = true;
				continue;
			}
			if (digest_eq(&v->digest, &missing))
				return rule_fail(ctx, 2, "task '%s': its input '%s' does not exist",
						 r->def.name, in);
			if (!digest_eq(&v->digest, &dir))
				continue;
			pattern = arena_printf(rule_arena(ctx), "%s/**", in);
		}
		v = rule_need(ctx, "glob", pattern);
		if (!v)
			waiting = true;
		else
			r->globs[r->nglobs++] = v;
	}
	return waiting ? RULE_SUSPEND : RULE_DONE;
}

static RuleStatus
need_matches(RuleCtx *ctx, TaskRun *r)
{
	bool waiting = false;
	size_t g;

	for (g = 0; g < r->nglobs; g++) {
		const char *p = r->globs[g]->data, *end = p + r->globs[g]->len;

		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
			char *file = arena_strndup(rule_arena(ctx), p, len);

			if (!rule_need(ctx, "file", file))
				waiting = true;
			p += len + 1;
		}
	}
	return waiting ? RULE_SUSPEND : RULE_DONE;
}

/* The command has exited: check how, then record its outputs. */
static RuleStatus
finish(RuleCtx *ctx, TaskRun *r)
{
	const char *error;
	const ProcResult *res = rule_spawn_result(ctx, &error);
	size_t i;

	if (error)
		return rule_fail(ctx, res->exit_code, "task '%s': %s", r->def.name, error);
	if (res->signal)
		return rule_fail(ctx, res->exit_code, "task '%s' was killed by signal %d",
				 r->def.name, res->signal);
	if (res->exit_code != 0)
		return rule_fail(ctx, res->exit_code, "task '%s' failed with exit status %d",
				 r->def.name, res->exit_code);
	if (r->rc != 0)
		return rule_fail(ctx, 1, "task '%s': %s", r->def.name, r->err.msg);
	for (i = 0; i < r->nouts; i++)
		rule_add_output(ctx, r->out_paths[i], &r->outs[i]);
	if (r->nouts) {
		Buf all = { 0 };
		Digest d;

		for (i = 0; i < r->nouts; i++) {
			buf_puts(&all, r->out_paths[i]);
			buf_putc(&all, '\0');
			buf_append(&all, r->outs[i].digest.b, sizeof(r->outs[i].digest.b));
		}
		d = hash_bytes(all.data, all.len);
		rule_set_digest(ctx, &d);
		buf_free(&all);
	} else if (!r->def.ninputs && !r->def.noutputs) {
		Digest d = rule_unique_digest(ctx);

		rule_set_digest(ctx, &d);
	} else {
		Digest d = rule_inputs_digest(ctx);

		rule_set_digest(ctx, &d);
	}
	return RULE_DONE;
}

static RuleStatus
task_run(RuleCtx *ctx)
{
	TaskRun *r = *rule_state(ctx);
	RuleStatus s;
	size_t i;

	if (!r) {
		r = xcalloc(1, sizeof(*r));
		*rule_state(ctx) = r;
	}
	switch (r->phase) {
	case NEED_DEF: {
		const NodeValue *def = rule_need(ctx, "task-def", rule_key(ctx));
		Err err;

		if (!def)
			return RULE_SUSPEND;
		if (taskdef_decode(def->data, def->len, rule_arena(ctx), &r->def, &err) != 0)
			return rule_fail(ctx, 1, "%s", err.msg);
		r->globs = xcalloc(r->def.ninputs + 1, sizeof(*r->globs));
		rule_barrier(ctx);
		r->phase = NEED_DEPS;
	}
		/* fall through */
	case NEED_DEPS: {
		bool waiting = false;

		for (i = 0; i < r->def.ndeps; i++)
			if (!rule_need(ctx, "task", r->def.deps[i]))
				waiting = true;
		if (waiting)
			return RULE_SUSPEND;
		rule_barrier(ctx);
		r->phase = NEED_INPUTS;
	}
		/* fall through */
	case NEED_INPUTS:
		if ((s = need_inputs(ctx, r)) != RULE_DONE)
			return s;
		rule_barrier(ctx);
		r->phase = NEED_MATCHES;
		/* fall through */
	case NEED_MATCHES:
		if ((s = need_matches(ctx, r)) != RULE_DONE)
			return s;
		if (!r->def.ninputs && !r->def.noutputs)
			rule_set_volatile(ctx);
		/* everything the command will read is known: an earlier run with the
		 * same inputs gives its outputs back without running it again */
		if (rule_reuse(ctx))
			return RULE_DONE;
		r->phase = RUNNING;
		r->root = rule_root(ctx);
		r->cas = rule_cas(ctx);
		r->spec.argv = r->def.argv;
		r->spec.env_set = r->def.env;
		r->spec.cwd = fs_path_join(rule_arena(ctx), r->root, r->def.cwd);
		r->hooks = (SpawnHooks){ before_command, after_command, r };
		rule_describe(ctx, r->def.command);
		return rule_spawn(ctx, &r->spec, &r->hooks);
	default:
		return finish(ctx, r);
	}
}

static const Rule task_rule = {
	.kind = "task",
	.version = TASK_RULE_VERSION,
	.run = task_run,
	.free_state = task_free,
};

int
rules_register(Engine *eng, Err *err)
{
	if (eng_register(eng, &rules_tasks_rule, err) != 0 ||
	    eng_register(eng, &rules_task_def_rule, err) != 0 ||
	    eng_register(eng, &task_rule, err) != 0 ||
	    eng_register(eng, &rules_index_page_rule, err) != 0 ||
	    eng_register(eng, &rules_dist_metadata_rule, err) != 0 ||
	    eng_register(eng, &rules_lock_inputs_rule, err) != 0 ||
	    eng_register(eng, &rules_resolve_rule, err) != 0 ||
	    eng_register(eng, &rules_wheel_file_rule, err) != 0 ||
	    eng_register(eng, &rules_wheel_unpack_rule, err) != 0 ||
	    eng_register(eng, &rules_dist_remove_rule, err) != 0 ||
	    eng_register(eng, &rules_dist_install_rule, err) != 0 ||
	    eng_register(eng, &rules_venv_sync_rule, err) != 0)
		return -1;
	return 0;
}

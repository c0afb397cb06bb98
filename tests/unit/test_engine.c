/*
 * test_engine.c - the engine's behaviour, through small rules defined here.
 *
 * Each test builds a graph in a fresh directory, changes something on disk, builds
 * again and checks which nodes ran, from the engine's own run records.
 */
#include "config.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>

#include <cmocka.h>
#include <stdatomic.h>

#include "engine/buf.h"
#include "engine/engine.h"
#include "engine/err.h"
#include "engine/utf8.h"
#include "engine/fs.h"
#include "engine/store.h"

/* ---- fixtures -------------------------------------------------------------------- */

typedef struct Fixture {
	char dir[256];
	Engine *eng;
	BuildReport report;
	int jobs;
	bool keep_going;
	uint32_t upper_version;
	EngineHooks hooks;
} Fixture;

static void
write_file(Fixture *f, const char *name, const char *content)
{
	char path[512];
	Err err;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	assert_int_equal(fs_mkdir_parent(path, &err), 0);
	assert_int_equal(fs_write_atomic(path, content, strlen(content), 0644, &err), 0);
}

static char *
read_file(Fixture *f, const char *name)
{
	char path[512];
	Buf b = { 0 };
	Err err;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	if (fs_read_file(path, &b, &err) != 0)
		return NULL;
	return buf_detach(&b);
}

static void
remove_file(Fixture *f, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	assert_int_equal(unlink(path), 0);
}

static char *
read_rel(RuleCtx *ctx, const char *name)
{
	Buf b = { 0 };
	Err err;
	char *path = fs_path_join(rule_arena(ctx), rule_root(ctx), name);

	if (fs_read_file(path, &b, &err) != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* ---- test rules -------------------------------------------------------------------- */

/* lines:F - the number of lines of file F. */
static RuleStatus
lines_run(RuleCtx *ctx)
{
	char *text, num[32], *p;
	int n = 0;

	if (!rule_need(ctx, "file", rule_key(ctx)))
		return RULE_SUSPEND;
	text = read_rel(ctx, rule_key(ctx));
	if (!text)
		return rule_fail(ctx, 1, "cannot read %s", rule_key(ctx));
	for (p = text; *p; p++)
		n += *p == '\n';
	free(text);
	snprintf(num, sizeof(num), "%d", n);
	rule_set_data(ctx, num, strlen(num));
	return RULE_DONE;
}

static const Rule lines_rule = { .kind = "lines", .version = 1, .flags = RULE_PURE, .run = lines_run };

/* double:F - twice lines:F; depends on F only through lines:F. */
static RuleStatus
double_run(RuleCtx *ctx)
{
	const NodeValue *v = rule_need(ctx, "lines", rule_key(ctx));
	char num[32];

	if (!v)
		return RULE_SUSPEND;
	snprintf(num, sizeof(num), "%d", 2 * atoi(v->data));
	rule_set_data(ctx, num, strlen(num));
	return RULE_DONE;
}

static const Rule double_rule = { .kind = "double", .version = 1, .flags = RULE_PURE, .run = double_run };

/* cat:LIST - the contents of the files LIST names, one per line: dynamic inputs. */
static RuleStatus
cat_run(RuleCtx *ctx)
{
	Buf out = { 0 };
	char *list, *line, *save = NULL;
	bool waiting = false;

	if (!rule_need(ctx, "file", rule_key(ctx)))
		return RULE_SUSPEND;
	rule_barrier(ctx);
	list = read_rel(ctx, rule_key(ctx));
	if (!list)
		return rule_fail(ctx, 1, "no list");
	for (line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *text;

		if (!rule_need(ctx, "file", line)) {
			waiting = true;
			continue;
		}
		text = read_rel(ctx, line);
		if (text)
			buf_puts(&out, text);
		free(text);
	}
	free(list);
	if (waiting) {
		buf_free(&out);
		return RULE_SUSPEND;
	}
	rule_set_data(ctx, out.data ? out.data : "", out.len);
	buf_free(&out);
	return RULE_DONE;
}

static const Rule cat_rule = { .kind = "cat", .version = 1, .flags = RULE_PURE, .run = cat_run };

/* upper:NAME - writes NAME.out, the upper-cased NAME.in, in a pool; an output file. */
typedef struct UpperWork {
	char *in, *out;
	Cas *cas;
	OutputFile of;
	int sleep_us;
	Err err;
	int rc;
} UpperWork;

static void
upper_work(void *arg)
{
	UpperWork *w = arg;
	Buf b = { 0 };
	size_t i;

	if (w->sleep_us)
		usleep((useconds_t)w->sleep_us);
	w->rc = fs_read_file(w->in, &b, &w->err);
	if (w->rc == 0) {
		for (i = 0; i < b.len; i++)
			if (b.data[i] >= 'a' && b.data[i] <= 'z')
				b.data[i] = (char)(b.data[i] - 32);
		w->rc = fs_write_atomic(w->out, b.data, b.len, 0644, &w->err);
	}
	if (w->rc == 0)
		w->rc = eng_capture_file(w->cas, w->out, &w->of, &w->err);
	buf_free(&b);
}

static void
upper_free(void *state)
{
	UpperWork *w = state;

	free(w->in);
	free(w->out);
	free(w);
}

static RuleStatus
upper_run(RuleCtx *ctx)
{
	UpperWork *w = *rule_state(ctx);
	char in[300], out[300];
	RuleStatus s;

	if (w) {
		char rel[300];

		if (w->rc != 0)
			return rule_fail(ctx, 3, "%s", w->err.msg);
		snprintf(rel, sizeof(rel), "%s.out", rule_key(ctx));
		rule_add_output(ctx, rel, &w->of);
		return RULE_DONE;
	}
	snprintf(in, sizeof(in), "%s.in", rule_key(ctx));
	if (!rule_need(ctx, "file", in))
		return RULE_SUSPEND;
	w = xcalloc(1, sizeof(*w));
	snprintf(in, sizeof(in), "%s/%s.in", rule_root(ctx), rule_key(ctx));
	snprintf(out, sizeof(out), "%s/%s.out", rule_root(ctx), rule_key(ctx));
	w->in = xstrdup(in);
	w->out = xstrdup(out);
	w->cas = rule_cas(ctx);
	w->sleep_us = getenv("UPPER_SLEEP_US") ? atoi(getenv("UPPER_SLEEP_US")) : 0;
	*rule_state(ctx) = w;
	s = rule_offload(ctx, POOL_CPU, upper_work, w);
	return s;
}

static Rule upper_rule = { .kind = "upper", .version = 1, .run = upper_run, .free_state = upper_free };

/* all:A,B,C - needs upper:A, upper:B, ... (an aggregate without outputs). */
static RuleStatus
all_run(RuleCtx *ctx)
{
	char *keys = xstrdup(rule_key(ctx)), *k, *save = NULL;
	bool waiting = false;

	for (k = strtok_r(keys, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		const char *kind = "upper";
		char *colon = strchr(k, ':');

		if (colon) {
			*colon = '\0';
			kind = k;
			k = colon + 1;
		}
		if (!rule_need(ctx, kind, k))
			waiting = true;
	}
	free(keys);
	return waiting ? RULE_SUSPEND : RULE_DONE;
}

static const Rule all_rule = { .kind = "all", .version = 1, .run = all_run };

/* fail:X - always fails, in a pool. cyc:X - needs cyc:<X's partner>. */
static void
nothing(void *arg)
{
	(void)arg;
}

static RuleStatus
fail_run(RuleCtx *ctx)
{
	if (!*rule_state(ctx)) {
		*rule_state(ctx) = (void *)1;
		return rule_offload(ctx, POOL_CPU, nothing, NULL);
	}
	return rule_fail(ctx, 7, "%s broke", rule_key(ctx));
}

static const Rule fail_rule = { .kind = "fail", .version = 1, .run = fail_run };

static RuleStatus
cyc_run(RuleCtx *ctx)
{
	const char *next = !strcmp(rule_key(ctx), "a") ? "b" : !strcmp(rule_key(ctx), "b") ? "c" : "a";

	return rule_need(ctx, "cyc", next) ? RULE_DONE : RULE_SUSPEND;
}

static const Rule cyc_rule = { .kind = "cyc", .version = 1, .run = cyc_run };

/* work:NAME - sleeps in a process slot, after needing the file "stamp" and, for some
 * names, another work node (table below); counts how many run at once. */
static atomic_int running_now, running_max;

static const struct {
	const char *name, *dep;
	int ms;
} work_table[] = {
	{ "a", NULL, 40 }, { "b", NULL, 40 }, { "c", NULL, 40 }, { "d", NULL, 40 },
	{ "e", NULL, 40 }, { "f", NULL, 40 },
	{ "q1", NULL, 5 }, { "q2", NULL, 5 }, { "q3", NULL, 5 },
	{ "c1", NULL, 60 }, { "c2", "c1", 60 }, { "c3", "c2", 60 },
	{ "long", NULL, 350 },
};

static void
sleep_work(void *arg)
{
	int ms = (int)(intptr_t)arg, now = atomic_fetch_add(&running_now, 1) + 1, max;

	while ((max = atomic_load(&running_max)) < now &&
	       !atomic_compare_exchange_weak(&running_max, &max, now))
		;
	usleep((useconds_t)ms * 1000);
	atomic_fetch_sub(&running_now, 1);
}

static RuleStatus
work_run(RuleCtx *ctx)
{
	size_t i;

	if (*rule_state(ctx))
		return RULE_DONE;
	for (i = 0; strcmp(work_table[i].name, rule_key(ctx)); i++)
		;
	if (!rule_need(ctx, "file", "stamp"))
		return RULE_SUSPEND;
	if (work_table[i].dep && !rule_need(ctx, "work", work_table[i].dep))
		return RULE_SUSPEND;
	*rule_state(ctx) = (void *)1;
	return rule_offload(ctx, POOL_CPU, sleep_work, (void *)(intptr_t)work_table[i].ms);
}

static const Rule work_rule = { .kind = "work", .version = 1, .run = work_run };

/* scribble:NAME - copies NAME.in to NAME.side in a pool without declaring it, and
 * always has the same value. reader:NAME - needs scribble:NAME, then reads NAME.side:
 * only the file's own check can tell that it changed. */
static void
scribble_work(void *arg)
{
	char **paths = arg;
	Buf b = { 0 };
	Err err;

	if (fs_read_file(paths[0], &b, &err) == 0)
		fs_write_atomic(paths[1], b.data, b.len, 0644, &err);
	buf_free(&b);
}

static RuleStatus
scribble_run(RuleCtx *ctx)
{
	char **paths = *rule_state(ctx);
	char in[300];

	if (paths) {
		rule_set_data(ctx, "done", 4);
		return RULE_DONE;
	}
	snprintf(in, sizeof(in), "%s.in", rule_key(ctx));
	if (!rule_need(ctx, "file", in))
		return RULE_SUSPEND;
	paths = arena_alloc(rule_arena(ctx), 2 * sizeof(*paths));
	paths[0] = arena_printf(rule_arena(ctx), "%s/%s.in", rule_root(ctx), rule_key(ctx));
	paths[1] = arena_printf(rule_arena(ctx), "%s/%s.side", rule_root(ctx), rule_key(ctx));
	*rule_state(ctx) = paths;
	return rule_offload(ctx, POOL_CPU, scribble_work, paths);
}

static const Rule scribble_rule = { .kind = "scribble", .version = 1, .run = scribble_run };

static RuleStatus
reader_run(RuleCtx *ctx)
{
	char side[300], *text;

	if (!rule_need(ctx, "scribble", rule_key(ctx)))
		return RULE_SUSPEND;
	rule_barrier(ctx);
	snprintf(side, sizeof(side), "%s.side", rule_key(ctx));
	if (!rule_need(ctx, "file", side))
		return RULE_SUSPEND;
	text = read_rel(ctx, side);
	if (!text)
		return rule_fail(ctx, 1, "cannot read %s", side);
	rule_set_data(ctx, text, strlen(text));
	free(text);
	return RULE_DONE;
}

static const Rule reader_rule = { .kind = "reader", .version = 1, .flags = RULE_PURE,
				  .run = reader_run };

/* ---- helpers over the engine --------------------------------------------------------- */

static void
open_engine(Fixture *f)
{
	EngineConfig cfg = { 0 };
	char cache[300];
	Err err;

	snprintf(cache, sizeof(cache), "%s/.cache", f->dir);
	cfg.root = f->dir;
	cfg.cache_dir = cache;
	cfg.jobs = f->jobs ? f->jobs : 2;
	/* the test rules do their work in threads: bound those the same way */
	cfg.cpu_threads = cfg.jobs;
	cfg.keep_going = f->keep_going;
	cfg.wait_for_lock = true;
	cfg.hooks = f->hooks;
	upper_rule.version = f->upper_version ? f->upper_version : 1;
	if (eng_open(&f->eng, &cfg, &err) != 0)
		fail_msg("eng_open: %s", err.msg);
	assert_int_equal(eng_register(f->eng, &lines_rule, &err), 0);
	assert_int_equal(eng_register(f->eng, &double_rule, &err), 0);
	assert_int_equal(eng_register(f->eng, &cat_rule, &err), 0);
	assert_int_equal(eng_register(f->eng, &upper_rule, &err), 0);
	assert_int_equal(eng_register(f->eng, &all_rule, &err), 0);
	assert_int_equal(eng_register(f->eng, &fail_rule, &err), 0);
	assert_int_equal(eng_register(f->eng, &cyc_rule, &err), 0);
	assert_int_equal(eng_register(f->eng, &work_rule, &err), 0);
	assert_int_equal(eng_register(f->eng, &scribble_rule, &err), 0);
	assert_int_equal(eng_register(f->eng, &reader_rule, &err), 0);
}

static void
close_engine(Fixture *f)
{
	build_report_free(&f->report);
	eng_close(f->eng);
	f->eng = NULL;
}

/* Open, build one goal, close: each build is a separate run, as from the command line. */
static void
build(Fixture *f, const char *kind, const char *key)
{
	NodeRef goal = { kind, key };
	Err err;

	if (f->eng)
		close_engine(f);
	open_engine(f);
	if (eng_build(f->eng, &goal, 1, &f->report, &err) != 0)
		fail_msg("eng_build: %s", err.msg);
}

/* What happened to kind:key in the last run (NR_NONE: not visited). */
static NodeResult
result_of(Fixture *f, const char *kind, const char *key)
{
	RunInfo run;
	bool found;
	uint32_t id;
	size_t i;
	NodeResult r = NR_NONE;
	Err err;

	if (eng_find(f->eng, kind, key, &id) != 0)
		return NR_NONE;
	assert_int_equal(eng_last_run(f->eng, &run, &found, &err), 0);
	assert_true(found);
	for (i = 0; i < run.nrecords; i++)
		if (run.records[i].node == id)
			r = run.records[i].result;
	run_info_free(&run);
	return r;
}

static const char *
value_of(Fixture *f, const char *kind, const char *key)
{
	static char buf[256];
	NodeValue v;
	Err err;

	if (eng_value(f->eng, kind, key, &v, &err) != 0)
		return NULL;
	snprintf(buf, sizeof(buf), "%.*s", (int)v.len, v.data ? (const char *)v.data : "");
	return buf;
}

static int
setup(void **state)
{
	Fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/bunpy-test-engine-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	Fixture *f = *state;
	Err err;

	if (f->eng)
		close_engine(f);
	fs_remove_tree(f->dir, &err);
	free(f);
	return 0;
}

/* ---- tests ----------------------------------------------------------------------------- */

static void
test_first_build_then_noop(void **state)
{
	Fixture *f = *state;

	write_file(f, "a.txt", "one\ntwo\n");
	build(f, "double", "a.txt");
	assert_int_equal(f->report.nfailures, 0);
	assert_int_equal(result_of(f, "double", "a.txt"), NR_RAN);
	assert_int_equal(result_of(f, "lines", "a.txt"), NR_RAN);
	assert_string_equal(value_of(f, "double", "a.txt"), "4");

	build(f, "double", "a.txt");
	assert_int_equal(result_of(f, "double", "a.txt"), NR_CLEAN);
	assert_int_equal(result_of(f, "lines", "a.txt"), NR_CLEAN);
	assert_int_equal(result_of(f, "file", "a.txt"), NR_CLEAN);
	assert_int_equal(f->report.counts[NR_RAN], 0);
}

static void
test_early_cutoff(void **state)
{
	Fixture *f = *state;

	write_file(f, "a.txt", "one\ntwo\n");
	build(f, "double", "a.txt");
	/* same number of lines: lines:a.txt re-runs, its value is unchanged, so
	 * double:a.txt, which reads only lines:a.txt, does not */
	write_file(f, "a.txt", "uno\ndos\n");
	build(f, "double", "a.txt");
	assert_int_equal(result_of(f, "lines", "a.txt"), NR_RAN);
	assert_int_equal(result_of(f, "double", "a.txt"), NR_CLEAN);
	assert_string_equal(value_of(f, "double", "a.txt"), "4");
	/* a real change goes through */
	write_file(f, "a.txt", "uno\ndos\ntres\n");
	build(f, "double", "a.txt");
	assert_int_equal(result_of(f, "double", "a.txt"), NR_RAN);
	assert_string_equal(value_of(f, "double", "a.txt"), "6");
}

static void
test_dynamic_inputs(void **state)
{
	Fixture *f = *state;

	write_file(f, "x", "X");
	write_file(f, "y", "Y");
	write_file(f, "z", "Z");
	write_file(f, "list", "x\ny\n");
	build(f, "cat", "list");
	assert_string_equal(value_of(f, "cat", "list"), "XY");

	/* a file discovered while running is an input like any other */
	write_file(f, "y", "why");
	build(f, "cat", "list");
	assert_int_equal(result_of(f, "cat", "list"), NR_RAN);
	assert_string_equal(value_of(f, "cat", "list"), "Xwhy");

	/* a file it never read is not */
	write_file(f, "z", "zed");
	build(f, "cat", "list");
	assert_int_equal(result_of(f, "cat", "list"), NR_CLEAN);
	assert_int_equal(result_of(f, "file", "z"), NR_NONE);

	/* the set of inputs follows the list */
	write_file(f, "list", "z\n");
	build(f, "cat", "list");
	assert_string_equal(value_of(f, "cat", "list"), "zed");
	write_file(f, "x", "changed");
	build(f, "cat", "list");
	assert_int_equal(result_of(f, "cat", "list"), NR_CLEAN);
}

static long long
bytes_read_by_process(void)
{
	FILE *io = fopen("/proc/self/io", "r");
	char line[128];
	long long v = -1;

	assert_non_null(io);
	while (fgets(line, sizeof(line), io))
		if (sscanf(line, "rchar: %lld", &v) == 1)
			break;
	fclose(io);
	return v;
}

static void
test_stat_fast_path(void **state)
{
	Fixture *f = *state;
	size_t big = 8 << 20;
	char *content = xmalloc(big + 1);
	char path[512];
	long long before;
	struct timespec times[2];

	memset(content, 'a', big);
	content[big - 1] = '\n';
	content[big] = '\0';
	write_file(f, "big.txt", content);
	/* Age the file past the racy window, as files are between real builds. */
	snprintf(path, sizeof(path), "%s/big.txt", f->dir);
	clock_gettime(CLOCK_REALTIME, &times[0]);
	times[0].tv_sec -= 10;
	times[1] = times[0];
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	build(f, "lines", "big.txt");
	assert_int_equal(result_of(f, "lines", "big.txt"), NR_RAN);
	close_engine(f);
	/* The ctime set above was too recent to trust, so the next build hashes the file
	 * once more and records a tuple that can be trusted from then on. */
	sleep(1);
	build(f, "lines", "big.txt");
	assert_int_equal(result_of(f, "lines", "big.txt"), NR_CLEAN);
	close_engine(f);

	/* Unchanged tuple: the 8 MiB file is not read at all. */
	open_engine(f);
	before = bytes_read_by_process();
	{
		NodeRef goal = { "lines", "big.txt" };
		Err err;

		assert_int_equal(eng_build(f->eng, &goal, 1, &f->report, &err), 0);
	}
	assert_true(bytes_read_by_process() - before < (long long)(big / 4));
	assert_int_equal(result_of(f, "lines", "big.txt"), NR_CLEAN);

	/* touch: the tuple moves, the file is re-hashed once, nothing re-runs. */
	times[0].tv_sec += 5;
	times[1] = times[0];
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	close_engine(f);
	open_engine(f);
	before = bytes_read_by_process();
	{
		NodeRef goal = { "lines", "big.txt" };
		Err err;

		assert_int_equal(eng_build(f->eng, &goal, 1, &f->report, &err), 0);
	}
	assert_true(bytes_read_by_process() - before >= (long long)big);
	assert_int_equal(result_of(f, "lines", "big.txt"), NR_CLEAN);
	free(content);
}

static void
test_rule_version_bump(void **state)
{
	Fixture *f = *state;
	Buf why = { 0 };
	NodeRef goal = { "upper", "v" };
	Err err;

	write_file(f, "v.in", "abc");
	build(f, "upper", "v");
	assert_int_equal(result_of(f, "upper", "v"), NR_RAN);
	build(f, "upper", "v");
	assert_int_equal(result_of(f, "upper", "v"), NR_CLEAN);

	f->upper_version = 2;
	close_engine(f);
	open_engine(f);
	assert_int_equal(eng_explain(f->eng, &goal, &why, &err), 0);
	assert_non_null(strstr(why.data, "version 1 -> 2"));
	build(f, "upper", "v");
	assert_int_equal(result_of(f, "upper", "v"), NR_RAN);
	build(f, "upper", "v");
	assert_int_equal(result_of(f, "upper", "v"), NR_CLEAN);
	buf_free(&why);
}

static void
test_cycle_report(void **state)
{
	Fixture *f = *state;

	build(f, "cyc", "a");
	assert_true(f->report.nfailures >= 1);
	assert_non_null(strstr(f->report.failures[0].message, "dependency cycle: "));
	/* every member is named */
	assert_non_null(strstr(f->report.failures[0].message, "cyc:a"));
	assert_non_null(strstr(f->report.failures[0].message, "cyc:b"));
	assert_non_null(strstr(f->report.failures[0].message, "cyc:c"));
}

static void
test_failure_propagation(void **state)
{
	Fixture *f = *state;

	write_file(f, "b.in", "b");
	write_file(f, "c.in", "c");
	f->jobs = 1;
	/* fail:a is asked for first; with one slot it runs first and stops the build */
	build(f, "all", "fail:a,upper:b,upper:c");
	assert_int_equal(f->report.nfailures, 1);
	assert_string_equal(f->report.failures[0].node, "fail:a");
	assert_string_equal(f->report.failures[0].message, "a broke");
	assert_int_equal(f->report.exit_code, 7);
	assert_int_equal(result_of(f, "fail", "a"), NR_FAILED);
	assert_int_equal(result_of(f, "all", "fail:a,upper:b,upper:c"), NR_SKIPPED);
	assert_int_not_equal(result_of(f, "upper", "b"), NR_RAN);
	assert_int_not_equal(result_of(f, "upper", "c"), NR_RAN);
	assert_null(read_file(f, "b.out"));
}

static void
test_keep_going(void **state)
{
	Fixture *f = *state;
	char *b;

	write_file(f, "b.in", "b");
	write_file(f, "c.in", "c");
	f->jobs = 1;
	f->keep_going = true;
	build(f, "all", "fail:a,upper:b,upper:c");
	assert_int_equal(f->report.nfailures, 1);
	assert_int_equal(result_of(f, "upper", "b"), NR_RAN);
	assert_int_equal(result_of(f, "upper", "c"), NR_RAN);
	/* what depends on the failure is still not run */
	assert_int_equal(result_of(f, "all", "fail:a,upper:b,upper:c"), NR_SKIPPED);
	b = read_file(f, "b.out");
	assert_string_equal(b, "B");
	free(b);
	/* the failed node is tried again next time; the others are clean */
	build(f, "all", "fail:a,upper:b,upper:c");
	assert_int_equal(result_of(f, "fail", "a"), NR_FAILED);
	assert_int_equal(result_of(f, "upper", "b"), NR_CLEAN);
}

static void
test_cas_restore(void **state)
{
	Fixture *f = *state;
	char *out;

	write_file(f, "r.in", "hello");
	build(f, "upper", "r");
	out = read_file(f, "r.out");
	assert_string_equal(out, "HELLO");
	free(out);

	/* deleted output: restored from the CAS, the rule does not run */
	remove_file(f, "r.out");
	build(f, "upper", "r");
	assert_int_equal(result_of(f, "upper", "r"), NR_RESTORED);
	out = read_file(f, "r.out");
	assert_string_equal(out, "HELLO");
	free(out);

	/* modified output: restored too */
	write_file(f, "r.out", "tampered");
	build(f, "upper", "r");
	assert_int_equal(result_of(f, "upper", "r"), NR_RESTORED);
	out = read_file(f, "r.out");
	assert_string_equal(out, "HELLO");
	free(out);

	/* inputs back to an earlier state: the earlier result comes back without a run */
	write_file(f, "r.in", "second");
	build(f, "upper", "r");
	assert_int_equal(result_of(f, "upper", "r"), NR_RAN);
	write_file(f, "r.in", "hello");
	build(f, "upper", "r");
	assert_int_equal(result_of(f, "upper", "r"), NR_RESTORED);
	out = read_file(f, "r.out");
	assert_string_equal(out, "HELLO");
	free(out);
	build(f, "upper", "r");
	assert_int_equal(result_of(f, "upper", "r"), NR_CLEAN);
}

static void
test_explain_names_changed_file(void **state)
{
	Fixture *f = *state;
	NodeRef goal = { "all", "e1,e2" };
	Buf why = { 0 };
	Err err;

	write_file(f, "e1.in", "one");
	write_file(f, "e2.in", "two");
	build(f, "all", "e1,e2");
	close_engine(f);
	write_file(f, "e2.in", "TWO!");
	open_engine(f);
	assert_int_equal(eng_explain(f->eng, &goal, &why, &err), 0);
	assert_non_null(strstr(why.data, "upper:e2 would run: input file e2.in changed (old "));
	assert_null(strstr(why.data, "upper:e1 would run"));
	buf_free(&why);
	/* explaining changes nothing: the build still sees the change */
	build(f, "all", "e1,e2");
	assert_int_equal(result_of(f, "upper", "e2"), NR_RAN);
	assert_int_equal(result_of(f, "upper", "e1"), NR_CLEAN);
}

static void
test_pool_depth_bounds_concurrency(void **state)
{
	Fixture *f = *state;

	write_file(f, "stamp", "1");
	f->jobs = 2;
	atomic_store(&running_max, 0);
	build(f, "all", "work:a,work:b,work:c,work:d,work:e,work:f");
	assert_int_equal(f->report.nfailures, 0);
	assert_int_equal(atomic_load(&running_max), 2);   /* parallel, and never more */
	f->jobs = 4;
	write_file(f, "stamp", "2");
	atomic_store(&running_max, 0);
	build(f, "all", "work:a,work:b,work:c,work:d,work:e,work:f");
	assert_int_equal(atomic_load(&running_max), 4);
}

static int64_t
start_of(Fixture *f, const char *kind, const char *key)
{
	RunInfo run;
	bool found;
	uint32_t id;
	size_t i;
	int64_t t = -1;
	Err err;

	assert_int_equal(eng_find(f->eng, kind, key, &id), 0);
	assert_int_equal(eng_last_run(f->eng, &run, &found, &err), 0);
	for (i = 0; i < run.nrecords; i++)
		if (run.records[i].node == id)
			t = run.records[i].start_us;
	run_info_free(&run);
	assert_true(t >= 0);
	return t;
}

typedef struct Ticks {
	int n;
	bool other_thread;
	pthread_t coordinator;
} Ticks;

static void
count_tick(void *ctx)
{
	Ticks *t = ctx;

	t->n++;
	t->other_thread |= !pthread_equal(pthread_self(), t->coordinator);
}

/* While one node works for 350 ms and none finishes, the tick hook is still called on
 * the coordinator, at least every 100 ms: what keeps a progress line moving. */
static void
test_tick_while_waiting(void **state)
{
	Fixture *f = *state;
	Ticks t = { 0, false, pthread_self() };

	write_file(f, "stamp", "1");
	f->hooks = (EngineHooks){ &t, NULL, NULL, NULL, count_tick };
	build(f, "work", "long");
	f->hooks = (EngineHooks){ 0 };
	assert_int_equal(f->report.nfailures, 0);
	assert_int_equal(result_of(f, "work", "long"), NR_RAN);
	assert_true(t.n >= 3);
	assert_false(t.other_thread);
}

/* With one slot, the first run starts nodes in the order they were asked for; the
 * next run knows their durations and starts the long chain first. */
static void
test_critical_path_first(void **state)
{
	Fixture *f = *state;
	const char *goal = "work:q1,work:q2,work:q3,work:c3";

	write_file(f, "stamp", "1");
	f->jobs = 1;
	/* the chain: c3 needs c2 needs c1 */
	build(f, "all", goal);
	assert_int_equal(f->report.nfailures, 0);
	assert_true(start_of(f, "work", "q1") < start_of(f, "work", "c1"));

	write_file(f, "stamp", "2");
	build(f, "all", goal);
	assert_int_equal(result_of(f, "work", "c1"), NR_RAN);
	assert_true(start_of(f, "work", "c1") < start_of(f, "work", "q1"));
	assert_true(start_of(f, "work", "c1") < start_of(f, "work", "q2"));
	assert_true(start_of(f, "work", "c1") < start_of(f, "work", "q3"));
}

/* Many builds killed at random moments; then one build must finish the work and leave
 * a state in which the next build does nothing. */
static void
test_kill9_loop(void **state)
{
	Fixture *f = *state;
	enum { N = 40, ROUNDS = 25 };
	Buf goal = { 0 };
	int i, round;
	unsigned seed = (unsigned)time(NULL);

	for (i = 0; i < N; i++) {
		char name[32], text[32];

		snprintf(name, sizeof(name), "k%02d.in", i);
		snprintf(text, sizeof(text), "content %d", i);
		write_file(f, name, text);
		buf_printf(&goal, "%sk%02d", i ? "," : "", i);
	}
	setenv("UPPER_SLEEP_US", "3000", 1);
	for (round = 0; round < ROUNDS; round++) {
		pid_t pid;
		int status;

		/* change a few inputs so every round has work to interrupt */
		for (i = 0; i < 3; i++) {
			char name[32], text[64];
			int k = rand_r(&seed) % N;

			snprintf(name, sizeof(name), "k%02d.in", k);
			snprintf(text, sizeof(text), "content %d round %d", k, round);
			write_file(f, name, text);
		}
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			build(f, "all", goal.data);
			_exit(0);
		}
		usleep((useconds_t)(rand_r(&seed) % 60000));
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
	}
	unsetenv("UPPER_SLEEP_US");
	build(f, "all", goal.data);
	assert_int_equal(f->report.nfailures, 0);
	for (i = 0; i < N; i++) {
		char in[32], out[32], *a, *b;
		size_t j;

		snprintf(in, sizeof(in), "k%02d.in", i);
		snprintf(out, sizeof(out), "k%02d.out", i);
		a = read_file(f, in);
		b = read_file(f, out);
		assert_non_null(b);
		for (j = 0; a[j]; j++)
			if (a[j] >= 'a' && a[j] <= 'z')
				a[j] = (char)(a[j] - 32);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	build(f, "all", goal.data);
	assert_int_equal(f->report.counts[NR_RAN], 0);
	assert_int_equal(f->report.counts[NR_RESTORED], 0);
	{
		Store *st;
		char db[400];
		Err err;

		close_engine(f);
		snprintf(db, sizeof(db), "%s/.bunpy/state.db", f->dir);
		assert_int_equal(store_open(&st, db, true, &err), 0);
		assert_int_equal(store_check(st, &err), 0);
		store_close(st);
	}
	buf_free(&goal);
}

/* 1100 files f0.txt ... with one line each, and the list "lines:f0.txt,..." added to
 * key: more files than a build stats one by one. */
static void
many_files(Fixture *f, Buf *key)
{
	int i;

	for (i = 0; i < 1100; i++) {
		char name[32];

		snprintf(name, sizeof(name), "f%d.txt", i);
		write_file(f, name, "x\n");
		buf_printf(key, "%slines:%s", i ? "," : "", name);
	}
}

/* Enough files that the build stats them in parallel before it starts (prefetch.c):
 * changes in every thread's share are seen, and nothing else runs. */
static void
test_many_files_prefetched(void **state)
{
	Fixture *f = *state;
	Buf key = { 0 };

	many_files(f, &key);
	build(f, "all", key.data);
	assert_int_equal(f->report.nfailures, 0);
	write_file(f, "f10.txt", "x\ny\n");
	write_file(f, "f1090.txt", "x\ny\nz\n");
	build(f, "all", key.data);
	assert_int_equal(result_of(f, "lines", "f10.txt"), NR_RAN);
	assert_int_equal(result_of(f, "lines", "f1090.txt"), NR_RAN);
	assert_int_equal(result_of(f, "lines", "f500.txt"), NR_CLEAN);
	/* the two files (hashed again), their lines nodes, and all */
	assert_int_equal(f->report.counts[NR_RAN], 5);
	assert_string_equal(value_of(f, "lines", "f10.txt"), "2");
	assert_string_equal(value_of(f, "lines", "f1090.txt"), "3");
	buf_free(&key);
}

/* Stats taken before the build are dropped once it hands out work that may write
 * files: a file written by one node and read by the next is seen as it is then. */
static void
test_prefetch_dropped_once_work_starts(void **state)
{
	Fixture *f = *state;
	Buf key = { 0 };

	buf_puts(&key, "reader:a,");
	many_files(f, &key);
	write_file(f, "a.in", "one\n");
	build(f, "all", key.data);
	assert_string_equal(value_of(f, "reader", "a"), "one\n");
	/* once a.side is old enough for its stat to be trusted, the next build records
	 * that stat, which the one after would find again in a stale prefetch */
	sleep(1);
	build(f, "all", key.data);
	assert_int_equal(result_of(f, "reader", "a"), NR_CLEAN);
	write_file(f, "a.in", "two\n");
	build(f, "all", key.data);
	assert_int_equal(result_of(f, "scribble", "a"), NR_RAN);
	assert_int_equal(result_of(f, "reader", "a"), NR_RAN);
	assert_string_equal(value_of(f, "reader", "a"), "two\n");
	buf_free(&key);
}

/* A snapshot ahead of the database (its last commits lost, as after a power cut with
 * synchronous=NORMAL) is deleted, not kept until the database's generation catches up
 * with it and makes it look valid. */
static void
test_snapshot_ahead_of_database(void **state)
{
	static const unsigned char far_ahead[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f };
	Fixture *f = *state;
	Buf key = { 0 };
	char snap[300];
	int fd;

	many_files(f, &key);
	build(f, "all", key.data);
	assert_int_equal(f->report.nfailures, 0);
	close_engine(f);
	snprintf(snap, sizeof(snap), "%s/.bunpy/graph.snap", f->dir);
	assert_int_equal(access(snap, F_OK), 0);
	fd = open(snap, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, far_ahead, sizeof(far_ahead), 4 + 16), (ssize_t)sizeof(far_ahead));
	close(fd);
	open_engine(f);
	assert_int_equal(access(snap, F_OK), -1);
	/* the database alone still knows everything */
	build(f, "all", key.data);
	assert_int_equal(result_of(f, "lines", "f7.txt"), NR_CLEAN);
	assert_int_equal(f->report.counts[NR_RAN], 0);
	buf_free(&key);
}

/* Messages cut to fit an Err end on a whole character; quoted text never passes controls. */
static void
test_messages_stay_utf8(void **state)
{
	char big[3000];
	Err err;
	Buf b = {0};
	size_t i;

	for (i = 0; i + 2 < sizeof(big); i += 2)
		big[i] = (char)0xC3, big[i + 1] = (char)0xA9;     /* é */
	big[i] = 0;
	err_set(&err, "x%s", big);                               /* cut inside an é */
	assert_int_equal(utf8_valid_prefix(err.msg, strlen(err.msg)), strlen(err.msg));
	err_set(&err, "%s", big + 1000);
	err_wrap(&err, "context");
	assert_int_equal(utf8_valid_prefix(err.msg, strlen(err.msg)), strlen(err.msg));
	assert_string_equal(err_reason("\"v\" is bad: because", " is bad: "), "because");
	assert_string_equal(err_reason("no phrase", " is bad: "), "no phrase");
	buf_put_quoted(&b, "a\"\\\x1b[0m\xc2\x9b\xff\xc3\xa9", 12, 100);
	assert_string_equal(b.data, "\"a\\\"\\\\\\x1b[0m\\u009b\\xff\xc3\xa9\"");
	buf_clear(&b);
	buf_put_quoted(&b, "abc\xc3\xa9" "def", 9, 4);            /* cut before the é */
	assert_string_equal(b.data, "\"abc\"...");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_build_then_noop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_early_cutoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dynamic_inputs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stat_fast_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule_version_bump, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cycle_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_propagation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_going, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cas_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explain_names_changed_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_depth_bounds_concurrency, setup, teardown),
		cmocka_unit_test_setup_teardown(test_critical_path_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_files_prefetched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefetch_dropped_once_work_starts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_ahead_of_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill9_loop, setup, teardown),
		cmocka_unit_test(test_messages_stay_utf8),
		cmocka_unit_test_setup_teardown(test_tick_while_waiting, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

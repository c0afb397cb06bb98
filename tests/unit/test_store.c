/*
 * test_store.c - the SQLite store: schema versions, damaged files, generations, and
 * the graph snapshot that must never be applied to another database.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "engine/engine.h"
#include "engine/fs.h"
#include "engine/store.h"

static char dir[256], db[300];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/bunpy-test-store-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/state.db", dir);
	return 0;
}

static int
teardown(void **state)
{
	Err err;

	(void)state;
	fs_remove_tree(dir, &err);
	return 0;
}

static void
test_newer_schema_is_refused(void **state)
{
	sqlite3 *h;
	Store *st;
	Err err;

	(void)state;
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(store_open(&st, db, false, &err), -1);
	assert_non_null(strstr(err.msg, "written by a newer bunpy (schema 99"));
	assert_non_null(strstr(err.msg, "delete the .bunpy directory"));
}

static void
test_damaged_file_is_set_aside(void **state)
{
	Store *st;
	Err err;
	FILE *f = fopen(db, "w");
	char aside[400];

	(void)state;
	fputs("definitely not a database, but long enough to look at its header......", f);
	fclose(f);
	assert_int_equal(store_open(&st, db, false, &err), 0);
	assert_non_null(store_notice(st));
	assert_non_null(strstr(store_notice(st), "was damaged"));
	assert_int_equal(store_check(st, &err), 0);
	store_close(st);
	snprintf(aside, sizeof(aside), "%s.damaged", db);
	assert_int_equal(access(aside, F_OK), 0);
}

static int
count_row(void *ctx, const StoreNode *row)
{
	(*(int *)ctx)++;
	assert_non_null(row->key);
	return 0;
}

static void
test_generations(void **state)
{
	Store *st;
	uint32_t kind;
	StoreNode n = { .id = 1, .key = "k", .status = 1, .rule_version = 1 };
	int64_t g0;
	int rows = 0;
	Err err;

	(void)state;
	assert_int_equal(store_open(&st, db, false, &err), 0);
	assert_int_equal(store_kind_id(st, "file", &kind, &err), 0);
	n.kind = kind;
	g0 = store_generation(st);
	/* a transaction without node rows makes no generation */
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_commit(st, &err), 0);
	assert_int_equal(store_generation(st), g0);
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_put_node(st, &n, false, &err), 0);
	assert_int_equal(store_commit(st, &err), 0);
	assert_int_equal(store_generation(st), g0 + 1);
	/* rows newer than a generation */
	assert_int_equal(store_load_nodes(st, g0, count_row, &rows, &err), 0);
	assert_int_equal(rows, 1);
	rows = 0;
	assert_int_equal(store_load_nodes(st, g0 + 1, count_row, &rows, &err), 0);
	assert_int_equal(rows, 0);
	/* a rolled back write leaves the generation alone */
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_put_node(st, &n, false, &err), 0);
	store_rollback(st);
	assert_int_equal(store_generation(st), g0 + 1);
	store_close(st);
	/* and it survives reopening */
	assert_int_equal(store_open(&st, db, false, &err), 0);
	assert_int_equal(store_generation(st), g0 + 1);
	store_close(st);
}

/* The snapshot of one project copied into another must be ignored there. */
static void
test_snapshot_of_another_database_is_ignored(void **state)
{
	char a[300], b[300], cmd[1000];
	EngineConfig cfg = { .wait_for_lock = true };
	Engine *eng;
	NodeRef goal = { "file", "x" };
	BuildReport rep;
	NodeValue v;
	Digest want;
	Err err;
	int i;

	(void)state;
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	for (i = 0; i < 2; i++) {
		char file[400];
		const char *root = i ? b : a;

		assert_int_equal(fs_mkdir_p(root, &err), 0);
		snprintf(file, sizeof(file), "%s/x", root);
		assert_int_equal(fs_write_atomic(file, i ? "bee" : "aye", 3, 0644, &err), 0);
	}
	/* project a: many builds of many files make a snapshot */
	cfg.root = a;
	for (i = 0; i < 2; i++) {
		NodeRef goals[2200];
		char keys[2200][16];
		int k;

		for (k = 0; k < 2200; k++) {
			snprintf(keys[k], sizeof(keys[k]), "f%d", k);
			goals[k] = (NodeRef){ "file", keys[k] };
		}
		assert_int_equal(eng_open(&eng, &cfg, &err), 0);
		assert_int_equal(eng_build(eng, goals, 2200, &rep, &err), 0);
		build_report_free(&rep);
		eng_close(eng);
	}
	snprintf(cmd, sizeof(cmd), "%s/.bunpy/graph.snap", a);
	assert_int_equal(access(cmd, F_OK), 0);
	/* project b gets a's snapshot */
	cfg.root = b;
	assert_int_equal(eng_open(&eng, &cfg, &err), 0);
	assert_int_equal(eng_build(eng, &goal, 1, &rep, &err), 0);
	build_report_free(&rep);
	eng_close(eng);
	snprintf(cmd, sizeof(cmd), "cp %s/.bunpy/graph.snap %s/.bunpy/graph.snap", a, b);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(eng_open(&eng, &cfg, &err), 0);
	assert_int_equal(eng_value(eng, "file", "x", &v, &err), 0);
	want = hash_bytes("bee", 3);
	assert_memory_equal(v.digest.b, want.b, 16);
	assert_int_not_equal(eng_find(eng, "file", "f5", &(uint32_t){ 0 }), 0);
	eng_close(eng);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_newer_schema_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_file_is_set_aside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_of_another_database_is_ignored, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_taskdef.c - reading [tool.bunpy.tasks] and the packed task table.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rules/taskdef.h"

static int
parse(const char *toml, Buf *table, Err *err)
{
	return taskdef_parse_pyproject(toml, strlen(toml), "pyproject.toml", table, err);
}

static void
decode(const Buf *table, const char *name, Arena *a, TaskDef *t)
{
	const char *json;
	size_t len;
	Err err;

	assert_true(taskdef_find(table->data, table->len, name, &json, &len));
	assert_int_equal(taskdef_decode(json, len, a, t, &err), 0);
}

static void
test_forms(void **state)
{
	Buf table = { 0 };
	Arena a = { 0 };
	TaskDef t;
	Err err;

	(void)state;
	assert_int_equal(parse("[tool.bunpy.tasks]\n"
			       "lint = \"ruff check .\"\n"
			       "fmt = [\"ruff\", \"format\"]\n"
			       "[tool.bunpy.tasks.build]\n"
			       "cmd = \"make\"\n"
			       "deps = \"lint\"\n"
			       "inputs = [\"./src//a.c\", \"src/*.h\"]\n"
			       "outputs = [\"out/app\"]\n"
			       "env = { B = \"2\", A = \"1\" }\n"
			       "cwd = \"src/.\"\n"
			       "description = \"Build it\"\n", &table, &err), 0);
	assert_int_equal(taskdef_count(table.data, table.len), 3);
	decode(&table, "lint", &a, &t);
	assert_true(t.shell);
	assert_string_equal(t.argv[0], "/bin/sh");
	assert_string_equal(t.argv[2], "ruff check .");
	decode(&table, "fmt", &a, &t);
	assert_false(t.shell);
	assert_string_equal(t.argv[0], "ruff");
	assert_string_equal(t.command, "ruff format");
	decode(&table, "build", &a, &t);
	assert_int_equal(t.ndeps, 1);
	assert_string_equal(t.deps[0], "lint");
	assert_string_equal(t.inputs[0], "src/a.c");      /* cleaned */
	assert_string_equal(t.env[0], "A=1");             /* sorted */
	assert_string_equal(t.env[1], "B=2");
	assert_string_equal(t.cwd, "src");
	assert_string_equal(t.description, "Build it");
	assert_false(taskdef_find(table.data, table.len, "nope", &(const char *){ 0 }, &(size_t){ 0 }));
	buf_free(&table);
	arena_free(&a);
}

static void
test_no_tasks(void **state)
{
	Buf table = { 0 };
	Err err;

	(void)state;
	assert_int_equal(parse("[project]\nname = \"x\"\n", &table, &err), 0);
	assert_int_equal(taskdef_count(table.data, table.len), 0);
	buf_free(&table);
}

static void
test_implicit_deps(void **state)
{
	Buf table = { 0 };
	Arena a = { 0 };
	TaskDef t;
	Err err;

	(void)state;
	assert_int_equal(parse("[tool.bunpy.tasks]\n"
			       "gen = { cmd = \"g\", outputs = [\"gen/x.c\"] }\n"
			       "cc = { cmd = \"c\", inputs = [\"gen/./x.c\", \"gen/*.c\"] }\n", &table, &err), 0);
	decode(&table, "cc", &a, &t);
	assert_int_equal(t.ndeps, 1);
	assert_string_equal(t.deps[0], "gen");
	buf_free(&table);
	arena_free(&a);
}

static void
test_description_does_not_change_identity(void **state)
{
	Buf t1 = { 0 }, t2 = { 0 }, e1 = { 0 }, e2 = { 0 };
	Arena a = { 0 };
	TaskDef d1, d2;
	Err err;

	(void)state;
	assert_int_equal(parse("[tool.bunpy.tasks.b]\ncmd = \"x\"\ndescription = \"one\"\n", &t1, &err), 0);
	assert_int_equal(parse("[tool.bunpy.tasks.b]\ndescription = \"two\"\ncmd = \"x\"\n", &t2, &err), 0);
	decode(&t1, "b", &a, &d1);
	decode(&t2, "b", &a, &d2);
	taskdef_encode(&d1, false, &e1);
	taskdef_encode(&d2, false, &e2);
	assert_string_equal(e1.data, e2.data);
	buf_free(&t1);
	buf_free(&t2);
	buf_free(&e1);
	buf_free(&e2);
	arena_free(&a);
}

static void
test_errors(void **state)
{
	static const struct { const char *toml, *msg; } cases[] = {
		{ "[tool.bunpy]\ntasks = 3\n", "pyproject.toml:2:9: tool.bunpy.tasks: expected a table of tasks, found integer" },
		{ "[tool.bunpy.tasks.a]\ncmd = []\n", "pyproject.toml:2:7: tool.bunpy.tasks.a.cmd: the command array is empty" },
		{ "[tool.bunpy.tasks.a]\ncmd = \"\"\n", "tool.bunpy.tasks.a.cmd: the command is empty" },
		{ "[tool.bunpy.tasks.a]\ncmd = \"x\"\ninputs = [1]\n", "pyproject.toml:3:11: tool.bunpy.tasks.a.inputs: expected an array of strings, found a integer" },
		{ "[tool.bunpy.tasks.a]\ncmd = \"x\"\noutputs = [\"/etc/passwd\"]\n", "output '/etc/passwd' is not a file inside the project" },
		{ "[tool.bunpy.tasks.a]\ncmd = \"x\"\ncwd = \"../..\"\n", "tool.bunpy.tasks.a.cwd: '../..' is not a directory inside the project" },
		{ "[tool.bunpy.tasks]\na = { cmd = \"x\", deps = [\"a\"] }\n", "cycle: a -> a" },
		{ "[tool.bunpy.tasks]\na = { cmd = \"x\", deps = [\"b\"] }\nb = { cmd = \"y\", deps = [\"c\"] }\nc = { cmd = \"z\", deps = [\"a\"] }\n", "cycle: a -> b -> c -> a" },
		{ "[tool.bunpy.tasks]\n\"-a\" = \"x\"\n", "'-a' is not a usable task name" },
		{ "[tool.bunpy.tasks]\na = 1\n", "tool.bunpy.tasks.a: expected a command (string or array) or a table, found integer" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		Buf table = { 0 };
		Err err;

		if (parse(cases[i].toml, &table, &err) == 0)
			fail_msg("accepted: %s", cases[i].toml);
		if (!strstr(err.msg, cases[i].msg))
			fail_msg("for %s\n got: %s\n want: %s", cases[i].toml, err.msg, cases[i].msg);
		buf_free(&table);
	}
}

static void
test_many_tasks(void **state)
{
	Buf doc = { 0 }, table = { 0 };
	Arena a = { 0 };
	TaskDef t;
	Err err;
	int i;

	(void)state;
	buf_puts(&doc, "[tool.bunpy.tasks]\n");
	for (i = 0; i < 5000; i++)
		buf_printf(&doc, "t%d = { cmd = \"c%d\", inputs = [\"in/%d\"], outputs = [\"out/%d\"] }\n",
			   i, i, i > 0 ? i - 1 : 0, i);
	assert_int_equal(taskdef_parse_pyproject(doc.data, doc.len, "p", &table, &err), 0);
	assert_int_equal(taskdef_count(table.data, table.len), 5000);
	decode(&table, "t4999", &a, &t);
	assert_string_equal(t.outputs[0], "out/4999");
	decode(&table, "t0", &a, &t);
	assert_string_equal(t.command, "c0");
	buf_free(&doc);
	buf_free(&table);
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_no_tasks),
		cmocka_unit_test(test_implicit_deps),
		cmocka_unit_test(test_description_does_not_change_identity),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_many_tasks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

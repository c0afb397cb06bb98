/*
 * fuzz_pyproject.c - libFuzzer target for pyproject.toml reading (packaging/pyproject.c).
 *
 * Any bytes are a pyproject.toml. A rejected input must carry an error that starts
 * "pyproject.toml:LINE:COL: " with LINE inside the input. An accepted one must be
 * consistent: names valid and their normalized forms normalized, extras and groups
 * unique once normalized, a version unless it is dynamic, [tool.bunpy] the table the
 * document holds, requirements that print to text that parses again. Every group must
 * expand or fail with a positioned error, and expanding them all must agree with
 * expanding each alone; the requirements with every extra must come out with the
 * self-references replaced, or fail with a positioned error (always, when the
 * dependencies are dynamic). The sorted name indexes hold every extra and group once,
 * in order. A message about a version or a specifier says so once (the value is not
 * repeated by the inner message). Any breach aborts.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/arena.h"
#include "engine/err.h"
#include "packaging/name.h"
#include "packaging/pyproject.h"
#include "packaging/requirement.h"
#include "fuzz.h"

#define NAME "pyproject.toml"

static void
check_req(const PyprojectReq *r, Arena *a)
{
	Requirement again;
	char *text;

	CHECK(r->text && r->req.name && r->req.normalized);
	/* packaging's tokenizer takes "a_" for a name (its \b sees '_' as a word
	 * character), so the normalized form is only checked against the name */
	CHECK(strcmp(r->req.normalized, name_normalize(r->req.name, strlen(r->req.name), a)) == 0);
	text = requirement_format(&r->req, a);
	CHECK(requirement_parse(text, strlen(text), a, &again, NULL) == 0);
	CHECK(strcmp(again.normalized, r->req.normalized) == 0);
}

static void
check_reqs(const PyprojectReqList *l, Arena *a)
{
	size_t i;

	for (i = 0; i < l->len; i++)
		check_req(&l->items[i], a);
}

static size_t
count_in(const char *s, size_t n, const char *what)
{
	size_t k = strlen(what), c = 0, i;

	for (i = 0; i + k <= n; i++)
		c += !memcmp(s + i, what, k);
	return c;
}

/*
 * The value is named once: the inner parser's own naming of it is not repeated. (The
 * value may hold the phrase itself, and be named twice: whole, and the clause at
 * fault.)
 */
static void
check_message(const char *msg, const uint8_t *data, size_t size)
{
	static const char *const marks[] = { "is not a valid version (PEP 440)",
					     "is not a valid version specifier" };
	size_t i;

	/* requirement.c's own messages ("Invalid specifier: 'X': 'X' is not ...") are
	 * passed on whole; only the readers' messages are checked here */
	if (strstr(msg, " is not a valid requirement: "))
		return;
	for (i = 0; i < 2; i++)
		CHECK(count_in(msg, strlen(msg), marks[i]) <=
		      1 + 2 * count_in((const char *)data, size, marks[i]));
}

static void
check_index(const PyprojectNameRef *sorted, size_t n, const char *(*name_of)(const Pyproject *,
									     size_t),
	    const Pyproject *p)
{
	size_t i;

	CHECK(n == 0 || sorted != NULL);
	for (i = 0; i < n; i++) {
		CHECK(sorted[i].index < n);
		CHECK(strcmp(sorted[i].normalized, name_of(p, sorted[i].index)) == 0);
		CHECK(i == 0 || strcmp(sorted[i - 1].normalized, sorted[i].normalized) < 0);
	}
}

static const char *
extra_name(const Pyproject *p, size_t i)
{
	return p->project.extras[i].normalized;
}

static const char *
group_name(const Pyproject *p, size_t i)
{
	return p->groups[i].normalized;
}

static void
check_doc(const Pyproject *p, Arena *a, const uint8_t *data, size_t size)
{
	const PyprojectProject *pr = &p->project;
	const TomlValue *tool;
	PyprojectReqList *all, one;
	Err err, all_msg;
	size_t i, j;
	int rc_all, failed = 0;

	if (pr->present) {
		CHECK(name_is_valid(pr->name, strlen(pr->name)));
		CHECK(name_is_normalized(pr->normalized, strlen(pr->normalized)));
		CHECK(name_equal(pr->name, strlen(pr->name), pr->normalized, strlen(pr->normalized)));
		CHECK(pr->has_version || pyproject_is_dynamic(p, "version"));
		CHECK(!pyproject_is_dynamic(p, "name"));
		check_reqs(&pr->dependencies, a);
		for (i = 0; i < pr->extras_len; i++) {
			CHECK(name_is_normalized(pr->extras[i].normalized,
						 strlen(pr->extras[i].normalized)));
			for (j = 0; j < i; j++)
				CHECK(strcmp(pr->extras[i].normalized, pr->extras[j].normalized) != 0);
			check_reqs(&pr->extras[i].deps, a);
		}
	}
	if (pr->present) {
		const char **names = arena_alloc(a, (pr->extras_len + 1) * sizeof(*names));
		PyprojectReqList reqs;

		for (i = 0; i < pr->extras_len; i++)
			names[i] = pr->extras[i].name;
		check_index(pr->extras_sorted, pr->extras_len, extra_name, p);
		if (pyproject_requirements(p, names, pr->extras_len, a, &reqs, &err) != 0) {
			fuzz_check_located(err.msg, NAME, data, size);
			check_message(err.msg, data, size);
		} else {
			CHECK(!pyproject_is_dynamic(p, "dependencies"));
			size_t own = 0;

			/* self-references go (one without extras adds nothing), the rest stay */
			for (i = 0; i < pr->dependencies.len; i++)
				own += pr->dependencies.items[i].req.url ||
				       strcmp(pr->dependencies.items[i].req.normalized, pr->normalized);
			CHECK(reqs.len >= own && reqs.len <= PYPROJECT_GROUP_MAX);
			for (i = 0; i < reqs.len && i < 64; i++) {
				check_req(&reqs.items[i], a);
				/* self-references were replaced */
				CHECK(reqs.items[i].req.url ||
				      strcmp(reqs.items[i].req.normalized, pr->normalized) != 0);
			}
		}
	}
	CHECK(p->build_system.backend != NULL);
	check_reqs(&p->build_system.requires, a);
	check_reqs(&p->bunpy.constraint_dependencies, a);
	check_reqs(&p->bunpy.override_dependencies, a);
	check_index(p->groups_sorted, p->groups_len, group_name, p);
	tool = toml_get(p->root, "tool");
	CHECK(p->bunpy.table == (tool ? toml_get(tool, "bunpy") : NULL));
	for (i = 0; i < p->groups_len; i++) {
		CHECK(pyproject_group_find(p, p->groups[i].name) == &p->groups[i]);
		for (j = 0; j < i; j++)
			CHECK(strcmp(p->groups[i].normalized, p->groups[j].normalized) != 0);
	}

	rc_all = pyproject_groups_expand_all(p, a, &all, &err);
	if (rc_all != 0) {
		fuzz_check_located(err.msg, NAME, data, size);
		all_msg = err;
	}
	for (i = 0; i < p->groups_len; i++) {
		if (pyproject_group_expand(p, p->groups[i].normalized, a, &one, &err) != 0) {
			fuzz_check_located(err.msg, NAME, data, size);
			failed = 1;
			continue;
		}
		CHECK(one.len <= PYPROJECT_GROUP_MAX);
		for (j = 0; j < one.len && j < 64; j++)
			check_req(&one.items[j], a);
		if (rc_all == 0) {
			CHECK(all[i].len == one.len);
			for (j = 0; j < one.len; j++)
				CHECK(all[i].items[j].text == one.items[j].text);
		}
	}
	/* expand_all fails when some group fails, or when all of them are too many together */
	if (rc_all != 0 && !failed)
		CHECK(strstr(all_msg.msg, "requirements in all") != NULL);
	if (rc_all == 0)
		CHECK(!failed);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Arena arena = { 0 };
	Pyproject p;
	Err err;

	if (pyproject_parse((const char *)data, size, NAME, &arena, &p, &err) != 0) {
		fuzz_check_located(err.msg, NAME, data, size);
		check_message(err.msg, data, size);
	} else
		check_doc(&p, &arena, data, size);
	arena_free(&arena);
	return 0;
}

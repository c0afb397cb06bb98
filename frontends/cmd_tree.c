/*
 * cmd_tree.c - `bunpy tree`: the locked dependency tree; `bunpy why NAME`: every path
 * from the project to a package.
 *
 * Both read the graph from pylock.toml (made current first, unless --frozen): each
 * package's `dependencies` names its edges. The lock was resolved for the target, so
 * those edges already follow the target's markers; the project's own requirements
 * (pyproject.toml) are the roots, their markers evaluated with the target's
 * environment. A package reached again is printed with "(*)" and not expanded, which
 * also ends cycles; why's paths never visit a package twice.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "locking.h"
#include "packaging/name.h"
#include "project.h"
#include "rules/lockfile.h"
#include "syncing.h"

/* A normalized name and its index (of the lock's package while building, then of the node). */
typedef struct NodeKey {
	const char *key;
	size_t node;
} NodeKey;

static int
cmp_node_key(const void *x, const void *y)
{
	const NodeKey *a = x, *b = y;
	int c = strcmp(a->key, b->key);

	return c ? c : (a->node > b->node) - (a->node < b->node);
}

/* One locked package and its edges (indexes into Graph.nodes). */
typedef struct TreeNode {
	const char *name, *version;
	size_t *deps, ndeps, capdeps;
	size_t *rdeps, nrdeps, caprdeps;
	const char *sources;     /* the project arrays that name it, or NULL */
	bool from_main;          /* project.dependencies among them */
	bool expanded;           /* printed with its children in the current tree */
	bool on_path, reaches;   /* why */
} TreeNode;

typedef struct Graph {
	TreeNode *nodes;
	size_t n;
	size_t *roots, nroots;   /* the project's direct dependencies, in pyproject order */
	NodeKey *by_key;         /* (key, node) sorted by key, for graph_find */
	size_t nkeys;
	const char *project, *project_version;
	Arena *a;
} Graph;

/* The node of a package name (any spelling), (size_t)-1 when the graph has none. */
static size_t
graph_find(const Graph *g, const char *name)
{
	size_t len = strlen(name), lo = 0, hi = g->nkeys;
	char *key = xmalloc(len + 1);

	name_normalize_into(name, len, key);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(g->by_key[mid].key, key);

		if (c == 0) {
			free(key);
			return g->by_key[mid].node;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	free(key);
	return (size_t)-1;
}

static void
push_index(size_t **list, size_t *n, size_t *cap, size_t v)
{
	for (size_t i = 0; i < *n; i++)
		if ((*list)[i] == v)
			return;
	xgrow(list, cap, *n + 1, sizeof(**list));
	(*list)[(*n)++] = v;
}

static bool
marker_holds(const Requirement *r, const MarkerEnv *env)
{
	bool on = true;

	/* a marker that cannot be evaluated here excludes nothing: the lock decides */
	if (r->marker && marker_evaluate(r->marker, env, &on, NULL) != 0)
		return true;
	return on;
}

/* A root: the requirement's package, remembering which array named it. */
static void
add_root(Graph *g, const Requirement *r, const MarkerEnv *env, const char *source, bool main)
{
	size_t i = graph_find(g, r->normalized);
	TreeNode *nd;
	size_t cap = g->nroots;

	if (i == (size_t)-1 || !marker_holds(r, env))
		return;
	nd = &g->nodes[i];
	if (!nd->sources)
		nd->sources = source;
	else if (!strstr(nd->sources, source))
		nd->sources = arena_printf(g->a, "%s, %s", nd->sources, source);
	nd->from_main |= main;
	push_index(&g->roots, &g->nroots, &cap, i);
}

/*
 * The graph of the lock's packages that sel installs (all of them when sel is NULL),
 * rooted at the project's requirements. tree_labels: "extra: X" / "group: G" (tree)
 * rather than the arrays' names (why).
 */
static void
graph_build(Graph *g, const Pylock *lock, const Pyproject *py, const Target *t,
	    const ExportOptions *sel, bool tree_labels, Arena *a)
{
	ExportOptions all = { .all_extras = true, .all_groups = true };
	const ExportOptions *o = sel ? sel : &all;
	size_t nkeys = 0, *node_of;
	bool *first;
	PyprojectReqList base = { 0 }, groups_none = { 0 }, *groups = NULL;
	Err err;

	memset(g, 0, sizeof(*g));
	g->a = a;
	g->project = py->project.name ? py->project.name : "project";
	g->project_version = py->project.has_version ? py->project.version.str : NULL;
	/* the packages sel installs, in the lock's order; a name the lock lists twice
	 * once (its first entry); and their index by normalized name */
	g->nodes = arena_zalloc(a, (lock->packages_len + 1) * sizeof(*g->nodes));
	g->by_key = arena_zalloc(a, (lock->packages_len + 1) * sizeof(*g->by_key));
	for (size_t i = 0; i < lock->packages_len; i++) {
		const PylockPackage *pk = &lock->packages[i];

		if (lockfile_selects(lock, o, &t->env, pk))
			g->by_key[nkeys++] = (NodeKey){ name_normalize(pk->name, strlen(pk->name), a), i };
	}
	qsort(g->by_key, nkeys, sizeof(*g->by_key), cmp_node_key);
	first = arena_zalloc(a, (lock->packages_len + 1) * sizeof(*first));
	for (size_t k = 0; k < nkeys; k++)
		first[g->by_key[k].node] = !k || strcmp(g->by_key[k - 1].key, g->by_key[k].key) != 0;
	node_of = arena_zalloc(a, (lock->packages_len + 1) * sizeof(*node_of));
	for (size_t i = 0; i < lock->packages_len; i++) {
		if (!first[i])
			continue;
		node_of[i] = g->n;
		g->nodes[g->n].name = lock->packages[i].name;
		g->nodes[g->n].version = lock->packages[i].has_version ? lock->packages[i].version.str : "";
		g->n++;
	}
	for (size_t k = 0; k < nkeys; k++)
		if (first[g->by_key[k].node])
			g->by_key[g->nkeys++] = (NodeKey){ g->by_key[k].key, node_of[g->by_key[k].node] };
	for (size_t i = 0; i < lock->packages_len; i++) {
		const PylockPackage *pk = &lock->packages[i];
		size_t from = graph_find(g, pk->name);

		if (from == (size_t)-1)
			continue;
		for (size_t k = 0; k < pk->dependencies_len; k++) {
			size_t to = graph_find(g, pk->dependencies[k].name);
			TreeNode *f = &g->nodes[from];

			if (to == (size_t)-1)
				continue;
			push_index(&f->deps, &f->ndeps, &f->capdeps, to);
			push_index(&g->nodes[to].rdeps, &g->nodes[to].nrdeps, &g->nodes[to].caprdeps, from);
		}
	}

	/* the roots: project.dependencies, then each extra and group chosen */
	if (pyproject_requirements(py, NULL, 0, a, &base, &err) != 0)
		base = py->project.dependencies;
	for (size_t i = 0; i < base.len; i++)
		add_root(g, &base.items[i].req, &t->env, "project.dependencies", true);
	for (size_t e = 0; e < py->project.extras_len; e++) {
		const PyprojectExtra *x = &py->project.extras[e];
		PyprojectReqList reqs;
		size_t skip = base.len;
		const char *label = tree_labels ? arena_printf(a, "extra: %s", x->normalized) :
				    arena_printf(a, "project.optional-dependencies.%s", x->name);

		if (!o->all_extras && !name_in(x->normalized, o->extras, o->nextras))
			continue;
		/* expanded, so that "app[cli]" inside an extra counts the extras it names */
		if (pyproject_requirements(py, &x->normalized, 1, a, &reqs, &err) != 0) {
			reqs = x->deps;
			skip = 0;
		}
		for (size_t i = skip; i < reqs.len; i++)
			add_root(g, &reqs.items[i].req, &t->env, label, false);
	}
	if (pyproject_groups_expand_all(py, a, &groups, &err) != 0)
		groups = NULL;
	for (size_t gi = 0; gi < py->groups_len; gi++) {
		const PyprojectGroup *gr = &py->groups[gi];
		const PyprojectReqList *reqs = groups ? &groups[gi] : &groups_none;
		const char *label = tree_labels ? arena_printf(a, "group: %s", gr->normalized) :
				    arena_printf(a, "dependency-groups.%s", gr->name);

		if (!o->all_groups && !name_in(gr->normalized, o->groups, o->ngroups))
			continue;
		for (size_t i = 0; i < reqs->len; i++)
			add_root(g, &reqs->items[i].req, &t->env, label, false);
	}
}

static void
graph_free(Graph *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->nodes[i].deps);
		free(g->nodes[i].rdeps);
	}
	free(g->roots);
}

/* pylock.toml made current (or, frozen, as it is), parsed; the pyproject and target. */
static int
load_lock(Cli *cli, Project *proj, LockingArgs *la, bool frozen, Arena *a, LockingResult *res,
	  Pylock *lock)
{
	Err err;
	int rc;

	la->quiet_up_to_date = true;
	rc = frozen ? locking_load(cli, proj, la, a, res) : locking_run(cli, proj, la, a, res);
	if (rc != 0)
		return rc;
	if (locking_lock(proj, res, a, lock, &err) != 0) {
		term_error(&cli->term, "%s", err.msg);
		return 1;
	}
	return 0;
}

/* ---- tree ---------------------------------------------------------------------------- */

enum { OPT_INVERT = 1, OPT_DEPTH, OPT_FROZEN };

typedef struct TreeOut {
	const Term *term;
	Graph *g;
	bool invert;
	long max_depth;          /* -1: no limit */
	Buf prefix;
} TreeOut;

static void
print_name(const TreeOut *t, const char *name, const char *version)
{
	fprintf(stdout, "%s%s%s", term_bold(t->term, stdout), name, term_reset(t->term, stdout));
	if (version && *version)
		fprintf(stdout, " %s%s%s", term_dim(t->term, stdout), version, term_reset(t->term, stdout));
}

/* Sort node indexes by name (few at a time: an insertion sort, without qsort_r). */
static void
sort_by_name(const Graph *g, size_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		size_t x = v[i], k = i;

		for (; k > 0 && strcmp(g->nodes[v[k - 1]].name, g->nodes[x].name) > 0; k--)
			v[k] = v[k - 1];
		v[k] = x;
	}
}

/* The children of node i: what it requires, or (inverted) what requires it, the project
 * last when it requires i directly. */
static void print_children(TreeOut *t, size_t i, long depth);

static void
print_line(TreeOut *t, bool last, size_t i, const char *label, bool project, long depth)
{
	TreeNode *nd = project ? NULL : &t->g->nodes[i];
	size_t plen = t->prefix.len;

	if (t->prefix.len)
		fwrite(t->prefix.data, 1, t->prefix.len, stdout);
	fputs(last ? "└── " : "├── ", stdout);
	if (project)
		print_name(t, t->g->project, t->g->project_version);
	else
		print_name(t, nd->name, nd->version);
	if (label)
		printf(" (%s)", label);
	if (nd && nd->expanded && (t->invert ? nd->nrdeps || nd->sources : nd->ndeps)) {
		fputs(" (*)", stdout);
		putchar('\n');
		return;
	}
	putchar('\n');
	if (!nd || (t->max_depth >= 0 && depth >= t->max_depth))
		return;
	nd->expanded = true;
	buf_puts(&t->prefix, last ? "    " : "│   ");
	print_children(t, i, depth);
	t->prefix.len = plen;
}

static void
print_children(TreeOut *t, size_t i, long depth)
{
	TreeNode *nd = &t->g->nodes[i];
	size_t n = t->invert ? nd->nrdeps : nd->ndeps;
	size_t *kids = xcalloc(n + 1, sizeof(*kids));
	bool project = t->invert && nd->sources;

	if (n)
		memcpy(kids, t->invert ? nd->rdeps : nd->deps, n * sizeof(*kids));
	sort_by_name(t->g, kids, n);
	for (size_t k = 0; k < n; k++)
		print_line(t, k + 1 == n && !project, kids[k], NULL, false, depth + 1);
	if (project)
		print_line(t, true, 0, nd->from_main ? NULL : nd->sources, true, depth + 1);
	free(kids);
}

/* One tree: its top line, then its children, with (*) counted within it. */
static void
print_tree(TreeOut *t, size_t top)
{
	for (size_t i = 0; i < t->g->n; i++)
		t->g->nodes[i].expanded = false;
	t->prefix.len = 0;
	if (top == (size_t)-1) {
		print_name(t, t->g->project, t->g->project_version);
		putchar('\n');
		if (t->max_depth == 0)
			return;
		for (size_t k = 0; k < t->g->nroots; k++) {
			TreeNode *nd = &t->g->nodes[t->g->roots[k]];

			print_line(t, k + 1 == t->g->nroots, t->g->roots[k],
				   nd->from_main ? NULL : nd->sources, false, 1);
		}
		return;
	}
	print_name(t, t->g->nodes[top].name, t->g->nodes[top].version);
	putchar('\n');
	if (t->max_depth == 0)
		return;
	t->g->nodes[top].expanded = true;
	print_children(t, top, 0);
}

static const CliOption tree_options[] = {
	{ "invert", 0, NULL, "show what requires each package (each NAME, or every leaf)", OPT_INVERT },
	{ "depth", 'd', "N", "show N levels below the top (0: the top alone)", OPT_DEPTH },
	{ "frozen", 0, NULL, "read pylock.toml as it is, without locking first", OPT_FROZEN },
	SELECT_OPTIONS,
	LOCKING_OPTIONS,
	{ NULL, 0, NULL, NULL, 0 },
};

static int
tree_main(Cli *cli, int argc, char **argv)
{
	LockingArgs la = { 0 };
	Selection sel = { 0 };
	LockingResult res = { 0 };
	TreeOut t = { &cli->term, NULL, false, -1, { 0 } };
	Project proj;
	Pylock lock;
	Graph g;
	Arena a = { 0 };
	const char *arg;
	bool frozen = false, have_proj = false, have_graph = false;
	int id, rc = 2;

	cli_begin(cli, &cmd_tree, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE) {
		switch (id) {
		case CLI_HELP: rc = 0; goto done;
		case CLI_ERROR: goto done;
		case OPT_INVERT: t.invert = true; break;
		case OPT_FROZEN: frozen = true; break;
		case OPT_DEPTH: {
			char *end;

			t.max_depth = strtol(arg, &end, 10);
			if (!*arg || *end || t.max_depth < 0 || t.max_depth > 1000000) {
				rc = cli_usage_error(cli, "--depth takes a number, 0 or more, not '%s'", arg);
				goto done;
			}
			break;
		}
		default:
			if (select_option(&sel, id, arg) == 0)
				break;
			if (locking_option(cli, &la, id, arg) == 2)
				goto done;
		}
	}
	select_finish(&sel);
	if ((rc = project_find(cli, &proj)) != 0)
		goto done;
	have_proj = true;
	if ((rc = load_lock(cli, &proj, &la, frozen, &a, &res, &lock)) != 0)
		goto done;
	graph_build(&g, &lock, &res.pyproject, &res.target, &sel.o, true, &a);
	have_graph = true;
	t.g = &g;
	for (int i = 0; i < cli->noperands; i++) {
		if (graph_find(&g, cli->operands[i]) == (size_t)-1) {
			bool locked = false;

			for (size_t k = 0; k < lock.packages_len && !locked; k++)
				locked = name_equal(lock.packages[k].name, strlen(lock.packages[k].name),
						    cli->operands[i], strlen(cli->operands[i]));
			term_error(&cli->term, "%s is not in %s%s", cli->operands[i], LOCKFILE_NAME,
				   locked ? " for the extras and groups chosen (see --all-extras, --all-groups)" : "");
			rc = 1;
			goto done;
		}
	}
	rc = 0;
	if (cli->noperands) {
		for (int i = 0; i < cli->noperands; i++)
			print_tree(&t, graph_find(&g, cli->operands[i]));
	} else if (t.invert) {
		size_t *leaves = xcalloc(g.n + 1, sizeof(*leaves)), nleaves = 0;

		for (size_t i = 0; i < g.n; i++)
			if (!g.nodes[i].ndeps)
				leaves[nleaves++] = i;
		sort_by_name(&g, leaves, nleaves);
		for (size_t i = 0; i < nleaves; i++)
			print_tree(&t, leaves[i]);
		free(leaves);
	} else {
		print_tree(&t, (size_t)-1);
	}
	if (fflush(stdout) != 0)
		rc = 1;
done:
	if (have_graph)
		graph_free(&g);
	if (have_proj)
		project_free(&proj);
	free(res.indexes);
	buf_free(&t.prefix);
	select_free(&sel);
	locking_args_free(&la);
	arena_free(&a);
	return rc;
}

const CliCommand cmd_tree = {
	.name = "tree",
	.usage = "[OPTIONS] [NAME...]",
	.summary = "show the locked dependency tree",
	.description = "Show the locked dependency tree: the project, its direct dependencies (with the\n"
		"extra or group they come from) and theirs, from pylock.toml (locked first if it is\n"
		"out of date, unless --frozen). A package whose dependencies were already shown\n"
		"in the tree is marked (*) and not expanded again. With NAMEs, only their\n"
		"subtrees; with --invert, what requires each NAME (or every leaf), up to the\n"
		"project.",
	.options = tree_options,
	.run = tree_main,
};

/* ---- why ----------------------------------------------------------------------------- */

#define WHY_MAX_PATHS 1000

typedef struct WhyOut {
	const Term *term;
	Graph *g;
	size_t target;
	size_t *path, len;
	size_t printed, more;
} WhyOut;

static void
why_print(WhyOut *w)
{
	const Term *t = w->term;

	if (w->printed >= WHY_MAX_PATHS) {
		w->more++;
		return;
	}
	w->printed++;
	fputs(w->g->project, stdout);
	for (size_t k = 0; k + 1 < w->len; k++)
		printf(" -> %s", w->g->nodes[w->path[k]].name);
	printf(" -> %s%s%s %s%s%s", term_bold(t, stdout), w->g->nodes[w->target].name,
	       term_reset(t, stdout), term_dim(t, stdout), w->g->nodes[w->target].version,
	       term_reset(t, stdout));
	if (w->len == 1)
		printf(" (%s)", w->g->nodes[w->target].sources);
	putchar('\n');
}

/* Every simple path from i to the target, through packages that can reach it. */
static void
why_walk(WhyOut *w, size_t i)
{
	TreeNode *nd = &w->g->nodes[i];

	if (!nd->reaches || nd->on_path || w->more)
		return;
	w->path[w->len++] = i;
	if (i == w->target) {
		why_print(w);
	} else {
		nd->on_path = true;
		for (size_t k = 0; k < nd->ndeps; k++)
			why_walk(w, nd->deps[k]);
		nd->on_path = false;
	}
	w->len--;
}

static void
mark_reaching(Graph *g, size_t i)
{
	size_t *stack = xcalloc(g->n + 1, sizeof(*stack)), n = 0;

	g->nodes[i].reaches = true;
	stack[n++] = i;
	while (n) {
		TreeNode *nd = &g->nodes[stack[--n]];

		for (size_t k = 0; k < nd->nrdeps; k++)
			if (!g->nodes[nd->rdeps[k]].reaches) {
				g->nodes[nd->rdeps[k]].reaches = true;
				stack[n++] = nd->rdeps[k];
			}
	}
	free(stack);
}

static const CliOption why_options[] = {
	{ "frozen", 0, NULL, "read pylock.toml as it is, without locking first", OPT_FROZEN },
	LOCKING_OPTIONS,
	{ NULL, 0, NULL, NULL, 0 },
};

static int
why_main(Cli *cli, int argc, char **argv)
{
	LockingArgs la = { 0 };
	LockingResult res = { 0 };
	Project proj;
	Pylock lock;
	Graph g;
	Arena a = { 0 };
	const char *arg;
	bool frozen = false, have_proj = false, have_graph = false;
	int id, rc = 2;

	cli_begin(cli, &cmd_why, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE) {
		switch (id) {
		case CLI_HELP: rc = 0; goto done;
		case CLI_ERROR: goto done;
		case OPT_FROZEN: frozen = true; break;
		default:
			if (locking_option(cli, &la, id, arg) == 2)
				goto done;
		}
	}
	if (!cli->noperands) {
		rc = cli_usage_error(cli, "why takes the NAME of a package");
		goto done;
	}
	if ((rc = project_find(cli, &proj)) != 0)
		goto done;
	have_proj = true;
	if ((rc = load_lock(cli, &proj, &la, frozen, &a, &res, &lock)) != 0)
		goto done;
	/* every extra and group: a package is in the lock for one of them */
	graph_build(&g, &lock, &res.pyproject, &res.target, NULL, false, &a);
	have_graph = true;
	rc = 0;
	for (int i = 0; i < cli->noperands && rc == 0; i++) {
		WhyOut w = { &cli->term, &g, graph_find(&g, cli->operands[i]), NULL, 0, 0, 0 };

		if (w.target == (size_t)-1) {
			term_error(&cli->term, "%s is not in %s", cli->operands[i], LOCKFILE_NAME);
			rc = 1;
			break;
		}
		for (size_t k = 0; k < g.n; k++)
			g.nodes[k].reaches = g.nodes[k].on_path = false;
		mark_reaching(&g, w.target);
		w.path = xcalloc(g.n + 1, sizeof(*w.path));
		for (size_t k = 0; k < g.nroots; k++)
			why_walk(&w, g.roots[k]);
		free(w.path);
		if (!w.printed)
			term_note(&cli->term, "%s %s is locked, but nothing in %s requires it", g.nodes[w.target].name,
				  g.nodes[w.target].version, "pyproject.toml");
		else if (w.more)
			term_note(&cli->term, "(only the first %d paths are shown)", WHY_MAX_PATHS);
	}
	if (fflush(stdout) != 0)
		rc = 1;
done:
	if (have_graph)
		graph_free(&g);
	if (have_proj)
		project_free(&proj);
	free(res.indexes);
	locking_args_free(&la);
	arena_free(&a);
	return rc;
}

const CliCommand cmd_why = {
	.name = "why",
	.usage = "[OPTIONS] NAME...",
	.summary = "show why a package is in the lock",
	.description = "Show every path from the project to a locked package, one per line\n"
		"(app -> httpx -> anyio 4.4.0), or the array of pyproject.toml that requires it\n"
		"directly. The graph is pylock.toml's, with every extra and dependency group.",
	.options = why_options,
	.run = why_main,
};

/*
 * leaf.c - the built-in kinds: "file" (a path's contents) and "glob" (a pattern's
 * matches).
 *
 * Both are inline and volatile: looked at in every build, the moment something needs
 * them. A file is trusted by its stat tuple and re-hashed only when the tuple moved, so
 * `touch` costs one hash and re-runs nothing. Keys are paths relative to the project.
 */
#include "config.h"

#include "graph.h"

#include <string.h>
#include <sys/stat.h>

#include "glob.h"

#define FILE_RULE_VERSION 1
#define GLOB_RULE_VERSION 1

Digest
eng_file_missing_digest(void)
{
	return hash_bytes("\0missing", 8);
}

Digest
eng_file_directory_digest(void)
{
	return hash_bytes("\0directory", 10);
}

void
leaf_set_file_state(Engine *eng, Node *n, const FileStat *st, const Digest *value)
{
	if (!n)
		return;
	if (memcmp(&n->stat, st, sizeof(*st)) != 0 || !digest_eq(&n->value, value) ||
	    !(n->status & NODE_OK)) {
		n->stat = *st;
		n->value = *value;
		n->status = (n->status & ~(uint32_t)NODE_FAILED) | NODE_OK;
		n->rule_version = FILE_RULE_VERSION;
		graph_mark_dirty(eng, n);
	}
}

/* Keys are relative to the project, and so are the lookups: through the project's
 * directory descriptor, the kernel walks two path components instead of ten. */
static RuleStatus
file_run(RuleCtx *ctx)
{
	Engine *eng = rule_engine(ctx);
	Node *n = rule_node(ctx);
	const char *path = rule_key(ctx);
	FileStat st;
	Digest value;
	Err err;
	int rc = build_prefetched_stat(eng, n, &st);

	if (rc < 0)
		rc = fs_statat(eng->root_fd, path, &st, &err);
	if (rc < 0)
		return rule_fail(ctx, 1, "%s", err.msg);
	if (rc == 1)
		value = eng_file_missing_digest();
	else if (S_ISDIR(st.mode))
		value = eng_file_directory_digest();
	else if ((n->status & NODE_OK) && fs_stat_same(&st, &n->stat))
		value = n->value;
	else if (hash_file_at(eng->root_fd, path, &value, NULL, &err) != 0)
		return rule_fail(ctx, 1, "%s", err.msg);
	leaf_set_file_state(eng, n, &st, &value);
	rule_set_digest(ctx, &value);
	return RULE_DONE;
}

static RuleStatus
glob_run(RuleCtx *ctx)
{
	Buf matches = { 0 };
	Err err;

	if (glob_expand(rule_root(ctx), rule_key(ctx), &matches, &err) != 0) {
		buf_free(&matches);
		return rule_fail(ctx, 1, "%s", err.msg);
	}
	rule_set_data(ctx, matches.data ? matches.data : "", matches.len);
	buf_free(&matches);
	return RULE_DONE;
}

const Rule leaf_file_rule = {
	.kind = "file",
	.version = FILE_RULE_VERSION,
	.flags = RULE_INLINE | RULE_VOLATILE | RULE_PURE,
	.run = file_run,
};

const Rule leaf_glob_rule = {
	.kind = "glob",
	.version = GLOB_RULE_VERSION,
	.flags = RULE_INLINE | RULE_VOLATILE | RULE_PURE,
	.run = glob_run,
};

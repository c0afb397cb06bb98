/*
 * commands.c - the list of commands.
 */
#include "config.h"

#include <string.h>

#include "commands.h"

static const CliOption top_options[] = {
	{ "version", 'V', NULL, "show the version", COMMANDS_OPT_VERSION },
	{ "code", 'c', "CODE", "run Python code in the project's environment (bunpy run -c)", COMMANDS_OPT_CODE },
	{ NULL, 0, NULL, NULL, 0 },
};

const CliCommand commands_top = { .name = "", .usage = "COMMAND [ARGS...]", .options = top_options };

const CliCommand *const commands_all[] = {
	&cmd_init, &cmd_add, &cmd_remove, &cmd_run, &cmd_lock, &cmd_sync, &cmd_update,
	&cmd_outdated, &cmd_tree, &cmd_why, &cmd_export, &cmd_python, &cmd_cache, &cmd_graph,
	&cmd_complete, NULL,
};

const CliCommand *
commands_find(const char *name)
{
	const CliCommand *const *c;

	for (c = commands_all; *c; c++)
		if (!strcmp((*c)->name, name))
			return *c;
	return NULL;
}

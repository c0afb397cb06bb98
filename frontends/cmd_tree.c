/* cmd_tree.c - being written */
#include "config.h"

#include "commands.h"

static const CliOption tree_options[] = {
	{ NULL, 0, NULL, NULL, 0 },
};

static int
tree_main(Cli *cli, int argc, char **argv)
{
	const char *arg;
	int id;

	cli_begin(cli, &cmd_tree, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE)
		if (id == CLI_HELP || id == CLI_ERROR)
			return id == CLI_HELP ? 0 : 2;
	return cli_usage_error(cli, "not written yet");
}

const CliCommand cmd_tree = {
	.name = "tree",
	.usage = "[OPTIONS] [NAME...]",
	.summary = "show the locked dependency tree",
	.description = "Show the locked dependency tree.",
	.options = tree_options,
	.run = tree_main,
};

static const CliOption why_options[] = {
	{ NULL, 0, NULL, NULL, 0 },
};

static int
why_main(Cli *cli, int argc, char **argv)
{
	const char *arg;
	int id;

	cli_begin(cli, &cmd_why, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE)
		if (id == CLI_HELP || id == CLI_ERROR)
			return id == CLI_HELP ? 0 : 2;
	return cli_usage_error(cli, "not written yet");
}

const CliCommand cmd_why = {
	.name = "why",
	.usage = "[OPTIONS] NAME",
	.summary = "show why a package is in the lock",
	.description = "Show why a package is in the lock.",
	.options = why_options,
	.run = why_main,
};

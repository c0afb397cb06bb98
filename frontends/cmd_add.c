/* cmd_add.c - being written */
#include "config.h"

#include "commands.h"

static const CliOption add_options[] = {
	{ NULL, 0, NULL, NULL, 0 },
};

static int
add_main(Cli *cli, int argc, char **argv)
{
	const char *arg;
	int id;

	cli_begin(cli, &cmd_add, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE)
		if (id == CLI_HELP || id == CLI_ERROR)
			return id == CLI_HELP ? 0 : 2;
	return cli_usage_error(cli, "not written yet");
}

const CliCommand cmd_add = {
	.name = "add",
	.usage = "[OPTIONS] SPEC...",
	.summary = "add dependencies to pyproject.toml, then lock and sync",
	.description = "Add dependencies to pyproject.toml, then lock and sync.",
	.options = add_options,
	.run = add_main,
};

static const CliOption remove_options[] = {
	{ NULL, 0, NULL, NULL, 0 },
};

static int
remove_main(Cli *cli, int argc, char **argv)
{
	const char *arg;
	int id;

	cli_begin(cli, &cmd_remove, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE)
		if (id == CLI_HELP || id == CLI_ERROR)
			return id == CLI_HELP ? 0 : 2;
	return cli_usage_error(cli, "not written yet");
}

const CliCommand cmd_remove = {
	.name = "remove",
	.usage = "[OPTIONS] NAME...",
	.summary = "remove dependencies from pyproject.toml, then lock and sync",
	.description = "Remove dependencies from pyproject.toml, then lock and sync.",
	.options = remove_options,
	.run = remove_main,
};

/* cmd_init.c - being written */
#include "config.h"

#include "commands.h"

static const CliOption init_options[] = {
	{ NULL, 0, NULL, NULL, 0 },
};

static int
init_main(Cli *cli, int argc, char **argv)
{
	const char *arg;
	int id;

	cli_begin(cli, &cmd_init, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE)
		if (id == CLI_HELP || id == CLI_ERROR)
			return id == CLI_HELP ? 0 : 2;
	return cli_usage_error(cli, "not written yet");
}

const CliCommand cmd_init = {
	.name = "init",
	.usage = "[OPTIONS] [NAME]",
	.summary = "create a new project: pyproject.toml, src/, tests/",
	.description = "Create a new project: pyproject.toml, src/, tests/.",
	.options = init_options,
	.run = init_main,
};

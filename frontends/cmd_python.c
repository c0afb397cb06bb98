/* cmd_python.c - being written */
#include "config.h"

#include "commands.h"

static const CliOption python_options[] = {
	{ NULL, 0, NULL, NULL, 0 },
};

static int
python_main(Cli *cli, int argc, char **argv)
{
	const char *arg;
	int id;

	cli_begin(cli, &cmd_python, argc, argv);
	while ((id = cli_next(cli, &arg)) != CLI_DONE)
		if (id == CLI_HELP || id == CLI_ERROR)
			return id == CLI_HELP ? 0 : 2;
	return cli_usage_error(cli, "not written yet");
}

const CliCommand cmd_python = {
	.name = "python",
	.usage = "find [REQUEST]",
	.summary = "find the interpreter a project would use",
	.description = "Find the interpreter a project would use.",
	.options = python_options,
	.run = python_main,
};

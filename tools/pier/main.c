/*
 * pier: the client. main() finds the command named by argv[1] in the
 * table of cmds.c (by name or an unambiguous prefix, as tmux does) and
 * runs it; `pier help` and the usage are generated from that table.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"

/* Finds the command named by argv[1] and runs it. */
int
main(int argc, char **argv)
{
	static char		 prog[CLI_NAME_MAX + 8];
	const struct cli_cmd	*cmd;
	int			 rc;

	/* A node that goes away mid-write is an error to report, not death. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		cli_print_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cli_print_usage(stdout);
		return (CLI_EXIT_OK);
	}
	if (strcmp(argv[1], "--version") == 0)
		return (cli_cmd_version.main(&cli_cmd_version, 1, argv));
	if (sodium_init() < 0) {
		fprintf(stderr, "pier: libsodium failed to initialise\n");
		return (CLI_EXIT_FAIL);
	}
	cmd = cli_cmd_find(argv[1]);
	if (cmd == NULL)
		return (CLI_EXIT_USAGE);
	/* getopt's own complaints then begin "pier NAME:" as ours do. */
	snprintf(prog, sizeof(prog), "pier %s", cmd->name);
	argv[1] = prog;
	rc = cmd->main(cmd, argc - 1, argv + 1);
	if (cli_out_lost())
		cli_out_die();	/* stdout's reader left: as docker's CLI */
	return (rc);
}

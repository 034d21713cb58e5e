/*
 * The table of pier's commands: every struct cli_cmd, sorted by name.
 * Each family of commands lives in its own cmd-*.c file and exports one
 * struct cli_cmd per command, which declares its method, options and
 * argument bounds (see cli.h); a new command is a new entry here.
 */
#include <stdio.h>
#include <string.h>

#include "pier-config.h"
#include "cli.h"
#include "wire.h"

static int	cmd_help_main(const struct cli_cmd *, int, char **);
static int	cmd_version_main(const struct cli_cmd *, int, char **);

const struct cli_cmd cli_cmd_help = {
	.name = "help",
	.main = cmd_help_main,
	.usage = "[COMMAND | --man]",
	.summary = "show the commands, or one command's options",
	.help = "",
	.notes = "\n--man writes pier(1), the manual page of every command, "
	    "in roff.\n",
};

const struct cli_cmd cli_cmd_version = {
	.name = "version",
	.main = cmd_version_main,
	.usage = "[--json]",
	.summary = "print the client's version",
	.help = "",
	.notes = "\n--json: {\"version\", \"protocol\"}, the client's version "
	    "and the\nprotocol version it speaks.\n",
};

extern const struct cli_cmd cli_cmd_attach;
extern const struct cli_cmd cli_cmd_audit;
extern const struct cli_cmd cli_cmd_commit;
extern const struct cli_cmd cli_cmd_complete;
extern const struct cli_cmd cli_cmd_completion;
extern const struct cli_cmd cli_cmd_config;
extern const struct cli_cmd cli_cmd_container;
extern const struct cli_cmd cli_cmd_cp;
extern const struct cli_cmd cli_cmd_deploy;
extern const struct cli_cmd cli_cmd_diff;
extern const struct cli_cmd cli_cmd_docker;
extern const struct cli_cmd cli_cmd_doctor;
extern const struct cli_cmd cli_cmd_dup;
extern const struct cli_cmd cli_cmd_events;
extern const struct cli_cmd cli_cmd_exec;
extern const struct cli_cmd cli_cmd_help;
extern const struct cli_cmd cli_cmd_image;
extern const struct cli_cmd cli_cmd_images;
extern const struct cli_cmd cli_cmd_info;
extern const struct cli_cmd cli_cmd_inspect;
extern const struct cli_cmd cli_cmd_join;
extern const struct cli_cmd cli_cmd_key;
extern const struct cli_cmd cli_cmd_kill;
extern const struct cli_cmd cli_cmd_kill_session;
extern const struct cli_cmd cli_cmd_logs;
extern const struct cli_cmd cli_cmd_network;
extern const struct cli_cmd cli_cmd_networks;
extern const struct cli_cmd cli_cmd_nodes;
extern const struct cli_cmd cli_cmd_pause;
extern const struct cli_cmd cli_cmd_ping;
extern const struct cli_cmd cli_cmd_port;
extern const struct cli_cmd cli_cmd_ps;
extern const struct cli_cmd cli_cmd_pull;
extern const struct cli_cmd cli_cmd_rename;
extern const struct cli_cmd cli_cmd_restart;
extern const struct cli_cmd cli_cmd_rm;
extern const struct cli_cmd cli_cmd_rmi;
extern const struct cli_cmd cli_cmd_run;
extern const struct cli_cmd cli_cmd_services;
extern const struct cli_cmd cli_cmd_sessions;
extern const struct cli_cmd cli_cmd_shell;
extern const struct cli_cmd cli_cmd_stack;
extern const struct cli_cmd cli_cmd_start;
extern const struct cli_cmd cli_cmd_stats;
extern const struct cli_cmd cli_cmd_stop;
extern const struct cli_cmd cli_cmd_system;
extern const struct cli_cmd cli_cmd_templates;
extern const struct cli_cmd cli_cmd_top;
extern const struct cli_cmd cli_cmd_ui;
extern const struct cli_cmd cli_cmd_unpause;
extern const struct cli_cmd cli_cmd_update;
extern const struct cli_cmd cli_cmd_version;
extern const struct cli_cmd cli_cmd_volume;
extern const struct cli_cmd cli_cmd_volumes;
extern const struct cli_cmd cli_cmd_wait;

/* Every command, sorted by name. */
const struct cli_cmd *const cli_cmds[] = {
	&cli_cmd_complete,
	&cli_cmd_attach,
	&cli_cmd_audit,
	&cli_cmd_commit,
	&cli_cmd_completion,
	&cli_cmd_config,
	&cli_cmd_container,
	&cli_cmd_cp,
	&cli_cmd_deploy,
	&cli_cmd_diff,
	&cli_cmd_docker,
	&cli_cmd_doctor,
	&cli_cmd_dup,
	&cli_cmd_events,
	&cli_cmd_exec,
	&cli_cmd_help,
	&cli_cmd_image,
	&cli_cmd_images,
	&cli_cmd_info,
	&cli_cmd_inspect,
	&cli_cmd_join,
	&cli_cmd_key,
	&cli_cmd_kill,
	&cli_cmd_kill_session,
	&cli_cmd_logs,
	&cli_cmd_network,
	&cli_cmd_networks,
	&cli_cmd_nodes,
	&cli_cmd_pause,
	&cli_cmd_ping,
	&cli_cmd_port,
	&cli_cmd_ps,
	&cli_cmd_pull,
	&cli_cmd_rename,
	&cli_cmd_restart,
	&cli_cmd_rm,
	&cli_cmd_rmi,
	&cli_cmd_run,
	&cli_cmd_services,
	&cli_cmd_sessions,
	&cli_cmd_shell,
	&cli_cmd_stack,
	&cli_cmd_start,
	&cli_cmd_stats,
	&cli_cmd_stop,
	&cli_cmd_system,
	&cli_cmd_templates,
	&cli_cmd_top,
	&cli_cmd_ui,
	&cli_cmd_unpause,
	&cli_cmd_update,
	&cli_cmd_version,
	&cli_cmd_volume,
	&cli_cmd_volumes,
	&cli_cmd_wait,
};
/* The number of entries in cli_cmds. */
const size_t cli_ncmds = sizeof(cli_cmds) / sizeof(cli_cmds[0]);

/* Finds a command by name or unambiguous prefix; reports failures. */
const struct cli_cmd *
cli_cmd_find(const char *name)
{
	const struct cli_cmd	*found = NULL;
	size_t			 i, len = strlen(name), matches = 0;

	for (i = 0; i < cli_ncmds; i++) {
		if (strcmp(cli_cmds[i]->name, name) == 0)
			return (cli_cmds[i]);
		if (len > 0 && strncmp(cli_cmds[i]->name, name, len) == 0) {
			found = cli_cmds[i];
			matches++;
		}
	}
	if (matches == 1)
		return (found);
	if (matches == 0) {
		fprintf(stderr, "pier: unknown command: %s\n", name);
		return (NULL);
	}
	fprintf(stderr, "pier: ambiguous command: %s, could be:", name);
	for (i = 0; i < cli_ncmds; i++) {
		if (strncmp(cli_cmds[i]->name, name, len) == 0)
			fprintf(stderr, " %s", cli_cmds[i]->name);
	}
	fputc('\n', stderr);
	return (NULL);
}

/* Prints the command list generated from the table. */
void
cli_print_usage(FILE *fp)
{
	size_t	i;

	fprintf(fp, "usage: pier COMMAND [ARGS]\n\nCommands:\n");
	for (i = 0; i < cli_ncmds; i++) {
		if (cli_cmds[i]->flags & CLI_F_HIDDEN)
			continue;
		fprintf(fp, "  %-10s %s\n", cli_cmds[i]->name,
		    cli_cmds[i]->summary);
	}
	fprintf(fp, "\nRun 'pier COMMAND --help' for a command's options.\n"
	    "The address book lives in $PIER_CONFIG_DIR, else "
	    "$XDG_CONFIG_HOME/pier, else ~/.config/pier.\n");
}

/* `pier help [COMMAND]`. */
static int
cmd_help_main(const struct cli_cmd *self, int argc, char **argv)
{
	const struct cli_cmd	*cmd;

	if (argc > 2)
		return (cli_usage(self));
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0))
		return (cli_help(self));
	if (argc == 2 && strcmp(argv[1], "--man") == 0) {
		cli_man_print(stdout);
		return (fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL);
	}
	if (argc == 2) {
		cmd = cli_cmd_find(argv[1]);
		if (cmd == NULL)
			return (CLI_EXIT_USAGE);
		return (cli_help(cmd));
	}
	cli_print_usage(stdout);
	return (CLI_EXIT_OK);
}

/* `pier version`. */
static int
cmd_version_main(const struct cli_cmd *self, int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0))
		return (cli_help(self));
	if (argc == 2 && strcmp(argv[1], "--json") == 0) {
		printf("{\"version\":\"%s\",\"protocol\":%d}\n", PIER_VERSION,
		    PROTO_VERSION);
		return (CLI_EXIT_OK);
	}
	if (argc != 1)
		return (cli_usage(self));
	printf("pier %s\n", PIER_VERSION);
	return (CLI_EXIT_OK);
}

/*
 * pierd: the node daemon. With no command it runs the node until SIGINT
 * or SIGTERM; the commands in the table below act on its state directory
 * from the shell (as wireguard-tools' wg does, the usage text is made
 * from the table). main() is the only place that touches the default
 * loop; everything else gets it through struct node.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "pier-config.h"
#include "node.h"

/* One pierd command: name, entry point, one line of help. */
struct pierd_cmd {
	const char	*name;
	int		(*main)(int, char **);
	const char	*summary;
};

static int	help_main(int, char **);
static int	version_main(int, char **);

static const struct pierd_cmd pierd_cmds[] = {
	{ "help", help_main, "show this help" },
	{ "key", node_key_main, "manage access keys and the node identity "
	    "(pierd key --help)" },
	{ "version", version_main, "print the version" },
};
#define NCMDS	(sizeof(pierd_cmds) / sizeof(pierd_cmds[0]))

/* Prints the usage made from the command table. */
static void
usage(FILE *fp)
{
	size_t	i;

	fprintf(fp, "usage: pierd [--state-dir DIR] [--listen HOST:PORT ...] "
	    "[--log-level LEVEL]\n"
	    "             [--docker-host HOST] [--audit-size BYTES] "
	    "[--audit-keep N]\n"
	    "       pierd COMMAND [ARGS]\n\n"
	    "Runs the Pier node until SIGINT or SIGTERM (SIGHUP re-reads the "
	    "access keys).\n\n"
	    "  --state-dir DIR      keys and state (default /var/lib/pier as "
	    "root,\n"
	    "                       else $XDG_STATE_HOME/pier)\n"
	    "  --listen HOST:PORT   address to listen on, repeatable "
	    "(default\n"
	    "                       0.0.0.0:%d and [::]:%d)\n"
	    "  --log-level LEVEL    debug, info, warn or error (default "
	    "info)\n"
	    "  --docker-host HOST   the engine: unix:///PATH or tcp://HOST:PORT"
	    "\n                       (default $DOCKER_HOST, else %s)\n"
	    "  --audit-size BYTES   rotate the audit log past this size "
	    "(default %u)\n"
	    "  --audit-keep N       rotated audit files kept (default %d)\n"
	    "\nCommands:\n", NODE_PORT, NODE_PORT, DK_DEFAULT_HOST,
	    NODE_AUDIT_MAX_BYTES, NODE_AUDIT_KEEP);
	for (i = 0; i < NCMDS; i++)
		fprintf(fp, "  %-8s %s\n", pierd_cmds[i].name,
		    pierd_cmds[i].summary);
}

/* `pierd help`. */
static int
help_main(int argc, char **argv)
{
	usage(stdout);
	return (NODE_EXIT_OK);
}

/* `pierd version`. */
static int
version_main(int argc, char **argv)
{
	printf("pierd %s\n", PIER_VERSION);
	return (NODE_EXIT_OK);
}

/* Called once the node has closed everything. */
static void
on_closed(struct node *n)
{
	node_log(&n->log, NODE_LOG_INFO, "stopped");
}

/* Parses the daemon's options into cfg; returns an exit code or -1. */
static int
parse_run(int argc, char **argv, struct node_config *cfg)
{
	static const struct option longopts[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "docker-host", required_argument, NULL, 'D' },
		{ "audit-size", required_argument, NULL, 'S' },
		{ "audit-keep", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct sockaddr_storage	 ss;
	char			*cause = NULL, *end;
	long long		 num;
	int			 ch;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			free(cfg->state_dir);
			cfg->state_dir = strdup(optarg);
			break;
		case 'l':
			if (node_addr_parse(optarg, &ss, &cause) != 0) {
				fprintf(stderr, "pierd: --listen: %s\n", cause);
				free(cause);
				return (NODE_EXIT_USAGE);
			}
			if (node_strv_push(&cfg->listen, optarg) != 0)
				return (NODE_EXIT_FAIL);
			break;
		case 'L':
			if (node_log_level_parse(optarg,
			    &cfg->log_level) != 0) {
				fprintf(stderr, "pierd: unknown log level "
				    "\"%s\": expected debug, info, warn or "
				    "error\n", optarg);
				return (NODE_EXIT_USAGE);
			}
			break;
		case 'D':
			free(cfg->docker_host);
			cfg->docker_host = strdup(optarg);
			break;
		case 'S':
		case 'K':
			num = strtoll(optarg, &end, 10);
			if (*end != '\0' || end == optarg || num < (ch == 'S' ?
			    1024 : 1) || num > (ch == 'S' ? (1LL << 40) : 100)) {
				fprintf(stderr, "pierd: --audit-%s wants %s\n",
				    ch == 'S' ? "size" : "keep", ch == 'S' ?
				    "bytes, 1024 or more" : "1 to 100");
				return (NODE_EXIT_USAGE);
			}
			if (ch == 'S')
				cfg->audit_max_bytes = (size_t)num;
			else
				cfg->audit_keep = (unsigned)num;
			break;
		case 'h':
			usage(stdout);
			return (NODE_EXIT_OK);
		case 'V':
			return (version_main(0, NULL));
		default:
			usage(stderr);
			return (NODE_EXIT_USAGE);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "pierd: unknown command: %s\n", argv[optind]);
		usage(stderr);
		return (NODE_EXIT_USAGE);
	}
	if (cfg->state_dir == NULL)
		cfg->state_dir = node_state_dir_default();
	if (cfg->state_dir == NULL) {
		fprintf(stderr, "pierd: no state directory: set HOME or "
		    "XDG_STATE_HOME, or pass --state-dir DIR\n");
		return (NODE_EXIT_FAIL);
	}
	if (cfg->listen == NULL && node_listen_default(&cfg->listen) != 0)
		return (NODE_EXIT_FAIL);
	return (-1);
}

/* Runs the node on the default loop until it is told to stop. */
static int
run(int argc, char **argv)
{
	struct node_config	 cfg;
	struct node		*n = NULL;
	uv_loop_t		*loop;
	char			*cause = NULL;
	int			 rc, err;

	memset(&cfg, 0, sizeof(cfg));
	cfg.log_level = NODE_LOG_INFO;
	rc = parse_run(argc, argv, &cfg);
	if (rc >= 0)
		goto out;
	loop = uv_default_loop();
	err = node_new(loop, &cfg, &n, &cause);
	if (err != 0) {
		fprintf(stderr, "pierd: %s\n", cause != NULL ? cause :
		    uv_strerror(err));
		rc = NODE_EXIT_FAIL;
		uv_run(loop, UV_RUN_DEFAULT);
	} else {
		node_set_closed_cb(n, on_closed);
		uv_run(loop, UV_RUN_DEFAULT);
		rc = node_exit_code(n);
		node_free(n);
	}
	if (uv_loop_close(loop) != 0) {
		fprintf(stderr, "pierd: handles left open at exit\n");
		rc = NODE_EXIT_FAIL;
	}
out:
	free(cause);
	free(cfg.state_dir);
	free(cfg.docker_host);
	node_strv_free(cfg.listen);
	return (rc);
}

/* Runs a command from the table, or the node itself. */
int
main(int argc, char **argv)
{
	size_t	i;

	/* A peer that goes away mid-write must cost a write error, not us. */
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0) {
		fprintf(stderr, "pierd: libsodium failed to initialise\n");
		return (NODE_EXIT_FAIL);
	}
	if (argc > 1 && argv[1][0] != '-') {
		for (i = 0; i < NCMDS; i++) {
			if (strcmp(argv[1], pierd_cmds[i].name) == 0)
				return (pierd_cmds[i].main(argc - 1,
				    argv + 1));
		}
	}
	return (run(argc, argv));
}

/*
 * pierd: the node daemon. With no command it runs the node until SIGINT
 * or SIGTERM; the commands in the table below act on its state directory
 * from the shell (as wireguard-tools' wg does, the usage text is made
 * from the table). main() is the only place that touches the default
 * loop; everything else gets it through struct node.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "pier-config.h"
#include "node.h"
#include "reach.h"
#include "reach.h"

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
	{ "relay", node_relay_main, "relays that reach this node when nothing "
	    "else can (pierd relay --help)" },
	{ "status", node_status_main, "how the running node is reached "
	    "(pierd status --help)" },
	{ "version", version_main, "print the version" },
};
#define NCMDS	(sizeof(pierd_cmds) / sizeof(pierd_cmds[0]))

/* Bounds of --session-idle, in ms and as the help says them. */
#define IDLE_MIN_MS	1000ULL
#define IDLE_MAX_MS	(30ULL * 24 * 60 * 60 * 1000)
#define IDLE_MIN_TEXT	"1s"
#define IDLE_MAX_TEXT	"30 days"

/* Bounds of --max-connections and --max-sessions. */
#define CONNS_MAX	65536
#define SESSIONS_MAX	4096

/* A duration unit: its suffix and its length in ms. */
struct dur_unit {
	const char	*suffix;
	uint64_t	 ms;
};

/* Longest suffix first, so "ms" is not read as "m" then "s". */
static const struct dur_unit dur_units[] = {
	{ "ms", 1 }, { "s", 1000 }, { "m", 60 * 1000 }, { "h", 3600 * 1000 },
	{ "d", 24 * 3600 * 1000 },
};
#define NUNITS	(sizeof(dur_units) / sizeof(dur_units[0]))

/* Prints the usage made from the command table. */
static void
usage(FILE *fp)
{
	size_t	i;

	fprintf(fp, "usage: pierd [--state-dir DIR] [--listen HOST:PORT ...] "
	    "[--log-level LEVEL]\n"
	    "             [--docker-host HOST] [--audit-size BYTES] "
	    "[--audit-keep N]\n"
	    "             [--session-idle DURATION] [--max-connections N]\n"
	    "             [--max-sessions N] [--no-port-mapping] [--no-lan]\n"
	    "             [--no-dht] [--dht-bootstrap HOST:PORT ...]\n"
	    "             [--relay-splices N] [--relay-per-source N]\n"
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
	    "  --session-idle DURATION\n"
	    "                       a terminal session with no viewer ends "
	    "after\n"
	    "                       this long: 90s, 10m, 1h30m (default 1h; "
	    "%s to %s)\n"
	    "  --max-connections N  clients held at once, handshaking or "
	    "connected;\n"
	    "                       more are closed unanswered (default %d; "
	    "1 to %d)\n"
	    "  --max-sessions N     terminal sessions held at once (default "
	    "%d; 1 to %d)\n"
	    "(the open-file limit, ulimit -n, is raised to fit the two)\n"
	    "  --no-port-mapping    do not ask the router to forward the "
	    "listening\n"
	    "                       ports (PCP, NAT-PMP, UPnP-IGD)\n"
	    "  --no-lan             do not answer LAN discovery probes (UDP "
	    "%d)\n"
	    "  --no-dht             do not run a node on the BitTorrent DHT "
	    "(it\n"
	    "                       announces the node to holders of its "
	    "keys)\n"
	    "  --dht-bootstrap HOST:PORT\n"
	    "                       a DHT node to join through, repeatable "
	    "(default\n"
	    "                       router.bittorrent.com:6881, "
	    "router.utorrent.com:6881,\n"
	    "                       dht.transmissionbt.com:6881; without "
	    "it,\n"
	    "                       $PIER_DHT_BOOTSTRAP, comma-separated, "
	    "if set)\n"
	    "  --relay-splices N    clients this node splices at once for "
	    "nodes\n"
	    "                       that hold one of its relay keys "
	    "(default %d)\n"
	    "  --relay-per-source N ... from one client address (default "
	    "%d)\n"
	    "\nCommands:\n", NODE_PORT, NODE_PORT, DK_DEFAULT_HOST,
	    NODE_AUDIT_MAX_BYTES, NODE_AUDIT_KEEP, IDLE_MIN_TEXT,
	    IDLE_MAX_TEXT, OVL_MAX_CONNS, CONNS_MAX, NODE_SESSIONS_MAX,
	    SESSIONS_MAX, OVL_LAN_PORT, OVL_RELAY_SPLICES,
	    OVL_RELAY_PER_SOURCE);
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

/*
 * Parses a duration as Go writes one, in whole numbers: one or more of
 * NUMBER UNIT with units ms, s, m, h and d ("90s", "10m", "1h30m").
 * Returns 0 with *ms set, or -EINVAL (-ERANGE past IDLE_MAX_MS).
 */
static int
parse_duration_ms(const char *s, uint64_t *ms)
{
	const char	*p = s;
	uint64_t	 total = 0, num;
	size_t		 i, len;

	if (*p == '\0')
		return (-EINVAL);
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p))
			return (-EINVAL);
		for (num = 0; isdigit((unsigned char)*p); p++) {
			num = num * 10 + (uint64_t)(*p - '0');
			if (num > IDLE_MAX_MS)
				return (-ERANGE);
		}
		for (i = 0; i < NUNITS; i++) {
			len = strlen(dur_units[i].suffix);
			if (strncmp(p, dur_units[i].suffix, len) == 0 &&
			    !isalpha((unsigned char)p[len]))
				break;
		}
		if (i == NUNITS)
			return (-EINVAL);
		p += len;
		if (num > IDLE_MAX_MS / dur_units[i].ms)
			return (-ERANGE);
		total += num * dur_units[i].ms;
		if (total > IDLE_MAX_MS)
			return (-ERANGE);
	}
	*ms = total;
	return (0);
}

/* A whole number from min to max; 0 with *out set, or -EINVAL. */
static int
parse_count(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 num;

	errno = 0;
	num = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || num < min || num > max)
		return (-EINVAL);
	*out = num;
	return (0);
}

/* Called once the node has closed everything. */
static void
on_closed(struct node *n)
{
	node_log(&n->log, NODE_LOG_INFO, "stopped");
}

/* One option of pierd's run with its value; -1, or the exit code. */
static int
run_opt(int ch, const char *arg, struct node_config *cfg, uint64_t *idle_ms)
{
	struct sockaddr_storage	 ss;
	char			*cause = NULL;
	long long		 num;

	switch (ch) {
	case 'd':
		free(cfg->state_dir);
		cfg->state_dir = strdup(arg);
		break;
	case 'l':
		if (node_addr_parse(arg, &ss, &cause) != 0) {
			fprintf(stderr, "pierd: --listen: %s\n", cause);
			free(cause);
			return (NODE_EXIT_USAGE);
		}
		if (node_strv_push(&cfg->listen, arg) != 0)
			return (NODE_EXIT_FAIL);
		break;
	case 'L':
		if (node_log_level_parse(arg, &cfg->log_level) != 0) {
			fprintf(stderr, "pierd: unknown log level \"%s\": "
			    "expected debug, info, warn or error\n", arg);
			return (NODE_EXIT_USAGE);
		}
		break;
	case 'D':
		free(cfg->docker_host);
		cfg->docker_host = strdup(arg);
		break;
	case 'S':
	case 'K':
		if (parse_count(arg, ch == 'S' ? 1024 : 1,
		    ch == 'S' ? (1LL << 40) : 100, &num) != 0) {
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
	case 'P':
		cfg->port_mapping = 0;
		break;
	case 'N':
		cfg->no_lan = 1;
		break;
	case 'H':
		cfg->no_dht = 1;
		break;
	case 'B':
		if (ovl_joinkey_check_addr(arg, NULL) != 0) {
			fprintf(stderr, "pierd: --dht-bootstrap \"%s\": "
			    "expected HOST:PORT\n", arg);
			return (NODE_EXIT_USAGE);
		}
		if (node_strv_push(&cfg->dht_bootstrap, arg) != 0)
			return (NODE_EXIT_FAIL);
		break;
	case 'I':
		if (parse_duration_ms(arg, idle_ms) != 0 ||
		    *idle_ms < IDLE_MIN_MS) {
			fprintf(stderr, "pierd: --session-idle \"%s\": "
			    "expected a duration from %s to %s, such as 90s, "
			    "10m or 1h30m\n", arg, IDLE_MIN_TEXT, IDLE_MAX_TEXT);
			return (NODE_EXIT_USAGE);
		}
		break;
	case 'R':
	case 'Q':
		if (parse_count(arg, 1, CONNS_MAX, &num) != 0) {
			fprintf(stderr, "pierd: --relay-%s \"%s\": expected a "
			    "whole number from 1 to %d\n", ch == 'R' ?
			    "splices" : "per-source", arg, CONNS_MAX);
			return (NODE_EXIT_USAGE);
		}
		if (ch == 'R')
			cfg->relay.max_splices = (uint32_t)num;
		else
			cfg->relay.per_source = (uint32_t)num;
		break;
	case 'C':
	case 'M':
		if (parse_count(arg, 1, ch == 'C' ? CONNS_MAX : SESSIONS_MAX,
		    &num) != 0) {
			fprintf(stderr, "pierd: --max-%s \"%s\": expected a "
			    "whole number from 1 to %d\n", ch == 'C' ?
			    "connections" : "sessions", arg, ch == 'C' ?
			    CONNS_MAX : SESSIONS_MAX);
			return (NODE_EXIT_USAGE);
		}
		if (ch == 'C')
			cfg->max_conns = (uint32_t)num;
		else
			cfg->max_sessions = (uint32_t)num;
		break;
	default:
		usage(stderr);
		return (NODE_EXIT_USAGE);
	}
	return (-1);
}

/*
 * PIER_DHT_BOOTSTRAP (HOST:PORT, comma-separated; set but empty: none)
 * when --dht-bootstrap is not given.
 */
static int
dht_env(struct node_config *cfg)
{
	const char	*env = getenv("PIER_DHT_BOOTSTRAP");
	char		*buf, *p, *tok, *save = NULL;

	if (env == NULL)
		return (0);
	/* Set but empty: an empty list, no bootstrap at all. */
	cfg->dht_bootstrap = calloc(1, sizeof(*cfg->dht_bootstrap));
	if (cfg->dht_bootstrap == NULL || (buf = strdup(env)) == NULL)
		return (-ENOMEM);
	for (p = buf; (tok = strtok_r(p, ", ", &save)) != NULL; p = NULL)
		if (node_strv_push(&cfg->dht_bootstrap, tok) != 0) {
			free(buf);
			return (-ENOMEM);
		}
	free(buf);
	return (0);
}

/* Parses the daemon's options into cfg; returns an exit code or -1. */
static int
parse_run(int argc, char **argv, struct node_config *cfg,
    uint64_t *idle_ms)
{
	static const struct option longopts[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "docker-host", required_argument, NULL, 'D' },
		{ "audit-size", required_argument, NULL, 'S' },
		{ "audit-keep", required_argument, NULL, 'K' },
		{ "session-idle", required_argument, NULL, 'I' },
		{ "max-connections", required_argument, NULL, 'C' },
		{ "max-sessions", required_argument, NULL, 'M' },
		{ "no-port-mapping", no_argument, NULL, 'P' },
		{ "relay-splices", required_argument, NULL, 'R' },
		{ "relay-per-source", required_argument, NULL, 'Q' },
		{ "no-lan", no_argument, NULL, 'N' },
		{ "no-dht", no_argument, NULL, 'H' },
		{ "dht-bootstrap", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch, rc;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (ch == 'h') {
			usage(stdout);
			return (NODE_EXIT_OK);
		}
		if (ch == 'V')
			return (version_main(0, NULL));
		rc = run_opt(ch, optarg, cfg, idle_ms);
		if (rc >= 0)
			return (rc);
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
	if (cfg->dht_bootstrap == NULL && dht_env(cfg) != 0)
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
	uint64_t		 idle_ms = 0;	/* 0: TERM_IDLE_MS */
	int			 rc, err;

	memset(&cfg, 0, sizeof(cfg));
	cfg.log_level = NODE_LOG_INFO;
	cfg.port_mapping = 1;
	rc = parse_run(argc, argv, &cfg, &idle_ms);
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
		/* Read when a session starts; none has yet. */
		n->session_idle_ms = idle_ms;
		n->screen_exe = "/proc/self/exe";
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
	node_strv_free(cfg.dht_bootstrap);
	return (rc);
}

/* Runs a command from the table, or the node itself. */
int
main(int argc, char **argv)
{
	size_t	i;

	/* The screen worker (term-wmain.c) starts with nothing else. */
	if (argc == 2 && strcmp(argv[1], TERM_WORKER_ARG) == 0)
		return (term_worker_main());
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

/*
 * `pier ping NODE`: connect to a joined node and measure round trips of
 * ping frames over the encrypted connection, as ping(8) does for ICMP.
 * The handshake is not counted in the round trips; it is reported on
 * its own. A reply that takes longer than CLI_TIMEOUT_MS ends the run.
 * A connection that ends under the run is reported once, with the
 * node's go-away reason when it sent one (revoked, shutting down): the
 * waiting ping fails first, and the connection's close, which says why,
 * follows it at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"

#define PING_MAX	100000	/* -c bound */

/* One run of pings on one connection. */
struct ping_run {
	uv_timer_t	 timer;	/* interval, or reply timeout */
	struct ovl_conn	*conn;
	const char	*name;
	const char	*addr;
	long		 count, sent, received;
	uint64_t	 interval_ms;
	int		 waiting;	/* a ping is out */
	int		 failed;
	int		 lost;		/* the ping failed: why follows */
	int		 json;
	double		 min, max, sum;
	double		 connect_ms;	/* dial and handshake */
	json_t		*rtts;		/* owned, for --json */
};

static int	ping_main(const struct cli_cmd *, int, char **);
static void	send_ping(struct ping_run *);
static void	on_interval(uv_timer_t *);
static void	on_conn_close(struct ovl_conn *, int, const char *, void *);

static const struct ovl_conn_cbs ping_conn_cbs = {
	.on_close = on_conn_close,
};

static const struct cli_opt ping_opts[] = {
	{ .name = "count", .letter = 'c', .arg = "COUNT", .kind = CLI_K_ARG,
	  .help = "pings to send (default 4)" },
	{ .name = "interval", .letter = 'i', .arg = "SECONDS",
	  .kind = CLI_K_ARG, .help = "wait between pings (default 1)" },
	{ .name = "json", .help = "print the round trips as JSON" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_ping = {
	.name = "ping",
	.main = ping_main,
	.opts = ping_opts,
	.args_max = 1,
	.usage = "[NODE] [-c COUNT] [-i SECONDS] [--json]",
	.summary = "measure round trips to a node over the encrypted channel",
	.help =
	    "  NODE            a joined node (optional when only one is "
	    "joined)\n",
};

/* Ends the run: stops the timer so the loop can finish. */
static void
ping_stop(struct ping_run *p)
{
	uv_timer_stop(&p->timer);
}

/* A reply (or a failure) for the ping that is out. */
static void
on_pong(struct ovl_conn *c, int status, uint64_t rtt_us, void *arg)
{
	struct ping_run	*p = arg;
	double		 ms = (double)rtt_us / 1000.0;

	if (!p->waiting)
		return;
	p->waiting = 0;
	if (status != 0) {
		/* The connection ended: on_conn_close says why. */
		p->lost = status;
		ping_stop(p);
		return;
	}
	p->received++;
	if (p->received == 1 || ms < p->min)
		p->min = ms;
	if (ms > p->max)
		p->max = ms;
	p->sum += ms;
	if (p->json)
		(void)json_array_append_new(p->rtts, json_real(ms));
	else
		printf("reply from %s (%s): seq=%ld time=%.3f ms\n", p->name,
		    p->addr, p->sent, ms);
	fflush(stdout);
	uv_timer_stop(&p->timer);
	if (p->sent < p->count)
		uv_timer_start(&p->timer, on_interval, p->interval_ms, 0);
}

/* The reply did not come in time. */
static void
on_reply_timeout(uv_timer_t *t)
{
	struct ping_run	*p = container_of(t, struct ping_run, timer);

	fprintf(stderr, "pier ping: no reply from %s within %ds\n", p->name,
	    CLI_TIMEOUT_MS / 1000);
	p->waiting = 0;
	p->failed = 1;
}

/* The connection ended under the run (revoked, node stopped, ...). */
static void
on_conn_close(struct ovl_conn *c, int status, const char *reason, void *arg)
{
	struct ping_run	*p = arg;
	char		 why[CLI_CLOSE_TEXT_MAX];

	if (p->failed || (p->received >= p->count && !p->waiting &&
	    !p->lost))
		return;
	(void)cli_close_text(status, reason, why, sizeof(why));
	fprintf(stderr, "pier ping: %s: %s\n", p->name, why);
	p->waiting = 0;
	p->failed = 1;
	ping_stop(p);
}

/* Time for the next ping. */
static void
on_interval(uv_timer_t *t)
{
	send_ping(container_of(t, struct ping_run, timer));
}

/* Sends the next ping and arms the reply timeout. */
static void
send_ping(struct ping_run *p)
{
	int	err;

	err = ovl_conn_ping(p->conn, on_pong, p);
	if (err != 0) {
		fprintf(stderr, "pier ping: %s\n", strerror(-err));
		p->failed = 1;
		return;
	}
	p->sent++;
	p->waiting = 1;
	uv_timer_start(&p->timer, on_reply_timeout, CLI_TIMEOUT_MS, 0);
}

/* Prints the summary line (or the JSON object). */
static void
ping_report(struct ping_run *p)
{
	json_t	*o;	/* owned */

	if (p->json) {
		o = json_pack("{s:s, s:s, s:f, s:I, s:I, s:O}", "node", p->name,
		    "address", p->addr, "connect_ms", p->connect_ms,
		    "sent", (json_int_t)p->sent,
		    "received", (json_int_t)p->received, "rtt_ms", p->rtts);
		if (o != NULL && p->received > 0)
			json_object_set_new(o, "avg_ms",
			    json_real(p->sum / (double)p->received));
		if (o != NULL && json_dumpf(o, stdout, JSON_INDENT(2)) == 0)
			putchar('\n');
		json_decref(o);
		return;
	}
	printf("%ld sent, %ld received", p->sent, p->received);
	if (p->received > 0)
		printf(", min/avg/max = %.3f/%.3f/%.3f ms", p->min,
		    p->sum / (double)p->received, p->max);
	putchar('\n');
}

/* Parses -i SECONDS into milliseconds; -1 if bad. */
static int64_t
parse_interval(const char *s)
{
	char	*end;
	double	 d;

	d = strtod(s, &end);
	if (*end != '\0' || end == s || !(d >= 0.0 && d <= 3600.0))
		return (-1);
	return ((int64_t)(d * 1000.0));
}

/* Reads -c, -i and --json into p; the usage exit, or -1. */
static int
ping_read_opts(const struct cli_cmd *self, const struct cli_args *a,
    struct ping_run *p)
{
	const char	*arg;
	char		*end;
	int64_t		 iv;

	arg = cli_args_get(self, a, "count");
	if (arg != NULL) {
		p->count = strtol(arg, &end, 10);
		if (*end != '\0' || p->count < 1 || p->count > PING_MAX) {
			cli_error(self, "-c wants 1 to %d", PING_MAX);
			return (CLI_EXIT_USAGE);
		}
	}
	arg = cli_args_get(self, a, "interval");
	if (arg != NULL) {
		iv = parse_interval(arg);
		if (iv < 0) {
			cli_error(self, "-i wants seconds, 0 to 3600");
			return (CLI_EXIT_USAGE);
		}
		p->interval_ms = (uint64_t)iv;
	}
	p->json = cli_args_get(self, a, "json") != NULL;
	return (-1);
}

/* Pings over p->conn until done and reports; the exit code. */
static int
ping_exchange(uv_loop_t *loop, struct ping_run *p)
{
	p->rtts = json_array();
	ovl_conn_set_cbs(p->conn, &ping_conn_cbs, p);
	if (!p->json)
		printf("connected to %s (%s) in %.3f ms, handshake "
		    "included\n", p->name, p->addr, p->connect_ms);
	send_ping(p);
	while (!p->failed && !p->lost && (p->received < p->count ||
	    p->waiting) && uv_run(loop, UV_RUN_ONCE) != 0)
		;
	if (p->lost && !p->failed) {
		/* No close came after the failed ping (unexpected). */
		fprintf(stderr, "pier ping: %s: connection lost: %s\n",
		    p->name, strerror(-p->lost));
		p->failed = 1;
	}
	uv_close((uv_handle_t *)&p->timer, NULL);
	cli_disconnect(loop, p->conn);
	ping_report(p);
	json_decref(p->rtts);
	return (p->failed || p->received < p->count ? CLI_EXIT_FAIL :
	    CLI_EXIT_OK);
}

/* `pier ping [NODE] [-c COUNT] [-i SECONDS] [--json]`. */
static int
ping_main(const struct cli_cmd *self, int argc, char **argv)
{
	struct cli_args		 a;
	struct ping_run		 p;
	struct ovl_identity	 id;
	struct ovl_joinkey	 jk;
	struct cli_book		 book;
	struct cli_node		*n;
	const char		*addrs[CLI_ADDRS_MAX];
	char			*dir = NULL, *cause = NULL;
	char			*peer = NULL;
	size_t			 naddrs;
	uint64_t		 t0;
	int			 rc = CLI_EXIT_FAIL;
	uv_loop_t		 loop;

	memset(&p, 0, sizeof(p));
	memset(&id, 0, sizeof(id));
	memset(&jk, 0, sizeof(jk));
	memset(&book, 0, sizeof(book));
	p.count = 4;
	p.interval_ms = 1000;
	rc = cli_args_parse(self, argc, argv, &a);
	cli_args_free(&a);
	if (rc >= 0)
		return (rc);
	rc = CLI_EXIT_FAIL;
	rc = ping_read_opts(self, &a, &p);
	if (rc >= 0)
		return (rc);
	rc = CLI_EXIT_FAIL;
	dir = cli_config_dir();
	if (dir == NULL)
		return (cli_error(self, "no config directory: set "
		    "PIER_CONFIG_DIR or HOME"));
	if (cli_book_load(&book, dir, &cause) != 0) {
		cli_error(self, "%s", cause);
		goto out;
	}
	n = cli_book_pick(&book, a.argc > 0 ? a.argv[0] : NULL, &cause);
	if (n == NULL) {
		cli_error(self, "%s", cause);
		goto out;
	}
	if (cli_node_target(n, &jk, addrs, &naddrs, &cause) != 0 ||
	    cli_identity_load(dir, &id, &cause) != 0) {
		cli_error(self, "%s", cause);
		goto out;
	}
	if (uv_loop_init(&loop) != 0)
		goto out;
	t0 = uv_hrtime();
	if (cli_connect(&loop, &id, &jk, addrs, naddrs, 0, &p.conn,
	    &cause) != 0)
		cli_fail(self, n->name, cause, "cannot connect");
	else if (uv_timer_init(&loop, &p.timer) != 0) {
		cli_error(self, "cannot make a timer");
		cli_disconnect(&loop, p.conn);
	} else {
		p.connect_ms = (double)(uv_hrtime() - t0) / 1e6;
		peer = strdup(ovl_conn_peer(p.conn));
		p.name = n->name;
		p.addr = peer != NULL ? peer : "?";
		rc = ping_exchange(&loop, &p);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&loop) != 0)
		cli_error(self, "handles left open");
	/* Remember the address that answered for next time. */
	if (peer != NULL && (n->addr == NULL || strcmp(n->addr, peer) != 0)) {
		free(n->addr);
		n->addr = peer;
		peer = NULL;
		if (cli_book_save(&book, &cause) != 0)
			cli_error(self, "%s", cause);
	}
out:
	free(peer);
	sodium_memzero(&jk, sizeof(jk));
	ovl_identity_clear(&id);
	cli_book_free(&book);
	free(cause);
	free(dir);
	return (rc);
}

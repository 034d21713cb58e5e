/*
 * A load driver for benchmarks, run by hand or by tools/bench/bench-ps.sh:
 * holds N connections open to one node, each a full client (its own
 * generated identity, the join key's access secret, the Noise handshake,
 * the multiplexer), and pings every one of them every few seconds so the
 * node sees live peers, not idle ones. It exists so the node's memory with
 * many clients can be measured without running N `pier` processes.
 *
 * The node admits 10 handshakes per second per source address (burst 20),
 * so the dials go one at a time and a refused one is tried again a moment
 * later. When all N are up it prints "ready N" on stdout and holds them
 * until SIGINT or SIGTERM (or -t SECONDS), then closes them with a
 * go-away and prints "done N pings M failures F lost L". Exit 0 when all
 * N were up and none was lost, else 1.
 *
 * Usage: bench-clients -k JOINKEY [-n N] [-t SECONDS] [-p SECONDS]
 *        (JOINKEY may be @FILE to read the key from a file; -p is the
 *        time between pings, 5 by default, 0 for none: then only the
 *        overlay's own keepalives cross the idle connections)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "overlay.h"

#define MAX_CLIENTS	1000
#define PING_EVERY_MS	5000	/* each connection pings this often (-p) */
#define RETRY_MS	120	/* pause before dialing again if refused */
#define MAX_TRIES	200	/* dials per connection before giving up */
#define DIAL_MS		5000	/* one dial's time limit */

#define container_of(ptr, type, member)					\
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* The driver's whole state, on main's stack. */
struct bench {
	uv_loop_t		*loop;
	struct ovl_joinkey	 jk;
	const char		*addrs[OVL_JOINKEY_MAX_ADDRS];
	size_t			 naddrs;
	struct ovl_identity	*ids;		/* one per connection */
	struct ovl_conn		**conns;
	int			 want;		/* N */
	int			 up;		/* connections open */
	int			 tries;		/* dials of this one */
	int			 lost;		/* ended early */
	int			 failed;	/* gave up dialing */
	long			 pings;
	long			 ping_failures;
	int			 stopping;
	uint64_t		 hold_ms;	/* 0: until a signal */
	uint64_t		 ping_ms;	/* 0: no pings */
	uv_timer_t		 retry;		/* next dial */
	uv_timer_t		 ping;		/* ping round */
	uv_timer_t		 hold;		/* -t */
	uv_signal_t		 sigint;
	uv_signal_t		 sigterm;
};

static void	dial_next(struct bench *);
static void	stop(struct bench *);

/* A connection ended: count it if it was not us closing it. */
static void
on_conn_close(struct ovl_conn *c, int status, const char *reason, void *arg)
{
	struct bench	*b = arg;

	if (b->stopping)
		return;
	b->lost++;
	fprintf(stderr, "bench-clients: a connection ended: %s\n",
	    reason != NULL && reason[0] != '\0' ? reason :
	    strerror(status < 0 ? -status : EPIPE));
}

static const struct ovl_conn_cbs conn_cbs = {
	.on_close = on_conn_close,
};

/* A ping's answer. */
static void
on_pong(struct ovl_conn *c, int status, uint64_t rtt_us, void *arg)
{
	struct bench	*b = arg;

	if (status == 0)
		b->pings++;
	else if (!b->stopping)
		b->ping_failures++;
}

/* Pings every open connection. */
static void
on_ping_round(uv_timer_t *t)
{
	struct bench	*b = container_of(t, struct bench, ping);
	int		 i;

	for (i = 0; i < b->up; i++) {
		if (ovl_conn_ping(b->conns[i], on_pong, b) != 0)
			b->ping_failures++;
	}
}

/* A dial finished: keep the connection, or try again shortly. */
static void
on_dialed(struct ovl_dial *d, struct ovl_conn *conn, int status,
    const char *cause, void *arg)
{
	struct bench	*b = arg;

	if (b->stopping)
		return;
	if (conn == NULL) {
		if (++b->tries >= MAX_TRIES) {
			fprintf(stderr, "bench-clients: connection %d: %s "
			    "(%d tries)\n", b->up + 1, cause != NULL ? cause :
			    strerror(-status), b->tries);
			b->failed = 1;
			stop(b);
			return;
		}
		dial_next(b);
		return;
	}
	ovl_conn_ref(conn, "bench-clients");
	ovl_conn_set_cbs(conn, &conn_cbs, b);
	b->conns[b->up++] = conn;
	b->tries = 0;
	dial_next(b);
}

/* The retry timer: dial the current connection. */
static void
on_retry(uv_timer_t *t)
{
	struct bench		*b = container_of(t, struct bench, retry);
	struct ovl_dial_cfg	 cfg;
	char			 name[32];
	int			 err;

	memset(&cfg, 0, sizeof(cfg));
	cfg.timeout_ms = DIAL_MS;
	ovl_limits_default(&cfg.lim);
	snprintf(name, sizeof(name), "bench-%d", b->up + 1);
	err = ovl_dial(b->loop, &b->ids[b->up], b->jk.node_pub, b->jk.secret,
	    b->addrs, b->naddrs, name, &cfg, on_dialed, b, NULL);
	if (err != 0) {
		fprintf(stderr, "bench-clients: cannot dial: %s\n",
		    strerror(-err));
		b->failed = 1;
		stop(b);
	}
}

/* -t ran out. */
static void
on_hold(uv_timer_t *t)
{
	stop(container_of(t, struct bench, hold));
}

/* Starts the next dial, or announces that all are up. */
static void
dial_next(struct bench *b)
{
	if (b->up < b->want) {
		uv_timer_start(&b->retry, on_retry, b->tries == 0 ? 0 :
		    RETRY_MS, 0);
		return;
	}
	printf("ready %d\n", b->up);
	fflush(stdout);
	if (b->ping_ms > 0)
		uv_timer_start(&b->ping, on_ping_round, b->ping_ms, b->ping_ms);
	if (b->hold_ms > 0)
		uv_timer_start(&b->hold, on_hold, b->hold_ms, 0);
}

/* SIGINT or SIGTERM. */
static void
on_signal(uv_signal_t *s, int signum)
{
	struct bench	*b = s->data;

	stop(b);
}

/* Closes every connection and handle; the loop then ends. */
static void
stop(struct bench *b)
{
	int	i;

	if (b->stopping)
		return;
	b->stopping = 1;
	for (i = 0; i < b->up; i++)
		ovl_conn_close(b->conns[i], OVL_GA_NORMAL, "bench done");
	uv_close((uv_handle_t *)&b->retry, NULL);
	uv_close((uv_handle_t *)&b->ping, NULL);
	uv_close((uv_handle_t *)&b->hold, NULL);
	uv_close((uv_handle_t *)&b->sigint, NULL);
	uv_close((uv_handle_t *)&b->sigterm, NULL);
}

/* Reads the join key text from the argument or @FILE (caller frees). */
static char *
read_key(const char *arg)
{
	FILE	*fp;
	char	*buf;
	size_t	 n;

	if (arg[0] != '@')
		return (strdup(arg));
	fp = fopen(arg + 1, "r");
	if (fp == NULL)
		return (NULL);
	buf = calloc(1, 4096);
	if (buf != NULL) {
		n = fread(buf, 1, 4095, fp);
		buf[n] = '\0';
	}
	fclose(fp);
	return (buf);
}

/* Prints the usage and returns 2. */
static int
usage(void)
{
	fprintf(stderr, "usage: bench-clients -k JOINKEY|@FILE [-n N] "
	    "[-t SECONDS] [-p SECONDS]\n");
	return (2);
}

/* Parses the options, dials, holds, reports. */
int
main(int argc, char **argv)
{
	struct bench	 b;
	uv_loop_t	 loop;
	char		*keytext = NULL, *cause = NULL;
	int		 ch, i, rc = 1;

	memset(&b, 0, sizeof(b));
	b.want = 100;
	b.ping_ms = PING_EVERY_MS;
	while ((ch = getopt(argc, argv, "k:n:t:p:")) != -1) {
		switch (ch) {
		case 'k':
			free(keytext);
			keytext = read_key(optarg);
			if (keytext == NULL) {
				fprintf(stderr, "bench-clients: cannot read "
				    "%s\n", optarg);
				return (1);
			}
			break;
		case 'n':
			b.want = atoi(optarg);
			break;
		case 't':
			b.hold_ms = (uint64_t)atoi(optarg) * 1000;
			break;
		case 'p':
			b.ping_ms = (uint64_t)atoi(optarg) * 1000;
			break;
		default:
			free(keytext);
			return (usage());
		}
	}
	if (keytext == NULL || b.want < 1 || b.want > MAX_CLIENTS) {
		free(keytext);
		return (usage());
	}
	if (sodium_init() < 0 ||
	    ovl_joinkey_parse(keytext, &b.jk, &cause) != 0) {
		fprintf(stderr, "bench-clients: %s\n", cause != NULL ? cause :
		    "libsodium failed to initialise");
		free(cause);
		free(keytext);
		return (1);
	}
	free(keytext);
	if (b.jk.naddrs == 0) {
		fprintf(stderr, "bench-clients: the join key has no address\n");
		return (1);
	}
	for (i = 0; i < (int)b.jk.naddrs; i++)
		b.addrs[i] = b.jk.addrs[i];
	b.naddrs = b.jk.naddrs;
	signal(SIGPIPE, SIG_IGN);
	b.ids = calloc((size_t)b.want, sizeof(*b.ids));
	b.conns = calloc((size_t)b.want, sizeof(*b.conns));
	if (b.ids == NULL || b.conns == NULL || uv_loop_init(&loop) != 0) {
		fprintf(stderr, "bench-clients: out of memory\n");
		free(b.ids);
		free(b.conns);
		return (1);
	}
	for (i = 0; i < b.want; i++)
		ovl_identity_generate(&b.ids[i]);
	b.loop = &loop;
	uv_timer_init(&loop, &b.retry);
	uv_timer_init(&loop, &b.ping);
	uv_timer_init(&loop, &b.hold);
	uv_signal_init(&loop, &b.sigint);
	uv_signal_init(&loop, &b.sigterm);
	b.sigint.data = &b;
	b.sigterm.data = &b;
	uv_signal_start(&b.sigint, on_signal, SIGINT);
	uv_signal_start(&b.sigterm, on_signal, SIGTERM);
	dial_next(&b);
	uv_run(&loop, UV_RUN_DEFAULT);
	for (i = 0; i < b.up; i++)
		ovl_conn_unref(b.conns[i], "bench-clients");
	uv_run(&loop, UV_RUN_DEFAULT);
	printf("done %d pings %ld failures %ld lost %d\n", b.up, b.pings,
	    b.ping_failures, b.lost);
	if (!b.failed && b.up == b.want && b.lost == 0)
		rc = 0;
	if (uv_loop_close(&loop) != 0)
		fprintf(stderr, "bench-clients: handles left open\n");
	sodium_memzero(b.ids, (size_t)b.want * sizeof(*b.ids));
	sodium_memzero(&b.jk, sizeof(b.jk));
	free(b.ids);
	free(b.conns);
	return (rc);
}

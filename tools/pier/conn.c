/*
 * Reaching a node from the command line: dial every candidate address
 * (first completed handshake wins) within CLI_TIMEOUT_MS, and close the
 * connection cleanly at the end. The node is silent to a client whose
 * key it does not know, so a wrong or revoked access key looks exactly
 * like a node that is down: the message says so instead of guessing.
 *
 * A node that knows the access key but turns the client away anyway (a
 * revoked client key, a node shutting down) completes the handshake and
 * closes at once with a go-away saying why. That go-away may come in the
 * same read as the handshake's answer or a moment later, so a command
 * that must know it is welcome (pier join) waits for one ping's round
 * trip: the node sends its go-away before it reads anything of ours.
 * Every command tells the node's reason apart from a transport error
 * through cli_close_text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"

/* The state of one blocking-style dial. */
struct cli_dialing {
	struct ovl_conn	*conn;
	int		 status;
	char		*cause;
	int		 done;
	int		 closed;	/* the connection ended while here */
	int		 goaway;	/* ... with the node's go-away */
	int		 ponged;	/* the confirming ping came back */
	int		 timed_out;	/* ... or did not in time */
	int		 timer_closed;
	struct cli_find	*find;		/* asking the LAN and the DHT */
	char		 tried[256];	/* what it asked, for messages */
	uv_timer_t	 timer;
	char		 why[CLI_CLOSE_TEXT_MAX];
};

static void	on_dial_closed(struct ovl_conn *, int, const char *, void *);

static const struct ovl_conn_cbs dial_conn_cbs = {
	.on_close = on_dial_closed,
};

static const struct ovl_conn_cbs no_conn_cbs;

/*
 * Says how a connection ended, from what on_close tells: "node closed
 * the connection: REASON" for the node's go-away (the overlay words it
 * "closed by peer (CODE NAME): REASON"), else "connection lost: WHY".
 * Returns 1 for a go-away, 0 for anything else.
 */
int
cli_close_text(int status, const char *reason, char *buf, size_t len)
{
	static const char	 peer[] = "closed by peer (";
	const char		*p, *end;

	if (reason != NULL && strncmp(reason, peer, sizeof(peer) - 1) == 0) {
		p = reason + sizeof(peer) - 1;
		end = strstr(p, "): ");
		if (end != NULL && end[3] != '\0')
			snprintf(buf, len, "node closed the connection: %s",
			    end + 3);
		else
			snprintf(buf, len, "node closed the connection: %.*s",
			    (int)strcspn(p, ")"), p);
		return (1);
	}
	if (reason != NULL && reason[0] != '\0')
		snprintf(buf, len, "connection lost: %s", reason);
	else
		snprintf(buf, len, "connection lost: %s", status == 0 ?
		    "closed" : strerror(status < 0 ? -status : status));
	return (0);
}

/* The dial finished (won, failed or timed out). */
static void
on_dialed(struct ovl_dial *d, struct ovl_conn *conn, int status,
    const char *cause, void *arg)
{
	struct cli_dialing	*st = arg;

	cli_find_tried(st->find, st->tried, sizeof(st->tried));
	cli_find_stop(st->find);
	st->find = NULL;
	st->done = 1;
	st->status = status;
	st->conn = conn;
	if (conn != NULL) {
		ovl_conn_ref(conn, "cli_connect");
		/* A go-away may follow in this very read: hear it. */
		ovl_conn_set_cbs(conn, &dial_conn_cbs, st);
	}
	if (cause != NULL)
		st->cause = strdup(cause);
}

/* The connection ended before cli_connect returned it. */
static void
on_dial_closed(struct ovl_conn *c, int status, const char *reason,
    void *arg)
{
	struct cli_dialing	*st = arg;

	st->closed = 1;
	st->goaway = cli_close_text(status, reason, st->why, sizeof(st->why));
}

/* The confirming ping came back (an error: on_dial_closed follows). */
static void
on_confirm_pong(struct ovl_conn *c, int status, uint64_t rtt_us, void *arg)
{
	struct cli_dialing	*st = arg;

	if (status == 0)
		st->ponged = 1;
}

/* No answer to the confirming ping in time. */
static void
on_confirm_timeout(uv_timer_t *t)
{
	struct cli_dialing	*st = container_of(t, struct cli_dialing,
				    timer);

	st->timed_out = 1;
}

/* The confirming ping's timer is closed. */
static void
on_confirm_timer_closed(uv_handle_t *h)
{
	struct cli_dialing	*st = container_of((uv_timer_t *)h,
				    struct cli_dialing, timer);

	st->timer_closed = 1;
}

/*
 * Waits for one ping's round trip on a fresh connection, or for the
 * go-away the node sends instead; 0 once the node answered.
 */
static int
confirm(uv_loop_t *loop, struct cli_dialing *st)
{
	int	err;

	if (st->closed)
		return (-ECONNABORTED);
	err = ovl_conn_ping(st->conn, on_confirm_pong, st);
	if (err != 0) {
		if (!st->closed)
			snprintf(st->why, sizeof(st->why), "cannot ping the "
			    "node: %s", strerror(-err));
		return (err);
	}
	if (uv_timer_init(loop, &st->timer) != 0) {
		snprintf(st->why, sizeof(st->why), "cannot make a timer");
		return (-ENOMEM);
	}
	(void)uv_timer_start(&st->timer, on_confirm_timeout, CLI_TIMEOUT_MS,
	    0);
	while (!st->ponged && !st->closed && !st->timed_out &&
	    uv_run(loop, UV_RUN_ONCE) != 0)
		;
	uv_close((uv_handle_t *)&st->timer, on_confirm_timer_closed);
	while (!st->timer_closed && uv_run(loop, UV_RUN_ONCE) != 0)
		;
	if (st->ponged && !st->closed)
		return (0);
	if (st->closed)
		return (st->goaway ? -ECONNABORTED : -ECONNRESET);
	snprintf(st->why, sizeof(st->why), "the node completed the handshake "
	    "but did not answer within %ds", CLI_TIMEOUT_MS / 1000);
	return (-ETIMEDOUT);
}

/*
 * The name a client gives the node in its hello: user@host, cut to fit
 * and kept to printable ASCII, since it is only a label in the node's log.
 */
void
cli_client_name(char *buf, size_t len)
{
	char		 host[64];
	const char	*user;
	size_t		 n, m, i;

	if (len > OVL_HS_NAME_MAX + 1)
		len = OVL_HS_NAME_MAX + 1;
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	user = getenv("USER");
	if (user == NULL || user[0] == '\0')
		user = "pier";
	n = strnlen(user, len / 2);
	memcpy(buf, user, n);
	buf[n++] = '@';
	m = strnlen(host, len - 1 - n);
	memcpy(buf + n, host, m);
	n += m;
	buf[n] = '\0';
	for (i = 0; i < n; i++) {
		if (buf[i] < 0x21 || buf[i] > 0x7e)
			buf[i] = '?';
	}
}

/* Joins the addresses into "a, b and c" for messages (caller frees). */
static char *
addr_list(const char *const *addrs, size_t n)
{
	char	*buf = NULL;
	size_t	 len = 0, i;
	FILE	*fp;

	if (n == 0)
		return (strdup("the LAN"));
	fp = open_memstream(&buf, &len);
	if (fp == NULL)
		return (NULL);
	for (i = 0; i < n; i++)
		fprintf(fp, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ",
		    addrs[i]);
	if (fclose(fp) != 0) {
		free(buf);
		return (NULL);
	}
	return (buf);
}

/*
 * Dials node_pub with the secret at the addresses and runs the loop until
 * the handshake is done or has failed (and, with confirm, until the node
 * answered a ping); *out is the open connection.
 */
int
cli_connect(uv_loop_t *loop, const struct ovl_identity *self,
    const struct ovl_joinkey *jk, const char *const *addrs, size_t naddrs,
    int confirm_it, struct ovl_conn **out, char **cause)
{
	struct ovl_dial_cfg	 cfg;
	struct cli_dialing	 st;
	struct ovl_dial		*d;
	char			 name[OVL_HS_NAME_MAX + 1], *list;
	int			 err;

	*out = NULL;
	memset(&st, 0, sizeof(st));
	memset(&cfg, 0, sizeof(cfg));
	cfg.timeout_ms = CLI_TIMEOUT_MS;
	ovl_limits_default(&cfg.lim);
	cli_client_name(name, sizeof(name));
	err = ovl_dial(loop, self, jk->node_pub, jk->secret, addrs, naddrs,
	    name, &cfg, on_dialed, &st, &d);
	if (err != 0) {
		if (asprintf(cause, "cannot dial: %s", strerror(-err)) < 0)
			*cause = NULL;
		return (err);
	}
	st.find = cli_find_start(loop, jk, d, naddrs);
	while (!st.done && uv_run(loop, UV_RUN_ONCE) != 0)
		;
	if (st.done && st.status == 0) {
		free(st.cause);
		err = st.closed ? (st.goaway ? -ECONNABORTED : -ECONNRESET) :
		    confirm_it ? confirm(loop, &st) : 0;
		if (err != 0) {
			if (asprintf(cause, "%s", st.why) < 0)
				*cause = NULL;
			/* It closes on the caller's next runs of the loop. */
			ovl_conn_set_cbs(st.conn, &no_conn_cbs, NULL);
			ovl_conn_close(st.conn, OVL_GA_NORMAL, "bye");
			ovl_conn_unref(st.conn, "cli_connect");
			return (err);
		}
		ovl_conn_set_cbs(st.conn, &no_conn_cbs, NULL);
		*out = st.conn;
		return (0);
	}
	err = st.done ? st.status : -EIO;
	list = addr_list(addrs, naddrs);
	if (naddrs == 0 && err == -ETIMEDOUT) {
		if (asprintf(cause, "no node answered on the LAN within %d ms "
		    "and the join key has no address: the node is not on this "
		    "network, is down or runs with --no-lan, or the join key "
		    "is wrong or revoked; pass --addr HOST:PORT%s",
		    OVL_LAN_PROBE_MS, st.tried) < 0)
			*cause = NULL;
	} else if (err == -ETIMEDOUT || err == -EACCES) {
		/*
		 * -EACCES: the node closed without a word, as it does for an
		 * unknown key and for a source over its handshake rate.
		 */
		if (asprintf(cause, "no answer from %s within %ds: the node "
		    "is down, unreachable, or the join key is wrong or revoked"
		    "%s%s", list != NULL ? list : "the node",
		    CLI_TIMEOUT_MS / 1000, err == -EACCES ? " (it closed the "
		    "connection without answering; it does so too for more "
		    "than 100 connections a second from one address)" : "",
		    st.tried) < 0)
			*cause = NULL;
	} else if (asprintf(cause, "cannot reach %s%s: %s", list != NULL ?
	    list : "the node", st.tried, st.cause != NULL ? st.cause :
	    strerror(-err)) < 0)
		*cause = NULL;
	free(list);
	free(st.cause);
	return (err);
}

/* The connection ended: note it for cli_disconnect's loop. */
static void
on_closed(struct ovl_conn *c, int status, const char *reason, void *arg)
{
	int	*closed = arg;

	*closed = 1;
}

/* Closes a connection with a go-away and runs the loop until released. */
void
cli_disconnect(uv_loop_t *loop, struct ovl_conn *c)
{
	struct ovl_conn_cbs	cbs;
	int			closed = 0;

	if (c == NULL)
		return;
	memset(&cbs, 0, sizeof(cbs));
	cbs.on_close = on_closed;
	ovl_conn_set_cbs(c, &cbs, &closed);
	ovl_conn_close(c, OVL_GA_NORMAL, "bye");
	ovl_conn_unref(c, "cli_connect");
	uv_run(loop, UV_RUN_DEFAULT);
}

/*
 * Parses the join key of a book entry and gathers its dial addresses:
 * the one that answered last first, then the key's hints.
 */
int
cli_node_target(const struct cli_node *n, struct ovl_joinkey *jk,
    const char **addrs, size_t *naddrs, char **cause)
{
	size_t	i;
	int	err;

	err = ovl_joinkey_parse(n->key, jk, cause);
	if (err != 0)
		return (err);
	*naddrs = 0;
	if (n->addr != NULL)
		addrs[(*naddrs)++] = n->addr;
	for (i = 0; i < jk->naddrs; i++) {
		if (n->addr == NULL || strcmp(n->addr, jk->addrs[i]) != 0)
			addrs[(*naddrs)++] = jk->addrs[i];
	}
	return (0);
}

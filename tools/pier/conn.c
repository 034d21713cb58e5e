/*
 * Reaching a node from the command line: dial every candidate address
 * (first completed handshake wins) within CLI_TIMEOUT_MS, and close the
 * connection cleanly at the end. The node is silent to a client whose
 * key it does not know, so a wrong or revoked key looks exactly like a
 * node that is down: the message says so instead of guessing.
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
};

/* The dial finished (won, failed or timed out). */
static void
on_dialed(struct ovl_dial *d, struct ovl_conn *conn, int status,
    const char *cause, void *arg)
{
	struct cli_dialing	*st = arg;

	st->done = 1;
	st->status = status;
	st->conn = conn;
	if (conn != NULL)
		ovl_conn_ref(conn, "cli_connect");
	if (cause != NULL)
		st->cause = strdup(cause);
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
 * the handshake is done or has failed; *out is the open connection.
 */
int
cli_connect(uv_loop_t *loop, const struct ovl_identity *self,
    const struct ovl_joinkey *jk, const char *const *addrs, size_t naddrs,
    struct ovl_conn **out, char **cause)
{
	struct ovl_dial_cfg	 cfg;
	struct cli_dialing	 st;
	char			 name[OVL_HS_NAME_MAX + 1], *list;
	int			 err;

	*out = NULL;
	if (naddrs == 0) {
		if (asprintf(cause, "no address for the node: the join key "
		    "has none; pass --addr HOST:PORT") < 0)
			*cause = NULL;
		return (-EDESTADDRREQ);
	}
	memset(&st, 0, sizeof(st));
	memset(&cfg, 0, sizeof(cfg));
	cfg.timeout_ms = CLI_TIMEOUT_MS;
	ovl_limits_default(&cfg.lim);
	cli_client_name(name, sizeof(name));
	err = ovl_dial(loop, self, jk->node_pub, jk->secret, addrs, naddrs,
	    name, &cfg, on_dialed, &st, NULL);
	if (err != 0) {
		if (asprintf(cause, "cannot dial: %s", strerror(-err)) < 0)
			*cause = NULL;
		return (err);
	}
	while (!st.done && uv_run(loop, UV_RUN_ONCE) != 0)
		;
	if (st.done && st.status == 0) {
		free(st.cause);
		*out = st.conn;
		return (0);
	}
	err = st.done ? st.status : -EIO;
	list = addr_list(addrs, naddrs);
	if (err == -ETIMEDOUT || err == -EACCES) {
		/*
		 * -EACCES: the node closed without a word, as it does for an
		 * unknown key and for a source over its handshake rate.
		 */
		if (asprintf(cause, "no answer from %s within %ds: the node "
		    "is down, unreachable, or the join key is wrong or revoked"
		    "%s", list != NULL ? list : "the node",
		    CLI_TIMEOUT_MS / 1000, err == -EACCES ? " (it closed the "
		    "connection without answering)" : "") < 0)
			*cause = NULL;
	} else if (asprintf(cause, "cannot reach %s: %s", list != NULL ? list :
	    "the node", st.cause != NULL ? st.cause : strerror(-err)) < 0)
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

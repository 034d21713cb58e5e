/*
 * A connection that came through a relay moves to a direct path when
 * one can be made, without the command on it noticing: a second after
 * it opened (a quick command is done by then and never pays for it),
 * then again 5 s after a failed try, doubling to 60 s, until it moved.
 * Each try asks the node for a punch (path.punch: a move token, the
 * node's addresses; the node connects to ours meanwhile) and hands that
 * to ovl_conn_move, which connects from the relayed connection's own
 * port. Once moved it stays (paths are ranked relay < punched, and a
 * move only goes up), so a session does not flap; if the punched path
 * later fails, the connection ends as any other would.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "rpc-int.h"

#define MOVE_FIRST_MS	1000
#define MOVE_AGAIN_MS	5000
#define MOVE_MAX_MS	60000
#define MOVE_CALL_MS	5000
#define MOVE_ADDRS_MAX	4	/* our own addresses named to the node */

/* A relayed connection's moves. */
struct cli__move {
	struct cli_rpc	*r;
	uv_timer_t	 timer;
	int		 timer_open;
	int		 busy;		/* a call or a move under way */
	int		 stopped;
	int		 given_up;	/* the node cannot do it */
	int		 moved;
	unsigned	 tries;
	unsigned	 ended;		/* tries that ended */
	uint64_t	 opened_ms;
	uint64_t	 moved_ms;	/* after opened_ms */
	uint64_t	 next_ms;
	char		 why[256];	/* the last try's outcome */
};

static void	move_try(struct cli__move *);

/* Frees the record once its timer closed and nothing calls back. */
static void
move_maybe_free(struct cli__move *m)
{
	struct cli_rpc *r = m->r;

	if (!m->stopped || m->busy || m->timer_open)
		return;
	r->mv = NULL;
	free(m);
	r->timers--;
	cli__rpc_maybe_free(r);
}

/* The timer closed. */
static void
on_move_timer_closed(uv_handle_t *h)
{
	struct cli__move *m = h->data;

	m->timer_open = 0;
	move_maybe_free(m);
}

/* The timer: the next try. */
static void
on_move_timer(uv_timer_t *t)
{
	move_try(t->data);
}

/* A try ended without a move: the next one later, unless given up. */
static void
move_again(struct cli__move *m)
{
	m->busy = 0;
	m->ended++;
	if (m->stopped) {
		move_maybe_free(m);
		return;
	}
	if (m->given_up)
		return;
	(void)uv_timer_start(&m->timer, on_move_timer, m->next_ms, 0);
	m->next_ms = m->next_ms * 2 > MOVE_MAX_MS ? MOVE_MAX_MS :
	    m->next_ms * 2;
}

/* The move ended. */
static void
on_moved(struct ovl_conn *c, int status, const char *why, void *arg)
{
	struct cli__move *m = arg;

	(void)c;
	if (status == 0) {
		m->moved = 1;
		m->moved_ms = uv_now(&m->r->x->loop) - m->opened_ms;
		snprintf(m->why, sizeof m->why, "moved to %s",
		    ovl_conn_peer(c));
		m->busy = 0;
		m->ended++;
		move_maybe_free(m);
		return;
	}
	snprintf(m->why, sizeof m->why, "no direct path: %s", why);
	move_again(m);
}

/* The node answered path.punch: connect to its addresses. */
static void
on_punch_reply(struct cli_rpc *r, const json_t *res,
    const struct cli_rpc_error *err, void *arg)
{
	struct cli__move *m = arg;
	const char *addrs[8], *hex;
	uint8_t tok[OVL_MOVE_TOKEN_LEN];
	json_t *a;
	size_t i, n = 0, len = 0;
	long long wait;
	int rc;

	if (err != NULL) {
		snprintf(m->why, sizeof m->why, "the node cannot punch: %s",
		    err->message != NULL ? err->message : "?");
		/* an older node, or one that says it cannot: stop asking */
		if (err->code == PROTO_E_NOMETHOD || err->code == PROTO_E_STATE ||
		    err->code == PROTO_E_UNREACHABLE)
			m->given_up = 1;
		move_again(m);
		return;
	}
	hex = json_string_value(json_object_get(res, "token"));
	a = json_object_get(res, "addresses");
	for (i = 0; i < json_array_size(a) && n < 8; i++)
		if (json_is_string(json_array_get(a, i)))
			addrs[n++] = json_string_value(json_array_get(a, i));
	wait = json_integer_value(json_object_get(res, "timeout_ms"));
	if (wait <= 0 || wait > 30000)
		wait = 10000;
	if (hex == NULL || n == 0 || sodium_hex2bin(tok, sizeof tok, hex,
	    strlen(hex), NULL, &len, NULL) != 0 || len != sizeof tok ||
	    m->stopped || r->conn == NULL || r->closed) {
		snprintf(m->why, sizeof m->why, "the node's punch answer "
		    "is not usable");
		move_again(m);
		return;
	}
	rc = ovl_conn_move(r->conn, addrs, n, tok, (uint32_t)wait, on_moved,
	    m);
	sodium_memzero(tok, sizeof tok);
	if (rc != 0) {
		snprintf(m->why, sizeof m->why, "cannot start the move: %s",
		    strerror(-rc));
		if (rc != -EALREADY)
			m->given_up = 1;
		move_again(m);
	}
}

/* The params of path.punch: our local port and our host's addresses. */
static json_t *
punch_params(struct cli__move *m)
{
	uv_interface_address_t *ifs = NULL;
	int i, nifs = 0, port = ovl_conn_local_port(m->r->conn);
	json_t *p, *a;
	char ip[16], text[32];

	if (port == 0 || (a = json_array()) == NULL)
		return (NULL);
	if (uv_interface_addresses(&ifs, &nifs) == 0) {
		for (i = 0; i < nifs && json_array_size(a) < MOVE_ADDRS_MAX;
		    i++) {
			if (ifs[i].is_internal ||
			    ifs[i].address.address4.sin_family != AF_INET)
				continue;
			uv_ip4_name(&ifs[i].address.address4, ip, sizeof ip);
			snprintf(text, sizeof text, "%s:%d", ip, port);
			(void)json_array_append_new(a, json_string(text));
		}
		uv_free_interface_addresses(ifs, nifs);
	}
	p = json_pack("{s:i, s:o}", "port", port, "addresses", a);
	return (p);
}

/* One try: ask the node for a punch. */
static void
move_try(struct cli__move *m)
{
	struct cli_rpc *r = m->r;
	json_t *params;
	int rc;

	if (m->busy || m->moved || m->stopped || m->given_up ||
	    r->conn == NULL || r->closed)
		return;
	if ((params = punch_params(m)) == NULL) {
		snprintf(m->why, sizeof m->why, "the relayed connection is "
		    "not on IPv4");
		m->given_up = 1;
		return;
	}
	m->busy = 1;
	m->tries++;
	rc = cli_rpc_call_async(r, "path.punch", params, MOVE_CALL_MS,
	    on_punch_reply, m);
	if (rc != 0) {
		snprintf(m->why, sizeof m->why, "cannot ask the node: %s",
		    strerror(-rc));
		move_again(m);
	}
}

/* Whether moves are on (the move setting, default true). */
static int
move_enabled(void)
{
	char *dir = cli_config_dir();
	int on = cli_setting_on(dir, "move");

	free(dir);
	return (on);
}

/* Starts moving r's relayed connection (just dialed). */
void
cli__move_start(struct cli_rpc *r)
{
	struct cli__move *m;

	if (r->mv != NULL || r->conn == NULL ||
	    ovl_conn_path(r->conn) != OVL_PATH_RELAY || !move_enabled() ||
	    (m = calloc(1, sizeof *m)) == NULL)
		return;
	m->r = r;
	m->opened_ms = uv_now(&r->x->loop);
	m->next_ms = MOVE_AGAIN_MS;
	snprintf(m->why, sizeof m->why, "not tried yet");
	(void)uv_timer_init(&r->x->loop, &m->timer);
	m->timer.data = m;
	m->timer_open = 1;
	/* the moves never keep a command's loop alive by themselves */
	uv_unref((uv_handle_t *)&m->timer);
	(void)uv_timer_start(&m->timer, on_move_timer, MOVE_FIRST_MS, 0);
	r->timers++;
	r->mv = m;
}

/* Stops the moves (the connection closes). */
void
cli__move_stop(struct cli_rpc *r)
{
	struct cli__move *m = r->mv;

	if (m == NULL || m->stopped)
		return;
	m->stopped = 1;
	uv_close((uv_handle_t *)&m->timer, on_move_timer_closed);
}

/* A timer that only wakes the loop. */
static void
on_tick(uv_timer_t *t)
{
	(void)t;
}

/* Tries a move now and waits for its outcome (pier doctor). */
int
cli_rpc_move_now(struct cli_rpc *r, long wait_ms, const char **why,
    double *ms)
{
	struct cli__move *m = r->mv;
	uv_timer_t tick;
	uint64_t end;
	unsigned ended;

	*why = r->conn != NULL && ovl_conn_path(r->conn) == OVL_PATH_RELAY ?
	    "moves are off (pier config set move true)" :
	    "the connection is not relayed";
	*ms = 0;
	if (m == NULL)
		return (-EINVAL);
	ended = m->ended;
	if (!m->busy && !m->moved) {
		(void)uv_timer_stop(&m->timer);
		move_try(m);
	}
	(void)uv_timer_init(&r->x->loop, &tick);
	end = uv_now(&r->x->loop) + (uint64_t)wait_ms;
	while (!m->moved && m->ended == ended && (m->busy || !m->given_up) &&
	    !r->closed && uv_now(&r->x->loop) < end) {
		(void)uv_timer_start(&tick, on_tick, 100, 0);
		uv_run(&r->x->loop, UV_RUN_ONCE);
	}
	uv_close((uv_handle_t *)&tick, NULL);
	uv_run(&r->x->loop, UV_RUN_NOWAIT);
	*why = m->why;
	*ms = (double)m->moved_ms;
	return (m->moved ? 0 : -EHOSTUNREACH);
}

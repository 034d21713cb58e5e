/*
 * Dialing a node: every candidate address is tried, staggered (the next
 * starts after stagger_ms, or at once when one fails), and the first to
 * complete the handshake wins; the others are cancelled. New ways of
 * finding a node (discovery, relays) only add candidates.
 *
 * The keeper re-dials after a drop or a failure with an exponential
 * backoff and jitter, and tells its user connected, disconnected or
 * gave up.
 *
 * A dial owns its attempts; each attempt's connection reports back
 * through the ovl__conn_ops hooks. The dial is freed once its timer and
 * every losing connection have closed, never inside their callbacks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "net-int.h"

#define DIAL_TIMEOUT_MS	5000
#define DIAL_STAGGER_MS	250
#define KEEP_MIN_MS	200
#define KEEP_MAX_MS	30000
#define DIAL_ADD_MAX	16	/* candidates ovl_dial_add may add */
#define DIAL_NAMED_MAX	64	/* candidates given to ovl_dial */

/* Attempt states. */
enum att_state {
	ATT_IDLE,	/* not started */
	ATT_RESOLVING,
	ATT_CONNECTING,	/* TCP connect, then handshake */
	ATT_FAILED,
	ATT_WON,
};

/* One candidate address. */
struct attempt {
	struct ovl_dial		*d;
	enum att_state		 state;
	struct ovl_conn		*conn;
	uv_connect_t		 creq;
	uv_getaddrinfo_t	 gai;
	char			 text[OVL_ADDR_MAX];
	char			 host[OVL_ADDR_MAX];
	int			 port;
	enum ovl_path		 kind;
	int			 tcp_up;	/* connected, handshaking */
	uint16_t		 bind_port;	/* punch: from this port */
};

struct ovl_dial {
	uv_loop_t		*loop;
	struct ovl_identity	 id;
	uint8_t			 node_pub[OVL_KEY_LEN];
	uint8_t			 psk[OVL_KEY_LEN];
	char			 name[OVL_HS_NAME_MAX + 1];
	struct ovl_dial_cfg	 cfg;
	ovl_dial_cb		 cb;
	void			*arg;
	uv_timer_t		 timer;
	struct attempt		*att;		/* room for cap */
	size_t			 n;
	size_t			 cap;
	uint64_t		 hold_until;	/* ovl_dial_hold */
	size_t			 started;
	uint64_t		 deadline;
	uint64_t		 next_start;
	int			 done;		/* cb called */
	int			 refs;		/* timer + live attempts */
	int			 err;		/* best error so far */
	char			 cause[512];
};

static const struct ovl__conn_ops dial_ops;
static void dial_finish(struct ovl_dial *, int, const char *);
static void start_next(struct ovl_dial *);
static void on_timer(uv_timer_t *);

/* Drops a reference; the last frees the dial. */
static void
dial_unref(struct ovl_dial *d)
{
	if (--d->refs > 0)
		return;
	ovl_identity_clear(&d->id);
	sodium_memzero(d->psk, sizeof d->psk);
	free(d->att);
	free(d);
}

/* The timer handle closed. */
static void
on_timer_closed(uv_handle_t *h)
{
	dial_unref(container_of((uv_timer_t *)h, struct ovl_dial, timer));
}

/* Ranks errors: a refusal by the node says most, then no answer. */
static int
err_rank(int err)
{
	switch (err) {
	case -EACCES:
		return (4);
	case -EBADMSG:
	case -EPROTONOSUPPORT:
		return (3);
	case -ETIMEDOUT:
		return (2);
	case -ECONNREFUSED:
		return (1);
	default:
		return (0);
	}
}

/* Notes why an attempt failed, keeping the most telling reason. */
static void
note_error(struct ovl_dial *d, struct attempt *a, int err, const char *why)
{
	if (d->err != 0 && err_rank(err) < err_rank(d->err))
		return;
	d->err = err;
	snprintf(d->cause, sizeof d->cause, "%s: %s", a->text, why);
}

/* An attempt failed; move on or give up when all have. */
static void
attempt_failed(struct attempt *a, int err, const char *why)
{
	struct ovl_dial *d = a->d;
	size_t i;

	if (a->state == ATT_FAILED || a->state == ATT_WON)
		return;
	a->state = ATT_FAILED;
	note_error(d, a, err, why);
	if (d->done)
		return;
	for (i = 0; i < d->n; i++)
		if (d->att[i].state != ATT_FAILED)
			break;
	if (i == d->n && uv_now(d->loop) >= d->hold_until) {
		dial_finish(d, d->err, d->cause);
		return;
	}
	start_next(d);
}

/* Through a relay: ask it for the node before message 1. */
static int
send_splice(struct attempt *a)
{
	struct wreq *w;

	w = ovl__wreq_new(OVL_PRE_LEN);
	if (w == NULL)
		return (-ENOMEM);
	memcpy(w->data, OVL__PRE_SPLICE, 4);
	ovl_relay_target_id(a->d->node_pub, w->data + 4);
	return (ovl__conn_write(a->conn, w, OVL_PRE_LEN));
}

/* TCP connected (or not): start the handshake. */
static void
on_connect(uv_connect_t *req, int status)
{
	struct attempt *a = container_of(req, struct attempt, creq);
	struct ovl_dial *d = a->d;
	enum ovl_path kind;
	char text[64];
	int rc;

	if (a->state != ATT_CONNECTING || a->conn == NULL)
		return;
	if (status < 0) {
		attempt_failed(a, status, uv_strerror(status));
		ovl__conn_abort(a->conn, status, "connect failed");
		return;
	}
	ovl__conn_set_peer(a->conn);
	a->tcp_up = 1;
	/* Records go out whole; Nagle would only delay keystrokes. */
	(void)uv_tcp_nodelay(ovl__conn_tcp(a->conn), 1);
	a->conn->path = a->kind;
	if (a->kind != OVL_PATH_DIRECT) {	/* "relay+ip:port": dialable */
		snprintf(text, sizeof text, "%.*s%s", (int)(strlen(a->text) -
		    strlen(ovl_path_split(a->text, &kind))), a->text,
		    ovl_conn_peer(a->conn));
		ovl__conn_fix_peer(a->conn, text);
	}
	rc = a->kind == OVL_PATH_RELAY ? send_splice(a) : 0;
	if (rc == 0)
		rc = ovl__conn_start_client(a->conn, &d->id, d->node_pub,
		    d->psk, d->name);
	if (rc != 0) {
		attempt_failed(a, rc, rc == -EINVAL ? "bad client name" :
		    "cannot start the handshake");
		ovl__conn_abort(a->conn, rc, "handshake not started");
	}
}

/* Tells whether an attempt is connected and in its handshake, or won. */
int
ovl_dial_answered(const struct ovl_dial *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->att[i].state == ATT_WON ||
		    (d->att[i].state == ATT_CONNECTING && d->att[i].tcp_up))
			return (1);
	return (0);
}

/*
 * A hole punch's socket: bound to bind_port (SO_REUSEADDR and
 * SO_REUSEPORT), so its SYN leaves from the port whose mapping the node
 * aims at, and the connect is one half of a TCP simultaneous open. A
 * relay's socket too, bound to a port of the kernel's choosing, which a
 * path move's connects can then share.
 */
static int
punch_socket(struct attempt *a, const struct sockaddr *sa)
{
	int fd, rc;

	if (sa->sa_family != AF_INET)
		return (-EAFNOSUPPORT);
	if ((fd = ovl_punch_socket(a->bind_port)) < 0)
		return (fd);
	rc = uv_tcp_open(ovl__conn_tcp(a->conn), fd);
	if (rc != 0)
		close(fd);
	return (rc);
}

/* Starts the TCP connect of an attempt to sa. */
static void
attempt_connect(struct attempt *a, const struct sockaddr *sa)
{
	struct ovl_dial *d = a->d;
	int rc;

	rc = ovl__conn_new(d->loop, 1, &d->cfg.lim, &dial_ops, a, &a->conn);
	if (rc != 0) {
		attempt_failed(a, rc, "out of memory");
		return;
	}
	d->refs++;
	a->state = ATT_CONNECTING;
	ovl__conn_peer_from(a->conn, sa);
	/* A relayed connection may move to a punched path later, from the
	 * same local port (move.c): that socket needs SO_REUSEPORT now. */
	rc = a->bind_port != 0 || (a->kind == OVL_PATH_RELAY &&
	    sa->sa_family == AF_INET) ? punch_socket(a, sa) : 0;
	if (rc != 0) {
		attempt_failed(a, rc, uv_strerror(rc));
		ovl__conn_abort(a->conn, rc, "cannot bind the punch");
		return;
	}
	rc = uv_tcp_connect(&a->creq, ovl__conn_tcp(a->conn), sa, on_connect);
	if (rc != 0) {
		attempt_failed(a, rc, uv_strerror(rc));
		ovl__conn_abort(a->conn, rc, "connect failed");
	}
}

/* A name resolved. */
static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct attempt *a = container_of(req, struct attempt, gai);
	struct ovl_dial *d = a->d;

	if (status == 0 && a->state == ATT_RESOLVING && !d->done)
		attempt_connect(a, res->ai_addr);
	else if (a->state == ATT_RESOLVING)
		attempt_failed(a, status != 0 ? status : -ECANCELED,
		    status != 0 ? uv_strerror(status) : "cancelled");
	if (res != NULL)
		uv_freeaddrinfo(res);
	dial_unref(d);
}

/* Starts one attempt: numeric addresses connect, names resolve. */
static void
attempt_start(struct attempt *a)
{
	struct ovl_dial *d = a->d;
	struct sockaddr_storage ss;
	struct addrinfo hints;
	char port[8];
	int rc;

	if (uv_ip4_addr(a->host, a->port, (struct sockaddr_in *)&ss) == 0 ||
	    uv_ip6_addr(a->host, a->port, (struct sockaddr_in6 *)&ss) == 0) {
		attempt_connect(a, (struct sockaddr *)&ss);
		return;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof port, "%d", a->port);
	a->state = ATT_RESOLVING;
	rc = uv_getaddrinfo(d->loop, &a->gai, on_resolved, a->host, port,
	    &hints);
	if (rc != 0) {
		attempt_failed(a, rc, uv_strerror(rc));
		return;
	}
	d->refs++;
}

/* Starts the next idle candidate, if any; re-arms the timer. */
static void
start_next(struct ovl_dial *d)
{
	uint64_t now = uv_now(d->loop), next;

	if (!d->done && d->started < d->n) {
		d->next_start = now + d->cfg.stagger_ms;
		attempt_start(&d->att[d->started++]);
	}
	if (d->done)
		return;
	next = d->deadline;
	if (d->started < d->n && d->next_start < next)
		next = d->next_start;
	if (d->hold_until > now && d->hold_until < next)
		next = d->hold_until;
	(void)uv_timer_start(&d->timer, on_timer, next > now ? next - now : 0,
	    0);
}

/* The dial's timer: the next stagger step or the overall deadline. */
static void
on_timer(uv_timer_t *t)
{
	struct ovl_dial *d = container_of(t, struct ovl_dial, timer);
	uint64_t now = uv_now(d->loop);
	char why[160];
	size_t i;

	if (now >= d->deadline || (d->n == 0 && d->hold_until != 0 &&
	    now >= d->hold_until)) {
		if (d->n == 0)
			snprintf(why, sizeof why, "no address answered: none "
			    "was given and none was found within %u ms",
			    (unsigned)(now - (d->deadline -
			    d->cfg.timeout_ms)));
		else
			snprintf(why, sizeof why, "no answer from the node "
			    "within %u ms (node down, address wrong, or access "
			    "refused)", d->cfg.timeout_ms);
		dial_finish(d, -ETIMEDOUT, why);
		return;
	}
	for (i = 0; i < d->n && d->att[i].state == ATT_FAILED; i++)
		;
	if (d->n > 0 && i == d->n && now >= d->hold_until) {
		/* Every candidate failed and no more are coming. */
		dial_finish(d, d->err, d->cause);
		return;
	}
	start_next(d);
}

/* Ends the dial once: cancels the losers and tells the user. */
static void
dial_finish_with(struct ovl_dial *d, struct ovl_conn *winner, int status,
    const char *cause)
{
	char why[sizeof d->cause];
	struct attempt *a;
	size_t i;

	if (d->done)
		return;
	d->done = 1;
	d->refs++;
	snprintf(why, sizeof why, "%s", cause != NULL ? cause : "");
	for (i = 0; i < d->n; i++) {
		a = &d->att[i];
		if (a->state == ATT_RESOLVING)
			(void)uv_cancel((uv_req_t *)&a->gai);
		else if (a->conn != NULL && a->state != ATT_WON)
			ovl__conn_abort(a->conn, -ECANCELED,
			    "another address answered first");
	}
	(void)uv_timer_stop(&d->timer);
	uv_close((uv_handle_t *)&d->timer, on_timer_closed);
	d->cb(d, winner, status, status == 0 ? NULL : why, d->arg);
	dial_unref(d);
}

/* Ends the dial with a failure. */
static void
dial_finish(struct ovl_dial *d, int status, const char *cause)
{
	dial_finish_with(d, NULL, status, cause);
}

/* An attempt's handshake completed: it wins. */
static void
dial_opened(struct ovl_conn *c)
{
	struct attempt *a = ovl__conn_owner(c);
	struct ovl_dial *d = a->d;

	a->state = ATT_WON;
	a->conn = NULL;
	ovl__conn_set_owner(c, NULL, NULL);
	dial_finish_with(d, c, 0, NULL);
	dial_unref(d);		/* the winner's reference */
}

/* An attempt's connection ended before its handshake completed. */
static void
dial_ended(struct ovl_conn *c, int status, const char *why, int was_open)
{
	struct attempt *a = ovl__conn_owner(c);

	(void)was_open;
	if (status == -ECONNRESET) {
		status = -EACCES;
		why = "the node closed the connection without answering: "
		    "access refused (wrong or revoked join key)";
	}
	attempt_failed(a, status, why);
}

/* A losing connection is gone. */
static void
dial_released(struct ovl_conn *c)
{
	struct attempt *a = ovl__conn_owner(c);
	struct ovl_dial *d = a->d;

	a->conn = NULL;
	dial_unref(d);
}

static const struct ovl__conn_ops dial_ops = {
	.opened = dial_opened,
	.ended = dial_ended,
	.released = dial_released,
};

/*
 * Fills a candidate from its text: "host:port", or "KIND+host:port"
 * (enum ovl_path), which keeps its kind in the text for messages and
 * dials host:port (through the relay there for "relay+").
 */
static int
attempt_set(struct attempt *a, struct ovl_dial *d, const char *addr)
{
	const char *hostport, *why;
	enum ovl_path kind;

	memset(a, 0, sizeof *a);
	a->d = d;
	hostport = ovl_path_split(addr, &kind);
	if (hostport == NULL || strlen(addr) >= sizeof a->text)
		return (-EINVAL);
	a->kind = kind;
	snprintf(a->text, sizeof a->text, "%s", addr);
	if (ovl__addr_split(hostport, a->host, sizeof a->host, &a->port,
	    &why) != 0 || a->port == 0)
		return (-EINVAL);
	return (0);
}

/* Dials a node at several candidates. */
int
ovl_dial(uv_loop_t *loop, const struct ovl_identity *self,
    const uint8_t node_pub[static 32], const uint8_t psk[static 32],
    const char *const *addrs, size_t naddrs, const char *client_name,
    const struct ovl_dial_cfg *cfg, ovl_dial_cb cb, void *arg,
    struct ovl_dial **out)
{
	struct ovl_dial *d;
	enum ovl_path kind;
	size_t i, k, n = 0;

	if (out != NULL)
		*out = NULL;
	if (naddrs > DIAL_NAMED_MAX || cb == NULL || client_name == NULL ||
	    strlen(client_name) > OVL_HS_NAME_MAX)
		return (-EINVAL);
	d = calloc(1, sizeof *d);
	if (d == NULL)
		return (-ENOMEM);
	/* Room up front: attempts hold requests libuv points into. */
	d->cap = naddrs + DIAL_ADD_MAX;
	d->att = calloc(d->cap, sizeof *d->att);
	if (d->att == NULL) {
		free(d);
		return (-ENOMEM);
	}
	for (k = 0; k < 2; k++) {	/* relays after every other kind */
		for (i = 0; i < naddrs; i++) {
			if (ovl_path_split(addrs[i], &kind) == NULL ||
			    (kind == OVL_PATH_RELAY) != k)
				continue;
			if (attempt_set(&d->att[n], d, addrs[i]) != 0)
				break;
			n++;
		}
		if (i < naddrs)
			break;
	}
	if (n != naddrs) {
		free(d->att);
		free(d);
		return (-EINVAL);
	}
	d->loop = loop;
	d->id = *self;
	memcpy(d->node_pub, node_pub, OVL_KEY_LEN);
	memcpy(d->psk, psk, OVL_KEY_LEN);
	snprintf(d->name, sizeof d->name, "%s", client_name);
	if (cfg != NULL)
		d->cfg = *cfg;
	if (d->cfg.timeout_ms == 0)
		d->cfg.timeout_ms = DIAL_TIMEOUT_MS;
	if (d->cfg.stagger_ms == 0)
		d->cfg.stagger_ms = DIAL_STAGGER_MS;
	if (d->cfg.lim.hs_timeout_ms == 0 ||
	    d->cfg.lim.hs_timeout_ms > d->cfg.timeout_ms)
		d->cfg.lim.hs_timeout_ms = d->cfg.timeout_ms;
	d->cb = cb;
	d->arg = arg;
	d->n = naddrs;
	(void)uv_timer_init(loop, &d->timer);
	d->refs = 1;
	d->deadline = uv_now(loop) + d->cfg.timeout_ms;
	(void)uv_timer_start(&d->timer, on_timer, 0, 0);
	if (out != NULL)
		*out = d;
	return (0);
}

/* Cancels a dial. */
void
ovl_dial_cancel(struct ovl_dial *d)
{
	dial_finish(d, -ECANCELED, "cancelled");
}

/*
 * Adds a candidate to a dial in progress; it starts from the timer. Only
 * candidates not started yet move: they hold no handle.
 */
static int
dial_add(struct ovl_dial *d, const char *addr, uint16_t bind_port)
{
	struct attempt a;
	uint64_t now;
	size_t i;

	if (d->done)
		return (-ECANCELED);
	if (d->n == d->cap)
		return (-ENOSPC);
	if (attempt_set(&a, d, addr) != 0)
		return (-EINVAL);
	a.bind_port = bind_port;
	for (i = 0; i < d->n; i++)
		if (d->att[i].port == a.port && d->att[i].bind_port ==
		    bind_port && strcmp(d->att[i].host, a.host) == 0)
			return (-EEXIST);
	/*
	 * It waits its turn, stagger_ms after the last one started, unless
	 * none is in flight: then it starts at once, as after a failure.
	 */
	for (i = 0; i < d->started; i++)
		if (d->att[i].state == ATT_RESOLVING ||
		    d->att[i].state == ATT_CONNECTING)
			break;
	now = uv_now(d->loop);
	if (i == d->started)
		d->next_start = now;
	/*
	 * An address the DHT gave goes before the punches still waiting
	 * (they are long waits for the node's knock poll) and starts at
	 * once: the DHT may hold a node's old addresses beside its new one,
	 * and the new one should not wait its turn behind them.
	 */
	for (i = d->started; a.kind == OVL_PATH_DHT && i < d->n; i++)
		if (d->att[i].bind_port != 0)
			break;
	if (a.kind == OVL_PATH_DHT) {
		memmove(&d->att[i + 1], &d->att[i], (d->n - i) *
		    sizeof d->att[0]);
		d->att[i] = a;
		d->n++;
		if (i == d->started)
			d->next_start = now;
	} else
		d->att[d->n++] = a;
	(void)uv_timer_start(&d->timer, on_timer, d->next_start > now ?
	    d->next_start - now : 0, 0);
	return (0);
}

/* Adds a hole punch: a candidate dialed from local port bind_port. */
int
ovl_dial_add_punch(struct ovl_dial *d, const char *addr, uint16_t bind_port)
{
	if (strncmp(addr, "punch+", 6) != 0 || bind_port == 0)
		return (-EINVAL);
	return (dial_add(d, addr, bind_port));
}

/* Adds a candidate to a dial in progress. */
int
ovl_dial_add(struct ovl_dial *d, const char *addr)
{
	return (dial_add(d, addr, 0));
}

/* Keeps a dial whose candidates all failed waiting for more. */
void
ovl_dial_hold(struct ovl_dial *d, uint32_t ms)
{
	uint64_t until = uv_now(d->loop) + ms;

	if (d->done)
		return;
	d->hold_until = until < d->deadline ? until : d->deadline;
	(void)uv_timer_start(&d->timer, on_timer, 0, 0);
}

/* Moves the dial's deadline. */
void
ovl_dial_deadline(struct ovl_dial *d, uint32_t ms)
{
	if (d->done)
		return;
	d->deadline = uv_now(d->loop) + ms;
	if (d->hold_until > d->deadline)
		d->hold_until = d->deadline;
	(void)uv_timer_start(&d->timer, on_timer, 0, 0);
}

/* keeper */

struct ovl_keeper {
	uv_loop_t		*loop;
	struct ovl_identity	 id;
	uint8_t			 node_pub[OVL_KEY_LEN];
	uint8_t			 psk[OVL_KEY_LEN];
	char			**addrs;
	size_t			 naddrs;
	char			 name[OVL_HS_NAME_MAX + 1];
	struct ovl_keep_cfg	 cfg;
	ovl_keep_cb		 cb;
	void			*arg;
	uv_timer_t		 timer;
	struct ovl_dial		*dial;
	struct ovl_conn		*conn;
	uint32_t		 failures;
	int			 stopping;
};

static void keep_dial(struct ovl_keeper *);

/* The backoff timer fired: dial again. */
static void
on_keep_timer(uv_timer_t *t)
{
	keep_dial(container_of(t, struct ovl_keeper, timer));
}

/* Schedules the next dial: exponential backoff with jitter. */
static void
keep_schedule(struct ovl_keeper *k)
{
	uint64_t delay = k->cfg.backoff_min_ms;
	uint32_t i;

	for (i = 1; i < k->failures && delay < k->cfg.backoff_max_ms; i++)
		delay *= 2;
	if (delay > k->cfg.backoff_max_ms)
		delay = k->cfg.backoff_max_ms;
	delay = delay / 2 + randombytes_uniform((uint32_t)(delay / 2 + 1));
	(void)uv_timer_start(&k->timer, on_keep_timer, delay, 0);
}

/* The connection dropped: tell the user and re-dial. */
static void
keep_ended(struct ovl_conn *c, int status, const char *why, int was_open)
{
	struct ovl_keeper *k = ovl__conn_owner(c);

	(void)was_open;
	k->conn = NULL;
	ovl__conn_set_owner(c, NULL, NULL);
	k->failures = 1;
	k->cb(k, OVL_KEEP_DISCONNECTED, NULL, status, why, k->arg);
	if (!k->stopping)
		keep_schedule(k);
}

static const struct ovl__conn_ops keep_ops = {
	.ended = keep_ended,
};

/* A dial of the keeper ended. */
static void
keep_dial_cb(struct ovl_dial *d, struct ovl_conn *conn, int status,
    const char *cause, void *arg)
{
	struct ovl_keeper *k = arg;

	(void)d;
	k->dial = NULL;
	if (k->stopping) {
		if (conn != NULL)
			ovl_conn_close(conn, OVL_GA_NORMAL, "client stopped");
		return;
	}
	if (status == 0) {
		k->conn = conn;
		k->failures = 0;
		ovl__conn_set_owner(conn, &keep_ops, k);
		k->cb(k, OVL_KEEP_CONNECTED, conn, 0, NULL, k->arg);
		return;
	}
	k->failures++;
	if (k->cfg.max_attempts != 0 && k->failures >= k->cfg.max_attempts) {
		k->cb(k, OVL_KEEP_GAVE_UP, NULL, status, cause, k->arg);
		return;
	}
	keep_schedule(k);
}

/* Dials once. */
static void
keep_dial(struct ovl_keeper *k)
{
	int rc;

	rc = ovl_dial(k->loop, &k->id, k->node_pub, k->psk,
	    (const char *const *)k->addrs, k->naddrs, k->name, &k->cfg.dial,
	    keep_dial_cb, k, &k->dial);
	if (rc != 0) {
		k->failures++;
		keep_schedule(k);
	}
}

/* Frees the keeper's copies. */
static void
keep_free_fields(struct ovl_keeper *k)
{
	size_t i;

	for (i = 0; i < k->naddrs; i++)
		free(k->addrs[i]);
	free(k->addrs);
	ovl_identity_clear(&k->id);
	sodium_memzero(k->psk, sizeof k->psk);
}

/* Starts keeping a connection. */
int
ovl_keep_new(uv_loop_t *loop, const struct ovl_identity *self,
    const uint8_t node_pub[static 32], const uint8_t psk[static 32],
    const char *const *addrs, size_t naddrs, const char *client_name,
    const struct ovl_keep_cfg *cfg, ovl_keep_cb cb, void *arg,
    struct ovl_keeper **out)
{
	struct ovl_keeper *k;
	size_t i;

	*out = NULL;
	if (naddrs == 0 || cb == NULL || client_name == NULL ||
	    strlen(client_name) > OVL_HS_NAME_MAX)
		return (-EINVAL);
	k = calloc(1, sizeof *k);
	if (k == NULL)
		return (-ENOMEM);
	k->addrs = calloc(naddrs, sizeof *k->addrs);
	if (k->addrs == NULL) {
		free(k);
		return (-ENOMEM);
	}
	k->naddrs = naddrs;
	for (i = 0; i < naddrs; i++) {
		k->addrs[i] = strdup(addrs[i]);
		if (k->addrs[i] == NULL) {
			keep_free_fields(k);
			free(k);
			return (-ENOMEM);
		}
	}
	k->loop = loop;
	k->id = *self;
	memcpy(k->node_pub, node_pub, OVL_KEY_LEN);
	memcpy(k->psk, psk, OVL_KEY_LEN);
	snprintf(k->name, sizeof k->name, "%s", client_name);
	if (cfg != NULL)
		k->cfg = *cfg;
	if (k->cfg.backoff_min_ms == 0)
		k->cfg.backoff_min_ms = KEEP_MIN_MS;
	if (k->cfg.backoff_max_ms == 0)
		k->cfg.backoff_max_ms = KEEP_MAX_MS;
	if (k->cfg.backoff_max_ms < k->cfg.backoff_min_ms)
		k->cfg.backoff_max_ms = k->cfg.backoff_min_ms;
	k->cb = cb;
	k->arg = arg;
	(void)uv_timer_init(loop, &k->timer);
	(void)uv_timer_start(&k->timer, on_keep_timer, 0, 0);
	*out = k;
	return (0);
}

/* The current connection. */
struct ovl_conn *
ovl_keep_conn(const struct ovl_keeper *k)
{
	return (k->conn);
}

/* The keeper's timer closed: free it. */
static void
on_keep_closed(uv_handle_t *h)
{
	struct ovl_keeper *k = container_of((uv_timer_t *)h,
	    struct ovl_keeper, timer);

	keep_free_fields(k);
	free(k);
}

/* Stops keeping. */
void
ovl_keep_free(struct ovl_keeper *k)
{
	struct ovl_conn *c = k->conn;

	if (k->stopping)
		return;
	k->stopping = 1;
	if (k->dial != NULL)
		ovl_dial_cancel(k->dial);
	if (c != NULL) {
		k->conn = NULL;
		ovl__conn_set_owner(c, NULL, NULL);
		ovl_conn_close(c, OVL_GA_NORMAL, "client stopped");
	}
	(void)uv_timer_stop(&k->timer);
	uv_close((uv_handle_t *)&k->timer, on_keep_closed);
}

/*
 * The node's listening side: one or more listeners (IPv4 and IPv6), the
 * limits applied before any cryptography runs (connections held, a
 * token bucket of handshakes per second per source address), answering
 * message 1 with the keystore's active secrets and its replay rule,
 * telling the user about authenticated clients, and closing every
 * connection of an access key when that key is revoked, or of a client
 * key when the keystore's list of revoked clients gains it.
 *
 * Refusals are silent on the wire (nothing is written; to someone
 * without a join key the port says nothing) and one line in the log.
 * A revoked client key is the exception: that client proved it holds a
 * valid access key, so the handshake completes and the node closes the
 * connection at once with the reason, encrypted (go-away "revoked"),
 * before the user ever sees it; the client can tell this from a node
 * that is down or a wrong join key. A client whose clock is outside the
 * replay window is told the same way (go-away "clock skew" with the
 * skew in seconds): answering takes nothing into the replay memory.
 * So is a client whose access key is expired, disabled, or a limited
 * key whose uses other client keys hold (go-aways "key expired", "key
 * disabled", "key used", the reason naming the key). The server closes
 * the connections of a key when it expires (a timer set for the
 * earliest expiry among the keys of its connections) and, on
 * ovl_server_sweep, those of a key that was disabled.
 * What the keystore's changes do to connections lives in server-keys.c.
 *
 * A handshake that fits no access key first checks whether the keys
 * file changed since it was read (one stat) and, if so, has it re-read
 * and tries again: a key made a moment ago by another process works
 * before the node's file watch fires. One that fits a key makes the
 * same check before the key's limits are judged, so a key disabled or
 * enabled a moment ago is judged as it is now.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "server-int.h"

static const struct ovl__conn_ops server_ops;

/* Logs one line through the user's callback. */
void
ovl__slog(struct ovl_server *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (s->cbs.on_log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	s->cbs.on_log(s, line, s->arg);
}

/* Makes a server. */
int
ovl_server_new(uv_loop_t *loop, const struct ovl_identity *id,
    struct ovl_keystore *ks, const struct ovl_limits *lim,
    const struct ovl_server_cbs *cbs, void *arg, struct ovl_server **out)
{
	struct ovl_server *s;

	*out = NULL;
	s = calloc(1, sizeof *s);
	if (s == NULL)
		return (-ENOMEM);
	s->loop = loop;
	s->id = id;
	s->ks = ks;
	ovl_limits_default(&s->lim);
	if (lim != NULL) {
		s->lim = *lim;
		if (s->lim.max_conns == 0)
			s->lim.max_conns = OVL_MAX_CONNS;
		if (s->lim.hs_rate == 0)
			s->lim.hs_rate = OVL_HS_RATE;
		if (s->lim.hs_burst == 0)
			s->lim.hs_burst = OVL_HS_BURST;
	}
	if (cbs != NULL)
		s->cbs = *cbs;
	s->arg = arg;
	ovl_keystore_on_deny(ks, ovl__srv_on_deny, s);
	(void)uv_timer_init(loop, &s->defer);
	(void)uv_timer_init(loop, &s->expiry);
	s->open_handles = 2;
	*out = s;
	return (0);
}

/* Frees the server once every handle and connection is gone. */
static void
maybe_done(struct ovl_server *s)
{
	if (!s->closing || s->open_handles > 0 || s->conns != NULL)
		return;
	if (s->done != NULL)
		s->done(s, s->done_arg);
	free(s);
}

/* A listener or the defer timer closed. */
static void
on_handle_closed(uv_handle_t *h)
{
	struct ovl_server *s = h->data;

	if (h != (uv_handle_t *)&s->defer && h != (uv_handle_t *)&s->expiry)
		free(container_of((uv_tcp_t *)h, struct listener, tcp));
	s->open_handles--;
	maybe_done(s);
}

/*
 * Takes a token from the source's bucket; 0 if it is empty. PROBE slots
 * are looked at; a new source takes a free one or the stalest.
 */
static int
bucket_take(struct ovl_server *s, const struct sockaddr *sa)
{
	uint8_t key[16] = { 0 };
	struct bucket *b, *oldest = NULL;
	uint64_t now = uv_now(s->loop);
	uint32_t h;
	size_t i;

	/* IPv6 by /64 (one host's share), IPv4 as ::ffff:a.b.c.d */
	if (sa->sa_family == AF_INET6)
		memcpy(key, &((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr, 8);
	else {
		key[10] = 0xff;
		key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)(const void *)
		    sa)->sin_addr, 4);
	}
	h = 2166136261u;
	for (i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	for (i = 0; i < PROBE; i++) {
		b = &s->buckets[(h + i) % BUCKETS];
		if (b->used && memcmp(b->addr, key, 16) == 0)
			break;
		if (oldest == NULL || !b->used ||
		    (oldest->used && b->last_ms < oldest->last_ms))
			oldest = b;
		b = NULL;
	}
	if (b == NULL) {
		b = oldest;
		memcpy(b->addr, key, 16);
		b->used = 1;
		b->tokens = s->lim.hs_burst;
		b->last_ms = now;
	}
	b->tokens += (double)(now - b->last_ms) * s->lim.hs_rate / 1000.0;
	if (b->tokens > s->lim.hs_burst)
		b->tokens = s->lim.hs_burst;
	b->last_ms = now;
	if (b->tokens < 1.0)
		return (0);
	b->tokens -= 1.0;
	return (1);
}

/* Frees a handle used to turn a connection away. */
static void
on_reject_closed(uv_handle_t *h)
{
	free(h);
}

/*
 * Takes the pending connection and closes it: a listener whose pending
 * connection is not accepted stops accepting altogether.
 */
static void
reject_pending(uv_stream_t *ls)
{
	uv_tcp_t *t;

	t = malloc(sizeof *t);
	if (t == NULL || uv_tcp_init(ls->loop, t) != 0) {
		free(t);
		return;
	}
	(void)uv_accept(ls, (uv_stream_t *)t);
	uv_close((uv_handle_t *)t, on_reject_closed);
}

/*
 * The limits before any cryptography (shutting down, connections held,
 * the source's handshake rate; src NULL: not rate limited), then the
 * handshake timer starts.
 */
static void
admit(struct ovl_server *s, struct sconn *sc, const struct sockaddr *src)
{
	struct ovl_conn *c = sc->conn;
	int rc;

	if (s->closing) {
		sc->quiet = 1;
		ovl__conn_abort(c, -ESHUTDOWN, "shutting down");
	} else if (s->st.live - s->ntaken > s->lim.max_conns) {
		s->st.over_limit++;
		sc->quiet = 1;
		ovl__slog(s, "%s: refused: %u connections held already",
		    ovl_conn_peer(c), s->lim.max_conns);
		ovl__conn_abort(c, -EMFILE, "too many connections");
	} else if (src != NULL && !bucket_take(s, src)) {
		s->st.rate_limited++;
		sc->quiet = 1;
		ovl__slog(s, "%s: refused: more than %u handshakes per second "
		    "from this address", ovl_conn_peer(c), s->lim.hs_rate);
		ovl__conn_abort(c, -EAGAIN, "rate limited");
	} else if ((rc = ovl__conn_start_node(c)) != 0)
		ovl__conn_abort(c, rc, uv_strerror(rc));
}

/* A client connects: check limits, then read its message 1. */
static void
on_connection(uv_stream_t *ls, int status)
{
	struct listener *l = container_of((uv_tcp_t *)ls, struct listener,
	    tcp);
	struct ovl_server *s = l->srv;
	struct sockaddr_storage ss;
	struct ovl_conn *c;
	struct sconn *sc;
	int len = sizeof ss, rc;

	if (status < 0) {
		ovl__slog(s, "accept on %s: %s", l->addr, uv_strerror(status));
		return;
	}
	sc = calloc(1, sizeof *sc);
	if (sc == NULL) {
		reject_pending(ls);
		return;
	}
	if (ovl__conn_new(s->loop, 0, &s->lim, &server_ops, sc, &c) != 0) {
		free(sc);
		reject_pending(ls);
		return;
	}
	sc->srv = s;
	sc->conn = c;
	sc->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = sc;
	s->conns = sc;
	s->st.live++;
	rc = uv_accept(ls, (uv_stream_t *)ovl__conn_tcp(c));
	if (rc != 0) {
		sc->quiet = 1;
		ovl__conn_abort(c, rc, "accept failed");
		return;
	}
	s->st.accepted++;
	/* Records go out whole; Nagle would only delay keystrokes. */
	(void)uv_tcp_nodelay(ovl__conn_tcp(c), 1);
	memset(&ss, 0, sizeof ss);
	(void)uv_tcp_getpeername(ovl__conn_tcp(c), (struct sockaddr *)&ss,
	    &len);
	ovl__conn_peer_from(c, (struct sockaddr *)&ss);
	admit(s, sc, (struct sockaddr *)&ss);
}

/* Re-reads the keys file, through the user if it asked to do it. */
void
ovl__srv_keys_reload(struct ovl_server *s)
{
	char *cause = NULL;

	if (s->cbs.on_keys_changed != NULL) {
		s->cbs.on_keys_changed(s, s->arg);
		return;
	}
	if (ovl_keystore_reload(s->ks, &cause) != 0)
		ovl__slog(s, "cannot re-read the access keys: %s",
		    cause != NULL ? cause : "?");
	free(cause);
}

/* Answers message 1 with the keystore's secrets and replay rule. */
static int
srv_respond(struct ovl_conn *c, const uint8_t *msg, size_t len,
    uint8_t *reply, size_t *replylen, struct ovl_hs_keys *keys,
    const char **why)
{
	struct sconn *sc = ovl__conn_owner(c);
	struct ovl_server *s = sc->srv;
	const uint8_t (*psks)[OVL_KEY_LEN];
	const struct ovl_access_key *key;
	size_t n, which = 0;
	char *cause = NULL;
	int rc;

	psks = ovl_keystore_secrets(s->ks, &n);
	rc = ovl_hs_node_respond(s->id, psks, n, msg, len, &sc->hello, &which,
	    reply, replylen, keys);
	if (rc == -EACCES && ovl_keystore_changed(s->ks)) {
		/* A key made a moment ago, before the file watch fired. */
		ovl__srv_keys_reload(s);
		psks = ovl_keystore_secrets(s->ks, &n);
		rc = ovl_hs_node_respond(s->id, psks, n, msg, len, &sc->hello,
		    &which, reply, replylen, keys);
	}
	if (rc == -EACCES) {
		*why = "no access key fits (wrong or revoked join key)";
		return (rc);
	}
	if (rc != 0) {
		*why = "malformed handshake message";
		return (rc);
	}
	/* Message 1 starts with the client's ephemeral key, in clear. */
	rc = ovl_keystore_accept_time(s->ks, keys->remote_static,
	    sc->hello.timestamp_ms, msg, ovl__wall_ms(), &sc->skew_ms, &cause);
	free(cause);
	if (rc == -ERANGE) {
		/* Harmless to answer (nothing is taken); the go-away says. */
		sc->skewed = 1;
		rc = 0;
	}
	if (rc != 0) {
		ovl_hs_keys_clear(keys);
		*why = rc == -EALREADY ? "replayed or stale handshake" :
		    "cannot record the handshake time";
		return (rc);
	}
	key = ovl_keystore_get(s->ks, which);
	if (key == NULL) {
		ovl_hs_keys_clear(keys);
		*why = "access key vanished";
		return (-EACCES);
	}
	ovl__conn_set_key(c, key->name, which);
	sc->key_index = which;
	sc->denied = ovl_keystore_is_denied(s->ks, keys->remote_static);
	return (0);
}

/* The go-away reason for a client clock skew_ms off the node's. */
static void
clock_reason(int64_t skew_ms, char *buf, size_t len)
{
	int64_t s = ((skew_ms < 0 ? -skew_ms : skew_ms) + 500) / 1000;

	snprintf(buf, len, "client clock is %" PRId64 " s %s the node's; the "
	    "node accepts %d s either way: set the client's clock (NTP)", s,
	    skew_ms < 0 ? "behind" : "ahead of",
	    OVL_REPLAY_WINDOW_MS / 1000);
}

/* The handshake finished: tell the user, who may refuse. */
static void
srv_opened(struct ovl_conn *c)
{
	struct sconn *sc = ovl__conn_owner(c);
	struct ovl_server *s = sc->srv;
	struct ovl_auth auth;
	char fp[OVL_FINGERPRINT_SIZE], reason[160];
	int code = 0;

	sc->authed = 1;
	s->st.authed++;
	auth.client_key = ovl_conn_remote_key(c);
	auth.hello = &sc->hello;
	auth.key_name = ovl_conn_key_name(c);
	auth.key_index = sc->key_index;
	if (sc->denied) {
		ovl_fingerprint(auth.client_key, fp);
		snprintf(reason, sizeof reason, "client key %s was revoked on "
		    "this node", fp);
		ovl__slog(s, "%s: client %s (key %s) refused: its client key "
		    "is revoked", ovl_conn_peer(c), fp, auth.key_name);
		ovl_conn_close(c, OVL_GA_REVOKED, reason);
		return;
	}
	if (sc->skewed) {
		ovl_fingerprint(auth.client_key, fp);
		clock_reason(sc->skew_ms, reason, sizeof reason);
		ovl__slog(s, "%s: client %s (key %s) refused: %s",
		    ovl_conn_peer(c), fp, auth.key_name, reason);
		ovl_conn_close(c, OVL_GA_CLOCK, reason);
		return;
	}
	if (ovl__srv_key_refused(s, c, auth.client_key, auth.key_name))
		return;
	if (s->cbs.on_auth != NULL)
		code = s->cbs.on_auth(s, c, &auth, s->arg);
	if (code != 0)
		ovl_conn_close(c, (uint32_t)code, "refused by the node");
	else
		(void)ovl_server_sweep(s);
}

/* A connection ended: one line in the log unless already said. */
static void
srv_ended(struct ovl_conn *c, int status, const char *why, int was_open)
{
	struct sconn *sc = ovl__conn_owner(c);
	struct ovl_server *s = sc->srv;
	char fp[OVL_FINGERPRINT_SIZE];

	if (!was_open) {
		if (!sc->quiet)
			s->st.refused++;
		if (!sc->quiet && !s->closing)
			ovl__slog(s, "%s: handshake refused: %s",
			    ovl_conn_peer(c), why);
		return;
	}
	if (status == 0 || s->closing)
		return;
	ovl_fingerprint(ovl_conn_remote_key(c), fp);
	ovl__slog(s, "%s: client %s (key %s) closed: %s", ovl_conn_peer(c), fp,
	    ovl_conn_key_name(c), why);
}

/* A connection's handles closed: forget it. */
static void
srv_released(struct ovl_conn *c)
{
	struct sconn *sc = ovl__conn_owner(c);
	struct ovl_server *s = sc->srv;

	if (sc->prev != NULL)
		sc->prev->next = sc->next;
	else
		s->conns = sc->next;
	if (sc->next != NULL)
		sc->next->prev = sc->prev;
	s->st.live--;
	s->st.closed++;
	if (sc->taken)
		s->ntaken--;
	if (sc->relayed)
		s->nrelayed--;
	sodium_memzero(sc, sizeof *sc);
	free(sc);
	maybe_done(s);
}

/* Answers a dial-back probe whose token the server gave out, once. */
static void
answer_probe(struct ovl_server *s, struct ovl_conn *c, const uint8_t *tok)
{
	struct sconn *sc = ovl__conn_owner(c);
	uint8_t ans[OVL_PROBE_LEN];
	uv_buf_t b;
	uv_stream_t *st;
	uint64_t now = uv_now(s->loop);
	size_t i;

	for (i = 0; i < PROBE_TOKENS; i++) {
		if (s->tokens[i].until_ms > now && sodium_memcmp(
		    s->tokens[i].tok, tok, OVL_PROBE_LEN) == 0)
			break;
	}
	if (i == PROBE_TOKENS) {
		ovl__conn_abort(c, -EACCES, "dial-back probe with an unknown "
		    "token");
		return;
	}
	ovl__slog(s, "%s: dial-back probe answered", ovl_conn_peer(c));
	sc->quiet = 1;
	ovl_probe_answer(tok, ans);
	st = ovl__conn_take(c);
	b = uv_buf_init((char *)ans, sizeof ans);
	/* 32 bytes into a fresh socket's empty send buffer */
	(void)uv_try_write(st, &b, 1);
	ovl__conn_abort(c, 0, "dial-back probe answered");
}

/* A dialer began with a preamble: a splice request or a probe. */
static void
srv_preamble(struct ovl_conn *c, const uint8_t *pre, const uint8_t *rest,
    size_t restlen)
{
	struct sconn *sc = ovl__conn_owner(c);
	struct ovl_server *s = sc->srv;

	int rc;

	if (memcmp(pre, OVL__PRE_SPLICE, 4) == 0) {
		rc = s->relay == NULL ? -ENOTSUP : ovl__relay_splice(s->relay,
		    c, pre + 4, rest, restlen);
		if (rc == 0) {
			sc->quiet = 1;
			sc->taken = 1;
			s->ntaken++;
			return;
		}
		ovl__conn_abort(c, rc, rc == -ENOTSUP ? "splice refused: "
		    "this node relays for nobody" : rc == -ENOENT ?
		    "splice refused: no relay link for that target" :
		    "splice refused: a relay limit");
	} else if (memcmp(pre, OVL__PRE_PROBE, 4) == 0 && restlen == 0)
		answer_probe(s, c, pre + 4);
	else if (memcmp(pre, OVL__PRE_MOVE, 4) == 0 && restlen == 0)
		ovl__srv_move(s, c, pre + 4);
	else
		ovl__conn_abort(c, -EPROTO, "malformed handshake message "
		    "(unknown preamble)");
}

static const struct ovl__conn_ops server_ops = {
	.respond = srv_respond,
	.opened = srv_opened,
	.ended = srv_ended,
	.released = srv_released,
	.preamble = srv_preamble,
	.moved = ovl__srv_moved,
};

/* Lets the listeners take splice preambles for r. */
void
ovl_server_set_relay(struct ovl_server *s, struct ovl_relay *r)
{
	s->relay = r;
}

/* Makes a dial-back token, answered for PROBE_TOKEN_MS. */
void
ovl_server_probe_token(struct ovl_server *s,
    uint8_t token[static OVL_PROBE_LEN])
{
	struct token *t = &s->tokens[0];
	size_t i;

	for (i = 1; i < PROBE_TOKENS; i++)
		if (s->tokens[i].until_ms < t->until_ms)
			t = &s->tokens[i];
	randombytes_buf(t->tok, sizeof t->tok);
	t->until_ms = uv_now(s->loop) + PROBE_TOKEN_MS;
	memcpy(token, t->tok, OVL_PROBE_LEN);
}

/* Relayed connections held now and in all. */
void
ovl_server_splice_counts(const struct ovl_server *s, size_t *live,
    uint64_t *total)
{
	*live = s->nrelayed;
	*total = s->relayed_total;
}

/*
 * Takes a stream socket (one end of a socket pair carrying a relayed
 * client) as if a listener had accepted it from src. The fd is the
 * server's from here on, also on failure.
 */
static int
server_adopt(struct ovl_server *s, uv_os_sock_t fd, const char *peer,
    const struct sockaddr *src, int relayed)
{
	struct ovl_conn *c;
	struct sconn *sc;
	int rc;

	sc = calloc(1, sizeof *sc);
	if (sc == NULL) {
		close(fd);
		return (-ENOMEM);
	}
	if ((rc = ovl__conn_new(s->loop, 0, &s->lim, &server_ops, sc,
	    &c)) != 0) {
		free(sc);
		close(fd);
		return (rc);
	}
	sc->srv = s;
	sc->conn = c;
	sc->relayed = relayed;
	sc->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = sc;
	s->conns = sc;
	s->st.live++;
	s->nrelayed += relayed;
	ovl__conn_fix_peer(c, peer);
	if ((rc = uv_tcp_open(ovl__conn_tcp(c), fd)) != 0) {
		close(fd);
		sc->quiet = 1;
		ovl__conn_abort(c, rc, "cannot open the stream");
		return (rc);
	}
	(void)uv_tcp_nodelay(ovl__conn_tcp(c), 1);
	s->st.accepted++;
	s->relayed_total += relayed;
	admit(s, sc, src);
	return (0);
}

/* Takes a relayed client's stream socket. */
int
ovl__server_adopt(struct ovl_server *s, uv_os_sock_t fd, const char *peer,
    const struct sockaddr *src)
{
	return (server_adopt(s, fd, peer, src, 1));
}

/* Takes a connected TCP socket as if the listener had accepted it. */
int
ovl_server_adopt(struct ovl_server *s, uv_os_sock_t fd, const char *peer,
    const struct sockaddr *src)
{
	return (server_adopt(s, fd, peer, src, 0));
}

/* Listens on host:port. */
int
ovl_server_listen(struct ovl_server *s, const char *hostport, char **cause)
{
	struct sockaddr_storage ss;
	struct listener *l;
	char host[OVL_ADDR_MAX];
	const char *why;
	int port, rc, len = sizeof ss, v6, one = 1;
	uv_os_fd_t fd;

	*cause = NULL;
	if (s->closing)
		return (-ESHUTDOWN);
	if (ovl__addr_split(hostport, host, sizeof host, &port, &why) != 0) {
		if (asprintf(cause, "bad listen address %s: %s", hostport,
		    why) < 0)
			*cause = NULL;
		return (-EINVAL);
	}
	v6 = strchr(host, ':') != NULL;
	if (v6)
		rc = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss);
	else
		rc = uv_ip4_addr(host, port, (struct sockaddr_in *)&ss);
	if (rc != 0) {
		if (asprintf(cause, "bad listen address %s: not a numeric "
		    "IPv4 or IPv6 address", hostport) < 0)
			*cause = NULL;
		return (-EINVAL);
	}
	l = calloc(1, sizeof *l);
	if (l == NULL)
		return (-ENOMEM);
	l->srv = s;
	snprintf(l->addr, sizeof l->addr, "%s", hostport);
	rc = uv_tcp_init(s->loop, &l->tcp);
	if (rc != 0) {
		free(l);
		return (rc);
	}
	l->tcp.data = s;
	s->open_handles++;
	rc = uv_tcp_bind(&l->tcp, (struct sockaddr *)&ss,
	    v6 ? UV_TCP_IPV6ONLY : 0);
	/*
	 * SO_REUSEPORT lets a hole punch bind its outgoing socket to this
	 * port (simultaneous open, punch.c of the node); binds by other
	 * users still fail, as the kernel asks for the same uid.
	 */
	if (rc == 0 && uv_fileno((uv_handle_t *)&l->tcp, &fd) == 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
		    sizeof one);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&l->tcp, BACKLOG, on_connection);
	if (rc == 0)
		rc = uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&ss, &len);
	if (rc != 0) {
		if (asprintf(cause, "cannot listen on %s: %s", hostport,
		    uv_strerror(rc)) < 0)
			*cause = NULL;
		uv_close((uv_handle_t *)&l->tcp, on_handle_closed);
		return (rc);
	}
	l->port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	l->next = s->listeners;
	s->listeners = l;
	s->nlisteners++;
	return (0);
}

/* The port of listener i, in the order they were added. */
int
ovl_server_port(const struct ovl_server *s, size_t i)
{
	const struct listener *l;
	size_t k;

	if (i >= s->nlisteners)
		return (-ENOENT);
	l = s->listeners;
	for (k = s->nlisteners - 1; k > i; k--)
		l = l->next;
	return (l->port);
}

/* Copies the counters. */
void
ovl_server_stats(const struct ovl_server *s, struct ovl_server_stats *st)
{
	*st = s->st;
}

/* Closes everything; done runs once all is released. */
void
ovl_server_close(struct ovl_server *s,
    void (*done)(struct ovl_server *, void *), void *arg)
{
	struct listener *l, *next;
	struct sconn *sc;

	if (s->closing)
		return;
	s->closing = 1;
	ovl_keystore_on_deny(s->ks, NULL, NULL);
	s->done = done;
	s->done_arg = arg;
	for (l = s->listeners; l != NULL; l = next) {
		next = l->next;
		uv_close((uv_handle_t *)&l->tcp, on_handle_closed);
	}
	s->listeners = NULL;
	s->nlisteners = 0;
	for (sc = s->conns; sc != NULL; sc = sc->next) {
		if (sc->authed && ovl_conn_is_open(sc->conn))
			ovl_conn_close(sc->conn, OVL_GA_SHUTDOWN,
			    "node shutting down");
		else
			ovl__conn_abort(sc->conn, -ESHUTDOWN, "shutting down");
	}
	s->defer.data = s;
	uv_close((uv_handle_t *)&s->defer, on_handle_closed);
	s->expiry.data = s;
	uv_close((uv_handle_t *)&s->expiry, on_handle_closed);
}

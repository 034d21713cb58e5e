/*
 * Moving a live connection onto another path, under its records: the
 * channels, their credit and the record counters carry on as if nothing
 * happened, so open shells, logs and stats do not notice.
 *
 * The client connects to the node's addresses from its connection's own
 * local port (the mapping the relay saw; SO_REUSEPORT lets a second
 * socket use it) while the node connects from its listen port to the
 * client's: a TCP simultaneous open, or a plain connect where nothing is
 * in the way. The client's first bytes there are the move preamble and
 * the token the node gave it (over the old path, encrypted); the server
 * finds the connection the token belongs to and hands it the socket,
 * which answers with BLAKE2b-256 of the token.
 *
 * Then each side ends the old path with a move record (a record holding
 * only the frame header of type OVL_FT_MOVE) and sends every later
 * record on the new one: the client once the answer is in, the node once
 * the client's move record arrives. A side reads the old path until the
 * peer's move record and the new one after it; the new path's bytes wait
 * in the kernel meanwhile. The old path then gets a FIN and closes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "net-int.h"

#define MOVE_RETRY_MS	300	/* a failed connect is tried again */
#define MOVE_WAIT_MS	10000	/* node: the client's move record, at most */
#define MOVE_TRIES	8	/* addresses at once */
#define MOVE_LABEL	"pier move answer 1"

/* Where a move is. */
enum mv_state {
	MV_IDLE,	/* none under way */
	MV_TRYING,	/* client: connecting */
	MV_ANSWER,	/* client: preamble sent, waiting for the answer */
	MV_SENT,	/* client: our move record sent, waiting for the node's */
	MV_WAIT,	/* node: answered, waiting for the client's move record */
	MV_DONE,	/* on the new path */
};

/* One address the client connects to. */
struct mv_try {
	struct ovl__move	*mv;
	uv_tcp_t		 tcp;
	uv_connect_t		 req;
	struct sockaddr_in	 to;
	enum ovl_path		 kind;		/* what the path will be */
	int			 open;		/* the handle is open */
};

/* A connection's move. */
struct ovl__move {
	struct ovl_conn		*c;
	enum mv_state		 st;
	uv_tcp_t		 tcp;		/* the new path */
	int			 tcp_open;
	uv_timer_t		 timer;
	int			 timer_open;
	uv_shutdown_t		 sreq;		/* the old path's FIN */
	uv_write_t		 wreq;
	uint8_t			 out[OVL_PRE_LEN];	/* preamble or answer */
	uint8_t			 want[OVL_MOVE_TOKEN_LEN];	/* the answer */
	uint8_t			 got[OVL_MOVE_TOKEN_LEN];
	size_t			 ngot;
	struct mv_try		 tries[MOVE_TRIES];
	size_t			 ntries;
	uint16_t		 port;		/* client: the local port */
	uint64_t		 deadline;
	char			 addr[OVL_ADDR_MAX];	/* the new path's peer */
	enum ovl_path		 kind;		/* ... and its kind */
	ovl_move_cb		 cb;
	void			*arg;
};

static int	start_try(struct mv_try *);

/* The move record's plaintext: version 0, type 5, the rest zero. */
static const uint8_t move_frame[OVL_MUX_HDR] = { OVL_MUX_VERSION,
    OVL_FT_MOVE };

/* Tells whether a record's plaintext is the move record's. */
int
ovl__move_is_record(const uint8_t *pt, size_t len)
{
	return (len == sizeof move_frame && pt[1] == OVL_FT_MOVE &&
	    memcmp(pt, move_frame, sizeof move_frame) == 0);
}

/* The node's answer to a move token. */
static void
move_answer(const uint8_t *token, uint8_t *answer)
{
	crypto_generichash(answer, OVL_MOVE_TOKEN_LEN,
	    (const uint8_t *)MOVE_LABEL, strlen(MOVE_LABEL), token,
	    OVL_MOVE_TOKEN_LEN);
}

/* The move of c, made on first use. */
static struct ovl__move *
move_of(struct ovl_conn *c)
{
	if (c->mv == NULL && (c->mv = calloc(1, sizeof *c->mv)) != NULL)
		c->mv->c = c;
	return (c->mv);
}

/* A try's handle closed. */
static void
on_try_closed(uv_handle_t *h)
{
	struct mv_try *t = h->data;

	t->open = 0;
	ovl_conn_unref(t->mv->c, "move try");
}

/* Closes a try's socket. */
static void
try_close(struct mv_try *t)
{
	if (!t->open || uv_is_closing((uv_handle_t *)&t->tcp))
		return;
	uv_close((uv_handle_t *)&t->tcp, on_try_closed);
}

/* Closes every try. */
static void
tries_close(struct ovl__move *mv)
{
	size_t i;

	for (i = 0; i < mv->ntries; i++)
		try_close(&mv->tries[i]);
}

/* The new path's handle closed (a move that failed, or the end). */
static void
on_path_closed(uv_handle_t *h)
{
	struct ovl_conn *c = h->data;

	c->mv->tcp_open = 0;
	ovl__conn_handle_closed(h);
}

/* Drops the new path (a move that did not happen). */
static void
path_close(struct ovl__move *mv)
{
	if (!mv->tcp_open || uv_is_closing((uv_handle_t *)&mv->tcp))
		return;
	mv->tcp.data = mv->c;
	uv_close((uv_handle_t *)&mv->tcp, on_path_closed);
}

/* A client's move failed: the connection stays where it is. */
static void
move_fail(struct ovl__move *mv, int status, const char *why)
{
	ovl_move_cb cb = mv->cb;

	if (mv->st != MV_TRYING && mv->st != MV_ANSWER)
		return;
	mv->st = MV_IDLE;
	mv->cb = NULL;
	tries_close(mv);
	path_close(mv);
	if (mv->timer_open)
		(void)uv_timer_stop(&mv->timer);
	if (cb != NULL)
		cb(mv->c, status, why, mv->arg);
}

/* The old path's FIN went out: close it. */
static void
on_old_shut(uv_shutdown_t *req, int status)
{
	struct ovl__move *mv = container_of(req, struct ovl__move, sreq);
	struct ovl_conn *c = mv->c;

	(void)status;
	if (!c->tcp_closed) {
		c->tcp_closed = 1;
		uv_close((uv_handle_t *)&c->tcp, ovl__conn_handle_closed);
	}
	ovl_conn_unref(c, "move shutdown");
}

/* Ends the old path: no more reads, a FIN after its last write, closed. */
static void
old_end(struct ovl__move *mv)
{
	struct ovl_conn *c = mv->c;

	(void)uv_read_stop((uv_stream_t *)&c->tcp);
	if (c->tcp_closed)
		return;
	ovl_conn_ref(c, "move shutdown");
	if (uv_shutdown(&mv->sreq, (uv_stream_t *)&c->tcp, on_old_shut) !=
	    0) {
		c->tcp_closed = 1;
		uv_close((uv_handle_t *)&c->tcp, ovl__conn_handle_closed);
		ovl_conn_unref(c, "move shutdown");
	}
}

/* Seals the move record onto the current write stream. */
static int
send_move(struct ovl_conn *c)
{
	struct wreq *w;
	size_t n;
	int rc;

	w = ovl__wreq_new(OVL_REC_SEAL_MAX(sizeof move_frame));
	if (w == NULL)
		return (-ENOMEM);
	rc = ovl_rec_seal(&c->rec, uv_now(c->loop), move_frame,
	    sizeof move_frame, w->data, &n);
	if (rc != 0) {
		free(w);
		return (rc);
	}
	return (ovl__conn_write(c, w, n));
}

/* The timer: client retries and deadline; node's wait for the record. */
static void
on_move_timer(uv_timer_t *t)
{
	struct ovl__move *mv = container_of(t, struct ovl__move, timer);
	struct ovl_conn *c = mv->c;
	size_t i;

	if (mv->st == MV_WAIT) {	/* node: the client never switched */
		mv->st = MV_IDLE;
		path_close(mv);
		return;
	}
	if (uv_now(c->loop) >= mv->deadline) {
		move_fail(mv, -ETIMEDOUT, "no new path connected");
		return;
	}
	if (mv->st != MV_TRYING)
		return;
	for (i = 0; i < mv->ntries; i++)
		if (!mv->tries[i].open)
			(void)start_try(&mv->tries[i]);
}

/* Starts the move's timer (made on first use). */
static int
timer_start(struct ovl__move *mv, uint64_t ms, uint64_t repeat)
{
	struct ovl_conn *c = mv->c;

	if (!mv->timer_open) {
		if (uv_timer_init(c->loop, &mv->timer) != 0)
			return (-ENOMEM);
		mv->timer.data = c;
		mv->timer_open = 1;
		c->nhandles++;
	}
	return (uv_timer_start(&mv->timer, on_move_timer, ms, repeat));
}

/* Client: the node's answer is in; switch writing to the new path. */
static void
client_commit(struct ovl__move *mv)
{
	struct ovl_conn *c = mv->c;
	int rc;

	if (sodium_memcmp(mv->got, mv->want, sizeof mv->want) != 0) {
		move_fail(mv, -EACCES, "the new path answered with the "
		    "wrong token");
		return;
	}
	rc = send_move(c);
	if (rc != 0) {
		ovl__conn_end(c, rc, "cannot write the move record", 1,
		    OVL_GA_INTERNAL);
		return;
	}
	mv->st = MV_SENT;
	(void)uv_timer_stop(&mv->timer);
	mv->tcp.data = c;
	c->stream = (uv_stream_t *)&mv->tcp;
	ovl__conn_kick(c);
}

/* Client: room for the rest of the answer, and no more. */
static void
on_answer_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct ovl__move *mv = container_of((uv_tcp_t *)h, struct ovl__move,
	    tcp);

	(void)hint;
	*buf = uv_buf_init((char *)mv->got + mv->ngot,
	    (unsigned)(sizeof mv->got - mv->ngot));
}

/* Client: bytes of the node's answer on the new path. */
static void
on_answer_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct ovl__move *mv = container_of((uv_tcp_t *)s, struct ovl__move,
	    tcp);

	(void)buf;
	if (nread == 0 || mv->st != MV_ANSWER)
		return;
	if (nread < 0) {
		move_fail(mv, (int)nread, "the new path closed without an "
		    "answer");
		return;
	}
	mv->ngot += (size_t)nread;
	if (mv->ngot < sizeof mv->got)
		return;
	(void)uv_read_stop(s);	/* the rest waits for the node's record */
	client_commit(mv);
}

/* Client: a connect ended; the first to succeed is the new path. */
static void
on_try_connect(uv_connect_t *req, int status)
{
	struct mv_try *t = container_of(req, struct mv_try, req);
	struct ovl__move *mv = t->mv;
	struct ovl_conn *c = mv->c;
	uv_os_fd_t fd;
	uv_buf_t b;
	int dupfd = -1, rc;

	if (status == UV_ECANCELED)
		return;
	if (status < 0 || mv->st != MV_TRYING) {
		try_close(t);
		return;
	}
	if (uv_fileno((uv_handle_t *)&t->tcp, &fd) != 0 ||
	    (dupfd = dup(fd)) < 0 || uv_tcp_init(c->loop, &mv->tcp) != 0) {
		if (dupfd >= 0)
			close(dupfd);
		try_close(t);
		return;
	}
	mv->tcp_open = 1;
	c->nhandles++;
	mv->tcp.data = c;
	ovl__addr_format((const struct sockaddr *)&t->to, mv->addr,
	    sizeof mv->addr);
	mv->kind = t->kind;
	tries_close(mv);
	if ((rc = uv_tcp_open(&mv->tcp, dupfd)) != 0) {
		close(dupfd);
		move_fail(mv, rc, "cannot open the new path");
		return;
	}
	(void)uv_tcp_nodelay(&mv->tcp, 1);
	mv->st = MV_ANSWER;
	mv->ngot = 0;
	b = uv_buf_init((char *)mv->out, OVL_PRE_LEN);
	rc = uv_write(&mv->wreq, (uv_stream_t *)&mv->tcp, &b, 1, NULL);
	if (rc == 0)
		rc = uv_read_start((uv_stream_t *)&mv->tcp, on_answer_alloc,
		    on_answer_read);
	if (rc != 0)
		move_fail(mv, rc, "cannot write on the new path");
}

/* Client: one connect from the connection's local port. */
static int
start_try(struct mv_try *t)
{
	struct ovl_conn *c = t->mv->c;
	int fd, rc;

	if ((fd = ovl_punch_socket(t->mv->port)) < 0)
		return (fd);
	if ((rc = uv_tcp_init(c->loop, &t->tcp)) != 0) {
		close(fd);
		return (rc);
	}
	t->tcp.data = t;
	t->open = 1;
	ovl_conn_ref(c, "move try");
	rc = uv_tcp_open(&t->tcp, fd);
	if (rc != 0)
		close(fd);
	else
		rc = uv_tcp_connect(&t->req, &t->tcp,
		    (const struct sockaddr *)&t->to, on_try_connect);
	if (rc != 0)
		try_close(t);
	return (rc);
}

/* The connection's local IPv4 port. */
int
ovl_conn_local_port(const struct ovl_conn *c)
{
	struct sockaddr_storage ss;
	int len = sizeof ss;

	if (c->tcp_closed || uv_tcp_getsockname(&c->tcp,
	    (struct sockaddr *)&ss, &len) != 0 || ss.ss_family != AF_INET)
		return (0);
	return (ntohs(((struct sockaddr_in *)&ss)->sin_port));
}

/* Whether the connection moved. */
int
ovl_conn_moved(const struct ovl_conn *c)
{
	return (c->mv != NULL && c->mv->st == MV_DONE);
}

/* Client: moves the connection onto the first of addrs to connect. */
int
ovl_conn_move(struct ovl_conn *c, const char *const *addrs, size_t n,
    const uint8_t token[static OVL_MOVE_TOKEN_LEN], uint32_t timeout_ms,
    ovl_move_cb cb, void *arg)
{
	struct ovl__move *mv;
	enum ovl_path kind;
	char host[OVL_ADDR_MAX];
	const char *why, *hp;
	size_t i;
	int port, local, rc;

	if (!c->dialer || c->state != CONN_OPEN || n == 0 || n > MOVE_TRIES ||
	    cb == NULL)
		return (-EINVAL);
	if (c->mv != NULL && c->mv->st != MV_IDLE)
		return (-EALREADY);
	if ((local = ovl_conn_local_port(c)) == 0)
		return (-EAFNOSUPPORT);
	if ((mv = move_of(c)) == NULL)
		return (-ENOMEM);
	if (mv->tcp_open)	/* the last failure's path is still closing */
		return (-EALREADY);
	for (i = 0; i < n; i++) {
		if ((hp = ovl_path_split(addrs[i], &kind)) == NULL ||
		    kind == OVL_PATH_RELAY || ovl__addr_split(hp, host,
		    sizeof host, &port, &why) != 0 || port == 0 ||
		    uv_ip4_addr(host, port, &mv->tries[i].to) != 0)
			return (-EINVAL);
		if (mv->tries[i].open)
			return (-EALREADY);
		/* the path is reported by the kind the node gave it */
		mv->tries[i].kind = kind == OVL_PATH_DHT ? OVL_PATH_DIRECT :
		    kind;
	}
	mv->ntries = n;
	for (i = 0; i < n; i++)
		mv->tries[i].mv = mv;
	mv->port = (uint16_t)local;
	memcpy(mv->out, OVL__PRE_MOVE, 4);
	memcpy(mv->out + 4, token, OVL_MOVE_TOKEN_LEN);
	move_answer(token, mv->want);
	mv->deadline = uv_now(c->loop) + timeout_ms;
	mv->cb = cb;
	mv->arg = arg;
	mv->st = MV_TRYING;
	if ((rc = timer_start(mv, MOVE_RETRY_MS, MOVE_RETRY_MS)) != 0) {
		mv->st = MV_IDLE;
		return (rc);
	}
	for (i = 0; i < n; i++)
		(void)start_try(&mv->tries[i]);
	return (0);
}

/* Node: c takes tmp's socket as its new path and answers the token. */
int
ovl__move_attach(struct ovl_conn *c, struct ovl_conn *tmp,
    const uint8_t token[static OVL_MOVE_TOKEN_LEN])
{
	struct sockaddr_storage ss;
	struct ovl__move *mv;
	uv_os_fd_t fd;
	uv_buf_t b;
	int len = sizeof ss, dupfd, rc;

	if (c->dialer || c->state != CONN_OPEN)
		return (-EINVAL);
	if (c->mv != NULL && (c->mv->st != MV_IDLE || c->mv->tcp_open))
		return (-EALREADY);
	if ((mv = move_of(c)) == NULL)
		return (-ENOMEM);
	if (uv_fileno((uv_handle_t *)&tmp->tcp, &fd) != 0)
		return (-EBADF);
	if ((dupfd = dup(fd)) < 0)
		return (-errno);
	if (uv_tcp_init(c->loop, &mv->tcp) != 0) {
		close(dupfd);
		return (-ENOMEM);
	}
	mv->tcp_open = 1;
	c->nhandles++;
	mv->tcp.data = c;
	if ((rc = uv_tcp_open(&mv->tcp, dupfd)) != 0) {
		close(dupfd);
		path_close(mv);
		return (rc);
	}
	(void)uv_tcp_nodelay(&mv->tcp, 1);
	snprintf(mv->addr, sizeof mv->addr, "%s", tmp->peer);
	if (uv_tcp_getpeername(&mv->tcp, (struct sockaddr *)&ss, &len) == 0)
		ovl__addr_format((struct sockaddr *)&ss, mv->addr,
		    sizeof mv->addr);
	move_answer(token, mv->out);
	b = uv_buf_init((char *)mv->out, OVL_MOVE_TOKEN_LEN);
	rc = uv_write(&mv->wreq, (uv_stream_t *)&mv->tcp, &b, 1, NULL);
	if (rc == 0)
		rc = timer_start(mv, MOVE_WAIT_MS, 0);
	if (rc != 0) {
		path_close(mv);
		return (rc);
	}
	mv->st = MV_WAIT;
	return (0);
}

/* The peer's move record arrived: read (and, node, write) the new path. */
int
ovl__move_rx(struct ovl_conn *c)
{
	struct ovl__move *mv = c->mv;
	char from[sizeof c->peer], text[sizeof c->peer];
	ovl_move_cb cb;
	int rc;

	if (mv == NULL || (mv->st != MV_SENT && mv->st != MV_WAIT))
		return (-EPROTO);
	if (mv->st == MV_WAIT) {	/* node: ours ends the old path too */
		(void)uv_timer_stop(&mv->timer);
		if ((rc = send_move(c)) != 0)
			return (rc);
		c->stream = (uv_stream_t *)&mv->tcp;
	}
	cb = mv->st == MV_SENT ? mv->cb : NULL;
	mv->cb = NULL;
	mv->st = MV_DONE;
	if ((rc = ovl__conn_read_from(c, (uv_stream_t *)&mv->tcp)) != 0)
		return (rc);
	old_end(mv);
	snprintf(from, sizeof from, "%s", c->peer);
	if (!c->dialer)			/* the node cannot tell: a punch */
		mv->kind = OVL_PATH_PUNCHED;
	snprintf(text, sizeof text, "%s%.56s", mv->kind == OVL_PATH_LAN ?
	    "lan+" : mv->kind == OVL_PATH_MAPPED ? "map+" : mv->kind ==
	    OVL_PATH_PUNCHED ? "punch+" : "", mv->addr);
	ovl__conn_fix_peer(c, c->dialer ? text : mv->addr);
	c->path = mv->kind;
	ovl__conn_kick(c);
	if (cb != NULL)
		cb(c, 0, "", mv->arg);
	else if (!c->dialer && c->ops != NULL && c->ops->moved != NULL)
		c->ops->moved(c, from);
	return (0);
}

/* The connection ends: a client's move under way fails. */
void
ovl__move_end(struct ovl_conn *c)
{
	struct ovl__move *mv = c->mv;
	ovl_move_cb cb;

	if (mv == NULL)
		return;
	if (mv->st == MV_SENT) {	/* the new path is the stream now */
		cb = mv->cb;
		mv->cb = NULL;
		mv->st = MV_IDLE;
		if (cb != NULL)
			cb(c, -ECONNABORTED, "the connection ended", mv->arg);
		return;
	}
	move_fail(mv, -ECONNABORTED, "the connection ended");
}

/* Closes the move's handles with the connection's. */
void
ovl__move_close_handles(struct ovl_conn *c)
{
	struct ovl__move *mv = c->mv;

	if (mv == NULL)
		return;
	tries_close(mv);
	path_close(mv);
	if (mv->timer_open && !uv_is_closing((uv_handle_t *)&mv->timer))
		uv_close((uv_handle_t *)&mv->timer, ovl__conn_handle_closed);
}

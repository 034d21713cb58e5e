/*
 * Relaying: the relay's side (links by target id, splicing a client's
 * stream onto a channel of the target's link, limits), the target's side
 * (a channel from a relay becomes a connection of its own server through
 * a socket pair), and dial-back probes. Wire format in ovl-relay.h and
 * docs/PROTOCOL.md.
 *
 * Limits at the relay, all checked before a channel is opened, and all
 * answered by closing without a byte: links held, splices at once, per
 * client address and per target; each splice ends after max_bytes,
 * max_secs, or idle_secs without a byte (a client's overlay connection
 * sends a keepalive every 15 s, so only a dead one is idle that long).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "net-int.h"

#define TARGET_LABEL	"pier relay target 1"
#define PROBE_LABEL	"pier probe answer 1"
#define SWEEP_MS	1000

/* A link: a target's connection to this relay. */
struct link {
	struct ovl_relay	*r;
	struct ovl_conn		*conn;
	uint8_t			 id[OVL_RELAY_ID_LEN];
	char			 name[64];
	size_t			 splices;
	uint64_t		 since_ms;
	struct link		*next;
};

/* A client spliced onto a link. */
struct rsplice {
	struct ovl_relay	*r;
	struct link		*link;		/* NULL once the link went */
	struct ovl_conn		*client;
	struct ovl__splice	*sp;
	char			 src[64];	/* client address, no port */
	uint64_t		 last_bytes;
	uint64_t		 last_move_ms;
	struct rsplice		*prev;
	struct rsplice		*next;
};

struct ovl_relay {
	uv_loop_t		*loop;
	struct ovl_relay_limits	 lim;
	struct link		*links;
	struct rsplice		*splices;
	uv_timer_t		*sweep;		/* own allocation: closes late */
	struct ovl_relay_stats	 st;
};

/* The target id of a node's static key. */
void
ovl_relay_target_id(const uint8_t node_key[static 32],
    uint8_t id[static OVL_RELAY_ID_LEN])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, OVL_RELAY_ID_LEN);
	crypto_generichash_update(&st, (const uint8_t *)TARGET_LABEL,
	    strlen(TARGET_LABEL));
	crypto_generichash_update(&st, node_key, 32);
	crypto_generichash_final(&st, id, OVL_RELAY_ID_LEN);
}

/* The answer to a dial-back token. */
void
ovl_probe_answer(const uint8_t token[static OVL_PROBE_LEN],
    uint8_t answer[static OVL_PROBE_LEN])
{
	crypto_generichash(answer, OVL_PROBE_LEN,
	    (const uint8_t *)PROBE_LABEL, strlen(PROBE_LABEL), token,
	    OVL_PROBE_LEN);
}

static void	on_sweep(uv_timer_t *);

/* Makes a relay. */
int
ovl_relay_new(uv_loop_t *loop, const struct ovl_relay_limits *lim,
    struct ovl_relay **out)
{
	struct ovl_relay *r;

	*out = NULL;
	r = calloc(1, sizeof *r);
	if (r == NULL)
		return (-ENOMEM);
	r->sweep = malloc(sizeof *r->sweep);
	if (r->sweep == NULL) {
		free(r);
		return (-ENOMEM);
	}
	if (lim != NULL)
		r->lim = *lim;
#define DEF(f, v) if (r->lim.f == 0) r->lim.f = (v)
	DEF(max_links, OVL_RELAY_LINKS);
	DEF(max_splices, OVL_RELAY_SPLICES);
	DEF(per_source, OVL_RELAY_PER_SOURCE);
	DEF(per_target, OVL_RELAY_PER_TARGET);
	DEF(max_bytes, OVL_RELAY_MAX_BYTES);
	DEF(max_secs, OVL_RELAY_MAX_SECS);
	DEF(idle_secs, OVL_RELAY_IDLE_SECS);
#undef DEF
	r->loop = loop;
	(void)uv_timer_init(loop, r->sweep);
	r->sweep->data = r;
	*out = r;
	return (0);
}

/* Bytes a splice moved so far. */
static uint64_t
splice_bytes(const struct rsplice *x)
{
	struct ovl__splice_stats st;

	ovl__splice_stats(x->sp, &st);
	return (st.to_chan + st.to_stream);
}

/* Cuts splices over their time, byte or idle limit. */
static void
on_sweep(uv_timer_t *t)
{
	struct ovl_relay *r = t->data;
	struct rsplice *x, *next;
	struct ovl__splice_stats st;
	uint64_t now = uv_now(r->loop), b;

	for (x = r->splices; x != NULL; x = next) {
		next = x->next;
		ovl__splice_stats(x->sp, &st);
		b = st.to_chan + st.to_stream;
		if (b != x->last_bytes) {
			x->last_bytes = b;
			x->last_move_ms = now;
		}
		if (b >= r->lim.max_bytes ||
		    now - st.started_ms >= (uint64_t)r->lim.max_secs * 1000 ||
		    now - x->last_move_ms >= (uint64_t)r->lim.idle_secs *
		    1000) {
			r->st.cut++;
			ovl__splice_kill(x->sp, -ETIMEDOUT);
		}
	}
	if (r->splices == NULL)
		(void)uv_timer_stop(t);
}

/* Frees the sweep timer once closed. */
static void
on_sweep_closed(uv_handle_t *h)
{
	free(h);
}

/* Ends every splice and frees the relay. */
void
ovl_relay_free(struct ovl_relay *r)
{
	struct link *l, *next;

	if (r == NULL)
		return;
	while (r->splices != NULL)
		ovl__splice_kill(r->splices->sp, -ESHUTDOWN);
	for (l = r->links; l != NULL; l = next) {
		next = l->next;
		ovl_conn_unref(l->conn, "relay link");
		free(l);
	}
	uv_close((uv_handle_t *)r->sweep, on_sweep_closed);
	free(r);
}

/* Unlinks a link and ends its splices. */
static void
link_drop(struct ovl_relay *r, struct link **pp)
{
	struct link *l = *pp;
	struct rsplice *x, *next;

	*pp = l->next;
	for (x = r->splices; x != NULL; x = next) {
		next = x->next;
		if (x->link == l) {
			x->link = NULL;
			ovl__splice_kill(x->sp, -ECONNABORTED);
		}
	}
	ovl_conn_unref(l->conn, "relay link");
	free(l);
}

/* Holds a connection as the relay link of its peer's static key. */
int
ovl_relay_link_add(struct ovl_relay *r, struct ovl_conn *link,
    const char *name)
{
	struct link *l, **pp;
	uint8_t id[OVL_RELAY_ID_LEN];
	size_t n = 0;

	ovl_relay_target_id(ovl_conn_remote_key(link), id);
	for (pp = &r->links; *pp != NULL; ) {
		if (memcmp((*pp)->id, id, sizeof id) == 0) {
			link_drop(r, pp);	/* the newer link wins */
			continue;
		}
		n++;
		pp = &(*pp)->next;
	}
	if (n >= r->lim.max_links)
		return (-ENOSPC);
	l = calloc(1, sizeof *l);
	if (l == NULL)
		return (-ENOMEM);
	l->r = r;
	l->conn = link;
	memcpy(l->id, id, sizeof id);
	snprintf(l->name, sizeof l->name, "%s", name);
	l->since_ms = uv_now(r->loop);
	ovl_conn_ref(link, "relay link");
	/* one channel per spliced client, and room to spare */
	ovl_conn_set_max_chans(link, r->lim.per_target + 8);
	l->next = r->links;
	r->links = l;
	return (0);
}

/* Forgets a link. */
void
ovl_relay_link_remove(struct ovl_relay *r, struct ovl_conn *link)
{
	struct link **pp;

	if (r == NULL)
		return;
	for (pp = &r->links; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->conn == link) {
			link_drop(r, pp);
			return;
		}
	}
}

/* Copies the counters. */
void
ovl_relay_stats(const struct ovl_relay *r, struct ovl_relay_stats *st)
{
	const struct link *l;

	*st = r->st;
	st->links = 0;
	for (l = r->links; l != NULL; l = l->next)
		st->links++;
}

/* Copies the limits in force. */
void
ovl_relay_limits(const struct ovl_relay *r, struct ovl_relay_limits *lim)
{
	*lim = r->lim;
}

/* Describes the links. */
size_t
ovl_relay_links(const struct ovl_relay *r, struct ovl_relay_link_info *out,
    size_t cap)
{
	const struct link *l;
	size_t n = 0;

	for (l = r->links; l != NULL; l = l->next, n++) {
		if (n >= cap)
			continue;
		memcpy(out[n].node_key, ovl_conn_remote_key(l->conn), 32);
		snprintf(out[n].name, sizeof out[n].name, "%s", l->name);
		snprintf(out[n].peer, sizeof out[n].peer, "%s",
		    ovl_conn_peer(l->conn));
		out[n].splices = l->splices;
		out[n].since_ms = l->since_ms;
	}
	return (n);
}

/* Closes the client's stream: its connection ends, without a word. */
static void
close_client(uv_stream_t *s, void *arg)
{
	(void)s;
	ovl__conn_abort(arg, 0, "splice ended");
}

/* A relayed client's splice ended: forget it. */
static void
rsplice_done(struct ovl__splice *sp, int status, void *arg)
{
	struct rsplice *x = arg;
	struct ovl_relay *r = x->r;

	(void)status;
	r->st.bytes += splice_bytes(x);
	if (x->link != NULL)
		x->link->splices--;
	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		r->splices = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	r->st.splices--;
	ovl_conn_unref(x->client, "splice");
	(void)sp;
	free(x);
}

/* The address part of "ip:port" or "[ip6]:port". */
static void
addr_host(const char *peer, char *out, size_t cap)
{
	const char *colon = strrchr(peer, ':');
	size_t n = colon != NULL ? (size_t)(colon - peer) : strlen(peer);

	if (n >= cap)
		n = cap - 1;
	memcpy(out, peer, n);
	out[n] = '\0';
}

/* Splices a client that asked for target id onto its link. */
int
ovl__relay_splice(struct ovl_relay *r, struct ovl_conn *c,
    const uint8_t id[static OVL_RELAY_ID_LEN], const uint8_t *rest,
    size_t restlen)
{
	struct link *l;
	struct rsplice *x, *y;
	struct ovl_chan *ch = NULL;
	uint8_t hdr[1 + OVL_SPLICE_HDR_MAX];
	size_t n, from_src = 0;
	int rc;

	for (l = r->links; l != NULL; l = l->next)
		if (sodium_memcmp(l->id, id, OVL_RELAY_ID_LEN) == 0 &&
		    ovl_conn_is_open(l->conn))
			break;
	if (l == NULL) {
		r->st.unknown++;
		return (-ENOENT);
	}
	x = calloc(1, sizeof *x);
	if (x == NULL)
		return (-ENOMEM);
	addr_host(ovl_conn_peer(c), x->src, sizeof x->src);
	for (y = r->splices; y != NULL; y = y->next)
		if (strcmp(y->src, x->src) == 0)
			from_src++;
	if (r->st.splices >= r->lim.max_splices ||
	    l->splices >= r->lim.per_target || from_src >= r->lim.per_source ||
	    (rc = ovl_conn_chan_open(l->conn, &ch)) != 0) {
		r->st.refused++;
		free(x);
		return (-EBUSY);
	}
	n = strlen(ovl_conn_peer(c));
	if (n > OVL_SPLICE_HDR_MAX)
		n = OVL_SPLICE_HDR_MAX;
	hdr[0] = (uint8_t)n;
	memcpy(hdr + 1, ovl_conn_peer(c), n);
	x->r = r;
	x->link = l;
	x->client = c;
	x->last_move_ms = uv_now(r->loop);
	if ((rc = ovl_chan_write(ch, hdr, n + 1)) != 0 ||
	    (rc = ovl__splice_new(ovl__conn_take(c), close_client, c, ch,
	    rest, restlen, rsplice_done, x, &x->sp)) != 0) {
		ovl_chan_reset(ch);
		free(x);
		r->st.refused++;
		return (rc);
	}
	ovl_conn_ref(c, "splice");
	l->splices++;
	x->next = r->splices;
	if (r->splices != NULL)
		r->splices->prev = x;
	r->splices = x;
	r->st.splices++;
	r->st.spliced++;
	if (!uv_is_active((uv_handle_t *)r->sweep))
		(void)uv_timer_start(r->sweep, on_sweep, SWEEP_MS, SWEEP_MS);
	return (0);
}

/* Target side: a splice channel while its header is read. */
struct incoming {
	struct ovl_server	*srv;
	struct ovl_chan		*ch;
	char			 via[64];
	uint8_t			 hdr[1 + OVL_SPLICE_HDR_MAX];
	size_t			 have;
};

/* The pipe end the target's splice reads and writes. */
struct tpipe {
	uv_pipe_t	pipe;
};

/* Frees a splice's pipe once closed. */
static void
on_tpipe_closed(uv_handle_t *h)
{
	free(container_of((uv_pipe_t *)h, struct tpipe, pipe));
}

/* Closes the target's end of a splice. */
static void
close_tpipe(uv_stream_t *s, void *arg)
{
	(void)arg;
	uv_close((uv_handle_t *)s, on_tpipe_closed);
}

/*
 * Takes bytes of a splice header into hdr (have so far): 1 once whole
 * (*used bytes of buf taken), 0 for more, -EPROTO for a bad length.
 */
int
ovl__splice_hdr_take(uint8_t hdr[static 1 + OVL_SPLICE_HDR_MAX],
    size_t *have, const uint8_t *buf, size_t len, size_t *used)
{
	size_t want, n;

	*used = 0;
	if (len == 0)
		return (0);
	if (*have == 0 && (buf[0] == 0 || buf[0] > OVL_SPLICE_HDR_MAX))
		return (-EPROTO);
	want = 1 + (size_t)(*have > 0 ? hdr[0] : buf[0]);
	n = want - *have;
	if (n > len)
		n = len;
	memcpy(hdr + *have, buf, n);
	*have += n;
	*used = n;
	return (*have == want ? 1 : 0);
}

/* Parses a numeric "ip:port" or "[ip6]:port" into a sockaddr. */
int
ovl__addr_sockaddr(const char *text, struct sockaddr_storage *ss)
{
	char host[OVL_SPLICE_HDR_MAX + 1];
	const char *why;
	int port;

	if (ovl__addr_split(text, host, sizeof host, &port, &why) != 0)
		return (-EINVAL);
	memset(ss, 0, sizeof *ss);
	if (uv_ip4_addr(host, port, (struct sockaddr_in *)ss) == 0 ||
	    uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss) == 0)
		return (0);
	return (-EINVAL);
}

/* The header is in: hand the stream to the server through a socket pair. */
static int
incoming_start(struct incoming *in, const uint8_t *rest, size_t restlen)
{
	struct sockaddr_storage ss;
	struct ovl__splice *sp;
	struct tpipe *tp;
	char addr[OVL_SPLICE_HDR_MAX + 1], peer[OVL_SPLICE_HDR_MAX + 80];
	int fds[2], rc, have_ss;

	memcpy(addr, in->hdr + 1, in->hdr[0]);
	addr[in->hdr[0]] = '\0';
	have_ss = ovl__addr_sockaddr(addr, &ss) == 0;
	snprintf(peer, sizeof peer, "%s via %s", have_ss ? addr : "?",
	    in->via);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
		return (-errno);
	tp = malloc(sizeof *tp);
	if (tp == NULL || uv_pipe_init(ovl_chan_conn(in->ch)->loop,
	    &tp->pipe, 0) != 0) {
		free(tp);
		close(fds[0]);
		close(fds[1]);
		return (-ENOMEM);
	}
	if ((rc = uv_pipe_open(&tp->pipe, fds[1])) != 0) {
		close(fds[1]);
		close(fds[0]);
		uv_close((uv_handle_t *)&tp->pipe, on_tpipe_closed);
		return (rc);
	}
	rc = ovl__splice_new((uv_stream_t *)&tp->pipe, close_tpipe, NULL,
	    in->ch, NULL, 0, NULL, NULL, &sp);
	if (rc == 0 && restlen > 0 &&
	    (rc = ovl__splice_to_stream(sp, rest, restlen)) != 0)
		ovl__splice_kill(sp, rc);	/* closes the pipe */
	else if (rc != 0) {
		close(fds[0]);
		uv_close((uv_handle_t *)&tp->pipe, on_tpipe_closed);
		return (rc);
	}
	if (rc != 0) {
		close(fds[0]);
		return (0);		/* the channel is reset already */
	}
	/* the splice owns the channel now; the server owns fds[0] */
	(void)ovl__server_adopt(in->srv, fds[0], peer, have_ss ?
	    (struct sockaddr *)&ss : NULL);
	return (0);
}

static void	in_on_data(struct ovl_chan *, const uint8_t *, size_t, void *);
static void	in_on_close(struct ovl_chan *, int, void *);

static const struct ovl_chan_cbs incoming_cbs = {
	.on_data = in_on_data,
	.on_close = in_on_close,
};

/* Bytes of a splice channel before its header is whole. */
static void
in_on_data(struct ovl_chan *ch, const uint8_t *buf, size_t len, void *arg)
{
	struct incoming *in = arg;
	size_t n;
	int rc;

	rc = ovl__splice_hdr_take(in->hdr, &in->have, buf, len, &n);
	if (len == 0 || rc < 0) {
		ovl_chan_reset(ch);		/* frees in */
		return;
	}
	if (rc == 0)
		return;
	ovl_chan_set_cbs(ch, NULL, NULL);
	rc = incoming_start(in, buf + n, len - n);
	if (rc != 0)
		ovl_chan_reset(ch);
	free(in);
}

/* The splice channel ended before its header was read. */
static void
in_on_close(struct ovl_chan *ch, int status, void *arg)
{
	(void)ch;
	(void)status;
	free(arg);
}

/* A relay opened a splice channel on our link to it. */
void
ovl_server_accept_splice(struct ovl_server *s, struct ovl_chan *ch,
    const char *via)
{
	struct incoming *in;

	in = calloc(1, sizeof *in);
	if (in == NULL) {
		ovl_chan_reset(ch);
		return;
	}
	in->srv = s;
	in->ch = ch;
	snprintf(in->via, sizeof in->via, "%s", via);
	ovl_chan_set_cbs(ch, &incoming_cbs, in);
}

/* A dial-back probe in flight. */
struct probe {
	uv_tcp_t	 tcp;
	uv_connect_t	 creq;
	uv_write_t	 wreq;
	uv_timer_t	 timer;
	uint8_t		 pre[OVL_PRE_LEN];
	uint8_t		 want[OVL_PROBE_LEN];
	uint8_t		 got[OVL_PROBE_LEN];
	size_t		 have;
	uint64_t	 start;
	int		 handles;
	int		 done;
	ovl_probe_cb	 cb;
	void		*arg;
};

/* One of the probe's handles closed; the last frees it. */
static void
on_probe_closed(uv_handle_t *h)
{
	struct probe *p = h->data;

	if (--p->handles == 0)
		free(p);
}

/* Ends a probe once: the user told, handles closed. */
static void
probe_end(struct probe *p, int status, const char *why)
{
	if (p->done)
		return;
	p->done = 1;
	p->cb(status, uv_now(p->tcp.loop) - p->start, why, p->arg);
	uv_close((uv_handle_t *)&p->tcp, on_probe_closed);
	uv_close((uv_handle_t *)&p->timer, on_probe_closed);
}

/* The probe's deadline passed. */
static void
on_probe_timer(uv_timer_t *t)
{
	probe_end(t->data, -ETIMEDOUT, "no answer in time");
}

/* Gives libuv room for the rest of the answer. */
static void
probe_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	static uint8_t scratch[256];

	(void)h;
	(void)hint;
	*buf = uv_buf_init((char *)scratch, sizeof scratch);
}

/* Bytes of the answer. */
static void
probe_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct probe *p = s->data;
	size_t n;

	if (nread == 0 || p->done)
		return;
	if (nread < 0) {
		probe_end(p, -ECONNRESET, "closed without the answer");
		return;
	}
	n = (size_t)nread;
	if (p->have + n > sizeof p->got) {
		probe_end(p, -EPROTO, "a longer answer than a probe's");
		return;
	}
	memcpy(p->got + p->have, buf->base, n);
	p->have += n;
	if (p->have < sizeof p->got)
		return;
	if (sodium_memcmp(p->got, p->want, sizeof p->want) != 0)
		probe_end(p, -EACCES, "a wrong answer (another node there)");
	else
		probe_end(p, 0, "answered");
}

/* The probe's preamble went out. */
static void
probe_written(uv_write_t *req, int status)
{
	struct probe *p = container_of(req, struct probe, wreq);

	if (status < 0)
		probe_end(p, status, uv_strerror(status));
}

/* Connected: send the probe and read the answer. */
static void
probe_connected(uv_connect_t *req, int status)
{
	struct probe *p = container_of(req, struct probe, creq);
	uv_buf_t b = uv_buf_init((char *)p->pre, sizeof p->pre);
	int rc;

	if (p->done)
		return;
	if (status < 0) {
		probe_end(p, status, uv_strerror(status));
		return;
	}
	if ((rc = uv_write(&p->wreq, (uv_stream_t *)&p->tcp, &b, 1,
	    probe_written)) != 0 ||
	    (rc = uv_read_start((uv_stream_t *)&p->tcp, probe_alloc,
	    probe_read)) != 0)
		probe_end(p, rc, uv_strerror(rc));
}

/* Sends a dial-back probe to a numeric address. */
int
ovl_probe(uv_loop_t *loop, const char *addr,
    const uint8_t token[static OVL_PROBE_LEN], uint32_t timeout_ms,
    ovl_probe_cb cb, void *arg)
{
	struct sockaddr_storage ss;
	struct probe *p;
	int rc;

	if (ovl__addr_sockaddr(addr, &ss) != 0)
		return (-EINVAL);
	p = calloc(1, sizeof *p);
	if (p == NULL)
		return (-ENOMEM);
	memcpy(p->pre, OVL__PRE_PROBE, 4);
	memcpy(p->pre + 4, token, OVL_PROBE_LEN);
	ovl_probe_answer(token, p->want);
	p->cb = cb;
	p->arg = arg;
	p->start = uv_now(loop);
	(void)uv_tcp_init(loop, &p->tcp);
	(void)uv_timer_init(loop, &p->timer);
	p->tcp.data = p;
	p->timer.data = p;
	p->handles = 2;
	rc = uv_tcp_connect(&p->creq, &p->tcp, (struct sockaddr *)&ss,
	    probe_connected);
	if (rc != 0) {
		p->done = 1;
		uv_close((uv_handle_t *)&p->tcp, on_probe_closed);
		uv_close((uv_handle_t *)&p->timer, on_probe_closed);
		return (rc);
	}
	(void)uv_timer_start(&p->timer, on_probe_timer, timeout_ms, 0);
	return (0);
}

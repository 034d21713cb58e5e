/*
 * The DHT node (dht.c) on one uv_udp socket and one timer.
 *
 * The socket is bound at once, so its port is known (pierd's is the
 * number of its TCP listen port). Bootstrap addresses given by name are
 * resolved first (uv_getaddrinfo, never blocking the loop); the node is
 * made when the last answer is in, with the saved table, and lookups
 * asked for before that wait. Each datagram that starts with 'd' goes to
 * ovl_dht_input; any other to the user's on_other. After every input,
 * lookup and timer run the node's out-queue is sent with
 * uv_udp_try_send (a full socket buffer drops a datagram, as the
 * network may). The timer runs ovl_dht_periodic and sleeps what it says.
 *
 * Memory: the struct (with one receive buffer) and the node; a pending
 * lookup holds only its arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "net-int.h"

/* A name being resolved. */
struct dhts_gai {
	struct ovl_dhts		*s;
	uv_getaddrinfo_t	 req;
};

/* A lookup asked for before the node existed. */
struct dhts_pend {
	uint8_t			 ih[OVL_DHT_ID_LEN];
	int			 announce;
	uint16_t		 port;
	ovl_dht_peers_cb	*cb;
	void			*arg;
};

struct ovl_dhts {
	uv_loop_t		*loop;
	uv_udp_t		 udp;
	uv_timer_t		 timer;
	struct ovl_dht		*dht;		/* NULL while resolving */
	struct ovl_dhts_cfg	 cfg;		/* strings not kept */
	uint8_t			*saved;		/* copy, until the node */
	size_t			 savedlen;
	struct ovl_dht_addr	 boot[OVL_DHT_BOOTSTRAP_MAX];
	size_t			 nboot;
	size_t			 resolving;
	struct dhts_gai		*gai[OVL_DHT_BOOTSTRAP_MAX];
	struct dhts_pend	 pend[OVL_DHT_SEARCHES];
	size_t			 npend;
	uint16_t		 port;
	int			 closing;
	int			 refs;		/* handles + resolutions */
	void			(*done)(void *);
	void			*done_arg;
	uint8_t			 buf[2048];
};

/* One reference gone; the last frees. */
static void
dhts_unref(struct ovl_dhts *s)
{
	void (*done)(void *);
	void *arg;

	if (--s->refs > 0)
		return;
	done = s->done;
	arg = s->done_arg;
	ovl_dht_free(s->dht);
	free(s->saved);
	free(s);
	if (done != NULL)
		done(arg);
}

/* A handle closed. */
static void
on_handle_closed(uv_handle_t *h)
{
	dhts_unref(h->data);
}

/* Sends what the node queued. */
void
ovl_dhts_flush(struct ovl_dhts *s)
{
	struct ovl_dht_addr to;
	struct sockaddr_in sin;
	uint8_t buf[OVL_DHT_PKT_MAX];
	size_t len;
	char ip[16];

	if (s->dht == NULL || s->closing)
		return;
	while ((len = ovl_dht_pop(s->dht, &to, buf, sizeof buf)) > 0) {
		snprintf(ip, sizeof ip, "%u.%u.%u.%u", to.ip[0], to.ip[1],
		    to.ip[2], to.ip[3]);
		if (uv_ip4_addr(ip, to.port, &sin) == 0)
			(void)ovl_dhts_send(s, &sin, buf, len);
	}
}

/* Runs the node's timers and sleeps what it says. */
static void
on_timer(uv_timer_t *t)
{
	struct ovl_dhts *s = container_of(t, struct ovl_dhts, timer);
	unsigned ms = 1000;

	if (s->dht != NULL) {
		ms = ovl_dht_periodic(s->dht, uv_now(s->loop));
		ovl_dhts_flush(s);
	}
	if (s->cfg.on_tick != NULL && !s->closing)
		s->cfg.on_tick(s->cfg.arg);
	if (!s->closing)
		(void)uv_timer_start(&s->timer, on_timer, ms > 0 ? ms : 1, 0);
}

/* Hands libuv the fixed receive buffer. */
static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct ovl_dhts *s = h->data;

	(void)hint;
	*buf = uv_buf_init((char *)s->buf, sizeof s->buf);
}

/* A datagram. */
static void
on_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *buf,
    const struct sockaddr *sa, unsigned flags)
{
	struct ovl_dhts *s = u->data;
	const struct sockaddr_in *sin = (const void *)sa;
	struct ovl_dht_addr from;

	if (n <= 0 || sa == NULL || sa->sa_family != AF_INET ||
	    (flags & UV_UDP_PARTIAL) || s->closing)
		return;
	if (buf->base[0] != 'd') {
		if (s->cfg.on_other != NULL)
			s->cfg.on_other(s->cfg.arg, sin,
			    (const uint8_t *)buf->base, (size_t)n);
		return;
	}
	if (s->dht == NULL)
		return;
	memcpy(from.ip, &sin->sin_addr, 4);
	from.port = ntohs(sin->sin_port);
	(void)ovl_dht_input(s->dht, &from, (const uint8_t *)buf->base,
	    (size_t)n, uv_now(s->loop));
	ovl_dhts_flush(s);
}

/* The names are resolved: the node, then the lookups that waited. */
static void
dhts_start(struct ovl_dhts *s)
{
	struct ovl_dht_cfg c;
	struct dhts_pend p;
	size_t i;

	memset(&c, 0, sizeof c);
	c.bootstrap = s->boot;
	c.nbootstrap = s->nboot;
	c.saved = s->saved;
	c.savedlen = s->savedlen;
	c.read_only = s->cfg.read_only;
	s->dht = ovl_dht_new(&c, uv_now(s->loop));
	if (s->dht == NULL && s->saved != NULL) {
		c.saved = NULL;	/* a damaged table: start afresh */
		c.savedlen = 0;
		s->dht = ovl_dht_new(&c, uv_now(s->loop));
	}
	free(s->saved);
	s->saved = NULL;
	if (s->dht == NULL)
		return;
	for (i = 0; i < s->npend; i++) {
		p = s->pend[i];
		if (ovl_dht_get_peers(s->dht, p.ih, p.announce, p.port, p.cb,
		    p.arg, uv_now(s->loop)) != 0)
			p.cb(p.arg, p.ih, NULL, 0, 1);
	}
	s->npend = 0;
	ovl_dhts_flush(s);
	if (s->cfg.on_ready != NULL)
		s->cfg.on_ready(s->cfg.arg);
}

/* A bootstrap name resolved (or not). */
static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct dhts_gai *g = container_of(req, struct dhts_gai, req);
	struct ovl_dhts *s = g->s;
	struct addrinfo *ai;
	const struct sockaddr_in *sin;
	size_t i;

	for (ai = res; status == 0 && ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET ||
		    s->nboot == OVL_DHT_BOOTSTRAP_MAX)
			continue;
		sin = (const void *)ai->ai_addr;
		memcpy(s->boot[s->nboot].ip, &sin->sin_addr, 4);
		s->boot[s->nboot++].port = ntohs(sin->sin_port);
		break;	/* one address of each name */
	}
	uv_freeaddrinfo(res);
	for (i = 0; i < OVL_DHT_BOOTSTRAP_MAX; i++)
		if (s->gai[i] == g)
			s->gai[i] = NULL;
	free(g);
	if (--s->resolving == 0 && !s->closing)
		dhts_start(s);
	dhts_unref(s);
}

/* Resolves one "HOST:PORT" (numeric at once, names in the background). */
static int
dhts_resolve(struct ovl_dhts *s, const char *hp)
{
	struct addrinfo hints;
	struct sockaddr_in sin;
	struct dhts_gai *g;
	char host[OVL_ADDR_MAX], *colon;
	size_t i;
	int rc;

	snprintf(host, sizeof host, "%s", hp);
	colon = strrchr(host, ':');
	if (colon == NULL || colon == host || atoi(colon + 1) <= 0 ||
	    atoi(colon + 1) > 65535)
		return (-EINVAL);
	*colon = '\0';
	if (uv_ip4_addr(host, atoi(colon + 1), &sin) == 0) {
		if (s->nboot < OVL_DHT_BOOTSTRAP_MAX) {
			memcpy(s->boot[s->nboot].ip, &sin.sin_addr, 4);
			s->boot[s->nboot++].port = ntohs(sin.sin_port);
		}
		return (0);
	}
	if ((g = calloc(1, sizeof *g)) == NULL)
		return (-ENOMEM);
	g->s = s;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_DGRAM;
	rc = uv_getaddrinfo(s->loop, &g->req, on_resolved, host, colon + 1,
	    &hints);
	if (rc != 0) {
		free(g);
		return (0);	/* a name that cannot be asked is skipped */
	}
	for (i = 0; i < OVL_DHT_BOOTSTRAP_MAX && s->gai[i] != NULL; i++)
		;
	if (i < OVL_DHT_BOOTSTRAP_MAX)
		s->gai[i] = g;
	s->resolving++;
	s->refs++;
	return (0);
}

/* Binds the socket, starts resolving and the timer. */
int
ovl_dhts_new(uv_loop_t *loop, const struct ovl_dhts_cfg *cfg,
    struct ovl_dhts **out, char **cause)
{
	struct ovl_dhts *s;
	struct sockaddr_storage ss;
	int len = sizeof ss, rc;
	char host[OVL_ADDR_MAX], *colon;
	size_t i;

	*out = NULL;
	snprintf(host, sizeof host, "%s", cfg->bind != NULL ? cfg->bind :
	    "0.0.0.0:0");
	colon = strrchr(host, ':');
	if (colon == NULL)
		return (-EINVAL);
	*colon = '\0';
	if ((s = calloc(1, sizeof *s)) == NULL)
		return (-ENOMEM);
	s->loop = loop;
	s->cfg = *cfg;
	s->cfg.bind = NULL;
	s->cfg.bootstrap = NULL;
	s->cfg.saved = NULL;
	if (cfg->saved != NULL && cfg->savedlen > 0 &&
	    (s->saved = malloc(cfg->savedlen)) != NULL) {
		memcpy(s->saved, cfg->saved, cfg->savedlen);
		s->savedlen = cfg->savedlen;
	}
	rc = uv_ip4_addr(host, atoi(colon + 1), (struct sockaddr_in *)&ss);
	if (rc == 0)
		rc = uv_udp_init(loop, &s->udp);
	if (rc != 0) {
		free(s->saved);
		free(s);
		if (cause != NULL && asprintf(cause, "DHT socket %s: %s",
		    cfg->bind, uv_strerror(rc)) < 0)
			*cause = NULL;
		return (rc);
	}
	s->udp.data = s;
	s->refs = 1;
	rc = uv_udp_bind(&s->udp, (const struct sockaddr *)&ss, 0);
	if (rc == 0)
		rc = uv_udp_getsockname(&s->udp, (struct sockaddr *)&ss, &len);
	if (rc == 0)
		rc = uv_udp_recv_start(&s->udp, on_alloc, on_recv);
	if (rc == 0)
		rc = uv_timer_init(loop, &s->timer);
	if (rc != 0) {
		if (cause != NULL && asprintf(cause, "cannot use UDP %s:%s "
		    "for the DHT: %s", host, colon + 1, uv_strerror(rc)) < 0)
			*cause = NULL;
		s->closing = 1;
		uv_close((uv_handle_t *)&s->udp, on_handle_closed);
		return (rc);
	}
	s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	s->timer.data = s;
	s->refs++;
	s->refs++;	/* held while resolving */
	*out = s;	/* on_ready may run before this returns */
	for (i = 0; i < cfg->nbootstrap; i++)
		(void)dhts_resolve(s, cfg->bootstrap[i]);
	if (s->resolving == 0)
		dhts_start(s);
	(void)uv_timer_start(&s->timer, on_timer, 1000, 0);
	dhts_unref(s);
	return (0);
}

/* Closes the socket, the timer and the node. */
void
ovl_dhts_close(struct ovl_dhts *s, void (*done)(void *), void *arg)
{
	size_t i;

	if (s == NULL) {
		if (done != NULL)
			done(arg);
		return;
	}
	s->closing = 1;
	s->done = done;
	s->done_arg = arg;
	for (i = 0; i < OVL_DHT_BOOTSTRAP_MAX; i++)
		if (s->gai[i] != NULL)
			(void)uv_cancel((uv_req_t *)&s->gai[i]->req);
	uv_close((uv_handle_t *)&s->udp, on_handle_closed);
	uv_close((uv_handle_t *)&s->timer, on_handle_closed);
}

/* The node. */
struct ovl_dht *
ovl_dhts_node(struct ovl_dhts *s)
{
	return (s->dht);
}

/* The bound port. */
uint16_t
ovl_dhts_port(const struct ovl_dhts *s)
{
	return (s->port);
}

/* Starts or queues a lookup. */
int
ovl_dhts_lookup(struct ovl_dhts *s, const uint8_t *ih, int announce,
    uint16_t port, ovl_dht_peers_cb *cb, void *arg)
{
	struct dhts_pend *p;
	int rc;

	if (s->closing)
		return (-ECANCELED);
	if (s->dht != NULL) {
		rc = ovl_dht_get_peers(s->dht, ih, announce, port, cb, arg,
		    uv_now(s->loop));
		ovl_dhts_flush(s);
		return (rc);
	}
	if (s->npend == OVL_DHT_SEARCHES)
		return (-EBUSY);
	p = &s->pend[s->npend++];
	memcpy(p->ih, ih, OVL_DHT_ID_LEN);
	p->announce = announce;
	p->port = port;
	p->cb = cb;
	p->arg = arg;
	return (0);
}

/* Lookups running or waiting. */
size_t
ovl_dhts_busy(const struct ovl_dhts *s)
{
	return (s->dht != NULL ? ovl_dht_searching(s->dht) : s->npend);
}

/* Sends one datagram. */
int
ovl_dhts_send(struct ovl_dhts *s, const struct sockaddr_in *to,
    const void *buf, size_t len)
{
	uv_buf_t b = uv_buf_init((char *)(uintptr_t)buf, (unsigned)len);
	int rc;

	if (s->closing)
		return (-ECANCELED);
	rc = uv_udp_try_send(&s->udp, &b, 1, (const struct sockaddr *)to);
	return (rc < 0 ? rc : 0);
}

/* Writes the table to path, atomically. */
int
ovl_dhts_save(struct ovl_dhts *s, const char *path)
{
	uint8_t buf[OVL_DHT_SAVE_MAX];
	char tmp[4200];
	int fd, len, err = 0;

	if (s->dht == NULL)
		return (-EAGAIN);
	len = ovl_dht_save(s->dht, buf, sizeof buf);
	if (len < 0)
		return (len);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return (-errno);
	if (write(fd, buf, (size_t)len) != len)
		err = -EIO;
	if (close(fd) != 0 && err == 0)
		err = -errno;
	if (err == 0 && rename(tmp, path) != 0)
		err = -errno;
	if (err != 0)
		(void)unlink(tmp);
	return (err);
}

/* Reads a saved table. */
int
ovl_dhts_load(const char *path, uint8_t **buf, size_t *len)
{
	ssize_t n;
	int fd;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return (-errno);
	if ((*buf = malloc(OVL_DHT_SAVE_MAX)) == NULL) {
		(void)close(fd);
		return (-ENOMEM);
	}
	n = read(fd, *buf, OVL_DHT_SAVE_MAX);
	(void)close(fd);
	if (n <= 0) {
		free(*buf);
		*buf = NULL;
		return (n < 0 ? -EIO : -ENOENT);
	}
	*len = (size_t)n;
	return (0);
}

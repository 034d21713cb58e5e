/*
 * The DHT node (dht.c) on one uv_udp socket and one timer.
 *
 * The socket is bound at once, so its port is known (pierd's is the
 * number of its TCP listen port). Bootstrap addresses given by name are
 * resolved first, by a detached thread (struct dhts_res), never on the
 * loop; the node is made when the answers are in, with the saved table,
 * and lookups asked for before that wait. Each datagram that starts with
 * 'd' goes to ovl_dht_input; any other to the user's on_other. After
 * every input, lookup and timer run the node's out-queue is sent with
 * uv_udp_try_send (a full socket buffer drops a datagram, as the
 * network may). The timer runs ovl_dht_periodic and sleeps what it says.
 *
 * pierd's port number is also the LAN responder's (OVL_LAN_PORT, whose
 * socket takes multicast with SO_REUSEADDR), so its socket is bound
 * with `share`: SO_REUSEADDR too. Linux then hands a unicast datagram
 * to either socket (the tie between equal wildcard binds goes to the
 * one last used on the receiving CPU), so the responder hands what is
 * not a LAN probe to ovl_dhts_input; multicast probes reach both, and
 * here they are no DHT messages: on_other sees them (pierd drops them).
 *
 * Memory: the struct (with one receive buffer) and the node; a pending
 * lookup holds only its arguments; a resolution, its names and answers
 * (freed by whichever of the thread and the socket lets go last).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "net-int.h"

/*
 * The names being resolved, by a detached thread: a lookup of a name
 * can take as long as the resolver's timeouts (10 s and more with a
 * DNS server that does not answer), and neither a uv_getaddrinfo in the
 * pool nor a thread can be cut short, so the socket closes without
 * waiting and whoever of the two lets go last frees this.
 */
struct dhts_res {
	pthread_mutex_t		 mu;
	int			 refs;		/* the thread, the socket */
	int			 abandoned;	/* the socket closed */
	uv_async_t		*async;		/* the socket's, until then */
	size_t			 n;
	char			 names[OVL_DHT_BOOTSTRAP_MAX][OVL_ADDR_MAX];
	char			 ports[OVL_DHT_BOOTSTRAP_MAX][8];
	struct ovl_dht_addr	 out[OVL_DHT_BOOTSTRAP_MAX];
	size_t			 nout;
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
	struct dhts_res		*res;		/* while resolving */
	uv_async_t		 async;		/* its answer */
	int			 async_open;
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

/* A datagram, from the socket or handed on by another. */
void
ovl_dhts_input(struct ovl_dhts *s, const struct sockaddr_in *sin,
    const uint8_t *buf, size_t len)
{
	struct ovl_dht_addr from;

	if (s->closing || len == 0)
		return;
	if (buf[0] != 'd') {
		if (s->cfg.on_other != NULL)
			s->cfg.on_other(s->cfg.arg, sin, buf, len);
		return;
	}
	if (s->dht == NULL)
		return;
	memcpy(from.ip, &sin->sin_addr, 4);
	from.port = ntohs(sin->sin_port);
	(void)ovl_dht_input(s->dht, &from, buf, len, uv_now(s->loop));
	ovl_dhts_flush(s);
}

/* A datagram on the socket. */
static void
on_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *buf,
    const struct sockaddr *sa, unsigned flags)
{
	if (n <= 0 || sa == NULL || sa->sa_family != AF_INET ||
	    (flags & UV_UDP_PARTIAL))
		return;
	ovl_dhts_input(u->data, (const struct sockaddr_in *)(const void *)sa,
	    (const uint8_t *)buf->base, (size_t)n);
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

/* One reference of a resolution gone; the last frees it. */
static void
res_unref(struct dhts_res *r)
{
	int last;

	(void)pthread_mutex_lock(&r->mu);
	last = --r->refs == 0;
	(void)pthread_mutex_unlock(&r->mu);
	if (last) {
		(void)pthread_mutex_destroy(&r->mu);
		free(r);
	}
}

/* The thread: resolves each name (blocking), then tells the socket. */
static void *
res_main(void *arg)
{
	struct dhts_res *r = arg;
	struct addrinfo hints, *ai, *res;
	struct ovl_dht_addr out[OVL_DHT_BOOTSTRAP_MAX];
	const struct sockaddr_in *sin;
	size_t i, n = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_DGRAM;
	for (i = 0; i < r->n; i++) {
		if (getaddrinfo(r->names[i], r->ports[i], &hints, &res) != 0)
			continue;
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			if (ai->ai_family != AF_INET)
				continue;
			sin = (const void *)ai->ai_addr;
			memcpy(out[n].ip, &sin->sin_addr, 4);
			out[n++].port = ntohs(sin->sin_port);
			break;	/* one address of each name */
		}
		freeaddrinfo(res);
	}
	(void)pthread_mutex_lock(&r->mu);
	memcpy(r->out, out, n * sizeof out[0]);
	r->nout = n;
	if (!r->abandoned)
		(void)uv_async_send(r->async);
	(void)pthread_mutex_unlock(&r->mu);
	res_unref(r);
	return (NULL);
}

/* The names are resolved: their addresses join the numeric ones. */
static void
on_resolved(uv_async_t *a)
{
	struct ovl_dhts *s = container_of(a, struct ovl_dhts, async);
	struct dhts_res *r = s->res;
	size_t i;

	if (r == NULL || s->closing)
		return;
	(void)pthread_mutex_lock(&r->mu);
	for (i = 0; i < r->nout && s->nboot < OVL_DHT_BOOTSTRAP_MAX; i++)
		s->boot[s->nboot++] = r->out[i];
	r->abandoned = 1;
	(void)pthread_mutex_unlock(&r->mu);
	s->res = NULL;
	res_unref(r);
	dhts_start(s);
}

/* Starts the thread for the names in s->res; -errno when it cannot. */
static int
res_start(struct ovl_dhts *s)
{
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	rc = uv_async_init(s->loop, &s->async, on_resolved);
	if (rc != 0)
		return (rc);
	s->async_open = 1;
	s->async.data = s;
	s->refs++;
	s->res->async = &s->async;
	s->res->refs = 2;
	(void)pthread_attr_init(&attr);
	(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, res_main, s->res);
	(void)pthread_attr_destroy(&attr);
	if (rc != 0) {
		s->res->refs = 1;
		return (-rc);
	}
	return (0);
}

/* Takes one "HOST:PORT": numeric at once, a name for the thread. */
static int
dhts_resolve(struct ovl_dhts *s, const char *hp)
{
	struct sockaddr_in sin;
	struct dhts_res *r;
	char host[OVL_ADDR_MAX], *colon;

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
	if (s->res == NULL) {
		if ((r = calloc(1, sizeof *r)) == NULL)
			return (-ENOMEM);
		(void)pthread_mutex_init(&r->mu, NULL);
		s->res = r;
	}
	r = s->res;
	if (r->n == OVL_DHT_BOOTSTRAP_MAX)
		return (-ENOSPC);
	snprintf(r->names[r->n], sizeof r->names[0], "%s", host);
	snprintf(r->ports[r->n], sizeof r->ports[0], "%s", colon + 1);
	r->n++;
	return (0);
}

/* Lets go of the resolution: the thread finishes on its own. */
static void
res_abandon(struct ovl_dhts *s)
{
	struct dhts_res *r = s->res;

	s->res = NULL;
	if (r == NULL)
		return;
	(void)pthread_mutex_lock(&r->mu);
	r->abandoned = 1;
	(void)pthread_mutex_unlock(&r->mu);
	res_unref(r);
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
	rc = uv_udp_bind(&s->udp, (const struct sockaddr *)&ss, cfg->share ?
	    UV_UDP_REUSEADDR : 0);
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
	*out = s;	/* on_ready may run before this returns */
	for (i = 0; i < cfg->nbootstrap; i++)
		(void)dhts_resolve(s, cfg->bootstrap[i]);
	if (s->res != NULL && res_start(s) != 0)
		res_abandon(s);	/* names nobody can resolve: skipped */
	if (s->res == NULL)
		dhts_start(s);
	(void)uv_timer_start(&s->timer, on_timer, 1000, 0);
	return (0);
}

/* Closes the socket, the timer and the node. */
void
ovl_dhts_close(struct ovl_dhts *s, void (*done)(void *), void *arg)
{
	if (s == NULL) {
		if (done != NULL)
			done(arg);
		return;
	}
	s->closing = 1;
	s->done = done;
	s->done_arg = arg;
	res_abandon(s);
	if (s->async_open)
		uv_close((uv_handle_t *)&s->async, on_handle_closed);
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

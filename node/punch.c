/*
 * The node's half of a hole punch: TCP simultaneous open from its listen
 * port. A client that found the node on the DHT but cannot get through
 * its NAT "knocks": it announces, from its own DHT socket, the knock
 * hash of the key and the minute (overlay/dht-key.c), and dials the
 * node's address from the TCP port of the same number as that socket.
 * The node looks the knock hashes of its active keys up every
 * NODE_KNOCK_POLL_MS (node-dht.c) and, for each address found, connects
 * to it from its listen port: a socket of its own with SO_REUSEADDR and
 * SO_REUSEPORT (the listener has SO_REUSEPORT too), bound to the port,
 * opened with uv_tcp_open. Its SYN opens the node's NAT for the client's
 * SYNs and passes the client's NAT, which saw the client's SYN go out;
 * the two connects meet. A failed connect is tried again every
 * PUNCH_RETRY_MS for PUNCH_MS. The connected socket is handed to the
 * overlay server as if accepted (ovl_server_adopt): the client's
 * handshake, access key and all, decides as for any other connection.
 * An address is punched at most once per PUNCH_AGAIN_MS, since a knock
 * stays findable for minutes.
 *
 * A client on a relay asks for a punch itself (path.punch, cmd-path.c):
 * the node then connects to the client's addresses the same way, and
 * the client to the node's (node_punch_addrs), to move the relayed
 * connection onto the punched one (overlay/move.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node.h"
#include "reach.h"

#define PUNCH_MS		10000	/* tries of one address */
#define PUNCH_RETRY_MS		300
#define PUNCH_AGAIN_MS		(2 * 60 * 1000)
#define PUNCH_MAX		8	/* at once */
#define PUNCH_RECENT		32

/* One address being punched. */
struct punch {
	struct node_punches	*ps;
	struct sockaddr_in	 to;
	char			 text[32];
	uv_tcp_t		 tcp;
	uv_connect_t		 req;
	uv_timer_t		 timer;
	uint64_t		 until;
	unsigned		 tries;
	int			 tcp_state;	/* 0 none, 1 open, 2 closing */
	int			 closing;
	int			 refs;		/* handles */
	int			 won;
	struct punch		*next;
};

/* The node's punches and the addresses punched lately. */
struct node_punches {
	struct node		*n;
	struct punch		*list;
	size_t			 live;
	struct {
		struct sockaddr_in	to;
		uint64_t		at;
	}			 recent[PUNCH_RECENT];
	size_t			 nrecent;
	uint64_t		 won;		/* for reports */
};

static void	punch_try(struct punch *);

/* The listen port the punches leave from (the first IPv4 one's). */
static uint16_t
listen_port(const struct node *n)
{
	struct sockaddr_storage ss;
	size_t i;

	for (i = 0; n->bound != NULL && n->bound[i] != NULL; i++)
		if (n->bound[i][0] != '[' &&
		    node_addr_parse(n->bound[i], &ss, NULL) == 0)
			return (ntohs(((struct sockaddr_in *)&ss)->sin_port));
	return (0);
}

static void	on_punch_closed(uv_handle_t *);

/* Closes the try's socket; the next try, if any, follows its close. */
static void
tcp_close(struct punch *p)
{
	p->tcp_state = 2;
	uv_close((uv_handle_t *)&p->tcp, on_punch_closed);
}

/* The retry timer. */
static void
on_retry(uv_timer_t *t)
{
	punch_try(t->data);
}

/* A handle of a punch closed; the last frees it. */
static void
on_punch_closed(uv_handle_t *h)
{
	struct punch *p = h->data, **pp;

	if (h == (uv_handle_t *)&p->tcp) {
		p->tcp_state = 0;
		if (!p->closing && !p->won && uv_now(p->ps->n->loop) <
		    p->until) {
			(void)uv_timer_start(&p->timer, on_retry,
			    PUNCH_RETRY_MS, 0);
			return;
		}
		if (!p->closing) {
			p->closing = 1;
			uv_close((uv_handle_t *)&p->timer, on_punch_closed);
		}
	}
	if (--p->refs > 0)
		return;
	for (pp = &p->ps->list; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	p->ps->live--;
	free(p);
}

/* Ends a punch: its handles close, then it is freed. */
static void
punch_end(struct punch *p)
{
	if (p->closing)
		return;
	p->closing = 1;
	if (p->tcp_state == 1)
		tcp_close(p);
	else if (p->tcp_state == 0)
		p->refs--;	/* the tcp handle's share: none open */
	uv_close((uv_handle_t *)&p->timer, on_punch_closed);
}

/* The connect ended: the socket goes to the server, or another try. */
static void
on_punch_connect(uv_connect_t *req, int status)
{
	struct punch *p = req->data;
	struct node *n = p->ps->n;
	uv_os_fd_t fd;
	int dupfd, err;

	if (status == UV_ECANCELED || p->closing)
		return;
	if (status == 0 && uv_fileno((uv_handle_t *)&p->tcp, &fd) == 0 &&
	    (dupfd = dup(fd)) >= 0) {
		p->won = 1;
		p->ps->won++;
		node_log(&n->log, NODE_LOG_INFO, "punch: connected to %s after "
		    "%u tries; handshake follows", p->text, p->tries);
		err = ovl_server_adopt(n->srv, dupfd, p->text,
		    (const struct sockaddr *)&p->to);
		if (err != 0)
			node_log(&n->log, NODE_LOG_WARN, "punch: %s: %s",
			    p->text, strerror(-err));
		punch_end(p);
		return;
	}
	node_log(&n->log, NODE_LOG_DEBUG, "punch: %s: %s", p->text,
	    uv_strerror(status));
	tcp_close(p);
}

/* One connect from the listen port. */
static void
punch_try(struct punch *p)
{
	uint16_t port = listen_port(p->ps->n);
	int fd, rc;

	if (p->closing)
		return;
	p->tries++;
	if ((fd = ovl_punch_socket(port)) < 0) {
		node_log(&p->ps->n->log, NODE_LOG_WARN, "punch: cannot bind "
		    "port %u: %s", port, strerror(-fd));
		punch_end(p);
		return;
	}
	rc = uv_tcp_init(p->ps->n->loop, &p->tcp);
	if (rc != 0) {
		close(fd);
		punch_end(p);
		return;
	}
	p->tcp.data = p;
	p->tcp_state = 1;
	p->req.data = p;
	rc = uv_tcp_open(&p->tcp, fd);
	if (rc != 0)
		close(fd);
	else
		rc = uv_tcp_connect(&p->req, &p->tcp,
		    (const struct sockaddr *)&p->to, on_punch_connect);
	if (rc != 0)
		tcp_close(p);
}

/* Whether to was punched within PUNCH_AGAIN_MS (and notes it if not). */
static int
punched_lately(struct node_punches *ps, const struct sockaddr_in *to)
{
	uint64_t now = uv_now(ps->n->loop);
	size_t i, old = 0;

	for (i = 0; i < ps->nrecent; i++) {
		if (ps->recent[i].to.sin_addr.s_addr == to->sin_addr.s_addr &&
		    ps->recent[i].to.sin_port == to->sin_port &&
		    now - ps->recent[i].at < PUNCH_AGAIN_MS)
			return (1);
		if (ps->recent[i].at < ps->recent[old].at)
			old = i;
	}
	i = ps->nrecent < PUNCH_RECENT ? ps->nrecent++ : old;
	ps->recent[i].to = *to;
	ps->recent[i].at = now;
	return (0);
}

/* Whether a punch may go to this address (a stranger's word). */
static int
punchable(const struct sockaddr_in *to)
{
	const uint8_t *ip = (const uint8_t *)&to->sin_addr.s_addr;

	/* no "this host", no loopback, no multicast or reserved, no port 0 */
	return (ip[0] != 0 && ip[0] != 127 && ip[0] < 224 && to->sin_port != 0);
}

/* Starts punching towards to from the listen port. */
static int
punch_begin(struct node *n, const struct sockaddr_in *to, int again,
    const char *why)
{
	struct node_punches *ps = n->punches;
	struct punch *p;
	char ip[16];

	if (ps == NULL || n->closing || listen_port(n) == 0)
		return (-ENOTCONN);
	if (!punchable(to))
		return (-EINVAL);
	if (ps->live >= PUNCH_MAX)
		return (-EBUSY);
	if (punched_lately(ps, to) && !again)
		return (-EALREADY);
	if ((p = calloc(1, sizeof *p)) == NULL)
		return (-ENOMEM);
	if (uv_timer_init(n->loop, &p->timer) != 0) {
		free(p);
		return (-ENOMEM);
	}
	p->to = *to;
	p->ps = ps;
	p->timer.data = p;
	p->refs = 2;		/* tcp (reused across tries), timer */
	p->until = uv_now(n->loop) + PUNCH_MS;
	uv_ip4_name(to, ip, sizeof ip);
	snprintf(p->text, sizeof p->text, "punch+%s:%u", ip,
	    ntohs(to->sin_port));
	p->next = ps->list;
	ps->list = p;
	ps->live++;
	node_log(&n->log, NODE_LOG_INFO, "punch: %s %s:%u; connecting from "
	    "port %u", why, ip, ntohs(to->sin_port), listen_port(n));
	punch_try(p);
	return (0);
}

/* A knock found on the DHT: punch towards its address. */
void
node_punch_start(struct node *n, const struct ovl_dht_addr *a)
{
	struct sockaddr_in to;
	char ip[16];

	snprintf(ip, sizeof ip, "%u.%u.%u.%u", a->ip[0], a->ip[1], a->ip[2],
	    a->ip[3]);
	if (uv_ip4_addr(ip, a->port, &to) == 0)
		(void)punch_begin(n, &to, 0, "a knock from");
}

/* Punches towards to for a path move. */
int
node_punch_to(struct node *n, const struct sockaddr_in *to, const char *why)
{
	return (punch_begin(n, to, 1, why));
}

/* Adds "KINDip:port" to out unless the address is there. */
static size_t
addr_add(char (*out)[OVL_ADDR_MAX], size_t k, size_t max, const char *kind,
    const char *ip, unsigned port)
{
	char text[OVL_ADDR_MAX];
	enum ovl_path pk;
	size_t i;

	if (k >= max || ip == NULL || ip[0] == '\0' || port == 0)
		return (k);
	snprintf(text, sizeof text, "%s%s:%u", kind, ip, port);
	for (i = 0; i < k; i++)
		if (strcmp(ovl_path_split(out[i], &pk), text + strlen(kind)) ==
		    0)
			return (k);
	snprintf(out[k], OVL_ADDR_MAX, "%s", text);
	return (k + 1);
}

/* The IP of an "ip:port" text (IPv4 only), into ip; NULL when not. */
static const char *
ip_of(const char *addr, char *ip, size_t len)
{
	struct sockaddr_storage ss;

	if (addr == NULL || node_addr_parse(addr, &ss, NULL) != 0 ||
	    ss.ss_family != AF_INET)
		return (NULL);
	uv_ip4_name((struct sockaddr_in *)&ss, ip, len);
	return (ip);
}

/* Whether an IPv4 address (dotted) is private: a LAN's, not the world's. */
static int
private_ip(const char *ip)
{
	unsigned a, b;

	if (sscanf(ip, "%u.%u.", &a, &b) != 2)
		return (0);
	return (a == 10 || (a == 172 && b >= 16 && b < 32) ||
	    (a == 192 && b == 168) || (a == 100 && b >= 64 && b < 128) ||
	    (a == 169 && b == 254));
}

/* Whether ip (dotted) is one of ifs, the host's own. */
static int
own_ip(const uv_interface_address_t *ifs, int nifs, const char *ip)
{
	char own[16];
	int i;

	for (i = 0; ip != NULL && i < nifs; i++) {
		if (ifs[i].address.address4.sin_family != AF_INET)
			continue;
		uv_ip4_name(&ifs[i].address.address4, own, sizeof own);
		if (strcmp(own, ip) == 0)
			return (1);
	}
	return (0);
}

/*
 * The node's own addresses for a path move, with the kind a client
 * reports the path by: where relays and the DHT see it "punch+" (its
 * NAT is in the way) or plain when that is the host's own address, the
 * mapped one "map+", the host's own "lan+" when private, else plain.
 */
size_t
node_punch_addrs(struct node *n, char (*out)[OVL_ADDR_MAX], size_t max)
{
	uv_interface_address_t *ifs = NULL;
	struct sockaddr_storage ss;
	unsigned port = listen_port(n);
	char ip[16], ext[OVL_ADDR_MAX];
	const char *m, *seen;
	size_t k = 0;
	int i, nifs = 0;

	if (port == 0)
		return (0);
	if (uv_interface_addresses(&ifs, &nifs) != 0) {
		ifs = NULL;
		nifs = 0;
	}
	seen = ip_of(node_reach_public(n->reach), ip, sizeof ip);
	k = addr_add(out, k, max, own_ip(ifs, nifs, seen) ? "" : "punch+",
	    seen, port);
	if (node_dht_external(n, ext, sizeof ext) == 0) {
		seen = ip_of(ext, ip, sizeof ip);
		k = addr_add(out, k, max, own_ip(ifs, nifs, seen) ? "" :
		    "punch+", seen, port);
	}
	if ((m = node_reach_mapped(n->reach)) != NULL &&
	    node_addr_parse(m, &ss, NULL) == 0 && ss.ss_family == AF_INET)
		k = addr_add(out, k, max, "map+", ip_of(m, ip, sizeof ip),
		    ntohs(((struct sockaddr_in *)&ss)->sin_port));
	for (i = 0; i < nifs; i++) {
		if (ifs[i].is_internal ||
		    ifs[i].address.address4.sin_family != AF_INET)
			continue;
		uv_ip4_name(&ifs[i].address.address4, ip, sizeof ip);
		k = addr_add(out, k, max, private_ip(ip) ? "lan+" : "", ip,
		    port);
	}
	if (ifs != NULL)
		uv_free_interface_addresses(ifs, nifs);
	return (k);
}

/* Sets up the node's punches. */
int
node_punch_init(struct node *n)
{
	if ((n->punches = calloc(1, sizeof *n->punches)) == NULL)
		return (-ENOMEM);
	n->punches->n = n;
	return (0);
}

/* Ends every punch (the node stops); freed as their handles close. */
void
node_punch_stop(struct node *n)
{
	struct node_punches *ps = n->punches;
	struct punch *p, *next;

	if (ps == NULL)
		return;
	for (p = ps->list; p != NULL; p = next) {
		next = p->next;
		punch_end(p);
	}
}

/* Frees the table once the loop ran dry. */
void
node_punch_free(struct node *n)
{
	free(n->punches);
	n->punches = NULL;
}

/* Punches that connected, for reports. */
uint64_t
node_punch_won(const struct node *n)
{
	return (n->punches != NULL ? n->punches->won : 0);
}

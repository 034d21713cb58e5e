/*
 * LAN discovery, the client's side: one probe (a fresh nonce, tagged
 * with the access secret) sent by multicast on every usable interface
 * in three rounds, and the answers that carry our nonce under the same
 * secret turned into "host:port" candidates.
 *
 * A prober holds one UDP socket per family, bound to an ephemeral port,
 * and a timer for the rounds and the end of listening. After listen_ms
 * it closes its sockets and stays quiet until the user stops it; the
 * user's stop is the only thing that frees it, once the handles closed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lan-int.h"
#include "net-int.h"

#define PROBE_FOUND_MAX	16	/* distinct addresses told */

/* When each round of probes goes, from the start. */
static const uint32_t probe_rounds_ms[] = { 0, 250, 750 };
#define PROBE_ROUNDS	(sizeof probe_rounds_ms / sizeof probe_rounds_ms[0])

struct ovl_lan_probe {
	uv_loop_t		*loop;
	struct ovl__lan_sock	 s4, s6;
	uv_timer_t		 timer;
	uint8_t			 nonce[OVL_LAN_NONCE_LEN];
	uint8_t			 node_pub[OVL_KEY_LEN];
	uint8_t			 secret[OVL_KEY_LEN];
	uint8_t			 pkt[OVL_LAN_PROBE_LEN];
	ovl_lan_found_cb	 cb;
	ovl_lan_gate_cb		 gate;	/* nonzero: skip the round */
	void			*arg;
	uint64_t		 start;
	uint64_t		 end;
	size_t			 round;
	char			 found[PROBE_FOUND_MAX][OVL_ADDR_MAX];
	size_t			 nfound;
	int			 refs;
	int			 stopped;
	int			 opened;	/* the sockets were made */
};

static int	probe_open_both(struct ovl_lan_probe *);

/* One handle closed; the last (after the user's stop) frees. */
static void
probe_unref(struct ovl_lan_probe *p)
{
	if (--p->refs > 0)
		return;
	sodium_memzero(p->secret, sizeof p->secret);
	free(p);
}

/* A handle's close callback. */
static void
on_probe_closed(uv_handle_t *h)
{
	probe_unref(h->data);
}

/* Sends one round: the probe on every usable interface. */
static void
probe_send(struct ovl_lan_probe *p)
{
	struct ovl__lan_iface ifs[2 * OVL__LAN_IFACES_MAX];
	struct sockaddr_storage to;
	char ifa[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	uv_buf_t b = uv_buf_init((char *)p->pkt, sizeof p->pkt);
	uv_udp_t *u;
	int i, n;

	n = ovl__lan_ifaces(ifs, 2 * OVL__LAN_IFACES_MAX);
	for (i = 0; i < n; i++) {
		if (ifs[i].family == AF_INET && p->s4.open) {
			u = &p->s4.udp;
			if (uv_udp_set_multicast_interface(u, ifs[i].addr) != 0)
				continue;
			(void)uv_ip4_addr(OVL_LAN_GROUP4, OVL_LAN_PORT,
			    (struct sockaddr_in *)&to);
		} else if (ifs[i].family == AF_INET6 && p->s6.open) {
			u = &p->s6.udp;
			snprintf(ifa, sizeof ifa, "::%%%.*s", IF_NAMESIZE,
			    ifs[i].name);
			if (uv_udp_set_multicast_interface(u, ifa) != 0)
				continue;
			(void)uv_ip6_addr(OVL_LAN_GROUP6, OVL_LAN_PORT,
			    (struct sockaddr_in6 *)&to);
			((struct sockaddr_in6 *)&to)->sin6_scope_id =
			    ifs[i].index;
		} else
			continue;
		/* Synchronous, so the interface set above is the one used. */
		(void)uv_udp_try_send(u, &b, 1, (struct sockaddr *)&to);
	}
}

/* The timer: the next round, or the end of listening. */
static void
on_probe_timer(uv_timer_t *t)
{
	struct ovl_lan_probe *p = container_of(t, struct ovl_lan_probe, timer);
	uint64_t now = uv_now(p->loop), at;

	if (p->round < PROBE_ROUNDS && now < p->end) {
		/* A skipped round makes no socket and sends nothing. */
		if ((p->gate == NULL || p->gate(p->arg) == 0) &&
		    probe_open_both(p) == 0)
			probe_send(p);
		p->round++;
	}
	if (p->round >= PROBE_ROUNDS && now >= p->end) {
		ovl__lan_sock_close(&p->s4, on_probe_closed);
		ovl__lan_sock_close(&p->s6, on_probe_closed);
		return;
	}
	at = p->round < PROBE_ROUNDS ? p->start +
	    probe_rounds_ms[p->round] : p->end;
	if (at > p->end)
		at = p->end;
	(void)uv_timer_start(&p->timer, on_probe_timer, at > now ? at - now :
	    0, 0);
}

/* Formats an answer's source with port as a candidate address. */
static void
probe_addr(const struct sockaddr *sa, uint16_t port, char *out, size_t cap)
{
	struct sockaddr_storage ss;

	memcpy(&ss, sa, sa->sa_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	ovl__addr_format((struct sockaddr *)&ss, out, cap);
}

/* Tells the user each new address of a verified answer. */
static void
probe_answer(struct ovl_lan_probe *p, const uint8_t *pkt, size_t len,
    const struct sockaddr *from)
{
	uint16_t ports[OVL_LAN_PORTS_MAX];
	char addr[OVL_ADDR_MAX];
	size_t n, i, j;

	if (ovl_lan_answer_check(pkt, len, p->nonce, p->node_pub, p->secret,
	    ports, &n) != 0)
		return;
	for (i = 0; i < n && !p->stopped; i++) {
		probe_addr(from, ports[i], addr, sizeof addr);
		for (j = 0; j < p->nfound; j++)
			if (strcmp(p->found[j], addr) == 0)
				break;
		if (j < p->nfound || p->nfound == PROBE_FOUND_MAX)
			continue;
		snprintf(p->found[p->nfound++], OVL_ADDR_MAX, "%s", addr);
		p->cb(p, addr, p->arg);
	}
}

/* A datagram came: maybe an answer. */
static void
probe_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
    const struct sockaddr *from, unsigned flags)
{
	struct ovl__lan_sock *s = container_of(h, struct ovl__lan_sock, udp);
	struct ovl_lan_probe *p = s->owner;

	if (nread <= 0 || from == NULL || p->stopped ||
	    (flags & UV_UDP_PARTIAL) != 0)
		return;
	probe_answer(p, (const uint8_t *)buf->base, (size_t)nread, from);
}

/* Opens one socket of the prober on an ephemeral port. */
static int
probe_open(struct ovl_lan_probe *p, struct ovl__lan_sock *s, int family)
{
	int rc;

	rc = ovl__lan_sock_open(p->loop, s, p, family, 0, 0, probe_recv,
	    on_probe_closed);
	if (s->held)
		p->refs++;
	return (rc);
}

/* Makes the sockets once; -ENETUNREACH when neither could be made. */
static int
probe_open_both(struct ovl_lan_probe *p)
{
	int e4, e6;

	if (p->opened)
		return (p->s4.open || p->s6.open ? 0 : -ENETUNREACH);
	p->opened = 1;
	e4 = probe_open(p, &p->s4, AF_INET);
	e6 = probe_open(p, &p->s6, AF_INET6);
	return (e4 != 0 && e6 != 0 ? -ENETUNREACH : 0);
}

/* Starts a prober that sends at once. */
int
ovl_lan_probe_start(uv_loop_t *loop, const uint8_t node_pub[static 32],
    const uint8_t secret[static 32], uint32_t listen_ms,
    ovl_lan_found_cb cb, void *arg, struct ovl_lan_probe **out)
{
	return (ovl_lan_probe_start_after(loop, node_pub, secret, 0,
	    listen_ms, cb, arg, out));
}

/* Starts a prober whose first round goes delay_ms from now. */
int
ovl_lan_probe_start_after(uv_loop_t *loop, const uint8_t node_pub[static 32],
    const uint8_t secret[static 32], uint32_t delay_ms, uint32_t listen_ms,
    ovl_lan_found_cb cb, void *arg, struct ovl_lan_probe **out)
{
	struct ovl_lan_probe *p;

	*out = NULL;
	if (cb == NULL)
		return (-EINVAL);
	p = calloc(1, sizeof *p);
	if (p == NULL)
		return (-ENOMEM);
	p->loop = loop;
	memcpy(p->node_pub, node_pub, OVL_KEY_LEN);
	memcpy(p->secret, secret, OVL_KEY_LEN);
	randombytes_buf(p->nonce, sizeof p->nonce);
	ovl_lan_probe_encode(p->pkt, p->nonce, p->node_pub, p->secret);
	p->cb = cb;
	p->arg = arg;
	p->start = uv_now(loop) + delay_ms;
	p->end = p->start + (listen_ms != 0 ? listen_ms : OVL_LAN_PROBE_MS);
	p->refs = 2;		/* the user, the timer */
	(void)uv_timer_init(loop, &p->timer);
	p->timer.data = p;
	/* A delayed prober makes its sockets at its first round, so a dial
	 * that gets through first costs a timer and nothing more. */
	if (delay_ms == 0 && probe_open_both(p) != 0) {
		ovl_lan_probe_stop(p);
		return (-ENETUNREACH);
	}
	(void)uv_timer_start(&p->timer, on_probe_timer, delay_ms, 0);
	*out = p;
	return (0);
}

/* Sets the gate asked before each round; see ovl-lan.h. */
void
ovl_lan_probe_set_gate(struct ovl_lan_probe *p, ovl_lan_gate_cb gate)
{
	p->gate = gate;
}

/* Stops the prober; it frees itself once its handles closed. */
void
ovl_lan_probe_stop(struct ovl_lan_probe *p)
{
	if (p == NULL || p->stopped)
		return;
	p->stopped = 1;
	ovl__lan_sock_close(&p->s4, on_probe_closed);
	ovl__lan_sock_close(&p->s6, on_probe_closed);
	(void)uv_timer_stop(&p->timer);
	uv_close((uv_handle_t *)&p->timer, on_probe_closed);
	probe_unref(p);
}

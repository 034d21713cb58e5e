/*
 * The PCP exchange over a connected uv_udp_t (pcp.c is the codec).
 *
 * Retransmits start at OVL__PCP_RTO_MS and double until the exchange's
 * deadline (cfg.try_ms), not RFC 6887's 3 s start: a gateway answers in
 * milliseconds or not at all, and UPnP is still to be tried after. An
 * ICMP port unreachable ends the exchange at once (the socket is
 * connected, so it reads as ECONNREFUSED).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>

#include "portmap-int.h"

/* Ends the exchange: receiving and retransmits stop. */
static void
pcp_end(struct ovl_portmap *pm)
{
	(void)uv_timer_stop(&pm->xtimer);
	if (pm->udp_open)
		(void)uv_udp_recv_stop(&pm->udp);
}

/* Abandons the exchange (no result). */
void
ovl__pcp_cancel(struct ovl_portmap *pm)
{
	pcp_end(pm);
}

/* The mapping's datagram buffer: a read is consumed at once. */
static void
pcp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct ovl_portmap	*pm = container_of((uv_udp_t *)h,
				    struct ovl_portmap, udp);

	*buf = uv_buf_init((char *)pm->rbuf, sizeof(pm->rbuf));
}

/* A datagram (or an error) from the gateway. */
static void
pcp_on_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf,
    const struct sockaddr *from, unsigned flags)
{
	struct ovl_portmap	*pm = container_of(u, struct ovl_portmap, udp);
	struct ovl__pcp_resp	 r;
	char			 ip[OVL_PM_ADDR_MAX], why[64];
	int			 err;

	if (!pm->busy || pm->proto != OVL_PM_PCP || nread == 0)
		return;
	if (nread < 0) {
		pcp_end(pm);
		ovl__pm_result(pm, (int)nread, nread == UV_ECONNREFUSED ?
		    "no server on the gateway" : uv_strerror((int)nread),
		    NULL, 0, 0);
		return;
	}
	if (flags & UV_UDP_PARTIAL)
		return;
	err = ovl__pcp_decode((const uint8_t *)buf->base, (size_t)nread,
	    &pm->pcp, &r);
	if (err == -EPROTO)
		return;
	pcp_end(pm);
	if (err == -EPROTONOSUPPORT) {
		ovl__pm_result(pm, err, "the gateway speaks another version",
		    NULL, 0, 0);
		return;
	}
	if (r.result != 0) {
		snprintf(why, sizeof(why), "refused: %s",
		    ovl__pcp_result_name(r.result));
		ovl__pm_result(pm, -EACCES, why, NULL, 0, 0);
		return;
	}
	ovl__pm_addr_text(r.external_ip, ip, sizeof(ip));
	ovl__pm_result(pm, 0, NULL, ip, r.external_port, r.lifetime);
}

/* Sends (or resends) the request. */
static int
pcp_transmit(struct ovl_portmap *pm)
{
	uint8_t		msg[OVL__PCP_MAP_LEN];
	uv_buf_t	b;
	int		err;

	b = uv_buf_init((char *)msg, (unsigned)ovl__pcp_encode(&pm->pcp, msg));
	err = uv_udp_try_send(&pm->udp, &b, 1, NULL);
	if (err == UV_EAGAIN || err == UV_ENOBUFS)
		err = 0;	/* as if lost: the retransmit covers it */
	return (err < 0 ? err : 0);
}

/* Retransmits, doubling the wait, until the deadline. */
static void
pcp_on_timer(uv_timer_t *t)
{
	struct ovl_portmap	*pm = container_of(t, struct ovl_portmap,
				    xtimer);
	uint64_t		 now = uv_now(pm->loop), wait;
	int			 err;

	if (now >= pm->deadline) {
		pcp_end(pm);
		ovl__pm_result(pm, -ETIMEDOUT, "no answer", NULL, 0, 0);
		return;
	}
	err = pcp_transmit(pm);
	if (err != 0) {
		pcp_end(pm);
		ovl__pm_result(pm, err, uv_strerror(err), NULL, 0, 0);
		return;
	}
	pm->rto *= 2;
	wait = pm->deadline - now < pm->rto ? pm->deadline - now : pm->rto;
	(void)uv_timer_start(&pm->xtimer, pcp_on_timer, wait, 0);
}

/* Makes the UDP handle, connected to the gateway; learns our address. */
static int
pcp_open(struct ovl_portmap *pm)
{
	struct sockaddr_in	 sin;
	struct sockaddr_storage	 me;
	int			 err, len = sizeof(me);

	if (pm->udp_open)
		return (0);
	err = uv_udp_init(pm->loop, &pm->udp);
	if (err != 0)
		return (err);
	pm->udp_open = 1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(pm->cfg.server_port);
	sin.sin_addr.s_addr = pm->gw;
	err = uv_udp_connect(&pm->udp, (const struct sockaddr *)&sin);
	if (err == 0)
		err = uv_udp_getsockname(&pm->udp, (struct sockaddr *)&me,
		    &len);
	if (err != 0)
		return (err);
	if (me.ss_family != AF_INET)
		return (-EAFNOSUPPORT);
	memset(pm->pcp.client_ip, 0, 10);
	memset(pm->pcp.client_ip + 10, 0xff, 2);	/* IPv4-mapped */
	memcpy(pm->pcp.client_ip + 12,
	    &((struct sockaddr_in *)&me)->sin_addr, 4);
	return (0);
}

/* Sends a MAP request asking for pm->want_lease seconds. */
int
ovl__pcp_send(struct ovl_portmap *pm)
{
	int	err;

	err = pcp_open(pm);
	if (err != 0)
		return (err);
	pm->pcp.internal_port = pm->iport;
	pm->pcp.suggested_port = pm->pub_port != 0 ? pm->pub_port : pm->iport;
	pm->pcp.lifetime = pm->want_lease;
	err = uv_udp_recv_start(&pm->udp, pcp_alloc, pcp_on_recv);
	if (err == 0)
		err = pcp_transmit(pm);
	if (err != 0) {
		pcp_end(pm);
		return (err);
	}
	pm->rto = OVL__PCP_RTO_MS;
	return (uv_timer_start(&pm->xtimer, pcp_on_timer, pm->rto, 0));
}

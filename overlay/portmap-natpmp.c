/*
 * NAT-PMP (RFC 6886) through libnatpmp, on the loop: libnatpmp's socket
 * is non-blocking and connected to the gateway's port 5351, so a
 * uv_poll_t watches it for answers, and the exchange timer fires when
 * libnatpmp's retransmit is due (getnatpmprequesttimeout), at which
 * point readnatpmpresponseorretry resends. libnatpmp would go on for 9
 * tries (about two minutes); the exchange's deadline ends it sooner.
 *
 * A mapping takes two requests: the public address, then the mapping.
 * A delete is the mapping request with lifetime 0 and external port 0.
 */
#include <errno.h>
#include <string.h>

#include <arpa/inet.h>
#include <sys/time.h>

#define ENABLE_STRNATPMPERR	/* declares strnatpmperr in natpmp.h */
#include <natpmp.h>

#include "portmap-int.h"

static void	np_on_timer(uv_timer_t *);

/* Ends the exchange: no more polling or retransmits. */
static void
np_end(struct ovl_portmap *pm)
{
	(void)uv_timer_stop(&pm->xtimer);
	if (pm->np_open)
		(void)uv_poll_stop(&pm->poll);
}

/* Abandons the exchange (no result). */
void
ovl__natpmp_cancel(struct ovl_portmap *pm)
{
	if (pm->proto == OVL_PM_NATPMP)
		np_end(pm);
}

/* Ends the exchange with a libnatpmp error. */
static void
np_fail(struct ovl_portmap *pm, int r)
{
	int	err;

	np_end(pm);
	/* libnatpmp's name for ECONNREFUSED (an ICMP port unreachable). */
	if (r == NATPMP_ERR_NOGATEWAYSUPPORT) {
		ovl__pm_result(pm, -ECONNREFUSED, "no server on the gateway",
		    NULL, 0, 0);
		return;
	}
	err = r == NATPMP_ERR_NOTAUTHORIZED ? -EACCES : -EPROTO;
	ovl__pm_result(pm, err, strnatpmperr(r), NULL, 0, 0);
}

/* Sends the next request of the exchange. */
static int
np_request(struct ovl_portmap *pm)
{
	uint16_t	want;

	if (pm->want_lease != 0 && !pm->np_have_ip)
		return (sendpublicaddressrequest(&pm->np));
	want = pm->want_lease == 0 ? 0 : pm->pub_port != 0 ? pm->pub_port :
	    pm->iport;
	return (sendnewportmappingrequest(&pm->np, NATPMP_PROTOCOL_TCP,
	    pm->iport, want, pm->want_lease));
}

/* Waits for an answer until libnatpmp's next retransmit (or the end). */
static void
np_arm(struct ovl_portmap *pm)
{
	struct timeval	tv;
	uint64_t	now = uv_now(pm->loop), wait = 0;

	if (getnatpmprequesttimeout(&pm->np, &tv) == 0 && tv.tv_sec >= 0)
		wait = (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
	if (now + wait > pm->deadline)
		wait = pm->deadline > now ? pm->deadline - now : 0;
	(void)uv_timer_start(&pm->xtimer, np_on_timer, wait + 1, 0);
}

/* Reads an answer, or lets libnatpmp resend; handles what came. */
static void
np_step(struct ovl_portmap *pm)
{
	natpmpresp_t	resp;
	int		r;

	r = readnatpmpresponseorretry(&pm->np, &resp);
	if (r == NATPMP_TRYAGAIN) {
		if (uv_now(pm->loop) >= pm->deadline) {
			np_end(pm);
			ovl__pm_result(pm, -ETIMEDOUT, "no answer", NULL, 0, 0);
		} else
			np_arm(pm);
		return;
	}
	if (r < 0) {
		np_fail(pm, r);
		return;
	}
	if (resp.type == NATPMP_RESPTYPE_PUBLICADDRESS && pm->want_lease &&
	    !pm->np_have_ip) {
		(void)inet_ntop(AF_INET, &resp.pnu.publicaddress.addr,
		    pm->np_ip, sizeof(pm->np_ip));
		pm->np_have_ip = 1;
	} else if (resp.type == NATPMP_RESPTYPE_TCPPORTMAPPING &&
	    resp.pnu.newportmapping.privateport == pm->iport &&
	    (pm->want_lease == 0 || pm->np_have_ip)) {
		np_end(pm);
		if (pm->want_lease != 0 &&
		    (resp.pnu.newportmapping.lifetime == 0 ||
		    resp.pnu.newportmapping.mappedpublicport == 0)) {
			ovl__pm_result(pm, -EPROTO, "mapping refused", NULL,
			    0, 0);
			return;
		}
		ovl__pm_result(pm, 0, NULL, pm->np_ip,
		    resp.pnu.newportmapping.mappedpublicport,
		    resp.pnu.newportmapping.lifetime);
		return;
	}
	/* The next request (or the same again after a stray answer). */
	r = np_request(pm);
	if (r < 0)
		np_fail(pm, r);
	else
		np_arm(pm);
}

/* The socket is readable (or failed). */
static void
np_on_poll(uv_poll_t *p, int status, int events)
{
	struct ovl_portmap	*pm = container_of(p, struct ovl_portmap, poll);

	if (!pm->busy || pm->proto != OVL_PM_NATPMP)
		return;
	np_step(pm);
}

/* A retransmit is due, or the deadline passed. */
static void
np_on_timer(uv_timer_t *t)
{
	struct ovl_portmap	*pm = container_of(t, struct ovl_portmap,
				    xtimer);

	np_step(pm);
}

/* Asks for the public address, then the mapping (or deletes it). */
int
ovl__natpmp_send(struct ovl_portmap *pm)
{
	int	r, err;

	if (!pm->np_open) {
		r = initnatpmp(&pm->np, 1, pm->gw);
		if (r < 0)
			return (-EIO);
		err = uv_poll_init_socket(pm->loop, &pm->poll, pm->np.s);
		if (err != 0) {
			(void)closenatpmp(&pm->np);
			return (err);
		}
		pm->np_open = 1;
	}
	/* Each mapping asks for the address anew: it may have changed. */
	pm->np_have_ip = 0;
	r = np_request(pm);
	if (r < 0)
		return (r == NATPMP_ERR_SENDERR ? -errno : -EIO);
	err = uv_poll_start(&pm->poll, UV_READABLE, np_on_poll);
	if (err != 0)
		return (err);
	np_arm(pm);
	return (0);
}

/*
 * Internals shared by lan.c and lan-probe.c: the local interfaces that
 * LAN discovery uses. Nothing outside overlay/ includes this.
 */
#ifndef PIER_OVL_LAN_INT_H
#define PIER_OVL_LAN_INT_H

#include <net/if.h>
#include <netinet/in.h>

#include "overlay.h"

#define OVL__LAN_IFACES_MAX	32	/* interfaces per family used */

/* One up, non-loopback interface with multicast, of one family. */
struct ovl__lan_iface {
	char		name[IF_NAMESIZE];
	unsigned	index;
	int		family;		/* AF_INET or AF_INET6 */
	char		addr[INET6_ADDRSTRLEN];	/* IPv4: its first address */
};

/*
 * Lists the interfaces LAN discovery uses, at most max of them (one per
 * interface and family); returns how many, or a negative errno.
 */
int ovl__lan_ifaces(struct ovl__lan_iface *out, size_t max);

#define OVL__LAN_RECV_BUF	128	/* more than any valid packet */

/* A UDP socket of the responder or the prober, with its receive buffer. */
struct ovl__lan_sock {
	uv_udp_t	 udp;
	void		*owner;		/* the responder or prober */
	int		 held;		/* a close callback is still due */
	int		 open;		/* not closing */
	uint8_t		 buf[OVL__LAN_RECV_BUF];
};

/*
 * Opens s on the wildcard address of family (AF_INET, or AF_INET6 for
 * IPv6 only) at port (0: ephemeral) with the bind flags, receiving into
 * its buffer through recv. After a failure past the handle's creation it
 * is closed already: s->held says whether close_cb (with udp.data the
 * owner) is still to come, as it is once s is closed.
 */
int ovl__lan_sock_open(uv_loop_t *loop, struct ovl__lan_sock *s, void *owner,
    int family, int port, unsigned flags, uv_udp_recv_cb recv,
    uv_close_cb close_cb);
/* Closes s if it is open; close_cb runs with udp.data the owner. */
void ovl__lan_sock_close(struct ovl__lan_sock *s, uv_close_cb close_cb);

#endif

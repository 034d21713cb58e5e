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

#endif

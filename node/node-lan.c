/*
 * The node's answer to LAN discovery: a responder (overlay/lan.c) that
 * announces the TCP ports of the node's non-loopback listeners to
 * clients proving they hold one of its access keys. It runs unless
 * pierd was started with --no-lan; a node listening only on loopback
 * has nothing to announce and stays silent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

/* A line of the responder for the node's log. */
static void
lan_log(const char *line, void *arg)
{
	struct node	*n = arg;

	node_log(&n->log, NODE_LOG_INFO, "%s", line);
}

/* A probe fitted no key and the keys file changed: re-read it. */
static void
lan_keys_changed(void *arg)
{
	(void)node_keys_reload(arg);
}

/* A datagram for the DHT's socket that the kernel gave this one. */
static void
lan_other(void *arg, const struct sockaddr_in *from, const uint8_t *buf,
    size_t len)
{
	struct node	*n = arg;

	if (node_dht_sock(n) != NULL)
		ovl_dhts_input(node_dht_sock(n), from, buf, len);
}

/* Adds the port of a bound address unless it is loopback or known. */
static void
lan_add_port(struct ovl_lan_resp_cfg *c, const char *bound)
{
	struct sockaddr_storage	 ss;
	const struct sockaddr_in	*in = (const void *)&ss;
	const struct sockaddr_in6	*in6 = (const void *)&ss;
	uint16_t		 port;
	size_t			 i;

	if (node_addr_parse(bound, &ss, NULL) != 0)
		return;
	if (ss.ss_family == AF_INET) {
		if ((ntohl(in->sin_addr.s_addr) >> 24) == 127)
			return;
		port = ntohs(in->sin_port);
	} else {
		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return;
		port = ntohs(in6->sin6_port);
	}
	for (i = 0; i < c->nports; i++)
		if (c->ports[i] == port)
			return;
	if (port != 0 && c->nports < OVL_LAN_PORTS_MAX)
		c->ports[c->nports++] = port;
}

/* Starts the responder for the node's listeners. */
void
node_lan_start(struct node *n)
{
	struct ovl_lan_resp_cfg	 c;
	char			*cause = NULL;
	size_t			 i;
	int			 err;

	memset(&c, 0, sizeof(c));
	for (i = 0; n->bound != NULL && n->bound[i] != NULL; i++)
		lan_add_port(&c, n->bound[i]);
	if (c.nports == 0) {
		node_log(&n->log, NODE_LOG_INFO, "LAN discovery off: the node "
		    "listens on loopback only");
		return;
	}
	c.on_log = lan_log;
	c.on_keys_changed = lan_keys_changed;
	c.on_other = lan_other;
	c.arg = n;
	err = ovl_lan_responder_new(n->loop, &n->id, n->ks, &c, &n->lan,
	    &cause);
	if (err != 0) {
		node_log(&n->log, NODE_LOG_WARN, "%s; clients must use the "
		    "addresses in the join key", cause != NULL ? cause :
		    "cannot start LAN discovery");
		n->lan = NULL;
	}
	free(cause);
}

/* Stops the responder; done runs once it is closed. */
void
node_lan_close(struct node *n, void (*done)(void *), void *arg)
{
	struct ovl_lan_responder	*r = n->lan;

	n->lan = NULL;
	if (r == NULL) {
		done(arg);
		return;
	}
	ovl_lan_responder_close(r, done, arg);
}

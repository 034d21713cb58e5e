/*
 * The node's port mappings: one ovl_portmap per TCP port it listens on
 * over IPv4 (a wildcard or a private address; loopback and IPv6
 * listeners are not mapped), started with the node unless
 * --no-port-mapping, deleted when it stops. The log says each mapping
 * once, and a failure once (a host with no router to ask is common, so
 * the quiet retries that follow say nothing).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"
#include "reach.h"

/* The mappings of a node. */
struct node_portmaps {
	struct node		 *n;
	struct ovl_portmap	**pm;
	size_t			  count;
	size_t			  stopping;	/* stops not yet done */
	void			(*done)(struct node *);
};

/* A dial-back through a mapping, waiting for a relay's answer. */
struct verify {
	struct node	*n;
	char		 ip[64];
	uint16_t	 port;
};

/* Tells reach (node.reach, reach.json, key hints) the mappings' state. */
static void
report(struct node *n)
{
	struct ovl_portmap_status	 st;
	const struct node_portmaps	*m = n->portmaps;
	json_t				*a;
	char				 addr[80];
	size_t				 i, best = 0;

	if (n->reach == NULL)
		return;
	addr[0] = '\0';
	for (i = 0; m != NULL && i < m->count; i++) {
		ovl_portmap_status(m->pm[i], &st);
		if (st.verified == 1 && addr[0] == '\0') {
			snprintf(addr, sizeof(addr), "%s:%u", st.public_ip,
			    st.public_port);
			best = i;
		}
	}
	a = node_portmaps_json(n);
	node_reach_set_mapping(n->reach, json_array_get(a, best),
	    addr[0] != '\0' ? addr : NULL);
	json_decref(a);
}

/* A relay tried the mapped address. */
static void
on_verified(int status, const char *why, void *arg)
{
	struct verify		*v = arg;
	struct ovl_portmap	*pm;

	pm = v->n->portmaps != NULL ? node_portmap_find(v->n, v->ip,
	    v->port) : NULL;
	/* a link that went down tried nothing: the next one will */
	if (pm != NULL && status != -ECONNABORTED) {
		ovl_portmap_set_verified(pm, status == 0);
		node_log(&v->n->log, status == 0 ? NODE_LOG_INFO :
		    NODE_LOG_WARN, "port mapping %s:%u %s%s", v->ip, v->port,
		    status == 0 ? "verified by a relay's dial-back" :
		    "does not reach this node: ", status == 0 ? "" : why);
		report(v->n);
	}
	free(v);
}

/*
 * Asks a relay to dial back each mapping not yet tried; one without a
 * relay link up waits (node_portmaps_verify runs again when one comes).
 */
void
node_portmaps_verify(struct node *n)
{
	const struct node_portmaps	*m = n->portmaps;
	struct ovl_portmap_status	 st;
	struct verify			*v;
	char				 addr[80];
	size_t				 i;

	for (i = 0; m != NULL && n->reach != NULL && i < m->count; i++) {
		ovl_portmap_status(m->pm[i], &st);
		if (st.verified != -1 || st.public_port == 0)
			continue;
		v = calloc(1, sizeof(*v));
		if (v == NULL)
			return;
		v->n = n;
		snprintf(v->ip, sizeof(v->ip), "%s", st.public_ip);
		v->port = st.public_port;
		snprintf(addr, sizeof(addr), "%s:%u", st.public_ip,
		    st.public_port);
		if (node_reach_dialback(n->reach, addr, on_verified, v) != 0)
			free(v);
	}
}

/* Logs what a mapping has to say. */
static void
on_portmap(struct ovl_portmap *pm, enum ovl_pm_event ev,
    const struct ovl_portmap_status *st, void *arg)
{
	struct node	*n = arg;

	switch (ev) {
	case OVL_PM_EV_MAPPED:
		node_log(&n->log, NODE_LOG_INFO, "port mapping: %s %s:%u -> "
		    ":%u, lease %u s", st->protocol, st->public_ip,
		    st->public_port, st->internal_port, st->lease_s);
		node_portmaps_verify(n);
		break;
	case OVL_PM_EV_LOST:
		node_log(&n->log, NODE_LOG_WARN, "port mapping of :%u lost "
		    "(%s); asking again", st->internal_port, st->error);
		break;
	case OVL_PM_EV_FAILED:
		node_log(&n->log, NODE_LOG_INFO, "port mapping of :%u: no "
		    "router granted one (%s); trying again every %d minutes",
		    st->internal_port, st->error, OVL_PM_RETRY_MS / 60000);
		break;
	}
	report(n);
}

/* Whether a listen address ("HOST:PORT") is one a router could map. */
static int
mappable(const char *addr)
{
	if (addr[0] == '[')
		return (0);		/* IPv6: no NAT to ask */
	if (strncmp(addr, "127.", 4) == 0 || strncmp(addr, "localhost:", 10)
	    == 0)
		return (0);
	return (1);
}

/* Starts a mapping for each IPv4 port the node listens on. */
void
node_portmaps_start(struct node *n)
{
	struct node_portmaps	*m;
	size_t			 i, j, nbound;
	int			 port, err;

	for (nbound = 0; n->bound != NULL && n->bound[nbound] != NULL; nbound++)
		;
	m = calloc(1, sizeof(*m));
	if (m == NULL || (m->pm = calloc(nbound + 1, sizeof(*m->pm))) ==
	    NULL) {
		free(m);
		node_log(&n->log, NODE_LOG_WARN, "port mapping: out of "
		    "memory");
		return;
	}
	m->n = n;
	for (i = 0; i < nbound; i++) {
		port = ovl_server_port(n->srv, i);
		if (port <= 0 || !mappable(n->bound[i]))
			continue;
		for (j = 0; j < i; j++) {
			if (ovl_server_port(n->srv, j) == port &&
			    mappable(n->bound[j]))
				break;
		}
		if (j < i)
			continue;	/* 0.0.0.0:P and 10.0.0.2:P: one */
		err = ovl_portmap_new(n->loop, (uint16_t)port, NULL,
		    on_portmap, n, &m->pm[m->count]);
		if (err != 0) {
			node_log(&n->log, NODE_LOG_WARN, "port mapping of :%d:"
			    " %s", port, uv_strerror(err));
			continue;
		}
		m->count++;
	}
	n->portmaps = m;
}

/* One mapping has been deleted (or given up on). */
static void
on_portmap_stopped(struct ovl_portmap *pm, void *arg)
{
	struct node_portmaps	*m = arg;
	struct node		*n = m->n;
	void			(*done)(struct node *) = m->done;

	if (--m->stopping > 0)
		return;
	free(m->pm);
	free(m);
	n->portmaps = NULL;
	done(n);
}

/* Deletes every mapping; done runs once all are deleted. */
void
node_portmaps_stop(struct node *n, void (*done)(struct node *))
{
	struct node_portmaps		*m = n->portmaps;
	struct ovl_portmap_status	 st;
	size_t				 i;

	if (m == NULL || m->count == 0) {
		if (m != NULL) {
			free(m->pm);
			free(m);
			n->portmaps = NULL;
		}
		done(n);
		return;
	}
	m->done = done;
	m->stopping = m->count;
	for (i = 0; i < m->count; i++) {
		ovl_portmap_status(m->pm[i], &st);
		if (st.public_port != 0)
			node_log(&n->log, NODE_LOG_INFO, "port mapping: "
			    "removing %s %s:%u", st.protocol, st.public_ip,
			    st.public_port);
		ovl_portmap_stop(m->pm[i], on_portmap_stopped, m);
	}
}

/* The node's mappings, for status replies: a JSON array. */
json_t *
node_portmaps_json(const struct node *n)
{
	const struct node_portmaps	*m = n->portmaps;
	struct ovl_portmap_status	 st;
	json_t				*a, *o;
	size_t				 i;

	a = json_array();
	for (i = 0; a != NULL && m != NULL && i < m->count; i++) {
		ovl_portmap_status(m->pm[i], &st);
		o = json_pack("{s:s, s:s?, s:s?, s:i, s:s?, s:i, s:i, s:i, "
		    "s:o, s:s?}", "state", ovl_portmap_state_name(st.state),
		    "protocol", st.protocol, "gateway", st.gateway[0] != '\0' ?
		    st.gateway : NULL, "internal_port", (int)st.internal_port,
		    "public_ip", st.public_ip[0] != '\0' ? st.public_ip : NULL,
		    "public_port", (int)st.public_port, "lease_s",
		    (int)st.lease_s, "expires_s", (int)st.expires_s,
		    "verified", st.verified < 0 ? json_null() :
		    json_boolean(st.verified), "error", st.error[0] != '\0' ?
		    st.error : NULL);
		if (o != NULL)
			json_array_append_new(a, o);
	}
	return (a);
}

/* The mapping of a public address, or NULL (to mark it verified). */
struct ovl_portmap *
node_portmap_find(const struct node *n, const char *ip, uint16_t port)
{
	const struct node_portmaps	*m = n->portmaps;
	struct ovl_portmap_status	 st;
	size_t				 i;

	for (i = 0; m != NULL && i < m->count; i++) {
		ovl_portmap_status(m->pm[i], &st);
		if (st.public_port == port && strcmp(st.public_ip, ip) == 0)
			return (m->pm[i]);
	}
	return (NULL);
}

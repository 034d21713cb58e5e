/*
 * The running node's reach: its links to the relays of the relays file
 * (each an overlay connection made with the relay's join key, kept with
 * backoff; a channel the relay opens on it is a client spliced through,
 * handed to our server), the relay service it gives other nodes that
 * hold one of its relay keys, and what it knows of itself (listeners,
 * the public address a relay sees, the port mapping), reported by
 * node.reach and written to reach.json for `pierd status` and for the
 * hints of join keys printed while it runs.
 *
 * On a link the node is the client: it asks relay.hello once up (the
 * relay answers with the link's address as it sees it) and
 * relay.dialback to check a port mapping.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "node.h"
#include "reach.h"

#define HELLO_ID	1	/* the id of relay.hello; dial-backs follow */
#define DIALBACKS_MAX	4

/* Link states, as reports name them. */
enum link_state { LINK_CONNECTING, LINK_UP, LINK_DOWN };
static const char *const link_state_names[] = { "connecting", "up", "down" };

/* A dial-back waiting for the relay's answer. */
struct dialback {
	json_int_t	 id;		/* 0: free */
	void		(*cb)(int, const char *, void *);
	void		*arg;
};

/* A link to one relay. */
struct rlink {
	struct node_reach	*r;
	struct node_relay_ent	 ent;
	struct ovl_keeper	*keep;
	struct ovl_conn		*conn;		/* while up */
	enum link_state		 state;
	int64_t			 since;		/* unix seconds of the state */
	char			 error[200];
	char			 observed[64];	/* as the relay sees us */
	struct proto_dec	 dec;
	json_int_t		 next_id;
	struct dialback		 dbs[DIALBACKS_MAX];
};

struct node_reach {
	struct node		*n;
	struct ovl_relay	*relay;
	struct rlink		*links[NODE_RELAYS_MAX];
	size_t			 nlinks;
	json_t			*mapping;	/* owned, or NULL */
	int			 closing;	/* node_reach_free runs */
	char			 mapped[OVL_ADDR_MAX];	/* verified public */
};

static void	reach_write(struct node_reach *);

/* Fails the dial-backs still waiting on a link. */
static void
fail_dialbacks(struct rlink *l, const char *why)
{
	struct dialback db;
	size_t i;

	for (i = 0; i < DIALBACKS_MAX; i++) {
		if (l->dbs[i].id == 0)
			continue;
		db = l->dbs[i];
		l->dbs[i].id = 0;
		db.cb(-ECONNABORTED, why, db.arg);
	}
}

/* A reply on the link's control channel. */
static int
link_on_msg(void *arg, const char *body, size_t len)
{
	struct rlink *l = arg;
	struct proto_msg m;
	struct dialback db;
	const char *s;
	char *cause = NULL;
	size_t i;

	if (proto_msg_parse(&m, body, len, 16, &cause) != 0 ||
	    (m.kind != PROTO_RESULT && m.kind != PROTO_ERROR) ||
	    !json_is_integer(m.id)) {
		free(cause);
		proto_msg_clear(&m);
		return (0);
	}
	if (json_integer_value(m.id) == HELLO_ID && m.kind == PROTO_RESULT) {
		s = json_string_value(json_object_get(m.result, "observed"));
		snprintf(l->observed, sizeof l->observed, "%s",
		    s != NULL ? s : "");
		node_log(&l->r->n->log, NODE_LOG_INFO, "relay %s: link up; the "
		    "relay sees this node at %s", l->ent.name, l->observed);
		reach_write(l->r);
		node_portmaps_verify(l->r->n);
	}
	for (i = 0; i < DIALBACKS_MAX; i++) {
		if (l->dbs[i].id != json_integer_value(m.id))
			continue;
		db = l->dbs[i];
		l->dbs[i].id = 0;
		db.cb(m.kind == PROTO_RESULT ? 0 : -EIO, m.kind == PROTO_RESULT ?
		    "answered" : m.message, db.arg);
	}
	proto_msg_clear(&m);
	return (0);
}

/* Bytes on the link's control channel. */
static void
ctl_on_data(struct ovl_chan *ch, const uint8_t *buf, size_t len, void *arg)
{
	struct rlink *l = arg;

	(void)ch;
	if (len > 0 && proto_dec_feed(&l->dec, buf, len, link_on_msg, l) != 0)
		ovl_conn_close(l->conn, OVL_GA_PROTOCOL, "bad reply");
}

static const struct ovl_chan_cbs link_ctl_cbs = { .on_data = ctl_on_data };

/* The relay opened a channel: a client comes through it. */
static void
link_on_chan(struct ovl_conn *c, struct ovl_chan *ch, void *arg)
{
	struct rlink *l = arg;

	(void)c;
	ovl_server_accept_splice(l->r->n->srv, ch, l->ent.name);
}

static const struct ovl_conn_cbs link_conn_cbs = {
	.on_chan_open = link_on_chan,
};

/* Sends a request on the link's control channel. */
static int
link_call(struct rlink *l, json_int_t id, const char *method, json_t *params)
{
	json_t *msg;
	char *buf = NULL;
	size_t len;
	int err;

	msg = proto_request_new(id, method, params);
	if (msg == NULL)
		return (-ENOMEM);
	err = proto_encode(msg, 0, &buf, &len);
	json_decref(msg);
	if (err == 0)
		err = ovl_chan_write(ovl_conn_control(l->conn), buf, len);
	free(buf);
	return (err);
}

/* The keeper's news about a link. */
static void
on_keep(struct ovl_keeper *k, enum ovl_keep_event ev, struct ovl_conn *conn,
    int status, const char *cause, void *arg)
{
	struct rlink *l = arg;

	(void)k;
	l->since = (int64_t)time(NULL);
	if (ev == OVL_KEEP_CONNECTED) {
		l->conn = conn;
		l->state = LINK_UP;
		l->error[0] = '\0';
		proto_dec_free(&l->dec);
		proto_dec_init(&l->dec, 0);
		ovl_conn_set_cbs(conn, &link_conn_cbs, l);
		ovl_conn_set_max_chans(conn, OVL_RELAY_PER_TARGET + 8);
		ovl_chan_set_cbs(ovl_conn_control(conn), &link_ctl_cbs, l);
		if (link_call(l, HELLO_ID, "relay.hello", NULL) != 0)
			ovl_conn_close(conn, OVL_GA_INTERNAL, "out of memory");
	} else {
		if (l->state == LINK_UP)
			node_log(&l->r->n->log, NODE_LOG_WARN, "relay %s: "
			    "link down (%s); reconnecting", l->ent.name,
			    cause != NULL ? cause : strerror(-status));
		l->conn = NULL;
		l->state = LINK_DOWN;
		snprintf(l->error, sizeof l->error, "%s", cause != NULL ?
		    cause : strerror(-status));
		fail_dialbacks(l, "the relay link went down");
	}
	reach_write(l->r);
}

/* Starts keeping a link to a relay. */
static struct rlink *
link_new(struct node_reach *r, const struct node_relay_ent *e)
{
	struct ovl_keep_cfg cfg;
	struct rlink *l;
	const char *addrs[OVL_JOINKEY_MAX_ADDRS];
	size_t i;
	int err;

	l = calloc(1, sizeof *l);
	if (l == NULL)
		return (NULL);
	l->r = r;
	l->ent = *e;
	l->state = LINK_CONNECTING;
	l->since = (int64_t)time(NULL);
	l->next_id = HELLO_ID + 1;
	proto_dec_init(&l->dec, 0);
	for (i = 0; i < e->jk.naddrs; i++)
		addrs[i] = e->jk.addrs[i];
	memset(&cfg, 0, sizeof cfg);
	ovl_limits_default(&cfg.dial.lim);
	cfg.dial.lim.mux.max_chans = OVL_RELAY_PER_TARGET + 8;
	err = ovl_keep_new(r->n->loop, &r->n->id, e->jk.node_pub, e->jk.secret,
	    addrs, e->jk.naddrs, "pierd relay link", &cfg, on_keep, l,
	    &l->keep);
	if (err != 0) {
		node_log(&r->n->log, NODE_LOG_WARN, "relay %s: cannot start "
		    "its link: %s", e->name, strerror(-err));
		proto_dec_free(&l->dec);
		sodium_memzero(l, sizeof *l);
		free(l);
		return (NULL);
	}
	node_log(&r->n->log, NODE_LOG_INFO, "relay %s: linking to %s",
	    e->name, e->jk.naddrs > 0 ? e->jk.addrs[0] : "?");
	return (l);
}

/* Stops a link. */
static void
link_free(struct rlink *l)
{
	fail_dialbacks(l, "the relay was removed");
	ovl_keep_free(l->keep);
	proto_dec_free(&l->dec);
	sodium_memzero(l, sizeof *l);
	free(l);
}

/* Whether two entries name the same relay with the same key. */
static int
same_relay(const struct node_relay_ent *a, const struct node_relay_ent *b)
{
	return (strcmp(a->name, b->name) == 0 &&
	    sodium_memcmp(&a->jk, &b->jk, sizeof a->jk) == 0);
}

/* Links follow the relays file: kept, dropped, added. */
void
node_reach_reload(struct node_reach *r)
{
	struct node_relay_ent ents[NODE_RELAYS_MAX];
	struct rlink *keep[NODE_RELAYS_MAX];
	char *cause = NULL;
	size_t n = 0, i, j, nkeep = 0;

	if (node_relays_load(r->n->state_dir, ents, &n, &cause) != 0) {
		node_log(&r->n->log, NODE_LOG_WARN, "cannot read the relays: "
		    "%s", cause != NULL ? cause : "?");
		free(cause);
		return;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < r->nlinks; j++)
			if (r->links[j] != NULL &&
			    same_relay(&r->links[j]->ent, &ents[i]))
				break;
		if (j < r->nlinks) {
			keep[nkeep++] = r->links[j];
			r->links[j] = NULL;
		} else if ((keep[nkeep] = link_new(r, &ents[i])) != NULL)
			nkeep++;
	}
	for (j = 0; j < r->nlinks; j++) {
		if (r->links[j] == NULL)
			continue;
		node_log(&r->n->log, NODE_LOG_INFO, "relay %s: removed",
		    r->links[j]->ent.name);
		link_free(r->links[j]);
	}
	memcpy(r->links, keep, nkeep * sizeof keep[0]);
	r->nlinks = nkeep;
	sodium_memzero(ents, sizeof ents);
	reach_write(r);
}

/* Starts the relay service and the links. */
int
node_reach_new(struct node *n, const struct ovl_relay_limits *lim,
    struct node_reach **out)
{
	struct node_reach *r;
	int err;

	*out = NULL;
	r = calloc(1, sizeof *r);
	if (r == NULL)
		return (-ENOMEM);
	r->n = n;
	err = ovl_relay_new(n->loop, lim, &r->relay);
	if (err != 0) {
		free(r);
		return (err);
	}
	ovl_server_set_relay(n->srv, r->relay);
	*out = r;
	node_reach_reload(r);
	return (0);
}

/* Stops everything. */
void
node_reach_free(struct node_reach *r)
{
	size_t i;
	char path[4096];

	if (r == NULL)
		return;
	r->closing = 1;		/* callbacks of failed dial-backs: no reports */
	for (i = 0; i < r->nlinks; i++)
		link_free(r->links[i]);
	if (r->n->srv != NULL)
		ovl_server_set_relay(r->n->srv, NULL);
	ovl_relay_free(r->relay);
	json_decref(r->mapping);
	snprintf(path, sizeof path, "%s/%s", r->n->state_dir,
	    NODE_REACH_FILE);
	(void)unlink(path);
	free(r);
}

/* The relay service. */
struct ovl_relay *
node_reach_relay(struct node_reach *r)
{
	return (r != NULL ? r->relay : NULL);
}

/* The links, for reports. */
static json_t *
links_json(const struct node_reach *r)
{
	const struct rlink *l;
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < r->nlinks; i++) {
		l = r->links[i];
		(void)json_array_append_new(a, json_pack("{s:s, s:s, s:s, "
		    "s:s?, s:I, s:s?}", "name", l->ent.name, "address",
		    l->ent.jk.naddrs > 0 ? l->ent.jk.addrs[0] : "",
		    "state", link_state_names[l->state], "observed",
		    l->observed[0] != '\0' ? l->observed : NULL, "since",
		    (json_int_t)l->since, "error", l->error[0] != '\0' ?
		    l->error : NULL));
	}
	return (a);
}

/* The public address a relay sees, or NULL. */
static const char *
public_addr(const struct node_reach *r)
{
	size_t i;

	for (i = 0; i < r->nlinks; i++)
		if (r->links[i]->state == LINK_UP &&
		    r->links[i]->observed[0] != '\0')
			return (r->links[i]->observed);
	return (NULL);
}

/* The public address a relay sees, or NULL. */
const char *
node_reach_public(const struct node_reach *r)
{
	return (r != NULL ? public_addr(r) : NULL);
}

/* The verified mapped address, or NULL. */
const char *
node_reach_mapped(const struct node_reach *r)
{
	return (r != NULL && r->mapped[0] != '\0' ? r->mapped : NULL);
}

/* What node.reach answers. */
json_t *
node_reach_json(struct node_reach *r)
{
	struct ovl_relay_stats st;
	struct ovl_server_stats ss;
	json_t *o, *listen;
	size_t i, live;
	uint64_t total;

	listen = json_array();
	for (i = 0; r->n->bound != NULL && r->n->bound[i] != NULL; i++)
		(void)json_array_append_new(listen,
		    json_string(r->n->bound[i]));
	ovl_relay_stats(r->relay, &st);
	ovl_server_splice_counts(r->n->srv, &live, &total);
	ovl_server_stats(r->n->srv, &ss);
	o = json_pack("{s:o, s:s?, s:O?, s:s?, s:o, s:{s:I, s:I, s:I, s:I, "
	    "s:I}, s:{s:I, s:I, s:I}}", "listen", listen, "public",
	    public_addr(r), "mapping", r->mapping, "mapped",
	    r->mapped[0] != '\0' ? r->mapped : NULL, "relays", links_json(r),
	    "relaying", "links", (json_int_t)st.links, "splices",
	    (json_int_t)st.splices, "spliced", (json_int_t)st.spliced,
	    "unknown", (json_int_t)st.unknown, "refused",
	    (json_int_t)st.refused, "relayed", "live", (json_int_t)live,
	    "total", (json_int_t)total, "moved", (json_int_t)ss.moved);
	if (o != NULL && r->mapping == NULL)
		(void)json_object_set_new(o, "mapping", json_null());
	if (o != NULL)
		(void)json_object_set_new(o, "dht", r->n->dht != NULL ?
		    node_dht_json(r->n) : json_null());
	return (o);
}

/* Writes reach.json (atomically) for `pierd status` and key hints. */
static void
reach_write(struct node_reach *r)
{
	char path[4096], tmp[4112];
	json_t *o;
	int fd;

	if (r->closing)
		return;
	o = node_reach_json(r);
	if (o == NULL)
		return;
	(void)json_object_set_new(o, "pid", json_integer((json_int_t)getpid()));
	(void)json_object_set_new(o, "updated",
	    json_integer((json_int_t)time(NULL)));
	(void)json_object_set_new(o, "node", json_string(r->n->fingerprint));
	snprintf(path, sizeof path, "%s/%s", r->n->state_dir, NODE_REACH_FILE);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0 && json_dumpfd(o, fd, JSON_INDENT(2)) == 0 &&
	    close(fd) == 0)
		(void)rename(tmp, path);
	else if (fd >= 0) {
		(void)close(fd);
		(void)unlink(tmp);
	}
	json_decref(o);
}

/* Something reports show changed: reach.json again. */
void
node_reach_changed(struct node_reach *r)
{
	if (r != NULL)
		reach_write(r);
}

/* Asks a connected relay to dial back addr. */
int
node_reach_dialback(struct node_reach *r, const char *addr,
    void (*cb)(int, const char *, void *), void *arg)
{
	struct rlink *l = NULL;
	uint8_t tok[OVL_PROBE_LEN];
	char hex[2 * OVL_PROBE_LEN + 1];
	size_t i, k;
	int err;

	for (i = 0; i < r->nlinks && l == NULL && !r->closing; i++)
		if (r->links[i]->state == LINK_UP)
			l = r->links[i];
	if (l == NULL)
		return (-ENOTCONN);
	for (k = 0; k < DIALBACKS_MAX && l->dbs[k].id != 0; k++)
		;
	if (k == DIALBACKS_MAX)
		return (-EBUSY);
	ovl_server_probe_token(r->n->srv, tok);
	sodium_bin2hex(hex, sizeof hex, tok, sizeof tok);
	err = link_call(l, l->next_id, "relay.dialback", json_pack("{s:s, "
	    "s:s}", "address", addr, "token", hex));
	if (err != 0)
		return (err);
	l->dbs[k].id = l->next_id++;
	l->dbs[k].cb = cb;
	l->dbs[k].arg = arg;
	return (0);
}

/* Notes the port mapping's state for reports. */
void
node_reach_set_mapping(struct node_reach *r, json_t *mapping,
    const char *verified_public)
{
	json_decref(r->mapping);
	r->mapping = mapping != NULL ? json_deep_copy(mapping) : NULL;
	snprintf(r->mapped, sizeof r->mapped, "%s", verified_public != NULL ?
	    verified_public : "");
	reach_write(r);
}

/*
 * Finding a node beside the dial: while the dial tries the address that
 * answered last and the join key's hints, the client asks the LAN
 * (overlay/lan-probe.c) and the mainline DHT at once, and each answer
 * becomes one more candidate of the dial ("lan+HOST:PORT",
 * "dht+HOST:PORT"). The DHT lookup is short-lived: a node of its own on
 * a port of the kernel's choosing, read-only (BEP 43), its table kept
 * in the config dir (dht.dat) so the next lookup starts warm, looking up
 * the key's hash of today (and of the day beyond midnight when near
 * it) for at most CLI_DHT_MS: the dial waits that long for it, and
 * gives each address found CLI_TIMEOUT_MS. Each address found is also
 * dialed as one half of a TCP simultaneous open ("punch+", from the TCP
 * port of the DHT socket's number), after a knock (docs/PROTOCOL.md):
 * the client announces the key's knock hash of the minute from its DHT
 * socket, the node finds it within its poll interval (15 s) and dials
 * back from its listen port, so the dial then waits up to CLI_PUNCH_MS.
 * Before waiting for the punch it checks that one can work: it announces
 * a random hash from the same socket and looks it up, and two storing
 * nodes that saw two ports mean a symmetric NAT here, so the dial stops
 * waiting. It also looks up the key's relay hash, which the node's
 * relays announce, and dials each relay found ("relay+"). It is
 * off with `pier config set dht false`; PIER_DHT_BOOTSTRAP or the
 * dht.bootstrap setting (HOST:PORT, comma-separated) replace the
 * default routers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cli.h"

#define FIND_DHT_FILE	"dht.dat"

struct cli_find {
	uv_loop_t		*loop;
	struct ovl_dial		*d;
	struct ovl_lan_probe	*lan;
	struct ovl_dhts		*dht;
	char			*dir;		/* to save the table */
	uint64_t		 lan_until;	/* uv_now */
	uint64_t		 dht_until;
	uint64_t		 deadline;	/* the dial's, as it grows */
	uint64_t		 need;		/* ... as the candidates need */
	uint64_t		 need_np;	/* ... without the punch */
	size_t			 lookups;	/* running */
	size_t			 found;		/* peers the DHT gave */
	size_t			 relays;	/* relays it gave */
	char			 first[OVL_ADDR_MAX];
	uint8_t			 probe[OVL_DHT_ID_LEN];	/* our mapping's */
	struct ovl_dht_addr	 self;		/* ... as one node saw it */
	int			 symmetric;	/* ... and another saw */
	int			 probing;	/* the probe started */
	uint8_t			 knock[OVL_DHT_ID_LEN];	/* this minute's */
	int			 knocked;
	int			 punch_wanted;	/* a punch+ candidate was added */
	void			(*on_found)(const char *, void *); /* no d */
	void			*arg;
	uv_timer_t		 timer;		/* the DHT's delay */
	int			 refs;		/* timer, DHT socket */
	int			 dht_wanted;	/* on, not started yet */
	uint8_t			 node_pub[OVL_KEY_LEN];
	uint8_t			 secret[OVL_KEY_LEN];
};

/* A candidate found: to the dial, or to the collector. */
static int
find_add(struct cli_find *f, const char *cand)
{
	if (f->on_found != NULL) {
		f->on_found(cand, f->arg);
		return (0);
	}
	return (f->d != NULL ? ovl_dial_add(f->d, cand) : -ECANCELED);
}

/* Whether the DHT is on (the dht setting, default true). */
static int
dht_enabled(const char *dir)
{
	return (cli_setting_on(dir, "dht"));
}

/* The dial's deadline moves to at least ms from now. */
static void
find_extend(struct cli_find *f, uint64_t ms)
{
	uint64_t now = uv_now(f->loop);

	if (f->need < now + ms && (ms <= CLI_TIMEOUT_MS || ms ==
	    CLI_PUNCH_MS))
		f->need = now + ms;
	if (f->need_np < now + ms && ms <= CLI_TIMEOUT_MS)
		f->need_np = now + ms;
	if (f->d == NULL || now + ms <= f->deadline)
		return;
	f->deadline = now + ms;
	ovl_dial_deadline(f->d, (uint32_t)ms);
}

/* A LAN answer: one more candidate for the dial. */
static void
on_lan_found(struct ovl_lan_probe *p, const char *addr, void *arg)
{
	struct cli_find *f = arg;
	char cand[OVL_ADDR_MAX + 8];

	(void)p;
	snprintf(cand, sizeof cand, "lan+%s", addr);
	/* A duplicate or one past the dial's room is simply not tried. */
	(void)find_add(f, cand);
}

/* The LAN prober's gate: no round while a dial's address answers. */
static int
lan_gate(void *arg)
{
	struct cli_find *f = arg;

	return (f->d != NULL && ovl_dial_answered(f->d));
}

static void	probe_start(struct cli_find *);
static void	find_if_symmetric(struct cli_find *);

/* The knock's announce is done: the node looks; we probe our NAT. */
static void
on_knocked(void *arg, const uint8_t *ih, const struct ovl_dht_addr *p,
    size_t n, int done)
{
	(void)ih;
	(void)p;
	(void)n;
	if (!done)
		return;
	find_if_symmetric(arg);
	probe_start(arg);
}

/* The lookups are over: the dial waits no longer than its candidates. */
static void
find_settle(struct cli_find *f)
{
	uint64_t now = uv_now(f->loop);

	/* hold only for the LAN's answers */
	ovl_dial_hold(f->d, f->lan_until > now ?
	    (uint32_t)(f->lan_until - now) : 0);
	f->deadline = f->need;
	ovl_dial_deadline(f->d, f->need > now ? (uint32_t)(f->need - now) :
	    0);
}

/*
 * Once our NAT is known to be symmetric (the probe below, or the `ip`
 * votes of the DHT's responders, BEP 42, where they send them), the
 * punch is not waited for.
 */
static void
find_if_symmetric(struct cli_find *f)
{
	struct ovl_dht_addr ext;
	int sym = 0;

	if (!f->symmetric && f->dht != NULL && ovl_dhts_node(f->dht) != NULL &&
	    ovl_dht_external(ovl_dhts_node(f->dht), &ext, &sym) == 0 && sym)
		f->symmetric = 1;
	if (!f->symmetric || f->d == NULL || !f->knocked)
		return;
	f->knocked = 0;			/* no punch to wait for */
	f->dht_until = uv_now(f->loop);
	f->need = f->need_np;
	if (f->lookups == 0)
		find_settle(f);
}

/*
 * Our own probe hash as the DHT stored it: each storing node recorded
 * the address our DHT socket's packets came from. Two ports for one IP
 * mean a NAT that maps each destination apart (symmetric): the node's
 * punch aims at a mapping our TCP connect will not use, so waiting for
 * it is pointless.
 */
static void
on_probe_peers(void *arg, const uint8_t *ih, const struct ovl_dht_addr *p,
    size_t n, int done)
{
	struct cli_find *f = arg;
	size_t i;

	(void)ih;
	(void)done;
	for (i = 0; i < n && !f->symmetric; i++) {
		if (f->self.port == 0)
			f->self = p[i];
		else if (memcmp(f->self.ip, p[i].ip, 4) == 0 &&
		    f->self.port != p[i].port)
			f->symmetric = 1;
	}
	find_if_symmetric(f);
}

/* The probe's announce is done: look it up. */
static void
on_probe_announced(void *arg, const uint8_t *ih, const struct ovl_dht_addr *p,
    size_t n, int done)
{
	struct cli_find *f = arg;

	(void)p;
	(void)n;
	if (done && f->dht != NULL &&
	    ovl_dhts_lookup(f->dht, ih, 0, 0, on_probe_peers, f) != 0)
		return;	/* no room: no verdict, and the punch is waited for */
}

/*
 * Learns whether our NAT lets a punch work at all, once the knock is
 * out (a lookup slot is free then): announce the random probe hash from
 * the DHT socket, then look it up (on_probe_peers).
 */
static void
probe_start(struct cli_find *f)
{
	if (f->probing || f->dht == NULL || !f->knocked)
		return;
	if (ovl_dhts_lookup(f->dht, f->probe, 1, ovl_dhts_port(f->dht),
	    on_probe_announced, f) == 0)
		f->probing = 1;
}

/*
 * Knocks once a punch is wanted and the DHT has a lookup free. Near
 * midnight the key's hashes of two days (and their relay hashes) take
 * every lookup at first; then the knock starts when one of them ends.
 */
static void
knock_start(struct cli_find *f)
{
	if (f->knocked || !f->punch_wanted || f->dht == NULL)
		return;
	if (ovl_dhts_lookup(f->dht, f->knock, 1, ovl_dhts_port(f->dht),
	    on_knocked, f) == 0) {
		f->knocked = 1;
		randombytes_buf(f->probe, sizeof f->probe);
	}
}

/*
 * The node's address is known but maybe not reachable: knock (announce
 * the knock hash from the DHT socket, so the node learns this socket's
 * public address) and dial the address from the TCP port of the same
 * number, one half of a simultaneous open; wait CLI_PUNCH_MS for it.
 */
static void
find_punch(struct cli_find *f, const char *hostport)
{
	char cand[OVL_ADDR_MAX + 8];
	uint16_t port = ovl_dhts_port(f->dht);

	snprintf(cand, sizeof cand, "punch+%s", hostport);
	if (f->d == NULL || ovl_dial_add_punch(f->d, cand, port) != 0)
		return;
	f->punch_wanted = 1;
	knock_start(f);
	f->dht_until = uv_now(f->loop) + CLI_PUNCH_MS;
	find_extend(f, CLI_PUNCH_MS);
	ovl_dial_hold(f->d, CLI_PUNCH_MS);
}

/*
 * Peers of the key's hash (the node, kind "dht+": each is also punched)
 * or of its relay hash (relays that splice to it, "relay+"): candidates;
 * at the end of the lookups, the hold shrinks.
 */
static void
take_peers(struct cli_find *f, const struct ovl_dht_addr *p, size_t n,
    int done, int relay)
{
	const char *kind = relay ? "relay+" : "dht+";
	char cand[OVL_ADDR_MAX];
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		snprintf(cand, sizeof cand, "%s%u.%u.%u.%u:%u", kind,
		    p[i].ip[0], p[i].ip[1], p[i].ip[2], p[i].ip[3], p[i].port);
		/* -EEXIST: the same address, cached or a hint. */
		rc = find_add(f, cand);
		if (rc != 0 && rc != -EEXIST)
			continue;
		/* A found address gets a dial's whole time. */
		find_extend(f, CLI_TIMEOUT_MS);
		if (relay) {
			f->relays++;
			continue;
		}
		if (f->found++ == 0)
			snprintf(f->first, sizeof f->first, "%s",
			    cand + strlen(kind));
		if (!f->symmetric)
			find_punch(f, cand + strlen(kind));
	}
	if (done) {
		/* A lookup ended: its slot is free for what waits. */
		knock_start(f);
		probe_start(f);
	}
	if (!done || --f->lookups > 0 || f->d == NULL || f->knocked)
		return;
	find_settle(f);
}

/* Peers of the key's hash. */
static void
on_dht_peers(void *arg, const uint8_t *ih, const struct ovl_dht_addr *p,
    size_t n, int done)
{
	(void)ih;
	take_peers(arg, p, n, done, 0);
}

/* Peers of the key's relay hash. */
static void
on_relay_peers(void *arg, const uint8_t *ih, const struct ovl_dht_addr *p,
    size_t n, int done)
{
	(void)ih;
	take_peers(arg, p, n, done, 1);
}

/* The bootstrap list: PIER_DHT_BOOTSTRAP, dht.bootstrap or the routers. */
static size_t
dht_bootstrap(const char *dir, char *buf, size_t len, const char **out,
    size_t max)
{
	static const char *const routers[] = { OVL_DHT_ROUTERS };
	const char *env = getenv("PIER_DHT_BOOTSTRAP");
	char *v = NULL, *p, *tok, *save = NULL;
	size_t n = 0;

	if (env == NULL && dir != NULL &&
	    cli_setting_get(dir, "dht.bootstrap", &v, NULL) != 0)
		v = NULL;
	if (env == NULL && v == NULL) {
		for (n = 0; n < sizeof routers / sizeof routers[0]; n++)
			out[n] = routers[n];
		return (n);
	}
	snprintf(buf, len, "%s", env != NULL ? env : v);
	free(v);
	for (p = buf; n < max && (tok = strtok_r(p, ", ", &save)) != NULL;
	    p = NULL)
		out[n++] = tok;
	return (n);
}

/* Starts the DHT lookup of the key's current hashes. */
static void
find_dht(struct cli_find *f)
{
	struct ovl_dhts_cfg c;
	const char *boot[OVL_DHT_BOOTSTRAP_MAX];
	char buf[1024], path[4096];
	uint8_t ih[OVL_DHT_ID_LEN], *saved = NULL;
	int64_t days[2];
	size_t savedlen = 0, nd, i;

	memset(&c, 0, sizeof c);
	c.nbootstrap = dht_bootstrap(f->dir, buf, sizeof buf, boot,
	    OVL_DHT_BOOTSTRAP_MAX);
	c.bootstrap = boot;
	snprintf(path, sizeof path, "%s/%s", f->dir, FIND_DHT_FILE);
	if (ovl_dhts_load(path, &saved, &savedlen) != 0)
		savedlen = 0;
	c.saved = saved;
	c.savedlen = savedlen;
	c.read_only = 1;
	if (ovl_dhts_new(f->loop, &c, &f->dht, NULL) != 0)
		f->dht = NULL;
	free(saved);
	if (f->dht == NULL)
		return;
	f->refs++;
	f->dht_wanted = 0;
	ovl_dht_knock_hash(f->secret, f->node_pub, (int64_t)time(NULL) / 60,
	    f->knock);
	nd = ovl_dht_key_days((int64_t)time(NULL), days);
	for (i = 0; i < nd; i++) {
		ovl_dht_key_hash(f->secret, f->node_pub, days[i], ih);
		if (ovl_dhts_lookup(f->dht, ih, 0, 0, on_dht_peers, f) == 0)
			f->lookups++;
		ovl_dht_relay_hash(f->secret, f->node_pub, days[i], ih);
		if (ovl_dhts_lookup(f->dht, ih, 0, 0, on_relay_peers, f) == 0)
			f->lookups++;
	}
	f->dht_until = uv_now(f->loop) + CLI_DHT_MS;
}

/* The dial did not get through at once: ask the DHT too. */
static void
on_dht_delay(uv_timer_t *t)
{
	struct cli_find *f = container_of(t, struct cli_find, timer);

	if (!f->dht_wanted || f->d == NULL)
		return;
	find_dht(f);
	if (f->lookups > 0) {
		find_extend(f, CLI_DHT_MS);
		ovl_dial_hold(f->d, CLI_DHT_MS);
	}
}

/* Starts asking the LAN and the DHT. */
static struct cli_find *
find_new(uv_loop_t *loop, const struct ovl_joinkey *jk, struct ovl_dial *d,
    size_t naddrs, void (*on_found)(const char *, void *), void *arg)
{
	struct cli_find *f;

	if ((f = calloc(1, sizeof *f)) == NULL)
		return (NULL);
	f->loop = loop;
	f->d = d;
	f->on_found = on_found;
	f->arg = arg;
	f->dir = cli_config_dir();
	memcpy(f->node_pub, jk->node_pub, OVL_KEY_LEN);
	memcpy(f->secret, jk->secret, OVL_KEY_LEN);
	(void)uv_timer_init(loop, &f->timer);
	f->refs = 1;
	/*
	 * With addresses to try, the LAN's first packets go a moment
	 * later (the prober's sockets are made then), so a dial that gets
	 * through at once never asks (every round lists the host's
	 * interfaces and sends on each), and a round is skipped while an
	 * address answers: on a busy host, 50 handshakes of a fan-out take
	 * longer than the delay. A failed handshake lets the next ask.
	 */
	if (ovl_lan_probe_start_after(loop, jk->node_pub, jk->secret,
	    naddrs == 0 ? 0 : CLI_LAN_DELAY_MS, OVL_LAN_PROBE_MS,
	    on_lan_found, f, &f->lan) != 0)
		f->lan = NULL;
	else if (naddrs > 0)
		ovl_lan_probe_set_gate(f->lan, lan_gate);
	if (f->lan != NULL)
		f->lan_until = uv_now(loop) + (naddrs == 0 ?
		    OVL_LAN_PROBE_MS : CLI_LAN_HOLD_MS);
	f->deadline = f->need = uv_now(loop) + CLI_TIMEOUT_MS;
	f->need_np = f->need;
	f->dht_wanted = f->dir != NULL && dht_enabled(f->dir) &&
	    cli_config_dir_make(f->dir, NULL) == 0;
	/* The same for the DHT: no node, socket or lookup for a quick dial. */
	if (f->dht_wanted && (naddrs == 0 || d == NULL))
		find_dht(f);
	else if (f->dht_wanted)
		(void)uv_timer_start(&f->timer, on_dht_delay,
		    CLI_DHT_DELAY_MS, 0);
	return (f);
}

/* Asks the LAN and the DHT for the node beside dial d. */
struct cli_find *
cli_find_start(uv_loop_t *loop, const struct ovl_joinkey *jk,
    struct ovl_dial *d, size_t naddrs)
{
	struct cli_find *f;
	uint64_t hold;

	if ((f = find_new(loop, jk, d, naddrs, NULL, NULL)) == NULL)
		return (NULL);
	if (f->lookups > 0)
		find_extend(f, CLI_DHT_MS);
	hold = f->lookups > 0 ? f->dht_until : f->lan_until;
	/* A dial whose addresses fail at once waits for the DHT's start. */
	if (f->dht_wanted && hold < uv_now(loop) + CLI_DHT_DELAY_MS + 50)
		hold = uv_now(loop) + CLI_DHT_DELAY_MS + 50;
	if (hold > uv_now(loop))
		ovl_dial_hold(d, (uint32_t)(hold - uv_now(loop)));
	return (f);
}

/* Asks the LAN and the DHT, each candidate to on_found (pier doctor). */
struct cli_find *
cli_find_collect(uv_loop_t *loop, const struct ovl_joinkey *jk,
    void (*on_found)(const char *cand, void *arg), void *arg)
{
	return (find_new(loop, jk, NULL, 0, on_found, arg));
}

/* Whether everything asked has answered or run out of time. */
int
cli_find_over(const struct cli_find *f)
{
	uint64_t now = uv_now(f->loop);

	return (now >= f->lan_until && (f->lookups == 0 ||
	    now >= f->dht_until));
}

/* Says what was asked, for a failure's message ("" when nothing). */
void
cli_find_tried(const struct cli_find *f, char *buf, size_t len)
{
	if (f == NULL) {
		snprintf(buf, len, "%s", "");
		return;
	}
	if (f->dht == NULL)
		snprintf(buf, len, "%s", f->lan != NULL || f->lan_until != 0 ?
		    "; asked the LAN" : "");
	else if (f->found == 0)
		snprintf(buf, len, "; asked the LAN and the DHT, which knows "
		    "no address of this node (it is down, runs with --no-dht,"
		    " or the key is wrong)");
	else
		snprintf(buf, len, "; asked the LAN and the DHT, which gave "
		    "%s%s (no answer there)%s%s", f->first, f->found > 1 ?
		    " and more" : "", f->relays > 0 ? " and relays, which "
		    "did not answer either" : "", f->symmetric ? "; this "
		    "client's NAT maps each destination to its own port "
		    "(symmetric), so no hole punch can get through: give the "
		    "node a relay (pierd relay add) or a reachable address" :
		    "");
}

/* The DHT socket or the timer is closed; the last frees. */
static void
on_dht_closed(void *arg)
{
	struct cli_find *f = arg;

	if (--f->refs > 0)
		return;
	free(f->dir);
	sodium_memzero(f, sizeof *f);
	free(f);
}

/* The timer is closed. */
static void
on_timer_closed(uv_handle_t *h)
{
	on_dht_closed(container_of((uv_timer_t *)h, struct cli_find, timer));
}

/* Stops asking; freed once the socket is closed (run the loop). */
void
cli_find_stop(struct cli_find *f)
{
	char path[4096];

	if (f == NULL)
		return;
	ovl_lan_probe_stop(f->lan);
	f->lan = NULL;
	f->d = NULL;
	f->dht_wanted = 0;
	uv_close((uv_handle_t *)&f->timer, on_timer_closed);
	if (f->dht == NULL)
		return;
	snprintf(path, sizeof path, "%s/%s", f->dir, FIND_DHT_FILE);
	if (ovl_dhts_save(f->dht, path) != 0)
		path[0] = '\0';	/* not resolved yet: the old one stays */
	ovl_dhts_close(f->dht, on_dht_closed, f);
	f->dht = NULL;
}

/*
 * struct node: one running pierd. It loads the identity and access keys
 * from the state directory, listens through the overlay server, logs who
 * connects, and stops cleanly on SIGINT/SIGTERM: every handle is closed
 * and the loop runs dry, so uv_loop_close succeeds.
 *
 * Revocation from the shell: `pierd key revoke` rewrites the keys file
 * (atomically, by rename). The node watches the state directory with
 * uv_fs_event and, a moment after the keys file changes (or on SIGHUP),
 * re-reads it; every connection made with a key that is gone, or whose
 * secret changed, is closed with the go-away code "revoked". New
 * handshakes use the re-read keys at once. A handshake that fits no key
 * does not wait for the watch: the server finds the file changed (one
 * stat) and has it re-read first, so a key made by `pierd key create`
 * works the moment the command returns. A key disabled by `pierd key
 * disable` ends its connections the same way, on the re-read (go-away
 * "key disabled"); one that expires, by the server's own timer.
 */
#include <sys/resource.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "node.h"
#include "reach.h"

#define RELOAD_DELAY_MS	50	/* let a burst of fs events settle */

static void	on_signal(uv_signal_t *, int);
static void	on_keys_event(uv_fs_event_t *, const char *, int, int);
static void	on_reload_timer(uv_timer_t *);
static void	on_handle_closed(uv_handle_t *);
static void	on_server_closed(struct ovl_server *, void *);
static int	on_auth(struct ovl_server *, struct ovl_conn *,
		    const struct ovl_auth *, void *);
static void	on_server_log(struct ovl_server *, const char *, void *);
static void	on_keys_changed(struct ovl_server *, void *);

/* A client authenticated: log it and keep the connection. */
static int
on_auth(struct ovl_server *s, struct ovl_conn *c, const struct ovl_auth *a,
    void *arg)
{
	struct node			*n = arg;
	const struct ovl_access_key	*k;
	char				 fp[OVL_FINGERPRINT_SIZE];
	char				*cause = NULL;
	int				 err;

	ovl_fingerprint(a->client_key, fp);
	node_log(&n->log, NODE_LOG_INFO, "client %s \"%s\" connected from %s "
	    "with key %s", fp, a->hello->name, ovl_conn_peer(c), a->key_name);
	if (ovl_keystore_touch(n->ks, a->key_index, (int64_t)time(NULL),
	    &cause) != 0) {
		node_log(&n->log, NODE_LOG_WARN, "cannot note the use of key "
		    "%s: %s", a->key_name, cause != NULL ? cause : "?");
		free(cause);
	}
	err = cmd_conn_attach(n, c, a);
	if (err != 0) {
		node_log(&n->log, NODE_LOG_WARN, "cannot serve client %s: %s",
		    fp, strerror(-err));
		return (err == -ENOENT ? OVL_GA_REVOKED : OVL_GA_INTERNAL);
	}
	k = ovl_keystore_get(n->ks, a->key_index);
	if (k != NULL && k->role == PROTO_ROLE_RELAY) {
		err = ovl_relay_link_add(node_reach_relay(n->reach), c,
		    a->key_name);
		node_log(&n->log, err == 0 ? NODE_LOG_INFO : NODE_LOG_WARN,
		    "node %s: relay link %s%s", fp, err == 0 ? "held" :
		    "refused: ", err == 0 ? "" : strerror(-err));
		if (err != 0)
			return (OVL_GA_LIMIT);
	}
	return (0);
}

/* A line from the server about a refused or failed connection. */
static void
on_server_log(struct ovl_server *s, const char *line, void *arg)
{
	struct node	*n = arg;

	node_log(&n->log, NODE_LOG_INFO, "%s", line);
}

/* A handshake found the keys file changed before the watch did. */
static void
on_keys_changed(struct ovl_server *s, void *arg)
{
	struct node	*n = arg;

	(void)s;
	(void)node_keys_reload(n);
}

/*
 * Re-reads the access keys and closes the connections made with keys
 * that were revoked (gone, or the same name with another secret).
 */
int
node_keys_reload(struct node *n)
{
	const struct ovl_access_key	*k, *nk;
	char			(*names)[OVL_KEY_NAME_MAX + 1] = NULL;
	char			(*ids)[OVL_KEY_ID_SIZE] = NULL;
	char				*cause = NULL;
	size_t				 i, cnt, closed;
	int				 err;

	cnt = ovl_keystore_count(n->ks);
	names = calloc(cnt + 1, sizeof(*names));
	ids = calloc(cnt + 1, sizeof(*ids));
	if (names == NULL || ids == NULL) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		k = ovl_keystore_get(n->ks, i);
		memcpy(names[i], k->name, sizeof(names[i]));
		memcpy(ids[i], k->id, sizeof(ids[i]));
	}
	err = ovl_keystore_reload(n->ks, &cause);
	if (err != 0) {
		node_log(&n->log, NODE_LOG_ERROR, "cannot re-read the access "
		    "keys, keeping the old ones: %s", cause != NULL ? cause :
		    strerror(-err));
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		nk = ovl_keystore_find(n->ks, names[i]);
		if (nk != NULL && strcmp(nk->id, ids[i]) == 0)
			continue;
		closed = ovl_server_revoke(n->srv, names[i]);
		node_log(&n->log, NODE_LOG_INFO, "access key %s revoked; "
		    "closed %zu connection%s", names[i], closed,
		    closed == 1 ? "" : "s");
	}
	closed = ovl_server_sweep(n->srv);
	if (closed > 0)
		node_log(&n->log, NODE_LOG_INFO, "closed %zu connection%s of "
		    "disabled or expired keys", closed, closed == 1 ? "" : "s");
	node_log(&n->log, NODE_LOG_DEBUG, "access keys re-read: %zu",
	    ovl_keystore_count(n->ks));
	node_dht_keys_changed(n);
out:
	free(cause);
	free(names);
	free(ids);
	return (err);
}

/* SIGINT/SIGTERM stop the node; SIGHUP re-reads the keys. */
static void
on_signal(uv_signal_t *h, int signum)
{
	struct node	*n = h->data;

	if (signum == SIGHUP) {
		node_log(&n->log, NODE_LOG_INFO, "SIGHUP: re-reading keys");
		(void)node_keys_reload(n);
		return;
	}
	node_log(&n->log, NODE_LOG_INFO, "%s: shutting down",
	    signum == SIGINT ? "SIGINT" : "SIGTERM");
	node_close(n);
}

/* Something changed in the state dir: re-read keys soon if it was them. */
static void
on_keys_event(uv_fs_event_t *h, const char *name, int events, int status)
{
	struct node	*n = container_of(h, struct node, keys_watch);

	if (status < 0 || n->closing)
		return;
	if (name != NULL && strcmp(name, NODE_RELAYS_FILE) == 0) {
		if (n->reach != NULL)
			node_reach_reload(n->reach);
		return;
	}
	if (name != NULL && strcmp(name, OVL_KEYS_FILE) != 0)
		return;
	if (n->reload_timer.data != n || uv_timer_start(&n->reload_timer,
	    on_reload_timer, RELOAD_DELAY_MS, 0) != 0)
		(void)node_keys_reload(n);
}

/* The keys file settled: end revoked keys' connections, re-read it. */
static void
on_reload_timer(uv_timer_t *t)
{
	struct node	*n = container_of(t, struct node, reload_timer);
	char		**names = n->revoked;
	size_t		 i, closed;

	n->revoked = NULL;
	for (i = 0; names != NULL && names[i] != NULL; i++) {
		closed = ovl_server_revoke(n->srv, names[i]);
		node_log(&n->log, NODE_LOG_INFO, "access key %s revoked; "
		    "closed %zu connection%s", names[i], closed,
		    closed == 1 ? "" : "s");
	}
	node_strv_free(names);
	(void)node_keys_reload(n);
}

/*
 * Ends the connections of a key revoked through the protocol a moment
 * from now, so the reply to the revoking call (maybe made with that very
 * key) leaves first.
 */
void
node_key_revoked(struct node *n, const char *name)
{
	if (n->closing || node_strv_push(&n->revoked, name) != 0 ||
	    n->reload_timer.data != n || uv_timer_start(&n->reload_timer,
	    on_reload_timer, RELOAD_DELAY_MS, 0) != 0)
		(void)ovl_server_revoke(n->srv, name);
}

/*
 * Ends the connections of a key disabled through the protocol a moment
 * from now (a re-read sweeps them), so the reply leaves first.
 */
void
node_keys_sweep_soon(struct node *n)
{
	if (n->closing)
		return;
	if (n->reload_timer.data != n || uv_timer_start(&n->reload_timer,
	    on_reload_timer, RELOAD_DELAY_MS, 0) != 0)
		(void)ovl_server_sweep(n->srv);
}

/* Frees what node_new made that is not a handle. */
static void
node_release(struct node *n)
{
	if (n->nreqs != 0)
		node_log(&n->log, NODE_LOG_WARN, "%zu requests still alive at "
		    "exit", n->nreqs);
	ovl_keystore_free(n->ks);
	n->ks = NULL;
	ovl_identity_clear(&n->id);
	node_audit_close(&n->audit);
	free(n->dk_host);
	n->dk_host = NULL;
	free(n->dk_cause);
	n->dk_cause = NULL;
	node_strv_free(n->revoked);
	n->revoked = NULL;
}

/* One handle (or the server) finished closing. */
static void
node_closed_one(struct node *n)
{
	if (--n->pending > 0)
		return;
	node_release(n);
	if (n->closed_cb != NULL)
		n->closed_cb(n);
}

/* Close callback of the node's own handles. */
static void
on_handle_closed(uv_handle_t *h)
{
	node_closed_one(h->data);
}

/* Every terminal session has ended and been freed. */
static void
on_sessions_closed(struct node *n)
{
	node_closed_one(n);
}

/* The LAN responder closed. */
static void
on_lan_closed(void *arg)
{
	node_closed_one(arg);
}

/* The DHT's socket closed. */
static void
on_dht_closed(void *arg)
{
	node_closed_one(arg);
}

/* The server released every connection. */
static void
on_server_closed(struct ovl_server *s, void *arg)
{
	node_closed_one(arg);
}

/* The port mappings are deleted. */
static void
on_portmaps_stopped(struct node *n)
{
	node_closed_one(n);
}

/* The Docker client closed every request and handle. */
static void
on_docker_closed(void *arg)
{
	node_closed_one(arg);
}

/*
 * Makes the Docker client from --docker-host or DOCKER_HOST. Nothing
 * connects yet, so a stopped engine does not stop the node; an address
 * it cannot use leaves dk NULL and Docker methods say why.
 */
static void
node_docker(struct node *n, const struct node_config *cfg)
{
	struct dk_endpoint	 ep;
	char			*cause = NULL;
	int			 err;

	memset(&ep, 0, sizeof(ep));
	err = dk_endpoint_from_env_host(&ep, cfg->docker_host, &cause);
	if (err == 0) {
		n->dk_host = strdup(ep.host);
		err = dk_client_new(n->loop, &ep, NULL, &n->dk, &cause);
	}
	dk_endpoint_clear(&ep);
	if (err != 0) {
		n->dk = NULL;
		n->dk_cause = proto_xasprintf("cannot use Docker at %s: %s",
		    cfg->docker_host != NULL ? cfg->docker_host : "DOCKER_HOST",
		    cause != NULL ? cause : strerror(-err));
		node_log(&n->log, NODE_LOG_WARN, "%s; serving without Docker",
		    n->dk_cause);
	} else
		node_log(&n->log, NODE_LOG_INFO, "Docker at %s", n->dk_host);
	free(cause);
}

/* The server of a node that failed to start is gone: free the node. */
static void
on_failed_server_closed(struct ovl_server *s, void *arg)
{
	struct node	*n = arg;

	node_release(n);
	node_punch_free(n);
	node_strv_free(n->bound);
	free(n->state_dir);
	free(n);
}

/* Counts a handle that initialised (err 0) so node_close closes it. */
static int
node_handle(struct node *n, uv_handle_t *h, int err)
{
	if (err != 0) {
		node_log(&n->log, NODE_LOG_WARN, "cannot set up a %s handle: "
		    "%s", uv_handle_type_name(uv_handle_get_type(h)),
		    uv_strerror(err));
		return (err);
	}
	h->data = n;
	n->pending++;
	return (0);
}

/* Catches one signal with its own handle. */
static void
node_signal(struct node *n, uv_signal_t *h, int signum)
{
	int	err;

	if (node_handle(n, (uv_handle_t *)h, uv_signal_init(n->loop, h)) != 0)
		return;
	err = uv_signal_start(h, on_signal, signum);
	if (err != 0)
		node_log(&n->log, NODE_LOG_WARN, "cannot catch %s: %s",
		    strsignal(signum), uv_strerror(err));
}

/* Closes one of the node's handles if it was set up. */
static void
node_close_handle(struct node *n, uv_handle_t *h)
{
	if (h->data == n)
		uv_close(h, on_handle_closed);
}

/* Listens on every configured address; IPv6 failing alone is a warning. */
static int
node_listen(struct node *n, const struct node_config *cfg, char **cause)
{
	struct sockaddr_storage	 ss;
	char			*why = NULL, buf[OVL_ADDR_MAX + 16];
	char			 host[OVL_ADDR_MAX];
	char			*colon;
	size_t			 i, nbound = 0;
	int			 err, port;

	for (i = 0; cfg->listen[i] != NULL; i++) {
		err = ovl_server_listen(n->srv, cfg->listen[i], &why);
		if (err != 0 && node_addr_parse(cfg->listen[i], &ss, NULL) ==
		    0 && ss.ss_family == AF_INET6) {
			if (why != NULL)
				node_log(&n->log, NODE_LOG_WARN, "%s; going on "
				    "without it", why);
			else
				node_log(&n->log, NODE_LOG_WARN, "not listening"
				    " on %s: %s", cfg->listen[i],
				    uv_strerror(err));
			free(why);
			why = NULL;
			continue;
		}
		if (err != 0) {
			/* The server's cause names the address already. */
			if (why != NULL)
				*cause = why;
			else if (asprintf(cause, "cannot listen on %s: %s",
			    cfg->listen[i], uv_strerror(err)) < 0)
				*cause = NULL;
			return (err);
		}
		port = ovl_server_port(n->srv, nbound++);
		snprintf(host, sizeof(host), "%s", cfg->listen[i]);
		colon = strrchr(host, ':');
		*colon = '\0';
		snprintf(buf, sizeof(buf), "%s:%d", host, port);
		if (node_strv_push(&n->bound, buf) != 0)
			return (-ENOMEM);
		node_log(&n->log, NODE_LOG_INFO, "listening on %s", buf);
	}
	if (nbound == 0) {
		if (asprintf(cause, "could not listen on any address") < 0)
			*cause = NULL;
		return (-EADDRNOTAVAIL);
	}
	err = node_listen_save(n->state_dir, n->bound, &why);
	if (err != 0) {
		node_log(&n->log, NODE_LOG_WARN, "%s; 'pierd key show' will "
		    "not know these addresses", why);
		free(why);
	}
	return (0);
}

/* Logs the admin join key of a key made just now (first start). */
static void
node_log_first_key(struct node *n, const struct ovl_access_key *k)
{
	char	*text;

	text = node_joinkey_text(n->state_dir, n->id.pub, k->secret, n->bound);
	if (text == NULL)
		return;
	node_log(&n->log, NODE_LOG_INFO, "created the admin access key; "
	    "join with: pier join %s", text);
	sodium_memzero(text, strlen(text));
	free(text);
}

/*
 * Makes room under RLIMIT_NOFILE for the connections and sessions the
 * node may hold: a soft limit short of that is raised (toward the hard
 * limit, in one log line); -EMFILE with the cause if the hard one is short.
 */
static int
node_nofile(struct node *n, char **cause)
{
	struct rlimit	rl;
	uintmax_t	need, was;
	size_t		sessions = node_sessions_max(n);

	need = NODE_FILES_BASE + (uintmax_t)n->limits.max_conns *
	    NODE_FILES_PER_CONN + (uintmax_t)sessions * NODE_FILES_PER_SESSION;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return (-errno);
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return (0);
	was = rl.rlim_cur;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		if (asprintf(cause, "%" PRIu32 " connections and %zu sessions "
		    "need about %ju open files, and this process may open "
		    "%ju at most (ulimit -Hn): lower --max-connections or "
		    "--max-sessions, or raise the hard limit",
		    n->limits.max_conns, sessions, need,
		    (uintmax_t)rl.rlim_max) < 0)
			*cause = NULL;
		return (-EMFILE);
	}
	rl.rlim_cur = (rlim_t)need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		if (asprintf(cause, "cannot raise the open-file limit from %ju "
		    "to %ju: %s", was, need, strerror(errno)) < 0)
			*cause = NULL;
		return (-EMFILE);
	}
	node_log(&n->log, NODE_LOG_INFO, "raised the open-file limit from %ju "
	    "to %ju for %" PRIu32 " connections and %zu sessions", was, need,
	    n->limits.max_conns, sessions);
	return (0);
}

/* Tells the service manager the node listens (Type=notify units). */
static void
node_notify_ready(struct node *n)
{
	char	buf[256];
	int	err;

	(void)snprintf(buf, sizeof(buf), "READY=1\nSTATUS=listening; node "
	    "key %s; %zu access key%s", n->fingerprint,
	    ovl_keystore_count(n->ks), ovl_keystore_count(n->ks) == 1 ? "" :
	    "s");
	err = node_notify(buf);
	if (err != 0)
		node_log(&n->log, NODE_LOG_WARN, "cannot tell the service "
		    "manager we are ready (NOTIFY_SOCKET): %s", strerror(-err));
}

/* Loads state, listens, and installs signal and key-file watchers. */
int
node_new(uv_loop_t *loop, const struct node_config *cfg, struct node **out,
    char **cause)
{
	static const struct ovl_server_cbs scbs = {
		.on_auth = on_auth,
		.on_log = on_server_log,
		.on_keys_changed = on_keys_changed,
	};
	const struct ovl_access_key	*admin = NULL;
	struct node			*n;
	int				 err;

	*out = NULL;
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return (-ENOMEM);
	n->loop = loop;
	node_log_init(&n->log, NULL, cfg->log_level);
	n->state_dir = strdup(cfg->state_dir);
	if (n->state_dir == NULL) {
		free(n);
		return (-ENOMEM);
	}
	err = node_state_open(n->state_dir, &n->id, &n->ks, &admin, cause);
	if (err != 0)
		goto fail;
	ovl_fingerprint(n->id.pub, n->fingerprint);
	err = node_audit_open(&n->audit, n->state_dir, cfg->audit_max_bytes,
	    cfg->audit_keep, cause);
	if (err != 0)
		goto fail;
	n->started = (int64_t)time(NULL);
	n->started_ms = uv_now(loop);
	node_log(&n->log, NODE_LOG_INFO, "pierd starting: node key %s, state "
	    "in %s", n->fingerprint, n->state_dir);
	ovl_limits_default(&n->limits);
	if (cfg->max_conns != 0)
		n->limits.max_conns = cfg->max_conns;
	n->sess.max = cfg->max_sessions;
	err = node_nofile(n, cause);
	if (err != 0)
		goto fail;
	err = ovl_server_new(loop, &n->id, n->ks, &n->limits, &scbs, n,
	    &n->srv);
	if (err != 0)
		goto fail;
	err = node_listen(n, cfg, cause);
	if (err != 0)
		goto fail_server;
	if (admin != NULL)
		node_log_first_key(n, admin);
	err = node_reach_new(n, &cfg->relay, &n->reach);
	if (err != 0)
		node_log(&n->log, NODE_LOG_WARN, "cannot start relaying: %s",
		    strerror(-err));
	if (cfg->port_mapping)
		node_portmaps_start(n);
	if (!cfg->no_lan)
		node_lan_start(n);
	if (!cfg->no_dht && node_punch_init(n) == 0)
		node_dht_start(n, cfg->dht_bootstrap);

	n->pending = 1;		/* the server */
	node_docker(n, cfg);
	if (n->dk != NULL)
		n->pending++;
	node_signal(n, &n->sigint, SIGINT);
	node_signal(n, &n->sigterm, SIGTERM);
	node_signal(n, &n->sighup, SIGHUP);
	if (n->sighup.data == n)
		uv_unref((uv_handle_t *)&n->sighup);
	(void)node_handle(n, (uv_handle_t *)&n->reload_timer,
	    uv_timer_init(loop, &n->reload_timer));
	(void)node_handle(n, (uv_handle_t *)&n->trim_timer,
	    uv_timer_init(loop, &n->trim_timer));
	err = node_handle(n, (uv_handle_t *)&n->keys_watch,
	    uv_fs_event_init(loop, &n->keys_watch));
	if (err == 0)
		err = uv_fs_event_start(&n->keys_watch, on_keys_event,
		    n->state_dir, 0);
	if (err != 0)
		node_log(&n->log, NODE_LOG_WARN, "cannot watch %s (%s): after "
		    "'pierd key revoke', send SIGHUP", n->state_dir,
		    uv_strerror(err));
	node_log(&n->log, NODE_LOG_INFO, "ready: %zu access key%s",
	    ovl_keystore_count(n->ks), ovl_keystore_count(n->ks) == 1 ? "" :
	    "s");
	node_notify_ready(n);
	*out = n;
	return (0);

fail_server:
	/* The server borrows keys and identity: free them once it is gone. */
	ovl_server_close(n->srv, on_failed_server_closed, n);
	return (err);
fail:
	node_release(n);
	node_strv_free(n->bound);
	free(n->state_dir);
	free(n);
	return (err);
}

/*
 * Idle since the burst ended: hand the heap's free pages back. glibc
 * keeps what a burst freed (buffers, parsed lists) for the next one, and
 * pages freed between long-lived allocations it cannot return by itself.
 */
static void
on_trim_timer(uv_timer_t *t)
{
	struct node	*n = container_of(t, struct node, trim_timer);

	if (n->nreqs != 0 || n->closing)
		return;
#ifdef __GLIBC__
	(void)malloc_trim(0);
	n->trims++;
#endif
}

/* The last request ended: trim the heap NODE_TRIM_MS from now. */
void
node_idle_soon(struct node *n)
{
	if (n->trim_timer.data != n || n->closing)
		return;
	(void)uv_timer_start(&n->trim_timer, on_trim_timer, NODE_TRIM_MS, 0);
}

/* Sets the callback run once everything is closed. */
void
node_set_closed_cb(struct node *n, void (*cb)(struct node *))
{
	n->closed_cb = cb;
}

/* Begins a clean stop: the server, then the node's handles. */
void
node_close(struct node *n)
{
	if (n->closing)
		return;
	n->closing = 1;
	(void)node_notify("STOPPING=1\nSTATUS=stopping");
	cmd_runs_abandon(n);	/* compose goes on without pierd */
	node_reach_free(n->reach);	/* links, splices, reach.json */
	n->reach = NULL;
	ovl_server_close(n->srv, on_server_closed, n);
	n->pending++;
	node_lan_close(n, on_lan_closed, n);
	n->pending++;
	node_dht_close(n, on_dht_closed, n);
	node_punch_stop(n);
	/* Sessions first: closing an exec still asks the Docker client. */
	n->pending++;
	node_sessions_close(n, on_sessions_closed);
	n->pending++;
	node_portmaps_stop(n, on_portmaps_stopped);
	node_model_close(n);
	if (n->dk != NULL) {
		dk_client_close(n->dk, on_docker_closed, n);
		n->dk = NULL;
	}
	node_close_handle(n, (uv_handle_t *)&n->sigint);
	node_close_handle(n, (uv_handle_t *)&n->sigterm);
	node_close_handle(n, (uv_handle_t *)&n->sighup);
	node_close_handle(n, (uv_handle_t *)&n->reload_timer);
	node_close_handle(n, (uv_handle_t *)&n->trim_timer);
	node_close_handle(n, (uv_handle_t *)&n->keys_watch);
}

/* The exit code for main: 0 after a clean stop. */
int
node_exit_code(const struct node *n)
{
	return (n->closing && n->pending == 0 ? NODE_EXIT_OK :
	    NODE_EXIT_FAIL);
}

/* Frees a node after node_close completed (or if it never started). */
void
node_free(struct node *n)
{
	if (n == NULL)
		return;
	node_release(n);
	node_punch_free(n);
	node_strv_free(n->bound);
	free(n->state_dir);
	free(n);
}

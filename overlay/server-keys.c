/*
 * What changes to the keystore do to the server's connections: a client
 * key revoked (all its connections end, go-away "revoked"), an access
 * key revoked (node.c calls ovl_server_revoke), disabled or expired
 * (ovl_server_sweep, and the server's timer for the next expiry among
 * the keys of its connections), and a handshake whose key lets nobody
 * in now (expired, disabled, its uses taken), which completes and is
 * closed with the reason (see server.c's head comment).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "server-int.h"

/*
 * The expiry timer runs on the loop's monotonic clock, expiries are wall
 * clock times: it wakes at least this often, so a wall clock set
 * forward ends an expired key's connections within this time.
 */
#define EXPIRY_CHECK_MS	60000

/* The keystore revoked a client key: close that client's connections. */
void
ovl__srv_on_deny(const char *fp, void *arg)
{
	struct ovl_server *s = arg;
	struct sconn *sc;
	char cfp[OVL_FINGERPRINT_SIZE], reason[80];
	size_t n = 0;

	snprintf(reason, sizeof reason, "client key %s was revoked", fp);
	for (sc = s->conns; sc != NULL; sc = sc->next) {
		if (!sc->authed || !ovl_conn_is_open(sc->conn))
			continue;
		ovl_fingerprint(ovl_conn_remote_key(sc->conn), cfp);
		if (strcmp(cfp, fp) != 0)
			continue;
		ovl_conn_close(sc->conn, OVL_GA_REVOKED, reason);
		n++;
	}
	ovl__slog(s, "client key %s revoked; closed %zu connection%s", fp, n,
	    n == 1 ? "" : "s");
}

/*
 * Closes c if its access key lets nobody in now (expired, disabled, its
 * uses taken), binding the client key to a limited key; 1 if closed.
 */
int
ovl__srv_key_refused(struct ovl_server *s, struct ovl_conn *c,
    const uint8_t *client, const char *key_name)
{
	char		fp[OVL_FINGERPRINT_SIZE], reason[160];
	uint32_t	code;
	int		rc;

	/* Disabled or enabled a moment ago, before the file watch fired. */
	if (ovl_keystore_changed(s->ks))
		ovl__srv_keys_reload(s);
	rc = ovl_keystore_admit(s->ks, key_name, client,
	    (int64_t)(ovl__wall_ms() / 1000), reason, sizeof reason);
	ovl_fingerprint(client, fp);
	if (rc == 1)
		ovl__slog(s, "%s: client %s is bound to access key %s (one of "
		    "its limited uses)", ovl_conn_peer(c), fp, key_name);
	if (rc >= 0)
		return (0);
	code = rc == -EKEYEXPIRED ? OVL_GA_KEY_EXPIRED : rc == -EKEYREJECTED ?
	    OVL_GA_KEY_DISABLED : rc == -EUSERS ? OVL_GA_KEY_USED :
	    rc == -ENOENT ? OVL_GA_REVOKED : OVL_GA_INTERNAL;
	ovl__slog(s, "%s: client %s (key %s) refused: %s", ovl_conn_peer(c), fp,
	    key_name, reason);
	ovl_conn_close(c, code, reason);
	return (1);
}

/* Closes the connections made with an access key. */
size_t
ovl_server_revoke(struct ovl_server *s, const char *key_name)
{
	struct sconn *sc;
	char reason[OVL_KEY_NAME_MAX + 40];
	size_t n = 0;

	snprintf(reason, sizeof reason, "access key %s was revoked",
	    key_name);
	for (sc = s->conns; sc != NULL; sc = sc->next) {
		if (!sc->authed ||
		    strcmp(ovl_conn_key_name(sc->conn), key_name) != 0 ||
		    !ovl_conn_is_open(sc->conn))
			continue;
		ovl_conn_close(sc->conn, OVL_GA_REVOKED, reason);
		n++;
	}
	return (n);
}

/* A key of a live connection expired: sweep. */
static void
on_expiry(uv_timer_t *t)
{
	struct ovl_server *s = container_of(t, struct ovl_server, expiry);

	(void)ovl_server_sweep(s);
}

/* Closes connections of disabled or expired keys; sets the timer. */
size_t
ovl_server_sweep(struct ovl_server *s)
{
	const struct ovl_access_key *k;
	struct sconn *sc;
	char reason[160];
	uint64_t now_ms = ovl__wall_ms(), wait;
	int64_t next = 0;
	size_t n = 0;
	int rc;

	if (s->closing)
		return (0);
	for (sc = s->conns; sc != NULL; sc = sc->next) {
		if (!sc->authed || sc->taken || !ovl_conn_is_open(sc->conn))
			continue;
		k = ovl_keystore_find(s->ks, ovl_conn_key_name(sc->conn));
		if (k == NULL)
			continue;	/* revoked: node.c closes those */
		rc = ovl_key_check(k, (int64_t)(now_ms / 1000), reason,
		    sizeof reason);
		if (rc != 0) {
			ovl__slog(s, "%s: closing: %s", ovl_conn_peer(sc->conn),
			    reason);
			ovl_conn_close(sc->conn, rc == -EKEYEXPIRED ?
			    OVL_GA_KEY_EXPIRED : OVL_GA_KEY_DISABLED, reason);
			n++;
		} else if (k->expires != 0 && (next == 0 || k->expires < next))
			next = k->expires;
	}
	if (next == 0) {
		(void)uv_timer_stop(&s->expiry);
		return (n);
	}
	wait = (uint64_t)next * 1000 > now_ms ? (uint64_t)next * 1000 -
	    now_ms : 0;
	(void)uv_timer_start(&s->expiry, on_expiry, wait < EXPIRY_CHECK_MS ?
	    wait : EXPIRY_CHECK_MS, 0);
	return (n);
}

/* Closes the connections of a client key. */
size_t
ovl_server_drop_client(struct ovl_server *s,
    const uint8_t client_key[static 32])
{
	struct sconn *sc;
	size_t n = 0;

	for (sc = s->conns; sc != NULL; sc = sc->next) {
		if (!sc->authed || !ovl_conn_is_open(sc->conn) ||
		    sodium_memcmp(ovl_conn_remote_key(sc->conn), client_key,
		    OVL_KEY_LEN) != 0)
			continue;
		ovl_conn_close(sc->conn, OVL_GA_REVOKED,
		    "client key was revoked");
		n++;
	}
	return (n);
}

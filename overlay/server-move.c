/*
 * The server's side of a path move (move.c): the tokens it gives relayed
 * connections, the preamble that names one, and what a move changes in
 * the server's counts. A token is 32 random bytes, good once and for
 * OVL_MOVE_TOKEN_MS; a new one replaces the connection's last. The
 * preamble carries it in clear on the new path, where it proves nothing
 * but that the dialer learnt it over the old path's encrypted records:
 * the records that follow on the new path decide, as they must decrypt
 * under the connection's keys.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "server-int.h"

/* Gives c a fresh move token. */
int
ovl_server_move_token(struct ovl_server *s, struct ovl_conn *c,
    uint8_t token[static OVL_MOVE_TOKEN_LEN])
{
	struct sconn *sc;

	for (sc = s->conns; sc != NULL; sc = sc->next)
		if (sc->conn == c)
			break;
	if (sc == NULL || !sc->authed || !sc->relayed ||
	    !ovl_conn_is_open(c) || ovl_conn_moved(c))
		return (-EINVAL);
	randombytes_buf(sc->move_tok, sizeof sc->move_tok);
	sc->move_until = uv_now(s->loop) + OVL_MOVE_TOKEN_MS;
	memcpy(token, sc->move_tok, OVL_MOVE_TOKEN_LEN);
	return (0);
}

/* tmp began with a move preamble: give its socket to the token's owner. */
void
ovl__srv_move(struct ovl_server *s, struct ovl_conn *tmp,
    const uint8_t *token)
{
	struct sconn *tsc = ovl__conn_owner(tmp), *sc;
	uint64_t now = uv_now(s->loop);
	int rc;

	for (sc = s->conns; sc != NULL; sc = sc->next)
		if (sc->move_until > now && sodium_memcmp(sc->move_tok, token,
		    OVL_MOVE_TOKEN_LEN) == 0)
			break;
	if (sc == NULL || !ovl_conn_is_open(sc->conn)) {
		ovl__conn_abort(tmp, -EACCES, "path move with an unknown "
		    "token");
		return;
	}
	sc->move_until = 0;
	sodium_memzero(sc->move_tok, sizeof sc->move_tok);
	rc = ovl__move_attach(sc->conn, tmp, token);
	tsc->quiet = 1;
	if (rc != 0)
		ovl__slog(s, "%s: path move for %s refused: %s",
		    ovl_conn_peer(tmp), ovl_conn_peer(sc->conn),
		    strerror(-rc));
	ovl__conn_abort(tmp, rc, "path move");
}

/* A connection moved: it no longer counts as relayed. */
void
ovl__srv_moved(struct ovl_conn *c, const char *from)
{
	struct sconn *sc = ovl__conn_owner(c);
	struct ovl_server *s = sc->srv;
	char fp[OVL_FINGERPRINT_SIZE];

	if (sc->relayed) {
		sc->relayed = 0;
		s->nrelayed--;
	}
	s->st.moved++;
	ovl_fingerprint(ovl_conn_remote_key(c), fp);
	ovl__slog(s, "%s: client %s (key %s) moved here from %s",
	    ovl_conn_peer(c), fp, ovl_conn_key_name(c), from);
}

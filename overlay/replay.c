/*
 * The replay memory of a node: which first messages it has taken, so a
 * recorded message 1 cannot be played again, also not after a restart,
 * while one client may handshake many times at once and its clock may
 * step.
 *
 * The rule (docs/PROTOCOL.md, "Replay rule"): message 1's time must lie
 * within OVL_REPLAY_WINDOW_MS of the node's clock, either way; it must be
 * later than the client key's floor; and its ephemeral key must not be
 * one the node took from that client key already. A replay carries the
 * same ephemeral key, so it is refused while the original is remembered,
 * and by the window or the floor once it is not: an entry leaves the
 * memory only by raising its client's floor to its time, so forgetting
 * never lets anything back in; it refuses more instead.
 *
 * Bounds: at most SEEN_PER_CLIENT entries per client key and
 * SEEN_TOTAL in all (24 bytes each). Entries older than the window
 * expire (raising the floor to a time the window refuses already). When
 * a bound is reached the oldest entry of that client (or, for the total,
 * of the client holding the most) goes, and its time becomes the floor:
 * a client whose times grow, as one clock's do, is never refused by
 * this; only a handshake older than SEEN_PER_CLIENT newer ones of the
 * same key, still in flight, is.
 *
 * What survives a restart: the file (client-times in the state dir)
 *	floor MS
 *	CLIENT-KEY-HEX MS
 * holds each client key's newest accepted time, appended when it grows
 * (a later line wins), without fsync: a process crash loses nothing, a
 * power cut at most the last moments. On load each client's floor is
 * that time, so every message taken before the restart stays refused;
 * the seen sets themselves are not kept. The file is compacted
 * atomically when it grows past twice the clients plus 64 lines; a torn
 * last line is skipped. When the most clients it may hold (max) are
 * remembered, the one with the oldest time is dropped and its time
 * becomes the floor that unknown clients must beat.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "overlay.h"

#define LINE_MAX_LEN	256
#define SEEN_PER_CLIENT	64	/* handshakes remembered per client key */
#define SEEN_TOTAL	65536	/* ... and in all: 1.5 MiB */
#define SEEN_ID_LEN	16	/* bytes of the ephemeral key kept */

/* One message 1 taken: its time and (part of) its ephemeral key. */
struct seen {
	uint64_t	ms;
	uint8_t		e[SEEN_ID_LEN];
};

/* What the node remembers of one client key. */
struct client_time {
	uint8_t		 key[OVL_KEY_LEN];
	uint64_t	 ms;		/* newest time taken; kept on disk */
	uint64_t	 floor;		/* times at or before it are refused */
	struct seen	*seen;		/* unordered */
	size_t		 nseen, capseen;
};

/* The memory: clients sorted by key. */
struct ovl__replay {
	char			 path[PATH_MAX];
	struct client_time	*clients;
	size_t			 n, cap, max;
	size_t			 nseen;		/* entries of all clients */
	size_t			 appended;	/* lines since compaction */
	uint64_t		 floor_ms;
};

/* Finds a client's slot: its index, or where it would go (*found 0). */
static size_t
client_find(const struct ovl__replay *r, const uint8_t key[static 32],
    int *found)
{
	size_t lo = 0, hi = r->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = memcmp(r->clients[mid].key, key, OVL_KEY_LEN);
		if (c == 0) {
			*found = 1;
			return (mid);
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return (lo);
}

/* Drops seen entry i of c; its time becomes c's floor if later. */
static void
seen_drop(struct ovl__replay *r, struct client_time *c, size_t i)
{
	if (c->seen[i].ms > c->floor)
		c->floor = c->seen[i].ms;
	c->seen[i] = c->seen[--c->nseen];
	r->nseen--;
}

/* The index of c's oldest seen entry (c has one). */
static size_t
seen_oldest(const struct client_time *c)
{
	size_t i, old = 0;

	for (i = 1; i < c->nseen; i++)
		if (c->seen[i].ms < c->seen[old].ms)
			old = i;
	return (old);
}

/* Drops c's entries older than the window around now_ms. */
static void
seen_expire(struct ovl__replay *r, struct client_time *c, uint64_t now_ms)
{
	size_t i = 0;

	while (i < c->nseen) {
		if (c->seen[i].ms + OVL_REPLAY_WINDOW_MS < now_ms)
			seen_drop(r, c, i);
		else
			i++;
	}
}

/* Forgets a client: its times become the floor for unknown ones. */
static void
client_drop(struct ovl__replay *r, size_t i)
{
	struct client_time *c = &r->clients[i];

	if (c->ms > r->floor_ms)
		r->floor_ms = c->ms;
	if (c->floor > r->floor_ms)
		r->floor_ms = c->floor;
	r->nseen -= c->nseen;
	free(c->seen);
	memmove(&r->clients[i], &r->clients[i + 1],
	    (r->n - i - 1) * sizeof *r->clients);
	r->n--;
}

/*
 * The client's record, made (with the floor for unknown clients) if it
 * is new, dropping the client with the oldest time when full.
 */
static int
client_get(struct ovl__replay *r, const uint8_t key[static 32],
    struct client_time **out)
{
	struct client_time *p;
	size_t i, old;
	int found;

	i = client_find(r, key, &found);
	if (found) {
		*out = &r->clients[i];
		return (0);
	}
	if (r->n >= r->max) {
		old = 0;
		for (i = 1; i < r->n; i++)
			if (r->clients[i].ms < r->clients[old].ms)
				old = i;
		client_drop(r, old);
		i = client_find(r, key, &found);
	}
	if (r->n == r->cap) {
		p = reallocarray(r->clients, r->cap ? r->cap * 2 : 16,
		    sizeof *p);
		if (p == NULL)
			return (-ENOMEM);
		r->clients = p;
		r->cap = r->cap ? r->cap * 2 : 16;
	}
	memmove(&r->clients[i + 1], &r->clients[i],
	    (r->n - i) * sizeof *r->clients);
	memset(&r->clients[i], 0, sizeof r->clients[i]);
	memcpy(r->clients[i].key, key, OVL_KEY_LEN);
	r->clients[i].floor = r->floor_ms;
	r->n++;
	*out = &r->clients[i];
	return (0);
}

/*
 * Makes room for one more seen entry of c within both bounds: the oldest
 * of c goes when c is full; when all are full, expired entries go, then
 * c's oldest, or if c has none the oldest of the client holding most.
 */
static int
seen_room(struct ovl__replay *r, struct client_time *c, uint64_t now_ms)
{
	struct client_time *most;
	struct seen *p;
	size_t i, cap;

	if (c->nseen >= SEEN_PER_CLIENT)
		seen_drop(r, c, seen_oldest(c));
	if (r->nseen >= SEEN_TOTAL)
		for (i = 0; i < r->n; i++)
			seen_expire(r, &r->clients[i], now_ms);
	if (r->nseen >= SEEN_TOTAL) {
		most = c;
		if (most->nseen == 0)
			for (i = 0; i < r->n; i++)
				if (r->clients[i].nseen > most->nseen)
					most = &r->clients[i];
		seen_drop(r, most, seen_oldest(most));
	}
	if (c->nseen < c->capseen)
		return (0);
	cap = c->capseen ? c->capseen * 2 : 4;
	p = reallocarray(c->seen, cap, sizeof *p);
	if (p == NULL)
		return (-ENOMEM);
	c->seen = p;
	c->capseen = cap;
	return (0);
}

/* -EALREADY (with *cause) if ts_ms is not after c's floor. */
static int
floor_check(const struct client_time *c, uint64_t ts_ms, char **cause)
{
	if (ts_ms > c->floor)
		return (0);
	ovl__set_cause(cause, "replayed or stale handshake (time %" PRIu64
	    " is not after %" PRIu64 ")", ts_ms, c->floor);
	return (-EALREADY);
}

/* Rewrites client-times with one line per client. */
static int
save_clients(struct ovl__replay *r, char **cause)
{
	char *buf, hex[2 * OVL_KEY_LEN + 1];
	size_t cap, off, i;
	int error;

	cap = 32 + r->n * (sizeof hex + 24);
	buf = malloc(cap);
	if (buf == NULL)
		return (-ENOMEM);
	off = (size_t)snprintf(buf, cap, "floor %" PRIu64 "\n", r->floor_ms);
	for (i = 0; i < r->n; i++) {
		sodium_bin2hex(hex, sizeof hex, r->clients[i].key,
		    OVL_KEY_LEN);
		off += (size_t)snprintf(buf + off, cap - off, "%s %" PRIu64
		    "\n", hex, r->clients[i].ms > r->clients[i].floor ?
		    r->clients[i].ms : r->clients[i].floor);
	}
	error = ovl_file_write_atomic(r->path, buf, off, 0600, cause);
	free(buf);
	if (error == 0)
		r->appended = 0;
	return (error);
}

/* Reads client-times; damaged lines (a torn append) are skipped. */
static int
load_clients(struct ovl__replay *r, char **cause)
{
	char line[LINE_MAX_LEN + 2], hex[2 * OVL_KEY_LEN + 2];
	struct client_time *c;
	uint8_t key[OVL_KEY_LEN];
	uint64_t ms;
	FILE *f;
	size_t n;
	int error = 0, used;

	f = fopen(r->path, "re");
	if (f == NULL && errno == ENOENT)
		return (0);
	if (f == NULL) {
		error = -errno;
		ovl__set_cause(cause, "open %s: %s", r->path,
		    strerror(errno));
		return (error);
	}
	while (error == 0 && fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "floor %" SCNu64, &ms) == 1) {
			if (ms > r->floor_ms)
				r->floor_ms = ms;
			continue;
		}
		if (sscanf(line, "%65s %" SCNu64 "%n", hex, &ms, &used) != 2 ||
		    line[used] != '\n' || strlen(hex) != 2 * OVL_KEY_LEN ||
		    sodium_hex2bin(key, sizeof key, hex, strlen(hex), NULL, &n,
		    NULL) != 0 || n != OVL_KEY_LEN)
			continue;
		error = client_get(r, key, &c);
		if (error == 0 && ms > c->ms)
			c->ms = ms;
		/* What was taken before the restart stays refused. */
		if (error == 0 && c->ms > c->floor)
			c->floor = c->ms;
		r->appended++;
	}
	fclose(f);
	return (error);
}

/* Appends one client time to client-times (no fsync; see the top). */
static int
append_client(struct ovl__replay *r, const uint8_t key[static 32],
    uint64_t ms, char **cause)
{
	char line[2 * OVL_KEY_LEN + 32], hex[2 * OVL_KEY_LEN + 1];
	size_t len, off = 0;
	ssize_t n;
	int fd, error = 0;

	if (r->appended >= 2 * r->n + 64)
		return (save_clients(r, cause));
	sodium_bin2hex(hex, sizeof hex, key, OVL_KEY_LEN);
	len = (size_t)snprintf(line, sizeof line, "%s %" PRIu64 "\n", hex, ms);
	fd = open(r->path, O_WRONLY | O_APPEND | O_CREAT |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		error = -errno;
		ovl__set_cause(cause, "open %s: %s", r->path,
		    strerror(errno));
		return (error);
	}
	while (off < len) {
		n = write(fd, line + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = -errno;
			ovl__set_cause(cause, "write %s: %s", r->path,
			    strerror(errno));
			break;
		}
		off += (size_t)n;
	}
	close(fd);
	r->appended++;
	return (error);
}

/* The replay rule (see the top). */
int
ovl__replay_accept(struct ovl__replay *r,
    const uint8_t client[static OVL_KEY_LEN], uint64_t ts_ms,
    const uint8_t eph[static OVL_KEY_LEN], uint64_t now_ms,
    int64_t *skew_ms, char **cause)
{
	struct client_time *c;
	size_t i;
	int error;

	*skew_ms = (int64_t)(ts_ms - now_ms);
	if (ts_ms > now_ms + OVL_REPLAY_WINDOW_MS ||
	    ts_ms + OVL_REPLAY_WINDOW_MS < now_ms) {
		ovl__set_cause(cause, "client clock is %" PRId64 " s %s the "
		    "node's", ((*skew_ms < 0 ? -*skew_ms : *skew_ms) + 500) / 1000,
		    *skew_ms < 0 ? "behind" : "ahead of");
		return (-ERANGE);
	}
	error = client_get(r, client, &c);
	if (error != 0)
		return (error);
	seen_expire(r, c, now_ms);
	for (i = 0; i < c->nseen; i++) {
		if (sodium_memcmp(c->seen[i].e, eph, SEEN_ID_LEN) == 0) {
			ovl__set_cause(cause, "replayed handshake (its "
			    "ephemeral key was taken already)");
			return (-EALREADY);
		}
	}
	/* Again after making room, which may raise the floor. */
	error = floor_check(c, ts_ms, cause);
	if (error == 0)
		error = seen_room(r, c, now_ms);
	if (error == 0)
		error = floor_check(c, ts_ms, cause);
	if (error != 0)
		return (error);
	c->seen[c->nseen].ms = ts_ms;
	memcpy(c->seen[c->nseen].e, eph, SEEN_ID_LEN);
	c->nseen++;
	r->nseen++;
	if (ts_ms <= c->ms)
		return (0);
	c->ms = ts_ms;
	return (append_client(r, client, ts_ms, cause));
}

/* Loads the memory from path (absent is empty). */
int
ovl__replay_open(struct ovl__replay **out, const char *path, size_t max,
    char **cause)
{
	struct ovl__replay *r;
	int error;

	*out = NULL;
	r = calloc(1, sizeof *r);
	if (r == NULL)
		return (-ENOMEM);
	if (strlen(path) >= sizeof r->path) {
		free(r);
		return (-ENAMETOOLONG);
	}
	strcpy(r->path, path);
	r->max = max > 0 ? max : 1;
	error = load_clients(r, cause);
	if (error == 0 && r->appended > r->n)
		error = save_clients(r, cause);
	if (error != 0) {
		ovl__replay_free(r);
		return (error);
	}
	*out = r;
	return (0);
}

/* Frees the memory. */
void
ovl__replay_free(struct ovl__replay *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		free(r->clients[i].seen);
	free(r->clients);
	free(r);
}

/*
 * The replay memory of a node: the last accepted handshake time of each
 * client key, so a recorded first message cannot be played again, also
 * not after a restart. The file (client-times in the state dir) reads
 *	floor MS
 *	CLIENT-KEY-HEX MS
 * and is appended to on each accepted handshake (a later line wins),
 * without fsync: a process crash loses nothing, a power cut at most the
 * last moments. It is compacted atomically when it grows past twice the
 * clients plus 64 lines. A torn last line is skipped. When the most
 * clients it may hold (OVL_CLIENTS_MAX for a node) are remembered, the
 * one with the oldest time is dropped and its time becomes the floor
 * that unknown clients must beat.
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

/* The last accepted handshake time of one client key. */
struct client_time {
	uint8_t		key[OVL_KEY_LEN];
	uint64_t	ms;
};


/* The memory: clients sorted by key. */
struct ovl__replay {
	char			 path[PATH_MAX];
	struct client_time	*clients;
	size_t			 n, cap, max;
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

/* Records ms for a client in memory, dropping the oldest when full. */
static int
client_set(struct ovl__replay *r, const uint8_t key[static 32],
    uint64_t ms)
{
	struct client_time *p;
	size_t i, old;
	int found;

	i = client_find(r, key, &found);
	if (found) {
		if (ms > r->clients[i].ms)
			r->clients[i].ms = ms;
		return (0);
	}
	if (r->n >= r->max) {
		old = 0;
		for (i = 1; i < r->n; i++)
			if (r->clients[i].ms < r->clients[old].ms)
				old = i;
		if (r->clients[old].ms > r->floor_ms)
			r->floor_ms = r->clients[old].ms;
		memmove(&r->clients[old], &r->clients[old + 1],
		    (r->n - old - 1) * sizeof *r->clients);
		r->n--;
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
	memcpy(r->clients[i].key, key, OVL_KEY_LEN);
	r->clients[i].ms = ms;
	r->n++;
	return (0);
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
		    "\n", hex, r->clients[i].ms);
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
		error = client_set(r, key, ms);
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

/* The replay rule. */
int
ovl__replay_accept(struct ovl__replay *r,
    const uint8_t client[static OVL_KEY_LEN], uint64_t ts_ms, char **cause)
{
	size_t i;
	int found, error;

	i = client_find(r, client, &found);
	if ((found && ts_ms <= r->clients[i].ms) ||
	    (!found && ts_ms <= r->floor_ms)) {
		ovl__set_cause(cause, "replayed or stale handshake (time %"
		    PRIu64 " is not newer than %" PRIu64 ")", ts_ms,
		    found ? r->clients[i].ms : r->floor_ms);
		return (-EALREADY);
	}
	error = client_set(r, client, ts_ms);
	if (error == 0)
		error = append_client(r, client, ts_ms, cause);
	return (error);
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
	if (r == NULL)
		return;
	free(r->clients);
	free(r);
}

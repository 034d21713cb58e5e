/*
 * The node's state directory and what the node records in it besides
 * keys: where the directory is by default, opening the identity and
 * access keys the same way for pierd and `pierd key`, address parsing,
 * and the `listen` file. pierd writes the addresses it bound there so
 * that `pierd key show`, run as a separate process, can put address hints
 * into the join key it prints; wildcard addresses become the host's
 * interface addresses, loopback last, since a join key travels to other
 * machines.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <uv.h>

#include "node.h"
#include "reach.h"

#define LISTEN_FILE	"listen"
#define LISTEN_MAX	64	/* lines read from the listen file */
#define HINTS_MAX	8		/* address hints in one join key */

static int	 mkdir_p(const char *path, mode_t last, char **cause);
static int	 strv_has(char *const *v, const char *s);
static int	 add_interfaces(char ***hints, int family, int loopback,
		    int port);

/* Sets *cause (if cause) to a formatted message. */
void
node_set_cause(char **cause, const char *fmt, ...)
{
	va_list ap;

	if (cause == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) < 0)
		*cause = NULL;
	va_end(ap);
}

/* Returns the default state directory (caller frees) or NULL. */
char *
node_state_dir_default(void)
{
	const char	*xdg, *home;
	char		*out;

	if (geteuid() == 0)
		return (strdup("/var/lib/pier"));
	xdg = getenv("XDG_STATE_HOME");
	if (xdg != NULL && xdg[0] == '/') {
		if (asprintf(&out, "%s/pier", xdg) < 0)
			return (NULL);
		return (out);
	}
	home = getenv("HOME");
	if (home == NULL || home[0] != '/')
		return (NULL);
	if (asprintf(&out, "%s/.local/state/pier", home) < 0)
		return (NULL);
	return (out);
}

/* Creates path and its parents; the last component gets mode last. */
static int
mkdir_p(const char *path, mode_t last, char **cause)
{
	char	*p, *s;
	int	 err = 0;

	p = strdup(path);
	if (p == NULL)
		return (-ENOMEM);
	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST) {
			err = -errno;
			break;
		}
		*s = '/';
	}
	if (err == 0 && mkdir(p, last) != 0 && errno != EEXIST)
		err = -errno;
	if (err != 0 && cause != NULL &&
	    asprintf(cause, "cannot create %s: %s", p, strerror(-err)) < 0)
		*cause = NULL;
	free(p);
	return (err);
}

/* Creates the state directory (0700) if missing; checks it is a dir. */
int
node_state_dir_make(const char *dir, char **cause)
{
	struct stat	st;
	int		err;

	err = mkdir_p(dir, 0700, cause);
	if (err != 0)
		return (err);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		if (cause != NULL && asprintf(cause,
		    "state directory %s is not a directory", dir) < 0)
			*cause = NULL;
		return (-ENOTDIR);
	}
	return (0);
}

/* Appends a copy of s to a NULL-terminated string vector. */
int
node_strv_push(char ***v, const char *s)
{
	char	**nv;
	size_t	  n = 0;

	while (*v != NULL && (*v)[n] != NULL)
		n++;
	nv = realloc(*v, (n + 2) * sizeof(*nv));
	if (nv == NULL)
		return (-ENOMEM);
	*v = nv;
	nv[n] = strdup(s);
	nv[n + 1] = NULL;
	if (nv[n] == NULL)
		return (-ENOMEM);
	return (0);
}

/* Returns the number of strings in a vector (NULL counts as empty). */
size_t
node_strv_len(char *const *v)
{
	size_t	n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return (n);
}

/* Frees a string vector and its strings. */
void
node_strv_free(char **v)
{
	size_t	i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Tells whether s is in v. */
static int
strv_has(char *const *v, const char *s)
{
	size_t	i;

	for (i = 0; v != NULL && v[i] != NULL; i++) {
		if (strcmp(v[i], s) == 0)
			return (1);
	}
	return (0);
}

/* Parses HOST:PORT or [V6]:PORT with a numeric host into ss. */
int
node_addr_parse(const char *s, struct sockaddr_storage *ss, char **cause)
{
	char		 host[INET6_ADDRSTRLEN + 1];
	const char	*colon, *h = s, *end;
	char		*pend;
	unsigned long	 port;
	size_t		 hl;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (end == NULL || end[1] != ':')
			goto bad;
		h = s + 1;
		hl = (size_t)(end - h);
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || strchr(s, ':') != colon)
			goto bad;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &pend, 10);
	if (colon[1] == '\0' || *pend != '\0' || errno != 0 || port > 65535)
		goto bad;
	if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss) == 0 &&
	    s[0] != '[')
		return (0);
	if (uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)ss) == 0 &&
	    s[0] == '[')
		return (0);
bad:
	if (cause != NULL && asprintf(cause, "bad address \"%s\": expected "
	    "IPV4:PORT or [IPV6]:PORT", s) < 0)
		*cause = NULL;
	return (-EINVAL);
}

/* Formats an address as HOST:PORT or [V6]:PORT into buf. */
int
node_addr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	char	host[INET6_ADDRSTRLEN];
	int	n;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		uv_ip4_name(in, host, sizeof(host));
		n = snprintf(buf, len, "%s:%u", host, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		uv_ip6_name(in6, host, sizeof(host));
		n = snprintf(buf, len, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else
		return (-EAFNOSUPPORT);
	if (n < 0 || (size_t)n >= len)
		return (-ENOSPC);
	return (0);
}

/* Saves the addresses pierd bound (one per line) in the state dir. */
int
node_listen_save(const char *dir, char *const *addrs, char **cause)
{
	char	*path = NULL, *buf = NULL;
	size_t	 len;
	FILE	*fp;
	size_t	 i;
	int	 err;

	fp = open_memstream(&buf, &len);
	if (fp == NULL)
		return (-ENOMEM);
	for (i = 0; addrs != NULL && addrs[i] != NULL; i++)
		fprintf(fp, "%s\n", addrs[i]);
	if (fclose(fp) != 0) {
		free(buf);
		return (-ENOMEM);
	}
	if (asprintf(&path, "%s/%s", dir, LISTEN_FILE) < 0) {
		free(buf);
		return (-ENOMEM);
	}
	err = ovl_file_write_atomic(path, buf, len, 0600, cause);
	free(path);
	free(buf);
	return (err);
}

/* Reads the listen file into a vector; -ENOENT if pierd never ran. */
int
node_listen_load(const char *dir, char ***out)
{
	struct sockaddr_storage	 ss;
	char			*path, line[128];
	FILE			*fp;
	size_t			 n = 0, l;
	int			 err = 0;

	*out = NULL;
	if (asprintf(&path, "%s/%s", dir, LISTEN_FILE) < 0)
		return (-ENOMEM);
	fp = fopen(path, "re");
	free(path);
	if (fp == NULL)
		return (-errno);
	while (n < LISTEN_MAX && fgets(line, sizeof(line), fp) != NULL) {
		l = strcspn(line, "\r\n");
		line[l] = '\0';
		if (node_addr_parse(line, &ss, NULL) != 0)
			continue;
		err = node_strv_push(out, line);
		if (err != 0)
			break;
		n++;
	}
	fclose(fp);
	if (err != 0) {
		node_strv_free(*out);
		*out = NULL;
	}
	return (err);
}

/* Adds the host's addresses of one family (loopback or not) as hints. */
static int
add_interfaces(char ***hints, int family, int loopback, int port)
{
	uv_interface_address_t	*ifs;
	struct sockaddr_storage	 ss;
	char			 buf[INET6_ADDRSTRLEN + 16];
	int			 n, i, err;

	err = uv_interface_addresses(&ifs, &n);
	if (err != 0)
		return (0);
	for (i = 0; i < n && node_strv_len(*hints) < HINTS_MAX; i++) {
		if (ifs[i].address.address4.sin_family != family ||
		    (ifs[i].is_internal != 0) != (loopback != 0))
			continue;
		if (family == AF_INET6) {
			const struct sockaddr_in6 *in6 =
			    &ifs[i].address.address6;

			/* Link-local needs a scope the peer cannot know. */
			if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr))
				continue;
			memcpy(&ss, in6, sizeof(*in6));
			((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		} else {
			memcpy(&ss, &ifs[i].address.address4,
			    sizeof(struct sockaddr_in));
			((struct sockaddr_in *)&ss)->sin_port = htons(port);
		}
		if (node_addr_format((struct sockaddr *)&ss, buf,
		    sizeof(buf)) != 0 || strv_has(*hints, buf))
			continue;
		err = node_strv_push(hints, buf);
		if (err != 0)
			break;
	}
	uv_free_interface_addresses(ifs, n);
	return (err);
}

/*
 * Turns listen addresses into address hints for a join key: a specific
 * address is kept; 0.0.0.0 and [::] become the host's interface
 * addresses of that family. Loopback addresses go last, at most
 * HINTS_MAX hints in all.
 */
int
node_hints_from_listen(char *const *listen, char ***out)
{
	struct sockaddr_storage	 ss;
	size_t			 i;
	int			 pass, err = 0, port;

	*out = NULL;
	for (pass = 0; pass < 2 && err == 0; pass++) {
		for (i = 0; listen != NULL && listen[i] != NULL; i++) {
			if (node_strv_len(*out) >= HINTS_MAX)
				break;
			if (node_addr_parse(listen[i], &ss, NULL) != 0)
				continue;
			if (ss.ss_family == AF_INET) {
				struct sockaddr_in *in = (void *)&ss;

				port = ntohs(in->sin_port);
				if (in->sin_addr.s_addr == htonl(INADDR_ANY)) {
					err = add_interfaces(out, AF_INET,
					    pass, port);
					continue;
				}
				if (((ntohl(in->sin_addr.s_addr) >> 24) ==
				    127) != pass)
					continue;
			} else {
				struct sockaddr_in6 *in6 = (void *)&ss;

				port = ntohs(in6->sin6_port);
				if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr)) {
					err = add_interfaces(out, AF_INET6,
					    pass, port);
					continue;
				}
				if (!!IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) !=
				    pass)
					continue;
			}
			if (!strv_has(*out, listen[i]))
				err = node_strv_push(out, listen[i]);
			if (err != 0)
				break;
		}
	}
	if (err != 0) {
		node_strv_free(*out);
		*out = NULL;
	}
	return (err);
}

/*
 * The join key of secret on the node pub: hints from listen as
 * node_hints_from_listen gives them, keeping only those a joiner's
 * ovl_joinkey_parse accepts (a listen address with an IPv6 zone, say,
 * is not one), up to OVL_JOINKEY_MAX_ADDRS.
 */
char *
node_joinkey_text(const char *dir, const uint8_t pub[static OVL_KEY_LEN],
    const uint8_t secret[static OVL_KEY_LEN], char *const *listen)
{
	struct ovl_joinkey	 jk;
	char			**hints = NULL, **more = NULL, *text;
	size_t			 i;

	if (node_hints_from_listen(listen, &hints) != 0)
		return (NULL);
	/* a mapped address and relays come after the node's own */
	if (listen != NULL && dir != NULL && node_reach_hints(dir, &more) == 0)
		for (i = 0; more != NULL && more[i] != NULL; i++)
			if (node_strv_push(&hints, more[i]) != 0)
				break;
	node_strv_free(more);
	memset(&jk, 0, sizeof(jk));
	memcpy(jk.node_pub, pub, OVL_KEY_LEN);
	memcpy(jk.secret, secret, OVL_KEY_LEN);
	for (i = 0; hints != NULL && hints[i] != NULL &&
	    jk.naddrs < OVL_JOINKEY_MAX_ADDRS; i++) {
		if (ovl_joinkey_check_addr(hints[i], NULL) == 0)
			snprintf(jk.addrs[jk.naddrs++], OVL_ADDR_MAX, "%s",
			    hints[i]);
	}
	node_strv_free(hints);
	text = ovl_joinkey_format(&jk);
	sodium_memzero(&jk, sizeof(jk));
	return (text);
}

/* The default listen addresses: every IPv4 and IPv6 address, port 7437. */
int
node_listen_default(char ***out)
{
	char	buf[32];
	int	err;

	*out = NULL;
	snprintf(buf, sizeof(buf), "0.0.0.0:%d", NODE_PORT);
	err = node_strv_push(out, buf);
	snprintf(buf, sizeof(buf), "[::]:%d", NODE_PORT);
	if (err == 0)
		err = node_strv_push(out, buf);
	if (err != 0) {
		node_strv_free(*out);
		*out = NULL;
	}
	return (err);
}

/*
 * Opens what a node keeps in its state dir: makes the dir, loads or
 * creates the identity (refusing a private key others can read), opens
 * the access keys and creates the admin key if there is none; *admin
 * (may be NULL) then points at it, else is NULL.
 */
int
node_state_open(const char *dir, struct ovl_identity *id,
    struct ovl_keystore **ks, const struct ovl_access_key **admin,
    char **cause)
{
	const struct ovl_access_key	*created = NULL;
	int				 err;

	*ks = NULL;
	err = node_state_dir_make(dir, cause);
	if (err != 0)
		return (err);
	err = ovl_identity_load_or_create(dir, NODE_IDENTITY_FILE, id, NULL,
	    cause);
	if (err != 0)
		return (err);
	err = ovl_keystore_open(ks, dir, cause);
	if (err == 0)
		err = ovl_keystore_ensure_admin(*ks, (int64_t)time(NULL),
		    &created, cause);
	if (err != 0) {
		ovl_keystore_free(*ks);
		*ks = NULL;
		ovl_identity_clear(id);
		return (err);
	}
	if (admin != NULL)
		*admin = created;
	return (0);
}

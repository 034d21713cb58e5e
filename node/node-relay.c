/*
 * The relays file and the commands on the host: `pierd relay add KEY
 * [--name NAME]`, `pierd relay ls [--json]`, `pierd relay rm NAME`, and
 * `pierd status [--json]`, which tells what the running node wrote to
 * reach.json. The running node watches the state dir and follows the
 * relays file at once, as it does the keys file.
 *
 * The relays file holds one relay per line, "NAME JOINKEY", mode 0600
 * (a join key carries a secret); it is written whole to a temporary
 * file and renamed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "node.h"
#include "reach.h"

#define LINE_MAX_LEN	4200

/* Whether a relay name is fine: 1-32 of [A-Za-z0-9._-]. */
static int
name_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > NODE_RELAY_NAME_MAX || s[0] == '-')
		return (0);
	for (i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._-", s[i]) == NULL)
			return (0);
	return (1);
}

/* Reads the relays file. */
int
node_relays_load(const char *dir, struct node_relay_ent *out, size_t *n,
    char **cause)
{
	char path[4096], line[LINE_MAX_LEN], *sp, *why = NULL;
	FILE *fp;
	size_t lineno = 0;
	int err = 0;

	*n = 0;
	snprintf(path, sizeof path, "%s/%s", dir, NODE_RELAYS_FILE);
	fp = fopen(path, "re");
	if (fp == NULL) {
		if (errno == ENOENT)
			return (0);
		node_set_cause(cause, "%s: %s", path, strerror(errno));
		return (-errno);
	}
	while (err == 0 && fgets(line, sizeof line, fp) != NULL) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		sp = strchr(line, ' ');
		if (sp == NULL || *n == NODE_RELAYS_MAX) {
			node_set_cause(cause, "%s:%zu: %s", path, lineno, sp == NULL ?
			    "expected NAME JOINKEY" : "too many relays");
			err = -EINVAL;
			break;
		}
		*sp++ = '\0';
		if (name_valid(line))
			memcpy(out[*n].name, line, strlen(line) + 1);
		if (!name_valid(line) ||
		    ovl_joinkey_parse(sp, &out[*n].jk, &why) != 0) {
			node_set_cause(cause, "%s:%zu: %s", path, lineno, why != NULL ?
			    why : "bad relay name");
			err = -EINVAL;
		} else
			(*n)++;
		free(why);
		why = NULL;
	}
	sodium_memzero(line, sizeof line);
	(void)fclose(fp);
	return (err);
}

/* Writes the relays file. */
int
node_relays_save(const char *dir, const struct node_relay_ent *v, size_t n,
    char **cause)
{
	char path[4096], tmp[4112], *text;
	FILE *fp;
	size_t i;
	int fd, err = 0;

	snprintf(path, sizeof path, "%s/%s", dir, NODE_RELAYS_FILE);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if ((err = node_state_dir_make(dir, cause)) != 0)
		return (err);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (fp = fdopen(fd, "w")) == NULL) {
		node_set_cause(cause, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			(void)close(fd);
		return (-errno);
	}
	for (i = 0; i < n && err == 0; i++) {
		text = ovl_joinkey_format(&v[i].jk);
		if (text == NULL || fprintf(fp, "%s %s\n", v[i].name,
		    text) < 0)
			err = -EIO;
		if (text != NULL)
			sodium_memzero(text, strlen(text));
		free(text);
	}
	if (fclose(fp) != 0 || err != 0 || rename(tmp, path) != 0) {
		node_set_cause(cause, "cannot write %s: %s", path, strerror(errno));
		(void)unlink(tmp);
		return (-EIO);
	}
	return (0);
}

/* The mapped address the running node verified, from reach.json. */
static void
mapped_hint(const char *dir, char *out, size_t cap)
{
	char path[4096];
	json_t *o;
	const char *s;

	out[0] = '\0';
	snprintf(path, sizeof path, "%s/%s", dir, NODE_REACH_FILE);
	o = json_load_file(path, 0, NULL);
	s = json_string_value(json_object_get(o, "mapped"));
	if (s != NULL)
		snprintf(out, cap, "map+%s", s);
	json_decref(o);
}

/* The hints besides the listen addresses. */
int
node_reach_hints(const char *dir, char ***out)
{
	struct node_relay_ent ents[NODE_RELAYS_MAX];
	char hint[OVL_ADDR_MAX + 8];
	size_t n = 0, i;
	int err = 0;

	*out = NULL;
	mapped_hint(dir, hint, sizeof hint);
	if (hint[0] != '\0')
		err = node_strv_push(out, hint);
	if (node_relays_load(dir, ents, &n, NULL) != 0)
		n = 0;
	for (i = 0; i < n && err == 0; i++) {
		if (ents[i].jk.naddrs == 0 ||
		    strchr(ents[i].jk.addrs[0], '+') != NULL)
			continue;
		snprintf(hint, sizeof hint, "relay+%s", ents[i].jk.addrs[0]);
		err = node_strv_push(out, hint);
	}
	sodium_memzero(ents, sizeof ents);
	if (err != 0) {
		node_strv_free(*out);
		*out = NULL;
	}
	return (err);
}

/* Prints the usage of `pierd relay`. */
static int
relay_usage(FILE *fp, int rc)
{
	fprintf(fp,
	    "usage: pierd relay add KEY [--name NAME] [--state-dir DIR]\n"
	    "       pierd relay ls [--json] [--state-dir DIR]\n"
	    "       pierd relay rm NAME [--state-dir DIR]\n"
	    "Relays are other nodes that splice clients to this one when "
	    "nothing can\nconnect to it directly. On the relay host, "
	    "'pierd key create --role relay\n--name NAME' prints KEY. The "
	    "running node follows changes at once.\n");
	return (rc);
}

/* `pierd relay add KEY [--name NAME]`. */
static int
relay_add(const char *dir, const char *key, const char *name)
{
	struct node_relay_ent ents[NODE_RELAYS_MAX];
	struct node_relay_ent e;
	char *cause = NULL, fp[OVL_FINGERPRINT_SIZE];
	size_t n = 0, i;
	int rc = NODE_EXIT_FAIL;

	memset(&e, 0, sizeof e);
	if (ovl_joinkey_parse(key, &e.jk, &cause) != 0) {
		fprintf(stderr, "pierd relay add: %s\n", cause);
		free(cause);
		return (NODE_EXIT_USAGE);
	}
	if (e.jk.naddrs == 0) {
		fprintf(stderr, "pierd relay add: the key has no address; "
		    "print it on the relay host with its address (pierd key "
		    "show NAME), or add @HOST:PORT to it\n");
		goto out;
	}
	snprintf(e.name, sizeof e.name, "%s", name != NULL ? name :
	    "relay");
	if (!name_valid(e.name)) {
		fprintf(stderr, "pierd relay add: bad name %s: 1-%d of "
		    "letters, digits, '.', '_' and '-'\n", e.name,
		    NODE_RELAY_NAME_MAX);
		rc = NODE_EXIT_USAGE;
		goto out;
	}
	if (node_relays_load(dir, ents, &n, &cause) != 0) {
		fprintf(stderr, "pierd relay add: %s\n", cause);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(ents[i].name, e.name) == 0) {
			fprintf(stderr, "pierd relay add: a relay named %s "
			    "exists; remove it first (pierd relay rm %s) or "
			    "give --name\n", e.name, e.name);
			goto out;
		}
	}
	if (n == NODE_RELAYS_MAX) {
		fprintf(stderr, "pierd relay add: %d relays already\n",
		    NODE_RELAYS_MAX);
		goto out;
	}
	ents[n++] = e;
	if (node_relays_save(dir, ents, n, &cause) != 0) {
		fprintf(stderr, "pierd relay add: %s\n", cause);
		goto out;
	}
	ovl_fingerprint(e.jk.node_pub, fp);
	printf("added relay %s: node %s at %s\n", e.name, fp, e.jk.addrs[0]);
	rc = NODE_EXIT_OK;
out:
	free(cause);
	sodium_memzero(ents, sizeof ents);
	sodium_memzero(&e, sizeof e);
	return (rc);
}

/* `pierd relay rm NAME`. */
static int
relay_rm(const char *dir, const char *name)
{
	struct node_relay_ent ents[NODE_RELAYS_MAX];
	char *cause = NULL;
	size_t n = 0, i, k = 0;
	int rc = NODE_EXIT_FAIL;

	if (node_relays_load(dir, ents, &n, &cause) != 0) {
		fprintf(stderr, "pierd relay rm: %s\n", cause);
		free(cause);
		return (rc);
	}
	for (i = 0; i < n; i++)
		if (strcmp(ents[i].name, name) != 0)
			ents[k++] = ents[i];
	if (k == n)
		fprintf(stderr, "pierd relay rm: no relay named %s; see "
		    "'pierd relay ls'\n", name);
	else if (node_relays_save(dir, ents, k, &cause) != 0)
		fprintf(stderr, "pierd relay rm: %s\n", cause);
	else {
		printf("removed relay %s\n", name);
		rc = NODE_EXIT_OK;
	}
	free(cause);
	sodium_memzero(ents, sizeof ents);
	return (rc);
}

/* The state of relay name in the running node's reach.json, or NULL. */
static const char *
link_state(json_t *reach, const char *name)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(reach, "relays"), i, v) {
		if (json_is_string(json_object_get(v, "name")) && strcmp(
		    json_string_value(json_object_get(v, "name")), name) == 0)
			return (json_string_value(json_object_get(v,
			    "state")));
	}
	return (NULL);
}

/* `pierd relay ls [--json]`. */
static int
relay_ls(const char *dir, int json)
{
	struct node_relay_ent ents[NODE_RELAYS_MAX];
	char *cause = NULL, path[4096], fp[OVL_FINGERPRINT_SIZE];
	json_t *reach, *a;
	const char *st;
	size_t n = 0, i;

	if (node_relays_load(dir, ents, &n, &cause) != 0) {
		fprintf(stderr, "pierd relay ls: %s\n", cause);
		free(cause);
		return (NODE_EXIT_FAIL);
	}
	snprintf(path, sizeof path, "%s/%s", dir, NODE_REACH_FILE);
	reach = json_load_file(path, 0, NULL);
	a = json_array();
	if (!json)
		printf("%-16s %-24s %-22s %s\n", "NAME", "ADDRESS", "NODE",
		    "LINK");
	for (i = 0; i < n; i++) {
		ovl_fingerprint(ents[i].jk.node_pub, fp);
		st = link_state(reach, ents[i].name);
		if (json)
			(void)json_array_append_new(a, json_pack("{s:s, s:s, "
			    "s:s, s:s?}", "name", ents[i].name, "address",
			    ents[i].jk.addrs[0], "node", fp, "link", st));
		else
			printf("%-16s %-24s %-22s %s\n", ents[i].name,
			    ents[i].jk.addrs[0], fp, st != NULL ? st :
			    "(node not running)");
	}
	if (json && json_dumpf(a, stdout, JSON_INDENT(2)) == 0)
		putchar('\n');
	json_decref(a);
	json_decref(reach);
	sodium_memzero(ents, sizeof ents);
	return (NODE_EXIT_OK);
}

/* `pierd relay COMMAND ...`. */
int
node_relay_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = NULL, *name = NULL, *cmd;
	char *def = NULL;
	int c, json = 0, rc;

	if (argc < 2)
		return (relay_usage(stderr, NODE_EXIT_USAGE));
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0)
		return (relay_usage(stdout, NODE_EXIT_OK));
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			return (relay_usage(stdout, NODE_EXIT_OK));
		default:
			return (relay_usage(stderr, NODE_EXIT_USAGE));
		}
	}
	argc -= optind;
	argv += optind;
	if (dir == NULL && (dir = def = node_state_dir_default()) == NULL) {
		fprintf(stderr, "pierd relay: no state directory: pass "
		    "--state-dir DIR\n");
		return (NODE_EXIT_FAIL);
	}
	if (strcmp(cmd, "add") == 0 && argc == 1)
		rc = relay_add(dir, argv[0], name);
	else if ((strcmp(cmd, "ls") == 0 || strcmp(cmd, "list") == 0) &&
	    argc == 0)
		rc = relay_ls(dir, json);
	else if ((strcmp(cmd, "rm") == 0 || strcmp(cmd, "remove") == 0) &&
	    argc == 1)
		rc = relay_rm(dir, argv[0]);
	else
		rc = relay_usage(stderr, NODE_EXIT_USAGE);
	free(def);
	return (rc);
}

/* Prints reach.json for people. */
static void
status_text(json_t *o)
{
	json_t *v, *m;
	size_t i;

	printf("node:     %s (pid %lld)\n",
	    json_string_value(json_object_get(o, "node")),
	    (long long)json_integer_value(json_object_get(o, "pid")));
	json_array_foreach(json_object_get(o, "listen"), i, v)
		printf("listen:   %s\n", json_string_value(v));
	v = json_object_get(o, "public");
	printf("public:   %s\n", json_is_string(v) ? json_string_value(v) :
	    "unknown (no relay link up)");
	m = json_object_get(o, "mapping");
	if (json_is_object(m))
		printf("mapping:  %s %s:%lld %s\n", json_string_value(
		    json_object_get(m, "protocol")) != NULL ?
		    json_string_value(json_object_get(m, "protocol")) : "-",
		    json_string_value(json_object_get(m, "public_ip")) != NULL ?
		    json_string_value(json_object_get(m, "public_ip")) : "-",
		    (long long)json_integer_value(json_object_get(m,
		    "public_port")), json_is_string(json_object_get(o,
		    "mapped")) ? "verified" : "not verified");
	else
		printf("mapping:  none\n");
	json_array_foreach(json_object_get(o, "relays"), i, v)
		printf("relay:    %s %s %s%s%s\n", json_string_value(
		    json_object_get(v, "name")), json_string_value(
		    json_object_get(v, "address")), json_string_value(
		    json_object_get(v, "state")), json_is_string(
		    json_object_get(v, "error")) ? ": " : "",
		    json_is_string(json_object_get(v, "error")) ?
		    json_string_value(json_object_get(v, "error")) : "");
	v = json_object_get(o, "relaying");
	printf("relaying: %lld links, %lld clients spliced now\n",
	    (long long)json_integer_value(json_object_get(v, "links")),
	    (long long)json_integer_value(json_object_get(v, "splices")));
	v = json_object_get(o, "relayed");
	printf("relayed:  %lld clients through relays now, %lld in all\n",
	    (long long)json_integer_value(json_object_get(v, "live")),
	    (long long)json_integer_value(json_object_get(v, "total")));
	v = json_object_get(o, "dht");
	if (json_is_object(v))
		printf("dht:      UDP %lld, %s, %lld nodes, seen at %s%s, "
		    "%lld announces\n", (long long)json_integer_value(
		    json_object_get(v, "port")), json_string_value(
		    json_object_get(v, "state")), (long long)
		    json_integer_value(json_object_get(v, "nodes")),
		    json_is_string(json_object_get(v, "external")) ?
		    json_string_value(json_object_get(v, "external")) : "?",
		    json_is_true(json_object_get(v, "symmetric")) ?
		    " (symmetric NAT)" : "", (long long)json_integer_value(
		    json_object_get(v, "announced")));
	else
		printf("dht:      off\n");
}

/* `pierd status [--json] [--state-dir DIR]`. */
int
node_status_main(int argc, char **argv)
{
	const char *dir = NULL;
	char path[4096], *def = NULL;
	json_t *o;
	int i, json = 0;
	pid_t pid;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--state-dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--help") == 0) {
			printf("usage: pierd status [--json] [--state-dir "
			    "DIR]\nHow the running node is reached: "
			    "listeners, public address, port mapping,\nrelay "
			    "links, relaying for others.\n");
			return (NODE_EXIT_OK);
		} else {
			fprintf(stderr, "usage: pierd status [--json] "
			    "[--state-dir DIR]\n");
			return (NODE_EXIT_USAGE);
		}
	}
	if (dir == NULL && (dir = def = node_state_dir_default()) == NULL) {
		fprintf(stderr, "pierd status: no state directory: pass "
		    "--state-dir DIR\n");
		return (NODE_EXIT_FAIL);
	}
	snprintf(path, sizeof path, "%s/%s", dir, NODE_REACH_FILE);
	o = json_load_file(path, 0, NULL);
	pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
	if (o == NULL || pid <= 0 || kill(pid, 0) != 0) {
		fprintf(stderr, "pierd status: no node is running with state "
		    "in %s; start one with 'pierd --state-dir %s'\n", dir, dir);
		json_decref(o);
		free(def);
		return (NODE_EXIT_FAIL);
	}
	free(def);
	if (json) {
		if (json_dumpf(o, stdout, JSON_INDENT(2)) == 0)
			putchar('\n');
	} else
		status_text(o);
	json_decref(o);
	return (NODE_EXIT_OK);
}

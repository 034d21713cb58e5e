/*
 * Stats arithmetic: one JSON object from GET /containers/{id}/stats into a
 * struct dk_stats, computed the way the docker CLI computes `docker stats`,
 * so our numbers match what users already know. The engine may run with
 * cgroup v1 or v2, and the memory and block I/O fields differ between the
 * two; both are handled. Missing fields count as zero (a stopped container
 * sends mostly zeros); a field of the wrong type is an error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "docker.h"

/* Sets *cause to "stats: WHY WHAT" if the caller asked for one. */
static void
set_cause(char **cause, const char *why, const char *what)
{
	char buf[256];

	if (cause == NULL)
		return;
	snprintf(buf, sizeof buf, "stats: %s%s", why, what);
	*cause = strdup(buf);
}

/*
 * Reads an unsigned counter at obj.key: 0 if absent or null, -EPROTO if
 * of another type or negative.
 */
static int
get_u64(const json_t *obj, const char *key, uint64_t *out, char **cause)
{
	json_t *v;	/* borrowed */

	*out = 0;
	if (obj == NULL || !json_is_object(obj))
		return (0);
	v = json_object_get(obj, key);
	if (v == NULL || json_is_null(v))
		return (0);
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return (0);
	}
	if (json_is_real(v) && json_real_value(v) >= 0 &&
	    json_real_value(v) < 1.8e19) {
		*out = (uint64_t)json_real_value(v);
		return (0);
	}
	set_cause(cause, "not a counter: ", key);
	return (-EPROTO);
}

/* Returns obj.key if it is an object, else NULL (absent or other type). */
static json_t *
get_obj(const json_t *obj, const char *key)
{
	json_t *v;	/* borrowed */

	if (obj == NULL)
		return (NULL);
	v = json_object_get(obj, key);
	return (json_is_object(v) ? v : NULL);
}

/* CPU percent as the docker CLI computes it (calculateCPUPercentUnix). */
static int
parse_cpu(const json_t *root, struct dk_stats *st, char **cause)
{
	json_t *cpu, *pre, *usage, *preusage, *percpu;	/* borrowed */
	uint64_t total, pretotal, sys, presys;
	double cpu_delta, sys_delta;
	int rc;

	cpu = get_obj(root, "cpu_stats");
	pre = get_obj(root, "precpu_stats");
	usage = get_obj(cpu, "cpu_usage");
	preusage = get_obj(pre, "cpu_usage");
	rc = get_u64(usage, "total_usage", &total, cause);
	if (rc == 0)
		rc = get_u64(preusage, "total_usage", &pretotal, cause);
	if (rc == 0)
		rc = get_u64(cpu, "system_cpu_usage", &sys, cause);
	if (rc == 0)
		rc = get_u64(pre, "system_cpu_usage", &presys, cause);
	if (rc == 0)
		rc = get_u64(cpu, "online_cpus", &st->online_cpus, cause);
	if (rc != 0)
		return (rc);
	if (st->online_cpus == 0 && usage != NULL) {
		percpu = json_object_get(usage, "percpu_usage");
		if (json_is_array(percpu))
			st->online_cpus = json_array_size(percpu);
	}
	st->cpu_total = total;
	st->cpu_system = sys;
	st->cpu_percent = 0.0;
	/* Unsigned counters can go backwards across a restart: no delta. */
	if (total > pretotal && sys > presys) {
		cpu_delta = (double)(total - pretotal);
		sys_delta = (double)(sys - presys);
		st->cpu_percent = cpu_delta / sys_delta *
		    (double)st->online_cpus * 100.0;
	}
	return (0);
}

/*
 * Memory without the page cache, as the docker CLI shows it: cgroup v1
 * subtracts stats.total_inactive_file (older CLIs: stats.cache), cgroup v2
 * stats.inactive_file; each only when it is below the usage.
 */
static int
parse_mem(const json_t *root, struct dk_stats *st, char **cause)
{
	static const char *const cache_keys[] = {
		"total_inactive_file",	/* cgroup v1 */
		"inactive_file",	/* cgroup v2 */
		"cache",		/* cgroup v1, older engines */
	};
	json_t *mem, *stats;	/* borrowed */
	uint64_t usage, v;
	size_t i;
	int rc;

	mem = get_obj(root, "memory_stats");
	stats = get_obj(mem, "stats");
	rc = get_u64(mem, "usage", &usage, cause);
	if (rc == 0)
		rc = get_u64(mem, "limit", &st->mem_limit, cause);
	if (rc != 0)
		return (rc);
	st->mem_usage = usage;
	for (i = 0; i < sizeof cache_keys / sizeof cache_keys[0]; i++) {
		if (stats == NULL ||
		    json_object_get(stats, cache_keys[i]) == NULL)
			continue;
		rc = get_u64(stats, cache_keys[i], &v, cause);
		if (rc != 0)
			return (rc);
		/* As the CLI: the first one below the usage counts. */
		if (v < usage) {
			st->mem_usage = usage - v;
			break;
		}
	}
	st->mem_percent = 0.0;
	if (st->mem_limit != 0)
		st->mem_percent = (double)st->mem_usage /
		    (double)st->mem_limit * 100.0;
	return (0);
}

/* Network bytes summed over every interface. */
static int
parse_net(const json_t *root, struct dk_stats *st, char **cause)
{
	json_t *nets, *nic;	/* borrowed */
	const char *name;
	uint64_t rx, tx;
	int rc;

	st->net_rx = st->net_tx = 0;
	nets = get_obj(root, "networks");
	if (nets == NULL)
		return (0);
	json_object_foreach(nets, name, nic) {
		if (!json_is_object(nic)) {
			set_cause(cause, "not an object: network ", name);
			return (-EPROTO);
		}
		rc = get_u64(nic, "rx_bytes", &rx, cause);
		if (rc == 0)
			rc = get_u64(nic, "tx_bytes", &tx, cause);
		if (rc != 0)
			return (rc);
		st->net_rx += rx;
		st->net_tx += tx;
	}
	return (0);
}

/* Block I/O read and write bytes from io_service_bytes_recursive. */
static int
parse_blkio(const json_t *root, struct dk_stats *st, char **cause)
{
	json_t *list, *e, *op;	/* borrowed */
	uint64_t v;
	size_t i;
	int rc;

	st->blk_read = st->blk_write = 0;
	list = json_object_get(get_obj(root, "blkio_stats"),
	    "io_service_bytes_recursive");
	if (list == NULL || json_is_null(list))
		return (0);
	if (!json_is_array(list)) {
		set_cause(cause, "not a list: ",
		    "io_service_bytes_recursive");
		return (-EPROTO);
	}
	json_array_foreach(list, i, e) {
		op = json_object_get(e, "op");
		if (!json_is_string(op))
			continue;
		rc = get_u64(e, "value", &v, cause);
		if (rc != 0)
			return (rc);
		/* cgroup v1 says "Read", v2 "read". */
		if (strcasecmp(json_string_value(op), "read") == 0)
			st->blk_read += v;
		else if (strcasecmp(json_string_value(op), "write") == 0)
			st->blk_write += v;
	}
	return (0);
}

/* Fills st from one decoded stats object; see docker.h. */
int
dk_stats_from_json(const json_t *root, struct dk_stats *st, char **cause)
{
	json_t *v;	/* borrowed */
	const char *s;
	int rc;

	memset(st, 0, sizeof *st);
	if (!json_is_object(root)) {
		set_cause(cause, "not a JSON object", "");
		return (-EPROTO);
	}
	v = json_object_get(root, "read");
	if (json_is_string(v))
		snprintf(st->read, sizeof st->read, "%s", json_string_value(v));
	v = json_object_get(root, "name");
	if (json_is_string(v)) {
		s = json_string_value(v);
		snprintf(st->name, sizeof st->name, "%s", s[0] == '/' ?
		    s + 1 : s);
	}
	v = json_object_get(root, "id");
	if (json_is_string(v))
		snprintf(st->id, sizeof st->id, "%s", json_string_value(v));
	rc = parse_cpu(root, st, cause);
	if (rc == 0)
		rc = parse_mem(root, st, cause);
	if (rc == 0)
		rc = parse_net(root, st, cause);
	if (rc == 0)
		rc = parse_blkio(root, st, cause);
	if (rc == 0)
		rc = get_u64(get_obj(root, "pids_stats"), "current",
		    &st->pids, cause);
	return (rc);
}

/* Parses one stats JSON text; see docker.h. */
int
dk_stats_parse(const char *buf, size_t len, struct dk_stats *st,
    char **cause)
{
	json_t *root;	/* owned */
	json_error_t err;
	int rc;

	memset(st, 0, sizeof *st);
	if (len > DK_STATS_MAX) {
		set_cause(cause, "object too large", "");
		return (-EMSGSIZE);
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL) {
		set_cause(cause, "bad JSON: ", err.text);
		return (-EPROTO);
	}
	rc = dk_stats_from_json(root, st, cause);
	json_decref(root);
	return (rc);
}

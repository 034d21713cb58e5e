/*
 * The node's dispatch table: one entry per method of proto's catalogue,
 * sorted by name, pairing the method with its handler. The catalogue
 * (proto/methods.c) holds the role, schema and flags; this table holds
 * only what the node does. A unit test checks that both list the same
 * methods. Handlers live in cmd-<family>.c and are declared in node.h.
 *
 * Every method has its handler now. cmd_not_implemented stays for a
 * method the catalogue gains before the node can serve it: its entry
 * points there, and a caller gets NOMETHOD naming this pierd's version
 * rather than a table that disagrees with the catalogue.
 */
#include <stdlib.h>
#include <string.h>

#include "pier-config.h"
#include "node.h"

/* Every method the node serves, sorted by name. */
const struct cmd_entry cmd_table[] = {
	{ .name = "audit.read", .exec = cmd_audit_read },
	{ .name = "container.commit", .exec = cmd_container_commit },
	{ .name = "container.create", .exec = cmd_container_create },
	{ .name = "container.diff", .exec = cmd_container_diff },
	{ .name = "container.download", .exec = cmd_container_download },
	{ .name = "container.duplicate", .exec = cmd_container_duplicate },
	{ .name = "container.inspect", .exec = cmd_container_inspect },
	{ .name = "container.kill", .exec = cmd_container_kill },
	{ .name = "container.list", .exec = cmd_container_list },
	{ .name = "container.logs", .exec = cmd_container_logs },
	{ .name = "container.pause", .exec = cmd_container_pause },
	{ .name = "container.prune", .exec = cmd_container_prune },
	{ .name = "container.remove", .exec = cmd_container_remove },
	{ .name = "container.rename", .exec = cmd_container_rename },
	{ .name = "container.restart", .exec = cmd_container_restart },
	{ .name = "container.start", .exec = cmd_container_start },
	{ .name = "container.statpath", .exec = cmd_container_statpath },
	{ .name = "container.stats", .exec = cmd_container_stats },
	{ .name = "container.stop", .exec = cmd_container_stop },
	{ .name = "container.top", .exec = cmd_container_top },
	{ .name = "container.unpause", .exec = cmd_container_unpause },
	{ .name = "container.update", .exec = cmd_container_update },
	{ .name = "container.upload", .exec = cmd_container_upload },
	{ .name = "container.wait", .exec = cmd_container_wait },
	{ .name = "docker.run", .exec = cmd_docker_run },
	{ .name = "events.subscribe", .exec = cmd_events_subscribe },
	{ .name = "exec.run", .exec = cmd_exec_run },
	{ .name = "image.history", .exec = cmd_image_history },
	{ .name = "image.inspect", .exec = cmd_image_inspect },
	{ .name = "image.list", .exec = cmd_image_list },
	{ .name = "image.prune", .exec = cmd_image_prune },
	{ .name = "image.pull", .exec = cmd_image_pull },
	{ .name = "image.remove", .exec = cmd_image_remove },
	{ .name = "image.tag", .exec = cmd_image_tag },
	{ .name = "key.create", .exec = cmd_key_create },
	{ .name = "key.disable", .exec = cmd_key_disable },
	{ .name = "key.enable", .exec = cmd_key_enable },
	{ .name = "key.list", .exec = cmd_key_list },
	{ .name = "key.revoke", .exec = cmd_key_revoke },
	{ .name = "key.unrevoke", .exec = cmd_key_unrevoke },
	{ .name = "logs.select", .exec = cmd_logs_select },
	{ .name = "network.connect", .exec = cmd_network_connect },
	{ .name = "network.create", .exec = cmd_network_create },
	{ .name = "network.disconnect", .exec = cmd_network_disconnect },
	{ .name = "network.inspect", .exec = cmd_network_inspect },
	{ .name = "network.list", .exec = cmd_network_list },
	{ .name = "network.prune", .exec = cmd_network_prune },
	{ .name = "network.remove", .exec = cmd_network_remove },
	{ .name = "node.info", .exec = cmd_node_info },
	{ .name = "node.reach", .exec = cmd_node_reach },
	{ .name = "path.punch", .exec = cmd_path_punch },
	{ .name = "relay.dialback", .exec = cmd_relay_dialback },
	{ .name = "relay.hello", .exec = cmd_relay_hello },
	{ .name = "service.list", .exec = cmd_service_list },
	{ .name = "session.attach", .exec = cmd_session_attach },
	{ .name = "session.kill", .exec = cmd_session_kill },
	{ .name = "session.list", .exec = cmd_session_list },
	{ .name = "session.open", .exec = cmd_session_open },
	{ .name = "session.resize", .exec = cmd_session_resize },
	{ .name = "stack.down", .exec = cmd_stack_down },
	{ .name = "stack.list", .exec = cmd_stack_list },
	{ .name = "stack.ps", .exec = cmd_stack_ps },
	{ .name = "stack.pull", .exec = cmd_stack_pull },
	{ .name = "stack.restart", .exec = cmd_stack_restart },
	{ .name = "stack.up", .exec = cmd_stack_up },
	{ .name = "stats.subscribe", .exec = cmd_stats_subscribe },
	{ .name = "system.df", .exec = cmd_system_df },
	{ .name = "volume.backup", .exec = cmd_volume_backup },
	{ .name = "volume.create", .exec = cmd_volume_create },
	{ .name = "volume.list", .exec = cmd_volume_list },
	{ .name = "volume.prune", .exec = cmd_volume_prune },
	{ .name = "volume.remove", .exec = cmd_volume_remove },
	{ .name = "volume.restore", .exec = cmd_volume_restore },
};

/* The number of entries in cmd_table. */
const size_t cmd_ntable = sizeof(cmd_table) / sizeof(cmd_table[0]);

/* Orders a name against a table entry, for bsearch. */
static int
cmd_cmp(const void *key, const void *elem)
{
	const struct cmd_entry	*e = elem;

	return (strcmp(key, e->name));
}

/* The handler entry of a method, or NULL. */
const struct cmd_entry *
cmd_find(const char *name)
{
	return (bsearch(name, cmd_table, cmd_ntable, sizeof(cmd_table[0]),
	    cmd_cmp));
}

/* Answers that this node does not serve the method yet. */
enum cmd_retval
cmd_not_implemented(struct cmd_req *r)
{
	return (cmd_fail(r, PROTO_E_NOMETHOD, "%s is not implemented on "
	    "this node yet (pierd %s)", r->method->name, PIER_VERSION));
}

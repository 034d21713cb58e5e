/*
 * `pier config get|set|unset KEY [VALUE]` and `pier config list`: the
 * client's own settings, one JSON object in config.json in the config
 * directory (next to the address book), written atomically with mode
 * 0600. Only known keys are taken, so a typo is an error instead of a
 * setting nothing reads:
 *
 *	templates.source	default source of `pier templates` and
 *				`pier deploy` (a file, stored as an
 *				absolute path, or an https URL)
 *	dht			false: never ask the DHT for a node
 *				(find.c; true or false)
 *	dht.bootstrap		the DHT nodes to join through, HOST:PORT,
 *				comma-separated (PIER_DHT_BOOTSTRAP wins)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"


static int	config_main(const struct cli_cmd *, int, char **);

const struct cli_cmd cli_cmd_config = {
	.name = "config",
	.main = config_main,
	.usage = "get|set|unset KEY [VALUE] | list",
	.summary = "show or change the client's settings",
	.help =
	    "  get KEY          print a setting (nothing if unset)\n"
	    "  set KEY VALUE    change a setting\n"
	    "  unset KEY        back to the default\n"
	    "  list             every setting that is set\n"
	    "\nKeys:\n"
	    "  templates.source  default template source of pier templates\n"
	    "                    and pier deploy: a file or an https URL\n"
	    "  dht               false: do not look nodes up on the "
	    "BitTorrent DHT\n"
	    "                    (default true)\n"
	    "  dht.bootstrap     DHT nodes to join through, HOST:PORT,"
	    " comma-\n"
	    "                    separated (default the public routers; "
	    "the\n"
	    "                    environment's PIER_DHT_BOOTSTRAP wins)\n"
	    "  move              false: a connection that came through a "
	    "relay\n"
	    "                    stays there (default true: it moves to a "
	    "direct\n"
	    "                    path when one can be made)\n",
};

/* The keys a setting may have. */
static const char *const config_keys[] = {
	"dht",
	"dht.bootstrap",
	"move",
	"templates.source",
	NULL,
};

/* Writes settings to dir's config.json atomically, mode 0600. */
static int
config_save(const char *dir, const json_t *o, char **cause)
{
	char	*path = NULL, *tmp = NULL;
	FILE	*fp;
	int	 err = 0;

	if (asprintf(&path, "%s/%s", dir, CLI_SETTINGS_FILE) < 0 ||
	    asprintf(&tmp, "%s/.%s.tmp", dir, CLI_SETTINGS_FILE) < 0) {
		free(path);
		return (-ENOMEM);
	}
	fp = fopen(tmp, "w");
	if (fp == NULL || fchmod(fileno(fp), 0600) != 0 || json_dumpf(o, fp,
	    JSON_INDENT(2) | JSON_SORT_KEYS) != 0 || fputc('\n', fp) == EOF)
		err = -errno != 0 ? -errno : -EIO;
	if (fp != NULL && fclose(fp) != 0 && err == 0)
		err = -errno;
	if (err == 0 && rename(tmp, path) != 0)
		err = -errno;
	if (err != 0) {
		(void)unlink(tmp);
		if (cause != NULL && asprintf(cause, "cannot write %s: %s",
		    path, strerror(-err)) < 0)
			*cause = NULL;
	}
	free(tmp);
	free(path);
	return (err);
}

/* Tells whether key is a known setting. */
static int
key_known(const char *key)
{
	size_t	i;

	for (i = 0; config_keys[i] != NULL; i++) {
		if (strcmp(config_keys[i], key) == 0)
			return (1);
	}
	return (0);
}

/*
 * The value to store for key: a templates.source that is a file, not a
 * URL, made absolute (malloc'd), so that the setting names the same file
 * from any directory; NULL if out of memory.
 */
static char *
setting_value(const char *key, const char *v)
{
	char	*cwd, *abs = NULL;

	if (strcmp(key, "templates.source") != 0 || v[0] == '/' ||
	    strstr(v, "://") != NULL)
		return (strdup(v));
	abs = realpath(v, NULL);
	if (abs != NULL)
		return (abs);
	cwd = getcwd(NULL, 0);
	if (cwd == NULL || asprintf(&abs, "%s/%s", cwd, v) < 0)
		abs = NULL;
	free(cwd);
	return (abs);
}

/* `pier config ...`. */
static int
config_main(const struct cli_cmd *self, int argc, char **argv)
{
	const char	*sub, *k;
	json_t		*o = NULL, *v;	/* o owned */
	char		*dir, *cause = NULL, *value;
	int		 rc = CLI_EXIT_FAIL;

	if (argc < 2)
		return (cli_usage(self));
	sub = argv[1];
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0)
		return (cli_help(self));
	if (!((strcmp(sub, "get") == 0 && argc == 3) ||
	    (strcmp(sub, "set") == 0 && argc == 4) ||
	    (strcmp(sub, "unset") == 0 && argc == 3) ||
	    (strcmp(sub, "list") == 0 && argc == 2)))
		return (cli_usage(self));
	if (argc >= 3 && !key_known(argv[2])) {
		cli_error(self, "unknown setting: %s (known: dht, "
		    "dht.bootstrap, templates.source)", argv[2]);
		return (CLI_EXIT_USAGE);
	}
	dir = cli_config_dir();
	if (dir == NULL)
		return (cli_error(self, "no config directory (set "
		    "PIER_CONFIG_DIR or HOME)"));
	if (cli_settings_load(dir, &o, &cause) != 0) {
		cli_fail(self, NULL, cause, "out of memory");
		goto out;
	}
	if (strcmp(sub, "get") == 0) {
		v = json_object_get(o, argv[2]);
		if (json_is_string(v))
			printf("%s\n", json_string_value(v));
		rc = CLI_EXIT_OK;
		goto out;
	}
	if (strcmp(sub, "list") == 0) {
		json_object_foreach(o, k, v) {
			if (json_is_string(v))
				printf("%s=%s\n", k, json_string_value(v));
		}
		rc = CLI_EXIT_OK;
		goto out;
	}
	if (strcmp(sub, "set") == 0 && (strcmp(argv[2], "dht") == 0 ||
	    strcmp(argv[2], "move") == 0) && strcmp(argv[3], "true") != 0 &&
	    strcmp(argv[3], "false") != 0) {
		cli_error(self, "%s: true or false, not %s", argv[2], argv[3]);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (strcmp(sub, "set") == 0) {
		value = setting_value(argv[2], argv[3]);
		if (value == NULL || json_object_set_new(o, argv[2],
		    json_string(value)) != 0) {
			cli_error(self, "%s: cannot store %s", argv[2],
			    argv[3]);
			free(value);
			goto out;
		}
		free(value);
	} else
		(void)json_object_del(o, argv[2]);
	if (cli_config_dir_make(dir, &cause) != 0 ||
	    config_save(dir, o, &cause) != 0) {
		cli_fail(self, NULL, cause, "failed");
		goto out;
	}
	rc = CLI_EXIT_OK;
out:
	json_decref(o);
	free(cause);
	free(dir);
	return (rc);
}

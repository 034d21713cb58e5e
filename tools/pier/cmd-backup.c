/*
 * `pier volume backup NODE/VOLUME [-o FILE|-]` and `pier volume restore
 * NODE/VOLUME FILE|- [--force]`: a volume's contents as a tar, through
 * a helper container the node creates and never starts (volume.backup,
 * volume.restore), streamed with credit and shown on a terminal. A
 * backup is written to FILE (made 0600, replaced only once complete) or
 * stdout, never to a terminal; a restore reads FILE or stdin and goes
 * into a new or empty volume unless --force.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "cli.h"
#include "cli-cp.h"

static int	backup_main(const struct cli_cmd *, int, char **);
static int	restore_main(const struct cli_cmd *, int, char **);

static const struct cli_opt backup_opts[] = {
	{ .name = "output", .letter = 'o', .arg = "FILE", .kind = CLI_K_ARG,
	  .help = "write the tar to FILE (- or none: stdout)" },
	{ .name = "image", .arg = "IMAGE", .kind = CLI_K_TEXT,
	  .param = "image",
	  .help = "image of the helper container (default: the\n"
	  "node's smallest; it is never started)" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_volume_backup = {
	.name = "volume backup", .main = backup_main,
	.method = "volume.backup", .role = PROTO_ROLE_ADMIN,
	.opts = backup_opts, .args_min = 1, .args_max = 1,
	.usage = "NODE/VOLUME [-o FILE|-]",
	.summary = "save a volume's contents as a tar",
	.help = "",
};

static const struct cli_opt restore_opts[] = {
	{ .name = "force", .letter = 'f', .kind = CLI_K_FLAG, .param = "force",
	  .help = "restore into a volume that is not empty" },
	{ .name = "image", .arg = "IMAGE", .kind = CLI_K_TEXT,
	  .param = "image",
	  .help = "image of the helper container (default: the\n"
	  "node's smallest; it is never started)" },
	{ .name = NULL }
};

const struct cli_cmd cli_cmd_volume_restore = {
	.name = "volume restore", .main = restore_main,
	.method = "volume.restore", .role = PROTO_ROLE_ADMIN,
	.opts = restore_opts, .args_min = 2, .args_max = 2,
	.usage = "NODE/VOLUME FILE|- [--force]",
	.summary = "fill a new or empty volume from a tar",
	.help = "",
};

/* Runs a backup (to -o or stdout) or a restore (from FILE or stdin). */
static int
vol_run(const struct cli_cmd *self, int argc, char **argv, int upload)
{
	struct cli_tar_xfer	 t;
	struct cli_target	 tg;
	struct cli_args		 a;
	struct cli_ctx		 x;
	const char		*file;
	char			*cause = NULL, *tmpname = NULL;
	char			 label[PATH_MAX + 64];
	int			 rc, fd = -1;

	rc = cli_args_parse(self, argc, argv, &a);
	if (rc >= 0) {
		cli_args_free(&a);
		return (rc);
	}
	rc = CLI_EXIT_FAIL;
	memset(&tg, 0, sizeof(tg));
	if (cli_ctx_open(&x, &cause) != 0) {
		cli_fail(self, NULL, cause, "failed");
		free(cause);
		cli_args_free(&a);
		return (CLI_EXIT_FAIL);
	}
	if (cli_target_parse(&x.book, a.argv[0], &tg, &cause) != 0) {
		rc = cli_fail(self, NULL, cause, "bad volume");
		goto out;
	}
	if (upload)
		file = a.argv[1];
	else
		file = cli_args_get(self, &a, "output");
	if (file == NULL || strcmp(file, "-") == 0) {
		fd = upload ? 0 : 1;
		if (isatty(fd)) {
			rc = cli_usage_error(self, upload ? "refusing to read "
			    "a tar from a terminal" : "refusing to write a "
			    "tar to a terminal: use -o FILE or a pipe");
			goto out;
		}
	} else if (upload)
		fd = open(file, O_RDONLY | O_CLOEXEC);
	else {
		if (asprintf(&tmpname, "%s.partial", file) < 0) {
			tmpname = NULL;
			goto out;
		}
		fd = open(tmpname, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0600);
	}
	if (fd < 0) {
		rc = cli_error(self, "%s: %s", tmpname != NULL ? tmpname :
		    file, strerror(errno));
		goto out;
	}
	(void)json_object_set_new(a.params, "id", json_string(tg.container));
	memset(&t, 0, sizeof(t));
	t.node = tg.node;
	t.method = self->method;
	t.params = a.params;
	t.upload = upload;
	t.fd = fd;
	snprintf(label, sizeof(label), "%s %s", upload ? "Restoring" :
	    "Backing up", a.argv[0]);
	t.label = label;
	if (cli_tar_xfer(&x, &t, &cause) != 0)
		rc = cli_fail(self, tg.node, cause, "failed");
	else if (tmpname != NULL && rename(tmpname, file) != 0)
		rc = cli_error(self, "%s: %s", file, strerror(errno));
	else {
		rc = CLI_EXIT_OK;
		free(tmpname);
		tmpname = NULL;
	}
	json_decref(t.reply);
	free(cause);
out:
	if (fd > 1)
		close(fd);
	if (tmpname != NULL) {
		(void)unlink(tmpname);
		free(tmpname);
	}
	cli_target_free(&tg);
	cli_ctx_close(&x);
	cli_args_free(&a);
	return (rc);
}

/* `pier volume backup`. */
static int
backup_main(const struct cli_cmd *self, int argc, char **argv)
{
	return (vol_run(self, argc, argv, 0));
}

/* `pier volume restore`. */
static int
restore_main(const struct cli_cmd *self, int argc, char **argv)
{
	return (vol_run(self, argc, argv, 1));
}

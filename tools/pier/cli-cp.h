/*
 * tools/pier/: files in and out of containers and volumes (cmd-cp.c,
 * cmd-backup.c): the tar side (cp-tar.c, libarchive on a thread of its
 * own) and the stream that moves a tar between a pipe and a node
 * (cp-stream.c).
 */
#ifndef PIER_CLI_CP_H
#define PIER_CLI_CP_H

#include <stdint.h>

#include <uv.h>

#include "cli.h"

/* cp-tar.c */

#define CLI_TAR_MAX_ENTRIES	1000000	/* entries of a tar unpacked */

/* How a tar is unpacked under the current directory. */
struct cli_tar_in {
	const char	*top;		/* the tar's first name ("etc", ".") */
	const char	*to;		/* what top becomes here */
	uint64_t	 max_entries;
	uint64_t	 max_bytes;	/* claimed by entries, sparse in full */
	int		 owners;	/* keep the tar's uid/gid */
};

/* How a local tree is packed. */
struct cli_tar_out {
	const char	*src;		/* the local path */
	const char	*name;		/* what it is called in the tar */
	int		 follow;	/* follow src itself if a symlink */
};

/* Tells whether a relative name is safe: not absolute, no "..". */
int	 cli_tar_name_safe(const char *name);
/* An entry's name with top replaced by to (new), or NULL if not under. */
char	*cli_tar_rename(const char *name, const char *top, const char *to);
/* Unpacks the tar read from fd; 0, or -errno with *cause (caller frees). */
int	 cli_tar_unpack(int fd, const struct cli_tar_in *in, char **cause)
	    WARN_UNUSED_RESULT;
/* Packs o->src into a tar written to fd; 0 or -errno with *cause. */
int	 cli_tar_pack(int fd, const struct cli_tar_out *o, char **cause)
	    WARN_UNUSED_RESULT;

/* A pack or an unpack on a thread of its own, at one end of a pipe. */
struct cli_tar_job {
	uv_thread_t		 t;
	int			 unpack;	/* else pack */
	struct cli_tar_in	 in;
	struct cli_tar_out	 out;
	int			 fd;		/* the thread's end; it closes */
	int			 rc;
	char			*cause;
	int			 started;
};

/*
 * Starts j (unpack, in or out filled) on a thread; *fd is the pipe's
 * other end, the caller's to close. 0 or -errno.
 */
int	 cli_tar_job_start(struct cli_tar_job *j, int *fd) WARN_UNUSED_RESULT;
/* Waits for the thread: its rc (j->cause says why). */
int	 cli_tar_job_join(struct cli_tar_job *j);

/* cp-stream.c */

/* Moves a tar between fd and one node's archive method. */
struct cli_tar_xfer {
	const char	*node;
	const char	*method;	/* container.download, ... */
	json_t		*params;	/* borrowed */
	int		 upload;	/* fd's tar to the node, else to fd */
	int		 fd;
	const char	*label;		/* progress: "Copying to web:/tmp" */
	json_t		*reply;		/* out: the method's result (owned) */
	uint64_t	 bytes;		/* out: tar bytes moved */
};

/*
 * Runs the transfer on x until its end: 0, or -1 with *cause (caller
 * frees). fd is left open.
 */
int	 cli_tar_xfer(struct cli_ctx *x, struct cli_tar_xfer *t, char **cause);

#endif

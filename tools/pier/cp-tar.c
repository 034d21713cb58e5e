/*
 * The tar side of `pier cp` and of volume backups, with libarchive: a
 * local tree packed into a tar written to a pipe, or a tar read from a
 * pipe unpacked under the current directory. Each runs on a thread of
 * its own (libarchive blocks), with the loop thread moving the pipe's
 * other end to or from the node; the pipe's 64 KiB and libarchive's own
 * block are all either holds, whatever the size of the copy.
 *
 * Unpacking takes what a node (or the engine behind it) sends as hostile:
 *	- every entry's name must begin with the tar's top name (what was
 *	  asked for), which is replaced by the name wanted here; a name that
 *	  is absolute or holds a ".." component is refused, as is a hard
 *	  link's target of that kind;
 *	- nothing is written through a symbolic link: libarchive's secure
 *	  modes refuse a path that crosses one (ARCHIVE_EXTRACT_SECURE_*),
 *	  so a link the tar made first cannot carry a later entry out of the
 *	  target, nor can one that was there before;
 *	- the entries and the bytes they claim (a sparse entry's full size)
 *	  are bounded (a tar bomb fails once past either bound, before it
 *	  fills the disk).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <fts.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli-arc.h"
#include "cli-cp.h"

#define TAR_READ_BLOCK	65536	/* bytes libarchive reads at once */
#define TAR_FILE_CHUNK	65536	/* bytes of a file packed at once */

/* Sets *cause to a formatted message (caller frees). */
static void
tar_cause(char **cause, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
tar_cause(char **cause, const char *fmt, ...)
{
	va_list	ap;

	if (*cause != NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) < 0)
		*cause = NULL;
	va_end(ap);
}

/* Tells whether a relative name is safe: not absolute, no "..". */
int
cli_tar_name_safe(const char *name)
{
	const char	*p = name, *e;

	if (*name == '/' || *name == '\0')
		return (0);
	while (*p != '\0') {
		e = strchr(p, '/');
		if (e == NULL)
			e = p + strlen(p);
		if (e - p == 2 && p[0] == '.' && p[1] == '.')
			return (0);
		p = *e == '/' ? e + 1 : e;
	}
	return (1);
}

/*
 * The name an entry gets here: top replaced by to. NULL when the name
 * is not under top (the tar is not what was asked for).
 */
char *
cli_tar_rename(const char *name, const char *top, const char *to)
{
	size_t	 tl = strlen(top);
	char	*out;

	while (name[0] == '.' && name[1] == '/' && strcmp(top, ".") != 0)
		name += 2;
	if (strncmp(name, top, tl) != 0 || (name[tl] != '\0' &&
	    name[tl] != '/'))
		return (NULL);
	if (asprintf(&out, "%s%s", to, name + tl) < 0)
		return (NULL);
	return (out);
}

/* Unpacks a tar from fd under the current directory; see cli-cp.h. */
int
cli_tar_unpack(int fd, const struct cli_tar_in *in, char **cause)
{
	struct archive		*a, *w;
	struct archive_entry	*e;
	const void		*buf;
	size_t			 len;
	la_int64_t		 off;
	uint64_t		 entries = 0, bytes = 0;
	const char		*hl;
	char			*name = NULL, *link = NULL;
	int			 rc = -EIO, r, flags;

	if ((rc = cli_arc_load(cause)) != 0)
		return (rc);
	rc = -EIO;
	a = archive_read_new();
	w = archive_write_disk_new();
	if (a == NULL || w == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	(void)archive_read_support_format_tar(a);
	flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
	    ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
	/*
	 * No ARCHIVE_EXTRACT_UNLINK: with it a link in the way is removed
	 * and the copy goes on; without, the copy stops there, saying so.
	 */
	if (in->owners)
		flags |= ARCHIVE_EXTRACT_OWNER;
	(void)archive_write_disk_set_options(w, flags);
	(void)archive_write_disk_set_standard_lookup(w);
	if (archive_read_open_fd(a, fd, TAR_READ_BLOCK) != ARCHIVE_OK) {
		tar_cause(cause, "%s", archive_error_string(a));
		goto out;
	}
	for (;;) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			tar_cause(cause, "a broken tar: %s",
			    archive_error_string(a));
			goto out;
		}
		if (++entries > in->max_entries) {
			tar_cause(cause, "more than %llu entries: refused "
			    "(--max-entries)",
			    (unsigned long long)in->max_entries);
			goto out;
		}
		if (archive_entry_size(e) > 0)
			bytes += (uint64_t)archive_entry_size(e);
		if (bytes > in->max_bytes) {
			tar_cause(cause, "more than %llu bytes: refused "
			    "(--max-size, or the free space here)",
			    (unsigned long long)in->max_bytes);
			goto out;
		}
		free(name);
		name = cli_tar_rename(archive_entry_pathname(e), in->top,
		    in->to);
		if (name == NULL || !cli_tar_name_safe(name)) {
			tar_cause(cause, "refused an entry outside the copy: "
			    "%s", archive_entry_pathname(e));
			goto out;
		}
		archive_entry_set_pathname(e, name);
		hl = archive_entry_hardlink(e);
		if (hl != NULL) {
			free(link);
			link = cli_tar_rename(hl, in->top, in->to);
			if (link == NULL || !cli_tar_name_safe(link)) {
				tar_cause(cause, "refused a hard link to "
				    "outside the copy: %s", hl);
				goto out;
			}
			archive_entry_set_hardlink(e, link);
		}
		r = archive_write_header(w, e);
		if (r < ARCHIVE_WARN) {
			tar_cause(cause, "%s: %s", name,
			    archive_error_string(w));
			goto out;
		}
		while (archive_entry_size(e) > 0 && r >= ARCHIVE_WARN) {
			r = archive_read_data_block(a, &buf, &len, &off);
			if (r == ARCHIVE_EOF)
				break;
			if (r < ARCHIVE_WARN) {
				tar_cause(cause, "a broken tar: %s",
				    archive_error_string(a));
				goto out;
			}
			if (archive_write_data_block(w, buf, len, off) <
			    ARCHIVE_WARN) {
				tar_cause(cause, "%s: %s", name,
				    archive_error_string(w));
				goto out;
			}
		}
		if (archive_write_finish_entry(w) < ARCHIVE_WARN) {
			tar_cause(cause, "%s: %s", name,
			    archive_error_string(w));
			goto out;
		}
	}
	/* Directories get their modes and times last, at close. */
	if (archive_write_close(w) != ARCHIVE_OK) {
		tar_cause(cause, "%s", archive_error_string(w));
		goto out;
	}
	rc = 0;
out:
	free(name);
	free(link);
	if (w != NULL)
		archive_write_free(w);
	if (a != NULL)
		archive_read_free(a);
	return (rc);
}

/* Packs one file's data into the tar. */
static int
tar_pack_data(struct archive *a, const char *path, char *buf, char **cause)
{
	ssize_t	n;
	int	fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		tar_cause(cause, "%s: %s", path, strerror(errno));
		return (-errno);
	}
	while ((n = read(fd, buf, TAR_FILE_CHUNK)) > 0)
		if (archive_write_data(a, buf, (size_t)n) != n) {
			tar_cause(cause, "%s", archive_error_string(a));
			close(fd);
			return (-EIO);
		}
	close(fd);
	if (n < 0) {
		tar_cause(cause, "%s: %s", path, strerror(errno));
		return (-EIO);
	}
	return (0);
}

/* Packs a local tree into a tar written to fd; see cli-cp.h. */
int
cli_tar_pack(int fd, const struct cli_tar_out *o, char **cause)
{
	struct archive		*a, *disk;
	struct archive_entry	*e = NULL;
	char			*paths[2], *name = NULL, *buf;
	size_t			 rootlen;
	FTS			*fts = NULL;
	FTSENT			*f;
	int			 rc = -EIO, opts;

	if ((rc = cli_arc_load(cause)) != 0)
		return (rc);
	rc = -EIO;
	buf = malloc(TAR_FILE_CHUNK);
	a = archive_write_new();
	disk = archive_read_disk_new();
	if (buf == NULL || a == NULL || disk == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	(void)archive_read_disk_set_standard_lookup(disk);
	(void)archive_read_disk_set_symlink_physical(disk);
	(void)archive_write_set_format_pax_restricted(a);
	(void)archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		tar_cause(cause, "%s", archive_error_string(a));
		goto out;
	}
	paths[0] = (char *)o->src;
	paths[1] = NULL;
	opts = FTS_PHYSICAL | FTS_NOCHDIR | (o->follow ? FTS_COMFOLLOW : 0);
	fts = fts_open(paths, opts, NULL);
	if (fts == NULL) {
		tar_cause(cause, "%s: %s", o->src, strerror(errno));
		goto out;
	}
	rootlen = strlen(o->src);
	for (errno = 0; (f = fts_read(fts)) != NULL; errno = 0) {
		if (f->fts_info == FTS_DP)
			continue;
		if (f->fts_info == FTS_DNR || f->fts_info == FTS_ERR ||
		    f->fts_info == FTS_NS) {
			tar_cause(cause, "%s: %s", f->fts_path,
			    strerror(f->fts_errno));
			goto out;
		}
		free(name);
		if (asprintf(&name, "%s%s", o->name, f->fts_path + rootlen) <
		    0) {
			name = NULL;
			rc = -ENOMEM;
			goto out;
		}
		archive_entry_free(e);
		e = archive_entry_new();
		if (e == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		archive_entry_copy_sourcepath(e, f->fts_accpath);
		if (archive_read_disk_entry_from_file(disk, e, -1,
		    f->fts_statp) != ARCHIVE_OK) {
			tar_cause(cause, "%s: %s", f->fts_path,
			    archive_error_string(disk));
			goto out;
		}
		archive_entry_set_pathname(e, name);
		if (archive_write_header(a, e) < ARCHIVE_WARN) {
			tar_cause(cause, "%s: %s", f->fts_path,
			    archive_error_string(a));
			goto out;
		}
		if (S_ISREG(f->fts_statp->st_mode) &&
		    f->fts_statp->st_size > 0 &&
		    tar_pack_data(a, f->fts_accpath, buf, cause) != 0)
			goto out;
	}
	if (errno != 0 && *cause == NULL) {
		tar_cause(cause, "%s: %s", o->src, strerror(errno));
		goto out;
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		tar_cause(cause, "%s", archive_error_string(a));
		goto out;
	}
	rc = 0;
out:
	if (rc != 0 && a != NULL)
		(void)archive_write_fail(a);	/* no trailer after a failure */
	if (fts != NULL)
		fts_close(fts);
	archive_entry_free(e);
	free(name);
	free(buf);
	if (disk != NULL)
		archive_read_free(disk);
	if (a != NULL)
		archive_write_free(a);
	return (rc);
}

/* The thread of a job. */
static void
tar_job_main(void *arg)
{
	struct cli_tar_job	*j = arg;

	if (j->unpack)
		j->rc = cli_tar_unpack(j->fd, &j->in, &j->cause);
	else
		j->rc = cli_tar_pack(j->fd, &j->out, &j->cause);
	close(j->fd);
	j->fd = -1;
}

/* Starts a job on a thread; see cli-cp.h. */
int
cli_tar_job_start(struct cli_tar_job *j, int *fd)
{
	int	p[2], err;

	if (pipe2(p, O_CLOEXEC) != 0)
		return (-errno);
	/* unpack: the thread reads p[0]; pack: it writes p[1]. */
	j->fd = j->unpack ? p[0] : p[1];
	*fd = j->unpack ? p[1] : p[0];
	j->rc = 0;
	j->cause = NULL;
	err = uv_thread_create(&j->t, tar_job_main, j);
	if (err != 0) {
		close(p[0]);
		close(p[1]);
		*fd = -1;
		return (err);
	}
	j->started = 1;
	return (0);
}

/* Waits for a job's thread; see cli-cp.h. */
int
cli_tar_job_join(struct cli_tar_job *j)
{
	if (!j->started)
		return (j->rc);
	(void)uv_thread_join(&j->t);
	j->started = 0;
	return (j->rc);
}

/*
 * The unpacking side of `pier cp` against hostile tars (tools/pier/
 * cp-tar.c): names that leave the copy ("../", absolute, not under the
 * top asked for), a symbolic link the tar makes and then writes
 * through, a link that was there before, a hard link out, and tar bombs
 * (too many entries, an entry claiming more than the bound). Each is
 * refused and nothing lands outside the directory. A good tar with a
 * link and modes unpacks with both kept.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "test.h"
#include "cli-cp.h"

/* One entry of a tar to build. */
struct ent {
	const char	*name;
	int		 type;		/* AE_IFREG, AE_IFDIR, AE_IFLNK */
	const char	*data;		/* file contents or link target */
	const char	*hardlink;
	int64_t		 size;		/* claimed size; -1: strlen(data) */
};

/* Writes a tar of ents to path. */
static void
mktar(const char *path, const struct ent *ents, size_t n)
{
	struct archive		*a = archive_write_new();
	struct archive_entry	*e;
	size_t			 i;

	archive_write_set_format_pax_restricted(a);
	archive_write_open_filename(a, path);
	for (i = 0; i < n; i++) {
		e = archive_entry_new();
		archive_entry_set_pathname(e, ents[i].name);
		archive_entry_set_filetype(e, (unsigned)ents[i].type);
		archive_entry_set_perm(e, ents[i].type == AE_IFDIR ? 0755 :
		    0640);
		if (ents[i].hardlink != NULL)
			archive_entry_set_hardlink(e, ents[i].hardlink);
		if (ents[i].type == AE_IFLNK)
			archive_entry_set_symlink(e, ents[i].data);
		else if (ents[i].type == AE_IFREG && ents[i].hardlink == NULL)
			archive_entry_set_size(e, ents[i].size >= 0 ?
			    ents[i].size : (int64_t)strlen(ents[i].data));
		archive_write_header(a, e);
		if (ents[i].type == AE_IFREG && ents[i].data != NULL &&
		    ents[i].size < 0)
			archive_write_data(a, ents[i].data,
			    strlen(ents[i].data));
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
}

/* Unpacks path into dir (as top "t" renamed "out"); rc, *cause. */
static int
unpack(const char *tar, const char *dir, uint64_t max_entries,
    uint64_t max_bytes, char **cause)
{
	struct cli_tar_in	 in;
	char			 old[4096];
	int			 fd, rc;

	memset(&in, 0, sizeof(in));
	in.top = "t";
	in.to = "out";
	in.max_entries = max_entries;
	in.max_bytes = max_bytes;
	fd = open(tar, O_RDONLY);
	if (getcwd(old, sizeof(old)) == NULL || chdir(dir) != 0)
		return (-1);
	rc = cli_tar_unpack(fd, &in, cause);
	if (chdir(old) != 0)
		rc = -1;
	close(fd);
	return (rc);
}

/* Tells whether path exists (not following a last link). */
static int
exists(const char *path)
{
	struct stat	sb;

	return (lstat(path, &sb) == 0);
}

/* A fresh directory "d" under a temporary base, and the tar's path. */
struct fx {
	char	*base;
	char	 dir[600];
	char	 tar[600];
};

/* Sets up a fixture. */
static void
fx_init(struct fx *f)
{
	f->base = test_tmpdir();
	ASSERT(f->base != NULL);
	snprintf(f->dir, sizeof(f->dir), "%s/d", f->base);
	snprintf(f->tar, sizeof(f->tar), "%s/x.tar", f->base);
	ASSERT_OK(mkdir(f->dir, 0755));
}

/* Builds ents, unpacks them; the rc, *cause (caller frees). */
static int
fx_try(struct fx *f, const struct ent *ents, size_t n, uint64_t max_entries,
    uint64_t max_bytes, char **cause)
{
	*cause = NULL;
	mktar(f->tar, ents, n);
	return (unpack(f->tar, f->dir, max_entries, max_bytes, cause));
}

/* Tells whether base/rel exists. */
static int
fx_has(const struct fx *f, const char *rel)
{
	char	p[800];

	snprintf(p, sizeof(p), "%s/%s", f->base, rel);
	return (exists(p));
}

/* A good tar with a link and modes unpacks with both kept. */
static void
test_good(void)
{
	struct ent e[] = {
		{ "t", AE_IFDIR, NULL, NULL, 0 },
		{ "t/f", AE_IFREG, "hello", NULL, -1 },
		{ "t/l", AE_IFLNK, "f", NULL, 0 },
	};
	struct fx	 f;
	struct stat	 sb;
	char		 p[800], l[8], *cause;

	fx_init(&f);
	ASSERT_OK(fx_try(&f, e, 3, 100, 1 << 20, &cause));
	snprintf(p, sizeof(p), "%s/out/l", f.dir);
	ASSERT_EQ(readlink(p, l, sizeof(l)), 1);
	ASSERT_EQ(l[0], 'f');
	snprintf(p, sizeof(p), "%s/out/f", f.dir);
	ASSERT_OK(stat(p, &sb));
	ASSERT_EQ(sb.st_mode & 0777, 0640);
	test_rmtree(f.base);
}

/* "t/../evil", "/t/abs" and "other/x" are refused, nothing written. */
static void
test_names_out(void)
{
	struct ent dots[] = { { "t/../evil", AE_IFREG, "x", NULL, -1 } };
	struct ent abs[] = { { "/t/abs", AE_IFREG, "x", NULL, -1 } };
	struct ent other[] = { { "other/x", AE_IFREG, "x", NULL, -1 } };
	struct fx	 f;
	char		*cause;

	fx_init(&f);
	ASSERT(fx_try(&f, dots, 1, 100, 1 << 20, &cause) != 0);
	ASSERT(cause != NULL && strstr(cause, "outside") != NULL);
	free(cause);
	ASSERT(!fx_has(&f, "evil") && !fx_has(&f, "d/evil"));
	ASSERT(fx_try(&f, abs, 1, 100, 1 << 20, &cause) != 0);
	free(cause);
	ASSERT(fx_try(&f, other, 1, 100, 1 << 20, &cause) != 0);
	free(cause);
	ASSERT(!fx_has(&f, "d/other"));
	test_rmtree(f.base);
}

/* A link the tar makes, then an entry through it: refused. */
static void
test_through_link(void)
{
	struct fx	 f;
	char		*cause;

	fx_init(&f);
	{
		struct ent e[] = {
			{ "t", AE_IFDIR, NULL, NULL, 0 },
			{ "t/esc", AE_IFLNK, f.base, NULL, 0 },
			{ "t/esc/planted", AE_IFREG, "x", NULL, -1 },
		};

		ASSERT(fx_try(&f, e, 3, 100, 1 << 20, &cause) != 0);
		free(cause);
	}
	ASSERT(!fx_has(&f, "planted"));
	test_rmtree(f.base);
}

/* A link that was there before the copy is not written through. */
static void
test_link_before(void)
{
	struct ent e[] = { { "t/planted", AE_IFREG, "x", NULL, -1 } };
	struct fx	 f;
	char		 p[800], *cause;

	fx_init(&f);
	snprintf(p, sizeof(p), "%s/out", f.dir);
	ASSERT_OK(symlink(f.base, p));
	ASSERT(fx_try(&f, e, 1, 100, 1 << 20, &cause) != 0);
	free(cause);
	ASSERT(!fx_has(&f, "planted"));
	test_rmtree(f.base);
}

/* A hard link to outside the copy is refused. */
static void
test_hardlink_out(void)
{
	struct ent e[] = { { "t/f2", AE_IFREG, NULL, "t/../../x", 0 } };
	struct fx	 f;
	char		*cause;

	fx_init(&f);
	ASSERT(fx_try(&f, e, 1, 100, 1 << 20, &cause) != 0);
	ASSERT(cause != NULL && strstr(cause, "hard link") != NULL);
	free(cause);
	test_rmtree(f.base);
}

/* Tar bombs: too many entries; an entry claiming more than the bound. */
static void
test_bombs(void)
{
	struct ent many[] = {
		{ "t", AE_IFDIR, NULL, NULL, 0 },
		{ "t/a", AE_IFREG, "1", NULL, -1 },
		{ "t/b", AE_IFREG, "2", NULL, -1 },
		{ "t/c", AE_IFREG, "3", NULL, -1 },
	};
	struct ent big[] = { { "t/bomb", AE_IFREG, "", NULL, 1LL << 21 } };
	struct fx	 f;
	char		*cause;

	fx_init(&f);
	ASSERT(fx_try(&f, many, 4, 3, 1 << 20, &cause) != 0);
	ASSERT(cause != NULL && strstr(cause, "entries") != NULL);
	free(cause);
	ASSERT(fx_try(&f, big, 1, 100, 1 << 20, &cause) != 0);
	ASSERT(cause != NULL && strstr(cause, "bytes") != NULL);
	free(cause);
	ASSERT(!fx_has(&f, "d/out/bomb"));
	test_rmtree(f.base);
}

/* The renaming and the name rule. */
static void
test_names(void)
{
	char	*r = cli_tar_rename("./x", ".", "dst");

	ASSERT(r != NULL && strcmp(r, "dst/x") == 0);
	free(r);
	r = cli_tar_rename("etcx/y", "etc", "dst");
	ASSERT(r == NULL);
	ASSERT(!cli_tar_name_safe("a/../b") && !cli_tar_name_safe(".."));
	ASSERT(cli_tar_name_safe("a/..b") && cli_tar_name_safe("./a"));
}

TEST_MAIN(T(test_good), T(test_names_out), T(test_through_link),
    T(test_link_before), T(test_hardlink_out), T(test_bombs),
    T(test_names))

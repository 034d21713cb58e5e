/*
 * tools/pier/: libarchive, opened on first use (see cli-dl.h for why).
 * Include this instead of <archive.h> and <archive_entry.h>: the
 * archive_* calls below become calls through the table and read as
 * libarchive's own. Call cli_arc_load first, and archive_* only where
 * it succeeded.
 */
#ifndef PIER_CLI_ARC_H
#define PIER_CLI_ARC_H

#include <archive.h>
#include <archive_entry.h>

/* The libarchive functions pier calls: X(name) each. */
#define CLI_ARC_FNS(X)							\
	X(archive_version_number)					\
	X(archive_error_string)						\
	X(archive_entry_new)						\
	X(archive_entry_free)						\
	X(archive_entry_pathname)					\
	X(archive_entry_set_pathname)					\
	X(archive_entry_hardlink)					\
	X(archive_entry_set_hardlink)					\
	X(archive_entry_size)						\
	X(archive_entry_copy_sourcepath)				\
	X(archive_read_new)						\
	X(archive_read_free)						\
	X(archive_read_support_format_tar)				\
	X(archive_read_open_fd)						\
	X(archive_read_next_header)					\
	X(archive_read_data_block)					\
	X(archive_read_disk_new)					\
	X(archive_read_disk_set_standard_lookup)			\
	X(archive_read_disk_set_symlink_physical)			\
	X(archive_read_disk_entry_from_file)				\
	X(archive_write_new)						\
	X(archive_write_free)						\
	X(archive_write_fail)						\
	X(archive_write_set_format_pax_restricted)			\
	X(archive_write_set_bytes_in_last_block)			\
	X(archive_write_open_fd)					\
	X(archive_write_header)						\
	X(archive_write_data)						\
	X(archive_write_data_block)					\
	X(archive_write_finish_entry)					\
	X(archive_write_close)						\
	X(archive_write_disk_new)					\
	X(archive_write_disk_set_options)				\
	X(archive_write_disk_set_standard_lookup)

/* The table, with libarchive's own prototypes. */
struct cli_arc_fns {
#define CLI_ARC_FIELD(fn)	__typeof__(fn) *fn;
	CLI_ARC_FNS(CLI_ARC_FIELD)
#undef CLI_ARC_FIELD
};

/* NULL entries until cli_arc_load first succeeded; fixed after. */
extern const struct cli_arc_fns *const cli_arc;

/* Loads libarchive once per process; see cli_dl_load. */
int	cli_arc_load(char **cause) __attribute__((warn_unused_result));

#ifndef CLI_DL_NO_MACROS
#define archive_version_number	(cli_arc->archive_version_number)
#define archive_error_string	(cli_arc->archive_error_string)
#define archive_entry_new	(cli_arc->archive_entry_new)
#define archive_entry_free	(cli_arc->archive_entry_free)
#define archive_entry_pathname	(cli_arc->archive_entry_pathname)
#define archive_entry_set_pathname (cli_arc->archive_entry_set_pathname)
#define archive_entry_hardlink	(cli_arc->archive_entry_hardlink)
#define archive_entry_set_hardlink (cli_arc->archive_entry_set_hardlink)
#define archive_entry_size	(cli_arc->archive_entry_size)
#define archive_entry_copy_sourcepath					\
	(cli_arc->archive_entry_copy_sourcepath)
#define archive_read_new	(cli_arc->archive_read_new)
#define archive_read_free	(cli_arc->archive_read_free)
#define archive_read_support_format_tar					\
	(cli_arc->archive_read_support_format_tar)
#define archive_read_open_fd	(cli_arc->archive_read_open_fd)
#define archive_read_next_header (cli_arc->archive_read_next_header)
#define archive_read_data_block	(cli_arc->archive_read_data_block)
#define archive_read_disk_new	(cli_arc->archive_read_disk_new)
#define archive_read_disk_set_standard_lookup				\
	(cli_arc->archive_read_disk_set_standard_lookup)
#define archive_read_disk_set_symlink_physical				\
	(cli_arc->archive_read_disk_set_symlink_physical)
#define archive_read_disk_entry_from_file				\
	(cli_arc->archive_read_disk_entry_from_file)
#define archive_write_new	(cli_arc->archive_write_new)
#define archive_write_free	(cli_arc->archive_write_free)
#define archive_write_fail	(cli_arc->archive_write_fail)
#define archive_write_set_format_pax_restricted				\
	(cli_arc->archive_write_set_format_pax_restricted)
#define archive_write_set_bytes_in_last_block				\
	(cli_arc->archive_write_set_bytes_in_last_block)
#define archive_write_open_fd	(cli_arc->archive_write_open_fd)
#define archive_write_header	(cli_arc->archive_write_header)
#define archive_write_data	(cli_arc->archive_write_data)
#define archive_write_data_block (cli_arc->archive_write_data_block)
#define archive_write_finish_entry (cli_arc->archive_write_finish_entry)
#define archive_write_close	(cli_arc->archive_write_close)
#define archive_write_disk_new	(cli_arc->archive_write_disk_new)
#define archive_write_disk_set_options					\
	(cli_arc->archive_write_disk_set_options)
#define archive_write_disk_set_standard_lookup				\
	(cli_arc->archive_write_disk_set_standard_lookup)
#endif

#endif

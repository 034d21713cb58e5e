/*
 * tools/pier/: libwebsockets, opened on first use by `pier ui` (see
 * cli-dl.h for why). Include this instead of <libwebsockets.h>: the
 * lws_* calls below become calls through the table and read as lws's
 * own. Call cli_lws_load first, and lws_* only where it succeeded.
 */
#ifndef PIER_CLI_LWS_H
#define PIER_CLI_LWS_H

#include <libwebsockets.h>

/* The libwebsockets functions pier calls: X(name) each. */
#define CLI_LWS_FNS(X)							\
	X(lws_set_log_level)						\
	X(lws_create_context)						\
	X(lws_context_destroy)						\
	X(lws_context_user)						\
	X(lws_get_context)						\
	X(lws_get_vhost_by_name)					\
	X(lws_get_vhost_listen_port)					\
	X(lws_callback_http_dummy)					\
	X(lws_callback_on_writable)					\
	X(lws_hdr_total_length)						\
	X(lws_hdr_copy)							\
	X(lws_get_urlarg_by_name)					\
	X(lws_add_http_header_by_name)					\
	X(lws_add_http_header_status)					\
	X(lws_add_http_header_content_length)				\
	X(lws_add_http_common_headers)					\
	X(lws_finalize_write_http_header)				\
	X(lws_return_http_status)					\
	X(lws_http_transaction_completed)				\
	X(lws_write)							\
	X(lws_rx_flow_control)						\
	X(lws_frame_is_binary)						\
	X(lws_is_first_fragment)					\
	X(lws_is_final_fragment)

/* The table, with lws's own prototypes. */
struct cli_lws_fns {
#define CLI_LWS_FIELD(fn)	__typeof__(fn) *fn;
	CLI_LWS_FNS(CLI_LWS_FIELD)
#undef CLI_LWS_FIELD
};

/* NULL entries until cli_lws_load first succeeded; fixed after. */
extern const struct cli_lws_fns *const cli_lws;

/* Loads libwebsockets once per process; see cli_dl_load. */
int	cli_lws_load(char **cause) __attribute__((warn_unused_result));

#ifndef CLI_DL_NO_MACROS
#define lws_set_log_level	(cli_lws->lws_set_log_level)
#define lws_create_context	(cli_lws->lws_create_context)
#define lws_context_destroy	(cli_lws->lws_context_destroy)
#define lws_context_user	(cli_lws->lws_context_user)
#define lws_get_context		(cli_lws->lws_get_context)
#define lws_get_vhost_by_name	(cli_lws->lws_get_vhost_by_name)
#define lws_get_vhost_listen_port (cli_lws->lws_get_vhost_listen_port)
#define lws_callback_http_dummy	(cli_lws->lws_callback_http_dummy)
#define lws_callback_on_writable (cli_lws->lws_callback_on_writable)
#define lws_hdr_total_length	(cli_lws->lws_hdr_total_length)
#define lws_hdr_copy		(cli_lws->lws_hdr_copy)
#define lws_get_urlarg_by_name	(cli_lws->lws_get_urlarg_by_name)
#define lws_add_http_header_by_name (cli_lws->lws_add_http_header_by_name)
#define lws_add_http_header_status (cli_lws->lws_add_http_header_status)
#define lws_add_http_header_content_length				\
	(cli_lws->lws_add_http_header_content_length)
#define lws_add_http_common_headers (cli_lws->lws_add_http_common_headers)
#define lws_finalize_write_http_header					\
	(cli_lws->lws_finalize_write_http_header)
#define lws_return_http_status	(cli_lws->lws_return_http_status)
#define lws_http_transaction_completed					\
	(cli_lws->lws_http_transaction_completed)
#define lws_write		(cli_lws->lws_write)
#define lws_rx_flow_control	(cli_lws->lws_rx_flow_control)
#define lws_frame_is_binary	(cli_lws->lws_frame_is_binary)
#define lws_is_first_fragment	(cli_lws->lws_is_first_fragment)
#define lws_is_final_fragment	(cli_lws->lws_is_final_fragment)
#endif

#endif

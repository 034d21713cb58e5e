/*
 * libcurl, loaded when docker/ first needs it. Debian's libcurl maps some
 * 30 libraries (libcrypto, gnutls, kerberos, ldap, ssh, ...) into every
 * process linked against it, about 9 MiB of resident pages before anyone
 * asks the engine anything; so docker/ does not link it, and
 * dk__curl_load() dlopens libcurl.so.4 on the first request and resolves
 * the functions docker/ calls into one table that never changes again.
 *
 * Include this instead of <curl/curl.h>: the curl_* calls below become
 * calls through that table and read as normal curl calls. The library
 * is loaded once and kept (several of its dependencies are NODELETE, so
 * dlclose would not unload them anyway). With DK_CURL_TYPECHECK
 * defined the names stay curl's own, so that a compile-only build runs
 * curl's type checks of curl_easy_setopt and curl_easy_getinfo over the
 * same sources (docker/meson.build).
 */
#ifndef PIER_DK_CURL_H
#define PIER_DK_CURL_H

#include <curl/curl.h>

#include "docker.h"

#define DK_CURL_SONAME	"libcurl.so.4"

/*
 * The libcurl functions docker/ calls (and the client's template fetch,
 * which loads libcurl the same way), with curl's own prototypes.
 */
struct dk_curl_fns {
	__typeof__(curl_version_info)		*curl_version_info;
	__typeof__(curl_global_init)		*curl_global_init;
	__typeof__(curl_easy_init)		*curl_easy_init;
	__typeof__(curl_easy_cleanup)		*curl_easy_cleanup;
	__typeof__(curl_easy_setopt)		*curl_easy_setopt;
	__typeof__(curl_easy_getinfo)		*curl_easy_getinfo;
	__typeof__(curl_easy_pause)		*curl_easy_pause;
	__typeof__(curl_easy_send)		*curl_easy_send;
	__typeof__(curl_easy_recv)		*curl_easy_recv;
	__typeof__(curl_easy_strerror)		*curl_easy_strerror;
	__typeof__(curl_easy_perform)		*curl_easy_perform;	/* pier's template fetch */
	__typeof__(curl_multi_init)		*curl_multi_init;
	__typeof__(curl_multi_cleanup)		*curl_multi_cleanup;
	__typeof__(curl_multi_setopt)		*curl_multi_setopt;
	__typeof__(curl_multi_assign)		*curl_multi_assign;
	__typeof__(curl_multi_add_handle)	*curl_multi_add_handle;
	__typeof__(curl_multi_remove_handle)	*curl_multi_remove_handle;
	__typeof__(curl_multi_socket_action)	*curl_multi_socket_action;
	__typeof__(curl_multi_info_read)	*curl_multi_info_read;
	__typeof__(curl_slist_append)		*curl_slist_append;
	__typeof__(curl_slist_free_all)		*curl_slist_free_all;
};

/*
 * The table: every entry is NULL until dk__curl_load first succeeded,
 * and never changes after. Call curl only where a load has succeeded.
 */
extern const struct dk_curl_fns *const dk__curl;

/*
 * Loads libcurl and runs curl_global_init, once per process; later calls
 * return at once. A failure (no libcurl.so.4, one too old, or one that
 * lacks a function) is DK_E_UNAVAILABLE with the reason in *cause
 * (caller frees), and the next call tries again.
 */
int dk__curl_load(char **cause) WARN_UNUSED_RESULT;

#ifndef DK_CURL_TYPECHECK
/* curl.h wraps these in macros of its own. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_easy_init()	(dk__curl->curl_easy_init)()
#define curl_easy_cleanup(...)	(dk__curl->curl_easy_cleanup)(__VA_ARGS__)
#define curl_easy_setopt(...)	(dk__curl->curl_easy_setopt)(__VA_ARGS__)
#define curl_easy_getinfo(...)	(dk__curl->curl_easy_getinfo)(__VA_ARGS__)
#define curl_easy_pause(...)	(dk__curl->curl_easy_pause)(__VA_ARGS__)
#define curl_easy_send(...)	(dk__curl->curl_easy_send)(__VA_ARGS__)
#define curl_easy_recv(...)	(dk__curl->curl_easy_recv)(__VA_ARGS__)
#define curl_easy_strerror(...)	(dk__curl->curl_easy_strerror)(__VA_ARGS__)
#define curl_easy_perform(...)	(dk__curl->curl_easy_perform)(__VA_ARGS__)
#define curl_multi_init()	(dk__curl->curl_multi_init)()
#define curl_multi_cleanup(...)	(dk__curl->curl_multi_cleanup)(__VA_ARGS__)
#define curl_multi_setopt(...)	(dk__curl->curl_multi_setopt)(__VA_ARGS__)
#define curl_multi_assign(...)	(dk__curl->curl_multi_assign)(__VA_ARGS__)
#define curl_multi_add_handle(...)					\
	(dk__curl->curl_multi_add_handle)(__VA_ARGS__)
#define curl_multi_remove_handle(...)					\
	(dk__curl->curl_multi_remove_handle)(__VA_ARGS__)
#define curl_multi_socket_action(...)					\
	(dk__curl->curl_multi_socket_action)(__VA_ARGS__)
#define curl_multi_info_read(...)					\
	(dk__curl->curl_multi_info_read)(__VA_ARGS__)
#define curl_slist_append(...)	(dk__curl->curl_slist_append)(__VA_ARGS__)
#define curl_slist_free_all(...)					\
	(dk__curl->curl_slist_free_all)(__VA_ARGS__)
#endif

#endif

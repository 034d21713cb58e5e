/*
 * docker/libcurl/: libcurl, loaded on first use. Debian's libcurl maps
 * some 30 libraries (libcrypto, gnutls, kerberos, ldap, ssh, ...) into
 * every process linked against it, about 9 MiB of resident pages before
 * anyone asks anything; so nothing in Pier links it, and dk_curl_load()
 * dlopens libcurl.so.4 when it is first needed and resolves the
 * functions Pier calls into one table that never changes again.
 *
 * This is the public header of a library of its own, apart from the
 * Engine client: docker/ links it for its requests and streams, and the
 * client pier links it, and nothing else of docker/, for the https
 * fetch of template files (tools/pier/https.c). It lives under docker/
 * because docker/ is libcurl's home in the tree and sits below both
 * users; tools/ holds programs, which the node's libraries must not
 * reach into.
 *
 * Include this instead of <curl/curl.h>: the curl_* calls below become
 * calls through the table and read as normal curl calls. The library
 * is loaded once and kept (several of its dependencies are NODELETE, so
 * dlclose would not unload them anyway). With DK_CURL_TYPECHECK
 * defined the names stay curl's own, so that a compile-only build runs
 * curl's type checks of curl_easy_setopt and curl_easy_getinfo over the
 * same sources (docker/meson.build, tools/meson.build).
 */
#ifndef PIER_DK_CURL_H
#define PIER_DK_CURL_H

#include <curl/curl.h>

#ifndef WARN_UNUSED_RESULT
#define WARN_UNUSED_RESULT __attribute__((warn_unused_result))
#endif

#define DK_CURL_SONAME	"libcurl.so.4"

/*
 * The libcurl functions docker/ and the client's https fetch call, with
 * curl's own prototypes.
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
	__typeof__(curl_easy_perform)		*curl_easy_perform;	/* pier's https fetch */
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
 * The table: every entry is NULL until dk_curl_load first succeeded,
 * and never changes after. Call curl only where a load has succeeded.
 */
extern const struct dk_curl_fns *const dk_curl;

/*
 * Loads libcurl and runs curl_global_init, once per process; later calls
 * return at once; any thread may call it. A failure (no libcurl.so.4,
 * one too old, or one that lacks a function) is -ELIBACC with the
 * reason in *cause (caller frees; NULL if out of memory), and the next
 * call tries again.
 */
int dk_curl_load(char **cause) WARN_UNUSED_RESULT;

#ifndef DK_CURL_TYPECHECK
/* curl.h wraps these in macros of its own. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_easy_init()	(dk_curl->curl_easy_init)()
#define curl_easy_cleanup(...)	(dk_curl->curl_easy_cleanup)(__VA_ARGS__)
#define curl_easy_setopt(...)	(dk_curl->curl_easy_setopt)(__VA_ARGS__)
#define curl_easy_getinfo(...)	(dk_curl->curl_easy_getinfo)(__VA_ARGS__)
#define curl_easy_pause(...)	(dk_curl->curl_easy_pause)(__VA_ARGS__)
#define curl_easy_send(...)	(dk_curl->curl_easy_send)(__VA_ARGS__)
#define curl_easy_recv(...)	(dk_curl->curl_easy_recv)(__VA_ARGS__)
#define curl_easy_strerror(...)	(dk_curl->curl_easy_strerror)(__VA_ARGS__)
#define curl_easy_perform(...)	(dk_curl->curl_easy_perform)(__VA_ARGS__)
#define curl_multi_init()	(dk_curl->curl_multi_init)()
#define curl_multi_cleanup(...)	(dk_curl->curl_multi_cleanup)(__VA_ARGS__)
#define curl_multi_setopt(...)	(dk_curl->curl_multi_setopt)(__VA_ARGS__)
#define curl_multi_assign(...)	(dk_curl->curl_multi_assign)(__VA_ARGS__)
#define curl_multi_add_handle(...)					\
	(dk_curl->curl_multi_add_handle)(__VA_ARGS__)
#define curl_multi_remove_handle(...)					\
	(dk_curl->curl_multi_remove_handle)(__VA_ARGS__)
#define curl_multi_socket_action(...)					\
	(dk_curl->curl_multi_socket_action)(__VA_ARGS__)
#define curl_multi_info_read(...)					\
	(dk_curl->curl_multi_info_read)(__VA_ARGS__)
#define curl_slist_append(...)	(dk_curl->curl_slist_append)(__VA_ARGS__)
#define curl_slist_free_all(...)					\
	(dk_curl->curl_slist_free_all)(__VA_ARGS__)
#endif

#endif

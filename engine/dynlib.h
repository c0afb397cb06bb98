/*
 * dynlib.h - libcurl and libarchive, loaded the first time a command needs them.
 *
 * Linked in the usual way, the two and what they pull in (TLS libraries, Kerberos,
 * LDAP, ICU, a handful of compressors: about forty shared objects) cost every bunpy
 * process some 5 ms of loading and relocation before main() — more than a whole no-op
 * lock, which needs neither. So they are opened with dlopen by their stable sonames
 * when first asked for, and called through these tables; their headers still come from
 * the -dev packages at build time (pkg-config), so prototypes are checked as usual.
 *
 * Loading happens once per process (pthread_once) and is never undone: the tables are
 * the only process-wide state outside an engine, written once before any reader can
 * see them. libcurl's curl_global_init runs as part of loading it.
 */
#ifndef BUNPY_DYNLIB_H
#define BUNPY_DYNLIB_H

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>

#include "err.h"

#define DYNLIB_CURL_SONAME "libcurl.so.4"
#define DYNLIB_ARCHIVE_SONAME "libarchive.so.13"

#define DYNLIB_FN(name) __typeof__(name) *name
typedef struct CurlApi {
	DYNLIB_FN(curl_global_init);
	DYNLIB_FN(curl_easy_init);
	DYNLIB_FN(curl_easy_setopt);
	DYNLIB_FN(curl_easy_getinfo);
	DYNLIB_FN(curl_easy_cleanup);
	DYNLIB_FN(curl_easy_strerror);
	DYNLIB_FN(curl_multi_init);
	DYNLIB_FN(curl_multi_setopt);
	DYNLIB_FN(curl_multi_add_handle);
	DYNLIB_FN(curl_multi_remove_handle);
	DYNLIB_FN(curl_multi_perform);
	DYNLIB_FN(curl_multi_poll);
	DYNLIB_FN(curl_multi_wakeup);
	DYNLIB_FN(curl_multi_info_read);
	DYNLIB_FN(curl_multi_cleanup);
	DYNLIB_FN(curl_share_init);
	DYNLIB_FN(curl_share_setopt);
	DYNLIB_FN(curl_share_cleanup);
	DYNLIB_FN(curl_slist_append);
	DYNLIB_FN(curl_slist_free_all);
} CurlApi;

typedef struct ArchiveApi {
	DYNLIB_FN(archive_read_new);
	DYNLIB_FN(archive_read_support_format_zip_streamable);
	DYNLIB_FN(archive_read_open_memory);
	DYNLIB_FN(archive_read_next_header);
	DYNLIB_FN(archive_read_data);
	DYNLIB_FN(archive_read_free);
	DYNLIB_FN(archive_error_string);
	DYNLIB_FN(archive_read_support_format_zip_seekable);
	DYNLIB_FN(archive_read_open_fd);
	DYNLIB_FN(archive_read_data_block);
	DYNLIB_FN(archive_entry_pathname);
	DYNLIB_FN(archive_entry_filetype);
	DYNLIB_FN(archive_entry_hardlink);
	/* writing zips (the project's editable wheel) */
	DYNLIB_FN(archive_write_new);
	DYNLIB_FN(archive_write_set_format_zip);
	DYNLIB_FN(archive_write_open_fd);
	DYNLIB_FN(archive_write_header);
	DYNLIB_FN(archive_write_data);
	DYNLIB_FN(archive_write_close);
	DYNLIB_FN(archive_write_free);
	DYNLIB_FN(archive_entry_new);
	DYNLIB_FN(archive_entry_free);
	DYNLIB_FN(archive_entry_set_pathname);
	DYNLIB_FN(archive_entry_set_size);
	DYNLIB_FN(archive_entry_set_filetype);
	DYNLIB_FN(archive_entry_set_perm);
	DYNLIB_FN(archive_entry_set_mtime);
} ArchiveApi;
#undef DYNLIB_FN

/* The loaded library, or NULL with err ("cannot load libcurl.so.4: ...; install the
 * Debian package libcurl4"). Safe from any thread. */
const CurlApi *dynlib_curl(Err *err);
const ArchiveApi *dynlib_archive(Err *err);

#endif

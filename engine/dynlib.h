/*
 * dynlib.h - libcurl, libarchive and libcrypto, loaded the first time a command needs
 * them.
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
 *
 * libcrypto alone costs a process half a millisecond of relocations (it is linked with
 * BIND_NOW), and libsqlite3 a quarter, which `bunpy run` would add to every program it
 * starts; only SHA-256 (hash.c) and RECORD checks (wheelcache.c) need the one, and only
 * the engine's store (store.c) the other. libcurl, loaded later, shares the
 * same copy (the loader finds it by its soname).
 */
#ifndef BUNPY_DYNLIB_H
#define BUNPY_DYNLIB_H

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "err.h"

#define DYNLIB_CURL_SONAME "libcurl.so.4"
#define DYNLIB_ARCHIVE_SONAME "libarchive.so.13"
#define DYNLIB_CRYPTO_SONAME "libcrypto.so.3"
#define DYNLIB_SQLITE_SONAME "libsqlite3.so.0"

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
typedef struct CryptoApi {
	DYNLIB_FN(EVP_sha256);
	DYNLIB_FN(EVP_Digest);
	DYNLIB_FN(EVP_MD_CTX_new);
	DYNLIB_FN(EVP_MD_CTX_free);
	DYNLIB_FN(EVP_DigestInit_ex);
	DYNLIB_FN(EVP_DigestUpdate);
	DYNLIB_FN(EVP_DigestFinal_ex);
	DYNLIB_FN(EVP_MD_fetch);
	DYNLIB_FN(EVP_MD_free);
	DYNLIB_FN(EVP_MD_get_size);
} CryptoApi;
/* What engine/store.c calls: SQLite is only opened by commands that open the engine. */
typedef struct SqliteApi {
	DYNLIB_FN(sqlite3_bind_blob);
	DYNLIB_FN(sqlite3_bind_int);
	DYNLIB_FN(sqlite3_bind_int64);
	DYNLIB_FN(sqlite3_bind_null);
	DYNLIB_FN(sqlite3_bind_text);
	DYNLIB_FN(sqlite3_busy_timeout);
	DYNLIB_FN(sqlite3_clear_bindings);
	DYNLIB_FN(sqlite3_close);
	DYNLIB_FN(sqlite3_column_blob);
	DYNLIB_FN(sqlite3_column_bytes);
	DYNLIB_FN(sqlite3_column_int);
	DYNLIB_FN(sqlite3_column_int64);
	DYNLIB_FN(sqlite3_column_text);
	DYNLIB_FN(sqlite3_column_type);
	DYNLIB_FN(sqlite3_db_config);
	DYNLIB_FN(sqlite3_errcode);
	DYNLIB_FN(sqlite3_errmsg);
	DYNLIB_FN(sqlite3_exec);
	DYNLIB_FN(sqlite3_file_control);
	DYNLIB_FN(sqlite3_finalize);
	DYNLIB_FN(sqlite3_free);
	DYNLIB_FN(sqlite3_get_autocommit);
	DYNLIB_FN(sqlite3_open_v2);
	DYNLIB_FN(sqlite3_prepare_v2);
	DYNLIB_FN(sqlite3_prepare_v3);
	DYNLIB_FN(sqlite3_reset);
	DYNLIB_FN(sqlite3_step);
	DYNLIB_FN(sqlite3_wal_checkpoint_v2);
} SqliteApi;
#undef DYNLIB_FN

/* The loaded library, or NULL with err ("cannot load libcurl.so.4: ...; install the
 * Debian package libcurl4"). Safe from any thread. */
const CurlApi *dynlib_curl(Err *err);
const ArchiveApi *dynlib_archive(Err *err);
const CryptoApi *dynlib_crypto(Err *err);
const SqliteApi *dynlib_sqlite(Err *err);

#endif

/*
 * dynlib.c - opening libcurl, libarchive and libcrypto on first use (see dynlib.h).
 */
#include "config.h"

#include "dynlib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct Loaded {
	pthread_once_t once;
	bool ok;
	char error[256];
} Loaded;

static CurlApi curl_api;
static Loaded curl_loaded = { PTHREAD_ONCE_INIT, false, "" };
static ArchiveApi archive_api;
static Loaded archive_loaded = { PTHREAD_ONCE_INIT, false, "" };
static SqliteApi sqlite_api;
static Loaded sqlite_loaded = { PTHREAD_ONCE_INIT, false, "" };
static CryptoApi crypto_api;
static Loaded crypto_loaded = { PTHREAD_ONCE_INIT, false, "" };

/* Fill n function pointers (in the order of names) from the library. */
static bool
load(Loaded *l, const char *soname, const char *package, const char *const *names,
     void **slots, size_t n)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	size_t i;

	if (!h) {
		snprintf(l->error, sizeof(l->error), "cannot load %s (%s); install the Debian package %s",
			 soname, dlerror(), package);
		return false;
	}
	for (i = 0; i < n; i++) {
		if (!(slots[i] = dlsym(h, names[i]))) {
			snprintf(l->error, sizeof(l->error), "%s has no %s; install a newer %s",
				 soname, names[i], package);
			dlclose(h);
			return false;
		}
	}
	return true;
}


static void
load_curl(void)
{
	static const char *const names[] = {
		"curl_global_init", "curl_easy_init", "curl_easy_setopt", "curl_easy_getinfo",
		"curl_easy_cleanup", "curl_easy_strerror", "curl_multi_init", "curl_multi_setopt",
		"curl_multi_add_handle", "curl_multi_remove_handle", "curl_multi_perform",
		"curl_multi_poll", "curl_multi_wakeup", "curl_multi_info_read", "curl_multi_cleanup",
		"curl_share_init", "curl_share_setopt", "curl_share_cleanup", "curl_slist_append",
		"curl_slist_free_all",
	};
	void *slots[sizeof(names) / sizeof(*names)];
	CURLcode rc;

	_Static_assert(sizeof(slots) == sizeof(curl_api), "one name per CurlApi member");
	if (!load(&curl_loaded, DYNLIB_CURL_SONAME, "libcurl4", names, slots,
		  sizeof(names) / sizeof(*names)))
		return;
	memcpy(&curl_api, slots, sizeof(curl_api));
	if ((rc = curl_api.curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		snprintf(curl_loaded.error, sizeof(curl_loaded.error), "cannot initialise libcurl: %s",
			 curl_api.curl_easy_strerror(rc));
		return;
	}
	curl_loaded.ok = true;
}

static void
load_archive(void)
{
	static const char *const names[] = {
		"archive_read_new", "archive_read_support_format_zip_streamable",
		"archive_read_open_memory", "archive_read_next_header", "archive_read_data",
		"archive_read_free", "archive_error_string",
		"archive_read_support_format_zip_seekable", "archive_read_open_fd",
		"archive_read_data_block", "archive_entry_pathname", "archive_entry_filetype",
		"archive_entry_hardlink",
		"archive_write_new", "archive_write_set_format_zip", "archive_write_open_fd",
		"archive_write_header", "archive_write_data", "archive_write_close",
		"archive_write_free", "archive_entry_new", "archive_entry_free",
		"archive_entry_set_pathname", "archive_entry_set_size", "archive_entry_set_filetype",
		"archive_entry_set_perm", "archive_entry_set_mtime",
	};
	void *slots[sizeof(names) / sizeof(*names)];

	_Static_assert(sizeof(slots) == sizeof(archive_api), "one name per ArchiveApi member");
	if (!load(&archive_loaded, DYNLIB_ARCHIVE_SONAME, "libarchive13", names, slots,
		  sizeof(names) / sizeof(*names)))
		return;
	memcpy(&archive_api, slots, sizeof(archive_api));
	archive_loaded.ok = true;
}

static void
load_crypto(void)
{
	static const char *const names[] = {
		"EVP_sha256", "EVP_Digest", "EVP_MD_CTX_new", "EVP_MD_CTX_free", "EVP_DigestInit_ex",
		"EVP_DigestUpdate", "EVP_DigestFinal_ex", "EVP_MD_fetch", "EVP_MD_free",
		"EVP_MD_get_size",
	};
	void *slots[sizeof(names) / sizeof(*names)];

	_Static_assert(sizeof(slots) == sizeof(crypto_api), "one name per CryptoApi member");
	if (!load(&crypto_loaded, DYNLIB_CRYPTO_SONAME, "libssl3", names, slots,
		  sizeof(names) / sizeof(*names)))
		return;
	memcpy(&crypto_api, slots, sizeof(crypto_api));
	crypto_loaded.ok = true;
}

static void
load_sqlite(void)
{
	static const char *const names[] = {
		"sqlite3_bind_blob", "sqlite3_bind_int", "sqlite3_bind_int64", "sqlite3_bind_null",
		"sqlite3_bind_text", "sqlite3_busy_timeout", "sqlite3_clear_bindings", "sqlite3_close",
		"sqlite3_column_blob", "sqlite3_column_bytes", "sqlite3_column_int", "sqlite3_column_int64",
		"sqlite3_column_text", "sqlite3_column_type", "sqlite3_db_config", "sqlite3_errcode",
		"sqlite3_errmsg", "sqlite3_exec", "sqlite3_file_control", "sqlite3_finalize",
		"sqlite3_free", "sqlite3_get_autocommit", "sqlite3_open_v2", "sqlite3_prepare_v2",
		"sqlite3_prepare_v3", "sqlite3_reset", "sqlite3_step", "sqlite3_wal_checkpoint_v2",
	};
	void *slots[sizeof(names) / sizeof(*names)];

	_Static_assert(sizeof(slots) == sizeof(sqlite_api), "one name per SqliteApi member");
	if (!load(&sqlite_loaded, DYNLIB_SQLITE_SONAME, "libsqlite3-0", names, slots,
		  sizeof(names) / sizeof(*names)))
		return;
	memcpy(&sqlite_api, slots, sizeof(sqlite_api));
	sqlite_loaded.ok = true;
}

const CurlApi *
dynlib_curl(Err *err)
{
	pthread_once(&curl_loaded.once, load_curl);
	if (!curl_loaded.ok) {
		err_set(err, "%s", curl_loaded.error);
		return NULL;
	}
	return &curl_api;
}

const ArchiveApi *
dynlib_archive(Err *err)
{
	pthread_once(&archive_loaded.once, load_archive);
	if (!archive_loaded.ok) {
		err_set(err, "%s", archive_loaded.error);
		return NULL;
	}
	return &archive_api;
}

const CryptoApi *
dynlib_crypto(Err *err)
{
	pthread_once(&crypto_loaded.once, load_crypto);
	if (!crypto_loaded.ok) {
		err_set(err, "%s", crypto_loaded.error);
		return NULL;
	}
	return &crypto_api;
}

const SqliteApi *
dynlib_sqlite(Err *err)
{
	pthread_once(&sqlite_loaded.once, load_sqlite);
	if (!sqlite_loaded.ok) {
		err_set(err, "%s", sqlite_loaded.error);
		return NULL;
	}
	return &sqlite_api;
}

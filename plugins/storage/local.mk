# Storage plugins. Each links the libraries it uses itself, never herd:
# the host table is its only way in. jsonl compiles the rotation protocol
# from core/common/jsonl_rotate.h (header only), the one the loggers use.
if BUILD_STORAGE_SQLITE
storage_LTLIBRARIES += plugins/storage/sqlite.la
plugins_storage_sqlite_la_SOURCES = plugins/storage/sqlite.c \
	plugins/storage/sqlite_schema.c plugins/storage/sqlite_queries.c \
	plugins/storage/sqlite_int.h
plugins_storage_sqlite_la_CPPFLAGS = -I$(top_srcdir)/core/include
plugins_storage_sqlite_la_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) \
	$(JSONC_CFLAGS)
plugins_storage_sqlite_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
plugins_storage_sqlite_la_LIBADD = $(SQLITE_LIBS) $(JSONC_LIBS) -lm

check_PROGRAMS += tests/plugins/test_storage_sqlite
TESTS += tests/plugins/test_storage_sqlite
tests_plugins_test_storage_sqlite_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/tests
tests_plugins_test_storage_sqlite_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) \
	$(JSONC_CFLAGS)
tests_plugins_test_storage_sqlite_LDADD = core/libherdplugin.la \
	core/common/libherdcommon.la $(SQLITE_LIBS) $(JSONC_LIBS) \
	$(LTDL_LIBS) $(LIBS)
endif

if BUILD_STORAGE_JSONL
storage_LTLIBRARIES += plugins/storage/jsonl.la
plugins_storage_jsonl_la_SOURCES = plugins/storage/jsonl.c
plugins_storage_jsonl_la_CPPFLAGS = -I$(top_srcdir)/core/include \
	-I$(top_srcdir)/core
plugins_storage_jsonl_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
plugins_storage_jsonl_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
plugins_storage_jsonl_la_LIBADD = $(JSONC_LIBS) -lm

check_PROGRAMS += tests/plugins/test_storage_jsonl
TESTS += tests/plugins/test_storage_jsonl
tests_plugins_test_storage_jsonl_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/tests
tests_plugins_test_storage_jsonl_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_plugins_test_storage_jsonl_LDADD = core/libherdplugin.la \
	core/common/libherdcommon.la $(JSONC_LIBS) $(LTDL_LIBS) $(LIBS)
endif

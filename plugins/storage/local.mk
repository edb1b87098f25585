# Storage plugins. Each links the libraries it uses itself, never herd:
# the host table is its only way in. jsonl compiles the rotation protocol
# from core/common/jsonl_rotate.h (header only), the one the loggers use.
# Both compile storage_config.c, the configuration keys they share: each
# plugin is a module of its own and links nothing of the other.
storage_config_sources = plugins/storage/storage_config.c \
	plugins/storage/storage_config.h
if BUILD_STORAGE_SQLITE
storage_LTLIBRARIES += plugins/storage/sqlite.la
plugins_storage_sqlite_la_SOURCES = plugins/storage/sqlite.c \
	plugins/storage/sqlite_schema.c plugins/storage/sqlite_queries.c \
	plugins/storage/sqlite_int.h $(storage_config_sources)
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
plugins_storage_jsonl_la_SOURCES = plugins/storage/jsonl.c \
	$(storage_config_sources)
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

# Plugins for the ABI tests: one correct plugin and one per refusal the
# loader must make. Built for `make check` only; tests find them through
# HERD_PLUGIN_PATH=$(abs_top_builddir)/tests/abi, which the test sets.
noinst_HEADERS += tests/abi/abi_plugin.h
check_LTLIBRARIES += tests/abi/good.la
tests_abi_good_la_SOURCES = tests/abi/good.c
tests_abi_good_la_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
check_LTLIBRARIES += tests/abi/bad_major.la
tests_abi_bad_major_la_SOURCES = tests/abi/bad_major.c
tests_abi_bad_major_la_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
check_LTLIBRARIES += tests/abi/newer_minor.la
tests_abi_newer_minor_la_SOURCES = tests/abi/newer_minor.c
tests_abi_newer_minor_la_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
check_LTLIBRARIES += tests/abi/older_minor.la
tests_abi_older_minor_la_SOURCES = tests/abi/older_minor.c
tests_abi_older_minor_la_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
check_LTLIBRARIES += tests/abi/short_size.la
tests_abi_short_size_la_SOURCES = tests/abi/short_size.c
tests_abi_short_size_la_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
check_LTLIBRARIES += tests/abi/wrong_kind.la
tests_abi_wrong_kind_la_SOURCES = tests/abi/wrong_kind.c
tests_abi_wrong_kind_la_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
check_LTLIBRARIES += tests/abi/name_mismatch.la
tests_abi_name_mismatch_la_SOURCES = tests/abi/name_mismatch.c
tests_abi_name_mismatch_la_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
check_LTLIBRARIES += tests/abi/no_entry.la
tests_abi_no_entry_la_SOURCES = tests/abi/no_entry.c
# Exports the misspelt entry point instead of herd_plugin_entry.
tests_abi_no_entry_la_LDFLAGS = -module -avoid-version -shared -no-undefined -Wl,-z,defs \
	-export-symbols-regex '^herd_plugin_init$$' $(SANITIZER_FLAGS) \
	-rpath /nowhere
check_LTLIBRARIES += tests/abi/null_entry.la
tests_abi_null_entry_la_SOURCES = tests/abi/null_entry.c
tests_abi_null_entry_la_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
check_LTLIBRARIES += tests/abi/reserved_set.la
tests_abi_reserved_set_la_SOURCES = tests/abi/reserved_set.c
tests_abi_reserved_set_la_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
check_LTLIBRARIES += tests/abi/missing_score.la
tests_abi_missing_score_la_SOURCES = tests/abi/missing_score.c
tests_abi_missing_score_la_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
check_LTLIBRARIES += tests/abi/missing_destroy.la
tests_abi_missing_destroy_la_SOURCES = tests/abi/missing_destroy.c
tests_abi_missing_destroy_la_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
check_LTLIBRARIES += tests/abi/needs_feature.la
tests_abi_needs_feature_la_SOURCES = tests/abi/needs_feature.c
tests_abi_needs_feature_la_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
check_LTLIBRARIES += tests/abi/no_config.la
tests_abi_no_config_la_SOURCES = tests/abi/no_config.c
tests_abi_no_config_la_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
check_LTLIBRARIES += tests/abi/fail_init.la
tests_abi_fail_init_la_SOURCES = tests/abi/fail_init.c
tests_abi_fail_init_la_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
check_LTLIBRARIES += tests/abi/fail_config.la
tests_abi_fail_config_la_SOURCES = tests/abi/fail_config.c
tests_abi_fail_config_la_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
check_LTLIBRARIES += tests/abi/fail_start.la
tests_abi_fail_start_la_SOURCES = tests/abi/fail_start.c
tests_abi_fail_start_la_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
check_LTLIBRARIES += tests/abi/unknown_key.la
tests_abi_unknown_key_la_SOURCES = tests/abi/unknown_key.c
tests_abi_unknown_key_la_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)

check_PROGRAMS += tests/unit/test_plugin_loader
tests_unit_test_plugin_loader_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_plugin_loader_LDADD = core/libherdplugin.la \
	core/common/libherdcommon.la
TESTS += tests/unit/test_plugin_loader

TESTS += tests/integration/plugin_dir.sh
dist_check_SCRIPTS += tests/integration/plugin_dir.sh

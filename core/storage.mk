# Storage in the router: the trace writer (queue + storage thread), the
# latency history, and the analytics endpoints. They go into the router's
# convenience library, so unit tests link what the daemon runs.
core_libherdcore_la_SOURCES += \
	core/traces.c core/traces.h \
	core/latency.c core/latency.h \
	core/storage_router.c core/storage_router.h core/api_analytics.c
noinst_HEADERS += core/common/jsonl_rotate.h

# test_storage_gate: a storage plugin for tests whose write() waits while a
# gate file exists -- a disk that stalls, on demand.
check_LTLIBRARIES += tests/plugins/test_storage_gate.la
tests_plugins_test_storage_gate_la_SOURCES = tests/plugins/test_storage_gate.c
tests_plugins_test_storage_gate_la_CPPFLAGS = -I$(top_srcdir)/core/include
tests_plugins_test_storage_gate_la_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)

check_PROGRAMS += tests/unit/test_traces
TESTS += tests/unit/test_traces
tests_unit_test_traces_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_traces_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
tests_unit_test_traces_LDADD = core/libherdcore.la core/libherdplugin.la \
	core/libherdconfig.la core/common/libherdcommon.la \
	$(JSONC_LIBS) $(LIBEVENT_LIBS) $(LTDL_LIBS) $(INIH_LIBS) $(LIBS)
EXTRA_DIST += tests/plugins/test_storage_host.h

storage_integration_tests = \
	tests/integration/storage_api.sh \
	tests/integration/storage_mixed.sh \
	tests/integration/storage_stall.sh
TESTS += $(storage_integration_tests)
dist_check_SCRIPTS += $(storage_integration_tests)
dist_doc_DATA += doc/storage.md

# Router throughput with and without storage, in one run (100,000
# requests each by default): make bench-storage [BENCH_REQUESTS=N]
# [BENCH_CONCURRENCY=N]. Best on a build without sanitizers.
EXTRA_DIST += tests/bench/storage/bench_storage.sh
bench-storage: all tests/sim/sim_loadtest
	top_builddir='$(abs_top_builddir)' $(SHELL) \
		$(top_srcdir)/tests/bench/storage/bench_storage.sh
.PHONY: bench-storage

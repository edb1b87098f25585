# Scoring plugins: one module per signal. Each compiles scoring_param.c in
# (they share no library) and links nothing of the daemon.
if BUILD_SCORING_THERMAL
scoring_LTLIBRARIES += plugins/scoring/thermal.la
plugins_scoring_thermal_la_SOURCES = plugins/scoring/thermal.c \
	plugins/scoring/scoring_param.c plugins/scoring/scoring_param.h
plugins_scoring_thermal_la_CPPFLAGS = -I$(top_srcdir)/core/include
plugins_scoring_thermal_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
plugins_scoring_thermal_la_LIBADD = -lm
endif
if BUILD_SCORING_MEMORY_FIT
scoring_LTLIBRARIES += plugins/scoring/memory_fit.la
plugins_scoring_memory_fit_la_SOURCES = plugins/scoring/memory_fit.c \
	plugins/scoring/scoring_param.c plugins/scoring/scoring_param.h
plugins_scoring_memory_fit_la_CPPFLAGS = -I$(top_srcdir)/core/include
plugins_scoring_memory_fit_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
plugins_scoring_memory_fit_la_LIBADD = -lm
endif
if BUILD_SCORING_QUEUE_DEPTH
scoring_LTLIBRARIES += plugins/scoring/queue_depth.la
plugins_scoring_queue_depth_la_SOURCES = plugins/scoring/queue_depth.c \
	plugins/scoring/scoring_param.c plugins/scoring/scoring_param.h
plugins_scoring_queue_depth_la_CPPFLAGS = -I$(top_srcdir)/core/include
plugins_scoring_queue_depth_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
plugins_scoring_queue_depth_la_LIBADD = -lm
endif
if BUILD_SCORING_WAIT_TIME
scoring_LTLIBRARIES += plugins/scoring/wait_time.la
plugins_scoring_wait_time_la_SOURCES = plugins/scoring/wait_time.c \
	plugins/scoring/scoring_param.c plugins/scoring/scoring_param.h
plugins_scoring_wait_time_la_CPPFLAGS = -I$(top_srcdir)/core/include
plugins_scoring_wait_time_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
plugins_scoring_wait_time_la_LIBADD = -lm
endif
if BUILD_SCORING_ROLE_AFFINITY
scoring_LTLIBRARIES += plugins/scoring/role_affinity.la
plugins_scoring_role_affinity_la_SOURCES = plugins/scoring/role_affinity.c \
	plugins/scoring/scoring_param.c plugins/scoring/scoring_param.h
plugins_scoring_role_affinity_la_CPPFLAGS = -I$(top_srcdir)/core/include
plugins_scoring_role_affinity_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
plugins_scoring_role_affinity_la_LIBADD = -lm
endif
if BUILD_SCORING_AVAILABILITY_TREND
scoring_LTLIBRARIES += plugins/scoring/availability_trend.la
plugins_scoring_availability_trend_la_SOURCES = plugins/scoring/availability_trend.c \
	plugins/scoring/scoring_param.c plugins/scoring/scoring_param.h
plugins_scoring_availability_trend_la_CPPFLAGS = -I$(top_srcdir)/core/include
plugins_scoring_availability_trend_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
plugins_scoring_availability_trend_la_LIBADD = -lm
endif
if BUILD_SCORING_CONTEXT_FIT
scoring_LTLIBRARIES += plugins/scoring/context_fit.la
plugins_scoring_context_fit_la_SOURCES = plugins/scoring/context_fit.c \
	plugins/scoring/scoring_param.c plugins/scoring/scoring_param.h
plugins_scoring_context_fit_la_CPPFLAGS = -I$(top_srcdir)/core/include
plugins_scoring_context_fit_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
plugins_scoring_context_fit_la_LIBADD = -lm
endif
if BUILD_SCORING_COMPLETION_TIME
scoring_LTLIBRARIES += plugins/scoring/completion_time.la
plugins_scoring_completion_time_la_SOURCES = \
	plugins/scoring/completion_time.c \
	plugins/scoring/scoring_param.c plugins/scoring/scoring_param.h
plugins_scoring_completion_time_la_CPPFLAGS = -I$(top_srcdir)/core/include
plugins_scoring_completion_time_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
plugins_scoring_completion_time_la_LIBADD = -lm
check_PROGRAMS += tests/plugins/test_scoring_completion_time
TESTS += tests/plugins/test_scoring_completion_time
endif
tests_plugins_test_scoring_completion_time_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/tests
tests_plugins_test_scoring_completion_time_LDADD = core/libherdplugin.la \
	core/common/libherdcommon.la $(LTDL_LIBS) $(LIBS) -lm

# Tests that need every signal: the plugin tests, the scorer's unit test
# (Appendix B through the real plugins) and the benchmark's smoke run.
if BUILD_SCORING_THERMAL
if BUILD_SCORING_MEMORY_FIT
if BUILD_SCORING_QUEUE_DEPTH
if BUILD_SCORING_WAIT_TIME
if BUILD_SCORING_ROLE_AFFINITY
if BUILD_SCORING_AVAILABILITY_TREND
if BUILD_SCORING_CONTEXT_FIT
check_PROGRAMS += tests/plugins/test_scoring_signals tests/unit/test_scorer \
	tests/bench/scoring/bench_scoring
TESTS += tests/plugins/test_scoring_signals tests/unit/test_scorer \
	tests/bench/scoring/bench_scoring
endif
endif
endif
endif
endif
endif
endif
scoring_integration_tests = tests/integration/scoring_route.sh \
	tests/integration/scoring_fleet.sh \
	tests/integration/scoring_example.sh
TESTS += $(scoring_integration_tests)
dist_check_SCRIPTS += $(scoring_integration_tests)
tests_plugins_test_scoring_signals_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/tests
tests_plugins_test_scoring_signals_LDADD = core/libherdplugin.la \
	core/common/libherdcommon.la $(LTDL_LIBS) $(LIBS) -lm
tests_unit_test_scorer_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_scorer_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_scorer_LDADD = core/libherdcore.la core/libherdplugin.la \
	core/common/libherdcommon.la $(JSONC_LIBS) $(LTDL_LIBS) $(LIBS) -lm
tests_bench_scoring_bench_scoring_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/tests
tests_bench_scoring_bench_scoring_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_bench_scoring_bench_scoring_LDADD = $(tests_unit_test_scorer_LDADD)

# The full table: make bench-scoring (best on a build without sanitizers).
bench-scoring: tests/bench/scoring/bench_scoring
	HERD_PLUGIN_PATH='$(abs_top_builddir)/plugins/scoring' \
		tests/bench/scoring/bench_scoring --full
.PHONY: bench-scoring

# The guides, and the out-of-tree example signal (built by
# tests/integration/scoring_example.sh), installed with the docs.
dist_doc_DATA += doc/scoring.md doc/writing-a-scoring-plugin.md
preferexampledir = $(docdir)/examples/prefer_node
dist_preferexample_DATA = doc/examples/prefer_node/prefer_node.c \
	doc/examples/prefer_node/Makefile

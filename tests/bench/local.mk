# Benchmarks (tests/bench, see doc/benchmarks.md). make check runs only the
# smoke-sized run of each; the real ones are make bench-overhead and make
# bench-fleet (minutes each, results under tests/bench/results/).

# The load generator every benchmark uses (direct, nginx and herd alike).
check_PROGRAMS += tests/bench/bench_load
tests_bench_bench_load_SOURCES = tests/bench/bench_load.c
tests_bench_bench_load_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
tests_bench_bench_load_LDADD = $(LIBEVENT_LIBS)

# The floor under any proxy's added latency: a forwarder that parses
# nothing (the overhead benchmark's "forward" path).
check_PROGRAMS += tests/bench/bench_forward
tests_bench_bench_forward_SOURCES = tests/bench/bench_forward.c

# Baseline policies as scoring plugins, loaded with --plugin-dir; never
# installed.
check_LTLIBRARIES += tests/bench/policies/round_robin.la \
	tests/bench/policies/random.la \
	tests/bench/policies/least_connections.la
tests_bench_policies_round_robin_la_SOURCES = \
	tests/bench/policies/round_robin.c
tests_bench_policies_round_robin_la_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
tests_bench_policies_random_la_SOURCES = tests/bench/policies/random.c
tests_bench_policies_random_la_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)
tests_bench_policies_least_connections_la_SOURCES = \
	tests/bench/policies/least_connections.c
tests_bench_policies_least_connections_la_LDFLAGS = $(TEST_PLUGIN_LINK_FLAGS)

bench_scripts = tests/bench/lib.sh tests/bench/overhead/run.sh \
	tests/bench/overhead/ab.sh \
	tests/bench/fleet/run.sh tests/bench/fleet/workload.awk
EXTRA_DIST += $(bench_scripts)
dist_doc_DATA += doc/benchmarks.md
dist_check_SCRIPTS += tests/bench/bench_smoke.sh
TESTS += tests/bench/bench_smoke.sh

bench_deps = all $(check_PROGRAMS) $(check_LTLIBRARIES)
BENCH_OUT = tests/bench/results
bench-overhead: $(bench_deps)
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
		$(SHELL) $(top_srcdir)/tests/bench/overhead/run.sh \
		--out '$(BENCH_OUT)/overhead'
bench-fleet: $(bench_deps)
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
		$(SHELL) $(top_srcdir)/tests/bench/fleet/run.sh \
		--out '$(BENCH_OUT)/fleet'
# This build's added latency against BASE, another build's directory
# (the tree before a change): make bench-ab BASE=DIR
bench-ab: $(bench_deps)
	@test -n '$(BASE)' || { echo 'make bench-ab BASE=DIR' >&2; exit 2; }
	top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)' \
		$(SHELL) $(top_srcdir)/tests/bench/overhead/ab.sh --base '$(BASE)'
.PHONY: bench-overhead bench-fleet bench-ab
clean-local: clean-local-bench
clean-local-bench:
	-rm -rf tests/bench/results
.PHONY: clean-local-bench

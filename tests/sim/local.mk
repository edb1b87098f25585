# herd-sim: the Ollama-protocol simulator (installed; see doc/herd-sim.1).
bin_PROGRAMS += herd-sim
herd_sim_SOURCES = \
	tests/sim/sim.h \
	tests/sim/sim_main.c \
	tests/sim/sim_config.c \
	tests/sim/sim_util.c \
	tests/sim/sim_json.c \
	tests/sim/sim_models.c \
	tests/sim/sim_sched.c \
	tests/sim/sim_generate.c \
	tests/sim/sim_faults.c \
	tests/sim/sim_state.c \
	tests/sim/sim_http.c \
	tests/sim/sim_guard.c \
	tests/sim/sim_api_common.c \
	tests/sim/sim_api_reply.c \
	tests/sim/sim_api_reply.h \
	tests/sim/sim_api_native.c \
	tests/sim/sim_api_manage.c \
	tests/sim/sim_api_openai.c
herd_sim_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(JSONC_CFLAGS) $(INIH_CFLAGS)
herd_sim_LDADD = core/common/libherdcommon.la $(LIBEVENT_LIBS) $(JSONC_LIBS) \
	$(INIH_LIBS) $(LIBS)

# Integration tests (TAP, loopback only).
SIM_TESTS = \
	tests/integration/sim_native.sh \
	tests/integration/sim_sched.sh \
	tests/integration/sim_openai.sh \
	tests/integration/sim_faults.sh \
	tests/integration/sim_cli.sh \
	tests/integration/sim_compat.sh \
	tests/integration/sim_load.sh \
	tests/integration/sim_badinput.sh
dist_check_SCRIPTS += $(SIM_TESTS)
TESTS += $(SIM_TESTS)
EXTRA_DIST += tests/integration/sim_lib.sh
dist_man_MANS += doc/herd-sim.1
EXTRA_DIST += tests/compat/package.json tests/compat/tap.mjs \
	tests/compat/run.mjs tests/compat/ollama_client.mjs \
	tests/compat/openai_client.mjs
# The npm install and TAP relay of sim_compat.sh and router_compat.sh.
EXTRA_DIST += tests/integration/compat_lib.sh

# The load client of sim_load.sh (libevent, one connection per stream).
check_PROGRAMS += tests/sim/sim_loadtest
tests_sim_sim_loadtest_SOURCES = tests/sim/sim_loadtest.c
tests_sim_sim_loadtest_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
tests_sim_sim_loadtest_LDADD = $(LIBEVENT_LIBS)

# sim_compat.sh installs the npm clients into the build tree; an in-tree
# build keeps them (the copies there are the sources).
clean-local: clean-local-sim-compat
clean-local-sim-compat:
	-if test "$(abs_top_builddir)" != "$(abs_top_srcdir)"; then \
	    rm -rf tests/compat/node_modules tests/compat/package-lock.json \
	        tests/compat/.installed.json tests/compat/package.json \
	        tests/compat/*.mjs; \
	fi
.PHONY: clean-local-sim-compat

# herd-node: the agent beside each Ollama. Everything but main() is a
# convenience library, so the unit tests link the code the agent runs.
noinst_LTLIBRARIES += agent/libherdagent.la
agent_libherdagent_la_SOURCES = \
	agent/agent.h \
	agent/agent_sysfs.c agent/agent_sysfs.h \
	agent/agent_metrics.h \
	agent/agent_metrics_cpu.c agent/agent_metrics_memory.c \
	agent/agent_metrics_thermal.c agent/agent_metrics_ident.c \
	agent/agent_gpu.c agent/agent_gpu.h \
	agent/agent_url.c agent/agent_url.h \
	agent/agent_ollama.c agent/agent_ollama.h \
	agent/agent_capacity.c agent/agent_capacity.h \
	agent/agent_payload.c agent/agent_heartbeat.c \
	agent/agent_cycle.c agent/agent_host.c
agent_libherdagent_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
agent_libherdagent_la_LIBADD = core/common/libherdcommon.la \
	$(JSONC_LIBS) $(LIBEVENT_LIBS) -lm $(LIBS)

bin_PROGRAMS += herd-node
herd_node_SOURCES = agent/agent_main.c
herd_node_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
herd_node_LDADD = agent/libherdagent.la core/libherdplugin.la \
	core/libherdconfig.la core/common/libherdcommon.la \
	$(JSONC_LIBS) $(LIBEVENT_LIBS) $(LTDL_LIBS) $(INIH_LIBS) -lm $(LIBS)

dist_man_MANS += doc/herd-node.8

check_PROGRAMS += tests/unit/test_agent_capacity
tests_unit_test_agent_capacity_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_agent_capacity_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) \
	-I$(top_srcdir)/tests
tests_unit_test_agent_capacity_LDADD = agent/libherdagent.la -lm
TESTS += tests/unit/test_agent_capacity

check_PROGRAMS += tests/unit/test_agent_metrics
tests_unit_test_agent_metrics_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_agent_metrics_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) \
	-I$(top_srcdir)/tests
tests_unit_test_agent_metrics_LDADD = agent/libherdagent.la -lm
TESTS += tests/unit/test_agent_metrics

# The heartbeat against the router's own parser.
check_PROGRAMS += tests/unit/test_agent_payload
tests_unit_test_agent_payload_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) \
	$(LIBEVENT_CFLAGS)
tests_unit_test_agent_payload_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) \
	-I$(top_srcdir)/tests
tests_unit_test_agent_payload_LDADD = agent/libherdagent.la \
	core/libherdcore.la -lm
TESTS += tests/unit/test_agent_payload

# Integration tests: herd-node with herd and herd-sim on loopback.
agent_integration_tests = \
	tests/integration/agent_fleet.sh \
	tests/integration/agent_lifecycle.sh \
	tests/integration/agent_input.sh
TESTS += $(agent_integration_tests)
dist_check_SCRIPTS += $(agent_integration_tests)
EXTRA_DIST += tests/integration/agent_lib.sh

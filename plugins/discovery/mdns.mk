# discovery/mdns: avahi-client on the host's libevent loop. Its tests run
# a private dbus-daemon and avahi-daemon in a network namespace of their
# own (tests/integration/avahi.sh), and skip when those are missing.
if BUILD_DISCOVERY_MDNS
discovery_LTLIBRARIES += plugins/discovery/mdns.la
plugins_discovery_mdns_la_SOURCES = plugins/discovery/mdns.c \
	plugins/discovery/mdns.h plugins/discovery/mdns_poll.c \
	plugins/discovery/mdns_publish.c plugins/discovery/mdns_browse.c
plugins_discovery_mdns_la_CPPFLAGS = -I$(top_srcdir)/core/include
plugins_discovery_mdns_la_CFLAGS = $(AM_CFLAGS) $(AVAHI_CFLAGS) \
	$(LIBEVENT_CFLAGS)
plugins_discovery_mdns_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
plugins_discovery_mdns_la_LIBADD = $(AVAHI_LIBS) $(LIBEVENT_LIBS)

# The plugin test is a C program driven by a shell test that starts the
# private daemons first.
check_PROGRAMS += tests/plugins/test_mdns
tests_plugins_test_mdns_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_plugins_test_mdns_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
tests_plugins_test_mdns_LDADD = core/libherdplugin.la \
	core/common/libherdcommon.la $(LIBEVENT_LIBS) $(JSONC_LIBS) \
	$(LTDL_LIBS) $(LIBS)

MDNS_TESTS = tests/integration/mdns_plugin.sh \
	tests/integration/mdns_router.sh tests/integration/mdns_agents.sh \
	tests/integration/mdns_netns.sh
TESTS += $(MDNS_TESTS)
dist_check_SCRIPTS += $(MDNS_TESTS)
endif
EXTRA_DIST += tests/integration/avahi.sh
dist_doc_DATA += doc/discovery.md

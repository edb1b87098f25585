# Discovery plugins. Each links against libraries it uses itself, never
# against herd: the host table is its only way in.
if BUILD_DISCOVERY_STATIC
discovery_LTLIBRARIES += plugins/discovery/static.la
plugins_discovery_static_la_SOURCES = plugins/discovery/static.c
plugins_discovery_static_la_CPPFLAGS = -I$(top_srcdir)/core/include
plugins_discovery_static_la_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(JSONC_CFLAGS)
plugins_discovery_static_la_LDFLAGS = $(PLUGIN_LINK_FLAGS)
plugins_discovery_static_la_LIBADD = $(LIBEVENT_LIBS) $(JSONC_LIBS) -lm
endif

if BUILD_DISCOVERY_STATIC
check_PROGRAMS += tests/plugins/test_static
TESTS += tests/plugins/test_static
tests_plugins_test_static_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_plugins_test_static_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(JSONC_CFLAGS)
tests_plugins_test_static_LDADD = core/libherdplugin.la \
	core/common/libherdcommon.la $(LIBEVENT_LIBS) $(JSONC_LIBS) \
	$(LTDL_LIBS) $(LIBS)
endif

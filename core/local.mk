# The router: everything but main() goes into a convenience library so the
# unit tests link the same code the daemon runs.
noinst_LTLIBRARIES += core/libherdcore.la
core_libherdcore_la_SOURCES = \
	core/heartbeat.c core/heartbeat.h \
	core/registry.c core/registry.h \
	core/host.c core/host.h \
	core/router.c core/router.h \
	core/http_server.c core/http_server.h core/http_server_impl.h \
	core/http_parse.c core/http_respond.c core/http_headers.c \
	core/http_reply.c core/http_reply.h \
	core/browser_guard.c core/browser_guard.h \
	core/api_heartbeat.c core/api_fleet.c core/api_meta.c
core_libherdcore_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(LIBEVENT_OPENSSL_CFLAGS) $(OPENSSL_CFLAGS)
core_libherdcore_la_LIBADD = core/common/libherdcommon.la \
	$(JSONC_LIBS) $(LIBEVENT_OPENSSL_LIBS) $(OPENSSL_LIBS) $(LIBEVENT_LIBS) \
	$(LIBS)

check_PROGRAMS += tests/unit/test_heartbeat tests/unit/test_registry
TESTS += tests/unit/test_heartbeat tests/unit/test_registry
tests_unit_test_heartbeat_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_heartbeat_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_heartbeat_LDADD = core/libherdcore.la
tests_unit_test_registry_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_registry_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_registry_LDADD = core/libherdcore.la

bin_PROGRAMS += herd
herd_SOURCES = core/main.c
herd_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
herd_LDADD = core/libherdcore.la core/libherdplugin.la core/libherdconfig.la \
	core/common/libherdcommon.la $(JSONC_LIBS) $(LIBEVENT_LIBS) $(LTDL_LIBS) \
	$(INIH_LIBS) $(LIBS)

router_integration_tests = \
	tests/integration/router_heartbeat.sh \
	tests/integration/router_tags_union.sh \
	tests/integration/router_liveness.sh \
	tests/integration/router_http.sh \
	tests/integration/router_http_wire.sh \
	tests/integration/router_http_fuzz.sh \
	tests/integration/router_apikey.sh \
	tests/integration/static_discovery.sh
TESTS += $(router_integration_tests)
dist_check_SCRIPTS += $(router_integration_tests)

dist_doc_DATA += doc/api.md
EXTRA_DIST += tests/integration/router_lib.sh

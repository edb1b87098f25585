# The browser dashboard: static files installed under $(pkgdatadir) and
# read into memory by the router at start (core/dashboard.h).
dashboarddir = $(pkgdatadir)/dashboard
dist_dashboard_DATA = \
	core/dashboard/index.html \
	core/dashboard/style.css \
	core/dashboard/app.js \
	core/dashboard/util.js \
	core/dashboard/charts.js \
	core/dashboard/fleet.js \
	core/dashboard/traces.js \
	core/dashboard/analytics.js \
	core/dashboard/route.js \
	core/dashboard/favicon.svg

# Its own convenience library only for the source-tree fallback below,
# then merged into the router's.
noinst_LTLIBRARIES += core/libherddashboard.la
core_libherddashboard_la_SOURCES = \
	core/dashboard.h core/api_dashboard.c \
	core/dashboard_assets.h core/dashboard_assets.c
core_libherddashboard_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DHERD_DASHBOARD_SRCDIR='"$(abs_top_srcdir)/core/dashboard"'
core_libherddashboard_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) \
	$(LIBEVENT_CFLAGS)
core_libherdcore_la_LIBADD += core/libherddashboard.la

dashboard_integration_tests = \
	tests/integration/dashboard_http.sh \
	tests/integration/dashboard_browser.sh
TESTS += $(dashboard_integration_tests)
dist_check_SCRIPTS += $(dashboard_integration_tests)
EXTRA_DIST += tests/integration/dashboard_lib.sh
dist_doc_DATA += doc/dashboard.md

check_PROGRAMS += tests/unit/test_dashboard_assets
TESTS += tests/unit/test_dashboard_assets
tests_unit_test_dashboard_assets_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_dashboard_assets_LDADD = core/libherddashboard.la

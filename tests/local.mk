# Test harness pieces shared by all tests.
noinst_HEADERS += tests/tap.h
# The fake herd_host of the plugin tests (header-only, like tap.h).
noinst_HEADERS += tests/plugins/fake_host.h
EXTRA_DIST += tests/wrapper.sh tests/integration/lib.sh

check_PROGRAMS += tests/unit/test_log
tests_unit_test_log_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_log_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_log_LDADD = core/common/libherdcommon.la
TESTS += tests/unit/test_log

check_PROGRAMS += tests/unit/test_json_scan
tests_unit_test_json_scan_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_json_scan_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests \
	-I$(top_srcdir)/core
tests_unit_test_json_scan_LDADD = core/common/libherdcommon.la
TESTS += tests/unit/test_json_scan

check_PROGRAMS += tests/unit/test_json_text
tests_unit_test_json_text_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_json_text_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests \
	-I$(top_srcdir)/core
tests_unit_test_json_text_LDADD = core/common/libherdcommon.la
TESTS += tests/unit/test_json_text

check_PROGRAMS += tests/unit/test_cors_origin
tests_unit_test_cors_origin_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests \
	-I$(top_srcdir)/core
tests_unit_test_cors_origin_LDADD = core/common/libherdcommon.la
TESTS += tests/unit/test_cors_origin

check_PROGRAMS += tests/unit/test_fixed2
tests_unit_test_fixed2_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests \
	-I$(top_srcdir)/core
TESTS += tests/unit/test_fixed2

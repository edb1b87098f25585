# The request path: request parsing, token estimate, admission, upstream
# client, stream relay, format conversion and the inference handlers. The
# sources join the router's convenience library.
core_libherdcore_la_SOURCES += \
	core/token_estimate.c core/token_estimate.h \
	core/request.c core/request.h

check_PROGRAMS += tests/unit/test_request
TESTS += tests/unit/test_request
tests_unit_test_request_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_request_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_request_LDADD = core/libherdcore.la

core_libherdcore_la_SOURCES += core/admission.c core/admission.h
check_PROGRAMS += tests/unit/test_admission
TESTS += tests/unit/test_admission
tests_unit_test_admission_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_admission_LDADD = core/libherdcore.la

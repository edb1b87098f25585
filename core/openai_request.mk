# OpenAI request bodies in the native API's shape (openai_request.h): the
# entry point and per-API fields, chat messages, their content parts, and
# the generation settings.
core_libherdcore_la_SOURCES += core/openai_request.h \
	core/openai_request.c core/openai_request_impl.h \
	core/openai_messages.c core/openai_content.c core/openai_options.c

check_PROGRAMS += tests/unit/test_openai_request
TESTS += tests/unit/test_openai_request
tests_unit_test_openai_request_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_openai_request_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_openai_request_LDADD = core/libherdcore.la

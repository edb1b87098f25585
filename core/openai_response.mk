# Native answers in the OpenAI API's shape (openai_response.h): whole
# bodies and errors, streamed chunks, embeddings, and the pieces they
# share.
core_libherdcore_la_SOURCES += core/openai_response.h \
	core/openai_response.c core/openai_chunk.c core/openai_embed.c \
	core/openai_shape.c core/openai_shape.h

check_PROGRAMS += tests/unit/test_openai_response
TESTS += tests/unit/test_openai_response
tests_unit_test_openai_response_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) \
	$(LIBEVENT_CFLAGS)
tests_unit_test_openai_response_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_openai_response_LDADD = core/libherdcore.la

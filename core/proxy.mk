# The request path: request parsing, token estimate, admission, upstream
# client, stream relay, format conversion and the inference handlers. The
# sources join the router's convenience library.
core_libherdcore_la_SOURCES += \
	core/token_estimate.c core/token_estimate.h \
	core/request_body.c core/request_body.h \
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

check_PROGRAMS += tests/unit/test_image_redirect
TESTS += tests/unit/test_image_redirect
tests_unit_test_image_redirect_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_image_redirect_LDADD = core/libherdcore.la

check_PROGRAMS += tests/unit/test_proxy_slots
TESTS += tests/unit/test_proxy_slots
tests_unit_test_proxy_slots_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_proxy_slots_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_proxy_slots_LDADD = core/libherdcore.la

core_libherdcore_la_SOURCES += \
	core/proxy_slots.c core/proxy_slots.h \
	core/prewarm_pick.c core/prewarm_pick.h \
	core/prewarm.c core/prewarm.h \
	core/model_category.c core/model_category.h \
	core/autopull.c core/autopull.h \
	core/pull_line.c core/pull_line.h \
	core/upstream_parse.c core/upstream_parse.h \
	core/upstream.c core/upstream.h \
	core/relay.c core/relay.h \
	core/proxy_body.c core/proxy_body.h \
	core/proxy_unload.c core/proxy_unload.h core/proxy_unload_asked.c \
	core/image_redirect.c core/image_redirect.h \
	core/queue_view.c core/queue_view.h \
	core/image_fetch.c core/image_fetch.h \
	core/proxy.c core/proxy.h core/proxy_impl.h \
	core/proxy_drain.c \
	core/proxy_kick.c \
	core/proxy_reaper.c \
	core/proxy_retry.c \
	core/proxy_trace.c \
	core/proxy_reply.c \
	core/proxy_stream.c \
	core/proxy_dispatch.c \
	core/proxy_pick.c \
	core/proxy_route.c \
	core/proxy_req.c \
	core/api_inference.c core/api_openai.c core/api_models.c

proxy_integration_tests = \
	tests/integration/proxy_native.sh \
	tests/integration/proxy_names.sh \
	tests/integration/proxy_stale.sh \
	tests/integration/proxy_backoff.sh \
	tests/integration/proxy_unload.sh \
	tests/integration/proxy_queue.sh \
	tests/integration/proxy_slots.sh \
	tests/integration/proxy_faults.sh \
	tests/integration/proxy_drain.sh \
	tests/integration/proxy_drain_reload.sh \
	tests/integration/proxy_models.sh \
	tests/integration/proxy_delete.sh \
	tests/integration/proxy_fallback.sh \
	tests/integration/proxy_autopull.sh \
	tests/integration/proxy_pull_stream.sh \
	tests/integration/proxy_pull_once.sh \
	tests/integration/proxy_autopull_deleted.sh \
	tests/integration/proxy_backpressure.sh \
	tests/integration/proxy_images_https.sh \
	tests/integration/proxy_images_ca_reload.sh \
	tests/integration/proxy_context_upgrade.sh \
	tests/integration/proxy_traces.sh \
	tests/integration/proxy_context.sh \
	tests/integration/proxy_estimate.sh \
	tests/integration/proxy_kick.sh \
	tests/integration/proxy_images.sh \
	tests/integration/proxy_answer_cap.sh \
	tests/integration/proxy_node_names.sh \
	tests/integration/proxy_queue_order.sh \
	tests/integration/proxy_pipeline_leave.sh \
	tests/integration/proxy_queue_cost.sh \
	tests/integration/proxy_backoff_wait.sh \
	tests/integration/proxy_queue_wait_total.sh \
	tests/integration/proxy_reload_upstream_timeout.sh \
	tests/integration/proxy_reload_queue_wait.sh \
	tests/integration/proxy_reload_pull_timeout.sh \
	tests/integration/proxy_queue_fallback.sh \
	tests/integration/proxy_queue_counts.sh \
	tests/integration/proxy_retry_after.sh \
	tests/integration/proxy_reaper.sh \
	tests/integration/proxy_openai.sh \
	tests/integration/proxy_cors.sh \
	tests/integration/proxy_admin_auth.sh \
	tests/integration/proxy_prewarm.sh \
	tests/integration/proxy_prewarm_embed.sh \
	tests/integration/proxy_prewarm_embed_unnamed.sh \
	tests/integration/proxy_reuse.sh \
	tests/integration/router_compat.sh
TESTS += $(proxy_integration_tests)
dist_check_SCRIPTS += $(proxy_integration_tests)
EXTRA_DIST += tests/integration/proxy_lib.sh \
	tests/compat/router_ollama.mjs tests/compat/router_openai.mjs

dist_doc_DATA += doc/request-path.md

check_PROGRAMS += tests/unit/test_relay tests/unit/test_proxy_body \
	tests/unit/test_upstream_parse tests/unit/test_upstream
TESTS += tests/unit/test_relay tests/unit/test_proxy_body \
	tests/unit/test_upstream_parse tests/unit/test_upstream
tests_unit_test_relay_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
tests_unit_test_relay_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_relay_LDADD = core/libherdcore.la
tests_unit_test_proxy_body_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_proxy_body_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_proxy_body_LDADD = core/libherdcore.la
tests_unit_test_upstream_parse_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
tests_unit_test_upstream_parse_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_upstream_parse_LDADD = core/libherdcore.la
tests_unit_test_upstream_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
tests_unit_test_upstream_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_upstream_LDADD = core/libherdcore.la

# A loopback image server (and recording OpenAI endpoint) for
# proxy_images.sh.
check_PROGRAMS += tests/image_server
tests_image_server_SOURCES = tests/image_server.c
tests_image_server_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(LIBEVENT_OPENSSL_CFLAGS) $(OPENSSL_CFLAGS)
tests_image_server_LDADD = $(LIBEVENT_OPENSSL_LIBS) $(OPENSSL_LIBS) \
	$(LIBEVENT_LIBS)

check_PROGRAMS += tests/unit/test_prewarm_pick
TESTS += tests/unit/test_prewarm_pick
tests_unit_test_prewarm_pick_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_prewarm_pick_LDADD = core/libherdcore.la

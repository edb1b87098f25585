# Code shared by herd, herd-node and herd-sim.
noinst_LTLIBRARIES += core/common/libherdcommon.la
core_common_libherdcommon_la_SOURCES = \
	core/common/log.c core/common/log.h \
	core/common/http_util.c core/common/http_util.h \
	core/common/data_dir.c core/common/data_dir.h \
	core/common/auth.c core/common/auth.h \
	core/common/cors_origin.c core/common/cors_origin.h \
	core/common/host_guard.c core/common/host_guard.h \
	core/common/json_scan.c core/common/json_scan.h \
	core/common/json_text.c core/common/json_text.h \
	core/common/fixed2.h \
	core/common/mono_clock.h \
	core/common/spares.h \
	core/common/str_copy.h
core_common_libherdcommon_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBEVENT_CFLAGS)
core_common_libherdcommon_la_LIBADD = $(JSONC_LIBS) $(LIBEVENT_LIBS) $(LIBS)

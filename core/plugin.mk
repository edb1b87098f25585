# The plugin loader (core/plugin_*.c): a convenience library the router
# links, and tests/unit/test_plugin_loader drives.
noinst_LTLIBRARIES += core/libherdplugin.la
core_libherdplugin_la_SOURCES = \
	core/plugin_loader.c core/plugin_loader.h core/plugin_internal.h \
	core/plugin_path.c core/plugin_check.c core/plugin_host.c \
	core/plugin_list.c
# Users link core/common/libherdcommon.la too (logging).
core_libherdplugin_la_LIBADD = $(LTDL_LIBS)
include tests/abi/local.mk

dist_man_MANS += doc/herd-plugin.3
dist_doc_DATA += doc/plugin-abi.md

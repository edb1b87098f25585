# Configuration loader shared by herd and herd-node (link
# core/libherdconfig.la; it brings libherdcommon.la along).
noinst_LTLIBRARIES += core/libherdconfig.la
core_libherdconfig_la_SOURCES = \
	core/config.h core/config_impl.h \
	core/config.c core/config_schema.c core/config_value.c \
	core/config_ini.c core/config_file.c core/config_env.c \
	core/config_cli.c core/config_print.c core/config_diff.c
core_libherdconfig_la_CFLAGS = $(AM_CFLAGS) $(INIH_CFLAGS)
core_libherdconfig_la_LIBADD = core/common/libherdcommon.la $(INIH_LIBS)

dist_man_MANS += doc/herd.8 doc/herd.ini.5
dist_doc_DATA += doc/examples/herd.ini

check_PROGRAMS += tests/unit/test_config
tests_unit_test_config_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_config_LDADD = core/libherdconfig.la
TESTS += tests/unit/test_config

TESTS += tests/integration/config_cli.sh
dist_check_SCRIPTS += tests/integration/config_cli.sh

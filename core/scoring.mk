# Scoring: the scorer (elimination, composition, ranking, tie-break), the
# model size estimate, the router's scoring plugin set and POST
# /fleet/route. The sources join the router's convenience library; the
# built-in plugin sections join the configuration loader.
core_libherdcore_la_SOURCES += \
	core/scorer.c core/scorer.h core/score_breakdown.c core/score_breakdown.h \
	core/model_size.c core/model_size.h \
	core/router_scoring.c core/api_route.c
core_libherdconfig_la_SOURCES += core/config_defaults.c

# The trace's score breakdown reads as json-c would write it.
check_PROGRAMS += tests/unit/test_scorer_breakdown
TESTS += tests/unit/test_scorer_breakdown
tests_unit_test_scorer_breakdown_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_unit_test_scorer_breakdown_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_scorer_breakdown_LDADD = core/libherdcore.la \
	core/libherdplugin.la core/common/libherdcommon.la $(JSONC_LIBS) \
	$(LTDL_LIBS) $(LIBS) -lm

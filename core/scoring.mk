# Scoring: the scorer (elimination, composition, ranking, tie-break), the
# model size estimate, the router's scoring plugin set and POST
# /fleet/route. The sources join the router's convenience library; the
# built-in plugin sections join the configuration loader.
core_libherdcore_la_SOURCES += \
	core/scorer.c core/scorer.h \
	core/model_size.c core/model_size.h \
	core/router_scoring.c core/api_route.c
core_libherdconfig_la_SOURCES += core/config_defaults.c

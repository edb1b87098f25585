# The dashboard's health and model-administration endpoints, and the admin
# check they share with /api/pull and /api/delete. The sources join the
# router's convenience library.
core_libherdcore_la_SOURCES += \
	core/admin_gate.c core/admin_gate.h \
	core/dashboard_api.h \
	core/api_health.c core/api_model_admin.c

dashboard_api_integration_tests = tests/integration/dashboard_api.sh
TESTS += $(dashboard_api_integration_tests)
dist_check_SCRIPTS += $(dashboard_api_integration_tests)

# Native answers in the OpenAI API's shape (openai_response.h).
core_libherdcore_la_SOURCES += core/openai_response.h

# OpenAI request bodies in the native API's shape (openai_request.h).
core_libherdcore_la_SOURCES += core/openai_request.h

#!/bin/sh
# Runs one test program; with VALGRIND=1, under valgrind (through libtool,
# since uninstalled programs are wrapper scripts).
if [ "${VALGRIND:-0}" = 1 ]; then
    exec "${LIBTOOL:-libtool}" --mode=execute valgrind --quiet --error-exitcode=99 \
        --leak-check=full --errors-for-leak-kinds=definite "$@"
fi
exec "$@"

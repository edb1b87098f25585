#!/usr/bin/env bash
# Builds herd out of tree and runs its test suite (make check).
#   ./run-tests.sh                 build in _build and test
#   ./run-tests.sh --sanitizers    build in _build-asan with ASan+UBSan and test
# Installs the Debian packages it needs first when run as root.
set -eu
cd "$(dirname "$0")"
builddir=_build
confargs=()
if [ "${1:-}" = --sanitizers ]; then
    builddir=_build-asan
    confargs+=(--enable-sanitizers)
fi
if [ "$(id -u)" = 0 ]; then
    bash .ci/deps.sh
else
    echo "run-tests.sh: not root, assuming the packages of .ci/deps.sh are installed" >&2
fi
[ -x configure ] || autoreconf -fi
mkdir -p "$builddir"
cd "$builddir"
[ -f Makefile ] || ../configure "${confargs[@]}" 2> >(grep -v "cannot remove 'core'" >&2)
make -j2
make -j2 check

#!/usr/bin/env bash
# Pre-warm of an embedding model whose name does not say so
# (paraphrase-multilingual): the load through /api/generate is refused by
# the node, and the router loads it through /api/embed instead.
# proxy_prewarm.sh's scenario with that model.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
PREWARM_KIND=embed
PREWARM_MODEL=paraphrase-multilingual:latest
. "$top_srcdir/tests/integration/proxy_prewarm.sh"

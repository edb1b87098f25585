#!/usr/bin/env bash
# Pre-warm of an embedding model: Ollama refuses /api/generate for one,
# so the router loads it through /api/embed with an empty input.
# proxy_prewarm.sh's scenario, with bge-large instead of qwen3.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
PREWARM_KIND=embed
. "$top_srcdir/tests/integration/proxy_prewarm.sh"

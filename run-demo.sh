#!/usr/bin/env bash
# Builds herd and runs the router in front of a fleet: the local Ollama when
# one answers on 127.0.0.1:11434, and three simulated nodes (herd-sim) of
# different shapes. Everything listens on 127.0.0.1 only. Ctrl-C stops all.
#   ./run-demo.sh [--port N]      router port (default 11435)
set -eu
cd "$(dirname "$0")"
port=11435
[ "${1:-}" = --port ] && port=${2:?--port needs a number}

if [ "$(id -u)" = 0 ]; then bash .ci/deps.sh; fi
[ -x configure ] || autoreconf -fi
mkdir -p _build
(cd _build && { [ -f Makefile ] || ../configure -q 2> >(grep -v "cannot remove 'core'" >&2); } && make -j2 -s)

demo=_build/demo
mkdir -p "$demo"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 0' INT TERM

sim() { # sim NAME PORT ARGS...
    local name=$1 p=$2; shift 2
    _build/herd-sim --port "$p" "$@" >"$demo/$name.log" 2>&1 &
    pids+=($!)
    echo "node = $name http://127.0.0.1:$p" >>"$demo/herd.ini"
}

cat >"$demo/herd.ini" <<INI
[router]
host = 127.0.0.1
port = $port
data_dir = $PWD/$demo/data

[discovery.mdns]
enabled = false               ; a demo on loopback announces nothing

[discovery.static]
interval = 2
INI
if curl -s -m 1 http://127.0.0.1:11434/ | grep -q 'Ollama is running'; then
    echo "node = local-ollama http://127.0.0.1:11434" >>"$demo/herd.ini"
    echo "demo: found Ollama on 127.0.0.1:11434; it joins the fleet"
fi
# A fast GPU box with little memory, a big-memory Mac, a slow laptop.
sim gpu-box 11501 --memory-gb 24 --tokens-per-sec 120 --num-parallel 2 \
    --model llama3.2:3b:2 --model qwen3:8b:5.2 --embed-model nomic-embed-text:0.3
sim mac-studio 11502 --memory-gb 128 --tokens-per-sec 40 --num-parallel 4 \
    --model qwen3:8b:5.2 --model qwen3:32b:20 --model llama3.3:70b:43
sim laptop 11503 --memory-gb 16 --tokens-per-sec 15 \
    --model llama3.2:3b:2 --embed-model nomic-embed-text:0.3

# Agentless nodes do not tell their parallel slots; say them here.
printf '[node.gpu-box]\nnum_parallel = 2\n[node.mac-studio]\nnum_parallel = 4\n' \
    >>"$demo/herd.ini"

cat <<MSG
demo: router on http://127.0.0.1:$port with sims on ports 11501-11503
      (config: $demo/herd.ini, logs: $demo/)
  curl -s http://127.0.0.1:$port/fleet/status | jq .
  curl -s http://127.0.0.1:$port/api/tags | jq '.models[].name'
  curl -s http://127.0.0.1:$port/api/chat -d '{"model":"qwen3:8b","messages":[{"role":"user","content":"hi"}]}'
  open http://127.0.0.1:$port/dashboard in a browser
MSG
_build/herd --config "$demo/herd.ini" --plugin-dir "$PWD/_build/plugins" &
pids+=($!)
wait "${pids[-1]}"

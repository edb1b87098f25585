#!/usr/bin/env bash
# Installs the Debian packages that building and testing herd needs. Idempotent:
# a second run with everything present takes a couple of seconds.
set -eu
pkgs="build-essential autoconf automake libtool pkg-config
      libevent-dev libjson-c-dev libsqlite3-dev libltdl-dev libavahi-client-dev libinih-dev
      libssl-dev openssl
      avahi-daemon avahi-utils dbus sqlite3 curl jq valgrind iproute2
      nginx-light gnuplot-nox chromium"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
# Node.js may come from another packaging (its npm inside); ask for the commands.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing
fi

#!/usr/bin/env bash
# Install every Debian package GridFlow needs. Idempotent: when everything is present it
# only runs dpkg-query and exits. Uses sudo when not root. Add a package here, nowhere else.
set -euo pipefail

PACKAGES=(
    # toolchain
    build-essential pkg-config git ca-certificates curl jq
    # service kit and services
    libevent-dev libjansson-dev libhiredis-dev libcmocka-dev
    libxgboost-dev coinor-libipopt-dev libstemmer-dev tzdata
    libssl-dev  # https:// in the kit's HTTP client (libevent's OpenSSL bufferevent)
    wordnet-base  # English lexicon for the compliance query expansion and language check
    libscotch-dev  # the OPF resets the SCOTCH ordering MUMPS uses, for reproducible solves
    liblapack-dev libblas-dev  # Ipopt's pkg-config names -llapack -lblas; only recommended by it
    # fuzzing and memory checks
    clang libclang-rt-14-dev valgrind
    clang-format  # make format / format-check (.clang-format)
    # runtime of the stack
    redis-server nginx-light
    redis-tools  # redis-cli --cluster create/reshard in the Redis Cluster test fixture
    prometheus yq  # Prometheus for make up, promtool + yq for tests/e2e/test_monitoring.sh and test_deploy.sh
    chromium fonts-liberation  # headless browser for the dashboard tests (tests/browser), with
                               # real fonts for the screenshots (only recommended by chromium)
    # benchmarks
    wrk
)
# node and npm may come from another Debian-format package (nodejs with npm bundled);
# install Debian's only when the commands are absent.
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)
# `scripts/deps.sh containers` (make containers, test-containers, test-fresh) adds the container
# tools: rootful podman with netavark networking (container names resolve through aardvark-dns),
# podman-compose, and debootstrap for the local base images. A plain `make up` needs none of them.
if [ "${1:-}" = containers ]; then
    PACKAGES+=(podman podman-compose runc netavark aardvark-dns iptables debootstrap)
fi

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#PACKAGES[@]} packages present"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "deps: cannot install ${missing[*]}: run make deps as root (sudo is not installed)" >&2
        exit 1
    fi
    SUDO="sudo"
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -qq; then
    echo "deps: cannot install ${missing[*]}: apt-get update failed (see above)" >&2
    exit 1
fi
# --no-install-recommends keeps the install lean; services are never started by us here.
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
    # Name what apt cannot find; otherwise the whole set (the cause is in apt's output above).
    unknown=()
    for p in "${missing[@]}"; do
        apt-cache show "$p" >/dev/null 2>&1 || unknown+=("$p")
    done
    if [ ${#unknown[@]} -gt 0 ]; then
        echo "deps: cannot install ${unknown[*]}: no such package in the configured apt sources" >&2
    else
        echo "deps: cannot install ${missing[*]}: apt-get install failed (see above)" >&2
    fi
    exit 1
fi
# Debian's packages may start system daemons (redis-server, nginx, prometheus) on their
# default ports where an init system exists; GridFlow runs its own copies on its own ports
# and never touches those.
echo "deps: done"

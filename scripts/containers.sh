#!/usr/bin/env bash
# Container images of GridFlow, with Docker or Podman (`make containers`).
#
#   scripts/containers.sh build     every image docker-compose.yml runs: the seven gridflow/*
#                                   images (deploy/*.Dockerfile; the dashboard is built here on
#                                   the host first and copied in), and their bases, Redis and
#                                   Prometheus when the engine cannot pull them (stand-ins below)
#   scripts/containers.sh base      only debian:bookworm and debian:bookworm-slim
#   scripts/containers.sh engine    print the engine that would be used
#
# The engine is GF_CONTAINER_ENGINE when set, else docker when its daemon answers, else podman
# (`scripts/deps.sh containers` installs it). Podman builds with --format docker so the images
# keep their HEALTHCHECK. GF_IMAGE_TAG sets the tag of gridflow/* (default dev), as compose does.
#
# An image compose names that is neither present nor pullable (no registry) gets a stand-in made
# from Debian packages, labelled org.gridflow.standin, under the name compose uses:
#   debian:bookworm, debian:bookworm-slim   debootstrap --variant=minbase bookworm (needs root),
#                                           with this host's apt sources on a Debian 12 host
#   redis:7-bookworm                        Debian's redis-server (7.0) on that base
#   prom/prometheus:v2.53.1                 Debian's prometheus (2.42) on that base
# Grafana has no Debian package: without a registry its image is missing and compose's grafana
# service cannot start (start the others by name). Build logs: build/containers/<image>.log.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
TAG=${GF_IMAGE_TAG:-dev}
LOGS=$top/build/containers
COMPOSE_FILE=$top/docker-compose.yml

say() { printf 'containers  %s\n' "$*"; }
die() { printf 'containers  error: %s\n' "$*" >&2; exit 1; }

engine() {
    if [ -n "${GF_CONTAINER_ENGINE:-}" ]; then echo "$GF_CONTAINER_ENGINE"; return 0; fi
    if command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1; then echo docker; return 0; fi
    if command -v podman >/dev/null 2>&1; then echo podman; return 0; fi
    die "no container engine: install Docker, or Podman with 'make deps-containers'"
}

# A short name as the engines store it: redis:7-bookworm -> docker.io/library/redis:7-bookworm.
full_ref() {
    local r=$1 first=${1%%/*}
    if [[ "$r" != */* ]]; then echo "docker.io/library/$r"
    elif [[ "$first" == *.* || "$first" == *:* || "$first" == localhost ]]; then echo "$r"
    else echo "docker.io/$r"; fi
}

# The image compose names for a service, with ${GF_IMAGE_TAG:-dev} resolved.
compose_image() {
    local img
    img=$(yq -r --arg s "$1" '.services[$s].image' "$COMPOSE_FILE") || die "cannot read $COMPOSE_FILE (yq)"
    [ -n "$img" ] && [ "$img" != null ] || die "compose service $1 names no image"
    echo "${img//\$\{GF_IMAGE_TAG:-dev\}/$TAG}"
}

has_image() { "$E" image inspect "$1" >/dev/null 2>&1; }

# Present, else pulled, else the stand-in function $2 builds it. Prints what happened.
ensure() { # ref standin-function
    local ref log label
    ref=$(full_ref "$1")
    if has_image "$ref"; then
        label=$("$E" image inspect --format '{{ index .Config.Labels "org.gridflow.standin" }}' "$ref" 2>/dev/null || true)
        case $label in
        "" | "<no value>") say "$1: present" ;;
        *) say "$1: present (stand-in: $label)" ;;
        esac
        return 0
    fi
    log="$LOGS/pull-${1//[\/:]/_}.log"
    if timeout 600 "$E" pull "$ref" >"$log" 2>&1; then
        say "$1: pulled"
        return 0
    fi
    say "$1: cannot be pulled ($(tail -1 "$log" | cut -c1-160)); building a stand-in"
    "$2" "$ref"
}

build_image() { # ref dockerfile context [args...]
    local ref=$1 file=$2 ctx=$3 log start
    shift 3
    log="$LOGS/$(basename "$file" .Dockerfile).log"
    start=$SECONDS
    local fmt=()
    [ "$E" = podman ] && fmt=(--format docker)
    if ! "$E" build "${fmt[@]}" -f "$file" -t "$ref" "$@" "$ctx" >"$log" 2>&1; then
        tail -40 "$log" >&2
        die "building $ref from $file failed (log: ${log#"$top"/})"
    fi
    say "$ref: built from $file in $((SECONDS - start)) s"
}

# ---------------------------------------------------------------- stand-ins
standin_base() { # ref (debian:bookworm; debian:bookworm-slim is the same image)
    [ "$(id -u)" -eq 0 ] || die "the debootstrap stand-in of debian:bookworm needs root"
    command -v debootstrap >/dev/null 2>&1 || die "debootstrap is missing ('bash scripts/deps.sh containers')"
    local dir mirror="http://deb.debian.org/debian" codename="" f k copied=0 start=$SECONDS
    dir=$(mktemp -d /var/tmp/gf-rootfs.XXXXXX)
    # shellcheck disable=SC2064
    trap "rm -rf '$dir'" EXIT
    codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
    if [ "$codename" = bookworm ]; then
        # The host's Debian mirror, so packages come from where this machine gets its own.
        k=$(sed -n 's/^URIs: *\(http[^ ]*\/debian\/\?\)\( .*\)\?$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
        [ -n "$k" ] || k=$(sed -n 's/^deb \(\[[^]]*\] \)\?\(http[^ ]*\/debian\/\?\) bookworm .*/\2/p' /etc/apt/sources.list 2>/dev/null | head -1)
        [ -n "$k" ] && mirror=$k
    fi
    say "debootstrap --variant=minbase bookworm from $mirror ..."
    debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$LOGS/debootstrap.log" 2>&1 ||
        { tail -20 "$LOGS/debootstrap.log" >&2; die "debootstrap failed (log: build/containers/debootstrap.log)"; }
    if [ "$codename" = bookworm ]; then
        # Same apt sources as the host (suites, security, keyrings they name).
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
            [ -s "$f" ] || continue
            grep -qE '^[[:space:]]*(deb|Types:)' "$f" || continue
            if [ $copied = 0 ]; then rm -f "$dir/etc/apt/sources.list"; copied=1; fi
            cp "$f" "$dir$f"
            for k in $(grep -oE '(Signed-By:|signed-by=)[[:space:]]*/[^] ]+' "$f" | sed 's/^[^/]*//'); do
                [ -e "$dir$k" ] || { mkdir -p "$dir$(dirname "$k")"; cp "$k" "$dir$k"; }
            done
        done
    fi
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/archives/*.deb
    tar -C "$dir" -c . | "$E" import --change 'CMD ["/bin/bash"]' \
        --change 'LABEL org.gridflow.standin="debootstrap --variant=minbase bookworm"' - "$1" >"$LOGS/import.log" 2>&1
    rm -rf "$dir"
    trap - EXIT
    say "$1: imported from debootstrap in $((SECONDS - start)) s"
}

standin_slim() { "$E" tag "$(full_ref debian:bookworm)" "$1"; say "$1: tagged as the same minbase image"; }
standin_redis() { build_image "$1" deploy/standin/redis.Dockerfile deploy/standin; }
standin_prometheus() { build_image "$1" deploy/standin/prometheus.Dockerfile deploy/standin; }

# ---------------------------------------------------------------- verbs
base() {
    ensure debian:bookworm standin_base
    ensure debian:bookworm-slim standin_slim
}

build() {
    local f name start=$SECONDS
    base
    # The gateway image copies gateway/dashboard/dist: build it here (npm may not be reachable
    # from inside an image build).
    bash scripts/build-dashboard.sh | sed 's/^/containers  /'
    # ingestion first: the other images reuse its build stage from the cache.
    local images=" ingestion trainer forecast simulation compliance gateway init "
    for name in $images; do
        f=deploy/$name.Dockerfile
        [ -f "$f" ] || die "$f is missing"
        build_image "$(full_ref "$(compose_image "$name")")" "$f" .
    done
    for f in deploy/*.Dockerfile; do
        name=$(basename "$f" .Dockerfile)
        [[ "$images" == *" $name "* ]] || die "$f is not built here: add it to the list in scripts/containers.sh"
    done
    ensure "$(compose_image redis)" standin_redis
    ensure "$(compose_image prometheus)" standin_prometheus
    if ! ensure_quiet "$(compose_image grafana)"; then
        say "$(compose_image grafana): cannot be pulled and has no Debian stand-in; compose's grafana will not start"
    fi
    say "all images ready in $((SECONDS - start)) s ($E)"
}

ensure_quiet() { # ref: present or pulled
    local ref
    ref=$(full_ref "$1")
    has_image "$ref" || timeout 600 "$E" pull "$ref" >"$LOGS/pull-${1//[\/:]/_}.log" 2>&1
}

mkdir -p "$LOGS"
case "${1:-build}" in
engine) engine ;;
base) E=$(engine); base ;;
build) E=$(engine); build ;;
*) die "usage: scripts/containers.sh build|base|engine" ;;
esac

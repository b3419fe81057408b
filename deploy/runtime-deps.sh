#!/bin/sh
# Print the Debian packages that provide the shared libraries a binary loads (one a line, libc6
# left out: every image has it). Used by the build stage of deploy/*.Dockerfile so the runtime
# image installs exactly what the binary links. Fails when a library belongs to no package.
#   deploy/runtime-deps.sh build/bin/gf-forecast
set -eu
bin=$1
ldd "$bin" | awk '/=> \//{print $3}' | while read -r lib; do
    # Merged /usr: dpkg may record /lib/... or /usr/lib/...; try the path as ldd prints it,
    # its real path, and the other spelling.
    real=$(realpath "$lib")
    pkg=""
    for p in "$lib" "$real" "${lib#/usr}" "/usr${lib}" "${real#/usr}" "/usr${real}"; do
        pkg=$(dpkg -S "$p" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$pkg" ] && break
    done
    if [ -z "$pkg" ]; then echo "runtime-deps: no package provides $lib" >&2; exit 1; fi
    echo "$pkg"
done | sort -u | grep -v '^libc6$' || true

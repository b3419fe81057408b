#!/usr/bin/env bash
# The README's first commands on a machine without the packages: `make test` (and `make up`,
# which has the same shape) installs what is missing, then builds with the flags pkg-config
# gives AFTER the install, in order under -j2; a package that cannot be installed stops it
# with one sentence naming the package. The machine is simulated by commands put first on
# PATH: pkg-config knows no ipopt and dpkg-query reports coinor-libipopt-dev absent until the
# fake apt-get "installs" it (a marker file); everything else is the real toolchain.
# The build goes to a temporary BUILD; no stack is started (local.sh's runner).
source "$(dirname "$0")/local.sh" fresh

# A fake machine: $1 = ok|broken (what apt-get install does).
fake_machine() {
    local dir=$T/$1
    rm -rf "$dir"
    mkdir -p "$dir/bin"
    cat >"$dir/bin/pkg-config" <<EOF
#!/bin/sh
for a in "\$@"; do
    if [ "\$a" = ipopt ] && [ ! -e "$dir/installed" ]; then exit 1; fi
done
exec /usr/bin/pkg-config "\$@"
EOF
    cat >"$dir/bin/dpkg-query" <<EOF
#!/bin/sh
for a in "\$@"; do p=\$a; done
if [ "\$p" = coinor-libipopt-dev ] && [ ! -e "$dir/installed" ]; then
    printf 'unknown ok not-installed'; exit 0
fi
exec /usr/bin/dpkg-query "\$@"
EOF
    cat >"$dir/bin/apt-get" <<EOF
#!/bin/sh
echo "apt-get \$*" >>"$dir/apt.log"
case "\$1" in
update) exit 0 ;;
install)
    if [ "$1" = broken ]; then echo "E: Unable to locate package" >&2; exit 100; fi
    touch "$dir/installed"; exit 0 ;;
esac
exit 1
EOF
    # As a normal user deps.sh installs through sudo, whose secure_path would skip the fakes.
    printf '#!/bin/sh\nexec "$@"\n' >"$dir/bin/sudo"
    chmod +x "$dir"/bin/*
    echo "$dir"
}

# make on the fake machine, as a user types it (no make variables inherited from the caller).
fresh_make() { # dir target...
    local dir=$1
    shift
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL PATH="$dir/bin:$PATH" \
        nice make -j2 BUILD="$dir/build" "$@" >"$dir/make.log" 2>&1
}

t_make_test_is_the_first_command() {
    local dir rc=0
    dir=$(fake_machine ok)
    # Only one unit test and no e2e file run: the point is install, then build, then run.
    UNIT_ONLY=test_opf E2E_ONLY=/none/ fresh_make "$dir" test || rc=$?
    [ $rc -eq 0 ] || { tail -30 "$dir/make.log" >&2; fail "make test on a fresh machine exited $rc"; }
    grep -q 'install.*coinor-libipopt-dev' "$dir/apt.log" || fail "deps did not install Ipopt's package"
    grep -q -- '-I/usr/include/coin' "$dir/make.log" || fail "the build did not use Ipopt's cflags"
    [ -x "$dir/build/bin/gf-simulation" ] || fail "gf-simulation (links Ipopt) not built"
    grep -q '^ok .*test_opf' "$dir/make.log" || fail "the unit test did not run"
}

t_missing_package_stops_with_one_sentence() {
    local dir rc=0
    dir=$(fake_machine broken)
    fresh_make "$dir" test || rc=$?
    [ $rc -ne 0 ] || fail "make test succeeded without Ipopt"
    grep -qx 'deps: cannot install coinor-libipopt-dev: apt-get install failed (see above)' "$dir/make.log" \
        || { tail -10 "$dir/make.log" >&2; fail "no sentence naming the package"; }
    ! grep -q '^cc ' "$dir/make.log" || fail "the build started after the install failed"
}

t_plain_build_without_ipopt_names_the_step() {
    local dir rc=0
    dir=$(fake_machine ok)
    fresh_make "$dir" all || rc=$?
    [ $rc -ne 0 ] || fail "make all succeeded without Ipopt"
    grep -q 'pkg-config finds no ipopt: run `make deps`' "$dir/make.log" \
        || { tail -10 "$dir/make.log" >&2; fail "no message naming make deps"; }
    # Verbs that build nothing do not ask pkg-config at all.
    fresh_make "$dir" help || fail "make help needs Ipopt"
}

local_main

#!/bin/bash
# Runs INSIDE the fresh-machine container (tests/containers/test_fresh.sh starts it as root on
# the debootstrap minbase image, with the checkout at /tmp/checkout.tar). It makes the machine a
# new user would have: a minimal Debian 12 with `make`, `sudo` and an account allowed to use
# sudo, the checkout in that user's home (mode 0700, as Debian creates homes) — nothing else:
# every other package must come from the README's commands. Then, as that user, it runs them:
#
#   FRESH_COMMANDS="make up|make test"     (the README's two commands, in order; `|` separates)
#
# and prints `fresh: <command> exited <status> after <seconds> s` for each. Exit status is the
# first non-zero one.
set -uo pipefail
user=gfuser
# The host's local CA certificates (test_fresh.sh copies them): ca-certificates, once the
# commands install it, adds them to the system bundle, as on the host.
if [ -d /tmp/host-ca ]; then mkdir -p /usr/local/share/ca-certificates && cp /tmp/host-ca/* /usr/local/share/ca-certificates/ 2>/dev/null; fi
echo "fresh: preparing the machine (make, sudo, user $user)"
export DEBIAN_FRONTEND=noninteractive
# dpkg without fsync on the container's throw-away disk: the same packages, installed faster.
echo force-unsafe-io >/etc/dpkg/dpkg.cfg.d/gridflow-fresh-test
apt-get update -qq && apt-get install -y -qq --no-install-recommends make sudo >/dev/null ||
    { echo "fresh: could not install make and sudo" >&2; exit 90; }
useradd --create-home --shell /bin/bash "$user"
chmod 0700 "/home/$user"
echo "$user ALL=(ALL) NOPASSWD:ALL" >"/etc/sudoers.d/$user"
chmod 0440 "/etc/sudoers.d/$user"
mkdir -p "/home/$user/gridflow"
tar -x -C "/home/$user/gridflow" -f /tmp/checkout.tar
chown -R "$user:$user" "/home/$user"
# Anything already there besides the base system would hide a missing install step.
for cmd in gcc cc pkg-config redis-server nginx curl jq git node npm; do
    if command -v "$cmd" >/dev/null 2>&1; then echo "fresh: $cmd is already installed; not a fresh machine" >&2; exit 91; fi
done

rc=0
IFS='|' read -r -a commands <<<"${FRESH_COMMANDS:-make up|make test}"
for c in "${commands[@]}"; do
    start=$SECONDS
    echo "fresh: \$ $c"
    # A login shell of the user, with only what the test passes on (see test_fresh.sh).
    runuser -u "$user" -- env -i HOME="/home/$user" USER="$user" LOGNAME="$user" SHELL=/bin/bash \
        PATH=/usr/local/bin:/usr/bin:/bin TERM=dumb LANG=C.UTF-8 ${FRESH_ENV:-} \
        bash -lc "cd ~/gridflow && $c" 2>&1
    st=$?
    echo "fresh: $c exited $st after $((SECONDS - start)) s"
    if [ $st -ne 0 ]; then rc=$st; break; fi
done
exit $rc

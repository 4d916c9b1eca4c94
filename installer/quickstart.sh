#!/bin/sh
# hvgui quick start: `sh installer/quickstart.sh demo` launches the demo, `sh installer/quickstart.sh test`
# runs the whole test suite (with the packaging tests, which build the wheel, the frozen app and the .deb
# once per version of the sources under build/packages/), `sh installer/quickstart.sh kerberos` adds Kerberos
# support (gssapi, built against the system's Kerberos). Each creates ./.venv when needed and installs the
# project into it.
# On Debian/Ubuntu, run as root (or with sudo available) it also installs the few system libraries Qt and
# venv need when they are missing (and, for kerberos, the Kerberos headers and a C compiler).
set -eu

cd "$(dirname "$0")/.."
mode="${1:-demo}"
[ $# -gt 0 ] && shift
python="${PYTHON:-python3}"

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else return 1; fi
}

missing_debian_packages() {
    "$python" -c 'import ensurepip, venv' 2>/dev/null || echo python3-venv
    for pair in libEGL.so.1:libegl1 libGL.so.1:libgl1 libfontconfig.so.1:libfontconfig1 \
        libxkbcommon.so.0:libxkbcommon0 libxkbcommon-x11.so.0:libxkbcommon-x11-0 libdbus-1.so.3:libdbus-1-3 \
        libglib-2.0.so.0:libglib2.0-0 libxcb-cursor.so.0:libxcb-cursor0 libxcb-icccm.so.4:libxcb-icccm4 \
        libxcb-keysyms.so.1:libxcb-keysyms1 libxcb-shape.so.0:libxcb-shape0 \
        libxcb-render-util.so.0:libxcb-render-util0 libxcb-image.so.0:libxcb-image0; do
        ldconfig -p 2>/dev/null | grep -q "${pair%%:*}" || echo "${pair#*:}"
    done
    if [ "$mode" = kerberos ]; then
        [ -e /usr/include/gssapi/gssapi.h ] || echo libkrb5-dev
        command -v krb5-config >/dev/null 2>&1 || echo libkrb5-dev
        command -v gcc >/dev/null 2>&1 || echo gcc
        "$python" -c 'import sysconfig, os, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' 2>/dev/null \
            || echo python3-dev
        command -v kinit >/dev/null 2>&1 || echo krb5-user
    fi
    if [ "$mode" = test ]; then  # the packaging tests build a .deb and validate its metadata
        for pair in dpkg-deb:dpkg desktop-file-validate:desktop-file-utils appstreamcli:appstream; do
            command -v "${pair%%:*}" >/dev/null 2>&1 || echo "${pair#*:}"
        done
    fi
}

if command -v apt-get >/dev/null 2>&1; then
    packages="$(missing_debian_packages | sort -u | tr '\n' ' ')"
    if [ -n "${packages% }" ]; then
        echo "quickstart: installing system packages: $packages"
        as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages \
            || echo "quickstart: could not install $packages; install them yourself if Qt fails to start" >&2
    fi
fi

if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
fi

case "$mode" in
demo)
    .venv/bin/python -m pip install -q -e .
    exec .venv/bin/hvgui --demo "$@"
    ;;
test)
    .venv/bin/python -m pip install -q -e '.[test]'
    exec .venv/bin/python -m pytest "$@"
    ;;
kerberos)
    .venv/bin/python -m pip install -q -e '.[kerberos]'
    .venv/bin/python -c 'import gssapi' && echo "quickstart: Kerberos support installed (get a ticket with kinit)"
    ;;
*)
    echo "usage: sh installer/quickstart.sh demo|test|kerberos [arguments for hvgui or pytest]" >&2
    exit 2
    ;;
esac

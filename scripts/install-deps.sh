#!/usr/bin/env bash
# Install every Debian (bookworm) package that building, testing and packaging libmlx5tls needs.
# Idempotent: apt is not touched at all when everything is already installed.
# Works as root (CI) or through sudo for an ordinary user.
set -euo pipefail

PACKAGES=(
	# toolchain and build system (g++: CI compiles the public header as C++)
	build-essential g++ cmake pkg-config
	# libraries the library, the device model and the tools link
	libibverbs-dev ibverbs-providers libssl-dev openssl libbsd-dev libpcap-dev
	# tests (iproute2: `ip` creates the veth pair of the AF_PACKET port test)
	libcunit1-dev python3 iproute2
	# lwIP on the library (examples/lwip_*) and its netns demo against the kernel's TCP
	liblwip-dev ethtool curl bc
	# man pages (Markdown -> roff) and their checking
	pandoc man-db groff-base
	# static analysis run by .ci/run
	cppcheck
	# fuzzing (fuzz/: clang -fsanitize=fuzzer, libFuzzer is in libclang-rt-14-dev) and the
	# key-hygiene stack scans (gdb is not needed); ThreadSanitizer comes with gcc
	clang libclang-rt-14-dev
	# Debian packaging
	debhelper devscripts lintian fakeroot dpkg-dev
	# copying the tree into a scratch directory for the package build
	git tar
	# the packages tested in a clean Debian root (.ci/run)
	mmdebstrap
)

missing=()
for pkg in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
	if [[ "$status" != "ii"* ]]; then
		missing+=("$pkg")
	fi
done

if ((${#missing[@]} == 0)); then
	echo "install-deps: all ${#PACKAGES[@]} packages already installed"
	exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
	SUDO=()
elif command -v sudo >/dev/null 2>&1; then
	SUDO=(sudo)
else
	echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Install the built packages in a clean Debian bookworm root (mmdebstrap from the Debian mirror
# apt uses) and use them as a new user would, with nothing of the source tree:
#   scripts/test-packages-clean-root.sh DIR_WITH_DEBS
#  1. only build-essential and pkg-config in the root, then libmlx5tls1 + libmlx5tls-dev +
#     mlx5tls-tools installed with apt (which pulls their declared dependencies and nothing else);
#  2. `pkg-config --cflags --libs libmlx5tls` must succeed and name nothing but the library;
#  3. a program outside any tree is built with that line alone, as ISO C99 -pedantic and as C++,
#     and runs on the model; mlx5tls-query works and its bash completion is installed;
#  4. libssl-dev added, the shipped examples build with their Makefile (pkg-config) and run.
# Needs root (chroot). The root is made in a scratch directory and removed afterwards.
set -euo pipefail

DEBS=${1:?usage: $0 DIR_WITH_DEBS}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MIRROR=${MLX5TLS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
ROOT=$(mktemp -d /tmp/mlx5tls-root.XXXXXX)
cleanup() {
	for m in proc dev; do umount -l "$ROOT/$m" 2>/dev/null || true; done
	rm -rf "$ROOT"
}
trap cleanup EXIT

echo "clean root: mmdebstrap bookworm (build-essential, pkg-config) into $ROOT"
# The package lists stay (apt in the root resolves the packages' dependencies from them), and
# the root's apt takes the host's leniency about snapshot mirrors' Release dates.
mmdebstrap --quiet --variant=apt --include=build-essential,pkg-config \
	--skip=cleanup/apt/lists \
	--aptopt='Acquire::Check-Valid-Until "false"' --aptopt='Acquire::Check-Date "false"' \
	bookworm "$ROOT" "$MIRROR"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
mkdir -p "$ROOT/tmp/debs" "$ROOT/tmp/user"
for deb in "$DEBS"/*.deb; do
	[[ $deb == *-dbgsym_* ]] && continue
	cp "$deb" "$ROOT/tmp/debs/"
done
cp "$HERE/tests/header/c99_user.c" "$HERE/tests/header/cxx_user.cpp" "$ROOT/tmp/user/"
mount -t proc proc "$ROOT/proc"

in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
	DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 /bin/bash -euo pipefail -c "$1"; }

in_root 'apt-get install -y -q --no-install-recommends /tmp/debs/*.deb >/tmp/apt.log 2>&1 ||
	{ cat /tmp/apt.log; exit 1; }
	echo "installed: $(dpkg-query -W -f="\${Package} \${Version}\n" libmlx5tls1 libmlx5tls-dev mlx5tls-tools | tr "\n" " ")"
	echo "pulled in besides: $(grep -o "^Setting up [^ ]*" /tmp/apt.log | cut -d" " -f3 |
		grep -v -e libmlx5tls -e mlx5tls-tools | tr "\n" " ")"'

echo "--- pkg-config line, with only libmlx5tls-dev's dependencies installed"
in_root 'flags=$(pkg-config --cflags --libs libmlx5tls); echo "pkg-config: $flags"
	for word in $flags; do
		case $word in
		-I/usr/include | -lmlx5tls | -L/usr/lib/*) ;;
		*) echo "unexpected flag for a user of the shared library: $word" >&2; exit 1 ;;
		esac
	done
	pkg-config --print-requires-private libmlx5tls | grep . &&
		{ echo "Requires.private without a static library" >&2; exit 1; } || true'

echo "--- a program outside the tree, built with the .pc alone"
in_root 'cd /tmp/user
	cc -std=c99 -pedantic -Wall -Wextra -Werror c99_user.c -o c99_user $(pkg-config --cflags --libs libmlx5tls)
	c++ -std=c++11 -pedantic -Wall -Wextra -Werror cxx_user.cpp -o cxx_user $(pkg-config --cflags --libs libmlx5tls)
	MLX5TLS_DEBUG= ./c99_user 2>/dev/null
	./cxx_user 2>/dev/null
	mlx5tls-query -V
	mlx5tls-query caps dev sim | head -2
	test -f /usr/share/bash-completion/completions/mlx5tls-query
	man -w mlx5tls_version >/dev/null 2>&1 || test -f /usr/share/man/man3/mlx5tls_version.3.gz'

echo "--- the shipped examples, built with their Makefile (pkg-config)"
in_root 'apt-get install -y -q --no-install-recommends libssl-dev >/tmp/apt-ssl.log 2>&1 ||
		{ cat /tmp/apt-ssl.log; exit 1; }
	cp -r /usr/share/doc/libmlx5tls-dev/examples /tmp/examples && cd /tmp/examples
	make -s
	./dek_tis_setup sim >/dev/null 2>&1
	./tls_tx_offload -d sim --tls 1.3 --bits 256 -n 8 2>/dev/null | tail -1
	./tls_rx_offload -d sim --tls 1.2 -n 8 2>/dev/null | tail -1'
echo "clean root: packages install, build and run as documented"

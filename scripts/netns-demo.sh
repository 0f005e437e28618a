#!/usr/bin/env bash
# The library's port on a real wire against the kernel's TCP: two network namespaces and a veth
# pair between them (unique names, removed on exit and on failure). In the server namespace the
# device model's AF_PACKET port is attached to one veth end and lwIP (examples/lwip_http, the
# netif driver of examples/lwip_mlx5tls.c) serves HTTP on 198.18.0.1; from the client namespace
# stock curl over the kernel's TCP fetches bodies and every byte is checked. Run once without
# faults and once with 2% loss + 2% reorder (seeded) on the model's port, both directions.
#
#   scripts/netns-demo.sh [BUILD_DIR]        (root; exit 77 = skipped: no namespaces here)
#
# Offloads: the client's veth end has TX checksum, TSO, GSO and GRO off (and GRO is off on the
# model's end), so the model sees what a cable carries - MTU-sized frames with full checksums -
# instead of 64 KiB GSO frames with partial checksums that only exist inside one host. The port
# counts any such frame it still gets (rx_oversize, rx_csum_partial in the summary).
#
# Addresses: only 198.18.0.0/15 (RFC 2544 benchmarking), only inside the namespaces made here.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$ROOT/build}
SERVER=$BUILD/examples/lwip_http
BIG=$((64 * 1024 * 1024))   # the big body without faults
BIG_FAULTS=$((8 * 1024 * 1024)) # with faults (lwIP has no SACK: each loss costs it a lot)
PAR=64
PAR_SIZE=$((1024 * 1024))
PAR_SIZE_FAULTS=$((64 * 1024))

skip() { echo "netns-demo: SKIP: $*"; exit 77; }
die() { echo "netns-demo: FAILED: $*" >&2; exit 1; }

[[ -x $SERVER ]] || skip "$SERVER not built (liblwip-dev missing?)"
command -v curl >/dev/null || skip "curl not installed"
command -v ethtool >/dev/null || skip "ethtool not installed"
[[ $(id -u) -eq 0 ]] || skip "needs root (network namespaces, veth, AF_PACKET)"

TAG=$$
NS_S=m5s$TAG
NS_C=m5c$TAG
VS=m5a$TAG
VC=m5b$TAG
WORK=$(mktemp -d /tmp/netns-demo.XXXXXX)
SERVER_PID=

cleanup() {
	local rc=$?
	if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	ip netns del "$NS_S" 2>/dev/null || true
	ip netns del "$NS_C" 2>/dev/null || true
	ip link del "$VS" 2>/dev/null || true
	if ((rc != 0 && rc != 77)); then
		echo "--- server log" >&2
		cat "$WORK"/server*.log >&2 2>/dev/null || true
	fi
	rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS_S" 2>/dev/null || skip "cannot create network namespaces"
ip netns add "$NS_C" || die "second namespace"
ip link add "$VS" type veth peer name "$VC" || skip "cannot create a veth pair"
ip link set "$VS" netns "$NS_S"
ip link set "$VC" netns "$NS_C"
S() { ip netns exec "$NS_S" "$@"; }
C() { ip netns exec "$NS_C" "$@"; }
# the model's end: no address (lwIP owns 198.18.0.1), no IPv6 chatter, no GRO
S sysctl -qw "net.ipv6.conf.$VS.disable_ipv6=1"
S ip link set lo up
S ip link set "$VS" up
S ethtool -K "$VS" gro off >/dev/null 2>&1 || true
# the kernel peer: its frames as a NIC would put them on a cable
C sysctl -qw "net.ipv6.conf.$VC.disable_ipv6=1"
C ip link set lo up
C ip addr add 198.18.0.2/24 dev "$VC"
C ip link set "$VC" up
C ethtool -K "$VC" tx off tso off gso off gro off >/dev/null 2>&1 ||
	die "ethtool -K $VC tx off tso off gso off gro off"

# The expected bodies: byte i = i % 251.
python3 - "$WORK" "$BIG" "$PAR_SIZE" <<'EOF'
import sys
work, big, par = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
block = bytes(range(251))
for name, n in (("big", big), ("par", par)):
    reps = n // 251 + 1
    with open(f"{work}/expect.{name}", "wb") as f:
        f.write((block * reps)[:n])
EOF

run_case() {
	local label=$1 device=$2 big=$3 par_size=$4 log=$WORK/server.$1.log
	local url=http://198.18.0.1:8080 t0 t1

	echo "== netns-demo: $label (device $device)"
	ip netns exec "$NS_S" "$SERVER" --device "$device" --ifname "$VS" --ip 198.18.0.1/24 --port 8080 >"$log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 100); do
		grep -q listening "$log" && break
		kill -0 "$SERVER_PID" 2>/dev/null || die "server exited: $(cat "$log")"
		sleep 0.05
	done
	grep -q listening "$log" || die "server did not start"

	# 64 MiB body on one connection, every byte compared
	t0=$(date +%s.%N)
	C curl -sS --fail --max-time 300 -o "$WORK/big" "$url/bytes/$big" || die "$label: curl $big B"
	t1=$(date +%s.%N)
	cmp -s "$WORK/big" <(head -c "$big" "$WORK/expect.big") || die "$label: $big-byte body differs"
	echo "   $((big / 1048576)) MiB body: content ok," \
		"$(python3 -c "print(f'{$big*8/($t1-$t0)/1e6:.0f}')") Mbit/s"

	# several requests on one keep-alive connection, and a 404
	C curl -sS --fail --max-time 60 -o "$WORK/k1" "$url/bytes/1000" -o "$WORK/k2" \
		"$url/bytes/100000" -o "$WORK/k3" "$url/bytes/0" -w '%{num_connects}\n' \
		>"$WORK/nconn" || die "$label: keep-alive requests"
	cmp -s "$WORK/k1" <(head -c 1000 "$WORK/expect.big") || die "$label: keep-alive body 1"
	cmp -s "$WORK/k2" <(head -c 100000 "$WORK/expect.big") || die "$label: keep-alive body 2"
	[[ ! -s $WORK/k3 ]] || die "$label: empty body not empty"
	[[ $(paste -sd+ "$WORK/nconn" | bc) -eq 1 ]] || die "$label: keep-alive used $(paste -sd+ "$WORK/nconn" | bc) connections"
	code=$(C curl -sS --max-time 30 -o /dev/null -w '%{http_code}' "$url/nothing-here")
	[[ $code == 404 ]] || die "$label: /nothing-here answered $code, not 404"
	echo "   keep-alive (3 requests, 1 connection) and 404: ok"

	# 64 parallel connections
	local pids=() i
	for i in $(seq "$PAR"); do
		C curl -sS --fail --max-time 300 -o "$WORK/par.$i" "$url/bytes/$par_size" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || die "$label: parallel connection $((i + 1)) failed"
	done
	for i in $(seq "$PAR"); do
		cmp -s "$WORK/par.$i" <(head -c "$par_size" "$WORK/expect.par") ||
			die "$label: parallel body $i differs"
	done
	echo "   $PAR parallel connections x $((par_size / 1024)) KiB: every byte ok"

	kill -TERM "$SERVER_PID"
	wait "$SERVER_PID" || die "$label: server exit status $?"
	SERVER_PID=
	grep summary "$log" | sed 's/^/   /'
	# every connection accounted for: 1 + 1 + 1 + PAR, none refused, no errors
	grep -q "connections $((3 + PAR)) (refused 0, errors 0)" "$log" ||
		die "$label: connections not all accounted for"
}

run_case clean "sim:cx6dx" "$BIG" "$PAR_SIZE"
run_case faults "sim:cx6dx,wire_loss=0.02,wire_reorder=0.02,wire_seed=13" "$BIG_FAULTS" \
	"$PAR_SIZE_FAULTS"
echo "netns-demo: passed"

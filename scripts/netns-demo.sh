#!/usr/bin/env bash
# libmlx5tls against the kernel's TCP and stock TLS clients: two network namespaces and a veth
# pair between them (unique names, removed on exit and on failure). In the server namespace the
# device model's AF_PACKET port is attached to one veth end and examples/tls_server (lwIP on the
# library, OpenSSL handshake, both directions offloaded) serves HTTPS on 198.18.0.1:8443; from
# the client namespace curl and openssl s_client over the kernel's TCP fetch bodies and every
# byte is checked. Then again with 2% loss + 2% reorder (seeded) on the model's port, both
# directions; bad clients that must lose only their own connection; and a goodput/CPU comparison
# with --offload none.
#
#   scripts/netns-demo.sh [BUILD_DIR]     (root; exit 77 = skipped: no namespaces here)
#   NETNS_DEMO_QUICK=1: smaller bodies (the ASan build)
#
# Offloads: the client's veth end has TX checksum, TSO, GSO and GRO off (and GRO is off on the
# model's end), so the model sees what a cable carries - MTU-sized frames with full checksums -
# not 64 KiB GSO frames with partial checksums that exist only inside one host. The port counts
# any such frame it still gets (rx oversize / csum_partial in the summary).
#
# Addresses: only 198.18.0.0/15 (RFC 2544 benchmarking), only inside the namespaces made here.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$ROOT/build}
SERVER=$BUILD/examples/tls_server
MiB=$((1024 * 1024))
if [[ -n ${NETNS_DEMO_QUICK:-} ]]; then
	BIG=$((8 * MiB)) BIG_FAULTS=$((1 * MiB)) PAR_SIZE=$((256 * 1024)) PAR_SIZE_FAULTS=$((16 * 1024))
else
	BIG=$((64 * MiB)) BIG_FAULTS=$((4 * MiB)) PAR_SIZE=$MiB PAR_SIZE_FAULTS=$((32 * 1024))
fi
PAR=64
URL=https://198.18.0.1:8443

skip() { echo "netns-demo: SKIP: $*"; exit 77; }
die() { echo "netns-demo: FAILED: $*" >&2; exit 1; }

[[ -x $SERVER ]] || skip "$SERVER not built (liblwip-dev missing?)"
for tool in curl openssl ethtool python3; do
	command -v $tool >/dev/null || skip "$tool not installed"
done
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
		for f in "$WORK"/server.*.log; do
			# the server's own messages first (a leak report at exit would push them out of
			# the tail), then the end of the log
			[[ -f $f ]] && { echo "--- $f" >&2; grep -v '^ *#[0-9]\|^$' "$f" | head -40 >&2
					 echo "--- (end of) $f" >&2; tail -40 "$f" >&2; }
		done
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

# The expected body: byte i = i % 251.
python3 -c "
import sys
n = int(sys.argv[2]); b = bytes(range(251))
open(sys.argv[1], 'wb').write((b * (n // 251 + 1))[:n])" "$WORK/expect" "$BIG"
expect() { head -c "$1" "$WORK/expect"; }

# server_start LABEL ARGS...: the server in its namespace, its pid in SERVER_PID
server_start() {
	local label=$1 log=$WORK/server.$1.log
	shift
	ip netns exec "$NS_S" env SSLKEYLOGFILE= "$SERVER" --ifname "$VS" --ip 198.18.0.1/24 \
		--port 8443 "$@" >"$log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 200); do
		grep -q listening "$log" && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || die "server exited: $(cat "$log")"
		sleep 0.05
	done
	die "server did not start"
}

# server_stop LABEL: SIGTERM, clean exit, summary shown; the log stays for checks
server_stop() {
	local log=$WORK/server.$1.log rc=0
	kill -TERM "$SERVER_PID"
	wait "$SERVER_PID" || rc=$?
	SERVER_PID=
	((rc == 0)) || die "$1: server exit status $rc"
	grep '^tls_server: ' "$log" | grep -v listening | sed 's/^/   /'
}

# server_cpu: CPU seconds of the server's own thread (the main thread: application, lwIP,
# library), not the model's threads (device queue thread, AF_PACKET receive thread)
server_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' \
		"/proc/$SERVER_PID/task/$SERVER_PID/stat"
}

# fetch LABEL SIZE CURL_ARGS...: one body, compared byte for byte
fetch() {
	local label=$1 size=$2
	shift 2
	C curl -sS --fail -k --max-time 300 "$@" -o "$WORK/body" "$URL/bytes/$size" ||
		die "$label: curl $*"
	cmp -s "$WORK/body" <(expect "$size") || die "$label: body of $size bytes differs"
}

tls_matrix() {
	local label=$1 size=$2 t0 t1
	for v in 1.2 1.3; do
		for bits in 128 256; do
			local args
			if [[ $v == 1.2 ]]; then
				args=(--tlsv1.2 --tls-max 1.2 --ciphers "ECDHE-ECDSA-AES${bits}-GCM-SHA$([[ $bits == 128 ]] && echo 256 || echo 384)")
			else
				args=(--tlsv1.3 --tls13-ciphers "TLS_AES_${bits}_GCM_SHA$([[ $bits == 128 ]] && echo 256 || echo 384)")
			fi
			t0=$(date +%s.%N)
			fetch "$label TLS $v AES-$bits" "$size" "${args[@]}"
			t1=$(date +%s.%N)
			printf '   TLS %s AES-GCM-%s: %d bytes, content ok, %.0f Mbit/s\n' "$v" "$bits" \
				"$size" "$(echo "$size * 8 / ($t1 - $t0) / 1000000" | bc -l)"
		done
	done
}

keepalive_and_404() {
	local label=$1
	C curl -sS --fail -k --max-time 60 -o "$WORK/k1" "$URL/bytes/1000" -o "$WORK/k2" \
		"$URL/bytes/100000" -o "$WORK/k3" "$URL/bytes/0" -w '%{num_connects}\n' \
		>"$WORK/nconn" || die "$label: keep-alive requests"
	cmp -s "$WORK/k1" <(expect 1000) || die "$label: keep-alive body 1"
	cmp -s "$WORK/k2" <(expect 100000) || die "$label: keep-alive body 2"
	[[ ! -s $WORK/k3 ]] || die "$label: empty body not empty"
	[[ $(awk '{ s += $1 } END { print s }' "$WORK/nconn") -eq 1 ]] ||
		die "$label: keep-alive used more than one connection"
	code=$(C curl -sS -k --max-time 30 -o /dev/null -w '%{http_code}' "$URL/nothing-here")
	[[ $code == 404 ]] || die "$label: /nothing-here answered $code, not 404"
	echo "   keep-alive (3 requests, 1 connection) and 404: ok"
}

# N requests on one connection through openssl s_client, with optional KeyUpdate commands
# between them ("k": update ours, "K": ours and ask the server to update its own). Each line
# waits for what the previous one caused (s_client reads its input in chunks: a command must
# arrive alone).
wait_count() { # FILE STRING N: until FILE holds STRING N times (10 s at most)
	for _ in $(seq 200); do
		(($(grep -aoF "$2" "$1" 2>/dev/null | wc -l) >= $3)) && return 0
		sleep 0.05
	done
	return 0
}
s_client_requests() {
	local label=$1 n=$2 cmds=$3 i
	: >"$WORK/sc.out"
	: >"$WORK/sc.err"
	{
		for i in $(seq "$n"); do
			if ((i == n)); then
				printf 'GET /bytes/%d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' $((i * 1000))
			else
				printf 'GET /bytes/%d HTTP/1.1\r\nHost: x\r\n\r\n' $((i * 1000))
			fi
			wait_count "$WORK/sc.out" 'HTTP/1.1 200' "$i"
			if [[ -n $cmds ]] && ((i < n)); then
				printf '%s\n' "${cmds:$(((i - 1) % ${#cmds})):1}"
				wait_count "$WORK/sc.err" 'KEYUPDATE' "$i"
			fi
		done
		sleep 0.5
	} | C timeout 60 openssl s_client -connect 198.18.0.1:8443 -quiet -no_ign_eof -tls1_3 \
		>"$WORK/sc.out" 2>"$WORK/sc.err" || true
	python3 - "$WORK/sc.out" "$n" <<'EOF' || die "$label: s_client responses (see above)"
import sys
data = open(sys.argv[1], 'rb').read()
n = int(sys.argv[2])
pat = bytes(range(251)) * 100
pos = 0
for i in range(1, n + 1):
    head_end = data.find(b'\r\n\r\n', pos)
    if head_end < 0 or not data[pos:].startswith(b'HTTP/1.1 200'):
        sys.exit(f'response {i} missing or not 200')
    body = data[head_end + 4:head_end + 4 + i * 1000]
    if body != pat[:i * 1000]:
        sys.exit(f'response {i}: body differs')
    pos = head_end + 4 + i * 1000
if pos != len(data):
    sys.exit(f'{len(data) - pos} stray bytes after the responses')
EOF
}

resumption() {
	local label=$1
	printf 'GET /bytes/10 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
		C timeout 30 openssl s_client -connect 198.18.0.1:8443 -tls1_3 -ign_eof \
			-sess_out "$WORK/sess" >"$WORK/r1" 2>&1 || true
	printf 'GET /bytes/10 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
		C timeout 30 openssl s_client -connect 198.18.0.1:8443 -tls1_3 -ign_eof \
			-sess_in "$WORK/sess" >"$WORK/r2" 2>&1 || true
	grep -q '^Reused, TLSv1.3' "$WORK/r2" || die "$label: session not resumed"
	grep -q 'HTTP/1.1 200' "$WORK/r2" || die "$label: no answer on the resumed session"
	echo "   session resumption (TLS 1.3 ticket): reused, answered"
}

parallel() {
	local label=$1 size=$2 pids=() i
	for i in $(seq "$PAR"); do
		C curl -sS --fail -k --max-time 300 -o "$WORK/par.$i" "$URL/bytes/$size" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || die "$label: parallel connection $((i + 1)) failed"
	done
	for i in $(seq "$PAR"); do
		cmp -s "$WORK/par.$i" <(expect "$size") || die "$label: parallel body $i differs"
	done
	echo "   $PAR parallel connections x $size bytes: every byte ok"
}

# Clients that misbehave: each must lose only its own connection.
bad_clients() {
	C python3 - <<'EOF' || die "bad clients"
import os, socket, ssl, struct, time
A = ('198.18.0.1', 8443)
# garbage instead of a ClientHello
s = socket.create_connection(A, timeout=10); s.sendall(os.urandom(300))
try:
    s.recv(100)
except OSError:
    pass
s.close()
# an aborted handshake: half a ClientHello, then FIN
s = socket.create_connection(A, timeout=10)
s.sendall(bytes([22, 3, 1, 2, 0]) + os.urandom(100)); s.close()
# a reset in the middle of a record: handshake, half a request record, RST
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
raw = socket.create_connection(A, timeout=10)
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
obj = ctx.wrap_bio(inc, out)
while True:
    try:
        obj.do_handshake(); break
    except ssl.SSLWantReadError:
        raw.sendall(out.read()); inc.write(raw.recv(65536))
raw.sendall(out.read())
obj.write(b'GET /bytes/100 HTTP/1.1\r\nHost: x\r\n\r\n')
rec = out.read()
raw.sendall(rec[:len(rec) // 2])
time.sleep(0.2)
raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
raw.close()
EOF
	fetch "after bad clients" 100000 --tlsv1.3
	echo "   garbage ClientHello, aborted handshake, reset mid-record: server goes on"
	expect_errors=3
}

run_clean() {
	echo "== netns-demo: TLS server, device offload both directions, no faults"
	server_start clean --offload both
	tls_matrix clean "$BIG"
	keepalive_and_404 clean
	s_client_requests clean 10 ""
	echo "   10 requests on one connection (openssl s_client): every byte ok"
	s_client_requests "KeyUpdate" 5 "kKkK"
	echo "   KeyUpdate from the client, with (K) and without (k) update_requested: ok"
	resumption clean
	parallel clean "$PAR_SIZE"
	bad_clients
	server_stop clean
	# every connection accounted for: the bad ones and nothing else ended in error
	grep -q "errors $expect_errors)" "$WORK/server.clean.log" ||
		die "clean: expected exactly $expect_errors connections in error"
}

run_faults() {
	echo "== netns-demo: 2% loss, 2% reorder, 1% duplicates on the model's port (both directions)"
	server_start faults --offload both --wire-loss 0.02 --wire-reorder 0.02 --wire-dup 0.01 \
		--wire-seed 13
	fetch "faults TLS 1.3" "$BIG_FAULTS" --tlsv1.3
	fetch "faults TLS 1.2" "$BIG_FAULTS" --tlsv1.2 --tls-max 1.2
	echo "   TLS 1.2 and 1.3, $BIG_FAULTS bytes each: content ok"
	keepalive_and_404 faults
	parallel faults "$PAR_SIZE_FAULTS"
	server_stop faults
	# no connection lost: every status word reached the library with the copy of the bytes
	# lwIP kept (duplicates and reordered copies differ in status), no record failed
	# 2 bodies, the keep-alive connection, the 404, the parallel ones
	grep -q "connections $((2 + 2 + PAR)) (refused 0, errors 0)" "$WORK/server.faults.log" ||
		die "faults: connections not all accounted for, or some ended in error"
}

# KeyUpdate with the TX direction offloaded (the RX direction in OpenSSL, which processes the
# client's KeyUpdate): the server's own KeyUpdate goes out through the device and the TX
# context moves to the next keys (mlx5tls_ssl_key_update / mlx5tls_tx_rekey)
run_keyupdate_tx() {
	echo "== netns-demo: KeyUpdate from s_client (k, K) with --offload tx"
	server_start ku-tx --offload tx
	s_client_requests "KeyUpdate tx" 5 "kKkK"
	server_stop ku-tx
	grep -q 'key updates [1-9]' "$WORK/server.ku-tx.log" || die "KeyUpdate tx: no TX rekey"
	echo "   5 requests with k/K between them: every byte ok, TX rekeyed on the device"
}

# corruption the TCP checksum does not catch, on the model's port (receive direction): the
# record fails authentication, that connection ends (logged, counted), the server goes on
run_corrupt() {
	echo "== netns-demo: 2% of the client's segments corrupted (TCP checksum rewritten)"
	server_start corrupt --offload both --wire-corrupt 0.02 --wire-dir rx --wire-seed 5
	for _ in 1 2 3 4 5 6; do
		C curl -sS -k --max-time 20 \
			$(for i in $(seq 40); do echo "-o /dev/null $URL/bytes/100"; done) 2>/dev/null || true
	done
	server_stop corrupt
	grep -q 'record failed authentication' "$WORK/server.corrupt.log" ||
		die "corrupt: no connection ended by a failed record"
	echo "   connections with a corrupted record ended alone (record failed authentication)"
}

# goodput and server CPU (its own thread) per byte: offload vs none, the same transfer,
# alternating in three rounds (the machine is shared: the median of the ratios is reported)
compare() {
	local mode round g_both c_both ratios_g=() ratios_c=()
	echo "== netns-demo: goodput and server CPU, --offload both vs --offload none (TLS 1.3 AES-128)"
	for round in 1 2 3; do
		for mode in both none; do
			local c0 c1 t0 t1 g c
			server_start "cmp-$mode-$round" --offload "$mode"
			c0=$(server_cpu)
			t0=$(date +%s.%N)
			fetch "compare $mode" "$BIG" --tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256
			t1=$(date +%s.%N)
			c1=$(server_cpu)
			server_stop "cmp-$mode-$round" >/dev/null
			g=$(echo "$BIG * 8 / ($t1 - $t0) / 1000000" | bc -l)
			c=$(echo "($c1 - $c0) / $BIG * 1000000000" | bc -l)
			printf '   round %d offload %-4s: %.0f Mbit/s, server thread %.2f ns CPU per byte\n' \
				"$round" "$mode" "$g" "$c"
			if [[ $mode == both ]]; then
				g_both=$g c_both=$c
			else
				ratios_g+=("$(echo "$g_both / $g" | bc -l)")
				ratios_c+=("$(echo "$c_both / $c" | bc -l)")
			fi
		done
	done
	printf '   median goodput offload/none: %.2f; median server CPU per byte offload/none: %.2f\n' \
		"$(printf '%s\n' "${ratios_g[@]}" | sort -g | sed -n 2p)" \
		"$(printf '%s\n' "${ratios_c[@]}" | sort -g | sed -n 2p)"
}

run_clean
run_keyupdate_tx
run_faults
run_corrupt
compare
echo "netns-demo: passed"

#!/usr/bin/env python3
# Remake the seed corpora of the fuzz targets (fuzz/corpus/<target>/), except fuzz_sim_wqe's,
# which the target writes itself with the library's WQE builders (fuzz/run.sh --seeds).
# Usage: make_seeds.py TRACE.jsonl OUTDIR   (TRACE: MLX5TLS_TRACE of `mlx5tls-query -d sim selftest`)
import json
import os
import struct
import sys

trace, out = sys.argv[1], sys.argv[2]


def put(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


lines = [l for l in open(trace) if l.strip()]
# fuzz_trace: the trace's lines, one per seed, and the whole trace is not a seed (one record each)
for i, l in enumerate(lines):
    put("fuzz_trace", "line%02d" % i, l.encode())
# fuzz_sim_cmd: the commands, [BE16 inlen][BE16 outlen][in]; key bytes (masked "**") as 0x5a
cmds = []
for l in lines:
    r = json.loads(l)
    if "in" not in r:
        continue  # a wqe record
    inb = bytes.fromhex(r["in"].replace("**", "5a"))
    outlen = len(r["out"]) // 2
    cmds.append(struct.pack(">HH", len(inb), outlen) + inb)
put("fuzz_sim_cmd", "selftest_all", b"".join(cmds))
for i, c in enumerate(cmds[:12]):
    put("fuzz_sim_cmd", "cmd%02d" % i, c)
# fuzz_publish_req: every command, filters
for i, q in enumerate([b"info", b"dev", b"qp", b"ctx", b"ctx id 1", b"ctx dir tx path device",
                       b"ctx path software", b"dek", b"tis", b"tir", b"pool", b"stat", b"bogus x",
                       b"ctx id", b"  ctx   dir  rx ", b"ctx limit 1", b"ctx limit 2 cursor t1.1",
                       b"ctx dir rx cursor r1.0 limit 99999"]):
    put("fuzz_publish_req", "req%02d" % i, q)


def frames_tx(pieces, mss=0):
    # [kind 0][BE16 off][BE16 len][BE16 mss]
    return b"".join(struct.pack(">BHHH", 0, o, n, mss) for o, n in pieces)


STREAM = 4 * (5 + 8 + 3000 + 16)  # TLS 1.2 records of fuzz_tx_send (first byte 0)
in_order = [(o, min(1400, STREAM - o)) for o in range(0, STREAM, 1400)]
put("fuzz_tx_send", "dev12_in_order", b"\x00" + frames_tx(in_order))
put("fuzz_tx_send", "sw13_in_order", b"\x03" + frames_tx(in_order))
put("fuzz_tx_send", "dev12_retransmit", b"\x00" + frames_tx(in_order[:5] + in_order[1:3] + in_order[5:]))
put("fuzz_tx_send", "dev12_lso", b"\x00" + frames_tx([(0, 4000), (4000, 4000), (8000, STREAM - 8000)], 1448))
put("fuzz_tx_send", "raw", b"\x00" + struct.pack(">BHHH", 1, 60, 0, 0) + bytes(60))
# fuzz_rx_api: [mode][BE16 off][BE16 len][status]...; mode bit 1 = valid stream pieces
put("fuzz_rx_api", "valid12_in_order", b"\x02" + b"".join(struct.pack(">HHB", o, 700, 0) for o in range(0, 9000, 700)))
put("fuzz_rx_api", "valid13_split", b"\x03" + b"".join(struct.pack(">HHB", o, 333, 0) for o in range(0, 9000, 333)))
put("fuzz_rx_api", "arbitrary", b"\x00" + struct.pack(">HHB", 0, 40, 0) + bytes([23, 3, 3, 0, 35]) + bytes(35))
# fuzz_sim_rx: valid segments [BE16 off][BE16 len][flags]; raw frames [BE16 len][bytes]
put("fuzz_sim_rx", "valid12_in_order", b"\x08" + b"".join(struct.pack(">HHB", o, 1448, 0) for o in range(0, 9000, 1448)))
put("fuzz_sim_rx", "valid13_reorder", b"\x09" + b"".join(struct.pack(">HHB", o, 1000, 0) for o in [1000, 0, 3000, 2000, 4000, 5000, 6000, 7000, 8000]))
put("fuzz_sim_rx", "valid12_corrupt", b"\x08" + b"".join(struct.pack(">HHB", o, 1448, 1 if o == 1448 else 0) for o in range(0, 9000, 1448)))
put("fuzz_sim_rx", "raw", b"\x02" + struct.pack(">H", 60) + bytes(60))

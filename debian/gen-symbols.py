#!/usr/bin/env python3
"""Print debian/libmlx5tls1.symbols generated from libmlx5tls/libmlx5tls.map.

    python3 debian/gen-symbols.py > debian/libmlx5tls1.symbols

Each version node of the map is tied to the first upstream version that shipped it (FIRST_VERSION
below); a new MLX5TLS_1.N stanza needs an entry here. .ci/run checks the committed symbols file
against this output, and the package build (dpkg-gensymbols -c4) checks it against the library.
"""
import os
import re
import sys

FIRST_VERSION = {
    "MLX5TLS_1.0": "0.1.0",
    "MLX5TLS_1.1": "0.2.0",
    "MLX5TLS_1.2": "0.3.0",
}

HERE = os.path.dirname(os.path.abspath(__file__))
MAP = os.path.join(HERE, "..", "libmlx5tls", "libmlx5tls.map")


def main():
    text = open(MAP, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"#[^\n]*", "", text)
    entries = set()
    for m in re.finditer(r"([A-Za-z0-9_.]+)\s*\{(.*?)\}\s*[A-Za-z0-9_.]*\s*;", text, flags=re.S):
        node, body = m.group(1), m.group(2)
        if node not in FIRST_VERSION:
            sys.exit(f"gen-symbols: no first version for version node {node}: add it to FIRST_VERSION")
        ver = FIRST_VERSION[node]
        entries.add((f"{node}@{node}", ver))  # the version node is itself a symbol of the library
        scope = "global"
        for item in body.split(";"):
            item = item.strip()
            while True:
                mm = re.match(r"(global|local)\s*:\s*(.*)", item, flags=re.S)
                if not mm:
                    break
                scope, item = mm.group(1), mm.group(2).strip()
            if item and scope == "global":
                if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", item):
                    sys.exit(f"gen-symbols: unsupported map entry {item!r} (no wildcards)")
                entries.add((f"{item}@{node}", ver))
    if not entries:
        sys.exit("gen-symbols: no version node found in " + MAP)
    print("libmlx5tls.so.1 libmlx5tls1 #MINVER#")
    print("* Build-Depends-Package: libmlx5tls-dev")
    for sym, ver in sorted(entries):
        print(f" {sym} {ver}")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Render every manual page of a build tree as a reader would and fail on any warning or on text
# that betrays a Markdown conversion gone wrong:
#   scripts/check-man.sh [BUILD_DIR]     (default build; the pages are in BUILD_DIR/man)
# Each page goes through `man -l` (man-db, groff warnings on) and `groff -ww -man -z`; the stubs
# (.so) are resolved in a scratch man tree. Garbage looked for in the rendered text: pandoc's
# TeX-math subscripts (`$MLX5TLS_RUNTIME_DIR` read as maths gives `MLX5TLS~R~UNTIME~D~IR`),
# emphasis markers left by broken Markdown emphasis (`*_start`, `word*.`) and roff
# requests printed as text.
set -euo pipefail

BUILD_DIR=${1:-build}
SRC=$BUILD_DIR/man
[[ -d $SRC ]] || { echo "check-man: no $SRC (build first)" >&2; exit 1; }

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
pages=0
for f in "$SRC"/*.[1-9]; do
	sec=${f##*.}
	mkdir -p "$STAGE/man$sec"
	cp "$f" "$STAGE/man$sec/"
	pages=$((pages + 1))
done
((pages > 0)) || { echo "check-man: no pages in $SRC" >&2; exit 1; }

bad=0
cd "$STAGE"
for page in man*/*; do
	text=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings=w -l "$page" 2>"$STAGE/err" | col -b) || {
		echo "check-man: $page: man failed" >&2
		bad=1
	}
	if [[ -s $STAGE/err ]]; then
		echo "check-man: $page: man -l warns:" >&2
		sed 's/^/    /' "$STAGE/err" >&2
		bad=1
	fi
	if ! groff -ww -man -Tutf8 -z "$page" 2>"$STAGE/err" || [[ -s $STAGE/err ]]; then
		echo "check-man: $page: groff -ww warns:" >&2
		sed 's/^/    /' "$STAGE/err" >&2
		bad=1
	fi
	# pandoc maths (x~sub~), emphasis markers left in the text, roff requests shown as text
	garbage=$(grep -nE '[A-Za-z0-9]~[A-Za-z0-9]+~|(^|[[:space:](])\*_[a-z]|[a-z0-9]\*[.,;:]|^\.[A-Z][A-Za-z]? ' \
		<<<"$text" || true)
	if [[ -n $garbage ]]; then
		echo "check-man: $page: garbled text:" >&2
		sed 's/^/    /' <<<"$garbage" >&2
		bad=1
	fi
done
((bad == 0)) || exit 1
echo "check-man: $pages pages render without warnings or garbage"

#!/usr/bin/env bash
# The bash completion of mlx5tls-query (tools/mlx5tls-query.bash-completion), driven as bash
# would drive it: COMP_WORDS/COMP_CWORD set, the function called, COMPREPLY checked. The
# bash-completion library's _init_completion and _filedir are stubbed (they are not what is
# tested, and CI machines need not have the package).
#   tests/test_completion.sh COMPLETION_FILE
set -uo pipefail

FILE=${1:?usage: $0 COMPLETION_FILE}
fails=0

_init_completion() {
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]:-}
	words=("${COMP_WORDS[@]}")
	cword=$COMP_CWORD
}
_filedir() { COMPREPLY=(FILES); }

# shellcheck source=/dev/null
source "$FILE" || { echo "cannot source $FILE"; exit 1; }
complete -p mlx5tls-query >/dev/null || { echo "no completion registered for mlx5tls-query"; exit 1; }

# expect "WORDS..." -- "EXPECTED REPLY (sorted, space-separated)"; the last word is completed
expect() {
	local want=${*: -1} line=("${@:1:$#-1}")
	COMP_WORDS=("${line[@]}")
	COMP_CWORD=$((${#line[@]} - 1))
	COMPREPLY=()
	_mlx5tls_query
	local got
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//')
	if [[ "$got" != "$want" ]]; then
		echo "FAIL: '${line[*]}': got '$got', want '$want'"
		fails=$((fails + 1))
	else
		echo "ok: '${line[*]}' -> $got"
	fi
}

expect mlx5tls-query "" "caps conn ctx dek dev help pool proc qp selftest stat tir tis trace"
expect mlx5tls-query s "selftest stat"
expect mlx5tls-query -j c "caps conn ctx"
expect mlx5tls-query --d "--details"
expect mlx5tls-query caps "" "dev help show"
expect mlx5tls-query caps dev sim:cx6dx-l "sim:cx6dx-legacy"
# "dev" as the object takes its own words, not a device name
expect mlx5tls-query dev "" "help list show"
expect mlx5tls-query -j dev l "list"
expect mlx5tls-query ctx dir "" "rx tx"
expect mlx5tls-query ctx path s "software"
expect mlx5tls-query conn l "label laddr list lport"
expect mlx5tls-query ctx l "label laddr limit list lport"
expect mlx5tls-query ctx c "cursor"
expect mlx5tls-query ctx limit "" ""
expect mlx5tls-query trace show "" "FILES"
expect mlx5tls-query stat w "watch"
# the filters of dek, tis, tir and qp (tools/dek.c, tis.c, tir.c, qp.c; mlx5tls-query(1))
expect mlx5tls-query dek "" "ctx dev help id list pid show"
expect mlx5tls-query dek show i "id"
expect mlx5tls-query dek id 3 c "ctx"
expect mlx5tls-query dek id "" ""
expect mlx5tls-query dek ctx "" ""
expect mlx5tls-query tis "" "ctx dev help list pid show tisn"
expect mlx5tls-query tis t "tisn"
expect mlx5tls-query tis tisn "" ""
expect mlx5tls-query tis show ctx "" ""
expect mlx5tls-query tir "" "ctx dev help list pid show tirn"
expect mlx5tls-query tir ctx 2 t "tirn"
expect mlx5tls-query tir tirn "" ""
expect mlx5tls-query tir ctx "" ""
expect mlx5tls-query qp s "show sqn"
expect mlx5tls-query qp sqn "" ""
# "ctx" as the object is still completed as one
expect mlx5tls-query ctx "" \
	"addr cursor dev dir help id label laddr limit list lport path pid port raddr rport show"
expect mlx5tls-query -j ctx i "id"
# trace's filters and status's words
expect mlx5tls-query trace show f.jsonl "" "help opcode show status"
expect mlx5tls-query trace show f.jsonl status "" "failed ok"
expect mlx5tls-query trace show f.jsonl opcode "" ""
# pid: the processes with a control socket in the runtime directory
rundir=$(mktemp -d) || exit 1
trap 'rm -rf "$rundir"' EXIT
touch "$rundir/4242.sock" "$rundir/4343.sock" "$rundir/other"
MLX5TLS_RUNTIME_DIR=$rundir expect mlx5tls-query tis pid "" "4242 4343"

((fails == 0)) || { echo "$fails completion case(s) failed"; exit 1; }
echo "completion: all cases pass"

#!/usr/bin/env bash
# Regenerates src/decode/signatures.tsv: syscall argument signatures (C types
# and names, in order) read from the kernel's tracefs syscall event formats,
# events/syscalls/sys_enter_*/format.
#
# Usage: sudo scripts/gen-syscall-signatures.sh [OUTPUT]
#   OUTPUT defaults to src/decode/signatures.tsv beside this script's project.
#   TRACEFS=/path overrides the tracefs location (default /sys/kernel/tracing,
#   mounted there if needed; /sys/kernel/debug/tracing is tried as well).
#
# Output: a '#' header line, then one line per syscall sorted by name:
#   name<TAB>type name<TAB>type name...     e.g.
#   openat	int dfd	const char * filename	int flags	umode_t mode
# A syscall without arguments is just its name. Names are the tracefs event
# names (the SYSCALL_DEFINE names: newfstat, newuname, sendfile64, umount...),
# which differ from the syscall table names in a few places. Only syscalls the
# running kernel was built with appear (e.g. no init_module without
# CONFIG_MODULES), so generate on a kernel with a broad configuration.
#
# Needs bash, awk, sort, uname; no python.
set -euo pipefail

project_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-"$project_dir/src/decode/signatures.tsv"}

find_tracefs() {
    local d
    for d in ${TRACEFS:+"$TRACEFS"} /sys/kernel/tracing /sys/kernel/debug/tracing; do
        if [ -d "$d/events/syscalls" ]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

if ! tracefs=$(find_tracefs); then
    if [ -z "${TRACEFS:-}" ] && [ -d /sys/kernel/tracing ]; then
        mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
    fi
    if ! tracefs=$(find_tracefs); then
        echo "error: no tracefs with events/syscalls found (need root, a mounted tracefs:" >&2
        echo "  mount -t tracefs tracefs /sys/kernel/tracing, and CONFIG_FTRACE_SYSCALLS=y)" >&2
        exit 1
    fi
fi

shopt -s nullglob
formats=("$tracefs"/events/syscalls/sys_enter_*/format)
if [ "${#formats[@]}" -eq 0 ]; then
    echo "error: no $tracefs/events/syscalls/sys_enter_*/format files" >&2
    exit 1
fi

tmp=$(mktemp "${out}.XXXXXX")
trap 'rm -f "$tmp"' EXIT

{
    printf '# Syscall argument signatures from tracefs sys_enter_* formats; Linux %s (%s). ' \
        "$(uname -r)" "$(uname -m)"
    printf 'Regenerate: sudo scripts/gen-syscall-signatures.sh\n'
    # Per file: the event name from "name: sys_enter_X", then every "field:"
    # line after __syscall_nr, as "type name" (the text between "field:" and
    # the first ';', whitespace squeezed).
    awk '
        function flush() {
            if (name != "") print line
            name = ""; line = ""; args = 0
        }
        FNR == 1 { flush() }
        /^name: sys_enter_/ {
            name = $2; sub(/^sys_enter_/, "", name); line = name
            next
        }
        /^[ \t]*field:/ {
            decl = $0
            sub(/^[ \t]*field:/, "", decl)
            sub(/;.*/, "", decl)
            gsub(/[ \t]+/, " ", decl)
            sub(/^ /, "", decl); sub(/ $/, "", decl)
            if (decl ~ / __syscall_nr$/) { args = 1; next }
            if (args) line = line "\t" decl
            next
        }
        END { flush() }
    ' "${formats[@]}" | LC_ALL=C sort
} >"$tmp"

count=$(grep -vc '^#' "$tmp" || true)
chmod 644 "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "wrote $count syscall signatures to $out" >&2

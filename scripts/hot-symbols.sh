#!/bin/bash
# Writes scripts/hot-symbols.order: the functions the tools run once they are up (their event
# and interval loops, the rows they print), most run first. The link puts them at the start of
# .text (Package.swift's hotCodeFirst), so that after MemoryTrim drops start-up's code pages the
# steady-state code faults back in as a few 64 KiB windows. Made with valgrind's callgrind,
# which counts every function a tool's loop calls, not a sample of them. Run it after changes
# to the loops or the row formatting, on a release build; the benchmark's idle RSS line shows
# what it is worth.
#   scripts/hot-symbols.sh [BIN_DIR]     (default .build/release; needs root and valgrind)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release}
out=scripts/hot-symbols.order
command -v valgrind >/dev/null || { echo "hot-symbols.sh: valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
work=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

port=$((40000 + RANDOM % 2000))
# a listener that accepts and closes: TCP sessions for tcpconnect, tcplife and tcpstates
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
while True:
    c, _ = s.accept(); c.recv(16); c.close()
' "$port" &

# what every tool sees some of: execs, opens, exits, signals, TCP sessions, disk writes
workload() {
    local i
    for i in $(seq 60); do
        /bin/true; cat /etc/hostname >/dev/null
        { exec 3<>"/dev/tcp/127.0.0.1/$port" && echo x >&3 && exec 3>&-; } 2>/dev/null || true
        kill -0 $$ 2>/dev/null || true
        dd if=/dev/zero of="$work/io" bs=64k count=4 oflag=direct status=none 2>/dev/null || true
        sleep 0.25
    done
}

# tool, its loop (callgrind collects only inside it; several separated by "|"), arguments;
# COUNTS names the file the function counts go to
profile_tool() {
    local tool=$1 loop=$2; shift 2
    [[ -x $bin/$tool ]] || { echo "hot-symbols.sh: no $bin/$tool" >&2; exit 1; }
    local toggles=() l
    IFS='|' read -ra l <<<"$loop"
    for loop in "${l[@]}"; do toggles+=("--toggle-collect=$loop"); done
    workload & local w=$!
    timeout -s INT 20 valgrind --tool=callgrind --demangle=no --collect-atstart=no \
        "${toggles[@]}" --callgrind-out-file="$work/$tool.$#.out" \
        "$bin/$tool" "$@" >/dev/null 2>"$work/$tool.err" || true
    kill $w 2>/dev/null || true; wait $w 2>/dev/null || true
    # "  1,234 ( 5.00%)  file:function [binary]" -> "1234 function"
    callgrind_annotate --auto=no --threshold=100 "$work/$tool.$#.out" 2>/dev/null \
        | sed -nE 's/^ *([0-9,]+) +\( *[0-9.]+%\)  (.*:)?([^ :]+) \[.*\]$/\1 \3/p' | tr -d , >>"$work/${COUNTS:-counts}"
    echo "hot-symbols.sh: $tool $*: $(cat "$work"/counts* | grep -c .) functions so far" >&2
}

streaming='*9EventLoopO3run*'
interval='*12IntervalLoopO3run*'
for tool in execsnoop opensnoop tcpconnect tcplife tcpstates exitsnoop killsnoop biosnoop; do
    profile_tool "$tool" "$streaming"
done
profile_tool execsnoop "$streaming" -T -U
profile_tool opensnoop "$streaming" -T -U -e
profile_tool biolatency "$interval" 1
profile_tool runqlat "$interval" 1
profile_tool syscount "$interval" -i 1
# profile: its sampling (each sample unwound with CFI: libdw's code) and its report (symbols,
# sorting, printing), which run at its peak, with a busy shell to unwind. They come after the
# other tools' functions (a separate count): at 999 Hz they would outrank those, and a
# streaming tool's loop would no longer be in one place.
# (The ring's records come to UnwoundSamples.add through libbpf's callback, which callgrind
# does not count as inside the loop: it is named too.)
busy() { timeout 20 sh -c 'while :; do :; done' & }
report='*14UnwoundSamplesC3add*|*7profile11StackReportC5print6timing*'
busy; COUNTS=counts.profile profile_tool profile "$streaming|$report" -F 999 -f 12
busy; COUNTS=counts.profile profile_tool profile "$streaming|$report" -F 999 12

# most run first; each function once
# (a function callgrind could not name is an address: nothing to order)
rank() { awk '$2 !~ /^0x/ { n[$2] += $1 } END { for (f in n) print n[f], f }' "$1" | sort -rn | awk '{ print $2 }'; }
{ rank "$work/counts"; rank "$work/counts.profile"; } | awk '!seen[$0]++' >"$work/hot"
# glibc's string functions are chosen at start-up by CPU (IFUNC): valgrind's emulated CPU picks
# other variants than the machine will, so every variant of a hot one goes in
nm "$bin/execsnoop" | awk '$2 ~ /^[tTwW]$/ { print $3 }' | grep -E '_(sse2|sse4|ssse3|avx|avx2|evex|avx512)' >"$work/variants" || true
while read -r f; do
    if [[ $f =~ ^(__[a-z0-9]+)_(sse2|sse4|ssse3|avx|avx2|evex|avx512) ]]; then
        grep -E "^${BASH_REMATCH[1]}_" "$work/variants" || true
    fi
done <"$work/hot" >"$work/siblings"
# A symbol is placed by moving the input section it is in. Most of ours have a section each,
# but some archives put a whole file's (or library's) code in one: the Swift standard library's
# 1.6 MB, _StringProcessing's 400 KB. Moving one of those forward would put its cold code in the
# middle of the hot code, so symbols in sections over 32 KiB are left where they are; their
# sizes come from a link map of execsnoop, linked again as SwiftPM links it.
python3 - "$bin" "$work/link.map" <<'PY'
import json, os, re, subprocess, sys
bin_dir, map_path = sys.argv[1], sys.argv[2]
tool = os.path.realpath(os.path.join(bin_dir, "execsnoop"))
manifest = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(tool))), bin_dir.rstrip("/").split("/")[-1] + ".yaml")
text = open(manifest).read()
m = re.search(r'description: "Linking [^"]*/execsnoop"\n\s*args: (\[.*\])', text)
if not m:
    sys.exit("hot-symbols.sh: no link command for execsnoop in " + manifest)
args = json.loads(m.group(1))
args[args.index("-o") + 1] = map_path + ".bin"
subprocess.run(args + ["-Xlinker", "-Map=" + map_path], check=True)
PY
awk '
    # "VMA LMA SIZE ALIGN file:(section)" then its symbols, indented further
    /^ +[0-9a-f]+ +[0-9a-f]+ +[0-9a-f]+ +[0-9]+         [^ ]/ { size = strtonum("0x" $3); next }
    /^ +[0-9a-f]+ +[0-9a-f]+ +[0-9a-f]+ +[0-9]+                 / { if (size > 32768) print $5 }
' "$work/link.map" | sort -u >"$work/in-big-sections"
{
    cat "$work/hot" "$work/siblings"
} | awk '!seen[$0]++' | grep -vxF -f "$work/in-big-sections" >"$out" || true
echo "hot-symbols.sh: $(wc -l <"$out") functions in $out" >&2

#!/usr/bin/env bash
# Checks what a user installs (run by scripts/test.sh after the release build):
#  1. scripts/install.sh into a scratch DESTDIR: the stripped multi-call binary and a link per
#     tool that runs as that tool, man pages `man -w` finds, completions bash completes with
#     and zsh and fish parse; --uninstall leaves nothing.
#  2. As root: the Debian package (scripts/package-deb.sh) installed with dpkg -i, a tool run
#     from PATH, `man -w`, then dpkg -r, after which none of its files is left.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
fail() { echo "FAIL check-install: $*"; exit 1; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
tools=$(python3 -c 'import json; print(" ".join(t["name"] for t in json.load(open("tools.json"))["tools"]))')

scripts/install.sh --no-build --destdir "$stage/root" >/dev/null
prefix=$stage/root/usr/local
for tool in $tools; do
	[ "$("$prefix/sbin/$tool" --version | cut -d' ' -f1)" = "$tool" ] || fail "$prefix/sbin/$tool --version does not name $tool"
	man -w -M "$prefix/share/man" "$tool" >/dev/null || fail "man -w finds no page for $tool"
	zsh -n "$prefix/share/zsh/site-functions/_$tool" || fail "zsh cannot parse _$tool"
	fish --no-execute "$prefix/share/fish/vendor_completions.d/$tool.fish" || fail "fish cannot parse $tool.fish"
done
! readelf -S "$prefix/sbin/swift-bpf-tools" | grep -q '\.debug_info' || fail "the installed binary has debug info"
readelf -S "$prefix/sbin/swift-bpf-tools" | grep -q '\.gnu_debuglink' || fail "the installed binary names no debug file"
# bash completes a long option of tcplife from its completion file
completed=$(bash -c 'source /usr/share/bash-completion/bash_completion
	source "$1/share/bash-completion/completions/tcplife"
	COMP_LINE="tcplife --localp"; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(tcplife --localp); COMP_CWORD=1
	_tcplife tcplife --localp tcplife; echo "${COMPREPLY[*]}"' bash "$prefix")
[ "$completed" = --localport ] || fail "bash completes 'tcplife --localp' as '$completed'"
size=$(stat -c %s "$prefix/sbin/swift-bpf-tools")
echo "ok install: $(echo $tools | wc -w) tools, one binary of $((size / 1048576)) MB, man pages and completions"
scripts/install.sh --uninstall --destdir "$stage/root" >/dev/null
left=$(find "$stage/root" ! -type d)
[ -z "$left" ] || fail "left after --uninstall: $left"
echo "ok uninstall: nothing left"

if [ "$(id -u)" != 0 ]; then echo "skip package: not root"; exit 0; fi
if dpkg-query -W -f='${Status}' libbpf-tools 2>/dev/null | grep -q "install ok installed"; then
	echo "skip package: libbpf-tools is installed here (the package conflicts with it)"; exit 0
fi
deb=$(scripts/package-deb.sh --no-build "$stage/deb")
files=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print substr($6, 2)}')
dpkg -i "$deb" >/dev/null
trap 'dpkg -r swift-bpf-tools >/dev/null 2>&1 || true; rm -rf "$stage"' EXIT
[ "$(command -v execsnoop)" = /usr/sbin/execsnoop ] || [ "$(command -v execsnoop)" = /usr/local/sbin/execsnoop ] \
	|| fail "execsnoop is not on PATH after dpkg -i"
/usr/sbin/runqlat --version | grep -q "^runqlat " || fail "/usr/sbin/runqlat --version"
header=$(cd / && env -i PATH=/usr/sbin:/usr/bin timeout -s INT 2 execsnoop | head -1 || true)
[ "$header" = "COMM             PID     PPID    RET ARGS" ] || fail "execsnoop from the package printed '$header'"
[ "$(man -w execsnoop)" = /usr/share/man/man8/execsnoop.8.gz ] || fail "man -w execsnoop: $(man -w execsnoop 2>&1)"
dpkg -r swift-bpf-tools >/dev/null
for file in $files; do [ ! -e "$file" ] && [ ! -L "$file" ] || fail "$file left after dpkg -r"; done
dpkg-query -W -f='${Status}' swift-bpf-tools 2>/dev/null | grep -q "install ok installed" && fail "still installed"
echo "ok package: $(basename "$deb") ($(($(stat -c %s "$deb") / 1024)) KB) installed, ran, removed, nothing left"

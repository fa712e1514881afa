#!/usr/bin/env bash
# Builds the Debian package swift-bpf-tools_<version>_amd64.deb with dpkg-deb alone (no
# network, no debhelper): the multi-call binary and a link per tool in /usr/sbin, man pages
# (gzipped, as Debian policy wants), bash/zsh/fish completions, the copyright file.
#
#   scripts/package-deb.sh [--no-build] [OUTPUT_DIR]     (default OUTPUT_DIR: .build/deb)
#
# Debian's libbpf-tools installs /usr/sbin/execsnoop, opensnoop, biolatency, biosnoop,
# runqlat, tcpconnect, tcplife and tcpstates too: the package declares Conflicts: libbpf-tools,
# so dpkg refuses to install it beside that package rather than one overwriting the other's
# files (apt offers to remove libbpf-tools). bpfcc-tools names its tools <tool>-bpfcc: no clash.
set -euo pipefail
cd "$(dirname "$0")/.."
build=--no-build
if [ "${1:-}" = --no-build ]; then shift; else build=; fi
out=${1:-.build/deb}
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
scripts/install.sh $build --prefix /usr --destdir "$stage" >/dev/null
bin=$(swift build -c release -Xswiftc -static-executable --show-bin-path)/swift-bpf-tools
version=$("$bin" --version | awk '{print $2}')
gzip -9n "$stage"/usr/share/man/man8/*.8
doc=$stage/usr/share/doc/swift-bpf-tools
install -d "$doc"
{
	echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
	echo "Upstream-Name: swift-bpf-tools"
	echo
	echo "Files: *"
	echo "Copyright: 2026 the swift-bpf-tools authors"
	echo "License: BSD-2-Clause"
	sed -n '5,/^---$/p' LICENSE | sed '$d' | sed 's/^$/./; s/^/ /'
	echo
	echo "Files: bpf-src/*"
	echo "Copyright: 2026 the swift-bpf-tools authors"
	echo "License: GPL-2"
	echo " On Debian systems, the complete text of the GNU General Public License version 2"
	echo " can be found in /usr/share/common-licenses/GPL-2."
} > "$doc/copyright"
installed=$(du -sk "$stage/usr" | cut -f1)
# the tool list from the binary itself (the registry), folded as a control field's lines are
tools=$("$bin" --list | paste -sd' ' | sed 's/ /, /g' | fold -s -w 88 | sed 's/ *$//; s/^/ /')
install -d "$stage/DEBIAN"
cat > "$stage/DEBIAN/control" <<CONTROL
Package: swift-bpf-tools
Version: $version
Architecture: amd64
Maintainer: swift-bpf-tools authors <swift-bpf-tools@invalid>
Installed-Size: $installed
Section: admin
Priority: optional
Conflicts: libbpf-tools
Description: BCC's eBPF tools as standalone binaries, no kprobes needed
$tools:
 BCC's columns byte for byte, with JSON output. One
 static binary (no Python, LLVM or kernel headers at run time); the tools run on
 tracepoints, so they work where kprobes do not exist. Needs root and a kernel with BTF.
CONTROL
(cd "$stage" && find usr -type f -exec md5sum {} + | sort -k2) > "$stage/DEBIAN/md5sums"
mkdir -p "$out"
deb=$out/swift-bpf-tools_${version}_amd64.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"

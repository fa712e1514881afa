#!/usr/bin/env bash
# Installs the tools (or removes them with --uninstall), as root, on Debian 12 with Swift 6:
#   PREFIX/sbin/swift-bpf-tools       every tool in one static binary, stripped of debug info
#   PREFIX/sbin/<tool>                a link to it per tool in tools.json
#   PREFIX/share/man/man8/<tool>.8    the man pages
#   PREFIX/share/bash-completion/completions/<tool>, PREFIX/share/zsh/site-functions/_<tool>
#   (vendor-completions for PREFIX=/usr), PREFIX/share/fish/vendor_completions.d/<tool>.fish:
#   completions where each shell looks
# The debug info goes to .build/release/swift-bpf-tools.debug (the binary names it in its
# .gnu_debuglink); --debug-symbols also installs it as PREFIX/lib/debug/.build-id/xx/yyyy.debug,
# where gdb and systemd-coredump look.
#
#   scripts/install.sh [--prefix DIR] [--destdir DIR] [--no-build] [--debug-symbols] [--uninstall]
#
# PREFIX defaults to /usr/local (on sudo's secure_path, so `sudo execsnoop` finds it); DESTDIR
# (default empty) stages the tree elsewhere, as for a package. Both may also come from the
# environment. Without --no-build it first installs the build packages (scripts/install-deps.sh)
# and builds the release binary. Uninstalling removes exactly what installing puts there.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${PREFIX:-/usr/local} destdir=${DESTDIR:-} build=1 uninstall=0 debug=0
while (($#)); do
	case "$1" in
	--prefix) prefix=${2:?--prefix needs a directory}; shift ;;
	--destdir) destdir=${2:?--destdir needs a directory}; shift ;;
	--no-build) build=0 ;;
	--debug-symbols) debug=1 ;;
	--uninstall) uninstall=1 ;;
	-h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "install.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case "$prefix" in /*) ;; *) echo "install.sh: --prefix must be an absolute path, not '$prefix'" >&2; exit 2 ;; esac
root=$destdir$prefix
sbin=$root/sbin man8=$root/share/man/man8
bashdir=$root/share/bash-completion/completions zshdir=$root/share/zsh/site-functions
# Debian's zsh reads packages' completions from vendor-completions, local ones from site-functions
[ "$prefix" = /usr ] && zshdir=$root/share/zsh/vendor-completions
fishdir=$root/share/fish/vendor_completions.d
tools=$(python3 -c 'import json; print(" ".join(t["name"] for t in json.load(open("tools.json"))["tools"]))')
multi=swift-bpf-tools

if ((uninstall)); then
	for tool in $tools; do
		# a link of ours only: a file of another package by the same name stays
		if [ -L "$sbin/$tool" ] && [ "$(readlink "$sbin/$tool")" = "$multi" ]; then rm -f "$sbin/$tool"; fi
		rm -f "$man8/$tool.8" "$bashdir/$tool" "$zshdir/_$tool" "$fishdir/$tool.fish"
	done
	if [ -f "$sbin/$multi" ]; then
		id=$(readelf -n "$sbin/$multi" 2>/dev/null | awk '/Build ID/ {print $3}')
		[ -n "$id" ] && rm -f "$root/lib/debug/.build-id/${id:0:2}/${id:2}.debug"
		rm -f "$sbin/$multi"
	fi
	echo "install.sh: removed the tools from $root"
	exit 0
fi

command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
if ((build)); then
	scripts/install-deps.sh build
	swift build -c release -Xswiftc -static-executable --product "$multi"
fi
bin=$(swift build -c release -Xswiftc -static-executable --show-bin-path)/$multi
[ -x "$bin" ] || { echo "install.sh: no $bin: build it first (or drop --no-build)" >&2; exit 1; }

# Debug info apart, the binary stripped and pointing at it (by name and build ID).
objcopy --only-keep-debug "$bin" "$bin.debug"
objcopy --strip-all --add-gnu-debuglink="$bin.debug" "$bin" "$bin.stripped"
install -d -m 0755 "$sbin" "$man8" "$bashdir" "$zshdir" "$fishdir"
install -m 0755 "$bin.stripped" "$sbin/$multi"
if ((debug)); then
	id=$(readelf -n "$bin" | awk '/Build ID/ {print $3}')
	install -D -m 0644 "$bin.debug" "$root/lib/debug/.build-id/${id:0:2}/${id:2}.debug"
fi
for tool in $tools; do
	if [ -e "$sbin/$tool" ] && ! { [ -L "$sbin/$tool" ] && [ "$(readlink "$sbin/$tool")" = "$multi" ]; }; then
		echo "install.sh: $sbin/$tool exists and is not ours: left alone, $tool not installed there" >&2
		continue
	fi
	ln -sfn "$multi" "$sbin/$tool"
	install -m 0644 "man/man8/$tool.8" "$man8/$tool.8"
	# ArgumentParser writes each shell's script for the command name (the tool's own)
	"$bin" "$tool" --generate-completion-script bash > "$bashdir/$tool"
	"$bin" "$tool" --generate-completion-script zsh > "$zshdir/_$tool"
	"$bin" "$tool" --generate-completion-script fish > "$fishdir/$tool.fish"
	chmod 0644 "$bashdir/$tool" "$zshdir/_$tool" "$fishdir/$tool.fish"
	# Debian's libbpf-tools and bpfcc-tools put tools of the same name in /usr/sbin: say which wins
	if [ -z "$destdir" ] && [ "$prefix" != /usr ] && [ -e "/usr/sbin/$tool" ]; then
		owner=$(dpkg -S "/usr/sbin/$tool" 2>/dev/null | cut -d: -f1 || true)
		echo "install.sh: note: /usr/sbin/$tool${owner:+ (package $owner)} is shadowed by $sbin/$tool on PATH"
	fi
done
size=$(du -k "$sbin/$multi" | cut -f1)
echo "install.sh: installed $(echo $tools | wc -w) tools into $sbin ($multi, $((size / 1024)) MB stripped; debug info in $bin.debug)"

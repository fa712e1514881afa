#!/usr/bin/env bash
# Builds the release binaries with the Swift standard library linked in, copies them to an
# empty directory, and checks that they run from there: no Swift runtime, no BPF object files,
# no kernel headers needed; only libbpf, libelf, zlib and libc.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
swift build -c release --static-swift-stdlib
bin=$(swift build -c release --static-swift-stdlib --show-bin-path)
tools=$(python3 -c 'import json; print(" ".join(t["name"] for t in json.load(open("tools.json"))["tools"]))')
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
status=0
for tool in $tools; do
  cp "$bin/$tool" "$dir/"
  if ldd "$dir/$tool" | grep -q 'libswift\|libFoundation\|not found'; then
    echo "FAIL $tool: needs more than system libraries:"; ldd "$dir/$tool"; status=1; continue
  fi
  if ! (cd / && env -i "$dir/$tool" --help >/dev/null); then
    echo "FAIL $tool: --help failed when run alone"; status=1; continue
  fi
  if [ "$(id -u)" = 0 ]; then
    header=$(cd / && env -i timeout -s INT 3 "$dir/$tool" | head -1 || true)
    if [ -z "$header" ]; then echo "FAIL $tool: printed no header when run alone"; status=1; continue; fi
  fi
  echo "ok $tool: standalone ($(du -h "$dir/$tool" | cut -f1), needs: $(ldd "$dir/$tool" | awk '/=>/{print $1}' | tr '\n' ' '))"
done
exit $status

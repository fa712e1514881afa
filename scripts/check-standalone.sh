#!/usr/bin/env bash
# Builds the release binaries as static executables (Swift runtime, libbpf, libelf, zlib and
# glibc linked in), copies them to an empty directory, and checks that they run from there with
# an empty environment: no shared library, BPF object file or kernel header is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
swift build -c release -Xswiftc -static-executable
bin=$(swift build -c release -Xswiftc -static-executable --show-bin-path)
tools=$(python3 -c 'import json; print(" ".join(t["name"] for t in json.load(open("tools.json"))["tools"]))')
# what a bare run of a tool needs (dbslower's database engine), from tools.json
bare_args() { python3 -c 'import json, sys; print(" ".join(next(t for t in json.load(open("tools.json"))["tools"] if t["name"] == sys.argv[1]).get("default_arguments", [])))' "$1"; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
status=0
for tool in $tools; do
  cp "$bin/$tool" "$dir/"
  if ldd "$dir/$tool" >/dev/null 2>&1; then
    echo "FAIL $tool: not a static executable:"; ldd "$dir/$tool"; status=1; continue
  fi
  if ! (cd / && env -i "$dir/$tool" --help >/dev/null); then
    echo "FAIL $tool: --help failed when run alone"; status=1; continue
  fi
  if [ "$(id -u)" = 0 ]; then
    args=$(bare_args "$tool")
    header=$(cd / && env -i timeout -s INT 3 "$dir/$tool" $args | head -1 || true)
    if [ -z "$header" ]; then echo "FAIL $tool: printed no header when run alone"; status=1; continue; fi
  fi
  echo "ok $tool: standalone static executable ($(du -h "$dir/$tool" | cut -f1))"
done
# The multi-call binary: every tool in one static executable
cp "$bin/swift-bpf-tools" "$dir/"
if ldd "$dir/swift-bpf-tools" >/dev/null 2>&1 || ! (cd / && env -i "$dir/swift-bpf-tools" execsnoop --version >/dev/null); then
  echo "FAIL swift-bpf-tools: not a standalone static executable"; status=1
else
  echo "ok swift-bpf-tools: standalone static executable ($(du -h "$dir/swift-bpf-tools" | cut -f1), all tools)"
fi
# A static binary must not load the system's NSS modules (getpwnam() crashed in
# libnss_systemd): an unknown user is a usage error, whatever the name.
for user in nosuchuser-xyz "$(printf 'u\xf0\x9f\x98\x80')" "$(head -c 100000 /dev/zero | tr '\0' u)"; do
  rc=0; (cd / && env -i "$dir/execsnoop" -u "$user" >/dev/null 2>&1) || rc=$?
  if [ "$rc" != 2 ]; then echo "FAIL execsnoop -u <unknown user of ${#user} bytes>: status $rc, not 2"; status=1; fi
done
exit $status

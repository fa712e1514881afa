#!/usr/bin/env bash
# Installs the Debian packages this project needs (Debian 12; run as root):
#   scripts/install-deps.sh build   what building and installing the tools needs
#   scripts/install-deps.sh test    that, and what the tests, the benchmark and the kernel
#                                   matrix need (the default)
# The Swift toolchain itself (6.x, at /opt/swift or on PATH) is assumed to be present.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# Build: libbpf and what it links against (static archives included); libiberty (binutils'
# demangler, for C++ and Rust frames); elfutils' libdw with liblzma and libbz2 (profile unwinds
# user stacks with CFI through libdwfl); clang/llvm for the BPF programs (the Swift toolchain's
# clang is used when present); binutils to strip; python3 reads tools.json.
build=(
  libbpf-dev libelf-dev zlib1g-dev libiberty-dev libdw-dev liblzma-dev libbz2-dev
  clang llvm binutils
  python3
)
# Test: bpftool (tests check no program is left behind); setpriv, addpart (util-linux), mount
# and losetup (mount), ip and iptables for workloads; hyperfine for the benchmark; qemu, busybox
# and cpio for the kernel matrix; systemtap-sdt-dev (sys/sdt.h) for the test programs with USDT
# probes; man-db, bash-completion, zsh and fish to check what install.sh installs; golang-go
# (go tool pprof) and protobuf-compiler (protoc) read profile's pprof files; g++ compiles the
# C++ program whose names profile must demangle; debuginfod (server and debuginfod-find) serves
# a stripped program's debug file to profile; chromium (headless) runs the flame graph's script;
# prometheus scrapes a tool's --prometheus endpoint, curl queries both; python3-venv holds the
# OTLP test receiver's opentelemetry-proto (from PyPI, below); postgresql-15 (with
# pgbench) and mariadb-server are the real servers dbslower and dbstat are tested against (the
# tests start their own in temporary directories; a server the package would start as a service
# is not needed).
test=(
  bpftool
  util-linux mount iproute2 procps iptables
  hyperfine
  qemu-system-x86 busybox-static cpio
  systemtap-sdt-dev
  man-db bash-completion zsh fish
  golang-go protobuf-compiler
  postgresql-15 postgresql-client-15 mariadb-server mariadb-client
  g++
  debuginfod chromium
  prometheus curl python3-venv
)
# The OTLP receiver of the tests (scripts/otlp-receiver.py) decodes with the official bindings.
otlp_venv=/opt/swift-bpf-tools/test-venv
otlp_proto=opentelemetry-proto==1.45.2
case "${1:-test}" in
build) packages=("${build[@]}") ;;
test) packages=("${build[@]}" "${test[@]}") ;;
*) echo "install-deps.sh: build or test, not '$1'" >&2; exit 2 ;;
esac
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if [ "${1:-test}" = test ] && ! "$otlp_venv/bin/python" -c 'import opentelemetry.proto' 2>/dev/null; then
  rm -rf "$otlp_venv"
  python3 -m venv "$otlp_venv"
  "$otlp_venv/bin/pip" install -q "$otlp_proto"
fi

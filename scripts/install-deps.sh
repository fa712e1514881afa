#!/usr/bin/env bash
# Installs the Debian packages this project needs to build, run and test (Debian 12; run as
# root). The Swift toolchain itself (6.x, at /opt/swift or on PATH) is assumed to be present.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# libbpf and what it links against; clang/llvm for BPF (the Swift toolchain's clang is used
# when present); bpftool (tests check no program is left behind); setpriv, addpart (util-linux),
# mount and losetup (mount), ip and iptables for test workloads; hyperfine and python3 for the
# benchmark; qemu, busybox and cpio for the kernel matrix (scripts/kernel-matrix);
# systemtap-sdt-dev (sys/sdt.h) for the test programs with USDT probes.
packages=(
  libbpf-dev libelf-dev zlib1g-dev
  clang llvm
  bpftool
  util-linux mount iproute2 procps iptables
  hyperfine python3
  qemu-system-x86 busybox-static cpio
  systemtap-sdt-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

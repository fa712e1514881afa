#!/usr/bin/env bash
# The test command (README's second set-up command; .ci/run calls it too). As root, installs
# the test packages first. Builds the release binaries and checks they are standalone, checks
# the installation (scripts/check-install.sh: scratch install, and as root the Debian package
# installed and removed), then runs every test: unit tests, and, as root, the
# tests that load BPF and run the tools against workloads they make; then, as root, the kernel
# matrix (every tool inside stock Debian 5.10, 6.1 and 6.12 kernels booted in qemu; KERNEL_MATRIX=0
# skips it). Without root the BPF tests are skipped, unless BPF_TESTS_REQUIRED=1 (set by
# .ci/run), which makes them fail instead.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
if [ "$(id -u)" = 0 ]; then scripts/install-deps.sh test; fi
scripts/check-standalone.sh
scripts/check-install.sh
swift build --build-tests
swift test --skip-build
if [ "${KERNEL_MATRIX:-1}" != 0 ] && { [ "$(id -u)" = 0 ] || [ "${BPF_TESTS_REQUIRED:-0}" = 1 ]; }; then
  scripts/kernel-matrix/run.sh 5.10 6.1 6.12
fi

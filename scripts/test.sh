#!/usr/bin/env bash
# The test command (README's second set-up command; .ci/run calls it too). Builds the release
# binaries and checks they are standalone, then runs every test: unit tests, and, as root, the
# tests that load BPF and run the tools against workloads they make. Without root the BPF tests
# are skipped, unless BPF_TESTS_REQUIRED=1 (set by .ci/run), which makes them fail instead.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
scripts/check-standalone.sh
swift build --build-tests
swift test --skip-build

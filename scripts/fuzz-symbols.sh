#!/usr/bin/env bash
# Fuzzes the symbol readers profile runs on files any user can plant (ELF files behind
# processes, /tmp/perf-PID.map, /proc/kallsyms) with libFuzzer and AddressSanitizer, for
# FUZZ_SECONDS (default 60), starting from the corpus in Tests/Fuzz/corpus. Inputs that crash
# are kept in Tests/Fuzz/crashes and replayed first on every run (commit them: they are the
# regression cases). Exit 0 when nothing crashed.
#   scripts/fuzz-symbols.sh            # 60 s
#   FUZZ_SECONDS=600 scripts/fuzz-symbols.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swiftc >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
core=Sources/LoaderCore
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name SymbolFuzz -I Sources/CLibbpf \
  $core/Symbols/*.swift $core/Runtime/UntrustedFile.swift $core/Runtime/LittleEndian.swift \
  $core/Runtime/Files.swift $core/Runtime/Signals.swift $core/BPF/BPFError.swift $core/BPF/LibbpfLog.swift \
  $core/Output/TerminalText.swift $core/Output/OutputSink.swift Tests/Fuzz/SymbolFuzz.swift \
  -lbpf -lelf -lz -o "$work/symbol-fuzz"
mkdir -p Tests/Fuzz/corpus Tests/Fuzz/crashes "$work/corpus"
# seeds: the head of a real ELF file, a perf map, kallsyms lines
if [ -z "$(ls -A Tests/Fuzz/corpus)" ]; then
  { printf '\0'; head -c 8192 /bin/true; } > Tests/Fuzz/corpus/elf-true
  printf '\0017f0000001000 20 jitted_a\r\n0x7f0000002000 0x10 jitted b\n' > Tests/Fuzz/corpus/perfmap
  printf '\002ffffffff81000000 T _stext\nffffffffc0a01000 t ext4_fill_super\t[ext4]\n' > Tests/Fuzz/corpus/kallsyms
fi
if [ -n "$(ls -A Tests/Fuzz/crashes)" ]; then
  "$work/symbol-fuzz" Tests/Fuzz/crashes/*   # the regression cases: must all pass
fi
cp Tests/Fuzz/corpus/* "$work/corpus/"
"$work/symbol-fuzz" -max_total_time="${FUZZ_SECONDS:-60}" -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix=Tests/Fuzz/crashes/ "$work/corpus"

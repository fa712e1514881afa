# kernel matrix: three seconds of samples of a process burning CPU in a known call chain; it
# burns for 30 s (killed after): profile names its frames at the end, so it must still run then,
# however slowly the emulated guest starts the tool. Then a chain through glibc's qsort, built
# without frame pointers, unwound with CFI (--unwind dwarf).
workloads hot 30 &
profile_hot=$!
start profile 0 profile -v -f -p $profile_hot 3
wait_exit profile
kill $profile_hot 2>/dev/null
workloads sort 30 &
profile_sort=$!
start profile_cfi 0 profile -v -f -U --unwind dwarf -p $profile_sort 3
wait_exit profile_cfi
kill $profile_sort 2>/dev/null

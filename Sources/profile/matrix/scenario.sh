# kernel matrix: three seconds of samples of a process burning CPU in a known call chain
workloads hot 5 &
profile_hot=$!
start profile 0 profile -v -f -p $profile_hot 3
wait_exit profile
kill $profile_hot 2>/dev/null

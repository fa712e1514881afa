# kernel matrix: a shell exiting with 3 and a sleep killed by SIGKILL
start exitsnoop 1 exitsnoop -v
sh -c 'exit 3'
sleep 10 &
kill -9 $!
wait $! 2>/dev/null
finish exitsnoop

# kernel matrix: a shell exiting with 3, and a sleep killed by SIGKILL once it runs (killed
# sooner, the forked shell dies before it becomes sleep, and the row names the shell)
start exitsnoop 1 exitsnoop -v
sh -c 'exit 3'
sleep 10 &
victim=$!
sleep 0.3
kill -9 $victim
wait $victim 2>/dev/null
finish exitsnoop

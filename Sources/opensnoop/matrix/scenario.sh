# kernel matrix: cat opening the probe file
start opensnoop 1 opensnoop -v
cat /etc/matrix-open-probe > /dev/null
finish opensnoop

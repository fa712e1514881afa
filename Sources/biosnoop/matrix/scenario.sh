# kernel matrix: 50 O_DIRECT reads of the NVMe disk, sectors 0, 8, ... in order
start biosnoop 1 biosnoop -v -d nvme0n1
workloads diskio /dev/nvme0n1 50
finish biosnoop

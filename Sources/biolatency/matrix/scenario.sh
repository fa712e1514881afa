# kernel matrix: 200 O_DIRECT reads of the NVMe disk
start biolatency 1 biolatency -v -e -d nvme0n1
workloads diskio /dev/nvme0n1 200
finish biolatency

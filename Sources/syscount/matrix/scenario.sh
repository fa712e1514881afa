# kernel matrix: busybox dd copying 2,000 bytes one at a time (2,000 reads and 2,000 writes),
# counted with their time (-L: the entry program too)
start syscount 1 syscount -L -v
dd if=/dev/zero of=/dev/null bs=1 count=2000 2>/dev/null
finish syscount

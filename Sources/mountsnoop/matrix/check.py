"""kernel matrix: mountsnoop's rows for a tmpfs mounted and unmounted, a failed mount, and the
new mount API's calls."""
import re


def check(guest):
    out = guest.rows("mountsnoop")
    guest.expect(out[:1] == ["COMM             PID     TID     MNT_NS      CALL"], f"header: {out[:1]}")
    calls = [m[1] for m in (re.fullmatch(r"\S+ +\d+ +\d+ +\d+ +(.*)", l) for l in out[1:]) if m]
    for call in (r'mount\("matrixsrc", "/tmp/mnt-matrix", "tmpfs", (0x0|MS_SILENT), ""\) = 0',
                 r'umount\("/tmp/mnt-matrix", 0x0\) = 0',
                 r'mount\("none", "/tmp/no-such-dir", "tmpfs", (0x0|MS_SILENT), ""\) = -ENOENT',
                 r'fsopen\("tmpfs", 0x0\) = (\d+)',
                 r'fsconfig\(\d+, FSCONFIG_SET_STRING, "size", "1m", 0\) = 0',
                 r'fsconfig\(\d+, FSCONFIG_CMD_CREATE, "", "", 0\) = 0',
                 r'fsmount\(\d+, 0x0, MOUNT_ATTR_RDONLY\) = \d+',
                 r'move_mount\(\d+, "", AT_FDCWD, "/tmp/mnt-matrix", MOVE_MOUNT_F_EMPTY_PATH\) = 0'):
        guest.expect(any(re.fullmatch(call, c) for c in calls), f"no row for {call}: {out}")

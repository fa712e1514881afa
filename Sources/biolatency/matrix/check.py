"""kernel matrix: biolatency counts the 200 O_DIRECT reads, one request each."""


def check(guest):
    out = guest.rows("biolatency")
    guest.expect(out[:1] == ["Tracing block device I/O... Hit Ctrl-C to end."], f"banner: {out[:1]}")
    total = guest.histogram_total(out)
    guest.expect(total == 200, f"histogram total {total}, not 200: {out}")
    guest.expect(any(l.endswith("count: 200") for l in out), "no -e line with count: 200")
    # checked against the kernel's /proc/diskstats: every I/O is in the histogram, none is said missing
    err = guest.section("biolatency")[1]
    guest.expect("missing from the histograms" not in err, f"said missing: {err}")

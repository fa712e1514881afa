import BPFEvents

func execsnoop_cfg_sample() -> execsnoop_cfg { execsnoop_cfg() }
func opensnoop_cfg_sample() -> opensnoop_cfg { opensnoop_cfg() }

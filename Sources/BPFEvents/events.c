// The layouts are checked by _Static_assert in the headers when this file is compiled.
#include "bpf_tools_common.h"
#include "execsnoop.h"
#include "opensnoop.h"
#include "biolatency.h"
#include "profile.h"
#include "tcp_common.h"
#include "tcpconnect.h"

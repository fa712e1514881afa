import LoaderCore
import biolatency
import biosnoop
import dbslower
import dbstat
import execsnoop
import exitsnoop
import killsnoop
import mountsnoop
import offcputime
import oomkill
import syscount
import opensnoop
import profile
import runqlat
import tcpconnect
import tcplife
import tcpretrans
import tcpstates

/// Every tool, in the order the manifest and README list them. A new tool is one line here
/// (and one in Package.swift's `tools`).
public enum Registry {
    public static let tools: [any BPFTool.Type] = [
        ExecSnoop.self,
        OpenSnoop.self,
        BioLatency.self,
        Profile.self,
        TCPConnect.self,
        TCPLife.self,
        TCPRetrans.self,
        TCPStates.self,
        BioSnoop.self,
        RunqLat.self,
        KillSnoop.self,
        ExitSnoop.self,
        MountSnoop.self,
        OOMKill.self,
        SysCount.self,
        OffCPUTime.self,
        DBSlower.self,
        DBStat.self,
    ]

    public static func tool(named name: String) -> (any BPFTool.Type)? {
        tools.first { $0.toolName == name }
    }
}

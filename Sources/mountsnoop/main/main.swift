import LoaderCore
import mountsnoop

ToolMain.run(MountSnoop.self)

import LoaderCore
import killsnoop

ToolMain.run(KillSnoop.self)

import LoaderCore
import exitsnoop

ToolMain.run(ExitSnoop.self)

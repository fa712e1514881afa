import LoaderCore
import execsnoop

ToolMain.run(ExecSnoop.self)

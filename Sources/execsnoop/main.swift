import LoaderCore

ToolMain.run(ExecSnoop.self)

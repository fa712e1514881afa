import LoaderCore

ToolMain.run(TCPLife.self)

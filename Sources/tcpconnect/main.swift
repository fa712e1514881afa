import LoaderCore

ToolMain.run(TCPConnect.self)

import LoaderCore

ToolMain.run(TCPRetrans.self)

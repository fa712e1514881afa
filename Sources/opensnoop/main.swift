import LoaderCore

ToolMain.run(OpenSnoop.self)

import LoaderCore

ToolMain.run(Profile.self)

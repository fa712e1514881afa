import LoaderCore

ToolMain.run(BioLatency.self)

import LoaderCore
import runqlat

ToolMain.run(RunqLat.self)

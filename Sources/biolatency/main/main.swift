import LoaderCore
import biolatency

ToolMain.run(BioLatency.self)

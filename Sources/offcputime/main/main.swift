import LoaderCore
import offcputime

ToolMain.run(OffCPUTime.self)

import LoaderCore
import syscount

ToolMain.run(SysCount.self)

import LoaderCore
import opensnoop

ToolMain.run(OpenSnoop.self)

import LoaderCore
import oomkill

ToolMain.run(OOMKill.self)

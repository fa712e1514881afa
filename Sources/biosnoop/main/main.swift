import LoaderCore
import biosnoop

ToolMain.run(BioSnoop.self)

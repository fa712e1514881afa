import LoaderCore
import tcpstates

ToolMain.run(TCPStates.self)

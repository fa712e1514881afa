import LoaderCore
import tcplife

ToolMain.run(TCPLife.self)

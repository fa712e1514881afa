import LoaderCore
import tcpconnect

ToolMain.run(TCPConnect.self)

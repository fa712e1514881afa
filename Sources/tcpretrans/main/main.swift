import LoaderCore
import tcpretrans

ToolMain.run(TCPRetrans.self)

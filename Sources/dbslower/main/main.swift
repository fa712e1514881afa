import LoaderCore
import dbslower

ToolMain.run(DBSlower.self)

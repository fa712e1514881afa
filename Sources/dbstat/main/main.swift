import LoaderCore
import dbstat

ToolMain.run(DBStat.self)

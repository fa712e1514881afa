import LoaderCore
import profile

ToolMain.run(Profile.self)

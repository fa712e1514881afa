import ToolRegistry

// Every tool in one binary: installed once, with a link per tool.
MultiCall.run()

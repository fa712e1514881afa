/* SwiftPM builds a C target from at least one source file: this is it. The headers in include/
 * are the module (SwiftPM makes the directory its umbrella), so each is compiled, with its
 * _Static_assert layout checks, whenever Swift imports BPFEvents, and again in its tool's BPF
 * program: a new tool's header needs no line here. */

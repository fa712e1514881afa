/* elfutils' libdwfl (libdw-dev): profile unwinds user stacks with the binaries' CFI through it.
 * Linked statically, libdw brings libelf, zlib, liblzma and libbz2 (compressed sections). */
#ifndef CLIBDW_SHIM_H
#define CLIBDW_SHIM_H

#include <elfutils/libdwfl.h>
#include <dwarf.h>

#endif

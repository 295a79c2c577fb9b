# Writes a stub C file that defines every function listed in the version
# script MAP (lines "    name;"), for a stub libnrt.so.1 with the same
# version nodes. Usage: cmake -DMAP=... -DOUT=... -P gen_stub.cmake
file(STRINGS ${MAP} lines REGEX "^    [a-z_0-9]+;$")
set(src "/* generated from ${MAP}: one empty definition per export */\n")
foreach(l ${lines})
  string(STRIP "${l}" l)
  string(REPLACE ";" "" name "${l}")
  string(APPEND src "void ${name}(void);\nvoid ${name}(void) {}\n")
endforeach()
file(WRITE ${OUT} "${src}")

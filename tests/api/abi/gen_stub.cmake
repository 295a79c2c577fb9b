# Writes a stub C file that defines every function listed in the version
# script MAP (lines "    name;"), for a stub libnrt.so.1 with the same
# version nodes. A name listed in both NRT_2.0.0 and NRT_3.0.0 gets two
# definitions, bound to name@NRT_2.0.0 and name@@NRT_3.0.0, as the real
# library keeps both variants. Usage: cmake -DMAP=... -DOUT=... -P gen_stub.cmake
file(READ ${MAP} map)
string(FIND "${map}" "NRT_3.0.0 {" at3)
string(SUBSTRING "${map}" 0 ${at3} node2)
string(SUBSTRING "${map}" ${at3} -1 node3)
string(REGEX MATCHALL "\n    [a-z_0-9]+;" names2 "${node2}")
string(REGEX MATCHALL "\n    [a-z_0-9]+;" names3 "${node3}")
set(list2 "")
foreach(l ${names2})
  string(REGEX REPLACE "[\n ;]" "" n "${l}")
  list(APPEND list2 ${n})
endforeach()
set(list3 "")
foreach(l ${names3})
  string(REGEX REPLACE "[\n ;]" "" n "${l}")
  list(APPEND list3 ${n})
endforeach()
set(src "/* generated from ${MAP}: one empty definition per export */\n")
foreach(name ${list2})
  list(FIND list3 ${name} both)
  if(both EQUAL -1)
    string(APPEND src "void ${name}(void);\nvoid ${name}(void) {}\n")
  else()
    string(APPEND src "void stub2_${name}(void);\nvoid stub2_${name}(void) {}\n"
                      "__asm__(\".symver stub2_${name}, ${name}@NRT_2.0.0\");\n"
                      "void stub3_${name}(void);\nvoid stub3_${name}(void) {}\n"
                      "__asm__(\".symver stub3_${name}, ${name}@@NRT_3.0.0\");\n")
  endif()
endforeach()
foreach(name ${list3})
  list(FIND list2 ${name} both)
  if(both EQUAL -1)
    string(APPEND src "void ${name}(void);\nvoid ${name}(void) {}\n")
  endif()
endforeach()
file(WRITE ${OUT} "${src}")

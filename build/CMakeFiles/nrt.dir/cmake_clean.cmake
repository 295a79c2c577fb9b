file(REMOVE_RECURSE
  "libnrt.pdb"
  "libnrt.so"
  "libnrt.so.1"
  "libnrt.so.1.0.0"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/nrt.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

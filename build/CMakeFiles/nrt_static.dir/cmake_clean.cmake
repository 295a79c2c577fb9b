file(REMOVE_RECURSE
  "libnrt_static.a"
  "libnrt_static.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/nrt_static.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

file(REMOVE_RECURSE
  "CMakeFiles/nrt_obj.dir/src/coll/coll_stub.c.o"
  "CMakeFiles/nrt_obj.dir/src/coll/coll_stub.c.o.d"
  "CMakeFiles/nrt_obj.dir/src/common/log.c.o"
  "CMakeFiles/nrt_obj.dir/src/common/log.c.o.d"
  "CMakeFiles/nrt_obj.dir/src/core/runtime.c.o"
  "CMakeFiles/nrt_obj.dir/src/core/runtime.c.o.d"
  "CMakeFiles/nrt_obj.dir/src/model/model.c.o"
  "CMakeFiles/nrt_obj.dir/src/model/model.c.o.d"
  "CMakeFiles/nrt_obj.dir/src/model/model_check.c.o"
  "CMakeFiles/nrt_obj.dir/src/model/model_check.c.o.d"
  "CMakeFiles/nrt_obj.dir/src/tensor/tensor.c.o"
  "CMakeFiles/nrt_obj.dir/src/tensor/tensor.c.o.d"
  "CMakeFiles/nrt_obj.dir/src/xu/async.c.o"
  "CMakeFiles/nrt_obj.dir/src/xu/async.c.o.d"
  "CMakeFiles/nrt_obj.dir/src/xu/fault.c.o"
  "CMakeFiles/nrt_obj.dir/src/xu/fault.c.o.d"
  "CMakeFiles/nrt_obj.dir/src/xu/queue.c.o"
  "CMakeFiles/nrt_obj.dir/src/xu/queue.c.o.d"
  "CMakeFiles/nrt_obj.dir/src/xu/trace.c.o"
  "CMakeFiles/nrt_obj.dir/src/xu/trace.c.o.d"
  "CMakeFiles/nrt_obj.dir/src/xu/tracker.c.o"
  "CMakeFiles/nrt_obj.dir/src/xu/tracker.c.o.d"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/nrt_obj.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()


# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/coll/coll_stub.c" "CMakeFiles/nrt_obj.dir/src/coll/coll_stub.c.o" "gcc" "CMakeFiles/nrt_obj.dir/src/coll/coll_stub.c.o.d"
  "/work/main/src/common/log.c" "CMakeFiles/nrt_obj.dir/src/common/log.c.o" "gcc" "CMakeFiles/nrt_obj.dir/src/common/log.c.o.d"
  "/work/main/src/core/runtime.c" "CMakeFiles/nrt_obj.dir/src/core/runtime.c.o" "gcc" "CMakeFiles/nrt_obj.dir/src/core/runtime.c.o.d"
  "/work/main/src/model/model.c" "CMakeFiles/nrt_obj.dir/src/model/model.c.o" "gcc" "CMakeFiles/nrt_obj.dir/src/model/model.c.o.d"
  "/work/main/src/model/model_check.c" "CMakeFiles/nrt_obj.dir/src/model/model_check.c.o" "gcc" "CMakeFiles/nrt_obj.dir/src/model/model_check.c.o.d"
  "/work/main/src/tensor/tensor.c" "CMakeFiles/nrt_obj.dir/src/tensor/tensor.c.o" "gcc" "CMakeFiles/nrt_obj.dir/src/tensor/tensor.c.o.d"
  "/work/main/src/xu/async.c" "CMakeFiles/nrt_obj.dir/src/xu/async.c.o" "gcc" "CMakeFiles/nrt_obj.dir/src/xu/async.c.o.d"
  "/work/main/src/xu/fault.c" "CMakeFiles/nrt_obj.dir/src/xu/fault.c.o" "gcc" "CMakeFiles/nrt_obj.dir/src/xu/fault.c.o.d"
  "/work/main/src/xu/queue.c" "CMakeFiles/nrt_obj.dir/src/xu/queue.c.o" "gcc" "CMakeFiles/nrt_obj.dir/src/xu/queue.c.o.d"
  "/work/main/src/xu/trace.c" "CMakeFiles/nrt_obj.dir/src/xu/trace.c.o" "gcc" "CMakeFiles/nrt_obj.dir/src/xu/trace.c.o.d"
  "/work/main/src/xu/tracker.c" "CMakeFiles/nrt_obj.dir/src/xu/tracker.c.o" "gcc" "CMakeFiles/nrt_obj.dir/src/xu/tracker.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")

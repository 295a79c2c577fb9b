# CMake generated Testfile for 
# Source directory: /work/main/tests
# Build directory: /work/main/build/tests
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test(api_smoke "/work/main/build/tests/api_smoke")
set_tests_properties(api_smoke PROPERTIES  ENVIRONMENT "NRT_MODEL_DIR=/work/main/build/models;NEURON_RT_NUM_CORES=2" LABELS "api" SKIP_RETURN_CODE "77" TIMEOUT "120" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;23;add_test;/work/main/tests/CMakeLists.txt;29;nrt_test;/work/main/tests/CMakeLists.txt;0;")

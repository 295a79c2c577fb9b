# What `cmake --install` puts under the prefix, and the Debian package
# (cpack -G DEB). Included at the end of the top-level CMakeLists.txt.
#
#   lib/libnrt.so.1.0.0, libnrt.so.1 (soname), libnrt.so   the library
#   include/nrt/*.h, include/ndl/*.h                         public headers
#   lib/pkgconfig/nrt.pc                                     pkg-config --cflags --libs nrt
#   lib/cmake/OpenNRT/                                       find_package(OpenNRT) -> OpenNRT::nrt
#   lib/opennrt/models/*.so                                  example models (NRT_BUILD_MODELS)
#   bin/nrt-ls, nrt-bench, nrt-cc-test, nrt-trace-plot       tools (NRT_BUILD_TOOLS)
#   share/man/man1, man3                                     man pages (cmake/NrtMan.cmake)
#
# lib is CMAKE_INSTALL_LIBDIR (GNUInstallDirs; lib for /opt/aws/neuron).

include(CMakePackageConfigHelpers)

install(TARGETS nrt EXPORT OpenNRTTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")

# pkg-config: written at install time, so that its prefix is the one installed
# to (cmake --install --prefix P, or the package's /usr), not the configured one.
foreach(d LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${d}}")
    set(NRT_PC_${d} "${CMAKE_INSTALL_${d}}")
  else()
    set(NRT_PC_${d} "\${prefix}/${CMAKE_INSTALL_${d}}")
  endif()
endforeach()
if(IS_ABSOLUTE "${NRT_INSTALL_MODELDIR}")
  set(NRT_PC_MODELDIR "${NRT_INSTALL_MODELDIR}")
else()
  set(NRT_PC_MODELDIR "\${prefix}/${NRT_INSTALL_MODELDIR}")
endif()
set(NRT_PC_PREFIX "%NRT_PC_PREFIX%")
configure_file(cmake/nrt.pc.in ${CMAKE_CURRENT_BINARY_DIR}/nrt.pc.template @ONLY)
install(CODE "
  file(READ \"${CMAKE_CURRENT_BINARY_DIR}/nrt.pc.template\" _nrt_pc)
  string(REPLACE \"%NRT_PC_PREFIX%\" \"\${CMAKE_INSTALL_PREFIX}\" _nrt_pc \"\${_nrt_pc}\")
  file(WRITE \"${CMAKE_CURRENT_BINARY_DIR}/pc/nrt.pc\" \"\${_nrt_pc}\")
")
set(_nrt_pcdir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/pc/nrt.pc DESTINATION ${_nrt_pcdir})

# The CMake package: targets (relocatable), config and version files.
set(_nrt_cmakedir ${CMAKE_INSTALL_LIBDIR}/cmake/OpenNRT)
install(EXPORT OpenNRTTargets NAMESPACE OpenNRT:: DESTINATION ${_nrt_cmakedir})
configure_package_config_file(cmake/OpenNRTConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/OpenNRTConfig.cmake
                              INSTALL_DESTINATION ${_nrt_cmakedir}
                              PATH_VARS CMAKE_INSTALL_INCLUDEDIR NRT_INSTALL_MODELDIR)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/OpenNRTConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/OpenNRTConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/OpenNRTConfigVersion.cmake
        DESTINATION ${_nrt_cmakedir})

include(${CMAKE_CURRENT_LIST_DIR}/NrtMan.cmake)

# The Debian package: everything above, installed under /usr.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME opennrt)
set(CPACK_PACKAGE_VENDOR OpenNRT)
set(CPACK_PACKAGE_CONTACT "OpenNRT maintainers <opennrt@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "open implementation of the AWS Neuron Runtime C API (libnrt.so.1) on plain Linux")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
include(CPack)

# `cmake --install build --prefix P` puts everything an application needs under P:
#   lib/libordo.so* (or libordo.a)   include/ordo/*.h (the public headers only)
#   bin/ordo                         share/ordo/models/ (the bundled models, found by bin/ordo)
#   lib/cmake/ordo/                  find_package(ordo CONFIG) -> target ordo::ordo
#   lib/pkgconfig/ordo.pc            pkg-config --cflags --libs ordo
# Every path in the package files is relative to where they are installed, so a prefix can be
# moved or copied elsewhere as a whole.
include(CMakePackageConfigHelpers)

set(ORDO_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/ordo)
set(ORDO_INSTALL_MODELSDIR ${CMAKE_INSTALL_DATADIR}/ordo/models)

install(TARGETS ordo EXPORT ordoTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY api/include/ordo engine/include/ordo DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/include/ordo/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ordo)
install(TARGETS ordo_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY models/ordo-sinusoidal models/ordo-learned models/ordo-rotary models/ordo-none
                  models/ordo-alibi models/ordo-relative-bias
        DESTINATION ${ORDO_INSTALL_MODELSDIR})
install(FILES models/heldout.txt models/README.md DESTINATION ${ORDO_INSTALL_MODELSDIR})

install(EXPORT ordoTargets NAMESPACE ordo:: DESTINATION ${ORDO_INSTALL_CMAKEDIR})
# A static libordo.a leaves oneDNN, OpenMP, SentencePiece and ICU to the application's link, so the
# package config finds them; a shared libordo carries them itself.
if(BUILD_SHARED_LIBS)
  set(ORDO_STATIC_LIBRARY OFF)
else()
  set(ORDO_STATIC_LIBRARY ON)
endif()
configure_package_config_file(cmake/ordoConfig.cmake.in
  ${PROJECT_BINARY_DIR}/ordoConfig.cmake
  INSTALL_DESTINATION ${ORDO_INSTALL_CMAKEDIR}
  PATH_VARS ORDO_INSTALL_MODELSDIR)
# Before 1.0 a minor release may break the API (CHANGELOG.md): only the same minor version
# satisfies a request. From 1.0 on, the same major version.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(ORDO_COMPATIBILITY SameMinorVersion)
else()
  set(ORDO_COMPATIBILITY SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ordoConfigVersion.cmake
  COMPATIBILITY ${ORDO_COMPATIBILITY})
install(FILES ${PROJECT_BINARY_DIR}/ordoConfig.cmake ${PROJECT_BINARY_DIR}/ordoConfigVersion.cmake
  DESTINATION ${ORDO_INSTALL_CMAKEDIR})

file(RELATIVE_PATH ORDO_PC_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" ORDO_PC_PREFIX "${ORDO_PC_PREFIX}")
set(ORDO_PC_LINK_FLAGS "")
if(BUILD_SHARED_LIBS)
  # The program a user links with these flags must find libordo.so when it runs, wherever the
  # prefix is ($HOME/.local is not on the loader's path): the rpath makes the documented
  # one-line build work as written, without LD_LIBRARY_PATH.
  string(APPEND ORDO_PC_LINK_FLAGS " -Wl,-rpath,\${libdir}")
endif()
if(ORDO_SANITIZE)
  string(APPEND ORDO_PC_LINK_FLAGS " -fsanitize=${ORDO_SANITIZE}")  # as ordo::ordo's link options
endif()
configure_file(cmake/ordo.pc.in ${PROJECT_BINARY_DIR}/ordo.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/ordo.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

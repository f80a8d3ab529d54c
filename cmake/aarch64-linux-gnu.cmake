# Cross-compiles ordo for 64-bit ARM: Debian's aarch64-linux-gnu-g++ against a Debian arm64 tree
# holding ordo's -dev packages (ORDO_SYSROOT; tools/test-aarch64.sh unpacks one), with the tests
# and the CLI run under qemu-user.
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DORDO_SYSROOT=/path/to/arm64-tree -DORDO_PYTHON=OFF
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ORDO_SYSROOT)  # try_compile re-reads this file
if(NOT ORDO_SYSROOT OR NOT EXISTS "${ORDO_SYSROOT}/usr/include/oneapi/dnnl/dnnl.hpp")
  message(FATAL_ERROR "ORDO_SYSROOT='${ORDO_SYSROOT}' is not a Debian arm64 tree with libdnnl-dev: "
                      "tools/test-aarch64.sh makes one")
endif()
set(CMAKE_SYSROOT "${ORDO_SYSROOT}")
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH "${ORDO_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${ORDO_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR}
    "${ORDO_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${ORDO_SYSROOT}/usr/share/pkgconfig")
# CTest runs every test binary through this; tests/CMakeLists.txt wraps the CLI in it too.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L "${ORDO_SYSROOT}")

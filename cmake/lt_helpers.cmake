# Shared build settings for every target of the project.
function(lt_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
  # GCC 12 reports false -Wrestrict positives inside libstdc++ string code (GCC bug 105329).
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(LT_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# lt_add_library(<module> SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
# Builds static library lt_<module> with alias lt::<module>; headers are included as
# "<module>/<file>.hpp" from src/.
function(lt_add_library module)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(lt_${module} STATIC ${ARG_SOURCES})
  add_library(lt::${module} ALIAS lt_${module})
  target_include_directories(lt_${module} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(lt_${module} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  lt_target_defaults(lt_${module})
endfunction()

# lt_add_test(<name> SOURCES ... DEPS ... [LABELS unit|integration|browser])
# One gtest binary per module, registered with CTest under its label.
function(lt_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main Threads::Threads)
  lt_target_defaults(${name})
  add_test(NAME ${name} COMMAND ${name})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "LT_BUILD_DIR=${PROJECT_BINARY_DIR};LT_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

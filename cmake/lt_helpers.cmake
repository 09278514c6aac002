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
  if(LT_FUZZ)
    # Coverage for libFuzzer; the fuzz targets themselves add -fsanitize=fuzzer.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address,undefined
                           -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# lt_add_library(<name> SOURCES ... [HEADERS ...] [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
# Builds static library lt_<name> with alias lt::<name> from the sources of the current
# folder. Its headers (HEADERS, default: every *.hpp of the folder) are included as
# "<folder under src>/<file>.hpp". A library exports only its own headers: each is linked
# into <build>/include/<name>/, the library's only include folder, so including a header of
# a module one does not link fails to compile (layering is checked by the build).
function(lt_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;HEADERS;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  if(NOT ARG_HEADERS)
    file(GLOB ARG_HEADERS CONFIGURE_DEPENDS RELATIVE ${CMAKE_CURRENT_SOURCE_DIR}
         ${CMAKE_CURRENT_SOURCE_DIR}/*.hpp)
  endif()
  file(RELATIVE_PATH folder ${PROJECT_SOURCE_DIR}/src ${CMAKE_CURRENT_SOURCE_DIR})
  set(root ${PROJECT_BINARY_DIR}/include/${name})
  file(REMOVE_RECURSE ${root}) # drops links to headers that moved away
  foreach(header IN LISTS ARG_HEADERS)
    if(NOT EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${header})
      message(FATAL_ERROR "lt_add_library(${name}): no header ${header} in ${folder}")
    endif()
    get_filename_component(dir ${root}/${folder}/${header} DIRECTORY)
    file(MAKE_DIRECTORY ${dir})
    file(CREATE_LINK ${CMAKE_CURRENT_SOURCE_DIR}/${header} ${root}/${folder}/${header} SYMBOLIC)
  endforeach()
  add_library(lt_${name} STATIC ${ARG_SOURCES})
  add_library(lt::${name} ALIAS lt_${name})
  target_include_directories(lt_${name} PUBLIC ${root})
  target_link_libraries(lt_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  lt_target_defaults(lt_${name})
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
  # 77: skipped on purpose (tests/missing_dependency.hpp), shown as Skipped rather than Passed.
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT} SKIP_RETURN_CODE 77
    ENVIRONMENT "LT_BUILD_DIR=${PROJECT_BINARY_DIR};LT_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

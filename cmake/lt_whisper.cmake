# whisper.cpp 1.9.1 as a subproject, from the source scripts/fetch_whisper.sh unpacks (Debian 12
# has no package). Exposes the target `whisper`; LT_WHISPER_BUILT tells src/stt/whisper whether
# the engine can load models. Only what our code links is built (EXCLUDE_FROM_ALL): libwhisper
# and ggml for the CPU, no OpenMP (our threads are our own), no BLAS, tuned for this machine.
option(LT_WHISPER "Build the whisper.cpp speech engine (source from scripts/setup.sh)" ON)
set(LT_WHISPER_SOURCE_DIR ${PROJECT_SOURCE_DIR}/third_party/whisper.cpp
    CACHE PATH "whisper.cpp 1.9.1 source tree (scripts/fetch_whisper.sh puts it here)")
set(LT_WHISPER_BUILT OFF)
if(LT_WHISPER)
  if(NOT EXISTS ${LT_WHISPER_SOURCE_DIR}/CMakeLists.txt)
    message(FATAL_ERROR "LT_WHISPER is ON but there is no whisper.cpp source in "
      "${LT_WHISPER_SOURCE_DIR}: run scripts/setup.sh (or scripts/fetch_whisper.sh) to fetch "
      "it, or configure with -DLT_WHISPER=OFF to build without the whisper engine")
  endif()
  set(BUILD_SHARED_LIBS OFF CACHE BOOL "" FORCE)
  set(WHISPER_BUILD_TESTS OFF CACHE BOOL "" FORCE)
  set(WHISPER_BUILD_EXAMPLES OFF CACHE BOOL "" FORCE)
  set(WHISPER_BUILD_SERVER OFF CACHE BOOL "" FORCE)
  set(WHISPER_ALL_WARNINGS OFF CACHE BOOL "" FORCE) # their warnings are theirs, not ours
  set(GGML_ALL_WARNINGS OFF CACHE BOOL "" FORCE)
  set(GGML_OPENMP OFF CACHE BOOL "" FORCE)
  set(GGML_BLAS OFF CACHE BOOL "" FORCE)
  set(GGML_NATIVE ON CACHE BOOL "" FORCE)
  # SYSTEM: their headers do not raise our warnings (-Wshadow) in the code that includes them.
  add_subdirectory(${LT_WHISPER_SOURCE_DIR} ${PROJECT_BINARY_DIR}/whisper.cpp EXCLUDE_FROM_ALL SYSTEM)
  set(LT_WHISPER_BUILT ON)
endif()

# Helpers shared by every quant target.
#
# Everything links the shared libMLIR.so / libLLVM.so that Debian ships rather
# than the static archives: links stay fast, and quant-opt shares one copy of
# MLIR with plugins loaded through --load-pass-plugin/--load-dialect-plugin.

# quant_add_library(name SOURCES... [DEPENDS ...] [LINK_LIBS ...])
function(quant_add_library name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;LINK_LIBS" ${ARGN})
  add_library(${name} STATIC ${ARG_UNPARSED_ARGUMENTS})
  llvm_update_compile_flags(${name})
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
  add_dependencies(${name} mlir-headers)
  target_link_libraries(${name} PUBLIC ${ARG_LINK_LIBS} MLIR LLVM)
endfunction()

# quant_add_unittest(name SOURCES... LINK_LIBS ...): a gtest binary run by ctest.
function(quant_add_unittest name)
  cmake_parse_arguments(ARG "" "" "LINK_LIBS" ${ARGN})
  add_executable(${name} ${ARG_UNPARSED_ARGUMENTS})
  llvm_update_compile_flags(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LINK_LIBS} GTest::gtest GTest::gtest_main)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                                           ${CMAKE_BINARY_DIR}/unittests)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60)
  add_dependencies(quant-unittests ${name})
endfunction()

// Through --qnt-cpu-pipeline the intermediate buffers of a function share
// one workspace: the two matmul results consumed inside the function come
// from one malloc (freed before the return); the returned result keeps its
// own. Without quant-merge-allocations there would be three mallocs and
// two frees.
// RUN: quant-opt %s --qnt-cpu-pipeline | FileCheck %s

// CHECK-LABEL: llvm.func @pipeline
// CHECK-COUNT-2: llvm.call @malloc
// CHECK-NOT: llvm.call @malloc
// CHECK-COUNT-1: llvm.call @free
// CHECK-NOT: llvm.call @free
// CHECK: llvm.return
func.func @pipeline(%a: tensor<8x8xf32>, %b: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %m1 = linalg.matmul ins(%a, %b : tensor<8x8xf32>, tensor<8x8xf32>) outs(%f : tensor<8x8xf32>) -> tensor<8x8xf32>
  %m2 = linalg.matmul ins(%m1, %b : tensor<8x8xf32>, tensor<8x8xf32>) outs(%f : tensor<8x8xf32>) -> tensor<8x8xf32>
  %m3 = linalg.matmul ins(%m2, %a : tensor<8x8xf32>, tensor<8x8xf32>) outs(%f : tensor<8x8xf32>) -> tensor<8x8xf32>
  return %m3 : tensor<8x8xf32>
}

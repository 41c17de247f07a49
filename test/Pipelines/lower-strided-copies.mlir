// quant-lower-strided-copies: a copy into a strided view (the interior of a
// padded buffer) becomes linalg.copy; a contiguous copy stays memref.copy
// (llvm.memcpy later). Through the CPU pipeline no memrefCopy call is left.
// RUN: quant-opt %s --pass-pipeline='builtin.module(func.func(quant-lower-strided-copies))' | FileCheck %s
// RUN: quant-opt %s --qnt-cpu-pipeline | FileCheck %s --check-prefix=LLVM

// CHECK-LABEL: func.func @pad_interior
// CHECK: %[[VIEW:.*]] = memref.subview
// CHECK: linalg.copy ins(%{{.*}} : memref<4x4xf32>) outs(%[[VIEW]] : memref<4x4xf32, strided<[6, 1], offset: 7>>)
// CHECK-NOT: memref.copy
// LLVM-NOT: memrefCopy
func.func @pad_interior(%src: memref<4x4xf32>, %dst: memref<6x6xf32>) {
  %view = memref.subview %dst[1, 1] [4, 4] [1, 1] : memref<6x6xf32> to memref<4x4xf32, strided<[6, 1], offset: 7>>
  memref.copy %src, %view : memref<4x4xf32> to memref<4x4xf32, strided<[6, 1], offset: 7>>
  return
}

// CHECK-LABEL: func.func @contiguous
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<4x4xf32> to memref<4x4xf32>
func.func @contiguous(%src: memref<4x4xf32>, %dst: memref<4x4xf32>) {
  memref.copy %src, %dst : memref<4x4xf32> to memref<4x4xf32>
  return
}

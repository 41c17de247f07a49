// quant-merge-allocations: the statically shaped buffers of the entry block
// that are freed there become views at 64-byte aligned offsets of one
// workspace, freed before the return; buffers that leave the function, have
// a dynamic shape or another way to be freed keep their own allocation.
// RUN: quant-opt %s --pass-pipeline='builtin.module(func.func(quant-merge-allocations))' | FileCheck %s
// Lowered to the LLVM dialect, one malloc and one free serve the buffers.
// RUN: quant-opt %s --pass-pipeline='builtin.module(func.func(quant-merge-allocations),convert-scf-to-cf,convert-to-llvm,reconcile-unrealized-casts)' | FileCheck %s --check-prefix=LLVM

// CHECK-LABEL: func.func @merged
// CHECK-SAME: (%[[IN:.*]]: memref<16xf32>, %[[OUT:.*]]: memref<16xf32>)
// CHECK: %[[WS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<320xi8>
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[A:.*]] = memref.view %[[WS]][%[[C0]]][] : memref<320xi8> to memref<4x5xf32>
// CHECK: %[[C128:.*]] = arith.constant 128 : index
// CHECK: %[[B:.*]] = memref.view %[[WS]][%[[C128]]][] : memref<320xi8> to memref<3xi8>
// CHECK: %[[C192:.*]] = arith.constant 192 : index
// CHECK: %[[C:.*]] = memref.view %[[WS]][%[[C192]]][] : memref<320xi8> to memref<16xf64>
// CHECK: memref.copy %[[IN]], %[[OUT]]
// CHECK-NOT: memref.dealloc %[[A]]
// CHECK-NOT: memref.dealloc %[[B]]
// CHECK-NOT: memref.dealloc %[[C]]
// CHECK: memref.dealloc %[[WS]] : memref<320xi8>
// CHECK-NEXT: return
// LLVM-LABEL: llvm.func @merged
// LLVM-COUNT-1: llvm.call @malloc
// LLVM-NOT: llvm.call @malloc
// LLVM-COUNT-1: llvm.call @free
// LLVM-NOT: llvm.call @free
func.func @merged(%in: memref<16xf32>, %out: memref<16xf32>) {
  %a = memref.alloc() : memref<4x5xf32>
  %b = memref.alloc() {alignment = 64 : i64} : memref<3xi8>
  %c = memref.alloc() : memref<16xf64>
  %c0 = arith.constant 0 : index
  %f = arith.constant 1.0 : f32
  memref.store %f, %a[%c0, %c0] : memref<4x5xf32>
  memref.dealloc %a : memref<4x5xf32>
  memref.copy %in, %out : memref<16xf32> to memref<16xf32>
  memref.dealloc %c : memref<16xf64>
  memref.dealloc %b : memref<3xi8>
  return
}

// A returned buffer, a dynamic one, one freed in a branch, an index buffer
// (no byte size here) and one never freed stay; the two others merge.
// CHECK-LABEL: func.func @kept
// LLVM-LABEL: llvm.func @kept
// CHECK: %[[WS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<128xi8>
// CHECK: %[[RET:.*]] = memref.alloc() : memref<8xf32>
// CHECK: %[[DYN:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK: %[[COND:.*]] = memref.alloc() : memref<8xf32>
// CHECK: %[[IDX:.*]] = memref.alloc() : memref<8xindex>
// CHECK: %[[LEAK:.*]] = memref.alloc() : memref<8xf32>
// CHECK: memref.view %[[WS]]
// CHECK: memref.view %[[WS]]
// CHECK: scf.if
// CHECK-NEXT: memref.dealloc %[[COND]]
// CHECK: memref.dealloc %[[DYN]]
// CHECK: memref.dealloc %[[IDX]]
// CHECK: memref.dealloc %[[WS]]
// CHECK-NEXT: return %[[RET]]
func.func @kept(%n: index, %flag: i1) -> memref<8xf32> {
  %ret = memref.alloc() : memref<8xf32>
  %dyn = memref.alloc(%n) : memref<?xf32>
  %cond = memref.alloc() : memref<8xf32>
  %idx = memref.alloc() : memref<8xindex>
  %leak = memref.alloc() : memref<8xf32>
  %x = memref.alloc() : memref<8xf32>
  %y = memref.alloc() : memref<8xf32>
  scf.if %flag {
    memref.dealloc %cond : memref<8xf32>
  }
  memref.dealloc %dyn : memref<?xf32>
  memref.dealloc %idx : memref<8xindex>
  memref.dealloc %x : memref<8xf32>
  memref.dealloc %y : memref<8xf32>
  return %ret : memref<8xf32>
}

// One buffer is left alone: it is already one allocation.
// CHECK-LABEL: func.func @single
// CHECK: memref.alloc() : memref<8xf32>
// CHECK-NOT: memref.view
// CHECK: memref.dealloc
func.func @single() {
  %a = memref.alloc() : memref<8xf32>
  memref.dealloc %a : memref<8xf32>
  return
}

// RUN: not quant-opt %s --pass-pipeline='builtin.module(func.func(qnt-rotate-weights{max-block=3}))' 2>&1 | FileCheck %s
// CHECK: error: qnt-rotate-weights: max-block must be a power of two or 0, got 3
func.func @f(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  return %x : tensor<1x2xf32>
}

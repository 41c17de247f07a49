// quant-vectorize-linalg tiles the float linalg ops left outside the kernels
// into whole vectors and vectorizes them: an elementwise op by its innermost
// dimension (352 = 11 x 32: 32-wide tiles, never a partial tile), a
// row reduction in 256-wide steps (its accumulator carried as a vector), attention's batch_matmul in 4 x 64 blocks
// over 8-deep reduction steps with the accumulator hoisted into registers,
// and vector exp as a polynomial. Ops it cannot vectorize (2-D pooling)
// stay as they are.
// RUN: quant-opt %s --pass-pipeline='builtin.module(func.func(quant-vectorize-linalg{lanes=16}))' | FileCheck %s
// RUN: quant-opt %s --pass-pipeline='builtin.module(func.func(quant-vectorize-linalg{lanes=8}))' | FileCheck %s --check-prefix=AVX2
// Through the whole CPU pipeline: the polynomial's floor stays a vector
// intrinsic, and no scalar libm call is left.
// RUN: quant-opt %s --qnt-cpu-pipeline="features=+avx512f" | FileCheck %s --check-prefix=LLVM --implicit-check-not=floorf --implicit-check-not=expf
// RUN: not quant-opt %s --pass-pipeline='builtin.module(func.func(quant-vectorize-linalg{lanes=0}))' -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// CHECK-LABEL: func.func @silu
// CHECK: scf.for %{{.*}} = %c0 to %c352 step %c32
// CHECK: vector.transfer_read {{.*}} : tensor<8x352xf32>, vector<32xf32>
// CHECK-NOT: math.exp
// CHECK: vector.fma
// CHECK: vector.transfer_write {{.*}} : vector<32xf32>, tensor<8x352xf32>
// AVX2-LABEL: func.func @silu
// AVX2: vector.transfer_read {{.*}} : tensor<8x352xf32>, vector<32xf32>
func.func @silu(%x: tensor<8x352xf32>) -> tensor<8x352xf32> {
  %init = tensor.empty() : tensor<8x352xf32>
  %y = linalg.generic {indexing_maps = [#id, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x352xf32>) outs(%init : tensor<8x352xf32>) {
  ^bb0(%a: f32, %o: f32):
    %one = arith.constant 1.0 : f32
    %n = arith.negf %a : f32
    %e = math.exp %n : f32
    %d = arith.addf %e, %one : f32
    %s = arith.divf %a, %d : f32
    linalg.yield %s : f32
  } -> tensor<8x352xf32>
  return %y : tensor<8x352xf32>
}

// CHECK-LABEL: func.func @row_sum
// CHECK: scf.for %{{.*}} = %c0 to %c2048 step %c256
// CHECK: vector.transfer_read {{.*}} : tensor<4x2048xf32>, vector<256xf32>
// CHECK: vector.reduction <add>, {{.*}} : vector<256xf32> into f32
func.func @row_sum(%x: tensor<4x2048xf32>) -> tensor<4xf32> {
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%init : tensor<4xf32>) -> tensor<4xf32>
  %y = linalg.generic {indexing_maps = [#id, #row],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x2048xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// The k loop carries the 4x64 accumulator as a vector, not through memory.
// CHECK-LABEL: func.func @attention_scores
// CHECK: scf.for %{{.*}} = %c0 to %c128 step %c8 iter_args({{.*}}) -> (tensor<16x16x128xf32>, vector<4x64xf32>)
// CHECK: vector.contract {{.*}} : vector<4x8xf32>, vector<8x64xf32> into vector<4x64xf32>
// CHECK: scf.yield %{{.*}}, %{{.*}} : tensor<16x16x128xf32>, vector<4x64xf32>
// CHECK: vector.transfer_write {{.*}} : vector<4x64xf32>, tensor<16x16x128xf32>
// AVX2-LABEL: func.func @attention_scores
// AVX2: iter_args({{.*}}) -> (tensor<16x16x128xf32>, vector<4x32xf32>)
func.func @attention_scores(%q: tensor<16x16x128xf32>, %k: tensor<16x128x128xf32>) -> tensor<16x16x128xf32> {
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<16x16x128xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%init : tensor<16x16x128xf32>) -> tensor<16x16x128xf32>
  %s = linalg.batch_matmul ins(%q, %k : tensor<16x16x128xf32>, tensor<16x128x128xf32>)
                           outs(%acc : tensor<16x16x128xf32>) -> tensor<16x16x128xf32>
  return %s : tensor<16x16x128xf32>
}

// CHECK-LABEL: func.func @pool
// CHECK: linalg.pooling_nhwc_max
func.func @pool(%x: tensor<1x8x8x4xf32>) -> tensor<1x4x4x4xf32> {
  %ninf = arith.constant -3.40282347E+38 : f32
  %w = tensor.empty() : tensor<2x2xf32>
  %init = tensor.empty() : tensor<1x4x4x4xf32>
  %acc = linalg.fill ins(%ninf : f32) outs(%init : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %y = linalg.pooling_nhwc_max {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
      ins(%x, %w : tensor<1x8x8x4xf32>, tensor<2x2xf32>) outs(%acc : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  return %y : tensor<1x4x4x4xf32>
}

// LLVM-LABEL: llvm.func @silu
// LLVM: llvm.intr.floor({{.*}}) : (vector<32xf32>) -> vector<32xf32>
// LLVM-LABEL: llvm.func @row_sum
// LLVM: llvm.intr.vector.reduce.fadd
// LLVM-LABEL: llvm.func @attention_scores
// LLVM: llvm.intr.fmuladd({{.*}}) : (vector<64xf32>, vector<64xf32>, vector<64xf32>) -> vector<64xf32>

// BAD: quant-vectorize-linalg: lanes must be positive

// RUN: quant-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qnt-raise-linear))' | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qnt-raise-linear{report=true}))' --mlir-print-op-on-diagnostic=false -o /dev/null 2>&1 | FileCheck %s --check-prefix=REMARK
// REMARK-COUNT-3: remark: qnt-raise-linear: raised 1 matmuls with constant weights
// REMARK: remark: qnt-raise-linear: raised 0 matmuls
// REMARK: remark: qnt-raise-linear: raised 1 matmuls with constant weights

// What the ONNX importer makes of MatMul + Add + Relu: the lhs batch folded
// around tosa.matmul, a [K, N] constant weight. One qnt.matmul with the
// weight transposed to [N, K] in a #qnt.plain<f32> constant, the bias as
// [N] and the relu in the epilogue.
// CHECK-LABEL: func.func @linear_relu
// CHECK-SAME: (%[[X:.*]]: tensor<4x2xf32>, %[[B:.*]]: tensor<3xf32>)
// CHECK: %[[W:.*]] = qnt.constant [dense<{{\[}}[1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>] : tensor<3x2xf32, #qnt.plain<f32>>
// CHECK: %[[Y:.*]] = qnt.matmul %[[X]], %[[W]] bias(%{{.*}}) {activation = #qnt.activation<relu>} : (tensor<4x2xf32>, tensor<3x2xf32, #qnt.plain<f32>>, tensor<3xf32>) -> tensor<4x3xf32>
// CHECK-NOT: tosa.matmul
// CHECK-NOT: tosa.clamp
// CHECK: return %[[Y]]
func.func @linear_relu(%x: tensor<4x2xf32>, %b: tensor<3xf32>) -> tensor<4x3xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %s0 = tosa.const_shape {values = dense<[1, 4, 2]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %x3 = tosa.reshape %x, %s0 : (tensor<4x2xf32>, !tosa.shape<3>) -> tensor<1x4x2xf32>
  %s1 = tosa.const_shape {values = dense<[1, 2, 3]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %w3 = tosa.reshape %w, %s1 : (tensor<2x3xf32>, !tosa.shape<3>) -> tensor<1x2x3xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %mm = tosa.matmul %x3, %w3, %zp, %zp : (tensor<1x4x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x3xf32>
  %s2 = tosa.const_shape {values = dense<[4, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %y = tosa.reshape %mm, %s2 : (tensor<1x4x3xf32>, !tosa.shape<2>) -> tensor<4x3xf32>
  %s3 = tosa.const_shape {values = dense<[1, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %b2 = tosa.reshape %b, %s3 : (tensor<3xf32>, !tosa.shape<2>) -> tensor<1x3xf32>
  %yb = tosa.add %y, %b2 : (tensor<4x3xf32>, tensor<1x3xf32>) -> tensor<4x3xf32>
  %r = tosa.clamp %yb {max_val = 0x7F800000 : f32, min_val = 0.0 : f32} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  return %r : tensor<4x3xf32>
}

// -----

// Gemm with transB = 1: the weight is stored [N, K] and transposed; the
// plain constant keeps it as stored. A same-shape add is the residual.
// CHECK-LABEL: func.func @gemm_transb_residual
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x2xf32>, %[[R:.*]]: tensor<1x2x3xf32>)
// CHECK: %[[W:.*]] = qnt.constant [dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00], [5.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>]
// The qnt.matmul is 2-D: the batch is flattened into rows and back.
// CHECK: %[[X2:.*]] = tosa.reshape %[[X]], %{{.*}} : (tensor<1x2x2xf32>, !tosa.shape<2>) -> tensor<2x2xf32>
// CHECK: %[[R2:.*]] = tosa.reshape %[[R]], %{{.*}} : (tensor<1x2x3xf32>, !tosa.shape<2>) -> tensor<2x3xf32>
// CHECK: %[[Y:.*]] = qnt.matmul %[[X2]], %[[W]] residual(%[[R2]]) : (tensor<2x2xf32>, tensor<3x2xf32, #qnt.plain<f32>>, tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %[[Y3:.*]] = tosa.reshape %[[Y]], %{{.*}} -> tensor<1x2x3xf32>
// CHECK: return %[[Y3]]
func.func @gemm_transb_residual(%x: tensor<1x2x2xf32>, %r: tensor<1x2x3xf32>) -> tensor<1x2x3xf32> {
  %w = "tosa.const"() <{values = dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>}> : () -> tensor<3x2xf32>
  %wt = tosa.transpose %w {perms = array<i32: 1, 0>} : (tensor<3x2xf32>) -> tensor<2x3xf32>
  %s1 = tosa.const_shape {values = dense<[1, 2, 3]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %w3 = tosa.reshape %wt, %s1 : (tensor<2x3xf32>, !tosa.shape<3>) -> tensor<1x2x3xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %mm = tosa.matmul %x, %w3, %zp, %zp : (tensor<1x2x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x3xf32>
  %y = tosa.add %r, %mm : (tensor<1x2x3xf32>, tensor<1x2x3xf32>) -> tensor<1x2x3xf32>
  return %y : tensor<1x2x3xf32>
}

// -----

// linalg.matmul with a constant [K, N] weight and a bias generic: the
// weight becomes a plain constant and qnt-fuse-matmul's matcher takes the
// bias and the relu.
// CHECK-LABEL: func.func @linalg_linear
// CHECK: %[[W:.*]] = qnt.constant [dense<{{\[}}[1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>] : tensor<3x2xf32, #qnt.plain<f32>>
// CHECK: qnt.matmul %{{.*}}, %[[W]] bias(%{{.*}}) {activation = #qnt.activation<relu>}
// CHECK-NOT: linalg.matmul
// CHECK-NOT: linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>
func.func @linalg_linear(%x: tensor<4x2xf32>, %b: tensor<3xf32>) -> tensor<4x3xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x3xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x3xf32>) -> tensor<4x3xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<4x2xf32>, tensor<2x3xf32>) outs(%acc : tensor<4x3xf32>) -> tensor<4x3xf32>
  %y = linalg.generic {indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel"]} ins(%mm, %b : tensor<4x3xf32>, tensor<3xf32>) outs(%e : tensor<4x3xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

// Not linear layers: a non-constant rhs, and a weight with a real batch.
// CHECK-LABEL: func.func @not_raised
// CHECK-NOT: qnt.
// CHECK: tosa.matmul
// CHECK: tosa.matmul
func.func @not_raised(%x: tensor<2x4x2xf32>, %v: tensor<2x2x3xf32>) -> (tensor<2x4x3xf32>, tensor<2x4x3xf32>) {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %a = tosa.matmul %x, %v, %zp, %zp : (tensor<2x4x2xf32>, tensor<2x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x4x3xf32>
  %w = arith.constant dense<1.0> : tensor<2x2x3xf32>
  %b = tosa.matmul %x, %w, %zp, %zp : (tensor<2x4x2xf32>, tensor<2x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x4x3xf32>
  return %a, %b : tensor<2x4x3xf32>, tensor<2x4x3xf32>
}

// -----

// nn.Linear's layout: linalg.matmul reading an [N, K] weight through (n, k)
// maps; the constant is kept as it is.
// CHECK-LABEL: func.func @linalg_transpose_b
// CHECK: %[[W:.*]] = qnt.constant [dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00], [5.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>] : tensor<3x2xf32, #qnt.plain<f32>>
// CHECK: qnt.matmul %{{.*}}, %[[W]] : (tensor<4x2xf32>, tensor<3x2xf32, #qnt.plain<f32>>) -> tensor<4x3xf32>
// CHECK-NOT: linalg.matmul
func.func @linalg_transpose_b(%x: tensor<4x2xf32>) -> tensor<4x3xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x3xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x3xf32>) -> tensor<4x3xf32>
  %mm = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %w : tensor<4x2xf32>, tensor<3x2xf32>) outs(%acc : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %mm : tensor<4x3xf32>
}

// RUN: quant-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qnt-reorder-channels{num-outliers=1}))' 2>/dev/null | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qnt-reorder-channels{num-outliers=1}))' 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: quant-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qnt-reorder-channels{num-outliers=1 unabsorbed=skip}))' 2>&1 >/dev/null | FileCheck %s --check-prefix=SKIP
// RUN: quant-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qnt-reorder-channels{num-outliers=1 unabsorbed=skip}))' 2>/dev/null | FileCheck %s --check-prefix=SKIPIR

// SwiGLU: the down projection's input channels are absorbed by the rows of
// gate and up (through silu(gate) * up); its calibrated max |x| puts channel
// 2 first (order [2, 0, 1, 3]), and the statistic is permuted with the input.
// Gate and up read the function argument: their permutation (column 3 has
// the largest norm: order [3, 0, 1, 2]) stays in the encoding, whose
// permutation part is the inverse order.
// REMARK: remark: qnt-reorder-channels: [down] 4 input channels, scores from activation max |x| and weights: 3 moved, absorbed into the rows of gate, rows of up
// REMARK: remark: qnt-reorder-channels: [gate, up] 4 input channels, scores from weights only: 4 moved, kept in the encoding (#qnt.permuted), not absorbable: the channels come from a function argument
// CHECK-LABEL: func.func @swiglu
// CHECK-DAG: %[[G:.*]] = qnt.constant [dense<{{\[}}[4.000000e+00, 0.000000e+00, 0.000000e+00, 1.000000e+00], [4.000000e+00, 1.000000e+00, 0.000000e+00, 0.000000e+00], [4.000000e+00, 0.000000e+00, 1.000000e+00, 0.000000e+00], [4.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00]]> : tensor<4x4xf32>, dense<[1, 2, 3, 0]> : tensor<4xi32>] : tensor<4x4xf32, #qnt.permuted<#qnt.plain<f32>, axis = 1>>
// CHECK-DAG: %[[U:.*]] = qnt.constant {{.*}} : tensor<4x4xf32, #qnt.permuted<#qnt.plain<f32>, axis = 1>>
// CHECK-DAG: %[[D:.*]] = qnt.constant [dense<{{\[}}[3.000000e+00, 1.000000e+00, 2.000000e+00, 4.000000e+00], [7.000000e+00, 5.000000e+00, 6.000000e+00, 8.000000e+00], [1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00], [1.000000e+00, 0.000000e+00, 1.000000e+00, 1.000000e+00]]> : tensor<4x4xf32>] : tensor<4x4xf32, #qnt.plain<f32>>
// CHECK: qnt.matmul %arg0, %[[G]]
// CHECK: qnt.matmul %arg0, %[[U]]
// CHECK: qnt.matmul {{.*}}, %[[D]] {qnt.input_absmax = dense<[5.000000e+01, 1.000000e+00, 1.000000e+00, 1.000000e+00]> : tensor<4xf32>, qnt.layer = "down"}
// SKIP: remark: qnt-reorder-channels: [down] {{.*}} absorbed into the rows of gate, rows of up
// SKIP: remark: qnt-reorder-channels: [gate, up] {{.*}} skipped, not absorbable: the channels come from a function argument
// SKIPIR-LABEL: func.func @swiglu
// SKIPIR-NOT: #qnt.permuted
func.func @swiglu(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %wg = qnt.constant [dense<[[1.0, 0.0, 0.0, 4.0], [0.0, 1.0, 0.0, 4.0], [0.0, 0.0, 1.0, 4.0], [1.0, 1.0, 1.0, 4.0]]> : tensor<4x4xf32>] : tensor<4x4xf32, #qnt.plain<f32>>
  %wu = qnt.constant [dense<[[0.5, 0.0, 0.0, 2.0], [0.0, 0.5, 0.0, 2.0], [0.0, 0.0, 0.5, 2.0], [0.5, 0.5, 0.5, 2.0]]> : tensor<4x4xf32>] : tensor<4x4xf32, #qnt.plain<f32>>
  %wd = qnt.constant [dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [1.0, 1.0, 1.0, 1.0], [0.0, 1.0, 1.0, 1.0]]> : tensor<4x4xf32>] : tensor<4x4xf32, #qnt.plain<f32>>
  %g = qnt.matmul %x, %wg {qnt.layer = "gate"} : (tensor<2x4xf32>, tensor<4x4xf32, #qnt.plain<f32>>) -> tensor<2x4xf32>
  %u = qnt.matmul %x, %wu {qnt.layer = "up"} : (tensor<2x4xf32>, tensor<4x4xf32, #qnt.plain<f32>>) -> tensor<2x4xf32>
  %s = tosa.sigmoid %g : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %a = tosa.mul %g, %s, %shift : (tensor<2x4xf32>, tensor<2x4xf32>, tensor<1xi8>) -> tensor<2x4xf32>
  %p = tosa.mul %a, %u, %shift : (tensor<2x4xf32>, tensor<2x4xf32>, tensor<1xi8>) -> tensor<2x4xf32>
  %y = qnt.matmul %p, %wd {qnt.layer = "down", qnt.input_absmax = dense<[1.0, 1.0, 50.0, 1.0]> : tensor<4xf32>} : (tensor<2x4xf32>, tensor<4x4xf32, #qnt.plain<f32>>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// A norm whose input comes from a linear layer without residual: its rows,
// its bias and the gamma vector absorb the permutation (order [1, 0, 2, 3]).
// REMARK: remark: qnt-reorder-channels: [b] 4 input channels, scores from activation max |x| and weights: 2 moved, absorbed into the rows of a, 1 channel vector(s)
// CHECK-LABEL: func.func @norm_absorbed
// The rows of a are permuted to [1, 0, 2, 3]; a itself reads the function
// argument, so its own columns (order [1, 0]) go into the encoding.
// CHECK-DAG: qnt.constant [dense<{{\[}}[2.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00], [0.000000e+00, 3.000000e+00], [4.000000e+00, 0.000000e+00]]> : tensor<4x2xf32>, dense<[1, 0]> : tensor<2xi32>] : tensor<4x2xf32, #qnt.permuted<#qnt.plain<f32>, axis = 1>>
// CHECK-DAG: arith.constant dense<[2.000000e-01, 1.000000e-01, 3.000000e-01, 4.000000e-01]> : tensor<4xf32>
// CHECK-DAG: arith.constant dense<{{\[}}[2.000000e+00, 1.000000e+00, 3.000000e+00, 4.000000e+00]]> : tensor<1x4xf32>
func.func @norm_absorbed(%x: tensor<3x2xf32>, %r: tensor<3x1xf32>) -> tensor<3x2xf32> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %wa = qnt.constant [dense<[[1.0, 0.0], [0.0, 2.0], [3.0, 0.0], [0.0, 4.0]]> : tensor<4x2xf32>] : tensor<4x2xf32, #qnt.plain<f32>>
  %ba = arith.constant dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32>
  %gamma = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %wb = qnt.constant [dense<[[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]]> : tensor<2x4xf32>] : tensor<2x4xf32, #qnt.plain<f32>>
  %a = qnt.matmul %x, %wa bias(%ba) {qnt.layer = "a"} : (tensor<3x2xf32>, tensor<4x2xf32, #qnt.plain<f32>>, tensor<4xf32>) -> tensor<3x4xf32>
  %n = tosa.mul %a, %r, %shift : (tensor<3x4xf32>, tensor<3x1xf32>, tensor<1xi8>) -> tensor<3x4xf32>
  %shape = tosa.const_shape {values = dense<[1, 4]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %g2 = tosa.reshape %gamma, %shape : (tensor<4xf32>, !tosa.shape<2>) -> tensor<1x4xf32>
  %m = tosa.mul %n, %g2, %shift : (tensor<3x4xf32>, tensor<1x4xf32>, tensor<1xi8>) -> tensor<3x4xf32>
  %y = qnt.matmul %m, %wb {qnt.layer = "b", qnt.input_absmax = dense<[1.0, 9.0, 1.0, 1.0]> : tensor<4xf32>} : (tensor<3x4xf32>, tensor<2x4xf32, #qnt.plain<f32>>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// The residual stream: the norm's input is also the residual of the next
// layer, so the permutation cannot be absorbed.
// REMARK: remark: qnt-reorder-channels: [q] {{.*}} kept in the encoding (#qnt.permuted), not absorbable: the producing qnt.matmul adds a residual (the residual stream would have to be permuted)
// SKIP: remark: qnt-reorder-channels: [q] {{.*}} skipped, not absorbable: the producing qnt.matmul adds a residual
func.func @residual(%x: tensor<3x4xf32>, %r: tensor<3x1xf32>) -> tensor<3x4xf32> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %wo = qnt.constant [dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>] : tensor<4x4xf32, #qnt.plain<f32>>
  %wq = qnt.constant [dense<[[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]]> : tensor<4x4xf32>] : tensor<4x4xf32, #qnt.plain<f32>>
  %h = qnt.matmul %x, %wo residual(%x) {qnt.layer = "o"} : (tensor<3x4xf32>, tensor<4x4xf32, #qnt.plain<f32>>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %n = tosa.mul %h, %r, %shift : (tensor<3x4xf32>, tensor<3x1xf32>, tensor<1xi8>) -> tensor<3x4xf32>
  %y = qnt.matmul %n, %wq residual(%h) {qnt.layer = "q", qnt.input_absmax = dense<[1.0, 1.0, 1.0, 7.0]> : tensor<4xf32>} : (tensor<3x4xf32>, tensor<4x4xf32, #qnt.plain<f32>>, tensor<3x4xf32>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// Channels already in order are left alone; a value that is also returned
// cannot be permuted.
// REMARK: remark: qnt-reorder-channels: [second] 2 input channels, scores from weights only: 2 moved, kept in the encoding (#qnt.permuted), not absorbable: the value is also read by 'func.return' (not as a qnt.matmul lhs)
// REMARK: remark: qnt-reorder-channels: [first] 2 input channels, scores from weights only: already in order
func.func @returned(%x: tensor<1x2xf32>) -> (tensor<1x2xf32>, tensor<1x2xf32>) {
  %w1 = qnt.constant [dense<[[2.0, 1.0], [2.0, 1.0]]> : tensor<2x2xf32>] : tensor<2x2xf32, #qnt.plain<f32>>
  %w2 = qnt.constant [dense<[[1.0, 2.0], [1.0, 2.0]]> : tensor<2x2xf32>] : tensor<2x2xf32, #qnt.plain<f32>>
  %a = qnt.matmul %x, %w1 {qnt.layer = "first"} : (tensor<1x2xf32>, tensor<2x2xf32, #qnt.plain<f32>>) -> tensor<1x2xf32>
  %b = qnt.matmul %a, %w2 {qnt.layer = "second"} : (tensor<1x2xf32>, tensor<2x2xf32, #qnt.plain<f32>>) -> tensor<1x2xf32>
  return %a, %b : tensor<1x2xf32>, tensor<1x2xf32>
}

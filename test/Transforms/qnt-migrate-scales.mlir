// RUN: quant-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qnt-migrate-scales{method=smoothquant alpha=0.5}))' 2>/dev/null | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qnt-migrate-scales{method=smoothquant alpha=0.5}))' 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: quant-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qnt-migrate-scales{method=awq format=int4-g4}))' 2>&1 >/dev/null | FileCheck %s --check-prefix=AWQ

// SmoothQuant into a norm's gamma: a = [4, 1, 16, 1], max_n |W[n, k]| =
// [1, 1, 1, 4], s = sqrt(a / w) = [2, 1, 4, 0.5]; gamma / s, W diag(s), and
// the input statistic becomes a / s.
// REMARK: remark: qnt-migrate-scales: [q] smoothquant: scales in [0.50, 4.00] folded into a channel vector of 'tosa.mul'
// CHECK-LABEL: func.func @norm
// CHECK-DAG: qnt.constant [dense<{{\[}}[2.000000e+00, 1.000000e+00, 4.000000e+00, 2.000000e+00], [2.000000e+00, 5.000000e-01, -4.000000e+00, 1.000000e+00]]> : tensor<2x4xf32>] : tensor<2x4xf32, #qnt.plain<f32>>
// CHECK-DAG: arith.constant dense<{{\[}}[5.000000e-01, 1.000000e+00, 2.500000e-01, 2.000000e+00]]> : tensor<1x4xf32>
// CHECK: qnt.matmul {{.*}} {qnt.input_absmax = dense<[2.000000e+00, 1.000000e+00, 4.000000e+00, 2.000000e+00]> : tensor<4xf32>, qnt.input_meanabs = dense<[5.000000e-01, 5.000000e-01, 1.000000e+00, 1.000000e+00]> : tensor<4xf32>, qnt.layer = "q"}
// AWQ: remark: qnt-migrate-scales: [q] awq: {{(scales in .* folded into a channel vector of 'tosa.mul'; alpha .*, error .* -> .*|no scaling beats s = 1 for int4-g4)}}
func.func @norm(%x: tensor<3x4xf32>, %r: tensor<3x1xf32>) -> tensor<3x2xf32> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %gamma = "tosa.const"() <{values = dense<[[1.0, 1.0, 1.0, 1.0]]> : tensor<1x4xf32>}> : () -> tensor<1x4xf32>
  %w = qnt.constant [dense<[[1.0, 1.0, 1.0, 4.0], [1.0, 0.5, -1.0, 2.0]]> : tensor<2x4xf32>] : tensor<2x4xf32, #qnt.plain<f32>>
  %n = tosa.mul %x, %r, %shift : (tensor<3x4xf32>, tensor<3x1xf32>, tensor<1xi8>) -> tensor<3x4xf32>
  %m = tosa.mul %n, %gamma, %shift : (tensor<3x4xf32>, tensor<1x4xf32>, tensor<1xi8>) -> tensor<3x4xf32>
  %y = qnt.matmul %m, %w {qnt.layer = "q", qnt.input_absmax = dense<[4.0, 1.0, 16.0, 1.0]> : tensor<4xf32>, qnt.input_meanabs = dense<[1.0, 0.5, 4.0, 0.5]> : tensor<4xf32>} : (tensor<3x4xf32>, tensor<2x4xf32, #qnt.plain<f32>>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// SwiGLU: the down projection's scales go into the rows and bias of up
// (s = [2, 1, 4, 0.5] as above), not gate (silu is not linear).
// REMARK: remark: qnt-migrate-scales: [down] smoothquant: scales in [0.50, 4.00] folded into rows of up
// REMARK: remark: qnt-migrate-scales: [gate, up] smoothquant: skipped, no activation statistics (qnt.input_absmax)
// CHECK-LABEL: func.func @swiglu
// CHECK-DAG: qnt.constant [dense<{{\[}}[5.000000e-01, 5.000000e-01], [1.000000e+00, 1.000000e+00], [2.500000e-01, 2.500000e-01], [2.000000e+00, 2.000000e+00]]> : tensor<4x2xf32>] : tensor<4x2xf32, #qnt.plain<f32>>
// CHECK-DAG: arith.constant dense<[5.000000e-02, 1.000000e-01, 2.500000e-02, 2.000000e-01]> : tensor<4xf32>
// CHECK-DAG: qnt.constant [dense<{{\[}}[2.000000e+00, 1.000000e+00, 4.000000e+00, 2.000000e+00], [2.000000e+00, 5.000000e-01, -4.000000e+00, 1.000000e+00]]> : tensor<2x4xf32>] : tensor<2x4xf32, #qnt.plain<f32>>
// CHECK-DAG: qnt.constant [dense<1.000000e+00> : tensor<4x2xf32>] : tensor<4x2xf32, #qnt.plain<f32>>
func.func @swiglu(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %wg = qnt.constant [dense<1.0> : tensor<4x2xf32>] : tensor<4x2xf32, #qnt.plain<f32>>
  %wu = qnt.constant [dense<[[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]> : tensor<4x2xf32>] : tensor<4x2xf32, #qnt.plain<f32>>
  %bu = arith.constant dense<0.1> : tensor<4xf32>
  %wd = qnt.constant [dense<[[1.0, 1.0, 1.0, 4.0], [1.0, 0.5, -1.0, 2.0]]> : tensor<2x4xf32>] : tensor<2x4xf32, #qnt.plain<f32>>
  %g = qnt.matmul %x, %wg {qnt.layer = "gate"} : (tensor<3x2xf32>, tensor<4x2xf32, #qnt.plain<f32>>) -> tensor<3x4xf32>
  %u = qnt.matmul %x, %wu bias(%bu) {qnt.layer = "up"} : (tensor<3x2xf32>, tensor<4x2xf32, #qnt.plain<f32>>, tensor<4xf32>) -> tensor<3x4xf32>
  %s = tosa.sigmoid %g : (tensor<3x4xf32>) -> tensor<3x4xf32>
  %a = tosa.mul %g, %s, %shift : (tensor<3x4xf32>, tensor<3x4xf32>, tensor<1xi8>) -> tensor<3x4xf32>
  %p = tosa.mul %a, %u, %shift : (tensor<3x4xf32>, tensor<3x4xf32>, tensor<1xi8>) -> tensor<3x4xf32>
  %y = qnt.matmul %p, %wd {qnt.layer = "down", qnt.input_absmax = dense<[4.0, 1.0, 16.0, 1.0]> : tensor<4xf32>} : (tensor<3x4xf32>, tensor<2x4xf32, #qnt.plain<f32>>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// Producers that cannot emit x / s: an activation, a function argument.
// REMARK: remark: qnt-migrate-scales: [second] smoothquant: skipped, not foldable: the producing qnt.matmul has an activation or a residual
// REMARK: remark: qnt-migrate-scales: [first] smoothquant: skipped, not foldable: the input is a function argument
// CHECK-LABEL: func.func @not_foldable
// CHECK-COUNT-2: dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]>
func.func @not_foldable(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w1 = qnt.constant [dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>] : tensor<2x2xf32, #qnt.plain<f32>>
  %w2 = qnt.constant [dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>] : tensor<2x2xf32, #qnt.plain<f32>>
  %a = qnt.matmul %x, %w1 {activation = #qnt.activation<gelu>, qnt.layer = "first", qnt.input_absmax = dense<[9.0, 1.0]> : tensor<2xf32>} : (tensor<1x2xf32>, tensor<2x2xf32, #qnt.plain<f32>>) -> tensor<1x2xf32>
  %b = qnt.matmul %a, %w2 {qnt.layer = "second", qnt.input_absmax = dense<[9.0, 1.0]> : tensor<2xf32>} : (tensor<1x2xf32>, tensor<2x2xf32, #qnt.plain<f32>>) -> tensor<1x2xf32>
  return %b : tensor<1x2xf32>
}

// RUN: quant-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qnt-rotate-weights))' 2>/dev/null | FileCheck %s
// RUN: quant-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qnt-rotate-weights))' 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: quant-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qnt-rotate-weights{max-block=2 seed=3}))' 2>&1 >/dev/null | FileCheck %s --check-prefix=SMALL
// RUN: quant-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qnt-rotate-weights{layers=o}))' 2>&1 >/dev/null | FileCheck %s --check-prefix=LAYERS

// The V -> O path of two heads of 4 channels: V's rows (and bias) rotate
// per head, O's columns by the transposed rotation; the block is the head
// size (the gcd of the channel extents on the path). O itself adds the
// residual, so it is not a producer.
// REMARK: remark: qnt-rotate-weights: v -> [o]: 2 block(s) of 4 channels (Hadamard 4) folded into its rows and their columns
// REMARK: remark: qnt-rotate-weights: o not rotated: it has an activation or a residual
// CHECK-LABEL: func.func @attention_v_o
// CHECK: qnt.matmul %arg0, %{{.*}} bias(%{{.*}}) {qnt.layer = "v"}
// CHECK: qnt.matmul %{{.*}}, %{{.*}} residual(%arg0) {qnt.layer = "o"}
// SMALL: remark: qnt-rotate-weights: v -> [o]: 2 block(s) of 4 channels (Hadamard 2+2) folded into its rows and their columns
// LAYERS: remark: qnt-rotate-weights: o not rotated: it has an activation or a residual
// LAYERS-NOT: remark
func.func @attention_v_o(%x: tensor<4x8xf32>, %attn: tensor<2x4x4xf32>) -> tensor<4x8xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %s1 = tosa.const_shape {values = dense<[1, 4, 2, 4]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %s2 = tosa.const_shape {values = dense<[2, 4, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %s3 = tosa.const_shape {values = dense<[1, 2, 4, 4]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %s4 = tosa.const_shape {values = dense<[4, 8]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %wv = qnt.constant [dense<[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5], [0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 6.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 7.0, 0.0], [-1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 8.0]]> : tensor<8x8xf32>] : tensor<8x8xf32, #qnt.plain<f32>>
  %bv = arith.constant dense<[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]> : tensor<8xf32>
  %wo = qnt.constant [dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], [8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0], [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], [2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0], [0.0, 0.0, 3.0, 0.0, 0.0, 3.0, 0.0, 0.0], [0.5, 0.5, 0.5, 0.5, -0.5, -0.5, -0.5, -0.5]]> : tensor<8x8xf32>] : tensor<8x8xf32, #qnt.plain<f32>>
  %v = qnt.matmul %x, %wv bias(%bv) {qnt.layer = "v"} : (tensor<4x8xf32>, tensor<8x8xf32, #qnt.plain<f32>>, tensor<8xf32>) -> tensor<4x8xf32>
  %v1 = tosa.reshape %v, %s1 : (tensor<4x8xf32>, !tosa.shape<4>) -> tensor<1x4x2x4xf32>
  %v2 = tosa.transpose %v1 {perms = array<i32: 0, 2, 1, 3>} : (tensor<1x4x2x4xf32>) -> tensor<1x2x4x4xf32>
  %v3 = tosa.reshape %v2, %s2 : (tensor<1x2x4x4xf32>, !tosa.shape<3>) -> tensor<2x4x4xf32>
  %h = tosa.matmul %attn, %v3, %zp, %zp : (tensor<2x4x4xf32>, tensor<2x4x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x4x4xf32>
  %h1 = tosa.reshape %h, %s3 : (tensor<2x4x4xf32>, !tosa.shape<4>) -> tensor<1x2x4x4xf32>
  %h2 = tosa.transpose %h1 {perms = array<i32: 0, 2, 1, 3>} : (tensor<1x2x4x4xf32>) -> tensor<1x4x2x4xf32>
  %h3 = tosa.reshape %h2, %s4 : (tensor<1x4x2x4xf32>, !tosa.shape<2>) -> tensor<4x8xf32>
  %y = qnt.matmul %h3, %wo residual(%x) {qnt.layer = "o", qnt.input_absmax = dense<1.0> : tensor<8xf32>} : (tensor<4x8xf32>, tensor<8x8xf32, #qnt.plain<f32>>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Nonlinear ops and contractions over the channels stop the rotation.
// REMARK: remark: qnt-rotate-weights: gate not rotated: 'tosa.sigmoid' does not commute with a rotation of the channels
// REMARK: remark: qnt-rotate-weights: k not rotated: 'tosa.matmul' does not commute with a rotation of the channels
// REMARK: remark: qnt-rotate-weights: last not rotated: the channels are returned
// CHECK-LABEL: func.func @not_rotated
func.func @not_rotated(%x: tensor<1x4x4xf32>) -> (tensor<1x4x4xf32>, tensor<1x4x4xf32>) {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %w = qnt.constant [dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>] : tensor<4x4xf32, #qnt.plain<f32>>
  %g = qnt.matmul %x, %w {qnt.layer = "gate"} : (tensor<1x4x4xf32>, tensor<4x4xf32, #qnt.plain<f32>>) -> tensor<1x4x4xf32>
  %s = tosa.sigmoid %g : (tensor<1x4x4xf32>) -> tensor<1x4x4xf32>
  %k = qnt.matmul %s, %w {qnt.layer = "k"} : (tensor<1x4x4xf32>, tensor<4x4xf32, #qnt.plain<f32>>) -> tensor<1x4x4xf32>
  %a = tosa.matmul %k, %x, %zp, %zp : (tensor<1x4x4xf32>, tensor<1x4x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4xf32>
  %l = qnt.matmul %a, %w {qnt.layer = "last"} : (tensor<1x4x4xf32>, tensor<4x4xf32, #qnt.plain<f32>>) -> tensor<1x4x4xf32>
  return %l, %s : tensor<1x4x4xf32>, tensor<1x4x4xf32>
}

// RUN: quant-opt %s --convert-quant-to-qnt --split-input-file | FileCheck %s
// RUN: quant-opt %s --convert-quant-to-qnt --qnt-fold-constant-quantize --split-input-file | FileCheck %s --check-prefix=FOLD

// Per-tensor signed with zero point 0: symmetric; the scale is an explicit
// parameter so the encoded numbers are exactly the upstream ones. The
// dcast(qcast) pair is not folded away (that would drop the rounding).
// CHECK-LABEL: func.func @per_tensor_i8
// CHECK-SAME: (%[[X:.*]]: tensor<2x4xf32>) -> tensor<2x4xf32>
// CHECK: %[[S:.*]] = arith.constant dense<5.000000e-01> : tensor<1x1xf32>
// CHECK: %[[Q:.*]] = qnt.quantize %[[X]] params(%[[S]] : tensor<1x1xf32>) : tensor<2x4xf32> -> tensor<2x4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>
// CHECK: %[[D:.*]] = qnt.dequantize %[[Q]] : tensor<2x4xf32, #qnt.uniform<i8, per_tensor, scale = f32>> -> tensor<2x4xf32>
// CHECK: return %[[D]]
// CHECK-NOT: quant.
func.func @per_tensor_i8(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %q = quant.qcast %x : tensor<2x4xf32> to tensor<2x4x!quant.uniform<i8:f32, 0.5>>
  %d = quant.dcast %q : tensor<2x4x!quant.uniform<i8:f32, 0.5>> to tensor<2x4xf32>
  return %d : tensor<2x4xf32>
}

// -----

// Unsigned with zero point 2^(N-1) is qnt's symmetric unsigned form.
// CHECK-LABEL: func.func @per_tensor_u8_symmetric
// CHECK: %[[S:.*]] = arith.constant dense<2.500000e-01> : tensor<1xf32>
// CHECK: qnt.quantize %{{.*}} params(%[[S]] : tensor<1xf32>) : tensor<8xf16> -> tensor<8xf16, #qnt.uniform<ui8, per_tensor, scale = f32>>
func.func @per_tensor_u8_symmetric(%x: tensor<8xf16>) -> tensor<8x!quant.uniform<u8:f16, 0.25:128>> {
  %q = quant.qcast %x : tensor<8xf16> to tensor<8x!quant.uniform<u8:f16, 0.25:128>>
  return %q : tensor<8x!quant.uniform<u8:f16, 0.25:128>>
}

// -----

// Any other zero point makes it asymmetric; zero point 200 is the byte 0xC8.
// CHECK-LABEL: func.func @per_tensor_u8_asymmetric
// CHECK-SAME: -> tensor<8xf32, #qnt.uniform<ui8, per_tensor, scale = f32, asymmetric>>
// CHECK-DAG: %[[S:.*]] = arith.constant dense<2.500000e-01> : tensor<1xf32>
// CHECK-DAG: %[[Z:.*]] = arith.constant dense<-56> : tensor<1xi8>
// CHECK: qnt.quantize %{{.*}} params(%[[S]], %[[Z]] : tensor<1xf32>, tensor<1xi8>) : tensor<8xf32> -> tensor<8xf32, #qnt.uniform<ui8, per_tensor, scale = f32, asymmetric>>
func.func @per_tensor_u8_asymmetric(%x: tensor<8xf32>) -> tensor<8x!quant.uniform<u8:f32, 0.25:200>> {
  %q = quant.qcast %x : tensor<8xf32> to tensor<8x!quant.uniform<u8:f32, 0.25:200>>
  return %q : tensor<8x!quant.uniform<u8:f32, 0.25:200>>
}

// -----

// Per-axis along 0: one scale (and zero point) per row.
// CHECK-LABEL: func.func @per_axis_u4
// CHECK-DAG: %[[S:.*]] = arith.constant dense<{{\[}}[5.000000e-01], [2.500000e-01]]> : tensor<2x1xf32>
// CHECK-DAG: %[[Z:.*]] = arith.constant dense<{{\[}}[8], [3]]> : tensor<2x1xi8>
// CHECK: qnt.quantize %{{.*}} params(%[[S]], %[[Z]] : tensor<2x1xf32>, tensor<2x1xi8>) : tensor<2x4xf32> -> tensor<2x4xf32, #qnt.uniform<ui4, per_channel(0), scale = f32, asymmetric>>
func.func @per_axis_u4(%x: tensor<2x4xf32>) -> tensor<2x4x!quant.uniform<u4:f32:0, {0.5:8, 0.25:3}>> {
  %q = quant.qcast %x : tensor<2x4xf32> to tensor<2x4x!quant.uniform<u4:f32:0, {0.5:8, 0.25:3}>>
  return %q : tensor<2x4x!quant.uniform<u4:f32:0, {0.5:8, 0.25:3}>>
}

// -----

// Per-axis along the innermost axis: 4-bit zero points are packed LSB-first,
// two per byte: {1, 2, 3, 4} -> 0x21, 0x43.
// CHECK-LABEL: func.func @per_axis_inner_packed
// CHECK-DAG: %[[S:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]]> : tensor<1x4xf32>
// CHECK-DAG: %[[Z:.*]] = arith.constant dense<{{\[}}[33, 67]]> : tensor<1x2xi8>
// CHECK: qnt.quantize %{{.*}} params(%[[S]], %[[Z]] : tensor<1x4xf32>, tensor<1x2xi8>) : tensor<3x4xf32> -> tensor<3x4xf32, #qnt.uniform<ui4, per_channel(1), scale = f32, asymmetric>>
func.func @per_axis_inner_packed(%x: tensor<3x4xf32>) -> tensor<3x4x!quant.uniform<u4:f32:1, {1.0:1, 2.0:2, 3.0:3, 4.0:4}>> {
  %q = quant.qcast %x : tensor<3x4xf32> to tensor<3x4x!quant.uniform<u4:f32:1, {1.0:1, 2.0:2, 3.0:3, 4.0:4}>>
  return %q : tensor<3x4x!quant.uniform<u4:f32:1, {1.0:1, 2.0:2, 3.0:3, 4.0:4}>>
}

// -----

// Signed zero points are two's complement: {-1, 2} -> 0xF | 0x2 << 4 = 47.
// CHECK-LABEL: func.func @per_axis_i4_signed_zero_points
// CHECK: %[[Z:.*]] = arith.constant dense<47> : tensor<1x1xi8>
// CHECK: qnt.quantize {{.*}} -> tensor<5x2xf32, #qnt.uniform<i4, per_channel(1), scale = f32, asymmetric>>
func.func @per_axis_i4_signed_zero_points(%x: tensor<5x2xf32>) -> tensor<5x2x!quant.uniform<i4:f32:1, {0.5:-1, 0.5:2}>> {
  %q = quant.qcast %x : tensor<5x2xf32> to tensor<5x2x!quant.uniform<i4:f32:1, {0.5:-1, 0.5:2}>>
  return %q : tensor<5x2x!quant.uniform<i4:f32:1, {0.5:-1, 0.5:2}>>
}

// -----

// Sub-channel with one blocked axis is a per_group granularity.
// CHECK-LABEL: func.func @sub_channel_group
// CHECK: %[[S:.*]] = arith.constant dense<{{\[}}[5.000000e-01, 2.500000e-01], [1.000000e+00, 2.000000e+00]]> : tensor<2x2xf32>
// CHECK: %[[Q:.*]] = qnt.quantize %{{.*}} params(%[[S]] : tensor<2x2xf32>) : tensor<2x8xf32> -> tensor<2x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f32>>
// CHECK: qnt.dequantize %[[Q]]
func.func @sub_channel_group(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %q = quant.qcast %x : tensor<2x8xf32> to tensor<2x8x!quant.uniform<i4:f32:{0:1, 1:4}, {{0.5, 0.25}, {1.0, 2.0}}>>
  %d = quant.dcast %q : tensor<2x8x!quant.uniform<i4:f32:{0:1, 1:4}, {{0.5, 0.25}, {1.0, 2.0}}>> to tensor<2x8xf32>
  return %d : tensor<2x8xf32>
}

// -----

// Two blocked axes (an unlisted axis spans its whole extent): 2-D blocks.
// CHECK-LABEL: func.func @sub_channel_block
// CHECK: arith.constant dense<{{\[}}[5.000000e-01, 2.500000e-01]]> : tensor<1x2xf32>
// CHECK: tensor<2x8xf32, #qnt.uniform<i8, block(2, 4), scale = f32>>
func.func @sub_channel_block(%x: tensor<2x8xf32>) -> tensor<2x8x!quant.uniform<i8:f32:{1:4}, {{0.5, 0.25}}>> {
  %q = quant.qcast %x : tensor<2x8xf32> to tensor<2x8x!quant.uniform<i8:f32:{1:4}, {{0.5, 0.25}}>>
  return %q : tensor<2x8x!quant.uniform<i8:f32:{1:4}, {{0.5, 0.25}}>>
}

// -----

// Signatures, calls and returns carry the converted types.
// CHECK-LABEL: func.func private @callee(tensor<4x2xbf16, #qnt.uniform<i8, per_channel(0), scale = f32>>) -> tensor<4x2xbf16, #qnt.uniform<i8, per_channel(0), scale = f32>>
// CHECK-LABEL: func.func @signature
// CHECK-SAME: (%[[A:.*]]: tensor<4x2xbf16, #qnt.uniform<i8, per_channel(0), scale = f32>>) -> tensor<4x2xbf16>
// CHECK: %[[C:.*]] = call @callee(%[[A]]) : (tensor<4x2xbf16, #qnt.uniform<i8, per_channel(0), scale = f32>>) -> tensor<4x2xbf16, #qnt.uniform<i8, per_channel(0), scale = f32>>
// CHECK: %[[D:.*]] = qnt.dequantize %[[C]] : tensor<4x2xbf16, #qnt.uniform<i8, per_channel(0), scale = f32>> -> tensor<4x2xbf16>
// CHECK: return %[[D]]
func.func private @callee(tensor<4x2x!quant.uniform<i8:bf16:0, {1.0, 2.0, 3.0, 4.0}>>) -> tensor<4x2x!quant.uniform<i8:bf16:0, {1.0, 2.0, 3.0, 4.0}>>
func.func @signature(%a: tensor<4x2x!quant.uniform<i8:bf16:0, {1.0, 2.0, 3.0, 4.0}>>) -> tensor<4x2xbf16> {
  %c = call @callee(%a) : (tensor<4x2x!quant.uniform<i8:bf16:0, {1.0, 2.0, 3.0, 4.0}>>) -> tensor<4x2x!quant.uniform<i8:bf16:0, {1.0, 2.0, 3.0, 4.0}>>
  %d = quant.dcast %c : tensor<4x2x!quant.uniform<i8:bf16:0, {1.0, 2.0, 3.0, 4.0}>> to tensor<4x2xbf16>
  return %d : tensor<4x2xbf16>
}

// -----

// Constant weights with upstream parameters encode at compile time to
// exactly the upstream codes: row 0 (s = 0.5, z = 8): 10, 6, 9, 15 (200 + 8
// saturates); row 1 (s = 0.25, z = 3): 4, 1, 7, 3; packed two per byte.
// FOLD-LABEL: func.func @constant_weights
// FOLD-NEXT: qnt.constant [dense<{{\[}}[106, -7], [20, 55]]> : tensor<2x2xi8>, dense<{{\[}}[5.000000e-01], [2.500000e-01]]> : tensor<2x1xf32>, dense<{{\[}}[8], [3]]> : tensor<2x1xi8>] : tensor<2x4xf32, #qnt.uniform<ui4, per_channel(0), scale = f32, asymmetric>>
// FOLD-NEXT: return
func.func @constant_weights() -> tensor<2x4x!quant.uniform<u4:f32:0, {0.5:8, 0.25:3}>> {
  %x = arith.constant dense<[[1.0, -1.0, 0.5, 100.0], [0.25, -0.5, 1.0, 0.0]]> : tensor<2x4xf32>
  %q = quant.qcast %x : tensor<2x4xf32> to tensor<2x4x!quant.uniform<u4:f32:0, {0.5:8, 0.25:3}>>
  return %q : tensor<2x4x!quant.uniform<u4:f32:0, {0.5:8, 0.25:3}>>
}

// -----

// IR without quantized types is left alone.
// CHECK-LABEL: func.func @untouched
// CHECK-NEXT: arith.addf
// CHECK-NEXT: return
func.func @untouched(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = arith.addf %x, %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

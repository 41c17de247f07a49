// RUN: quant-opt %s | quant-opt | FileCheck %s
// RUN: quant-opt %s --mlir-print-op-generic | quant-opt | FileCheck %s

// Round trip of every qnt op, in custom and generic form.

// CHECK-LABEL: func.func @constant_resource
// CHECK: qnt.constant [dense_resource<w_codes> : tensor<4x4xi8>, dense_resource<w_scales> : tensor<4x2xf16>] : tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>
func.func @constant_resource() -> tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>> {
  %0 = qnt.constant [dense_resource<w_codes> : tensor<4x4xi8>,
                     dense_resource<w_scales> : tensor<4x2xf16>]
      : tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>
  return %0 : tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>
}

// CHECK-LABEL: func.func @constant_inline
// CHECK: qnt.constant [dense<{{\[}}[1, -2, 3, 127], [0, -128, 5, 6]]> : tensor<2x4xi8>, dense<2.500000e-01> : tensor<1x1xf32>] : tensor<2x4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>
func.func @constant_inline() -> tensor<2x4xf32, #qnt.uniform<i8, per_tensor, scale = f32>> {
  %0 = qnt.constant [dense<[[1, -2, 3, 127], [0, -128, 5, 6]]> : tensor<2x4xi8>,
                     dense<0.25> : tensor<1x1xf32>]
      : tensor<2x4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>
  return %0 : tensor<2x4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>
}

// Asymmetric: codes, scales and packed zero points.
// CHECK-LABEL: func.func @constant_asymmetric
// CHECK: qnt.constant [dense<{{.*}}> : tensor<2x2xi8>, dense<{{.*}}> : tensor<2x1xf32>, dense<[{{\[}}8], [7]]> : tensor<2x1xi8>] : tensor<2x4xf32, #qnt.uniform<ui4, per_channel(0), scale = f32, asymmetric>>
func.func @constant_asymmetric() -> tensor<2x4xf32, #qnt.uniform<ui4, per_channel(0), scale = f32, asymmetric>> {
  %0 = qnt.constant [dense<[[16, 50], [-1, 0]]> : tensor<2x2xi8>,
                     dense<[[0.5], [0.125]]> : tensor<2x1xf32>,
                     dense<[[8], [7]]> : tensor<2x1xi8>]
      : tensor<2x4xf32, #qnt.uniform<ui4, per_channel(0), scale = f32, asymmetric>>
  return %0 : tensor<2x4xf32, #qnt.uniform<ui4, per_channel(0), scale = f32, asymmetric>>
}

// A minifloat encoding: e8m0 scales are stored as raw i8 bits.
// CHECK-LABEL: func.func @constant_mxfp4
// CHECK: qnt.constant [dense<0> : tensor<2x16xi8>, dense<127> : tensor<2x1xi8>] : tensor<2x32xf32, #qnt.float<mxfp4>>
func.func @constant_mxfp4() -> tensor<2x32xf32, #qnt.float<mxfp4>> {
  %0 = qnt.constant [dense<0> : tensor<2x16xi8>, dense<127> : tensor<2x1xi8>]
      : tensor<2x32xf32, #qnt.float<mxfp4>>
  return %0 : tensor<2x32xf32, #qnt.float<mxfp4>>
}

// CHECK-LABEL: func.func @quantize_dequantize
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
// CHECK: %[[Q:.*]] = qnt.quantize %[[X]] : tensor<4x8xf32> -> tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>
// CHECK: %[[D:.*]] = qnt.dequantize %[[Q]] : tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>> -> tensor<4x8xf32>
// CHECK: qnt.dequantize %[[Q]] : tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>> -> tensor<4x8xf16>
func.func @quantize_dequantize(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf16>) {
  %q = qnt.quantize %x : tensor<4x8xf32> -> tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>
  %d = qnt.dequantize %q : tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>> -> tensor<4x8xf32>
  %h = qnt.dequantize %q : tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>> -> tensor<4x8xf16>
  return %d, %h : tensor<4x8xf32>, tensor<4x8xf16>
}

// CHECK-LABEL: func.func @quantize_params
// CHECK-SAME: (%[[X:.*]]: tensor<16x64xf16>, %[[S:.*]]: tensor<16x1xf32>, %[[Z:.*]]: tensor<16x1xi8>)
// CHECK: qnt.quantize %[[X]] params(%[[S]], %[[Z]] : tensor<16x1xf32>, tensor<16x1xi8>) : tensor<16x64xf16> -> tensor<16x64xf16, #qnt.uniform<ui8, per_channel(0), scale = f32, asymmetric>>
func.func @quantize_params(%x: tensor<16x64xf16>, %s: tensor<16x1xf32>, %z: tensor<16x1xi8>)
    -> tensor<16x64xf16, #qnt.uniform<ui8, per_channel(0), scale = f32, asymmetric>> {
  %q = qnt.quantize %x params(%s, %z : tensor<16x1xf32>, tensor<16x1xi8>)
      : tensor<16x64xf16> -> tensor<16x64xf16, #qnt.uniform<ui8, per_channel(0), scale = f32, asymmetric>>
  return %q : tensor<16x64xf16, #qnt.uniform<ui8, per_channel(0), scale = f32, asymmetric>>
}

// CHECK-LABEL: func.func @assemble_disassemble
// CHECK-SAME: (%[[C:.*]]: tensor<4x4xi8>, %[[S:.*]]: tensor<4x2xf16>)
// CHECK: %[[E:.*]] = qnt.assemble(%[[C]], %[[S]]) : (tensor<4x4xi8>, tensor<4x2xf16>) -> tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>
// CHECK: qnt.disassemble %[[E]] : tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>> -> (tensor<4x4xi8>, tensor<4x2xf16>)
func.func @assemble_disassemble(%c: tensor<4x4xi8>, %s: tensor<4x2xf16>) -> (tensor<4x4xi8>, tensor<4x2xf16>) {
  %e = qnt.assemble(%c, %s) : (tensor<4x4xi8>, tensor<4x2xf16>)
      -> tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>
  %p:2 = qnt.disassemble %e : tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>
      -> (tensor<4x4xi8>, tensor<4x2xf16>)
  return %p#0, %p#1 : tensor<4x4xi8>, tensor<4x2xf16>
}

// CHECK-LABEL: func.func @matmul_plain
// CHECK-SAME: (%[[X:.*]]: tensor<3x8xf32>, %[[W:.*]]: tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>)
// CHECK: qnt.matmul %[[X]], %[[W]] : (tensor<3x8xf32>, tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>) -> tensor<3x4xf32>
func.func @matmul_plain(%x: tensor<3x8xf32>, %w: tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>) -> tensor<3x4xf32> {
  %0 = qnt.matmul %x, %w : (tensor<3x8xf32>, tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// CHECK-LABEL: func.func @matmul_bias_act
// CHECK: qnt.matmul %{{.*}}, %{{.*}} bias(%{{.*}}) {activation = #qnt.activation<gelu>} : (tensor<?x8xf32>, tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>, tensor<4xf32>) -> tensor<?x4xf32>
func.func @matmul_bias_act(%x: tensor<?x8xf32>, %w: tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %0 = qnt.matmul %x, %w bias(%b) {activation = #qnt.activation<gelu>}
      : (tensor<?x8xf32>, tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>, tensor<4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// The default activation (none) is not printed.
// CHECK-LABEL: func.func @matmul_residual
// CHECK: qnt.matmul %{{.*}}, %{{.*}} residual(%{{.*}}) : (tensor<2x3x8xf32>, tensor<4x8xf32, #qnt.float<f8E4M3FN>>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
// CHECK-NOT: activation
func.func @matmul_residual(%x: tensor<2x3x8xf32>, %w: tensor<4x8xf32, #qnt.float<f8E4M3FN>>, %r: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = qnt.matmul %x, %w residual(%r) {activation = #qnt.activation<none>}
      : (tensor<2x3x8xf32>, tensor<4x8xf32, #qnt.float<f8E4M3FN>>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// CHECK-LABEL: func.func @matmul_all
// CHECK: qnt.matmul %{{.*}}, %{{.*}} bias(%{{.*}}) residual(%{{.*}}) {activation = #qnt.activation<silu>} : (tensor<3x8xf16>, tensor<4x8xf16, #qnt.uniform<i8, per_channel(0), scale = f32>>, tensor<4xf16>, tensor<3x4xf16>) -> tensor<3x4xf16>
func.func @matmul_all(%x: tensor<3x8xf16>, %w: tensor<4x8xf16, #qnt.uniform<i8, per_channel(0), scale = f32>>, %b: tensor<4xf16>, %r: tensor<3x4xf16>) -> tensor<3x4xf16> {
  %0 = qnt.matmul %x, %w bias(%b) residual(%r) {activation = #qnt.activation<silu>}
      : (tensor<3x8xf16>, tensor<4x8xf16, #qnt.uniform<i8, per_channel(0), scale = f32>>, tensor<4xf16>, tensor<3x4xf16>) -> tensor<3x4xf16>
  return %0 : tensor<3x4xf16>
}

// Batched weight: its batch dimensions match the lhs ones.
// CHECK-LABEL: func.func @matmul_batched
// CHECK: qnt.matmul %{{.*}}, %{{.*}} : (tensor<2x3x8xf32>, tensor<2x4x8xf32, #qnt.uniform<i4, per_group(2, 4), scale = f16>>) -> tensor<2x3x4xf32>
func.func @matmul_batched(%x: tensor<2x3x8xf32>, %w: tensor<2x4x8xf32, #qnt.uniform<i4, per_group(2, 4), scale = f16>>) -> tensor<2x3x4xf32> {
  %0 = qnt.matmul %x, %w : (tensor<2x3x8xf32>, tensor<2x4x8xf32, #qnt.uniform<i4, per_group(2, 4), scale = f16>>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// CHECK: dialect_resources
// CHECK-NEXT: builtin
// CHECK-DAG: w_codes: "0x01000000000102030405060708090A0B0C0D0E0F"
// CHECK-DAG: w_scales: "0x0400000000380034003C004000300038003E003C"
{-#
  dialect_resources: {
    builtin: {
      w_codes: "0x01000000000102030405060708090A0B0C0D0E0F",
      w_scales: "0x0400000000380034003C004000300038003E003C"
    }
  }
#-}

// RUN: quant-opt %s --split-input-file --qnt-fold-constant-quantize | FileCheck %s
// RUN: quant-opt %s --split-input-file --qnt-fold-constant-quantize="inline-limit=0" | FileCheck %s --check-prefix=BLOBS

// Exact bytes of a tiny per-tensor int8 constant: s = absmax / 127 = 4 / 127
// and codes rne(x / s) = [31.75, -95.25, 15.875, 127] -> [32, -95, 16, 127].
// The float constant is gone.
// CHECK-LABEL: func.func @int8_per_tensor
// CHECK-NOT: arith.constant
// CHECK: %[[C:.*]] = qnt.constant [dense<{{\[}}[32, -95, 16, 127]]> : tensor<1x4xi8>, dense<0.0314960629> : tensor<1x1xf32>] : tensor<1x4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>
// CHECK-NEXT: return %[[C]]
// BLOBS-LABEL: func.func @int8_per_tensor
// BLOBS: qnt.constant [dense_resource<qnt_codes> : tensor<1x4xi8>, dense_resource<qnt_scales> : tensor<1x1xf32>]
func.func @int8_per_tensor() -> tensor<1x4xf32, #qnt.uniform<i8, per_tensor, scale = f32>> {
  %c = arith.constant dense<[[1.0, -3.0, 0.5, 4.0]]> : tensor<1x4xf32>
  %q = qnt.quantize %c : tensor<1x4xf32> -> tensor<1x4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>
  return %q : tensor<1x4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>
}
// BLOBS: qnt_codes: "0x0100000020A1107F"

// -----

// Explicit constant parameters: s = 0.5, round half to even (0.75 / 0.5 = 1.5
// -> 2, 1.25 / 0.5 = 2.5 -> 2) and saturation (-200 -> -128).
// CHECK-LABEL: func.func @int8_params
// CHECK-NOT: arith.constant
// CHECK: qnt.constant [dense<[2, -6, 2, 126, -128, 2]> : tensor<6xi8>, dense<5.000000e-01> : tensor<1xf32>] : tensor<6xf32, #qnt.uniform<i8, per_tensor, scale = f32>>
func.func @int8_params() -> tensor<6xf32, #qnt.uniform<i8, per_tensor, scale = f32>> {
  %c = arith.constant dense<[1.0, -3.0, 0.75, 63.0, -100.0, 1.25]> : tensor<6xf32>
  %s = arith.constant dense<0.5> : tensor<1xf32>
  %q = qnt.quantize %c params(%s : tensor<1xf32>) : tensor<6xf32> -> tensor<6xf32, #qnt.uniform<i8, per_tensor, scale = f32>>
  return %q : tensor<6xf32, #qnt.uniform<i8, per_tensor, scale = f32>>
}

// -----

// Parts over the inline limit (64 bytes by default) become blobs named after
// the location of the constant; small ones stay inline. 1.0 / f16(1/7) rounds
// to code 7, two per byte.
// CHECK-LABEL: func.func @blob_parts
// CHECK: qnt.constant [dense_resource<w_codes> : tensor<8x32xi8>, dense<1.428220e-01> : tensor<8x2xf16>] : tensor<8x64xf32, #qnt.uniform<i4, per_group(1, 32), scale = f16>>
// CHECK: w_codes: "0x0100000077777777{{(77)+}}"
func.func @blob_parts() -> tensor<8x64xf32, #qnt.uniform<i4, per_group(1, 32), scale = f16>> {
  %c = arith.constant dense<1.0> : tensor<8x64xf32> loc("w")
  %q = qnt.quantize %c : tensor<8x64xf32> -> tensor<8x64xf32, #qnt.uniform<i4, per_group(1, 32), scale = f16>>
  return %q : tensor<8x64xf32, #qnt.uniform<i4, per_group(1, 32), scale = f16>>
}

// -----

// Weights that are themselves blobs (f32 or f16) are read from the resource.
// Two constants named alike get distinct blob keys.
// CHECK-LABEL: func.func @resource_input
// CHECK: qnt.constant [dense<[32, -127, 16, 95]> : tensor<4xi8>, dense<0.0314960629> : tensor<1xf32>] : tensor<4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>
// CHECK: qnt.constant [dense<[32, -127, 16, 95]> : tensor<4xi8>, dense<0.0314960629> : tensor<1xf32>] : tensor<4xf16, #qnt.uniform<i8, per_tensor, scale = f32>>
// BLOBS-LABEL: func.func @resource_input
// BLOBS: qnt.constant [dense_resource<[[CODES0:wq_codes[_0-9]*]]> : tensor<4xi8>, dense_resource<{{.*}}> : tensor<1xf32>]
// BLOBS: qnt.constant [dense_resource<[[CODES1:wq_codes[_0-9]*]]> : tensor<4xi8>, dense_resource<{{.*}}> : tensor<1xf32>]
// BLOBS-DAG: [[CODES0]]: "0x010000002081105F"
// BLOBS-DAG: [[CODES1]]: "0x010000002081105F"
func.func @resource_input() -> (tensor<4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>, tensor<4xf16, #qnt.uniform<i8, per_tensor, scale = f32>>) {
  %c32 = arith.constant dense_resource<weights_f32> : tensor<4xf32>
  %c16 = arith.constant dense_resource<weights_f16> : tensor<4xf16>
  %q0 = qnt.quantize %c32 : tensor<4xf32> -> tensor<4xf32, #qnt.uniform<i8, per_tensor, scale = f32>> loc("wq")
  %q1 = qnt.quantize %c16 : tensor<4xf16> -> tensor<4xf16, #qnt.uniform<i8, per_tensor, scale = f32>> loc("wq")
  return %q0, %q1 : tensor<4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>, tensor<4xf16, #qnt.uniform<i8, per_tensor, scale = f32>>
}
{-#
  dialect_resources: {
    builtin: {
      weights_f32: "0x040000000000803F000080C00000003F00004040",
      weights_f16: "0x02000000003C00C400380042"
    }
  }
#-}

// -----

// Quantize of a non-constant, or with a non-constant parameter, stays.
// CHECK-LABEL: func.func @not_constant
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>, %[[S:.*]]: tensor<1xf32>)
// CHECK: %[[C:.*]] = arith.constant
// CHECK: qnt.quantize %[[X]] :
// CHECK: qnt.quantize %[[C]] params(%[[S]] : tensor<1xf32>)
// CHECK-NOT: qnt.constant
func.func @not_constant(%x: tensor<4xf32>, %s: tensor<1xf32>) -> (tensor<4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>, tensor<4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>) {
  %c = arith.constant dense<1.0> : tensor<4xf32>
  %q0 = qnt.quantize %x : tensor<4xf32> -> tensor<4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>
  %q1 = qnt.quantize %c params(%s : tensor<1xf32>) : tensor<4xf32> -> tensor<4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>
  return %q0, %q1 : tensor<4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>, tensor<4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>
}

// -----

// #qnt.plain<f16>: values rounded half to even (1 + 2^-11 ties to 1.0),
// overflow to infinity; the only part is the values themselves.
// CHECK-LABEL: func.func @plain_f16
// CHECK-NOT: arith.constant
// CHECK: qnt.constant [dense<[1.000000e+00, -2.500000e+00, 0x7C00, 9.997550e-02]> : tensor<4xf16>] : tensor<4xf32, #qnt.plain<f16>>
func.func @plain_f16() -> tensor<4xf32, #qnt.plain<f16>> {
  %c = arith.constant dense<[1.00048828125, -2.5, 1.0e6, 0.1]> : tensor<4xf32>
  %q = qnt.quantize %c : tensor<4xf32> -> tensor<4xf32, #qnt.plain<f16>>
  return %q : tensor<4xf32, #qnt.plain<f16>>
}

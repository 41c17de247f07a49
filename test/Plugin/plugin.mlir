// The example plugin (examples/plugin) loaded into quant-opt, and into
// Debian's mlir-opt, which learns the qnt dialect from the same library.
// RUN: quant-opt %s --load-pass-plugin=%quant_libs/QuantExamplePlugin%shlibext \
// RUN:   --pass-pipeline="builtin.module(qnt-example-count-encoded)" | FileCheck %s
// RUN: mlir-opt %s --load-dialect-plugin=%quant_libs/QuantExamplePlugin%shlibext \
// RUN:   --load-pass-plugin=%quant_libs/QuantExamplePlugin%shlibext \
// RUN:   --pass-pipeline="builtin.module(qnt-example-count-encoded)" | FileCheck %s
// RUN: quant-opt %s --load-pass-plugin=%quant_libs/QuantExamplePlugin%shlibext \
// RUN:   --pass-pipeline="builtin.module(qnt-example-count-encoded{remarks=true})" \
// RUN:   -o /dev/null 2>&1 | FileCheck %s --check-prefix=REMARK

// Encoded values: %w, %c and %c2 (block argument included; %y is plain).
// Constant bits: 2304 + 96.
// CHECK: module attributes {qnt.example.constant_bits = 2400 : i64, qnt.example.encoded_tensors = 3 : i64}

// int4 codes with one f16 scale per 32: 4 + 16 / 32 = 4.5 bits per weight.
// CHECK-LABEL: func.func @grouped
// CHECK: qnt.constant {{.*}} {qnt.example.bits = 2304 : i64, qnt.example.bits_per_weight = 4.500000e+00 : f64} : tensor<8x64xf32, #qnt.uniform<i4, per_group(1, 32), scale = f16>>
// CHECK: qnt.matmul
// REMARK: remark: encoded constant 'tensor<8x64xf32, #qnt.uniform<i4, per_group(1, 32), scale = f16>>': 2304 bits, 4.500000e+00 bits per weight
func.func @grouped(%x: tensor<3x64xf32>) -> tensor<3x8xf32> {
  %c = qnt.constant [dense_resource<w_codes> : tensor<8x32xi8>, dense<1.0> : tensor<8x2xf16>]
      : tensor<8x64xf32, #qnt.uniform<i4, per_group(1, 32), scale = f16>>
  %y = qnt.matmul %x, %c : (tensor<3x64xf32>, tensor<8x64xf32, #qnt.uniform<i4, per_group(1, 32), scale = f16>>) -> tensor<3x8xf32>
  return %y : tensor<3x8xf32>
}

// Eight int8 codes and one f32 scale: 96 bits, 12 per weight.
// CHECK-LABEL: func.func @per_tensor
// CHECK: qnt.constant {{.*}} {qnt.example.bits = 96 : i64, qnt.example.bits_per_weight = 1.200000e+01 : f64}
// CHECK-NOT: qnt.example
// REMARK: remark: encoded constant 'tensor<2x4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>': 96 bits, 1.200000e+01 bits per weight
func.func @per_tensor(%w: tensor<2x4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>) -> tensor<2x4xf32, #qnt.uniform<i8, per_tensor, scale = f32>> {
  %c2 = qnt.constant [dense<1> : tensor<2x4xi8>, dense<0.5> : tensor<1x1xf32>]
      : tensor<2x4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>
  return %c2 : tensor<2x4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>
}

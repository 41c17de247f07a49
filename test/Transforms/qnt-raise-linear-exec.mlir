// The raised module computes what the tosa one does: both run through the
// reference pipeline and print the same (exact, integer-valued) results.
// RUN: quant-opt %s --pass-pipeline='builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-arith,tosa-to-tensor),qnt-reference-pipeline)' | mlir-runner -e main -entry-point-result=void --shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s
// RUN: quant-opt %s --pass-pipeline='builtin.module(func.func(qnt-raise-linear))' | FileCheck %s --check-prefix=RAISED
// RUN: quant-opt %s --pass-pipeline='builtin.module(func.func(qnt-raise-linear,tosa-to-linalg-named,tosa-to-linalg,tosa-to-arith,tosa-to-tensor),qnt-reference-pipeline)' | mlir-runner -e main -entry-point-result=void --shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s

// RAISED: qnt.matmul {{.*}} bias({{.*}}) residual({{.*}}) {activation = #qnt.activation<relu>}
// RAISED-NOT: tosa.matmul

// x [2, 1, 2] folded to [1, 2, 2] around tosa.matmul as the ONNX importer
// does, W [2, 3], then bias, relu and a residual of ones:
// row 0: [1, 2] W = [9, 12, 15] + [1, -20, 0] -> relu [10, 0, 15] + 1
// row 1: [3, -4] W = [-13, -14, -15] + bias -> relu 0 + 1
// CHECK: rank = 3 offset = 0 sizes = [2, 1, 3]
// CHECK-NEXT: {{\[}}{{\[}}[11, 1, 16]],
// CHECK-NEXT: {{\[}}[1, 1, 1]]]
func.func @main() {
  %x = arith.constant dense<[[[1.0, 2.0]], [[3.0, -4.0]]]> : tensor<2x1x2xf32>
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %bias = arith.constant dense<[[[1.0, -20.0, 0.0]]]> : tensor<1x1x3xf32>
  %res = arith.constant dense<1.0> : tensor<2x1x3xf32>
  %s0 = tosa.const_shape {values = dense<[1, 2, 2]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %x3 = tosa.reshape %x, %s0 : (tensor<2x1x2xf32>, !tosa.shape<3>) -> tensor<1x2x2xf32>
  %s1 = tosa.const_shape {values = dense<[1, 2, 3]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %w3 = tosa.reshape %w, %s1 : (tensor<2x3xf32>, !tosa.shape<3>) -> tensor<1x2x3xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %mm = tosa.matmul %x3, %w3, %zp, %zp : (tensor<1x2x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x3xf32>
  %s2 = tosa.const_shape {values = dense<[2, 1, 3]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %y = tosa.reshape %mm, %s2 : (tensor<1x2x3xf32>, !tosa.shape<3>) -> tensor<2x1x3xf32>
  %yb = tosa.add %y, %bias : (tensor<2x1x3xf32>, tensor<1x1x3xf32>) -> tensor<2x1x3xf32>
  %r = tosa.clamp %yb {max_val = 0x7F800000 : f32, min_val = 0.0 : f32} : (tensor<2x1x3xf32>) -> tensor<2x1x3xf32>
  %out = tosa.add %r, %res : (tensor<2x1x3xf32>, tensor<2x1x3xf32>) -> tensor<2x1x3xf32>
  %u = tensor.cast %out : tensor<2x1x3xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}
func.func private @printMemrefF32(tensor<*xf32>) attributes {llvm.emit_c_interface}

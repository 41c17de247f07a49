// RUN: quant-opt %s --pass-pipeline='builtin.module(func.func(qnt-fuse-matmul))' | FileCheck %s
// RUN: quant-opt %s --pass-pipeline='builtin.module(func.func(qnt-fuse-matmul{report}))' -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT

// Kernels: dequantize, matmul and generic fold into one (bias_relu); 24x40
// f32 decoded weight (3840 bytes) plus the 3x24 matmul result (288).
// REPORT-DAG: remark: qnt-fuse-matmul: fused 1 matmuls; kernels 3 -> 1; 4128 bytes
// dequantize, transpose, matmul, 2 generics -> 1; weight and its transpose
// (2 x 3840) and two 5x24 intermediates (2 x 480).
// REPORT-DAG: remark: qnt-fuse-matmul: fused 1 matmuls; kernels 5 -> 1; 8640 bytes
// Nothing fused: the remark still reports the kernel count.
// REPORT-DAG: remark: qnt-fuse-matmul: fused 0 matmuls; kernels 3 -> 3; 0 bytes
// The decoded weight is only read by the matmul; the matmul result stays
// (the generic still reads it).
// REPORT-DAG: remark: qnt-fuse-matmul: fused 1 matmuls; kernels 3 -> 2; 3840 bytes

#enc = #qnt.uniform<i4, per_group(1, 32), scale = f16>
#mkn_a = affine_map<(m, n, k) -> (m, k)>
#mkn_bt = affine_map<(m, n, k) -> (n, k)>
#mkn_b = affine_map<(m, n, k) -> (k, n)>
#mkn_c = affine_map<(m, n, k) -> (m, n)>
#row = affine_map<(m, n) -> (m, n)>
#bias = affine_map<(m, n) -> (n)>

// A matmul reading the decoded weight through an (n, k) map, then bias and
// relu in one generic: everything becomes one qnt.matmul.
// CHECK-LABEL: func.func @bias_relu
// CHECK-SAME:    (%[[X:.*]]: tensor<3x40xf32>, %[[W:.*]]: tensor<24x40xf32, #qnt.uniform{{.*}}>, %[[B:.*]]: tensor<24xf32>)
// CHECK-NOT:     qnt.dequantize
// CHECK-NOT:     linalg.
// CHECK:         %[[Y:.*]] = qnt.matmul %[[X]], %[[W]] bias(%[[B]]) {activation = #qnt.activation<relu>}
// CHECK-NEXT:    return %[[Y]]
func.func @bias_relu(%x: tensor<3x40xf32>, %w: tensor<24x40xf32, #enc>, %b: tensor<24xf32>) -> tensor<3x24xf32> {
  %zero = arith.constant 0.0 : f32
  %wf = qnt.dequantize %w : tensor<24x40xf32, #enc> -> tensor<24x40xf32>
  %e = tensor.empty() : tensor<3x24xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x24xf32>) -> tensor<3x24xf32>
  %m = linalg.matmul indexing_maps = [#mkn_a, #mkn_bt, #mkn_c]
      ins(%x, %wf : tensor<3x40xf32>, tensor<24x40xf32>) outs(%f : tensor<3x24xf32>) -> tensor<3x24xf32>
  %y = linalg.generic {indexing_maps = [#row, #bias, #row], iterator_types = ["parallel", "parallel"]}
      ins(%m, %b : tensor<3x24xf32>, tensor<24xf32>) outs(%e : tensor<3x24xf32>) {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %s = arith.addf %a, %c : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<3x24xf32>
  return %y : tensor<3x24xf32>
}

// A plain matmul against linalg.transpose of the decoded weight, then silu
// and a residual add in separate generics.
// CHECK-LABEL: func.func @transpose_silu_residual
// CHECK-SAME:    (%[[X:.*]]: tensor<5x40xf32>, %[[W:.*]]: tensor<24x40xf32, #qnt.uniform{{.*}}>, %[[R:.*]]: tensor<5x24xf32>)
// CHECK:         %[[Y:.*]] = qnt.matmul %[[X]], %[[W]] residual(%[[R]]) {activation = #qnt.activation<silu>}
// CHECK-NEXT:    return %[[Y]]
func.func @transpose_silu_residual(%x: tensor<5x40xf32>, %w: tensor<24x40xf32, #enc>, %r: tensor<5x24xf32>) -> tensor<5x24xf32> {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %wf = qnt.dequantize %w : tensor<24x40xf32, #enc> -> tensor<24x40xf32>
  %et = tensor.empty() : tensor<40x24xf32>
  %wt = linalg.transpose ins(%wf : tensor<24x40xf32>) outs(%et : tensor<40x24xf32>) permutation = [1, 0]
  %e = tensor.empty() : tensor<5x24xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<5x24xf32>) -> tensor<5x24xf32>
  %m = linalg.matmul ins(%x, %wt : tensor<5x40xf32>, tensor<40x24xf32>) outs(%f : tensor<5x24xf32>) -> tensor<5x24xf32>
  %s = linalg.generic {indexing_maps = [#row, #row], iterator_types = ["parallel", "parallel"]}
      ins(%m : tensor<5x24xf32>) outs(%e : tensor<5x24xf32>) {
  ^bb0(%a: f32, %out: f32):
    %n = arith.negf %a : f32
    %ex = math.exp %n : f32
    %d = arith.addf %ex, %one : f32
    %q = arith.divf %a, %d : f32
    linalg.yield %q : f32
  } -> tensor<5x24xf32>
  %y = linalg.generic {indexing_maps = [#row, #row, #row], iterator_types = ["parallel", "parallel"]}
      ins(%s, %r : tensor<5x24xf32>, tensor<5x24xf32>) outs(%e : tensor<5x24xf32>) {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %t = arith.addf %a, %c : f32
    linalg.yield %t : f32
  } -> tensor<5x24xf32>
  return %y : tensor<5x24xf32>
}

// Not fused: the accumulator is not zero, and the weight is a plain tensor.
// CHECK-LABEL: func.func @not_fused
// CHECK:         linalg.matmul
// CHECK:         linalg.matmul
// CHECK-NOT:     qnt.matmul
func.func @not_fused(%x: tensor<3x40xf32>, %w: tensor<24x40xf32, #enc>, %p: tensor<24x40xf32>, %acc: tensor<3x24xf32>) -> (tensor<3x24xf32>, tensor<3x24xf32>) {
  %zero = arith.constant 0.0 : f32
  %wf = qnt.dequantize %w : tensor<24x40xf32, #enc> -> tensor<24x40xf32>
  %m = linalg.matmul indexing_maps = [#mkn_a, #mkn_bt, #mkn_c]
      ins(%x, %wf : tensor<3x40xf32>, tensor<24x40xf32>) outs(%acc : tensor<3x24xf32>) -> tensor<3x24xf32>
  %e = tensor.empty() : tensor<3x24xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x24xf32>) -> tensor<3x24xf32>
  %n = linalg.matmul indexing_maps = [#mkn_a, #mkn_bt, #mkn_c]
      ins(%x, %p : tensor<3x40xf32>, tensor<24x40xf32>) outs(%f : tensor<3x24xf32>) -> tensor<3x24xf32>
  return %m, %n : tensor<3x24xf32>, tensor<3x24xf32>
}

// The bias generic has a second use: the matmul alone is fused and the
// generic stays.
// CHECK-LABEL: func.func @shared_intermediate
// CHECK:         %[[M:.*]] = qnt.matmul
// CHECK-NOT:     activation
// CHECK:         linalg.generic
// CHECK-SAME:    ins(%[[M]]
func.func @shared_intermediate(%x: tensor<3x40xf32>, %w: tensor<24x40xf32, #enc>, %b: tensor<24xf32>) -> (tensor<3x24xf32>, tensor<3x24xf32>) {
  %zero = arith.constant 0.0 : f32
  %wf = qnt.dequantize %w : tensor<24x40xf32, #enc> -> tensor<24x40xf32>
  %e = tensor.empty() : tensor<3x24xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x24xf32>) -> tensor<3x24xf32>
  %m = linalg.matmul indexing_maps = [#mkn_a, #mkn_bt, #mkn_c]
      ins(%x, %wf : tensor<3x40xf32>, tensor<24x40xf32>) outs(%f : tensor<3x24xf32>) -> tensor<3x24xf32>
  %y = linalg.generic {indexing_maps = [#row, #bias, #row], iterator_types = ["parallel", "parallel"]}
      ins(%m, %b : tensor<3x24xf32>, tensor<24xf32>) outs(%e : tensor<3x24xf32>) {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<3x24xf32>
  return %y, %m : tensor<3x24xf32>, tensor<3x24xf32>
}

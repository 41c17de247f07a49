// RUN: quant-opt %s --qnt-outliers='fraction=0.125 format=int4-g4' 2>/dev/null | FileCheck %s
// RUN: quant-opt %s --qnt-outliers='fraction=0.125 format=int4-g4' 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: quant-opt %s --qnt-outliers='fraction=0.125 format=int4-g4 value-type=f32 layers=b' 2>/dev/null | FileCheck %s --check-prefix=LAYER
// RUN: quant-opt %s --qnt-outliers='fraction=0.125 format=int4-g4 value-type=f32 layers=b' 2>&1 >/dev/null | FileCheck %s --check-prefix=LREMARK

// The 2 largest magnitudes of 16 (8 at (0, 3) and -9 at (1, 1)) go to the
// CSR part; the dense rest is quantized in groups of 4, where the outliers
// are zeros that symmetric int4 decodes exactly, so the sparse values are
// the weights themselves.
// REMARK: remark: qnt-outliers: a: 2 of 16 weights kept sparse; relative weight error {{.*}} -> {{.*}}
// CHECK-LABEL: func.func @split
// CHECK: qnt.constant [{{.*}} : tensor<2x4xi8>, {{.*}} : tensor<2x2xf16>, dense<[0, 1, 2]> : tensor<3xi32>, dense<[3, 1]> : tensor<2xi32>, dense<[8.000000e+00, -9.000000e+00]> : tensor<2xf16>] : tensor<2x8xf32, #qnt.outliers<#qnt.uniform<i4, per_group(1, 4), scale = f16>, nnz = 2, value = f16>>
// LREMARK-NOT: remark: qnt-outliers: a
// LREMARK: remark: qnt-outliers: b: 2 of 16
// LAYER: tensor<2x8xf32, #qnt.plain<f32>>
// LAYER: tensor<2x8xf32, #qnt.outliers<#qnt.uniform<i4, per_group(1, 4), scale = f16>, nnz = 2, value = f32>>
func.func @split(%x: tensor<1x8xf32>) -> (tensor<1x2xf32>, tensor<1x2xf32>) {
  %w = qnt.constant [dense<[[0.1, 0.2, 0.1, 8.0, 0.1, -0.2, 0.3, 0.1], [0.1, -9.0, 0.2, 0.1, 0.3, 0.2, 0.1, 0.1]]> : tensor<2x8xf32>] : tensor<2x8xf32, #qnt.plain<f32>>
  %a = qnt.matmul %x, %w {qnt.layer = "a"} : (tensor<1x8xf32>, tensor<2x8xf32, #qnt.plain<f32>>) -> tensor<1x2xf32>
  %b = qnt.matmul %x, %w {qnt.layer = "b"} : (tensor<1x8xf32>, tensor<2x8xf32, #qnt.plain<f32>>) -> tensor<1x2xf32>
  return %a, %b : tensor<1x2xf32>, tensor<1x2xf32>
}

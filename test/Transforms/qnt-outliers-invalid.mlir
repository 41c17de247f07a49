// RUN: not quant-opt %s --qnt-outliers='fraction=2' 2>&1 | FileCheck %s --check-prefix=FRACTION
// RUN: not quant-opt %s --qnt-outliers='value-type=bf16' 2>&1 | FileCheck %s --check-prefix=VALUE
// RUN: not quant-opt %s --qnt-outliers='format=int99' 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not quant-opt %s --qnt-outliers='layers=nope' 2>&1 | FileCheck %s --check-prefix=LAYER
// RUN: quant-opt %s --qnt-outliers='format=int4-g32' 2>&1 | FileCheck %s --check-prefix=GROUP

// FRACTION: error: qnt-outliers: fraction must be in [0, 1], got 2
// VALUE: error: qnt-outliers: unknown value-type 'bf16' (expected f16 or f32)
// FORMAT: error: qnt-outliers: bad format 'int99':
// LAYER: error: qnt-outliers: no qnt.matmul has qnt.layer = "nope"
// GROUP: warning: qnt-outliers: K = 2 is not a multiple of the group of 32; this weight stays plain
func.func @f(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = qnt.constant [dense<[[2.0, 1.0], [2.0, 1.0]]> : tensor<2x2xf32>] : tensor<2x2xf32, #qnt.plain<f32>>
  %a = qnt.matmul %x, %w {qnt.layer = "a"} : (tensor<1x2xf32>, tensor<2x2xf32, #qnt.plain<f32>>) -> tensor<1x2xf32>
  return %a : tensor<1x2xf32>
}

// RUN: quant-opt %s --qnt-quantize-weights='encoding=int5' -verify-diagnostics
// The other bad options, each an error at the module and a failed pass.
// RUN: not quant-opt %s --qnt-quantize-weights='encoding=int4 scale-type=f8' 2>&1 | FileCheck %s --check-prefix=SCALE
// RUN: not quant-opt %s --qnt-quantize-weights='encoding=int4 group-size=-4' 2>&1 | FileCheck %s --check-prefix=GROUP
// RUN: not quant-opt %s --qnt-quantize-weights='encoding=nf4 asymmetric=true' 2>&1 | FileCheck %s --check-prefix=ASYM
// RUN: not quant-opt %s --qnt-quantize-weights='encoding=mxfp4 group-size=64' 2>&1 | FileCheck %s --check-prefix=BLOCK
// SCALE: error: qnt-quantize-weights: unknown scale-type 'f8' (expected f16 or f32)
// GROUP: error: qnt-quantize-weights: group-size must be >= 0 (0: per output channel), got -4
// ASYM: error: qnt-quantize-weights: asymmetric applies to the integer encodings only, not 'nf4'
// BLOCK: error: qnt-quantize-weights: mxfp4 has a fixed block of 32 elements; group-size 64 is not possible

// expected-error @below {{qnt-quantize-weights: unknown encoding 'int5' (expected int8, int4, int3, int2, nf4, mxfp4, nvfp4 or fp8)}}
module {
  func.func @f(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
    %w = qnt.constant [dense<1.0> : tensor<2x4xf32>] : tensor<2x4xf32, #qnt.plain<f32>>
    %y = qnt.matmul %x, %w : (tensor<1x4xf32>, tensor<2x4xf32, #qnt.plain<f32>>) -> tensor<1x2xf32>
    return %y : tensor<1x2xf32>
  }
}

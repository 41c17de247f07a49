// RUN: quant-opt %s --split-input-file --qnt-quantize-weights='encoding=int8 group-size=0 scale-type=f32' | FileCheck %s --check-prefix=INT8
// RUN: quant-opt %s --split-input-file --qnt-quantize-weights='encoding=int4 group-size=4' | FileCheck %s --check-prefix=INT4
// RUN: quant-opt %s --split-input-file --qnt-quantize-weights='encoding=int4 group-size=4 asymmetric=true' | FileCheck %s --check-prefix=ASYM
// RUN: quant-opt %s --split-input-file --qnt-quantize-weights='encoding=int3 group-size=0' | FileCheck %s --check-prefix=INT3
// RUN: quant-opt %s --split-input-file --qnt-quantize-weights='encoding=int2' 2>&1 | FileCheck %s --check-prefix=INT2
// RUN: quant-opt %s --split-input-file --qnt-quantize-weights='encoding=nf4 group-size=0' | FileCheck %s --check-prefix=NF4
// RUN: quant-opt %s --split-input-file --qnt-quantize-weights='encoding=fp8 group-size=4' | FileCheck %s --check-prefix=FP8
// RUN: quant-opt %s --split-input-file --qnt-quantize-weights='encoding=mxfp4' 2>&1 | FileCheck %s --check-prefix=MXFP4
// RUN: quant-opt %s --split-input-file --qnt-quantize-weights='encoding=nvfp4 group-size=16' 2>&1 | FileCheck %s --check-prefix=NVFP4
// RUN: quant-opt %s --split-input-file --qnt-quantize-weights='encoding=int4 group-size=4 min-elements=9' | FileCheck %s --check-prefix=SKIP

// The plain weight of each qnt.matmul is replaced by the reference
// encoder's constant; no float copy of it is left.
// Per channel int8 (hand-computed): row 0 absmax 4, s = 4/127, codes
// rne([1, -2, 3, -4] * 127/4) = [32, -64, 95, -127]; row 1 absmax 0.5,
// codes [127, 64, 0, -127].
// INT8-LABEL: func.func @small
// INT8-NOT: #qnt.plain
// INT8: qnt.constant [dense<{{\[}}[32, -64, 95, -127], [127, 64, 0, -127]]> : tensor<2x4xi8>, dense<{{\[}}[0.0314960629], [0.00393700786]]> : tensor<2x1xf32>] : tensor<2x4xf32, #qnt.uniform<i8, per_channel(0), scale = f32>>
// INT8: qnt.matmul

// INT4: qnt.constant [{{.*}} : tensor<2x2xi8>, {{.*}} : tensor<2x1xf16>] : tensor<2x4xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>
// ASYM: tensor<2x4xf32, #qnt.uniform<ui4, per_group(1, 4), scale = f16, asymmetric>>
// INT3: tensor<2x4xf32, #qnt.uniform<i3, per_channel(0), scale = f16>>
// A K that is not a multiple of the block leaves the weight plain, with a
// warning.
// INT2: warning: qnt-quantize-weights: K = 4 is not a multiple of the block of 32; this weight stays plain
// INT2: tensor<2x4xf32, #qnt.plain<f32>>
// INT2: tensor<2x32xf32, #qnt.uniform<i2, per_group(1, 32), scale = f16>>
// NF4: tensor<2x4xf32, #qnt.lut<nf4, per_channel(0), scale = f16>>
// FP8: tensor<2x4xf32, #qnt.float<f8E4M3FN, per_group(1, 4), scale = f16>>
// MXFP4: tensor<2x32xf32, #qnt.float<mxfp4>>
// NVFP4: tensor<2x32xf32, #qnt.float<nvfp4>>
// Weights under min-elements stay plain.
// SKIP-LABEL: func.func @small
// SKIP: tensor<2x4xf32, #qnt.plain<f32>>
// SKIP-NOT: #qnt.uniform
// SKIP-LABEL: func.func @wide
// SKIP: tensor<2x32xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>
func.func @small(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = qnt.constant [dense<[[1.0, -2.0, 3.0, -4.0], [0.5, 0.25, 0.0, -0.5]]> : tensor<2x4xf32>] : tensor<2x4xf32, #qnt.plain<f32>>
  %y = qnt.matmul %x, %w : (tensor<3x4xf32>, tensor<2x4xf32, #qnt.plain<f32>>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// A wider weight for the encodings with blocks of 16 and 32; already
// encoded weights are left alone.
// INT8-LABEL: func.func @wide
// INT8: tensor<2x32xf32, #qnt.uniform<i8, per_channel(0), scale = f32>>
// INT8: #qnt.uniform<i4, per_channel(0), scale = f16>
func.func @wide(%x: tensor<1x32xf32>) -> (tensor<1x2xf32>, tensor<1x2xf32>) {
  %w = qnt.constant [dense<[[1.0, -2.0, 3.0, -4.0, 1.0, -2.0, 3.0, -4.0, 1.0, -2.0, 3.0, -4.0, 1.0, -2.0, 3.0, -4.0, 1.0, -2.0, 3.0, -4.0, 1.0, -2.0, 3.0, -4.0, 1.0, -2.0, 3.0, -4.0, 1.0, -2.0, 3.0, -4.0], [0.5, 0.25, 0.0, -0.5, 0.5, 0.25, 0.0, -0.5, 0.5, 0.25, 0.0, -0.5, 0.5, 0.25, 0.0, -0.5, 0.5, 0.25, 0.0, -0.5, 0.5, 0.25, 0.0, -0.5, 0.5, 0.25, 0.0, -0.5, 0.5, 0.25, 0.0, -0.5]]> : tensor<2x32xf32>] : tensor<2x32xf32, #qnt.plain<f32>>
  %q = qnt.constant [dense<0> : tensor<2x16xi8>, dense<1.0> : tensor<2x1xf16>] : tensor<2x32xf32, #qnt.uniform<i4, per_channel(0), scale = f16>>
  %y = qnt.matmul %x, %w : (tensor<1x32xf32>, tensor<2x32xf32, #qnt.plain<f32>>) -> tensor<1x2xf32>
  %z = qnt.matmul %x, %q : (tensor<1x32xf32>, tensor<2x32xf32, #qnt.uniform<i4, per_channel(0), scale = f16>>) -> tensor<1x2xf32>
  return %y, %z : tensor<1x2xf32>, tensor<1x2xf32>
}

// RUN: quant-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(qnt-reorder-channels))' -verify-diagnostics
// RUN: not quant-opt %s --pass-pipeline='builtin.module(func.func(qnt-reorder-channels{unabsorbed=sometimes}))' 2>&1 | FileCheck %s --check-prefix=MODE
// RUN: not quant-opt %s --pass-pipeline='builtin.module(func.func(qnt-reorder-channels{num-outliers=-2}))' 2>&1 | FileCheck %s --check-prefix=COUNT

// MODE: error: qnt-reorder-channels: unknown unabsorbed='sometimes' (expected encode or skip)
// COUNT: error: qnt-reorder-channels: num-outliers must be >= 0, or -1 to sort all channels; got -2

func.func @bad_length(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = qnt.constant [dense<[[2.0, 1.0], [2.0, 1.0]]> : tensor<2x2xf32>] : tensor<2x2xf32, #qnt.plain<f32>>
  // expected-error @+1 {{'qnt.input_absmax' must be a dense f32 vector of 2 values (one per input channel)}}
  %a = qnt.matmul %x, %w {qnt.input_absmax = dense<[1.0, 2.0, 3.0]> : tensor<3xf32>} : (tensor<1x2xf32>, tensor<2x2xf32, #qnt.plain<f32>>) -> tensor<1x2xf32>
  return %a : tensor<1x2xf32>
}

// -----

func.func @negative(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = qnt.constant [dense<[[2.0, 1.0], [2.0, 1.0]]> : tensor<2x2xf32>] : tensor<2x2xf32, #qnt.plain<f32>>
  // expected-error @+1 {{'qnt.input_absmax' holds a negative or non-finite value}}
  %a = qnt.matmul %x, %w {qnt.input_absmax = dense<[1.0, -2.0]> : tensor<2xf32>} : (tensor<1x2xf32>, tensor<2x2xf32, #qnt.plain<f32>>) -> tensor<1x2xf32>
  return %a : tensor<1x2xf32>
}

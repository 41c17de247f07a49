// RUN: quant-opt %s --pass-pipeline='builtin.module(func.func(qnt-migrate-scales{method=smoothquant}))' -verify-diagnostics
// RUN: not quant-opt %s --pass-pipeline='builtin.module(func.func(qnt-migrate-scales{method=gptq}))' 2>&1 | FileCheck %s --check-prefix=METHOD
// RUN: not quant-opt %s --pass-pipeline='builtin.module(func.func(qnt-migrate-scales{method=smoothquant alpha=1.5}))' 2>&1 | FileCheck %s --check-prefix=ALPHA
// RUN: not quant-opt %s --pass-pipeline='builtin.module(func.func(qnt-migrate-scales{format=int99}))' 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not quant-opt %s --pass-pipeline='builtin.module(func.func(qnt-migrate-scales{grid-points=1}))' 2>&1 | FileCheck %s --check-prefix=GRID

// METHOD: error: qnt-migrate-scales: unknown method 'gptq' (expected awq or smoothquant)
// ALPHA: error: qnt-migrate-scales: alpha must be in [0, 1], got 1.5
// FORMAT: error: qnt-migrate-scales: bad format 'int99':
// GRID: error: qnt-migrate-scales: grid-points must be >= 2, got 1

func.func @bad_stat(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = qnt.constant [dense<[[2.0, 1.0], [2.0, 1.0]]> : tensor<2x2xf32>] : tensor<2x2xf32, #qnt.plain<f32>>
  // expected-error @+1 {{'qnt.input_meanabs' must be a dense f32 vector of 2 values (one per input channel)}}
  %a = qnt.matmul %x, %w {qnt.input_meanabs = dense<[1, 2]> : tensor<2xi32>} : (tensor<1x2xf32>, tensor<2x2xf32, #qnt.plain<f32>>) -> tensor<1x2xf32>
  return %a : tensor<1x2xf32>
}

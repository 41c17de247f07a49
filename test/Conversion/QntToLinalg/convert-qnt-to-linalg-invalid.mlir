// RUN: quant-opt %s --convert-qnt-to-linalg --split-input-file -verify-diagnostics

// Encodings whose encode is a search (k-means, top-k, SVD) have no IR form:
// their constants are encoded at compile time instead.
func.func @codebook_encode(%x: tensor<4x8xf32>) -> tensor<4x8xf32, #qnt.codebook<dim = 4, entries = 16, stages = 1, codebook = f16>> {
  // expected-error @+2 {{encode of #qnt.codebook has no IR form; encode constants with qnt-fold-constant-quantize}}
  // expected-error @+1 {{failed to legalize operation 'qnt.quantize'}}
  %0 = qnt.quantize %x : tensor<4x8xf32> -> tensor<4x8xf32, #qnt.codebook<dim = 4, entries = 16, stages = 1, codebook = f16>>
  return %0 : tensor<4x8xf32, #qnt.codebook<dim = 4, entries = 16, stages = 1, codebook = f16>>
}

// -----

func.func @sparse_encode(%x: tensor<4x8xf32>) -> tensor<4x8xf32, #qnt.sparse<2:4>> {
  // expected-error @+2 {{encode of #qnt.sparse has no IR form; encode constants with qnt-fold-constant-quantize}}
  // expected-error @+1 {{failed to legalize operation 'qnt.quantize'}}
  %0 = qnt.quantize %x : tensor<4x8xf32> -> tensor<4x8xf32, #qnt.sparse<2:4>>
  return %0 : tensor<4x8xf32, #qnt.sparse<2:4>>
}

// -----

func.func @stored_table_encode(%x: tensor<4x8xf32>) -> tensor<4x8xf32, #qnt.lut<3, per_channel(0), table = f16>> {
  // expected-error @+2 {{encode of #qnt.lut has no IR form; encode constants with qnt-fold-constant-quantize}}
  // expected-error @+1 {{failed to legalize operation 'qnt.quantize'}}
  %0 = qnt.quantize %x : tensor<4x8xf32> -> tensor<4x8xf32, #qnt.lut<3, per_channel(0), table = f16>>
  return %0 : tensor<4x8xf32, #qnt.lut<3, per_channel(0), table = f16>>
}

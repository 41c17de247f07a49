// RUN: quant-opt %s -split-input-file -verify-diagnostics

// One case per op diagnostic.

func.func @constant_part_count() {
  // expected-error @+1 {{'qnt.constant' op expects 2 parts (codes, scales) for 'tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>', got 1}}
  %0 = qnt.constant [dense<0> : tensor<4x4xi8>] : tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>
  return
}

// -----

func.func @constant_part_type() {
  // expected-error @+1 {{'qnt.constant' op part 1 ('scales') has type 'tensor<4x2xf32>', expected 'tensor<4x2xf16>'}}
  %0 = qnt.constant [dense<0> : tensor<4x4xi8>, dense<1.0> : tensor<4x2xf32>] : tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>
  return
}

// -----

func.func @constant_part_shape() {
  // expected-error @+1 {{'qnt.constant' op part 0 ('codes') has type 'tensor<4x8xi8>', expected 'tensor<4x4xi8>'}}
  %0 = qnt.constant [dense<0> : tensor<4x8xi8>, dense<1.0> : tensor<4x2xf16>] : tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>
  return
}

// -----

func.func @constant_vector_part() {
  // expected-error @+1 {{'qnt.constant' op part 0 ('codes') has type 'vector<4x4xi8>', expected 'tensor<4x4xi8>'}}
  %0 = qnt.constant [dense<0> : vector<4x4xi8>, dense<1.0> : tensor<4x2xf16>] : tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>
  return
}

// -----

func.func @quantize_encoded_input(%x: tensor<4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>) {
  // expected-error @+1 {{'qnt.quantize' op input must be a plain float tensor, got 'tensor<4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>'}}
  %0 = qnt.quantize %x : tensor<4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>> -> tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>
  return
}

// -----

func.func @quantize_shape(%x: tensor<4x16xf32>) {
  // expected-error @+1 {{'qnt.quantize' op input shape 4x16 does not match result shape 4x8}}
  %0 = qnt.quantize %x : tensor<4x16xf32> -> tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>
  return
}

// -----

func.func @quantize_element_type(%x: tensor<4x8xf16>) {
  // expected-error @+1 {{'qnt.quantize' op input element type 'f16' does not match result element type 'f32'}}
  %0 = qnt.quantize %x : tensor<4x8xf16> -> tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>
  return
}

// -----

func.func @quantize_param_count(%x: tensor<4x8xf32>, %s: tensor<4x2xf16>) {
  // expected-error @+1 {{'qnt.quantize' op expects no params or 1 (scales), got 2}}
  %0 = qnt.quantize %x params(%s, %s : tensor<4x2xf16>, tensor<4x2xf16>) : tensor<4x8xf32> -> tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>
  return
}

// -----

func.func @quantize_param_type(%x: tensor<4x8xf32>, %s: tensor<4x2xf32>, %z: tensor<4x1xi8>) {
  // expected-error @+1 {{'qnt.quantize' op param 0 ('scales') has type 'tensor<4x2xf32>', expected 'tensor<4x2xf16>'}}
  %0 = qnt.quantize %x params(%s, %z : tensor<4x2xf32>, tensor<4x1xi8>) : tensor<4x8xf32> -> tensor<4x8xf32, #qnt.uniform<ui4, per_group(1, 4), scale = f16, asymmetric>>
  return
}

// -----

func.func @quantize_no_param_parts(%x: tensor<4x8xf32>, %s: tensor<1xf32>) {
  // expected-error @+1 {{'qnt.quantize' op encoding of 'tensor<4x8xf32, #qnt.float<f8E4M3FN>>' has no parameter parts, got 1 params}}
  %0 = qnt.quantize %x params(%s : tensor<1xf32>) : tensor<4x8xf32> -> tensor<4x8xf32, #qnt.float<f8E4M3FN>>
  return
}

// -----

func.func @quantize_plain_result(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'qnt.quantize' op result #0 must be ranked float tensor with a #qnt encoding, but got 'tensor<4x8xf32>'}}
  %0 = qnt.quantize %x : tensor<4x8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @dequantize_encoded_result(%q: tensor<4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>) {
  // expected-error @+1 {{'qnt.dequantize' op result must be a plain float tensor, got 'tensor<4x8xf32, #qnt.uniform<i4, per_tensor, scale = f32>>'}}
  %0 = qnt.dequantize %q : tensor<4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>> -> tensor<4x8xf32, #qnt.uniform<i4, per_tensor, scale = f32>>
  return
}

// -----

func.func @dequantize_shape(%q: tensor<4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>) {
  // expected-error @+1 {{'qnt.dequantize' op input shape 4x8 does not match result shape 8x4}}
  %0 = qnt.dequantize %q : tensor<4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>> -> tensor<8x4xf32>
  return
}

// -----

func.func @dequantize_int_result(%q: tensor<4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>) {
  // expected-error @+1 {{'qnt.dequantize' op result #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<4x8xi8>'}}
  %0 = qnt.dequantize %q : tensor<4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>> -> tensor<4x8xi8>
  return
}

// -----

func.func @assemble_count(%c: tensor<4x4xi8>) {
  // expected-error @+1 {{'qnt.assemble' op expects 2 parts (codes, scales) for 'tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>', got 1}}
  %0 = qnt.assemble(%c) : (tensor<4x4xi8>) -> tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>
  return
}

// -----

func.func @assemble_type(%c: tensor<4x4xi8>, %s: tensor<2x4xf16>) {
  // expected-error @+1 {{'qnt.assemble' op part 1 ('scales') has type 'tensor<2x4xf16>', expected 'tensor<4x2xf16>'}}
  %0 = qnt.assemble(%c, %s) : (tensor<4x4xi8>, tensor<2x4xf16>) -> tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>
  return
}

// -----

func.func @disassemble_count(%q: tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>) {
  // expected-error @+1 {{'qnt.disassemble' op expects 2 results (codes, scales) for 'tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>', got 3}}
  %0:3 = qnt.disassemble %q : tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>> -> (tensor<4x4xi8>, tensor<4x2xf16>, tensor<4x1xi8>)
  return
}

// -----

func.func @disassemble_type(%q: tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>) {
  // expected-error @+1 {{'qnt.disassemble' op result 0 ('codes') has type 'tensor<4x4xui8>', expected 'tensor<4x4xi8>'}}
  %0:2 = qnt.disassemble %q : tensor<4x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>> -> (tensor<4x4xui8>, tensor<4x2xf16>)
  return
}

// -----

func.func @matmul_encoded_lhs(%x: tensor<3x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>, %w: tensor<4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>) {
  // expected-error @+1 {{'qnt.matmul' op lhs must be a plain float tensor, got 'tensor<3x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>'}}
  %0 = qnt.matmul %x, %w : (tensor<3x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>, tensor<4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>) -> tensor<3x4xf32>
  return
}

// -----

func.func @matmul_lhs_rank(%x: tensor<8xf32>, %w: tensor<4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>) {
  // expected-error @+1 {{'qnt.matmul' op lhs must have rank >= 2 ([..., M, K]), got rank 1}}
  %0 = qnt.matmul %x, %w : (tensor<8xf32>, tensor<4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>) -> tensor<4xf32>
  return
}

// -----

func.func @matmul_weight_rank(%x: tensor<3x8xf32>, %w: tensor<2x4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>) {
  // expected-error @+1 {{'qnt.matmul' op weight must be [N, K] or batched [B..., N, K] with the lhs rank 2, got shape 2x4x8}}
  %0 = qnt.matmul %x, %w : (tensor<3x8xf32>, tensor<2x4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>) -> tensor<3x4xf32>
  return
}

// -----

func.func @matmul_weight_batch(%x: tensor<2x3x8xf32>, %w: tensor<5x4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>) {
  // expected-error @+1 {{'qnt.matmul' op weight batch dimensions 5 do not match lhs batch dimensions 2}}
  %0 = qnt.matmul %x, %w : (tensor<2x3x8xf32>, tensor<5x4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>) -> tensor<2x3x4xf32>
  return
}

// -----

func.func @matmul_reduction(%x: tensor<3x16xf32>, %w: tensor<4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>) {
  // expected-error @+1 {{'qnt.matmul' op lhs reduction size 16 does not match weight reduction size 8}}
  %0 = qnt.matmul %x, %w : (tensor<3x16xf32>, tensor<4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>) -> tensor<3x4xf32>
  return
}

// -----

func.func @matmul_result(%x: tensor<3x8xf32>, %w: tensor<4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>) {
  // expected-error @+1 {{'qnt.matmul' op result shape 3x8 does not match expected 3x4 ([..., M, N])}}
  %0 = qnt.matmul %x, %w : (tensor<3x8xf32>, tensor<4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>) -> tensor<3x8xf32>
  return
}

// -----

func.func @matmul_bias(%x: tensor<3x8xf32>, %w: tensor<4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>, %b: tensor<1x4xf32>) {
  // expected-error @+1 {{'qnt.matmul' op bias must be a plain 1-D tensor of 4 elements ([N]), got 'tensor<1x4xf32>'}}
  %0 = qnt.matmul %x, %w bias(%b) : (tensor<3x8xf32>, tensor<4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>, tensor<1x4xf32>) -> tensor<3x4xf32>
  return
}

// -----

func.func @matmul_residual(%x: tensor<3x8xf32>, %w: tensor<4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>, %r: tensor<3x4xf16>) {
  // expected-error @+1 {{'qnt.matmul' op residual type 'tensor<3x4xf16>' does not match result type 'tensor<3x4xf32>'}}
  %0 = qnt.matmul %x, %w residual(%r) : (tensor<3x8xf32>, tensor<4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>, tensor<3x4xf16>) -> tensor<3x4xf32>
  return
}

// -----

func.func @matmul_int_lhs(%x: tensor<3x8xi8>, %w: tensor<4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>) {
  // expected-error @+1 {{'qnt.matmul' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<3x8xi8>'}}
  %0 = qnt.matmul %x, %w : (tensor<3x8xi8>, tensor<4x8xf32, #qnt.uniform<i8, per_tensor, scale = f32>>) -> tensor<3x4xf32>
  return
}

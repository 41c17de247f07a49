// RUN: quant-opt %s --split-input-file --qnt-fold-constant-quantize -verify-diagnostics

// A weight blob that was never provided cannot be encoded: the pass fails
// with a diagnostic instead of encoding garbage.
func.func @missing_blob() -> tensor<4xf32, #qnt.uniform<i8, per_tensor, scale = f32>> {
  %c = arith.constant dense_resource<missing> : tensor<4xf32>
  // expected-error @+1 {{'qnt.quantize' op cannot read the float values of the constant input}}
  %q = qnt.quantize %c : tensor<4xf32> -> tensor<4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>
  return %q : tensor<4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>
}

// -----

func.func @missing_param_blob() -> tensor<4xf32, #qnt.uniform<i8, per_tensor, scale = f32>> {
  %c = arith.constant dense<1.0> : tensor<4xf32>
  %s = arith.constant dense_resource<missing_scale> : tensor<1xf32>
  // expected-error @+1 {{'qnt.quantize' op cannot read the bytes of constant param 0}}
  %q = qnt.quantize %c params(%s : tensor<1xf32>) : tensor<4xf32> -> tensor<4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>
  return %q : tensor<4xf32, #qnt.uniform<i8, per_tensor, scale = f32>>
}

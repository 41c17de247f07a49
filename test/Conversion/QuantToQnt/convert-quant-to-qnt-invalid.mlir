// RUN: quant-opt %s --convert-quant-to-qnt --split-input-file -verify-diagnostics

func.func @storage_too_wide(%x: tensor<4xf32>) -> tensor<4x!quant.uniform<i16:f32, 0.5>> {
  // expected-error @+1 {{'quant.qcast' op cannot convert: storage type 'i16' of '!quant.uniform<i16:f32, 5.000000e-01>' is wider than 8 bits; qnt stores 1 to 8 bits}}
  %q = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i16:f32, 0.5>>
  return %q : tensor<4x!quant.uniform<i16:f32, 0.5>>
}

// -----

func.func @storage_cast(%x: tensor<4x!quant.uniform<i8:f32, 0.5>>) -> tensor<4xi8> {
  // expected-error @+1 {{'quant.scast' op quant.scast has no qnt equivalent}}
  %s = quant.scast %x : tensor<4x!quant.uniform<i8:f32, 0.5>> to tensor<4xi8>
  return %s : tensor<4xi8>
}

// -----

func.func @narrow_range(%x: tensor<4xf32>) -> tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5>> {
  // expected-error @+1 {{'quant.qcast' op cannot convert: narrowed storage range [-127, 127] of '!quant.uniform<i8<-127:127>:f32, 5.000000e-01>' has no qnt equivalent}}
  %q = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5>>
  return %q : tensor<4x!quant.uniform<i8<-127:127>:f32, 0.5>>
}

// -----

func.func @expressed_f64(%x: tensor<4xf64>) -> tensor<4x!quant.uniform<i8:f64, 0.5>> {
  // expected-error @+1 {{'quant.qcast' op cannot convert: expressed type 'f64' of '!quant.uniform<i8:f64, 5.000000e-01>' is not f32, f16 or bf16}}
  %q = quant.qcast %x : tensor<4xf64> to tensor<4x!quant.uniform<i8:f64, 0.5>>
  return %q : tensor<4x!quant.uniform<i8:f64, 0.5>>
}

// -----

func.func @dynamic_shape(%x: tensor<?xf32>) -> tensor<?x!quant.uniform<i8:f32, 0.5>> {
  // expected-error @+1 {{'quant.qcast' op cannot convert: encoded tensors need a static shape of rank >= 1, got 'tensor<?x!quant.uniform<i8:f32, 5.000000e-01>>'}}
  %q = quant.qcast %x : tensor<?xf32> to tensor<?x!quant.uniform<i8:f32, 0.5>>
  return %q : tensor<?x!quant.uniform<i8:f32, 0.5>>
}

// -----

func.func @scalar(%x: f32) -> !quant.uniform<i8:f32, 0.5> {
  // expected-error @+1 {{'quant.qcast' op uses scalar quantized type '!quant.uniform<i8:f32, 5.000000e-01>', which has no qnt equivalent}}
  %q = quant.qcast %x : f32 to !quant.uniform<i8:f32, 0.5>
  return %q : !quant.uniform<i8:f32, 0.5>
}

// -----

func.func @unsupported_user(%x: tensor<4x!quant.uniform<i8:f32, 0.5>>) -> tensor<2x2x!quant.uniform<i8:f32, 0.5>> {
  %s = arith.constant dense<[2, 2]> : tensor<2xindex>
  // expected-error @+1 {{'tensor.reshape' op uses quantized types and has no qnt conversion}}
  %r = tensor.reshape %x(%s) : (tensor<4x!quant.uniform<i8:f32, 0.5>>, tensor<2xindex>) -> tensor<2x2x!quant.uniform<i8:f32, 0.5>>
  return %r : tensor<2x2x!quant.uniform<i8:f32, 0.5>>
}

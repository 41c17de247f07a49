//===- QntOps.td - qnt dialect operations ------------------*- tablegen -*-===//

#ifndef QNT_OPS_TD
#define QNT_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/Bytecode/BytecodeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "quant/Dialect/Qnt/IR/QntBase.td"
include "quant/Dialect/Qnt/IR/QntAttrs.td"

def Qnt_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
def Qnt_EncodedTensor : Type<
    And<[RankedTensorOf<[F32, F16, BF16]>.predicate,
         CPred<"::mlir::isa_and_nonnull<::mlir::qnt::EncodingAttrInterface>("
               "::llvm::cast<::mlir::RankedTensorType>($_self).getEncoding())">]>,
    "ranked float tensor with a #qnt encoding", "::mlir::RankedTensorType">;

def Qnt_ConstantOp : Qnt_Op<"constant", [ConstantLike, Pure]> {
  let summary = "encoded constant held as its physical parts";
  let description = [{
    An encoded tensor whose physical parts are constants, in the order the
    encoding's `getParts` gives. Large parts are `dense_resource` blobs so
    that big weights never go through a textual round trip.

    ```mlir
    %w = qnt.constant [dense_resource<w_codes> : tensor<64x32xi8>,
                       dense_resource<w_scales> : tensor<64x1xf16>]
        : tensor<64x64xf32, #qnt.uniform<i4, per_channel(0), scale = f16>>
    ```
  }];
  let arguments = (ins TypedArrayAttrBase<ElementsAttr, "parts">:$parts);
  let results = (outs Qnt_EncodedTensor:$result);
  let assemblyFormat = "$parts attr-dict `:` type($result)";
  let hasVerifier = 1;
  // ConstantLike ops must fold (m_Constant asserts it).
  let hasFolder = 1;
}

def Qnt_QuantizeOp : Qnt_Op<"quantize", [Pure]> {
  let summary = "encode a float tensor (round half to even, saturate)";
  let description = [{
    Encodes `input` into the result's encoding. Without `params`, parameters
    (scales, zero points, tables) are derived from the data by min-max /
    absmax, as the encoding's reference encode defines; with `params`, they
    are the encoding's parameter parts. Never folded against a dequantize:
    `dequantize(quantize(x))` is not `x`.

    ```mlir
    %q = qnt.quantize %x : tensor<16x64xf32> -> tensor<16x64xf32, #enc>
    %q = qnt.quantize %x params(%s, %z : tensor<16xf32>, tensor<16xi8>)
        : tensor<16x64xf32> -> tensor<16x64xf32, #enc>
    ```
  }];
  let arguments = (ins Qnt_FloatTensor:$input,
                       Variadic<AnyRankedTensor>:$params);
  let results = (outs Qnt_EncodedTensor:$result);
  let assemblyFormat = [{
    $input (`params` `(` $params^ `:` type($params) `)`)? attr-dict `:`
    type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Qnt_DequantizeOp : Qnt_Op<"dequantize", [Pure]> {
  let summary = "decode an encoded tensor to floats (the reference semantics)";
  let arguments = (ins Qnt_EncodedTensor:$input);
  let results = (outs Qnt_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Qnt_AssembleOp : Qnt_Op<"assemble", [Pure]> {
  let summary = "build an encoded tensor from its physical parts";
  let arguments = (ins Variadic<AnyRankedTensor>:$parts);
  let results = (outs Qnt_EncodedTensor:$result);
  let assemblyFormat = [{
    `(` $parts `)` attr-dict `:` `(` type($parts) `)` `->` type($result)
  }];
  let hasVerifier = 1;
}

def Qnt_DisassembleOp : Qnt_Op<"disassemble", [Pure]> {
  let summary = "the physical parts of an encoded tensor";
  let arguments = (ins Qnt_EncodedTensor:$input);
  let results = (outs Variadic<AnyRankedTensor>:$parts);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` `(` type($parts) `)`
  }];
  let hasVerifier = 1;
}

def Qnt_MatmulOp : Qnt_Op<"matmul", [Pure, AttrSizedOperandSegments]> {
  let summary = "fused matmul with an encoded weight and an epilogue";
  let description = [{
    `result[..., m, n] = act(sum_k lhs[..., m, k] * weight[..., n, k]
                             + bias[n]) + residual[..., m, n]`

    The weight is `[N, K]` (output channels by input channels, as
    nn.Linear stores it) or batched `[B..., N, K]` matching the lhs batch
    dimensions, and carries a `#qnt` encoding. Decode happens inside the
    kernel: lowerings never materialize the float weight.

    ```mlir
    %y = qnt.matmul %x, %w bias(%b) {activation = #qnt.activation<silu>}
        : (tensor<16x64xf32>, tensor<32x64xf32, #enc>, tensor<32xf32>)
        -> tensor<16x32xf32>
    ```
  }];
  let arguments = (ins Qnt_FloatTensor:$lhs, Qnt_EncodedTensor:$weight,
                       Optional<Qnt_FloatTensor>:$bias,
                       Optional<Qnt_FloatTensor>:$residual,
                       DefaultValuedAttr<Qnt_ActivationAttr,
                           "::mlir::qnt::Activation::None">:$activation);
  let results = (outs Qnt_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $weight (`bias` `(` $bias^ `)`)? (`residual` `(` $residual^ `)`)?
    attr-dict `:` `(` type($lhs) `,` type($weight) ``
    custom<EpilogueTypes>(ref($bias), ref($residual), type($bias),
                          type($residual)) `)` `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // QNT_OPS_TD

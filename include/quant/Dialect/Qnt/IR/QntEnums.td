//===- QntEnums.td - qnt dialect enums ---------------------*- tablegen -*-===//

#ifndef QNT_ENUMS_TD
#define QNT_ENUMS_TD

include "mlir/IR/EnumAttr.td"
include "quant/Dialect/Qnt/IR/QntBase.td"

def Qnt_ActivationNone : I32EnumAttrCase<"None", 0, "none">;
def Qnt_ActivationRelu : I32EnumAttrCase<"Relu", 1, "relu">;
def Qnt_ActivationGelu : I32EnumAttrCase<"Gelu", 2, "gelu">;
def Qnt_ActivationGeluTanh : I32EnumAttrCase<"GeluTanh", 3, "gelu_tanh">;
def Qnt_ActivationSilu : I32EnumAttrCase<"Silu", 4, "silu">;

def Qnt_Activation : I32EnumAttr<"Activation",
    "activation applied in a fused epilogue",
    [Qnt_ActivationNone, Qnt_ActivationRelu, Qnt_ActivationGelu,
     Qnt_ActivationGeluTanh, Qnt_ActivationSilu]> {
  let cppNamespace = "::mlir::qnt";
  let genSpecializedAttr = 0;
}

def Qnt_ActivationAttr : EnumAttr<Qnt_Dialect, Qnt_Activation, "activation"> {
  let assemblyFormat = "`<` $value `>`";
}

def Qnt_SparsityNM : I32EnumAttrCase<"NM", 0, "nm">;
def Qnt_SparsityBitmap : I32EnumAttrCase<"Bitmap", 1, "bitmap">;
def Qnt_SparsityCSR : I32EnumAttrCase<"CSR", 2, "csr">;

def Qnt_SparsityKind : I32EnumAttr<"SparsityKind", "sparsity layout",
    [Qnt_SparsityNM, Qnt_SparsityBitmap, Qnt_SparsityCSR]> {
  let cppNamespace = "::mlir::qnt";
  let genSpecializedAttr = 0;
}

#endif // QNT_ENUMS_TD

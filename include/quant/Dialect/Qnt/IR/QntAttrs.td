//===- QntAttrs.td - qnt tensor encodings ------------------*- tablegen -*-===//
//
// Every encoding is a tensor encoding attribute: it keeps the logical type of
// the tensor and says how its elements are stored. The grammar of each is in
// its description; docs/Encodings.md has the full semantics.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_ATTRS_TD
#define QNT_ATTRS_TD

include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/TensorEncoding.td"
include "quant/Dialect/Qnt/IR/QntBase.td"
include "quant/Dialect/Qnt/IR/QntEnums.td"
include "quant/Dialect/Qnt/IR/QntInterfaces.td"

// How scales (or tables) are shared: per_tensor, per_channel(axis),
// per_group(axis, size) or block(b0, b1, ...).
def Qnt_GranularityParameter
    : AttrParameter<"::mlir::qnt::Granularity", "scale granularity">;

// Optional float type of a scale: f32, f16, bf16, or the fp8 types f8E8M0FNU
// and f8E4M3FN for block-scaled minifloats.
def Qnt_OptionalTypeParameter
    : AttrParameter<"::mlir::Type", "optional type", "::mlir::Type"> {
  let defaultValue = "::mlir::Type()";
}

class Qnt_EncodingAttr<string name, string attrMnemonic>
    : Qnt_Attr<name, attrMnemonic, [
        DeclareAttrInterfaceMethods<Qnt_EncodingAttrInterface,
            ["getNumCodeParts"]>,
        DeclareAttrInterfaceMethods<VerifiableTensorEncoding>]> {
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def Qnt_UniformAttr : Qnt_EncodingAttr<"Uniform", "uniform"> {
  let summary = "uniform integer codes with scales (and zero points)";
  let description = [{
    `value = (code - zero_point) * scale`, codes of 1 to 8 bits, signed
    (`iN`) or unsigned (`uiN`). Symmetric signed codes have zero point 0,
    symmetric unsigned codes the implicit zero point 2^(N-1); `asymmetric`
    stores zero points as N-bit codes next to the scales. With
    `double_quant(B, G)` the scales themselves are stored as unsigned B-bit
    codes times an f32 super-scale shared by G consecutive scales.

    ```mlir
    #qnt.uniform<i8, per_channel(0), scale = f32>
    #qnt.uniform<i4, per_group(1, 128), scale = f16>
    #qnt.uniform<ui4, per_group(1, 32), scale = f16, asymmetric>
    #qnt.uniform<i4, block(32, 32), scale = bf16>
    #qnt.uniform<ui4, per_group(1, 64), scale = f32, double_quant(8, 256)>
    ```
  }];
  let parameters = (ins
    "::mlir::IntegerType":$storageType,
    Qnt_GranularityParameter:$granularity,
    "::mlir::Type":$scaleType,
    DefaultValuedParameter<"bool", "true">:$symmetric,
    DefaultValuedParameter<"unsigned", "0">:$scaleBits,
    DefaultValuedParameter<"int64_t", "0">:$scaleGroupSize);
  let extraClassDeclaration = [{
    unsigned getBits() const { return getStorageType().getWidth(); }
    bool isSigned() const { return !getStorageType().isUnsigned(); }
    bool isDoubleQuantized() const { return getScaleBits() != 0; }
    int64_t getQMin() const;
    int64_t getQMax() const;
  }];
}

def Qnt_MinifloatAttr : Qnt_EncodingAttr<"Minifloat", "float"> {
  let summary = "minifloat codes, optionally with block scales";
  let description = [{
    `value = decode(code) * scale * tensor_scale`. The element format is one
    of f8E4M3FN, f8E5M2, f6E2M3FN, f6E3M2FN, f4E2M1FN. Scales may be f32,
    f16, bf16, or the power-of-two f8E8M0FNU (OCP MX) or f8E4M3FN (NVFP4).
    Named presets print as such:
      mxfp8 = f8E4M3FN, per_group(-1, 32), scale = f8E8M0FNU
      mxfp6 = f6E2M3FN, per_group(-1, 32), scale = f8E8M0FNU
      mxfp4 = f4E2M1FN, per_group(-1, 32), scale = f8E8M0FNU
      nvfp4 = f4E2M1FN, per_group(-1, 16), scale = f8E4M3FN, tensor_scale

    ```mlir
    #qnt.float<f8E4M3FN>
    #qnt.float<f8E5M2, per_channel(0), scale = f32>
    #qnt.float<mxfp4>
    #qnt.float<nvfp4>
    ```
  }];
  let parameters = (ins
    "::mlir::FloatType":$format,
    Qnt_GranularityParameter:$granularity,
    Qnt_OptionalTypeParameter:$scaleType,
    DefaultValuedParameter<"bool", "false">:$tensorScale);
  let extraClassDeclaration = [{
    bool isScaled() const { return static_cast<bool>(getScaleType()); }
    /// "mxfp8", "mxfp6", "mxfp4", "nvfp4" or "" when no preset matches.
    ::llvm::StringRef getPresetName() const;
  }];
}

def Qnt_LutAttr : Qnt_EncodingAttr<"Lut", "lut"> {
  let summary = "codes that index a table of 2^bits values";
  let description = [{
    `value = table[block][code] (* scale[block])`. Either the table is fixed
    in the attribute (`values = [...]`, or the named `nf4`) and blocks carry
    a scale, or one table per block is stored as a part (`table = f16`).

    ```mlir
    #qnt.lut<nf4, per_group(1, 64), scale = f16>
    #qnt.lut<3, per_channel(0), table = f16>
    #qnt.lut<2, per_tensor, values = [-1.5, -0.5, 0.5, 1.5], scale = f32>
    ```
  }];
  let parameters = (ins
    "unsigned":$bits,
    Qnt_GranularityParameter:$granularity,
    OptionalParameter<"::mlir::DenseF32ArrayAttr">:$values,
    Qnt_OptionalTypeParameter:$tableType,
    Qnt_OptionalTypeParameter:$scaleType);
  let extraClassDeclaration = [{
    bool hasFixedTable() const { return getValues() && !getValues().empty(); }
    bool isNF4() const;
  }];
}

def Qnt_CodebookAttr : Qnt_EncodingAttr<"Codebook", "codebook"> {
  let summary = "vector codebook with residual stages";
  let description = [{
    Consecutive runs of `dim` elements along the innermost axis form vectors.
    Each vector stores one index of ceil(log2(entries)) bits per stage;
    `value = (sum over stages s of codebook[s][index[s]][j]) * scale[row]`,
    the optional scale being per output channel (axis 0).

    ```mlir
    #qnt.codebook<dim = 8, entries = 256, stages = 2, codebook = f16>
    #qnt.codebook<dim = 4, entries = 16, stages = 1, codebook = f32, scale = f16>
    ```
  }];
  let parameters = (ins
    "unsigned":$dim,
    "unsigned":$entries,
    "unsigned":$stages,
    "::mlir::Type":$codebookType,
    Qnt_OptionalTypeParameter:$scaleType);
  let extraClassDeclaration = [{
    unsigned getIndexBits() const;
  }];
}

def Qnt_BinaryAttr : Qnt_EncodingAttr<"Binary", "binary"> {
  let summary = "1-bit signs with scales";
  let description = [{
    `value = (code ? +1 : -1) * scale[block]`.

    ```mlir
    #qnt.binary<per_channel(0), scale = f16>
    ```
  }];
  let parameters = (ins
    Qnt_GranularityParameter:$granularity,
    "::mlir::Type":$scaleType);
}

def Qnt_TernaryAttr : Qnt_EncodingAttr<"Ternary", "ternary"> {
  let summary = "{-1, 0, +1} codes with scales (BitNet b1.58)";
  let description = [{
    2-bit two's complement codes (01 = +1, 11 = -1, 00 = 0; 10 is invalid),
    `value = code * scale[block]`.

    ```mlir
    #qnt.ternary<per_tensor, scale = f32>
    #qnt.ternary<per_group(1, 128), scale = f16>
    ```
  }];
  let parameters = (ins
    Qnt_GranularityParameter:$granularity,
    "::mlir::Type":$scaleType);
}

def Qnt_PlainAttr : Qnt_EncodingAttr<"Plain", "plain"> {
  let summary = "plain float values (no compression)";
  let description = [{
    Every element is stored as one float of `storage` (f32, f16 or bf16);
    `value = extf(stored)`. Lets float weights use the same qnt ops and
    kernels as encoded ones: f32 is the uncompressed baseline, f16 / bf16
    halve the bytes read.

    ```mlir
    #qnt.plain<f32>
    #qnt.plain<f16>
    #qnt.plain<bf16>
    ```
  }];
  let parameters = (ins "::mlir::FloatType":$storageType);
}

def Qnt_SparseAttr : Qnt_EncodingAttr<"Sparse", "sparse"> {
  let summary = "N:M structured or unstructured sparsity over a value encoding";
  let description = [{
    `N:M` keeps at most N non-zeros in every M consecutive elements along
    `axis` (default: innermost); the kept values form a dense tensor whose
    `axis` extent is scaled by N/M, plus log2(M)-bit positions. `bitmap`
    stores one bit per element plus row offsets; `csr` stores row offsets
    and column indices. The kept values are plain floats of the logical
    element type, or carry their own encoding (`values = #qnt.uniform<...>`).

    ```mlir
    #qnt.sparse<2:4>
    #qnt.sparse<2:4, values = #qnt.uniform<i4, per_channel(0), scale = f16>>
    #qnt.sparse<bitmap, nnz = 100>
    #qnt.sparse<csr, nnz = 100, values = #qnt.uniform<i8, per_tensor, scale = f32>>
    ```
  }];
  let parameters = (ins
    "::mlir::qnt::SparsityKind":$kind,
    DefaultValuedParameter<"unsigned", "0">:$n,
    DefaultValuedParameter<"unsigned", "0">:$m,
    DefaultValuedParameter<"int64_t", "-1">:$axis,
    DefaultValuedParameter<"int64_t", "0">:$nnz,
    OptionalParameter<"::mlir::Attribute">:$values);
}

def Qnt_OutliersAttr : Qnt_EncodingAttr<"Outliers", "outliers"> {
  let summary = "dense base encoding plus sparse outliers";
  let description = [{
    `value = base + outlier` where the outliers are `nnz` elements in CSR
    form (row offsets, column indices, values of `value_type`).

    ```mlir
    #qnt.outliers<#qnt.uniform<i3, per_group(1, 64), scale = f16>, nnz = 32, value = f16>
    ```
  }];
  let parameters = (ins
    "::mlir::Attribute":$base,
    "int64_t":$nnz,
    "::mlir::Type":$valueType);
}

def Qnt_LowRankAttr : Qnt_EncodingAttr<"LowRank", "low_rank"> {
  let summary = "base encoding plus low-rank factors";
  let description = [{
    `value[r, c] = base[r, c] + sum_j u[r, j] * v[j, c]` with factors of
    `rank` columns stored as `factor_type` (f16 or f32); rows are the
    product of all but the innermost dimension.

    ```mlir
    #qnt.low_rank<#qnt.uniform<i4, per_group(1, 128), scale = f16>, rank = 16, factor = f16>
    ```
  }];
  let parameters = (ins
    "::mlir::Attribute":$base,
    "int64_t":$rank,
    "::mlir::Type":$factorType);
}

def Qnt_PermutedAttr : Qnt_EncodingAttr<"Permuted", "permuted"> {
  let summary = "base encoding with a stored channel permutation";
  let description = [{
    `value[..., i, ...] = base[..., perm[i], ...]` along `axis`; the
    permutation is an i32 part. Used when outlier reordering cannot be
    absorbed by the producer.

    ```mlir
    #qnt.permuted<#qnt.uniform<i4, per_group(1, 32), scale = f16>, axis = 1>
    ```
  }];
  let parameters = (ins
    "::mlir::Attribute":$base,
    "int64_t":$axis);
}

#endif // QNT_ATTRS_TD

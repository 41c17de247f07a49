//===- Passes.td - qnt transformation passes ---------------*- tablegen -*-===//

#ifndef QNT_TRANSFORMS_PASSES_TD
#define QNT_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def QntFoldConstantQuantizePass
    : Pass<"qnt-fold-constant-quantize", "::mlir::ModuleOp"> {
  let summary = "Encode constant weights at compile time into qnt.constant";
  let description = [{
    Replaces `qnt.quantize` of a float constant by a `qnt.constant` whose
    parts are produced by the encoding's C++ reference encoder and stored as
    `dense_resource` blobs (small parts stay inline `dense` attributes).
  }];
  let options = [
    Option<"inlineLimit", "inline-limit", "int64_t", "64",
           "parts with at most this many bytes stay inline dense attributes">
  ];
  let dependentDialects = ["::mlir::qnt::QntDialect"];
}

def QntFuseMatmulPass
    : InterfacePass<"qnt-fuse-matmul", "::mlir::FunctionOpInterface"> {
  let summary = "Fuse dequantize + matmul + bias + activation into qnt.matmul";
  let description = [{
    Matches a `linalg.matmul` / `linalg.batch_matmul` whose weight operand is
    (a transpose of) `qnt.dequantize` of an encoded tensor, followed by an
    optional bias add, activation (relu, gelu, silu) and residual add, and
    replaces the chain with one `qnt.matmul`, so that the weights are decoded
    inside the kernel.
  }];
  let dependentDialects = ["::mlir::qnt::QntDialect"];
  let options = [
    Option<"report", "report", "bool", "false",
           "emit a remark per function with the kernel count before and "
           "after, and the bytes that no longer go through memory">
  ];
}

def QntRaiseLinearPass
    : InterfacePass<"qnt-raise-linear", "::mlir::FunctionOpInterface"> {
  let summary = "Raise float matmuls with a constant weight to qnt.matmul";
  let description = [{
    Rewrites a float `tosa.matmul`, `linalg.matmul` or batch-1
    `linalg.batch_matmul` whose right-hand side is a constant (through
    reshapes and transposes) into a `qnt.matmul` whose `[N, K]` weight is a
    `#qnt.plain` constant of the weight's float type, absorbing a following
    bias add, relu and residual add (for linalg, through qnt-fuse-matmul's
    matcher). The values are unchanged: the result is the same computation.
  }];
  let dependentDialects = ["::mlir::qnt::QntDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::tosa::TosaDialect"];
  let options = [
    Option<"report", "report", "bool", "false",
           "emit a remark per function with the number of raised matmuls">
  ];
}

def QntQuantizeWeightsPass
    : Pass<"qnt-quantize-weights", "::mlir::ModuleOp"> {
  let summary = "Quantize the plain weights of qnt.matmul round-to-nearest";
  let description = [{
    Replaces the `#qnt.plain` weight constant of every `qnt.matmul` with a
    constant of the chosen encoding, encoded by its C++ reference encoder
    (min-max / absmax scales, round to nearest): int8 / int4 / int3 / int2
    (`#qnt.uniform`, symmetric signed or asymmetric unsigned), nf4
    (`#qnt.lut<nf4>`), mxfp4 / nvfp4 (their `#qnt.float` presets, whose
    block size is fixed) and fp8 (`#qnt.float<f8E4M3FN>`). Blocks run along
    K (`per_group(1, group-size)`), or per output channel with group-size
    0. Weights with fewer than `min-elements` elements stay plain.
  }];
  let dependentDialects = ["::mlir::qnt::QntDialect"];
  let options = [
    Option<"encoding", "encoding", "std::string", "\"int4\"",
           "int8, int4, int3, int2, nf4, mxfp4, nvfp4 or fp8">,
    Option<"groupSize", "group-size", "int64_t", "32",
           "elements per scale along K; 0: one scale per output channel">,
    Option<"asymmetric", "asymmetric", "bool", "false",
           "integer encodings: unsigned codes with a zero point per block">,
    Option<"scaleType", "scale-type", "std::string", "\"f16\"",
           "element type of the scales: f16 or f32">,
    Option<"minElements", "min-elements", "int64_t", "0",
           "leave weights with fewer elements plain">,
    Option<"inlineLimit", "inline-limit", "int64_t", "64",
           "parts with at most this many bytes stay inline dense attributes">
  ];
}

def QntReorderChannelsPass
    : InterfacePass<"qnt-reorder-channels", "::mlir::FunctionOpInterface"> {
  let summary = "Group outlier input channels of plain-weight qnt.matmul ops";
  let description = [{
    For each value read (as lhs) by qnt.matmul ops with 2-D `#qnt.plain`
    weights, scores the input channels (`qnt.input_absmax` activation max
    |x| when calibration attached it, times the weight column norms; the
    norms alone otherwise), orders them so that outlier channels are
    adjacent (quantize::outlierGroupingOrder) and permutes the weight
    columns. The permutation is absorbed by the producer when the model
    stays equivalent: rows and bias of a producing qnt.matmul (without a
    residual), through channel-wise tosa elementwise ops (SwiGLU), and
    constant channel vectors (norm gamma). Otherwise each weight becomes
    `#qnt.permuted<#qnt.plain<T>, axis = 1>` (unabsorbed=encode) or is left
    alone (unabsorbed=skip). One remark per group says what happened.
  }];
  let dependentDialects = ["::mlir::qnt::QntDialect",
                           "::mlir::arith::ArithDialect"];
  let options = [
    Option<"numOutliers", "num-outliers", "int64_t", "-1",
           "move only this many top-scoring channels to the front; -1 sorts "
           "all channels by decreasing score">,
    Option<"unabsorbed", "unabsorbed", "std::string", "\"encode\"",
           "when the producer cannot absorb the permutation: encode "
           "(#qnt.permuted) or skip">
  ];
}

def QntMigrateScalesPass
    : InterfacePass<"qnt-migrate-scales", "::mlir::FunctionOpInterface"> {
  let summary = "AWQ / SmoothQuant per-input-channel scale migration";
  let description = [{
    For each value read by qnt.matmul ops with 2-D `#qnt.plain` weights and
    calibrated statistics (`qnt.input_absmax`, `qnt.input_meanabs`), picks
    per-input-channel scales s (SmoothQuant: s = a^alpha / w^(1-alpha);
    AWQ: quantize::searchAWQScales for the target `format`) and folds them
    into the weights, W[:, k] *= s[k], and into the producer, which then
    emits x / s: a norm's gamma vector, or the rows and bias of a producing
    qnt.matmul without activation and residual (also one factor of an
    elementwise product, e.g. SwiGLU's up projection). Groups whose
    producer cannot fold the scales are left alone, with a remark.
  }];
  let dependentDialects = ["::mlir::qnt::QntDialect",
                           "::mlir::arith::ArithDialect"];
  let options = [
    Option<"method", "method", "std::string", "\"awq\"",
           "awq or smoothquant">,
    Option<"alpha", "alpha", "double", "0.5",
           "SmoothQuant migration strength in [0, 1]">,
    Option<"format", "format", "std::string", "\"int4-g32\"",
           "AWQ: the target weight format the search quantizes to "
           "(quantize::QuantFormat::parse names)">,
    Option<"gridPoints", "grid-points", "int64_t", "21",
           "AWQ: alpha grid points in [0, 1]">
  ];
}

def QntOutliersPass : Pass<"qnt-outliers", "::mlir::ModuleOp"> {
  let summary = "Dense + sparse weights: keep the largest weights exact";
  let description = [{
    For the chosen qnt.matmul layers (by `qnt.layer` name, all when
    `layers` is empty) with 2-D `#qnt.plain` weights, moves the `fraction`
    largest-magnitude weights into the sparse part of a
    `#qnt.outliers<BASE, nnz = n, value = T>` weight
    (quantize::extractOutliers) and quantizes the dense remainder with the
    base `format`; the outlier values store the difference to the decoded
    base, so those weights decode exactly (up to T).
  }];
  let dependentDialects = ["::mlir::qnt::QntDialect"];
  let options = [
    Option<"fraction", "fraction", "double", "0.01",
           "share of the weights kept as sparse outliers, in [0, 1]">,
    Option<"format", "format", "std::string", "\"int4-g32\"",
           "base format of the dense part (quantize::QuantFormat::parse "
           "names)">,
    Option<"outlierValueType", "value-type", "std::string", "\"f16\"",
           "element type of the outlier values: f16 or f32">,
    ListOption<"layers", "layers", "std::string",
               "qnt.layer names to split (all when empty)">
  ];
}

def QntRotateWeightsPass
    : InterfacePass<"qnt-rotate-weights", "::mlir::FunctionOpInterface"> {
  let summary = "Fold random Hadamard rotations into pairs of linear layers";
  let description = [{
    For a qnt.matmul P with a 2-D `#qnt.plain` weight, no activation and no
    residual, whose output reaches only the lhs of qnt.matmul ops with
    plain weights through ops that act on whole blocks of the channel
    dimension (tosa.reshape and tosa.transpose that keep the channels
    innermost, the right-hand side of tosa.matmul: the per-head V -> O path
    of attention), rotates P's output channels block-diagonally by an
    orthogonal Q = blockdiag(H diag(signs)) (quantize::HadamardRotation;
    P's rows and bias) and the consumers' input columns by Q^T, so the
    model is unchanged while the rotated weights have no outlier columns.
    The block is the gcd of the channel extents along the path (the head
    dimension), capped by `max-block`.
  }];
  let dependentDialects = ["::mlir::qnt::QntDialect",
                           "::mlir::arith::ArithDialect"];
  let options = [
    Option<"seed", "seed", "uint64_t", "0", "seed of the random signs">,
    Option<"maxBlock", "max-block", "int64_t", "0",
           "largest Hadamard block (a power of two; 0: no limit)">,
    ListOption<"layers", "layers", "std::string",
               "qnt.layer names of the producers to rotate (all eligible "
               "when empty)">
  ];
}

#endif // QNT_TRANSFORMS_PASSES_TD

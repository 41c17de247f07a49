// RUN: quant-opt %s -split-input-file -verify-diagnostics

// One case per parser and verifier diagnostic of the #qnt encodings.

// Parser errors.
// expected-error@+1 {{expected an integer storage type (iN or uiN)}}
func.func private @f0(tensor<8x8xf32, #qnt.uniform<f16, per_tensor, scale = f32>>)

// -----

// expected-error@+1 {{expected 'asymmetric' or 'double_quant', got 'symmetric'}}
func.func private @f1(tensor<8x8xf32, #qnt.uniform<i4, per_tensor, scale = f32, symmetric>>)

// -----

// expected-error@+1 {{expected 'double_quant', got 'asymmetric'}}
func.func private @f2(tensor<8x8xf32, #qnt.uniform<i4, per_tensor, scale = f32, asymmetric, asymmetric>>)

// -----

// expected-error@+1 {{unexpected 'scale'}}
func.func private @f3(tensor<8x8xf32, #qnt.codebook<dim = 4, entries = 16, stages = 1, codebook = f16, scale = f16, scale = f16>>)

// -----

// expected-error@+1 {{expected a non-negative 32-bit integer, got -1}}
func.func private @f4(tensor<8x8xf32, #qnt.lut<-1, per_tensor, table = f16>>)

// -----

// expected-error@+1 {{expected a float format or one of mxfp8, mxfp6, mxfp4, nvfp4}}
func.func private @f5(tensor<8x8xf32, #qnt.float<mxfp5>>)

// -----

// expected-error@+1 {{expected a float format or one of mxfp8, mxfp6, mxfp4, nvfp4}}
func.func private @f6(tensor<8x8xf32, #qnt.float<i8>>)

// -----

// expected-error@+1 {{expected N:M, 'bitmap' or 'csr', got 'coo'}}
func.func private @f7(tensor<8x8xf32, #qnt.sparse<coo, nnz = 4>>)

// -----

// expected-error@+1 {{expected 'table' or 'scale', got 'values'}}
func.func private @f8(tensor<8x8xf32, #qnt.lut<nf4, per_tensor, values = [0.0, 1.0]>>)

// -----

// expected-error@+2 {{unexpected decimal integer literal for a floating point value}}
// expected-note@+1 {{add a trailing dot to make the literal a float}}
func.func private @f9(tensor<8x8xf32, #qnt.lut<1, per_tensor, values = [0.0, 1]>>)

// -----

// Granularity syntax
// expected-error@+1 {{expected per_tensor, per_channel, per_group or block, got 'per_row'}}
func.func private @f10(tensor<8x8xf32, #qnt.uniform<i4, per_row(0), scale = f32>>)

// -----

// expected-error@+1 {{per_channel takes one axis}}
func.func private @f11(tensor<8x8xf32, #qnt.binary<per_channel(0, 1), scale = f32>>)

// -----

// expected-error@+1 {{per_group takes an axis and a size}}
func.func private @f12(tensor<8x8xf32, #qnt.ternary<per_group(32), scale = f32>>)

// -----

// Granularity checks
// expected-error@+1 {{group size must be positive, got 0}}
func.func private @f13(tensor<8x8xf32, #qnt.uniform<i4, per_group(1, 0), scale = f32>>)

// -----

// expected-error@+1 {{block granularity needs at least one extent}}
func.func private @f14(tensor<8x8xf32, #qnt.float<f8E4M3FN, block(), scale = f32>>)

// -----

// expected-error@+1 {{block extents must be positive, got 0}}
func.func private @f15(tensor<8x8xf32, #qnt.lut<2, block(4, 0), table = f32>>)

// -----

// expected-error@+1 {{axis must be non-negative or -1 (innermost), got -2}}
func.func private @f16(tensor<8x8xf32, #qnt.binary<per_channel(-2), scale = f32>>)

// -----

// expected-error@+1 {{axis 2 is out of range for rank 2}}
func.func private @f17(tensor<8x8xf32, #qnt.uniform<i8, per_channel(2), scale = f32>>)

// -----

// expected-error@+1 {{block has 1 extents but the tensor has rank 2}}
func.func private @f18(tensor<8x8xf32, #qnt.ternary<block(4), scale = f32>>)

// -----

// uniform
// expected-error@+1 {{storage type must be signless (iN) or unsigned (uiN), got 'si4'}}
func.func private @f19(tensor<8x8xf32, #qnt.uniform<si4, per_tensor, scale = f32>>)

// -----

// expected-error@+1 {{storage width must be in [1, 8], got 9}}
func.func private @f20(tensor<8x8xf32, #qnt.uniform<i9, per_tensor, scale = f32>>)

// -----

// expected-error@+1 {{symmetric storage needs at least 2 bits}}
func.func private @f21(tensor<8x8xf32, #qnt.uniform<ui1, per_tensor, scale = f32>>)

// -----

// expected-error@+1 {{uniform scale type must be f32, f16 or bf16, got 'f8E4M3FN'}}
func.func private @f22(tensor<8x8xf32, #qnt.uniform<i4, per_tensor, scale = f8E4M3FN>>)

// -----

// expected-error@+1 {{double_quant bits must be in [1, 8], got 0}}
func.func private @f23(tensor<8x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f32, double_quant(0, 256)>>)

// -----

// expected-error@+1 {{double_quant group size must be positive, got 0}}
func.func private @f24(tensor<8x8xf32, #qnt.uniform<i4, per_group(1, 4), scale = f32, double_quant(8, 0)>>)

// -----

// float
// expected-error@+1 {{float format must be f8E4M3FN, f8E5M2, f6E2M3FN, f6E3M2FN or f4E2M1FN, got 'bf16'}}
func.func private @f25(tensor<8x8xf32, #qnt.float<bf16>>)

// -----

// expected-error@+1 {{float format must be f8E4M3FN, f8E5M2, f6E2M3FN, f6E3M2FN or f4E2M1FN, got 'f8E8M0FNU'}}
func.func private @f26(tensor<8x8xf32, #qnt.float<f8E8M0FNU, per_tensor, scale = f32>>)

// -----

// expected-error@+1 {{float scale type must be f32, f16, bf16, f8E8M0FNU or f8E4M3FN, got 'f8E5M2'}}
func.func private @f27(tensor<8x8xf32, #qnt.float<f4E2M1FN, per_group(1, 4), scale = f8E5M2>>)

// -----

// expected-error@+1 {{a float encoding without a scale must be per_tensor}}
func.func private @f28(tensor<8x8xf32, #qnt.float<f8E4M3FN, per_channel(0)>>)

// -----

// expected-error@+1 {{tensor_scale needs a scale}}
func.func private @f29(tensor<8x8xf32, #qnt.float<f8E4M3FN, tensor_scale>>)

// -----

// lut
// expected-error@+1 {{lut bits must be in [1, 8], got 9}}
func.func private @f30(tensor<8x8xf32, #qnt.lut<9, per_tensor, table = f16>>)

// -----

// expected-error@+1 {{a lut takes either fixed values or a stored table, not both}}
func.func private @f31(tensor<8x8xf32, #qnt.lut<1, per_tensor, values = [0.0, 1.0], table = f16>>)

// -----

// expected-error@+1 {{a lut needs fixed values or a stored table}}
func.func private @f32(tensor<8x8xf32, #qnt.lut<2, per_tensor, scale = f16>>)

// -----

// expected-error@+1 {{a 2-bit lut needs 4 values, got 3}}
func.func private @f33(tensor<8x8xf32, #qnt.lut<2, per_tensor, values = [0.0, 1.0, 2.0]>>)

// -----

// expected-error@+1 {{lut values must be finite}}
func.func private @f34(tensor<8x8xf32, #qnt.lut<1, per_tensor, values = [0.0, 0x7F800000]>>)

// -----

// expected-error@+1 {{lut table type must be f32, f16 or bf16, got 'i8'}}
func.func private @f35(tensor<8x8xf32, #qnt.lut<2, per_channel(0), table = i8>>)

// -----

// expected-error@+1 {{a lut scale needs fixed values}}
func.func private @f36(tensor<8x8xf32, #qnt.lut<2, per_channel(0), table = f16, scale = f16>>)

// -----

// expected-error@+1 {{lut scale type must be f32, f16 or bf16, got 'f64'}}
func.func private @f37(tensor<8x8xf32, #qnt.lut<nf4, per_channel(0), scale = f64>>)

// -----

// codebook
// expected-error@+1 {{codebook dim must be positive}}
func.func private @f38(tensor<8x8xf32, #qnt.codebook<dim = 0, entries = 16, stages = 1, codebook = f16>>)

// -----

// expected-error@+1 {{codebook entries must be in [2, 65536], got 1}}
func.func private @f39(tensor<8x8xf32, #qnt.codebook<dim = 4, entries = 1, stages = 1, codebook = f16>>)

// -----

// expected-error@+1 {{codebook entries must be in [2, 65536], got 65537}}
func.func private @f40(tensor<8x8xf32, #qnt.codebook<dim = 4, entries = 65537, stages = 1, codebook = f16>>)

// -----

// expected-error@+1 {{codebook stages must be at least 1}}
func.func private @f41(tensor<8x8xf32, #qnt.codebook<dim = 4, entries = 16, stages = 0, codebook = f16>>)

// -----

// expected-error@+1 {{codebook type must be f32, f16 or bf16, got 'f64'}}
func.func private @f42(tensor<8x8xf32, #qnt.codebook<dim = 4, entries = 16, stages = 1, codebook = f64>>)

// -----

// expected-error@+1 {{codebook scale type must be f32, f16 or bf16, got 'i32'}}
func.func private @f43(tensor<8x8xf32, #qnt.codebook<dim = 4, entries = 16, stages = 1, codebook = f16, scale = i32>>)

// -----

// expected-error@+1 {{innermost extent 10 is not a multiple of the codebook dim 4}}
func.func private @f44(tensor<8x10xf32, #qnt.codebook<dim = 4, entries = 16, stages = 1, codebook = f16>>)

// -----

// binary and ternary
// expected-error@+1 {{binary scale type must be f32, f16 or bf16, got 'f8E4M3FN'}}
func.func private @f45(tensor<8x8xf32, #qnt.binary<per_channel(0), scale = f8E4M3FN>>)

// -----

// expected-error@+1 {{ternary scale type must be f32, f16 or bf16, got 'i16'}}
func.func private @f46(tensor<8x8xf32, #qnt.ternary<per_tensor, scale = i16>>)

// -----

// plain
// expected-error@+1 {{plain storage type must be f32, f16 or bf16, got 'f64'}}
func.func private @plain_f64(tensor<8x8xf32, #qnt.plain<f64>>)

// -----

// expected-error@+1 {{plain storage type must be f32, f16 or bf16, got 'f8E4M3FN'}}
func.func private @plain_f8(tensor<8x8xf32, #qnt.plain<f8E4M3FN>>)

// -----

// expected-error@+1 {{plain storage type must be f32, f16 or bf16, got 'i8'}}
func.func private @plain_i8(tensor<8x8xf32, #qnt.plain<i8>>)

// -----

// expected-error@+1 {{qnt encodings need an f32, f16 or bf16 element type, got 'i32'}}
func.func private @plain_int_tensor(tensor<8x8xi32, #qnt.plain<f16>>)

// -----

// expected-error@+1 {{qnt encodings need a static shape}}
func.func private @plain_dynamic(tensor<?x8xf32, #qnt.plain<f32>>)

// -----

// sparse
// expected-error@+1 {{n:m sparsity needs 0 < n < m, got 4:4}}
func.func private @f47(tensor<8x8xf32, #qnt.sparse<4:4>>)

// -----

// expected-error@+1 {{n:m sparsity needs 0 < n < m, got 0:4}}
func.func private @f48(tensor<8x8xf32, #qnt.sparse<0:4>>)

// -----

// expected-error@+1 {{n:m sparsity needs m <= 256, got 512}}
func.func private @f49(tensor<8x512xf32, #qnt.sparse<2:512>>)

// -----

// expected-error@+1 {{n:m sparsity takes no nnz}}
func.func private @f50(tensor<8x8xf32, #qnt.sparse<2:4, nnz = 16>>)

// -----

// expected-error@+1 {{sparse axis must be non-negative or -1 (innermost), got -3}}
func.func private @f51(tensor<8x8xf32, #qnt.sparse<2:4, axis = -3>>)

// -----

// expected-error@+1 {{axis applies only to n:m sparsity}}
func.func private @f52(tensor<8x8xf32, #qnt.sparse<bitmap, axis = 0, nnz = 4>>)

// -----

// expected-error@+1 {{bitmap sparsity needs nnz > 0, got 0}}
func.func private @f53(tensor<8x8xf32, #qnt.sparse<bitmap>>)

// -----

// expected-error@+1 {{csr sparsity needs nnz > 0, got -1}}
func.func private @f54(tensor<8x8xf32, #qnt.sparse<csr, nnz = -1>>)

// -----

// expected-error@+1 {{sparse values must be a qnt encoding or f32, f16 or bf16, got 'i8'}}
func.func private @f55(tensor<8x8xf32, #qnt.sparse<2:4, values = i8>>)

// -----

// expected-error@+1 {{sparse values must be a qnt encoding or f32, f16 or bf16, got 3 : i32}}
func.func private @f56(tensor<8x8xf32, #qnt.sparse<2:4, values = 3 : i32>>)

// -----

// expected-error@+1 {{sparse values cannot themselves be sparse}}
func.func private @f57(tensor<8x8xf32, #qnt.sparse<csr, nnz = 8, values = #qnt.sparse<1:2>>>)

// -----

// expected-error@+1 {{sparse axis 2 is out of range for rank 2}}
func.func private @f58(tensor<8x8xf32, #qnt.sparse<2:4, axis = 2>>)

// -----

// expected-error@+1 {{extent 6 along axis 1 is not a multiple of m = 4}}
func.func private @f59(tensor<8x6xf32, #qnt.sparse<2:4>>)

// -----

// expected-error@+1 {{extent 6 along axis 0 is not a multiple of m = 4}}
func.func private @f60(tensor<6x8xf32, #qnt.sparse<1:4, axis = 0>>)

// -----

// expected-error@+1 {{nnz 100 exceeds the 64 elements of the tensor}}
func.func private @f61(tensor<8x8xf32, #qnt.sparse<bitmap, nnz = 100>>)

// -----

// The values of 2:4 on 8x8 are 8x4, so an 8-wide codebook vector does not fit.
// expected-error@+1 {{innermost extent 4 is not a multiple of the codebook dim 8}}
func.func private @f62(tensor<8x8xf32, #qnt.sparse<2:4, values = #qnt.codebook<dim = 8, entries = 16, stages = 1, codebook = f16>>>)

// -----

// The values of csr are 1-D.
// expected-error@+1 {{axis 1 is out of range for rank 1}}
func.func private @f63(tensor<8x8xf32, #qnt.sparse<csr, nnz = 10, values = #qnt.uniform<i8, per_channel(1), scale = f32>>>)

// -----

// outliers
// expected-error@+1 {{outliers base must be a qnt encoding, got f32}}
func.func private @f64(tensor<8x8xf32, #qnt.outliers<f32, nnz = 4, value = f16>>)

// -----

// expected-error@+1 {{outliers nnz must be positive, got 0}}
func.func private @f65(tensor<8x8xf32, #qnt.outliers<#qnt.uniform<i4, per_tensor, scale = f32>, nnz = 0, value = f16>>)

// -----

// expected-error@+1 {{outliers value type must be f32, f16 or bf16, got 'i8'}}
func.func private @f66(tensor<8x8xf32, #qnt.outliers<#qnt.uniform<i4, per_tensor, scale = f32>, nnz = 4, value = i8>>)

// -----

// expected-error@+1 {{nnz 65 exceeds the 64 elements of the tensor}}
func.func private @f67(tensor<8x8xf32, #qnt.outliers<#qnt.uniform<i4, per_tensor, scale = f32>, nnz = 65, value = f16>>)

// -----

// expected-error@+1 {{axis 2 is out of range for rank 2}}
func.func private @f68(tensor<8x8xf32, #qnt.outliers<#qnt.uniform<i4, per_channel(2), scale = f32>, nnz = 4, value = f16>>)

// -----

// low_rank
// expected-error@+1 {{low_rank base must be a qnt encoding, got "u4"}}
func.func private @f69(tensor<8x8xf32, #qnt.low_rank<"u4", rank = 2, factor = f16>>)

// -----

// expected-error@+1 {{low_rank rank must be positive, got 0}}
func.func private @f70(tensor<8x8xf32, #qnt.low_rank<#qnt.uniform<i4, per_tensor, scale = f32>, rank = 0, factor = f16>>)

// -----

// expected-error@+1 {{low_rank factor type must be f32, f16 or bf16, got 'f64'}}
func.func private @f71(tensor<8x8xf32, #qnt.low_rank<#qnt.uniform<i4, per_tensor, scale = f32>, rank = 2, factor = f64>>)

// -----

// expected-error@+1 {{low_rank rank 5 exceeds min(rows, cols) = 4}}
func.func private @f72(tensor<2x2x16xf32, #qnt.low_rank<#qnt.uniform<i4, per_tensor, scale = f32>, rank = 5, factor = f16>>)

// -----

// expected-error@+1 {{innermost extent 6 is not a multiple of the codebook dim 4}}
func.func private @f73(tensor<8x6xf32, #qnt.low_rank<#qnt.codebook<dim = 4, entries = 16, stages = 1, codebook = f16>, rank = 2, factor = f16>>)

// -----

// permuted
// expected-error@+1 {{permuted base must be a qnt encoding, got 1 : i64}}
func.func private @f74(tensor<8x8xf32, #qnt.permuted<1, axis = 0>>)

// -----

// expected-error@+1 {{permuted axis must be non-negative or -1 (innermost), got -2}}
func.func private @f75(tensor<8x8xf32, #qnt.permuted<#qnt.uniform<i4, per_tensor, scale = f32>, axis = -2>>)

// -----

// expected-error@+1 {{permuted axis 2 is out of range for rank 2}}
func.func private @f76(tensor<8x8xf32, #qnt.permuted<#qnt.uniform<i4, per_tensor, scale = f32>, axis = 2>>)

// -----

// expected-error@+1 {{n:m sparsity needs m <= 256, got 300}}
func.func private @f77(tensor<8x300xf32, #qnt.permuted<#qnt.sparse<1:300>, axis = 0>>)

// -----

// expected-error@+1 {{extent 9 along axis 1 is not a multiple of m = 2}}
func.func private @f78(tensor<8x9xf32, #qnt.permuted<#qnt.outliers<#qnt.sparse<1:2>, nnz = 3, value = f16>, axis = 0>>)

// -----

// Tensor checks shared by every encoding
// expected-error@+1 {{qnt encodings need an f32, f16 or bf16 element type, got 'i32'}}
func.func private @f79(tensor<8x8xi32, #qnt.uniform<i8, per_tensor, scale = f32>>)

// -----

// expected-error@+1 {{qnt encodings need an f32, f16 or bf16 element type, got 'f64'}}
func.func private @f80(tensor<8x8xf64, #qnt.float<mxfp8>>)

// -----

// expected-error@+1 {{qnt encodings need a tensor of rank >= 1}}
func.func private @f81(tensor<f32, #qnt.ternary<per_tensor, scale = f32>>)

// -----

// expected-error@+1 {{qnt encodings need a static shape}}
func.func private @f82(tensor<?x8xf32, #qnt.lut<nf4, per_tensor>>)

// -----

// expected-error@+1 {{qnt encodings need positive extents, got 0}}
func.func private @f83(tensor<0x8xf32, #qnt.binary<per_tensor, scale = f32>>)

// -----

// expected-error@+1 {{qnt encodings need a static shape}}
func.func private @f84(tensor<8x?xf32, #qnt.codebook<dim = 4, entries = 16, stages = 1, codebook = f16>>)

// -----

// expected-error@+1 {{qnt encodings need an f32, f16 or bf16 element type, got 'i8'}}
func.func private @f85(tensor<8x8xi8, #qnt.sparse<2:4>>)

// -----

// expected-error@+1 {{qnt encodings need a tensor of rank >= 1}}
func.func private @f86(tensor<f32, #qnt.outliers<#qnt.uniform<i4, per_tensor, scale = f32>, nnz = 1, value = f16>>)

// -----

// expected-error@+1 {{qnt encodings need a static shape}}
func.func private @f87(tensor<8x?xf32, #qnt.low_rank<#qnt.uniform<i4, per_tensor, scale = f32>, rank = 1, factor = f16>>)

// -----

// expected-error@+1 {{qnt encodings need an f32, f16 or bf16 element type, got 'i1'}}
func.func private @f88(tensor<8x8xi1, #qnt.permuted<#qnt.uniform<i4, per_tensor, scale = f32>, axis = 0>>)

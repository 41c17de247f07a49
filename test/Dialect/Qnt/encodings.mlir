// RUN: quant-opt %s | quant-opt | FileCheck %s
// RUN: quant-opt %s -verify-roundtrip -mlir-print-op-generic | quant-opt | FileCheck %s

// Round trip of every #qnt encoding: optional parts are omitted when they
// have their default value and minifloat presets print by name.

//===----------------------------------------------------------------------===//
// uniform
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func private @uniform_i8_per_channel
// CHECK-SAME: tensor<30x7xf32, #qnt.uniform<i8, per_channel(0), scale = f32>>
func.func private @uniform_i8_per_channel(tensor<30x7xf32, #qnt.uniform<i8, per_channel(0), scale = f32>>)

// CHECK-LABEL: func.func private @uniform_i4_per_group
// CHECK-SAME: tensor<64x250xf32, #qnt.uniform<i4, per_group(1, 128), scale = f16>>
func.func private @uniform_i4_per_group(tensor<64x250xf32, #qnt.uniform<i4, per_group(1, 128), scale = f16>>)

// CHECK-LABEL: func.func private @uniform_ui4_asymmetric
// CHECK-SAME: tensor<5x100xf16, #qnt.uniform<ui4, per_group(1, 32), scale = f16, asymmetric>>
func.func private @uniform_ui4_asymmetric(tensor<5x100xf16, #qnt.uniform<ui4, per_group(1, 32), scale = f16, asymmetric>>)

// CHECK-LABEL: func.func private @uniform_block_bf16
// CHECK-SAME: tensor<70x33xbf16, #qnt.uniform<i4, block(32, 32), scale = bf16>>
func.func private @uniform_block_bf16(tensor<70x33xbf16, #qnt.uniform<i4, block(32, 32), scale = bf16>>)

// CHECK-LABEL: func.func private @uniform_double_quant
// CHECK-SAME: tensor<9x200xf32, #qnt.uniform<ui4, per_group(1, 64), scale = f32, double_quant(8, 256)>>
func.func private @uniform_double_quant(tensor<9x200xf32, #qnt.uniform<ui4, per_group(1, 64), scale = f32, double_quant(8, 256)>>)

// CHECK-LABEL: func.func private @uniform_asymmetric_double_quant
// CHECK-SAME: #qnt.uniform<i3, per_group(-1, 16), scale = f16, asymmetric, double_quant(6, 16)>
func.func private @uniform_asymmetric_double_quant(tensor<3x50xf32, #qnt.uniform<i3, per_group(-1, 16), scale = f16, asymmetric, double_quant(6, 16)>>)

// CHECK-LABEL: func.func private @uniform_i1_asymmetric
// CHECK-SAME: #qnt.uniform<i1, per_tensor, scale = f32, asymmetric>
func.func private @uniform_i1_asymmetric(tensor<13xf32, #qnt.uniform<i1, per_tensor, scale = f32, asymmetric>>)

// CHECK-LABEL: func.func private @uniform_ui2_3d
// CHECK-SAME: tensor<3x5x7xf32, #qnt.uniform<ui2, per_channel(-1), scale = f32>>
func.func private @uniform_ui2_3d(tensor<3x5x7xf32, #qnt.uniform<ui2, per_channel(-1), scale = f32>>)

//===----------------------------------------------------------------------===//
// float
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func private @float_e4m3_unscaled
// CHECK-SAME: #qnt.float<f8E4M3FN>>
func.func private @float_e4m3_unscaled(tensor<10x3xf32, #qnt.float<f8E4M3FN>>)

// A per_tensor granularity without a scale is the unscaled form.
// CHECK-LABEL: func.func private @float_unscaled_per_tensor
// CHECK-SAME: #qnt.float<f6E3M2FN>>
func.func private @float_unscaled_per_tensor(tensor<10x3xf32, #qnt.float<f6E3M2FN, per_tensor>>)

// CHECK-LABEL: func.func private @float_e5m2_per_channel
// CHECK-SAME: #qnt.float<f8E5M2, per_channel(0), scale = f32>
func.func private @float_e5m2_per_channel(tensor<10x3xf32, #qnt.float<f8E5M2, per_channel(0), scale = f32>>)

// CHECK-LABEL: func.func private @float_mxfp8
// CHECK-SAME: #qnt.float<mxfp8>
func.func private @float_mxfp8(tensor<4x100xf32, #qnt.float<mxfp8>>)

// CHECK-LABEL: func.func private @float_mxfp6
// CHECK-SAME: #qnt.float<mxfp6>
func.func private @float_mxfp6(tensor<4x100xf32, #qnt.float<mxfp6>>)

// CHECK-LABEL: func.func private @float_mxfp4
// CHECK-SAME: #qnt.float<mxfp4>
func.func private @float_mxfp4(tensor<4x100xf32, #qnt.float<mxfp4>>)

// CHECK-LABEL: func.func private @float_nvfp4
// CHECK-SAME: #qnt.float<nvfp4>
func.func private @float_nvfp4(tensor<4x100xf16, #qnt.float<nvfp4>>)

// Spelled-out presets print by name.
// CHECK-LABEL: func.func private @float_mxfp4_spelled
// CHECK-SAME: #qnt.float<mxfp4>
func.func private @float_mxfp4_spelled(tensor<4x100xf32, #qnt.float<f4E2M1FN, per_group(-1, 32), scale = f8E8M0FNU>>)

// CHECK-LABEL: func.func private @float_nvfp4_spelled
// CHECK-SAME: #qnt.float<nvfp4>
func.func private @float_nvfp4_spelled(tensor<4x100xf32, #qnt.float<f4E2M1FN, per_group(-1, 16), scale = f8E4M3FN, tensor_scale>>)

// Near misses of a preset keep the long form.
// CHECK-LABEL: func.func private @float_not_mxfp8
// CHECK-SAME: #qnt.float<f8E4M3FN, per_group(1, 32), scale = f8E8M0FNU>
func.func private @float_not_mxfp8(tensor<4x100xf32, #qnt.float<f8E4M3FN, per_group(1, 32), scale = f8E8M0FNU>>)

// CHECK-LABEL: func.func private @float_not_nvfp4
// CHECK-SAME: #qnt.float<f4E2M1FN, per_group(-1, 16), scale = f8E4M3FN>
func.func private @float_not_nvfp4(tensor<4x100xf32, #qnt.float<f4E2M1FN, per_group(-1, 16), scale = f8E4M3FN>>)

// CHECK-LABEL: func.func private @float_bf16_scale_tensor_scale
// CHECK-SAME: #qnt.float<f6E2M3FN, block(2, 8), scale = bf16, tensor_scale>
func.func private @float_bf16_scale_tensor_scale(tensor<5x20xf32, #qnt.float<f6E2M3FN, block(2, 8), scale = bf16, tensor_scale>>)

//===----------------------------------------------------------------------===//
// lut
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func private @lut_nf4
// CHECK-SAME: #qnt.lut<nf4, per_group(1, 64), scale = f16>
func.func private @lut_nf4(tensor<6x100xf32, #qnt.lut<nf4, per_group(1, 64), scale = f16>>)

// CHECK-LABEL: func.func private @lut_nf4_unscaled
// CHECK-SAME: #qnt.lut<nf4, per_tensor>
func.func private @lut_nf4_unscaled(tensor<6x100xf32, #qnt.lut<nf4, per_tensor>>)

// The NF4 table spelled out prints as nf4.
// CHECK-LABEL: func.func private @lut_nf4_spelled
// CHECK-SAME: #qnt.lut<nf4, per_channel(0), scale = f32>
func.func private @lut_nf4_spelled(tensor<6x100xf32, #qnt.lut<4, per_channel(0), values = [-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0], scale = f32>>)

// CHECK-LABEL: func.func private @lut_fixed_values
// CHECK-SAME: #qnt.lut<2, per_tensor, values = [-1.500000e+00, -5.000000e-01, 5.000000e-01, 1.500000e+00], scale = f32>
func.func private @lut_fixed_values(tensor<17xf32, #qnt.lut<2, per_tensor, values = [-1.5, -0.5, 0.5, 1.5], scale = f32>>)

// CHECK-LABEL: func.func private @lut_fixed_values_unscaled
// CHECK-SAME: #qnt.lut<1, per_tensor, values = [-2.500000e-01, 3.000000e+00]>
func.func private @lut_fixed_values_unscaled(tensor<17xf32, #qnt.lut<1, per_tensor, values = [-0.25, 3.0]>>)

// CHECK-LABEL: func.func private @lut_stored_table
// CHECK-SAME: #qnt.lut<3, per_channel(0), table = f16>
func.func private @lut_stored_table(tensor<7x9xf32, #qnt.lut<3, per_channel(0), table = f16>>)

// CHECK-LABEL: func.func private @lut_stored_table_bf16
// CHECK-SAME: #qnt.lut<8, per_group(1, 96), table = bf16>
func.func private @lut_stored_table_bf16(tensor<7x300xf32, #qnt.lut<8, per_group(1, 96), table = bf16>>)

//===----------------------------------------------------------------------===//
// codebook
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func private @codebook_two_stages
// CHECK-SAME: #qnt.codebook<dim = 8, entries = 256, stages = 2, codebook = f16>
func.func private @codebook_two_stages(tensor<12x96xf32, #qnt.codebook<dim = 8, entries = 256, stages = 2, codebook = f16>>)

// CHECK-LABEL: func.func private @codebook_scaled
// CHECK-SAME: #qnt.codebook<dim = 4, entries = 16, stages = 1, codebook = f32, scale = f16>
func.func private @codebook_scaled(tensor<11x20xf32, #qnt.codebook<dim = 4, entries = 16, stages = 1, codebook = f32, scale = f16>>)

// CHECK-LABEL: func.func private @codebook_odd_entries
// CHECK-SAME: #qnt.codebook<dim = 3, entries = 5, stages = 3, codebook = bf16, scale = f32>
func.func private @codebook_odd_entries(tensor<2x9xf32, #qnt.codebook<dim = 3, entries = 5, stages = 3, codebook = bf16, scale = f32>>)

//===----------------------------------------------------------------------===//
// binary and ternary
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func private @binary_per_channel
// CHECK-SAME: #qnt.binary<per_channel(0), scale = f16>
func.func private @binary_per_channel(tensor<10x30xf32, #qnt.binary<per_channel(0), scale = f16>>)

// CHECK-LABEL: func.func private @binary_block
// CHECK-SAME: #qnt.binary<block(4, 16), scale = f32>
func.func private @binary_block(tensor<10x30xf32, #qnt.binary<block(4, 16), scale = f32>>)

// CHECK-LABEL: func.func private @ternary_per_tensor
// CHECK-SAME: #qnt.ternary<per_tensor, scale = f32>
func.func private @ternary_per_tensor(tensor<10x30xf32, #qnt.ternary<per_tensor, scale = f32>>)

// CHECK-LABEL: func.func private @ternary_per_group
// CHECK-SAME: #qnt.ternary<per_group(1, 128), scale = f16>
func.func private @ternary_per_group(tensor<10x300xf32, #qnt.ternary<per_group(1, 128), scale = f16>>)

//===----------------------------------------------------------------------===//
// plain
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func private @plain_f32
// CHECK-SAME: tensor<10x30xf32, #qnt.plain<f32>>
func.func private @plain_f32(tensor<10x30xf32, #qnt.plain<f32>>)

// CHECK-LABEL: func.func private @plain_f16
// CHECK-SAME: tensor<7x45xf32, #qnt.plain<f16>>
func.func private @plain_f16(tensor<7x45xf32, #qnt.plain<f16>>)

// CHECK-LABEL: func.func private @plain_bf16_3d
// CHECK-SAME: tensor<2x3x5xbf16, #qnt.plain<bf16>>
func.func private @plain_bf16_3d(tensor<2x3x5xbf16, #qnt.plain<bf16>>)

//===----------------------------------------------------------------------===//
// sparse
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func private @sparse_2_4
// CHECK-SAME: tensor<6x12xf32, #qnt.sparse<2:4>>
func.func private @sparse_2_4(tensor<6x12xf32, #qnt.sparse<2:4>>)

// Explicit plain f32 values are the default.
// CHECK-LABEL: func.func private @sparse_2_4_f32_values
// CHECK-SAME: tensor<6x12xf32, #qnt.sparse<2:4>>
func.func private @sparse_2_4_f32_values(tensor<6x12xf32, #qnt.sparse<2:4, values = f32>>)

// CHECK-LABEL: func.func private @sparse_2_4_f16_values
// CHECK-SAME: #qnt.sparse<2:4, values = f16>
func.func private @sparse_2_4_f16_values(tensor<6x12xf32, #qnt.sparse<2:4, values = f16>>)

// CHECK-LABEL: func.func private @sparse_2_4_int4
// CHECK-SAME: #qnt.sparse<2:4, values = #qnt.uniform<i4, per_channel(0), scale = f16>>
func.func private @sparse_2_4_int4(tensor<6x12xf32, #qnt.sparse<2:4, values = #qnt.uniform<i4, per_channel(0), scale = f16>>>)

// CHECK-LABEL: func.func private @sparse_1_4_axis0
// CHECK-SAME: #qnt.sparse<1:4, axis = 0>
func.func private @sparse_1_4_axis0(tensor<12x5xf32, #qnt.sparse<1:4, axis = 0>>)

// The values of 2:8 along axis 0 of 16x6 are 4x6: groups of 4 rows fit.
// CHECK-LABEL: func.func private @sparse_2_8_axis0_grouped_values
// CHECK-SAME: #qnt.sparse<2:8, axis = 0, values = #qnt.uniform<ui4, per_group(0, 4), scale = f32, asymmetric>>
func.func private @sparse_2_8_axis0_grouped_values(tensor<16x6xf32, #qnt.sparse<2:8, axis = 0, values = #qnt.uniform<ui4, per_group(0, 4), scale = f32, asymmetric>>>)

// CHECK-LABEL: func.func private @sparse_bitmap
// CHECK-SAME: #qnt.sparse<bitmap, nnz = 100>
func.func private @sparse_bitmap(tensor<17x13xf32, #qnt.sparse<bitmap, nnz = 100>>)

// CHECK-LABEL: func.func private @sparse_bitmap_bf16
// CHECK-SAME: #qnt.sparse<bitmap, nnz = 3, values = bf16>
func.func private @sparse_bitmap_bf16(tensor<3xf32, #qnt.sparse<bitmap, nnz = 3, values = bf16>>)

// CHECK-LABEL: func.func private @sparse_csr_int8
// CHECK-SAME: #qnt.sparse<csr, nnz = 100, values = #qnt.uniform<i8, per_tensor, scale = f32>>
func.func private @sparse_csr_int8(tensor<17x13xf32, #qnt.sparse<csr, nnz = 100, values = #qnt.uniform<i8, per_tensor, scale = f32>>>)

// CHECK-LABEL: func.func private @sparse_csr_fp8
// CHECK-SAME: #qnt.sparse<csr, nnz = 40, values = #qnt.float<f8E4M3FN, per_group(0, 16), scale = f16>>
func.func private @sparse_csr_fp8(tensor<17x13xf32, #qnt.sparse<csr, nnz = 40, values = #qnt.float<f8E4M3FN, per_group(0, 16), scale = f16>>>)

//===----------------------------------------------------------------------===//
// composites
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func private @outliers
// CHECK-SAME: #qnt.outliers<#qnt.uniform<i3, per_group(1, 64), scale = f16>, nnz = 32, value = f16>
func.func private @outliers(tensor<20x100xf32, #qnt.outliers<#qnt.uniform<i3, per_group(1, 64), scale = f16>, nnz = 32, value = f16>>)

// CHECK-LABEL: func.func private @outliers_over_lut
// CHECK-SAME: #qnt.outliers<#qnt.lut<3, per_channel(0), table = f16>, nnz = 7, value = f32>
func.func private @outliers_over_lut(tensor<20x100xf32, #qnt.outliers<#qnt.lut<3, per_channel(0), table = f16>, nnz = 7, value = f32>>)

// CHECK-LABEL: func.func private @low_rank
// CHECK-SAME: #qnt.low_rank<#qnt.uniform<i4, per_group(1, 128), scale = f16>, rank = 16, factor = f16>
func.func private @low_rank(tensor<40x300xf32, #qnt.low_rank<#qnt.uniform<i4, per_group(1, 128), scale = f16>, rank = 16, factor = f16>>)

// CHECK-LABEL: func.func private @low_rank_over_nvfp4
// CHECK-SAME: #qnt.low_rank<#qnt.float<nvfp4>, rank = 3, factor = bf16>
func.func private @low_rank_over_nvfp4(tensor<3x50xf32, #qnt.low_rank<#qnt.float<nvfp4>, rank = 3, factor = bf16>>)

// CHECK-LABEL: func.func private @permuted
// CHECK-SAME: #qnt.permuted<#qnt.uniform<i4, per_group(1, 32), scale = f16>, axis = 1>
func.func private @permuted(tensor<9x70xf32, #qnt.permuted<#qnt.uniform<i4, per_group(1, 32), scale = f16>, axis = 1>>)

// CHECK-LABEL: func.func private @permuted_outliers_uniform
// CHECK-SAME: #qnt.permuted<#qnt.outliers<#qnt.uniform<ui4, per_group(1, 32), scale = f16, asymmetric>, nnz = 5, value = f16>, axis = -1>
func.func private @permuted_outliers_uniform(tensor<9x70xf32, #qnt.permuted<#qnt.outliers<#qnt.uniform<ui4, per_group(1, 32), scale = f16, asymmetric>, nnz = 5, value = f16>, axis = -1>>)

// CHECK-LABEL: func.func private @low_rank_outliers_sparse
// CHECK-SAME: #qnt.low_rank<#qnt.outliers<#qnt.sparse<2:4, values = #qnt.uniform<i4, per_channel(0), scale = f16>>, nnz = 4, value = f32>, rank = 2, factor = f32>
func.func private @low_rank_outliers_sparse(tensor<6x12xf32, #qnt.low_rank<#qnt.outliers<#qnt.sparse<2:4, values = #qnt.uniform<i4, per_channel(0), scale = f16>>, nnz = 4, value = f32>, rank = 2, factor = f32>>)

// CHECK-LABEL: func.func private @sparse_over_permuted_codebook
// CHECK-SAME: #qnt.sparse<1:2, values = #qnt.permuted<#qnt.codebook<dim = 2, entries = 4, stages = 1, codebook = f16>, axis = 0>>
func.func private @sparse_over_permuted_codebook(tensor<5x8xf32, #qnt.sparse<1:2, values = #qnt.permuted<#qnt.codebook<dim = 2, entries = 4, stages = 1, codebook = f16>, axis = 0>>>)

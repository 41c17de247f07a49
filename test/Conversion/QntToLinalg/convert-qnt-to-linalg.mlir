// RUN: quant-opt %s --convert-qnt-to-linalg --split-input-file | FileCheck %s
// RUN: quant-opt %s --convert-qnt-to-linalg --split-input-file | FileCheck %s --check-prefix=NONE

// Encoded tensors become their parts everywhere and no qnt op or encoding
// survives; the matmul never builds its float weight (3x6xf32).
// NONE-NOT: {{qnt\.|tensor<3x6xf32>}}

#enc = #qnt.uniform<i4, per_group(1, 4), scale = f16>

// qnt.constant becomes one arith.constant per part; qnt.dequantize a
// linalg.generic that decodes each element from the parts (packed code read,
// sign extension, group scale) and narrows to the result type.
// CHECK-LABEL: func.func @constant_dequantize() -> tensor<2x6xf16>
// CHECK-DAG:     %[[CODES:.+]] = arith.constant dense<{{.*}}> : tensor<2x3xi8>
// CHECK-DAG:     %[[SCALES:.+]] = arith.constant dense<{{.*}}> : tensor<2x2xf16>
// CHECK:         %[[INIT:.+]] = tensor.empty() : tensor<2x6xf16>
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} outs(%[[INIT]] : tensor<2x6xf16>)
// CHECK:           %[[I:.+]] = linalg.index 0 : index
// CHECK:           %[[J:.+]] = linalg.index 1 : index
// CHECK:           tensor.extract %[[CODES]][%[[I]], %{{.+}}] : tensor<2x3xi8>
// CHECK:           arith.shrsi
// CHECK:           tensor.extract %[[SCALES]][%[[I]], %{{.+}}] : tensor<2x2xf16>
// CHECK:           arith.extf %{{.+}} : f16 to f32
// CHECK:           arith.sitofp
// CHECK:           %[[X:.+]] = arith.mulf
// CHECK:           %[[H:.+]] = arith.truncf %[[X]] : f32 to f16
// CHECK:           linalg.yield %[[H]] : f16
func.func @constant_dequantize() -> tensor<2x6xf16> {
  %w = qnt.constant [dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi8>,
                     dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf16>]
      : tensor<2x6xf32, #enc>
  %0 = qnt.dequantize %w : tensor<2x6xf32, #enc> -> tensor<2x6xf16>
  return %0 : tensor<2x6xf16>
}

// Function signatures, calls and returns carry the parts; assemble and
// disassemble just forward them.
// CHECK-LABEL: func.func @boundaries(
// CHECK-SAME:      %[[C:.+]]: tensor<2x3xi8>, %[[S:.+]]: tensor<2x2xf16>)
// CHECK-SAME:      -> (tensor<2x3xi8>, tensor<2x2xf16>)
// CHECK:         %[[R:.+]]:2 = call @callee(%[[C]], %[[S]]) : (tensor<2x3xi8>, tensor<2x2xf16>) -> (tensor<2x3xi8>, tensor<2x2xf16>)
// CHECK:         return %[[R]]#0, %[[R]]#1 : tensor<2x3xi8>, tensor<2x2xf16>
func.func @boundaries(%c: tensor<2x3xi8>, %s: tensor<2x2xf16>)
    -> (tensor<2x3xi8>, tensor<2x2xf16>) {
  %w = qnt.assemble(%c, %s) : (tensor<2x3xi8>, tensor<2x2xf16>)
      -> tensor<2x6xf32, #enc>
  %0 = call @callee(%w) : (tensor<2x6xf32, #enc>) -> tensor<2x6xf32, #enc>
  %p:2 = qnt.disassemble %0 : tensor<2x6xf32, #enc>
      -> (tensor<2x3xi8>, tensor<2x2xf16>)
  return %p#0, %p#1 : tensor<2x3xi8>, tensor<2x2xf16>
}
// CHECK-LABEL: func.func private @callee(tensor<2x3xi8>, tensor<2x2xf16>) -> (tensor<2x3xi8>, tensor<2x2xf16>)
func.func private @callee(tensor<2x6xf32, #enc>) -> tensor<2x6xf32, #enc>

// -----

#enc = #qnt.uniform<i4, per_group(1, 4), scale = f16>

// qnt.matmul: one reduction whose body decodes the weight element (n, k)
// from the parts and accumulates lhs * w in f32; the float weight tensor
// (3x6xf32) never exists. Then one elementwise epilogue: bias, activation,
// residual, in that order.
// CHECK-DAG:   #[[LHS:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG:   #[[OUT:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG:   #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:   #[[BIAS:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @matmul(
// CHECK-SAME:      %[[X:.+]]: tensor<2x6xf32>, %[[C:.+]]: tensor<3x3xi8>, %[[S:.+]]: tensor<3x2xf16>, %[[B:.+]]: tensor<3xf32>, %[[RES:.+]]: tensor<2x3xf32>)
// CHECK:         %[[ZERO:.+]] = linalg.fill
// CHECK:         %[[ACC:.+]] = linalg.generic {indexing_maps = [#[[LHS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME:        ins(%[[X]] : tensor<2x6xf32>) outs(%[[ZERO]] : tensor<2x3xf32>)
// CHECK:         ^bb0(%[[L:.+]]: f32, %[[A:.+]]: f32):
// CHECK:           %[[N:.+]] = linalg.index 1 : index
// CHECK:           %[[K:.+]] = linalg.index 2 : index
// CHECK:           tensor.extract %[[C]][%[[N]], %{{.+}}] : tensor<3x3xi8>
// CHECK:           tensor.extract %[[S]][%[[N]], %{{.+}}] : tensor<3x2xf16>
// CHECK:           %[[W:.+]] = arith.mulf %{{.+}}, %{{.+}} : f32
// CHECK:           %[[P:.+]] = arith.mulf %[[L]], %[[W]] : f32
// CHECK:           %[[SUM:.+]] = arith.addf %[[A]], %[[P]] : f32
// CHECK:           linalg.yield %[[SUM]] : f32
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[BIAS]], #[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:        ins(%[[ACC]], %[[B]], %[[RES]] : tensor<2x3xf32>, tensor<3xf32>, tensor<2x3xf32>)
// CHECK:         ^bb0(%[[V:.+]]: f32, %[[BV:.+]]: f32, %[[RV:.+]]: f32, %{{.+}}: f32):
// CHECK:           %[[Y:.+]] = arith.addf %[[V]], %[[BV]] : f32
// CHECK:           %[[NEG:.+]] = arith.negf %[[Y]] : f32
// CHECK:           %[[E:.+]] = math.exp %[[NEG]] : f32
// CHECK:           %[[D:.+]] = arith.addf %{{.+}}, %[[E]] : f32
// CHECK:           %[[SILU:.+]] = arith.divf %[[Y]], %[[D]] : f32
// CHECK:           %[[OUTV:.+]] = arith.addf %[[SILU]], %[[RV]] : f32
// CHECK:           linalg.yield %[[OUTV]] : f32
func.func @matmul(%x: tensor<2x6xf32>, %w: tensor<3x6xf32, #enc>,
                  %b: tensor<3xf32>, %r: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = qnt.matmul %x, %w bias(%b) residual(%r)
      {activation = #qnt.activation<silu>}
      : (tensor<2x6xf32>, tensor<3x6xf32, #enc>, tensor<3xf32>,
         tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

#enc = #qnt.uniform<i4, per_group(1, 4), scale = f16>

// A linear layer on batched activations: the loops take the batch dimension
// from the 3-D lhs, and the 2-D weight is indexed by (n, k) alone, shared
// by every batch.
// CHECK-DAG:   #[[LHS3:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG:   #[[OUT3:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @matmul_batched_lhs(
// CHECK-SAME:      %[[X:.+]]: tensor<2x4x6xf32>, %[[C:.+]]: tensor<3x3xi8>, %[[S:.+]]: tensor<3x2xf16>)
// CHECK:         linalg.generic {indexing_maps = [#[[LHS3]], #[[OUT3]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME:        ins(%[[X]] : tensor<2x4x6xf32>) outs(%{{.+}} : tensor<2x4x3xf32>)
// CHECK:           %[[N:.+]] = linalg.index 2 : index
// CHECK:           %[[K:.+]] = linalg.index 3 : index
// CHECK:           tensor.extract %[[C]][%[[N]], %{{.+}}] : tensor<3x3xi8>
// CHECK:           tensor.extract %[[S]][%[[N]], %{{.+}}] : tensor<3x2xf16>
// CHECK:         return %{{.+}} : tensor<2x4x3xf32>
func.func @matmul_batched_lhs(%x: tensor<2x4x6xf32>, %w: tensor<3x6xf32, #enc>)
    -> tensor<2x4x3xf32> {
  %0 = qnt.matmul %x, %w
      : (tensor<2x4x6xf32>, tensor<3x6xf32, #enc>) -> tensor<2x4x3xf32>
  return %0 : tensor<2x4x3xf32>
}

// -----

// qnt.quantize: per-block absmax reduction, scales rounded to f16, codes by
// round-half-to-even, then packing into bytes. The result is the parts.
// CHECK-DAG:   #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:   #[[BLOCK:.+]] = affine_map<(d0, d1) -> (d0, d1 floordiv 4)>
// CHECK-LABEL: func.func @quantize(
// CHECK-SAME:      %[[X:.+]]: tensor<3x10xf32>) -> (tensor<3x5xi8>, tensor<3x3xf16>)
// CHECK:         %[[AMAX:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[BLOCK]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME:        ins(%[[X]] : tensor<3x10xf32>)
// CHECK:           math.absf
// CHECK:           arith.maximumf
// CHECK:         %[[SC:.+]]:2 = linalg.generic
// CHECK:           arith.truncf %{{.+}} : f32 to f16
// CHECK:         %[[CODES:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[BLOCK]], #[[ID]]]
// CHECK-SAME:        ins(%[[X]], %[[SC]]#1 : tensor<3x10xf32>, tensor<3x3xf32>)
// CHECK:           arith.divf
// CHECK:           math.roundeven
// CHECK:           arith.fptosi
// CHECK:         %[[PACKED:.+]] = linalg.generic
// CHECK:           tensor.extract %[[CODES]]
// CHECK:           arith.ori
// CHECK:           arith.trunci %{{.+}} : i32 to i8
// CHECK:         return %[[PACKED]], %[[SC]]#0 : tensor<3x5xi8>, tensor<3x3xf16>
func.func @quantize(%x: tensor<3x10xf32>)
    -> tensor<3x10xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>> {
  %0 = qnt.quantize %x : tensor<3x10xf32>
      -> tensor<3x10xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>
  return %0 : tensor<3x10xf32, #qnt.uniform<i4, per_group(1, 4), scale = f16>>
}

// -----

// CSR decode searches the row with an scf.for inside the generic body and
// decodes the value under an scf.if.
// CHECK-LABEL: func.func @csr(
// CHECK-SAME:      %[[V:.+]]: tensor<6xf32>, %[[RO:.+]]: tensor<4xi32>, %[[CI:.+]]: tensor<6xi32>) -> tensor<3x5xf32>
// CHECK:         linalg.generic
// CHECK:           tensor.extract %[[RO]]
// CHECK:           scf.for {{.*}} iter_args
// CHECK:             tensor.extract %[[CI]]
// CHECK:           scf.if
// CHECK:             tensor.extract %[[V]]
func.func @csr(%w: tensor<3x5xf32, #qnt.sparse<csr, nnz = 6>>) -> tensor<3x5xf32> {
  %0 = qnt.dequantize %w : tensor<3x5xf32, #qnt.sparse<csr, nnz = 6>> -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// Two codebook stages are summed from 0 in stage order, then scaled by the
// row's scale.
// CHECK-LABEL: func.func @codebook(
// CHECK-SAME:      %[[IDX:.+]]: tensor<2x3x1xi8>, %[[CB:.+]]: tensor<2x8x2xf16>, %[[SC:.+]]: tensor<3xf32>) -> tensor<3x4xf32>
// CHECK:         linalg.generic
// CHECK:           tensor.extract %[[IDX]][%c0{{.*}}
// CHECK:           tensor.extract %[[CB]]
// CHECK:           arith.addf
// CHECK:           tensor.extract %[[IDX]][%c1{{.*}}
// CHECK:           tensor.extract %[[CB]]
// CHECK:           arith.addf
// CHECK:           tensor.extract %[[SC]]
// CHECK:           arith.mulf
func.func @codebook(%w: tensor<3x4xf32, #qnt.codebook<dim = 2, entries = 8, stages = 2, codebook = f16, scale = f32>>) -> tensor<3x4xf32> {
  %0 = qnt.dequantize %w : tensor<3x4xf32, #qnt.codebook<dim = 2, entries = 8, stages = 2, codebook = f16, scale = f32>> -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// RUN: quant-opt %s --split-input-file --convert-qnt-to-cpu | FileCheck %s
// RUN: quant-opt %s --split-input-file --convert-qnt-to-cpu="prefetch-distance=0" | FileCheck %s --check-prefix=NOPF
// RUN: quant-opt %s --split-input-file --convert-qnt-to-cpu="compute=int8" | FileCheck %s --check-prefix=INT8

// AVX-512 (the default 16 lanes), codes of at most 4 bits: one logical
// shift and one register table lookup (vpermps) per code, no int-to-float
// conversion; the table holds the signed i4 values of the low 4 index
// bits. Each group's 4 code words of 32 lanes are followed by its 32 f16
// scales (16 i32): one stream [1, 2, 144]. f16 scales widen after the load.
// The stream is prefetched 8 KB (2048 i32) ahead, one prefetch per vector
// load.

// CHECK: llvm.func internal @__qnt_cpu_x86_avx512_permvar_sf_512({{.+}}) -> vector<16xf32> attributes {always_inline}
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.permvar.sf.512"
// CHECK: memref.global "private" constant @__qnt_cpu_weight : memref<1x2x144xi32>
// CHECK-LABEL: func.func @table
// CHECK: %[[STREAM:.+]] = memref.get_global @__qnt_cpu_weight : memref<1x2x144xi32>
// CHECK: scf.for %[[G:.+]] = {{.+}} iter_args
// CHECK: scf.for %[[WI:.+]] = {{.+}} iter_args
// CHECK: %[[C32:.+]] = arith.constant 32 : index
// CHECK: %[[WO:.+]] = arith.muli %[[WI]], %[[C32]] : index
// CHECK: %[[O0:.+]] = arith.addi %[[WO]], %{{.+}} : index
// CHECK: %[[W:.+]] = vector.load %[[STREAM]][%[[T:.+]], %[[G]], %[[O0]]] : memref<1x2x144xi32>, vector<16xi32>
// CHECK: %[[P0:.+]] = arith.addi %{{.+}}, %c2048 : index
// CHECK: memref.prefetch %[[STREAM]][%[[T]], %[[G]], %[[P0]]], read, locality<3>, data
// CHECK: %[[P1:.+]] = arith.addi %{{.+}}, %c2064 : index
// CHECK: memref.prefetch %[[STREAM]][%[[T]], %[[G]], %[[P1]]], read, locality<3>, data
// CHECK: %[[TABLE:.+]] = arith.constant dense<[0.000000e+00, 1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00, -8.000000e+00, -7.000000e+00, -6.000000e+00, -5.000000e+00, -4.000000e+00, -3.000000e+00, -2.000000e+00, -1.000000e+00]> : vector<16xf32>
// CHECK: %[[F0:.+]] = llvm.call @__qnt_cpu_x86_avx512_permvar_sf_512(%[[TABLE]], %[[W]])
// CHECK: vector.fma %{{.+}}, %[[F0]], %{{.+}} : vector<16xf32>
// CHECK: %[[C4:.+]] = arith.constant dense<4> : vector<16xi32>
// CHECK: %[[I1:.+]] = arith.shrui %[[W]], %[[C4]] : vector<16xi32>
// CHECK: llvm.call @__qnt_cpu_x86_avx512_permvar_sf_512(%{{.+}}, %[[I1]])
// CHECK-NOT: arith.sitofp
// CHECK: scf.yield
// CHECK: %[[SW:.+]] = vector.load %[[STREAM]][%[[T]], %[[G]], %c128{{.*}}] : memref<1x2x144xi32>, vector<8xi32>
// CHECK: %[[SH:.+]] = vector.bitcast %[[SW]] : vector<8xi32> to vector<16xf16>
// CHECK: arith.extf %[[SH]] : vector<16xf16> to vector<16xf32>
// CHECK: vector.load %[[STREAM]][%[[T]], %[[G]], %c136{{.*}}] : memref<1x2x144xi32>, vector<8xi32>
// NOPF-LABEL: func.func @table
// NOPF-NOT: memref.prefetch
// NOPF: return
func.func @table(%x: tensor<1x64xf32>) -> tensor<1x20xf32> {
  %w = qnt.constant [dense<33> : tensor<20x32xi8>, dense<0.5> : tensor<20x2xf16>]
      : tensor<20x64xf32, #qnt.uniform<i4, per_group(1, 32), scale = f16>>
  %y = qnt.matmul %x, %w
      : (tensor<1x64xf32>, tensor<20x64xf32, #qnt.uniform<i4, per_group(1, 32), scale = f16>>)
      -> tensor<1x20xf32>
  return %y : tensor<1x20xf32>
}

// -----

// Asymmetric ui4: the table holds 0 .. 15 and the zero points, converted
// to f32 once per group, are subtracted after the lookup. Scales that f16
// does not hold exactly (0.1) stay f32: 32 i32 after the 3 code words.

// CHECK: memref.global "private" constant @__qnt_cpu_weight : memref<1x1x128xi32>
// CHECK-LABEL: func.func @asym_table
// CHECK: %[[ZP:.+]] = memref.get_global @__qnt_cpu_zero_points
// CHECK: %[[Z:.+]] = vector.load %[[ZP]]{{.+}} : memref<1x1x32xi32>, vector<16xi32>
// CHECK: %[[ZF:.+]] = arith.sitofp %[[Z]] : vector<16xi32> to vector<16xf32>
// CHECK: %[[TABLE:.+]] = arith.constant dense<[0.000000e+00, 1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00, 8.000000e+00, 9.000000e+00, 1.000000e+01, 1.100000e+01, 1.200000e+01, 1.300000e+01, 1.400000e+01, 1.500000e+01]> : vector<16xf32>
// CHECK: %[[U:.+]] = llvm.call @__qnt_cpu_x86_avx512_permvar_sf_512(%[[TABLE]], %{{.+}})
// CHECK: arith.subf %[[U]], %[[ZF]] : vector<16xf32>
// CHECK: %[[SF:.+]] = vector.load %{{.+}}[%{{.+}}, %{{.+}}, %c96{{.*}}] : memref<1x1x128xi32>, vector<16xi32>
// CHECK: vector.bitcast %[[SF]] : vector<16xi32> to vector<16xf32>
// INT8-LABEL: func.func @asym_table
func.func @asym_table(%x: tensor<1x24xf32>) -> tensor<1x20xf32> {
  %w = qnt.constant [dense<-71> : tensor<20x12xi8>, dense<0.1> : tensor<20x1xf32>,
                     dense<5> : tensor<20x1xi8>]
      : tensor<20x24xf32, #qnt.uniform<ui4, per_channel(0), scale = f32, asymmetric>>
  %y = qnt.matmul %x, %w
      : (tensor<1x24xf32>, tensor<20x24xf32, #qnt.uniform<ui4, per_channel(0), scale = f32, asymmetric>>)
      -> tensor<1x20xf32>
  return %y : tensor<1x20xf32>
}

// -----

// compute=int8 with zero points: signed i4 codes and their zero points
// (3, 1, ... in group 0, 0 in group 1) take the VNNI bias of 8, and every
// i32 dot product starts at -zp * sum_k q_k (the activation sums). Groups
// of at most 4 words are unrolled.

// INT8: memref.global "private" constant @__qnt_cpu_zero_points : memref<1x2x32xi32> = dense<{{\[\[\[}}11, 9, 8, 10, 13,
// INT8-SAME: [8, 8, 8,
// INT8-LABEL: func.func @int8_asym
// INT8: %[[ZP:.+]] = memref.get_global @__qnt_cpu_zero_points
// INT8: %[[SUMS:.+]] = memref.alloc() {alignment = 64 : i64} : memref<3x2xi32>
// INT8: scf.for %[[G:.+]] = {{.+}} iter_args
// INT8: %[[Z:.+]] = vector.load %[[ZP]][%{{.+}}, %[[G]], %{{.+}}] : memref<1x2x32xi32>, vector<16xi32>
// INT8: %[[NZ:.+]] = arith.subi %{{.+}}, %[[Z]] : vector<16xi32>
// INT8: %[[S:.+]] = memref.load %[[SUMS]][%{{.+}}, %[[G]]] : memref<3x2xi32>
// INT8: %[[SV:.+]] = vector.broadcast %[[S]] : i32 to vector<16xi32>
// INT8: %[[START:.+]] = arith.muli %[[SV]], %[[NZ]] : vector<16xi32>
// The 4 words of a group are unrolled: no word loop.
// INT8-NOT: scf.for
// INT8: func.call @__qnt_intrinsic_llvm_x86_avx512_vpdpbusd_512(%[[START]],
func.func @int8_asym(%x: tensor<3x40xf32>) -> tensor<3x20xf32> {
  %w = qnt.constant [dense<33> : tensor<20x20xi8>, dense<0.5> : tensor<20x2xf16>,
                     dense<[[3], [1], [0], [2], [5], [7], [1], [2], [3], [4], [0], [1], [2], [3], [4], [5], [6], [7], [1], [1]]> : tensor<20x1xi8>]
      : tensor<20x40xf32, #qnt.uniform<i4, per_group(1, 32), scale = f16, asymmetric>>
  %y = qnt.matmul %x, %w
      : (tensor<3x40xf32>, tensor<20x40xf32, #qnt.uniform<i4, per_group(1, 32), scale = f16, asymmetric>>)
      -> tensor<3x20xf32>
  return %y : tensor<3x20xf32>
}

// -----

// Plain f32 weights: the weight stream is prefetched 2 KB (512 floats)
// ahead, one prefetch per 64-byte line of a k step (4 vectors of 16 lanes).

// CHECK-LABEL: func.func @plain_prefetch
// CHECK: %[[PW:.+]] = memref.get_global @__qnt_cpu_plain{{.*}} : memref<1x40x64xf32>
// CHECK: vector.load %[[PW]][%[[PT:.+]], %[[PK:.+]], %{{.+}}] : memref<1x40x64xf32>, vector<16xf32>
// CHECK: memref.prefetch %[[PW]][%[[PT]], %[[PK]], %c512], read, locality<3>, data
// CHECK: memref.prefetch %[[PW]][%[[PT]], %[[PK]], %c528], read, locality<3>, data
// NOPF-LABEL: func.func @plain_prefetch
// NOPF-NOT: memref.prefetch
// NOPF: return
func.func @plain_prefetch(%x: tensor<1x40xf32>) -> tensor<1x50xf32> {
  %w = qnt.constant [dense<0.25> : tensor<50x40xf32>]
      : tensor<50x40xf32, #qnt.plain<f32>>
  %y = qnt.matmul %x, %w
      : (tensor<1x40xf32>, tensor<50x40xf32, #qnt.plain<f32>>) -> tensor<1x50xf32>
  return %y : tensor<1x50xf32>
}

// -----

// compute=int8 GEMV (M = 1) with at least two tiles of 8 vectors: tiles of
// 128 channels (260 -> 3 tiles), 2 groups of 4 words x 128 lanes + 128 f16
// scales (64 words) each. A GEMM (M = 2) keeps the default two vectors (32
// channels: 9 tiles of 4 x 32 + 16 words). The later kernel's global is
// inserted first.

// INT8: memref.global "private" constant @__qnt_cpu_weight_0 : memref<9x2x144xi32>
// INT8: memref.global "private" constant @__qnt_cpu_weight : memref<3x2x576xi32>
// INT8-LABEL: func.func @wide_gemv
// INT8: memref.get_global @__qnt_cpu_weight : memref<3x2x576xi32>
// INT8-LABEL: func.func @gemm_default_tile
// INT8: memref.get_global @__qnt_cpu_weight_0 : memref<9x2x144xi32>
func.func @wide_gemv(%x: tensor<1x64xf32>) -> tensor<1x260xf32> {
  %w = qnt.constant [dense<33> : tensor<260x32xi8>, dense<0.5> : tensor<260x2xf16>]
      : tensor<260x64xf32, #qnt.uniform<i4, per_group(1, 32), scale = f16>>
  %y = qnt.matmul %x, %w
      : (tensor<1x64xf32>, tensor<260x64xf32, #qnt.uniform<i4, per_group(1, 32), scale = f16>>)
      -> tensor<1x260xf32>
  return %y : tensor<1x260xf32>
}
func.func @gemm_default_tile(%x: tensor<2x64xf32>) -> tensor<2x260xf32> {
  %w = qnt.constant [dense<33> : tensor<260x32xi8>, dense<0.5> : tensor<260x2xf16>]
      : tensor<260x64xf32, #qnt.uniform<i4, per_group(1, 32), scale = f16>>
  %y = qnt.matmul %x, %w
      : (tensor<2x64xf32>, tensor<260x64xf32, #qnt.uniform<i4, per_group(1, 32), scale = f16>>)
      -> tensor<2x260xf32>
  return %y : tensor<2x260xf32>
}

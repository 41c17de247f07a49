// RUN: quant-opt %s --split-input-file --convert-qnt-to-cpu="vector-width=4" | FileCheck %s
// RUN: quant-opt %s --split-input-file --convert-qnt-to-cpu="vector-width=4 tile-n=4" | FileCheck %s --check-prefix=TILE4

// Layout: i4 codes 1..7, -1 of row 0 (bytes 0x21 0x43 0x65 0xF7) become one
// i32 word per lane, code j in bits [4j, 4j + 4): 0xF7654321; lanes past
// N = 2 are zero codes with zero scales. Scales that f16 holds exactly are
// stored as f16, two per i32 after the group's code words (0.5 = 0x3800,
// 2.0 = 0x4000: 0x40003800 = 1073756160).

// TILE4: memref.global "private" constant @__qnt_cpu_weight : memref<1x1x6xi32> = dense<{{\[\[\[}}-144358623, 0, 0, 0, 1073756160, 0]]]> {alignment = 64 : i64}
// TILE4-LABEL: func.func @layout
// TILE4-NOT: qnt.
// TILE4: scf.forall (%[[T:.+]]) in (1)
// TILE4: %[[W:.+]] = vector.load %{{.+}}[%[[T]], %{{.+}}, %{{.+}}] : memref<1x1x6xi32>, vector<4xi32>
// Code 0: (w << 28) >> 28 (arithmetic), then to f32.
// TILE4: %[[C28:.+]] = arith.constant dense<28> : vector<4xi32>
// TILE4: %[[S0:.+]] = arith.shli %[[W]], %[[C28]] : vector<4xi32>
// TILE4: %[[Q0:.+]] = arith.shrsi %[[S0]], %{{.+}} : vector<4xi32>
// TILE4: %[[F0:.+]] = arith.sitofp %[[Q0]] : vector<4xi32> to vector<4xf32>
// TILE4: %[[X0:.+]] = memref.load
// TILE4: %[[B0:.+]] = vector.broadcast %[[X0]] : f32 to vector<4xf32>
// TILE4: vector.fma %[[B0]], %[[F0]], %{{.+}} : vector<4xf32>
// The top code needs no left shift.
// TILE4: arith.shrsi %[[W]], %{{.+}} : vector<4xi32>
// The group sum is scaled once.
// TILE4: %[[SW:.+]] = vector.load %{{.+}}[%{{.+}}, %{{.+}}, %c4{{.*}}] : memref<1x1x6xi32>, vector<2xi32>
// TILE4: %[[SH:.+]] = vector.bitcast %[[SW]] : vector<2xi32> to vector<4xf16>
// TILE4: %[[SC:.+]] = arith.extf %[[SH]] : vector<4xf16> to vector<4xf32>
// TILE4: vector.fma %{{.+}}, %[[SC]], %{{.+}} : vector<4xf32>
// TILE4: vector.transfer_write %{{.+}}, %[[OUT:.+]][%{{.+}}, %{{.+}}] : vector<4xf32>, memref<1x2xf32>
// TILE4: bufferization.to_tensor %[[OUT]] restrict writable : memref<1x2xf32> to tensor<1x2xf32>
func.func @layout(%x: tensor<1x8xf32>) -> tensor<1x2xf32> {
  %w = qnt.constant [dense<[[33, 67, 101, -9], [0, 0, 0, 0]]> : tensor<2x4xi8>,
                     dense<[[0.5], [2.0]]> : tensor<2x1xf32>]
      : tensor<2x8xf32, #qnt.uniform<i4, per_channel(0), scale = f32>>
  %y = qnt.matmul %x, %w
      : (tensor<1x8xf32>, tensor<2x8xf32, #qnt.uniform<i4, per_channel(0), scale = f32>>)
      -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Symmetric unsigned codes are re-biased to signed ones: ui2 codes 0, 1, 2,
// 3 (byte 0xE4) minus 2 are -2, -1, 0, 1, stored as 2, 3, 0, 1 (0x4E).

// The f32 scale 1.0 is exact in f16 (0x3C00 = 15360).
// TILE4: memref.global "private" constant @__qnt_cpu_weight : memref<1x1x6xi32> = dense<{{\[\[\[}}1313754702, 0, 0, 0, 15360, 0]]]>
// TILE4-LABEL: func.func @rebias
// TILE4: arith.shrsi
// TILE4-NOT: arith.shrui
// TILE4-NOT: arith.subi
// TILE4: return
func.func @rebias(%x: tensor<1x16xf32>) -> tensor<1x1xf32> {
  %w = qnt.constant [dense<-28> : tensor<1x4xi8>, dense<1.0> : tensor<1x1xf32>]
      : tensor<1x16xf32, #qnt.uniform<ui2, per_channel(0), scale = f32>>
  %y = qnt.matmul %x, %w
      : (tensor<1x16xf32>, tensor<1x16xf32, #qnt.uniform<ui2, per_channel(0), scale = f32>>)
      -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}

// -----

// Asymmetric ui4, groups of 8 along K = 12 (one full group, then a partial
// group of 4), M = 6 in one block of 4 rows and a tail of 2. The default tile
// is two vectors (8 channels). Codes are 0xB9 bytes; zero points (3, 2),
// (1, 0), (0, 0); f16 scales stay f16: group 0 (1.0, 0.5), (4.0, 0) are
// 0x38003C00, 0x4400; group 1 (2.0, 0.25), (8.0, 0) 0x34004000, 0x4800.

// CHECK: memref.global "private" constant @__qnt_cpu_weight : memref<1x2x12xi32> = dense<{{\[\[\[}}-1179010631, -1179010631, -1179010631, 0, 0, 0, 0, 0, 939539456, 17408, 0, 0], [47545, 47545, 47545, 0, 0, 0, 0, 0, 872431616, 18432, 0, 0]]]>
// CHECK: memref.global "private" constant @__qnt_cpu_zero_points : memref<1x2x8xi32> = dense<{{\[\[\[}}3, 1, 0, 0, 0, 0, 0, 0], [2, 0, 0, 0, 0, 0, 0, 0]]]>
// CHECK-LABEL: func.func @asym
// CHECK-SAME: (%[[X:.+]]: tensor<6x12xf32>, %[[B:.+]]: tensor<3xf32>, %[[R:.+]]: tensor<6x3xf32>)
// CHECK-DAG: %[[WEIGHT:.+]] = memref.get_global @__qnt_cpu_weight
// CHECK-DAG: %[[ZP:.+]] = memref.get_global @__qnt_cpu_zero_points
// CHECK-DAG: %[[XB:.+]] = bufferization.to_buffer %[[X]] read_only
// CHECK-DAG: %[[BB:.+]] = bufferization.to_buffer %[[B]] read_only
// CHECK-DAG: %[[RB:.+]] = bufferization.to_buffer %[[R]] read_only
// CHECK: %[[OUT:.+]] = memref.alloc() {alignment = 64 : i64} : memref<6x3xf32>
// CHECK: scf.forall (%[[T:.+]]) in (1) {
// Row blocks of 4, then K groups, then words.
// CHECK: scf.for
// CHECK: scf.for %[[G:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args
// CHECK: %[[Z0:.+]] = vector.load %[[ZP]][%[[T]], %[[G]], %{{.+}}] : memref<1x2x8xi32>, vector<4xi32>
// CHECK: scf.for %[[WI:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args
// CHECK: %[[W0:.+]] = vector.load %[[WEIGHT]][%[[T]], %[[G]], %{{.+}}] : memref<1x2x12xi32>, vector<4xi32>
// CHECK: %[[SH:.+]] = arith.shli %[[W0]]
// CHECK: %[[U:.+]] = arith.shrui %[[SH]]
// CHECK: %[[D:.+]] = arith.subi %[[U]], %[[Z0]] : vector<4xi32>
// CHECK: arith.sitofp %[[D]] : vector<4xi32> to vector<4xf32>
// CHECK: memref.load %[[XB]]
// CHECK: vector.fma
// CHECK: scf.yield
// CHECK: %[[SW:.+]] = vector.load %[[WEIGHT]][%[[T]], %[[G]], %c8{{.*}}] : memref<1x2x12xi32>, vector<2xi32>
// CHECK: %[[SH:.+]] = vector.bitcast %[[SW]] : vector<2xi32> to vector<4xf16>
// CHECK: arith.extf %[[SH]] : vector<4xf16> to vector<4xf32>
// CHECK: scf.yield
// The partial group: no word loop.
// CHECK: vector.load %[[WEIGHT]]
// CHECK-NOT: scf.for
// Epilogue: bias, relu, residual, masked store.
// CHECK: vector.transfer_read %[[BB]]
// CHECK: arith.addf
// CHECK: arith.cmpf ogt
// CHECK: arith.select
// CHECK: vector.transfer_read %[[RB]]
// CHECK: arith.addf
// CHECK: vector.transfer_write %{{.+}}, %[[OUT]]
// 4 rows x 2 vectors in the block, then the tail of 2 rows x 2 vectors.
// CHECK-COUNT-7: vector.transfer_write %{{.+}}, %[[OUT]]
// CHECK: scf.for
// CHECK-COUNT-4: vector.transfer_write %{{.+}}, %[[OUT]]
// CHECK-NOT: vector.transfer_write
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable
// CHECK-NOT: qnt.
// CHECK: return
func.func @asym(%x: tensor<6x12xf32>, %b: tensor<3xf32>, %r: tensor<6x3xf32>) -> tensor<6x3xf32> {
  %w = qnt.constant [dense<-71> : tensor<3x6xi8>,
                     dense<[[1.0, 2.0], [0.5, 0.25], [4.0, 8.0]]> : tensor<3x2xf16>,
                     dense<[[35], [1], [0]]> : tensor<3x1xi8>]
      : tensor<3x12xf32, #qnt.uniform<ui4, per_group(1, 8), scale = f16, asymmetric>>
  %y = qnt.matmul %x, %w bias(%b) residual(%r) {activation = #qnt.activation<relu>}
      : (tensor<6x12xf32>, tensor<3x12xf32, #qnt.uniform<ui4, per_group(1, 8), scale = f16, asymmetric>>, tensor<3xf32>, tensor<6x3xf32>)
      -> tensor<6x3xf32>
  return %y : tensor<6x3xf32>
}

// -----

// Left for the reference lowering: a weight that is not a constant, a
// lut with stored tables, and groups shorter than one word of codes.

// CHECK-LABEL: func.func @unsupported
// CHECK-NOT: memref.global
// CHECK-COUNT-3: qnt.matmul
// CHECK-NOT: vector.fma
// CHECK: return
func.func @unsupported(%x: tensor<2x16xf32>,
                       %w: tensor<4x16xf32, #qnt.uniform<i4, per_channel(0), scale = f32>>)
    -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %y0 = qnt.matmul %x, %w
      : (tensor<2x16xf32>, tensor<4x16xf32, #qnt.uniform<i4, per_channel(0), scale = f32>>)
      -> tensor<2x4xf32>
  %l = qnt.constant [dense<0> : tensor<4x8xi8>, dense<1.0> : tensor<4x1x16xf16>]
      : tensor<4x16xf32, #qnt.lut<4, per_channel(0), table = f16>>
  %y1 = qnt.matmul %x, %l
      : (tensor<2x16xf32>, tensor<4x16xf32, #qnt.lut<4, per_channel(0), table = f16>>)
      -> tensor<2x4xf32>
  %g = qnt.constant [dense<0> : tensor<4x8xi8>, dense<1.0> : tensor<4x4xf32>]
      : tensor<4x16xf32, #qnt.uniform<i4, per_group(1, 4), scale = f32>>
  %y2 = qnt.matmul %x, %g
      : (tensor<2x16xf32>, tensor<4x16xf32, #qnt.uniform<i4, per_group(1, 4), scale = f32>>)
      -> tensor<2x4xf32>
  return %y0, %y1, %y2 : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}

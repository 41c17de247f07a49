// The CPU pipeline ends in the LLVM dialect with the kernel's vector code,
// picks the vector width from the target features, and splits output
// channels over libquant_runtime threads when asked.
// RUN: quant-opt %s --qnt-cpu-pipeline="features=+avx512f" | FileCheck %s --check-prefix=AVX512
// RUN: quant-opt %s --qnt-cpu-pipeline="features=+avx2,+fma" | FileCheck %s --check-prefix=AVX2
// RUN: quant-opt %s --qnt-cpu-pipeline="features=+avx2,+fma threads=4" | FileCheck %s --check-prefix=THREADS

// One tile of 32 channels, 3 groups of 16: 2 code words of 32 lanes, then
// 32 f16 scales (16 i32) per group.
// AVX512: llvm.mlir.global private constant @__qnt_cpu_weight{{.*}} : !llvm.array<1 x array<3 x array<80 x i32>>>
// AVX512-LABEL: llvm.func @gemv
// AVX512: llvm.load {{.*}} -> vector<16xi32>
// i4 codes on AVX-512: a logical shift and a vpermps table lookup.
// AVX512: llvm.lshr {{.*}} : vector<16xi32>
// AVX512: llvm.call @__qnt_cpu_x86_avx512_permvar_sf_512
// AVX512: llvm.intr.fmuladd({{.*}}) : (vector<16xf32>, vector<16xf32>, vector<16xf32>) -> vector<16xf32>
// AVX512: llvm.intr.masked.store
// AVX512-NOT: qnt.
// AVX512-NOT: omp.

// AVX2: llvm.mlir.global private constant @__qnt_cpu_weight{{.*}} : !llvm.array<2 x array<3 x array<40 x i32>>>
// AVX2-LABEL: llvm.func @gemv
// AVX2: llvm.intr.fmuladd({{.*}}) : (vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<8xf32>

// THREADS: llvm.func @quant_rt_parallel_for(i64, i64, !llvm.ptr, !llvm.ptr)
// THREADS-LABEL: llvm.func @gemv
// THREADS: llvm.mlir.addressof @__qnt_rt_body
// THREADS: llvm.call @quant_rt_parallel_for
// THREADS-LABEL: llvm.func @__qnt_rt_body(%{{.*}}: i64, %{{.*}}: i64, %{{.*}}: !llvm.ptr)
// THREADS: llvm.intr.fmuladd({{.*}}) : (vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<8xf32>
// THREADS-NOT: omp.
func.func @gemv(%x: tensor<1x40xf32>, %b: tensor<20xf32>) -> tensor<1x20xf32> {
  %w = qnt.constant [dense<17> : tensor<20x20xi8>, dense<0.5> : tensor<20x3xf16>]
      : tensor<20x40xf32, #qnt.uniform<i4, per_group(1, 16), scale = f16>>
  %y = qnt.matmul %x, %w bias(%b) {activation = #qnt.activation<silu>}
      : (tensor<1x40xf32>, tensor<20x40xf32, #qnt.uniform<i4, per_group(1, 16), scale = f16>>, tensor<20xf32>)
      -> tensor<1x20xf32>
  return %y : tensor<1x20xf32>
}

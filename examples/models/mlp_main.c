/*===- mlp_main.c - runs the compiled example MLP ---------------------------===
 *
 * Calls the fp32 and int4 entry points that quant-opt compiled to native code
 * (through their C interface: memref descriptors), prints both outputs and the
 * relative L2 error that int4 weights cost.
 *
 *===----------------------------------------------------------------------===*/

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { kBatch = 4, kIn = 96, kOut = 10 };

typedef struct {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
} MemRef2D;

void _mlir_ciface_forward_fp32(MemRef2D *result, MemRef2D *input);
void _mlir_ciface_forward_int4(MemRef2D *result, MemRef2D *input);

static void printRows(const char *name, const MemRef2D *m) {
  printf("%s:\n", name);
  for (int64_t i = 0; i < m->sizes[0]; ++i) {
    printf("  [");
    for (int64_t j = 0; j < m->sizes[1]; ++j)
      printf("%s%8.4f", j ? ", " : "",
             m->aligned[m->offset + i * m->strides[0] + j * m->strides[1]]);
    printf("]\n");
  }
}

int main(void) {
  static float input[kBatch * kIn];
  for (int i = 0; i < kBatch * kIn; ++i)
    input[i] = sinf(0.37f * (float)i) + 0.25f * cosf(1.3f * (float)i);
  MemRef2D x = {input, input, 0, {kBatch, kIn}, {kIn, 1}};

  MemRef2D fp32, int4;
  _mlir_ciface_forward_fp32(&fp32, &x);
  _mlir_ciface_forward_int4(&int4, &x);
  if (fp32.sizes[0] != kBatch || fp32.sizes[1] != kOut ||
      int4.sizes[0] != kBatch || int4.sizes[1] != kOut) {
    fprintf(stderr, "mlp: unexpected output shape\n");
    return 1;
  }
  printRows("fp32 output", &fp32);
  printRows("int4 output", &int4);

  double err = 0.0, ref = 0.0;
  for (int64_t i = 0; i < kBatch * kOut; ++i) {
    double d = (double)int4.aligned[i] - (double)fp32.aligned[i];
    err += d * d;
    ref += (double)fp32.aligned[i] * fp32.aligned[i];
  }
  double rel = sqrt(err / (ref > 0 ? ref : 1));
  printf("relative L2 error of int4 weights vs fp32: %.4f\n", rel);
  free(fp32.allocated);
  free(int4.allocated);
  /* int4 with group 32 should cost a few percent, never garbage. */
  return rel < 0.2 ? 0 : 1;
}

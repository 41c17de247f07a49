/* Calls a model compiled with --prefix=tiny through its generated header. */
#include "tiny.h"

#include <stdio.h>

int main(void) {
  float a[6] = {0.5f, 1.0f, 1.5f, -2.0f, 3.0f, 4.25f};
  int32_t b[3] = {7, -1, 100};
  float scaled[6] = {0};
  int32_t doubled[3] = {0};
  const void *inputs[2] = {a, b};
  void *outputs[2] = {scaled, doubled};

  printf("abi %d model %s inputs %d outputs %d\n", tiny_abi_version(),
         tiny_model_name(), tiny_num_inputs(), tiny_num_outputs());
  for (int i = 0; i < tiny_num_inputs(); ++i) {
    int rank = -1;
    const int64_t *shape = tiny_input_shape(i, &rank);
    printf("input %d %s %s rank %d [", i, tiny_input_name(i),
           tiny_input_dtype(i), rank);
    for (int d = 0; d < rank; ++d)
      printf("%s%lld", d ? " " : "", (long long)shape[d]);
    printf("] %lld bytes\n", (long long)tiny_input_size(i));
  }
  int rank = 0;
  printf("out of range: %p %d %p %lld\n", (void *)tiny_output_shape(2, &rank),
         rank, (const void *)tiny_output_name(-1),
         (long long)tiny_output_size(5));
  printf("null outputs: %d\n", tiny_run(inputs, NULL));
  int rc = tiny_run(inputs, outputs);
  printf("run %d\n", rc);
  printf("scaled %g %g %g %g %g %g\n", scaled[0], scaled[1], scaled[2],
         scaled[3], scaled[4], scaled[5]);
  printf("doubled %d %d %d\n", doubled[0], doubled[1], doubled[2]);
  return rc;
}

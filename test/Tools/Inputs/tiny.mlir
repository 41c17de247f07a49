// A small model with named, mixed-dtype inputs and outputs for the ABI tests:
// scaled = a * 2 (f32), doubled = b + b (i32).
#id2 = affine_map<(i, j) -> (i, j)>
#id1 = affine_map<(i) -> (i)>
module @tiny {
  func.func @forward(%a: tensor<2x3xf32> {qnt.name = "a"},
                     %b: tensor<3xi32> {qnt.name = "b"})
      -> (tensor<2x3xf32> {qnt.name = "scaled"},
          tensor<3xi32> {qnt.name = "doubled"}) {
    %two = arith.constant 2.0 : f32
    %e0 = tensor.empty() : tensor<2x3xf32>
    %s = linalg.generic {indexing_maps = [#id2, #id2],
                         iterator_types = ["parallel", "parallel"]}
        ins(%a : tensor<2x3xf32>) outs(%e0 : tensor<2x3xf32>) {
    ^bb0(%x: f32, %o: f32):
      %m = arith.mulf %x, %two : f32
      linalg.yield %m : f32
    } -> tensor<2x3xf32>
    %e1 = tensor.empty() : tensor<3xi32>
    %d = linalg.generic {indexing_maps = [#id1, #id1],
                         iterator_types = ["parallel"]}
        ins(%b : tensor<3xi32>) outs(%e1 : tensor<3xi32>) {
    ^bb0(%x: i32, %o: i32):
      %m = arith.addi %x, %x : i32
      linalg.yield %m : i32
    } -> tensor<3xi32>
    return %s, %d : tensor<2x3xf32>, tensor<3xi32>
  }
}

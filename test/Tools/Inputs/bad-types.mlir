// Entry functions the model ABI rejects, one per --entry.
module {
  func.func @dynamic(%a: tensor<?x3xf32>) -> tensor<?x3xf32> {
    return %a : tensor<?x3xf32>
  }
  func.func @int4(%a: tensor<3xi4>) -> tensor<3xi4> {
    return %a : tensor<3xi4>
  }
  func.func @no_results(%a: tensor<3xf32>) {
    return
  }
  func.func @scalar(%a: f32) -> tensor<3xf32> {
    %e = tensor.empty() : tensor<3xf32>
    return %e : tensor<3xf32>
  }
  func.func @dup(%a: tensor<3xf32> {qnt.name = "x"}, %b: tensor<3xf32> {qnt.name = "x"}) -> tensor<3xf32> {
    return %a : tensor<3xf32>
  }
  func.func @badname(%a: tensor<3xf32> {qnt.name = "a/b"}) -> tensor<3xf32> {
    return %a : tensor<3xf32>
  }
}

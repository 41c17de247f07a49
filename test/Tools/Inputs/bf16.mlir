#id = affine_map<(d0) -> (d0)>
module @bf16 {
  func.func @double(%a: tensor<3xbf16> {qnt.name = "a"}) -> (tensor<3xbf16> {qnt.name = "y"}) {
    %e = tensor.empty() : tensor<3xbf16>
    %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
        ins(%a : tensor<3xbf16>) outs(%e : tensor<3xbf16>) {
    ^bb0(%x: bf16, %o: bf16):
      %s = arith.addf %x, %x : bf16
      linalg.yield %s : bf16
    } -> tensor<3xbf16>
    return %y : tensor<3xbf16>
  }
}

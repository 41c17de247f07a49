// Invalid pass options. (lit substitutes `not` only after a pipe.)
// RUN: echo | not quant-opt %s --convert-qnt-to-cpu="vector-width=12" 2>&1 | FileCheck %s --check-prefix=WIDTH
// RUN: echo | not quant-opt %s --convert-qnt-to-cpu="vector-width=16 tile-n=24" 2>&1 | FileCheck %s --check-prefix=TILE
// RUN: echo | not quant-opt %s --convert-qnt-to-cpu="tile-n=-16" 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// RUN: echo | not quant-opt %s --convert-qnt-to-cpu="row-block=0" 2>&1 | FileCheck %s --check-prefix=ROWS

// WIDTH: error: vector-width must be a positive power of two, got 12
// TILE: error: tile-n must be a positive multiple of vector-width (16), got 24
// NEGATIVE: error: tile-n must be a positive multiple of vector-width (16), got -16
// ROWS: error: row-block must be positive, got 0
func.func @f() {
  return
}

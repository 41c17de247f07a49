//===- Qnt.td - qnt dialect umbrella -----------------------*- tablegen -*-===//

#ifndef QNT_TD
#define QNT_TD

include "quant/Dialect/Qnt/IR/QntBase.td"
include "quant/Dialect/Qnt/IR/QntEnums.td"
include "quant/Dialect/Qnt/IR/QntInterfaces.td"
include "quant/Dialect/Qnt/IR/QntAttrs.td"
include "quant/Dialect/Qnt/IR/QntOps.td"

#endif // QNT_TD

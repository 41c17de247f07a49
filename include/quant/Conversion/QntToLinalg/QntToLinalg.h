//===- QntToLinalg.h - reference lowering of qnt ops ------------*- C++ -*-===//
//
// The reference lowering: encoded tensors become their physical parts and
// every qnt op becomes linalg / tensor / arith / math / scf IR built from the
// encodings' IR decode and encode.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_CONVERSION_QNTTOLINALG_QNTTOLINALG_H
#define QUANT_CONVERSION_QNTTOLINALG_QNTTOLINALG_H

#include "mlir/Transforms/DialectConversion.h"

namespace mlir {
namespace qnt {

/// Maps every ranked tensor with a qnt encoding to the tensor types of its
/// physical parts (1:N) and leaves every other type unchanged.
class QntPartsTypeConverter : public TypeConverter {
public:
  QntPartsTypeConverter();
};

/// Patterns lowering qnt.constant, qnt.assemble, qnt.disassemble,
/// qnt.dequantize, qnt.quantize and qnt.matmul to linalg on the parts.
void populateQntToLinalgConversionPatterns(const TypeConverter &converter,
                                           RewritePatternSet &patterns);

} // namespace qnt
} // namespace mlir

#endif // QUANT_CONVERSION_QNTTOLINALG_QNTTOLINALG_H

//===- OnnxTypes.cpp - ONNX element types ---------------------------------===//
//
// Names and classes of the TensorProto.DataType codes (ONNX 1.12 names only
// the first 17, so the importer spells them out).
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

using namespace mlir;
using namespace mlir::qnt;
using namespace mlir::qnt::onnx_import;

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

std::string onnx_import::onnxTypeName(int32_t type) {
  switch (type) {
  case kFloat:
    return "float";
  case kUint8:
    return "uint8";
  case kInt8:
    return "int8";
  case kUint16:
    return "uint16";
  case kInt16:
    return "int16";
  case kInt32:
    return "int32";
  case kInt64:
    return "int64";
  case kString:
    return "string";
  case kBool:
    return "bool";
  case kFloat16:
    return "float16";
  case kDouble:
    return "double";
  case kUint32:
    return "uint32";
  case kUint64:
    return "uint64";
  case kBfloat16:
    return "bfloat16";
  case kFloat8E4M3FN:
    return "float8e4m3fn";
  case kFloat8E4M3FNUZ:
    return "float8e4m3fnuz";
  case kFloat8E5M2:
    return "float8e5m2";
  case kFloat8E5M2FNUZ:
    return "float8e5m2fnuz";
  case kUint4:
    return "uint4";
  case kInt4:
    return "int4";
  case kFloat4E2M1:
    return "float4e2m1";
  default:
    return "type code " + std::to_string(type);
  }
}

bool onnx_import::isOnnxFloatType(int32_t type) {
  return type == kFloat || type == kFloat16 || type == kDouble ||
         type == kBfloat16;
}

bool onnx_import::isOnnxIntegerType(int32_t type) {
  return onnxIntegerBits(type) != 0;
}

bool onnx_import::isOnnxUnsigned(int32_t type) {
  return type == kUint8 || type == kUint16 || type == kUint32 ||
         type == kUint64 || type == kUint4 || type == kBool;
}

unsigned onnx_import::onnxIntegerBits(int32_t type) {
  switch (type) {
  case kBool:
    return 1;
  case kUint4:
  case kInt4:
    return 4;
  case kUint8:
  case kInt8:
    return 8;
  case kUint16:
  case kInt16:
    return 16;
  case kInt32:
  case kUint32:
    return 32;
  case kInt64:
  case kUint64:
    return 64;
  default:
    return 0;
  }
}

int64_t HostTensor::getNumElements() const { return product(shape); }

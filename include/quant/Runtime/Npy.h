//===- Npy.h - NumPy .npy file reading and writing --------------*- C++ -*-===//
//
// Reads and writes NumPy's .npy format (versions 1.0, 2.0 and 3.0) for
// little-endian scalar dtypes in C order, which is what quant-run and
// calibration exchange with Python. Writing reproduces numpy's header byte for
// byte (numpy >= 1.24, including its spare space for growing the first axis).
//
// Malformed input never crashes: every failure is returned as a message.
//
// This library is plain C++17 with no MLIR or LLVM dependency.
//
//===----------------------------------------------------------------------===//

#ifndef QUANT_RUNTIME_NPY_H
#define QUANT_RUNTIME_NPY_H

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlir {
namespace qnt {
namespace rt {

/// Either a value or an error message; a minimal llvm::Expected for code that
/// cannot depend on LLVM.
template <typename T>
class Result {
public:
  Result(T value) : value(std::move(value)) {}
  static Result failure(std::string message) {
    Result result;
    result.error = std::move(message);
    return result;
  }

  bool ok() const { return value.has_value(); }
  explicit operator bool() const { return ok(); }
  const std::string &getError() const { return error; }

  T &operator*() {
    assert(ok() && "dereferencing a failed Result");
    return *value;
  }
  const T &operator*() const {
    assert(ok() && "dereferencing a failed Result");
    return *value;
  }
  T *operator->() { return &**this; }
  const T *operator->() const { return &**this; }
  /// Moves the value out.
  T take() { return std::move(**this); }

private:
  Result() = default;
  std::optional<T> value;
  std::string error;
};

/// Success, or failure with a message.
class Status {
public:
  static Status success() { return Status(); }
  static Status failure(std::string message) {
    Status status;
    status.failed = true;
    status.error = std::move(message);
    return status;
  }
  bool ok() const { return !failed; }
  explicit operator bool() const { return ok(); }
  const std::string &getError() const { return error; }

private:
  bool failed = false;
  std::string error;
};

/// An array as stored in a .npy file: numpy dtype descriptor, shape and the
/// raw little-endian element bytes in C order.
struct NpyArray {
  /// Canonical numpy descriptor: "<f4", "<f2", "<f8", "|i1", "|u1", "<i2",
  /// "<u2", "<i4", "<u4", "<i8", "<u8", "|b1", "<c8", "<c16".
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  /// Product of the shape (1 for a 0-d array).
  int64_t getNumElements() const;
};

/// Returns the canonical spelling of a supported dtype descriptor ("<i1" and
/// "=i1" become "|i1"; "=f4" becomes "<f4"), or nullopt if unsupported.
std::optional<std::string> canonicalizeNpyDtype(const std::string &dtype);

/// Element size in bytes of a supported dtype, or 0 if unsupported.
size_t getNpyElementSize(const std::string &dtype);

/// Builds an array, checking the dtype and that `bytes` holds exactly
/// product(shape) elements.
Result<NpyArray> makeNpyArray(std::string dtype, std::vector<int64_t> shape,
                              std::vector<uint8_t> bytes);

/// Parses an in-memory .npy image.
Result<NpyArray> parseNpy(const void *data, size_t size);
/// Reads a .npy file.
Result<NpyArray> readNpy(const std::string &path);

/// Serialises `array` to a .npy image (version 1.0, or 2.0 when the header
/// does not fit in 64 KiB).
Result<std::string> serializeNpy(const NpyArray &array);
/// Writes `array` to `path`.
Status writeNpy(const std::string &path, const NpyArray &array);

} // namespace rt
} // namespace qnt
} // namespace mlir

#endif // QUANT_RUNTIME_NPY_H

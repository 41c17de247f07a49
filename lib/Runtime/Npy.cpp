//===- Npy.cpp - NumPy .npy file reading and writing ----------------------===//
//
// Format reference: numpy/lib/format.py. A file is the magic "\x93NUMPY", a
// major and minor version byte, a little-endian header length (uint16 in 1.0,
// uint32 in 2.0 and 3.0), an ASCII Python dict literal with the keys 'descr',
// 'fortran_order' and 'shape' padded with spaces and a final '\n' so the data
// starts on a 64-byte boundary, then the raw data.
//
//===----------------------------------------------------------------------===//

#include "quant/Runtime/Npy.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

using namespace mlir::qnt::rt;

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr size_t kArrayAlign = 64;
/// numpy leaves room for the first axis to grow to this many digits.
constexpr size_t kGrowthAxisMaxDigits = 21;

struct DtypeInfo {
  const char *canonical;
  size_t size;
};

/// Supported dtypes, keyed by kind and size; the byte-order character is
/// handled separately.
const DtypeInfo kDtypes[] = {
    {"<f2", 2}, {"<f4", 4}, {"<f8", 8}, {"|i1", 1},   {"|u1", 1},
    {"<i2", 2}, {"<u2", 2}, {"<i4", 4}, {"<u4", 4},   {"<i8", 8},
    {"<u8", 8}, {"|b1", 1}, {"<c8", 8}, {"<c16", 16},
};

const DtypeInfo *lookupDtype(const std::string &dtype) {
  if (dtype.size() < 3)
    return nullptr;
  char order = dtype[0];
  if (order != '<' && order != '|' && order != '=')
    return nullptr;
  std::string body = dtype.substr(1);
  for (const DtypeInfo &info : kDtypes) {
    if (body != info.canonical + 1)
      continue;
    // '|' (not applicable) is only meaningful for one-byte types; numpy never
    // writes it for wider ones.
    if (order == '|' && info.size != 1)
      return nullptr;
    return &info;
  }
  return nullptr;
}

std::string describeShape(const std::vector<int64_t> &shape) {
  // Python's repr of a tuple: (), (3,), (2, 3).
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      text += ", ";
    text += std::to_string(shape[i]);
  }
  if (shape.size() == 1)
    text += ",";
  return text + ")";
}

/// Multiplies the shape by `elementSize`; false on overflow of int64.
bool computeByteSize(const std::vector<int64_t> &shape, size_t elementSize,
                     uint64_t &bytes) {
  const uint64_t limit = std::numeric_limits<int64_t>::max();
  uint64_t total = elementSize;
  for (int64_t dim : shape) {
    if (dim < 0)
      return false;
    uint64_t d = static_cast<uint64_t>(dim);
    if (d != 0 && total > limit / d)
      return false;
    total *= d;
  }
  bytes = total;
  return true;
}

/// Checks that `dtype` is supported and `byteCount` holds exactly the
/// elements of `shape`.
Status validate(const std::string &dtype, const std::vector<int64_t> &shape,
                size_t byteCount) {
  const DtypeInfo *info = lookupDtype(dtype);
  if (!info) {
    if (!dtype.empty() && dtype[0] == '>')
      return Status::failure("big-endian dtype '" + dtype +
                             "' is not supported");
    return Status::failure("unsupported dtype '" + dtype + "'");
  }
  uint64_t expected = 0;
  if (!computeByteSize(shape, info->size, expected))
    return Status::failure("invalid shape " + describeShape(shape) +
                           ": negative or too large");
  if (byteCount != expected)
    return Status::failure("wrong data size: shape " + describeShape(shape) +
                           " of '" + info->canonical + "' needs " +
                           std::to_string(expected) + " bytes, got " +
                           std::to_string(byteCount));
  return Status::success();
}

/// A cursor over the header dict text.
class HeaderParser {
public:
  explicit HeaderParser(const std::string &text) : text(text) {}

  Status parse(std::string &descr, bool &fortranOrder,
               std::vector<int64_t> &shape) {
    bool sawDescr = false, sawOrder = false, sawShape = false;
    skipSpace();
    if (!consume('{'))
      return error("expected '{' at the start of the header");
    while (true) {
      skipSpace();
      if (consume('}'))
        break;
      std::string key;
      if (Status s = parseString(key); !s)
        return s;
      skipSpace();
      if (!consume(':'))
        return error("expected ':' after key '" + key + "'");
      skipSpace();
      if (key == "descr") {
        if (sawDescr)
          return error("duplicate key 'descr'");
        sawDescr = true;
        if (peek() == '[')
          return error("structured dtypes are not supported");
        if (Status s = parseString(descr); !s)
          return s;
      } else if (key == "fortran_order") {
        if (sawOrder)
          return error("duplicate key 'fortran_order'");
        sawOrder = true;
        if (consumeWord("True"))
          fortranOrder = true;
        else if (consumeWord("False"))
          fortranOrder = false;
        else
          return error("expected True or False for 'fortran_order'");
      } else if (key == "shape") {
        if (sawShape)
          return error("duplicate key 'shape'");
        sawShape = true;
        if (Status s = parseShape(shape); !s)
          return s;
      } else {
        return error("unexpected key '" + key + "'");
      }
      skipSpace();
      if (consume('}'))
        break;
      if (!consume(','))
        return error("expected ',' or '}' after the value of '" + key + "'");
    }
    skipSpace();
    if (pos != text.size())
      return error("unexpected text after the header dict");
    if (!sawDescr || !sawOrder || !sawShape)
      return error("header lacks one of 'descr', 'fortran_order', 'shape'");
    return Status::success();
  }

private:
  Status error(const std::string &message) const {
    return Status::failure("corrupt header: " + message + " at offset " +
                           std::to_string(pos));
  }
  char peek() const { return pos < text.size() ? text[pos] : '\0'; }
  bool consume(char c) {
    if (peek() != c)
      return false;
    ++pos;
    return true;
  }
  bool consumeWord(const char *word) {
    size_t len = std::strlen(word);
    if (text.compare(pos, len, word) != 0)
      return false;
    pos += len;
    return true;
  }
  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n' ||
                                 text[pos] == '\t' || text[pos] == '\r'))
      ++pos;
  }
  Status parseString(std::string &out) {
    char quote = peek();
    if (quote != '\'' && quote != '"')
      return error("expected a quoted string");
    ++pos;
    size_t start = pos;
    while (pos < text.size() && text[pos] != quote) {
      if (text[pos] == '\\')
        return error("escape sequences are not supported in strings");
      ++pos;
    }
    if (pos == text.size())
      return error("unterminated string");
    out = text.substr(start, pos - start);
    ++pos;
    return Status::success();
  }
  Status parseShape(std::vector<int64_t> &shape) {
    shape.clear();
    if (!consume('('))
      return error("expected '(' for 'shape'");
    while (true) {
      skipSpace();
      if (consume(')'))
        return Status::success();
      if (peek() < '0' || peek() > '9')
        return error("expected a non-negative integer in 'shape'");
      uint64_t value = 0;
      while (peek() >= '0' && peek() <= '9') {
        uint64_t digit = static_cast<uint64_t>(peek() - '0');
        if (value > (std::numeric_limits<int64_t>::max() - digit) / 10)
          return error("dimension too large in 'shape'");
        value = value * 10 + digit;
        ++pos;
      }
      // Python 2 era files may spell longs with a suffix.
      consume('L');
      shape.push_back(static_cast<int64_t>(value));
      skipSpace();
      if (consume(')'))
        return Status::success();
      if (!consume(','))
        return error("expected ',' or ')' in 'shape'");
    }
  }

  const std::string &text;
  size_t pos = 0;
};

uint32_t readLittleEndian(const uint8_t *p, size_t bytes) {
  uint32_t value = 0;
  for (size_t i = 0; i < bytes; ++i)
    value |= static_cast<uint32_t>(p[i]) << (8 * i);
  return value;
}

} // namespace

int64_t NpyArray::getNumElements() const {
  int64_t n = 1;
  for (int64_t dim : shape)
    n *= dim;
  return n;
}

std::optional<std::string>
mlir::qnt::rt::canonicalizeNpyDtype(const std::string &dtype) {
  if (const DtypeInfo *info = lookupDtype(dtype))
    return std::string(info->canonical);
  return std::nullopt;
}

size_t mlir::qnt::rt::getNpyElementSize(const std::string &dtype) {
  const DtypeInfo *info = lookupDtype(dtype);
  return info ? info->size : 0;
}

Result<NpyArray> mlir::qnt::rt::makeNpyArray(std::string dtype,
                                             std::vector<int64_t> shape,
                                             std::vector<uint8_t> bytes) {
  if (Status s = validate(dtype, shape, bytes.size()); !s)
    return Result<NpyArray>::failure(s.getError());
  NpyArray array;
  array.dtype = lookupDtype(dtype)->canonical;
  array.shape = std::move(shape);
  array.bytes = std::move(bytes);
  return array;
}

Result<NpyArray> mlir::qnt::rt::parseNpy(const void *data, size_t size) {
  using R = Result<NpyArray>;
  const auto *bytes = static_cast<const uint8_t *>(data);
  if (size < kMagicLen + 2 || std::memcmp(bytes, kMagic, kMagicLen) != 0)
    return R::failure("not a .npy file: missing the \\x93NUMPY magic");
  unsigned major = bytes[kMagicLen], minor = bytes[kMagicLen + 1];
  size_t lengthBytes;
  if (major == 1 && minor == 0)
    lengthBytes = 2;
  else if ((major == 2 || major == 3) && minor == 0)
    lengthBytes = 4;
  else
    return R::failure("unsupported .npy format version " +
                      std::to_string(major) + "." + std::to_string(minor));
  size_t prefix = kMagicLen + 2 + lengthBytes;
  if (size < prefix)
    return R::failure("truncated .npy file: header length is cut off");
  uint64_t headerLen = readLittleEndian(bytes + kMagicLen + 2, lengthBytes);
  if (headerLen > size - prefix)
    return R::failure("truncated .npy file: header declares " +
                      std::to_string(headerLen) + " bytes but only " +
                      std::to_string(size - prefix) + " follow");
  std::string header(reinterpret_cast<const char *>(bytes + prefix), headerLen);
  if (header.find('\0') != std::string::npos)
    return R::failure("corrupt header: contains a NUL byte");

  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
  if (Status s = HeaderParser(header).parse(descr, fortranOrder, shape); !s)
    return R::failure(s.getError());
  if (fortranOrder)
    return R::failure("fortran_order arrays are not supported; save the "
                      "array in C order (numpy.ascontiguousarray)");

  const uint8_t *payload = bytes + prefix + headerLen;
  size_t payloadSize = size - prefix - headerLen;
  R array = makeNpyArray(descr, std::move(shape),
                         std::vector<uint8_t>(payload, payload + payloadSize));
  if (!array)
    return R::failure(array.getError());
  return array;
}

Result<NpyArray> mlir::qnt::rt::readNpy(const std::string &path) {
  using R = Result<NpyArray>;
  FILE *file = std::fopen(path.c_str(), "rb");
  if (!file)
    return R::failure(path + ": cannot open: " + std::strerror(errno));
  std::vector<uint8_t> contents;
  uint8_t chunk[1 << 16];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof(chunk), file)) > 0)
    contents.insert(contents.end(), chunk, chunk + got);
  bool readError = std::ferror(file) != 0;
  std::fclose(file);
  if (readError)
    return R::failure(path + ": read error");
  R array = parseNpy(contents.data(), contents.size());
  if (!array)
    return R::failure(path + ": " + array.getError());
  return array;
}

Result<std::string> mlir::qnt::rt::serializeNpy(const NpyArray &array) {
  // Re-validate so a hand-built NpyArray cannot produce an unreadable file.
  if (Status s = validate(array.dtype, array.shape, array.bytes.size()); !s)
    return Result<std::string>::failure(s.getError());
  const DtypeInfo *info = lookupDtype(array.dtype);

  // Keys in sorted order, values as Python's repr, like numpy.
  std::string dict =
      std::string("{'descr': '") + info->canonical +
      "', 'fortran_order': False, 'shape': " + describeShape(array.shape) +
      ", }";
  if (!array.shape.empty())
    dict.append(kGrowthAxisMaxDigits - std::to_string(array.shape[0]).size(),
                ' ');

  std::string out;
  for (unsigned major : {1u, 2u}) {
    size_t lengthBytes = major == 1 ? 2 : 4;
    size_t headerLen = dict.size() + 1; // + '\n'
    size_t padding =
        kArrayAlign - (kMagicLen + 2 + lengthBytes + headerLen) % kArrayAlign;
    headerLen += padding;
    if (major == 1 && headerLen > 0xffff)
      continue;
    out.assign(kMagic, kMagicLen);
    out.push_back(static_cast<char>(major));
    out.push_back(0);
    for (size_t i = 0; i < lengthBytes; ++i)
      out.push_back(static_cast<char>((headerLen >> (8 * i)) & 0xff));
    out += dict;
    out.append(padding, ' ');
    out.push_back('\n');
    break;
  }
  out.append(reinterpret_cast<const char *>(array.bytes.data()),
             array.bytes.size());
  return out;
}

Status mlir::qnt::rt::writeNpy(const std::string &path, const NpyArray &array) {
  Result<std::string> image = serializeNpy(array);
  if (!image)
    return Status::failure(path + ": " + image.getError());
  FILE *file = std::fopen(path.c_str(), "wb");
  if (!file)
    return Status::failure(
        path + ": cannot open for writing: " + std::strerror(errno));
  size_t written = std::fwrite(image->data(), 1, image->size(), file);
  bool closeFailed = std::fclose(file) != 0;
  if (written != image->size() || closeFailed) {
    std::remove(path.c_str());
    return Status::failure(path + ": write failed");
  }
  return Status::success();
}

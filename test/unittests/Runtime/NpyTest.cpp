//===- NpyTest.cpp - Tests for .npy reading and writing -------------------===//

#include "quant/Runtime/Npy.h"

#include "gtest/gtest.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

using namespace mlir::qnt::rt;

namespace {

std::vector<uint8_t> iota(size_t n) {
  std::vector<uint8_t> bytes(n);
  for (size_t i = 0; i < n; ++i)
    bytes[i] = static_cast<uint8_t>(i * 37 + 11);
  return bytes;
}

/// A per-test scratch file, removed afterwards.
class ScratchFile {
public:
  explicit ScratchFile(const char *suffix) {
    const char *tmp = std::getenv("TMPDIR");
    path = std::string(tmp ? tmp : "/tmp") + "/quant-npy-test-" +
           std::to_string(getpid()) + "-" + std::to_string(counter++) + suffix;
  }
  ~ScratchFile() { std::remove(path.c_str()); }
  std::string path;

private:
  static inline int counter = 0;
};

std::string expectedF4Header2x3() {
  // numpy 1.24: np.save of np.zeros((2, 3), '<f4'): magic, version 1.0,
  // little-endian header length 118, the dict, spaces up to byte 127, '\n'.
  std::string header("\x93NUMPY\x01\x00", 8);
  header += static_cast<char>(118);
  header += static_cast<char>(0);
  header += "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  header.append(127 - header.size(), ' ');
  header += '\n';
  return header;
}

TEST(NpyTest, HeaderMatchesNumpyByteForByte) {
  Result<NpyArray> array = makeNpyArray("<f4", {2, 3}, iota(24));
  ASSERT_TRUE(array) << array.getError();
  Result<std::string> image = serializeNpy(*array);
  ASSERT_TRUE(image) << image.getError();
  std::string expected = expectedF4Header2x3();
  ASSERT_EQ(expected.size(), 128u);
  ASSERT_EQ(image->size(), 128u + 24u);
  EXPECT_EQ(image->substr(0, 128), expected);
  EXPECT_EQ(std::memcmp(image->data() + 128, array->bytes.data(), 24), 0);
}

TEST(NpyTest, DataStartsOn64ByteBoundary) {
  for (std::vector<int64_t> shape : {std::vector<int64_t>{},
                                     {0},
                                     {7},
                                     {1, 2, 3, 4, 5, 6, 7, 8},
                                     {123456789012, 0}}) {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    Result<NpyArray> array = makeNpyArray("<i8", shape, iota(8 * n));
    ASSERT_TRUE(array) << array.getError();
    Result<std::string> image = serializeNpy(*array);
    ASSERT_TRUE(image) << image.getError();
    size_t headerLen = static_cast<uint8_t>((*image)[8]) |
                       (static_cast<uint8_t>((*image)[9]) << 8);
    EXPECT_EQ((10 + headerLen) % 64, 0u);
    EXPECT_EQ((*image)[10 + headerLen - 1], '\n');
  }
}

TEST(NpyTest, RoundTripsDtypesAndShapes) {
  const char *dtypes[] = {"<f4", "<f2", "<f8", "|i1", "|u1", "<i2", "<u2",
                          "<i4", "<u4", "<i8", "<u8", "|b1", "<c8"};
  std::vector<std::vector<int64_t>> shapes = {
      {}, {0}, {5}, {2, 3}, {3, 0, 2}, {1, 1, 1, 1}, {4, 3, 2}};
  for (const char *dtype : dtypes) {
    for (const std::vector<int64_t> &shape : shapes) {
      int64_t n = 1;
      for (int64_t d : shape)
        n *= d;
      std::vector<uint8_t> bytes = iota(n * getNpyElementSize(dtype));
      if (std::string(dtype) == "|b1")
        for (uint8_t &b : bytes)
          b &= 1;
      Result<NpyArray> array = makeNpyArray(dtype, shape, bytes);
      ASSERT_TRUE(array) << array.getError();
      ScratchFile file(".npy");
      Status written = writeNpy(file.path, *array);
      ASSERT_TRUE(written) << written.getError();
      Result<NpyArray> back = readNpy(file.path);
      ASSERT_TRUE(back) << back.getError();
      EXPECT_EQ(back->dtype, dtype);
      EXPECT_EQ(back->shape, shape);
      EXPECT_EQ(back->bytes, bytes);
      EXPECT_EQ(back->getNumElements(), n);
    }
  }
}

TEST(NpyTest, CanonicalizesOneByteAndNativeOrder) {
  EXPECT_EQ(canonicalizeNpyDtype("<i1"), "|i1");
  EXPECT_EQ(canonicalizeNpyDtype("<u1"), "|u1");
  EXPECT_EQ(canonicalizeNpyDtype("=f4"), "<f4");
  EXPECT_EQ(canonicalizeNpyDtype("|b1"), "|b1");
  EXPECT_FALSE(canonicalizeNpyDtype("|f4"));
  EXPECT_FALSE(canonicalizeNpyDtype(">f4"));
  EXPECT_FALSE(canonicalizeNpyDtype("<f3"));
  EXPECT_FALSE(canonicalizeNpyDtype("<U8"));
  Result<NpyArray> array = makeNpyArray("<i1", {2}, {1, 2});
  ASSERT_TRUE(array);
  EXPECT_EQ(array->dtype, "|i1");
}

TEST(NpyTest, ReadsVersion2AndDoubleQuotesAndAnyKeyOrder) {
  std::string dict =
      "{\"shape\": (3,), 'descr': \"<i2\", 'fortran_order': False}";
  std::string image("\x93NUMPY\x02\x00", 8);
  uint32_t len = static_cast<uint32_t>(dict.size() + 1);
  for (int i = 0; i < 4; ++i)
    image += static_cast<char>((len >> (8 * i)) & 0xff);
  image += dict + "\n";
  image += std::string("\x01\x00\x02\x00\xff\xff", 6);
  Result<NpyArray> array = parseNpy(image.data(), image.size());
  ASSERT_TRUE(array) << array.getError();
  EXPECT_EQ(array->dtype, "<i2");
  EXPECT_EQ(array->shape, std::vector<int64_t>{3});
  EXPECT_EQ(array->bytes.size(), 6u);
}

std::string withHeader(const std::string &dict, const std::string &data) {
  std::string image("\x93NUMPY\x01\x00", 8);
  size_t len = dict.size() + 1;
  image += static_cast<char>(len & 0xff);
  image += static_cast<char>(len >> 8);
  return image + dict + "\n" + data;
}

void expectError(const std::string &image, const std::string &fragment) {
  Result<NpyArray> array = parseNpy(image.data(), image.size());
  ASSERT_FALSE(array) << "expected an error containing '" << fragment << "'";
  EXPECT_NE(array.getError().find(fragment), std::string::npos)
      << "error was: " << array.getError();
}

TEST(NpyTest, RejectsFortranOrder) {
  expectError(withHeader("{'descr': '<f4', 'fortran_order': True, "
                         "'shape': (1, 2), }",
                         std::string(8, '\0')),
              "fortran_order");
}

TEST(NpyTest, RejectsCorruptHeaders) {
  std::string four(4, '\0');
  expectError("", "magic");
  expectError("\x93NUMPZ\x01\x00", "magic");
  expectError(std::string("\x93NUMPY\x04\x00\x10\x00", 10), "version 4.0");
  expectError(std::string("\x93NUMPY\x01\x00\x10", 9), "truncated");
  expectError(std::string("\x93NUMPY\x01\x00\xff\x00{'descr'", 17),
              "truncated");
  expectError(withHeader("'descr': '<f4'", four), "expected '{'");
  expectError(withHeader("{'descr': '<f4', 'fortran_order': False, }", four),
              "lacks");
  expectError(withHeader("{'descr': '<f4', 'fortran_order': Maybe, "
                         "'shape': (1,), }",
                         four),
              "True or False");
  expectError(withHeader("{'descr': '<f4', 'fortran_order': False, "
                         "'shape': (-1,), }",
                         four),
              "non-negative");
  expectError(withHeader("{'descr': '<f4', 'fortran_order': False, "
                         "'shape': (99999999999999999999,), }",
                         four),
              "too large");
  expectError(withHeader("{'descr': '<f4', 'fortran_order': False, "
                         "'shape': (1,), 'extra': 1}",
                         four),
              "unexpected key");
  expectError(withHeader("{'descr': '<f4', 'descr': '<f4', "
                         "'fortran_order': False, 'shape': (1,)}",
                         four),
              "duplicate");
  expectError(withHeader("{'descr': [('a', '<f4')], 'fortran_order': False, "
                         "'shape': (1,)}",
                         four),
              "structured");
  expectError(withHeader("{'descr': '<f4, 'fortran_order': False, "
                         "'shape': (1,)}",
                         four),
              "expected ',' or '}'");
  expectError(withHeader("{'descr' '<f4', 'fortran_order': False, "
                         "'shape': (1,)}",
                         four),
              "expected ':'");
  expectError(withHeader("{'descr': '<f4", four), "unterminated string");
  expectError(withHeader("{'descr': '>f4', 'fortran_order': False, "
                         "'shape': (1,), }",
                         four),
              "big-endian");
  expectError(withHeader("{'descr': '<U4', 'fortran_order': False, "
                         "'shape': (1,), }",
                         four),
              "unsupported dtype");
  expectError(withHeader("{'descr': '<f4', 'fortran_order': False, "
                         "'shape': (1,), } junk",
                         four),
              "after the header");
  // Shapes whose byte size overflows must not be trusted.
  expectError(withHeader("{'descr': '<f8', 'fortran_order': False, "
                         "'shape': (4611686018427387904, 4), }",
                         four),
              "too large");
}

TEST(NpyTest, RejectsWrongDataSize) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': "
                     "(2, 3), }";
  expectError(withHeader(dict, std::string(23, '\0')), "wrong data size");
  expectError(withHeader(dict, std::string(25, '\0')), "wrong data size");
  Result<NpyArray> ok = parseNpy(withHeader(dict, std::string(24, '\0')).data(),
                                 10 + dict.size() + 1 + 24);
  EXPECT_TRUE(ok) << ok.getError();
}

TEST(NpyTest, EveryTruncationOfAValidFileFails) {
  Result<NpyArray> array = makeNpyArray("<f4", {2, 3}, iota(24));
  ASSERT_TRUE(array);
  Result<std::string> image = serializeNpy(*array);
  ASSERT_TRUE(image);
  for (size_t len = 0; len < image->size(); ++len) {
    Result<NpyArray> parsed = parseNpy(image->data(), len);
    EXPECT_FALSE(parsed) << "prefix of " << len << " bytes parsed";
    EXPECT_FALSE(parsed.getError().empty());
  }
}

TEST(NpyTest, MakeAndWriteValidate) {
  EXPECT_FALSE(makeNpyArray("<f4", {2, 2}, iota(15)));
  EXPECT_FALSE(makeNpyArray("<f4", {-2, 2}, {}));
  EXPECT_FALSE(makeNpyArray("float32", {1}, iota(4)));
  NpyArray bad;
  bad.dtype = "<f4";
  bad.shape = {3};
  bad.bytes = iota(8);
  EXPECT_FALSE(serializeNpy(bad));
  ScratchFile file(".npy");
  Status status = writeNpy(file.path, bad);
  EXPECT_FALSE(status);
  EXPECT_NE(status.getError().find("wrong data size"), std::string::npos);
}

TEST(NpyTest, ReportsMissingFiles) {
  Result<NpyArray> missing = readNpy("/nonexistent-dir/x.npy");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.getError().find("/nonexistent-dir/x.npy"),
            std::string::npos);
  Result<NpyArray> array = makeNpyArray("|u1", {1}, {7});
  ASSERT_TRUE(array);
  EXPECT_FALSE(writeNpy("/nonexistent-dir/x.npy", *array));
}

TEST(NpyTest, ReadsFileWrittenByNumpy) {
  // Cross-check against the real numpy where the system Python has it.
  if (access("/usr/bin/python3", X_OK) != 0)
    GTEST_SKIP() << "/usr/bin/python3 not found";
  ScratchFile file(".npy");
  std::string cmd =
      "/usr/bin/python3 -c \"import numpy as np; "
      "np.save('" +
      file.path +
      "', np.arange(24, dtype='<i2').reshape(2, 3, 4) * 3 - 20)\" "
      "2>/dev/null";
  if (std::system(cmd.c_str()) != 0)
    GTEST_SKIP() << "numpy is not available to /usr/bin/python3";
  Result<NpyArray> array = readNpy(file.path);
  ASSERT_TRUE(array) << array.getError();
  EXPECT_EQ(array->dtype, "<i2");
  EXPECT_EQ(array->shape, (std::vector<int64_t>{2, 3, 4}));
  ASSERT_EQ(array->bytes.size(), 48u);
  for (int i = 0; i < 24; ++i) {
    int16_t value;
    std::memcpy(&value, array->bytes.data() + 2 * i, 2);
    EXPECT_EQ(value, i * 3 - 20);
  }
  // Writing it back must reproduce numpy's file exactly.
  Result<std::string> image = serializeNpy(*array);
  ASSERT_TRUE(image);
  FILE *f = std::fopen(file.path.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  std::string original(image->size() + 16, '\0');
  size_t got = std::fread(original.data(), 1, original.size(), f);
  std::fclose(f);
  original.resize(got);
  EXPECT_EQ(original, *image);
}

} // namespace

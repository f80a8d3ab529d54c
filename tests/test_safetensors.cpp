// The safetensors reader: reading (zero copy, conversion, caching) and every rejection the
// reference implementation makes. Each file is built byte by byte in the test, so the test shows
// exactly what the reader was given; each rejection checks the message names the file, the
// tensor and the fault.
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "error_message.h"
#include "io/safetensors.h"
#include "ordo/error.h"
#include "safetensors_test_util.h"

namespace ordo::io {
namespace {

using ordo::test::le_u64;
using ordo::test::padded;
using ordo::test::raw_bytes;
using ordo::test::safetensors_bytes;

// ---- Helpers ----------------------------------------------------------------------------------

using ordo::test::error_message;
using ordo::test::expect_contains;

std::string canonical_string(const std::filesystem::path& file) {
  return std::filesystem::canonical(file).string();
}

// Address ranges the process has mapped from `file`, from /proc/self/maps.
std::vector<std::pair<uintptr_t, uintptr_t>> mappings_of(const std::filesystem::path& file) {
  const std::string target = canonical_string(file);
  std::vector<std::pair<uintptr_t, uintptr_t>> ranges;
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    uintptr_t start = 0, end = 0;
    if (std::sscanf(line.c_str(), "%" SCNxPTR "-%" SCNxPTR, &start, &end) != 2) continue;
    const size_t path_start = line.find('/');
    if (path_start != std::string::npos && line.substr(path_start) == target) {
      ranges.emplace_back(start, end);
    }
  }
  return ranges;
}

bool lies_in_mapping_of(const void* address, const std::filesystem::path& file) {
  const auto value = reinterpret_cast<uintptr_t>(address);
  for (const auto& [start, end] : mappings_of(file)) {
    if (value >= start && value < end) return true;
  }
  return false;
}

int open_descriptors_of(const std::filesystem::path& file) {
  const std::string target = canonical_string(file);
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code error;
    const auto link = std::filesystem::read_symlink(entry.path(), error);
    if (!error && link == target) ++count;
  }
  return count;
}

float float_from_bits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

class SafetensorsTest : public ::testing::Test {
 protected:
  std::filesystem::path write(const std::string& bytes,
                              const std::string& name = "model.safetensors") {
    return dir_.write(name, bytes);
  }

  // Opens a file made of exactly `bytes`; expects an ordo::Error naming the file and `words`.
  void expect_rejected(const std::string& bytes, const std::vector<std::string>& words) {
    const auto path = write(bytes);
    const std::string message = error_message([&] { SafetensorsFile file(path); });
    expect_contains(message, words);
    expect_contains(message, {path.string() + ": "});
  }

  void expect_header_rejected(const std::string& header, const std::string& data,
                              const std::vector<std::string>& words) {
    expect_rejected(safetensors_bytes(header, data), words);
  }

  ordo::test::ScratchDir dir_;
};

// ---- Reading ----------------------------------------------------------------------------------

TEST_F(SafetensorsTest, F32RoundTripIsZeroCopyFromTheMapping) {
  const std::string header = padded(R"({"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
                                    R"("b":{"dtype":"F32","shape":[3],"data_offsets":[16,28]}})");
  const std::vector<float> a_values = {1.5f, -2.25f, 3.0e-38f, 1.0e10f};
  const std::vector<float> b_values = {0.0f, -0.0f, 7.0f};
  const auto path = write(safetensors_bytes(header, raw_bytes(a_values) + raw_bytes(b_values)));

  const SafetensorsFile file(path);
  const TensorView a = file.f32("a");
  const TensorView b = file.f32("b");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(b.shape, (std::vector<int64_t>{3}));
  for (size_t i = 0; i < a_values.size(); ++i) EXPECT_EQ(a.data[i], a_values[i]) << i;
  for (size_t i = 0; i < b_values.size(); ++i) EXPECT_EQ(b.data[i], b_values[i]) << i;
  EXPECT_TRUE(std::signbit(b.data[1]));

  // Zero copy: both views point into the file's mapping, back to back as in the file.
  EXPECT_TRUE(lies_in_mapping_of(a.data, path));
  EXPECT_TRUE(lies_in_mapping_of(b.data + 2, path));
  EXPECT_EQ(b.data, a.data + 4);
  EXPECT_EQ(file.f32("a").data, a.data);
}

TEST_F(SafetensorsTest, NamesAreSortedAndInfoMatchesTheHeader) {
  const std::string header =
      padded(R"({"z.bias":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
             R"("a.weight":{"dtype":"BF16","shape":[2,1],"data_offsets":[4,8]}})");
  const SafetensorsFile file(write(safetensors_bytes(header, std::string(8, '\0'))));

  EXPECT_EQ(file.names(), (std::vector<std::string>{"a.weight", "z.bias"}));
  EXPECT_TRUE(file.contains("z.bias"));
  EXPECT_FALSE(file.contains("nope"));
  const TensorInfo& info = file.info("a.weight");
  EXPECT_EQ(info.dtype, DType::BF16);
  EXPECT_EQ(info.shape, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(info.begin, 4u);
  EXPECT_EQ(info.end, 8u);
}

TEST_F(SafetensorsTest, DTypeNamesAndSizesMatchTheFormat) {
  EXPECT_STREQ(dtype_name(DType::BF16), "BF16");
  EXPECT_STREQ(dtype_name(DType::F8_E4M3), "F8_E4M3");
  EXPECT_EQ(dtype_size(DType::BOOL), 1u);
  EXPECT_EQ(dtype_size(DType::F16), 2u);
  EXPECT_EQ(dtype_size(DType::U32), 4u);
  EXPECT_EQ(dtype_size(DType::I64), 8u);
  EXPECT_EQ(dtype_size(DType::F8_E5M2), 1u);
}

TEST_F(SafetensorsTest, ConvertsF16IncludingSubnormalsAndInfinities) {
  const std::vector<uint16_t> halves = {
      0x3C00,  // 1
      0xC000,  // -2
      0x3555,  // 1365/4096, the half nearest 1/3
      0x7BFF,  // 65504, the largest half
      0x0400,  // 2^-14, the smallest normal
      0x0001,  // 2^-24, the smallest subnormal
      0x03FF,  // 1023 * 2^-24, the largest subnormal
      0x8001,  // -2^-24
      0x8000,  // -0
      0x7C00,  // +inf
      0xFC00,  // -inf
      0x7E00,  // NaN
  };
  const std::string header = padded(R"({"h":{"dtype":"F16","shape":[3,4],"data_offsets":[0,24]}})");
  const SafetensorsFile file(write(safetensors_bytes(header, raw_bytes(halves))));

  const TensorView h = file.f32("h");
  ASSERT_EQ(h.shape, (std::vector<int64_t>{3, 4}));
  const float expected[] = {1.0f,
                            -2.0f,
                            1365.0f / 4096.0f,
                            65504.0f,
                            std::ldexp(1.0f, -14),
                            std::ldexp(1.0f, -24),
                            std::ldexp(1023.0f, -24),
                            -std::ldexp(1.0f, -24),
                            -0.0f,
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity()};
  for (size_t i = 0; i < 11; ++i) EXPECT_EQ(h.data[i], expected[i]) << "element " << i;
  EXPECT_TRUE(std::signbit(h.data[8]));
  EXPECT_TRUE(std::isnan(h.data[11]));
}

TEST_F(SafetensorsTest, ConvertsBF16IncludingSubnormalsAndInfinities) {
  const std::vector<uint16_t> bfloats = {
      0x3F80,  // 1
      0xC000,  // -2
      0x4049,  // 3.140625
      0x7F7F,  // the largest bfloat16
      0x0001,  // 2^-133, a float subnormal
      0x807F,  // -127 * 2^-133
      0x8000,  // -0
      0x7F80,  // +inf
      0xFF80,  // -inf
      0x7FC0,  // NaN
  };
  const std::string header = padded(R"({"b":{"dtype":"BF16","shape":[10],"data_offsets":[0,20]}})");
  const SafetensorsFile file(write(safetensors_bytes(header, raw_bytes(bfloats))));

  const TensorView b = file.f32("b");
  const float expected[] = {1.0f,
                            -2.0f,
                            3.140625f,
                            float_from_bits(0x7F7F0000u),
                            std::ldexp(1.0f, -133),
                            -std::ldexp(127.0f, -133),
                            -0.0f,
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity()};
  for (size_t i = 0; i < 9; ++i) EXPECT_EQ(b.data[i], expected[i]) << "element " << i;
  EXPECT_TRUE(std::signbit(b.data[6]));
  EXPECT_TRUE(std::isnan(b.data[9]));
}

// Converted tensors are cached: every caller, on any thread, gets the same stable pointer, and
// converting another tensor later does not move it.
TEST_F(SafetensorsTest, ConvertedTensorsAreCachedOnceAndStayPut) {
  const std::string header = padded(R"({"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},)"
                                    R"("k":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]}})");
  const std::vector<uint16_t> data = {0x3C00, 0x4000, 0x3F80, 0x4000};
  const auto path = write(safetensors_bytes(header, raw_bytes(data)));
  const SafetensorsFile file(path);

  std::vector<const float*> seen(8, nullptr);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < seen.size(); ++t) {
    threads.emplace_back([&file, &seen, t] { seen[t] = file.f32("h").data; });
  }
  for (std::thread& thread : threads) thread.join();
  for (const float* pointer : seen) EXPECT_EQ(pointer, seen[0]);
  EXPECT_FALSE(lies_in_mapping_of(seen[0], path));  // a converted copy, not the file

  EXPECT_EQ(file.f32("k").data[1], 2.0f);
  EXPECT_EQ(file.f32("h").data, seen[0]);
  EXPECT_EQ(seen[0][0], 1.0f);
  EXPECT_EQ(seen[0][1], 2.0f);
}

TEST_F(SafetensorsTest, ReadsI64) {
  const std::vector<int64_t> ids = {0, -1, 1234567890123, std::numeric_limits<int64_t>::max(),
                                    std::numeric_limits<int64_t>::min()};
  const std::string header =
      padded(R"({"ids":{"dtype":"I64","shape":[1,5],"data_offsets":[0,40]}})");
  const SafetensorsFile file(write(safetensors_bytes(header, raw_bytes(ids))));
  EXPECT_EQ(file.i64("ids"), ids);
}

TEST_F(SafetensorsTest, ReadsMetadata) {
  const std::string header =
      padded(R"({"__metadata__":{"format":"pt","note":"word order \u00e9 matters"},)"
             R"("w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})");
  const SafetensorsFile file(write(safetensors_bytes(header, raw_bytes<float>({1.0f}))));
  const std::map<std::string, std::string> expected = {{"format", "pt"},
                                                       {"note", "word order \xC3\xA9 matters"}};
  EXPECT_EQ(file.metadata(), expected);
  EXPECT_EQ(file.names(), (std::vector<std::string>{"w"}));  // __metadata__ is not a tensor
}

TEST_F(SafetensorsTest, ZeroSizeTensorsAreLegal) {
  const std::string header =
      padded(R"({"empty":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]},)"
             R"("w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
             R"("half":{"dtype":"F16","shape":[4,0],"data_offsets":[4,4]},)"
             R"("ids":{"dtype":"I64","shape":[0],"data_offsets":[4,4]}})");
  const SafetensorsFile file(write(safetensors_bytes(header, raw_bytes<float>({5.0f}))));

  const TensorView empty = file.f32("empty");
  EXPECT_EQ(empty.shape, (std::vector<int64_t>{0, 3}));
  EXPECT_FALSE(empty.empty());  // empty() means "no tensor", not "no elements"
  EXPECT_EQ(file.f32("half").shape, (std::vector<int64_t>{4, 0}));
  EXPECT_TRUE(file.i64("ids").empty());
  EXPECT_EQ(file.f32("w").data[0], 5.0f);
}

TEST_F(SafetensorsTest, EmptyHeaderWithNoDataIsLegal) {
  const SafetensorsFile bare(write(safetensors_bytes("{}"), "bare.safetensors"));
  EXPECT_TRUE(bare.names().empty());
  EXPECT_TRUE(bare.metadata().empty());
  // What the reference writer produces for no tensors: "{}" padded with spaces to 8 bytes.
  const SafetensorsFile spaced(write(safetensors_bytes("{}      "), "spaced.safetensors"));
  EXPECT_TRUE(spaced.names().empty());
  const SafetensorsFile whitespace(write(safetensors_bytes("{}\n\t\r "), "ws.safetensors"));
  EXPECT_TRUE(whitespace.names().empty());
}

TEST_F(SafetensorsTest, AcceptsUtf8TensorNames) {
  const std::string name = "caf\xC3\xA9.\xE2\x82\xAC.\xF0\x9F\x98\x80";  // é, €, an emoji
  const std::string header =
      padded("{\"" + name + R"(":{"dtype":"F32","shape":[],"data_offsets":[0,4]}})");
  const SafetensorsFile file(write(safetensors_bytes(header, raw_bytes<float>({3.0f}))));
  EXPECT_EQ(file.f32(name).data[0], 3.0f);  // a scalar: shape [] has one element
}

TEST_F(SafetensorsTest, UnalignedF32AfterAOneByteTensorIsCopiedAndReadCorrectly) {
  const std::string header = padded(R"({"flag":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                                    R"("w":{"dtype":"F32","shape":[3],"data_offsets":[1,13]}})");
  const std::vector<float> values = {0.1f, -7.5f, 1.0e-40f};  // the last is subnormal
  const auto path = write(safetensors_bytes(header, "\x01" + raw_bytes(values)));
  const SafetensorsFile file(path);

  const TensorView w = file.f32("w");
  for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(w.data[i], values[i]) << i;
  EXPECT_EQ(reinterpret_cast<uintptr_t>(w.data) % alignof(float), 0u);
  EXPECT_FALSE(lies_in_mapping_of(w.data, path));  // cached copy
  EXPECT_EQ(file.f32("w").data, w.data);
}

TEST_F(SafetensorsTest, UnalignedF32AfterAnOddLengthHeaderIsReadCorrectly) {
  // 8 + 57 bytes before the data: the data section starts at an odd address in the mapping.
  std::string header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  header += std::string(57 - header.size(), ' ');
  const std::vector<float> values = {3.25f, -0.5f};
  const SafetensorsFile file(write(safetensors_bytes(header, raw_bytes(values))));
  const TensorView w = file.f32("w");
  EXPECT_EQ(w.data[0], 3.25f);
  EXPECT_EQ(w.data[1], -0.5f);
}

TEST_F(SafetensorsTest, UnalignedI64IsReadCorrectly) {
  const std::string header = padded(R"({"flag":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]},)"
                                    R"("ids":{"dtype":"I64","shape":[2],"data_offsets":[1,17]}})");
  const std::vector<int64_t> ids = {-42, 1LL << 40};
  const SafetensorsFile file(write(safetensors_bytes(header, "\x01" + raw_bytes(ids))));
  EXPECT_EQ(file.i64("ids"), ids);
}

// Guards against nlohmann's parse-callback DOM parser, which rescans the parent object each time
// a nested object ends: with it, this test's 50k tensor entries take ~50 s to load; linear
// takes well under 1.
TEST_F(SafetensorsTest, LoadsFiftyThousandTensorsInLinearTime) {
  constexpr int kTensors = 50000;
  std::string header = "{";
  std::vector<float> values;
  for (int i = 0; i < kTensors; ++i) {
    if (i != 0) header += ",";
    header += "\"layer." + std::to_string(i) + R"(.weight":{"dtype":"F32","shape":[1],)" +
              R"("data_offsets":[)" + std::to_string(4 * i) + "," + std::to_string(4 * i + 4) +
              "]}";
    values.push_back(static_cast<float>(i));
  }
  const auto path = write(safetensors_bytes(padded(header + "}"), raw_bytes(values)));

  const auto start = std::chrono::steady_clock::now();
  const SafetensorsFile file(path);
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed.count(), 20.0);  // generous for sanitizer builds; the quadratic path is ~50 s
  EXPECT_EQ(file.names().size(), static_cast<size_t>(kTensors));
  EXPECT_EQ(file.f32("layer.43210.weight").data[0], 43210.0f);
}

// ---- Resources --------------------------------------------------------------------------------

TEST_F(SafetensorsTest, UnmapsAndHoldsNoDescriptorAfterDestruction) {
  const std::string header = padded(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})");
  const auto path = write(safetensors_bytes(header, raw_bytes<float>({1.0f})));
  {
    const SafetensorsFile file(path);
    EXPECT_TRUE(lies_in_mapping_of(file.f32("w").data, path));
  }
  EXPECT_TRUE(mappings_of(path).empty());
  EXPECT_EQ(open_descriptors_of(path), 0);
}

// The rejection below happens after the file is mapped: the constructor must not leak the
// mapping or the descriptor even though no destructor runs.
TEST_F(SafetensorsTest, UnmapsAndClosesWhenValidationFails) {
  const std::string header = padded(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})");
  const auto path = write(safetensors_bytes(header, raw_bytes<float>({1.0f}) + "xx"));
  EXPECT_THROW(SafetensorsFile file(path), ordo::Error);
  EXPECT_TRUE(mappings_of(path).empty());
  EXPECT_EQ(open_descriptors_of(path), 0);
}

TEST_F(SafetensorsTest, RejectsMissingFileAndDirectory) {
  const auto missing = dir_.path() / "missing.safetensors";
  expect_contains(error_message([&] { SafetensorsFile file(missing); }),
                  {missing.string(), "cannot open", "No such file"});
  expect_contains(error_message([&] { SafetensorsFile file(dir_.path()); }),
                  {dir_.path().string(), "not a regular file"});
}

// ---- Rejections: the header length ------------------------------------------------------------

TEST_F(SafetensorsTest, RejectsEmptyFile) {
  expect_rejected("", {"file is 0 bytes", "too short"});
}

TEST_F(SafetensorsTest, RejectsSevenByteFile) {
  expect_rejected(std::string(7, '\0'), {"file is 7 bytes", "too short"});
}

TEST_F(SafetensorsTest, RejectsHeaderLengthPastEndOfFile) {
  expect_rejected(le_u64(100) + "{}",
                  {"header length 100", "past the end of the file", "10 bytes"});
  // Exactly at the limit but still longer than the file: the same fault, not the limit.
  expect_rejected(le_u64(SafetensorsFile::kMaxHeaderBytes) + "{}", {"past the end of the file"});
}

TEST_F(SafetensorsTest, RejectsHeaderLengthAboveTheLimit) {
  expect_rejected(le_u64(SafetensorsFile::kMaxHeaderBytes + 1) + "{}",
                  {"header length 100000001", "exceeds the limit of 100000000 bytes"});
  // 8 + N would wrap around in u64: it must still be caught, not wrap into a small number.
  expect_rejected(le_u64(std::numeric_limits<uint64_t>::max()) + "{}",
                  {"header length 18446744073709551615", "exceeds the limit"});
}

// ---- Rejections: the header text --------------------------------------------------------------

TEST_F(SafetensorsTest, RejectsHeaderThatIsNotJson) {
  expect_header_rejected("{not json}", "", {"header is not valid JSON"});
  expect_header_rejected(R"({"a":)", "", {"header is not valid JSON"});
  expect_header_rejected("{} x", "", {"header is not valid JSON"});  // trailing garbage
}

TEST_F(SafetensorsTest, RejectsHeaderThatIsNotAnObject) {
  expect_header_rejected("[]", "", {"JSON object", "starts with '['"});
  expect_header_rejected("\"{}\"", "", {"JSON object", "starts with '\"'"});
  // The reference requires the very first byte to be '{': no leading whitespace.
  expect_header_rejected(" {}", "", {"JSON object", "starts with ' '"});
  expect_header_rejected("", "", {"header is empty"});
}

// nlohmann::json stops at a NUL, so "{}\0garbage" would parse if the bytes were not checked.
TEST_F(SafetensorsTest, RejectsNulPaddingAndOtherControlBytes) {
  expect_header_rejected(std::string("{}\0\0\0\0\0\0", 8), "",
                         {"control byte 0x00", "header byte 2"});
  expect_header_rejected(std::string("{}\0garbage", 10), "", {"control byte 0x00"});
  expect_header_rejected("{}\x0B", "", {"control byte 0x0B"});
}

TEST_F(SafetensorsTest, RejectsInvalidUtf8InTensorName) {
  const std::string entry = R"(":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  const std::string four_bytes(4, '\0');
  expect_header_rejected("{\"a\xFF" + entry, four_bytes,
                         {"not valid UTF-8", "byte 0xFF", "header byte 3"});
  expect_header_rejected("{\"\xC0\xAF" + entry, four_bytes,
                         {"not valid UTF-8", "0xC0"});  // overlong
  expect_header_rejected("{\"\xED\xA0\x80" + entry, four_bytes,
                         {"not valid UTF-8", "0xED"});  // surrogate
  expect_header_rejected("{\"\xF4\x90\x80\x80" + entry, four_bytes,
                         {"not valid UTF-8"});                                     // > U+10FFFF
  expect_header_rejected("{\"\xE2\x82" + entry, four_bytes, {"not valid UTF-8"});  // cut short
}

TEST_F(SafetensorsTest, RejectsInvalidUtf8OutsideStrings) {
  expect_header_rejected("{}\xFF", "", {"not valid UTF-8", "0xFF", "header byte 2"});
  expect_header_rejected("{\x80}", "", {"not valid UTF-8", "0x80", "header byte 1"});
}

TEST_F(SafetensorsTest, RejectsDeeplyNestedHeader) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  expect_header_rejected(R"({"a":{"dtype":"F32","shape":)" + deep + R"(,"data_offsets":[0,0]}})",
                         "", {"nests JSON containers deeper"});
}

// ---- Rejections: entries ----------------------------------------------------------------------

TEST_F(SafetensorsTest, RejectsUnknownDtype) {
  expect_header_rejected(R"({"a":{"dtype":"F4","shape":[1],"data_offsets":[0,1]}})", "x",
                         {"tensor 'a'", "unknown dtype 'F4'"});
  expect_header_rejected(R"({"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}})", "xxxx",
                         {"tensor 'a'", "unknown dtype 'f32'"});
  expect_header_rejected(R"({"a":{"dtype":32,"shape":[1],"data_offsets":[0,4]}})", "xxxx",
                         {"tensor 'a'", "dtype must be a string"});
}

TEST_F(SafetensorsTest, RejectsNegativeShapeDimension) {
  expect_header_rejected(R"({"a":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,0]}})", "",
                         {"tensor 'a'", "shape[1] = -1 is negative"});
}

TEST_F(SafetensorsTest, RejectsNonIntegerShape) {
  expect_header_rejected(R"({"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", "xxxx",
                         {"tensor 'a'", "shape[0] = 1.5 is not an integer"});
  // Integral but written as a float: serde_json (the reference) rejects it too.
  expect_header_rejected(R"({"a":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}})", "xxxx",
                         {"tensor 'a'", "shape[0]", "not an integer"});
  expect_header_rejected(R"({"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}})", "xxxx",
                         {"tensor 'a'", "shape[0] = \"1\" is not a number"});
  expect_header_rejected(R"({"a":{"dtype":"F32","shape":1,"data_offsets":[0,4]}})", "xxxx",
                         {"tensor 'a'", "shape must be an array"});
}

TEST_F(SafetensorsTest, RejectsOverflowingShape) {
  expect_header_rejected(
      R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}})", "xxxx",
      {"tensor 'a'", "shape [4294967296, 4294967296, 16] of F32 overflows", "element count"});
  // 2^62 elements fit; 2^62 * 4 bytes do not.
  expect_header_rejected(
      R"({"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,4]}})", "xxxx",
      {"tensor 'a'", "overflows", "byte size"});
  expect_header_rejected(
      R"({"a":{"dtype":"U8","shape":[9223372036854775808,0],"data_offsets":[0,0]}})", "",
      {"tensor 'a'", "shape[0] = 9223372036854775808 does not fit in int64"});
  expect_header_rejected(
      R"({"a":{"dtype":"U8","shape":[18446744073709551616],"data_offsets":[0,0]}})", "",
      {"tensor 'a'", "shape[0]", "not an integer within the 64-bit range"});
}

// A header may claim any size; the reader must compare before it allocates anything.
TEST_F(SafetensorsTest, RejectsHugeClaimedShapeWithoutAllocatingIt) {
  expect_header_rejected(
      R"({"a":{"dtype":"F32","shape":[1073741824,1073741824],"data_offsets":[0,4]}})", "xxxx",
      {"tensor 'a'",
       "span 4 bytes but shape [1073741824, 1073741824] of F32 needs "
       "4611686018427387904"});
}

TEST_F(SafetensorsTest, RejectsShapeBytesMismatch) {
  expect_header_rejected(
      R"({"a.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})", std::string(12, 'x'),
      {"tensor 'a.weight': data_offsets [0, 12] span 12 bytes but shape [2, 2] of F32 needs 16"});
}

TEST_F(SafetensorsTest, RejectsMissingAndUnexpectedFields) {
  expect_header_rejected(R"({"a":{"dtype":"F32","shape":[1]}})", "xxxx",
                         {"tensor 'a'", "missing field 'data_offsets'"});
  expect_header_rejected(R"({"a":{"shape":[1],"data_offsets":[0,4]}})", "xxxx",
                         {"tensor 'a'", "missing field 'dtype'"});
  expect_header_rejected(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"name":"a"}})",
                         "xxxx", {"tensor 'a'", "unexpected field 'name'"});
  expect_header_rejected(R"({"a":3})", "", {"tensor 'a'", "entry must be an object", "number"});
}

TEST_F(SafetensorsTest, RejectsMalformedMetadata) {
  expect_header_rejected(R"({"__metadata__":{"epochs":3}})", "",
                         {"__metadata__", "value of 'epochs' must be a string", "3"});
  expect_header_rejected(R"({"__metadata__":["pt"]})", "",
                         {"__metadata__ must be an object", "array"});
  expect_header_rejected(R"({"__metadata__":null})", "", {"__metadata__ must be an object"});
}

TEST_F(SafetensorsTest, RejectsDuplicateTensorNames) {
  // Both entries are valid alone: nlohmann::json would keep the second and say nothing.
  expect_header_rejected(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                         R"("a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                         "xxxx", {"tensor 'a'", "duplicate tensor name"});
}

TEST_F(SafetensorsTest, RejectsDuplicateFieldsAndMetadataKeys) {
  expect_header_rejected(R"({"a":{"dtype":"F16","dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                         "xxxx", {"tensor 'a'", "duplicate field 'dtype'"});
  expect_header_rejected(R"({"__metadata__":{"k":"1","k":"2"}})", "",
                         {"__metadata__: duplicate key 'k'"});
  expect_header_rejected(R"({"__metadata__":{},"__metadata__":{}})", "",
                         {"two '__metadata__' entries"});
}

// ---- Rejections: offsets and layout -----------------------------------------------------------

TEST_F(SafetensorsTest, RejectsDataOffsetsBeginPastEnd) {
  expect_header_rejected(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})",
                         std::string(8, 'x'),
                         {"tensor 'a'", "data_offsets [8, 4] have begin past end"});
}

TEST_F(SafetensorsTest, RejectsMalformedDataOffsets) {
  expect_header_rejected(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[-4,0]}})", "",
                         {"tensor 'a'", "data_offsets begin = -4 is negative"});
  expect_header_rejected(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", "xxxx",
                         {"tensor 'a'", "data_offsets must be [begin, end]", "[0]"});
  expect_header_rejected(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}})", "xxxx",
                         {"tensor 'a'", "data_offsets end = 4.0 is not an integer"});
}

TEST_F(SafetensorsTest, RejectsOverlappingOffsets) {
  expect_header_rejected(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                         R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                         std::string(12, 'x'),
                         {"tensor 'b'", "data_offsets [4, 12] overlap tensor 'a' at [0, 8]"});
  // Two tensors claiming the same bytes.
  expect_header_rejected(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                         R"("b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                         "xxxx", {"tensor 'b'", "overlap tensor 'a'"});
}

TEST_F(SafetensorsTest, RejectsGapBetweenTensors) {
  expect_header_rejected(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                         R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                         std::string(12, 'x'), {"tensor 'b'", "gap of 4 bytes after tensor 'a'"});
}

TEST_F(SafetensorsTest, RejectsFirstTensorNotAtZero) {
  expect_header_rejected(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                         std::string(8, 'x'), {"tensor 'a'", "first tensor must start at byte 0"});
}

TEST_F(SafetensorsTest, RejectsTrailingBytesAfterLastTensor) {
  expect_header_rejected(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                         std::string(6, 'x'),
                         {"2 trailing bytes", "after the last tensor 'a'", "6-byte data section"});
  expect_header_rejected("{}", "x", {"1 trailing bytes", "no tensor"});
}

TEST_F(SafetensorsTest, RejectsDataShorterThanLastEnd) {
  expect_header_rejected(
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", "xxxx",
      {"tensor 'a'", "run past the end of the data section (4 bytes)", "truncated"});
}

// ---- Rejections: requests ---------------------------------------------------------------------

TEST_F(SafetensorsTest, MissingTensorRequestNamesFileAndTensor) {
  const std::string header = padded(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})");
  const auto path = write(safetensors_bytes(header, raw_bytes<float>({1.0f})));
  const SafetensorsFile file(path);
  const std::vector<std::string> words = {path.string() + ": ", "tensor 'nope'", "no such tensor"};
  expect_contains(error_message([&] { file.f32("nope"); }), words);
  expect_contains(error_message([&] { file.i64("nope"); }), words);
  expect_contains(error_message([&] { file.info("nope"); }), words);
}

TEST_F(SafetensorsTest, F32OnAnI64TensorThrows) {
  const std::string header = padded(R"({"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})");
  const auto path = write(safetensors_bytes(header, raw_bytes<int64_t>({7})));
  const SafetensorsFile file(path);
  expect_contains(error_message([&] { file.f32("ids"); }),
                  {path.string() + ": ", "tensor 'ids'", "dtype I64", "f32()"});
}

TEST_F(SafetensorsTest, I64OnAnF32TensorThrows) {
  const std::string header = padded(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})");
  const auto path = write(safetensors_bytes(header, raw_bytes<float>({1.0f, 2.0f})));
  const SafetensorsFile file(path);
  expect_contains(error_message([&] { file.i64("w"); }),
                  {path.string() + ": ", "tensor 'w'", "dtype F32", "i64()"});
}

TEST_F(SafetensorsTest, F32OnOtherKnownDtypesThrows) {
  const std::string header = padded(R"({"d":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},)"
                                    R"("u":{"dtype":"U8","shape":[1],"data_offsets":[8,9]},)"
                                    R"("e":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[9,10]},)"
                                    R"("i":{"dtype":"I32","shape":[0],"data_offsets":[10,10]}})");
  const auto path = write(safetensors_bytes(header, std::string(10, '\0')));
  const SafetensorsFile file(path);
  expect_contains(error_message([&] { file.f32("d"); }), {"tensor 'd'", "dtype F64"});
  expect_contains(error_message([&] { file.f32("u"); }), {"tensor 'u'", "dtype U8"});
  expect_contains(error_message([&] { file.f32("e"); }), {"tensor 'e'", "dtype F8_E4M3"});
  expect_contains(error_message([&] { file.f32("i"); }),
                  {"tensor 'i'", "dtype I32"});  // even empty
  expect_contains(error_message([&] { file.i64("d"); }), {"tensor 'd'", "dtype F64", "i64()"});
}

}  // namespace
}  // namespace ordo::io

// Memory-mapped, strictly validated safetensors reader. The checks mirror huggingface/safetensors
// (safetensors/src/tensor.rs, read_metadata and Metadata::validate), plus the ones its serde
// parsing does implicitly (duplicate keys, exact fields) that nlohmann::json would let through.
#include "io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>

#include <nlohmann/json.hpp>

#include "ordo/error.h"

namespace ordo::io {
namespace {

using json = nlohmann::json;

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors data is little-endian and is used in place, without byte swapping");

constexpr uint64_t kLengthFieldBytes = 8;
// A valid header nests three containers (header object, tensor entry, shape array); one more
// level is allowed so that mistakes like "shape": [[2]] get a precise message, anything deeper
// is rejected before it can cost memory (serde_json, behind the reference, stops at 128).
constexpr int kMaxContainerDepth = 3;

struct DTypeInfo {
  DType dtype;
  const char* name;
  size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::BOOL, "BOOL", 1}, {DType::U8, "U8", 1},           {DType::I8, "I8", 1},
    {DType::I16, "I16", 2},   {DType::U16, "U16", 2},         {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2}, {DType::I32, "I32", 4},         {DType::U32, "U32", 4},
    {DType::F32, "F32", 4},   {DType::F64, "F64", 8},         {DType::I64, "I64", 8},
    {DType::U64, "U64", 8},   {DType::F8_E4M3, "F8_E4M3", 1}, {DType::F8_E5M2, "F8_E5M2", 1},
};

const DTypeInfo& dtype_info(DType dtype) {
  for (const DTypeInfo& entry : kDTypes) {
    if (entry.dtype == dtype) return entry;
  }
  throw Error("safetensors: invalid DType value " + std::to_string(static_cast<int>(dtype)));
}

// Where a problem is: every message starts with the file and, when one is at fault, the tensor.
struct Where {
  const std::filesystem::path& path;
  std::optional<std::string> tensor;  // optional: "" is a legal tensor name

  [[noreturn]] void fail(const std::string& what) const {
    std::string message = path.string() + ": ";
    if (tensor) message += "tensor '" + *tensor + "': ";
    throw Error(message + what);
  }
};

std::string hex_byte(uint8_t byte) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02X", byte);
  return text;
}

// A JSON value for a message, cut short: a malformed header can hold megabytes in one value.
std::string describe(const json& value) {
  constexpr size_t kMaxChars = 40;
  std::string text = value.dump();
  if (text.size() > kMaxChars) text.replace(kMaxChars, std::string::npos, "...");
  return text;
}

std::string format_shape(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t axis = 0; axis < shape.size(); ++axis) {
    if (axis != 0) text += ", ";
    text += std::to_string(shape[axis]);
  }
  return text + "]";
}

std::string format_range(const TensorInfo& info) {
  return "[" + std::to_string(info.begin) + ", " + std::to_string(info.end) + "]";
}

std::string format_offsets(const TensorInfo& info) {
  return "data_offsets " + format_range(info);
}

// ---- The file and its mapping -----------------------------------------------------------------

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Unmaps on scope exit unless released: the object takes the mapping over only once the header
// has passed validation, so a rejection at any step cannot leak it.
class MappingGuard {
 public:
  MappingGuard(void* address, size_t size) : address_(address), size_(size) {}
  ~MappingGuard() {
    if (address_ != nullptr) ::munmap(address_, size_);
  }
  MappingGuard(const MappingGuard&) = delete;
  MappingGuard& operator=(const MappingGuard&) = delete;
  void release() { address_ = nullptr; }

 private:
  void* address_;
  size_t size_;
};

std::string errno_text() {
  return std::error_code(errno, std::generic_category()).message();
}

uint64_t regular_file_size(int fd, const Where& where) {
  struct stat status {};
  if (::fstat(fd, &status) != 0) where.fail("cannot stat: " + errno_text());
  if (!S_ISREG(status.st_mode)) where.fail("not a regular file");
  return static_cast<uint64_t>(status.st_size);
}

uint64_t read_le_u64(const uint8_t* bytes) {
  uint64_t value;
  std::memcpy(&value, bytes, sizeof value);  // the host is little-endian (static_assert above)
  return value;
}

// The first field: N, the header's length. N is attacker-controlled u64, so it is compared
// against what is left of the file rather than added to anything.
uint64_t read_header_length(const uint8_t* file, uint64_t file_size, const Where& where) {
  const uint64_t header_length = read_le_u64(file);
  if (header_length > SafetensorsFile::kMaxHeaderBytes) {
    where.fail("header length " + std::to_string(header_length) + " exceeds the limit of " +
               std::to_string(SafetensorsFile::kMaxHeaderBytes) + " bytes");
  }
  if (header_length > file_size - kLengthFieldBytes) {
    where.fail("header length " + std::to_string(header_length) +
               " runs past the end of the file (" + std::to_string(file_size) +
               " bytes, so at most " + std::to_string(file_size - kLengthFieldBytes) +
               " bytes of header)");
  }
  return header_length;
}

// ---- Header text ------------------------------------------------------------------------------

// Length of the well-formed UTF-8 sequence at text[i] (Unicode table 3-7: no overlong forms,
// no surrogates, nothing above U+10FFFF), or 0 if there is none. tokenizer/utf8.h has the same
// check (valid_prefix), out of the engine's reach: nothing in the engine depends on the tokenizer.
size_t utf8_sequence_length(std::string_view text, size_t i) {
  const auto byte_at = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t lead = byte_at(i);
  if (lead < 0x80) return 1;
  size_t length = 0;
  uint8_t second_low = 0x80, second_high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_low = 0xA0;   // overlong
    if (lead == 0xED) second_high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_low = 0x90;   // overlong
    if (lead == 0xF4) second_high = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (text.size() - i < length) return 0;
  if (byte_at(i + 1) < second_low || byte_at(i + 1) > second_high) return 0;
  for (size_t k = 2; k < length; ++k) {
    if (byte_at(i + k) < 0x80 || byte_at(i + k) > 0xBF) return 0;
  }
  return length;
}

// Checks every byte, in and out of strings. Control bytes are rejected here too: JSON never
// allows them raw, and nlohmann::json treats a NUL as the end of input, so "{}\0garbage" would
// otherwise parse.
void check_header_text(std::string_view text, const Where& where) {
  const auto at = [](size_t i) { return " at header byte " + std::to_string(i); };
  for (size_t i = 0; i < text.size();) {
    const auto byte = static_cast<uint8_t>(text[i]);
    if (byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r') {
      where.fail("header has control byte " + hex_byte(byte) + at(i) +
                 ", which JSON does not allow");
    }
    const size_t length = utf8_sequence_length(text, i);
    if (length == 0) {
      where.fail("header is not valid UTF-8: ill-formed byte " + hex_byte(byte) + at(i));
    }
    i += length;
  }
  if (text.empty()) where.fail("header is empty; it must be a JSON object");
  if (text.front() != '{') {
    where.fail("header must be a JSON object starting with '{', but it starts with '" +
               std::string(1, text.front()) + "'");
  }
}

// A first pass over the header through nlohmann's SAX interface, before any DOM is built:
// syntax, nesting depth and duplicate keys. nlohmann::json silently keeps the last of duplicate
// keys, which would let two entries claim one tensor name. (A parse callback could watch the
// keys too, but nlohmann's callback DOM parser rescans the parent object whenever a nested
// object ends: quadratic in the number of tensors, minutes for 200k of them.)
class HeaderStructureCheck : public nlohmann::json_sax<json> {
 public:
  explicit HeaderStructureCheck(const std::filesystem::path& path) : path_(&path) {}

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    enter_container();
    open_objects_.push_back({last_key_, {}});
    return true;
  }
  bool key(string_t& key) override {
    if (!open_objects_.back().keys.insert(key).second) report_duplicate(key);
    last_key_ = key;
    return true;
  }
  bool end_object() override {
    open_objects_.pop_back();
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    enter_container();
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const json::exception& error) override {
    std::string reason = error.what();
    const size_t prefix_end = reason.find("] ");  // drop "[json.exception.parse_error.101] "
    if (prefix_end != std::string::npos) reason.erase(0, prefix_end + 2);
    Where{*path_, {}}.fail("header is not valid JSON: " + reason);
  }

 private:
  struct OpenObject {
    std::string name;  // the key it is the value of
    std::set<std::string> keys;
  };

  void enter_container() {
    if (depth_ > kMaxContainerDepth) {
      Where{*path_, {}}.fail("header nests JSON containers deeper than any safetensors header");
    }
    ++depth_;
  }

  [[noreturn]] void report_duplicate(const std::string& key) const {
    const std::string& parent = open_objects_.back().name;
    if (open_objects_.size() == 1 && key == "__metadata__") {
      Where{*path_, {}}.fail("header has two '__metadata__' entries");
    }
    if (open_objects_.size() == 1) Where{*path_, key}.fail("duplicate tensor name in the header");
    if (open_objects_.size() == 2 && parent == "__metadata__") {
      Where{*path_, {}}.fail("__metadata__: duplicate key '" + key + "'");
    }
    if (open_objects_.size() == 2) Where{*path_, parent}.fail("duplicate field '" + key + "'");
    Where{*path_, {}}.fail("header has duplicate key '" + key + "' in a nested object");
  }

  const std::filesystem::path* path_;
  std::vector<OpenObject> open_objects_;
  std::string last_key_;
  int depth_ = 0;
};

json parse_json(std::string_view text, const Where& where) {
  HeaderStructureCheck check(where.path);
  // The check throws at the first fault, so the second, DOM-building pass sees valid JSON.
  if (!json::sax_parse(text.begin(), text.end(), &check)) where.fail("header is not valid JSON");
  return json::parse(text.begin(), text.end());
}

// ---- Header entries ---------------------------------------------------------------------------

std::map<std::string, std::string> parse_metadata(const json& value, const Where& where) {
  if (!value.is_object()) {
    where.fail("__metadata__ must be an object of strings, got " + std::string(value.type_name()));
  }
  std::map<std::string, std::string> metadata;
  for (const auto& item : value.items()) {
    if (!item.value().is_string()) {
      where.fail("__metadata__: value of '" + item.key() + "' must be a string, got " +
                 describe(item.value()));
    }
    metadata.emplace(item.key(), item.value().get<std::string>());
  }
  return metadata;
}

DType parse_dtype(const json& value, const Where& where) {
  if (!value.is_string()) where.fail("dtype must be a string, got " + describe(value));
  const auto& name = value.get_ref<const std::string&>();
  for (const DTypeInfo& entry : kDTypes) {
    if (name == entry.name) return entry.dtype;
  }
  where.fail("unknown dtype '" + name + "'");
}

// A non-negative JSON integer; `label` says which field, for the message.
uint64_t parse_unsigned(const json& value, std::string_view label, const Where& where) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  // nlohmann stores "-0" as a signed zero; anything else signed is negative.
  if (value.is_number_integer() && value.get<int64_t>() == 0) return 0;
  const std::string described = std::string(label) + " = " + describe(value);
  if (value.is_number_integer()) where.fail(described + " is negative");
  if (value.is_number_float()) where.fail(described + " is not an integer within the 64-bit range");
  where.fail(described + " is not a number");
}

std::vector<int64_t> parse_shape(const json& value, const Where& where) {
  if (!value.is_array()) {
    where.fail("shape must be an array of non-negative integers, got " + describe(value));
  }
  std::vector<int64_t> shape;
  shape.reserve(value.size());  // bounded by the header's size, not by any claimed number
  for (size_t axis = 0; axis < value.size(); ++axis) {
    const std::string label = "shape[" + std::to_string(axis) + "]";
    const uint64_t dimension = parse_unsigned(value[axis], label, where);
    if (dimension > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      where.fail(label + " = " + std::to_string(dimension) + " does not fit in int64");
    }
    shape.push_back(static_cast<int64_t>(dimension));
  }
  return shape;
}

void parse_offsets(const json& value, TensorInfo& info, const Where& where) {
  if (!value.is_array() || value.size() != 2) {
    where.fail("data_offsets must be [begin, end], got " + describe(value));
  }
  info.begin = parse_unsigned(value[0], "data_offsets begin", where);
  info.end = parse_unsigned(value[1], "data_offsets end", where);
  if (info.begin > info.end) where.fail(format_offsets(info) + " have begin past end");
}

// Element count times element size, each product overflow-checked in the reference's order
// (elements first), must be exactly the bytes the offsets span.
void check_byte_size(const TensorInfo& info, const Where& where) {
  const auto described = [&] {
    return "shape " + format_shape(info.shape) + " of " + dtype_name(info.dtype);
  };
  uint64_t elements = 1;
  for (int64_t dimension : info.shape) {
    if (__builtin_mul_overflow(elements, static_cast<uint64_t>(dimension), &elements)) {
      where.fail(described() + " overflows: its element count exceeds 64 bits");
    }
  }
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(elements, dtype_size(info.dtype), &bytes)) {
    where.fail(described() + " overflows: its byte size exceeds 64 bits");
  }
  const uint64_t span = info.end - info.begin;
  if (bytes != span) {
    where.fail(format_offsets(info) + " span " + std::to_string(span) + " bytes but " +
               described() + " needs " + std::to_string(bytes));
  }
}

const json& required_field(const json& entry, const char* field, const Where& where) {
  const auto found = entry.find(field);
  if (found == entry.end()) where.fail(std::string("missing field '") + field + "'");
  return *found;
}

TensorInfo parse_tensor_info(const json& entry, const Where& where) {
  if (!entry.is_object()) {
    where.fail("entry must be an object with dtype, shape and data_offsets, got " +
               std::string(entry.type_name()));
  }
  for (const auto& item : entry.items()) {
    const std::string& field = item.key();
    if (field != "dtype" && field != "shape" && field != "data_offsets") {
      where.fail("unexpected field '" + field +
                 "' (an entry has exactly dtype, shape, data_offsets)");
    }
  }
  TensorInfo info;
  info.dtype = parse_dtype(required_field(entry, "dtype", where), where);
  info.shape = parse_shape(required_field(entry, "shape", where), where);
  parse_offsets(required_field(entry, "data_offsets", where), info, where);
  check_byte_size(info, where);
  return info;
}

// ---- Data layout ------------------------------------------------------------------------------

using NamedInfo = std::pair<const std::string, TensorInfo>;

std::vector<const NamedInfo*> sorted_by_offset(const std::map<std::string, TensorInfo>& tensors) {
  std::vector<const NamedInfo*> sorted;
  sorted.reserve(tensors.size());
  for (const NamedInfo& tensor : tensors) sorted.push_back(&tensor);
  std::sort(sorted.begin(), sorted.end(), [](const NamedInfo* left, const NamedInfo* right) {
    return std::tie(left->second.begin, left->second.end, left->first) <
           std::tie(right->second.begin, right->second.end, right->first);
  });
  return sorted;
}

// The tensors, sorted by offset, must tile the data section exactly: the first begins at 0,
// each begins where the previous ends, the last ends at the end of the file.
void check_layout(const std::map<std::string, TensorInfo>& tensors, uint64_t data_length,
                  const std::filesystem::path& path) {
  const NamedInfo* previous = nullptr;
  for (const NamedInfo* tensor : sorted_by_offset(tensors)) {
    const TensorInfo& info = tensor->second;
    const Where where{path, tensor->first};
    const uint64_t expected_begin = previous != nullptr ? previous->second.end : 0;
    if (info.begin < expected_begin) {
      where.fail(format_offsets(info) + " overlap tensor '" + previous->first + "' at " +
                 format_range(previous->second));
    }
    if (info.begin > expected_begin && previous == nullptr) {
      where.fail(format_offsets(info) + " leave a gap: the first tensor must start at byte 0");
    }
    if (info.begin > expected_begin) {
      where.fail(format_offsets(info) + " leave a gap of " +
                 std::to_string(info.begin - expected_begin) + " bytes after tensor '" +
                 previous->first + "', which ends at " + std::to_string(expected_begin));
    }
    previous = tensor;
  }
  const uint64_t tensors_end = previous != nullptr ? previous->second.end : 0;
  if (tensors_end > data_length) {
    Where{path, previous->first}.fail(
        format_offsets(previous->second) + " run past the end of the data section (" +
        std::to_string(data_length) + " bytes); the file is truncated");
  }
  if (tensors_end < data_length) {
    const std::string trailing = std::to_string(data_length - tensors_end) + " trailing bytes";
    if (previous == nullptr) {
      Where{path, {}}.fail(trailing + " after a header that describes no tensor");
    }
    Where{path, {}}.fail(trailing + " after the last tensor '" + previous->first +
                         "' (tensors end at byte " + std::to_string(tensors_end) + " of a " +
                         std::to_string(data_length) + "-byte data section)");
  }
}

// ---- Conversion -------------------------------------------------------------------------------

uint16_t read_le_u16(const uint8_t* bytes) {
  uint16_t value;
  std::memcpy(&value, bytes, sizeof value);
  return value;
}

float float_from_bits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

float half_to_float(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1Fu;
  const uint32_t mantissa = half & 0x3FFu;
  if (exponent == 0x1F) return float_from_bits(sign | 0x7F800000u | (mantissa << 13));  // inf, NaN
  if (exponent != 0)
    return float_from_bits(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
  // Zero or subnormal: mantissa * 2^-24, exact in float.
  const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  return sign != 0 ? -magnitude : magnitude;
}

float bfloat16_to_float(uint16_t bfloat) {
  return float_from_bits(static_cast<uint32_t>(bfloat) << 16);
}

std::vector<float> to_f32(const uint8_t* bytes, const TensorInfo& info) {
  const size_t count = (info.end - info.begin) / dtype_size(info.dtype);
  std::vector<float> values(count);
  if (info.dtype == DType::F32) {
    std::memcpy(values.data(), bytes, count * sizeof(float));  // unaligned in the file
  } else if (info.dtype == DType::F16) {
    for (size_t i = 0; i < count; ++i) values[i] = half_to_float(read_le_u16(bytes + 2 * i));
  } else {
    for (size_t i = 0; i < count; ++i) values[i] = bfloat16_to_float(read_le_u16(bytes + 2 * i));
  }
  return values;
}

bool is_float_dtype(DType dtype) {
  return dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16;
}

bool is_aligned_for_float(const uint8_t* address) {
  return reinterpret_cast<uintptr_t>(address) % alignof(float) == 0;
}

}  // namespace

const char* dtype_name(DType dtype) {
  return dtype_info(dtype).name;
}
size_t dtype_size(DType dtype) {
  return dtype_info(dtype).size;
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : path_(path) {
  const Where where{path_, {}};
  // The descriptor is closed on return: the mapping keeps the file alive by itself.
  const FileDescriptor file(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) where.fail("cannot open: " + errno_text());
  const uint64_t file_size = regular_file_size(file.get(), where);
  if (file_size < kLengthFieldBytes) {
    where.fail("file is " + std::to_string(file_size) +
               " bytes, too short for the 8-byte header length");
  }
  void* address = ::mmap(nullptr, file_size, PROT_READ, MAP_PRIVATE, file.get(), 0);
  if (address == MAP_FAILED) where.fail("cannot mmap: " + errno_text());
  MappingGuard guard(address, file_size);

  const auto* bytes = static_cast<const uint8_t*>(address);
  const uint64_t header_length = read_header_length(bytes, file_size, where);
  parse_header(bytes + kLengthFieldBytes, header_length,
               file_size - kLengthFieldBytes - header_length);
  data_ = bytes + kLengthFieldBytes + header_length;
  mapping_ = address;
  mapping_size_ = file_size;
  guard.release();
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping_ != nullptr) ::munmap(mapping_, mapping_size_);
}

void SafetensorsFile::parse_header(const uint8_t* header, uint64_t header_length,
                                   uint64_t data_length) {
  const Where where{path_, {}};
  const std::string_view text(reinterpret_cast<const char*>(header), header_length);
  check_header_text(text, where);
  const json root = parse_json(text, where);
  if (!root.is_object()) where.fail("header is not a JSON object");
  for (const auto& item : root.items()) {
    if (item.key() == "__metadata__") {
      metadata_ = parse_metadata(item.value(), where);
    } else {
      tensors_.emplace(item.key(), parse_tensor_info(item.value(), Where{path_, item.key()}));
    }
  }
  check_layout(tensors_, data_length, path_);
}

const TensorInfo& SafetensorsFile::info(const std::string& name) const {
  const auto found = tensors_.find(name);
  if (found == tensors_.end()) {
    Where{path_, name}.fail("no such tensor in this file (it holds " +
                            std::to_string(tensors_.size()) + " tensors)");
  }
  return found->second;
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> names;
  names.reserve(tensors_.size());
  for (const auto& tensor : tensors_) names.push_back(tensor.first);
  return names;  // std::map keeps them sorted
}

TensorView SafetensorsFile::f32(const std::string& name) const {
  const TensorInfo& tensor = info(name);
  if (!is_float_dtype(tensor.dtype)) {
    Where{path_, name}.fail(std::string("has dtype ") + dtype_name(tensor.dtype) +
                            "; f32() reads F32, F16 and BF16 only");
  }
  // A tensor with no elements still gets a non-null pointer: TensorView::empty() means
  // "no tensor", not "zero elements".
  static const float kNoElements = 0.0f;
  if (tensor.begin == tensor.end) return TensorView{&kNoElements, tensor.shape};

  const uint8_t* bytes = data_of(tensor);
  if (tensor.dtype == DType::F32 && is_aligned_for_float(bytes)) {
    // Zero copy: F32 bytes on a little-endian host, 4-byte aligned, are the floats.
    // cppcheck-suppress invalidPointerCast
    return TensorView{reinterpret_cast<const float*>(bytes), tensor.shape};
  }
  // Converted once; the vector lives behind a unique_ptr, so its data pointer stays valid
  // however the map grows.
  const std::lock_guard<std::mutex> lock(converted_mutex_);
  std::unique_ptr<std::vector<float>>& cached = converted_[name];
  if (!cached) cached = std::make_unique<std::vector<float>>(to_f32(bytes, tensor));
  return TensorView{cached->data(), tensor.shape};
}

std::vector<int64_t> SafetensorsFile::i64(const std::string& name) const {
  const TensorInfo& tensor = info(name);
  if (tensor.dtype != DType::I64) {
    Where{path_, name}.fail(std::string("has dtype ") + dtype_name(tensor.dtype) +
                            "; i64() reads I64 only");
  }
  std::vector<int64_t> values((tensor.end - tensor.begin) / sizeof(int64_t));
  // memcpy, not a cast: nothing in the format aligns an I64 tensor to 8 bytes.
  if (!values.empty()) {
    std::memcpy(values.data(), data_of(tensor), values.size() * sizeof(int64_t));
  }
  return values;
}

}  // namespace ordo::io

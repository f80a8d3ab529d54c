#pragma once
// Reader for Hugging Face's safetensors format: an 8-byte little-endian header length N,
// N bytes of UTF-8 JSON describing each tensor, then the raw little-endian data.
// The file is memory-mapped; aligned F32 tensors are used in place (zero copy), F16 and
// BF16 are converted to F32 once, when first requested. Validation follows the reference
// implementation (huggingface/safetensors, safetensors/src/tensor.rs): every rejection is
// an ordo::Error naming the file, the tensor and what is wrong.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace ordo::io {

enum class DType {
  BOOL,
  U8,
  I8,
  I16,
  U16,
  F16,
  BF16,
  I32,
  U32,
  F32,
  F64,
  I64,
  U64,
  F8_E4M3,
  F8_E5M2
};

const char* dtype_name(DType dtype);
size_t dtype_size(DType dtype);

struct TensorInfo {
  DType dtype = DType::F32;  // always set by the parser; initialised so a copy is never garbage
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte offsets relative to the start of the data section
  uint64_t end = 0;
};

class SafetensorsFile {
 public:
  static constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // as the reference implementation

  // Maps and validates `path`; throws ordo::Error if anything is malformed.
  explicit SafetensorsFile(const std::filesystem::path& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  bool contains(const std::string& name) const { return tensors_.count(name) != 0; }
  const TensorInfo& info(const std::string& name) const;  // throws if absent
  std::vector<std::string> names() const;                 // sorted
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // The tensor as F32 (F32 zero-copy when aligned, F16/BF16 converted and cached).
  // Throws if absent or of a non-float dtype. Thread-safe.
  TensorView f32(const std::string& name) const;
  // The tensor as int64 values (I64 only).
  std::vector<int64_t> i64(const std::string& name) const;

 private:
  void parse_header(const uint8_t* header, uint64_t header_length, uint64_t data_length);
  const uint8_t* data_of(const TensorInfo& info) const { return data_ + info.begin; }

  std::filesystem::path path_;
  void* mapping_ = nullptr;
  size_t mapping_size_ = 0;
  const uint8_t* data_ = nullptr;  // start of the data section
  std::map<std::string, TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
  mutable std::mutex converted_mutex_;
  mutable std::map<std::string, std::unique_ptr<std::vector<float>>> converted_;
};

}  // namespace ordo::io

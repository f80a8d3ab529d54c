#pragma once
// Writes float32 arrays in NumPy's .npy format (version 1.0, little-endian, C order).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <vector>

#include "ordo/tensor.h"

namespace ordo::io {

// Streams an array of a known shape to `path`, row block by row block, so outputs larger than
// memory can be written. Data goes to a temporary file beside `path` that commit() renames
// into place; a writer destroyed before commit() (an error, a killed run) removes it, so a
// truncated .npy is never left under the final name. Errors throw ordo::Error naming the path.
class NpyWriter {
 public:
  NpyWriter(std::filesystem::path path, std::vector<int64_t> shape);
  ~NpyWriter();
  NpyWriter(const NpyWriter&) = delete;
  NpyWriter& operator=(const NpyWriter&) = delete;

  void append(const float* values, size_t count);
  // Checks that exactly the shape's element count was appended, then renames into place.
  void commit();

 private:
  [[noreturn]] void fail(const std::string& what);

  std::filesystem::path path_, temporary_;
  std::FILE* file_ = nullptr;
  uint64_t expected_ = 0, written_ = 0;
};

// The whole tensor at once, through NpyWriter.
void write_npy(const std::filesystem::path& path, const Tensor& tensor);

}  // namespace ordo::io

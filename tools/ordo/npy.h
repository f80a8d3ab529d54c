#pragma once
// Writes float32 arrays in NumPy's .npy format (version 1.0, little-endian, C order).
#include <cstdint>
#include <filesystem>
#include <vector>

#include "core/tensor.h"
#include "output_file.h"

namespace ordo::cli {

// Streams an array of a known shape to `path`, row block by row block, so outputs larger than
// memory can be written. Through an OutputFile: a truncated .npy is never left under the final
// name, and a device (/dev/stdout) is written in place. Errors throw ordo::Error naming the path.
class NpyWriter {
 public:
  NpyWriter(std::filesystem::path path, const std::vector<int64_t>& shape);

  void append(const float* values, size_t count);
  // Checks that exactly the shape's element count was appended, then completes the file.
  void commit();

 private:
  OutputFile file_;
  uint64_t expected_ = 0, written_ = 0;
};

// The whole tensor at once, through NpyWriter.
void write_npy(const std::filesystem::path& path, const Tensor& tensor);

}  // namespace ordo::cli

#pragma once
// Writes float32 arrays in NumPy's .npy format (version 1.0, little-endian, C order).
#include <filesystem>

#include "ordo/tensor.h"

namespace ordo::io {

// Writes to a temporary file beside `path` and renames it into place, so a failed write
// (full disk, killed process) never leaves a truncated .npy behind. Throws ordo::Error.
void write_npy(const std::filesystem::path& path, const Tensor& tensor);

}  // namespace ordo::io

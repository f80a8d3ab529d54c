#include "npy.h"

#include <string>

#include "ordo/error.h"

namespace ordo::cli {
namespace {

std::string npy_header(const std::vector<int64_t>& shape) {
  std::string dims;
  for (int64_t extent : shape) dims += std::to_string(extent) + ", ";
  if (shape.size() > 1) dims.resize(dims.size() - 2);  // "(3,)" keeps its comma, "(2, 3)" not
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Magic (6) + version (2) + length (2) + dict + '\n' must be a multiple of 64.
  const size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  std::string header("\x93NUMPY\x01\x00", 8);
  header += static_cast<char>(dict.size() & 0xff);
  header += static_cast<char>((dict.size() >> 8) & 0xff);
  return header + dict;
}

}  // namespace

NpyWriter::NpyWriter(std::filesystem::path path, const std::vector<int64_t>& shape)
    : file_(std::move(path)), expected_(1) {
  for (int64_t extent : shape) {
    if (extent < 0) throw Error(file_.path().string() + ": negative extent in the array shape");
    expected_ *= static_cast<uint64_t>(extent);
  }
  const std::string header = npy_header(shape);
  file_.write(header.data(), header.size());
}

void NpyWriter::append(const float* values, size_t count) {
  if (written_ + count > expected_) {
    throw Error(file_.path().string() + ": more values appended than the array shape holds");
  }
  file_.write(values, count * sizeof(float));
  written_ += count;
}

void NpyWriter::commit() {
  if (written_ != expected_) {
    throw Error(file_.path().string() + ": " + std::to_string(written_) +
                " values written, the shape holds " + std::to_string(expected_));
  }
  file_.commit();
}

void write_npy(const std::filesystem::path& path, const Tensor& tensor) {
  NpyWriter writer(path, tensor.shape());
  writer.append(tensor.data(), static_cast<size_t>(tensor.numel()));
  writer.commit();
}

}  // namespace ordo::cli

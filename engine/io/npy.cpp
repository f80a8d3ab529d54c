#include "io/npy.h"

#include <cerrno>
#include <cstring>
#include <string>

#include "ordo/error.h"

namespace ordo::io {
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

NpyWriter::NpyWriter(std::filesystem::path path, std::vector<int64_t> shape)
    : path_(std::move(path)), temporary_(path_.string() + ".partial"), expected_(1) {
  for (int64_t extent : shape) {
    if (extent < 0) throw Error(path_.string() + ": negative extent in the array shape");
    expected_ *= static_cast<uint64_t>(extent);
  }
  file_ = std::fopen(temporary_.c_str(), "wb");
  if (file_ == nullptr) fail("create file");
  const std::string header = npy_header(shape);
  if (std::fwrite(header.data(), 1, header.size(), file_) != header.size()) fail("write");
}

NpyWriter::~NpyWriter() {
  if (file_ == nullptr) return;
  std::fclose(file_);
  std::error_code ignored;
  std::filesystem::remove(temporary_, ignored);
}

void NpyWriter::fail(const std::string& what) {
  const std::string reason = std::strerror(errno);
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
  std::error_code ignored;
  std::filesystem::remove(temporary_, ignored);
  throw Error(path_.string() + ": cannot " + what + " (" + reason + ")");
}

void NpyWriter::append(const float* values, size_t count) {
  if (file_ == nullptr) throw Error(path_.string() + ": append after commit or failure");
  if (written_ + count > expected_) {
    throw Error(path_.string() + ": more values appended than the array shape holds");
  }
  if (std::fwrite(values, sizeof(float), count, file_) != count) fail("write");
  written_ += count;
}

void NpyWriter::commit() {
  if (file_ == nullptr) throw Error(path_.string() + ": commit after commit or failure");
  if (written_ != expected_) {
    throw Error(path_.string() + ": " + std::to_string(written_) + " values written, the shape " +
                "holds " + std::to_string(expected_));
  }
  if (std::fflush(file_) != 0) fail("write");
  const int closed = std::fclose(file_);
  file_ = nullptr;
  if (closed != 0) {
    errno = errno != 0 ? errno : EIO;
    const std::string reason = std::strerror(errno);
    std::error_code ignored;
    std::filesystem::remove(temporary_, ignored);
    throw Error(path_.string() + ": cannot close (" + reason + ")");
  }
  std::error_code error;
  std::filesystem::rename(temporary_, path_, error);
  if (error) {
    std::filesystem::remove(temporary_, error);
    throw Error(path_.string() + ": cannot move the finished file into place");
  }
}

void write_npy(const std::filesystem::path& path, const Tensor& tensor) {
  NpyWriter writer(path, tensor.shape());
  writer.append(tensor.data(), static_cast<size_t>(tensor.numel()));
  writer.commit();
}

}  // namespace ordo::io

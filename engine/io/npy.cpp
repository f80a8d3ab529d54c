#include "io/npy.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
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

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

}  // namespace

void write_npy(const std::filesystem::path& path, const Tensor& tensor) {
  const std::filesystem::path temporary = path.string() + ".partial";
  const auto fail = [&](const std::string& what) {
    const std::string reason = std::strerror(errno);
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw Error(path.string() + ": cannot " + what + " (" + reason + ")");
  };
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(temporary.c_str(), "wb"));
  if (!file) fail("create file");
  const std::string header = npy_header(tensor.shape());
  const auto count = static_cast<size_t>(tensor.numel());
  if (std::fwrite(header.data(), 1, header.size(), file.get()) != header.size() ||
      std::fwrite(tensor.data(), sizeof(float), count, file.get()) != count ||
      std::fflush(file.get()) != 0) {
    fail("write");
  }
  if (std::fclose(file.release()) != 0) fail("close");
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary, error);
    throw Error(path.string() + ": cannot move the finished file into place");
  }
}

}  // namespace ordo::io

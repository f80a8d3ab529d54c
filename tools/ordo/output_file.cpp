#include "output_file.h"

#include <cerrno>
#include <cstring>
#include <system_error>

#include "ordo/error.h"

namespace ordo::cli {

OutputFile::OutputFile(std::filesystem::path path) : path_(std::move(path)) {
  if (path_.empty()) throw Error("output file: the path is empty");
  std::error_code error;
  const auto status = std::filesystem::status(path_, error);
  if (std::filesystem::is_directory(status)) fail("write to it", EISDIR);
  const bool direct = std::filesystem::exists(status) && !std::filesystem::is_regular_file(status);
  if (!direct) temporary_ = path_.string() + ".partial";
  file_ = std::fopen((direct ? path_ : temporary_).c_str(), "wb");
  if (file_ == nullptr) fail("create file", errno);
}

OutputFile::~OutputFile() {
  discard();
}

void OutputFile::discard() {
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
  if (!temporary_.empty()) {
    std::error_code ignored;
    std::filesystem::remove(temporary_, ignored);
  }
}

void OutputFile::fail(const std::string& what, int error) {
  discard();
  throw Error(path_.string() + ": cannot " + what + " (" + std::strerror(error) + ")");
}

void OutputFile::write(const void* data, size_t bytes) {
  if (file_ == nullptr) throw Error(path_.string() + ": write after commit or failure");
  if (bytes != 0 && std::fwrite(data, 1, bytes, file_) != bytes) fail("write", errno);
}

void OutputFile::commit() {
  if (file_ == nullptr) throw Error(path_.string() + ": commit after commit or failure");
  // Buffered data reaches the disk only now, so a full disk often shows here, not in write().
  if (std::fflush(file_) != 0) fail("write", errno);
  std::FILE* file = file_;
  file_ = nullptr;
  if (std::fclose(file) != 0) {
    const int error = errno;
    discard();
    throw Error(path_.string() + ": cannot close (" + std::strerror(error) + ")");
  }
  if (temporary_.empty()) return;
  std::error_code error;
  std::filesystem::rename(temporary_, path_, error);
  if (error) {
    discard();
    throw Error(path_.string() + ": cannot move the finished file into place (" + error.message() +
                ")");
  }
  temporary_.clear();
}

void write_file(const std::filesystem::path& path, const std::string& contents) {
  OutputFile file(path);
  file.write(contents.data(), contents.size());
  file.commit();
}

}  // namespace ordo::cli

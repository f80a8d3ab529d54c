#pragma once
// Output files that fail loudly and never leave half a file under the final name.
//
// A destination that is (or will be) a regular file is written to `<path>.partial` and renamed
// into place by commit(); an OutputFile destroyed before commit() (an error unwinding, a full
// disk) removes the temporary. A destination that exists and is not a regular file — a device
// such as /dev/stdout or /dev/full, a FIFO — is written directly: renaming over it would
// replace the device node itself. Every failure throws ordo::Error naming the path and the
// reason the system gave ("No space left on device", "File too large", ...).
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <string>

namespace ordo::cli {

class OutputFile {
 public:
  explicit OutputFile(std::filesystem::path path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  void write(const void* data, size_t bytes);
  // Flushes and closes, then renames the temporary into place. Nothing may be written after.
  void commit();

 private:
  [[noreturn]] void fail(const std::string& what, int error);
  void discard();

  std::filesystem::path path_;
  std::filesystem::path temporary_;  // empty when writing the destination directly
  std::FILE* file_ = nullptr;
};

// `contents` to `path` through an OutputFile.
void write_file(const std::filesystem::path& path, const std::string& contents);

}  // namespace ordo::cli

#pragma once
// Byte-exact safetensors files for tests: a test spells out the header string and the raw data,
// so every malformed case is visible in its source. Also a scratch directory per test.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace ordo::test {

// The format's first field: the header length as 8 little-endian bytes.
inline std::string le_u64(uint64_t value) {
  std::string bytes(8, '\0');
  for (size_t i = 0; i < 8; ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xFF);
  return bytes;
}

// The in-memory bytes of `values` (little-endian on every machine ordo runs on).
template <typename T>
std::string raw_bytes(const std::vector<T>& values) {
  static_assert(std::is_trivially_copyable<T>::value, "raw_bytes copies object representations");
  std::string bytes(values.size() * sizeof(T), '\0');
  if (!values.empty()) std::memcpy(&bytes[0], values.data(), bytes.size());
  return bytes;
}

// Pads a header with spaces (as the reference writer does) to a multiple of `multiple` bytes,
// so that the data section starts 8-byte aligned in the mapping.
inline std::string padded(std::string header, size_t multiple = 8) {
  while (header.size() % multiple != 0) header += ' ';
  return header;
}

// length + header + data, exactly as given: nothing is checked or fixed up.
inline std::string safetensors_bytes(const std::string& header, const std::string& data = "") {
  return le_u64(header.size()) + header + data;
}

// A fresh directory for the running test, removed with its contents at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = "ordo_";
    if (test != nullptr) name += std::string(test->test_suite_name()) + "_" + test->name() + "_";
    name += std::to_string(::getpid()) + "_" + std::to_string(next_id()++);
    path_ = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Writes `bytes` verbatim to `name` inside the directory; returns the file's path.
  std::filesystem::path write(const std::string& name, const std::string& bytes) const {
    const std::filesystem::path file = path_ / name;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) throw std::runtime_error("cannot write test file " + file.string());
    return file;
  }

 private:
  static int& next_id() {
    static int id = 0;
    return id;
  }

  std::filesystem::path path_;
};

}  // namespace ordo::test

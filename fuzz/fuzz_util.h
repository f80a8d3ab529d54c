#pragma once
// What the fuzz targets share: a property check that aborts (libFuzzer then saves the input),
// an in-memory file for readers that take a path, and a scratch directory for whole models.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

// A property every input must keep. Not assert(): it must hold in every build type.
#define FUZZ_CHECK(condition, message)                                                             \
  do {                                                                                             \
    if (!(condition)) {                                                                            \
      std::fprintf(stderr, "%s:%d: property violated: %s\n  %s\n", __FILE__, __LINE__, #condition, \
                   std::string(message).c_str());                                                  \
      std::abort();                                                                                \
    }                                                                                              \
  } while (false)

namespace ordo::fuzz {

// A file that lives in memory (memfd), reachable by path through /proc/self/fd: readers that
// open a path (the safetensors mapping) see the fuzz input without touching the disk.
class MemoryFile {
 public:
  explicit MemoryFile(const char* name) : fd_(memfd_create(name, MFD_CLOEXEC)) {
    if (fd_ < 0) {
      std::perror("memfd_create");
      std::abort();
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemoryFile() { ::close(fd_); }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  const std::string& path() const { return path_; }

  void assign(const uint8_t* data, size_t size) {
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, data, size, 0) != static_cast<ssize_t>(size)) {
      std::perror("memfd write");
      std::abort();
    }
  }

 private:
  int fd_;
  std::string path_;
};

// A private directory in /dev/shm (RAM) when there is one, removed at exit.
class ScratchDirectory {
 public:
  explicit ScratchDirectory(const char* tag) {
    const std::filesystem::path base =
        std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    std::string pattern = (base / (std::string("ordo-fuzz-") + tag + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    path_ = pattern;
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;

  const std::filesystem::path& path() const { return path_; }

  void write(const std::string& name, std::string_view bytes) const {
    remove(name);  // a symlink left by link() must be replaced, not written through
    std::ofstream out(path_ / name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", (path_ / name).c_str());
      std::abort();
    }
  }
  void remove(const std::string& name) const {
    std::error_code ignored;
    std::filesystem::remove(path_ / name, ignored);
  }
  // Fixtures are copied in, never linked: nothing an input does can then reach the originals.
  void copy(const std::string& name, const std::filesystem::path& source) const {
    remove(name);
    std::filesystem::copy_file(source, path_ / name);
  }
  // `name` as a symbolic link to `target`, a file inside this directory.
  void link(const std::string& name, const std::string& target) const {
    remove(name);
    std::filesystem::create_symlink(target, path_ / name);
  }

 private:
  std::filesystem::path path_;
};

}  // namespace ordo::fuzz

#include "progress.h"

#include <unistd.h>

#include <cstdio>

namespace ordo::cli {

Progress::Progress(std::string label, int64_t total, bool worth_showing)
    : label_(std::move(label)),
      total_(total),
      enabled_(worth_showing && total > 0 && isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()) {
  if (enabled_) draw();
}

Progress::~Progress() {
  if (enabled_) std::fputs("\r\033[K", stderr);
}

void Progress::advance(int64_t done) {
  done_ += done;
  if (enabled_) draw();
}

void Progress::finish() {
  if (!enabled_) return;
  draw();
  std::fputc('\n', stderr);
  enabled_ = false;
}

void Progress::draw() const {
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(kWidth * done_ / total_);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const std::string bar = std::string(filled, '#') + std::string(kWidth - filled, '.');
  std::fprintf(stderr, "\r%s [%s] %lld/%lld  %.0f/s", label_.c_str(), bar.c_str(),
               static_cast<long long>(done_), static_cast<long long>(total_),
               seconds > 0 ? static_cast<double>(done_) / seconds : 0.0);
  std::fflush(stderr);
}

}  // namespace ordo::cli

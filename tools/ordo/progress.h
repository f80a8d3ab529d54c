#pragma once
// A one-line progress bar on stderr, drawn only when stderr is a terminal (so logs and pipes
// stay clean) and the caller says the work is long enough to be worth one.
#include <chrono>
#include <cstdint>
#include <string>

namespace ordo::cli {

class Progress {
 public:
  Progress(std::string label, int64_t total, bool worth_showing);
  ~Progress();  // clears a bar left unfinished (an error unwinding through)
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(int64_t done);
  void finish();  // draws the final state and ends the line

 private:
  void draw() const;

  std::string label_;
  int64_t total_ = 0, done_ = 0;
  bool enabled_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace ordo::cli

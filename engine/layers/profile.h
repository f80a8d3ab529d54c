#pragma once
// Optional per-op timing of a forward pass (ForwardOptions::profile). oneDNN's CPU stream runs
// each primitive in the calling thread, so the wall time around a call is that op's time; the
// scope still waits on the stream so that an asynchronous runtime would be timed right too.
#include <chrono>
#include <vector>

#include "core/encoder.h"
#include "layers/batch.h"

namespace ordo::layers {

class OpProfile {
 public:
  void add(const char* op, double ms, double flops);
  const std::vector<OpTime>& entries() const { return entries_; }

 private:
  std::vector<OpTime> entries_;  // in order of first appearance
};

// Times the enclosing block as `op` when the context carries a profile; otherwise free.
class ProfileScope {
 public:
  ProfileScope(ForwardContext& context, const char* op, double flops = 0.0);
  ~ProfileScope();
  ProfileScope(const ProfileScope&) = delete;
  ProfileScope& operator=(const ProfileScope&) = delete;

 private:
  ForwardContext& context_;
  const char* op_;
  double flops_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace ordo::layers

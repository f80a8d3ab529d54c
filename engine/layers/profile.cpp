#include "layers/profile.h"

namespace ordo::layers {

void OpProfile::add(const char* op, double ms, double flops) {
  for (OpTime& entry : entries_) {
    if (entry.op == op) {
      ++entry.calls;
      entry.ms += ms;
      entry.flops += flops;
      return;
    }
  }
  entries_.push_back(OpTime{op, 1, ms, flops});
}

ProfileScope::ProfileScope(ForwardContext& context, const char* op, double flops)
    : context_(context), op_(op), flops_(flops) {
  if (context_.profile != nullptr) start_ = std::chrono::steady_clock::now();
}

ProfileScope::~ProfileScope() {
  if (context_.profile == nullptr) return;
  context_.stream.wait();
  const std::chrono::duration<double, std::milli> elapsed =
      std::chrono::steady_clock::now() - start_;
  context_.profile->add(op_, elapsed.count(), flops_);
}

}  // namespace ordo::layers

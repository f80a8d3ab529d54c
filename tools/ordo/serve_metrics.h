#pragma once
// What `ordo serve` counts, rendered in Prometheus' text format for GET /metrics. Thread-safe.
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace ordo::cli {

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double value);
  // "name_bucket{le=...} n" lines (cumulative), then name_sum and name_count.
  std::string render(const std::string& name) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative; the last is +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

class ServerMetrics {
 public:
  ServerMetrics();
  void request(const std::string& endpoint, int status, double seconds);
  void batch(size_t texts, size_t tokens);
  void queue_depth(size_t requests);
  void abandoned();  // a queued request dropped unrun: its client had gone
  std::string render() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  Histogram latency_, batch_texts_, batch_tokens_;
  uint64_t tokens_ = 0, batches_ = 0, abandoned_ = 0;
  size_t queue_depth_ = 0;
};

}  // namespace ordo::cli

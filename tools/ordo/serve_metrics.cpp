#include "serve_metrics.h"

#include <cstdio>

namespace ordo::cli {
namespace {

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  size_t bucket = 0;
  while (bucket < bounds_.size() && value > bounds_[bucket]) ++bucket;
  ++counts_[bucket];
  sum_ += value;
  ++count_;
}

std::string Histogram::render(const std::string& name) const {
  std::string out;
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    const std::string le = i < bounds_.size() ? number(bounds_[i]) : "+Inf";
    out += name + "_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += name + "_sum " + number(sum_) + "\n" + name + "_count " + std::to_string(count_) + "\n";
  return out;
}

ServerMetrics::ServerMetrics()
    : latency_({0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}),
      batch_texts_({1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}),
      batch_tokens_({16, 64, 256, 1024, 2048, 4096, 8192, 16384, 32768}) {}

void ServerMetrics::request(const std::string& endpoint, int status, double seconds) {
  const std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{endpoint, status}];
  latency_.observe(seconds);
}

void ServerMetrics::batch(size_t texts, size_t tokens) {
  const std::lock_guard<std::mutex> lock(mutex_);
  batch_texts_.observe(static_cast<double>(texts));
  batch_tokens_.observe(static_cast<double>(tokens));
  tokens_ += tokens;
  ++batches_;
}

void ServerMetrics::abandoned() {
  const std::lock_guard<std::mutex> lock(mutex_);
  ++abandoned_;
}

void ServerMetrics::queue_depth(size_t requests) {
  const std::lock_guard<std::mutex> lock(mutex_);
  queue_depth_ = requests;
}

std::string ServerMetrics::render() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  std::string out =
      "# HELP ordo_requests_total HTTP requests by endpoint and status.\n"
      "# TYPE ordo_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    out += "ordo_requests_total{endpoint=\"" + key.first + "\",status=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(count) + "\n";
  }
  out +=
      "# HELP ordo_queue_depth Embedding requests waiting for a batch.\n"
      "# TYPE ordo_queue_depth gauge\n"
      "ordo_queue_depth " +
      std::to_string(queue_depth_) +
      "\n# HELP ordo_tokens_total Tokens run through the model by the batcher.\n"
      "# TYPE ordo_tokens_total counter\n"
      "ordo_tokens_total " +
      std::to_string(tokens_) +
      "\n# HELP ordo_batches_total Forward passes run by the batcher.\n"
      "# TYPE ordo_batches_total counter\n"
      "ordo_batches_total " +
      std::to_string(batches_) +
      "\n# HELP ordo_requests_abandoned_total Queued embedding requests dropped unrun because "
      "their client had closed the connection.\n"
      "# TYPE ordo_requests_abandoned_total counter\n"
      "ordo_requests_abandoned_total " +
      std::to_string(abandoned_) +
      "\n# HELP ordo_request_duration_seconds Time from a request's arrival to its answer.\n"
      "# TYPE ordo_request_duration_seconds histogram\n";
  out += latency_.render("ordo_request_duration_seconds");
  out +=
      "# HELP ordo_batch_size Texts per forward pass.\n"
      "# TYPE ordo_batch_size histogram\n";
  out += batch_texts_.render("ordo_batch_size");
  out +=
      "# HELP ordo_batch_tokens Tokens per forward pass.\n"
      "# TYPE ordo_batch_tokens histogram\n";
  out += batch_tokens_.render("ordo_batch_tokens");
  return out;
}

}  // namespace ordo::cli

#pragma once
// Dynamic batching for `ordo serve`: embedding requests wait in a bounded queue; one worker
// takes as many as fit in --max-batch-tokens (waiting at most --max-wait-ms for company after
// the first arrives) and runs all their texts as one ragged forward pass (Model::embed, sorted
// by length, no padding), then hands each request its own rows.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ordo/model.h"
#include "serve_metrics.h"

namespace ordo::cli {

struct BatcherSettings {
  size_t max_batch_tokens = 8192;
  std::chrono::milliseconds max_wait{5};
  size_t max_queue = 1024;  // requests waiting; past it submit() refuses (HTTP 429)
};

class Batcher {
 public:
  Batcher(const Model& model, BatcherSettings settings, ServerMetrics& metrics);
  ~Batcher();  // stop()
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // A queued request: its result, and the flag that drops it from the queue unrun (its client
  // has gone). A request already in a running batch is not stopped.
  struct Ticket {
    std::future<Array> result;
    std::shared_ptr<std::atomic<bool>> abandoned;
  };
  // Queues `texts` (`tokens` in all, special tokens included); the future gives their pooled
  // vectors [texts.size(), dimensions], not normalised, or the engine's ordo::Error. Empty
  // when the queue is full or the batcher is stopping.
  // `prompt`: put literally before each text instead of the model's own prompt ("": the
  // model's, as EmbedOptions::prompt).
  std::optional<Ticket> submit(std::vector<std::string> texts, size_t tokens,
                               std::string prompt = "");
  // Runs what is queued, then ends the worker. Idempotent.
  void stop();

 private:
  struct Job {
    std::vector<std::string> texts;
    size_t tokens = 0;
    std::chrono::steady_clock::time_point arrived;
    std::promise<Array> result;
    std::shared_ptr<std::atomic<bool>> abandoned;
    std::string prompt;
  };
  void run();
  void run_pass(const std::string& prompt, const std::vector<Job*>& jobs);
  std::vector<Job> next_batch();
  void drop_abandoned();  // with mutex_ held

  const Model& model_;
  const BatcherSettings settings_;
  ServerMetrics& metrics_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  size_t queued_tokens_ = 0;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace ordo::cli

#include "serve_batcher.h"

#include <algorithm>
#include <exception>
#include <map>

namespace ordo::cli {

Batcher::Batcher(const Model& model, BatcherSettings settings, ServerMetrics& metrics)
    : model_(model), settings_(settings), metrics_(metrics), worker_([this] { run(); }) {}

Batcher::~Batcher() {
  stop();
}

std::optional<Batcher::Ticket> Batcher::submit(std::vector<std::string> texts, size_t tokens,
                                               std::string prompt) {
  Job job;
  job.prompt = std::move(prompt);
  job.texts = std::move(texts);
  job.tokens = tokens;
  job.arrived = std::chrono::steady_clock::now();
  job.abandoned = std::make_shared<std::atomic<bool>>(false);
  Ticket ticket{job.result.get_future(), job.abandoned};
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || queue_.size() >= settings_.max_queue) return std::nullopt;
    queued_tokens_ += job.tokens;
    queue_.push_back(std::move(job));
    metrics_.queue_depth(queue_.size());
  }
  wake_.notify_one();
  return ticket;
}

void Batcher::drop_abandoned() {
  const auto end = std::remove_if(queue_.begin(), queue_.end(), [&](const Job& job) {
    if (!job.abandoned->load()) return false;
    queued_tokens_ -= job.tokens;
    metrics_.abandoned();
    return true;
  });
  queue_.erase(end, queue_.end());
}

void Batcher::stop() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (worker_.joinable()) worker_.join();
}

// Waits for the first job, then for more until the batch is full, the first job has waited
// max_wait, or the batcher stops; takes jobs in arrival order while they fit (the first always).
std::vector<Batcher::Job> Batcher::next_batch() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    drop_abandoned();
    if (!queue_.empty()) {
      const auto deadline = queue_.front().arrived + settings_.max_wait;
      wake_.wait_until(lock, deadline,
                       [&] { return stopping_ || queued_tokens_ >= settings_.max_batch_tokens; });
      drop_abandoned();  // clients that left while the batch waited for company
      if (!queue_.empty()) break;
    }
    metrics_.queue_depth(0);
    if (stopping_) return {};
  }
  std::vector<Job> batch;
  size_t tokens = 0;
  while (!queue_.empty() &&
         (batch.empty() || tokens + queue_.front().tokens <= settings_.max_batch_tokens)) {
    tokens += queue_.front().tokens;
    queued_tokens_ -= queue_.front().tokens;
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  metrics_.queue_depth(queue_.size());
  return batch;
}

void Batcher::run() {
  for (;;) {
    std::vector<Job> batch = next_batch();
    if (batch.empty()) return;  // stopping, and nothing left
    // One forward pass per prompt among the batch's requests (nearly always one).
    std::map<std::string, std::vector<Job*>> by_prompt;
    for (Job& job : batch) by_prompt[job.prompt].push_back(&job);
    for (const auto& [prompt, jobs] : by_prompt) run_pass(prompt, jobs);
  }
}

void Batcher::run_pass(const std::string& prompt, const std::vector<Job*>& jobs) {
  std::vector<std::string> texts;
  size_t tokens = 0;
  for (Job* job : jobs) {
    tokens += job->tokens;
    for (std::string& text : job->texts) texts.push_back(std::move(text));
  }
  try {
    EmbedOptions options;
    options.batch_size = std::min<size_t>(texts.size(), 4096);  // one ragged pass
    options.normalize = false;  // each request normalises (or not) its own rows
    options.prompt = prompt;
    const Array vectors = model_.embed(texts, options);
    metrics_.batch(texts.size(), tokens);
    const int64_t width = vectors.dim(1);
    size_t row = 0;
    for (Job* job : jobs) {
      const size_t rows = job->texts.size();
      const float* begin = vectors.values().data() + row * static_cast<size_t>(width);
      job->result.set_value(Array({static_cast<int64_t>(rows), width},
                                  std::vector<float>(begin, begin + rows * width)));
      row += rows;
    }
  } catch (...) {
    for (Job* job : jobs) {
      try {
        job->result.set_exception(std::current_exception());
      } catch (const std::future_error&) {
        // this job was answered before the failure
      }
    }
  }
}

}  // namespace ordo::cli

#include "common.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>

#include "ops/bf16_linear.h"
#include "ordo/error.h"
#include "output_file.h"
#include "utf8.h"

namespace ordo::cli {

std::filesystem::path bundled_models_directory() {
  if (const char* override_dir = std::getenv("ORDO_MODELS_DIR"); override_dir && *override_dir) {
    return override_dir;
  }
  std::error_code error;
  const auto executable = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    auto installed = (executable.parent_path() / ORDO_INSTALLED_MODELS_FROM_BIN).lexically_normal();
    if (std::filesystem::is_directory(installed / "ordo-sinusoidal")) return installed;
  }
  return ORDO_SOURCE_MODELS_DIR;
}

std::filesystem::path default_model_directory() {
  return bundled_models_directory() / "ordo-sinusoidal";
}

void apply_threads(const Args& args) {
  const int threads = args.integer("--threads", 0, 1, 1024);
  if (threads > 0) set_num_threads(threads);
}

std::set<std::string> with_model_flags(std::set<std::string> flags) {
  flags.insert(kModelFlags.begin(), kModelFlags.end());
  return flags;
}

void check_sequence_length(size_t tokens, const std::string& label) {
  if (tokens <= kMaxTokensPerSequence) return;
  throw Error(label + " has " + std::to_string(tokens) + " tokens, more than the " +
              std::to_string(kMaxTokensPerSequence) +
              " per sequence ordo runs (attention memory grows with the square of the length); "
              "split it into shorter pieces");
}

LoadedEncoder load_encoder(const std::filesystem::path& directory, std::optional<PositionKind> pe,
                           const models::LoadOptions& options, ComputeType compute) {
  const auto start = std::chrono::steady_clock::now();
  models::LoadedModel model = models::load_model(directory, options);
  Encoder encoder(model.spec, EncoderOptions{pe, compute});
  const std::chrono::duration<double, std::milli> elapsed =
      std::chrono::steady_clock::now() - start;
  return LoadedEncoder{std::move(model), std::move(encoder), elapsed.count()};
}

LoadedEncoder load_encoder(const Args& args) {
  apply_threads(args);
  std::optional<PositionKind> pe;
  if (const auto name = args.value("--pe")) {
    try {
      pe = parse_position_kind(*name);
    } catch (const Error& e) {
      throw UsageError(std::string("--pe: ") + e.what());
    }
  }
  models::LoadOptions options;
  options.check_weights = args.flag("--check-weights");
  LoadedEncoder loaded =
      load_encoder(args.value("--model") ? std::filesystem::path(*args.value("--model"))
                                         : default_model_directory(),
                   pe, options, parse_dtype(args));
  if (args.value("--max-tokens")) {
    const int limit = static_cast<int>(kMaxTokensPerSequence);
    const int wanted = args.integer("--max-tokens", 0, 3, limit);
    const int64_t positions = loaded.encoder.max_positions();
    if (positions > 0 && wanted > positions) {
      throw UsageError("--max-tokens " + std::to_string(wanted) + ": the " +
                       to_string(loaded.encoder.position_kind()) + " encoding of " +
                       loaded.model.directory.string() + " has " + std::to_string(positions) +
                       " positions");
    }
    loaded.max_tokens = static_cast<size_t>(wanted);
  }
  return loaded;
}

ComputeType parse_dtype(const Args& args) {
  const auto dtype = args.value("--dtype");
  if (!dtype) return ComputeType::f32;
  ComputeType type;
  try {
    type = parse_compute_type(*dtype);
  } catch (const Error&) {
    throw UsageError("--dtype: '" + *dtype +
                     "' is not a compute type (expected f32, bf16 or int8)");
  }
  if (type == ComputeType::bf16) {
    if (const std::string reason = ops::bf16_unavailable_reason(); !reason.empty())
      throw Error("--dtype bf16: " + reason);
  }
  return type;
}

ForwardOptions pooling_options(const Args& args, bool with_normalize) {
  ForwardOptions forward;
  if (const auto pooling = args.value("--pooling")) {
    try {
      forward.pooling = parse_pooling(*pooling);
    } catch (const Error& e) {
      throw UsageError(std::string("--pooling: ") + e.what());
    }
  }
  forward.normalize = with_normalize && args.flag("--normalize");
  return forward;
}

void apply_declared_pooling(ForwardOptions& forward, const Args& args,
                            const models::LoadedModel& model, bool with_normalize) {
  if (!args.value("--pooling") && model.sentence.pooling) forward.pooling = *model.sentence.pooling;
  if (with_normalize && model.sentence.normalize) forward.normalize = true;
}

models::Prompt chosen_prompt(const Args& args, const models::LoadedModel& model, bool from_ids) {
  const auto asked = args.value("--prompt");
  if (asked && args.flag("--no-prompt")) throw UsageError("give --prompt or --no-prompt, not both");
  if (asked && from_ids) throw UsageError("--prompt applies to texts; --ids are used as given");
  if (from_ids) return {};
  try {
    return models::choose_prompt(model.sentence, model.directory,
                                 args.flag("--no-prompt") ? std::optional<std::string>("") : asked,
                                 "--prompt");
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
}

void write_text_file(const std::filesystem::path& path, const std::string& text) {
  write_file(path, text);
}

std::vector<std::string> read_lines(std::istream& in, const std::string& label) {
  std::vector<std::string> lines;
  std::string line;
  bool open_line = false;
  for (int c = in.get(); c != std::char_traits<char>::eof(); c = in.get()) {
    if (c == '\n') {
      lines.push_back(std::move(line));
      line.clear();
      open_line = false;
      continue;
    }
    if (line.size() == kMaxLineBytes) {
      throw Error(label + ": line " + std::to_string(lines.size() + 1) + " is longer than " +
                  std::to_string(kMaxLineBytes >> 20) + " MiB; is it a text file?");
    }
    line.push_back(static_cast<char>(c));
    open_line = true;
  }
  if (in.bad()) throw Error(label + ": read error");
  if (open_line) lines.push_back(std::move(line));
  return lines;
}

void require_finite(const float* values, int64_t count, const std::string& what) {
  for (int64_t i = 0; i < count; ++i) {
    if (std::isfinite(values[i])) continue;
    throw Error(what + " holds " + std::to_string(values[i]) + " (value " + std::to_string(i) +
                "): the model's weights hold NaN or Inf, or its activations overflow; "
                "--check-weights names the first bad weight");
  }
}

void require_finite(const EncoderOutput& output) {
  require_finite(output.last_hidden_state.data(), output.last_hidden_state.numel(),
                 "the output (last hidden state)");
  require_finite(output.pooled.data(), output.pooled.numel(), "the output (pooled vectors)");
  for (size_t layer = 0; layer < output.attentions.size(); ++layer) {
    const Tensor& attention = output.attentions[layer];
    require_finite(attention.data(), attention.numel(),
                   "the attention of block " + std::to_string(layer + 1));
  }
  for (size_t layer = 0; layer < output.hidden_states.size(); ++layer) {
    const Tensor& hidden = output.hidden_states[layer];
    require_finite(hidden.data(), hidden.numel(), "hidden state " + std::to_string(layer));
  }
}

void check_stdout(int earlier_error) {
  // std::cout shares stdout's buffer (sync_with_stdio), so its flush is the write that fails
  // and sets errno; a second flush would find the buffer already dropped and errno cleared.
  errno = 0;
  std::cout.flush();
  const int error = errno != 0 ? errno : earlier_error;
  const bool failed = !std::cout || std::fflush(stdout) != 0 || std::ferror(stdout) != 0;
  if (!failed) return;
  throw Error(std::string("cannot write to standard output") +
              (error != 0 ? std::string(" (") + std::strerror(error) + ")" : std::string()));
}

size_t max_tokens(const LoadedEncoder& loaded) {
  if (loaded.max_tokens > 0) return loaded.max_tokens;
  return models::max_tokens(loaded.model, loaded.encoder);
}

namespace {

tokenizer::Encoding checked(const LoadedEncoder& loaded, const std::string& label,
                            const std::function<tokenizer::Encoding(size_t)>& encode,
                            bool warn_if_truncated = true) {
  tokenizer::Encoding encoding;
  try {
    encoding = encode(max_tokens(loaded));
  } catch (const Error& e) {
    throw Error(label + ": " + e.what());
  }
  check_sequence_length(encoding.ids.size(), label);
  if (encoding.truncated > 0 && warn_if_truncated) {
    std::cerr << "ordo: warning: " << label << " was truncated to " << encoding.ids.size()
              << " tokens (" << encoding.truncated << " dropped; the model accepts "
              << max_tokens(loaded) << ")\n";
  }
  return encoding;
}

}  // namespace

tokenizer::Encoding tokenize(const LoadedEncoder& loaded, std::string_view text,
                             const std::string& label, bool warn_if_truncated) {
  const tokenizer::Tokenizer& tokenizer = loaded.model.require_tokenizer();
  return checked(
      loaded, label, [&](size_t limit) { return tokenizer.encode(text, limit); },
      warn_if_truncated);
}

tokenizer::Encoding tokenize_pair(const LoadedEncoder& loaded, std::string_view first,
                                  std::string_view second) {
  const tokenizer::Tokenizer& tokenizer = loaded.model.require_tokenizer();
  return checked(loaded, "the pair input",
                 [&](size_t limit) { return tokenizer.encode_pair(first, second, limit); });
}

size_t display_width(const std::string& text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size();) {
    const char32_t code = tokenizer::next_code_point(text, i);
    const bool wide = (code >= 0x1100 && code <= 0x115F) || (code >= 0x2E80 && code <= 0xA4CF) ||
                      (code >= 0xAC00 && code <= 0xD7A3) || (code >= 0xF900 && code <= 0xFAFF) ||
                      (code >= 0xFE30 && code <= 0xFE4F) || (code >= 0xFF00 && code <= 0xFF60) ||
                      (code >= 0xFFE0 && code <= 0xFFE6) || (code >= 0x1F300 && code <= 0x1FAFF) ||
                      (code >= 0x20000 && code <= 0x3FFFD);
    width += wide ? 2 : 1;
  }
  return width;
}

std::string pad_to(const std::string& text, size_t width) {
  const size_t used = display_width(text);
  return used >= width ? text : text + std::string(width - used, ' ');
}

}  // namespace ordo::cli

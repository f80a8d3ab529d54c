#include "common.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>

#include "ordo/error.h"

namespace ordo::cli {

std::filesystem::path bundled_models_directory() {
  if (const char* override_dir = std::getenv("ORDO_MODELS_DIR"); override_dir && *override_dir) {
    return override_dir;
  }
  std::error_code error;
  const auto executable = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    const auto installed =
        (executable.parent_path() / ORDO_INSTALLED_MODELS_FROM_BIN).lexically_normal();
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

LoadedEncoder load_encoder(const std::filesystem::path& directory, std::optional<PositionKind> pe) {
  const auto start = std::chrono::steady_clock::now();
  models::LoadedModel model = models::load_model(directory);
  Encoder encoder(model.spec, EncoderOptions{pe});
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
  return load_encoder(args.value("--model") ? std::filesystem::path(*args.value("--model"))
                                            : default_model_directory(),
                      pe);
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

void write_text_file(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path temporary = path.string() + ".partial";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      throw Error(path.string() + ": cannot write file");
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary, error);
    throw Error(path.string() + ": cannot move the finished file into place");
  }
}

size_t max_tokens(const LoadedEncoder& loaded) {
  return models::max_tokens(loaded.model, loaded.encoder);
}

namespace {

tokenizer::Encoding checked(const LoadedEncoder& loaded, const std::string& label,
                            const std::function<tokenizer::Encoding(size_t)>& encode) {
  tokenizer::Encoding encoding;
  try {
    encoding = encode(max_tokens(loaded));
  } catch (const Error& e) {
    throw Error(label + ": " + e.what());
  }
  if (encoding.truncated > 0) {
    std::cerr << "ordo: warning: " << label << " was truncated to " << encoding.ids.size()
              << " tokens (" << encoding.truncated << " dropped; the model accepts "
              << max_tokens(loaded) << ")\n";
  }
  return encoding;
}

}  // namespace

tokenizer::Encoding tokenize(const LoadedEncoder& loaded, std::string_view text,
                             const std::string& label) {
  const tokenizer::Tokenizer& tokenizer = loaded.model.require_tokenizer();
  return checked(loaded, label, [&](size_t limit) { return tokenizer.encode(text, limit); });
}

tokenizer::Encoding tokenize_pair(const LoadedEncoder& loaded, std::string_view first,
                                  std::string_view second) {
  const tokenizer::Tokenizer& tokenizer = loaded.model.require_tokenizer();
  return checked(loaded, "the pair input",
                 [&](size_t limit) { return tokenizer.encode_pair(first, second, limit); });
}

// Terminal columns of a UTF-8 string: CJK, full-width forms and emoji take two.
static size_t display_width(const std::string& text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    uint32_t code = length == 1 ? lead : lead & (0x7F >> length);
    for (size_t k = 1; k < length && i + k < text.size(); ++k)
      code = (code << 6) | (text[i + k] & 0x3F);
    const bool wide = (code >= 0x1100 && code <= 0x115F) || (code >= 0x2E80 && code <= 0xA4CF) ||
                      (code >= 0xAC00 && code <= 0xD7A3) || (code >= 0xF900 && code <= 0xFAFF) ||
                      (code >= 0xFE30 && code <= 0xFE4F) || (code >= 0xFF00 && code <= 0xFF60) ||
                      (code >= 0xFFE0 && code <= 0xFFE6) || (code >= 0x1F300 && code <= 0x1FAFF) ||
                      (code >= 0x20000 && code <= 0x3FFFD);
    width += wide ? 2 : 1;
    i += length;
  }
  return width;
}

std::string pad_to(const std::string& text, size_t width) {
  const size_t used = display_width(text);
  return used >= width ? text : text + std::string(width - used, ' ');
}

}  // namespace ordo::cli

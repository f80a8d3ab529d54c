#include "common.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "ordo/error.h"

namespace ordo::cli {

std::filesystem::path default_model_directory() {
  const std::string name = "ordo-sinusoidal";
  if (const char* override_dir = std::getenv("ORDO_MODELS_DIR"); override_dir && *override_dir) {
    return std::filesystem::path(override_dir) / name;
  }
  std::error_code error;
  const auto executable = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    const auto installed =
        executable.parent_path().parent_path() / "share" / "ordo" / "models" / name;
    if (std::filesystem::is_directory(installed)) return installed;
  }
  return std::filesystem::path(ORDO_SOURCE_MODELS_DIR) / name;
}

LoadedEncoder load_encoder(const Args& args) {
  const int threads = args.integer("--threads", 0, 1, 1024);
  if (threads > 0) set_num_threads(threads);
  std::optional<PositionKind> pe;
  if (const auto name = args.value("--pe")) {
    try {
      pe = parse_position_kind(*name);
    } catch (const Error& e) {
      throw UsageError(std::string("--pe: ") + e.what());
    }
  }
  const auto directory = args.value("--model") ? std::filesystem::path(*args.value("--model"))
                                               : default_model_directory();
  const auto start = std::chrono::steady_clock::now();
  models::LoadedModel model = models::load_model(directory);
  Encoder encoder(model.spec, EncoderOptions{pe});
  const std::chrono::duration<double, std::milli> elapsed =
      std::chrono::steady_clock::now() - start;
  return LoadedEncoder{std::move(model), std::move(encoder), elapsed.count()};
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
  if (loaded.encoder.max_positions() > 0)
    return static_cast<size_t>(loaded.encoder.max_positions());
  return loaded.model.tokenizer ? loaded.model.tokenizer->model_max_length() : 0;
}

tokenizer::Encoding tokenize(const LoadedEncoder& loaded, std::string_view text,
                             const std::string& label) {
  const tokenizer::Tokenizer& tokenizer = loaded.model.require_tokenizer();
  tokenizer::Encoding encoding;
  try {
    encoding = tokenizer.encode(text, max_tokens(loaded));
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

}  // namespace ordo::cli

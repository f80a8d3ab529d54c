#include "tokenizer.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>

#include "gpt2_files.h"
#include "hf/hf_tokenizer.h"
#include "ordo/error.h"
#include "utf8.h"

namespace ordo::tokenizer {
namespace {

// A special token in tokenizer_config.json is a string or {"content": string, ...}.
std::optional<std::string> token_field(const nlohmann::json& document, const std::string& field) {
  if (!document.contains(field)) return std::nullopt;
  const auto& value = document.at(field);
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value.at("content").is_string()) {
    return value.at("content").get<std::string>();
  }
  return std::nullopt;
}

nlohmann::json read_optional_json(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) return nlohmann::json::object();
  std::ifstream in(path);
  try {
    nlohmann::json document = nlohmann::json::parse(in);
    if (!document.is_object()) throw Error(path.string() + ": the top level must be a JSON object");
    return document;
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string() + ": not valid JSON (" + e.what() + ")");
  }
}

// The SentencePiece files a model directory may hold, in the order they are looked for.
struct Layout {
  const char* file;
  IdScheme scheme;
  Template family;
};
constexpr Layout kSentencePieceLayouts[] = {
    {"tokenizer.model", IdScheme::native, Template::bert},
    {"sentencepiece.bpe.model", IdScheme::fairseq, Template::xlmr},
    {"spiece.model", IdScheme::native, Template::bert},
    {"source.spm", IdScheme::vocab_json, Template::marian}};
constexpr const char* kWordPieceFile = "vocab.txt";
constexpr const char* kTokenizerJson = "tokenizer.json";
constexpr const char* kMergesFile = "merges.txt";  // with vocab.json: GPT-2 style BPE

}  // namespace

const std::vector<std::string>& tokenizer_file_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out{kTokenizerJson};
    for (const Layout& layout : kSentencePieceLayouts) out.emplace_back(layout.file);
    out.emplace_back(kWordPieceFile);
    out.emplace_back(kMergesFile);
    return out;
  }();
  return names;
}

bool has_tokenizer_file(const std::filesystem::path& directory) {
  for (const std::string& name : tokenizer_file_names()) {
    if (std::filesystem::exists(directory / name)) return true;
  }
  return false;
}

Tokenizer::Tokenizer(std::unique_ptr<SentencePieceModel> model, IdScheme scheme, Template family,
                     const std::filesystem::path& vocab_json)
    : model_(std::move(model)),
      mapper_(std::make_unique<IdMapper>(*model_, scheme, vocab_json)),
      family_(family) {
  if (family == Template::xlmr || family == Template::marian) specials_ = {"<s>", "</s>", "<mask>"};
}

Tokenizer::Tokenizer(std::unique_ptr<WordPieceModel> model)
    : wordpiece_(std::move(model)), family_(Template::bert) {}

Tokenizer::Tokenizer(std::unique_ptr<hf::HfTokenizer> tokenizer)
    : hf_(std::move(tokenizer)), family_(Template::bert) {
  if (hf_->truncation_max_length()) model_max_length_ = *hf_->truncation_max_length();
  // The mask token when no tokenizer_config.json names it: BERT's, else RoBERTa's.
  if (!hf_->token_to_id(specials_.mask) && hf_->token_to_id("<mask>")) specials_.mask = "<mask>";
}

Tokenizer Tokenizer::from_path(const std::filesystem::path& path) {
  if (std::filesystem::is_directory(path)) return from_directory(path);
  if (!std::filesystem::exists(path)) throw Error(path.string() + ": file not found");
  return Tokenizer(hf::HfTokenizer::from_file(path));
}

Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

Tokenizer Tokenizer::from_directory(const std::filesystem::path& directory) {
  nlohmann::json settings = read_optional_json(directory / "special_tokens_map.json");
  settings.update(read_optional_json(directory / "tokenizer_config.json"));
  auto configure = [&](Tokenizer tokenizer) {
    for (const char* role : {"cls", "sep", "mask"}) {
      if (const auto token = token_field(settings, std::string(role) + "_token")) {
        tokenizer.set_special_token(role, *token);
      }
    }
    // Hugging Face writes a huge sentinel (1e30) when there is no limit.
    if (settings.contains("model_max_length") &&
        settings["model_max_length"].is_number_unsigned() &&
        settings["model_max_length"].get<uint64_t>() < (uint64_t{1} << 32)) {
      tokenizer.model_max_length_ = settings["model_max_length"].get<size_t>();
    }
    // sentence-transformers: its own length limit, and lowercasing before the tokenizer.
    const auto sentence_config = directory / "sentence_bert_config.json";
    const nlohmann::json sentence = read_optional_json(sentence_config);
    if (sentence.contains("max_seq_length")) {
      const auto& limit = sentence["max_seq_length"];
      if (!limit.is_number_unsigned() || limit.get<uint64_t>() == 0 ||
          limit.get<uint64_t>() >= (uint64_t{1} << 32))
        throw Error(sentence_config.string() + ": max_seq_length must be a positive integer");
      tokenizer.model_max_length_ = limit.get<size_t>();
    }
    if (sentence.contains("do_lower_case")) {
      if (!sentence["do_lower_case"].is_boolean())
        throw Error(sentence_config.string() + ": do_lower_case must be true or false");
      tokenizer.preprocessing_.lowercase = sentence["do_lower_case"].get<bool>();
    }
    return tokenizer;
  };
  if (std::filesystem::exists(directory / kTokenizerJson))
    return configure(Tokenizer(hf::HfTokenizer::from_file(directory / kTokenizerJson)));
  for (const Layout& layout : kSentencePieceLayouts) {
    const auto path = directory / layout.file;
    if (!std::filesystem::exists(path)) continue;
    const auto vocab = directory / "vocab.json";
    if (layout.scheme == IdScheme::vocab_json && !std::filesystem::exists(vocab)) {
      throw Error(vocab.string() + ": file not found (Marian's source.spm needs it)");
    }
    Tokenizer tokenizer(std::make_unique<SentencePieceModel>(path), layout.scheme, layout.family,
                        vocab);
    if (std::string(layout.file) == "spiece.model") {
      // AlbertTokenizer.preprocess_text, with its defaults: remove_space, no keep_accents,
      // do_lower_case.
      auto flag = [&](const char* field, bool fallback) {
        if (!settings.contains(field) || settings[field].is_null()) return fallback;
        if (!settings[field].is_boolean())
          throw Error((directory / "tokenizer_config.json").string() + ": " + field +
                      " must be true or false");
        return settings[field].get<bool>();
      };
      tokenizer.preprocessing_.collapse_spaces = flag("remove_space", true);
      tokenizer.preprocessing_.strip_accents = !flag("keep_accents", false);
      tokenizer.preprocessing_.lowercase = flag("do_lower_case", true);
    }
    return configure(std::move(tokenizer));
  }
  if (std::filesystem::exists(directory / kWordPieceFile)) {
    auto flag = [&](const char* field, bool fallback) {
      if (!settings.contains(field) || settings[field].is_null()) return fallback;
      if (!settings[field].is_boolean())
        throw Error((directory / "tokenizer_config.json").string() + ": " + field +
                    " must be true, false or null");
      return settings[field].get<bool>();
    };
    WordPieceOptions options;
    options.lower_case = flag("do_lower_case", true);
    options.strip_accents = flag("strip_accents", options.lower_case);
    options.split_chinese = flag("tokenize_chinese_chars", true);
    if (const auto unknown = token_field(settings, "unk_token")) options.unknown = *unknown;
    return configure(Tokenizer(std::make_unique<WordPieceModel>(directory / "vocab.txt", options)));
  }
  if (std::filesystem::exists(directory / kMergesFile)) {
    const auto label = (directory / "vocab.json").string() + " + " + kMergesFile;
    return configure(Tokenizer(std::make_unique<hf::HfTokenizer>(
        gpt2_tokenizer_json(directory / "vocab.json", directory / kMergesFile, settings), label)));
  }
  throw Error(directory.string() +
              ": no tokenizer found (looked for tokenizer.json, tokenizer.model, "
              "sentencepiece.bpe.model, spiece.model, source.spm + vocab.json, vocab.txt, "
              "vocab.json + merges.txt)");
}

void Tokenizer::set_special_token(const std::string& role, const std::string& token) {
  if (role == "cls")
    specials_.cls = token;
  else if (role == "sep")
    specials_.sep = token;
  else if (role == "mask")
    specials_.mask = token;
  else
    throw Error("unknown special token role '" + role + "'");
}

std::optional<int32_t> Tokenizer::mask_id() const {
  if (hf_) return hf_->token_to_id(specials_.mask);
  if (wordpiece_) {
    const int id = wordpiece_->id(specials_.mask);
    return id < 0 ? std::nullopt : std::optional<int32_t>(id);
  }
  if (!mapper_->has_token(specials_.mask)) return std::nullopt;
  return mapper_->special_id(specials_.mask);
}

const SentencePieceModel& Tokenizer::model() const {
  if (!model_) throw Error(path().string() + ": this tokenizer has no SentencePiece model");
  return *model_;
}

const IdMapper& Tokenizer::ids() const {
  if (!mapper_) throw Error(path().string() + ": this tokenizer has no SentencePiece ids");
  return *mapper_;
}

std::filesystem::path Tokenizer::path() const {
  if (hf_) return hf_->label();
  return wordpiece_ ? wordpiece_->path() : model_->path();
}

std::string Tokenizer::token(int32_t id) const {
  if (hf_) {
    if (auto token = hf_->id_to_token(id)) return *token;
    throw Error(hf_->label() + ": id " + std::to_string(id) + " is not in the vocabulary");
  }
  return wordpiece_ ? wordpiece_->token(id) : mapper_->token(id);
}

int32_t Tokenizer::vocab_size() const {
  if (hf_) return hf_->vocab_size();
  return wordpiece_ ? wordpiece_->size() : mapper_->vocab_size();
}

std::string Tokenizer::preprocess(std::string_view text) const {
  require_valid_utf8(text, "text");
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  if (preprocessing_.collapse_spaces) {
    // " ".join(text.strip().split()): Python's split() breaks at every Unicode whitespace.
    icu::UnicodeString joined;
    bool pending_space = false;
    for (int32_t i = 0; i < u.length();) {
      const UChar32 c = u.char32At(i);
      i += U16_LENGTH(c);
      if (u_isUWhiteSpace(c) || (c >= 0x1C && c <= 0x1F)) {
        pending_space = !joined.isEmpty();
        continue;
      }
      if (pending_space) joined.append(static_cast<UChar>(' '));
      pending_space = false;
      joined.append(c);
    }
    u = joined;
    u.findAndReplace("``", "\"").findAndReplace("''", "\"");
  }
  if (preprocessing_.strip_accents) {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* nfkd = icu::Normalizer2::getNFKDInstance(status);
    if (U_FAILURE(status)) throw Error(std::string("ICU: ") + u_errorName(status));
    const icu::UnicodeString decomposed = nfkd->normalize(u, status);
    if (U_FAILURE(status)) throw Error(std::string("ICU: ") + u_errorName(status));
    icu::UnicodeString kept;
    for (int32_t i = 0; i < decomposed.length();) {
      const UChar32 c = decomposed.char32At(i);
      i += U16_LENGTH(c);
      if (u_getCombiningClass(c) == 0) kept.append(c);  // unicodedata.combining(c) == 0
    }
    u = kept;
  }
  if (preprocessing_.lowercase) u.toLower(icu::Locale::getRoot());
  std::string out;
  u.toUTF8String(out);
  return out;
}

std::vector<Piece> Tokenizer::pieces(std::string_view text, bool continuation) const {
  const auto encode = [&](std::string_view t) {
    if (wordpiece_) return wordpiece_->encode(t);
    return continuation ? model_->encode_continuation(t) : model_->encode(t);
  };
  if (!preprocessing_.lowercase && !preprocessing_.collapse_spaces && !preprocessing_.strip_accents)
    return encode(text);
  const std::string rewritten = preprocess(text);
  std::vector<Piece> out = encode(rewritten);
  // Spans refer to the rewritten text; where that changed lengths they are approximate, and
  // they are clamped so that they never point past the caller's text.
  for (Piece& piece : out) {
    piece.begin = std::min(piece.begin, text.size());
    piece.end = std::min(std::max(piece.end, piece.begin), text.size());
  }
  return out;
}

int32_t Tokenizer::special_id(const std::string& token) const {
  if (hf_) {
    if (const auto id = hf_->token_to_id(token)) return *id;
    throw Error(hf_->label() + ": special token '" + token + "' is not in the vocabulary");
  }
  if (!wordpiece_) return mapper_->special_id(token);
  const int id = wordpiece_->id(token);
  if (id < 0)
    throw Error(wordpiece_->path().string() + ": special token '" + token +
                "' is not in the vocabulary");
  return id;
}

int32_t Tokenizer::model_id(const Piece& piece) const {
  return wordpiece_ ? piece.id : mapper_->to_model_id(piece);
}

size_t Tokenizer::special_count(bool pair) const {
  switch (family_) {
    case Template::bert:
      return pair ? 3 : 2;
    case Template::xlmr:
      return pair ? 4 : 2;
    case Template::marian:
      return 1;
  }
  return 0;
}

Encoding Tokenizer::encode(std::string_view text, size_t max_length, Truncation truncation,
                           bool add_special_tokens) const {
  if (hf_) return build_hf(text, nullptr, max_length, truncation, add_special_tokens);
  const std::vector<Piece> text_pieces = pieces(text);
  const std::vector<Piece>* both[2] = {&text_pieces, nullptr};
  return build(both, max_length, truncation, add_special_tokens);
}

// Stands for the mask token among the pieces of a text; never a SentencePiece id.
constexpr int kMaskPiece = -1;

Encoding Tokenizer::encode_masked(std::string_view text, size_t max_length,
                                  Truncation truncation) const {
  const auto mask = mask_id();
  if (!mask)
    throw Error(path().string() + ": the tokenizer has no mask token '" + specials_.mask + "'");
  // tokenizer.json lists the mask among its added tokens, which are found in the text anyway.
  if (hf_) return build_hf(text, nullptr, max_length, truncation, true);
  std::vector<Piece> text_pieces;
  size_t start = 0;
  while (true) {
    const size_t found = text.find(specials_.mask, start);
    const std::string_view part = text.substr(
        start, found == std::string_view::npos ? std::string_view::npos : found - start);
    // Text after a mask continues the sentence: " files" is "▁files", as where a masked word
    // was in training, even with a model that gives a text's first word no "▁".
    for (Piece piece : pieces(part, /*continuation=*/start > 0)) {
      piece.begin += start;
      piece.end += start;
      text_pieces.push_back(std::move(piece));
    }
    if (found == std::string_view::npos) break;
    text_pieces.push_back(Piece{specials_.mask, kMaskPiece, found, found + specials_.mask.size()});
    start = found + specials_.mask.size();
  }
  const std::vector<Piece>* both[2] = {&text_pieces, nullptr};
  return build(both, max_length, truncation);
}

Encoding Tokenizer::encode_pair(std::string_view first, std::string_view second, size_t max_length,
                                Truncation truncation, bool add_special_tokens) const {
  if (hf_) return build_hf(first, &second, max_length, truncation, add_special_tokens);
  const std::vector<Piece> a = pieces(first);
  const std::vector<Piece> b = pieces(second);
  const std::vector<Piece>* both[2] = {&a, &b};
  return build(both, max_length, truncation, add_special_tokens);
}

namespace {

// How many tokens of each text to keep so that they and `specials` fit `max_length`: longest
// first, one token at a time, ties from the second text (as Hugging Face does).
size_t truncate(size_t keep[2], size_t specials, size_t max_length, Truncation truncation) {
  size_t dropped = 0;
  if (max_length == 0 || keep[0] + keep[1] + specials <= max_length) return dropped;
  if (truncation == Truncation::error || max_length < specials) {
    throw Error("input has " + std::to_string(keep[0] + keep[1] + specials) +
                " tokens but the limit is " + std::to_string(max_length));
  }
  while (keep[0] + keep[1] + specials > max_length) {
    --keep[keep[0] > keep[1] ? 0 : 1];
    ++dropped;
  }
  return dropped;
}

}  // namespace

Encoding Tokenizer::build_hf(std::string_view first, const std::string_view* second,
                             size_t max_length, Truncation truncation,
                             bool add_special_tokens) const {
  const std::string_view texts[2] = {first, second ? *second : std::string_view()};
  std::vector<hf::Part> parts;
  for (int which = 0; which < (second ? 2 : 1); ++which) {
    const std::string_view text = texts[which];
    require_valid_utf8(text, "text");
    if (!preprocessing_.lowercase) {
      parts.push_back(hf_->encode_text(text, which));
      continue;
    }
    // sentence-transformers' do_lower_case: spans of the lowered text, kept inside the text.
    parts.push_back(hf_->encode_text(preprocess(text), which));
    for (hf::Token& token : parts.back().tokens) {
      token.span.begin = std::min(token.span.begin, text.size());
      token.span.end = std::min(std::max(token.span.end, token.span.begin), text.size());
    }
  }
  size_t keep[2] = {parts[0].tokens.size(), second ? parts[1].tokens.size() : 0};
  Encoding out;
  out.truncated = truncate(keep, add_special_tokens ? hf_->added_tokens(second != nullptr) : 0,
                           max_length, truncation);
  for (size_t which = 0; which < parts.size(); ++which) {
    hf::Part& part = parts[which];
    part.tokens.resize(keep[which]);
    part.type_ids.resize(keep[which]);
    part.sequence.resize(keep[which]);
    part.special.resize(keep[which]);
  }
  hf_->post_process(parts, add_special_tokens);
  size_t total = 0;
  for (const hf::Part& part : parts) total += part.tokens.size();
  out.ids.reserve(total);
  out.token_types.reserve(total);
  out.tokens.reserve(total);
  out.sequence.reserve(total);
  out.begin.reserve(total);
  out.end.reserve(total);
  for (hf::Part& part : parts) {  // the parts' strings are moved: they are not used again
    for (size_t i = 0; i < part.tokens.size(); ++i) {
      hf::Token& token = part.tokens[i];
      out.ids.push_back(token.id);
      out.token_types.push_back(part.type_ids[i]);
      out.tokens.push_back(std::move(token.value));
      out.sequence.push_back(part.special[i] ? -1 : part.sequence[i]);
      out.begin.push_back(part.special[i] ? 0 : token.span.begin);
      out.end.push_back(part.special[i] ? 0 : token.span.end);
    }
  }
  return out;
}

Encoding Tokenizer::build(const std::vector<Piece>* pieces[2], size_t max_length,
                          Truncation truncation, bool add_special_tokens) const {
  const bool pair = pieces[1] != nullptr;
  size_t keep[2] = {pieces[0]->size(), pair ? pieces[1]->size() : 0};
  Encoding out;
  out.truncated =
      truncate(keep, add_special_tokens ? special_count(pair) : 0, max_length, truncation);
  auto add_special = [&](const std::string& token, int32_t type) {
    if (!add_special_tokens) return;
    out.ids.push_back(special_id(token));
    out.token_types.push_back(type);
    out.tokens.push_back(token);
    out.sequence.push_back(-1);
    out.begin.push_back(0);
    out.end.push_back(0);
  };
  auto add_text = [&](int which, int32_t type) {
    for (size_t i = 0; i < keep[which]; ++i) {
      const Piece& piece = (*pieces[which])[i];
      out.ids.push_back(piece.id == kMaskPiece ? special_id(specials_.mask) : model_id(piece));
      out.token_types.push_back(type);
      out.tokens.push_back(piece.text);
      out.sequence.push_back(which);
      out.begin.push_back(piece.begin);
      out.end.push_back(piece.end);
    }
  };
  switch (family_) {
    case Template::bert:
      add_special(specials_.cls, 0);
      add_text(0, 0);
      add_special(specials_.sep, 0);
      if (pair) {
        add_text(1, 1);
        add_special(specials_.sep, 1);
      }
      break;
    case Template::xlmr:
      add_special(specials_.cls, 0);
      add_text(0, 0);
      add_special(specials_.sep, 0);
      if (pair) {
        add_special(specials_.sep, 0);
        add_text(1, 0);
        add_special(specials_.sep, 0);
      }
      break;
    case Template::marian:
      add_text(0, 0);
      if (pair) add_text(1, 0);
      add_special(specials_.sep, 0);
      break;
  }
  return out;
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids) const {
  if (hf_) return hf_->decode(ids, true);
  if (wordpiece_) {
    std::vector<int> kept;
    for (int32_t id : ids) {
      const std::string& piece = wordpiece_->token(id);
      if (piece == specials_.cls || piece == specials_.sep || piece == specials_.mask ||
          piece == "[PAD]")
        continue;
      kept.push_back(id);
    }
    return wordpiece_->decode(kept);
  }
  std::vector<int> pieces;
  for (int32_t id : ids) {
    const int piece = mapper_->to_piece_id(id);
    if (piece < 0 || model_->is_control(piece)) continue;
    pieces.push_back(piece);
  }
  return model_->decode(pieces);
}

}  // namespace ordo::tokenizer

#include "normalizers.h"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <vector>

#include "json_node.h"
#include "ordo/error.h"
#include "pattern.h"
#include "precompiled.h"

namespace ordo::tokenizer::hf {

bool is_white_space(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);  // ICU's White_Space in ASCII
  return u_hasBinaryProperty(c, UCHAR_WHITE_SPACE);
}

bool is_punctuation(char32_t c) {
  if (c < 0x80)
    return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
           (c >= 123 && c <= 126);
  return (U_GET_GC_MASK(c) & U_GC_P_MASK) != 0;
}

bool is_word_char(char32_t c) {
  if (c < 0x80)
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  return u_hasBinaryProperty(c, UCHAR_ALPHABETIC) ||
         (U_GET_GC_MASK(c) & (U_GC_M_MASK | U_GC_ND_MASK | U_GC_PC_MASK)) != 0 ||
         u_hasBinaryProperty(c, UCHAR_JOIN_CONTROL);
}

namespace {

// The unicode_categories crate's is_other, which tokenizers uses: Cc, Cf, Co, Cs. Its tables
// come from UnicodeData.txt, which lists no Cn character, so unassigned code points (U+FFFF)
// are not "other" there and BertNormalizer keeps them.
bool is_other(char32_t c) {
  if (c < 0x80) return c < 0x20 || c == 0x7F;  // only Cc in ASCII
  return (U_GET_GC_MASK(c) & (U_GC_CC_MASK | U_GC_CF_MASK | U_GC_CO_MASK | U_GC_CS_MASK)) != 0;
}

bool is_chinese_char(char32_t c) {  // tokenizers' normalizers/bert.rs, ranges as written there
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

// Rust's char::to_lowercase: the full mapping of the character alone (no final-sigma context).
template <typename Emit>
void lowercase(char32_t c, Emit emit) {
  if (c < 0x80) return emit(c >= 'A' && c <= 'Z' ? c + 32 : c);
  // SpecialCasing.txt has one unconditional lowercase mapping longer than a character; every
  // other one is UnicodeData's simple mapping.
  if (c == 0x130) {
    emit('i');
    return emit(0x307);
  }
  emit(static_cast<char32_t>(u_tolower(static_cast<UChar32>(c))));
}

enum class Form { nfc, nfd, nfkc, nfkd };

const icu::Normalizer2& icu_normalizer(Form form) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* instance = nullptr;
  switch (form) {
    case Form::nfc:
      instance = icu::Normalizer2::getNFCInstance(status);
      break;
    case Form::nfd:
      instance = icu::Normalizer2::getNFDInstance(status);
      break;
    case Form::nfkc:
      instance = icu::Normalizer2::getNFKCInstance(status);
      break;
    case Form::nfkd:
      instance = icu::Normalizer2::getNFKDInstance(status);
      break;
  }
  if (U_FAILURE(status) || instance == nullptr)
    throw Error(std::string("ICU: cannot load a normalizer: ") + u_errorName(status));
  return *instance;
}

// Normalises chunk by chunk between normalisation boundaries (the result is the same as for
// the whole text), each output character keeping its chunk's original span.
void normalize_form(AlignedText& text, Form form) {
  const icu::Normalizer2& normalizer = icu_normalizer(form);
  const std::string& bytes = text.text();
  UErrorCode check = U_ZERO_ERROR;
  if (normalizer.isNormalizedUTF8(
          icu::StringPiece(bytes.data(), static_cast<int32_t>(bytes.size())), check) &&
      U_SUCCESS(check))
    return;
  AlignedText out;
  out.reserve(bytes.size());
  size_t chunk = 0;
  auto flush = [&](size_t end) {
    if (chunk == end) return;
    UErrorCode status = U_ZERO_ERROR;
    const icu::UnicodeString input = icu::UnicodeString::fromUTF8(
        icu::StringPiece(bytes.data() + chunk, static_cast<int32_t>(end - chunk)));
    const icu::UnicodeString result = normalizer.normalize(input, status);
    if (U_FAILURE(status)) throw Error(std::string("ICU normalisation: ") + u_errorName(status));
    std::string utf8;
    result.toUTF8String(utf8);
    out.push_bytes(utf8, text.original(chunk, end));
    chunk = end;
  };
  for (size_t i = 0; i < bytes.size();) {
    const size_t begin = i;
    const char32_t c = next_code_point(bytes, i);
    if (begin > chunk && normalizer.hasBoundaryBefore(static_cast<UChar32>(c))) flush(begin);
  }
  flush(bytes.size());
  text = std::move(out);
}

class UnicodeForm : public Normalizer {
 public:
  explicit UnicodeForm(Form form) : form_(form) {}
  void normalize(AlignedText& text) const override { normalize_form(text, form_); }

 private:
  Form form_;
};

class Lowercase : public Normalizer {
 public:
  void normalize(AlignedText& text) const override {
    transform(text, [](char32_t c, auto emit) { lowercase(c, emit); });
  }
};

class StripAccents : public Normalizer {
 public:
  // unicode_normalization_alignments' is_combining_mark: Mn, Mc and Me.
  void normalize(AlignedText& text) const override {
    transform(text, [](char32_t c, auto emit) {
      if (c < 0x80 || (U_GET_GC_MASK(c) & U_GC_M_MASK) == 0) emit(c);  // no mark in ASCII
    });
  }
};

class BertNormalizer : public Normalizer {
 public:
  explicit BertNormalizer(const JsonNode& node)
      : clean_text_(node.boolean("clean_text", true)),
        chinese_(node.boolean("handle_chinese_chars", true)),
        lowercase_(node.boolean("lowercase", true)),
        strip_accents_(node.boolean("strip_accents", lowercase_)) {}

  void normalize(AlignedText& text) const override {
    const std::string& bytes = text.text();
    if (std::all_of(bytes.begin(), bytes.end(), [](char c) { return (c & 0x80) == 0; })) {
      // ASCII: no Chinese character, nothing for NFD or accent stripping to change; the steps
      // below in one pass, each character still keeping its own span.
      transform(text, [&](char32_t c, auto emit) {
        if (clean_text_) {
          const bool tab_or_newline = c == '\t' || c == '\n' || c == '\r';
          if (!tab_or_newline && is_other(c)) return;  // NUL too
          if (tab_or_newline || is_white_space(c)) c = ' ';
        }
        emit(lowercase_ && c >= 'A' && c <= 'Z' ? c + 32 : c);
      });
      return;
    }
    if (clean_text_ || chinese_) {
      transform(text, [&](char32_t c, auto emit) {
        if (clean_text_) {
          const bool tab_or_newline = c == '\t' || c == '\n' || c == '\r';
          if (c == 0 || c == 0xFFFD || (!tab_or_newline && is_other(c))) return;
          if (tab_or_newline || is_white_space(c)) c = ' ';
        }
        if (chinese_ && is_chinese_char(c)) {
          emit(' ');
          emit(c);
          emit(' ');
        } else {
          emit(c);
        }
      });
    }
    if (strip_accents_) {
      normalize_form(text, Form::nfd);
      transform(text, [](char32_t c, auto emit) {
        if (c < 0x80 || u_charType(static_cast<UChar32>(c)) != U_NON_SPACING_MARK) emit(c);
      });
    }
    if (lowercase_) Lowercase().normalize(text);
  }

 private:
  bool clean_text_, chinese_, lowercase_, strip_accents_;
};

class Strip : public Normalizer {
 public:
  explicit Strip(const JsonNode& node)
      : left_(node.boolean("strip_left", true)), right_(node.boolean("strip_right", true)) {}
  void normalize(AlignedText& text) const override {
    const std::string& bytes = text.text();
    size_t begin = bytes.size(), end = 0;  // the first and past the last non-space character
    for (size_t i = 0; i < bytes.size();) {
      const size_t at = i;
      if (is_white_space(next_code_point(bytes, i))) continue;
      begin = std::min(begin, at);
      end = i;
    }
    if (begin > end) begin = end = left_ ? bytes.size() : 0;  // nothing but spaces
    if (!left_) begin = 0;
    if (!right_) end = bytes.size();
    if (begin != 0 || end != bytes.size()) text = text.slice(begin, std::max(begin, end));
  }

 private:
  bool left_, right_;
};

class Replace : public Normalizer {
 public:
  explicit Replace(const JsonNode& node)
      : pattern_(node.at("pattern")), content_(node.at("content").string()) {}
  void normalize(AlignedText& text) const override {
    std::vector<Span> matches;
    pattern_.find_all(text.text(), matches);
    if (matches.empty()) return;
    AlignedText out;
    size_t previous = 0;
    for (const Span& match : matches) {
      out.append(text, previous, match.begin);
      // NormalizedString::replace inserts the content after the match: it takes the span of
      // the match's last character.
      if (match.end > match.begin) out.push_bytes(content_, text.source_at(match.end - 1));
      previous = match.end;
    }
    out.append(text, previous, text.size());
    text = std::move(out);
  }

 private:
  Pattern pattern_;
  std::string content_;
};

class Prepend : public Normalizer {
 public:
  explicit Prepend(const JsonNode& node) : prefix_(node.at("prepend").string()) {}
  void normalize(AlignedText& text) const override {
    if (text.empty()) return;
    AlignedText out;
    out.push_bytes(prefix_, text.source_at(0));  // NormalizedString::prepend: the first character's
    out.append(text, 0, text.size());
    text = std::move(out);
  }

 private:
  std::string prefix_;
};

class Precompiled : public Normalizer {
 public:
  explicit Precompiled(const JsonNode& node) : charsmap_(node.at("precompiled_charsmap")) {}
  void normalize(AlignedText& text) const override { charsmap_.normalize(text); }

 private:
  PrecompiledCharsmap charsmap_;
};

class Sequence : public Normalizer {
 public:
  explicit Sequence(const JsonNode& node) {
    const JsonNode list = node.at("normalizers");
    for (size_t i = 0; i < list.size(); ++i) {
      auto normalizer = make_normalizer(list.at(i));
      if (normalizer) steps_.push_back(std::move(normalizer));
    }
  }
  void normalize(AlignedText& text) const override {
    for (const auto& step : steps_) step->normalize(text);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace

std::unique_ptr<Normalizer> make_normalizer(const JsonNode& node) {
  if (node.is_null()) return nullptr;
  const std::string type = node.type();
  if (type == "BertNormalizer") return std::make_unique<BertNormalizer>(node);
  if (type == "NFC") return std::make_unique<UnicodeForm>(Form::nfc);
  if (type == "NFD") return std::make_unique<UnicodeForm>(Form::nfd);
  if (type == "NFKC") return std::make_unique<UnicodeForm>(Form::nfkc);
  if (type == "NFKD") return std::make_unique<UnicodeForm>(Form::nfkd);
  if (type == "Lowercase") return std::make_unique<Lowercase>();
  if (type == "StripAccents") return std::make_unique<StripAccents>();
  if (type == "Strip") return std::make_unique<Strip>(node);
  if (type == "Replace") return std::make_unique<Replace>(node);
  if (type == "Prepend") return std::make_unique<Prepend>(node);
  if (type == "Sequence") return std::make_unique<Sequence>(node);
  if (type == "Precompiled") return std::make_unique<Precompiled>(node);
  node.at("type").fail("unknown normalizer type '" + type + "'");
}

}  // namespace ordo::tokenizer::hf

#include "pre_tokenizers.h"

#include <unicode/uchar.h>
#include <unicode/uscript.h>

#include <algorithm>
#include <array>
#include <string>

#include "json_node.h"
#include "normalizers.h"
#include "pattern.h"

namespace ordo::tokenizer::hf {
namespace {

// Cuts every segment that is not an added token with `cut(text, out_spans)`, which may first
// rewrite the text it cuts; empty pieces are dropped, as PreTokenizedString::split does.
template <typename Cut>
void split_segments(Segments& segments, Cut cut) {
  Segments out;
  out.reserve(segments.size());
  std::vector<Span> spans;
  for (Segment& segment : segments) {
    if (segment.added_id >= 0) {
      out.push_back(std::move(segment));
      continue;
    }
    spans.clear();
    cut(segment.text, spans);
    if (spans.size() == 1 && spans[0].begin == 0 && spans[0].end == segment.text.size() &&
        !segment.text.empty()) {
      out.push_back(std::move(segment));  // not cut: kept as it is rather than copied
      continue;
    }
    if (out.capacity() < out.size() + spans.size())  // one move of the pieces, not several
      out.reserve(std::max(2 * out.capacity(), out.size() + spans.size()));
    for (const Span& span : spans) {
      if (span.end > span.begin) out.push_back({segment.text.slice(span.begin, span.end), -1});
    }
  }
  segments = std::move(out);
}

template <typename Predicate>
void split_on_chars(Segments& segments, Predicate is_delimiter, SplitBehavior behavior) {
  split_segments(segments, [&](AlignedText& text, std::vector<Span>& out) {
    out = split_spans(pieces_from_chars(text.text(), is_delimiter), behavior);
  });
}

// Whitespace removed, then each punctuation character isolated: both splits in one pass, which
// gives the same pieces without copying every word in between.
class BertPreTokenizer : public PreTokenizer {
 public:
  void pre_tokenize(Segments& segments) const override {
    split_segments(segments, [](AlignedText& text, std::vector<Span>& out) {
      const std::string& bytes = text.text();
      bool in_word = false;
      for (size_t i = 0; i < bytes.size();) {
        const size_t begin = i;
        const char32_t c = next_code_point(bytes, i);
        const bool space = is_white_space(c);
        if (!space && in_word && !is_punctuation(c)) {
          out.back().end = i;
          continue;
        }
        if (!space) out.push_back({begin, i});
        in_word = !space && !is_punctuation(c);
      }
    });
  }
};

class WhitespaceSplit : public PreTokenizer {
 public:
  void pre_tokenize(Segments& segments) const override {
    split_on_chars(segments, is_white_space, SplitBehavior::removed);
  }
};

// `\w+|[^\w\s]+`, the matches kept: runs of word characters and runs of other non-spaces.
class Whitespace : public PreTokenizer {
 public:
  void pre_tokenize(Segments& segments) const override {
    split_segments(segments, [](AlignedText& text, std::vector<Span>& out) {
      const std::string& bytes = text.text();
      int run_class = 0;  // 0: space, 1: word, 2: other
      for (size_t i = 0; i < bytes.size();) {
        const size_t begin = i;
        const char32_t c = next_code_point(bytes, i);
        const int cls = is_word_char(c) ? 1 : is_white_space(c) ? 0 : 2;
        if (cls != 0 && cls == run_class)
          out.back().end = i;
        else if (cls != 0)
          out.push_back({begin, i});
        run_class = cls;
      }
    });
  }
};

class Metaspace : public PreTokenizer {
 public:
  explicit Metaspace(const JsonNode& node) {
    const JsonNode replacement = node.at("replacement");
    const std::string text = replacement.string();
    size_t i = 0;
    if (text.empty() || (replacement_ = next_code_point(text, i), i != text.size()))
      replacement.fail("must be exactly one character");
    append_utf8(replacement_text_, replacement_);
    if (node.has("prepend_scheme")) {
      const JsonNode scheme = node.at("prepend_scheme");
      const std::string name = scheme.string();
      if (name == "always")
        scheme_ = Scheme::always;
      else if (name == "first")
        scheme_ = Scheme::first;
      else if (name == "never")
        scheme_ = Scheme::never;
      else
        scheme.fail("unknown prepend_scheme '" + name + "' (expected always, first or never)");
    } else if (node.has("add_prefix_space")) {  // files written before prepend_scheme existed
      scheme_ = node.at("add_prefix_space").boolean() ? Scheme::always : Scheme::never;
    }
    split_ = node.boolean("split", true);
  }

  void pre_tokenize(Segments& segments) const override {
    split_segments(segments, [&](AlignedText& text, std::vector<Span>& out) {
      AlignedText replaced;
      const std::string& bytes = text.text();
      const bool prepend =
          (scheme_ == Scheme::always || (scheme_ == Scheme::first && text.original().begin == 0)) &&
          bytes.compare(0, replacement_text_.size(), replacement_text_) != 0 &&
          !(!bytes.empty() && bytes[0] == ' ');
      // NormalizedString::prepend: the first character's span (a point for no text).
      if (prepend)
        replaced.push(replacement_, bytes.empty() ? text.original(0, 0) : text.source_at(0));
      transform_into(text, replaced);
      text = std::move(replaced);  // the spans below refer to the rewritten text
      if (!split_) {
        out.push_back({0, text.size()});
        return;
      }
      const std::string& rewritten = text.text();
      out = split_spans(pieces_from_chars(rewritten, [&](char32_t c) { return c == replacement_; }),
                        SplitBehavior::merged_with_next);
    });
  }

 private:
  enum class Scheme { always, first, never };
  void transform_into(const AlignedText& text, AlignedText& out) const {
    const std::string& bytes = text.text();
    for (size_t i = 0; i < bytes.size();) {
      const Span source = text.source_at(i);
      const char32_t c = next_code_point(bytes, i);
      out.push(c == ' ' ? replacement_ : c, source);
    }
  }
  char32_t replacement_ = U'\u2581';
  std::string replacement_text_;
  Scheme scheme_ = Scheme::always;
  bool split_ = true;
};

class ByteLevel : public PreTokenizer {
 public:
  explicit ByteLevel(const JsonNode& node)
      : add_prefix_space_(node.boolean("add_prefix_space", true)),
        use_regex_(node.boolean("use_regex", true)),
        regex_(kGpt2, node) {}

  void pre_tokenize(Segments& segments) const override {
    split_segments(segments, [&](AlignedText& text, std::vector<Span>& out) {
      if (add_prefix_space_ && (text.empty() || text.text()[0] != ' ')) {
        AlignedText prefixed;
        prefixed.reserve(text.size() + 1);
        prefixed.push(' ', text.empty() ? text.original(0, 0) : text.source_at(0));  // as prepend
        prefixed.append(text, 0, text.size());
        text = std::move(prefixed);
      }
      if (!use_regex_) {
        out.push_back({0, text.size()});
      } else {
        std::vector<Span> matches;
        regex_.find_all(text.text(), matches);
        out = split_spans(pieces_from_matches(matches, text.size()), SplitBehavior::isolated);
      }
    });
    // Every byte becomes one printable character.
    for (Segment& segment : segments) {
      if (segment.added_id >= 0) continue;
      const AlignedText& text = segment.text;
      AlignedText mapped;
      mapped.reserve(text.size() * 2);
      for (size_t i = 0; i < text.size(); ++i)
        mapped.push(byte_to_char(static_cast<uint8_t>(text.text()[i])), text.source_at(i));
      segment.text = std::move(mapped);
    }
  }

 private:
  static constexpr const char* kGpt2 =
      R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
  bool add_prefix_space_, use_regex_;
  Regex regex_;
};

class Split : public PreTokenizer {
 public:
  explicit Split(const JsonNode& node)
      : pattern_(node.at("pattern")),
        behavior_(parse_behavior(node.at("behavior"))),
        invert_(node.boolean("invert", false)) {}
  void pre_tokenize(Segments& segments) const override {
    std::vector<Span> matches;
    split_segments(segments, [&](AlignedText& text, std::vector<Span>& out) {
      pattern_.find_all(text.text(), matches);
      Pieces pieces = pieces_from_matches(matches, text.size());
      if (invert_) invert(pieces);
      out = split_spans(pieces, behavior_);
    });
  }

 private:
  Pattern pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

class Punctuation : public PreTokenizer {
 public:
  explicit Punctuation(const JsonNode& node)
      : behavior_(node.has("behavior") ? parse_behavior(node.at("behavior"))
                                       : SplitBehavior::isolated) {}
  void pre_tokenize(Segments& segments) const override {
    split_on_chars(segments, is_punctuation, behavior_);
  }

 private:
  SplitBehavior behavior_;
};

class Digits : public PreTokenizer {
 public:
  explicit Digits(const JsonNode& node) : individual_(node.boolean("individual_digits", false)) {}
  void pre_tokenize(Segments& segments) const override {
    // Rust's char::is_numeric: Nd, Nl and No.
    const auto numeric = [](char32_t c) { return (U_GET_GC_MASK(c) & U_GC_N_MASK) != 0; };
    split_on_chars(segments, numeric,
                   individual_ ? SplitBehavior::isolated : SplitBehavior::contiguous);
  }

 private:
  bool individual_;
};

class UnicodeScripts : public PreTokenizer {
 public:
  void pre_tokenize(Segments& segments) const override {
    split_segments(segments, [](AlignedText& text, std::vector<Span>& out) {
      // As tokenizers writes it: a cut before each character whose script differs from the
      // last one seen; a leading run of spaces before the first cut is dropped with it.
      constexpr int kNone = -2;
      int last = kNone;
      std::vector<size_t> cuts;
      const std::string& bytes = text.text();
      for (size_t i = 0; i < bytes.size();) {
        const size_t begin = i;
        const int script = fixed_script(next_code_point(bytes, i));
        if (script == kAny) continue;
        if (last != script) cuts.push_back(begin);
        last = script;
      }
      cuts.push_back(bytes.size());
      for (size_t k = 0; k + 1 < cuts.size(); ++k) out.push_back({cuts[k], cuts[k + 1]});
    });
  }

 private:
  static constexpr int kAny = -1;
  // tokenizers' fixed_script: spaces go with anything, kana count as Han.
  static int fixed_script(char32_t c) {
    if (c == 0x30FC) return USCRIPT_HAN;
    if (c == ' ') return kAny;
    UErrorCode status = U_ZERO_ERROR;
    const UScriptCode script = uscript_getScript(static_cast<UChar32>(c), &status);
    if (script == USCRIPT_HIRAGANA || script == USCRIPT_KATAKANA) return USCRIPT_HAN;
    if (script == USCRIPT_UNKNOWN) return kAny;
    return script;
  }
};

class Sequence : public PreTokenizer {
 public:
  explicit Sequence(const JsonNode& node) {
    const JsonNode list = node.at("pretokenizers");
    for (size_t i = 0; i < list.size(); ++i) {
      auto step = make_pre_tokenizer(list.at(i));
      if (step) steps_.push_back(std::move(step));
    }
  }
  void pre_tokenize(Segments& segments) const override {
    for (const auto& step : steps_) step->pre_tokenize(segments);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

std::array<char32_t, 256> make_byte_chars() {
  std::array<char32_t, 256> chars{};
  char32_t next = 256;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    chars[static_cast<size_t>(b)] = printable ? static_cast<char32_t>(b) : next++;
  }
  return chars;
}

const std::array<char32_t, 256> kByteChars = make_byte_chars();

}  // namespace

char32_t byte_to_char(uint8_t byte) {
  return kByteChars[byte];
}

int char_to_byte(char32_t c) {
  if (c < 256) {
    const bool printable = (c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || c >= 0xAE;
    return printable ? static_cast<int>(c) : -1;
  }
  for (int b = 0; b < 256; ++b)
    if (kByteChars[static_cast<size_t>(b)] == c) return b;
  return -1;
}

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const JsonNode& node) {
  if (node.is_null()) return nullptr;
  const std::string type = node.type();
  if (type == "BertPreTokenizer") return std::make_unique<BertPreTokenizer>();
  if (type == "ByteLevel") return std::make_unique<ByteLevel>(node);
  if (type == "Whitespace") return std::make_unique<Whitespace>();
  if (type == "WhitespaceSplit") return std::make_unique<WhitespaceSplit>();
  if (type == "Metaspace") return std::make_unique<Metaspace>(node);
  if (type == "Split") return std::make_unique<Split>(node);
  if (type == "Punctuation") return std::make_unique<Punctuation>(node);
  if (type == "Digits") return std::make_unique<Digits>(node);
  if (type == "UnicodeScripts") return std::make_unique<UnicodeScripts>();
  if (type == "Sequence") return std::make_unique<Sequence>(node);
  node.at("type").fail("unknown pre_tokenizer type '" + type + "'");
}

}  // namespace ordo::tokenizer::hf

#include "decoders.h"

#include <algorithm>
#include <cctype>

#include "aligned_text.h"
#include "json_node.h"
#include "pattern.h"
#include "pre_tokenizers.h"
#include "utf8.h"

namespace ordo::tokenizer::hf {
namespace {

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

char32_t single_char(const JsonNode& node) {
  const std::string text = node.string();
  size_t i = 0;
  if (text.empty()) node.fail("must be exactly one character");
  const char32_t c = next_code_point(text, i);
  if (i != text.size()) node.fail("must be exactly one character");
  return c;
}

class WordPiece : public Decoder {
 public:
  explicit WordPiece(const JsonNode& node)
      : prefix_(node.optional_string("prefix").value_or("##")),
        cleanup_(node.boolean("cleanup", true)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string& token = tokens[i];
      if (i != 0) {
        if (token.compare(0, prefix_.size(), prefix_) == 0)
          token.erase(0, prefix_.size());
        else
          token.insert(0, " ");
      }
      if (cleanup_) {
        static const std::pair<const char*, const char*> kCleanups[] = {
            {" .", "."},   {" ?", "?"},     {" !", "!"},    {" ,", ","},
            {" ' ", "'"},  {" n't", "n't"}, {" 'm", "'m"},  {" do not", " don't"},
            {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
        for (const auto& [from, to] : kCleanups) replace_all(token, from, to);
      }
    }
  }

 private:
  std::string prefix_;
  bool cleanup_;
};

// Every character back to its byte; the bytes of all tokens read as UTF-8, invalid sequences
// as U+FFFD (String::from_utf8_lossy).
std::string lossy_utf8(const std::string& bytes) {
  std::string out;
  for (size_t i = 0; i < bytes.size();) {
    const size_t valid = valid_prefix(bytes, i);
    if (valid != 0 && valid == utf8_sequence_length(static_cast<unsigned char>(bytes[i]))) {
      out.append(bytes, i, valid);
      i += valid;
    } else {
      out += "\xEF\xBF\xBD";  // one U+FFFD per maximal invalid prefix, as Rust does
      i += std::max<size_t>(valid, 1);
    }
  }
  return out;
}

class ByteLevel : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const std::string& token : tokens) {
      for (size_t i = 0; i < token.size();) {
        const size_t begin = i;
        const int byte = char_to_byte(next_code_point(token, i));
        if (byte >= 0)
          bytes += static_cast<char>(byte);
        else
          bytes.append(token, begin, i - begin);
      }
    }
    tokens.assign(1, lossy_utf8(bytes));
  }
};

class Metaspace : public Decoder {
 public:
  explicit Metaspace(const JsonNode& node) : replacement_(single_char(node.at("replacement"))) {
    if (node.has("prepend_scheme"))
      prepend_ = node.at("prepend_scheme").string() != "never";
    else if (node.has("add_prefix_space"))
      prepend_ = node.at("add_prefix_space").boolean();
  }
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string out;
      const std::string& token = tokens[i];
      for (size_t k = 0; k < token.size();) {
        const char32_t c = next_code_point(token, k);
        if (c != replacement_)
          append_utf8(out, c);
        else if (!(i == 0 && prepend_))
          out += ' ';
      }
      tokens[i] = std::move(out);
    }
  }

 private:
  char32_t replacement_;
  bool prepend_ = true;
};

class ByteFallback : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string bytes;
    auto flush = [&] {
      if (bytes.empty()) return;
      if (lossy_utf8(bytes) == bytes)
        out.push_back(bytes);
      else
        for (size_t k = 0; k < bytes.size(); ++k) out.emplace_back("\xEF\xBF\xBD");
      bytes.clear();
    };
    for (std::string& token : tokens) {
      if (token.size() == 6 && token.compare(0, 3, "<0x") == 0 && token[5] == '>' &&
          std::isxdigit(static_cast<unsigned char>(token[3])) &&
          std::isxdigit(static_cast<unsigned char>(token[4]))) {
        bytes += static_cast<char>(std::stoi(token.substr(3, 2), nullptr, 16));
        continue;
      }
      flush();
      out.push_back(std::move(token));
    }
    flush();
    tokens = std::move(out);
  }
};

class Fuse : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string joined;
    for (const std::string& token : tokens) joined += token;
    tokens.clear();
    tokens.push_back(std::move(joined));
  }
};

class Strip : public Decoder {
 public:
  explicit Strip(const JsonNode& node)
      : content_(single_char(node.at("content"))),
        start_(static_cast<size_t>(node.integer("start", 0, 0, 1 << 20))),
        stop_(static_cast<size_t>(node.integer("stop", 0, 0, 1 << 20))) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& token : tokens) {
      std::vector<char32_t> chars;
      for (size_t k = 0; k < token.size();) chars.push_back(next_code_point(token, k));
      size_t begin = 0, end = chars.size();
      while (begin < start_ && begin < chars.size() && chars[begin] == content_) ++begin;
      for (size_t i = 0; i < stop_ && end > begin && chars[end - 1] == content_; ++i) --end;
      std::string out;
      for (size_t k = begin; k < end; ++k) append_utf8(out, chars[k]);
      token = std::move(out);
    }
  }

 private:
  char32_t content_;
  size_t start_, stop_;
};

class Replace : public Decoder {
 public:
  explicit Replace(const JsonNode& node)
      : pattern_(node.at("pattern")), content_(node.at("content").string()) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<Span> matches;
    for (std::string& token : tokens) {
      pattern_.find_all(token, matches);
      if (matches.empty()) continue;
      std::string out;
      size_t previous = 0;
      for (const Span& match : matches) {
        out.append(token, previous, match.begin - previous);
        out += content_;
        previous = match.end;
      }
      out.append(token, previous, std::string::npos);
      token = std::move(out);
    }
  }

 private:
  Pattern pattern_;
  std::string content_;
};

class BpeDecoder : public Decoder {
 public:
  explicit BpeDecoder(const JsonNode& node)
      : suffix_(node.optional_string("suffix").value_or("</w>")) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i)
      replace_all(tokens[i], suffix_, i + 1 == tokens.size() ? "" : " ");
  }

 private:
  std::string suffix_;
};

class Sequence : public Decoder {
 public:
  explicit Sequence(const JsonNode& node) {
    const JsonNode list = node.at("decoders");
    for (size_t i = 0; i < list.size(); ++i) {
      auto step = make_decoder(list.at(i));
      if (step) steps_.push_back(std::move(step));
    }
  }
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& step : steps_) step->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> steps_;
};

}  // namespace

std::unique_ptr<Decoder> make_decoder(const JsonNode& node) {
  if (node.is_null()) return nullptr;
  const std::string type = node.type();
  if (type == "WordPiece") return std::make_unique<WordPiece>(node);
  if (type == "ByteLevel") return std::make_unique<ByteLevel>();
  if (type == "Metaspace") return std::make_unique<Metaspace>(node);
  if (type == "ByteFallback") return std::make_unique<ByteFallback>();
  if (type == "Fuse") return std::make_unique<Fuse>();
  if (type == "Strip") return std::make_unique<Strip>(node);
  if (type == "Replace") return std::make_unique<Replace>(node);
  if (type == "BPEDecoder") return std::make_unique<BpeDecoder>(node);
  if (type == "Sequence") return std::make_unique<Sequence>(node);
  node.at("type").fail("unknown decoder type '" + type + "'");
}

}  // namespace ordo::tokenizer::hf

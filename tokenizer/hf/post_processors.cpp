#include "post_processors.h"

#include <map>

#include "json_node.h"
#include "normalizers.h"
#include "pre_tokenizers.h"

namespace ordo::tokenizer::hf {

void Part::add(Token token, int32_t type_id, int which, bool is_special) {
  tokens.push_back(std::move(token));
  type_ids.push_back(type_id);
  sequence.push_back(which);
  special.push_back(is_special);
}

void Part::reserve(size_t count) {
  tokens.reserve(count);
  type_ids.reserve(count);
  sequence.reserve(count);
  special.reserve(count);
}

namespace {

// ["[CLS]", 101]
Token special_pair(const JsonNode& node) {
  if (node.size() != 2) node.fail("expected [token, id]");
  return {static_cast<int32_t>(node.at(size_t{1}).integer(0, kMaxVocabularyId)),
          node.at(size_t{0}).string(),
          {}};
}

void set_types(Part& part, int32_t type_id) {
  part.type_ids.assign(part.tokens.size(), type_id);
}

Part special_part(const Token& token, int32_t type_id) {
  Part part;
  part.add(token, type_id, -1, true);
  return part;
}

class Bert : public PostProcessor {
 public:
  explicit Bert(const JsonNode& node)
      : sep_(special_pair(node.at("sep"))), cls_(special_pair(node.at("cls"))) {}
  size_t added_tokens(bool pair) const override { return pair ? 3 : 2; }
  void process(std::vector<Part>& parts, bool add_special_tokens) const override {
    if (!add_special_tokens) return;
    std::vector<Part> out;
    out.push_back(special_part(cls_, 0));
    set_types(parts[0], 0);
    out.push_back(std::move(parts[0]));
    out.push_back(special_part(sep_, 0));
    if (parts.size() > 1) {
      set_types(parts[1], 1);
      out.push_back(std::move(parts[1]));
      out.push_back(special_part(sep_, 1));
    }
    parts = std::move(out);
  }

 private:
  Token sep_, cls_;
};

// tokenizers' process_offsets: leading and trailing spaces ('Ġ' or whitespace) of a token are
// not part of its offsets (one leading space kept for the first token with add_prefix_space).
void trim_offsets(Part& part, bool add_prefix_space) {
  for (size_t i = 0; i < part.tokens.size(); ++i) {
    Token& token = part.tokens[i];
    std::vector<char32_t> chars;
    for (size_t k = 0; k < token.value.size();) chars.push_back(next_code_point(token.value, k));
    const auto is_space = [](char32_t c) { return c == byte_to_char(' ') || is_white_space(c); };
    size_t leading = 0, trailing = 0;
    while (leading < chars.size() && is_space(chars[leading])) ++leading;
    while (trailing < chars.size() && is_space(chars[chars.size() - 1 - trailing])) ++trailing;
    if (leading > 0) {
      const bool first = i == 0 || token.span.begin == 0;
      if (!(first && add_prefix_space && leading == 1))
        token.span.begin = std::min(token.span.begin + leading, token.span.end);
    }
    if (trailing > 0 && token.span.end >= trailing)
      token.span.end = std::max(token.span.end - trailing, token.span.begin);
  }
}

class Roberta : public PostProcessor {
 public:
  explicit Roberta(const JsonNode& node)
      : sep_(special_pair(node.at("sep"))),
        cls_(special_pair(node.at("cls"))),
        trim_offsets_(node.boolean("trim_offsets", true)),
        add_prefix_space_(node.boolean("add_prefix_space", true)) {}
  size_t added_tokens(bool pair) const override { return pair ? 4 : 2; }
  void process(std::vector<Part>& parts, bool add_special_tokens) const override {
    for (Part& part : parts) {
      if (trim_offsets_) trim_offsets(part, add_prefix_space_);
      set_types(part, 0);  // every RoBERTa token type is 0
    }
    if (!add_special_tokens) return;
    std::vector<Part> out;
    out.push_back(special_part(cls_, 0));
    out.push_back(std::move(parts[0]));
    out.push_back(special_part(sep_, 0));
    if (parts.size() > 1) {
      out.push_back(special_part(sep_, 0));
      out.push_back(std::move(parts[1]));
      out.push_back(special_part(sep_, 0));
    }
    parts = std::move(out);
  }

 private:
  Token sep_, cls_;
  bool trim_offsets_, add_prefix_space_;
};

class ByteLevelOffsets : public PostProcessor {
 public:
  explicit ByteLevelOffsets(const JsonNode& node)
      : trim_offsets_(node.boolean("trim_offsets", true)),
        add_prefix_space_(node.boolean("add_prefix_space", true)) {}
  size_t added_tokens(bool) const override { return 0; }
  void process(std::vector<Part>& parts, bool) const override {
    if (!trim_offsets_) return;
    for (Part& part : parts) trim_offsets(part, add_prefix_space_);
  }

 private:
  bool trim_offsets_, add_prefix_space_;
};

class Template : public PostProcessor {
 public:
  explicit Template(const JsonNode& node) {
    const JsonNode specials = node.has("special_tokens") ? node.at("special_tokens") : node;
    if (node.has("special_tokens")) {
      specials.require_object();
      for (const auto& [name, value] : specials.value().items()) {
        const JsonNode entry = specials.member(name, value);
        const JsonNode ids = entry.at("ids");
        const JsonNode tokens = entry.at("tokens");
        if (ids.size() != tokens.size()) entry.fail("'ids' and 'tokens' differ in length");
        std::vector<Token> list;
        for (size_t i = 0; i < ids.size(); ++i)
          list.push_back({static_cast<int32_t>(ids.at(i).integer(0, kMaxVocabularyId)),
                          tokens.at(i).string(),
                          {}});
        specials_[name] = std::move(list);
      }
    }
    single_ = read(node.at("single"));
    pair_ = read(node.at("pair"));
  }

  size_t added_tokens(bool pair) const override {
    size_t count = 0;
    for (const Item& item : pair ? pair_ : single_)
      if (item.special) count += item.special->size();
    return count;
  }

  void process(std::vector<Part>& parts, bool add_special_tokens) const override {
    std::vector<Part> out;
    for (const Item& item : parts.size() > 1 ? pair_ : single_) {
      if (item.special) {
        if (!add_special_tokens) continue;
        Part part;
        for (const Token& token : *item.special) part.add(token, item.type_id, -1, true);
        out.push_back(std::move(part));
        continue;
      }
      if (static_cast<size_t>(item.sequence) >= parts.size()) continue;
      Part part = parts[static_cast<size_t>(item.sequence)];  // a template may use a text twice
      set_types(part, item.type_id);
      part.sequence.assign(part.tokens.size(), item.sequence);
      out.push_back(std::move(part));
    }
    parts = std::move(out);
  }

 private:
  struct Item {
    const std::vector<Token>* special = nullptr;  // a special token, or
    int sequence = 0;                             // text A (0) or B (1)
    int32_t type_id = 0;
  };

  std::vector<Item> read(const JsonNode& list) const {
    std::vector<Item> items;
    for (size_t i = 0; i < list.size(); ++i) {
      const JsonNode entry = list.at(i);
      Item item;
      if (entry.has("SpecialToken")) {
        const JsonNode special = entry.at("SpecialToken");
        const JsonNode id = special.at("id");
        const auto found = specials_.find(id.string());
        if (found == specials_.end())
          id.fail("special token '" + id.string() + "' is not in /post_processor/special_tokens");
        item.special = &found->second;
        item.type_id = static_cast<int32_t>(special.integer("type_id", 0, 0, 1 << 20));
      } else if (entry.has("Sequence")) {
        const JsonNode sequence = entry.at("Sequence");
        const JsonNode id = sequence.at("id");
        const std::string name = id.string();
        if (name != "A" && name != "B") id.fail("expected \"A\" or \"B\", got '" + name + "'");
        item.sequence = name == "A" ? 0 : 1;
        item.type_id = static_cast<int32_t>(sequence.integer("type_id", 0, 0, 1 << 20));
      } else {
        entry.fail("expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
      }
      items.push_back(item);
    }
    return items;
  }

  std::map<std::string, std::vector<Token>> specials_;
  std::vector<Item> single_, pair_;
};

class Sequence : public PostProcessor {
 public:
  explicit Sequence(const JsonNode& node) {
    const JsonNode list = node.at("processors");
    for (size_t i = 0; i < list.size(); ++i) {
      auto step = make_post_processor(list.at(i));
      if (step) steps_.push_back(std::move(step));
    }
  }
  size_t added_tokens(bool pair) const override {
    size_t count = 0;
    for (const auto& step : steps_) count += step->added_tokens(pair);
    return count;
  }
  void process(std::vector<Part>& parts, bool add_special_tokens) const override {
    for (const auto& step : steps_) step->process(parts, add_special_tokens);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> steps_;
};

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const JsonNode& node) {
  if (node.is_null()) return nullptr;
  const std::string type = node.type();
  if (type == "TemplateProcessing") return std::make_unique<Template>(node);
  if (type == "BertProcessing") return std::make_unique<Bert>(node);
  if (type == "RobertaProcessing") return std::make_unique<Roberta>(node);
  if (type == "ByteLevel") return std::make_unique<ByteLevelOffsets>(node);
  if (type == "Sequence") return std::make_unique<Sequence>(node);
  node.at("type").fail("unknown post_processor type '" + type + "'");
}

}  // namespace ordo::tokenizer::hf

#pragma once
// Text -> model ids, as a model family expects them: SentencePiece pieces, the checkpoint's id
// scheme, and the family's template for single sentences and pairs, with truncation.
//   bert    [CLS] A [SEP] B [SEP]      token types 0 for [CLS] A [SEP], 1 for B [SEP]
//   xlmr    <s> A </s></s> B </s>      token types all 0
//   marian  A B </s>                   token types all 0
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "id_scheme.h"
#include "sentencepiece_model.h"
#include "wordpiece.h"

namespace ordo::tokenizer {

namespace hf {
class HfTokenizer;
}

enum class Template { bert, xlmr, marian };
enum class Truncation { longest_first, error };

struct Encoding {
  std::vector<int32_t> ids;
  std::vector<int32_t> token_types;
  std::vector<std::string> tokens;  // piece strings; special tokens by name
  std::vector<int> sequence;        // 0 = first text, 1 = second text, -1 = special token
  std::vector<size_t> begin, end;   // byte span in its own text (0, 0 for special tokens)
  size_t truncated = 0;             // text tokens dropped to fit max_length
};

// The file names a model directory's tokenizer is found by, in the order
// Tokenizer::from_directory looks for them, and whether `directory` holds any of them.
const std::vector<std::string>& tokenizer_file_names();
bool has_tokenizer_file(const std::filesystem::path& directory);

class Tokenizer {
 public:
  // Finds the tokenizer in a model directory by the usual file names: tokenizer.json (Hugging
  // Face's fast tokenizer: everything, template included, as the file says; it wins over the
  // rest, as in transformers), tokenizer.model (native ids, BERT template), sentencepiece.bpe.model
  // (fairseq ids, XLM-R template), spiece.model (native, BERT), source.spm + vocab.json (Marian),
  // vocab.txt (WordPiece, BERT template), reading tokenizer_config.json and special_tokens_map.json
  // when present for the special tokens' names, model_max_length and WordPiece's do_lower_case /
  // strip_accents / tokenize_chinese_chars, and a sentence-transformers sentence_bert_config.json
  // for max_seq_length and do_lower_case (lowercase the text before tokenizing); last, GPT-2 style
  // vocab.json + merges.txt (byte-level BPE, RoBERTa template <s> A </s></s> B </s>).
  static Tokenizer from_directory(const std::filesystem::path& directory);
  // A tokenizer.json file, or a directory as from_directory() reads it.
  static Tokenizer from_path(const std::filesystem::path& path);
  Tokenizer(std::unique_ptr<SentencePieceModel> model, IdScheme scheme, Template family,
            const std::filesystem::path& vocab_json = {});
  explicit Tokenizer(std::unique_ptr<WordPieceModel> model);
  explicit Tokenizer(std::unique_ptr<hf::HfTokenizer> tokenizer);
  ~Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;

  // max_length counts every token, special ones included; 0 means no limit. With
  // Truncation::error an input that does not fit throws ordo::Error instead. Without
  // add_special_tokens the template's special tokens are left out (Hugging Face's
  // add_special_tokens=False); token types stay those of the template.
  Encoding encode(std::string_view text, size_t max_length = 0,
                  Truncation truncation = Truncation::longest_first,
                  bool add_special_tokens = true) const;
  Encoding encode_pair(std::string_view first, std::string_view second, size_t max_length = 0,
                       Truncation truncation = Truncation::longest_first,
                       bool add_special_tokens = true) const;
  // Like encode(), but every occurrence of the mask token's text (e.g. "[MASK]") becomes the
  // mask id; the text around it is tokenized piece by piece as usual.
  Encoding encode_masked(std::string_view text, size_t max_length = 0,
                         Truncation truncation = Truncation::longest_first) const;
  // Model ids -> text; special tokens are skipped.
  std::string decode(const std::vector<int32_t>& ids) const;

  // The SentencePiece model and its id mapping; ordo::Error for a WordPiece tokenizer.
  const SentencePieceModel& model() const;
  const IdMapper& ids() const;
  bool is_wordpiece() const { return wordpiece_ != nullptr; }
  bool is_tokenizer_json() const { return hf_ != nullptr; }
  std::string token(int32_t id) const;  // model id -> token string, any backend
  int32_t vocab_size() const;
  Template family() const { return family_; }
  size_t model_max_length() const { return model_max_length_; }  // 0 when not declared
  std::optional<int32_t> mask_id() const;
  void set_special_token(const std::string& role, const std::string& token);  // "cls", "sep", ...

 private:
  struct Specials {
    std::string cls = "[CLS]", sep = "[SEP]", mask = "[MASK]";
  };
  Encoding build(const std::vector<Piece>* pieces[2], size_t max_length, Truncation truncation,
                 bool add_special_tokens = true) const;
  Encoding build_hf(std::string_view first, const std::string_view* second, size_t max_length,
                    Truncation truncation, bool add_special_tokens) const;
  // ids: SentencePiece's or WordPiece's. continuation: the text follows a special token inside a
  // longer text (SentencePieceModel::encode_continuation).
  std::vector<Piece> pieces(std::string_view text, bool continuation = false) const;
  int32_t special_id(const std::string& token) const;
  int32_t model_id(const Piece& piece) const;
  std::filesystem::path path() const;
  size_t special_count(bool pair) const;

  std::unique_ptr<SentencePieceModel> model_;  // SentencePiece backend, or
  std::unique_ptr<IdMapper> mapper_;
  std::unique_ptr<WordPieceModel> wordpiece_;  // WordPiece backend, or
  std::unique_ptr<hf::HfTokenizer> hf_;        // tokenizer.json backend
  // Text rewriting before the piece model, as the Python tokenizers do it.
  struct Preprocessing {
    bool lowercase = false;        // sentence-transformers / AlbertTokenizer do_lower_case
    bool collapse_spaces = false;  // AlbertTokenizer remove_space
    bool strip_accents = false;    // AlbertTokenizer without keep_accents: NFKD, drop marks
  };
  Preprocessing preprocessing_;
  std::string preprocess(std::string_view text) const;
  Template family_;
  Specials specials_;
  size_t model_max_length_ = 0;
};

}  // namespace ordo::tokenizer

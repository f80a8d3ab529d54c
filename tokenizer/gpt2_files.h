#pragma once
// A GPT-2 style tokenizer directory without tokenizer.json (GPT-2, RoBERTa, DistilRoBERTa):
// vocab.json and merges.txt, turned into the tokenizer.json that transformers' converters write
// for them: byte-level BPE; RoBERTa's template <s> A </s></s> B </s> with special tokens from
// tokenizer_config.json / special_tokens_map.json (defaults <s> </s> <unk> <pad> <mask>; the
// mask strips the space before it), or, for GPT-2 (tokenizer_class GPT2Tokenizer, or no <s> and
// </s> in the vocabulary), no template and <|endoftext|> as the special token.
#include <filesystem>
#include <nlohmann/json.hpp>

namespace ordo::tokenizer {

// `settings`: special_tokens_map.json updated by tokenizer_config.json (may be empty).
nlohmann::json gpt2_tokenizer_json(const std::filesystem::path& vocab_json,
                                   const std::filesystem::path& merges_txt,
                                   const nlohmann::json& settings);

}  // namespace ordo::tokenizer

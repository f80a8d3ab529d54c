#pragma once
// Strict UTF-8 checks for text that users hand to the tokenizer.
#include <string>
#include <string_view>

namespace ordo::tokenizer {

// Throws ordo::Error naming the byte offset of the first ill-formed sequence (overlong forms,
// surrogates and code points past U+10FFFF included) or of a NUL byte. `what` names the input.
void require_valid_utf8(std::string_view text, const std::string& what);

}  // namespace ordo::tokenizer

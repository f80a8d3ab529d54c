#pragma once
// Standard base64 (RFC 4648, with '=' padding): OpenAI's "base64" embedding format in the
// server and data: URIs for images embedded in SVG. Its own file so that the server's request
// parser (compiled alone into a fuzzer) does not pull in the picture code.
#include <string>

namespace ordo::cli {

std::string base64(const std::string& bytes);

}  // namespace ordo::cli

#pragma once
// SVG pictures for the CLI: attention maps labelled with their tokens, and drift bars.
#include <string>
#include <vector>

namespace ordo::cli {

struct AttentionMap {
  std::string title;
  std::vector<std::string> tokens;
  std::vector<float> weights;  // [tokens][tokens], row = query, column = key
};

struct DriftBar {
  std::string token;
  double value = 0;
};

// Maps side by side, then one bar per shared token; `caption` goes under the title.
std::string attention_pair_svg(const std::string& title, const std::string& caption,
                               const std::vector<AttentionMap>& maps,
                               const std::vector<DriftBar>& bars, const std::string& bar_label);

std::string xml_escape(const std::string& text);

}  // namespace ordo::cli

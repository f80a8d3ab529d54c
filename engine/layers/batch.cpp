#include "layers/batch.h"

#include <string>

#include "ordo/error.h"

namespace ordo::layers {

BatchLayout::BatchLayout(const std::vector<std::vector<int32_t>>& ids) {
  if (ids.empty()) throw Error("input batch is empty");
  for (size_t s = 0; s < ids.size(); ++s) {
    const auto length = static_cast<int64_t>(ids[s].size());
    if (length == 0) throw Error("input sequence " + std::to_string(s) + " has no tokens");
    lengths.push_back(length);
    first_row.push_back(total_tokens);
    if (!runs.empty() && runs.back().length == length) {
      ++runs.back().count;
    } else {
      runs.push_back({static_cast<int64_t>(s), 1, length, total_tokens});
    }
    total_tokens += length;
    if (length > longest) longest = length;
  }
}

}  // namespace ordo::layers

#pragma once
#include <cstdint>
#include <vector>

namespace ordo::layers {

// ALiBi's slope m_h for each of `heads` heads, by the paper's rule (get_slopes in Press et al.'s
// code), including heads counts that are not powers of two.
std::vector<float> alibi_slopes(int64_t heads);

}  // namespace ordo::layers

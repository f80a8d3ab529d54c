#pragma once
// Reproducible test inputs: uniform in [-1, 1] from a fixed seed.
#include <cstddef>
#include <random>
#include <vector>

namespace ordo::test {

inline std::vector<float> random_vector(size_t size, unsigned seed) {
  std::mt19937 generator(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> values(size);
  for (float& value : values) value = uniform(generator);
  return values;
}

}  // namespace ordo::test

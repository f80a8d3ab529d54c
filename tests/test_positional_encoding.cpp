// Sinusoidal tables against values computed by hand, the relative-position property from
// "Attention Is All You Need" (section 3.5), and the limits of a learned table; for the kinds
// inside attention, ALiBi's slopes against the paper's rule and T5/MPNet buckets against
// Hugging Face's function (tests/fixtures/positions/buckets.json).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "layers/alibi.h"
#include "layers/positional_encoding.h"
#include "layers/relative_buckets.h"
#include "ordo/error.h"

namespace ordo::test {
namespace {

using layers::sinusoidal_value;
constexpr auto kInterleaved = PositionKind::sinusoidal;
constexpr auto kBlocked = PositionKind::sinusoidal_blocked;

TEST(Sinusoidal, InterleavedGoldenValues) {
  // d = 4: frequencies 1 and 1/100.
  EXPECT_FLOAT_EQ(sinusoidal_value(kInterleaved, 0, 0, 4), 0.0f);
  EXPECT_FLOAT_EQ(sinusoidal_value(kInterleaved, 0, 1, 4), 1.0f);
  EXPECT_FLOAT_EQ(sinusoidal_value(kInterleaved, 1, 0, 4), 0.8414709848f);  // sin 1
  EXPECT_FLOAT_EQ(sinusoidal_value(kInterleaved, 1, 1, 4), 0.5403023059f);  // cos 1
  EXPECT_FLOAT_EQ(sinusoidal_value(kInterleaved, 2, 2, 4), 0.0199986667f);  // sin 0.02
  EXPECT_FLOAT_EQ(sinusoidal_value(kInterleaved, 2, 3, 4), 0.9998000067f);  // cos 0.02
  // d = 6, p = 3, pair 1: angle 3 / 10000^(2/6) = 0.13924766...
  EXPECT_FLOAT_EQ(sinusoidal_value(kInterleaved, 3, 2, 6), 0.1387981011f);
  EXPECT_FLOAT_EQ(sinusoidal_value(kInterleaved, 3, 3, 6), 0.9903206991f);
  // d = 8, p = 100, pair 2: angle 100 / 10000^(4/8) = 1.
  EXPECT_FLOAT_EQ(sinusoidal_value(kInterleaved, 100, 4, 8), 0.8414709848f);
  EXPECT_FLOAT_EQ(sinusoidal_value(kInterleaved, 100, 1, 8), 0.8623188723f);  // cos 100
}

TEST(Sinusoidal, BlockedGoldenValues) {
  // d = 4: [sin(p), sin(p/100), cos(p), cos(p/100)] as Hugging Face Marian lays it out.
  EXPECT_FLOAT_EQ(sinusoidal_value(kBlocked, 1, 0, 4), 0.8414709848f);
  EXPECT_FLOAT_EQ(sinusoidal_value(kBlocked, 1, 1, 4), 0.0099998333f);
  EXPECT_FLOAT_EQ(sinusoidal_value(kBlocked, 1, 2, 4), 0.5403023059f);
  EXPECT_FLOAT_EQ(sinusoidal_value(kBlocked, 1, 3, 4), 0.9999500004f);
  // Odd d = 5: ceil(5/2) = 3 sin columns, then 2 cos columns; p = 7.
  EXPECT_FLOAT_EQ(sinusoidal_value(kBlocked, 7, 1, 5), 0.1749274192f);  // sin(7/10000^(2/5))
  EXPECT_FLOAT_EQ(sinusoidal_value(kBlocked, 7, 2, 5), 0.0044166871f);  // sin(7/10000^(4/5))
  EXPECT_FLOAT_EQ(sinusoidal_value(kBlocked, 7, 4, 5), 0.9845813313f);  // cos(7/10000^(2/5))
  EXPECT_FLOAT_EQ(sinusoidal_value(kBlocked, 0, 3, 5), 1.0f);
}

// PE(p + k) is PE(p) rotated, per frequency pair, by an angle that depends only on k:
//   [sin((p+k)w)]   [ cos kw  sin kw] [sin pw]
//   [cos((p+k)w)] = [-sin kw  cos kw] [cos pw]
// with sin kw and cos kw read off PE(k) itself.
TEST(Sinusoidal, ShiftByKIsAFixedRotation) {
  const int64_t d = 16;
  for (int64_t pair = 0; pair < d / 2; ++pair) {
    for (int64_t k : {1, 5, 17, 60}) {
      const float sin_k = sinusoidal_value(kInterleaved, k, 2 * pair, d);
      const float cos_k = sinusoidal_value(kInterleaved, k, 2 * pair + 1, d);
      for (int64_t p = 0; p < 200; p += 7) {
        const float sin_p = sinusoidal_value(kInterleaved, p, 2 * pair, d);
        const float cos_p = sinusoidal_value(kInterleaved, p, 2 * pair + 1, d);
        EXPECT_NEAR(sinusoidal_value(kInterleaved, p + k, 2 * pair, d),
                    cos_k * sin_p + sin_k * cos_p, 1e-5)
            << "pair " << pair << " p " << p << " k " << k;
        EXPECT_NEAR(sinusoidal_value(kInterleaved, p + k, 2 * pair + 1, d),
                    -sin_k * sin_p + cos_k * cos_p, 1e-5)
            << "pair " << pair << " p " << p << " k " << k;
      }
    }
  }
}

TEST(Sinusoidal, BlockedIsAColumnPermutationOfInterleaved) {
  const int64_t d = 10;
  for (int64_t p : {0, 3, 250, 4000}) {
    for (int64_t i = 0; i < d / 2; ++i) {
      EXPECT_EQ(sinusoidal_value(kBlocked, p, i, d), sinusoidal_value(kInterleaved, p, 2 * i, d));
      EXPECT_EQ(sinusoidal_value(kBlocked, p, d / 2 + i, d),
                sinusoidal_value(kInterleaved, p, 2 * i + 1, d));
    }
  }
}

TEST(Sinusoidal, HasNoMaximumLength) {
  const auto encoding = layers::PositionalEncoding::create(kInterleaved, 6, {}, 0);
  EXPECT_EQ(encoding->max_positions(), 0);
  // Past the tabulated rows the values are computed on the fly and must agree.
  for (int64_t p : {1023, 1024, 100000}) {
    std::vector<float> row(6, 0.0f);
    encoding->add_to(p, row.data());
    for (int64_t c = 0; c < 6; ++c) EXPECT_EQ(row[c], sinusoidal_value(kInterleaved, p, c, 6)) << p;
  }
}

TEST(Learned, RejectsPositionsPastTheTable) {
  const std::vector<float> table(3 * 2, 0.5f);
  const auto encoding =
      layers::PositionalEncoding::create(PositionKind::learned, 2, {table.data(), {3, 2}}, 0);
  EXPECT_EQ(encoding->max_positions(), 3);
  std::vector<float> row(2, 0.0f);
  encoding->add_to(2, row.data());
  EXPECT_FLOAT_EQ(row[0], 0.5f);
  try {
    encoding->add_to(3, row.data());
    FAIL() << "position 3 of a 3-row table was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("position 3"), std::string::npos) << e.what();
  }
}

TEST(Learned, OffsetShiftsTheFirstPosition) {
  // RoBERTa-style tables start at pad_token_id + 1.
  const std::vector<float> table = {0, 0, 10, 20, 30, 40, 50, 60};
  const auto encoding =
      layers::PositionalEncoding::create(PositionKind::learned, 2, {table.data(), {4, 2}}, 1);
  EXPECT_EQ(encoding->max_positions(), 3);
  std::vector<float> row(2, 0.0f);
  encoding->add_to(0, row.data());
  EXPECT_FLOAT_EQ(row[0], 10.0f);
  EXPECT_FLOAT_EQ(row[1], 20.0f);
}

TEST(Learned, NeedsATable) {
  EXPECT_THROW(layers::PositionalEncoding::create(PositionKind::learned, 4, {}, 0), Error);
}

// Press et al.: for 8 heads the slopes are 1/2, 1/4, ..., 1/256; for a head count that is not
// a power of two, the slopes of the power of two below, then every other slope of the next.
TEST(Alibi, SlopesFollowThePapersRule) {
  const std::vector<float> eight = layers::alibi_slopes(8);
  ASSERT_EQ(eight.size(), 8u);
  for (int h = 0; h < 8; ++h) EXPECT_FLOAT_EQ(eight[h], std::ldexp(1.0f, -(h + 1))) << h;
  // 6 heads: 4 heads' 2^-2, 2^-4, 2^-6, 2^-8, then 8 heads' 2^-1, 2^-3.
  const std::vector<float> six = layers::alibi_slopes(6);
  const std::vector<float> six_expected = {0.25f, 0.0625f, 0.015625f, 0.00390625f, 0.5f, 0.125f};
  EXPECT_EQ(six, six_expected);
  // 12 heads: 8 heads' slopes, then 16 heads' 2^-0.5, 2^-1.5, 2^-2.5, 2^-3.5.
  const std::vector<float> twelve = layers::alibi_slopes(12);
  ASSERT_EQ(twelve.size(), 12u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_FLOAT_EQ(twelve[8 + i], static_cast<float>(std::pow(2.0, -0.5 - i))) << i;
  }
  EXPECT_EQ(layers::alibi_slopes(1), std::vector<float>{1.0f / 256});
}

TEST(RelativeBuckets, MatchHuggingFaceForEveryDistance) {
  std::ifstream file(std::string(ORDO_FIXTURES_DIR) + "/positions/buckets.json");
  ASSERT_TRUE(file) << "buckets.json missing";
  const nlohmann::json cases = nlohmann::json::parse(file).at("cases");
  ASSERT_GE(cases.size(), 4u);
  for (const auto& c : cases) {
    const RelativeBucketSettings settings{c.at("num_buckets").get<int64_t>(),
                                          c.at("max_distance").get<int64_t>()};
    const int64_t first = c.at("first").get<int64_t>();
    const auto& buckets = c.at("buckets");
    ASSERT_GT(buckets.size(), 500u);
    for (size_t i = 0; i < buckets.size(); ++i) {
      const int64_t relative = first + static_cast<int64_t>(i);
      ASSERT_EQ(layers::relative_position_bucket(relative, settings), buckets[i].get<int64_t>())
          << "relative position " << relative << ", " << settings.num_buckets << " buckets, "
          << "max distance " << settings.max_distance;
    }
  }
}

}  // namespace
}  // namespace ordo::test

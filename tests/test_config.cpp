// config.json validation and the check of every tensor's shape against it, before compute.
// Each case edits one field of a valid fixture and expects a message naming the file, the
// field or tensor, and what is wrong.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "safetensors_test_util.h"
#include "test_util.h"

namespace ordo::test {
namespace {

// A copy of the learned_gelu fixture whose config.json can be edited.
class ModelDir {
 public:
  ModelDir() {
    for (const char* file : {"config.json", "model.safetensors"}) {
      std::filesystem::copy_file(fixture("learned_gelu") / file, scratch_.path() / file);
    }
  }
  const std::filesystem::path& path() const { return scratch_.path(); }
  void edit(const std::function<void(nlohmann::json&)>& change) {
    std::ifstream in(path() / "config.json");
    nlohmann::json config = nlohmann::json::parse(in);
    change(config);
    scratch_.write("config.json", config.dump(2));
  }
  const ScratchDir& scratch() const { return scratch_; }

 private:
  ScratchDir scratch_;
};

// Loads `directory` and expects an ordo::Error whose message holds every one of `words`.
void expect_load_error(const std::filesystem::path& directory,
                       const std::vector<std::string>& words) {
  expect_contains(error_message([&] { models::load_model(directory); }), words);
}

TEST(Config, ValidFixtureLoads) {
  ModelDir dir;
  const auto model = models::load_model(dir.path());
  EXPECT_EQ(model.spec.hidden_size, 32);
  EXPECT_EQ(model.spec.layers.size(), 2u);
  EXPECT_EQ(model.spec.position_kind, PositionKind::learned);
}

TEST(Config, HeadsMustDivideHiddenSize) {
  ModelDir dir;
  dir.edit([](auto& c) { c["num_attention_heads"] = 5; });
  expect_load_error(dir.path(), {"config.json", "num_attention_heads", "divide", "32"});
}

TEST(Config, ZeroLayersRejected) {
  ModelDir dir;
  dir.edit([](auto& c) { c["num_hidden_layers"] = 0; });
  expect_load_error(dir.path(), {"config.json", "num_hidden_layers", "got 0"});
}

TEST(Config, AbsurdLayerCountRejectedBeforeAnyWork) {
  ModelDir dir;
  dir.edit([](auto& c) { c["num_hidden_layers"] = 1LL << 40; });
  expect_load_error(dir.path(), {"num_hidden_layers", "between 1 and"});
}

TEST(Config, EnormousMaxPositionEmbeddingsFailsWithoutAllocating) {
  ModelDir dir;
  dir.edit([](auto& c) { c["max_position_embeddings"] = 1LL << 50; });
  expect_load_error(dir.path(), {"max_position_embeddings", "between 1 and"});
  dir.edit([](auto& c) { c["max_position_embeddings"] = 100000; });
  expect_load_error(dir.path(),
                    {"embeddings.position_embeddings.weight", "[40, 32]", "[100000, 32]"});
}

TEST(Config, SizesContradictingTheTensorsAreNamed) {
  ModelDir dir;
  dir.edit([](auto& c) {
    c["hidden_size"] = 48;
    c["num_attention_heads"] = 4;
  });
  expect_load_error(dir.path(), {"model.safetensors", "embeddings.word_embeddings.weight",
                                 "[97, 32]", "[97, 48]"});
  dir.edit([](auto& c) {
    c["hidden_size"] = 32;
    c["intermediate_size"] = 65;
  });
  expect_load_error(dir.path(),
                    {"encoder.layer.0.intermediate.dense.weight", "[64, 32]", "[65, 32]"});
  dir.edit([](auto& c) {
    c["intermediate_size"] = 64;
    c["vocab_size"] = 98;
  });
  expect_load_error(dir.path(), {"word_embeddings", "vocab_size 98"});
}

TEST(Config, MissingTensorIsNamed) {
  ModelDir dir;
  dir.edit([](auto& c) { c["num_hidden_layers"] = 3; });
  expect_load_error(
      dir.path(), {"model.safetensors", "encoder.layer.2.attention.self.query.weight", "missing"});
}

TEST(Config, UnsupportedPositionEmbeddingTypeNamed) {
  ModelDir dir;
  dir.edit([](auto& c) { c["position_embedding_type"] = "xpos"; });
  expect_load_error(dir.path(), {"position_embedding_type", "xpos", "supported", "rotary"});
}

TEST(Config, UnsupportedActivationNamed) {
  ModelDir dir;
  dir.edit([](auto& c) { c["hidden_act"] = "mish"; });
  expect_load_error(dir.path(), {"hidden_act", "mish"});
}

TEST(Config, WrongFieldTypeNamed) {
  ModelDir dir;
  dir.edit([](auto& c) { c["hidden_size"] = "thirty-two"; });
  expect_load_error(dir.path(), {"config.json", "hidden_size", "integer"});
  dir.edit([](auto& c) {
    c["hidden_size"] = 32;
    c["layer_norm_eps"] = -1.0;
  });
  expect_load_error(dir.path(), {"layer_norm_eps"});
}

// Found by fuzz/config.cpp (fuzz/regressions/config/): a double can pass the (0, 1) check and
// be 0 as the engine's float, and the engine would then refuse a config the loader accepted.
TEST(Config, LayerNormEpsThatIsZeroAsAFloatIsNamed) {
  ModelDir dir;
  dir.edit([](auto& c) { c["layer_norm_eps"] = 1e-121; });
  expect_load_error(dir.path(), {"config.json", "layer_norm_eps", "is 0 as a float"});
  dir.edit([](auto& c) { c["layer_norm_eps"] = 1e-44; });  // subnormal, but a float above 0
  EXPECT_GT(models::load_model(dir.path()).spec.layer_norm_eps, 0.0f);
}

TEST(Config, UnsupportedModelTypeNamed) {
  ModelDir dir;
  dir.edit([](auto& c) { c["model_type"] = "gpt2"; });
  expect_load_error(dir.path(), {"model_type", "gpt2"});
}

TEST(Config, ConfigThatIsNotJson) {
  ModelDir dir;
  dir.scratch().write("config.json", "{\"hidden_size\": 32,");
  expect_load_error(dir.path(), {"config.json", "not valid JSON"});
  dir.scratch().write("config.json", "[1, 2]");
  expect_load_error(dir.path(), {"config.json", "object"});
}

TEST(Config, MissingFiles) {
  expect_load_error(fixture("no_such_model"), {"no_such_model", "not found"});
  ModelDir dir;
  std::filesystem::remove(dir.path() / "model.safetensors");
  dir.scratch().write("pytorch_model.bin", "x");
  expect_load_error(dir.path(), {"model.safetensors", "not found", "pytorch_model.bin"});
  std::filesystem::remove(dir.path() / "config.json");
  expect_load_error(dir.path(), {"config.json", "cannot open"});
}

TEST(Config, SequenceLongerThanLearnedTableIsAnError) {
  const Encoder encoder = load_fixture("learned_gelu");  // 40 positions
  try {
    encoder.forward({{std::vector<int32_t>(41, 5)}, {}});
    FAIL() << "a 41-token input ran on a 40-position table";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("41 tokens"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(encoder.forward({{std::vector<int32_t>(40, 5)}, {}}));
  // The same weights under a sinusoidal encoding have no such limit.
  const Encoder unbounded = load_fixture("learned_gelu", {PositionKind::sinusoidal});
  EXPECT_NO_THROW(unbounded.forward({{std::vector<int32_t>(300, 5)}, {}}));
}

TEST(Config, BadIdsAndTypesAreNamed) {
  const Encoder encoder = load_fixture("learned_gelu");  // vocab 97, 2 token types
  EXPECT_THROW(encoder.forward({{{1, 2, 97}}, {}}), Error);
  EXPECT_THROW(encoder.forward({{{1, -1}}, {}}), Error);
  EXPECT_THROW(encoder.forward({{{1, 2}}, {{0, 2}}}), Error);
  EXPECT_THROW(encoder.forward({{{1, 2}}, {{0}}}), Error);
  EXPECT_THROW(encoder.forward({{{}}, {}}), Error);
  EXPECT_THROW(encoder.forward({{}, {}}), Error);
  try {
    encoder.forward({{{1, 2}, {3, 4, 500}}, {}});
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sequence 1, token 2: id 500"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace ordo::test

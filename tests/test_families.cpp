// Hugging Face families beyond BERT: each loads from its own layout and reproduces the PyTorch
// reference of Hugging Face's modeling code (tools/make_family_fixtures.py), and options ordo
// does not implement fail at load naming the field.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli_test_util.h"
#include "safetensors_test_util.h"
#include "test_util.h"

namespace ordo::test {
namespace {

struct FamilyCase {
  std::string fixture, model_type;
  bool has_head;
  friend void PrintTo(const FamilyCase& c, std::ostream* out) { *out << c.fixture; }
};

class Family : public ::testing::TestWithParam<FamilyCase> {};

TEST_P(Family, MatchesTheHuggingFaceReference) {
  const FamilyCase& c = GetParam();
  const auto directory = fixture("families/" + c.fixture);
  const models::LoadedModel model = models::load_model(directory);
  EXPECT_EQ(model.model_type, c.model_type);
  const Encoder encoder(model.spec);
  const io::SafetensorsFile reference(directory / "reference.safetensors");
  const ReferenceBatch batch = reference_batch(reference);
  const EncoderOutput output = encoder.forward(batch.input);

  const TensorView expected = reference.f32("last_hidden_state");
  ASSERT_EQ(output.last_hidden_state.numel(), expected.numel());
  const float hidden_delta =
      max_abs_difference(output.last_hidden_state.data(), expected.data, expected.numel());
  EXPECT_LE(hidden_delta, 1e-4f);
  RecordProperty("max_abs_delta_hidden", std::to_string(hidden_delta));
  std::printf("%s: max |delta| last_hidden_state %.2e\n", c.fixture.c_str(), hidden_delta);

  ASSERT_EQ(encoder.has_masked_lm_head(), c.has_head);
  if (!c.has_head) return;
  const TensorView logits = reference.f32("mlm_logits");  // [batch, longest, vocab]
  const int64_t vocab = logits.shape.at(2);
  std::vector<std::pair<int64_t, int64_t>> rows;
  for (int64_t b = 0; b < batch.batch; ++b)
    for (size_t t = 0; t < batch.input.ids[static_cast<size_t>(b)].size(); ++t)
      rows.emplace_back(b, static_cast<int64_t>(t));
  const Tensor ours = encoder.masked_lm_logits(output, rows);
  ASSERT_EQ(ours.dim(1), vocab);
  float worst = 0.0f;
  for (size_t r = 0; r < rows.size(); ++r) {
    const float* theirs = logits.data + (rows[r].first * batch.longest + rows[r].second) * vocab;
    worst = std::max(
        worst, max_abs_difference(ours.data() + static_cast<int64_t>(r) * vocab, theirs, vocab));
  }
  EXPECT_LE(worst, 1e-4f);
  std::printf("%s: max |delta| mlm_logits %.2e\n", c.fixture.c_str(), worst);
}

INSTANTIATE_TEST_SUITE_P(HuggingFace, Family,
                         ::testing::Values(FamilyCase{"roberta_mlm", "roberta", true},
                                           FamilyCase{"xlm_roberta", "xlm-roberta", false},
                                           FamilyCase{"distilbert_mlm", "distilbert", true},
                                           FamilyCase{"distilbert_sinusoidal", "distilbert", false},
                                           FamilyCase{"marian", "marian", false},
                                           FamilyCase{"bert_pooler", "bert", false},
                                           FamilyCase{"albert", "albert", true},
                                           FamilyCase{"mpnet_mlm", "mpnet", true}),
                         [](const auto& info) { return info.param.fixture; });

TEST(Family, PoolerIsHuggingFacesPoolerOutput) {
  for (const std::string name : {"bert_pooler", "albert"}) {
    const auto directory = fixture("families/" + name);
    const Encoder encoder(models::load_model(directory).spec);
    ASSERT_TRUE(encoder.has_pooler()) << name;
    const io::SafetensorsFile reference(directory / "reference.safetensors");
    const ReferenceBatch batch = reference_batch(reference);
    const TensorView expected = reference.f32("pooler_output");  // [batch, hidden]
    for (const bool normalize : {false, true}) {
      ForwardOptions options;
      options.pooling = Pooling::pooler;
      options.normalize = normalize;
      const EncoderOutput output = encoder.forward(batch.input, options);
      ASSERT_EQ(output.pooled.numel(), expected.numel());
      const int64_t hidden = expected.shape.at(1);
      std::vector<float> want(expected.data, expected.data + expected.numel());
      if (normalize) {
        for (int64_t b = 0; b < batch.batch; ++b) {
          double norm = 0.0;
          for (int64_t i = 0; i < hidden; ++i)
            norm += double{want[b * hidden + i]} * want[b * hidden + i];
          for (int64_t i = 0; i < hidden; ++i)
            want[b * hidden + i] = static_cast<float>(want[b * hidden + i] / std::sqrt(norm));
        }
      }
      const float delta = max_abs_difference(output.pooled.data(), want.data(), expected.numel());
      EXPECT_LE(delta, 1e-5f) << name << " normalize " << normalize;
      std::printf("%s: max |delta| pooler_output %.2e (normalize %d)\n", name.c_str(), delta,
                  normalize);
    }
  }
  // A checkpoint without a pooler says so instead of pooling something else.
  const Encoder without(models::load_model(fixture("families/xlm_roberta")).spec);
  EXPECT_FALSE(without.has_pooler());
  ForwardOptions options;
  options.pooling = Pooling::pooler;
  try {
    without.forward(EncoderInput{{{5, 6, 7}}, {}}, options);
    ADD_FAILURE() << "pooler pooling ran without a pooler";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pooler.dense.weight"), std::string::npos) << e.what();
  }
}

// multilingual-e5-small and paraphrase-multilingual-MiniLM are `model_type: bert` checkpoints
// shipped with XLM-R's tokenizer: the tokenizer file decides ids and template, the config the
// encoder (positions from 0).
TEST(Family, BertCheckpointWithXlmRobertaTokenizer) {
  ScratchDir scratch;
  for (const char* file : {"config.json", "model.safetensors"})
    std::filesystem::copy_file(fixture("tiny_tokenized") / file, scratch.path() / file);
  std::filesystem::copy_file(fixture("tiny_tokenized") / "tokenizer.model",
                             scratch.path() / "sentencepiece.bpe.model");
  const models::LoadedModel xlmr = models::load_model(scratch.path());
  const models::LoadedModel native = models::load_model(fixture("tiny_tokenized"));
  EXPECT_EQ(xlmr.model_type, "bert");
  const std::string text = "the cat sat";
  const tokenizer::Encoding a = xlmr.require_tokenizer().encode(text);
  const tokenizer::Encoding b = native.require_tokenizer().encode(text);
  // <s> pieces </s> with fairseq ids (<s> 0, </s> 2, every piece + 1) against [CLS] pieces [SEP].
  ASSERT_EQ(a.ids.size(), b.ids.size());
  EXPECT_EQ(a.tokens.front(), "<s>");
  EXPECT_EQ(a.tokens.back(), "</s>");
  EXPECT_EQ(a.ids.front(), 0);
  EXPECT_EQ(a.ids.back(), 2);
  for (size_t t = 1; t + 1 < a.ids.size(); ++t) {
    EXPECT_EQ(a.tokens[t], b.tokens[t]);
    EXPECT_EQ(a.ids[t], b.ids[t] + 1) << a.tokens[t];
  }
  const Encoder encoder(xlmr.spec);
  const EncoderOutput output = encoder.forward(EncoderInput{{a.ids}, {a.token_types}});
  EXPECT_EQ(output.last_hidden_state.dim(1), static_cast<int64_t>(a.ids.size()));
}

TEST(Family, RobertaLearnedTableLeavesRoomForTheOffset) {
  // 40 rows, positions from pad_token_id + 1 = 2: 38 tokens fit, the 39th does not.
  const Encoder encoder(models::load_model(fixture("families/roberta_mlm")).spec);
  EXPECT_EQ(encoder.max_positions(), 38);
  EXPECT_NO_THROW(encoder.forward(EncoderInput{{std::vector<int32_t>(38, 5)}, {}}));
  EXPECT_THROW(encoder.forward(EncoderInput{{std::vector<int32_t>(39, 5)}, {}}), Error);
}

// MPNet knows position twice (a learned table from position 2 on the input, the bucketed bias in
// attention): both attention paths match the reference on a sequence past the 128-token bucket
// range, the table bounds the length, and --pe none removes both.
TEST(Family, MpnetLearnedTableAndBucketBias) {
  const auto directory = fixture("families/mpnet_mlm");
  const models::LoadedModel model = models::load_model(directory);
  const io::SafetensorsFile reference(directory / "reference.safetensors");
  const ReferenceBatch batch = reference_batch(reference);
  ASSERT_GT(batch.longest, 128);
  const TensorView expected = reference.f32("last_hidden_state");
  for (bool onednn : {false, true}) {
    EncoderOptions options;
    options.onednn_attention = onednn;
    const Encoder encoder(model.spec, options);
    EXPECT_EQ(to_string(encoder.position_kind()), std::string("relative_bias"));
    EXPECT_EQ(encoder.max_positions(), 198);  // 200 rows from position 2
    const EncoderOutput output = encoder.forward(batch.input);
    EXPECT_LE(max_abs_difference(output.last_hidden_state.data(), expected.data, expected.numel()),
              1e-4f)
        << (onednn ? "oneDNN attention" : "ordo's attention");
  }
  EncoderOptions none;
  none.position_kind = PositionKind::none;
  const Encoder without(model.spec, none);
  EXPECT_EQ(without.max_positions(), 0);  // neither the table nor the bias is used
  const EncoderOutput output = without.forward(batch.input);
  EXPECT_GT(max_abs_difference(output.last_hidden_state.data(), expected.data, expected.numel()),
            1e-2f);
}

// A copy of a family fixture with its config edited.
class EditedFamily {
 public:
  EditedFamily(const std::string& name, const std::function<void(nlohmann::json&)>& edit) {
    const auto source = fixture("families/" + name);
    std::filesystem::copy_file(source / "model.safetensors", scratch_.path() / "model.safetensors");
    nlohmann::json config = nlohmann::json::parse(std::ifstream(source / "config.json"));
    edit(config);
    std::ofstream(scratch_.path() / "config.json") << config.dump();
  }
  std::string error() const {
    try {
      models::load_model(scratch_.path());
    } catch (const Error& e) {
      return e.what();
    }
    return "(loaded without an error)";
  }

 private:
  ScratchDir scratch_;
};

TEST(Family, UnsupportedOptionsFailAtLoadNamingTheField) {
  expect_contains(
      EditedFamily("roberta_mlm", [](auto& c) { c["position_embedding_type"] = "xpos"; }).error(),
      {"config.json", "position_embedding_type", "xpos", "unsupported", "relative_key_query"});
  // A supported kind whose weights the checkpoint lacks: the tensor is named, with the prefix.
  expect_contains(
      EditedFamily("roberta_mlm", [](auto& c) { c["position_embedding_type"] = "relative_key"; })
          .error(),
      {"model.safetensors", "roberta.encoder.layer.0.attention.self.distance_embedding.weight"});
  expect_contains(EditedFamily("marian", [](auto& c) { c["normalize_before"] = true; }).error(),
                  {"config.json", "normalize_before", "pre-LN"});
  expect_contains(
      EditedFamily("marian", [](auto& c) { c["model_type"] = "t5"; }).error(),
      {"model_type", "\"t5\"", "bert", "roberta", "xlm-roberta", "distilbert", "marian"});
  expect_contains(
      EditedFamily("distilbert_mlm", [](auto& c) { c["activation"] = "quick_gelu"; }).error(),
      {"activation", "quick_gelu"});
  expect_contains(EditedFamily("distilbert_mlm", [](auto& c) { c["n_heads"] = 5; }).error(),
                  {"n_heads", "divide", "48"});
  expect_contains(
      EditedFamily("roberta_mlm", [](auto& c) { c["max_position_embeddings"] = 2; }).error(),
      {"max_position_embeddings"});
  expect_contains(
      EditedFamily("mpnet_mlm", [](auto& c) { c["relative_attention_num_buckets"] = 64; }).error(),
      {"config.json", "relative_attention_num_buckets", "64", "32"});
}

TEST(Family, ConfigThatContradictsTheTensorsNamesBoth) {
  // DistilBERT's hidden size is `dim`; a wrong one is reported against the tensor it breaks.
  expect_contains(EditedFamily("distilbert_mlm", [](auto& c) { c["dim"] = 64; }).error(),
                  {"word_embeddings.weight", "[59, 48]", "dim 64"});
  expect_contains(EditedFamily("marian", [](auto& c) { c["encoder_ffn_dim"] = 32; }).error(),
                  {"fc1.weight", "encoder_ffn_dim 32"});
}

// NomicBERT, JinaBERT-v2, GTE-v1.5 and ModernBERT: a fused Wqkv, rotary (GTE's with NTK
// scaling) or ALiBi inside attention, gated feed-forwards, optional biases, ModernBERT's local
// attention and per-layer rotary base. References from PyTorch ports of each family's own
// forward pass (tools/make_nomic_bert_fixture.py, tools/make_jina_bert_fixture.py,
// tools/make_gte_fixture.py, tools/make_modernbert_fixture.py), on a ragged batch of 9, 70, 23
// and 2 tokens (past ModernBERT's fixture windows of 8 and 5), through both attention paths.
struct EmbeddingCase {
  std::string fixture, model_type;
  bool has_head;
  friend void PrintTo(const EmbeddingCase& c, std::ostream* out) { *out << c.fixture; }
};

class EmbeddingFamily : public ::testing::TestWithParam<EmbeddingCase> {};

TEST_P(EmbeddingFamily, MatchesThePyTorchPortOnBothAttentionPaths) {
  const EmbeddingCase& c = GetParam();
  const auto directory = fixture("families/" + c.fixture);
  const models::LoadedModel model = models::load_model(directory);
  EXPECT_EQ(model.model_type, c.model_type);
  const io::SafetensorsFile reference(directory / "reference.safetensors");
  const ReferenceBatch batch = reference_batch(reference);
  const TensorView expected = reference.f32("last_hidden_state");
  const TensorView mean_pooled = reference.f32("mean_pooled");
  for (const bool onednn_attention : {false, true}) {
    EncoderOptions options;
    options.onednn_attention = onednn_attention;
    const Encoder encoder(model.spec, options);
    ForwardOptions forward;
    forward.pooling = Pooling::mean;
    const EncoderOutput output = encoder.forward(batch.input, forward);
    ASSERT_EQ(output.last_hidden_state.numel(), expected.numel());
    ASSERT_EQ(output.pooled.numel(), mean_pooled.numel());
    const float hidden_delta =
        max_abs_difference(output.last_hidden_state.data(), expected.data, expected.numel());
    const float pooled_delta =
        max_abs_difference(output.pooled.data(), mean_pooled.data, mean_pooled.numel());
    const char* path = onednn_attention ? "onednn" : "fastest";
    EXPECT_LE(hidden_delta, 1e-4f) << path;
    EXPECT_LE(pooled_delta, 1e-4f) << path;
    std::printf("%s (%s attention): max |delta| last_hidden_state %.2e, mean pooled %.2e\n",
                c.fixture.c_str(), path, hidden_delta, pooled_delta);

    ASSERT_EQ(encoder.has_masked_lm_head(), c.has_head);
    if (!c.has_head) continue;
    const TensorView logits = reference.f32("mlm_logits");  // [batch, longest, vocab]
    const int64_t vocab = logits.shape.at(2);
    std::vector<std::pair<int64_t, int64_t>> rows;
    for (int64_t b = 0; b < batch.batch; ++b)
      for (size_t t = 0; t < batch.input.ids[static_cast<size_t>(b)].size(); ++t)
        rows.emplace_back(b, static_cast<int64_t>(t));
    const Tensor ours = encoder.masked_lm_logits(output, rows);
    float worst = 0.0f;
    for (size_t r = 0; r < rows.size(); ++r) {
      const float* theirs = logits.data + (rows[r].first * batch.longest + rows[r].second) * vocab;
      worst = std::max(
          worst, max_abs_difference(ours.data() + static_cast<int64_t>(r) * vocab, theirs, vocab));
    }
    EXPECT_LE(worst, 1e-4f) << path;
    std::printf("%s (%s attention): max |delta| mlm_logits %.2e\n", c.fixture.c_str(), path, worst);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Ports, EmbeddingFamily,
    ::testing::Values(EmbeddingCase{"nomic_bert", "nomic_bert", false},
                      EmbeddingCase{"nomic_bert_variant", "nomic_bert", false},
                      EmbeddingCase{"nomic_bert_learned", "nomic_bert", false},
                      EmbeddingCase{"jina_bert", "bert", false},
                      EmbeddingCase{"jina_bert_reglu", "bert", true},
                      EmbeddingCase{"gte", "new", false}, EmbeddingCase{"gte_mlm", "new", true},
                      EmbeddingCase{"gte_unpacked", "new", false},
                      EmbeddingCase{"modernbert", "modernbert", true},
                      EmbeddingCase{"modernbert_variant", "modernbert", false}),
    [](const auto& info) { return info.param.fixture; });

// The settings a family's code computes differently from anything ordo runs are refused by
// name, never run as something else.
TEST(EmbeddingFamily, UnsupportedSettingsAreRefusedNamingTheKey) {
  expect_contains(EditedFamily("nomic_bert", [](auto& c) { c["prenorm"] = true; }).error(),
                  {"config.json", "prenorm"});
  expect_contains(
      EditedFamily("nomic_bert", [](auto& c) { c["rotary_scaling_factor"] = 2.0; }).error(),
      {"config.json", "rotary_scaling_factor"});
  expect_contains(EditedFamily("nomic_bert", [](auto& c) { c["num_experts"] = 8; }).error(),
                  {"num_experts", "mixture-of-experts"});
  expect_contains(EditedFamily("nomic_bert", [](auto& c) { c["moe_every_n_layers"] = 2; }).error(),
                  {"moe_every_n_layers"});
  expect_contains(
      EditedFamily("nomic_bert", [](auto& c) { c["activation_function"] = "glu"; }).error(),
      {"activation_function", "\"glu\"", "swiglu"});
  expect_contains(EditedFamily("nomic_bert", [](auto& c) { c["num_heads_kv"] = 2; }).error(),
                  {"num_heads_kv"});
  expect_contains(
      EditedFamily("jina_bert", [](auto& c) { c["feed_forward_type"] = "swiglu"; }).error(),
      {"config.json", "feed_forward_type", "\"swiglu\"", "geglu", "reglu"});
  expect_contains(
      EditedFamily("jina_bert", [](auto& c) { c["position_embedding_type"] = "absolute"; }).error(),
      {"position_embedding_type", "alibi"});
  expect_contains(EditedFamily("jina_bert", [](auto& c) { c["emb_pooler"] = "cls"; }).error(),
                  {"emb_pooler", "\"cls\""});
  expect_contains(EditedFamily("modernbert",
                               [](auto& c) {
                                 c["rope_scaling"] = {{"rope_type", "yarn"}};
                               })
                      .error(),
                  {"config.json", "rope_scaling"});
  expect_contains(
      EditedFamily("modernbert",
                   [](auto& c) {
                     c["rope_parameters"] = {{"full_attention", {{"rope_type", "dynamic"}}}};
                   })
          .error(),
      {"rope_parameters", "full_attention.rope_type", "dynamic"});
  expect_contains(
      EditedFamily("modernbert",
                   [](auto& c) {
                     c["layer_types"] = {"full_attention", "full_attention", "full_attention"};
                   })
          .error(),
      {"layer_types", "global_attn_every_n_layers 2"});
  expect_contains(EditedFamily("modernbert", [](auto& c) { c["head_dim"] = 8; }).error(),
                  {"head_dim", "16"});
  expect_contains(EditedFamily("modernbert", [](auto& c) { c["local_attention"] = 1; }).error(),
                  {"local_attention", "at least 2"});
  expect_contains(
      EditedFamily("modernbert", [](auto& c) { c["hidden_activation"] = "quick_gelu"; }).error(),
      {"hidden_activation", "quick_gelu"});
  // Keys the remote code never reads change nothing: the fixture still loads.
  EXPECT_EQ(EditedFamily("nomic_bert", [](auto& c) { c["use_rms_norm"] = true; }).error(),
            "(loaded without an error)");
}

// A copy of a family fixture with one tensor renamed away in the safetensors header.
std::string error_without_tensor(const std::string& name, const std::string& tensor) {
  ScratchDir scratch;
  const auto source = fixture("families/" + name);
  std::filesystem::copy_file(source / "config.json", scratch.path() / "config.json");
  std::ifstream in(source / "model.safetensors", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  uint64_t header_size = 0;
  for (size_t i = 0; i < 8; ++i)
    header_size |= uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
  nlohmann::json header = nlohmann::json::parse(bytes.substr(8, header_size));
  EXPECT_TRUE(header.contains(tensor)) << tensor;
  header["renamed." + tensor] = header[tensor];
  header.erase(tensor);
  std::ofstream(scratch.path() / "model.safetensors", std::ios::binary)
      << safetensors_bytes(padded(header.dump()), bytes.substr(8 + header_size));
  try {
    models::load_model(scratch.path());
  } catch (const Error& e) {
    return e.what();
  }
  return "(loaded without an error)";
}

TEST(EmbeddingFamily, AMissingTensorIsNamed) {
  expect_contains(error_without_tensor("nomic_bert", "encoder.layers.1.mlp.fc12.weight"),
                  {"model.safetensors", "'encoder.layers.1.mlp.fc12.weight' is missing"});
  expect_contains(
      error_without_tensor("nomic_bert_variant", "bert.encoder.layers.0.attn.Wqkv.bias"),
      {"'bert.encoder.layers.0.attn.Wqkv.bias' is missing"});
  expect_contains(error_without_tensor("jina_bert", "encoder.layer.1.mlp.gated_layers.weight"),
                  {"'encoder.layer.1.mlp.gated_layers.weight' is missing"});
  expect_contains(
      error_without_tensor("jina_bert_reglu", "bert.encoder.layer.0.mlp.layernorm.bias"),
      {"'bert.encoder.layer.0.mlp.layernorm.bias' is missing"});
  // A config that asks for biases the checkpoint lacks names the first one.
  expect_contains(EditedFamily("nomic_bert", [](auto& c) { c["qkv_proj_bias"] = true; }).error(),
                  {"'encoder.layers.0.attn.Wqkv.bias' is missing"});
  // ModernBERT: bias-free by default; a config asking for norm biases names the first one.
  expect_contains(error_without_tensor("modernbert", "model.layers.1.attn_norm.weight"),
                  {"'model.layers.1.attn_norm.weight' is missing"});
  expect_contains(error_without_tensor("modernbert_variant", "layers.0.mlp.Wi.bias"),
                  {"'layers.0.mlp.Wi.bias' is missing", "mlp_bias"});
  expect_contains(EditedFamily("modernbert", [](auto& c) { c["norm_bias"] = true; }).error(),
                  {"'model.embeddings.norm.bias' is missing", "norm_bias true"});
  expect_contains(EditedFamily("modernbert", [](auto& c) { c["intermediate_size"] = 48; }).error(),
                  {"model.layers.0.mlp.Wi.weight", "[80, 32]", "[96, 32]"});
  // The gated MLP's width is n_inner rounded up to 256, checked against the tensors.
  expect_contains(EditedFamily("nomic_bert", [](auto& c) { c["n_inner"] = 300; }).error(),
                  {"encoder.layers.0.mlp.fc11.weight", "[256, 64]", "[512, 64]", "n_inner 512"});
}

// ModernBERT's layer pattern reaches the engine: layer l % global_attn_every_n_layers == 0 is
// global with global_rope_theta, the others local (local_attention / 2 each side) with
// local_rope_theta; layer 0's attn_norm is the identity.
TEST(EmbeddingFamily, ModernBertLayersAreGlobalOrLocalByIndex) {
  const models::LoadedModel model = models::load_model(fixture("families/modernbert_variant"));
  const EncoderSpec& spec = model.spec;
  ASSERT_EQ(spec.layers.size(), 4u);
  EXPECT_EQ(spec.rotary.base, 1000.0);
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const bool global = i % 3 == 0;
    EXPECT_EQ(spec.layers[i].attention_window, global ? 0 : 5) << i;
    EXPECT_EQ(spec.layers[i].rotary_base, global ? 0.0 : 50.0) << i;
  }
  EXPECT_TRUE(spec.layers[0].attention_norm_weight.empty());
  EXPECT_FALSE(spec.layers[1].attention_norm_weight.empty());
  // local_rope_theta null: the local layers rotate by the global base.
  const std::string error =
      EditedFamily("modernbert_variant", [](auto& c) { c["local_rope_theta"] = nullptr; }).error();
  EXPECT_EQ(error, "(loaded without an error)");
}

// A frequency scale (GTE's NTK scaling) multiplies the frequencies of every rotary base, the
// per-layer ones included: what rotation alone adds to a score at distance d is
// sum_i 2 cos(d s base^(-2i / rot)) / head_dim on each layer with that layer's base.
TEST(EmbeddingFamily, EveryRotaryBaseTakesTheFrequencyScale) {
  EncoderSpec spec = models::load_model(fixture("families/modernbert_variant")).spec;
  constexpr double kScale = 0.75;
  spec.rotary.frequency_scale = kScale;
  const Encoder encoder(spec);
  const int64_t count = 40, distances = 2 * count - 1;
  const Tensor by_distance = encoder.score_contribution_by_distance(count);
  const int64_t layers = static_cast<int64_t>(spec.layers.size()), heads = spec.num_heads;
  ASSERT_EQ(by_distance.numel(), layers * heads * distances);
  const int64_t head_dim = spec.hidden_size / heads, pairs = head_dim / 2;
  for (int64_t l = 0; l < layers; ++l) {
    const double base = l % 3 == 0 ? 1000.0 : 50.0;  // global_rope_theta, local_rope_theta
    for (int64_t d = -(count - 1); d < count; ++d) {
      double want = 0.0;
      for (int64_t i = 0; i < pairs; ++i) {
        want += 2.0 * std::cos(static_cast<double>(d) * kScale *
                               std::pow(base, -2.0 * static_cast<double>(i) / (2.0 * pairs)));
      }
      want /= static_cast<double>(head_dim);
      for (int64_t h = 0; h < heads; ++h) {
        EXPECT_NEAR(by_distance.data()[(l * heads + h) * distances + d + count - 1], want, 1e-6)
            << "layer " << l << ", head " << h << ", distance " << d;
      }
    }
  }
}

// Past the tabulated positions the angles are computed per call into the calling thread's
// workspace, which every model shares: two models of the same bases and rotated pairs but other
// frequency scales, run in turn on one thread, each give what they give on a fresh thread.
TEST(EmbeddingFamily, LongSequencesDoNotShareAnglesAcrossFrequencyScales) {
  EncoderSpec scaled = models::load_model(fixture("families/modernbert_variant")).spec;
  const EncoderSpec plain = scaled;
  scaled.rotary.frequency_scale = 0.75;
  const Encoder a(plain), b(scaled);
  std::vector<int32_t> ids(4100);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(1 + (i * 7) % 47);
  const EncoderInput input{{ids}, {}};
  auto on_fresh_thread = [&](const Encoder& encoder) {
    Tensor pooled;
    std::thread([&] { pooled = encoder.forward(input).pooled; }).join();
    return pooled;
  };
  const Tensor want_a = on_fresh_thread(a), want_b = on_fresh_thread(b);
  ASSERT_GT(max_abs_difference(want_a.data(), want_b.data(), want_a.numel()), 1e-4f);
  const Tensor got_a = a.forward(input).pooled;
  const Tensor got_b = b.forward(input).pooled;
  const Tensor again_a = a.forward(input).pooled;
  EXPECT_EQ(max_abs_difference(got_a.data(), want_a.data(), want_a.numel()), 0.0f);
  EXPECT_EQ(max_abs_difference(got_b.data(), want_b.data(), want_b.numel()), 0.0f);
  EXPECT_EQ(max_abs_difference(again_a.data(), want_a.data(), want_a.numel()), 0.0f);
}

// The MLM fixture's tokenizer.json (ModernBERT's layout, byte-level BPE, [MASK] with lstrip)
// is found in the directory and tokenizes the text as the generator does by hand; `ordo fill`
// then scores the mask from the head, as the port does, past the local window.
TEST(EmbeddingFamily, ModernBertFillsTheMaskThroughItsTokenizer) {
  const auto directory = fixture("families/modernbert");
  const models::LoadedModel model = models::load_model(directory);
  const io::SafetensorsFile reference(directory / "reference.safetensors");
  const auto want_ids = reference.i64("fill_ids");
  const TensorView want_logits = reference.f32("fill_logits");  // [tokens, vocab]
  const std::string text = "the cat [MASK] on the mat, far from the door.";
  const auto encoding = model.require_tokenizer().encode_masked(text);
  ASSERT_EQ(encoding.ids.size(), want_ids.size());
  for (size_t i = 0; i < want_ids.size(); ++i) EXPECT_EQ(encoding.ids[i], want_ids[i]) << i;
  const int64_t mask = 3 + 1 + 3 + 1;  // [CLS] t h e \u0120 c a t, then [MASK]
  ASSERT_EQ(encoding.ids[static_cast<size_t>(mask)], *model.require_tokenizer().mask_id());
  const Encoder encoder(model.spec);
  const EncoderOutput output = encoder.forward({{encoding.ids}, {}});
  const Tensor logits = encoder.masked_lm_logits(output, {{0, mask}});
  const int64_t vocab = want_logits.shape.at(1);
  EXPECT_LE(max_abs_difference(logits.data(), want_logits.data + mask * vocab, vocab), 1e-4f);

  const int64_t best = std::max_element(logits.data(), logits.data() + vocab) - logits.data();
  const CliRun run = ordo({"fill", "--model", directory.string(), "--json", text});
  ASSERT_EQ(run.status, 0) << run.err;
  const auto document = nlohmann::json::parse(run.out);
  EXPECT_EQ(document["masks"][0]["position"], mask);
  EXPECT_EQ(document["masks"][0]["predictions"][0]["id"], best);
}

// Under `--pe none` a model without windows is permutation-equivariant, and ordo runs tokens in
// a canonical order; a sliding window keeps position in play, so a reordered text must give
// other vectors (its mean pooled too), not the canonical order's identical ones.
TEST(EmbeddingFamily, ModernBertWindowKeepsWordOrderUnderNone) {
  const models::LoadedModel model = models::load_model(fixture("families/modernbert"));
  EncoderOptions options;
  options.position_kind = PositionKind::none;
  const Encoder encoder(model.spec, options);
  std::vector<int32_t> ids = {50};
  for (int32_t i = 0; i < 40; ++i) ids.push_back(1 + (i * 7) % 47);
  std::vector<int32_t> reordered = ids;
  std::reverse(reordered.begin() + 1, reordered.end());
  const EncoderOutput a = encoder.forward({{ids}, {}});
  const EncoderOutput b = encoder.forward({{reordered}, {}});
  EXPECT_GT(max_abs_difference(a.pooled.data(), b.pooled.data(), a.pooled.numel()), 1e-3f);
}

// GTE (`new`): what NewModel computes differently is refused by name; its tensors are named.
TEST(GteFamily, UnsupportedSettingsAndMissingTensorsAreNamed) {
  expect_contains(
      EditedFamily("gte", [](auto& c) { c["position_embedding_type"] = "absolute"; }).error(),
      {"config.json", "position_embedding_type", "\"absolute\"", "rope"});
  expect_contains(EditedFamily("gte", [](auto& c) { c["logn_attention_scale"] = true; }).error(),
                  {"logn_attention_scale"});
  expect_contains(EditedFamily("gte", [](auto& c) { c["layer_norm_type"] = "rms_norm"; }).error(),
                  {"layer_norm_type", "\"rms_norm\""});
  expect_contains(EditedFamily("gte",
                               [](auto& c) {
                                 c["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}};
                               })
                      .error(),
                  {"rope_scaling", "\"linear\"", "ntk"});
  expect_contains(EditedFamily("gte", [](auto& c) { c["rope_scaling"]["mixed_b"] = 0.5; }).error(),
                  {"rope_scaling", "mixed_b"});
  expect_contains(EditedFamily("gte", [](auto& c) { c["rope_scaling"]["factor"] = 0.5; }).error(),
                  {"rope_scaling", "at least 1"});
  expect_contains(EditedFamily("gte",
                               [](auto& c) {
                                 c.erase("rope_theta");
                                 c["rope_parameters"] = {{"rope_theta", 500000}};
                               })
                      .error(),
                  {"rope_parameters", "rope_theta"});
  // How attention is computed (xformers, unpadding) changes nothing: the fixture still loads.
  EXPECT_EQ(
      EditedFamily("gte", [](auto& c) { c["use_memory_efficient_attention"] = true; }).error(),
      "(loaded without an error)");
  expect_contains(error_without_tensor("gte", "encoder.layer.1.mlp.up_gate_proj.weight"),
                  {"'encoder.layer.1.mlp.up_gate_proj.weight' is missing"});
  expect_contains(error_without_tensor("gte_mlm", "new.encoder.layer.0.attn_ln.bias"),
                  {"'new.encoder.layer.0.attn_ln.bias' is missing"});
  expect_contains(error_without_tensor("gte_unpacked", "encoder.layer.0.attention.k_proj.weight"),
                  {"'encoder.layer.0.attention.k_proj.weight' is missing"});
  expect_contains(EditedFamily("gte", [](auto& c) { c["intermediate_size"] = 64; }).error(),
                  {"encoder.layer.0.mlp.up_gate_proj.weight", "[128, 64]", "[192, 64]"});
}

}  // namespace
}  // namespace ordo::test

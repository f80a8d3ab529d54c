// `ordo encode`: the machine interface to the engine. Ids in, hidden states out.
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "common.h"
#include "io/npy.h"
#include "ordo/error.h"

namespace ordo::cli {

const char* const kEncodeHelp =
    R"(usage: ordo encode [--model DIR] --ids ID,ID,... [--ids ...] (--npy FILE | --json)

Runs the encoder on token ids and writes last_hidden_state, shape [batch, longest, hidden]
(rows past a sequence's end are zero).

  --ids LIST          comma-separated token ids of one sequence; repeat for a batch
  --token-types LIST  token type ids for the matching --ids (repeat in the same order)
  --model DIR         model directory (config.json + model.safetensors);
                      default: the bundled sinusoidal model
  --pe KIND           run under another positional encoding:
                      none | sinusoidal | sinusoidal-blocked | learned
  --threads N         OpenMP threads (default: OMP_NUM_THREADS or all cores)
  --pooling KIND      pooled vector in --json output: cls | mean | max (default mean)
  --normalize         L2-normalise the pooled vectors
  --npy FILE          write last_hidden_state as float32 .npy
  --json              print {"shape", "lengths", "last_hidden_state", "pooled"} as JSON
)";

int run_encode(const std::vector<std::string>& arguments) {
  std::set<std::string> options = kModelOptions;
  options.insert({"--ids", "--token-types", "--npy", "--pooling"});
  const Args args(arguments, {"--json", "--normalize"}, options, {"--ids", "--token-types"});
  if (!args.positional().empty() && !args.values("--ids").empty()) {
    throw UsageError("give texts or --ids, not both");
  }
  EncoderInput input;
  for (const std::string& list : args.values("--ids")) {
    input.ids.push_back(parse_int_list(list, "--ids"));
  }
  for (const std::string& list : args.values("--token-types")) {
    input.token_types.push_back(parse_int_list(list, "--token-types"));
  }
  if (input.ids.empty() && args.positional().empty()) {
    throw UsageError("no input: give TEXT arguments or --ids LIST");
  }
  if (!input.token_types.empty() && input.token_types.size() != input.ids.size()) {
    throw UsageError("--token-types given " + std::to_string(input.token_types.size()) +
                     " times but --ids " + std::to_string(input.ids.size()) + " times");
  }
  const auto npy = args.value("--npy");
  if (!npy && !args.flag("--json")) throw UsageError("choose an output: --npy FILE or --json");
  ForwardOptions forward;
  if (const auto pooling = args.value("--pooling")) {
    try {
      forward.pooling = parse_pooling(*pooling);
    } catch (const Error& e) {
      throw UsageError(std::string("--pooling: ") + e.what());
    }
  }
  forward.normalize = args.flag("--normalize");

  const LoadedEncoder loaded = load_encoder(args);
  nlohmann::json tokens = nlohmann::json::array();
  for (size_t i = 0; i < args.positional().size(); ++i) {
    const auto encoding = tokenize(loaded, args.positional()[i], "text " + std::to_string(i + 1));
    input.ids.push_back(encoding.ids);
    input.token_types.push_back(encoding.token_types);
    tokens.push_back(encoding.tokens);
  }
  const EncoderOutput output = loaded.encoder.forward(input, forward);
  if (npy) io::write_npy(*npy, output.last_hidden_state);
  if (args.flag("--json")) {
    const Tensor& hidden = output.last_hidden_state;
    nlohmann::json states = nlohmann::json::array();
    for (int64_t b = 0; b < hidden.dim(0); ++b) {
      nlohmann::json rows = nlohmann::json::array();
      for (int64_t t = 0; t < hidden.dim(1); ++t) {
        const float* row = hidden.data() + (b * hidden.dim(1) + t) * hidden.dim(2);
        rows.push_back(std::vector<float>(row, row + hidden.dim(2)));
      }
      states.push_back(std::move(rows));
    }
    nlohmann::json pooled = nlohmann::json::array();
    for (int64_t b = 0; b < output.pooled.dim(0); ++b) {
      const float* row = output.pooled.data() + b * output.pooled.dim(1);
      pooled.push_back(std::vector<float>(row, row + output.pooled.dim(1)));
    }
    const nlohmann::json document = {
        {"model", loaded.model.directory.string()},
        {"pe", to_string(loaded.encoder.position_kind())},
        {"shape", hidden.shape()},
        {"lengths", output.lengths},
        {"tokens", std::move(tokens)},
        {"pooling", to_string(forward.pooling)},
        {"last_hidden_state", std::move(states)},
        {"pooled", std::move(pooled)},
    };
    std::cout << document.dump() << '\n';
  }
  return 0;
}

}  // namespace ordo::cli

// `ordo encode`: texts, a file of lines or token ids in; hidden states or sentence vectors out,
// as .npy, JSON Lines or one JSON document. Long inputs run in batches and stream out.
#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iostream>
#include <numeric>
#include <optional>

#include <nlohmann/json.hpp>

#include "checkpoint.h"
#include "commands.h"
#include "common.h"
#include "npy.h"
#include "ordo/error.h"
#include "progress.h"

namespace ordo::cli {

const char* const kEncodeHelp = R"(usage: ordo encode [options] TEXT...
       ordo encode [options] --input FILE     (one text per line; '-' reads stdin)
       ordo encode [options] --ids ID,ID,... [--ids ...]

Runs the encoder and writes each input's hidden states or its sentence vector.

input (one of):
  TEXT...             texts as arguments
  --input FILE        one text per line; '-' reads stdin. A trailing CR is dropped; an empty
                      line is encoded as an empty text, so output row i is input line i+1
  --ids LIST          comma-separated token ids of one sequence; repeat for a batch
  --token-types LIST  token type ids for the matching --ids (repeat in the same order)
output (one of):
  --npy FILE          float32 .npy: [N, longest, hidden] hidden states, rows past a
                      sequence's end zero; with --output pooled [N, hidden]
  --jsonl             one JSON object per input on stdout, in input order: "index", "ids",
                      "tokens" (texts only), "pooled", and "last_hidden_state"
                      ([tokens][hidden]) unless --output pooled
  --json              one JSON document: "shape", "lengths", "tokens", "last_hidden_state"
                      ([N][longest][hidden]), "pooled" ([N][hidden])
options:
  --output WHAT       hidden (default) | pooled: sentence vectors only
  --pooling KIND      sentence vector: cls | mean | max | mean_sqrt_len | pooler (BERT's
                      tanh(dense(first token)), for checkpoints with pooler.dense) (default:
                      what a sentence-transformers model declares in modules.json, else mean)
  --normalize         L2-normalise the sentence vectors (on when modules.json has Normalize);
                      with --npy it needs --output pooled
  --dim N             Matryoshka: keep the first N components of each sentence vector, then
                      normalise (when on); needs --output pooled
  --prompt NAME       prepend the prompt NAME of config_sentence_transformers.json to every
                      text (e.g. nomic's search_query); default: its default_prompt_name
  --no-prompt         no prompt, even where the model declares a default (same as --prompt "")
  --batch-size N      sequences per forward pass (default 32)
  --model DIR         model directory (config.json + model.safetensors + tokenizer);
                      default: the bundled sinusoidal model
  --pe KIND           run under another positional encoding:
                      none | sinusoidal | sinusoidal-blocked | learned (on the input),
                      rotary | alibi | relative_key | relative_key_query | relative_bias
                      (inside attention)
  --dtype TYPE        f32 (default), bf16 (AVX512-BF16/AMX CPUs) or int8: the projections in a
                      faster, approximate number type
  --max-tokens N      tokens per sequence (default: what the model declares; up to its
                      position table, or 4096 for encodings without one)
  --threads N         OpenMP threads (default: OMP_NUM_THREADS or all cores)
  --check-weights     stop with an error if any weight is NaN or Inf (a load-time scan)

Texts longer than the model accepts are truncated, with one warning on stderr that counts
them and lists the first few. An empty --input gives empty output and exit status 0. A
progress bar is drawn on stderr when stderr is a terminal and the input spans several batches.
)";

namespace {

struct Sequence {
  std::vector<int32_t> ids, token_types;
  std::optional<std::vector<std::string>> tokens;  // texts only
};

std::vector<std::string> read_input(const std::string& source) {
  std::ifstream file;
  if (source != "-") {
    file.open(source, std::ios::binary);
    if (!file) throw Error("--input " + source + ": cannot open file");
  }
  std::vector<std::string> lines =
      cli::read_lines(source == "-" ? std::cin : file, "--input " + source);
  for (std::string& line : lines) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
  }
  return lines;
}

std::vector<Sequence> sequences_from_ids(const Args& args) {
  const auto id_lists = args.values("--ids");
  const auto type_lists = args.values("--token-types");
  if (!type_lists.empty() && type_lists.size() != id_lists.size()) {
    throw UsageError("--token-types given " + std::to_string(type_lists.size()) +
                     " times but --ids " + std::to_string(id_lists.size()) + " times");
  }
  std::vector<Sequence> sequences(id_lists.size());
  for (size_t i = 0; i < id_lists.size(); ++i) {
    sequences[i].ids = parse_int_list(id_lists[i], "--ids");
    check_sequence_length(sequences[i].ids.size(), "--ids list " + std::to_string(i + 1));
    if (!type_lists.empty())
      sequences[i].token_types = parse_int_list(type_lists[i], "--token-types");
  }
  return sequences;
}

std::vector<Sequence> sequences_from_texts(const LoadedEncoder& loaded,
                                           const std::vector<std::string>& texts,
                                           const std::string& label, const std::string& prompt) {
  std::vector<Sequence> sequences;
  sequences.reserve(texts.size());
  std::vector<size_t> truncated;  // 1-based numbers of the inputs that were cut
  for (size_t i = 0; i < texts.size(); ++i) {
    auto encoding = tokenize(loaded, prompt + texts[i], label + " " + std::to_string(i + 1), false);
    if (encoding.truncated > 0) truncated.push_back(i + 1);
    sequences.push_back(
        {std::move(encoding.ids), std::move(encoding.token_types), std::move(encoding.tokens)});
  }
  // One warning for the whole input, not one per line: a long file stays readable.
  if (!truncated.empty()) {
    constexpr size_t kListed = 5;
    std::cerr << "ordo encode: warning: " << truncated.size() << " of " << texts.size()
              << " inputs were truncated to the " << max_tokens(loaded)
              << " tokens the model accepts (" << label << (truncated.size() > 1 ? "s " : " ");
    for (size_t k = 0; k < std::min(truncated.size(), kListed); ++k) {
      std::cerr << (k ? ", " : "") << truncated[k];
    }
    std::cerr << (truncated.size() > kListed ? ", ...)\n" : ")\n");
  }
  return sequences;
}

std::vector<float> row(const Tensor& tensor, int64_t index) {
  const int64_t width = tensor.numel() / tensor.dim(0);
  return std::vector<float>(tensor.data() + index * width, tensor.data() + (index + 1) * width);
}

// Rows [0, length) of sequence `b` in a [batch, longest, hidden] tensor.
nlohmann::json hidden_rows(const Tensor& hidden, int64_t b, int64_t length) {
  nlohmann::json rows = nlohmann::json::array();
  for (int64_t t = 0; t < length; ++t) {
    const float* start = hidden.data() + (b * hidden.dim(1) + t) * hidden.dim(2);
    rows.push_back(std::vector<float>(start, start + hidden.dim(2)));
  }
  return rows;
}

}  // namespace

int run_encode(const std::vector<std::string>& arguments) {
  std::set<std::string> options = kModelOptions;
  options.insert({"--max-tokens", "--ids", "--token-types", "--input", "--npy", "--pooling",
                  "--output", "--batch-size", "--dtype", "--prompt", "--dim"});
  const Args args(arguments, with_model_flags({"--json", "--jsonl", "--normalize", "--no-prompt"}),
                  options, {"--ids", "--token-types"});
  const bool from_ids = !args.values("--ids").empty();
  const auto input_file = args.value("--input");
  const int sources = int(from_ids) + int(input_file.has_value()) + int(!args.positional().empty());
  if (sources == 0) throw UsageError("no input: give TEXT arguments, --input FILE or --ids LIST");
  if (sources > 1) throw UsageError("give only one of TEXT arguments, --input FILE, --ids");
  if (!from_ids && !args.values("--token-types").empty()) {
    throw UsageError("--token-types goes with --ids");
  }
  const auto npy = args.value("--npy");
  const int outputs = int(npy.has_value()) + int(args.flag("--json")) + int(args.flag("--jsonl"));
  if (outputs != 1) throw UsageError("choose one output: --jsonl, --npy FILE or --json");
  const std::string what = args.value("--output").value_or("hidden");
  if (what != "hidden" && what != "pooled") {
    throw UsageError("--output: expected hidden or pooled, got '" + what + "'");
  }
  const bool pooled_only = what == "pooled";
  if (args.flag("--normalize") && npy && !pooled_only) {
    throw UsageError(
        "--normalize applies to sentence vectors, and --npy writes hidden states: add --output "
        "pooled");
  }
  const int batch_size = args.integer("--batch-size", 32, 1, 4096);
  ForwardOptions forward = pooling_options(args);
  forward.dimensions = args.integer("--dim", 0, 1, static_cast<int>(models::kMaxHidden));
  if (args.value("--dim") && !pooled_only) {
    throw UsageError("--dim cuts sentence vectors: add --output pooled");
  }

  const LoadedEncoder loaded = load_encoder(args);
  apply_declared_pooling(forward, args, loaded.model);
  if (forward.dimensions > loaded.encoder.hidden_size()) {
    throw UsageError("--dim " + std::to_string(forward.dimensions) + " exceeds the hidden size " +
                     std::to_string(loaded.encoder.hidden_size()) + " of " +
                     loaded.model.directory.string());
  }
  const models::Prompt prompt = chosen_prompt(args, loaded.model, from_ids);
  std::vector<Sequence> sequences;
  if (from_ids) {
    sequences = sequences_from_ids(args);
  } else if (input_file) {
    sequences = sequences_from_texts(loaded, read_input(*input_file), "--input line", prompt.text);
  } else {
    sequences = sequences_from_texts(loaded, args.positional(), "text", prompt.text);
  }
  // An empty --input gives empty output and success, so `grep ... | ordo encode --input -`
  // works when nothing matched.
  const auto count = static_cast<int64_t>(sequences.size());
  int64_t longest = 0;
  for (const Sequence& s : sequences) longest = std::max<int64_t>(longest, s.ids.size());
  const int64_t hidden = loaded.encoder.hidden_size();
  const int64_t width = forward.dimensions > 0 ? forward.dimensions : hidden;  // pooled vectors

  std::optional<NpyWriter> npy_writer;
  if (npy) {
    npy_writer.emplace(*npy, pooled_only ? std::vector<int64_t>{count, width}
                                         : std::vector<int64_t>{count, longest, hidden});
  }
  nlohmann::json document_states = nlohmann::json::array(),
                 document_pooled = nlohmann::json::array(),
                 document_tokens = nlohmann::json::array();
  std::vector<int64_t> lengths;
  const std::vector<float> zeros(static_cast<size_t>(hidden), 0.0f);
  Progress progress("encoding", count, count > batch_size);

  // Sentence vectors into a .npy run longest first, as Model::embed does: a batch's sequences
  // then share their length, so attention runs in fewer, larger groups (20,000 lines of
  // heldout.txt: 9.0 s in input order, 6.9 s sorted, under OMP_WAIT_POLICY=passive). The
  // vectors are put back in input order before they are written; the other outputs stream in
  // input order.
  const bool sorted = npy_writer && pooled_only;
  std::vector<int64_t> order(static_cast<size_t>(count));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::vector<float> pooled_in_order;
  if (sorted) {
    std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) {
      return sequences[x].ids.size() > sequences[y].ids.size();
    });
    pooled_in_order.resize(static_cast<size_t>(count * width));
  }
  for (int64_t start = 0; start < count; start += batch_size) {
    const int64_t stop = std::min<int64_t>(count, start + batch_size);
    EncoderInput input;
    const bool typed = std::any_of(order.begin() + start, order.begin() + stop,
                                   [&](int64_t i) { return !sequences[i].token_types.empty(); });
    for (int64_t i = start; i < stop; ++i) {
      const Sequence& s = sequences[order[i]];
      input.ids.push_back(s.ids);
      if (typed) {
        input.token_types.push_back(s.token_types.empty() ? std::vector<int32_t>(s.ids.size(), 0)
                                                          : s.token_types);
      }
    }
    const EncoderOutput output = loaded.encoder.forward(input, forward);
    require_finite(output);
    const Tensor& states = output.last_hidden_state;
    for (int64_t b = 0; b < stop - start; ++b) {
      const Sequence& sequence = sequences[order[start + b]];
      const int64_t length = output.lengths[b];
      lengths.push_back(length);
      if (sorted) {
        std::copy_n(output.pooled.data() + b * width, width,
                    pooled_in_order.data() + order[start + b] * width);
      } else if (npy_writer) {
        npy_writer->append(states.data() + b * states.dim(1) * hidden, length * hidden);
        for (int64_t t = length; t < longest; ++t) npy_writer->append(zeros.data(), hidden);
      } else if (args.flag("--jsonl")) {
        nlohmann::json line = {{"index", order[start + b]}, {"ids", sequence.ids}};
        if (sequence.tokens) line["tokens"] = *sequence.tokens;
        line["pooled"] = row(output.pooled, b);
        if (!pooled_only) line["last_hidden_state"] = hidden_rows(states, b, length);
        std::cout << line.dump() << '\n';
        if (!std::cout) check_stdout(errno);  // the reader left or the disk is full: stop now
      } else {
        if (!pooled_only) {
          nlohmann::json rows = hidden_rows(states, b, length);
          for (int64_t t = length; t < longest; ++t) rows.push_back(zeros);
          document_states.push_back(std::move(rows));
        }
        document_pooled.push_back(row(output.pooled, b));
        if (sequence.tokens) document_tokens.push_back(*sequence.tokens);
      }
    }
    if (args.flag("--jsonl")) check_stdout();  // each batch reaches the reader as it is done
    progress.advance(stop - start);
  }
  progress.finish();
  if (sorted) npy_writer->append(pooled_in_order.data(), count * width);
  if (npy_writer) npy_writer->commit();
  if (args.flag("--json")) {
    nlohmann::json document = {
        {"model", loaded.model.directory.string()},
        {"pe", to_string(loaded.encoder.position_kind())},
        {"shape",
         pooled_only ? nlohmann::json{count, width} : nlohmann::json{count, longest, hidden}},
        {"lengths", lengths},
        {"tokens", std::move(document_tokens)},
        {"pooling", to_string(forward.pooling)},
        {"prompt", prompt.name.empty() ? nlohmann::json() : nlohmann::json(prompt.name)},
        {"dimensions", width},
        {"pooled", std::move(document_pooled)},
    };
    if (!pooled_only) document["last_hidden_state"] = std::move(document_states);
    std::cout << document.dump() << '\n';
  }
  return 0;
}

}  // namespace ordo::cli

// The Python module `ordo` (its compiled part, ordo._ordo): ordo::Model with
// sentence-transformers' names, numpy arrays out without per-element copies, the GIL released
// while the engine runs, and every ordo::Error raised as ordo.Error with the C++ message.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <atomic>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ordo/model.h"

namespace py = pybind11;

namespace {

// The array takes ownership of `array`'s buffer: numpy reads the floats where the engine wrote
// them, and frees them with the last reference.
py::array_t<float> to_numpy(ordo::Array&& array) {
  auto* owner = new ordo::Array(std::move(array));
  py::capsule free_owner(owner, [](void* p) { delete static_cast<ordo::Array*>(p); });
  const std::vector<py::ssize_t> shape(owner->shape().begin(), owner->shape().end());
  return py::array_t<float>(shape, owner->values().data(), free_owner);
}

// A C-contiguous float32 matrix as an ordo::Array (one bulk copy).
ordo::Array to_array(const py::array_t<float, py::array::c_style | py::array::forcecast>& values,
                     const char* name) {
  if (values.ndim() != 2) {
    throw ordo::Error(std::string(name) + ": expected a 2-D array [rows, dim], got " +
                      std::to_string(values.ndim()) + " dimensions");
  }
  std::vector<float> copy(values.data(), values.data() + values.size());
  return ordo::Array({values.shape(0), values.shape(1)}, std::move(copy));
}

// A str's UTF-8 bytes; a str with no UTF-8 form (a lone surrogate) raises Python's
// UnicodeEncodeError.
std::string utf8_of(const py::handle& text) {
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(text.ptr(), &size);
  if (data == nullptr) throw py::error_already_set();
  return std::string(data, static_cast<size_t>(size));
}

// A str, or a list/tuple of str. Anything else (None, bytes, a number, a list holding one)
// is a TypeError naming the argument and the offending item.
std::vector<std::string> texts_of(const py::handle& sentences, const char* name, bool* single) {
  if (py::isinstance<py::str>(sentences)) {
    *single = true;
    return {utf8_of(sentences)};
  }
  *single = false;
  if (!py::isinstance<py::list>(sentences) && !py::isinstance<py::tuple>(sentences)) {
    throw py::type_error(std::string(name) + ": expected str or a list of str, got " +
                         std::string(py::str(py::type::handle_of(sentences).attr("__name__"))));
  }
  std::vector<std::string> texts;
  size_t index = 0;
  for (const py::handle item : sentences) {
    if (!py::isinstance<py::str>(item)) {
      throw py::type_error(std::string(name) + "[" + std::to_string(index) +
                           "]: expected str, got " +
                           std::string(py::str(py::type::handle_of(item).attr("__name__"))));
    }
    texts.push_back(utf8_of(item));
    ++index;
  }
  return texts;
}

py::dict token_dict(const std::vector<ordo::Token>& tokens) {
  py::list ids, pieces, types, spans;
  for (const ordo::Token& token : tokens) {
    ids.append(token.id);
    pieces.append(token.text);
    types.append(token.type);
    spans.append(py::make_tuple(token.begin, token.end));
  }
  py::dict out;
  out["ids"] = ids;
  out["pieces"] = pieces;
  out["types"] = types;
  out["spans"] = spans;
  return out;
}

py::dict info_dict(const ordo::ModelInfo& info) {
  py::dict out;
  out["family"] = info.family;
  out["positional_encoding"] = ordo::to_string(info.positional_encoding);
  out["hidden_size"] = info.hidden_size;
  out["num_layers"] = info.num_layers;
  out["num_heads"] = info.num_heads;
  out["vocab_size"] = info.vocab_size;
  out["max_tokens"] = info.max_tokens;
  out["pooling"] = ordo::to_string(info.pooling);
  out["normalize"] = info.normalize;
  out["dimensions"] = info.dimensions;
  out["prompt"] = info.prompt;
  out["dtype"] = ordo::to_string(info.dtype);
  out["threads"] = info.threads;
  out["isa"] = info.isa;
  out["has_tokenizer"] = info.has_tokenizer;
  out["has_masked_lm_head"] = info.has_masked_lm_head;
  out["has_pooler"] = info.has_pooler;
  out["version"] = ordo::version();
  return out;
}

// Model.pair's dict: the keys and values of `ordo pair --json` (separate mode).
py::dict pair_dict(const ordo::Model& model, const ordo::PairComparison& c,
                   const std::string& text_a, const std::string& text_b, bool align_surface) {
  const auto side = [](const std::vector<ordo::Token>& tokens, const std::string& text) {
    py::list pieces, ids;
    for (const ordo::Token& token : tokens) {
      pieces.append(token.text);
      ids.append(token.id);
    }
    py::dict out;
    out["text"] = text;
    out["tokens"] = pieces;
    out["ids"] = ids;
    return out;
  };
  py::list shared;
  for (const ordo::SharedToken& s : c.shared_tokens) {
    py::dict token;
    token["token"] = s.token;
    token["index_a"] = s.index_a;
    token["index_b"] = s.index_b;
    token["cosine"] = s.cosine;
    token["l2"] = s.l2;
    token["attention_cosine"] = s.attention_cosine;
    token["attention_l2"] = s.attention_l2;
    shared.append(token);
  }
  const ordo::ModelInfo info = model.info();
  py::dict out;
  out["model"] = model.directory().string();
  out["pe"] = ordo::to_string(info.positional_encoding);
  out["mode"] = "separate";
  out["layer"] = c.layer;
  out["attention_block"] = c.attention_block;
  out["head"] = c.head < 0 ? py::object(py::str("mean")) : py::object(py::int_(c.head));
  out["pooling"] = ordo::to_string(info.pooling);
  out["prompt"] = info.prompt.empty() ? py::object(py::none()) : py::object(py::str(info.prompt));
  out["a"] = side(c.a, text_a);
  out["b"] = side(c.b, text_b);
  out["cosine"] = c.cosine;
  out["shared_tokens"] = shared;
  out["permutation"] = c.permutation;
  out["permutation_up_to_word_marker"] = c.permutation_up_to_word_marker;
  out["align"] = align_surface ? "surface" : "id";
  out["max_drift_l2"] = c.max_drift_l2;
  out["verdict"] = c.verdict;
  if (!c.note.empty()) out["note"] = c.note;
  return out;
}

// The rows of input i of a padded [N, longest, hidden] state, as its own [T_i, hidden] array.
ordo::Array token_rows(const ordo::Result& result, size_t input) {
  const int64_t tokens = static_cast<int64_t>(result.tokens[input].size());
  const int64_t hidden = result.last_hidden_state.dim(2);
  const ordo::FloatSpan rows = result.last_hidden_state.slice(input);
  return ordo::Array({tokens, hidden},
                     std::vector<float>(rows.data(), rows.data() + tokens * hidden));
}

class PyModel {
 public:
  PyModel(const std::filesystem::path& path, int threads, const std::optional<std::string>& pooling,
          bool normalize, const std::string& dtype,
          const std::optional<std::string>& positional_encoding,
          std::optional<std::string> prompt_name, std::optional<int64_t> truncate_dim,
          bool truncate)
      : model_(load(path, threads, pooling, normalize, dtype, positional_encoding,
                    std::move(prompt_name), truncate_dim, truncate)) {}

  py::object encode(const py::handle& sentences, size_t batch_size, bool show_progress_bar,
                    const std::string& output_value, bool normalize_embeddings,
                    const std::string& prompt, std::optional<size_t> truncate_dim) const {
    bool single = false;
    const std::vector<std::string> texts = texts_of(sentences, "sentences", &single);
    if (output_value == "token_embeddings") return token_embeddings(texts, batch_size, single);
    if (output_value != "sentence_embedding") {
      throw ordo::Error("encode: output_value '" + output_value +
                        "' is not one of 'sentence_embedding', 'token_embeddings'");
    }
    ordo::EmbedOptions options;
    options.batch_size = batch_size;
    if (normalize_embeddings) options.normalize = true;  // False keeps the model's own setting
    options.prompt = prompt;
    options.dimensions = truncate_dim.value_or(0);
    // Ctrl-C: the progress callback, called between batches, looks for Python's signals.
    std::atomic<bool> cancel{false};
    options.cancel = &cancel;
    options.progress = [&](size_t done, size_t total) {
      if (show_progress_bar) {
        std::fprintf(stderr, "\rordo: encoded %zu/%zu%s", done, total, done == total ? "\n" : "");
      }
      py::gil_scoped_acquire gil;
      if (PyErr_CheckSignals() != 0) cancel = true;
    };
    ordo::Array vectors;
    {
      py::gil_scoped_release release;
      try {
        vectors = model_.embed(texts, options);
      } catch (const ordo::Error&) {
        if (!cancel) throw;
      }
    }
    if (cancel) throw py::error_already_set();  // the KeyboardInterrupt Python raised
    py::array_t<float> out = to_numpy(std::move(vectors));
    if (single) return out[py::int_(0)];
    return std::move(out);
  }

  py::array_t<float> attentions(const std::string& text) const {
    ordo::Result result;
    {
      py::gil_scoped_release release;
      ordo::EncodeOptions call;
      call.output_attentions = true;
      result = model_.encode({text}, call);
    }
    const int64_t layers = static_cast<int64_t>(result.attentions.size());
    const int64_t heads = model_.num_heads();
    const int64_t tokens = static_cast<int64_t>(result.tokens[0].size());
    // One sequence: each layer's [1, heads, T, T] is already dense, so the layers stack as is.
    std::vector<float> values;
    values.reserve(static_cast<size_t>(layers * heads * tokens * tokens));
    for (const ordo::Array& layer : result.attentions) {
      values.insert(values.end(), layer.values().begin(), layer.values().end());
    }
    return to_numpy(ordo::Array({layers, heads, tokens, tokens}, std::move(values)));
  }

  py::dict pair(const std::string& a, const std::string& b, int layer, int head,
                const std::string& align) const {
    if (align != "id" && align != "surface") {
      throw ordo::Error("pair: align '" + align + "' is not one of 'id', 'surface'");
    }
    ordo::PairOptions options;
    options.layer = layer;
    options.head = head;
    options.align_surface = align == "surface";
    ordo::PairComparison comparison;
    {
      py::gil_scoped_release release;
      comparison = model_.compare(a, b, options);
    }
    return pair_dict(model_, comparison, a, b, options.align_surface);
  }

  py::dict tokenize(const std::string& text, std::optional<std::string> pair) const {
    std::vector<ordo::Token> tokens;
    {
      py::gil_scoped_release release;
      tokens = pair ? model_.tokenize(text, *pair) : model_.tokenize(text);
    }
    return token_dict(tokens);
  }

  py::list fill_mask(const std::string& text, size_t top_k) const {
    std::vector<ordo::MaskFill> fills;
    {
      py::gil_scoped_release release;
      fills = model_.fill_mask(text, top_k);
    }
    py::list out;
    for (const ordo::MaskFill& fill : fills) {
      py::list predictions;
      for (const ordo::FillPrediction& p : fill.predictions) {
        py::dict prediction;
        prediction["token"] = p.token;
        prediction["id"] = p.id;
        prediction["probability"] = p.probability;
        predictions.append(prediction);
      }
      py::dict mask;
      mask["position"] = fill.position;
      mask["predictions"] = predictions;
      out.append(mask);
    }
    return out;
  }

  const ordo::Model& model() const { return model_; }

 private:
  static ordo::Model load(const std::filesystem::path& path, int threads,
                          const std::optional<std::string>& pooling, bool normalize,
                          const std::string& dtype,
                          const std::optional<std::string>& positional_encoding,
                          std::optional<std::string> prompt_name,
                          std::optional<int64_t> truncate_dim, bool truncate) {
    ordo::Options options;
    options.threads = threads;
    options.pooling = pooling.value_or("");
    options.normalize = normalize;
    options.dtype = dtype;
    options.positional_encoding = positional_encoding.value_or("");
    options.prompt = std::move(prompt_name);
    options.dimensions = truncate_dim.value_or(0);
    options.truncate = truncate;
    py::gil_scoped_release release;
    return ordo::Model::load(path, options);
  }

  py::object token_embeddings(const std::vector<std::string>& texts, size_t batch_size,
                              bool single) const {
    if (batch_size == 0) throw ordo::Error("encode: batch_size must be at least 1");
    std::vector<ordo::Array> arrays;
    {
      py::gil_scoped_release release;
      for (size_t start = 0; start < texts.size(); start += batch_size) {
        const size_t end = std::min(texts.size(), start + batch_size);
        const ordo::Result result =
            model_.encode(std::vector<std::string>(texts.begin() + start, texts.begin() + end));
        for (size_t i = 0; i < result.size(); ++i) arrays.push_back(token_rows(result, i));
      }
    }
    py::list out;
    for (ordo::Array& array : arrays) out.append(to_numpy(std::move(array)));
    if (single) return out[0];
    return std::move(out);
  }

  ordo::Model model_;
};

}  // namespace

PYBIND11_MODULE(_ordo, m) {
  m.doc() = "ordo: a small, fast Transformer-encoder inference engine (C++, oneDNN).";
  m.attr("__version__") = ordo::version();
  static py::exception<ordo::Error> error(m, "Error", PyExc_RuntimeError);
  // pybind11 takes a translator by this exact signature (a function pointer).
  py::register_exception_translator(
      [](std::exception_ptr p) {  // NOLINT(performance-unnecessary-value-param)
        try {
          if (p) std::rethrow_exception(p);
        } catch (const ordo::Error& e) {
          error(e.what());
        }
      });

  py::class_<PyModel>(m, "Model",
                      R"(A model directory loaded once (config.json, model.safetensors, tokenizer).

Model(path, threads=0, pooling=None, normalize=False, dtype="f32",
      positional_encoding=None, prompt_name=None, truncate_dim=None, truncate=True)

path: a directory in Hugging Face layout, e.g. "models/ordo-sinusoidal".
threads: OpenMP threads per call (0: OMP_NUM_THREADS, else one per core).
pooling: "mean", "cls", "max", "mean_sqrt_len" or "pooler" (None: what the directory
  declares in modules.json, else mean).
normalize: unit-length sentence vectors (a sentence-transformers Normalize module turns it on).
dtype: "f32", "bf16" (CPUs with AVX512-BF16 or AMX) or "int8".
positional_encoding: run the weights under another encoding, e.g. "none".
prompt_name: a prompt of config_sentence_transformers.json ("" for none).
truncate_dim: Matryoshka truncation of sentence vectors.
truncate: cut texts longer than the model's limit (False: raise ordo.Error).

Every method may be called from several Python threads at once: the GIL is released
while the engine runs. Failures raise ordo.Error with the engine's message.)")
      .def(py::init<std::filesystem::path, int, std::optional<std::string>, bool, std::string,
                    std::optional<std::string>, std::optional<std::string>, std::optional<int64_t>,
                    bool>(),
           py::arg("path"), py::arg("threads") = 0, py::arg("pooling") = py::none(),
           py::arg("normalize") = false, py::arg("dtype") = "f32",
           py::arg("positional_encoding") = py::none(), py::arg("prompt_name") = py::none(),
           py::arg("truncate_dim") = py::none(), py::arg("truncate") = true)
      .def("encode", &PyModel::encode, py::arg("sentences"), py::arg("batch_size") = 32,
           py::arg("show_progress_bar") = false, py::arg("output_value") = "sentence_embedding",
           py::arg("normalize_embeddings") = false, py::arg("prompt") = "",
           py::arg("truncate_dim") = py::none(),
           R"(Sentence vectors, as SentenceTransformer.encode.

sentences: a str or a list of str.
Returns a float32 numpy array [len(sentences), dim] (a str gives [dim]); with
output_value="token_embeddings", a list of [tokens, hidden] arrays, one per sentence.
batch_size: texts per forward pass (sorted by length; memory grows with it, not with the
  number of texts). normalize_embeddings: unit-length vectors (False keeps the model's
  setting). prompt: a literal prefix for every text. truncate_dim: keep the first components.
show_progress_bar: report progress on stderr. Ctrl-C stops between batches.)")
      .def("attentions", &PyModel::attentions, py::arg("text"),
           "Attention probabilities of one text: float32 [layers, heads, tokens, tokens].")
      .def("pair", &PyModel::pair, py::arg("a"), py::arg("b"), py::arg("layer") = -1,
           py::arg("head") = -1, py::arg("align") = "id",
           R"(What `ordo pair --json A B` reports, as a dict: the sentence cosine, every shared
token's drift (vector and attention row) and the verdict on word order.

layer: 0 is the embedding output, -1 the last layer. head: -1 averages the heads.
align: "id" matches tokens by id, "surface" by text without the "▁" marker.)")
      .def("tokenize", &PyModel::tokenize, py::arg("text"), py::arg("pair") = py::none(),
           R"(The tokens encode() runs: {"ids", "pieces", "types", "spans"} (byte spans).)")
      .def(
          "count_tokens",
          [](const PyModel& self, const std::string& text) {
            return self.model().count_tokens(text);
          },
          py::arg("text"), "Tokens of text with special tokens, before truncation.")
      .def(
          "decode",
          [](const PyModel& self, const std::vector<int32_t>& ids) {
            return self.model().decode(ids);
          },
          py::arg("ids"), "Ids back to text (special tokens left out).")
      .def("fill_mask", &PyModel::fill_mask, py::arg("text"), py::arg("top_k") = 5,
           R"(The masked-LM head: per mask token in text ("[MASK]" for BERT vocabularies), a
dict {"position", "predictions": [{"token", "id", "probability"}, ...]}.)")
      .def(
          "info", [](const PyModel& self) { return info_dict(self.model().info()); },
          "The settings in effect: family, positional encoding, sizes, pooling, dtype, ISA, ...")
      .def_property_readonly(
          "dimensions", [](const PyModel& self) { return self.model().dimensions(); },
          "Floats per sentence vector.")
      .def_property_readonly(
          "max_tokens", [](const PyModel& self) { return self.model().max_tokens(); },
          "Most tokens per input (0: no limit).")
      .def("__repr__", [](const PyModel& self) {
        return "ordo.Model('" + self.model().directory().string() + "', " +
               self.model().positional_encoding() + ", dim " +
               std::to_string(self.model().dimensions()) + ")";
      });

  m.def(
      "similarity",
      [](const py::array_t<float, py::array::c_style | py::array::forcecast>& a,
         const py::array_t<float, py::array::c_style | py::array::forcecast>& b) {
        const ordo::Array x = to_array(a, "a"), y = to_array(b, "b");
        ordo::Array scores;
        {
          py::gil_scoped_release release;
          scores = ordo::similarity(x, y);
        }
        return to_numpy(std::move(scores));
      },
      py::arg("a"), py::arg("b"),
      "Cosine of every row of a with every row of b: [len(a), len(b)].");
  m.def(
      "top_k",
      [](const py::array_t<float, py::array::c_style | py::array::forcecast>& queries,
         const py::array_t<float, py::array::c_style | py::array::forcecast>& corpus, size_t k) {
        const ordo::Array q = to_array(queries, "queries"), c = to_array(corpus, "corpus");
        std::vector<std::vector<ordo::Hit>> hits;
        {
          py::gil_scoped_release release;
          hits = ordo::top_k(q, c, k);
        }
        py::list out;
        for (const auto& row : hits) {
          py::list list;
          for (const ordo::Hit& hit : row) list.append(py::make_tuple(hit.index, hit.score));
          out.append(list);
        }
        return out;
      },
      py::arg("queries"), py::arg("corpus"), py::arg("k"),
      "For each query row, the k most similar corpus rows: [(index, cosine), ...], best first.");
}

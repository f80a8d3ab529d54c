// The `ordo` binary as a user or a script meets it: outputs that parse, exit status 2 for
// usage errors and 1 for runtime errors, messages on stderr and nothing on stdout on error.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cli_test_util.h"
#include "ordo/version.h"
#include "test_util.h"
#include "utf8.h"

namespace ordo::test {
namespace {

const std::string kModel = fixture("learned_gelu").string();

TEST(Cli, EncodeJsonHasTheDocumentedFields) {
  const CliRun run =
      ordo({"encode", "--model", kModel, "--ids", "5,17,42", "--ids", "3,4", "--json"});
  ASSERT_EQ(run.status, 0) << run.err;
  const auto document = nlohmann::json::parse(run.out);
  EXPECT_EQ(document["shape"], nlohmann::json({2, 3, 32}));
  EXPECT_EQ(document["lengths"], nlohmann::json({3, 2}));
  EXPECT_EQ(document["pe"], "learned");
  ASSERT_EQ(document["last_hidden_state"].size(), 2u);
  // The padded third row of the second sequence is zero.
  for (const auto& value : document["last_hidden_state"][1][2])
    EXPECT_EQ(value.template get<float>(), 0.0f);
  EXPECT_EQ(document["pooled"][0].size(), 32u);
}

TEST(Cli, EncodeNpyMatchesTheEngine) {
  ScratchDir scratch;
  const auto path = scratch.path() / "out.npy";
  const CliRun run = ordo({"encode", "--model", kModel, "--ids", "5,17,42", "--ids", "3,4", "--pe",
                           "none", "--npy", path.string()});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_TRUE(run.out.empty());
  const std::string bytes = read_file(path);
  ASSERT_GE(bytes.size(), 128u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const size_t header_length =
      static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  EXPECT_EQ((10 + header_length) % 64, 0u);
  const std::string header = bytes.substr(10, header_length);
  EXPECT_NE(header.find("'descr': '<f4'"), std::string::npos) << header;
  EXPECT_NE(header.find("'shape': (2, 3, 32)"), std::string::npos) << header;
  ASSERT_EQ(bytes.size(), 10 + header_length + 2 * 3 * 32 * sizeof(float));

  const Encoder encoder = load_fixture("learned_gelu", {PositionKind::none});
  const EncoderOutput expected = encoder.forward({{{5, 17, 42}, {3, 4}}, {}});
  std::vector<float> values(2 * 3 * 32);
  std::memcpy(values.data(), bytes.data() + 10 + header_length, values.size() * sizeof(float));
  EXPECT_EQ(max_abs_difference(values.data(), expected.last_hidden_state.data(), 2 * 3 * 32), 0.0f);
}

TEST(Cli, HelpExitsZero) {
  for (const std::vector<std::string>& arguments :
       {std::vector<std::string>{"--help"}, {"encode", "--help"}, {"bench", "--help"}}) {
    const CliRun run = ordo(arguments);
    EXPECT_EQ(run.status, 0);
    EXPECT_NE(run.out.find("usage: ordo"), std::string::npos) << run.out;
  }
}

// --version names ordo's version (the one the headers carry), oneDNN's and the ISA in use.
TEST(Cli, VersionNamesOrdoOneDnnAndTheIsa) {
  for (const char* spelling : {"--version", "version"}) {
    const CliRun run = ordo({spelling});
    ASSERT_EQ(run.status, 0) << run.err;
    EXPECT_EQ(run.out.rfind(std::string("ordo ") + ORDO_VERSION_STRING + "\n", 0), 0u) << run.out;
    EXPECT_NE(run.out.find("oneDNN "), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("ordo's kernels: "), std::string::npos) << run.out;
  }
  EXPECT_EQ(ordo({"--version", "extra"}).status, 2);
}

// ORDO_ISA caps ordo's kernels and oneDNN together, and --version says so; a value that is not
// a level stops every command before it starts, naming the variable and the allowed values.
TEST(Cli, OrdoIsaIsReportedAndAnInvalidValueIsAUsageError) {
  const CliRun generic = shell("ORDO_ISA=generic \"$ORDO\" --version");
  ASSERT_EQ(generic.status, 0) << generic.err;
  EXPECT_NE(generic.out.find("\nISA generic (ORDO_ISA=generic"), std::string::npos) << generic.out;
  EXPECT_NE(generic.out.find("ordo's kernels: oneDNN only"), std::string::npos) << generic.out;
#if defined(__x86_64__) || defined(__i386__)
  EXPECT_NE(generic.out.find("(SSE4.1)"), std::string::npos) << generic.out;
#endif
  for (const char* command : {"--version", "encode 'a b'", "bench --shape minilm"}) {
    const CliRun bad = shell(std::string("ORDO_ISA=avx3 \"$ORDO\" ") + command);
    EXPECT_EQ(bad.status, 2) << command;
    EXPECT_TRUE(bad.out.empty()) << bad.out;
    EXPECT_NE(bad.err.find("ORDO_ISA=\"avx3\""), std::string::npos) << bad.err;
    EXPECT_NE(bad.err.find("avx512, avx2 or generic"), std::string::npos) << bad.err;
  }
}

TEST(Cli, UsageErrorsExitTwo) {
  expect_error({}, 2, "usage: ordo");
  expect_error({"frobnicate"}, 2, "unknown command 'frobnicate'");
  expect_error({"encode", "--model", kModel, "--json"}, 2, "--ids");
  expect_error({"encode", "--model", kModel, "--ids", "1,2"}, 2, "--npy FILE or --json");
  expect_error({"encode", "--model", kModel, "--ids", "1,x", "--json"}, 2, "'x'");
  expect_error({"encode", "--model", kModel, "--ids", "1,2", "--json", "--bogus"}, 2,
               "unknown option '--bogus'");
  expect_error({"encode", "--model", kModel, "--ids", "1,2", "--json", "--pe", "xpos"}, 2, "xpos");
  expect_error({"encode", "--model", kModel, "--ids", "1,2", "--json", "--threads", "0"}, 2,
               "--threads");
  expect_error({"encode", "--model", kModel, "--ids", "1,2", "--json", "--threads", "99999999999"},
               2, "--threads");
  expect_error({"encode", "--model"}, 2, "needs a value");
}

TEST(Cli, RuntimeErrorsExitOne) {
  expect_error({"encode", "--model", "/nonexistent/model", "--ids", "1,2", "--json"}, 1,
               "/nonexistent/model");
  expect_error({"encode", "--model", kModel, "--ids", "1,2,999", "--json"}, 1, "id 999");
  expect_error({"encode", "--model", kModel, "--ids", "1,2", "--npy", "/nonexistent/dir/out.npy"},
               1, "/nonexistent/dir/out.npy");
  std::string long_input = "1";
  for (int i = 0; i < 40; ++i) long_input += ",1";
  expect_error({"encode", "--model", kModel, "--ids", long_input, "--json"}, 1, "41 tokens");
}

// Random weights with a real tokenizer and an MLM head (tools/make_tokenized_fixture.py): the
// CLI's mechanics must not depend on what a trained model happens to have learned.
const std::string kTiny = fixture("tiny_tokenized").string();

nlohmann::json pair_json(const std::vector<std::string>& extra) {
  std::vector<std::string> arguments = {"pair", "--json"};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  const CliRun run = ordo(arguments);
  EXPECT_EQ(run.status, 0) << run.err;
  return nlohmann::json::parse(run.out);
}

double max_shared_drift(const nlohmann::json& document) {
  double worst = 0;
  for (const auto& token : document["shared_tokens"])
    worst = std::max(worst, token["l2"].get<double>());
  return worst;
}

TEST(CliPair, WithoutPositionalEncodingAPermutationDoesNotMove) {
  for (const auto& sentences :
       {std::vector<std::string>{"The cat chases the mouse.", "The mouse chases the cat."},
        std::vector<std::string>{"猫追老鼠", "老鼠追猫"}}) {
    const auto document = pair_json({"--model", kTiny, "--pe", "none", sentences[0], sentences[1]});
    EXPECT_TRUE(document["permutation"].get<bool>());
    ASSERT_GE(document["shared_tokens"].size(), 4u);
    for (const auto& token : document["shared_tokens"]) {
      EXPECT_LE(token["l2"].get<double>(), 1e-5) << token.dump();
      EXPECT_GE(token["cosine"].get<double>(), 1.0 - 1e-6) << token.dump();
      EXPECT_LE(token["attention_l2"].get<double>(), 1e-5) << token.dump();
    }
    EXPECT_NEAR(document["cosine"].get<double>(), 1.0, 1e-6);  // mean pooling is order-blind too
    EXPECT_NE(document["verdict"].get<std::string>().find("permutation-equivariant"),
              std::string::npos);
  }
}

TEST(CliPair, PositionalEncodingsMakeWordOrderMatter) {
  for (const std::string pe : {"sinusoidal", "sinusoidal-blocked"}) {
    const auto document = pair_json(
        {"--model", kTiny, "--pe", pe, "The cat chases the mouse.", "The mouse chases the cat."});
    EXPECT_GT(max_shared_drift(document), 1e-2) << pe;
    EXPECT_LT(document["cosine"].get<double>(), 1.0) << pe;
    EXPECT_NE(document["verdict"].get<std::string>().find("makes word order matter"),
              std::string::npos)
        << document["verdict"];
  }
}

TEST(CliFill, RanksTheVocabularyAtEachMask) {
  const CliRun run =
      ordo({"fill", "--model", kTiny, "--json", "--top-k", "7", "The [MASK] chases the [MASK]."});
  ASSERT_EQ(run.status, 0) << run.err;
  const auto document = nlohmann::json::parse(run.out);
  ASSERT_EQ(document["masks"].size(), 2u);
  for (const auto& mask : document["masks"]) {
    ASSERT_EQ(mask["predictions"].size(), 7u);
    double previous = 1.0, total = 0.0;
    for (const auto& prediction : mask["predictions"]) {
      const double p = prediction["probability"].get<double>();
      EXPECT_LE(p, previous);
      previous = p;
      total += p;
    }
    EXPECT_LE(total, 1.0 + 1e-9);
    EXPECT_EQ(document["tokens"][mask["position"].get<size_t>()], "[MASK]");
  }
  expect_error({"fill", "--model", kTiny, "no mask here"}, 2, "no mask token");
  expect_error({"fill", "--model", kModel, "a [MASK]"}, 1, "no masked-language-model head");
}

// Columns of the text table line up on a terminal: the percentage ends at the same display
// column on every row, CJK pieces (two columns each) included. The bundled model's top pieces
// for a Chinese mask mix CJK and ASCII.
TEST(CliFill, TextColumnsAlignByDisplayWidth) {
  const CliRun run = ordo({"fill", "--top-k", "10", "Debian 是一个自由的[MASK]作系统。"});
  ASSERT_EQ(run.status, 0) << run.err;
  std::istringstream lines(run.out);
  std::set<size_t> columns;
  int wide_rows = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("  ", 0) != 0) continue;  // a prediction row
    const size_t percent = line.find('%');   // numbers are right-aligned: '%' ends the column
    size_t width = 0;
    bool wide = false;
    for (size_t i = 0; i < percent;) {
      const auto lead = static_cast<unsigned char>(line[i]);
      const size_t length = tokenizer::utf8_sequence_length(lead);
      const bool cjk = length == 3 && lead >= 0xE4 && lead <= 0xE9;  // U+4000..U+9FFF
      wide = wide || cjk;
      width += cjk ? 2 : 1;
      i += length;
    }
    wide_rows += wide;
    columns.insert(width);
  }
  EXPECT_GE(wide_rows, 1) << run.out;
  EXPECT_EQ(columns.size(), 1u) << run.out;
}

TEST(CliPair, SvgIsWellFormedAndLabelled) {
  ScratchDir scratch;
  const auto path = scratch.path() / "pair.svg";
  const CliRun run = ordo({"pair", "--model", kTiny, "--svg", path.string(), "--layer", "1",
                           "--head", "0", "猫追老鼠 & <tags>", "老鼠追猫 & <tags>"});
  ASSERT_EQ(run.status, 0) << run.err;
  const std::string svg = read_file(path);
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("&lt;"), std::string::npos);  // token text is escaped
  EXPECT_NE(svg.find("block 1, head 0"), std::string::npos);
  const std::string check = "xmllint --noout '" + path.string() + "'";
  EXPECT_EQ(std::system(check.c_str()), 0) << "xmllint rejected the SVG";
  expect_error({"pair", "--model", kTiny, "--svg", "/nonexistent/dir/x.svg", "a", "b"}, 1,
               "/nonexistent/dir/x.svg");
}

// --html: one self-contained page with the facts, the drift table (a row per shared token,
// with its details on hover), the verdict and the figure as inline SVG with hover titles.
TEST(CliPair, HtmlReportIsOneSelfContainedPage) {
  ScratchDir scratch;
  const auto path = scratch.path() / "pair.html";
  const CliRun run = ordo({"pair", "--model", kTiny, "--html", path.string(), "--pe", "none",
                           "猫追老鼠 & <tags>", "老鼠追猫 & <tags>"});
  ASSERT_EQ(run.status, 0) << run.err;
  const std::string html = read_file(path);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_NE(html.find("&lt;tags&gt;"), std::string::npos);  // text is escaped
  EXPECT_EQ(html.find("<tags>"), std::string::npos);
  EXPECT_NE(html.find("permutation-equivariant"), std::string::npos);  // the verdict
  // Nothing outside the page: no script, no link, no src.
  for (const char* external : {"<script", "<link", " src=", "http://", "https://"}) {
    const size_t at = html.find(external);
    // The SVG's namespace is the one URL allowed.
    if (at != std::string::npos && html.compare(at, 26, "http://www.w3.org/2000/svg") == 0)
      continue;
    EXPECT_EQ(at, std::string::npos) << external;
  }
  // One table row per shared token, each with a hover title, and the same count as --json's.
  const auto json = nlohmann::json::parse(ordo({"pair", "--model", kTiny, "--json", "--pe", "none",
                                                "猫追老鼠 & <tags>", "老鼠追猫 & <tags>"})
                                              .out);
  size_t rows = 0;
  for (size_t at = html.find("<tr title="); at != std::string::npos;
       at = html.find("<tr title=", at + 1))
    ++rows;
  EXPECT_EQ(rows, json["shared_tokens"].size());
  // The inline SVG is well-formed XML on its own, and its cells carry <title> details.
  const size_t begin = html.find("<svg"), end = html.find("</svg>");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  const auto svg = scratch.write("inline.svg", html.substr(begin, end + 6 - begin));
  EXPECT_EQ(std::system(("xmllint --noout '" + svg.string() + "'").c_str()), 0);
  EXPECT_NE(html.find("<title>", begin), std::string::npos);
  expect_error({"pair", "--model", kTiny, "--html", "/nonexistent/dir/x.html", "a", "b"}, 1,
               "/nonexistent/dir/x.html");
  expect_error({"pair", "--model", kTiny, "--joint", "--html", "x.html", "a", "b"}, 2, "--html");
}

TEST(CliComparePe, HtmlReportHasBothTablesAndThePicture) {
  ScratchDir scratch;
  const auto path = scratch.path() / "compare.html";
  const CliRun run = ordo({"compare-pe", kTiny, "--lengths", "16,32", "--sentences", "5",
                           "--positions", "16", "--html", path.string()});
  ASSERT_EQ(run.status, 0) << run.err;
  const std::string html = read_file(path);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("Masked-LM top-1 accuracy"), std::string::npos);
  EXPECT_NE(html.find("Order sensitivity"), std::string::npos);
  // Two lengths, one model: two accuracy rows, plus one order-sensitivity row.
  size_t rows = 0;
  for (size_t at = html.find("<tr title="); at != std::string::npos;
       at = html.find("<tr title=", at + 1))
    ++rows;
  EXPECT_EQ(rows, 3u);
  const size_t begin = html.find("<svg"), end = html.find("</svg>");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  const auto svg = scratch.write("inline.svg", html.substr(begin, end + 6 - begin));
  EXPECT_EQ(std::system(("xmllint --noout '" + svg.string() + "'").c_str()), 0);
}

// Two texts with the same words are either a permutation of the same pieces or differ only by
// the word-boundary marker (▁我 vs 我, with a tokenizer that adds a dummy prefix); either way
// --align surface matches every token of A with its text in B.
TEST(CliPair, AlignSurfaceMatchesTokensAcrossTheWordMarker) {
  const auto run_pair_json = [](const std::vector<std::string>& arguments) {
    const CliRun run = ordo(arguments);
    EXPECT_EQ(run.status, 0) << run.err;
    return nlohmann::json::parse(run.out);
  };
  const auto by_id = run_pair_json({"pair", "--json", "我吃饭了", "吃饭了我"});
  EXPECT_TRUE(by_id["permutation_up_to_word_marker"].get<bool>());
  EXPECT_EQ(by_id["align"], "id");
  const auto by_surface =
      run_pair_json({"pair", "--json", "--align", "surface", "我吃饭了", "吃饭了我"});
  EXPECT_EQ(by_surface["align"], "surface");
  EXPECT_EQ(by_surface["shared_tokens"].size(), by_surface["a"]["tokens"].size());
  for (const auto& token : by_surface["shared_tokens"]) {
    std::string a = by_surface["a"]["tokens"][token["index_a"].get<size_t>()];
    std::string b = by_surface["b"]["tokens"][token["index_b"].get<size_t>()];
    for (std::string* text : {&a, &b}) {
      if (text->rfind("\xE2\x96\x81", 0) == 0) text->erase(0, 3);
    }
    EXPECT_EQ(a, b);
  }
  expect_error({"pair", "--align", "words", "a", "b"}, 2, "--align");
  expect_error({"pair", "--align", "surface", "--joint", "a", "b"}, 2, "--joint");
}

TEST(CliPair, Errors) {
  expect_error({"pair", "only one"}, 2, "expected two sentences");
  expect_error({"pair", "--model", kTiny, "--layer", "99", "a", "b"}, 2, "--layer");
  expect_error({"pair", "--model", kTiny, "--head", "-2", "a", "b"}, 2, "--head");
  expect_error({"pair", "--model", kModel, "a", "b"}, 1, "no tokenizer");
  expect_error({"pair", "--model", kTiny, std::string("a\xff", 2), "b"}, 1, "sentence A");
}

}  // namespace
}  // namespace ordo::test

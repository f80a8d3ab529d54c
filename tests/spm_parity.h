#pragma once
// Our SentencePiece front end against Debian's `spm_encode` (an independent front end to the
// same library) on the committed tricky strings: pieces and ids, line by line.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>

#include "safetensors_test_util.h"
#include "sentencepiece_model.h"

namespace ordo::test {

const std::filesystem::path kTokenizerFixtures =
    std::filesystem::path(ORDO_FIXTURES_DIR) / "tokenizer";

inline std::vector<std::string> read_lines(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Runs spm_encode over the tricky strings; one output line per input line.
inline std::vector<std::string> spm_encode(const std::filesystem::path& model,
                                           const std::string& format, const ScratchDir& scratch) {
  const auto out = scratch.path() / ("spm_" + format + ".txt");
  const std::string command =
      "spm_encode --model='" + model.string() + "' --output_format=" + format + " < '" +
      (kTokenizerFixtures / "tricky_strings.txt").string() + "' > '" + out.string() + "'";
  const int status = std::system(command.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << command;
  return read_lines(out);
}

inline void expect_matches_spm_encode(const std::filesystem::path& model_path) {
  ScratchDir scratch;
  const tokenizer::SentencePieceModel model(model_path);
  const auto inputs = read_lines(kTokenizerFixtures / "tricky_strings.txt");
  ASSERT_GE(inputs.size(), 50u);
  const auto pieces = spm_encode(model_path, "piece", scratch);
  const auto ids = spm_encode(model_path, "id", scratch);
  ASSERT_EQ(pieces.size(), inputs.size());
  ASSERT_EQ(ids.size(), inputs.size());
  for (size_t line = 0; line < inputs.size(); ++line) {
    std::string our_pieces, our_ids;
    for (const tokenizer::Piece& piece : model.encode(inputs[line])) {
      our_pieces += (our_pieces.empty() ? "" : " ") + piece.text;
      our_ids += (our_ids.empty() ? "" : " ") + std::to_string(piece.id);
      // Every piece's byte span lies inside the input and spans grow left to right.
      EXPECT_LE(piece.begin, piece.end);
      EXPECT_LE(piece.end, inputs[line].size());
    }
    EXPECT_EQ(our_pieces, pieces[line]) << "line " << line + 1 << ": " << inputs[line];
    EXPECT_EQ(our_ids, ids[line]) << "line " << line + 1 << ": " << inputs[line];
  }
}

}  // namespace ordo::test

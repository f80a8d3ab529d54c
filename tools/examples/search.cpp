// Semantic search with ordo's bundled model: embed a corpus of lines in batches, find the lines
// nearest to a query, and let the masked-language-model head fill a blank.
//   search [QUERY]      (ORDO_MODELS=DIR picks another models directory)
#include <ordo/model.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  const std::string query = argc == 2 ? argv[1] : "The cat chases the mouse.";
  const std::string models = std::getenv("ORDO_MODELS") ? std::getenv("ORDO_MODELS") : ORDO_MODELS;
  try {
    const ordo::Model model = ordo::Model::load(models + "/ordo-sinusoidal");
    const ordo::ModelInfo info = model.info();
    std::cout << info.family << ", " << ordo::to_string(info.positional_encoding) << ", "
              << info.hidden_size << " dimensions, " << ordo::to_string(info.pooling)
              << " pooling, " << info.threads << " threads\n";

    std::ifstream file(models + "/heldout.txt");
    std::vector<std::string> corpus;
    for (std::string line; corpus.size() < 500 && std::getline(file, line);) corpus.push_back(line);

    ordo::EmbedOptions options;  // batches of 32 sorted by length; unit vectors
    options.normalize = true;
    const ordo::Array vectors = model.embed(corpus, options);
    const ordo::Array question = model.embed({query}, options);
    const std::vector<std::vector<ordo::Hit>> hits = ordo::top_k(question, vectors, 3);
    for (const ordo::Hit& hit : hits[0])
      std::cout << hit.score << "  " << corpus[hit.index] << '\n';

    std::cout << model.count_tokens(query) << " tokens; fill-mask:";
    const std::vector<ordo::MaskFill> fills = model.fill_mask("The cat [MASK] the mouse.", 3);
    for (const ordo::FillPrediction& p : fills[0].predictions)
      std::cout << ' ' << p.token << " (" << p.probability << ')';
    std::cout << '\n';
  } catch (const ordo::Error& error) {
    std::cerr << "search: " << error.what() << '\n';
    return 1;
  }
}

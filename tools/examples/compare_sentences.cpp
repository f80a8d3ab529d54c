// Compares two sentences with ordo's bundled model: the cosine of their sentence vectors.
//   compare_sentences ["sentence A" "sentence B"]      (ORDO_MODEL=DIR picks another model)
#include <ordo/model.h>

#include <cstdlib>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  const std::string a = argc == 3 ? argv[1] : "The cat chases the mouse.";
  const std::string b = argc == 3 ? argv[2] : "The mouse chases the cat.";
  const char* model_dir = std::getenv("ORDO_MODEL") ? std::getenv("ORDO_MODEL") : ORDO_MODEL_DIR;
  try {
    ordo::Options options;
    options.normalize = true;  // unit vectors: their dot product is the cosine
    const ordo::Model model = ordo::Model::load(model_dir, options);
    const ordo::Result result = model.encode({a, b});

    double cosine = 0.0;
    const ordo::FloatSpan u = result.sentence_vector(0), v = result.sentence_vector(1);
    for (size_t i = 0; i < u.size(); ++i) cosine += double{u[i]} * v[i];
    std::cout << "ordo " << ordo::version() << ", " << model.positional_encoding() << " model with "
              << model.num_layers() << " layers\n"
              << "cosine " << cosine << '\n';
  } catch (const ordo::Error& error) {  // what is wrong and where, e.g. a missing file
    std::cerr << "compare_sentences: " << error.what() << '\n';
    return 1;
  }
}

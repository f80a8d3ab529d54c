// Model::embed on every line of a file, timed: the library's side of the comparison with
// `ordo encode --input FILE --output pooled` (docs/performance.md). Optionally writes the
// vectors as a float32 .npy to compare with the CLI's.
//   ordo_embed_lines FILE [MODEL_DIR [OUT.npy]]
#include <ordo/model.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::cerr << "usage: ordo_embed_lines FILE [MODEL_DIR [OUT.npy]]\n";
    return 2;
  }
  try {
    std::ifstream file(argv[1], std::ios::binary);
    if (!file) throw ordo::Error(std::string(argv[1]) + ": cannot open file");
    std::vector<std::string> lines;
    for (std::string line; std::getline(file, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();  // as the CLI's --input
      lines.push_back(std::move(line));
    }
    const auto start = std::chrono::steady_clock::now();
    const ordo::Model model =
        ordo::Model::load(argc > 2 ? argv[2] : ORDO_MODELS "/ordo-sinusoidal");
    const ordo::Array vectors = model.embed(lines);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << vectors.dim(0) << " x " << vectors.dim(1) << " in " << seconds
              << " s (load + embed)\n";
    if (argc > 3) {
      std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                           std::to_string(vectors.dim(0)) + ", " + std::to_string(vectors.dim(1)) +
                           "), }";
      header.append(63 - (10 + header.size()) % 64, ' ');  // pad to a 64-byte boundary
      header += '\n';
      std::ofstream out(argv[3], std::ios::binary);
      out.write("\x93NUMPY\x01\x00", 8);
      const auto length = static_cast<uint16_t>(header.size());
      out.put(static_cast<char>(length & 0xff)).put(static_cast<char>(length >> 8));
      out << header;
      out.write(reinterpret_cast<const char*>(vectors.values().data()),
                static_cast<std::streamsize>(vectors.size() * sizeof(float)));
      if (!out) throw ordo::Error(std::string(argv[3]) + ": cannot write");
    }
  } catch (const ordo::Error& error) {
    std::cerr << "ordo_embed_lines: " << error.what() << '\n';
    return 1;
  }
}

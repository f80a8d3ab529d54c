#pragma once
#include <string>
#include <vector>

namespace ordo::cli {

extern const char* const kEncodeHelp;
extern const char* const kBenchHelp;
extern const char* const kPairHelp;
extern const char* const kFillHelp;

int run_encode(const std::vector<std::string>& arguments);
int run_bench(const std::vector<std::string>& arguments);
int run_pair(const std::vector<std::string>& arguments);
int run_fill(const std::vector<std::string>& arguments);

}  // namespace ordo::cli

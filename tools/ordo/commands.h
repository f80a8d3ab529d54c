#pragma once
#include <string>
#include <vector>

namespace ordo::cli {

extern const char* const kEncodeHelp;
extern const char* const kBenchHelp;
extern const char* const kPairHelp;
extern const char* const kFillHelp;
extern const char* const kAttentionHelp;
extern const char* const kPeHelp;
extern const char* const kComparePeHelp;
extern const char* const kHeadsHelp;
extern const char* const kTokenizeHelp;
extern const char* const kServeHelp;

int run_encode(const std::vector<std::string>& arguments);
int run_bench(const std::vector<std::string>& arguments);
int run_pair(const std::vector<std::string>& arguments);
int run_fill(const std::vector<std::string>& arguments);
int run_attention(const std::vector<std::string>& arguments);
int run_pe(const std::vector<std::string>& arguments);
int run_compare_pe(const std::vector<std::string>& arguments);
int run_heads(const std::vector<std::string>& arguments);
int run_tokenize(const std::vector<std::string>& arguments);
int run_serve(const std::vector<std::string>& arguments);

}  // namespace ordo::cli

// The `ordo` command line. Exit status: 0 success, 1 runtime error, 2 usage error; errors go
// to stderr and nothing is printed to stdout.
#include <omp.h>
#include <sched.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <dnnl.hpp>

#include "commands.h"
#include "common.h"
#include "ops/cpu.h"
#include "ordo/error.h"
#include "ordo/version.h"

namespace {

const char* const kHelp = R"(usage: ordo <command> [options]

ordo runs Transformer encoders on the CPU and shows what word order does to attention.

commands:
  pair        how word order moves each shared token of two sentences
  attention   every layer's and head's attention matrix for a text (JSON, .npy, SVG)
  pe          a model's positional-encoding matrix and how similar it makes positions
  compare-pe  models' positional encodings compared: accuracy by position (also past the
              training length), order sensitivity, position structure (default: the
              bundled twins)
  heads       which attention heads look at tokens by position and which by content
  encode      texts, a file of lines or token ids -> hidden states or sentence vectors
  fill        predict the [MASK] tokens of a text with the model's MLM head
  tokenize    a tokenizer's pieces, ids, token types and offsets for texts; ids -> text
  bench       time the forward pass
  serve       an HTTP embedding server (TEI's /embed, OpenAI's /v1/embeddings, /pair, ...)

`ordo <command> --help` describes each command; `ordo --version` says which ordo, which
oneDNN and which CPU instructions run.
)";

struct Command {
  const char* name;
  int (*run)(const std::vector<std::string>&);
  const char* const* help;
};

const Command kCommands[] = {
    {"pair", ordo::cli::run_pair, &ordo::cli::kPairHelp},
    {"encode", ordo::cli::run_encode, &ordo::cli::kEncodeHelp},
    {"fill", ordo::cli::run_fill, &ordo::cli::kFillHelp},
    {"attention", ordo::cli::run_attention, &ordo::cli::kAttentionHelp},
    {"pe", ordo::cli::run_pe, &ordo::cli::kPeHelp},
    {"compare-pe", ordo::cli::run_compare_pe, &ordo::cli::kComparePeHelp},
    {"heads", ordo::cli::run_heads, &ordo::cli::kHeadsHelp},
    {"bench", ordo::cli::run_bench, &ordo::cli::kBenchHelp},
    {"tokenize", ordo::cli::run_tokenize, &ordo::cli::kTokenizeHelp},
    {"serve", ordo::cli::run_serve, &ordo::cli::kServeHelp},
};

// Between two primitives of a forward pass the OpenMP threads wait a few microseconds, and how
// they wait decides small-batch latency. `ordo bench --shape minilm --batch 1 --seq 16` on 2
// cores beside a training job: passive waits (a futex sleep and wake per primitive) 7.3 ms
// against 3.5 ms for a short spin of 10k iterations (tens of microseconds) with the job niced,
// 4.6 against 2.1 ms with it at normal priority, where libgomp's default (spin ~300k
// iterations, then sleep) gives 2.6 ms; but the default burns a core for a millisecond after
// every call and collapses under heavier contention (a forward pass 10-50x slower when the
// other core is busy; docs/performance.md). At 1x128 beside the job: short spin 12.3 ms against
// 16.8 ms passive. libgomp reads its environment once, when it is loaded, so the CLI sets
// GOMP_SPINCOUNT and re-executes itself; a wait policy or spin count the user chose is kept.
//
// With OMP_PROC_BIND set, libgomp pins the main thread to the first place as it loads, and an
// exec inherits that mask: the new process would see one CPU and run on one thread.
// So the mask goes back to the union of the places (the CPUs the process was allowed; the
// user's own OMP_PLACES are honoured), and libgomp in the new process binds as it would have.
void prefer_short_openmp_spins(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  if (omp_get_proc_bind() != omp_proc_bind_false) {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    for (int place = 0; place < omp_get_num_places(); ++place) {
      std::vector<int> cpus(static_cast<size_t>(omp_get_place_num_procs(place)));
      omp_get_place_proc_ids(place, cpus.data());
      for (int cpu : cpus)
        if (cpu >= 0 && cpu < CPU_SETSIZE) CPU_SET(cpu, &allowed);
    }
    if (CPU_COUNT(&allowed) == 0 || sched_setaffinity(0, sizeof allowed, &allowed) != 0) return;
  }
  if (setenv("GOMP_SPINCOUNT", "10000", 1) != 0) return;
  execv("/proc/self/exe", argv);  // returns only on failure: then run as we are
}

// Help text goes to stdout too; a failed write is an error there as everywhere.
int print_help(const char* text) {
  std::cout << text;
  try {
    ordo::cli::check_stdout();
  } catch (const std::exception& e) {
    std::cerr << "ordo: error: " << e.what() << '\n';
    return ordo::cli::kExitRuntimeError;
  }
  return 0;
}

int print_version() {
  const dnnl_version_t* dnnl = dnnl_version();
  const ordo::ops::CpuDispatch& cpu = ordo::ops::cpu_dispatch();
  std::cout << "ordo " << ordo::version() << "\nISA " << cpu.summary() << "\noneDNN " << dnnl->major
            << '.' << dnnl->minor << '.' << dnnl->patch << " (" << cpu.onednn_name
            << ")\nordo's kernels: " << cpu.kernels_summary() << '\n';
  try {
    ordo::cli::check_stdout();
  } catch (const std::exception& e) {
    std::cerr << "ordo: error: " << e.what() << '\n';
    return ordo::cli::kExitRuntimeError;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  prefer_short_openmp_spins(argv);
  // Past a file-size limit (ulimit -f) a write then fails with EFBIG and ordo reports it,
  // instead of being killed by SIGXFSZ with a half-written file. SIGPIPE keeps its default:
  // `ordo encode ... | head -1` ends quietly when head exits, as other Unix filters do.
  std::signal(SIGXFSZ, SIG_IGN);
  std::vector<std::string> arguments(argv + 1, argv + argc);
  // ORDO_ISA is read, and oneDNN capped, before any command touches oneDNN; a bad value stops
  // every command alike.
  try {
    ordo::ops::cpu_dispatch();
  } catch (const std::exception& e) {
    std::cerr << "ordo: " << e.what() << '\n';
    return ordo::cli::kExitUsageError;
  }
  if (arguments.empty()) {
    std::cerr << kHelp;
    return ordo::cli::kExitUsageError;
  }
  if (arguments[0] == "--help" || arguments[0] == "-h" || arguments[0] == "help") {
    return print_help(kHelp);
  }
  if (arguments[0] == "--version" || arguments[0] == "version") {
    if (arguments.size() > 1) {
      std::cerr << "ordo " << arguments[0] << ": takes no arguments\n";
      return ordo::cli::kExitUsageError;
    }
    return print_version();
  }
  for (const Command& command : kCommands) {
    if (arguments[0] != command.name) continue;
    const std::vector<std::string> rest(arguments.begin() + 1, arguments.end());
    for (const std::string& argument : rest) {
      if (argument == "--") break;  // after it, "--help" is a text like any other
      if (argument == "--help" || argument == "-h") return print_help(*command.help);
    }
    try {
      const int status = command.run(rest);
      ordo::cli::check_stdout();  // output that did not arrive is no success
      return status;
    } catch (const ordo::cli::UsageError& e) {
      std::cerr << "ordo " << command.name << ": " << e.what() << "\n(see 'ordo " << command.name
                << " --help')\n";
      return ordo::cli::kExitUsageError;
    } catch (const std::exception& e) {
      std::cerr << "ordo " << command.name << ": error: " << e.what() << '\n';
      return ordo::cli::kExitRuntimeError;
    }
  }
  std::cerr << "ordo: unknown command '" << arguments[0] << "'\n\n" << kHelp;
  return ordo::cli::kExitUsageError;
}

// `ordo serve`: an embedding server speaking TEI's and OpenAI's dialects, with dynamic batching
// (serve_batcher), checked requests (serve_requests) and Prometheus metrics (serve_metrics),
// on cpp-httplib from Debian.
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "commands.h"
#include "common.h"
#include "ordo/model.h"
#include "serve_batcher.h"
#include "serve_connection.h"
#include "serve_metrics.h"
#include "serve_requests.h"

namespace ordo::cli {

const char* const kServeHelp = R"(usage: ordo serve [options]

Serves a model over HTTP: sentence embeddings in Hugging Face TEI's and OpenAI's formats, with
concurrent requests packed into one ragged forward pass (dynamic batching).

endpoints (JSON; errors are {"error": "...", "error_type": "..."} with the HTTP status):
  POST /embed           {"inputs": str | [str], "normalize": true, "truncate": false,
                        "dimensions": N} -> [[float, ...], ...]
  POST /v1/embeddings   {"input": str | [str], "model": str, "encoding_format": "float" |
                        "base64", "dimensions": N} -> OpenAI's embedding list, with usage
  POST /tokenize        {"inputs": str | [str]} -> per text [{"id", "text", "special",
                        "start", "stop"}, ...]
  POST /pair            {"a": str, "b": str, "layer": N, "head": H} -> what
                        `ordo pair --json` prints
  GET  /health, /info, /metrics (Prometheus text format)

options:
  --model DIR               model directory (default: the bundled sinusoidal model)
  --host HOST               address to listen on (default 127.0.0.1; 0.0.0.0 for all)
  --port N                  TCP port (default 8080; 0 picks a free one, printed on stderr)
  --threads N               OpenMP threads of the forward pass (default: one per core)
  --dtype TYPE              f32 (default), bf16 or int8
  --max-batch-tokens N      tokens per forward pass (default 8192)
  --max-wait-ms N           how long a request waits for company (default 5)
  --max-queue N             requests waiting; past it 429 with Retry-After (default 1024)
  --max-request-bytes N     largest body; past it 413 (default 1048576)
  --max-inputs N            texts per request; past it 413 (default 256)
  --http-threads N          connections served at once (default 128)
  --read-timeout S          seconds a connection may stall while sending a request, or
                            stay idle between requests, before it is closed (default 5)

Statuses: 400 malformed JSON, wrong types, invalid UTF-8, empty lists, unknown fields; 413
too large; 422 a text over the model's limit with "truncate": false; 429 queue full; 503
shutting down. SIGTERM or SIGINT: stop accepting, answer what was accepted, exit 0.
)";

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

void send_json(httplib::Response& response, int status, const json& body) {
  response.status = status;
  // Replace, not throw: an error message may quote a client's bytes that are not UTF-8.
  response.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace),
                       "application/json");
}

void send_error(httplib::Response& response, int status, const std::string& type,
                const std::string& message) {
  send_json(response, status, {{"error", message}, {"error_type", type}});
}

struct ServerState {
  const Model& model;
  ModelInfo info;
  ServerMetrics& metrics;
  Batcher& batcher;
  size_t max_inputs;
  std::atomic<bool> stopping{false};
  std::mutex pair_mutex;  // one /pair at a time: each runs a whole OpenMP team
};

// The text put before each of the request's inputs: its "prompt_name"'s, else the server's.
std::string prompt_text(const ServerState& state, const EmbedRequest& request) {
  try {
    return state.model.prompt_text(request.prompt_name.value_or(state.info.prompt));
  } catch (const Error& error) {
    throw RequestError(400, "Validation", std::string("\"prompt_name\": ") + error.what());
  }
}

// Tokens per text as the model will run them (the prompt included); too long without
// truncation is 422.
size_t count_tokens(const ServerState& state, const EmbedRequest& request, const char* key) {
  size_t total = 0;
  const std::string prompt = prompt_text(state, request);
  // A model without a limit of its own (sinusoidal, none) gets the CLI's: attention memory
  // grows with the square of the length, and such a model cannot truncate.
  const bool model_limit = state.info.max_tokens > 0;
  const size_t limit = model_limit ? state.info.max_tokens : kMaxTokensPerSequence;
  for (size_t i = 0; i < request.inputs.size(); ++i) {
    size_t tokens = state.model.count_tokens(prompt + request.inputs[i]);
    if (tokens > limit) {
      if (!model_limit) {
        throw RequestError(422, "Validation",
                           std::string("\"") + key + "\"[" + std::to_string(i) + "] has " +
                               std::to_string(tokens) + " tokens; this server runs at most " +
                               std::to_string(limit) + " per text");
      }
      if (!request.truncate) {
        throw RequestError(422, "Validation",
                           std::string("\"") + key + "\"[" + std::to_string(i) + "] has " +
                               std::to_string(tokens) + " tokens; the model takes at most " +
                               std::to_string(limit) + " (send \"truncate\": true to cut it)");
      }
      tokens = limit;
    }
    total += tokens;
  }
  return total;
}

// The request's vectors through the batcher, cut to `dimensions` and normalised as asked.
std::vector<std::vector<float>> embed(ServerState& state, const EmbedRequest& request,
                                      size_t tokens, const httplib::Request& http) {
  // Requests with the server's own prompt run with the model's; another one is passed to the
  // batcher literally, and runs in a forward pass of its own.
  std::string prompt;
  if (request.prompt_name && *request.prompt_name != state.info.prompt) {
    prompt = prompt_text(state, request);
    if (prompt.empty()) {
      throw RequestError(400, "Validation",
                         "\"prompt_name\": \"" + *request.prompt_name +
                             "\" means no prompt, but this server runs with the prompt \"" +
                             state.info.prompt + "\" and cannot drop it per request");
    }
  }
  if (state.stopping) throw RequestError(503, "Unhealthy", "the server is shutting down");
  auto ticket = state.batcher.submit(request.inputs, tokens, prompt);
  if (!ticket) {
    if (state.stopping) throw RequestError(503, "Unhealthy", "the server is shutting down");
    throw RequestError(429, "Overloaded", "the queue is full; retry later");
  }
  // While the request waits, check every 20 ms that its client is still there; if it has
  // hung up, its texts leave the queue unrun. 499 (nginx's "client closed request") is only
  // for the metrics: nobody is left to read it.
  // The first look after 100 ms: a request answered sooner (nearly all, short of saturation)
  // never pays for finding its socket.
  ClientConnection client(http.remote_addr, http.remote_port, http.local_addr, http.local_port);
  auto wait = std::chrono::milliseconds(100);
  while (ticket->result.wait_for(wait) != std::future_status::ready) {
    wait = std::chrono::milliseconds(20);
    if (client.gone()) {
      ticket->abandoned->store(true);
      throw RequestError(499, "ClientClosed", "the client closed the connection");
    }
  }
  const Array vectors = ticket->result.get();
  const auto width = static_cast<size_t>(vectors.dim(1));
  const size_t keep = request.dimensions > 0 ? static_cast<size_t>(request.dimensions) : width;
  std::vector<std::vector<float>> out;
  for (size_t i = 0; i < request.inputs.size(); ++i) {
    const float* row = vectors.values().data() + i * width;
    std::vector<float> vector(row, row + keep);
    if (request.normalize) {
      double squares = 0;
      for (float x : vector) squares += double{x} * x;
      const double norm = std::sqrt(squares);
      if (norm > 0) {
        for (float& x : vector) x = static_cast<float>(x / norm);
      }
    }
    out.push_back(std::move(vector));
  }
  return out;
}

json pair_json(const ServerState& state, const PairRequest& request, const PairComparison& pair) {
  const auto side = [](const std::vector<Token>& tokens, const std::string& text) {
    json pieces = json::array(), ids = json::array();
    for (const Token& token : tokens) {
      pieces.push_back(token.text);
      ids.push_back(token.id);
    }
    return json{{"text", text}, {"tokens", pieces}, {"ids", ids}};
  };
  json shared = json::array();
  for (const SharedToken& s : pair.shared_tokens) {
    shared.push_back({{"token", s.token},
                      {"index_a", s.index_a},
                      {"index_b", s.index_b},
                      {"cosine", s.cosine},
                      {"l2", s.l2},
                      {"attention_cosine", s.attention_cosine},
                      {"attention_l2", s.attention_l2}});
  }
  json out = {{"model", state.model.directory().string()},
              {"pe", to_string(state.info.positional_encoding)},
              {"mode", "separate"},
              {"layer", pair.layer},
              {"attention_block", pair.attention_block},
              {"head", pair.head < 0 ? json("mean") : json(pair.head)},
              {"pooling", to_string(state.info.pooling)},
              {"prompt", state.info.prompt.empty() ? json() : json(state.info.prompt)},
              {"a", side(pair.a, request.a)},
              {"b", side(pair.b, request.b)},
              {"cosine", pair.cosine},
              {"shared_tokens", shared},
              {"permutation", pair.permutation},
              {"permutation_up_to_word_marker", pair.permutation_up_to_word_marker},
              {"align", "id"},
              {"max_drift_l2", pair.max_drift_l2},
              {"verdict", pair.verdict}};
  if (!pair.note.empty()) out["note"] = pair.note;
  return out;
}

json info_json(const ServerState& state) {
  const ModelInfo& info = state.info;
  return {{"model", state.model.directory().string()},
          {"family", info.family},
          {"positional_encoding", to_string(info.positional_encoding)},
          {"hidden_size", info.hidden_size},
          {"dimensions", info.dimensions},
          {"layers", info.num_layers},
          {"heads", info.num_heads},
          {"max_tokens", info.max_tokens},
          {"pooling", to_string(info.pooling)},
          {"normalize", info.normalize},
          {"prompt", info.prompt},
          {"dtype", to_string(info.dtype)},
          {"threads", info.threads},
          {"isa", info.isa},
          {"max_inputs", state.max_inputs},
          {"version", version()}};
}

using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

// Runs `handler`, turns its errors into JSON answers, and counts the request.
Handler counted(ServerState& state, const std::string& endpoint, const Handler& handler) {
  return [&state, endpoint, handler](const httplib::Request& request, httplib::Response& response) {
    const auto start = Clock::now();
    try {
      handler(request, response);
    } catch (const RequestError& e) {
      send_error(response, e.status(), e.type(), e.what());
      if (e.status() == 429) response.set_header("Retry-After", "1");
    } catch (const Error& e) {
      // Checked requests reach the engine; what it still refuses is the request's fault.
      send_error(response, 400, "Validation", e.what());
    } catch (const std::exception& e) {
      send_error(response, 500, "Backend", e.what());
    }
    state.metrics.request(endpoint, response.status,
                          std::chrono::duration<double>(Clock::now() - start).count());
  };
}

void add_routes(httplib::Server& server, ServerState& state) {
  const RequestLimits limits{state.max_inputs, state.info.dimensions};
  server.Post("/embed", counted(state, "/embed",
                                [&state, limits](const httplib::Request& request,
                                                 httplib::Response& response) {
                                  const EmbedRequest parsed = parse_tei_embed(request.body, limits);
                                  const size_t tokens = count_tokens(state, parsed, "inputs");
                                  json body = json::array();
                                  for (auto& vector : embed(state, parsed, tokens, request))
                                    body.push_back(std::move(vector));
                                  send_json(response, 200, body);
                                }));
  server.Post(
      "/v1/embeddings",
      counted(state, "/v1/embeddings",
              [&state, limits](const httplib::Request& request, httplib::Response& response) {
                const EmbedRequest parsed =
                    parse_openai_embed(request.body, limits, state.info.normalize);
                const size_t tokens = count_tokens(state, parsed, "input");
                const auto vectors = embed(state, parsed, tokens, request);
                json data = json::array();
                for (size_t i = 0; i < vectors.size(); ++i) {
                  data.push_back(
                      {{"object", "embedding"},
                       {"index", i},
                       {"embedding", parsed.base64
                                         ? json(base64_floats(vectors[i].data(), vectors[i].size()))
                                         : json(vectors[i])}});
                }
                const std::string model = parsed.model.empty()
                                              ? state.model.directory().filename().string()
                                              : parsed.model;
                send_json(response, 200,
                          {{"object", "list"},
                           {"data", data},
                           {"model", model},
                           {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}});
              }));
  server.Post(
      "/tokenize",
      counted(state, "/tokenize",
              [&state, limits](const httplib::Request& request, httplib::Response& response) {
                json body = json::array();
                for (const std::string& text : parse_tokenize(request.body, limits)) {
                  json tokens = json::array();
                  for (const Token& token : state.model.tokenize(text)) {
                    tokens.push_back({{"id", token.id},
                                      {"text", token.text},
                                      {"special", token.source < 0},
                                      {"start", token.begin},
                                      {"stop", token.end}});
                  }
                  body.push_back(std::move(tokens));
                }
                send_json(response, 200, body);
              }));
  server.Post(
      "/pair",
      counted(
          state, "/pair", [&state](const httplib::Request& request, httplib::Response& response) {
            const PairRequest parsed = parse_pair(request.body);
            PairOptions options;
            options.layer = parsed.layer;
            options.head = parsed.head;
            const std::lock_guard<std::mutex> lock(state.pair_mutex);
            send_json(response, 200,
                      pair_json(state, parsed, state.model.compare(parsed.a, parsed.b, options)));
          }));
  server.Get(
      "/health",
      counted(state, "/health", [&state](const httplib::Request&, httplib::Response& response) {
        if (state.stopping) {
          send_error(response, 503, "Unhealthy", "the server is shutting down");
        } else {
          send_json(response, 200, {{"status", "ok"}});
        }
      }));
  server.Get("/info", counted(state, "/info",
                              [&state](const httplib::Request&, httplib::Response& response) {
                                send_json(response, 200, info_json(state));
                              }));
  server.Get("/metrics", [&state](const httplib::Request&, httplib::Response& response) {
    response.set_content(state.metrics.render(), "text/plain; version=0.0.4");
  });
  // What httplib answers by itself (404, 413 past the body limit, 400 for a broken request
  // line) gets a JSON body too; answers that have one keep it.
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& response) {
        if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        std::string message = "HTTP status " + std::to_string(response.status);
        if (response.status == 404) message = "no such endpoint";
        if (response.status == 405) message = "method not allowed";
        if (response.status == 413) message = "the request body is too large (--max-request-bytes)";
        if (response.status == 400) message = "malformed HTTP request";
        send_error(response, response.status, response.status >= 500 ? "Backend" : "Validation",
                   message);
        return httplib::Server::HandlerResponse::Handled;
      }));
}

}  // namespace

int run_serve(const std::vector<std::string>& arguments) {
  std::set<std::string> options = kModelOptions;
  options.insert({"--host", "--port", "--dtype", "--max-batch-tokens", "--max-wait-ms",
                  "--max-queue", "--max-request-bytes", "--max-inputs", "--http-threads",
                  "--read-timeout"});
  const Args args(arguments, {}, options);
  if (!args.positional().empty()) {
    throw UsageError("unexpected argument '" + args.positional()[0] + "'");
  }
  const std::string host = args.value("--host").value_or("127.0.0.1");
  const int port = args.integer("--port", 8080, 0, 65535);
  BatcherSettings batching;
  batching.max_batch_tokens =
      static_cast<size_t>(args.integer("--max-batch-tokens", 8192, 16, 1 << 20));
  batching.max_wait = std::chrono::milliseconds(args.integer("--max-wait-ms", 5, 0, 60000));
  batching.max_queue = static_cast<size_t>(args.integer("--max-queue", 1024, 1, 1 << 20));
  const auto max_request_bytes =
      static_cast<size_t>(args.integer("--max-request-bytes", 1 << 20, 64, 1 << 30));
  const auto max_inputs = static_cast<size_t>(args.integer("--max-inputs", 256, 1, 4096));
  const int http_threads = args.integer("--http-threads", 128, 1, 4096);
  const int read_timeout = args.integer("--read-timeout", 5, 1, 3600);

  // SIGTERM and SIGINT go to one waiting thread, never to a worker in the middle of a call:
  // blocked here, before any thread (OpenMP's included) exists, so every thread inherits it.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  apply_threads(args);
  Options model_options;
  model_options.threads = 0;  // --threads above set the OpenMP default this takes
  model_options.dtype = args.value("--dtype").value_or("f32");
  model_options.positional_encoding = args.value("--pe").value_or("");
  model_options.truncate = true;  // a request with "truncate": false is refused before this
  const std::filesystem::path directory = args.value("--model")
                                              ? std::filesystem::path(*args.value("--model"))
                                              : default_model_directory();
  const Model model = Model::load(directory, model_options);
  if (!model.has_tokenizer()) {
    throw Error(directory.string() + ": the server needs a tokenizer in the model directory");
  }

  ServerMetrics metrics;
  Batcher batcher(model, batching, metrics);
  ServerState state{model, model.info(), metrics, batcher, max_inputs, {false}, {}};
  httplib::Server server;
  server.new_task_queue = [http_threads] {
    return new httplib::ThreadPool(static_cast<size_t>(http_threads));
  };
  server.set_payload_max_length(max_request_bytes);
  // A stalled or idle client holds a connection thread: how long is the operator's choice.
  server.set_read_timeout(read_timeout, 0);
  server.set_keep_alive_timeout(read_timeout);
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a second server on a
  // port in use would start and silently take half the connections instead of failing.
  int listening_socket = -1;
  server.set_socket_options([&listening_socket](socket_t socket) {
    const int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    // No Nagle delay: httplib writes headers and body separately, and the body would wait for
    // the client's delayed ACK (~40 ms a request). Accepted connections inherit the option.
    setsockopt(socket, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    listening_socket = socket;
  });
  add_routes(server, state);

  int bound = port;
  if (port == 0) {
    bound = server.bind_to_any_port(host);
  } else if (!server.bind_to_port(host, port)) {
    bound = -1;
  }
  if (bound < 0) {
    throw Error("cannot listen on " + host + ":" + std::to_string(port) +
                " (in use, or not an address of this machine)");
  }
  // Debian's libcpp-httplib listens with a backlog of 5: a burst of clients connecting at once
  // overflows it (dropped or reset connections). Listening again on the bound socket raises it.
  if (listening_socket >= 0) ::listen(listening_socket, SOMAXCONN);
  std::fprintf(stderr, "ordo serve: %s (%s, %lld dimensions) on http://%s:%d\n", directory.c_str(),
               to_string(state.info.positional_encoding),
               static_cast<long long>(state.info.dimensions), host.c_str(), bound);
  std::fflush(stderr);

  std::atomic<bool> finished{false};
  std::thread signals([&] {
    const timespec tick{0, 200L * 1000 * 1000};  // 200 ms
    while (!finished) {
      if (sigtimedwait(&stop_signals, nullptr, &tick) > 0) {
        std::fprintf(stderr, "ordo serve: stopping: answering the accepted requests\n");
        state.stopping = true;
        server.stop();
        return;
      }
    }
  });
  const bool listened = server.listen_after_bind();
  // listen_after_bind returns once its connection threads are joined: every accepted request
  // has been answered. The batcher's queue is empty by then.
  batcher.stop();
  finished = true;
  signals.join();
  if (!listened && !state.stopping) throw Error("the server stopped listening unexpectedly");
  std::fprintf(stderr, "ordo serve: stopped\n");
  return 0;
}

}  // namespace ordo::cli

"""`ordo serve` over loopback with real clients (Python's http.client, curl): every endpoint and
error status, vectors against solo `ordo encode` runs, a bounded concurrent load, overload,
disconnects, slow clients and SIGTERM under load.

CTest runs it with ORDO_CLI naming the build's binary and ORDO_MODELS the models directory.
"""
import base64
import concurrent.futures
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time

import numpy as np
import pytest

MODELS = os.environ.get("ORDO_MODELS", os.path.join(os.path.dirname(__file__), "../../models"))
LEARNED = os.path.join(MODELS, "ordo-learned")  # 128 positions: the 422 path is reachable
CLI = os.environ.get("ORDO_CLI", "ordo")
HELDOUT = open(os.path.join(MODELS, "heldout.txt"), encoding="utf-8").read().splitlines()


class Server:
    def __init__(self, *options, model=LEARNED):
        self.process = subprocess.Popen(
            [CLI, "serve", "--model", model, "--port", "0", "--threads", "1", *options],
            stderr=subprocess.PIPE, text=True)
        line = self.process.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert found, f"ordo serve did not start: {line}"
        self.port = int(found.group(1))
        self.log = []
        self.reader = threading.Thread(target=lambda: self.log.extend(self.process.stderr))
        self.reader.start()

    def request(self, method, path, body=None, headers=None, timeout=60):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        connection.close()
        content_type = response.getheader("Content-Type", "")
        parsed = json.loads(data) if content_type.startswith("application/json") else data
        return response.status, response, parsed

    def post(self, path, body, **kwargs):
        return self.request("POST", path, body, **kwargs)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=60)
        self.reader.join()
        return code


@pytest.fixture(scope="module")
def server():
    running = Server("--max-request-bytes", "65536", "--max-inputs", "64", "--max-wait-ms", "2")
    yield running
    assert running.stop() == 0


def solo(texts, *options, model=LEARNED):
    """`ordo encode --output pooled` of each text, as the reference for the server's rows."""
    out = subprocess.run([CLI, "encode", "--model", model, "--output", "pooled", "--jsonl",
                          *options, *texts], capture_output=True, text=True, check=True).stdout
    return {t: np.array(json.loads(row)["pooled"], np.float32)
            for t, row in zip(texts, out.splitlines())}


def test_embed_equals_solo_encode(server):
    texts = ["猫追老鼠", "老鼠追猫", "The cat chases the mouse.", HELDOUT[3]]
    status, _, vectors = server.post("/embed", {"inputs": texts})
    assert status == 200 and len(vectors) == 4
    reference = solo(texts, "--normalize")
    for text, vector in zip(texts, vectors):
        np.testing.assert_allclose(vector, reference[text], atol=1e-6)
    status, _, raw = server.post("/embed", {"inputs": texts, "normalize": False})
    plain = solo(texts)
    for text, vector in zip(texts, raw):
        np.testing.assert_allclose(vector, plain[text], atol=1e-6)
    status, _, cut = server.post("/embed", {"inputs": texts, "dimensions": 32})
    dim = solo(texts, "--normalize", "--dim", "32")
    for text, vector in zip(texts, cut):
        assert len(vector) == 32
        np.testing.assert_allclose(vector, dim[text], atol=1e-6)
    status, _, one = server.post("/embed", {"inputs": "猫追老鼠"})
    assert status == 200 and len(one) == 1


def test_openai_embeddings_schema_and_base64(server):
    texts = ["猫追老鼠", "The mouse chases the cat."]
    status, _, body = server.post("/v1/embeddings", {"input": texts, "model": "ordo-learned"})
    assert status == 200
    # A strict reading of OpenAI's schema: exactly these keys and types.
    assert set(body) == {"object", "data", "model", "usage"}
    assert body["object"] == "list" and body["model"] == "ordo-learned"
    assert set(body["usage"]) == {"prompt_tokens", "total_tokens"}
    tokens = sum(len(server.post("/tokenize", {"inputs": t})[2][0]) for t in texts)
    assert body["usage"]["prompt_tokens"] == body["usage"]["total_tokens"] == tokens
    assert [d["index"] for d in body["data"]] == [0, 1]
    for item in body["data"]:
        assert set(item) == {"object", "index", "embedding"} and item["object"] == "embedding"
        assert all(isinstance(x, float) for x in item["embedding"])
    reference = solo(texts)  # the model's own normalisation: none for ordo-learned
    for text, item in zip(texts, body["data"]):
        np.testing.assert_allclose(item["embedding"], reference[text], atol=1e-6)
    status, _, packed = server.post("/v1/embeddings", {"input": texts, "model": "m",
                                                       "encoding_format": "base64"})
    for plain, item in zip(body["data"], packed["data"]):
        raw = base64.b64decode(item["embedding"])
        decoded = struct.unpack(f"<{len(raw) // 4}f", raw)
        np.testing.assert_array_equal(np.float32(plain["embedding"]), np.float32(decoded))


def test_tokenize_pair_health_info_metrics(server):
    status, _, tokens = server.post("/tokenize", {"inputs": ["猫追老鼠", "a b"]})
    assert status == 200 and len(tokens) == 2
    cli = json.loads(subprocess.run([CLI, "encode", "--model", LEARNED, "--jsonl", "--output",
                                     "pooled", "猫追老鼠"], capture_output=True, text=True,
                                    check=True).stdout)
    assert [t["id"] for t in tokens[0]] == cli["ids"]
    assert tokens[0][0]["special"] and tokens[0][1]["text"] == "猫" and tokens[0][1]["stop"] == 3

    status, _, pair = server.post("/pair", {"a": "猫追老鼠", "b": "老鼠追猫"})
    expected = json.loads(subprocess.run([CLI, "pair", "--model", LEARNED, "--json", "猫追老鼠",
                                          "老鼠追猫"], capture_output=True, text=True,
                                         check=True).stdout)
    assert status == 200 and set(pair) == set(expected)
    assert pair["verdict"] == expected["verdict"] and pair["permutation"]
    assert pair["cosine"] == pytest.approx(expected["cosine"], abs=1e-6)

    assert server.request("GET", "/health")[:3:2] == (200, {"status": "ok"})
    status, _, info = server.request("GET", "/info")
    assert info["positional_encoding"] == "learned" and info["max_tokens"] == 128
    assert info["dimensions"] == 128 and info["version"]
    status, response, metrics = server.request("GET", "/metrics")
    text = metrics.decode()
    assert status == 200 and response.getheader("Content-Type").startswith("text/plain")
    assert re.search(r'^ordo_requests_total\{endpoint="/embed",status="200"\} \d+$', text, re.M)
    for family in ("ordo_request_duration_seconds", "ordo_batch_size", "ordo_batch_tokens"):
        assert f'{family}_bucket{{le="+Inf"}}' in text and f"{family}_count" in text
    assert re.search(r"^ordo_queue_depth \d+$", text, re.M)
    assert re.search(r"^ordo_tokens_total [1-9]\d*$", text, re.M)


def test_curl_speaks_to_it(server):
    curl = shutil.which("curl")
    assert curl, "curl is installed by tools/setup-deps.sh"
    out = subprocess.run([curl, "-sS", "--fail-with-body", f"http://127.0.0.1:{server.port}/embed",
                          "-H", "Content-Type: application/json",
                          "-d", '{"inputs": "猫追老鼠"}'], capture_output=True, text=True,
                         check=True).stdout
    assert len(json.loads(out)[0]) == 128


@pytest.mark.parametrize("path,body,status,words", [
    ("/embed", b"{not json", 400, "not valid JSON"),
    ("/embed", b'{"inputs": "\xff\xfe"}', 400, "not valid JSON"),  # invalid UTF-8
    ("/embed", {"inputs": []}, 400, "empty list"),
    ("/embed", {"inputs": [1, 2]}, 400, "must be a string"),
    ("/embed", {"inputs": None}, 400, "string or a list"),
    ("/embed", {"text": "x"}, 400, "unknown field"),
    ("/embed", {"inputs": "x", "normalize": "yes"}, 400, "true or false"),
    ("/embed", {"inputs": "x", "dimensions": 0}, 400, "expected 1 to 128"),
    ("/embed", {"inputs": "x", "prompt_name": "query"}, 400, "prompt"),
    ("/embed", [1, 2], 400, "JSON object"),
    ("/embed", {"inputs": ["x"] * 65}, 413, "at most 64"),
    ("/embed", {"inputs": "word " * 300}, 422, "truncate"),
    ("/v1/embeddings", {"input": "x", "encoding_format": "int8"}, 400, "encoding_format"),
    ("/v1/embeddings", {"input": [[1, 2, 3]]}, 400, "must be a string"),
    ("/v1/embeddings", {"input": [1, 2, 3]}, 400, "token ids"),
    ("/tokenize", {"inputs": ""}, 200, None),
    ("/pair", {"a": "x"}, 400, "both be strings"),
    ("/pair", {"a": "x", "b": "y", "layer": 9}, 400, "layer 9 is out of range"),
    ("/nowhere", {"a": 1}, 404, "no such endpoint"),
])
def test_bad_requests_get_json_errors(server, path, body, status, words):
    got, _, answer = server.post(path, body)
    assert got == status, answer
    if words:
        assert set(answer) == {"error", "error_type"} and words in answer["error"], answer


def test_truncate_true_cuts_to_the_model_limit(server):
    long = "word " * 300
    status, _, vectors = server.post("/embed", {"inputs": long, "truncate": True})
    assert status == 200
    np.testing.assert_allclose(vectors[0], solo([long], "--normalize")[long], atol=1e-6)


def test_oversize_body_is_413(server):
    status, _, answer = server.post("/embed", {"inputs": "x" * 70000})
    assert status == 413 and answer["error_type"] == "Validation"


def test_disconnects_and_slow_clients_do_not_hurt_others(server):
    # A client that sends half a request and goes away, and one that stalls mid-body.
    gone = socket.create_connection(("127.0.0.1", server.port))
    gone.sendall(b"POST /embed HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"inp")
    gone.close()
    slow = socket.create_connection(("127.0.0.1", server.port))
    slow.sendall(b"POST /embed HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    started = time.monotonic()
    status, _, vectors = server.post("/embed", {"inputs": "猫追老鼠"})
    assert status == 200 and time.monotonic() - started < 2  # not queued behind the stalled one
    slow.close()
    # A client that sends a whole request and leaves before the answer.
    left = socket.create_connection(("127.0.0.1", server.port))
    body = json.dumps({"inputs": HELDOUT[:32]}).encode()
    left.sendall(b"POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    left.close()
    assert server.request("GET", "/health")[0] == 200


def test_concurrent_load_every_vector_matches_its_solo_run(server):
    rng = random.Random(7)
    pool = [line for line in HELDOUT if line][:200]
    reference = solo(pool, "--normalize")
    clients, per_client = 64, 50
    failures = []

    def client(index):
        local = random.Random(index)
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        for _ in range(per_client):
            texts = local.sample(pool, local.choice([1, 1, 2, 4]))
            connection.request("POST", "/embed", body=json.dumps({"inputs": texts}),
                               headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            answer = json.loads(response.read())
            if response.status != 200:
                failures.append((response.status, answer))
                continue
            for text, vector in zip(texts, answer):
                if np.abs(np.float32(vector) - reference[text]).max() > 1e-6:
                    failures.append(("mismatch", text))
        connection.close()

    rng.shuffle(pool)
    before = server.request("GET", "/metrics")[2].decode()
    with concurrent.futures.ThreadPoolExecutor(clients) as executor:
        list(executor.map(client, range(clients)))
    assert not failures, failures[:5]
    after = server.request("GET", "/metrics")[2].decode()

    def total(text, name):
        return float(re.search(rf"^{name} (\S+)$", text, re.M).group(1))

    texts = total(after, "ordo_batch_size_sum") - total(before, "ordo_batch_size_sum")
    batches = total(after, "ordo_batch_size_count") - total(before, "ordo_batch_size_count")
    # Concurrent requests shared forward passes: more than one request's texts per batch.
    assert batches > 0 and texts / batches > 2.0, (texts, batches)


def test_a_full_queue_answers_429_and_loses_nothing():
    server = Server("--max-queue", "2", "--max-wait-ms", "300", "--max-batch-tokens", "100000")
    try:
        def one(i):
            return server.post("/embed", {"inputs": [HELDOUT[i]]})[:2]

        with concurrent.futures.ThreadPoolExecutor(24) as executor:
            answers = list(executor.map(one, range(24)))
        statuses = [status for status, _ in answers]
        assert set(statuses) <= {200, 429} and statuses.count(429) > 0 and 200 in statuses
        for status, response in answers:
            if status == 429:
                assert response.getheader("Retry-After") == "1"
        status, _, metrics = server.request("GET", "/metrics")
        counted = sum(int(n) for n in re.findall(r'endpoint="/embed",status="\d+"\} (\d+)',
                                                 metrics.decode()))
        assert counted == 24  # each request answered exactly once
    finally:
        assert server.stop() == 0


def test_a_second_server_on_a_port_in_use_fails(server):
    done = subprocess.run([CLI, "serve", "--model", LEARNED, "--port", str(server.port)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "cannot listen on 127.0.0.1:" in done.stderr


def test_prompt_name_per_request(tmp_path):
    # The tiny tokenized model with nomic's four prompts (default search_query).
    fixtures = os.path.join(os.path.dirname(__file__), "../fixtures")
    for name in ("config.json", "model.safetensors", "tokenizer.model"):
        shutil.copy(os.path.join(fixtures, "tiny_tokenized", name), tmp_path / name)
    prompts = os.path.join(fixtures, "sentence_prompts")
    for name in ("modules.json", "config_sentence_transformers.json"):
        shutil.copy(os.path.join(prompts, name), tmp_path / name)
    shutil.copytree(os.path.join(prompts, "1_Pooling"), tmp_path / "1_Pooling")
    model = str(tmp_path)
    texts = ["The cat chases the mouse.", "猫追老鼠"]
    default = solo(texts, "--normalize", model=model)
    document = solo(texts, "--normalize", "--prompt", "search_document", model=model)
    assert not np.allclose(default[texts[0]], document[texts[0]])  # the prompt matters
    server = Server("--max-wait-ms", "300", model=model)
    try:
        assert server.request("GET", "/info")[2]["prompt"] == "search_query"
        answers = {}

        def post(name):
            body = {"inputs": texts} if name is None else {"inputs": texts, "prompt_name": name}
            answers[name] = server.post("/embed", body)

        # Both in the same 300 ms window: one batch, a forward pass per prompt.
        threads = [threading.Thread(target=post, args=(name,))
                   for name in (None, "search_document", "search_query")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for name, reference in ((None, default), ("search_query", default),
                                ("search_document", document)):
            status, _, vectors = answers[name]
            assert status == 200, (name, vectors)
            for text, vector in zip(texts, vectors):
                np.testing.assert_allclose(vector, reference[text], atol=1e-6)
        status, _, error = server.post("/embed", {"inputs": "x", "prompt_name": "nope"})
        assert status == 400 and "search_document" in error["error"]  # names the choices
        # Usage counts the prompt's tokens too: "search_document: " is more than nothing.
        plain = server.post("/v1/embeddings", {"input": "x", "model": "m"})[2]["usage"]
        assert plain["total_tokens"] > len(server.post("/tokenize", {"inputs": "x"})[2][0])
    finally:
        assert server.stop() == 0


def test_read_timeout_closes_a_stalled_connection():
    server = Server("--read-timeout", "1")
    try:
        stalled = socket.create_connection(("127.0.0.1", server.port))
        stalled.sendall(b"POST /embed HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        stalled.settimeout(20)
        started = time.monotonic()
        received = b""
        try:
            while chunk := stalled.recv(4096):  # until the server closes
                received += chunk
        except ConnectionResetError:
            pass
        waited = time.monotonic() - started
        stalled.close()
        assert 0.5 < waited < 5, waited  # after about 1 s, not the default 5
        # Closed, or closed after a 4xx for the body that never came: never a 200.
        assert received == b"" or re.match(rb"HTTP/1\.1 4\d\d ", received), received
        assert server.request("GET", "/health")[0] == 200
    finally:
        assert server.stop() == 0
    done = subprocess.run([CLI, "serve", "--model", LEARNED, "--read-timeout", "0"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--read-timeout" in done.stderr


def test_a_client_that_hangs_up_has_its_queued_work_dropped():
    # The batcher waits up to 3 s for company: the request sits in the queue while its
    # client hangs up.
    server = Server("--max-wait-ms", "3000", "--max-batch-tokens", "100000")

    def metric(name):
        text = server.request("GET", "/metrics")[2].decode()
        found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
        return float(found.group(1)) if found else 0.0

    def wait_for(name, value):
        deadline = time.monotonic() + 30
        while metric(name) != value:
            if time.monotonic() > deadline:
                pytest.fail(f"{name} never reached {value} (is {metric(name)})")
            time.sleep(0.05)

    try:
        body = json.dumps({"inputs": HELDOUT[:8]}).encode()
        left = socket.create_connection(("127.0.0.1", server.port))
        left.sendall(b"POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        wait_for("ordo_queue_depth", 1)
        left.close()
        wait_for("ordo_requests_abandoned_total", 1)
        wait_for("ordo_queue_depth", 0)
        assert metric("ordo_tokens_total") == 0 and metric("ordo_batches_total") == 0
        assert metric('ordo_requests_total{endpoint="/embed",status="499"}') == 1
        # A client that waits is answered, and only its tokens are run.
        status, _, answer = server.post("/v1/embeddings", {"input": HELDOUT[8], "model": "m"})
        assert status == 200
        assert metric("ordo_tokens_total") == answer["usage"]["total_tokens"]
        assert metric("ordo_requests_abandoned_total") == 1
    finally:
        assert server.stop() == 0


def test_sigterm_answers_what_was_accepted_and_exits_0():
    server = Server("--max-wait-ms", "5000", "--max-batch-tokens", "100000")
    results = []

    def one(i):
        try:
            results.append(server.post("/embed", {"inputs": [HELDOUT[i]]})[0])
        except (ConnectionError, http.client.HTTPException, OSError) as error:
            results.append(type(error).__name__)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    # All 16 accepted and waiting in the batcher (for --max-wait-ms) before the signal.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        metrics = server.request("GET", "/metrics")[2].decode()
        if re.search(r"^ordo_queue_depth 16$", metrics, re.M):
            break
        time.sleep(0.05)
    else:
        pytest.fail("the 16 requests never reached the queue")
    server.process.send_signal(signal.SIGTERM)
    for t in threads:
        t.join()
    assert server.stop() == 0
    assert results.count(200) == 16, results
    assert any("stopping" in line for line in server.log)

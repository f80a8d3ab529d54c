"""The Python module against the CLI and the C++ API (same vectors), under threads, and under
bad arguments (ordo.Error or TypeError, never a crash).

CTest runs it as `python3 -m pytest tests/python` with PYTHONPATH=<build>/python and
ORDO_CLI, ORDO_EMBED_LINES and ORDO_MODELS naming the build's binaries and the models.
"""
import json
import os
import subprocess
import threading
import time

import numpy as np
import pytest

import ordo

MODELS = os.environ.get("ORDO_MODELS", os.path.join(os.path.dirname(__file__), "../../models"))
SINUSOIDAL = os.path.join(MODELS, "ordo-sinusoidal")
LEARNED = os.path.join(MODELS, "ordo-learned")
CLI = os.environ.get("ORDO_CLI", "ordo")
EMBED_LINES = os.environ.get("ORDO_EMBED_LINES")

TEXTS = ["猫追老鼠", "老鼠追猫", "The cat chases the mouse.", "The mouse chases the cat.",
         "我吃饭了", "吃饭了我", "", "a much longer sentence, so that the batch holds texts of "
         "very different lengths and padding would show if a row were mixed up"]


@pytest.fixture(scope="module")
def model():
    return ordo.Model(SINUSOIDAL, threads=2)


def run_cli(*args):
    done = subprocess.run([CLI, *args], capture_output=True, text=True, check=True)
    return done.stdout


def test_encode_matches_the_cli(model, tmp_path):
    lines = tmp_path / "lines.txt"
    lines.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    out = run_cli("encode", "--model", SINUSOIDAL, "--input", str(lines), "--output", "pooled",
                  "--jsonl")
    cli = np.array([json.loads(row)["pooled"] for row in out.splitlines()], dtype=np.float32)
    vectors = model.encode(TEXTS, batch_size=3)
    assert vectors.shape == (len(TEXTS), 128) and vectors.dtype == np.float32
    np.testing.assert_allclose(vectors, cli, atol=1e-6, rtol=0)


@pytest.mark.skipif(EMBED_LINES is None, reason="needs ORDO_EMBED_LINES (set by CTest)")
def test_encode_matches_the_cpp_api(model, tmp_path):
    lines = tmp_path / "lines.txt"
    lines.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    npy = tmp_path / "cpp.npy"
    subprocess.run([EMBED_LINES, str(lines), SINUSOIDAL, str(npy)], check=True,
                   capture_output=True)
    np.testing.assert_array_equal(model.encode(TEXTS), np.load(npy))


def test_single_text_gives_one_vector(model):
    one = model.encode("猫追老鼠")
    assert one.shape == (128,)
    np.testing.assert_array_equal(one, model.encode(["猫追老鼠"])[0])


def test_normalize_and_truncate_dim(model):
    plain = model.encode(TEXTS[:4])
    unit = model.encode(TEXTS[:4], normalize_embeddings=True)
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(unit, plain / np.linalg.norm(plain, axis=1, keepdims=True),
                               atol=1e-6)
    cut = model.encode(TEXTS[:4], truncate_dim=32, normalize_embeddings=True)
    expected = plain[:, :32] / np.linalg.norm(plain[:, :32], axis=1, keepdims=True)
    np.testing.assert_allclose(cut, expected, atol=1e-6)


def test_prompt_is_a_literal_prefix(model):
    np.testing.assert_allclose(model.encode(["cat"], prompt="the "), model.encode(["the cat"]),
                               atol=1e-6)


def test_token_embeddings_match_the_cli(model):
    texts = ["猫追老鼠", "The cat chases the mouse."]
    tokens = model.encode(texts, output_value="token_embeddings", batch_size=1)
    out = json.loads(run_cli("encode", "--model", SINUSOIDAL, "--json", *texts))
    for i, rows in enumerate(tokens):
        length = out["lengths"][i]
        assert rows.shape == (length, 128)
        np.testing.assert_allclose(rows, np.array(out["last_hidden_state"][i][:length]),
                                   atol=1e-6)


def test_pair_is_what_the_cli_reports(model):
    ours = model.pair("猫追老鼠", "老鼠追猫")
    cli = json.loads(run_cli("pair", "--model", SINUSOIDAL, "--json", "猫追老鼠", "老鼠追猫"))
    assert set(ours) == set(cli)
    for key in cli:
        if key in ("model", "cosine", "max_drift_l2", "shared_tokens"):
            continue
        assert ours[key] == cli[key], key
    assert ours["cosine"] == pytest.approx(cli["cosine"], abs=1e-6)
    assert ours["max_drift_l2"] == pytest.approx(cli["max_drift_l2"], abs=1e-5)
    assert len(ours["shared_tokens"]) == len(cli["shared_tokens"]) == 6
    for mine, theirs in zip(ours["shared_tokens"], cli["shared_tokens"]):
        assert mine["token"] == theirs["token"]
        assert mine["l2"] == pytest.approx(theirs["l2"], abs=1e-5)
    assert ours["permutation"] and ours["max_drift_l2"] > 1e-2


def test_pair_without_position_is_permutation_equivariant():
    blind = ordo.Model(SINUSOIDAL, positional_encoding="none")
    report = blind.pair("我吃饭了", "吃饭了我")
    assert report["permutation"] and report["pe"] == "none"
    assert report["max_drift_l2"] < 1e-4
    assert "permutation-equivariant" in report["verdict"]
    # The shared tokens' vectors are the same rows in another order: check against encode.
    tokens = blind.encode(["我吃饭了", "吃饭了我"], output_value="token_embeddings")
    for shared in report["shared_tokens"]:
        np.testing.assert_allclose(tokens[0][shared["index_a"]], tokens[1][shared["index_b"]],
                                   atol=1e-5)


def test_attentions(model):
    a = model.attentions("猫追老鼠")
    assert a.shape == (4, 4, 6, 6) and a.dtype == np.float32
    np.testing.assert_allclose(a.sum(axis=-1), 1.0, atol=1e-5)
    cli = json.loads(run_cli("attention", "--model", SINUSOIDAL, "--json", "猫追老鼠"))
    np.testing.assert_allclose(a, np.array(cli["attentions"]), atol=1e-6)


def test_tokenize_count_decode(model):
    tokens = model.tokenize("猫追老鼠")
    assert tokens["pieces"] == ["[CLS]", "猫", "追", "老", "鼠", "[SEP]"]
    assert tokens["spans"][1] == (0, 3) and tokens["types"] == [0] * 6
    assert model.count_tokens("猫追老鼠") == 6
    assert model.decode(tokens["ids"]) == "猫追老鼠"
    pair = model.tokenize("猫追老鼠", pair="老鼠追猫")
    assert pair["types"].count(1) == 5  # the second text and its [SEP]


def test_fill_mask(model):
    fills = model.fill_mask("The cat [MASK] the mouse.", top_k=5)
    assert len(fills) == 1 and len(fills[0]["predictions"]) == 5
    probabilities = [p["probability"] for p in fills[0]["predictions"]]
    assert probabilities == sorted(probabilities, reverse=True)
    assert 0 < sum(probabilities) <= 1


def test_info(model):
    info = model.info()
    assert info["positional_encoding"] == "sinusoidal" and info["hidden_size"] == 128
    assert info["threads"] == 2 and info["dtype"] == "f32" and info["version"] == ordo.__version__
    assert ordo.Model(LEARNED).info()["positional_encoding"] == "learned"


def test_similarity_and_top_k(model):
    v = model.encode(TEXTS[:4])
    unit = v / np.linalg.norm(v, axis=1, keepdims=True)
    np.testing.assert_allclose(ordo.similarity(v, v), unit @ unit.T, atol=1e-6)
    hits = ordo.top_k(v[:2], v, 2)
    assert [h[0][0] for h in hits] == [0, 1]  # each text is its own nearest neighbour


def test_two_threads_encode_concurrently_and_agree(model):
    solo = model.encode(TEXTS)
    results = [None] * 4

    def work(i):
        for _ in range(5):
            results[i] = model.encode(TEXTS, batch_size=2)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        np.testing.assert_array_equal(r, solo)


def test_the_gil_is_released_while_the_engine_runs(model):
    # While one thread encodes for a while, this thread must keep running: with the GIL held
    # through the call it could not wake from its sleeps until the call returned.
    texts = ["the cat chases the mouse " * 20] * 400
    worker = threading.Thread(target=lambda: model.encode(texts))
    worker.start()
    wakeups = 0
    while worker.is_alive():
        time.sleep(0.001)
        wakeups += 1
    worker.join()
    assert wakeups > 20


def test_empty_list_gives_no_rows(model):
    assert model.encode([]).shape == (0, 128)
    assert model.encode([], output_value="token_embeddings") == []


@pytest.mark.parametrize("bad", [None, 3, b"bytes", [1, 2], ["ok", None], {"a": 1}])
def test_wrong_types_are_type_errors(model, bad):
    with pytest.raises(TypeError):
        model.encode(bad)


@pytest.mark.parametrize("call", [
    lambda m: m.encode(["x"], output_value="nope"),
    lambda m: m.encode(["x"], batch_size=0),
    lambda m: m.encode(["x"], truncate_dim=1000),
    lambda m: m.encode(["a\0b"]),
    lambda m: m.pair("a", "b", layer=99),
    lambda m: m.pair("a", "b", head=-2),
    lambda m: m.pair("a", "b", align="letters"),
    lambda m: m.fill_mask("no mask here"),
    lambda m: m.fill_mask("a [MASK]", top_k=0),
    lambda m: m.decode([10**6]),
    lambda m: ordo.similarity(np.zeros(3, np.float32), np.zeros((2, 3), np.float32)),
    lambda m: ordo.similarity(np.zeros((2, 3), np.float32), np.zeros((2, 4), np.float32)),
])
def test_bad_arguments_raise_ordo_error(model, call):
    with pytest.raises(ordo.Error) as raised:
        call(model)
    assert str(raised.value)  # the engine's message, not an empty one


@pytest.mark.parametrize("kwargs", [
    {"path": "/no/such/model"},
    {"path": SINUSOIDAL, "dtype": "f64"},
    {"path": SINUSOIDAL, "pooling": "median"},
    {"path": SINUSOIDAL, "positional_encoding": "spiral"},
    {"path": SINUSOIDAL, "prompt_name": "query"},
    {"path": SINUSOIDAL, "threads": -1},
])
def test_bad_load_options_raise_ordo_error(kwargs):
    with pytest.raises(ordo.Error):
        ordo.Model(**kwargs)


def test_invalid_utf8_is_refused():
    model = ordo.Model(SINUSOIDAL)
    with pytest.raises((UnicodeError, ordo.Error)):
        model.encode(["\ud800"])  # a lone surrogate has no UTF-8 form
    with pytest.raises((UnicodeError, TypeError, ordo.Error)):
        model.pair("\ud800", "x")


def test_help_documents_every_method():
    for method in ("encode", "attentions", "pair", "tokenize", "count_tokens", "decode",
                   "fill_mask", "info"):
        assert getattr(ordo.Model, method).__doc__, method
    assert "sentence-transformers" in ordo.Model.__doc__ or "normalize" in ordo.Model.__doc__

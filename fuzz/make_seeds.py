#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora (fuzz/corpus/<target>/) and the config target's fixed
checkpoint (fuzz/fixture/). Standard library only, deterministic: running it again rewrites
every file byte for byte. The safetensors layout comes from tools/py/ordo_tools/safetensors.py
(encode), the writer of every other generator.

    python3 fuzz/make_seeds.py

Seeds are small valid inputs, so that mutations start from something that gets past the first
checks, plus the known-bad cases of tests/test_safetensors.cpp and tests/test_config.cpp.
"""
import base64
import json
import os
import random
import shutil
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools" / "py"))  # tools/py: the ordo_tools package
from ordo_tools.safetensors import encode  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MARKER = b"\n@@ "  # section marker of the model_dir target (fuzz/model_dir.cpp)


# ---- safetensors ----------------------------------------------------------------------------

def pack(dtype, values):
    if dtype == "F32":
        return struct.pack("<%df" % len(values), *values)
    if dtype == "F16":
        return struct.pack("<%de" % len(values), *values)
    if dtype == "BF16":
        return b"".join(struct.pack("<f", v)[2:] for v in values)
    if dtype == "I64":
        return struct.pack("<%dq" % len(values), *values)
    if dtype == "U8":
        return bytes(values)
    raise ValueError(dtype)


def safetensors(tensors, metadata=None, align=8):
    """tensors: list of (name, dtype, shape, values) in file order."""
    return encode([(name, dtype, shape, pack(dtype, values)) for name, dtype, shape, values in tensors],
                  metadata, align)


def raw_file(header_text, data=b""):
    header = header_text.encode() if isinstance(header_text, str) else header_text
    return struct.pack("<Q", len(header)) + header + data


# ---- a tiny BERT ------------------------------------------------------------------------------

def bert_tensors(rng, vocab, hidden, ffn, layers, positions=0, types=2, pre_ln=False, mlm=False,
                 dtype="F32", prefix=""):
    def normal(count, scale=0.2):
        return [round(rng.gauss(0.0, scale), 4) for _ in range(count)]

    def ones(count):
        return [1.0] * count

    def zeros(count):
        return [0.0] * count

    t = []
    e = prefix + "embeddings."
    t.append((e + "word_embeddings.weight", dtype, [vocab, hidden], normal(vocab * hidden)))
    if positions:
        t.append((e + "position_embeddings.weight", dtype, [positions, hidden],
                  normal(positions * hidden)))
    if types:
        t.append((e + "token_type_embeddings.weight", dtype, [types, hidden], normal(types * hidden)))
    t.append((e + "LayerNorm.weight", dtype, [hidden], ones(hidden)))
    t.append((e + "LayerNorm.bias", dtype, [hidden], zeros(hidden)))
    for i in range(layers):
        p = prefix + "encoder.layer.%d." % i
        for name in ("query", "key", "value"):
            t.append((p + "attention.self.%s.weight" % name, dtype, [hidden, hidden],
                      normal(hidden * hidden)))
            t.append((p + "attention.self.%s.bias" % name, dtype, [hidden], normal(hidden, 0.05)))
        t.append((p + "attention.output.dense.weight", dtype, [hidden, hidden], normal(hidden * hidden)))
        t.append((p + "attention.output.dense.bias", dtype, [hidden], zeros(hidden)))
        t.append((p + "attention.output.LayerNorm.weight", dtype, [hidden], ones(hidden)))
        t.append((p + "attention.output.LayerNorm.bias", dtype, [hidden], zeros(hidden)))
        t.append((p + "intermediate.dense.weight", dtype, [ffn, hidden], normal(ffn * hidden)))
        t.append((p + "intermediate.dense.bias", dtype, [ffn], zeros(ffn)))
        t.append((p + "output.dense.weight", dtype, [hidden, ffn], normal(hidden * ffn)))
        t.append((p + "output.dense.bias", dtype, [hidden], zeros(hidden)))
        t.append((p + "output.LayerNorm.weight", dtype, [hidden], ones(hidden)))
        t.append((p + "output.LayerNorm.bias", dtype, [hidden], zeros(hidden)))
    if pre_ln:
        t.append((prefix + "encoder.final_layer_norm.weight", dtype, [hidden], ones(hidden)))
        t.append((prefix + "encoder.final_layer_norm.bias", dtype, [hidden], zeros(hidden)))
    if mlm:
        c = "cls.predictions."
        t.append((c + "transform.dense.weight", dtype, [hidden, hidden], normal(hidden * hidden)))
        t.append((c + "transform.dense.bias", dtype, [hidden], zeros(hidden)))
        t.append((c + "transform.LayerNorm.weight", dtype, [hidden], ones(hidden)))
        t.append((c + "transform.LayerNorm.bias", dtype, [hidden], zeros(hidden)))
        t.append((c + "bias", dtype, [vocab], zeros(vocab)))
    return t


def bert_config(vocab, hidden, ffn, layers, heads, positions, pe="absolute", types=2, **extra):
    config = {"model_type": "bert", "vocab_size": vocab, "hidden_size": hidden,
              "num_hidden_layers": layers, "num_attention_heads": heads,
              "intermediate_size": ffn, "hidden_act": "gelu", "layer_norm_eps": 1e-12,
              "max_position_embeddings": positions, "type_vocab_size": types,
              "position_embedding_type": pe}
    config.update(extra)
    return json.dumps(config, indent=1).encode()


# ---- writing --------------------------------------------------------------------------------

def write_corpus(target, seeds):
    directory = os.path.join(HERE, "corpus", target)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    for name, data in seeds:
        with open(os.path.join(directory, name), "wb") as out:
            out.write(data)
    return sum(len(data) for _, data in seeds)


def safetensors_seeds(rng):
    valid = [
        ("valid_f32", safetensors([("a", "F32", [2, 2], [1.0, -2.0, 3.5, 0.0]),
                                   ("b", "F32", [3], [0.5, 1e-30, -7.0])])),
        ("valid_f16_bf16", safetensors([("h", "F16", [3], [1.0, -0.5, 65504.0]),
                                        ("g", "BF16", [2], [1.0, -3.0])])),
        ("valid_i64_u8", safetensors([("ids", "I64", [1, 3], [1, -2, 3]), ("m", "U8", [2], [1, 0])])),
        ("valid_metadata", safetensors([("w", "F32", [1], [2.0])], {"format": "pt"})),
        ("valid_empty", raw_file("{}")),
        ("valid_zero_size", safetensors([("z", "F32", [0, 4], []), ("s", "F32", [], [4.0])])),
        ("valid_unaligned", safetensors([("byte", "U8", [1], [7]), ("f", "F32", [2], [1.0, 2.0])],
                                        align=1)),
        ("valid_inf_nan", safetensors([("x", "F32", [3], [float("inf"), float("nan"), 1.0])])),
        ("valid_bert", safetensors(bert_tensors(rng, 8, 4, 8, 1, positions=4, mlm=True))),
    ]
    entry = '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}'
    bad = [
        ("bad_short", b"\0" * 7),
        ("bad_length_past_end", struct.pack("<Q", 100) + b"{}"),
        ("bad_length_huge", struct.pack("<Q", 2**64 - 1) + b"{}"),
        ("bad_not_json", raw_file("{not json}")),
        ("bad_not_object", raw_file("[]")),
        ("bad_nul", raw_file(b"{}\0\0\0\0\0\0")),
        ("bad_utf8_name", raw_file(b'{"a\xff":' + entry.encode() + b"}", b"\0" * 4)),
        ("bad_surrogate", raw_file(b'{"\xed\xa0\x80":' + entry.encode() + b"}", b"\0" * 4)),
        ("bad_nested", raw_file('{"a":{"dtype":"F32","shape":[[[[1]]]],"data_offsets":[0,4]}}',
                                b"\0" * 4)),
        ("bad_dtype", raw_file('{"a":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}', b"\0" * 4)),
        ("bad_negative", raw_file('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', b"\0" * 4)),
        ("bad_float_dim", raw_file('{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}', b"\0" * 4)),
        ("bad_2e60", raw_file('{"a":{"dtype":"F32","shape":[1073741824,1073741824],'
                              '"data_offsets":[0,4]}}', b"xxxx")),
        ("bad_overflow", raw_file('{"a":{"dtype":"F64","shape":[4294967296,4294967296],'
                                  '"data_offsets":[0,0]}}')),
        ("bad_span", raw_file('{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}', b"x" * 12)),
        ("bad_duplicate", raw_file('{"a":' + entry + ',"a":' + entry + "}", b"\0" * 4)),
        ("bad_extra_field", raw_file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}',
                                     b"\0" * 4)),
        ("bad_overlap", raw_file('{"a":' + entry + ',"b":' + entry + "}", b"\0" * 4)),
        ("bad_gap", raw_file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', b"\0" * 8)),
        ("bad_trailing", raw_file('{"a":' + entry + "}", b"\0" * 6)),
        ("bad_truncated", raw_file('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', b"\0" * 9)),
        ("bad_metadata", raw_file('{"__metadata__":{"k":1}}')),
        ("bad_begin_past_end", raw_file('{"a":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}')),
    ]
    return valid + bad


def config_seeds():
    base = json.loads(open(os.path.join(HERE, "fixture", "config.json")).read())

    def variant(**changes):
        config = dict(base)
        for key, value in changes.items():
            if value is None:
                config.pop(key, None)
            else:
                config[key] = value
        return json.dumps(config, indent=1).encode()

    return [
        ("valid", json.dumps(base, indent=1).encode()),
        ("valid_sinusoidal_relu", variant(position_embedding_type="sinusoidal", hidden_act="relu")),
        ("valid_blocked_silu", variant(position_embedding_type="sinusoidal-blocked", hidden_act="silu")),
        ("valid_none_pre_ln", variant(position_embedding_type="none", ordo_pre_layer_norm=True)),
        ("valid_rotary_half_interleaved", variant(position_embedding_type="rotary",
                                                  rotary_emb_fraction=0.5,
                                                  rotary_emb_interleaved=True,
                                                  rotary_emb_base=1000)),
        ("valid_alibi", variant(position_embedding_type="alibi")),
        ("bad_relative_bias_without_table", variant(position_embedding_type="relative_bias",
                                                    relative_attention_max_distance=4)),
        ("bad_rotary_fraction", variant(position_embedding_type="rotary", rotary_emb_fraction=0.1)),
        ("valid_one_head_one_layer", variant(num_attention_heads=1, num_hidden_layers=1,
                                             layer_norm_eps=0.5)),
        ("bad_type_vocab", variant(type_vocab_size=1)),
        ("valid_defaults", variant(model_type=None, hidden_act=None, layer_norm_eps=None,
                                   type_vocab_size=None, position_embedding_type=None)),
        ("bad_heads", variant(num_attention_heads=3)),
        ("bad_zero_layers", variant(num_hidden_layers=0)),
        ("bad_huge_positions", variant(max_position_embeddings=2**50)),
        ("bad_hidden", variant(hidden_size=12)),
        ("bad_types", variant(hidden_size="8", layer_norm_eps=-1, type_vocab_size=99999)),
        ("bad_model_type", variant(model_type="gpt2")),
        ("bad_activation", variant(hidden_act="mish")),
        ("bad_not_json", b'{"hidden_size": 8,'),
        ("bad_array", b"[1, 2]"),
        ("bad_uint64", variant(vocab_size=2**64 - 1)),
    ]


def model_dir_seeds(rng):
    def container(config, files, check_weights=False):
        """config.json, then each file as a section; the total size's parity is the target's
        check_weights switch, set by padding the config with a space."""
        data = config
        for name, content in files:
            assert MARKER not in content, name
            data += MARKER + name.encode() + b"\n" + content
        if (len(data) % 2 == 1) != check_weights:
            data = config + b" " + data[len(config):]
        return data

    small = dict(vocab=16, hidden=4, ffn=8, layers=1)
    learned = safetensors(bert_tensors(rng, positions=8, **small))
    good_config = bert_config(heads=2, positions=8, **small)
    seeds = [("valid_learned", container(good_config, [("model.safetensors", learned)]))]
    sinusoidal = safetensors(bert_tensors(rng, pre_ln=True, mlm=True, prefix="bert.", **small))
    seeds.append(("valid_sinusoidal_pre_ln_mlm", container(
        bert_config(heads=1, positions=512, pe="sinusoidal", ordo_pre_layer_norm=True, **small),
        [("model.safetensors", sinusoidal)], check_weights=True)))
    f16 = safetensors(bert_tensors(rng, types=0, dtype="F16", **small))
    seeds.append(("valid_f16_none", container(
        bert_config(heads=4, positions=8, pe="none", types=0, **small), [("model.safetensors", f16)])))
    bf16 = safetensors(bert_tensors(rng, dtype="BF16", **small))
    seeds.append(("valid_bf16_blocked", container(
        bert_config(heads=2, positions=8, pe="sinusoidal-blocked", hidden_act="gelu_new", **small),
        [("model.safetensors", bf16)], check_weights=True)))
    # The tiny tokenizer's ids reach 639 (640 with fairseq's offset, plus <mask>).
    tokenized = dict(vocab=642, hidden=4, ffn=4, layers=1)
    weights = safetensors(bert_tensors(rng, mlm=True, **tokenized))
    config = bert_config(heads=2, positions=128, pe="sinusoidal", **tokenized)
    seeds.append(("valid_tokenized", container(config, [
        ("model.safetensors", weights), ("tokenizer.model", b"@tiny"),
        ("tokenizer_config.json", b'{"model_max_length": 64, "mask_token": {"content": "[MASK]"}}'),
        ("special_tokens_map.json", b'{"cls_token": "[CLS]", "sep_token": "[SEP]"}')])))
    seeds.append(("valid_xlmr_ids", container(config, [
        ("model.safetensors", weights), ("sentencepiece.bpe.model", b"@tiny")])))
    # Marian ids come from vocab.json alone: the small model's 16 suffice.
    seeds.append(("valid_marian_vocab", container(good_config, [
        ("model.safetensors", learned), ("source.spm", b"@tiny"),
        ("vocab.json", b'{"</s>": 0, "<unk>": 1, "\\u2581the": 5, "[CLS]": 7}')])))
    # Known-bad directories.
    nan = safetensors(bert_tensors(rng, positions=8, **small)[:-1] +
                      [("encoder.layer.0.output.LayerNorm.bias", "F32", [4],
                        [0.0, float("nan"), 0.0, float("inf")])])
    seeds += [
        ("bad_nan_weights_checked", container(good_config, [("model.safetensors", nan)], True)),
        ("bad_nan_weights_unchecked", container(good_config, [("model.safetensors", nan)])),
        ("bad_truncated_weights", container(good_config, [("model.safetensors", learned[:-9])])),
        ("bad_contradicting_config", container(bert_config(heads=2, positions=8, vocab=16, hidden=8,
                                                           ffn=8, layers=1),
                                               [("model.safetensors", learned)])),
        ("bad_missing_layer", container(bert_config(heads=2, positions=8, vocab=16, hidden=4,
                                                    ffn=8, layers=2),
                                        [("model.safetensors", learned)])),
        ("bad_no_weights", container(good_config, [("model.safetensors.index.json", b"{}")])),
        ("bad_tokenizer_not_spm", container(good_config, [
            ("model.safetensors", learned), ("tokenizer.model", b"this is not a SentencePiece model")])),
        ("bad_marian_without_vocab", container(good_config, [
            ("model.safetensors", learned), ("source.spm", b"@tiny")])),
        ("valid_odd_tokenizer_config", container(good_config, [
            ("model.safetensors", learned), ("tokenizer.model", b"@tiny"),
            ("tokenizer_config.json", b'{"model_max_length": 1e30, "cls_token": 5}')])),
    ]
    return seeds


def tokenizer_seeds():
    lines = open(os.path.join(ROOT, "tests", "fixtures", "tokenizer", "tricky_strings.txt"),
                 encoding="utf-8").read().split("\n")
    picks = [lines[i] for i in (1, 5, 10, 11, 14, 17, 22, 41, 42, 44, 48, 50, 53, 56) if i < len(lines)]
    seeds = []
    for i, text in enumerate(picks):
        seeds.append(("text_%02d" % i, bytes([0, 0, 0]) + text.encode()))
    seeds += [
        ("pair", bytes([1, 0, 0]) + "The cat chases\x1f老鼠追猫".encode()),
        ("pair_truncated", bytes([1, 9, 0]) + "one two three four five six\x1fseven eight".encode()),
        ("pair_error", bytes([1, 6, 1]) + "one two three four\x1ffive".encode()),
        ("masked", bytes([2, 0, 0]) + b"The [MASK] chases the [MASK]."),
        ("masked_edges", bytes([2, 5, 0]) + b"[MASK][MASK] x [MASK"),
        ("decode", bytes([3, 0, 0]) + struct.pack("<8i", 2, 5, 17, 300, 7999, 8000, -1, 3)),
        ("bad_utf8", bytes([0, 0, 0]) + b"ab\xff cd"),
        ("bad_overlong", bytes([0, 0, 0]) + b"\xc0\xaf"),
        ("bad_surrogate", bytes([0, 0, 0]) + b"\xed\xa0\x80"),
        ("bad_past_max", bytes([0, 0, 0]) + b"\xf4\x90\x80\x80"),
        ("bad_truncated_sequence", bytes([0, 0, 0]) + b"abc\xe4\xb8"),
        ("bad_nul", bytes([2, 0, 0]) + b"a\0b [MASK]"),
        ("empty", bytes([0, 0, 0])),
        ("long_run", bytes([0, 200, 0]) + b"a" * 2000),
    ]
    return seeds


def precompiled_charsmap(rules):
    """A SentencePiece precompiled_charsmap for {key bytes: replacement}: u32 trie size, a Darts
    double array (one 256-unit block per trie node: children at base ^ label, a key's value unit
    at its node's base), then the NUL-ended replacements."""
    nodes = {b"": 0}
    for key in sorted(rules):
        for end in range(1, len(key) + 1):
            nodes.setdefault(key[:end], len(nodes))
    units = [0] * (256 * len(nodes))
    strings = b""
    for prefix, node in nodes.items():
        if not prefix:
            continue
        parent = 256 * nodes[prefix[:-1]]
        label = prefix[-1]
        offset = (parent ^ label) ^ (256 * node)
        leaf = 1 << 8 if prefix in rules else 0
        units[parent ^ label] = (offset << 10) | leaf | label
        if prefix in rules:
            units[256 * node] = (1 << 31) | len(strings)
            strings += rules[prefix].encode() + b"\0"
    trie = struct.pack("<%dI" % len(units), *units)
    return base64.b64encode(struct.pack("<I", len(trie)) + trie + strings).decode("ascii")


def tokenizer_json_seeds():
    """Small tokenizer.json files, one per model type and a spread of the pipeline's parts, and
    a few broken ones (the loader's error paths)."""
    def seed(document, text=None):
        data = json.dumps(document, ensure_ascii=False).encode()
        return data + (b"\n@@\n" + text.encode() if text is not None else b"")
    bar = "\u2581"
    letters = {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "a": 3, "b": 4, "ab": 5, "c": 6, "<0x61>": 7}
    bpe = {"type": "BPE", "vocab": letters, "merges": ["a b", ["ab", "c"]][:1],
           "unk_token": "[UNK]", "fuse_unk": True, "byte_fallback": True}
    template = {"type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                           {"Sequence": {"id": "A", "type_id": 0}},
                           {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                "pair": [{"Sequence": {"id": "A", "type_id": 0}},
                         {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [1], "tokens": ["[CLS]"]},
                                   "[SEP]": {"id": "[SEP]", "ids": [2], "tokens": ["[SEP]"]}}}
    added = [{"id": 1, "content": "[CLS]", "special": True, "normalized": False},
             {"id": 8, "content": "<m>", "special": True, "lstrip": True, "rstrip": True,
              "normalized": False},
             {"id": 9, "content": "ab", "single_word": True, "normalized": True}]
    return [
        ("bpe_template", seed({"added_tokens": added, "normalizer": {"type": "Sequence",
          "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"},
                          {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
          "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
              {"type": "Split", "pattern": {"Regex": "\\s+"}, "behavior": "MergedWithNext",
               "invert": False}, {"type": "Digits", "individual_digits": True}]},
          "model": bpe, "post_processor": template,
          "decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"},
                                                         {"type": "Fuse"}]}}, "ab <m> abc")),
        ("bytelevel", seed({"pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": True},
                            "model": {"type": "BPE", "vocab": {"\u0120a": 0, "a": 1},
                                      "merges": []},
                            "post_processor": {"type": "ByteLevel", "trim_offsets": True},
                            "decoder": {"type": "ByteLevel"}})),
        ("wordpiece", seed({"normalizer": {"type": "BertNormalizer", "lowercase": True},
                            "pre_tokenizer": {"type": "BertPreTokenizer"},
                            "model": {"type": "WordPiece", "unk_token": "[UNK]",
                                      "vocab": {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "hello": 3,
                                                "##s": 4, ",": 5}},
                            "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 2],
                                               "cls": ["[CLS]", 1]},
                            "decoder": {"type": "WordPiece", "prefix": "##"}}, "Hellos, x")),
        ("unigram", seed({"pre_tokenizer": {"type": "Metaspace", "replacement": bar,
                                            "prepend_scheme": "first", "split": True},
                          "model": {"type": "Unigram", "unk_id": 0, "byte_fallback": True,
                                    "vocab": [["<unk>", 0.0], [bar + "a", -1.0], ["b", -2.0],
                                              ["<0x63>", -5.0]]},
                          "post_processor": {"type": "RobertaProcessing", "sep": ["b", 2],
                                             "cls": ["<unk>", 0]},
                          "decoder": {"type": "Metaspace", "replacement": bar}}, "a b c")),
        ("scripts_whitespace", seed({"pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "UnicodeScripts"}, {"type": "Whitespace"}, {"type": "Punctuation"}]},
            "model": bpe})),
        # XLM-R's normalizer on a charsmap of four rules: a replacement, a removal, a key that
        # continues another one, a composition; "e" + U+0301 and "\t" in the text.
        ("precompiled", seed({"normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Precompiled", "precompiled_charsmap": precompiled_charsmap(
                {b"a": "b", b"\x07": "", b"e": "E", b"e\xcc\x81": "\u00e9"})},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
            "pre_tokenizer": {"type": "Metaspace", "replacement": bar,
                              "prepend_scheme": "always", "split": True},
            "model": {"type": "Unigram", "unk_id": 0,
                      "vocab": [["<unk>", 0.0], [bar + "b", -1.0], ["E", -2.0]]}},
            "ba\x07e\u0301 \tae")),
        ("bad_regex", seed({"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(a"},
                                              "behavior": "Removed"}, "model": bpe})),
        ("bad_merge", seed({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a z"]}})),
        ("bad_type", seed({"model": {"type": "WordLevel", "vocab": {}}})),
        ("bad_ids", seed({"model": {"type": "BPE", "vocab": {"a": 0, "b": 0}, "merges": []}})),
    ]


def cli_args_seeds():
    def args(*arguments):
        return b"\0".join(a.encode() for a in arguments)

    return [
        ("encode_ids", args("encode", "--ids", "5,17,42", "--ids", "3,4", "--token-types", "0,0,1",
                            "--token-types", "0,1", "--json")),
        ("encode_input", args("encode", "--input", "-", "--npy", "out.npy", "--output", "pooled",
                              "--pooling=max", "--normalize", "--batch-size", "64", "--threads", "2")),
        ("encode_dashdash", args("encode", "--jsonl", "--", "--not-an-option", "-", "-3 degrees")),
        ("pair", args("pair", "--pe", "none", "--layer", "2", "--head=0", "--json", "A", "B")),
        ("attention", args("attention", "--top", "5", "--npy", "a.npy", "--svg", "a.svg", "text")),
        ("pe", args("pe", "--positions", "64", "--json", "--check-weights")),
        ("fill", args("fill", "--top-k", "7", "The [MASK] sat.")),
        ("bench", args("bench", "--batch", "2", "--seq", "128", "--seconds", "0.5", "--min-runs", "3")),
        ("compare_pe", args("compare-pe", "a", "b", "--lengths", "128,256", "--seed", "-1")),
        ("bad_unknown", args("encode", "--bogus", "-x", "--model")),
        ("bad_twice", args("pair", "--layer", "1", "--layer", "2", "--json=1")),
        ("bad_numbers", args("bench", "--seq", "99999999999", "--seconds", "nan", "--batch", " 1")),
    ]


def write_fixture(rng):
    """The config target's fixed checkpoint: learned table, pre-LN final norm, MLM head,
    vocabulary 640 (the tiny_tokenized fixture's tokenizer)."""
    directory = os.path.join(HERE, "fixture")
    os.makedirs(directory, exist_ok=True)
    sizes = dict(vocab=640, hidden=8, ffn=16, layers=2)
    with open(os.path.join(directory, "model.safetensors"), "wb") as out:
        out.write(safetensors(bert_tensors(rng, positions=64, pre_ln=True, mlm=True, **sizes)))
    with open(os.path.join(directory, "config.json"), "wb") as out:
        out.write(bert_config(heads=2, positions=64, **sizes))


def main():
    rng = random.Random(20260801)
    write_fixture(rng)
    total = 0
    total += write_corpus("safetensors", safetensors_seeds(rng))
    total += write_corpus("config", config_seeds())
    total += write_corpus("model_dir", model_dir_seeds(rng))
    total += write_corpus("tokenizer", tokenizer_seeds())
    total += write_corpus("tokenizer_json", tokenizer_json_seeds())
    total += write_corpus("cli_args", cli_args_seeds())
    print("seed corpora: %d bytes" % total, file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""An XLM-R-style tokenizer.json around the bundled SentencePiece model, for the Precompiled
normalizer: what transformers' XLMRobertaConverter (convert_slow_tokenizer.py) writes for a
SentencePiece Unigram model, with this model's own special tokens.

    /usr/bin/python3 tools/make_precompiled_tokenizer_fixture.py \\
        tests/fixtures/tokenizer_json/xlmr_precompiled_unigram

- model: Unigram, the model's 8,000 pieces and scores in id order, unk_id from the model,
  no byte fallback (XLM-R has none; the model's <0x..> pieces stay ordinary pieces);
- normalizer: Sequence(Precompiled(the model's normalizer_spec.precompiled_charsmap, SentencePiece
  0.1.97's nmt_nfkc), Replace(Regex " {2,}" -> " "));
- pre-tokenizer and decoder: Metaspace ("▁", prepend_scheme "always", split);
- post-processor: XLM-R's template, "[CLS] $A [SEP]" and "[CLS] $A [SEP] [SEP] $B [SEP]";
- added tokens: the model's control and unknown pieces, special and not normalized; [MASK] with
  lstrip, as XLM-R's <mask>.

The .model file is read with the standard library (a protobuf walk: no protobuf package here) and
Python's sentencepiece, which checks the piece table read that way. Expected encodings then come
from `node tools/tokenizer_reference.mjs`.

It also writes normalized.jsonl, the Precompiled normalizer's two references on every string of
strings.json, one JSON object a line:
- "tokenizers": what the pinned Rust tokenizers (npm, tools/bench/) makes of the text with
  Precompiled(charsmap) alone;
- "sentencepiece": SentencePiece's own C++ normalizer on the same charsmap (`spm_normalize
  --model ... --remove_extra_whitespaces=false`: the charsmap alone, no dummy prefix, no "▁"), or
  null for a text with a newline (spm_normalize reads lines);
- "offsets": the Rust tokenizers' offsets, in characters, of the fixture's whole encoding of the
  text without special tokens.
Deterministic: running it again rewrites the same bytes.
"""

import base64
import json
import os
import subprocess
import sys

import sentencepiece as spm

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(REPO, "models", "ordo-sinusoidal", "tokenizer.model")
BAR = "\u2581"
STRINGS = os.path.join(REPO, "tests", "fixtures", "tokenizer_json", "strings.json")
TOKENIZERS = os.path.join(REPO, "tools", "bench", "node_modules", "tokenizers")

# [strings, charsmap in base64, tokenizer.json] on stdin -> [[normalized, offsets], ...]
RUST = r"""
const fs = require('fs');
const tokenizers = require(process.argv[1]);
const [strings, charsmap, file] = JSON.parse(fs.readFileSync(0, 'utf8'));
const normalizer = tokenizers.precompiled(Array.from(Buffer.from(charsmap, 'base64')));
const tokenizer = tokenizers.Tokenizer.fromFile(file);
(async () => {
  const out = [];
  for (const text of strings) {
    const encoding = await tokenizer.encode(text, null, { addSpecialTokens: false });
    out.push([normalizer.normalizeString(text), encoding.getOffsets()]);
  }
  process.stdout.write(JSON.stringify(out));
})();
"""


def varint(data, i):
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def fields(data):
    """(field number, value) of a protobuf message: ints for varints, bytes otherwise."""
    i = 0
    while i < len(data):
        key, i = varint(data, i)
        wire = key & 7
        if wire == 0:
            value, i = varint(data, i)
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        elif wire == 2:
            length, i = varint(data, i)
            value, i = data[i:i + length], i + length
        elif wire == 5:
            value, i = data[i:i + 4], i + 4
        else:
            raise ValueError("unsupported wire type %d" % wire)
        yield key >> 3, value


def model_proto(path):
    """ModelProto: pieces (field 1: piece 1, score 2, type 3), trainer_spec (2), normalizer_spec
    (3: name 1, precompiled_charsmap 2)."""
    data = open(path, "rb").read()
    pieces, trainer, normalizer = [], {}, {}
    for number, value in fields(data):
        if number == 1:
            piece = dict(fields(value))
            pieces.append((piece[1].decode(), piece.get(3, 1)))
        elif number == 2:
            trainer = dict(fields(value))
        elif number == 3:
            normalizer = dict(fields(value))
    return pieces, trainer, normalizer


def main():
    out = sys.argv[1]
    pieces, trainer, normalizer = model_proto(MODEL)
    if trainer.get(3, 1) != 1:
        sys.exit("%s: not a Unigram model" % MODEL)
    if normalizer.get(1) != b"nmt_nfkc":
        sys.exit("%s: normalizer %r, expected nmt_nfkc" % (MODEL, normalizer.get(1)))
    charsmap = normalizer[2]
    sp = spm.SentencePieceProcessor(model_file=MODEL)
    if [p for p, _ in pieces] != [sp.id_to_piece(i) for i in range(sp.vocab_size())]:
        sys.exit("%s: the protobuf walk disagrees with sentencepiece" % MODEL)
    # ModelProto.SentencePiece.Type: 1 normal, 2 unknown, 3 control, 6 byte.
    unk_id = next(i for i, (_, kind) in enumerate(pieces) if kind == 2)
    special = [i for i, (_, kind) in enumerate(pieces) if kind in (2, 3)]
    vocab = [[sp.id_to_piece(i), sp.get_score(i)] for i in range(sp.vocab_size())]
    names = {i: pieces[i][0] for i in special}
    cls, sep, mask = "[CLS]", "[SEP]", "[MASK]"
    for name in (cls, sep, mask):
        if name not in names.values():
            sys.exit("%s: no %s piece" % (MODEL, name))
    ids = {name: i for i, name in names.items()}
    metaspace = {"type": "Metaspace", "replacement": BAR, "prepend_scheme": "always",
                 "split": True}

    def token(role, type_id):
        return {"SpecialToken": {"id": role, "type_id": type_id}}

    def sequence(name):
        return {"Sequence": {"id": name, "type_id": 0}}

    document = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": i, "content": names[i], "single_word": False,
                          "lstrip": names[i] == mask, "rstrip": False, "normalized": False,
                          "special": True} for i in special],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Precompiled",
             "precompiled_charsmap": base64.b64encode(charsmap).decode("ascii")},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
        "pre_tokenizer": metaspace,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [token(cls, 0), sequence("A"), token(sep, 0)],
            "pair": [token(cls, 0), sequence("A"), token(sep, 0), token(sep, 0), sequence("B"),
                     token(sep, 0)],
            "special_tokens": {name: {"id": name, "ids": [ids[name]], "tokens": [name]}
                               for name in (cls, sep)}},
        "decoder": metaspace,
        "model": {"type": "Unigram", "unk_id": unk_id, "vocab": vocab, "byte_fallback": False},
    }
    config = {"tokenizer_class": "XLMRobertaTokenizer", "bos_token": cls, "cls_token": cls,
              "eos_token": sep, "sep_token": sep, "unk_token": names[unk_id],
              "pad_token": pieces[0][0], "mask_token": mask, "model_max_length": 512,
              "clean_up_tokenization_spaces": False}
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(document, f, ensure_ascii=False, indent=1)
        f.write("\n")
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=2)
        f.write("\n")
    print("wrote %s: %d pieces, a %d-byte charsmap" % (out, len(vocab), len(charsmap)))
    write_references(out, charsmap)


def write_references(out, charsmap):
    strings = json.load(open(STRINGS, encoding="utf-8"))
    if not os.path.isdir(TOKENIZERS):
        sys.exit("no %s: run (cd tools/bench && npm ci --ignore-scripts) first" % TOKENIZERS)
    request = json.dumps([strings, base64.b64encode(charsmap).decode("ascii"),
                          os.path.join(out, "tokenizer.json")])
    rust = json.loads(subprocess.run(["node", "-e", RUST, TOKENIZERS], input=request.encode(),
                                     stdout=subprocess.PIPE, check=True).stdout)
    lines = [text for text in strings if "\n" not in text]
    spm = subprocess.run(["spm_normalize", "--model", MODEL, "--remove_extra_whitespaces=false"],
                         input="".join(text + "\n" for text in lines).encode(),
                         stdout=subprocess.PIPE, check=True).stdout.decode().split("\n")
    if len(spm) != len(lines) + 1 or spm[-1] != "":
        sys.exit("spm_normalize gave %d lines for %d" % (len(spm) - 1, len(lines)))
    spm = dict(zip(lines, spm))
    differ = 0
    with open(os.path.join(out, "normalized.jsonl"), "w", encoding="utf-8") as f:
        for text, (normalized, offsets) in zip(strings, rust):
            sentencepiece = spm.get(text)
            differ += sentencepiece is not None and sentencepiece != normalized
            f.write(json.dumps({"text": text, "tokenizers": normalized,
                                "sentencepiece": sentencepiece, "offsets": offsets},
                               ensure_ascii=False) + "\n")
    print("wrote normalized.jsonl: %d strings, %d through spm_normalize, which differs from "
          "tokenizers on %d" % (len(strings), len(lines), differ))


if __name__ == "__main__":
    main()

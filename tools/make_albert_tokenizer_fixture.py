#!/usr/bin/python3
"""Expected ALBERT-style tokenization: Hugging Face AlbertTokenizer.preprocess_text (transcribed
below from transformers' tokenization_albert.py, on Python's unicodedata) followed by Python's
`sentencepiece` on the bundled SentencePiece model used as an `spiece.model`.

    /usr/bin/python3 tools/make_albert_tokenizer_fixture.py tests/fixtures/albert_tokenizer.json

Not transcribed: _tokenize's re-split of pieces ending in a digit and a comma ("9," -> "9" ","),
which ordo does not do either; the strings below avoid it (ordo's README lists the difference).
"""

import json
import os
import sys
import unicodedata

import sentencepiece as spm

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(REPO, "models", "ordo-sinusoidal", "tokenizer.model")
STRINGS = [
    "Hello World", "  leading and trailing  ", "many     spaces\tand\ttabs\nnewlines",
    "naïve café Résumé", "ÅNGSTRÖM Crème Brûlée", "``quoted'' text", "full-width ＡＢＣ",
    "ligature ﬁne", "The Cat Chases The Mouse", "猫追老鼠", "Mixed 中文 English", "İstanbul",
    "ΣΊΣΥΦΟΣ", "e\u0301 combining", "non\u00a0breaking\u3000ideographic space",
    "line\u2028separator", "emoji 😀 ok", "Straße", "ｶﾀｶﾅ half-width",
]


def preprocess_text(inputs, remove_space=True, keep_accents=False, do_lower_case=True):
    if remove_space:
        outputs = " ".join(inputs.strip().split())
    else:
        outputs = inputs
    outputs = outputs.replace("``", '"').replace("''", '"')
    if not keep_accents:
        outputs = unicodedata.normalize("NFKD", outputs)
        outputs = "".join([c for c in outputs if not unicodedata.combining(c)])
    if do_lower_case:
        outputs = outputs.lower()
    return outputs


def main():
    out = sys.argv[1]
    sp = spm.SentencePieceProcessor(model_file=MODEL)
    results = []
    for s in STRINGS:
        text = preprocess_text(s)
        results.append({"text": s, "pieces": sp.encode(text, out_type=str),
                        "ids": sp.encode(text)})
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"model": "models/ordo-sinusoidal/tokenizer.model", "results": results}, f,
                  ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {out}: {len(results)} strings")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""WordPiece fixture: a vocab.txt and the tokens Hugging Face's BertTokenizer gives for a list
of tricky strings, computed by a transcription of transformers' tokenization_bert.py
(BasicTokenizer + WordpieceTokenizer) on Python's own `unicodedata` -- independent of the ICU
tables ordo's C++ uses.

    /usr/bin/python3 tools/make_wordpiece_fixture.py tests/fixtures/wordpiece

Writes vocab.txt (built deterministically from the strings below plus common English words and
suffixes, so that matches, ## continuations and [UNK] all occur) and expected.json: for each
option set (uncased with accent stripping, cased, uncased but keeping accents, no CJK split),
for each string, the tokens and ids. Run with the fixed inputs, the output is byte-identical.
"""

import json
import os
import sys
import unicodedata

STRINGS = [
    "Hello, world!", "The cat chases the mouse.", "UNAFFABLE unaffable Unaffable",
    "naïve café résumé", "Crème brûlée à la carte", "ÅNGSTRÖM", "Straße", "İstanbul", "ΣΊΣΥΦΟΣ",
    "猫追老鼠", "老鼠追猫", "我吃饭了", "吃饭了我", "中文English混合mixed", "日本語のテキスト",
    "한국어 텍스트", "emoji 😀 here 👍🏽", "tab\tseparated\tvalues", "multiple   spaces  here",
    "new\nlines\r\nand\rreturns", "non\u00a0breaking\u2003spaces", "line\u2028separator\u2029para",
    "zero\u200bwidth\u200djoiner", "soft\u00adhyphen", "control\x07bell\x1bescape",
    "replacement\ufffdchar", "full-width ＡＢＣ １２３", "ligature ﬁne ﬂow", "e\u0301 combining",
    "a\u0308\u0304 stacked", "don't stop-believing", "(parentheses) [brackets] {braces}",
    "quotes “curly” ‘single’ «guillemets»", "ellipsis… dash — en–dash", "math 2+2=4 x^2 <tag>",
    "path/to/file.txt", "email@example.com", "https://example.com/a?b=c&d=e", "1,234.56 $100 50%",
    "#hashtag @mention", "underscore_separated_words", "CamelCaseWords", "ALLCAPS",
    "supercalifragilisticexpialidocious", "x" * 101, "y" * 100, "antidisestablishmentarianism",
    "running jumped quickly happiness", "unbelievable preprocessing", "", "   ", "\t\n",
    "¿Qué tal? ¡Muy bien!", "Ça va? Œuvre", "ﬀ ﬃ", "Ⅻ ⅷ", "Привет, мир!", "Ελληνικά κείμενα",
    "עברית", "العربية", "हिन्दी", "ไทย", "a\u0000b", "\ue000private use",
    "CJK compat 豈 and ext 𠀀", "mixed 猫cat猫", "trailing punctuation!!!", "...leading dots",
]

WORDS = ("the a an and or of to in is it that for on with as at by this be are was from not "
         "hello world cat cats chase chases mouse mice street strasse naive cafe resume creme "
         "brulee la carte angstrom istanbul new line lines tab separated values multiple space "
         "spaces here non breaking zero width joiner soft hyphen control bell escape replacement "
         "char full ligature fine flow combining stacked don t stop believing parentheses "
         "brackets braces quotes curly single ellipsis dash en math tag path file txt email "
         "example com https a b c d e hashtag mention underscore words camel case all caps run "
         "jump quick happy un believ able pre process anti dis establish super cal english "
         "mixed emoji returns para separator use private compat ext trailing punctuation leading "
         "dots muy bien que tal va").split()
SUFFIXES = "s es ed ing ly ness able ment ism ian ary al er est ize ation ic ous ful".split()
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


# ----------------------------------------------------------------------------------------------
# transformers/models/bert/tokenization_bert.py, transcribed (BasicTokenizer, WordpieceTokenizer)

def whitespace_tokenize(text):
    text = text.strip()
    return text.split() if text else []


def _is_whitespace(char):
    if char in (" ", "\t", "\n", "\r"):
        return True
    return unicodedata.category(char) == "Zs"


def _is_control(char):
    if char in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(char).startswith("C")


def _is_punctuation(char):
    cp = ord(char)
    if (33 <= cp <= 47) or (58 <= cp <= 64) or (91 <= cp <= 96) or (123 <= cp <= 126):
        return True
    return unicodedata.category(char).startswith("P")


def _is_chinese_char(cp):
    return ((0x4E00 <= cp <= 0x9FFF) or (0x3400 <= cp <= 0x4DBF) or (0x20000 <= cp <= 0x2A6DF)
            or (0x2A700 <= cp <= 0x2B73F) or (0x2B740 <= cp <= 0x2B81F)
            or (0x2B820 <= cp <= 0x2CEAF) or (0xF900 <= cp <= 0xFAFF)
            or (0x2F800 <= cp <= 0x2FA1F))


class BasicTokenizer:
    def __init__(self, do_lower_case=True, tokenize_chinese_chars=True, strip_accents=None):
        self.do_lower_case = do_lower_case
        self.tokenize_chinese_chars = tokenize_chinese_chars
        self.strip_accents = strip_accents

    def tokenize(self, text):
        text = self._clean_text(text)
        if self.tokenize_chinese_chars:
            text = self._tokenize_chinese_chars(text)
        text = unicodedata.normalize("NFC", text)
        split_tokens = []
        for token in whitespace_tokenize(text):
            if self.do_lower_case:
                token = token.lower()
                if self.strip_accents is not False:
                    token = self._run_strip_accents(token)
            elif self.strip_accents:
                token = self._run_strip_accents(token)
            split_tokens.extend(self._run_split_on_punc(token))
        return whitespace_tokenize(" ".join(split_tokens))

    def _run_strip_accents(self, text):
        text = unicodedata.normalize("NFD", text)
        return "".join(c for c in text if unicodedata.category(c) != "Mn")

    def _run_split_on_punc(self, text):
        chars = list(text)
        i, start_new_word, output = 0, True, []
        while i < len(chars):
            char = chars[i]
            if _is_punctuation(char):
                output.append([char])
                start_new_word = True
            else:
                if start_new_word:
                    output.append([])
                start_new_word = False
                output[-1].append(char)
            i += 1
        return ["".join(x) for x in output]

    def _tokenize_chinese_chars(self, text):
        output = []
        for char in text:
            if _is_chinese_char(ord(char)):
                output += [" ", char, " "]
            else:
                output.append(char)
        return "".join(output)

    def _clean_text(self, text):
        output = []
        for char in text:
            cp = ord(char)
            if cp == 0 or cp == 0xFFFD or _is_control(char):
                continue
            output.append(" " if _is_whitespace(char) else char)
        return "".join(output)


class WordpieceTokenizer:
    def __init__(self, vocab, unk_token, max_input_chars_per_word=100):
        self.vocab, self.unk_token = vocab, unk_token
        self.max_input_chars_per_word = max_input_chars_per_word

    def tokenize(self, text):
        output_tokens = []
        for token in whitespace_tokenize(text):
            chars = list(token)
            if len(chars) > self.max_input_chars_per_word:
                output_tokens.append(self.unk_token)
                continue
            is_bad, start, sub_tokens = False, 0, []
            while start < len(chars):
                end, cur_substr = len(chars), None
                while start < end:
                    substr = "".join(chars[start:end])
                    if start > 0:
                        substr = "##" + substr
                    if substr in self.vocab:
                        cur_substr = substr
                        break
                    end -= 1
                if cur_substr is None:
                    is_bad = True
                    break
                sub_tokens.append(cur_substr)
                start = end
            if is_bad:
                output_tokens.append(self.unk_token)
            else:
                output_tokens.extend(sub_tokens)
        return output_tokens


# ----------------------------------------------------------------------------------------------

def build_vocab():
    tokens = list(SPECIALS)
    seen = set(tokens)

    def add(token):
        if token not in seen:
            seen.add(token)
            tokens.append(token)

    # Characters of the strings as the uncased and cased tokenizers see them, most but not all
    # (every 7th is left out so that [UNK] occurs), alone and as continuations.
    chars = set()
    for options in OPTION_SETS.values():
        basic = BasicTokenizer(**options)
        for s in STRINGS:
            for word in basic.tokenize(s):
                chars.update(word)
    for i, c in enumerate(sorted(chars)):
        if i % 7 == 3:
            continue
        add(c)
        add("##" + c)
    for w in WORDS:
        add(w)
        add(w.capitalize())
    for suffix in SUFFIXES:
        add("##" + suffix)
    for piece in ("##ab", "##le", "##af", "##fa", "##ffa", "##able", "##ly", "##ing", "##ed",
                  "##ness", "##believ", "##process", "##ism", "##arian"):
        add(piece)
    return tokens


OPTION_SETS = {
    "uncased": dict(do_lower_case=True, tokenize_chinese_chars=True, strip_accents=None),
    "cased": dict(do_lower_case=False, tokenize_chinese_chars=True, strip_accents=None),
    "uncased_keep_accents": dict(do_lower_case=True, tokenize_chinese_chars=True,
                                 strip_accents=False),
    "no_cjk_split": dict(do_lower_case=True, tokenize_chinese_chars=False, strip_accents=None),
}


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    vocab = build_vocab()
    with open(os.path.join(out, "vocab.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(vocab) + "\n")
    index = {t: i for i, t in enumerate(vocab)}
    expected = {"strings": STRINGS, "options": {}}
    for name, options in OPTION_SETS.items():
        basic = BasicTokenizer(**options)
        wordpiece = WordpieceTokenizer(index, "[UNK]")
        results = []
        for s in STRINGS:
            tokens = [p for word in basic.tokenize(s) for p in wordpiece.tokenize(word)]
            results.append({"tokens": tokens, "ids": [index[t] for t in tokens]})
        expected["options"][name] = {"settings": options, "results": results}
    with open(os.path.join(out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
        f.write("\n")
    unk = sum(r["tokens"].count("[UNK]") for r in expected["options"]["uncased"]["results"])
    cont = sum(sum(t.startswith("##") for t in r["tokens"])
               for r in expected["options"]["uncased"]["results"])
    print(f"wrote {out}: {len(vocab)} tokens, {len(STRINGS)} strings; uncased: {unk} [UNK], "
          f"{cont} ## continuations")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env node
// Cross-check of ordo's WordPiece fixture against transformers.js (npm @huggingface/transformers).
//
//   node tools/wordpiece_crosscheck.mjs [tests/fixtures/wordpiece]
//
// expected.json was written by tools/make_wordpiece_fixture.py, a transcription of Hugging
// Face's Python BertTokenizer. This script gives a second, independent implementation the same
// inputs: for each option set it builds a BertTokenizer in memory from vocab.txt (the
// tokenizer.json a Python "fast" conversion would write: BertNormalizer, BertPreTokenizer,
// WordPiece, [CLS]/[SEP] template), tokenizes every string without special tokens and compares
// tokens and ids. Offline: nothing is downloaded. Exit 0 all agree, 1 some differ, 2 tool error.
// Needs `npm install --ignore-scripts` in tools/bench/: transformers.js is pinned in the
// benchmark's package.json and loaded from tools/bench/node_modules.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function fail(message) {
  process.stderr.write(`wordpiece_crosscheck: ${message}\n`);
  process.exit(2);
}

const tools = path.dirname(fileURLToPath(import.meta.url));
const bench = path.join(tools, 'bench');
let transformers;
try {
  // node_modules/ is not on this file's path: resolve from the benchmark's package.json.
  transformers = createRequire(path.join(bench, 'package.json'))('@huggingface/transformers');
} catch (e) {
  fail(`cannot load @huggingface/transformers (${e.message.split('\n')[0]});\n` +
       `run \`npm install --ignore-scripts\` in ${bench}`);
}
const { BertTokenizer, env } = transformers;
env.allowRemoteModels = false;

const repo = path.resolve(tools, '..');
const dir = path.resolve(process.argv[2] ?? path.join(repo, 'tests/fixtures/wordpiece'));
let vocabList, expected;
try {
  vocabList = fs.readFileSync(path.join(dir, 'vocab.txt'), 'utf8').split('\n');
  if (vocabList.at(-1) === '') vocabList.pop();
  expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));
} catch (e) {
  fail(e.message);
}
const vocab = Object.fromEntries(vocabList.map((t, i) => [t, i]));
const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

function makeTokenizer({ do_lower_case, tokenize_chinese_chars, strip_accents }) {
  const special = (t) => ({ id: t, type_id: 0 });
  const tokenizerJSON = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((t) => ({ id: vocab[t], content: t, single_word: false,
                                         lstrip: false, rstrip: false, normalized: false,
                                         special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true,
                  handle_chinese_chars: tokenize_chinese_chars, strip_accents,
                  lowercase: do_lower_case },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: special('[CLS]') }, { Sequence: { id: 'A', type_id: 0 } },
               { SpecialToken: special('[SEP]') }],
      pair: [{ SpecialToken: special('[CLS]') }, { Sequence: { id: 'A', type_id: 0 } },
             { SpecialToken: special('[SEP]') }, { Sequence: { id: 'B', type_id: 1 } },
             { SpecialToken: { id: '[SEP]', type_id: 1 } }],
      special_tokens: Object.fromEntries(
          ['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [vocab[t]], tokens: [t] }])),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##',
             max_input_chars_per_word: 100, vocab },
  };
  const tokenizerConfig = {
    tokenizer_class: 'BertTokenizer', do_lower_case, tokenize_chinese_chars, strip_accents,
    unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]',
    mask_token: '[MASK]', clean_up_tokenization_spaces: true, model_max_length: 512,
  };
  return new BertTokenizer(tokenizerJSON, tokenizerConfig);
}

// JSON with invisible / combining / non-ASCII space characters spelled as \uXXXX.
const show = (x) => JSON.stringify(x).replace(/[\p{C}\p{Z}\p{M}]/gu, (c) =>
  c === ' ' ? c : [...c].map((ch) => `\\u{${ch.codePointAt(0).toString(16)}}`).join(''));
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

console.log(`transformers.js ${env.version} vs ${path.relative(process.cwd(), dir) || '.'}: ` +
            `${vocabList.length} vocab tokens, ${expected.strings.length} strings`);

let differ = 0;
try {
  for (const [name, { settings, results }] of Object.entries(expected.options)) {
    const tok = makeTokenizer(settings);
    const lines = [];
    let agree = 0;
    expected.strings.forEach((s, i) => {
      const tokens = tok.tokenize(s, { add_special_tokens: false });
      const ids = tok.encode(s, { add_special_tokens: false });
      const want = results[i];
      if (same(tokens, want.tokens) && same(ids, want.ids)) return void ++agree;
      lines.push(`  string   ${show(s)}`, `    ordo   ${show(want.tokens)}`,
                 `    tjs    ${show(tokens)}`);
      if (same(tokens, want.tokens)) {
        lines.push(`    ids    ordo ${show(want.ids)} tjs ${show(ids)}`);
      }
    });
    differ += expected.strings.length - agree;
    console.log(`${name} ${show(settings)}: ${agree}/${expected.strings.length} agree`);
    for (const line of lines) console.log(line);
  }
} catch (e) {
  fail(e.stack);
}
process.exit(differ ? 1 : 0);

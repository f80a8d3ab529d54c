#!/usr/bin/env node
// Expected encodings for ordo's tokenizer.json reader, computed by Hugging Face's own Rust
// `tokenizers` library (npm `tokenizers`, its official Node binding: the code behind Python's
// fast tokenizers) and cross-checked against a second implementation, transformers.js (npm
// @huggingface/transformers, whose tokenizers are @huggingface/tokenizers, pure JavaScript).
//
//   node tools/tokenizer_reference.mjs            rewrite every <fixture>/expected.jsonl
//   node tools/tokenizer_reference.mjs --check    exit 1 if a committed expected.jsonl differs
//
// A fixture is a directory of tests/fixtures/tokenizer_json/ holding either a tokenizer.json or
// a GPT-2 style vocab.json + merges.txt (turned into the tokenizer.json Hugging Face's
// GPT2Converter writes). Every string of strings.json is encoded alone, then consecutive strings
// (0,1), (2,3), ... as pairs, each with and without special tokens: one JSON line per encoding,
// in that order. ids, tokens and type_ids are the Rust library's Encoding with truncation and
// padding off (Python's tokenizers ignore those settings of tokenizer.json unless asked);
// decoded is its decode(ids, skip_special_tokens=true). Where transformers.js gives other ids,
// tokens or type_ids, the line also holds what it gives, under "transformers_js", so its known
// deviations stay listed and a change in either library shows in --check. Nothing in the output
// depends on time or machine. Exit 0 done or all equal, 1 some expected.jsonl differs (--check),
// 2 tool error. Needs `npm ci --ignore-scripts` in tools/bench/, where both are pinned.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const NAME = 'tokenizer_reference';
function fail(message) {
  process.stderr.write(`${NAME}: ${message}\n`);
  process.exit(2);
}

const tools = path.dirname(fileURLToPath(import.meta.url));
const bench = path.join(tools, 'bench');
const root = path.join(tools, '..', 'tests', 'fixtures', 'tokenizer_json');
const args = process.argv.slice(2);
const check = args.includes('--check');
if (args.some((a) => a !== '--check')) fail('usage: node tools/tokenizer_reference.mjs [--check]');

// node_modules/ is not on this file's path: resolve from the tools' package.json.
const requireBench = createRequire(path.join(bench, 'package.json'));
function need(name) {
  try {
    return requireBench(name);
  } catch (e) {
    fail(`cannot load ${name} (${e.message.split('\n')[0]});\n` +
         `install it with: (cd ${path.relative(process.cwd(), bench) || '.'} && ` +
         'npm ci --ignore-scripts --no-audit --no-fund)');
  }
}
const transformers = need('@huggingface/transformers');
const rust = need('tokenizers');
const { AutoTokenizer, GPT2Tokenizer, env } = transformers;
env.allowRemoteModels = false;  // nothing is downloaded: a missing file is an error
env.allowLocalModels = true;
env.localModelPath = root + path.sep;

// JSON with what a reader cannot see spelled \uXXXX: controls, format characters, separators
// other than U+0020, private use, noncharacters, combining diacritics, keycap and variation
// selectors. Any JSON parser reads it back to the same string.
const INVISIBLE =
  /[\p{Cf}\p{Co}\p{Cn}\p{Zs}\p{Zl}\p{Zp}\u0080-\u009f\u0300-\u036f\u20e3\ufe00-\ufe0f\u{e0000}-\u{e01ef}]/gu;
const hex = (u) => `\\u${u.toString(16).padStart(4, '0')}`;
function show(value) {
  return JSON.stringify(value).replace(INVISIBLE, (c) => {
    if (c === ' ') return c;
    const u = c.codePointAt(0);
    return u > 0xffff ? hex(c.charCodeAt(0)) + hex(c.charCodeAt(1)) : hex(u);
  });
}

function readJSON(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    fail(`${file}: ${e.message}`);
  }
}

// Hugging Face's GPT2Converter (convert_slow_tokenizer.py) for GPT2Tokenizer's defaults:
// add_prefix_space false, no bos added, <|endoftext|> as unk, bos and eos.
function gpt2TokenizerJSON(dir) {
  const vocab = readJSON(path.join(dir, 'vocab.json'));
  const merges = fs.readFileSync(path.join(dir, 'merges.txt'), 'utf8').split('\n')
    .filter((line, i) => line !== '' && !(i === 0 && line.startsWith('#version')));
  const special = '<|endoftext|>';
  if (!(special in vocab)) fail(`${dir}/vocab.json: no ${special}`);
  const tokenizerJSON = {
    version: '1.0', truncation: null, padding: null,
    added_tokens: [{ id: vocab[special], content: special, single_word: false, lstrip: false,
                     rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true,
                     use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false,
                      use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '',
             end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges },
  };
  const tokenizerConfig = { tokenizer_class: 'GPT2Tokenizer', add_prefix_space: false,
                            bos_token: special, eos_token: special, unk_token: special,
                            clean_up_tokenization_spaces: true, model_max_length: 1024 };
  return [tokenizerJSON, tokenizerConfig];
}

// [Rust tokenizer, transformers.js tokenizer]
async function load(name) {
  const dir = path.join(root, name);
  const file = path.join(dir, 'tokenizer.json');
  let reference, second;
  if (fs.existsSync(file)) {
    reference = rust.Tokenizer.fromFile(file);
    second = await AutoTokenizer.from_pretrained(name, { local_files_only: true });
  } else {
    const [tokenizerJSON, tokenizerConfig] = gpt2TokenizerJSON(dir);
    reference = rust.Tokenizer.fromString(JSON.stringify(tokenizerJSON));
    second = new GPT2Tokenizer(tokenizerJSON, tokenizerConfig);
  }
  reference.disableTruncation();
  reference.disablePadding();
  return [reference, second];
}

const fixtures = fs.readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .filter((name) => ['tokenizer.json', 'vocab.json']
    .some((file) => fs.existsSync(path.join(root, name, file))))
  .sort();
const strings = readJSON(path.join(root, 'strings.json'));
if (!Array.isArray(strings) || !strings.every((s) => typeof s === 'string')) {
  fail(`${root}/strings.json: not an array of strings`);
}
const cases = [];
for (const text of strings) {
  for (const special of [true, false]) cases.push([text, null, special]);
}
for (let i = 0; i + 1 < strings.length; i += 2) {
  for (const special of [true, false]) cases.push([strings[i], strings[i + 1], special]);
}

async function encodeLine([reference, second], [text, pair, special]) {
  const encoding = await reference.encode(text, pair, { addSpecialTokens: special });
  const ids = encoding.getIds(), tokens = encoding.getTokens(), types = encoding.getTypeIds();
  const fields = [
    `{"text": ${show(text)}, "pair": ${show(pair)}, "add_special_tokens": ${special}`,
    `"ids": ${JSON.stringify(ids)}`,
    `"tokens": ${show(tokens)}`,
    `"type_ids": ${JSON.stringify(types)}`,
    `"decoded": ${show(ids.length ? await reference.decode(ids, true) : '')}`,
  ];
  const js = second._tokenizer.encode(text, {
    text_pair: pair, add_special_tokens: special, return_token_type_ids: true });
  // transformers.js gives type ids only where a post-processor assigns them (BERT's, a
  // template); where it gives none, the Rust library's zeros and ones are not a difference.
  const jsTypes = js.token_type_ids ?? null;
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(js.ids, ids) || !same(js.tokens, tokens) || (jsTypes && !same(jsTypes, types))) {
    fields.push(`"transformers_js": {"ids": ${JSON.stringify(js.ids)}, ` +
                `"tokens": ${show(js.tokens)}, "type_ids": ${JSON.stringify(jsTypes)}}`);
  }
  return fields.join(', ') + '}';
}

// Lines are compared as JSON values, so that how a character is escaped (which may follow the
// Unicode version of Node's regular expressions) never counts as a difference.
function canonical(line) {
  try {
    return JSON.stringify(JSON.parse(line));
  } catch {
    return undefined;
  }
}

function firstDifferences(file, want, got) {
  const lines = [];
  const n = Math.max(want.length, got.length);
  let count = 0;
  for (let i = 0; i < n; ++i) {
    if (want[i] !== undefined && got[i] !== undefined && canonical(want[i]) === canonical(got[i]) &&
        canonical(got[i]) !== undefined) {
      continue;
    }
    if (++count > 5) continue;
    lines.push(`  ${file}:${i + 1}`,
               `    committed   ${want[i] ?? '(no line)'}`,
               `    regenerated ${got[i] ?? '(no line)'}`);
  }
  if (count > 5) lines.push(`  ... and ${count - 5} more differing lines`);
  return [count, lines];
}

const version = (name) => readJSON(path.join(bench, 'node_modules', name, 'package.json')).version;
const versions = `tokenizers ${version('tokenizers')} (Rust), @huggingface/transformers ` +
                 `${env.version} with @huggingface/tokenizers ` +
                 version('@huggingface/tokenizers');
console.log(`${NAME}: ${versions}; ${strings.length} strings, ${cases.length} encodings per ` +
            `fixture; ${fixtures.join(', ')}`);
let differing = 0;
const outputs = {};
for (const name of fixtures) {
  let tokenizers, lines;
  try {
    tokenizers = await load(name);
    lines = [];
    for (const c of cases) lines.push(await encodeLine(tokenizers, c));
  } catch (e) {
    fail(`${name}: ${e.stack}`);
  }
  const deviations = lines.filter((line) => line.includes('"transformers_js": {')).length;
  outputs[name] = lines;
  const file = path.join(root, name, 'expected.jsonl');
  const text = lines.join('\n') + '\n';
  if (!check) {
    fs.writeFileSync(file, text);
    console.log(`  wrote ${path.relative(process.cwd(), file)}: transformers.js ` +
                `(${tokenizers[1].constructor.name}) differs on ${deviations} of ${lines.length}`);
    continue;
  }
  const committed = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
  if (committed === text) {
    console.log(`  ${name}: ${lines.length} lines agree`);
    continue;
  }
  if (committed === null) {
    console.log(`  ${name}: ${path.relative(process.cwd(), file)} is missing`);
    ++differing;
    continue;
  }
  const [count, report] = firstDifferences(path.relative(process.cwd(), file),
                                           committed.replace(/\n$/, '').split('\n'), lines);
  if (count === 0) {
    console.log(`  ${name}: ${lines.length} lines agree (escaped differently)`);
    continue;
  }
  ++differing;
  console.log(`  ${name}: ${count} of ${lines.length} lines differ`);
  for (const line of report) console.log(line);
}

// The same vocabulary and merges in two formats must give the same encodings.
if (outputs.gpt2_bytelevel_bpe && outputs.gpt2_vocab_merges) {
  const a = outputs.gpt2_bytelevel_bpe, b = outputs.gpt2_vocab_merges;
  const same = a.length === b.length && a.every((line, i) => line === b[i]);
  console.log(`  gpt2_vocab_merges ${same ? 'equals' : 'DIFFERS FROM'} gpt2_bytelevel_bpe`);
  if (!same) ++differing;
}

if (check && differing) {
  console.log(`${NAME}: expected ids differ from ${versions}. If the change is intended ` +
              '(new strings, a new fixture, a new pinned version), regenerate with ' +
              '`node tools/tokenizer_reference.mjs` and review the diff.');
}
process.exit(differing ? 1 : 0);

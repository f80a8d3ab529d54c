#!/usr/bin/env node
// Tokenizer speed of the peers ordo's tokenizer.json reader is measured against.
//
//   node tools/bench/tokenize_speed.mjs [--impl IMPL] TOKENIZER TEXT
//
// TOKENIZER is a tokenizer.json or the directory holding it (with its tokenizer_config.json);
// TEXT a UTF-8 file, whose lines are encoded without special tokens. IMPL:
//   transformers.js   (default) one call per line, pure JavaScript on this thread;
//   tokenizers        Hugging Face's Rust library through its Node binding, one call per line,
//                     each awaited before the next: the binding's asynchronous hop to a worker
//                     thread and back is in the figure, and dominates it;
//   tokenizers-batch  the same library given all lines in one encodeBatch call, its parallelism
//                     off (TOKENIZERS_PARALLELISM=false): the Rust code's own single-thread speed.
// One pass over the file warms up (JIT, caches) untimed; then whole passes are timed until 2 s
// have gone by. Only encoding is timed, not the load. Prints one JSON line; rates are over all
// timed passes, the counts are per pass. Needs `npm ci --ignore-scripts` in tools/bench/.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function fail(message) {
  process.stderr.write(`tokenize_speed: ${message}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
let impl = 'transformers.js';
if (args[0] === '--impl') {
  impl = args[1];
  args.splice(0, 2);
}
const IMPLS = ['transformers.js', 'tokenizers', 'tokenizers-batch'];
if (args.length !== 2 || !IMPLS.includes(impl)) {
  fail(`usage: node tools/bench/tokenize_speed.mjs [--impl ${IMPLS.join('|')}] ` +
       'TOKENIZER(.json or directory) TEXT');
}
let [where, textFile] = args.map((a) => path.resolve(a));
if (fs.existsSync(where) && fs.statSync(where).isFile()) where = path.dirname(where);
if (!fs.existsSync(path.join(where, 'tokenizer.json'))) fail(`no tokenizer.json in ${where}`);

const bench = path.dirname(fileURLToPath(import.meta.url));
const requireBench = createRequire(path.join(bench, 'package.json'));
function need(name) {
  try {
    return requireBench(name);
  } catch (e) {
    fail(`cannot load ${name} (${e.message.split('\n')[0]}); ` +
         `run \`npm ci --ignore-scripts\` in ${bench}`);
  }
}

// encode(line), encodeAll(lines) -> number of tokens
let encode, encodeAll;
if (impl === 'transformers.js') {
  const { AutoTokenizer, env } = need('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = path.dirname(where) + path.sep;
  const tokenizer = await AutoTokenizer.from_pretrained(path.basename(where),
                                                        { local_files_only: true });
  encode = (line) => tokenizer.encode(line, { add_special_tokens: false }).length;
} else {
  process.env.TOKENIZERS_PARALLELISM = 'false';  // read by the library at each batch
  const tokenizer = need('tokenizers').Tokenizer.fromFile(path.join(where, 'tokenizer.json'));
  tokenizer.disableTruncation();
  tokenizer.disablePadding();
  encode = async (line) =>
    (await tokenizer.encode(line, null, { addSpecialTokens: false })).getIds().length;
  encodeAll = async (all) => (await tokenizer.encodeBatch(all, { addSpecialTokens: false }))
    .reduce((n, encoding) => n + encoding.getIds().length, 0);
}

let lines;
try {
  lines = fs.readFileSync(textFile, 'utf8').split('\n').map((l) => l.replace(/\r$/, ''));
} catch (e) {
  fail(e.message);
}
if (lines.at(-1) === '') lines.pop();
const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l, 'utf8'), 0);

// A synchronous loop for transformers.js: awaiting a plain value would add a turn of the
// microtask queue to every call.
const passes = {
  'transformers.js': () => {
    let tokens = 0;
    for (const line of lines) tokens += encode(line);
    return tokens;
  },
  tokenizers: async () => {
    let tokens = 0;
    for (const line of lines) tokens += await encode(line);
    return tokens;
  },
  'tokenizers-batch': () => encodeAll(lines),
};
const pass = passes[impl];

const tokens = await pass();  // warm-up
let timed = 0;
const start = process.hrtime.bigint();
let seconds = 0;
while (seconds < 2) {
  await pass();
  ++timed;
  seconds = Number(process.hrtime.bigint() - start) / 1e9;
}
console.log(JSON.stringify({
  tokenizer: path.relative(process.cwd(), where) || '.', implementation: impl,
  lines: lines.length, bytes, tokens, passes: timed, seconds: Number(seconds.toFixed(3)),
  bytes_per_s: Math.round(bytes * timed / seconds),
  tokens_per_s: Math.round(tokens * timed / seconds),
}));

#!/usr/bin/env node
// ONNX Runtime side of ordo's peer benchmark (tools/bench/compare_ort.py drives it).
//
//   node tools/bench/ort_bench.js time  --model M.onnx [--batch B] [--seq T | --lengths L,L,..]
//                                       [--seconds S] [--min-runs N] [--threads N] [--seed N]
//                                       [--profile]
//   node tools/bench/ort_bench.js serve --model M.onnx [the options of time, without --profile]
//   node tools/bench/ort_bench.js check --model M.onnx --ids IDS.json (--npy OUT.npy | --json)
//                                       [--threads N]
//
// time:  random ids uniform in [5, vocab) (vocab from the model's config.json beside the .onnx,
//        else 30522), attention_mask all 1, token_type_ids all 0; 3 warm-up runs, then runs
//        until both --seconds (default 3) and --min-runs (default 10) are reached -- the same
//        loop as `ordo bench`. --lengths gives one sequence per length, right-padded to the
//        longest and masked, as a user feeds a ragged batch; tokens_per_s counts real tokens.
//        Prints one JSON line:
//        {"engine","ort_version","batch","seq","runs","median_ms","p90_ms","tokens_per_s",
//         "load_ms","threads"} (+ "profile": op type -> share of kernel time, with --profile).
// serve: after the warm-up prints {"ready": true, ...}, then times one block (--seconds,
//        --min-runs) per line read from stdin and prints {"runs","median_ms","p90_ms",
//        "tokens_per_s"}; exits at end of input. compare_ort.py alternates blocks of the two
//        engines, both kept loaded.
// check: IDS.json is {"input_ids": [[...], ...], "attention_mask"?: same shape,
//        "token_type_ids"?: same shape} or just [[...], ...]; ragged rows are right-padded with
//        0 and masked. Writes last_hidden_state float32 [batch, longest, hidden] as .npy, or
//        prints {"shape", "last_hidden_state"} with --json.
//
// All modes feed only the inputs the model declares (the families without token types have no
// token_type_ids input).
//
// Session: intraOpNumThreads N (default 2), interOpNumThreads 1, graphOptimizationLevel 'all',
// executionMode 'sequential', CPU execution provider.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
let ort;
try {
  ort = require('onnxruntime-node');  // from tools/bench/node_modules, beside package.json
} catch (error) {
  process.stderr.write(`ort_bench.js: cannot load onnxruntime-node (${error.message.split('\n')[0]});\n` +
                       `run \`npm install --ignore-scripts\` in ${__dirname}\n`);
  process.exit(2);
}

function usage(message) {
  if (message) process.stderr.write(`ort_bench.js: ${message}\n`);
  process.stderr.write(
      'usage: ort_bench.js time --model M.onnx [--batch B] [--seq T | --lengths L,L,..] [--seconds S] ' +
      '[--min-runs N] [--threads N] [--seed N] [--profile]\n' +
      '       ort_bench.js serve --model M.onnx [the options of time, without --profile]\n' +
      '       ort_bench.js check --model M.onnx --ids IDS.json (--npy OUT.npy | --json) ' +
      '[--threads N]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const flags = new Set(['--json', '--profile']);
  const mode = argv[0];
  if (!['time', 'serve', 'check'].includes(mode)) usage(`unknown mode '${mode || ''}'`);
  const options = {};
  for (let i = 1; i < argv.length; ++i) {
    const key = argv[i];
    if (!key.startsWith('--')) usage(`unexpected argument '${key}'`);
    if (flags.has(key)) {
      options[key] = true;
    } else {
      if (i + 1 >= argv.length) usage(`${key} needs a value`);
      options[key] = argv[++i];
    }
  }
  if (!options['--model']) usage('--model is required');
  return {mode, options};
}

function positiveInt(options, key, fallback) {
  if (options[key] === undefined) return fallback;
  const value = Number(options[key]);
  if (!Number.isInteger(value) || value < 1) usage(`${key} must be a positive integer`);
  return value;
}

async function createSession(modelPath, threads, profilePrefix) {
  const sessionOptions = {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  };
  if (profilePrefix) {
    sessionOptions.enableProfiling = true;
    sessionOptions.profileFilePrefix = profilePrefix;
  }
  const start = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(modelPath, sessionOptions);
  const loadMs = Number(process.hrtime.bigint() - start) / 1e6;
  return {session, loadMs};
}

function int64Tensor(rows, batch, seq) {
  const data = new BigInt64Array(batch * seq);
  for (let b = 0; b < batch; ++b)
    for (let t = 0; t < seq; ++t) data[b * seq + t] = BigInt(rows[b][t]);
  return new ort.Tensor('int64', data, [batch, seq]);
}

function fullTensor(batch, seq, value) {
  return new ort.Tensor('int64', new BigInt64Array(batch * seq).fill(BigInt(value)), [batch, seq]);
}

function feedsFor(session, tensors) {
  // Only feed the inputs the graph declares (an export may drop an unused input).
  const feeds = {};
  for (const name of session.inputNames) {
    if (!(name in tensors)) throw new Error(`model input '${name}' is not one of ${Object.keys(tensors)}`);
    feeds[name] = tensors[name];
  }
  return feeds;
}

// Small deterministic PRNG (mulberry32); timing does not depend on the id values.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function vocabSize(modelPath) {
  try {
    const config = JSON.parse(fs.readFileSync(path.join(path.dirname(modelPath), 'config.json')));
    if (Number.isInteger(config.vocab_size)) return config.vocab_size;
  } catch (e) { /* fall through */ }
  return 30522;
}

function summarizeProfile(file) {
  const events = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byOp = {};
  let total = 0;
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const op = (e.args && e.args.op_name) || 'unknown';
    byOp[op] = (byOp[op] || 0) + e.dur;
    total += e.dur;
  }
  const shares = {};
  for (const [op, us] of Object.entries(byOp).sort((x, y) => y[1] - x[1]))
    shares[op] = Math.round((1000 * us) / total) / 1000;
  return shares;
}

// The session and the feeds of one timed case, after 3 warm-up runs.
async function prepareCase(options) {
  const modelPath = options['--model'];
  let lengths = null;
  if (options['--lengths'] !== undefined) {
    lengths = options['--lengths'].split(',').map(Number);
    if (!lengths.length || !lengths.every((n) => Number.isInteger(n) && n >= 1))
      usage('--lengths must be positive integers separated by commas');
  }
  const batch = lengths ? lengths.length : positiveInt(options, '--batch', 1);
  const seq = lengths ? Math.max(...lengths) : positiveInt(options, '--seq', 128);
  if (!lengths) lengths = Array(batch).fill(seq);
  const tokens = lengths.reduce((a, b) => a + b, 0);
  const seconds = options['--seconds'] === undefined ? 3 : Number(options['--seconds']);
  if (!(seconds >= 0)) usage('--seconds must be >= 0');
  const minRuns = positiveInt(options, '--min-runs', 10);
  const threads = positiveInt(options, '--threads', 2);
  const seed = positiveInt(options, '--seed', 1234);
  let profileDir = null;
  if (options['--profile']) profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ort-profile-'));

  const {session, loadMs} = await createSession(
      modelPath, threads, profileDir ? path.join(profileDir, 'ort') : null);
  const vocab = vocabSize(modelPath);
  const random = rng(seed);
  const rows = [];
  for (let b = 0; b < batch; ++b) {
    const row = [];
    for (let t = 0; t < seq; ++t) row.push(t < lengths[b] ? 5 + Math.floor(random() * (vocab - 5)) : 0);
    rows.push(row);
  }
  const mask = lengths.map((n) => Array.from({length: seq}, (_, t) => (t < n ? 1 : 0)));
  const feeds = feedsFor(session, {
    input_ids: int64Tensor(rows, batch, seq),
    attention_mask: int64Tensor(mask, batch, seq),
    token_type_ids: fullTensor(batch, seq, 0),
  });
  for (let i = 0; i < 3; ++i) await session.run(feeds);
  return {modelPath, batch, seq, tokens, seconds, minRuns, threads, profileDir, session, loadMs, feeds};
}

// Runs until both `seconds` and `minRuns` are reached -- the same loop as `ordo bench`.
async function timeBlock(c) {
  const times = [];
  const start = process.hrtime.bigint();
  for (;;) {
    const before = process.hrtime.bigint();
    await c.session.run(c.feeds);
    const after = process.hrtime.bigint();
    times.push(Number(after - before) / 1e6);
    if (times.length >= c.minRuns && Number(after - start) / 1e9 >= c.seconds) break;
  }
  times.sort((x, y) => x - y);
  const median = times[Math.floor(times.length / 2)];
  const p90 = times[Math.min(times.length - 1, Math.floor((times.length * 9) / 10))];
  return {runs: times.length, median_ms: median, p90_ms: p90, tokens_per_s: c.tokens / (median / 1000)};
}

async function runTime(options) {
  const c = await prepareCase(options);
  const block = await timeBlock(c);
  const result = {
    engine: 'onnxruntime-node',
    ort_version: ort.env.versions.node || ort.env.versions.common,
    model: c.modelPath,
    batch: c.batch,
    seq: c.seq,
    tokens: c.tokens,
    threads: c.threads,
    ...block,
    load_ms: c.loadMs,
  };
  if (c.profileDir) {
    c.session.endProfiling();
    const files = fs.readdirSync(c.profileDir).filter((f) => f.endsWith('.json'));
    if (files.length) result.profile = summarizeProfile(path.join(c.profileDir, files[0]));
    fs.rmSync(c.profileDir, {recursive: true, force: true});
  }
  await c.session.release();
  process.stdout.write(JSON.stringify(result) + '\n');
}

// serve: like `ordo bench --serve` -- after the warm-up print {"ready": true, ...}, then time
// one block per line read from stdin and print its JSON line; exit at end of input.
async function runServe(options) {
  if (options['--profile']) usage('serve takes no --profile');
  const c = await prepareCase(options);
  process.stdout.write(JSON.stringify({
    ready: true,
    engine: 'onnxruntime-node',
    ort_version: ort.env.versions.node || ort.env.versions.common,
    tokens: c.tokens,
    load_ms: c.loadMs,
  }) + '\n');
  const lines = require('readline').createInterface({input: process.stdin});
  for await (const _line of lines) {
    process.stdout.write(JSON.stringify(await timeBlock(c)) + '\n');
  }
  await c.session.release();
}

function npyBytes(floatArray, shape) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${
      shape.length === 1 ? ',' : ''}), }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  const data = Buffer.from(floatArray.buffer, floatArray.byteOffset, floatArray.byteLength);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), data]);
}

async function runCheck(options) {
  if (!options['--ids']) usage('check needs --ids');
  if (!options['--npy'] && !options['--json']) usage('check needs --npy FILE or --json');
  let spec = JSON.parse(fs.readFileSync(options['--ids'], 'utf8'));
  if (Array.isArray(spec)) spec = {input_ids: spec};
  const ids = spec.input_ids;
  if (!Array.isArray(ids) || !ids.length || !ids.every((r) => Array.isArray(r) && r.length))
    throw new Error(`${options['--ids']}: input_ids must be a non-empty list of non-empty lists`);
  const batch = ids.length;
  const seq = Math.max(...ids.map((r) => r.length));
  const pad = (rows, fill) => rows.map((r) => r.concat(Array(seq - r.length).fill(fill)));
  const mask = spec.attention_mask ? pad(spec.attention_mask, 0) :
                                     ids.map((r) => r.map(() => 1).concat(Array(seq - r.length).fill(0)));
  const types = spec.token_type_ids ? pad(spec.token_type_ids, 0) : ids.map(() => Array(seq).fill(0));

  const {session} = await createSession(options['--model'], positiveInt(options, '--threads', 2));
  const feeds = feedsFor(session, {
    input_ids: int64Tensor(pad(ids, 0), batch, seq),
    attention_mask: int64Tensor(mask, batch, seq),
    token_type_ids: int64Tensor(types, batch, seq),
  });
  const output = (await session.run(feeds)).last_hidden_state;
  if (!output) throw new Error('model has no output named last_hidden_state');
  const data = output.data instanceof Float32Array ? output.data : Float32Array.from(output.data);
  if (options['--npy']) fs.writeFileSync(options['--npy'], npyBytes(data, output.dims));
  if (options['--json'])
    process.stdout.write(JSON.stringify({shape: output.dims, last_hidden_state: Array.from(data)}) + '\n');
  await session.release();
}

const {mode, options} = parseArgs(process.argv.slice(2));
({time: runTime, serve: runServe, check: runCheck})[mode](options).catch((error) => {
  process.stderr.write(`ort_bench.js: ${error.stack || error}\n`);
  process.exit(1);
});

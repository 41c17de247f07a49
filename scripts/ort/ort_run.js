#!/usr/bin/env node
// Runs an ONNX model with ONNX Runtime (CPU) on .npy inputs, the way
// quant-run runs a compiled one:
//
//   node ort_run.js MODEL.onnx --input NAME=FILE.npy ... [--output-dir DIR]
//                   [--threads T] [--bench N] [--ort-dir DIR]
//                   [--config KEY=VALUE ...] [--flush-mb MB] [--stat min]
//                   [--opt-level disabled|basic|extended|all]
//
// Writes each output as DIR/<name>.npy and, with --bench N, prints
// `median_ms <value>` over N runs after a warm-up. --ort-dir (or
// $QUANT_ORT_DIR) is the folder scripts/ort/install.sh installed into.
// --config sets a session config entry, e.g.
// session.qdq_matmulnbits_accuracy_level=0 keeps ORT's fused blocked-QDQ
// MatMul in fp32 (its default quantizes activations to int8).
// --flush-mb MB streams through a buffer of MB megabytes (untimed) before
// every timed run, so that ORT starts cold like a layer of a model that does
// not fit in cache (what bench/matmul_bench.sh does for quant's kernels).
// --stat min prints `min_ms` (the best run) next to the median.
'use strict';
const fs = require('fs');
const path = require('path');

function fail(msg) {
  process.stderr.write(`ort_run: ${msg}\n`);
  process.exit(1);
}

const npyTypes = {
  '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array],
  '<i8': ['int64', BigInt64Array], '<u8': ['uint64', BigUint64Array],
  '<i4': ['int32', Int32Array], '<u4': ['uint32', Uint32Array],
  '<i2': ['int16', Int16Array], '<u2': ['uint16', Uint16Array],
  '|i1': ['int8', Int8Array], '|u1': ['uint8', Uint8Array],
  '|b1': ['bool', Uint8Array], '<f2': ['float16', Uint16Array],
};

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY')
    fail(`${file}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header);
  const order = /'fortran_order':\s*(True|False)/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !order || !shape) fail(`${file}: malformed .npy header`);
  if (order[1] === 'True') fail(`${file}: Fortran-ordered arrays are not supported`);
  const type = npyTypes[descr[1]];
  if (!type) fail(`${file}: unsupported dtype ${descr[1]}`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length)
                   .map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  const bytes = count * type[1].BYTES_PER_ELEMENT;
  if (buf.length < dataStart + bytes) fail(`${file}: truncated data`);
  const copy = new Uint8Array(bytes);
  copy.set(buf.subarray(dataStart, dataStart + bytes));
  let data = new type[1](copy.buffer);
  if (type[0] === 'bool') data = Array.from(data, (v) => v !== 0);
  return { type: type[0], data, dims };
}

function writeNpy(file, tensor) {
  const descr = Object.keys(npyTypes).find((k) => npyTypes[k][0] === tensor.type);
  if (!descr) fail(`output type ${tensor.type} cannot be written as .npy`);
  let data = tensor.data;
  if (tensor.type === 'bool') data = Uint8Array.from(data, (v) => (v ? 1 : 0));
  const dims = tensor.dims;
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

async function main() {
  const args = process.argv.slice(2);
  let model = null, outDir = null, threads = 1, bench = 0, flushMb = 0;
  let stat = 'median';
  let optLevel = 'all';
  let ortDir = process.env.QUANT_ORT_DIR ||
               path.join(__dirname, '..', '..', 'build', 'ort');
  const inputs = [];
  const extra = {};
  for (let i = 0; i < args.length; ++i) {
    const a = args[i];
    const next = () => {
      if (i + 1 >= args.length) fail(`${a} needs a value`);
      return args[++i];
    };
    if (a === '--input') inputs.push(next());
    else if (a === '--output-dir') outDir = next();
    else if (a === '--threads') threads = Number(next());
    else if (a === '--bench') bench = Number(next());
    else if (a === '--ort-dir') ortDir = next();
    else if (a === '--flush-mb') flushMb = Number(next());
    else if (a === '--opt-level') {
      // 'disabled' runs the graph as written: ONNX semantics, the
      // correctness reference; 'all' (default) is the speed reference.
      optLevel = next();
      if (!['disabled', 'basic', 'extended', 'all'].includes(optLevel))
        fail(`--opt-level expects disabled, basic, extended or all, got '${optLevel}'`);
    }
    else if (a === '--stat') {
      stat = next();
      if (stat !== 'min' && stat !== 'median') fail(`--stat expects min or median, got '${stat}'`);
    }
    else if (a === '--config') {
      const spec = next();
      const eq = spec.indexOf('=');
      if (eq <= 0) fail(`--config expects KEY=VALUE, got '${spec}'`);
      // The binding flattens nested objects into dotted config keys.
      const keys = spec.slice(0, eq).split('.');
      let node = extra;
      for (const k of keys.slice(0, -1)) node = node[k] = node[k] || {};
      node[keys[keys.length - 1]] = spec.slice(eq + 1);
    }
    else if (a.startsWith('--')) fail(`unknown option ${a}`);
    else if (model === null) model = a;
    else fail(`unexpected argument ${a}`);
  }
  if (!model) fail('usage: ort_run.js MODEL.onnx --input NAME=FILE.npy ...');
  let ort;
  try {
    ort = require(path.join(path.resolve(ortDir), 'node_modules', 'onnxruntime-node'));
  } catch (e) {
    fail(`cannot load onnxruntime-node from ${ortDir} (run scripts/ort/install.sh)`);
  }
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1,
    executionMode: 'sequential', graphOptimizationLevel: optLevel, extra,
  }).catch((e) => fail(`${model}: ${e.message}`));
  const feeds = {};
  for (const spec of inputs) {
    const eq = spec.indexOf('=');
    if (eq <= 0) fail(`--input expects NAME=FILE.npy, got '${spec}'`);
    const name = spec.slice(0, eq);
    if (!session.inputNames.includes(name))
      fail(`${model}: no input named '${name}' (inputs: ${session.inputNames.join(', ')})`);
    const t = readNpy(spec.slice(eq + 1));
    feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
  }
  for (const name of session.inputNames)
    if (!(name in feeds)) fail(`${model}: missing --input ${name}=FILE.npy`);
  const results = await session.run(feeds).catch((e) => fail(`${model}: ${e.message}`));
  if (outDir) {
    fs.mkdirSync(outDir, { recursive: true });
    for (const name of session.outputNames)
      writeNpy(path.join(outDir, `${name}.npy`), results[name]);
  }
  if (!(flushMb >= 0)) fail(`--flush-mb expects a size in MB, got '${flushMb}'`);
  // Doubles touched by a read pass: evicts the model's weights from cache.
  const flushBuffer = new Float64Array(Math.floor(flushMb * 1e6 / 8)).fill(1);
  let flushSink = 0;
  const flush = () => {
    let sum = 0;
    for (let j = 0; j < flushBuffer.length; j += 8) sum += flushBuffer[j];
    flushSink += sum;
  };
  if (bench > 0) {
    for (let i = 0; i < 3; ++i) await session.run(feeds);
    const times = [];
    for (let i = 0; i < bench; ++i) {
      if (flushBuffer.length) flush();
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    console.log(`median_ms ${times[Math.floor(times.length / 2)].toFixed(4)}`);
    if (stat === 'min') console.log(`min_ms ${times[0].toFixed(4)}`);
    if (flushSink < 0) console.log('');
  }
}

main();

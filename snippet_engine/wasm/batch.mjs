// Runs samples on Python 3.14 in WebAssembly (Pyodide, from npm) in Node: the engine's check of the
// in-page runner's Python. Started by snippet_engine/pyodide_runs.py, in the sandbox every run gets.
//
// Reads a JSON request on stdin: {"samples": [{"name", "code", "timeout"}], "workers", "maxBytes"};
// writes one JSON line per sample as it ends: {"name", "output", "tasks" (base64: the recorder's frames
// and task messages, as a run on CPython sends them), "exit", "problem", "duration"}.
//
// Pyodide starts once (about 2.5 s) and is saved as a memory snapshot with the engine's recorder
// imported. Each sample then runs in a worker thread of its own, with an interpreter restored from
// the snapshot, and the thread is ended with its run, so nothing a sample leaves (a timer, a loop)
// outlives it or reaches the next sample. A lane keeps its next thread starting while a sample runs.

import { readFileSync, readdirSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { loadPyodide } from "pyodide";

const CHILD = new URL("../child/", import.meta.url);
const WASM = new URL("../../node_modules/pyodide/pyodide.asm.wasm", import.meta.url);

async function snapshot() {
  const pyodide = await loadPyodide({ _makeSnapshot: true });
  pyodide.FS.mkdirTree("/engine");
  for (const name of readdirSync(CHILD)) {
    if (name.endsWith(".py")) pyodide.FS.writeFile(`/engine/${name}`, readFileSync(new URL(name, CHILD)));
  }
  pyodide.FS.writeFile("/engine/_snippet_main.py", readFileSync(new URL("_snippet_main.py", import.meta.url)));
  // The recorder and all it imports, in the snapshot: paid once, not once a run.
  pyodide.runPython('import sys; sys.path.insert(0, "/engine"); import _snippet_main');
  const made = pyodide.makeMemorySnapshot();
  const shared = new Uint8Array(new SharedArrayBuffer(made.length)); // every thread reads it, none copies it
  shared.set(made);
  return shared;
}

function runAll(request, shared) {
  const queue = [...request.samples];
  const spawn = () => new Worker(new URL("worker.mjs", import.meta.url), { workerData: shared });
  const say = (result) => process.stdout.write(`${JSON.stringify(result)}\n`);

  // One sample in `thread`: resolves with what the sample did, however it ended.
  const runOne = (thread, sample) =>
    new Promise((resolve) => {
      const output = [];
      let timer = null;
      let began = null;
      const end = (how) => {
        clearTimeout(timer);
        thread.removeAllListeners();
        thread.terminate(); // with it, everything the sample started
        const duration = began === null ? 0 : Math.round(performance.now() - began) / 1000;
        resolve({ name: sample.name, output: Buffer.concat(output).toString("base64"), tasks: "", ...how, duration });
      };
      thread.on("message", (message) => {
        if (message.output) output.push(Buffer.from(message.output));
        else if (message.tooMuch) end({ exit: null, problem: null }); // the bytes it sent say so (run.decode)
        else if (message.started) {
          began = performance.now();
          timer = setTimeout(() => end({ exit: null, problem: `timed out after ${sample.timeout} s` }), sample.timeout * 1000);
        } else if ("exit" in message) {
          end({ exit: message.exit, problem: message.problem, tasks: Buffer.from(message.tasks).toString("base64") });
        }
      });
      thread.on("error", (error) => {
        const said = error?.message || error?.type || error?.name || String(error) || "with no message";
        end({ exit: null, problem: `the interpreter failed: ${said}` });
      });
      thread.on("exit", () => end({ exit: null, problem: "the interpreter ended before the sample did" }));
      thread.postMessage({ name: sample.name, code: sample.code });
    });

  const lane = async () => {
    let next = spawn();
    for (let sample = queue.shift(); sample !== undefined; sample = queue.shift()) {
      const thread = next;
      next = queue.length ? spawn() : null; // starting while this sample runs
      say(await runOne(thread, sample));
    }
    next?.terminate();
  };
  return Promise.all(Array.from({ length: Math.min(request.workers, queue.length) }, lane));
}

const request = JSON.parse(readFileSync(0, "utf8"));
const snap = await snapshot();
const wasm = await WebAssembly.compile(readFileSync(WASM)); // compiled once, for every thread
await runAll(request, { snap, wasm, maxBytes: request.maxBytes });

// One sample's thread for batch.mjs: restores a Pyodide interpreter from the batch's snapshot as soon
// as it starts, then runs the one sample it is sent and reports what the recorder wrote. The batch
// ends the thread with the run.

import { parentPort, workerData } from "node:worker_threads";

const { snap, wasm, maxBytes } = workerData;
// Pyodide compiles its WebAssembly itself; here it gets the batch's compiled module instead.
const instantiate = WebAssembly.instantiate;
WebAssembly.instantiate = (source, imports) =>
  source instanceof WebAssembly.Module
    ? instantiate(source, imports)
    : instantiate(wasm, imports).then((instance) => ({ instance, module: wasm }));
const { loadPyodide } = await import("pyodide");
const pyodide = await loadPyodide({ _loadSnapshot: snap });

parentPort.once("message", async ({ name, code }) => {
  let written = 0;
  const write = (bytes) => {
    if (written <= maxBytes) {
      parentPort.postMessage({ output: bytes.slice() });
      if (written + bytes.length > maxBytes) parentPort.postMessage({ tooMuch: true }); // once: the batch stops the run
    }
    written += bytes.length;
    return bytes.length;
  };
  pyodide.setStdout({ write });
  pyodide.setStderr({ write });
  pyodide.FS.mkdirTree("/path/to");
  pyodide.FS.writeFile(`/path/to/${name}`, code);
  parentPort.postMessage({ started: true });
  let exit = null;
  let problem = null;
  try {
    // Called with stack switching (JSPI), not through runPythonAsync: that makes a task of its own,
    // and the sample's first task would be "Task-2".
    exit = await pyodide.pyimport("_snippet_main").run.callPromising(`/path/to/${name}`, "/tmp/tasks");
  } catch (error) {
    const said = String(error?.message ?? error).trim().split("\n").at(-1);
    problem = `the interpreter failed: ${said || error?.type || error?.name || "with no message"}`;
  }
  let tasks = new Uint8Array();
  try {
    tasks = pyodide.FS.readFile("/tmp/tasks");
  } catch {} // the run did not get as far as recording
  parentPort.postMessage({ exit, problem, tasks });
});

// Preloaded (node --expose-gc --require) into a `nephron` child process by test/helpers/processes.ts. Node runs the
// preload in every worker thread too. On SIGUSR2 the main thread asks every worker thread for a full garbage
// collection (a BroadcastChannel: the runner's training leaves garbage, mostly ArrayBuffers, that its thread collects
// only every ~60 MB, a sawtooth in RSS), then collects its own heap and prints one JSON line with the memory left,
// so a test reads live memory instead of garbage not yet collected.
const { isMainThread } = require('node:worker_threads');

const channel = new BroadcastChannel('nephron-gc-probe');
channel.unref(); // never keeps a thread alive
const gc = () => typeof global.gc === 'function' && global.gc();

if (!isMainThread) {
  channel.onmessage = (e) => {
    if (e.data?.type !== 'gc') return;
    gc();
    channel.postMessage({ type: 'collected', id: e.data.id });
  };
} else {
  let nextId = 1;
  // the workers answer once collected; a worker busy in a batch answers late, so wait until none has answered for a while
  const collectWorkers = () =>
    new Promise((resolve) => {
      const id = nextId++;
      let answered = 0;
      let timer = setTimeout(done, 300);
      function done() {
        channel.onmessage = null;
        resolve(answered);
      }
      channel.onmessage = (e) => {
        if (e.data?.type !== 'collected' || e.data.id !== id) return;
        answered++;
        clearTimeout(timer);
        timer = setTimeout(done, 100);
      };
      channel.postMessage({ type: 'gc', id });
    });
  process.on('SIGUSR2', async () => {
    const workers = await collectWorkers();
    gc();
    const m = process.memoryUsage();
    const mb = (x) => Math.round((x / 1048576) * 10) / 10;
    process.stdout.write(
      `${JSON.stringify({ msg: 'memory after gc', workers, rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external), arrayBuffersMb: mb(m.arrayBuffers) })}\n`,
    );
  });
}

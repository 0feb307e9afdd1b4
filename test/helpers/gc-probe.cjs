// Preloaded (node --expose-gc --require) into a `nephron` child process by test/helpers/processes.ts: on SIGUSR2 it runs
// a full garbage collection of the main thread and prints one JSON line with the memory left, so a test reads the
// live heap instead of RSS noise from garbage not yet collected.
process.on('SIGUSR2', () => {
  if (typeof global.gc === 'function') global.gc();
  const m = process.memoryUsage();
  const mb = (x) => Math.round((x / 1048576) * 10) / 10;
  process.stdout.write(`${JSON.stringify({ msg: 'memory after gc', rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external), arrayBuffersMb: mb(m.arrayBuffers) })}\n`);
});

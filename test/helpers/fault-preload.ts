// `node --import` this into a spawned bot to inject faults nothing in the bot catches: on SIGUSR2 its main thread
// throws from a timer (an uncaught exception) and rejects a promise nobody awaits (an unhandled rejection), as a bug
// in a callback would. Tests use it to check the last-resort handlers (src/ops/last-resort.ts).
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  process.on('SIGUSR2', () => {
    setTimeout(() => {
      throw new Error('injected fault: thrown from a timer');
    }, 0);
    void Promise.reject(new Error('injected fault: a rejection nobody awaits'));
  });
}

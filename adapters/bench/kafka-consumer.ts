// The consuming side of the Kafka benchmark, a child process like a real worker: it shares no event loop with the producer.
import { pino } from 'pino';
import { KafkaBus } from '../src/bus/kafka-bus.ts';
import { addId, emptyDigest } from './kafka-checksum.ts';

const [topic, groupId, brokerList] = process.argv.slice(2) as [string, string, string];
const brokers = brokerList.split(',');
const send = (m: unknown) => process.send!(m);
const digest = emptyDigest();
let firstAt = 0;
let lastAt = 0;
const cpuStart = process.cpuUsage();
const bus = new KafkaBus({ brokers, logger: pino({ level: 'warn' }, pino.destination(2)) });
const consumer = await bus.consume({
  groupId,
  topics: [topic],
  fromBeginning: true,
  handler: async (event) => {
    if (digest.count === 0) firstAt = performance.now() + performance.timeOrigin;
    addId(digest, event.id);
    lastAt = performance.now() + performance.timeOrigin;
  },
});
const report = () => send({ kind: 'progress', digest: { ...digest }, firstAt, lastAt });
const timer = setInterval(report, 250);
send({ kind: 'ready' });
process.on('message', async (m: { kind: string }) => {
  if (m.kind !== 'stop') return;
  clearInterval(timer);
  await consumer.stop();
  await bus.close();
  const cpu = process.cpuUsage(cpuStart);
  send({ kind: 'final', digest: { ...digest }, firstAt, lastAt, cpuMicros: cpu.user + cpu.system });
  process.disconnect();
});

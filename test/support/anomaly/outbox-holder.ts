/**
 * A process that opens the alert outbox in argv[2] and holds it until killed: the other
 * process of the outbox lock tests (services/anomaly/notify/outbox-lock.test.ts).
 */
import { openOutbox } from '../../../services/anomaly/notify/outbox.ts';

openOutbox(process.argv[2]);
process.stdout.write(`locked ${process.pid}\n`);
setInterval(() => {}, 60_000);

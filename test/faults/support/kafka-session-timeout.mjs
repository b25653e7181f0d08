/**
 * Preloaded (NODE_OPTIONS=--import) into the Kafka consumer processes the fault tests
 * start, when FAULT_TEST_KAFKA_SESSION_TIMEOUT_MS is set: every kafkajs consumer gets that
 * session timeout (and a heartbeat interval of a quarter of it) instead of the 30 s the
 * services use.
 *
 * Why: a SIGKILLed member never leaves its group; the group (here librdkafka's mock
 * cluster, as a real broker) waits about one session timeout for it before the restarted
 * member gets its partitions. Ten writer kills would spend five minutes just waiting.
 * This is the operator's `session.timeout.ms` knob; it changes how fast a dead member
 * is noticed, not what the services do with their batches, offsets or inserts.
 */
import kafkajs from 'kafkajs';

const ms = Number(process.env.FAULT_TEST_KAFKA_SESSION_TIMEOUT_MS ?? '');
if (Number.isInteger(ms) && ms > 0) {
  const proto = kafkajs.Kafka.prototype;
  const consumer = proto.consumer;
  proto.consumer = function consumerWithSessionTimeout(config = {}) {
    const heartbeatInterval = Math.min(config.heartbeatInterval ?? 3_000, Math.max(100, Math.floor(ms / 4)));
    return consumer.call(this, { ...config, sessionTimeout: ms, heartbeatInterval });
  };
}

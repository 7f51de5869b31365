// Sends a known set of events through the real SDKs, each with its default options (only the
// address and the write key set), to a running segmentd node, and prints what it sent as JSON.
//   node send.mjs <base url> <write key> <prefix>
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';

const [base, writeKey, prefix] = process.argv.slice(2);
const timed = [...Array(10).keys()].map((i) => new Date(Date.UTC(2024, 1, 1, 0, 0, i, 250)));

function send(client, userId) {
  for (const [i, at] of timed.entries()) {
    client.track({ userId, event: 'Product Viewed', timestamp: at, properties: { product_id: `p${i}`, price: 9.5 + i } });
  }
  for (let i = 0; i < 3; i++) client.track({ userId, event: 'Feature Used', properties: { feature: `f${i}` } });
  client.identify({ userId, traits: { plan: 'pro' } });
  client.page({ userId, name: 'Pricing' });
}

const started = new Date();
const segment = new SegmentAnalytics({ writeKey, host: base });
const failures = [];
segment.on('error', (e) => failures.push(`segment: ${e.code ?? ''} ${e.reason ?? e.message ?? e}`));
send(segment, `${prefix}-segment`);
await segment.closeAndFlush({ timeout: 30000 });

const rudder = new RudderAnalytics(writeKey, { dataPlaneUrl: base, errorHandler: (e) => failures.push(`rudder: ${e.message ?? e}`) });
send(rudder, `${prefix}-rudder`);
await rudder.flush();

console.log(JSON.stringify({
  customers: [`${prefix}-segment`, `${prefix}-rudder`],
  eventsPerCustomer: timed.length + 5,
  timed: timed.map((d) => d.toISOString()),
  started: started.toISOString(),
  finished: new Date().toISOString(),
  failures,
}));

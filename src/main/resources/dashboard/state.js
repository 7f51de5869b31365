// What the pages share while the tab is open (memory only; the token is in api.js).

import {dateInputValue, now} from './dom.js';

function defaultPeriod() {
  const to = now();
  const from = new Date(to);
  from.setDate(from.getDate() - 90);
  return {from: dateInputValue(from), to: dateInputValue(to)};
}

/** The period the overview, segment and journey pages show (dates, YYYY-MM-DD, local). */
export const period = defaultPeriod();

/** Back to the last 90 days by the node's clock (at sign-in, once that clock is known). */
export function resetPeriod() {
  Object.assign(period, defaultPeriod());
}

export const session = {role: null};

export const isAdmin = () => session.role === 'admin';

let segmentsCache = null;

/** GET /v1/segments, kept for a short while (pickers on several pages use it). */
export async function segmentList(api, signal) {
  if (segmentsCache && Date.now() - segmentsCache.at < 15000) return segmentsCache.data;
  const data = await api('/v1/segments', {signal});
  segmentsCache = {at: Date.now(), data};
  return data;
}

export function forgetSegments() {
  segmentsCache = null;
}

/** Families in the order segments are listed. */
export function families(segments) {
  const out = [];
  for (const sg of segments) if (!out.includes(sg.family)) out.push(sg.family);
  return out;
}

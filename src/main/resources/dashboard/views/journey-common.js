// Shared by the overview's flow card and the journey page.

export const START = '(start)';
export const LEFT = '(left)';
export const LAPSED = 'lapsed';

const COLORS = {
  start: '#16a34a',
  forward: '#2563eb',
  lapsed: '#dc2626',
  back: '#d97706',
  same: '#94a3b8',
  left: '#64748b',
};

export const FLOW_LEGEND = [
  ['from start', COLORS.start],
  ['forward', COLORS.forward],
  ['back / return', COLORS.back],
  ['to lapsed', COLORS.lapsed],
  ['same stage / left', COLORS.same],
];

/** A flow's color by what it means: stages is the journey's order (lapsed last). */
export function flowColor(flow, stages) {
  if (flow.from === START) return COLORS.start;
  if (flow.to === LEFT) return COLORS.left;
  if (flow.to === LAPSED) return COLORS.lapsed;
  if (flow.from === flow.to) return COLORS.same;
  const a = stages.indexOf(flow.from);
  const b = stages.indexOf(flow.to);
  if (flow.from === LAPSED || (a >= 0 && b >= 0 && b < a)) return COLORS.back;
  return COLORS.forward;
}

/**
 * The 'inferno' colour map (matplotlib, by Stéfan van der Walt and Nathaniel Smith) as the
 * 6th-degree polynomial fit per channel published by Matt Zucker (shadertoy WlfXRN), within 5 of 255
 * per channel — the map the reference's XRAI figures use.
 */
const C0 = [0.0002189403691192265, 0.001651004631001012, -0.01948089843709184];
const C1 = [0.1065134194856116, 0.5639564367884091, 3.932712388889277];
const C2 = [11.60249308247187, -3.972853965665698, -15.9423941062914];
const C3 = [-41.70399613139459, 17.43639888205313, 44.35414519872813];
const C4 = [77.162935699427, -33.40235894210092, -81.80730925738993];
const C5 = [-71.31942824499214, 32.62606426397723, 73.20951985803202];
const C6 = [25.13112622477341, -12.24266895238567, -23.07032500287172];

/** t in [0, 1] → [r, g, b] bytes. */
export function inferno(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const channel = (k: number) => {
    const v = C0[k]! + x * (C1[k]! + x * (C2[k]! + x * (C3[k]! + x * (C4[k]! + x * (C5[k]! + x * C6[k]!)))));
    return Math.round(Math.min(1, Math.max(0, v)) * 255);
  };
  return [channel(0), channel(1), channel(2)];
}

// Charts drawn as SVG by hand (no library, nothing from a CDN; the page's CSP allows neither
// inline styles nor foreign scripts): a line chart of a series, horizontal bars, and the
// relation graph laid out by community. Colours come from CSS classes (style.css).
const NS = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  for (const child of children) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return el;
}

function frame(width, height, label, kind) {
  return s("svg", { viewBox: `0 0 ${width} ${height}`, class: `chart ${kind}`, role: "img", "aria-label": label });
}

// "16 Nov" from "2026-11-16T00:00:00.000Z", in the page's language (the day is UTC's).
function shortDate(iso) {
  return new Date(iso).toLocaleDateString(document.documentElement.lang || undefined,
    { day: "numeric", month: "short", timeZone: "UTC" });
}

// rows: [{start, a: n, b: n}], keys: [{key, label}]; one line per key, the x axis the rows,
// dated at both ends (the last row is the period so far).
export function lineChart(rows, keys, label) {
  const width = 340, height = 194, left = 28, bottom = 36, top = 8;
  const svg = frame(width, height, label, "chart-line");
  const most = Math.max(1, ...rows.flatMap((row) => keys.map(({ key }) => row[key] || 0)));
  const x = (i) => left + (rows.length < 2 ? 0 : (i * (width - left - 8)) / (rows.length - 1));
  const y = (v) => top + (height - top - bottom) * (1 - v / most);
  svg.append(s("line", { x1: left, y1: y(0), x2: width - 4, y2: y(0), class: "axis" }),
    s("text", { x: 2, y: y(most) + 4, class: "tick" }, most),
    s("text", { x: 2, y: y(0), class: "tick" }, 0));
  if (rows.length && rows[0].start) {
    svg.append(s("text", { x: left, y: y(0) + 12, class: "tick date" }, shortDate(rows[0].start)),
      s("text", { x: width - 4, y: y(0) + 12, "text-anchor": "end", class: "tick date" }, shortDate(rows.at(-1).start)));
  }
  keys.forEach(({ key, label: name }, n) => {
    const points = rows.map((row, i) => `${x(i).toFixed(1)},${y(row[key] || 0).toFixed(1)}`).join(" ");
    svg.append(s("polyline", { points, class: `series s${n}`, fill: "none" }, s("title", {}, name)));
    svg.append(s("text", { x: left + 4 + n * 76, y: height - 4, class: `legend s${n}` }, `— ${name}`));
  });
  return svg;
}

// rows: [{name, value}] (value may be null: a small group, drawn as an empty bar). Each name
// on its own line above its bar, whole: "Kabupaten Bandung" and "Kabupaten Bandung Barat"
// must not both become "Kabupaten Bandung" on a 360 px phone.
export function barChart(rows, label, max = null) {
  const width = 340, name = 13, bar = 14, gap = 8, step = name + bar + gap;
  const height = Math.max(step, rows.length * step);
  const svg = frame(width, height, label, "chart-bars");
  const most = max || Math.max(1, ...rows.map((row) => row.value || 0));
  rows.forEach((row, i) => {
    const y = i * step + name;
    const w = row.value == null ? 0 : ((width - 40) * row.value) / most;
    svg.append(s("text", { x: 0, y: y - 3, class: "tick bar-name" }, row.name.slice(0, 56)),
      s("rect", { x: 0, y, width: Math.max(1, w), height: bar, class: row.value == null ? "bar empty" : "bar" },
        s("title", {}, `${row.name}: ${row.value ?? "—"}`)),
      s("text", { x: w + 4, y: y + bar - 3, class: "tick" }, row.value ?? "—"));
  });
  return svg;
}

// nodes: [{id, name, community}], edges: [{a, b, weight}]: each community on its own small
// circle, the communities around a big one, so groups and the bridges between them show.
export function graphChart(nodes, edges, label) {
  const size = 340, centre = size / 2;
  const svg = frame(size, size, label, "chart-graph");
  const groups = new Map();
  for (const node of nodes) {
    if (!groups.has(node.community)) groups.set(node.community, []);
    groups.get(node.community).push(node);
  }
  const place = new Map();
  const count = groups.size;
  [...groups.values()].forEach((members, g) => {
    const angle = (2 * Math.PI * g) / Math.max(1, count);
    const cx = count > 1 ? centre + 105 * Math.cos(angle) : centre;
    const cy = count > 1 ? centre + 105 * Math.sin(angle) : centre;
    const r = Math.min(60, 10 + 4 * members.length);
    members.forEach((node, i) => {
      const a = (2 * Math.PI * i) / members.length;
      place.set(node.id, [cx + r * Math.cos(a), cy + r * Math.sin(a)]);
    });
  });
  for (const edge of edges) {
    const [a, b] = [place.get(edge.a), place.get(edge.b)];
    if (a && b) svg.append(s("line", { x1: a[0], y1: a[1], x2: b[0], y2: b[1], class: "edge" }));
  }
  for (const node of nodes) {
    const [x, y] = place.get(node.id);
    svg.append(s("circle", { cx: x, cy: y, r: 5, class: `node s${node.community % 6}` }, s("title", {}, node.name)));
  }
  return svg;
}

// rows: [{label, value}] in order (one per day); a column per row with its value above it,
// and every `step`-th label below, so 60 days still fit a 340-wide phone screen.
export function columnChart(rows, label) {
  const width = 340, height = 150, top = 14, bottom = 18, left = 4;
  const svg = frame(width, height, label, "chart-columns");
  const most = Math.max(1, ...rows.map((row) => row.value));
  const slot = (width - left) / Math.max(1, rows.length);
  const step = Math.ceil(rows.length / 7); // at most 7 date labels, ~48 px each
  const floor = height - bottom;
  svg.append(s("line", { x1: left, y1: floor, x2: width, y2: floor, class: "axis" }));
  rows.forEach((row, i) => {
    const x = left + i * slot;
    const tall = ((floor - top) * row.value) / most;
    const middle = x + slot / 2;
    const wide = Math.min(36, Math.max(1, slot * 0.7)); // two days are two columns, not two walls
    svg.append(s("rect", {
      x: middle - wide / 2, y: floor - tall, width: wide, height: tall,
      class: "bar", "data-day": row.key, "data-value": row.value,
    }, s("title", {}, `${row.label}: ${row.value}`)));
    if (row.value && slot >= 14) svg.append(s("text", { x: middle, y: floor - tall - 3, "text-anchor": "middle", class: "tick value" }, row.value));
    if (i % step === 0) svg.append(s("text", { x: middle, y: height - 4, "text-anchor": "middle", class: "tick day" }, row.label));
  });
  return svg;
}

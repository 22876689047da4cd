// lab-workbook ui: sweep views drawn from the runs table the page already has (no request of their own):
// parallel coordinates over the parameters that vary and a metric, with brushes that filter the table,
// and a scatter of one parameter against the metric. Plain SVG; text from the store goes in with textContent.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const SWEEP_HEIGHT = 300;
const SWEEP_MARGIN = { top: 28, bottom: 20, left: 40, right: 40 };
const MAX_AXES = 12;

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

// Brushes in the URL: brush=COLUMN~LO~HI for a number axis, COLUMN~=A|B for a category axis; ";" between axes.
function parseBrushes(text) {
  const brushes = {};
  for (const part of (text || "").split(";")) {
    const [column, a, b] = part.split("~");
    if (!column || a === undefined) continue;
    if (a.startsWith("=")) brushes[column] = { values: new Set(a.slice(1).split("|")) };
    else if (b !== undefined && a !== "" && b !== "" && !Number.isNaN(Number(a)) && !Number.isNaN(Number(b))) {
      brushes[column] = { lo: Math.min(Number(a), Number(b)), hi: Math.max(Number(a), Number(b)) };
    }
  }
  return brushes;
}

function brushText(brushes) {
  return Object.entries(brushes).map(([column, b]) => (b.values
    ? `${column}~=${[...b.values].join("|")}` : `${column}~${b.lo}~${b.hi}`)).join(";");
}

// Whether a row passes every brush (a row without a value on a brushed axis does not).
function passesBrushes(row, brushes) {
  for (const [column, b] of Object.entries(brushes)) {
    const v = row[column];
    if (v === null || v === undefined) return false;
    if (b.values) { if (!b.values.has(sweepLabel(v))) return false; }
    else if (typeof v !== "number" || v < b.lo || v > b.hi) return false;
  }
  return true;
}

function sweepLabel(v) {
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

// An axis over the rows' values of a column: numbers on a linear scale, anything else as evenly spaced categories.
function makeAxis(column, rows) {
  const values = rows.map((r) => r[column]).filter((v) => v !== null && v !== undefined);
  const numeric = values.length > 0 && values.every((v) => typeof v === "number");
  if (numeric) {
    let lo = Math.min(...values), hi = Math.max(...values);
    if (lo === hi) { lo -= 1; hi += 1; }
    return { column, numeric, lo, hi, pos: (v) => (typeof v === "number" ? (v - lo) / (hi - lo) : null), value: (t) => lo + t * (hi - lo) };
  }
  const categories = [...new Set(values.map(sweepLabel))].sort();
  const step = categories.length > 1 ? 1 / (categories.length - 1) : 0;
  return {
    column, numeric, categories,
    pos: (v) => (v === null || v === undefined ? null : categories.length > 1 ? categories.indexOf(sweepLabel(v)) * step : 0.5),
  };
}

// Parameter columns whose value differs between the rows (what a sweep varied), at most MAX_AXES.
function varyingParams(columns, rows) {
  return columns.filter((c) => c.startsWith("params.")).filter((c) => {
    const seen = new Set(rows.map((r) => sweepLabel(r[c] ?? null)));
    return seen.size > 1;
  }).slice(0, MAX_AXES);
}

// Blue (low) to red (high): the metric's colour on every line and point.
function metricColour(t) {
  if (t === null || Number.isNaN(t)) return "#999";
  const r = Math.round(40 + 200 * t), b = Math.round(220 - 190 * t);
  return `rgb(${r},70,${b})`;
}

function tickText(axis, t) {
  if (!axis.numeric) return "";
  const v = axis.value(t);
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : String(Number(v.toPrecision(3)));
}

/**
 * Draws parallel coordinates into `box` (an element) for `rows`, over `axes` column names (the metric last).
 * `brushes` are the current brushes; `onBrush(column, brush|null)` is called when one is drawn or cleared.
 */
function drawParallel(box, rows, columns, metric, brushes, onBrush) {
  while (box.firstChild) box.removeChild(box.firstChild);
  const width = Math.max(500, box.clientWidth || 900);
  const plotW = width - SWEEP_MARGIN.left - SWEEP_MARGIN.right;
  const plotH = SWEEP_HEIGHT - SWEEP_MARGIN.top - SWEEP_MARGIN.bottom;
  const axes = columns.map((c) => makeAxis(c, rows));
  const root = svg("svg", { width, height: SWEEP_HEIGHT, class: "parallel" });
  box.appendChild(root);
  if (axes.length < 2) {
    root.appendChild(svg("text", { x: 10, y: 20 }, "parallel coordinates need two parameters (or a parameter and a metric) that vary"));
    return;
  }
  const x = (i) => SWEEP_MARGIN.left + (axes.length === 1 ? 0 : (i * plotW) / (axes.length - 1));
  const y = (t) => SWEEP_MARGIN.top + (1 - t) * plotH;
  const metricAxis = metric ? axes[axes.length - 1] : null;
  const lines = svg("g", { class: "lines" });
  root.appendChild(lines);
  for (const row of rows) {
    const points = [];
    axes.forEach((axis, i) => {
      const t = axis.pos(row[axis.column]);
      if (t !== null) points.push(`${x(i).toFixed(1)},${y(t).toFixed(1)}`);
    });
    if (points.length < 2) continue;
    const inside = passesBrushes(row, brushes);
    const colour = metricAxis ? metricColour(metricAxis.pos(row[metricAxis.column])) : "#1f77b4";
    const line = svg("polyline", { points: points.join(" "), fill: "none", stroke: inside ? colour : "#ddd", "stroke-width": inside ? 1.5 : 1, "stroke-opacity": inside ? 0.85 : 0.5 });
    line.dataset.tag = row.tag;
    line.appendChild(svg("title", {}, row.tag));
    if (inside) lines.appendChild(line); else lines.insertBefore(line, lines.firstChild);
  }
  axes.forEach((axis, i) => {
    const g = svg("g", { class: "axis" });
    g.dataset.column = axis.column;
    g.appendChild(svg("line", { x1: x(i), x2: x(i), y1: y(0), y2: y(1), stroke: "#333" }));
    const name = axis.column.replace(/^params\./, "");
    g.appendChild(svg("text", { x: x(i), y: SWEEP_MARGIN.top - 12, "text-anchor": "middle", class: "axis-name" }, name));
    if (axis.numeric) {
      for (const t of [0, 0.5, 1]) g.appendChild(svg("text", { x: x(i) + 4, y: y(t) + 4, class: "tick" }, tickText(axis, t)));
    } else {
      axis.categories.forEach((c) => g.appendChild(svg("text", { x: x(i) + 4, y: y(axis.pos(c)) + 4, class: "tick" }, c)));
    }
    const brush = brushes[axis.column];
    if (brush) {
      let lo, hi;
      if (brush.values) {
        const ts = [...brush.values].map((v) => axis.pos(v)).filter((t) => t !== null && t >= 0);
        lo = Math.min(...ts); hi = Math.max(...ts);
      } else if (axis.numeric) {
        lo = Math.max(0, axis.pos(brush.lo)); hi = Math.min(1, axis.pos(brush.hi));
      }
      if (lo !== undefined && Number.isFinite(lo) && Number.isFinite(hi)) {
        g.appendChild(svg("rect", { x: x(i) - 7, y: y(hi) - 3, width: 14, height: Math.max(6, y(lo) - y(hi) + 6), class: "brush" }));
      }
    }
    // A drag along the axis draws a brush; a click without a drag clears it.
    const hit = svg("rect", { x: x(i) - 12, y: y(1) - 6, width: 24, height: plotH + 12, class: "brush-area" });
    hit.dataset.column = axis.column;
    hit.addEventListener("pointerdown", (event) => {
      event.preventDefault();
      const top = root.getBoundingClientRect().top;
      const at = (e) => Math.min(1, Math.max(0, 1 - (e.clientY - top - SWEEP_MARGIN.top) / plotH));
      const start = at(event);
      const preview = svg("rect", { x: x(i) - 7, y: y(start), width: 14, height: 0, class: "brush" });
      g.appendChild(preview);
      let end = start;
      const move = (e) => {
        end = at(e);
        preview.setAttribute("y", y(Math.max(start, end)));
        preview.setAttribute("height", Math.abs(y(start) - y(end)));
      };
      const up = () => {
        window.removeEventListener("pointermove", move);
        window.removeEventListener("pointerup", up);
        const lo = Math.min(start, end), hi = Math.max(start, end);
        if (hi - lo < 0.01) { onBrush(axis.column, null); return; }
        if (axis.numeric) onBrush(axis.column, { lo: axis.value(lo), hi: axis.value(hi) });
        else onBrush(axis.column, { values: new Set(axis.categories.filter((c) => { const t = axis.pos(c); return t >= lo - 1e-9 && t <= hi + 1e-9; })) });
      };
      window.addEventListener("pointermove", move);
      window.addEventListener("pointerup", up);
    });
    g.appendChild(hit);
    root.appendChild(g);
  });
}

/** A scatter of column `xColumn` against `metric` for `rows` into `box`; each point's title is its run's tag. */
function drawScatter(box, rows, xColumn, metric, onPick) {
  while (box.firstChild) box.removeChild(box.firstChild);
  const width = 420, height = 300, m = { top: 30, right: 24, bottom: 40, left: 56 };
  const root = svg("svg", { width, height, class: "scatter" });
  box.appendChild(root);
  if (!xColumn || !metric) {
    root.appendChild(svg("text", { x: 10, y: 20 }, "choose a parameter and a metric"));
    return;
  }
  const usable = rows.filter((r) => r[xColumn] !== null && r[xColumn] !== undefined && typeof r[metric] === "number");
  const ax = makeAxis(xColumn, usable), ay = makeAxis(metric, usable);
  const px = (v) => m.left + (ax.pos(v) ?? 0) * (width - m.left - m.right);
  const py = (v) => height - m.bottom - (ay.pos(v) ?? 0) * (height - m.top - m.bottom);
  root.appendChild(svg("line", { x1: m.left, x2: width - m.right, y1: height - m.bottom, y2: height - m.bottom, stroke: "#333" }));
  root.appendChild(svg("line", { x1: m.left, x2: m.left, y1: m.top, y2: height - m.bottom, stroke: "#333" }));
  root.appendChild(svg("text", { x: (width + m.left) / 2, y: height - 6, "text-anchor": "middle", class: "axis-name" }, xColumn.replace(/^params\./, "")));
  root.appendChild(svg("text", { x: m.left, y: 14, "text-anchor": "middle", class: "axis-name" }, metric));
  if (ax.numeric) {
    for (const t of [0, 1]) root.appendChild(svg("text", { x: m.left + t * (width - m.left - m.right), y: height - m.bottom + 14, "text-anchor": "middle", class: "tick" }, tickText(ax, t)));
  } else {
    ax.categories.forEach((c) => root.appendChild(svg("text", { x: px(c), y: height - m.bottom + 14, "text-anchor": "middle", class: "tick" }, c)));
  }
  if (ay.numeric) for (const t of [0, 1]) root.appendChild(svg("text", { x: m.left - 4, y: height - m.bottom - t * (height - m.top - m.bottom) + 4, "text-anchor": "end", class: "tick" }, tickText(ay, t)));
  for (const row of usable) {
    const dot = svg("circle", { cx: px(row[xColumn]).toFixed(1), cy: py(row[metric]).toFixed(1), r: 4, fill: metricColour(ay.pos(row[metric])), "fill-opacity": 0.8 });
    dot.dataset.tag = row.tag;
    dot.appendChild(svg("title", {}, `${row.tag}: ${sweepLabel(row[xColumn])} → ${row[metric]}`));
    dot.addEventListener("click", () => onPick(row.tag));
    root.appendChild(dot);
  }
}

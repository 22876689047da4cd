// lab-workbook ui: what the selection shows: the compare view (one chart, smoothing, log axes,
// group by), the panels (a small chart per series field, also on a run's page) and images across runs.
// Loaded by index.html after sweep.js and before app.js, which holds the state, the router and the helpers
// used here ($, ui, state, setState, api, el...) and starts the page once every script is loaded.
// Safety rule (as app.js): data from the store only ever goes on the page with textContent.
"use strict";

// -- the compare view ---------------------------------------------------------------------------
function legendLabel(tag, field, fieldCount) {
  const key = state().get("legend");
  let label = tag;
  if (key && key !== "tag") {
    const column = key.startsWith("params.") ? key : "params." + key;
    const row = rowObjects().find((r) => r.tag === tag);
    const value = row ? row[column] : undefined;
    label = `${key.replace(/^params\./, "")}=${value === undefined || value === null ? "?" : formatValue(column, value)} (${tag})`;
  }
  return fieldCount > 1 ? `${label} ${field}` : label;
}

function groupColumn() {
  const key = (state().get("group") || "").trim();
  return key ? (key.startsWith("params.") ? key : "params." + key) : null;
}

// Group by a parameter: per group (and field), the mean of its runs at each x, with a band from their
// minimum to their maximum. Adds three series per group to `series`; returns the y arrays and the bands.
function groupCurves(data, ys, column, fieldCount, series) {
  const rows = Object.fromEntries(rowObjects().map((r) => [r.tag, r]));
  const groups = new Map();
  data.curves.forEach((c, i) => {
    const row = rows[c.tag];
    const value = row && row[column] !== undefined && row[column] !== null ? formatValue(column, row[column]) : "?";
    const key = JSON.stringify([value, c.field]);
    if (!groups.has(key)) groups.set(key, { value, field: c.field, tags: [], ys: [] });
    const g = groups.get(key);
    g.tags.push(c.tag);
    g.ys.push(ys[i]);
  });
  const out = [], bands = [];
  const name = column.replace(/^params\./, "");
  [...groups.values()].forEach((g, k) => {
    const n = g.ys[0] ? g.ys[0].length : 0;
    const mean = new Array(n), lo = new Array(n), hi = new Array(n);
    for (let j = 0; j < n; j++) {
      let sum = 0, count = 0, min = Infinity, max = -Infinity;
      for (const y of g.ys) {
        const v = y[j];
        if (v === null || v === undefined) continue;
        sum += v; count += 1; if (v < min) min = v; if (v > max) max = v;
      }
      mean[j] = count ? sum / count : null; lo[j] = count ? min : null; hi[j] = count ? max : null;
    }
    const colour = COLOURS[k % COLOURS.length];
    const label = `${name}=${g.value} (${g.tags.length} run${g.tags.length > 1 ? "s" : ""})${fieldCount > 1 ? " " + g.field : ""}`;
    series.push({ label, stroke: colour, width: 2, spanGaps: true, points: { show: false } });
    series.push({ label: label + " max", stroke: colour + "55", width: 0.5, spanGaps: true, points: { show: false } });
    series.push({ label: label + " min", stroke: colour + "55", width: 0.5, spanGaps: true, points: { show: false } });
    const base = 1 + out.length;
    out.push(mean, hi, lo);
    bands.push({ series: [base + 1, base + 2], fill: colour + "33" });
  });
  showGroups([...groups.values()].map((g) => ({ label: `${name}=${g.value}${fieldCount > 1 ? " " + g.field : ""}`, tags: g.tags })));
  $("plot").dataset.groups = String(groups.size);
  return { ys: out, bands };
}

function showGroups(groups) {
  const list = $("groups");
  clear(list);
  for (const g of groups) list.appendChild(el("li", `${g.label}: ${g.tags.join(", ")}`));
  list.hidden = !groups.length;
  if (!groups.length) delete $("plot").dataset.groups;
}

function plotWidth() {
  return Math.max(300, $("plot").clientWidth || document.body.clientWidth - 40);
}

async function drawCompare(force = false) {
  // A change event and the Draw button often ask for the same view at once: draw it once.
  const s = state();
  const tags = selection();
  const series = s.get("series");
  if (!tags.length || !series) {
    clearCurves();
    if (tags.length) $("reduction").textContent = "choose a series to compare";
    return;
  }
  const width = plotWidth();
  const query = new URLSearchParams({
    tags: tags.join(","),
    series,
    fields: s.get("fields") || "",
    x: s.get("x") || "index",
    smooth: s.get("smooth") || "0",
    width: s.get("full") ? "full" : String(width),
  });
  const key = query.toString() + (s.get("logx") || "") + (s.get("logy") || "") + (s.get("legend") || "") + "|" + (s.get("group") || "");
  if (!force && key === ui.curvesKey) return;
  ui.curvesKey = key;
  const started = performance.now();
  // The statuses the curves are drawn at: a poll draws them again until every run has ended.
  const statuses = Object.fromEntries(tags.map((t) => [t, statusOf(t)]));
  const ticket = generation("curves");
  let data;
  try {
    data = await apiJson("/api/curves?" + query.toString(), ticket.signal);
  } catch (err) {
    if (ticket.current()) ui.curvesKey = "";
    throw err;
  }
  if (!ticket.current()) return;  // a newer choice was made meanwhile
  renderCurves(data, width);
  ui.drawn = { tags, statuses, ms: performance.now() - started, points: data.curves.reduce((n, c) => n + c.points, 0) };
  $("plot").dataset.drawnMs = String(Math.round(ui.drawn.ms));
  $("plot").dataset.points = String(ui.drawn.points);
  $("plot").dataset.fields = [...new Set(data.curves.map((c) => c.field))].join(",");
}

function statusOf(tag) {
  const i = ui.runs.columns.indexOf("status");
  const row = ui.runs.rows.find((r) => r[0] === tag);
  return row && i >= 0 ? row[i] : null;
}

// Whether curves drawn at those statuses may still grow: some run had not ended (or its status changed since).
function curvesMayGrow(drawn) {
  return drawn.tags.some((t) => !ENDED.has(drawn.statuses[t]) || statusOf(t) !== drawn.statuses[t]);
}

function clearCurves() {
  generation("curves");  // an answer still out is dropped
  ui.curvesKey = "";
  ui.drawn = null;
  if (ui.plot) ui.plot.destroy();
  ui.plot = null;
  clear($("plot"));
  delete $("plot").dataset.points;
  $("reduction").textContent = "select runs in the table to compare them";
}

function renderCurves(data, width) {
  const s = state();
  const logx = !!s.get("logx"), logy = !!s.get("logy");
  const fields = new Set(data.curves.map((c) => c.field));
  let x = data.x;
  let ys = data.curves.map((c) => c.y);
  if (logx) {
    const keep = x.map((v) => v > 0);
    x = x.filter((_, i) => keep[i]);
    ys = ys.map((y) => y.filter((_, i) => keep[i]));
  }
  if (logy) ys = ys.map((y) => y.map((v) => (v !== null && v > 0 ? v : null)));
  const notes = [];
  const total = data.curves.reduce((n, c) => n + c.points, 0);
  const shown = data.curves.reduce((n, c) => n + c.shown, 0);
  if (data.reduced) {
    notes.push(`reduced for display: each of ${data.width} pixel columns keeps its min and max point ` +
      `(${shown.toLocaleString()} of ${total.toLocaleString()} points; tick "every point" for all)`);
  } else {
    notes.push(`every point shown (${total.toLocaleString()})`);
  }
  if (data.missing.length) notes.push(`no ${data.artifact} in: ${data.missing.join(", ")}`);
  $("reduction").textContent = notes.join(" · ");
  const series = [{ label: data.x_label || "x" }];
  let bands = [];
  const grouping = groupColumn();
  if (grouping) {
    ({ ys, bands } = groupCurves(data, ys, grouping, fields.size, series));
  } else {
    showGroups([]);
    data.curves.forEach((c, i) => {
      series.push({
        label: legendLabel(c.tag, c.field, fields.size),
        stroke: COLOURS[i % COLOURS.length],
        width: 1.5,
        spanGaps: true,
        points: { show: false },
      });
    });
  }
  const opts = {
    bands,
    width,
    height: 420,
    series,
    scales: {
      x: { time: data.x_mode === "time", distr: logx ? 3 : 1 },
      y: { distr: logy ? 3 : 1 },
    },
    axes: [{ label: data.x_label || "" }, {}],
    legend: { live: true },
  };
  if (ui.plot) ui.plot.destroy();
  clear($("plot"));
  ui.plot = new uPlot(opts, [x, ...ys], $("plot"));
}

// -- panels: one small chart per series field of the runs shown, grouped by series file -----------
// The search (pf) and the folded series files (fold) are in the URL; a folded file is fetched when opened.
// One request per series file brings every field of every run, reduced to the panel's width.
const PANEL_WIDTH = 340, PANEL_HEIGHT = 170;
const PANEL_VIEWS = {
  runs: { box: "panels", section: "panels-section", filter: "panel-filter", count: "panel-count" },
  run: { box: "run-panels", section: "run-panels-section", filter: "run-panel-filter", count: "run-panel-count" },
};

function foldedFiles() {
  return new Set((state().get("fold") || "").split(",").filter(Boolean));
}

async function drawPanels(view, tags) {
  const ids = PANEL_VIEWS[view];
  const ticket = generation("panels-" + view);
  const box = $(ids.box);
  if (!tags.length) {
    destroyPanels(view);
    clear(box);
    $(ids.section).hidden = true;
    ui.panelsDrawn[view] = null;
    return;
  }
  const started = performance.now();
  const statuses = Object.fromEntries(tags.map((t) => [t, statusOf(t)]));
  const info = await apiJson("/api/fields?tags=" + encodeURIComponent(tags.join(",")), ticket.signal);
  if (!ticket.current()) return;
  if (view === "runs") { ui.fieldsInfo = info.series; renderSweep(); }
  const folded = foldedFiles();
  const groups = [];
  const frame = document.createDocumentFragment();
  for (const series of info.series) {
    if (!series.fields.length) continue;
    const details = el("details");
    details.dataset.artifact = series.artifact;
    details.open = !folded.has(series.artifact);
    details.appendChild(el("summary", `${series.artifact} (${series.fields.length} field${series.fields.length > 1 ? "s" : ""}, ${series.tags.length} of ${tags.length} runs)`));
    const grid = el("div", null, "panel-grid");
    details.appendChild(grid);
    const group = { series, details, grid, drawn: false };
    details.addEventListener("toggle", () => {
      const now = foldedFiles();
      if (details.open) now.delete(series.artifact); else now.add(series.artifact);
      setState({ fold: [...now].join(",") });
      if (details.open && !group.drawn) drawPanelGroup(view, group, tags, ticket).catch(showError);
    });
    groups.push(group);
    frame.appendChild(details);
  }
  destroyPanels(view);
  clear(box);
  box.appendChild(frame);
  $(ids.section).hidden = !groups.length;
  await Promise.all(groups.filter((g) => g.details.open).map((g) => drawPanelGroup(view, g, tags, ticket)));
  if (!ticket.current()) return;
  filterPanels(view);
  ui.panelsDrawn[view] = { tags, statuses };
  box.dataset.drawnMs = String(Math.round(performance.now() - started));
  box.dataset.panels = String(box.querySelectorAll(".panel").length);
}

function destroyPanels(view) {
  for (const plot of ui.panelPlots[view] || []) plot.destroy();
  ui.panelPlots[view] = [];
}

async function drawPanelGroup(view, group, tags, ticket) {
  const s = state();
  const { series } = group;
  group.drawn = true;
  const query = new URLSearchParams({
    tags: series.tags.join(","), series: series.artifact, fields: series.fields.join(","),
    x: s.get("x") || "index", smooth: s.get("smooth") || "0", width: String(PANEL_WIDTH), snap: "1",
  });
  const data = await apiJson("/api/curves?" + query.toString(), ticket.signal);
  if (!ticket.current()) return;
  clear(group.grid);
  const legend = el("div", null, "panel-legend");
  tags.forEach((tag, i) => {
    const key = el("span", "● " + legendLabel(tag, "", 1));
    key.style.color = COLOURS[i % COLOURS.length];
    legend.appendChild(key);
  });
  group.grid.appendChild(legend);
  let points = 0;
  for (const field of series.fields) {
    const curves = data.curves.filter((c) => c.field === field);
    points += curves.reduce((n, c) => n + c.shown, 0);
    const panel = el("div", null, "panel");
    panel.dataset.field = field;
    panel.dataset.artifact = series.artifact;
    panel.dataset.search = (series.artifact + " " + field).toLowerCase();
    const head = el("div", null, "panel-head");
    head.appendChild(el("span", field));
    const expand = el("button", "expand");
    expand.type = "button";
    expand.className = "expand";
    expand.title = "the full compare view of this field, with smoothing, log axes and grouping";
    expand.addEventListener("click", () => expandPanel(view, series.artifact, field, tags));
    head.appendChild(expand);
    panel.appendChild(head);
    const chart = el("div", null, "panel-chart");
    panel.appendChild(chart);
    group.grid.appendChild(panel);
    const ys = tags.map((tag) => {
      const curve = curves.find((c) => c.tag === tag);
      return curve ? curve.y : data.x.map(() => null);
    });
    const plotSeries = [{ label: data.x_label || "x" }, ...tags.map((tag, i) => ({
      label: tag, stroke: COLOURS[i % COLOURS.length], width: 1.25, spanGaps: true, points: { show: false },
    }))];
    const opts = {
      width: PANEL_WIDTH, height: PANEL_HEIGHT, series: plotSeries, legend: { show: false },
      scales: { x: { time: data.x_mode === "time" } },
      axes: [{ size: 30, font: "10px system-ui" }, { size: 46, font: "10px system-ui" }],
      cursor: { sync: { key: "panels-" + view + "-" + series.artifact } },
    };
    ui.panelPlots[view].push(new uPlot(opts, [data.x, ...ys], chart));
  }
  group.details.dataset.points = String(points);
}

function filterPanels(view) {
  const ids = PANEL_VIEWS[view];
  const text = (state().get("pf") || "").toLowerCase().trim();
  let shown = 0, total = 0;
  for (const panel of $(ids.box).querySelectorAll(".panel")) {
    total += 1;
    panel.hidden = !!text && !panel.dataset.search.includes(text);
    if (!panel.hidden) shown += 1;
  }
  $(ids.count).textContent = text ? `${shown} of ${total} panels` : `${total} panels`;
}

function expandPanel(view, artifact, field, tags) {
  if (view === "run") {
    location.hash = "#/runs?" + new URLSearchParams({ sel: tags.join(","), series: artifact, fields: field }).toString();
    return;
  }
  setState({ series: artifact, fields: field }, { push: true });
  syncInputs();
  drawCompare().then(() => $("expanded-title").scrollIntoView()).catch(showError);
}

// -- images across runs: one image series of the selected runs side by side, at one step -------------
// (as wb.image_grid in a notebook). The series (img) and the step (istep) are in the URL; a run shows its
// image at that step, or at the latest step it has before it, labelled with that step.
async function drawAcross(tags) {
  const ticket = generation("across");
  if (!tags.length) { $("across-section").hidden = true; ui.across = null; return; }
  const data = await apiJson("/api/images?tags=" + encodeURIComponent(tags.join(",")), ticket.signal);
  if (!ticket.current()) return;
  $("across-section").hidden = !data.series.length;
  ui.across = data.series.length ? { series: data.series, tags } : null;
  if (!ui.across) return;
  const names = data.series.map((x) => x.name);
  const chosen = names.includes(state().get("img")) ? state().get("img") : names[0];
  fillSelect($("across-name"), names, chosen);
  showAcross();
}

function showAcross() {
  if (!ui.across) return;
  const s = state();
  const series = ui.across.series.find((x) => x.name === $("across-name").value) || ui.across.series[0];
  const steps = [...new Set(Object.values(series.runs).flatMap((r) => r.steps))].sort((a, b) => a - b);
  const wanted = s.get("istep") === null ? steps[steps.length - 1] : Number(s.get("istep"));
  const index = Math.max(0, steps.findLastIndex((x) => x <= wanted));
  const slider = $("across-step");
  slider.max = String(steps.length - 1);
  slider.value = String(index);
  const step = steps[index];
  $("across-label").textContent = `step ${step} (${index + 1} of ${steps.length})`;
  const box = $("across");
  clear(box);
  ui.across.tags.forEach((tag, i) => {
    const figure = el("figure", null, "image-series");
    figure.dataset.tag = tag;
    const caption = el("figcaption", legendLabel(tag, "", 1));
    caption.style.color = COLOURS[i % COLOURS.length];
    figure.appendChild(caption);
    const run = series.runs[tag];
    const at = run ? run.steps.findLastIndex((x) => x <= step) : -1;
    if (at < 0) {
      figure.appendChild(el("p", run ? `no image at or before step ${step}` : `no ${series.name}`, "missing"));
    } else {
      const img = document.createElement("img");
      img.alt = `${series.name} of ${tag}`;
      figure.dataset.step = String(run.steps[at]);
      if (run.steps[at] !== step) figure.appendChild(el("p", `step ${run.steps[at]}`, "note"));
      figure.appendChild(img);
      loadImage(img, tag, run.artifacts[at]).catch(showError);
    }
    box.appendChild(figure);
  });
}

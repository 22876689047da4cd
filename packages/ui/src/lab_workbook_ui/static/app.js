// lab-workbook ui: the page. Plain JavaScript, no build step.
// Safety rule: data from the store is only ever put on the page with textContent, never parsed as HTML,
// so a hostile tag, artifact name, parameter or patch shows as text.
"use strict";

const PAGE_SIZE = 100;
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const FIXED = ["tag", "status", "started", "duration", "attempts", "description", "problem"];
// Statuses a writer records when it closes a run (core's ENDED_STATUSES): after one, a run's curves are whole.
const ENDED = new Set(["finished", "failed", "interrupted"]);

const $ = (id) => document.getElementById(id);
const ui = {
  config: null,
  runs: { columns: [], rows: [] },
  runsText: "",
  plot: null,
  curvesKey: "",
  pollTimer: null,
  drawn: null,
  imageUrls: [],
  // Each request that draws something takes a generation; an answer whose generation is no longer the
  // newest is dropped (and its fetch aborted), so a slow answer for an earlier choice never replaces the current one.
  generations: {},
  aborts: {},
  panelsDrawn: {},
  rowCache: {},
  panelPlots: {},
  shownUrl: null,
  runsCols: null,
};

// A new generation of `kind` (curves, runs, run, panels...): aborts the request still out for it.
// `ticket.current()` is false once a newer generation of the same kind was started.
function generation(kind) {
  if (ui.aborts[kind]) ui.aborts[kind].abort();
  const controller = new AbortController();
  ui.aborts[kind] = controller;
  const id = (ui.generations[kind] || 0) + 1;
  ui.generations[kind] = id;
  return { signal: controller.signal, current: () => ui.generations[kind] === id };
}

// An aborted fetch is not an error to show: a newer request took its place.
function isAbort(err) {
  return err && err.name === "AbortError";
}

// -- the URL holds the state: #/runs?q=...&sel=a,b or #/run/TAG?diff=OTHER -------------------------
function route() {
  const hash = location.hash.replace(/^#/, "") || "/runs";
  const [path, query] = hash.split("?", 2);
  return { path, params: new URLSearchParams(query || "") };
}

function state() {
  return route().params;
}

function setState(changes, { push = false } = {}) {
  const r = route();
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === "" || v === false) r.params.delete(k);
    else r.params.set(k, v === true ? "1" : String(v));
  }
  const text = r.params.toString();
  const url = "#" + r.path + (text ? "?" + text : "");
  if (push) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
  ui.shownUrl = location.href;  // what the page shows already: no popstate/hashchange draws it again
}

function selection() {
  const text = state().get("sel");
  return text ? text.split(",").filter(Boolean) : [];
}

// -- talking to the server ----------------------------------------------------------------------
async function api(path, signal) {
  const headers = {};
  const token = sessionStorage.getItem("lab-workbook-token");
  if (token) headers["X-Lab-Workbook-Token"] = token;
  const response = await fetch(path, { headers, cache: "no-store", signal });
  if (response.status === 401) {
    $("token-form").hidden = false;
    throw new Error("this dashboard needs its token");
  }
  if (!response.ok) {
    let message = response.statusText;
    try { message = (await response.json()).error || message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

async function apiJson(path, signal) {
  return (await api(path, signal)).json();
}

function showError(err) {
  if (isAbort(err)) return;
  $("error").textContent = err ? String(err.message || err) : "";
}

// -- small DOM helpers --------------------------------------------------------------------------
function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

function formatValue(column, value) {
  if (value === null || value === undefined) return "";
  if (column === "started") return value.replace("T", " ").replace(/\.\d+Z$|Z$/, "");
  if (column === "duration") return formatDuration(value);
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toPrecision(6).replace(/\.?0+$/, "");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h}h${String(m).padStart(2, "0")}m` : m ? `${m}m${String(r).padStart(2, "0")}s` : `${r}s`;
}

function formatSize(bytes) {
  if (bytes === null || bytes === undefined) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes, unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return unit ? `${value.toFixed(1)} ${units[unit]}` : `${value} B`;
}

// -- the runs table -----------------------------------------------------------------------------
// The table's rows as objects, each with its filter text, made once per table (not per keystroke), and
// its orders, made once per sort key: a keystroke in a 10,000-run table only tests each row's text.
function rowObjects() {
  if (ui.rowCache.runs !== ui.runs) {
    const { columns, rows } = ui.runs;
    const searched = columns.map((c, i) => [c, i]).filter(([c]) => c === "tag" || c === "status" || c === "description" || c === "problem" || c.startsWith("params."));
    const objects = rows.map((row) => {
      const object = {};
      for (let i = 0; i < columns.length; i++) object[columns[i]] = row[i];
      return object;
    });
    const texts = rows.map((row) => searched
      .map(([, i]) => { const v = row[i]; return v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v); })
      .join("\u0000").toLowerCase());
    ui.rowCache = { runs: ui.runs, objects, texts, sorted: {} };
  }
  return ui.rowCache.objects;
}

function sortedRows(sort) {
  rowObjects();
  const cache = ui.rowCache;
  if (!cache.sorted[sort]) {
    const desc = sort.startsWith("-");
    const key = desc ? sort.slice(1) : sort;
    const order = cache.objects.map((_, i) => i);
    const collator = new Intl.Collator();
    order.sort((i, j) => {
      const a = cache.objects[i][key], b = cache.objects[j][key];
      if (a === b) return 0;
      if (a === null || a === undefined) return 1;
      if (b === null || b === undefined) return -1;
      const o = typeof a === "number" && typeof b === "number" ? a - b : collator.compare(String(a), String(b));
      return desc ? -o : o;
    });
    cache.sorted[sort] = order;
  }
  return cache.sorted[sort];
}

function parseParamFilters(text) {
  const filters = [];
  for (const part of (text || "").split(",")) {
    const m = part.trim().match(/^([^=<>!]+?)\s*(!=|>=|<=|=|>|<)\s*(.*)$/);
    if (!m) continue;
    const key = m[1].startsWith("params.") ? m[1] : "params." + m[1];
    filters.push({ key, op: m[2], value: m[3].trim() });
  }
  return filters;
}

function matchesParam(row, f) {
  const actual = row[f.key];
  if (actual === undefined || actual === null) return f.op === "!=";
  const a = Number(actual), b = Number(f.value);
  const numeric = typeof actual === "number" && f.value !== "" && !Number.isNaN(b);
  const text = typeof actual === "object" ? JSON.stringify(actual) : String(actual);
  switch (f.op) {
    case "=": return numeric ? a === b : text === f.value;
    case "!=": return numeric ? a !== b : text !== f.value;
    case ">": return numeric && a > b;
    case "<": return numeric && a < b;
    case ">=": return numeric && a >= b;
    case "<=": return numeric && a <= b;
  }
  return true;
}

// The rows the filters keep (and the sweep's brushes, unless `brushed` is false), sorted as the URL says.
function filteredRows({ brushed = true } = {}) {
  const s = state();
  const brushes = brushed ? parseBrushes(s.get("brush")) : {};
  const anyBrush = Object.keys(brushes).length > 0;
  const q = (s.get("q") || "").toLowerCase();
  const status = s.get("status") || "";
  const from = s.get("from"), to = s.get("to");
  const params = parseParamFilters(s.get("p"));
  const objects = rowObjects(), texts = ui.rowCache.texts;
  const rows = [];
  for (const i of sortedRows(s.get("sort") || "-started")) {
    const row = objects[i];
    if (status && row.status !== status) continue;
    const day = row.started ? row.started.slice(0, 10) : null;
    if (from && (!day || day < from)) continue;
    if (to && (!day || day > to)) continue;
    if (params.length && !params.every((f) => matchesParam(row, f))) continue;
    if (anyBrush && !passesBrushes(row, brushes)) continue;
    if (q && !texts[i].includes(q)) continue;
    rows.push(row);
  }
  return rows;
}

function renderTable() {
  const s = state();
  // The problem column (why a run's record or data cannot be read) only when some run has one.
  if (ui.rowCache.runs !== ui.runs || ui.rowCache.damaged === undefined) {
    const objects = rowObjects();
    ui.rowCache.damaged = objects.some((row) => row.problem);
    ui.rowCache.resumed = objects.some((row) => row.attempts > 1);
  }
  const damaged = ui.rowCache.damaged;
  // The attempts column (processes a run lived through) only when some run was resumed.
  const resumed = ui.rowCache.resumed;
  const columns = (ui.runs.columns.length ? ui.runs.columns : FIXED)
    .filter((c) => (c !== "problem" || damaged) && (c !== "attempts" || resumed));
  const sort = s.get("sort") || "-started";
  const selected = new Set(selection());
  const thead = $("runs").tHead, tbody = $("runs").tBodies[0];
  clear(thead); clear(tbody);
  const head = thead.insertRow();
  head.appendChild(el("th", "✓"));
  for (const column of columns) {
    const th = el("th", column.replace(/^params\./, ""));
    th.title = column;
    th.dataset.column = column;
    if (sort === column) th.className = "sorted-asc";
    if (sort === "-" + column) th.className = "sorted-desc";
    th.addEventListener("click", () => {
      setState({ sort: sort === column ? "-" + column : column, page: null }, { push: true });
      renderTable();
    });
    head.appendChild(th);
  }
  const rows = filteredRows();
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  const page = Math.min(Number(s.get("page") || 0), pages - 1);
  ui.table = { rows: rows.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE), columns, selected, window: null };
  renderRows();
  $("count").textContent = ui.runs.complete === false
    ? `${rows.length} of the ${ui.runs.rows.length} newest runs (of ${ui.runs.total}; reading the rest…)`
    : `${rows.length} of ${ui.runs.rows.length} runs`;
  $("page").textContent = `page ${page + 1} of ${pages}`;
  $("prev").disabled = page === 0;
  $("next").disabled = page >= pages - 1;
  $("selcount").textContent = selected.size ? `(${selected.size} selected)` : "(select runs in the table)";
  renderSweep();
}

// Only the rows of the page that are on screen (and a few around them) are in the DOM: spacer rows stand in
// for the others, so a keystroke in a 10,000-run table lays out a screenful of rows, and scrolling adds them.
const ROW_HEIGHT = 24, OVERSCAN = 8;

function renderRows() {
  const { rows, columns, selected } = ui.table;
  const wrap = $("table-wrap");
  const height = Math.max(wrap.clientHeight, window.innerHeight * 0.55);  // its max-height, before rows fill it
  const first = Math.max(0, Math.floor(wrap.scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((wrap.scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
  if (ui.table.window && ui.table.window[0] === first && ui.table.window[1] === last) return;
  ui.table.window = [first, last];
  const tbody = $("runs").tBodies[0];
  clear(tbody);
  const spacer = (count) => {
    if (!count) return;
    const td = tbody.insertRow().insertCell();
    td.parentNode.className = "spacer";
    td.colSpan = columns.length + 1;
    td.style.height = `${count * ROW_HEIGHT}px`;
  };
  spacer(first);
  for (const row of rows.slice(first, last)) {
    const tr = tbody.insertRow();
    tr.dataset.tag = row.tag;
    if (selected.has(row.tag)) tr.className = "selected";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.className = "select";
    box.checked = selected.has(row.tag);
    box.addEventListener("change", () => toggleSelection(row.tag, box.checked));
    tr.insertCell().appendChild(box);
    for (const column of columns) {
      const td = tr.insertCell();
      td.dataset.column = column;
      if (column === "tag") {
        const link = el("a", row.tag);
        link.href = "#/run/" + encodeURIComponent(row.tag);
        td.appendChild(link);
      } else {
        td.textContent = formatValue(column, row[column]);
        if (column === "status") td.className = "status status-" + row.status;
        else if (column === "problem") { td.className = "problem"; td.title = row.problem || ""; }
        else if (typeof row[column] === "number") td.className = "num";
      }
    }
  }
  spacer(rows.length - last);
}

// -- the sweep view (sweep.js draws it) -----------------------------------------------------------
function metricColumns() {
  return ui.runs.columns.filter((c) => /\.(last|best)$/.test(c));
}

function fillSelect(select, options, chosen, none) {
  clear(select);
  if (none) select.appendChild(new Option(none, ""));
  for (const o of options) select.appendChild(new Option(o.replace(/^params\./, ""), o));
  select.value = options.includes(chosen) ? chosen : none ? "" : options[0] || "";
}

function renderSweep() {
  if (!$("sweep-section").open) return;
  const s = state();
  const sel = new Set(selection());
  const base = s.get("sweeprows") === "sel" ? rowObjects().filter((r) => sel.has(r.tag)) : filteredRows({ brushed: false });
  const metrics = metricColumns();
  const metric = metrics.includes(s.get("metric")) ? s.get("metric") : metrics[0] || "";
  fillSelect($("metric"), metrics, metric, metrics.length ? null : "(no metric column)");
  // The fields of the selected runs' series, offered as metrics without typing: choosing one adds its column.
  const have = new Set(wantedCols().split(",").filter(Boolean));
  for (const series of ui.fieldsInfo || []) {
    for (const field of series.fields) {
      const column = `${series.artifact}:${field}`;
      if (!have.has(column)) $("metric").appendChild(new Option(`+ ${field} (${series.artifact})`, "+" + column));
    }
  }
  $("sweep-hint").textContent = metrics.length ? "" : "add a series column (series columns box, e.g. Training loss.csv:loss) to colour runs by a metric";
  const varying = varyingParams(ui.runs.columns, base);
  const sx = varying.includes(s.get("sx")) ? s.get("sx") : varying[0] || "";
  fillSelect($("sx"), varying, sx);
  const brushes = parseBrushes(s.get("brush"));
  const axes = metric ? [...varying, metric] : varying;
  drawParallel($("parallel"), base, axes, metric, brushes, (column, brush) => {
    const now = parseBrushes(state().get("brush"));
    if (brush) now[column] = brush; else delete now[column];
    setState({ brush: brushText(now), page: null }, { push: true });
    renderTable();
  });
  drawScatter($("scatter"), base.filter((r) => passesBrushes(r, brushes)), sx, metric, (tag) => toggleSelection(tag, true));
  const inside = base.filter((r) => passesBrushes(r, brushes)).length;
  $("sweep-count").textContent = Object.keys(brushes).length ? `(${inside} of ${base.length} runs inside the brushes)` : `(${base.length} runs)`;
  const list = $("param-list");
  clear(list);
  for (const c of ui.runs.columns.filter((c) => c.startsWith("params."))) list.appendChild(new Option(c.slice(7)));
}

function toggleSelection(tag, on) {
  const current = selection().filter((t) => t !== tag);
  if (on) current.push(tag);
  setState({ sel: current.join(",") }, { push: true });
  showSelection().catch(showError);
}

// What the selection shows: the table's ticks, the series offered, the curves (none without a selection).
async function showSelection() {
  renderTable();
  if (!selection().length) {
    clearCurves();
    await Promise.all([drawPanels("runs", []), drawAcross([])]);
    return;
  }
  await Promise.all([drawPanels("runs", selection()), drawAcross(selection()), refreshSeriesChoices().then(() => drawCompare())]);
}

function wantedCols() {
  return (state().get("cols") || "").split(",").map((c) => c.trim()).filter(Boolean).join(",");
}

async function loadRuns({ preview = false } = {}) {
  // preview: only about a page of the newest runs, shown while the whole table is read.
  const cols = wantedCols();
  const newest = preview ? "&newest=" + PAGE_SIZE : "";
  // A poll of the whole table it has already says which version it has: the answer is only what changed.
  const known = !preview && ui.runsVersion && ui.runsCols === cols && ui.runs.complete ? "&known=" + ui.runsVersion : "";
  const ticket = generation("runs");
  const response = await api("/api/runs?series=" + encodeURIComponent(cols) + newest + known, ticket.signal);
  const text = await response.text();
  if (!ticket.current()) return;
  ui.runsCols = cols;
  ui.runsVersion = preview ? null : response.headers.get("X-Table-Version");
  const answer = known ? JSON.parse(text) : null;
  if (answer && answer.unchanged) {
    // nothing changed
  } else if (answer && answer.changed) {
    const rows = new Map(ui.runs.rows.map((row) => [row[0], row]));
    for (const tag of answer.removed) rows.delete(tag);
    for (const row of answer.changed) rows.set(row[0], row);
    ui.runs = { ...ui.runs, rows: [...rows.values()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) };
    ui.runsText = "";
    renderTable();
    fillTagList();
  } else if (text !== ui.runsText) {
    ui.runsText = text;
    ui.runs = answer || JSON.parse(text);
    renderTable();
    fillTagList();
  }
  $("live").textContent = ui.runs.complete ? "updated " + new Date().toLocaleTimeString() : "reading every run…";
}

function fillTagList() {
  const list = $("tag-list");
  clear(list);
  for (const row of ui.runs.rows) {
    const option = document.createElement("option");
    option.value = row[0];
    list.appendChild(option);
  }
}

async function refreshSeriesChoices() {
  const tags = selection();
  const list = $("series-list");
  if (!tags.length) return;
  try {
    const run = await apiJson("/api/run/" + encodeURIComponent(tags[0]));
    if (selection()[0] !== tags[0]) return;
    clear(list);
    const csvs = run.artifacts.filter((a) => a.kind === "csv").map((a) => a.name);
    for (const name of csvs) {
      const option = document.createElement("option");
      option.value = name;
      list.appendChild(option);
    }
    if (!$("series").value && csvs.length) {
      $("series").value = csvs[0];
      setState({ series: csvs[0] });
    }
  } catch (err) {
    showError(err);
  }
}

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

// -- the run page -------------------------------------------------------------------------------
function patchBlock(target, text) {
  // Diff colouring by line prefix, every line added as text.
  clear(target);
  for (const line of text.split("\n")) {
    let cls = "";
    if (line.startsWith("+++") || line.startsWith("---") || line.startsWith("diff ") || line.startsWith("index ")) cls = "meta";
    else if (line.startsWith("@@")) cls = "hunk";
    else if (line.startsWith("+")) cls = "add";
    else if (line.startsWith("-")) cls = "del";
    target.appendChild(el("span", line + "\n", cls));
  }
}

function keyValueTable(table, entries, formatter) {
  clear(table);
  for (const [key, value] of entries) {
    const tr = table.insertRow();
    tr.appendChild(el("th", key));
    tr.insertCell().textContent = formatter ? formatter(key, value) : formatValue(key, value);
  }
}

function artifactUrl(tag, name) {
  return "/api/run/" + encodeURIComponent(tag) + "/artifact/" + name.split("/").map(encodeURIComponent).join("/");
}

async function viewArtifact(tag, name) {
  const response = await api(artifactUrl(tag, name));
  const text = await response.text();
  $("viewer-section").hidden = false;
  $("viewer-title").textContent = name;
  const viewer = $("viewer");
  if (/\.git-(patch|untracked)$/.test(name)) patchBlock(viewer, text);
  else viewer.textContent = text;
}

async function downloadArtifact(tag, name) {
  const response = await api(artifactUrl(tag, name) + "?download=1");
  const blob = await response.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name.split("/").pop();
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

// A forked run links to its parent; a resumed run says how many processes it lived through and how each ended.
function showLineage(run) {
  const line = $("run-lineage");
  clear(line);
  if (run.parent) {
    line.appendChild(document.createTextNode("forked from "));
    const link = el("a", run.parent.tag);
    link.href = "#/run/" + encodeURIComponent(run.parent.tag);
    line.appendChild(link);
    if (run.parent.step !== null) line.appendChild(document.createTextNode(` at step ${run.parent.step}`));
  }
  const attempts = run.attempts || [];
  if (attempts.length > 1) {
    const each = attempts.map((a) => `${a.attempt}: ${a.status || "?"} on ${a.host || "?"}`).join(", ");
    line.appendChild(el("span", `${run.parent ? "; " : ""}${attempts.length} attempts (${each})`));
  }
  line.hidden = !line.firstChild;
}

async function showRun(tag) {
  const ticket = generation("run");
  const run = await apiJson("/api/run/" + encodeURIComponent(tag), ticket.signal);
  if (!ticket.current()) return;
  ui.runStatus = run.status;
  $("run-tag").textContent = run.tag;
  $("run-status").textContent = run.status;
  $("run-status").className = "status status-" + run.status;
  $("run-description").textContent = run.record.description || "";
  showLineage(run);
  const problems = $("run-problems");
  clear(problems);
  for (const problem of run.problems || []) problems.appendChild(el("li", problem));
  problems.hidden = !(run.problems || []).length;
  showRecordSections(run);
  showParameters(run);
  drawPanels("run", [run.tag]).catch(showError);
  const table = $("artifacts");
  clear(table);
  for (const artifact of run.artifacts) {
    const tr = table.insertRow();
    tr.dataset.name = artifact.name;
    tr.insertCell().textContent = artifact.name;
    tr.insertCell().textContent = formatSize(artifact.size);
    const actions = tr.insertCell();
    if (artifact.text) {
      const view = el("button", "view");
      view.type = "button";
      view.className = "view";
      view.addEventListener("click", () => viewArtifact(run.tag, artifact.name).catch(showError));
      actions.appendChild(view);
    }
    const download = el("button", "download");
    download.type = "button";
    download.className = "download";
    download.addEventListener("click", () => downloadArtifact(run.tag, artifact.name).catch(showError));
    actions.appendChild(download);
  }
  showImages(run.tag, run.images || []);
  const patch = run.artifacts.find((a) => a.name.endsWith(".git-patch"));
  if (patch && !$("viewer-section").dataset.tag) await viewArtifact(run.tag, patch.name);
  $("viewer-section").dataset.tag = run.tag;
  const other = state().get("diff");
  if (other) {
    $("diff-with").value = other;
    await showDiff(run.tag, other);
  }
}

// -- the run page's sections: what ran, how it ended, parameters, summary, environment ------------------
// Nested values become rows "a.b.c"; lists of plain values stay one row.
function flatten(value, prefix, out = []) {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.push([prefix, value]);
  }
  return out;
}

function plainText(value) {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value) && value.every((v) => typeof v !== "object")) return value.join(" ");
  if (typeof value === "object") return JSON.stringify(value, null, 1);
  return formatValue("", value);
}

function showRecordSections(run) {
  const r = run.record || {};
  const present = (rows) => rows.filter(([, v]) => v !== null && v !== undefined && v !== "");
  const what = present([
    ["command", r.argv ? r.argv.join(" ") : null],
    ["host", r.host], ["user", r.user], ["pid", r.pid], ["working directory", r.cwd],
    ["git commit", r.git_commit], ["Python", r.python], ["torch", r.torch],
    ["CUDA", ((run.environment || {}).facts || {}).cuda || ((run.environment || {}).facts || {}).torch_cuda || (r.environment || {}).torch_cuda],
    ["CUDA devices", Array.isArray(r.cuda_devices) ? r.cuda_devices.join(", ") || "none" : r.cuda_devices],
    ["lab-workbook writer", r.writer_version],
  ]);
  keyValueTable($("run-what"), what.length ? what : [["(nothing recorded)", ""]], (k, v) => plainText(v));
  const end = present([
    ["status", run.status], ["started", r.started], ["ended", r.ended],
    ["duration", run.duration === null || run.duration === undefined ? null : formatDuration(run.duration) + (r.ended ? "" : " (to the newest thing it wrote)")],
    ["last heartbeat", r.ended ? null : r.heartbeat],
  ]);
  keyValueTable($("run-end"), end, (k, v) => plainText(v));
  const status = $("run-end").querySelector("tr td");
  if (status) status.className = "status status-" + run.status;
  const error = r.error;
  $("run-error").hidden = !error;
  if (error) {
    $("run-error-type").textContent = error.type || "error";
    $("run-error-message").textContent = error.message || "";
    $("run-error-traceback").textContent = error.traceback || "";
    $("run-error-traceback").hidden = !error.traceback;
  }
  const attempts = run.attempts || [];
  const table = $("run-attempts");
  clear(table);
  table.hidden = attempts.length < 2;
  if (attempts.length > 1) {
    const head = table.insertRow();
    for (const title of ["attempt", "status", "host", "started", "ended", "error"]) head.appendChild(el("th", title));
    for (const a of attempts) {
      const tr = table.insertRow();
      for (const v of [a.attempt, a.status, a.host, a.started, a.ended, a.error ? `${a.error.type || ""}: ${a.error.message || ""}` : ""]) {
        tr.insertCell().textContent = v === null || v === undefined ? "" : String(v);
      }
      tr.cells[1].className = "status status-" + a.status;
    }
  }
  const summary = flatten(r.summary || {}, "");
  $("summary-section").hidden = !summary.length;
  keyValueTable($("run-summary"), summary, (k, v) => plainText(v));
  // Environment.txt: its facts (Python, platform, torch, CUDA, GPUs), then one row per package; the record's
  // environment summary and the variables it kept (env) too.
  const environment = run.environment || { facts: {}, packages: [] };
  const env = [
    ...Object.entries(environment.facts),
    ...environment.packages.map(([name, version, source]) => [name, source ? `${version} (${source})` : version]),
    ...flatten(r.environment || {}, "recorded"),
    ...flatten(r.env || {}, "variables"),
  ];
  $("env-section").hidden = !env.length;
  keyValueTable($("run-env"), env, (k, v) => plainText(v));
  filterEnvironment();
  const rest = Object.entries(r).filter(([k]) => !["artifacts", "summary", "environment", "env"].includes(k));
  keyValueTable($("record"), rest, (k, v) => plainText(v));
}

function filterEnvironment() {
  const text = ($("env-filter").value || "").toLowerCase();
  for (const tr of $("run-env").rows) tr.hidden = !!text && !tr.textContent.toLowerCase().includes(text);
}

function showParameters(run) {
  const table = $("params");
  clear(table);
  const sources = run.parameter_sources || [];
  if (!sources.length) {
    const tr = table.insertRow();
    tr.appendChild(el("th", "(none)"));
    tr.insertCell().textContent = `no ${((ui.config && ui.config.params) || [run.parameters_artifact]).join(", ")}`;
    return;
  }
  const seen = new Set();
  for (const source of sources) {
    const head = table.insertRow();
    const th = el("th", source.artifact, "source");
    th.colSpan = 2;
    head.appendChild(th);
    if (source.error) {
      const tr = table.insertRow();
      tr.appendChild(el("th", "(cannot be read)"));
      tr.insertCell().textContent = source.error;
      tr.className = "problem";
    }
    for (const [key, value] of Object.entries(source.parameters)) {
      const tr = table.insertRow();
      tr.dataset.source = source.artifact;
      tr.appendChild(el("th", key));
      tr.insertCell().textContent = formatValue("", value);
      if (seen.has(key)) { tr.className = "shadowed"; tr.title = "an earlier source gives this parameter"; }
      seen.add(key);
    }
  }
}

// -- images: one figure per image series, with a step slider (the latest step first) ----------------
// The step chosen for a series is in the URL (#/run/TAG?step.samples=1200), so a view of a picture can be
// shared; without it the series follows its latest step (a running run's page is shown again at every poll).
const stepKey = (name) => "step." + name;

function showImages(tag, images) {
  const box = $("images");
  $("images-section").hidden = !images.length;
  for (const url of ui.imageUrls) URL.revokeObjectURL(url);
  ui.imageUrls = [];
  clear(box);
  images.forEach((series) => {
    const figure = el("figure", null, "image-series");
    figure.dataset.name = series.name;
    figure.appendChild(el("h4", series.name));
    const img = document.createElement("img");
    img.alt = series.name;
    const label = el("figcaption", "");
    const last = series.artifacts.length - 1;
    const chosen = state().get(stepKey(series.name));
    const at = chosen === null ? -1 : series.steps.indexOf(Number(chosen));
    const index = at >= 0 ? at : last;  // a step the run does not have (yet) shows the latest
    const load = (i) => {
      const step = series.steps.length ? series.steps[i] : null;
      label.textContent = step === null ? series.artifacts[i] : `step ${step} (${i + 1} of ${series.steps.length})`;
      figure.dataset.step = step === null ? "" : String(step);
      loadImage(img, tag, series.artifacts[i]).catch(showError);
    };
    if (series.steps.length > 1) {
      const slider = document.createElement("input");
      slider.type = "range";
      slider.min = "0";
      slider.max = String(last);
      slider.value = String(index);
      slider.className = "step";
      slider.addEventListener("input", () => {
        const i = Number(slider.value);
        setState({ [stepKey(series.name)]: i === last ? null : series.steps[i] });  // the latest: follow it
        load(i);
      });
      figure.appendChild(slider);
    }
    figure.appendChild(label);
    figure.appendChild(img);
    box.appendChild(figure);
    load(index);
  });
}

async function loadImage(img, tag, name) {
  // Fetched with the token (an <img src> cannot send it), shown from a blob: URL; the newest request wins.
  img.dataset.want = name;
  const blob = await (await api(artifactUrl(tag, name))).blob();
  if (img.dataset.want !== name) return;
  const url = URL.createObjectURL(blob);
  ui.imageUrls.push(url);
  img.dataset.loaded = "";
  img.onload = () => { img.dataset.loaded = name; };
  img.src = url;
}

async function showDiff(tag, other) {
  const data = await apiJson("/api/diff?" + new URLSearchParams({ a: tag, b: other }).toString());
  const out = $("diff-output");
  clear(out);
  const table = el("table");
  table.id = "diff-params";
  const head = table.insertRow();
  for (const title of ["parameter", data.before, data.after]) head.appendChild(el("th", title));
  for (const row of data.parameters) {
    const tr = table.insertRow();
    tr.insertCell().textContent = row.name;
    tr.insertCell().textContent = formatValue("", row.before);
    tr.insertCell().textContent = formatValue("", row.after);
    tr.className = "differs";
  }
  for (const line of data.lineage || []) out.appendChild(el("p", line));
  if (data.environment) out.appendChild(el("p", `environment: ${data.environment}`, "diff-environment"));
  out.appendChild(el("h4", (data.parameters.length ? "Parameters that differ" : "No parameter differs") + ` (${data.parameters_artifact})`));
  out.appendChild(table);
  if (data.commits[0] !== data.commits[1]) out.appendChild(el("p", `commits: ${data.commits[0]} → ${data.commits[1]}`));
  out.appendChild(el("h4", `${data.patch_artifact}: ${data.patch ? "changes between the two runs" : "identical (or absent)"}`));
  if (data.patch) {
    const pre = el("pre");
    pre.id = "diff-patch";
    patchBlock(pre, data.patch);
    out.appendChild(pre);
  }
}

// -- wiring -------------------------------------------------------------------------------------
// Typing in a box replaces the history entry (one entry per view, not per keystroke); a choice pushes one,
// so Back returns to the previous view. Either way the URL is the whole state: show() draws the page from it.
function bindInputs() {
  const fields = { q: "q", status: "status", from: "from", to: "to", pfilter: "p", cols: "cols" };
  for (const [id, key] of Object.entries(fields)) {
    $(id).addEventListener("input", () => {
      setState({ [key]: $(id).value, page: null });
      if (key === "cols") scheduleRunsReload();
      else renderTable();
    });
  }
  const compare = { series: "series", fields: "fields", x: "x", legend: "legend", group: "group" };
  for (const [id, key] of Object.entries(compare)) {
    $(id).addEventListener("change", () => { setState({ [key]: $(id).value }, { push: true }); drawCompare().catch(showError); });
  }
  $("smooth").addEventListener("input", () => {
    $("smooth-value").textContent = $("smooth").value;
    setState({ smooth: $("smooth").value === "0" ? null : $("smooth").value });
  });
  $("smooth").addEventListener("change", () => drawCompare().catch(showError));
  for (const id of ["logx", "logy", "full"]) {
    $(id).addEventListener("change", () => { setState({ [id]: $(id).checked }, { push: true }); drawCompare().catch(showError); });
  }
  $("draw").addEventListener("click", () => {
    const changes = {};
    for (const [id, key] of Object.entries(compare)) changes[key] = $(id).value;
    setState(changes, { push: true });
    drawCompare().catch(showError);
  });
  $("clear").addEventListener("click", () => { setState({ sel: null }, { push: true }); showSelection().catch(showError); });
  $("prev").addEventListener("click", () => { setState({ page: Math.max(0, Number(state().get("page") || 0) - 1) || null }, { push: true }); renderTable(); });
  $("next").addEventListener("click", () => { setState({ page: Number(state().get("page") || 0) + 1 }, { push: true }); renderTable(); });
  $("diff-go").addEventListener("click", () => {
    const other = $("diff-with").value.trim();
    setState({ diff: other }, { push: true });
    showDiff(decodeURIComponent(route().path.slice("/run/".length)), other).catch(showError);
  });
  for (const [view, ids] of Object.entries(PANEL_VIEWS)) {
    $(ids.filter).addEventListener("input", () => { setState({ pf: $(ids.filter).value }); filterPanels(view); });
  }
  $("sweep-section").addEventListener("toggle", () => {
    if (!!state().get("sweep") !== $("sweep-section").open) setState({ sweep: $("sweep-section").open });
    renderSweep();
  });
  $("metric").addEventListener("change", () => {
    const value = $("metric").value;
    if (value.startsWith("+")) {  // a series field: its last/best columns are added to the table
      const column = value.slice(1);
      const cols = [...wantedCols().split(",").filter(Boolean), column].join(",");
      setState({ cols, metric: column.slice(column.lastIndexOf(":") + 1) + ".last" }, { push: true });
      $("cols").value = cols;
      loadRuns().catch(showError);
      return;
    }
    setState({ metric: value }, { push: true });
    renderSweep();
  });
  $("sx").addEventListener("change", () => { setState({ sx: $("sx").value }, { push: true }); renderSweep(); });
  $("sweep-runs").addEventListener("change", () => { setState({ sweeprows: $("sweep-runs").value }, { push: true }); renderSweep(); });
  $("brush-clear").addEventListener("click", () => { setState({ brush: null }, { push: true }); renderTable(); });
  $("across-name").addEventListener("change", () => { setState({ img: $("across-name").value, istep: null }, { push: true }); showAcross(); });
  $("across-step").addEventListener("input", () => {
    const series = ui.across && (ui.across.series.find((x) => x.name === $("across-name").value) || ui.across.series[0]);
    if (!series) return;
    const steps = [...new Set(Object.values(series.runs).flatMap((r) => r.steps))].sort((a, b) => a - b);
    const i = Number($("across-step").value);
    setState({ istep: i === steps.length - 1 ? null : steps[i] });
    showAcross();
  });
  $("table-wrap").addEventListener("scroll", () => requestAnimationFrame(() => { if (ui.table) renderRows(); }));
  $("env-filter").addEventListener("input", () => { setState({ env: $("env-filter").value }); filterEnvironment(); });
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem("lab-workbook-token", $("token").value);
    $("token-form").hidden = true;
    start();
  });
  // Back/Forward (popstate), a link or a URL pasted into the tab (hashchange; Chromium sends both): the page
  // is drawn again from the URL, once.
  window.addEventListener("popstate", () => show().catch(showError));
  window.addEventListener("hashchange", () => show().catch(showError));
}

let runsReload = null;
function scheduleRunsReload() {
  clearTimeout(runsReload);
  runsReload = setTimeout(() => loadRuns().catch(showError), 400);
}

function syncInputs() {
  const s = state();
  const values = { q: "q", status: "status", from: "from", to: "to", pfilter: "p", cols: "cols", series: "series", fields: "fields", x: "x", legend: "legend", group: "group", "sweep-runs": "sweeprows" };
  for (const [id, key] of Object.entries(values)) $(id).value = s.get(key) || (id === "x" ? "index" : "");
  $("smooth").value = s.get("smooth") || "0";
  $("smooth-value").textContent = $("smooth").value;
  for (const id of ["logx", "logy", "full"]) $(id).checked = !!s.get(id);
  $("panel-filter").value = s.get("pf") || "";
  $("sweep-section").open = !!s.get("sweep");
}

// The page as the URL says, whatever it showed before: a fresh tab, Back/Forward and a pasted link all end here.
async function show() {
  if (ui.shownUrl === location.href) return;
  ui.shownUrl = location.href;
  const r = route();
  showError(null);
  if (r.path.startsWith("/run/")) {
    $("runs-view").hidden = true;
    $("run-view").hidden = false;
    $("viewer-section").hidden = true;
    delete $("viewer-section").dataset.tag;
    clear($("diff-output"));
    $("env-filter").value = r.params.get("env") || "";
    $("run-panel-filter").value = r.params.get("pf") || "";
    await showRun(decodeURIComponent(r.path.slice("/run/".length)));
  } else {
    $("run-view").hidden = true;
    $("runs-view").hidden = false;
    syncInputs();
    if (!ui.runs.rows.length) await loadRuns({ preview: true });
    if (!ui.runs.complete || ui.runsCols !== wantedCols()) await loadRuns();
    renderTable();
    await showSelection();
  }
}

async function poll() {
  try {
    const r = route();
    if (r.path.startsWith("/run/")) {
      const tag = decodeURIComponent(r.path.slice("/run/".length));
      // Until the run has ended: the poll that sees it end draws its last rows.
      if (!ENDED.has(ui.runStatus)) await showRun(tag);
    } else {
      await loadRuns();
      if (ui.drawn && curvesMayGrow(ui.drawn)) await drawCompare(true);
      if (ui.panelsDrawn.runs && curvesMayGrow(ui.panelsDrawn.runs)) await drawPanels("runs", selection());
    }
  } catch (err) {
    showError(err);
  } finally {
    ui.pollTimer = setTimeout(poll, ui.config.poll_seconds * 1000);
  }
}

async function start() {
  try {
    // The configuration is asked for while the first page of the table is read.
    ui.shownUrl = null;
    [ui.config] = await Promise.all([apiJson("/api/config"), show()]);
    $("store").textContent = ui.config.store;
    clearTimeout(ui.pollTimer);
    ui.pollTimer = setTimeout(poll, ui.config.poll_seconds * 1000);
  } catch (err) {
    showError(err);
  }
}

bindInputs();
start();

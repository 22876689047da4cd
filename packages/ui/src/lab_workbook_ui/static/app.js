// lab-workbook ui: the page's state and router. Plain JavaScript, no build step.
// index.html loads, in order: uPlot, sweep.js (the sweep view's SVG), table.js (the runs table),
// panels.js (the compare view, panels, images across runs), runpage.js (a run's page), then this file:
// the state (`ui`, the URL), the requests, the DOM helpers the others use, the wiring and the start.
// The other scripts only define functions and constants, so this one, loaded last, may call them all.
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

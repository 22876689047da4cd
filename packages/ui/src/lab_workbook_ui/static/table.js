// lab-workbook ui: the runs table: rows, filters, sorting, the rows on screen (windowing), the
// sweep view's inputs (sweep.js draws it), the selection and the series columns offered.
// Loaded by index.html after sweep.js and before app.js, which holds the state, the router and the helpers
// used here ($, ui, state, setState, api, el...) and starts the page once every script is loaded.
// Safety rule (as app.js): data from the store only ever goes on the page with textContent.
"use strict";

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

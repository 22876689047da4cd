// lab-workbook ui: a run's page: its record in sections, parameters, environment, summary,
// artifacts, images with a step slider, and the diff with another run.
// Loaded by index.html after sweep.js and before app.js, which holds the state, the router and the helpers
// used here ($, ui, state, setState, api, el...) and starts the page once every script is loaded.
// Safety rule (as app.js): data from the store only ever goes on the page with textContent.
"use strict";

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

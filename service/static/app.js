// The scenario page: a form generated from GET /v1/parameters (and presets when the
// service has them), which runs POST /v1/reports and shows the HTML report inline.
// Plain JavaScript, no build step, no outside resources.
"use strict";

const SKIP = new Set(["seed", "correlations", "precision", "sampling"]);
let parameters = [];
let lastBody = null;

function headers(extra) {
  const h = Object.assign({"Content-Type": "application/json"}, extra || {});
  const key = document.getElementById("api-key").value.trim();
  if (key) h["X-API-Key"] = key;
  return h;
}

function status(text) { document.getElementById("status").textContent = text; }

function showErrors(problem) {
  const list = document.getElementById("errors");
  list.replaceChildren();
  document.querySelectorAll(".invalid").forEach((el) => el.classList.remove("invalid"));
  const items = problem.errors && problem.errors.length ? problem.errors : [{pointer: "", detail: problem.detail}];
  for (const e of items) {
    const li = document.createElement("li");
    li.textContent = (e.pointer ? e.pointer.slice(1).replaceAll("/", ".") + ": " : "") + e.detail;
    list.appendChild(li);
    const field = document.querySelector(`[data-name="${CSS.escape(e.pointer.slice(1).split("/").slice(0, 2).join("."))}"]`);
    if (field) field.classList.add("invalid");
  }
}

function inputFor(p) {
  const label = document.createElement("label");
  label.dataset.name = p.name;
  label.append(p.name.replaceAll("_", " ") + (p.required ? " *" : ""));
  let input;
  if (p.type === "choice") {
    input = document.createElement("select");
    for (const c of p.choices) input.add(new Option(c, c));
  } else {
    input = document.createElement("input");
    input.type = "text";
    input.placeholder = p.default === null || p.default === undefined
      ? (p.default_text || "") : JSON.stringify(p.default);
  }
  input.name = p.name;
  input.id = "field-" + p.name.replaceAll(".", "-");
  label.appendChild(input);
  const hint = document.createElement("span");
  hint.className = "hint";
  hint.textContent = `${p.description} (${p.unit})` + (p.type === "uncertain" ? " A number, or JSON such as {\"dist\": \"pert\", \"low\": 20, \"mode\": 25, \"high\": 73}." : "");
  label.appendChild(hint);
  return label;
}

function parseValue(p, text) {
  if (p.type === "string" || p.type === "choice") return text;
  try { return JSON.parse(text); } catch (err) { return text; }  // the service names the field
}

function scenarioFromForm() {
  const body = {};
  for (const p of parameters) {
    if (SKIP.has(p.name)) continue;
    const el = document.querySelector(`[name="${CSS.escape(p.name)}"]`);
    if (!el) continue;
    const text = el.value.trim();
    if (text === "" || (p.type === "choice" && text === p.default)) continue;
    const value = parseValue(p, text);
    const parts = p.name.split(".");
    if (parts.length === 2) { (body[parts[0]] = body[parts[0]] || {})[parts[1]] = value; }
    else body[p.name] = value;
  }
  return body;
}

function fill(scenario) {
  for (const p of parameters) {
    const el = document.querySelector(`[name="${CSS.escape(p.name)}"]`);
    if (!el) continue;
    const parts = p.name.split(".");
    const value = parts.length === 2 ? (scenario[parts[0]] || {})[parts[1]] : scenario[p.name];
    el.value = value === undefined ? "" : (typeof value === "string" ? value : JSON.stringify(value));
  }
}

async function loadPresets() {
  try {
    const response = await fetch("/v1/presets", {headers: headers()});
    if (!response.ok) return;
    const data = await response.json();
    const select = document.getElementById("preset");
    for (const p of data.presets || []) select.add(new Option(p.title || p.id, p.id));
    select.addEventListener("change", async () => {
      if (!select.value) return;
      const r = await fetch("/v1/presets/" + encodeURIComponent(select.value), {headers: headers()});
      if (r.ok) fill((await r.json()).scenario || {});
    });
  } catch (err) { /* presets are optional */ }
}

async function loadParameters() {
  const response = await fetch("/v1/parameters", {headers: headers()});
  if (!response.ok) {
    status(response.status === 401 ? "This service needs an API key: enter it above." : "Could not load the inputs.");
    return;
  }
  parameters = (await response.json()).parameters;
  const box = document.getElementById("fields");
  document.getElementById("loading").remove();
  status("");
  for (const p of parameters) if (!SKIP.has(p.name)) box.appendChild(inputFor(p));
  fill({detainers_per_year: 1200, extra_days_per_detainer: {dist: "pert", low: 20, mode: 25, high: 73},
        daily_cost: {dist: "uniform", low: 55, high: 142}, trials: 10000, name: "My county"});
}

async function post(format, body) {
  return fetch("/v1/reports?format=" + format, {method: "POST", headers: headers(), body: JSON.stringify(body)});
}

async function run(event) {
  event.preventDefault();
  const body = scenarioFromForm();
  status("Running...");
  document.getElementById("errors").replaceChildren();
  const response = await post("html", body);
  if (!response.ok) {
    status(`The service answered ${response.status}.`);
    showErrors(await response.json());
    return;
  }
  lastBody = body;
  const frame = document.getElementById("report");
  frame.srcdoc = await response.text();
  frame.hidden = false;
  document.querySelectorAll(".download").forEach((b) => { b.disabled = false; });
  status("Done. The report is below; download it as PDF, XLSX or CSV.");
}

async function download(event) {
  const format = event.currentTarget.dataset.format;
  if (!lastBody) return;
  status(`Preparing the ${format.toUpperCase()}...`);
  const response = await post(format, lastBody);
  if (!response.ok) { showErrors(await response.json()); return; }
  const disposition = response.headers.get("Content-Disposition") || "";
  const match = /filename="([^"]+)"/.exec(disposition);
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = match ? match[1] : "report." + format;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  status(`Downloaded ${a.download}.`);
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("scenario-form").addEventListener("submit", run);
  document.querySelectorAll(".download").forEach((b) => b.addEventListener("click", download));
  document.getElementById("api-key").addEventListener("change", () => {
    if (!parameters.length) loadParameters().then(loadPresets);
  });
  loadParameters().then(loadPresets);
});

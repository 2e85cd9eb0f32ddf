// The scenario page. The form is built from GET /v1/parameters (the engine's field
// table): this file only says where a field sits in the chain of the model and how to
// call it in plain words; a field it does not know still appears, under "Other inputs",
// with the service's own description. Presets come from GET /v1/presets. Results come
// from POST /v1/simulations, /v1/comparisons and /v1/sensitivity as JSON and are drawn
// here; reports are downloaded from POST /v1/reports.
// Plain JavaScript, no build step, no outside resources, nothing inline (strict CSP).
"use strict";

// ---------------------------------------------------------------- the form's layout

const GROUPS = [
  {id: "about", title: "About this scenario"},
  {id: "volume", title: "1. How many detainers", intro: "Give the detainers a year if you know them; otherwise bookings and the share that draws a detainer."},
  {id: "honoring", title: "2. Detainers honored"},
  {id: "hold", title: "3. The hold", intro: "A detainer asks the jail to keep a person up to 48 hours past release."},
  {id: "stay", title: "4. The extra stay", intro: "People with a detainer rarely get bail or pretrial release, so they stay longer than the hold."},
  {id: "costs", title: "5. Costs"},
  {id: "offsets", title: "6. Offsets and payments"},
  {id: "liability", title: "Liability claims", optional: "Include wrongful-detention claims"},
  {id: "capacity", title: "Jail capacity", optional: "Include the cost of beds above rated capacity"},
  {id: "horizon", title: "7. Horizon and budget"},
  {id: "other", title: "Other inputs"},
  {id: "run", title: "Run settings", folded: true},
];

// Plain labels, the group, help and an example for the fields this page knows. Units,
// ranges, defaults and the description come from the service.
const FIELD_META = {
  name: {group: "about", label: "Scenario name", example: "My county"},
  description: {group: "about", label: "Notes", multiline: true, advanced: true},
  detainers_per_year: {group: "volume", label: "Detainers received a year", example: "1,200", form: "detainers"},
  bookings_per_year: {group: "volume", label: "Bookings a year", example: "25,000", form: "bookings"},
  detainer_rate: {group: "volume", label: "Detainers per booking", example: "4%", form: "rate"},
  match_rate: {group: "volume", label: "Bookings whose fingerprints match DHS records", example: "20%", form: "chain"},
  detainers_per_match: {group: "volume", label: "Matches on which ICE issues a detainer", example: "30%", form: "chain"},
  honor_rate: {group: "honoring", label: "Detainers the jail honors", example: "100%"},
  ice_pickup_rate: {group: "honoring", label: "Honored holds that end with ICE taking custody", example: "90%"},
  hold_rule: {group: "hold", label: "How the 48 hours are counted"},
  hold_hours: {group: "hold", label: "Length of the hold", example: "48", advanced: true},
  hold_window_used: {group: "hold", label: "Share of the hold spent before ICE picks the person up", example: "80%", advanced: true},
  release_weekday_weights: {group: "hold", label: "Release days of the week (relative weights)", advanced: true},
  extra_days_per_detainer: {group: "stay", label: "Extra days of stay per honored detainer", example: "20"},
  extra_stay_applies_to: {group: "stay", label: "Who the extra stay applies to", advanced: true},
  detainer_days_per_detainer: {group: "stay", label: "Days in jail per person with a detainer (upper bound)", example: "60", advanced: true},
  extra_days_cv: {group: "stay", label: "Spread of the extra days between people (coefficient of variation)", example: "1", advanced: true},
  daily_cost: {group: "costs", label: "Marginal cost of a bed-day", example: "$75"},
  daily_cost_average: {group: "costs", label: "Average (fully loaded) cost of a bed-day", example: "$120"},
  admin_cost_per_detainer: {group: "costs", label: "Processing cost per detainer", example: "$25", advanced: true},
  transport_cost_per_transfer: {group: "costs", label: "Transport cost per transfer to ICE", example: "$150", advanced: true},
  staff_hours_per_detainer: {group: "costs", label: "Staff time per detainer", example: "1.5", advanced: true},
  staff_hourly_cost: {group: "costs", label: "Cost of a staff hour", example: "$45", advanced: true},
  program_cost_per_year: {group: "costs", label: "Program cost (287(g) officers, training, software)", example: "$250,000", advanced: true},
  payment_per_honored_detainer: {group: "offsets", label: "Federal payment per honored detainer", example: "$45"},
  "offsets.scaap_eligible_share": {group: "offsets", label: "Share of bed-day costs eligible for SCAAP", example: "60%"},
  "offsets.scaap_reimbursement_rate": {group: "offsets", label: "Share of eligible costs SCAAP pays", example: "10%"},
  "offsets.other_reimbursement": {group: "offsets", label: "Other reimbursement a year", example: "$50,000", advanced: true},
  "liability.claims_per_1000_honored": {group: "liability", label: "Claims per 1,000 honored detainers", example: "0.5"},
  "liability.cost_per_claim": {group: "liability", label: "Cost of one claim", example: "$100,000"},
  "capacity.rated_beds": {group: "capacity", label: "Rated beds", example: "1,500"},
  "capacity.baseline_adp": {group: "capacity", label: "Average daily population without detainers", example: "1,400"},
  "capacity.overflow_daily_cost": {group: "capacity", label: "Cost of a bed-day above capacity", example: "$150"},
  horizon_years: {group: "horizon", label: "Years to simulate", example: "5"},
  start_year: {group: "horizon", label: "First year", example: "2026"},
  fiscal_year_start_month: {group: "horizon", label: "Month the fiscal year starts", months: true},
  bookings_growth: {group: "horizon", label: "Yearly growth of bookings", example: "2%", advanced: true},
  cost_inflation: {group: "horizon", label: "Yearly growth of costs", example: "3%", advanced: true},
  discount_rate: {group: "horizon", label: "Discount rate for the present value", example: "3%"},
  population: {group: "horizon", label: "County population", example: "250,000"},
  annual_budget: {group: "horizon", label: "County budget a year", example: "$1.2B"},
  thresholds: {group: "horizon", label: "Amounts to test the first year's cost against", example: "$1M; $5M", advanced: true},
  trials: {group: "run", label: "Trials", example: "10,000"},
  seed: {group: "run", label: "Random seed", example: "2877"},
  sampling: {group: "run", label: "Sampling method"},
  precision: {group: "run", label: "Stop early at this relative precision", example: "1%"},
  percentiles: {group: "run", label: "Percentiles to report", example: "5; 50; 95"},
  correlations: {skip: true},  // kept as loaded; no form for it (see keptNote)
};

const VOLUME_FORMS = [
  {id: "detainers", label: "I know the detainers a year", fields: ["detainers"]},
  {id: "bookings", label: "Bookings and detainers per booking", fields: ["bookings", "rate"]},
  {id: "chain", label: "Bookings, fingerprint matches and detainers per match", fields: ["bookings", "chain"]},
];

const SHAPES = [
  {id: "fixed", label: "A single figure", boxes: ["value"]},
  {id: "pert", label: "Low, likely, high (PERT)", boxes: ["low", "mode", "high"]},
  {id: "triangular", label: "Low, likely, high (triangle)", boxes: ["low", "mode", "high"]},
  {id: "uniform", label: "Anywhere from low to high", boxes: ["low", "high"]},
  {id: "range-lognormal", label: "90% range, skewed (lognormal)", boxes: ["low", "high"]},
  {id: "range-normal", label: "90% range, symmetric (normal)", boxes: ["low", "high"]},
  {id: "by-year", label: "Changes by year", boxes: []},
];
const BOX_LABEL = {value: "Figure", low: "Low", mode: "Likely", high: "High"};
const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

const ALTERNATIVE_TEMPLATES = [
  {id: "decline", name: "Decline all detainers", overrides: {honor_rate: 0},
   says: "The jail honors no detainer: no hold and no extra stay."},
  {id: "warrant", name: "Honor only with a judicial warrant", overrides: {honor_rate: null},
   says: "Enter the share of detainers that come with a warrant signed by a judge (ICE's detainer forms are signed by immigration officers)."},
  {id: "all", name: "Honor all detainers", overrides: {honor_rate: 1},
   says: "The jail honors every detainer."},
  {id: "state", name: "A state law takes effect in a given year", overrides: {},
   says: "Until the law takes effect the jail honors detainers as the scenario above says (its share honored, as entered there, a range or a schedule included); from that year on it honors none. Sent as a per-year schedule of the share honored."},
  {id: "custom", name: "Another policy", overrides: {}, says: "Choose the inputs it changes."},
];

// ---------------------------------------------------------------- state

let parameters = [];
const byName = new Map();
let presetData = null;       // the preset chosen, with its parameters' basis
let kept = {};               // fields the form cannot show (correlations), kept as loaded
let keptSpecs = {};          // distributions of a family the boxes cannot show, by field
let lastScenario = null;     // the scenario of the last run (for the report downloads)
let lastComparison = null;   // the body of the last comparison (for its report)
let altCounter = 0;
let calibrated = null;       // the basis of each input the last calibration filled, by field
let lastCalibration = null;  // the upload of the last calibration (for its report)

// ---------------------------------------------------------------- small helpers

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}
const $ = (id) => document.getElementById(id);
const idOf = (name) => "field-" + name.replaceAll(".", "-");
const SVG = "http://www.w3.org/2000/svg";
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c);
  return el;
}

function headers(extra) {
  return Object.assign({"Content-Type": "application/json"}, keyHeader(), extra || {});
}
function keyHeader() {
  const key = $("api-key").value.trim();
  return key ? {"X-API-Key": key} : {};
}
function status(text) { $("status").textContent = text; }

// What a field holds, from its unit: a share (shown as a percent), dollars, a year, a count.
function kindOf(p) {
  const unit = (p.unit || "").toLowerCase();
  if (unit.startsWith("share") || unit === "relative half-width") return "share";
  if (unit.includes("dollars")) return "money";
  if (unit === "calendar year") return "year";
  if (unit === "percent") return "percentile";
  return "count";
}
function unitText(p) {
  const kind = kindOf(p);
  if (kind === "share") return "%";
  if (kind === "money") return p.unit.replace("US dollars", "$");
  if (kind === "year" || p.type === "choice" || p.type === "string" || p.unit === "seed" || (FIELD_META[p.name] || {}).months) return "";
  return p.unit;
}
function labelOf(p) {
  const meta = FIELD_META[p.name];
  if (meta && meta.label) return meta.label;
  const last = p.name.split(".").pop().replaceAll("_", " ");
  return last.charAt(0).toUpperCase() + last.slice(1);
}
function groupOf(p) {
  const meta = FIELD_META[p.name];
  if (meta && meta.group) return meta.group;
  const head = p.name.split(".")[0];
  if (head !== p.name && GROUPS.some((g) => g.id === head)) return head;
  if (head === "offsets") return "offsets";
  return "other";
}

// ---------------------------------------------------------------- numbers as people type them

const SCALE = {k: 1e3, thousand: 1e3, m: 1e6, mn: 1e6, million: 1e6, b: 1e9, bn: 1e9, billion: 1e9};
const NUMBER = /^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^\.\d+$/;

// One amount typed into a box: {value} or {error}. Shares are typed as percents ("85",
// "85%", "0.5%"); money may carry "$"; any amount may carry k, M or B, and thousands
// separators. What cannot be read one way only is refused with the reason.
function parseAmount(text, p) {
  const kind = kindOf(p);
  let t = String(text).trim().toLowerCase().replace(/\u2212/g, "-").replace(/\s+/g, " ");
  if (t === "") return {empty: true};
  let sign = 1;
  if (t.startsWith("-")) { sign = -1; t = t.slice(1).trim(); }
  let dollar = false;
  let percent = false;
  if (t.startsWith("$")) { dollar = true; t = t.slice(1).trim(); }
  if (t.startsWith("-") && sign === 1) { sign = -1; t = t.slice(1).trim(); }
  if (t.endsWith("%")) { percent = true; t = t.slice(0, -1).trim(); }
  let scale = 1;
  const m = /^(.*?)\s*(k|thousand|mn|m|million|bn|b|billion)$/.exec(t);
  if (m) { scale = SCALE[m[2]]; t = m[1]; }
  if (!NUMBER.test(t)) {
    if (/^\d+,\d{1,2}$/.test(t)) return {error: `"${text}": use a point for decimals (1.5), commas only between thousands (25,000)`};
    return {error: `"${text}" is not a number we can read` + (kind === "share" ? " (type a percent, such as 85%)" : kind === "money" ? " (such as $75 or 1.2M)" : " (such as 25,000 or 1.2k)")};
  }
  let value = Number(t.replaceAll(",", "")) * scale * sign;
  if (dollar && kind !== "money") return {error: `"${text}": this is ${p.unit}, not dollars`};
  if (kind === "share") {
    if (scale !== 1) return {error: `"${text}": a share is a percent, such as 85%`};
    value = value / 100;
  } else if (percent && kind !== "percentile") {
    return {error: `"${text}": a percent fits only a share; this is ${p.unit}`};
  }
  if ((p.type === "integer" || kind === "year") && !Number.isInteger(value)) return {error: `"${text}": must be a whole number`};
  if (kind === "year" && (scale !== 1 || t.includes(","))) return {error: `"${text}": write the year as 2026`};
  value = Number(value.toPrecision(15));  // 0.07 typed as 7% stays 0.07
  return {value};
}

// A number as it would be typed back into the box.
function formatAmount(value, p) {
  if (typeof value !== "number") return "";
  const kind = kindOf(p);
  if (kind === "share") return String(Number((value * 100).toPrecision(12))) + "%";
  if (kind === "year" || p.name === "seed") return String(value);
  const text = value.toLocaleString("en-US", {maximumFractionDigits: 6});
  return kind === "money" ? "$" + text : text;
}

function parseList(text, p) {
  const out = [];
  for (const piece of String(text).split(/;|,\s+|\s+(?=[$\d.-])/)) {
    if (!piece.trim()) continue;
    const r = parseAmount(piece, p);
    if (r.error) return {error: r.error};
    out.push(r.value);
  }
  return {value: out};
}

// ---------------------------------------------------------------- distributions: preview

function shapeSpec(shape, boxes) {
  switch (shape) {
    case "fixed": return boxes.value;
    case "pert": case "triangular": return {dist: shape, low: boxes.low, mode: boxes.mode, high: boxes.high};
    case "uniform": return {dist: "uniform", low: boxes.low, high: boxes.high};
    case "range-lognormal": return {dist: "range", low: boxes.low, high: boxes.high, shape: "lognormal"};
    case "range-normal": return {dist: "range", low: boxes.low, high: boxes.high, shape: "normal"};
    default: return null;
  }
}
function shapeOfSpec(spec) {
  if (typeof spec === "number") return {shape: "fixed", boxes: {value: spec}};
  if (!spec || typeof spec !== "object") return null;
  const extra = Object.keys(spec).filter((k) => !["dist", "low", "mode", "high", "shape", "note", "value"].includes(k));
  if (extra.length) return null;
  if (spec.dist === "fixed" && typeof spec.value === "number") return {shape: "fixed", boxes: {value: spec.value}};
  if ((spec.dist === "pert" || spec.dist === "triangular") && "mode" in spec) return {shape: spec.dist, boxes: spec};
  if (spec.dist === "uniform") return {shape: "uniform", boxes: spec};
  if (spec.dist === "range") return {shape: "range-" + (spec.shape || "lognormal"), boxes: spec};
  return null;
}

// Relative density at n points across the likely span, for the sparkline; null if the
// boxes do not make a distribution yet.
const Z95 = 1.6448536269514722;
function density(shape, b, n) {
  let lo; let hi; let f;
  if (shape === "pert" || shape === "triangular") {
    if (!(b.low <= b.mode && b.mode <= b.high && b.low < b.high)) return null;
    lo = b.low; hi = b.high;
    const a = 1 + 4 * (b.mode - lo) / (hi - lo);
    const c = 1 + 4 * (hi - b.mode) / (hi - lo);
    f = shape === "pert"
      ? (x) => { const u = (x - lo) / (hi - lo); return Math.exp((a - 1) * Math.log(u) + (c - 1) * Math.log(1 - u)); }
      : (x) => (x <= b.mode ? (x - lo) / Math.max(b.mode - lo, 1e-12) : (hi - x) / Math.max(hi - b.mode, 1e-12));
  } else if (shape === "uniform") {
    if (!(b.low < b.high)) return null;
    lo = b.low; hi = b.high; f = () => 1;
  } else if (shape === "range-normal") {
    if (!(b.low < b.high)) return null;
    const mu = (b.low + b.high) / 2; const sd = (b.high - b.low) / (2 * Z95);
    lo = mu - 2.6 * sd; hi = mu + 2.6 * sd; f = (x) => Math.exp(-0.5 * ((x - mu) / sd) ** 2);
  } else if (shape === "range-lognormal") {
    if (!(b.low > 0 && b.low < b.high)) return null;
    const mu = (Math.log(b.low) + Math.log(b.high)) / 2; const sg = (Math.log(b.high) - Math.log(b.low)) / (2 * Z95);
    lo = Math.exp(mu - 2.6 * sg); hi = Math.exp(mu + 2.6 * sg);
    f = (x) => Math.exp(-0.5 * ((Math.log(x) - mu) / sg) ** 2) / x;
  } else if (shape === "kept" && (b.dist === "gamma" || b.dist === "normal" || b.dist === "lognormal") && b.mean > 0 && b.sd > 0) {
    // A family stated by mean and sd (a preset's or a file's), shown over mean +/- 3 sd.
    const m = b.mean; const sd = b.sd;
    lo = Math.max(b.dist === "normal" ? m - 3 * sd : 1e-9 * m, m - 3 * sd); hi = m + 3 * sd;
    if (b.dist === "gamma") {
      const k = (m / sd) ** 2; const th = sd * sd / m; const mode = Math.max((k - 1) * th, lo);
      f = (x) => Math.exp((k - 1) * Math.log(x / mode) - (x - mode) / th);  // 1 at the mode
    }
    else if (b.dist === "normal") f = (x) => Math.exp(-0.5 * ((x - m) / sd) ** 2);
    else { const s2 = Math.log(1 + (sd / m) ** 2); const mu = Math.log(m) - s2 / 2; f = (x) => Math.exp(-0.5 * (Math.log(x) - mu) ** 2 / s2) / x; }
  } else return null;
  const ys = [];
  for (let i = 0; i < n; i++) ys.push(f(lo + (hi - lo) * (i + 0.5) / n));
  const top = Math.max(...ys);
  return top > 0 && Number.isFinite(top) ? {lo, hi, ys: ys.map((y) => y / top)} : null;
}

function sparkline(box, shape, boxes, p) {
  box.replaceChildren();
  const d = density(shape, boxes, 24);
  if (!d) return;
  const w = 120; const ht = 28; const bw = w / d.ys.length;
  const svg = s("svg", {viewBox: `0 0 ${w} ${ht}`, width: w, height: ht, "aria-hidden": "true", focusable: "false"});
  d.ys.forEach((y, i) => svg.append(s("rect", {x: (i * bw + 0.5).toFixed(1), y: (ht - y * (ht - 2)).toFixed(1), width: (bw - 1).toFixed(1), height: (y * (ht - 2)).toFixed(1), class: "bar"})));
  box.append(svg, h("span", {class: "spark-range", text: `${formatAmount(d.lo, p)} to ${formatAmount(d.hi, p)}`}));
}

// ---------------------------------------------------------------- building the form

// The service's description, with `identifiers` as the labels of this page.
function plain(text) {
  return String(text).replace("(1 = all, 0 = none)", "(100% = all, 0% = none)").replace(/`([^`]+)`/g, (m, id) => (byName.has(id) ? `"${labelOf(byName.get(id))}"` : id.replaceAll("_", " ")))
    .replace(/\b([a-z]+(?:_[a-z0-9]+)+)\b/g, (m) => (byName.has(m) ? `"${labelOf(byName.get(m))}"` : m.replaceAll("_", " ")));
}

function helpText(p) {
  let text = plain(p.description);
  const def = p.default;
  if (/\babsent\b/i.test(p.description)) return text;  // the description says what blank means
  if (p.type !== "choice" && def !== null && def !== undefined && !(Array.isArray(def) && def.length === 0)) {
    if (Array.isArray(def)) text += ` Blank: ${def.join(", ")}.`;
    else if (typeof def === "number") text += ` Blank: ${formatAmount(def, p)}.`;
  } else if (p.default_text) text += ` Blank: ${plain(p.default_text)}.`;
  return text;
}

function fieldShell(p, control, opts) {
  const id = idOf(p.name);
  const unit = unitText(p);
  const label = h("label", {for: opts.labelFor || id, id: id + "-label"}, labelOf(p), unit && kindOf(p) !== "share" ? h("span", {class: "unit", text: ` (${unit})`}) : null,
    kindOf(p) === "share" ? h("span", {class: "visually-hidden", text: " (percent)"}) : null);
  const help = h("p", {class: "help", id: id + "-help", text: helpText(p)});
  const basis = h("p", {class: "basis", id: id + "-basis", hidden: true});
  const error = h("p", {class: "field-error", id: id + "-error", hidden: true});
  const meta = FIELD_META[p.name] || {};
  const wrap = h("div", {class: "field" + (opts.wide ? " wide" : ""), "data-name": p.name, "data-form": meta.form || null}, label, control, help, basis, error);
  return wrap;
}
function describe(input, name) {
  const id = idOf(name);
  input.setAttribute("aria-describedby", `${id}-help ${id}-basis ${id}-error`);
}

function textInput(p, id, example) {
  const kind = kindOf(p);
  const input = h("input", {type: "text", id, name: p.name, inputmode: p.type === "string" ? null : "decimal", autocomplete: "off",
    placeholder: example ? "e.g. " + example : null, spellcheck: "false"});
  if (kind === "share" || kind === "money") {
    return {input, node: h("span", {class: "adorned " + kind}, kind === "money" ? h("span", {class: "adorn", "aria-hidden": "true", text: "$"}) : null, input,
      kind === "share" ? h("span", {class: "adorn", "aria-hidden": "true", text: "%"}) : null)};
  }
  return {input, node: input};
}

function uncertainControl(p) {
  const id = idOf(p.name);
  const meta = FIELD_META[p.name] || {};
  const shape = h("select", {id: id + "-shape", class: "shape", "aria-describedby": `${id}-help`});
  for (const sh of SHAPES) if (sh.id !== "by-year" || p.schedulable) shape.add(new Option(sh.label, sh.id));
  const boxes = h("div", {class: "boxes"});
  const spark = h("div", {class: "spark", "aria-hidden": "true"});
  const keptNote = h("p", {class: "kept", id: id + "-kept", hidden: true});
  const byYear = h("div", {class: "by-year", hidden: true});
  const control = h("div", {class: "uncertain", role: "group", "aria-labelledby": id + "-label"}, shape, boxes, spark, byYear, keptNote);
  control.dataset.kind = "uncertain";
  let rowCount = 0;
  // One row of a schedule: the year a figure holds from, and the figure.
  function addYear(year, value) {
    rowCount += 1;
    const yearBox = h("input", {type: "text", id: `${id}-year-${rowCount}`, class: "year", inputmode: "numeric", autocomplete: "off", spellcheck: "false",
      value: year === undefined ? "" : String(year), "aria-label": `${labelOf(p)}: from the year`});
    describe(yearBox, p.name);
    const {input, node} = textInput(p, `${id}-from-${rowCount}`, meta.example);
    input.classList.add("from-value");
    input.setAttribute("aria-label", `${labelOf(p)}: the figure from that year${kindOf(p) === "share" ? " (percent)" : ""}`);
    describe(input, p.name);
    if (value !== undefined) input.value = formatAmount(value, p);
    for (const el of [yearBox, input]) el.addEventListener("input", edited);
    const row = h("div", {class: "year-row"}, h("span", {class: "box"}, h("span", {class: "box-label", "aria-hidden": "true", text: "From"}), yearBox),
      h("span", {class: "box"}, h("span", {class: "box-label", "aria-hidden": "true", text: "Figure"}), node),
      h("button", {type: "button", class: "remove-year", "aria-label": `Remove this year of ${labelOf(p).toLowerCase()}`, onclick: () => { edited(); row.remove(); }}, "Remove"));
    byYear.querySelector(".year-rows").append(row);
    return yearBox;
  }
  byYear.append(h("p", {class: "help", text: "Each figure holds from its year until the next year named; the first year named must be the first simulated year or earlier."}),
    h("div", {class: "year-rows"}), h("button", {type: "button", class: "add-year", onclick: () => {
    const years = [...byYear.querySelectorAll("input.year")].map((i) => Number(i.value.trim())).filter(Number.isInteger);
    addYear(years.length ? Math.max(...years) + 1 : formYears().first).focus();
  }}, "Add a year"));
  control.setYears = (table) => {
    byYear.querySelector(".year-rows").replaceChildren();
    for (const [y, v] of Object.entries(table)) addYear(y, v);
  };
  function draw(keepValues) {
    const current = keepValues ? readBoxes(control, p) : {};
    boxes.replaceChildren();
    byYear.hidden = shape.value !== "by-year";
    if (shape.value === "by-year" && !byYear.querySelector(".year-row")) {
      const v = current.values ? current.values.value ?? current.values.mode : undefined;
      addYear(formYears().first, current.errors && current.errors.length ? undefined : v);
    }
    const spec = SHAPES.find((x) => x.id === shape.value);
    if (!spec) return;
    for (const b of spec.boxes) {
      const boxId = b === "value" ? id : `${id}-${b}`;
      const {input, node} = textInput(p, boxId, b === "value" ? meta.example : null);
      input.dataset.box = b;
      const pct = kindOf(p) === "share" ? " (percent)" : "";
      input.setAttribute("aria-label", b === "value" ? labelOf(p) + pct : `${labelOf(p)}: ${BOX_LABEL[b].toLowerCase()}${pct}`);
      describe(input, p.name);
      const prior = current.values ? current.values[b] ?? current.values.value : undefined;
      if (prior !== undefined && !current.errors.length) input.value = formatAmount(prior, p);
      input.addEventListener("input", () => { edited(); preview(); });
      const wrap = h("span", {class: "box"}, b === "value" ? null : h("span", {class: "box-label", "aria-hidden": "true", text: BOX_LABEL[b]}), node);
      boxes.append(wrap);
    }
    preview();
  }
  // A note that came with the value (a preset's basis) goes with it until it is edited.
  function edited() {
    if (control.note === undefined) return;
    delete control.note;
    const basis = $(id + "-basis");
    if (!basis.hidden) basis.append(" (You changed this value.)");
  }
  function preview() {
    const r = readBoxes(control, p);
    if (shape.value === "fixed" || r.errors.length) { spark.replaceChildren(); return; }
    sparkline(spark, shape.value, r.values, p);
  }
  shape.addEventListener("change", () => {
    edited();
    if (shape.value !== "kept") { delete keptSpecs[p.name]; keptNote.hidden = true; }
    draw(true);
  });
  control.redraw = draw;
  control.preview = preview;
  draw(false);
  return control;
}

function readBoxes(control, p) {
  control.badBox = null;
  const values = {};
  const errors = [];
  let empty = 0; let count = 0;
  for (const input of control.querySelectorAll("input[data-box]")) {
    count += 1;
    const r = parseAmount(input.value, p);
    if (r.empty) { empty += 1; continue; }
    if (r.error) { errors.push(r.error); if (!control.badBox) control.badBox = input; } else values[input.dataset.box] = r.value;
  }
  return {values, errors, empty: empty === count, partial: empty > 0 && empty < count};
}

// A schedule typed year by year: {value: {schedule: {...}}}, {error, input} or {empty}.
function readYears(control, p) {
  const table = {};
  let filled = 0;
  for (const row of control.querySelectorAll(".year-row")) {
    const yearBox = row.querySelector("input.year");
    const input = row.querySelector("input.from-value");
    const yearText = yearBox.value.trim();
    const r = parseAmount(input.value, p);
    if (!yearText && r.empty) continue;
    filled += 1;
    if (!/^\d{4}$/.test(yearText)) return {error: `"${yearText}": give the year as 2026`, input: yearBox};
    if (yearText in table) return {error: `${yearText} is named twice`, input: yearBox};
    if (r.empty) return {error: `give the figure from ${yearText}`, input};
    if (r.error) return {error: r.error, input};
    table[yearText] = r.value;
  }
  if (!filled) return {empty: true};
  const spec = {schedule: table};
  return {value: control.note === undefined ? spec : {...spec, note: control.note}};
}

// A schedule the year rows show exactly: figures only, each typed back as it was.
function editableSchedule(value, p) {
  if (!isSchedule(value) || Object.keys(value).some((k) => k !== "schedule" && k !== "note") || !value.schedule || typeof value.schedule !== "object") return false;
  if (value.note !== undefined && typeof value.note !== "string") return false;
  const entries = Object.entries(value.schedule);
  return entries.length > 0 && entries.every(([y, v]) => /^\d{4}$/.test(y) && typeof v === "number" && parseAmount(formatAmount(v, p), p).value === v);
}

function choiceControl(p) {
  const select = h("select", {id: idOf(p.name), name: p.name});
  for (const c of p.choices) select.add(new Option(c.replaceAll("_", " ") + (c === p.default ? " (default)" : ""), c));
  if (p.default !== null && p.default !== undefined) select.value = p.default;
  else {
    select.insertBefore(new Option("(the default: see below)", ""), select.firstChild);
    select.value = "";
  }
  describe(select, p.name);
  return select;
}

function weightsControl(p) {
  const box = h("div", {class: "weights", role: "group", "aria-labelledby": idOf(p.name) + "-label"});
  WEEKDAYS.forEach((day, i) => {
    const input = h("input", {type: "text", inputmode: "decimal", id: `${idOf(p.name)}${i ? "-" + i : ""}`, "data-index": i, "aria-label": day, placeholder: "1"});
    describe(input, p.name);
    box.append(h("span", {class: "day"}, h("span", {"aria-hidden": "true", text: day}), input));
  });
  return box;
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

// A month (1-12) as a list of month names; blank: the service's default.
function monthControl(p) {
  const select = h("select", {id: idOf(p.name), name: p.name});
  select.add(new Option("(blank: calendar years)", ""));
  MONTHS.forEach((m, i) => select.add(new Option(m, String(i + 1))));
  describe(select, p.name);
  return select;
}

function buildField(p) {
  const meta = FIELD_META[p.name] || {};
  const id = idOf(p.name);
  let control;
  if (meta.months && p.type === "integer") control = monthControl(p);
  else if (p.type === "uncertain") control = uncertainControl(p);
  else if (p.type === "choice") control = choiceControl(p);
  else if (p.type === "weights") control = weightsControl(p);
  else if (p.type === "string" && meta.multiline) { control = h("textarea", {id, name: p.name, rows: 2}); describe(control, p.name); }
  else {
    const example = meta.example || (p.type === "numbers" ? "" : null);
    const t = textInput(p, id, example);
    describe(t.input, p.name);
    control = t.node;
  }
  const wrap = fieldShell(p, control, {labelFor: p.type === "uncertain" ? id + "-shape" : null, wide: p.type === "uncertain" || p.type === "weights" || meta.multiline || p.description.length > 160});
  wrap.dataset.type = p.type;
  return wrap;
}

function buildForm() {
  const root = $("groups");
  root.replaceChildren();
  const sections = new Map();
  for (const g of GROUPS) {
    const title = h("legend", {}, g.title);
    const fs = h("fieldset", {class: "group", id: "group-" + g.id}, title);
    if (g.intro) fs.append(h("p", {class: "intro", text: g.intro}));
    if (g.optional) {
      const toggle = h("input", {type: "checkbox", id: "include-" + g.id});
      fs.append(h("div", {class: "include"}, toggle, h("label", {for: "include-" + g.id, text: g.optional})));
      toggle.addEventListener("change", () => { body.hidden = !toggle.checked; });
    }
    const body = h("div", {class: "fields", id: "fields-" + g.id, hidden: g.optional ? true : null});
    const advanced = h("div", {class: "fields"});
    const details = h("details", {class: "advanced", hidden: true}, h("summary", {}, g.folded ? "Show the run settings" : "More inputs (advanced)"), advanced);
    fs.append(body, details);
    if (g.id === "volume") body.append(volumeChooser());
    sections.set(g.id, {fs, body, advanced, details});
    root.append(fs);
  }
  for (const p of parameters) {
    const meta = FIELD_META[p.name] || {};
    if (meta.skip) continue;
    const sec = sections.get(groupOf(p)) || sections.get("other");
    const field = buildField(p);
    const folded = meta.advanced || GROUPS.find((g) => g.id === groupOf(p))?.folded;
    if (folded) { sec.advanced.append(field); sec.details.hidden = false; }
    else sec.body.append(field);
  }
  for (const [id, sec] of sections) {
    if (!sec.body.querySelector(".field") && sec.details.hidden) sec.fs.remove();
    else if (id === "other" && !sec.body.querySelector(".field")) { sec.details.open = false; }
  }
  const folded = GROUPS.find((g) => g.folded);
  if (folded) { const sec = sections.get(folded.id); if (sec && !sec.body.querySelector(".field")) sec.body.remove(); }
  applyVolumeForm();
}

function volumeChooser() {
  const box = h("fieldset", {class: "choice-row", id: "volume-form"}, h("legend", {}, "How do you know the volume?"));
  VOLUME_FORMS.forEach((f, i) => {
    const input = h("input", {type: "radio", name: "volume-form", id: "volume-" + f.id, value: f.id, checked: i === 0});
    input.addEventListener("change", applyVolumeForm);
    box.append(h("span", {class: "radio"}, input, h("label", {for: "volume-" + f.id, text: f.label})));
  });
  return box;
}
function volumeForm() {
  const checked = document.querySelector("input[name=volume-form]:checked");
  return checked ? checked.value : "detainers";
}
function applyVolumeForm() {
  const form = VOLUME_FORMS.find((f) => f.id === volumeForm());
  for (const el of document.querySelectorAll("[data-form]")) {
    el.hidden = !form.fields.includes(el.dataset.form);
  }
}

// ---------------------------------------------------------------- reading and filling

function fieldEl(name) { return document.querySelector(`.field[data-name="${CSS.escape(name)}"]`); }
function isActive(el) {
  if (!el || el.hidden) return false;
  const group = el.closest("fieldset.group");
  const toggle = group && group.querySelector(".include input");
  return !(toggle && !toggle.checked);
}

// The value of one field: {value}, {error} or {empty}.
function readField(p) {
  const el = fieldEl(p.name);
  if (!el) return {empty: true};
  if (p.type === "uncertain") {
    const control = el.querySelector(".uncertain");
    const shape = control.querySelector("select.shape").value;
    if (shape === "kept") return {value: keptSpecs[p.name]};
    if (shape === "by-year") return readYears(control, p);
    const r = readBoxes(control, p);
    if (r.errors.length) return {error: r.errors[0], input: control.badBox};
    if (r.empty) return {empty: true};
    if (r.partial) return {error: "fill in every box of the range, or choose a single figure"};
    const spec = shapeSpec(shape, r.values);
    if (control.note === undefined) return {value: spec};
    return {value: typeof spec === "number" ? {dist: "fixed", value: spec, note: control.note} : {...spec, note: control.note}};
  }
  if (p.type === "weights") {
    const inputs = [...el.querySelectorAll("input")];
    if (inputs.every((i) => !i.value.trim())) return {empty: true};
    const out = [];
    for (const i of inputs) {
      const t = i.value.trim() || "1";
      const r = parseAmount(t, {...p, unit: "weight"});
      if (r.error) return {error: r.error};
      out.push(r.value);
    }
    return {value: out};
  }
  const input = el.querySelector("input, select, textarea");
  const text = input.value;
  if (p.type === "choice") return text === "" || text === p.default ? {empty: true} : {value: text};
  if (p.type === "string") return text.trim() === "" ? {empty: true} : {value: text.trim()};
  if (p.type === "numbers") { if (!text.trim()) return {empty: true}; return parseList(text, p); }
  return parseAmount(text, p);
}

function writeField(p, value) {
  const el = fieldEl(p.name);
  if (!el) return;
  if (p.type === "uncertain") {
    const control = el.querySelector(".uncertain");
    const shape = control.querySelector("select.shape");
    const old = shape.querySelector("option[value=kept]");
    if (old) old.remove();
    delete keptSpecs[p.name];
    delete control.note;
    control.querySelector(".kept").hidden = true;
    const known = value === undefined || value === null ? {shape: "fixed", boxes: {}} : shapeOfSpec(value);
    if (editableSchedule(value, p) && shape.querySelector("option[value=by-year]")) {
      shape.value = "by-year";
      control.setYears(value.schedule);
      control.redraw(false);
      if (typeof value.note === "string") control.note = value.note;
      const details = el.closest("details");
      if (details) details.open = true;
    } else if (known) {
      control.setYears({});
      shape.value = known.shape;
      control.redraw(false);
      for (const input of control.querySelectorAll("input[data-box]")) {
        const v = known.boxes[input.dataset.box];
        input.value = v === undefined ? "" : formatAmount(v, p);
      }
      control.preview();
      if (value && typeof value === "object" && typeof value.note === "string") control.note = value.note;
    } else {
      control.setYears({});
      keptSpecs[p.name] = value;
      const schedule = isSchedule(value);
      shape.add(new Option(schedule ? "Per-year schedule (as loaded)" : `As loaded (${value.dist || "a distribution"})`, "kept"));
      shape.value = "kept";
      control.redraw(false);
      const note = control.querySelector(".kept");
      if (schedule) {
        // Kept whole and sent as it came; shown year by year, where it can be seen.
        control.querySelector(".spark").replaceChildren();
        note.textContent = `Kept as loaded, a ${scheduleWords(value, p)}: each value holds from its year until the next one named. Choose a shape to give one value for every year instead.`;
        const details = el.closest("details");
        if (details) details.open = true;
      } else {
        sparkline(control.querySelector(".spark"), "kept", value, p);
        note.textContent = `Kept as loaded: ${specWords(value, p)}. Choose a shape to enter it in boxes instead.`;
      }
      note.hidden = false;
    }
    return;
  }
  if (p.type === "weights") {
    const inputs = el.querySelectorAll("input");
    inputs.forEach((i, k) => { i.value = Array.isArray(value) ? String(value[k]) : ""; });
    return;
  }
  const input = el.querySelector("input, select, textarea");
  if (p.type === "choice") input.value = value === undefined || value === null ? (p.default ?? "") : value;
  else if (p.type === "string") input.value = value ?? "";
  else if (p.type === "numbers") input.value = Array.isArray(value) ? value.map((v) => formatAmount(v, p)).join("; ") : "";
  else input.value = value === undefined || value === null ? "" : formatAmount(value, p);
}

function specWords(spec, p) {
  if (typeof spec === "number") return formatAmount(spec, p);
  if (isSchedule(spec)) return scheduleWords(spec, p);
  const parts = Object.entries(spec).filter(([k]) => k !== "dist" && k !== "note")
    .map(([k, v]) => `${k.replaceAll("_", " ")} ${typeof v === "number" && !["trials", "successes", "dispersion", "lambda"].includes(k) ? formatAmount(v, p) : Array.isArray(v) ? v.length + " values" : v}`);
  return `${spec.dist} distribution, ${parts.join(", ")}`;
}

// A value given per year: {"schedule": {"2026": 1, "2028": 0.05}, "note": ...}.
function isSchedule(v) {
  return Boolean(v) && typeof v === "object" && !Array.isArray(v) && "schedule" in v && !("dist" in v);
}
// "per-year schedule (from 2026: 100%; from 2028: 5%)": each value holds from its year
// until the next one named.
function scheduleWords(spec, p) {
  const table = spec.schedule && typeof spec.schedule === "object" ? spec.schedule : {};
  const years = Object.keys(table).sort((a, b) => Number(a) - Number(b));
  const parts = years.map((y) => `from ${y}: ${specWords(table[y], p)}`);
  return `per-year schedule (${parts.join("; ") || "no years"})`;
}
// Whether `name` is a group of fields (offsets, liability, capacity), not a field.
function isGroup(name) { return !byName.has(name) && parameters.some((q) => q.name.startsWith(name + ".")); }

function valueAt(scenario, name) {
  const parts = name.split(".");
  return parts.length === 2 ? (scenario[parts[0]] || {})[parts[1]] : scenario[name];
}

// The scenario the form states: {scenario, errors: [{name, detail}]}.
function readScenario() {
  const scenario = {};
  const errors = [];
  for (const p of parameters) {
    if ((FIELD_META[p.name] || {}).skip) continue;
    const el = fieldEl(p.name);
    if (!isActive(el)) continue;
    const r = readField(p);
    if (r.error) { errors.push({name: p.name, detail: r.error, input: r.input}); continue; }
    if (r.empty) {
      const group = el.closest("fieldset.group");
      if (p.required && (p.name.includes(".") ? group && group.querySelector(".include input") : true)) {
        errors.push({name: p.name, detail: "needed" + (p.name.includes(".") ? " when this group is included" : "")});
      }
      continue;
    }
    const parts = p.name.split(".");
    if (parts.length === 2) (scenario[parts[0]] = scenario[parts[0]] || {})[parts[1]] = r.value;
    else scenario[p.name] = r.value;
  }
  Object.assign(scenario, kept);
  return {scenario, errors};
}

function fillScenario(scenario) {
  kept = {};
  for (const [k, v] of Object.entries(scenario)) {
    if ((FIELD_META[k] || {}).skip || (!byName.has(k) && !parameters.some((p) => p.name.startsWith(k + ".")))) kept[k] = v;
  }
  for (const p of parameters) {
    if ((FIELD_META[p.name] || {}).skip) continue;
    writeField(p, valueAt(scenario, p.name));
  }
  for (const g of ["liability", "capacity"]) {
    const toggle = $("include-" + g);
    if (toggle) { toggle.checked = Boolean(scenario[g]); $("fields-" + g).hidden = !toggle.checked; }
  }
  const form = "detainers_per_year" in scenario ? "detainers" : "match_rate" in scenario ? "chain" : "bookings_per_year" in scenario ? "bookings" : "detainers";
  const radio = $("volume-" + form);
  if (radio) radio.checked = true;
  applyVolumeForm();
  const keptNames = Object.keys(kept);
  $("kept-note")?.remove();
  if (keptNames.length) {
    $("groups").append(h("p", {class: "note", id: "kept-note", text: `Also kept as loaded (no form for it here): ${keptNames.join(", ")}.`}));
  }
  clearErrors();
  refreshLaws();
}

// ---------------------------------------------------------------- errors beside their fields

function clearErrors() {
  for (const el of document.querySelectorAll(".field-error")) { el.hidden = true; el.textContent = ""; }
  for (const el of document.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of document.querySelectorAll(".invalid")) el.classList.remove("invalid");
  $("errors").replaceChildren();
  $("error-summary").hidden = true;
}

// Errors [{name, detail}] (name a field's, or a pointer's text): beside each field, and
// listed with links at the top of the form, which takes the focus so it is read out.
function showErrors(errors, summaryTarget) {
  const list = $("errors");
  for (const e of errors) {
    const el = e.element || (e.name ? fieldEl(e.name) : null);
    if (!e.input && e.box && el) e.input = el.querySelector(`input[data-box="${CSS.escape(e.box)}"]`);
    const label = e.name && byName.has(e.name) ? labelOf(byName.get(e.name)) : (e.label || e.name || "The scenario");
    if (el) {
      const box = el.querySelector(".field-error") || el.querySelector(".alt-error");
      if (box) { box.textContent = (box.textContent ? box.textContent + " " : "") + capital(e.detail) + "."; box.hidden = false; }
      el.classList.add("invalid");
      const marked = e.input ? [e.input] : el.querySelectorAll("input, select:not(.shape), textarea");
      for (const input of marked) if (input.type !== "checkbox" && input.type !== "radio") input.setAttribute("aria-invalid", "true");
      const details = el.closest("details");
      if (details) details.open = true;
    }
    const target = e.input || (el ? el.querySelector("input[data-box]") || el.querySelector("input, select, textarea") : null);
    const item = h("li", {});
    if (target && target.id) item.append(h("a", {href: "#" + target.id, text: `${label}: ${e.detail}`}));
    else item.textContent = `${label}: ${e.detail}`;
    list.append(item);
  }
  const summary = summaryTarget || $("error-summary");
  if (summary === $("error-summary")) { summary.hidden = false; summary.focus(); }
}
function capital(t) { return t ? t.charAt(0).toUpperCase() + t.slice(1) : t; }

// A pointer of the service's answer as a field: "/daily_cost/low" -> daily_cost.
function fieldOfPointer(pointer) {
  const parts = (pointer || "").split("/").slice(1).map((x) => x.replaceAll("~1", "/").replaceAll("~0", "~"));
  if (!parts.length) return null;
  const two = parts.slice(0, 2).join(".");
  if (byName.has(two)) return two;
  return byName.has(parts[0]) ? parts[0] : null;
}

function problemErrors(problem, prefix) {
  const items = problem.errors && problem.errors.length ? problem.errors : [{pointer: "", detail: problem.detail || problem.title}];
  return items.map((e) => {
    let pointer = e.pointer || "";
    if (prefix && pointer.startsWith(prefix)) pointer = pointer.slice(prefix.length);
    const alt = /^\/alternatives\/(\d+)(?:\/(.*))?$/.exec(pointer);
    if (alt) {
      const card = document.querySelectorAll(".alternative")[Number(alt[1])];
      const name = card ? card.querySelector(".alt-name").value : "Alternative " + (Number(alt[1]) + 1);
      return {element: card, label: name, detail: (alt[2] ? alt[2].replace("overrides/", "").replaceAll("/", ".") + ": " : "") + e.detail};
    }
    const name = fieldOfPointer(pointer);
    if (name && kindOf(byName.get(name)) === "share") e = {...e, detail: String(e.detail).replace("between 0 and 1", "between 0% and 100%")};
    const detail = name && pointer.split("/").length > (name.includes(".") ? 3 : 2) ? `${pointer.split("/").pop()}: ${e.detail}` : e.detail;
    return {name: name || "", label: name ? null : pointer || "The scenario", detail, box: pointer.split("/").pop()};
  });
}

// ---------------------------------------------------------------- presets

async function loadPresets() {
  try {
    const response = await fetch("/v1/presets", {headers: headers()});
    if (!response.ok) return;
    const data = await response.json();
    const select = $("preset");
    for (const p of data.presets || []) select.add(new Option(p.title || p.id, p.id));
  } catch (err) { /* presets are optional */ }
}

async function choosePreset() {
  const id = $("preset").value;
  calibrated = null;
  const info = $("preset-info");
  if (!id) {
    presetData = null;
    info.hidden = true;
    info.replaceChildren();
    fillScenario({});
    showBasis();
    status("Cleared: a blank scenario.");
    return;
  }
  const response = await fetch("/v1/presets/" + encodeURIComponent(id), {headers: headers()});
  if (!response.ok) { status("Could not load that preset."); return; }
  presetData = await response.json();
  fillScenario(presetData.scenario || {});
  showPresetInfo(presetData);
  showBasis();
  status(`Filled from ${presetData.title}.`);
}

function showPresetInfo(p) {
  const info = $("preset-info");
  const src = p.source || {};
  const cite = [src.title ? `"${src.title}"` : null, src.publisher, src.year].filter(Boolean).join(", ");
  info.replaceChildren(
    h("h3", {text: p.title}),
    h("p", {text: p.summary || ""}),
    h("p", {}, h("strong", {text: "Source: "}), src.url ? h("a", {href: src.url, rel: "noreferrer", text: cite || src.url}) : cite || "not recorded", src.note ? ". " + src.note : ""),
    p.headline ? h("p", {}, h("strong", {text: "Published headline: "}), p.headline.text) : null,
    p.measure ? h("p", {}, h("strong", {text: "What it measures: "}), p.measure) : null,
    h("p", {class: "muted", text: "The basis of each input is shown beside it."}),
  );
  info.hidden = false;
}

function showBasis() {
  for (const el of document.querySelectorAll(".basis")) { el.hidden = true; el.textContent = ""; }
  const entries = presetData && presetData.parameters ? presetData.parameters : calibrated;
  if (!entries) return;
  for (const [name, entry] of Object.entries(entries)) {
    const el = fieldEl(name);
    if (!el) continue;
    const box = el.querySelector(".basis");
    box.replaceChildren(h("span", {class: "badge badge-" + (entry.basis || "none"), text: entry.basis || "basis"}), " ", entry.note || "");
    box.hidden = false;
  }
}

// ---------------------------------------------------------------- calibrating from records

// The columns POST /v1/calibrations reads, in plain words; a county's file may name them
// otherwise (the column boxes give its names: the request's "map").
const CALIBRATION_COLUMNS = [
  {name: "booking_id", label: "Booking id", required: true},
  {name: "booked_at", label: "Booked at (date and time)", required: true},
  {name: "released_at", label: "Released at (blank: still in custody)", required: true},
  {name: "detainer", label: "Detainer lodged (yes/no)", required: true},
  {name: "detainer_outcome", label: "Detainer outcome (honored, declined, cancelled, picked up)"},
  {name: "released_to_ice", label: "Released to ICE (yes/no)"},
  {name: "charge_class", label: "Charge class (to compare like with like)"},
];

function buildCalibrationColumns() {
  const box = $("calibrate-columns");
  box.replaceChildren();
  for (const c of CALIBRATION_COLUMNS) {
    const id = "calibrate-col-" + c.name;
    box.append(h("div", {class: "field", "data-column": c.name},
      h("label", {for: id}, c.label, h("span", {class: "unit", text: ` (${c.name}, ${c.required ? "required" : "optional"})`})),
      h("input", {type: "text", id, list: "calibrate-file-columns", autocomplete: "off", spellcheck: "false",
        placeholder: c.name, "data-column": c.name, "aria-describedby": "calibrate-map-help"})));
  }
}

// The header of a CSV file (its first line), for the column boxes' suggestions; an XLSX
// workbook is read by the service only.
async function csvHeader(file) {
  if (!/\.csv$/i.test(file.name) && file.type !== "text/csv") return [];
  const line = (await file.slice(0, 65536).text()).replace(/^\uFEFF/, "").split(/\r?\n/)[0] || "";
  const out = [];
  let cell = ""; let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') quoted = false; else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") { out.push(cell.trim()); cell = ""; } else cell += ch;
  }
  out.push(cell.trim());
  return out.filter(Boolean);
}

// A file chosen: its columns offered in the boxes, which open when one we need is not there.
async function calibrationFileChosen() {
  clearCalibrationError();
  const file = $("calibrate-file").files[0];
  const list = $("calibrate-file-columns");
  list.replaceChildren();
  const help = $("calibrate-map-help");
  help.textContent = "Give your file's column for each of ours that it names differently; leave the others blank.";
  if (!file) return;
  let columns = [];
  try { columns = await csvHeader(file); } catch (err) { columns = []; }
  for (const c of columns) list.append(h("option", {value: c}));
  if (!columns.length) return;
  const missing = CALIBRATION_COLUMNS.filter((c) => c.required && !columns.includes(c.name) && !$("calibrate-col-" + c.name).value.trim());
  help.textContent = `Your file's columns: ${columns.join(", ")}. ` + (missing.length
    ? `It has no ${missing.map((c) => c.name).join(", ")}: give its column for ${missing.length > 1 ? "each" : "it"}; leave the others blank if the names match.`
    : "Give your file's column for each of ours that it names differently; leave the others blank.");
  if (missing.length) $("calibrate-map").open = true;
}

function clearCalibrationError() {
  const box = $("calibrate-error");
  box.hidden = true;
  box.replaceChildren();
  for (const el of document.querySelectorAll("#calibrate [aria-invalid]")) el.removeAttribute("aria-invalid");
}

// The problem's errors as places in the file: "/rows/5/OUT_DT" is line 7 (the header is
// line 1, the first booking line 2), column OUT_DT; "/rows/booking_id" a column missing.
function calibrationProblems(problem) {
  const items = problem.errors && problem.errors.length ? problem.errors : [{pointer: "", detail: problem.detail || problem.title || "the service could not read the file"}];
  return items.map((e) => {
    const parts = (e.pointer || "").split("/").slice(1).map((x) => x.replaceAll("~1", "/").replaceAll("~0", "~"));
    let where = null; let input = null;
    if (parts[0] === "rows" && /^\d+$/.test(parts[1] || "")) {
      where = `Line ${Number(parts[1]) + 2}` + (parts.length > 2 ? `, column ${parts.slice(2).join("/")}` : "");
    } else if (parts[0] === "rows" && parts.length === 2) {
      where = `Column ${parts[1]}`;
      input = $("calibrate-col-" + parts[1]);
    } else if (parts[0] === "map") {
      where = `Column given for ${parts[1] || "a column"}`;
      input = $("calibrate-col-" + (parts[1] || ""));
    } else if (parts[0] === "extract_date") {
      where = "Date the extract was taken";
      input = $("calibrate-extract-date");
    } else if (parts[0] === "rows") where = "The file";
    else if (parts.length) where = parts.join(" ");
    return {where, detail: String(e.detail || ""), pointer: e.pointer || "", input};
  });
}

// A message as a sentence (after "Line 7, column X: " it stays in lower case).
function sentence(text, lower) { const t = String(text).trim(); const u = lower ? t : capital(t); return /[.!?)]$/.test(u) ? u : u + "."; }

// Errors beside the upload control, announced (role=alert) and focused.
function calibrationError(items, title) {
  const box = $("calibrate-error");
  const shown = items.slice(0, 50);
  const rows = items.some((e) => /^\/rows\/\d+/.test(e.pointer));
  box.replaceChildren(...[
    h("p", {class: "upload-error-title", text: title}),
    h("ul", {}, shown.map((e) => h("li", {}, e.where ? h("strong", {text: e.where + ": "}) : null, sentence(e.detail, Boolean(e.where)),
      e.pointer ? h("span", {class: "muted small"}, " (", h("code", {text: e.pointer}), ")") : null))),
    items.length > shown.length ? h("p", {text: `And ${items.length - shown.length} more.`}) : null,
    rows && !$("calibrate-skip").checked ? h("p", {text: "Correct these rows in the file, or tick \u201cSkip bad rows\u201d to calibrate from the others (each row skipped is listed)."}) : null,
  ].filter(Boolean));
  box.hidden = false;
  $("calibrate-file").setAttribute("aria-invalid", "true");
  for (const e of items) {
    if (!e.input) continue;
    e.input.setAttribute("aria-invalid", "true");
    const details = e.input.closest("details");
    if (details) details.open = true;
  }
  box.focus();
}

async function calibrateFromRecords() {
  clearCalibrationError();
  const file = $("calibrate-file").files[0];
  if (!file) {
    calibrationError([{where: null, detail: "choose the bookings extract (a CSV or XLSX file) first", pointer: "", input: null}], "Nothing to calibrate yet:");
    status("Choose a bookings extract to calibrate from.");
    return;
  }
  const form = new FormData();
  form.append("rows", file, file.name);
  const map = {};
  for (const c of CALIBRATION_COLUMNS) {
    const v = $("calibrate-col-" + c.name).value.trim();
    if (v) map[c.name] = v;
  }
  if (Object.keys(map).length) form.append("map", JSON.stringify(map));
  if ($("calibrate-skip").checked) form.append("skip_bad_rows", "true");
  const date = $("calibrate-extract-date").value.trim();
  if (date) form.append("extract_date", date);
  status(`Calibrating from ${file.name}...`);
  $("calibrate-run").disabled = true;
  try {
    let response;
    try { response = await fetch("/v1/calibrations", {method: "POST", headers: keyHeader(), body: form}); }
    catch (err) {
      calibrationError([{where: null, detail: `the service could not be reached, or the file read (${err.message})`, pointer: "", input: null}], `${file.name} could not be sent:`);
      status(`${file.name} could not be sent.`);
      return;
    }
    const data = await response.json().catch(() => ({title: `The service answered ${response.status}.`}));
    if (!response.ok) {
      const items = calibrationProblems(data);
      const title = `${file.name} could not be calibrated (${items.length} problem${items.length > 1 ? "s" : ""}):`;
      if (response.status === 413) items.push({where: null, detail: "a larger extract calibrates on the command line (detainer-cost calibrate), which has no size limit", pointer: "", input: null});
      calibrationError(items, title);
      status(`${file.name} could not be calibrated: the reasons are beside the upload.`);
      return;
    }
    lastCalibration = {form, name: file.name};
    applyCalibration(data, file.name);
  } finally { $("calibrate-run").disabled = false; }
}

// The calibration's report: the same upload sent again for it (the service keeps
// nothing of the records), so the same numbers.
async function downloadCalibrationReport(event) {
  const format = event.currentTarget.dataset.format;
  if (!lastCalibration) return;
  status(`Preparing the calibration report (${format.toUpperCase()})...`);
  let response;
  try { response = await fetch("/v1/calibrations?format=" + format, {method: "POST", headers: keyHeader(), body: lastCalibration.form}); }
  catch (err) { status(`The report could not be prepared (${err.message}).`); return; }
  if (!response.ok) {
    const data = await response.json().catch(() => ({title: `The service answered ${response.status}.`}));
    const items = calibrationProblems(data);
    calibrationError(items, `The report of ${lastCalibration.name} could not be prepared:`);
    status("The report could not be prepared: the reasons are beside the upload.");
    return;
  }
  const match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
  saveBlob(await response.blob(), match ? match[1] : "calibration." + format);
}

// The notes a scenario's inputs carry (a calibration's, kept in a saved file or a link)
// as their basis; null when none does.
function notesBasis(scenario) {
  const out = {};
  for (const p of parameters) {
    const spec = valueAt(scenario, p.name);
    if (!spec || typeof spec !== "object" || Array.isArray(spec) || typeof spec.note !== "string") continue;
    const calibratedNote = /^calibrated:\s*/.test(spec.note);
    out[p.name] = {basis: calibratedNote ? "calibrated" : "note", note: spec.note.replace(/^calibrated:\s*/, "")};
  }
  return Object.keys(out).length ? out : null;
}

// Each fitted input's basis: its note (records, dates, method, n), or the estimate's method.
function calibrationBasis(data) {
  const out = {};
  const noteOf = (spec) => (spec && typeof spec === "object" && !Array.isArray(spec) && typeof spec.note === "string" ? spec.note : null);
  for (const e of data.estimates || []) {
    out[e.field] = {basis: "calibrated", note: (noteOf(valueAt(data.scenario, e.field)) || `${e.method}; n = ${e.n}`).replace(/^calibrated:\s*/, "")};
  }
  for (const [name, spec] of Object.entries(data.scenario || {})) {
    if (!out[name] && noteOf(spec)) out[name] = {basis: "calibrated", note: noteOf(spec).replace(/^calibrated:\s*/, "")};
  }
  return out;
}

// The result: the form filled (the calibration's basis beside each input) and a summary.
function applyCalibration(data, filename) {
  const scenario = data.scenario || {};
  $("preset").value = "";
  presetData = null;
  $("preset-info").hidden = true;
  fillScenario(scenario);
  calibrated = calibrationBasis(data);
  showBasis();
  if (lastScenario) $("stale").hidden = false;
  renderCalibration(data, filename);
  const box = $("calibration");
  box.hidden = false;
  box.focus();
  const needsCost = !("daily_cost" in scenario) && !("daily_cost_average" in scenario);
  status(`Calibrated from ${filename}: ${count(data.counts.rows)} records read; the form is filled from them.` + (needsCost ? " Add the cost of a bed-day to run it." : ""));
}

function renderCalibration(data, filename) {
  const c = data.counts;
  const es = data.extra_stay;
  const days = (v) => (typeof v === "number" ? v.toLocaleString("en-US", {minimumFractionDigits: 1, maximumFractionDigits: 1}) : "n/a");
  const interval = (pair) => (pair && typeof pair[0] === "number" && typeof pair[1] === "number" ? `${days(pair[0])} to ${days(pair[1])}` : "none");
  const [from, to] = data.date_range.map((d) => String(d).slice(0, 10));
  const box = $("calibration");
  const facts = [
    ["Records read", count(c.rows)],
    ["Rows skipped", count(c.skipped_rows)],
    ["Bookings used", count(c.bookings)],
    ["With a detainer", count(c.detainer_bookings)],
    ["Still in custody (censored)", count(c.censored)],
  ];
  const estimates = table("The stay a detainer adds, in days per detainer booking (95% intervals)", ["Method", "Days", "95% interval"], [
    [`${capital(es.used)} (used)`, days(es.adjusted), interval(es.adjusted_ci95)],
    ["Unadjusted: all detainer bookings against all others", days(es.unadjusted), interval(es.unadjusted_ci95)],
    ["Log-linear regression on the detainer flag and the charge classes", days(es.regression), interval(es.regression_ci95)],
    [`Entered in the form as the extra days per detainer: the first, less the mean hold of ${es.hold_days.toFixed(2)} days (the model adds the hold itself)`, days(es.extra_days_per_detainer), interval(es.extra_days_per_detainer_ci95)],
  ]);
  const warnings = data.warnings || [];
  const skipped = data.skipped_rows || [];
  const columns = Object.entries(data.columns || {}).map(([ours, theirs]) => (ours === theirs ? ours : `${ours} from ${theirs}`));
  const formats = Object.entries(data.date_formats || {}).map(([col, f]) => `${col}: ${f.join(" and ")}`);
  const needsCost = !("daily_cost" in data.scenario) && !("daily_cost_average" in data.scenario);
  // Some sit under "More inputs (advanced)": each is named, and where it is.
  const filled = (data.estimates || []).filter((e) => byName.has(e.field)).map((e) => {
    const p = byName.get(e.field);
    const el = fieldEl(e.field);
    const group = el && el.closest("fieldset.group");
    const where = group ? group.querySelector("legend").textContent.replace(/^\d+\.\s*/, "") : "";
    return labelOf(p).toLowerCase() + (el && el.closest("details") ? ` (under \u201cMore inputs\u201d in ${where})` : "");
  });
  box.replaceChildren(...[
    h("h3", {id: "calibration-title", text: `Calibrated from ${filename}`}),
    h("p", {text: `Bookings from ${from} to ${to}. The form below is filled from them: each fitted input shows how it was estimated, as its basis.`}),
    filled.length ? h("p", {id: "calibration-filled", text: `Inputs fitted: ${filled.join("; ")}.`}) : null,
    h("dl", {class: "facts", id: "calibration-counts"}, facts.map(([k, v]) => h("div", {}, h("dt", {text: k}), h("dd", {text: v})))),
    h("p", {class: "key", id: "calibration-extra"}, `A detainer adds ${days(es.adjusted)} days to a stay (95% interval ${interval(es.adjusted_ci95)} days), by ${es.used}.`),
    h("p", {class: "small", text: `Why: ${sentence(es.why)}`}),
    estimates,
    h("h4", {text: `Warnings (${warnings.length})`}),
    warnings.length ? h("ul", {id: "calibration-warnings"}, warnings.map((w) => h("li", {text: sentence(w)}))) : h("p", {text: "None."}),
    skipped.length ? h("details", {class: "advanced", id: "calibration-skipped", open: skipped.length <= 10},
      h("summary", {}, `Rows skipped (${skipped.length})`),
      h("ul", {}, skipped.map((r) => h("li", {}, h("strong", {text: `Line ${r.line}, column ${r.column}: `}), sentence(r.reason, true))))) : null,
    h("p", {class: "small"}, `Columns read: ${columns.join("; ")}. Date formats found: ${formats.join("; ") || "none"}. ${sentence(data.censoring)}`),
    h("div", {class: "downloads"}, h("span", {text: "Download the calibration report:"}),
      ["pdf", "html"].map((f) => h("button", {type: "button", class: "calibration-report", "data-format": f, onclick: downloadCalibrationReport}, f.toUpperCase()))),
    needsCost ? h("p", {class: "note"}, "The records say nothing of costs: give the ", h("a", {href: "#field-daily_cost-shape", text: "cost of a bed-day"}), " (and any other costs and offsets you know) before running.") : null,
  ].filter(Boolean));
}

// ---------------------------------------------------------------- numbers in results

function money(v) {
  if (!Number.isFinite(v)) return "n/a";
  const a = Math.abs(v);
  const sign = v < 0 ? "-" : "";
  if (a >= 1e9) return `${sign}$${(a / 1e9).toPrecision(3)} billion`;
  if (a >= 1e6) return `${sign}$${(a / 1e6).toPrecision(3)} million`;
  return sign + "$" + Math.round(a).toLocaleString("en-US");
}
function dollars(v) { return (v < 0 ? "-$" : "$") + Math.round(Math.abs(v)).toLocaleString("en-US"); }
function count(v) { return Math.round(v).toLocaleString("en-US"); }
function pct(v) { return (v * 100).toLocaleString("en-US", {maximumFractionDigits: v < 0.01 ? 2 : 1}) + "%"; }
function shortMoney(v) {
  const a = Math.abs(v); const sign = v < 0 ? "-" : "";
  if (a >= 1e9) return `${sign}$${trim(a / 1e9)}B`;
  if (a >= 1e6) return `${sign}$${trim(a / 1e6)}M`;
  if (a >= 1e3) return `${sign}$${trim(a / 1e3)}k`;
  return `${sign}$${trim(a)}`;
}
function trim(x) { return String(Number(x.toPrecision(3))); }
function pctl(summary, q) { return summary.percentiles["p" + q]; }
function range90(summary, fmt) {
  const lo = pctl(summary, 5); const hi = pctl(summary, 95);
  return lo === undefined || hi === undefined ? "" : `${fmt(lo)} to ${fmt(hi)}`;
}
function middle(summary) { const m = pctl(summary, 50); return m === undefined ? summary.mean : m; }

// Ticks at 1, 2 or 5 times a power of ten, so no two labels repeat.
function niceTicks(lo, hi, n) {
  if (!(hi > lo)) { hi = lo + 1; }
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((st) => st >= raw);
  const out = [];
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.max(Math.ceil(hi / step - 1e-9), first + 1);
  for (let k = first; k <= last; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

// ---------------------------------------------------------------- charts (SVG)

// Charts are drawn at the width they are shown (text stays readable on a phone).
function chartWidth() { return Math.max(300, Math.min(720, $("results").clientWidth || 640)); }

function chartFrame(title, w, ht) {
  const svg = s("svg", {viewBox: `0 0 ${w} ${ht}`, width: w, height: ht, class: "chart", role: "img", "aria-label": title, preserveAspectRatio: "xMinYMin meet"});
  return svg;
}

// Horizontal ranges (5th to 95th percentile, 25th to 75th, the median) of several rows.
function rangeChart(title, rows) {
  const w = chartWidth(); const rowH = 44; const left = Math.min(170, w * 0.3); const right = 24; const top = 10;
  const ht = top + rows.length * rowH + 30;
  const lo = Math.min(0, ...rows.map((r) => pctl(r.summary, 5)));
  const hi = Math.max(...rows.map((r) => pctl(r.summary, 95)));
  const ticks = niceTicks(lo, hi, 5);
  const x0 = ticks[0] ?? lo; const x1 = ticks[ticks.length - 1] ?? hi;
  const x = (v) => left + (w - left - right) * (v - x0) / (x1 - x0 || 1);
  const svg = chartFrame(title, w, ht);
  for (const t of ticks) {
    svg.append(s("line", {x1: x(t), x2: x(t), y1: top, y2: ht - 24, class: "grid"}));
    svg.append(s("text", {x: x(t), y: ht - 8, "text-anchor": "middle", class: "tick"}, shortMoney(t)));
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH + rowH / 2;
    svg.append(svgLabel(left - 8, y + 4, r.label, left / 8));
    svg.append(s("line", {x1: x(pctl(r.summary, 5)), x2: x(pctl(r.summary, 95)), y1: y, y2: y, class: "whisker"}));
    svg.append(s("rect", {x: x(pctl(r.summary, 25)), y: y - 9, width: Math.max(1, x(pctl(r.summary, 75)) - x(pctl(r.summary, 25))), height: 18, class: "box " + (r.cls || "")}));
    svg.append(s("line", {x1: x(pctl(r.summary, 50)), x2: x(pctl(r.summary, 50)), y1: y - 11, y2: y + 11, class: "median"}));
  });
  return svg;
}

// Bars from zero (positive right, negative left), labelled.
function barChart(title, rows) {
  const w = chartWidth(); const rowH = 34; const left = Math.min(200, w * 0.36); const right = 56; const top = 8;
  const ht = top + rows.length * rowH + 28;
  const lo = Math.min(0, ...rows.map((r) => r.value)); const hi = Math.max(0, ...rows.map((r) => r.value));
  const ticks = niceTicks(lo, hi, 4);
  const x0 = Math.min(ticks[0], lo); const x1 = Math.max(ticks[ticks.length - 1], hi);
  const x = (v) => left + (w - left - right) * (v - x0) / (x1 - x0 || 1);
  const svg = chartFrame(title, w, ht);
  for (const t of ticks) {
    svg.append(s("line", {x1: x(t), x2: x(t), y1: top, y2: ht - 22, class: "grid"}));
    svg.append(s("text", {x: x(t), y: ht - 6, "text-anchor": "middle", class: "tick"}, shortMoney(t)));
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const a = x(Math.min(0, r.value)); const b = x(Math.max(0, r.value));
    svg.append(svgLabel(left - 8, y + 17, r.label, left / 7.5));
    svg.append(s("rect", {x: a, y: y + 5, width: Math.max(1, b - a), height: 16, class: r.value < 0 ? "bar negative" : "bar"}));
    svg.append(s("text", {x: b + 4, y: y + 17, class: "value"}, shortMoney(r.value)));
  });
  return svg;
}

// The median by year with its 90% band.
function yearChart(title, years) {
  const w = chartWidth(); const ht = 220; const left = 64; const right = 16; const top = 10; const bottom = 28;
  const lo = Math.min(0, ...years.map((y) => pctl(y.net_cost, 5))); const hi = Math.max(...years.map((y) => pctl(y.net_cost, 95)));
  const ticks = niceTicks(lo, hi, 4);
  const y0 = ticks[0]; const y1 = ticks[ticks.length - 1];
  const X = (i) => left + (w - left - right) * (years.length === 1 ? 0.5 : i / (years.length - 1));
  const Y = (v) => top + (ht - top - bottom) * (1 - (v - y0) / (y1 - y0 || 1));
  const svg = chartFrame(title, w, ht);
  for (const t of ticks) {
    svg.append(s("line", {x1: left, x2: w - right, y1: Y(t), y2: Y(t), class: "grid"}));
    svg.append(s("text", {x: left - 6, y: Y(t) + 4, "text-anchor": "end", class: "tick"}, shortMoney(t)));
  }
  const band = years.map((y, i) => `${X(i)},${Y(pctl(y.net_cost, 95))}`).concat(years.map((y, i) => `${X(i)},${Y(pctl(y.net_cost, 5))}`).reverse());
  svg.append(s("polygon", {points: band.join(" "), class: "band"}));
  svg.append(s("polyline", {points: years.map((y, i) => `${X(i)},${Y(middle(y.net_cost))}`).join(" "), class: "line"}));
  const every = Math.ceil(years.length / 8);
  years.forEach((y, i) => { if (i % every === 0) svg.append(s("text", {x: X(i), y: ht - 8, "text-anchor": "middle", class: "tick"}, yearName(y))); });
  return svg;
}

// A label of at most two lines of about `width` characters, ending right at x.
function svgLabel(x, y, text, width) {
  const words = String(text).split(" ");
  const lines = [""];
  for (const w of words) {
    const line = lines[lines.length - 1];
    if (line && (line + " " + w).length > width && lines.length < 2) lines.push(w);
    else lines[lines.length - 1] = line ? line + " " + w : w;
  }
  const el = s("text", {x, y: y - (lines.length - 1) * 7, "text-anchor": "end", class: "label"});
  lines.forEach((line, i) => el.append(s("tspan", {x, dy: i ? 14 : 0}, line)));
  return el;
}

function figure(caption, svg) { return h("figure", {}, svg, h("figcaption", {text: caption})); }

let tableCount = 0;
function table(caption, head, rows) {
  tableCount += 1;
  const id = "table-caption-" + tableCount;
  const numeric = head.map((_, i) => rows.every((r) => /^-?\$?[\d.]/.test(String(r[i]))));
  return h("div", {class: "table-block"}, h("p", {class: "caption", id, text: caption}), h("div", {class: "table-wrap", role: "region", "aria-labelledby": id, tabindex: "0"},
    h("table", {"aria-labelledby": id},
      h("thead", {}, h("tr", {}, head.map((c, i) => h("th", {scope: "col", class: i && numeric[i] ? "num" : null, text: c})))),
      h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c, i) => (i ? h("td", {class: numeric[i] ? "num" : null, text: c}) : h("th", {scope: "row", text: c})))))))));
}

// ---------------------------------------------------------------- the result

const COMPONENT_LABEL = {
  hold: "The hold", extra_stay: "The extra stay", overflow_premium: "Beds above capacity", admin: "Processing",
  transport: "Transport", liability: "Liability claims", scaap_reimbursement: "SCAAP reimbursement",
  other_reimbursement: "Other reimbursement", federal_payment: "Federal payments per hold",
  staff: "Staff time", program: "Program cost",
};

function parameterRange(result) {
  const pr = result.parameter_range;
  if (!pr) return null;
  if (pr.percentiles) return pr;
  if (pr.annual_cost && pr.annual_cost.percentiles) return pr.annual_cost;
  return null;
}

function renderResult(result, scenario) {
  const out = $("result");
  out.replaceChildren();
  $("result-empty").hidden = true;
  const first = result.years && result.years.length ? result.years[0].year : result.provenance.start_year;
  const n = result.years ? result.years.length : 1;
  const yr1 = result.annual_cost;
  const basis = result.cost_basis === "average" ? "the fully loaded (average)" : "the marginal";
  const pr = parameterRange(result);
  const sentence = h("p", {class: "key", id: "key-sentence"},
    `${scenario.name ? scenario.name + ": h" : "H"}onoring immigration detainers is estimated to cost ${scenario.name ? "" : "the county "}${money(middle(yr1))} in ${first}`,
    ` (90% range ${range90(yr1, money)}), net of offsets, at ${basis} cost of a bed-day.`);
  out.append(sentence);
  if (pr) out.append(h("p", {class: "key-more"}, `From the uncertain inputs alone (without chance from person to person), the 90% range is ${range90(pr, money)}.`));
  if (n > 1) {
    const prTotal = result.parameter_range && result.parameter_range.total_cost;
    out.append(h("p", {class: "key-more"}, `Over ${n} years (${first} to ${first + n - 1}): ${money(middle(result.total_cost))} in all (90% range ${range90(result.total_cost, money)}${prTotal ? `; from the inputs alone ${range90(prTotal, money)}` : ""}); present value ${money(middle(result.present_value))}.`));
  }
  if (result.detainer_days_cost) {
    out.append(h("p", {class: "key-more"}, `Detainer-days, every day a person with a detainer spends in jail: ${money(middle(result.detainer_days_cost))} in ${first}. This is an upper bound, not an extra cost, and is in no total above.`));
  }
  if (result.average_basis) {
    out.append(h("p", {class: "key-more"}, `At the fully loaded (average) cost of a bed-day: ${money(middle(result.average_basis.annual_cost))} in ${first} (90% range ${range90(result.average_basis.annual_cost, money)}).`));
  }
  const facts = [
    ["Bed-days added in " + first, count(middle(result.bed_days))],
    ["Beds occupied on average", result.average_beds_occupied ? middle(result.average_beds_occupied).toLocaleString("en-US", {maximumFractionDigits: 1}) : "n/a"],
    ["Detainers honored in " + first, count(middle(result.honored))],
    ["Cost per honored detainer", result.cost_per_honored_detainer === null ? "n/a" : dollars(result.cost_per_honored_detainer)],
  ];
  if (result.per_capita_cost) facts.push(["Cost per resident", "$" + middle(result.per_capita_cost).toFixed(2)]);
  if (result.budget_share) facts.push(["Share of the county budget", pct(middle(result.budget_share))]);
  for (const e of result.exceedance || []) facts.push([`Chance the ${first} cost exceeds ${money(e.threshold)}`, pct(e.probability)]);
  out.append(h("dl", {class: "facts"}, facts.map(([k, v]) => h("div", {}, h("dt", {text: k}), h("dd", {text: v})))));

  const rows = [{label: "Full range", summary: yr1, cls: "full"}];
  if (pr) rows.push({label: "Inputs only", summary: pr, cls: "param"});
  const rangeNote = pr
    ? "The full range includes chance from person to person and year to year; the inputs-only range is what the uncertain inputs alone give."
    : "The range includes both the uncertain inputs and chance from person to person.";
  out.append(h("h3", {text: `Net cost in ${first}`}));
  out.append(figure(`Net cost in ${first}: the line spans the 5th to the 95th percentile, the box the middle half, the bar the median. ${rangeNote}`, rangeChart(`Net cost in ${first}`, rows)));
  const comps = Object.entries(result.components).map(([k, v]) => ({label: COMPONENT_LABEL[k] || k.replaceAll("_", " "), value: v.mean})).filter((r) => r.value !== 0);
  if (comps.length) {
    out.append(h("h3", {text: "Where the cost comes from"}));
    out.append(figure(`Mean cost of each component in ${first}; reimbursements are negative.`, barChart("Components of the cost", comps)));
  }
  if (n > 1) {
    out.append(h("h3", {text: "Year by year"}));
    out.append(figure("Net cost each year: the line is the median, the band the 90% range.", yearChart("Net cost by year", result.years)));
  }
  out.append(table("Each year (medians; the cost with its 90% range)", ["Year", "Net cost", "90% range", "Bed-days", "Detainers", "Honored"],
    result.years.map((y) => [yearName(y), dollars(middle(y.net_cost)), range90(y.net_cost, shortMoney), count(middle(y.bed_days)), count(middle(y.detainers)), count(middle(y.honored))])));
  const prov = result.provenance;
  const rule = {form_in_force: "the detainer form in use each year", business_hours: "48 business hours", clock_hours: "48 clock hours"}[prov.hold_rule];
  out.append(h("p", {class: "muted small"}, `${count(result.trials)} trials, seed ${prov.seed}${rule ? `, hold counted by ${rule}` : ""}, model ${prov.model_version}, scenario ${prov.scenario_sha256.slice(0, 12)}.`));
  $("downloads").hidden = false;
}

// ---------------------------------------------------------------- running

async function postJSON(path, body) {
  let response;
  try { response = await fetch(path, {method: "POST", headers: headers(), body: JSON.stringify(body)}); }
  catch (err) { return {ok: false, status: "no answer", data: {detail: "the service could not be reached (" + err.message + ")"}}; }
  const data = await response.json().catch(() => ({title: `The service answered ${response.status}.`}));
  return {ok: response.ok, status: response.status, data};
}

function scenarioOrErrors() {
  clearErrors();
  const {scenario, errors} = readScenario();
  if (errors.length) {
    showErrors(errors);
    status(`${errors.length} input${errors.length > 1 ? "s need" : " needs"} a look before running.`);
    return null;
  }
  return scenario;
}

async function run(event) {
  if (event) event.preventDefault();
  const scenario = scenarioOrErrors();
  if (!scenario) return;
  status("Running...");
  $("run").disabled = true;
  const started = performance.now();
  try {
    const answer = await postJSON("/v1/simulations", scenario);
    if (!answer.ok) {
      status(`The service could not run this scenario (${answer.status}).`);
      showErrors(problemErrors(answer.data));
      return;
    }
    lastScenario = scenario;
    $("stale").hidden = true;
    renderResult(answer.data, scenario);
    selectTab("tab-result");
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    status(`Done in ${seconds} s. The results are below.`);
    $("results").dataset.ranIn = seconds;
  } finally { $("run").disabled = false; }
}

async function download(event) {
  const format = event.currentTarget.dataset.format;
  const body = event.currentTarget.dataset.of === "comparison" ? lastComparison : lastScenario;
  if (!body) return;
  status(`Preparing the ${format.toUpperCase()}...`);
  const response = await fetch("/v1/reports?format=" + format, {method: "POST", headers: headers(), body: JSON.stringify(body)});
  if (!response.ok) { showErrors(problemErrors(await response.json())); return; }
  const disposition = response.headers.get("Content-Disposition") || "";
  const match = /filename="([^"]+)"/.exec(disposition);
  saveBlob(await response.blob(), match ? match[1] : "report." + format);
}

function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h("a", {href: url, download: filename, hidden: true});
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  status(`Downloaded ${filename}.`);
}

// ---------------------------------------------------------------- tabs

function selectTab(id) {
  for (const tab of document.querySelectorAll("[role=tab]")) {
    const on = tab.id === id;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    $(tab.getAttribute("aria-controls")).hidden = !on;
  }
}
function tabKeys(event) {
  const tabs = [...document.querySelectorAll("[role=tab]")];
  const i = tabs.indexOf(document.activeElement);
  if (i < 0) return;
  let j = null;
  if (event.key === "ArrowRight") j = (i + 1) % tabs.length;
  else if (event.key === "ArrowLeft") j = (i - 1 + tabs.length) % tabs.length;
  else if (event.key === "Home") j = 0;
  else if (event.key === "End") j = tabs.length - 1;
  if (j === null) return;
  event.preventDefault();
  selectTab(tabs[j].id);
  tabs[j].focus();
}

// ---------------------------------------------------------------- comparison builder

function overridable() {
  return parameters.filter((p) => !["trials", "seed", "horizon_years", "start_year", "precision", "name", "description", "sampling", "percentiles", "correlations"].includes(p.name)
    && ["uncertain", "number", "integer", "choice"].includes(p.type));
}

// ---- a state law taking effect in a given year

// The years the form simulates: its first year (blank: this year, as the service takes
// it) to its last.
function formYears() {
  const get = (name) => {
    const p = byName.get(name);
    if (!p || !fieldEl(name)) return undefined;
    const r = readField(p);
    return r.error || r.empty ? undefined : r.value;
  };
  const first = get("start_year") ?? new Date().getFullYear();
  const years = get("horizon_years") ?? byName.get("horizon_years")?.default ?? 1;
  // Fiscal years are named by the calendar year they end in, as results label them.
  const fiscal = get("fiscal_year_start_month") !== undefined;
  return {first, last: first + years - 1, name: (y) => (fiscal ? `FY${y}` : String(y))};
}
function lawName(year) { return `A state law takes effect in ${formYears().name(year)}`; }

// The share honored under a law taking effect in `year`: the baseline's value (a number,
// a distribution or its own schedule, exactly as entered; blank: the service's default)
// until then, none from then on. Each value of a schedule holds until the next year named.
function stateLawSchedule(value, first, year) {
  const table = {};
  if (isSchedule(value)) {
    for (const [y, v] of Object.entries(value.schedule)) if (Number(y) < year) table[y] = v;
  } else if (year > first) {
    table[String(first)] = value === undefined ? (byName.get("honor_rate")?.default ?? 1) : value;
  }
  table[String(year)] = 0;
  return {schedule: table};
}

// JSON with sorted keys, to compare values however their keys were ordered.
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") return `{${Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + canonical(v[k])).join(",")}}`;
  return JSON.stringify(v);
}

// The year of a loaded alternative's law, if its share honored is exactly what the
// state-law alternative would send for the scenario in the form; null otherwise (it is
// then kept as loaded).
function lawYearOf(overrides) {
  const v = (overrides || {}).honor_rate;
  if (!isSchedule(v) || Object.keys(v).length !== 1 || !v.schedule || typeof v.schedule !== "object") return null;
  const years = Object.keys(v.schedule).map(Number).sort((a, b) => a - b);
  const year = years[years.length - 1];
  const {first} = formYears();
  if (!Number.isInteger(year) || v.schedule[String(year)] !== 0 || year < first) return null;
  const honor = byName.get("honor_rate");
  const now = honor ? readField(honor) : {empty: true};
  if (now.error) return null;
  return canonical(stateLawSchedule(now.empty ? undefined : now.value, first, year)) === canonical(v) ? year : null;
}

// The year box of a state-law card, with the years it may take and what it will send.
function lawControl(n, year, nameInput) {
  const yid = `alt-${n}-year`;
  const input = h("input", {type: "text", class: "alt-year", id: yid, inputmode: "numeric", autocomplete: "off", spellcheck: "false",
    value: String(year), "aria-describedby": `${yid}-help ${yid}-error`});
  const help = h("p", {class: "help", id: `${yid}-help`});
  const error = h("p", {class: "field-error", id: `${yid}-error`, hidden: true});
  const sends = h("p", {class: "law-sends small"});
  const wrap = h("div", {class: "law"}, h("div", {class: "field"}, h("label", {for: yid, text: "Takes effect in (year)"}), input, help, error), sends);
  wrap.refresh = () => {
    const {first, last, name} = formYears();
    help.textContent = first < last ? `A year from ${first} to ${last}, the years simulated above${name(first) === String(first) ? "" : ` (fiscal years: ${name(first)} to ${name(last)})`}.`
      : `The scenario above simulates ${name(first)} only: give it more years to see a law that starts later.`;
    const y = Number(input.value.trim());
    if (nameInput.dataset.auto === "1" && /^\d{4}$/.test(input.value.trim())) nameInput.value = lawName(y);
    const honor = byName.get("honor_rate");
    const now = honor ? readField(honor) : {empty: true};
    sends.textContent = Number.isInteger(y) && y >= first && y <= last && !now.error
      ? `What it changes: ${words("honor_rate", stateLawSchedule(now.empty ? undefined : now.value, first, y))}.` : "";
  };
  input.addEventListener("input", wrap.refresh);
  wrap.refresh();
  return wrap;
}
function refreshLaws() { for (const el of document.querySelectorAll(".alternative .law")) el.refresh(); }

function addAlternative(template, overrides, name, law) {
  altCounter += 1;
  const n = altCounter;
  const year = template.id === "state" ? (law && law.year) || formYears().first + 1 : null;
  const nameInput = h("input", {type: "text", class: "alt-name", id: `alt-${n}-name`, value: name || (year ? lawName(year) : template.name)});
  if (year) {
    nameInput.dataset.auto = !name || name === lawName(year) ? "1" : "0";
    nameInput.addEventListener("input", () => { nameInput.dataset.auto = "0"; });
  }
  const rows = h("div", {class: "overrides"});
  const card = h("div", {class: "alternative", id: `alt-${n}`, "data-template": template.id},
    h("div", {class: "alt-head"},
      h("div", {class: "field"}, h("label", {for: `alt-${n}-name`, text: "Alternative"}), nameInput),
      h("button", {type: "button", class: "remove", "aria-label": `Remove this alternative`, onclick: () => { card.remove(); }}, "Remove")),
    h("p", {class: "help", text: template.says}),
    year ? lawControl(n, year, nameInput) : null,
    rows,
    h("button", {type: "button", class: "add-override", onclick: () => addOverride(rows, n, null, undefined)}, "Change another input"),
    h("p", {class: "alt-error field-error", hidden: true}));
  for (const [k, v] of Object.entries(overrides)) addOverride(rows, n, k, v);
  $("alternatives").append(card);
  return card;
}

function addOverride(rows, n, name, value) {
  const k = rows.children.length;
  const rid = `alt-${n}-o${k}-${Math.random().toString(36).slice(2, 6)}`;
  const select = h("select", {id: rid + "-field", class: "ov-field"});
  for (const p of overridable()) select.add(new Option(labelOf(p), p.name));
  if (name) select.value = name;
  const unit = h("span", {class: "unit ov-unit"});
  const err = h("p", {class: "field-error", id: rid + "-error", hidden: true});
  const slot = h("span", {class: "with-unit"});
  let input = null;
  // A choice gets its list; anything else a box read like the form's.
  function sync() {
    const p = byName.get(select.value);
    const choice = p && p.type === "choice";
    if (!input || (input.tagName === "SELECT") !== choice) {
      const next = choice ? h("select", {id: rid + "-value", class: "ov-value"}) : h("input", {type: "text", id: rid + "-value", class: "ov-value", autocomplete: "off"});
      next.setAttribute("aria-describedby", rid + "-error");
      if (input) input.replaceWith(next); else slot.append(next, unit);
      input = next;
    }
    if (choice) {
      input.replaceChildren();
      for (const c of p.choices) input.add(new Option(c.replaceAll("_", " "), c));
    }
    unit.textContent = p && !choice ? (unitText(p) || "") : "";
    if (!choice) input.placeholder = p ? "e.g. " + ((FIELD_META[p.name] || {}).example || "") : "";
  }
  // A value kept as loaded (a distribution, a schedule) is said in words below the box,
  // sent as it came until a value is typed, and belongs to its input only.
  const keptNote = h("p", {class: "help", id: rid + "-kept", hidden: true});
  select.addEventListener("change", () => {
    if (!input.dataset.spec) return;
    delete input.dataset.spec;
    keptNote.hidden = true;
    input.setAttribute("aria-describedby", rid + "-error");
  });
  select.addEventListener("change", sync);
  sync();
  const p = byName.get(select.value);
  if (value !== undefined && value !== null && p) input.value = typeof value === "object" ? "" : p.type === "choice" ? value : formatAmount(value, p);
  if (value !== null && typeof value === "object") input.dataset.spec = JSON.stringify(value);
  const row = h("div", {class: "override"},
    h("div", {class: "field"}, h("label", {for: rid + "-field", text: "Input"}), select),
    h("div", {class: "field"}, h("label", {for: rid + "-value", text: "New value"}), slot, keptNote, err),
    h("button", {type: "button", class: "remove", "aria-label": "Remove this change", onclick: () => row.remove()}, "Remove"));
  if (input.dataset.spec && p) {
    input.placeholder = "as loaded (below)";
    keptNote.textContent = `Kept as loaded: ${specWords(value, p)}. Type a value to replace it.`;
    keptNote.hidden = false;
    input.setAttribute("aria-describedby", `${rid}-kept ${rid}-error`);
  }
  rows.append(row);
}

// The alternatives as the service takes them; `baseline` is the scenario they change
// (a state law keeps its share honored until the law's year).
function readAlternatives(baseline) {
  const out = [];
  const errors = [];
  for (const card of document.querySelectorAll(".alternative")) {
    const name = card.querySelector(".alt-name").value.trim() || "Alternative";
    const overrides = {};
    const law = card.querySelector(".law");
    if (law) {
      const input = law.querySelector(".alt-year");
      const {first, last} = formYears();
      const text = input.value.trim();
      const year = Number(text);
      const field = law.querySelector(".field");
      if (!/^\d{4}$/.test(text)) errors.push({element: field, input, label: name, detail: `the year the law takes effect: write it as ${first + 1}`});
      else if (year < first || year > last) {
        errors.push({element: field, input, label: name, detail: first < last
          ? `${year} is not simulated: give a year from ${first} to ${last}, or change the years above`
          : `${year} is not simulated: the scenario simulates ${first} only (give it more years to simulate)`});
      } else overrides.honor_rate = stateLawSchedule(valueAt(baseline || {}, "honor_rate"), first, year);
    }
    for (const row of card.querySelectorAll(".override")) {
      const field = row.querySelector(".ov-field").value;
      const input = row.querySelector(".ov-value");
      const p = byName.get(field);
      if (law && field === "honor_rate") { errors.push({element: row, label: name, detail: `${labelOf(p)}: the law sets it; remove this change`}); continue; }
      let value;
      if (!input.value.trim() && input.dataset.spec) value = JSON.parse(input.dataset.spec);
      else {
        const r = p.type === "choice" ? {value: input.value} : parseAmount(input.value, p);
        if (r.empty || r.value === "") { errors.push({element: row, label: name, detail: `${labelOf(p)}: give the new value`}); continue; }
        if (r.error) { errors.push({element: row, label: name, detail: `${labelOf(p)}: ${r.error}`}); continue; }
        value = r.value;
      }
      const parts = field.split(".");
      if (parts.length === 2) (overrides[parts[0]] = overrides[parts[0]] || {})[parts[1]] = value;
      else overrides[field] = value;
    }
    out.push({name, overrides});
  }
  return {alternatives: out, errors};
}

function fillAlternatives(list) {
  $("alternatives").replaceChildren();
  for (const alt of list) {
    const year = lawYearOf(alt.overrides);
    const flat = {};
    for (const [k, v] of Object.entries(alt.overrides || {})) {
      if (year !== null && k === "honor_rate") continue;
      if (v && typeof v === "object" && !Array.isArray(v) && isGroup(k)) for (const [k2, v2] of Object.entries(v)) flat[`${k}.${k2}`] = v2;
      else flat[k] = v;
    }
    if (year !== null) { addAlternative(ALTERNATIVE_TEMPLATES.find((t) => t.id === "state"), flat, alt.name, {year}); continue; }
    const template = ALTERNATIVE_TEMPLATES.find((t) => t.name === alt.name) || ALTERNATIVE_TEMPLATES.find((t) => t.id === "custom");
    addAlternative(template, flat, alt.name);
  }
}

async function compare() {
  const baseline = scenarioOrErrors();
  if (!baseline) return;
  const {alternatives, errors} = readAlternatives(baseline);
  if (errors.length) { showErrors(errors); status("An alternative needs a look before comparing."); return; }
  if (!alternatives.length) { status("Add an alternative to compare."); return; }
  status("Comparing...");
  $("compare").disabled = true;
  const started = performance.now();
  try {
    const answer = await postJSON("/v1/comparisons", {baseline, alternatives});
    if (!answer.ok) {
      status(`The service could not compare these (${answer.status}).`);
      showErrors(problemErrors(answer.data, "/baseline"));
      return;
    }
    lastComparison = {baseline, alternatives};
    renderComparison(answer.data, baseline, alternatives);
    const row = h("div", {class: "downloads"}, h("span", {text: "Download the comparison report:"}),
      ["pdf", "xlsx", "csv", "html"].map((f) => h("button", {type: "button", class: "download", "data-format": f, "data-of": "comparison", onclick: download}, f.toUpperCase())));
    $("comparison").append(row);
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    status(`Compared in ${seconds} s.`);
    $("comparison").dataset.ranIn = seconds;
  } finally { $("compare").disabled = false; }
}

function overrideWords(overrides) {
  const parts = [];
  for (const [k, v] of Object.entries(overrides)) {
    if (v && typeof v === "object" && !Array.isArray(v) && isGroup(k)) { for (const [k2, v2] of Object.entries(v)) parts.push(words(`${k}.${k2}`, v2)); }
    else parts.push(words(k, v));
  }
  return parts.join("; ") || "no change";
}
function words(name, v) {
  const p = byName.get(name);
  if (!p) return `${name.replaceAll("_", " ")}: ${v}`;
  return `${labelOf(p).toLowerCase()}: ${typeof v === "object" && v !== null ? specWords(v, p) : formatAmount(v, p) || String(v).replaceAll("_", " ")}`;
}

function renderComparison(data, baseline, alternatives) {
  const out = $("comparison");
  out.replaceChildren();
  const base = data.baseline;
  const first = base.years[0].year;
  const n = base.years.length;
  const span = n > 1 ? `${first} to ${first + n - 1}` : String(first);
  if (n === 1) {
    out.append(h("p", {class: "key"}, `Baseline (the scenario above): ${money(middle(base.annual_cost))} in ${first}.`));
    out.append(table(`Savings against the baseline in ${first} (positive: the alternative costs less; medians, paired trial by trial)`,
      ["Alternative", `Saves in ${first}`, "90% range", "Chance it saves", "What it changes"],
      data.alternatives.map((a, i) => [a.name, money(middle(a.difference.annual_cost)), range90(a.difference.annual_cost, shortMoney), pct(a.probability_saves), overrideWords(alternatives[i].overrides)])));
    out.append(figure(`Savings in ${first} (median) of each alternative.`, barChart("Savings", data.alternatives.map((a) => ({label: a.name, value: middle(a.difference.annual_cost)})))));
    return;
  }
  out.append(h("p", {class: "key"}, `Baseline (the scenario above): ${money(middle(base.annual_cost))} in ${first}, ${money(middle(base.total_cost))} over ${span}.`));
  const rows = data.alternatives.map((a, i) => [a.name, money(middle(a.difference.annual_cost)), money(middle(a.difference.total_cost)), range90(a.difference.total_cost, shortMoney), money(middle(a.difference.present_value)), pct(a.probability_saves), overrideWords(alternatives[i].overrides)]);
  const savings = table(`Savings against the baseline (positive: the alternative costs less; medians, paired trial by trial)`,
    ["Alternative", `Saves in ${first}`, `Saves over ${span}`, "90% range", "Present value", `Chance it saves in ${first}`, "What it changes"], rows);
  savings.classList.add("savings");  // its last column wide enough to read (it scrolls on a phone)
  out.append(savings);
  out.append(figure(`Savings over ${span} (median) of each alternative.`, barChart("Savings over the horizon", data.alternatives.map((a) => ({label: a.name, value: middle(a.difference.total_cost)})))));
  // Year by year, as the service gives each run: a change that starts in a later year
  // (a state law) shows from that year.
  out.append(table("Net cost each year (medians; each alternative on the same random draws as the baseline)",
    ["Year", "Baseline", ...data.alternatives.map((a) => a.name)],
    base.years.map((y, k) => [yearName(y), dollars(middle(y.net_cost)), ...data.alternatives.map((a) => (a.result.years[k] ? dollars(middle(a.result.years[k].net_cost)) : "n/a"))])));
}

// A simulated year as results name it: 2027, or FY2027 for fiscal years.
function yearName(y) { return y.label || String(y.year); }

// ---------------------------------------------------------------- sensitivity

async function sensitivity() {
  const scenario = scenarioOrErrors();
  if (!scenario) return;
  status("Working out what drives the cost...");
  $("sensitivity").disabled = true;
  try {
    const answer = await postJSON("/v1/sensitivity", scenario);
    if (!answer.ok) { status(`The service could not do this (${answer.status}).`); showErrors(problemErrors(answer.data)); return; }
    renderSensitivity(answer.data);
    status("Done: what drives the cost is below.");
  } finally { $("sensitivity").disabled = false; }
}

function renderSensitivity(data) {
  const out = $("sensitivity-result");
  out.replaceChildren();
  const name = (input) => (byName.has(input) ? labelOf(byName.get(input)) : input.replaceAll("_", " "));
  if (!data.tornado.length) { out.append(h("p", {text: "No input of this scenario is uncertain: enter a range for one to see what drives the cost."})); return; }
  out.append(h("p", {class: "key"}, `With every input at its median the first year costs ${money(data.base)}. ${name(data.tornado[0].input)} moves it most.`));
  const w = chartWidth(); const rowH = 36; const left = Math.min(230, w * 0.38); const right = 20; const top = 8;
  const ht = top + data.tornado.length * rowH + 28;
  const lo = Math.min(...data.tornado.map((t) => Math.min(t.low, t.high)), data.base); const hi = Math.max(...data.tornado.map((t) => Math.max(t.low, t.high)), data.base);
  const ticks = niceTicks(lo, hi, 4);
  const x0 = Math.min(ticks[0], lo); const x1 = Math.max(ticks[ticks.length - 1], hi);
  const X = (v) => left + (w - left - right) * (v - x0) / (x1 - x0 || 1);
  const svg = chartFrame("Tornado: the first year's cost with each input at its 10th and 90th percentile", w, ht);
  for (const t of ticks) {
    svg.append(s("line", {x1: X(t), x2: X(t), y1: top, y2: ht - 22, class: "grid"}));
    svg.append(s("text", {x: X(t), y: ht - 6, "text-anchor": "middle", class: "tick"}, shortMoney(t)));
  }
  data.tornado.forEach((t, i) => {
    const y = top + i * rowH;
    const a = X(Math.min(t.low, t.high)); const b = X(Math.max(t.low, t.high));
    svg.append(svgLabel(left - 8, y + 19, name(t.input), left / 7.5));
    svg.append(s("rect", {x: a, y: y + 6, width: Math.max(1, b - a), height: 18, class: "bar"}));
  });
  svg.append(s("line", {x1: X(data.base), x2: X(data.base), y1: top, y2: ht - 22, class: "median"}));
  out.append(figure("Each bar spans the first year's cost with that input at its 10th and at its 90th percentile, the others at their medians; the line is the cost with every input at its median.", svg));
  const rho = new Map(data.rank_correlation.map((r) => [r.input, r]));
  out.append(table("Each uncertain input", ["Input", "At its 10th percentile", "At its 90th percentile", "Cost then (10th)", "Cost then (90th)", "Share of the variation"],
    data.tornado.map((t) => {
      const p = byName.get(t.input);
      const f = (v) => (p ? formatAmount(Number(v.toPrecision(3)), p) : String(v));
      return [name(t.input), f(t.input_low), f(t.input_high), money(t.low), money(t.high), rho.has(t.input) ? pct(rho.get(t.input).contribution) : "n/a"];
    })));
}

// ---------------------------------------------------------------- keep and share

function pageState() {
  const {scenario, errors} = readScenario();
  const alts = readAlternatives(scenario);
  if (errors.length || alts.errors.length) return null;
  const selected = document.querySelector("[role=tab][aria-selected=true]");
  // What had been worked out is worked out again on opening (same inputs, same seed: the same numbers).
  const ran = {result: lastScenario !== null, compare: $("comparison").children.length > 0, sensitivity: $("sensitivity-result").children.length > 0};
  return {v: 1, preset: $("preset").value || undefined, scenario, alternatives: alts.alternatives, tab: selected ? selected.id : undefined, ran};
}

function encodeState(state) {
  const bytes = new TextEncoder().encode(JSON.stringify(state));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}
function decodeState(text) {
  const b64 = text.replaceAll("-", "+").replaceAll("_", "/");
  const bin = atob(b64 + "=".repeat((4 - b64.length % 4) % 4));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
}

async function share() {
  clearErrors();
  const state = pageState();
  if (!state) { scenarioOrErrors(); status("Fix the inputs marked before making a link."); return; }
  const url = location.origin + location.pathname + "#s=" + encodeState(state);
  history.replaceState(null, "", url);
  $("share-box").hidden = false;
  $("share-link").value = url;
  $("share-link").select();
  try { await navigator.clipboard.writeText(url); status("Link copied. It restores this page: inputs, alternatives and the tab."); }
  catch (err) { status("The link is below: copy it. It restores this page: inputs, alternatives and the tab."); }
}

function saveScenario() {
  const scenario = scenarioOrErrors();
  if (!scenario) return;
  const name = (scenario.name || "scenario").replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") || "scenario";
  saveBlob(new Blob([JSON.stringify(scenario, null, 2) + "\n"], {type: "application/json"}), name + ".json");
}

async function loadScenarioFile(event) {
  const file = event.target.files[0];
  if (!file) return;
  clearErrors();
  try {
    const data = JSON.parse(await file.text());
    if (!data || typeof data !== "object" || Array.isArray(data)) throw new Error("not a scenario object");
    const scenario = data.scenario && typeof data.scenario === "object" ? data.scenario : data.baseline && typeof data.baseline === "object" ? data.baseline : data;
    $("preset").value = "";
    presetData = null;
    calibrated = notesBasis(scenario);
    $("preset-info").hidden = true;
    fillScenario(scenario);
    showBasis();
    if (Array.isArray(data.alternatives)) fillAlternatives(data.alternatives);
    status(`Loaded ${file.name}.`);
  } catch (err) {
    showErrors([{label: file.name, detail: "could not be read as a scenario (" + err.message + ")"}]);
  } finally { event.target.value = ""; }
}

async function restoreFromHash() {
  const m = /^#s=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (!m) return false;
  let state;
  try { state = decodeState(m[1]); } catch (err) { status("The link could not be read; the page starts blank."); return false; }
  if (state.preset && [...$("preset").options].some((o) => o.value === state.preset)) {
    $("preset").value = state.preset;
    const response = await fetch("/v1/presets/" + encodeURIComponent(state.preset), {headers: headers()});
    if (response.ok) { presetData = await response.json(); showPresetInfo(presetData); }
  }
  fillScenario(state.scenario || {});
  if (!presetData) calibrated = notesBasis(state.scenario || {});
  showBasis();
  if (Array.isArray(state.alternatives)) fillAlternatives(state.alternatives);
  const ran = state.ran || {};
  if (ran.result) await run();
  if (ran.compare) await compare();
  if (ran.sensitivity) await sensitivity();
  if (state.tab && $(state.tab)) selectTab(state.tab);
  status("Restored from the link" + (ran.result || ran.compare || ran.sensitivity ? ", with its results worked out again." : "."));
  return true;
}

// ---------------------------------------------------------------- start

async function loadParameters() {
  const response = await fetch("/v1/parameters", {headers: headers()});
  if (!response.ok) {
    if (response.status === 401) $("api-key-field").hidden = false;
    status(response.status === 401 ? "This service needs an API key: enter it above." : "Could not load the inputs.");
    return false;
  }
  parameters = (await response.json()).parameters;
  for (const p of parameters) byName.set(p.name, p);
  buildForm();
  status("");
  return true;
}

function defaults() {
  fillScenario({name: "My county", detainers_per_year: 1200,
    extra_days_per_detainer: {dist: "pert", low: 20, mode: 25, high: 73},
    daily_cost: {dist: "uniform", low: 55, high: 142}});
  $("alternatives").replaceChildren();
  addAlternative(ALTERNATIVE_TEMPLATES[0], ALTERNATIVE_TEMPLATES[0].overrides);
}

async function start() {
  if (!(await loadParameters())) return;
  await loadPresets();
  const select = $("add-alternative");
  select.replaceChildren();
  for (const t of ALTERNATIVE_TEMPLATES) select.add(new Option(t.name, t.id));
  if (!(await restoreFromHash())) defaults();
}

document.addEventListener("DOMContentLoaded", () => {
  $("scenario-form").addEventListener("submit", run);
  const stale = (event) => { if (lastScenario && event.target.id !== "share-link" && event.target.id !== "api-key" && !event.target.closest("#calibrate")) $("stale").hidden = false; };
  $("scenario-form").addEventListener("input", stale);
  $("scenario-form").addEventListener("change", stale);
  $("scenario-form").addEventListener("input", refreshLaws);
  $("scenario-form").addEventListener("change", refreshLaws);
  $("preset").addEventListener("change", choosePreset);
  for (const b of document.querySelectorAll(".download")) b.addEventListener("click", download);
  for (const t of document.querySelectorAll("[role=tab]")) t.addEventListener("click", () => selectTab(t.id));
  $("tabs").addEventListener("keydown", tabKeys);
  $("compare").addEventListener("click", compare);
  $("sensitivity").addEventListener("click", sensitivity);
  $("save-json").addEventListener("click", saveScenario);
  $("load-json").addEventListener("change", loadScenarioFile);
  $("load-json-button").addEventListener("click", () => $("load-json").click());
  $("share").addEventListener("click", share);
  buildCalibrationColumns();
  $("calibrate-file").addEventListener("change", calibrationFileChosen);
  $("calibrate-run").addEventListener("click", calibrateFromRecords);
  $("add-alternative-button").addEventListener("click", () => {
    const t = ALTERNATIVE_TEMPLATES.find((x) => x.id === $("add-alternative").value);
    const card = addAlternative(t, t.overrides);
    const focus = card.querySelector(".alt-year, .ov-value") || card.querySelector(".alt-name");
    focus.focus();
  });
  $("api-key").addEventListener("change", () => { if (!parameters.length) start(); });
  start();
});

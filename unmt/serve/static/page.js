// The page: pick two languages, type, and see the translation while typing (requests are debounced, and an
// answer that arrives after a newer request was sent is dropped, so the output always matches the latest text).
"use strict";
const $ = (id) => document.getElementById(id);
let languages = [], sent = 0, shown = 0, timer = null;

async function getJSON(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

function fillTargets() {
  const source = languages.find((lang) => lang.code === $("source").value);
  const previous = $("target").value;
  $("target").replaceChildren(...(source ? source.targets : []).map((code) => {
    const lang = languages.find((l) => l.code === code);
    return new Option(lang ? lang.name : code, code);
  }));
  if ([...$("target").options].some((o) => o.value === previous)) $("target").value = previous;
}

function describe(models) {
  return models.map((model) => {
    const scores = Object.entries(model.scores).map(([direction, s]) =>
      `${direction} BLEU ${s.bleu ?? "-"} / chrF ${s.chrf ?? "-"}`);
    return `Run ${model.name}` + (scores.length ? ` (test: ${scores.join(", ")})` : " (no test scores recorded)");
  }).join(" · ");
}

async function translate() {
  const q = $("input").value, mine = ++sent;
  if (!q.trim()) { $("output").textContent = ""; $("status").textContent = ""; return; }
  try {
    const response = await fetch("/translate", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ q, source: $("source").value, target: $("target").value }),
    });
    const answer = await response.json();
    if (mine < shown) return;
    shown = mine;
    if (!response.ok) { $("status").textContent = answer.error; return; }
    $("output").textContent = answer.translatedText;
    $("status").textContent = "";
  } catch (error) {
    $("status").textContent = `The server did not answer (${error.message}).`;
  }
}

function soon() { clearTimeout(timer); timer = setTimeout(translate, 250); }

async function start() {
  try {
    const [langs, models] = await Promise.all([getJSON("/languages"), getJSON("/models")]);
    languages = langs;
    $("source").replaceChildren(...languages.map((lang) => new Option(lang.name, lang.code)));
    fillTargets();
    $("model").textContent = describe(models);
  } catch (error) {
    $("model").textContent = `Could not read the served languages (${error.message}).`;
  }
  $("source").addEventListener("change", () => { fillTargets(); soon(); });
  $("target").addEventListener("change", soon);
  $("input").addEventListener("input", soon);
  $("swap").addEventListener("click", () => {
    const source = $("source").value;
    $("source").value = $("target").value;
    fillTargets();
    if ([...$("target").options].some((o) => o.value === source)) $("target").value = source;
    $("input").value = $("output").textContent;
    soon();
  });
}
start();

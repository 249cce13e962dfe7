"""The rater's page: one self-contained HTML file (inline CSS and JS, nothing from a CDN), drawn
from the task's config: title, instructions, an image or an audio player, one button per answer."""

from __future__ import annotations

import html
import json

from pipeline.labelling.tasks import Task


def page_html(task: Task) -> str:
    config = json.dumps(task.page_config()).replace("</", "<\\/")
    return PAGE.replace("{{TITLE}}", html.escape(task.title)).replace("{{CONFIG}}", config)


PAGE = r"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{TITLE}}</title>
<style>
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f5f7;color:#1d232b}
header{background:#1d2a3a;color:#fff;padding:14px 20px;display:flex;justify-content:space-between;align-items:center}
header h1{margin:0;font-size:20px;font-weight:650}header .who{color:#b8c4d3;font-size:14px}
header a{color:#9cc3ff;margin-left:8px;cursor:pointer}
main{max-width:560px;margin:24px auto;padding:0 16px;text-align:center}
.panel{background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:18px}
img#item{width:384px;max-width:100%;aspect-ratio:1;object-fit:contain;background:#e9ecf0;border-radius:8px;display:block;margin:0 auto}
audio#item{width:100%;display:block;margin:8px auto}
#prompt{font-size:26px;font-weight:650;margin:4px 0 10px;min-height:1.2em}
.buttons{display:flex;gap:14px;margin-top:16px}
.buttons button{flex:1;font-size:24px;font-weight:650;padding:18px 0;border:0;border-radius:12px;cursor:pointer;color:#fff}
.buttons button:nth-child(1){background:#1f7a3f}.buttons button:nth-child(2){background:#27386b}
.buttons button:nth-child(3){background:#6b7785}#day{background:#e0a100}#night{background:#27386b}
.buttons button:disabled{opacity:.45;cursor:default}
.buttons kbd{font-size:13px;opacity:.8;margin-left:6px;font-family:inherit}
.progress{color:#6b7785;font-size:14px;margin:10px 0 0}
.bar{height:6px;background:#eceef1;border-radius:3px;overflow:hidden;margin-top:6px}.bar i{display:block;height:100%;background:#2e9e4f}
input{font-size:18px;padding:10px 12px;border:1px solid #c9d0d8;border-radius:8px;width:100%}
#start{margin-top:12px;font-size:18px;padding:10px 24px;border:0;border-radius:8px;background:#1f5fbf;color:#fff;cursor:pointer}
.error{color:#c62828;min-height:1.5em;margin:8px 0 0}.hidden{display:none}
.muted{color:#6b7785;font-size:14px}
</style></head>
<body data-state="name">
<script type="application/json" id="config">{{CONFIG}}</script>
<header><h1 id="title"></h1><span class="who" id="who"></span></header>
<main>
<section id="name-view" class="panel">
  <p id="instructions"></p>
  <form id="name-form"><input id="rater" placeholder="Your name" autocomplete="off" maxlength="64" required>
  <button id="start" type="submit">Start</button></form>
</section>
<section id="study-view" class="panel hidden">
  <p id="prompt"></p><div id="media"></div>
  <div class="buttons" id="buttons"></div>
  <p class="progress" id="progress"></p><div class="bar"><i id="bar" style="width:0"></i></div>
</section>
<section id="done-view" class="panel hidden"><h2>All done, thank you!</h2>
  <p class="muted">You have answered every item.</p></section>
<p class="error" id="error" role="alert"></p>
</main>
<script>
"use strict";
const $ = id => document.getElementById(id);
const CONFIG = JSON.parse($("config").textContent);
const KEY = "datasynth.rater";
document.title = $("title").textContent = CONFIG.title;
$("instructions").textContent = CONFIG.instructions;
const media = document.createElement(CONFIG.media === "image" ? "img" : "audio");
media.id = "item";
if (CONFIG.media === "image") media.alt = "picture to label"; else { media.controls = true; media.preload = "auto"; }
$("media").append(media);
const choiceButtons = CONFIG.choices.map(choice => {
  const button = document.createElement("button");
  button.id = choice.value; button.disabled = true; button.textContent = choice.label;
  const kbd = document.createElement("kbd"); kbd.textContent = choice.key.toUpperCase(); button.append(kbd);
  button.onclick = () => answer(choice.value);
  $("buttons").append(button);
  return button;
});
let rater = localStorage.getItem(KEY) || "", item = null, shownAt = 0, busy = false;
const fromUrl = (new URLSearchParams(location.search).get("rater") || "").trim();  // datasynth label --rater
if (fromUrl) { rater = fromUrl; localStorage.setItem(KEY, rater); }

function view(name) {
  for (const v of ["name", "study", "done"]) $(v + "-view").classList.toggle("hidden", v !== name);
  $("who").innerHTML = "";
  if (rater && name !== "name") {
    $("who").textContent = "Rater: " + rater;
    const change = document.createElement("a"); change.textContent = "change";
    change.onclick = () => { localStorage.removeItem(KEY); rater = ""; view("name"); state("name"); };
    $("who").append(change);
  }
}
function state(s) { document.body.dataset.state = s; }
function buttons(on) { for (const b of choiceButtons) b.disabled = !on; }
function fail(message) { $("error").textContent = message; busy = false; }

async function call(url, options) {
  const response = await fetch(url, options);
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

async function next() {
  buttons(false); state("loading");
  try {
    const data = await call("/api/next?rater=" + encodeURIComponent(rater));
    const pct = Math.round(100 * data.answered / data.total);
    $("progress").textContent = data.answered + " of " + data.total + " answered";
    $("bar").style.width = pct + "%";
    if (data.done) { item = null; view("done"); state("done"); return; }
    item = data.item; view("study");
    $("prompt").textContent = data.prompt || "";
    media.src = data.media;
  } catch (e) { fail("Could not load the next item: " + e.message); }
}

function ready() { shownAt = performance.now(); buttons(true); busy = false; state("ready"); }
if (CONFIG.media === "image") media.onload = ready;
else media.oncanplaythrough = () => { if (document.body.dataset.state === "loading") { ready(); media.play().catch(() => {}); } };
media.onerror = () => fail("The item did not load (the server says why at " + media.src + "); reload the page to go on.");

async function answer(value) {
  if (!item || busy || choiceButtons[0].disabled) return;
  busy = true; buttons(false); state("saving");
  const body = {rater, item, answer: value, client_seconds: (performance.now() - shownAt) / 1000};
  try {
    await call("/api/answer", {method: "POST", headers: {"Content-Type": "application/json"},
                               body: JSON.stringify(body)});
    $("error").textContent = "";
    await next();
  } catch (e) {
    if (e.message.includes("already answered")) { busy = false; return next(); }  // a second tab answered it
    fail("Your answer was not saved: " + e.message); buttons(true); state("ready");
  }
}

document.addEventListener("keydown", e => {
  if (e.target.tagName === "INPUT" || e.repeat) return;
  if (e.key === " " && CONFIG.media === "audio") { e.preventDefault(); media.currentTime = 0; media.play().catch(() => {}); return; }
  const choice = CONFIG.choices.find(c => c.key.toLowerCase() === e.key.toLowerCase());
  if (choice) answer(choice.value);
});
$("name-form").onsubmit = e => {
  e.preventDefault();
  rater = $("rater").value.trim();
  if (!rater) return;
  localStorage.setItem(KEY, rater); next();
};
if (rater) next(); else { view("name"); $("rater").focus(); }
</script></body></html>
"""

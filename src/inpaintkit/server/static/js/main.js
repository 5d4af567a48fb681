// The editor: wires the photo, the mask, the view and the API together. Image logic lives
// on the server; the page only paints a mask (refined here so the overlay is what is
// sent), runs a job and shows the answer.

import { Api, ApiError } from "./api.js";
import { buildEngineForm, describe, fillEnginePicker } from "./engines.js";
import { MaskLayer, Rect } from "./mask.js";
import { encodeGreyPng } from "./png.js";
import { boundingBox, refineMask } from "./refine.js";
import { Viewport } from "./view.js";

const $ = (id) => document.getElementById(id);
const OVERLAY_RGB = [255, 48, 96];

const api = new Api();
const canvas = $("canvas");
const stage = $("stage");
const context = canvas.getContext("2d");
const view = new Viewport(canvas, () => { requestDraw(); showZoom(); });

const state = {
  photo: null, // {blob, name, bitmap, width, height}
  mask: null, // MaskLayer
  overlay: null, // canvas at the photo's size: the mask as it is sent, in colour
  overlayContext: null,
  effective: null, // Uint8Array: the refined mask (the raw one when no grow/feather)
  effectiveBox: null,
  tool: "brush",
  size: 40,
  hardness: { soft: 0.3, eraser: 1 },
  opacity: 0.55,
  grow: 0,
  feather: 0,
  mode: "edit", // or "compare"
  split: 0.5,
  result: null, // {blob, bitmap, url, seed, engine, seconds}
  running: false,
  jobId: null, // the job in progress, once the server has taken it
  engines: {},
  readOptions: () => ({}),
  pointer: null, // last pointer position on the stage, CSS px
  gesture: null,
  keys: { space: false, original: false },
};

// ---- messages ------------------------------------------------------------------------
function showError(message, source = "") {
  $("error").dataset.source = source;
  $("error-text").textContent = message;
  $("error").hidden = false;
}
function clearError() {
  $("error").hidden = true;
  $("error-text").textContent = "";
}
let noticeTimer = 0;
function showNotice(message) {
  const notice = $("notice");
  notice.textContent = message;
  notice.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { notice.hidden = true; }, 4000);
}
function messageOf(error) {
  return error instanceof ApiError ? error.message : String((error && error.message) || error);
}

// ---- engines -------------------------------------------------------------------------
let enginesAsked = 0;
async function loadEngines() {
  const select = $("engine");
  const asked = ++enginesAsked;
  let engines;
  try {
    engines = await api.engines();
  } catch (error) {
    if (asked !== enginesAsked) return;
    state.engines = {};
    select.replaceChildren(new Option("(engines unavailable)", ""));
    select.disabled = true;
    $("engine-options").replaceChildren();
    $("engine-description").textContent = "";
    showError(messageOf(error), "engines");
    return;
  }
  if (asked !== enginesAsked) return;
  state.engines = engines;
  if ($("error").dataset.source === "engines") clearError();
  const chosen = fillEnginePicker(select, state.engines, localStorage.getItem("inpaintkit.engine"));
  showEngine(chosen);
}

function showEngine(name) {
  const engine = state.engines[name];
  if (!engine) {
    state.readOptions = () => ({});
    $("engine-options").replaceChildren();
    $("engine-description").textContent = Object.keys(state.engines).length ? "No engine is ready on this server." : "";
    return;
  }
  $("engine-description").textContent = describe(engine);
  state.readOptions = buildEngineForm($("engine-options"), engine);
}

// ---- photo and mask ------------------------------------------------------------------
async function loadPhoto(blob, name) {
  if (state.running) {
    showError("a run is in progress: wait for it or cancel it before opening another photo");
    return;
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    showError(`could not read ${name || "that file"} as an image; open a PNG, JPEG, WebP or similar photo`);
    return;
  }
  clearError();
  if (state.photo && state.photo.bitmap !== bitmap) state.photo.bitmap.close?.();
  const { width, height } = bitmap;
  state.photo = { blob, name: name || "photo.png", bitmap, width, height };
  state.mask = new MaskLayer(width, height);
  state.mask.onChange = maskChanged;
  state.overlay = document.createElement("canvas");
  state.overlay.width = width;
  state.overlay.height = height;
  state.overlayContext = state.overlay.getContext("2d");
  state.effective = state.mask.data;
  state.effectiveBox = null;
  setResult(null);
  setMode("edit");
  $("empty").hidden = true;
  $("photo-name").textContent = `${state.photo.name} · ${width} × ${height}`;
  view.setImage(width, height);
  refreshEffective();
  updateButtons();
}

async function loadMaskFile(file) {
  if (!state.photo) { showError("open a photo first, then its mask"); return; }
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    showError(`could not read ${file.name} as an image; a mask is a PNG or JPEG, white = regenerate`);
    return;
  }
  const { width, height } = state.photo;
  const scratch = document.createElement("canvas");
  scratch.width = width;
  scratch.height = height;
  const scratchContext = scratch.getContext("2d", { willReadFrequently: true });
  scratchContext.imageSmoothingEnabled = true;
  scratchContext.drawImage(bitmap, 0, 0, width, height);
  if (bitmap.width !== width || bitmap.height !== height) {
    showNotice(`the mask is ${bitmap.width} × ${bitmap.height}; it was scaled to the photo's ${width} × ${height}`);
  }
  const pixels = scratchContext.getImageData(0, 0, width, height).data;
  const values = new Uint8Array(width * height);
  let highest = 0;
  for (let i = 0, j = 0; i < values.length; i++, j += 4) {
    const grey = 0.299 * pixels[j] + 0.587 * pixels[j + 1] + 0.114 * pixels[j + 2];
    values[i] = Math.round((grey * pixels[j + 3]) / 255);
    if (values[i] > highest) highest = values[i];
  }
  if (highest === 1) for (let i = 0; i < values.length; i++) values[i] *= 255; // a 0/1 mask
  clearError();
  state.mask.replace(values);
  setMode("edit");
}

// ---- the mask as shown and sent --------------------------------------------------------
function maskChanged(rect, { final, erase }) {
  if (state.grow || state.feather) {
    if (final) { scheduleRefine(0); return; }
    // While a stroke is in progress, show it over the refined mask; refine when it ends.
    paintOverlay(rect, (i) => {
      const raw = state.mask.data[i], shown = state.effective[i];
      return erase ? Math.min(raw, shown) : Math.max(raw, shown);
    });
  } else {
    paintOverlay(rect, null);
    if (final) state.effectiveBox = null; // recomputed when needed
  }
  updateButtons();
  requestDraw();
}

let refineTimer = 0;
function scheduleRefine(delay = 40) {
  clearTimeout(refineTimer);
  refineTimer = setTimeout(refreshEffective, delay);
}

function refreshEffective() {
  if (!state.mask) return;
  const { width, height } = state.mask;
  const before = state.effectiveBox || (state.effective && boundingBox(state.effective, width, height));
  state.effective = refineMask(state.mask.data, width, height, { grow: state.grow, feather: state.feather });
  const after = boundingBox(state.effective, width, height);
  const raw = boundingBox(state.mask.data, width, height);
  let rect = Rect.none();
  for (const box of [before, after, raw]) if (box) rect = rect.union(new Rect(box.x0, box.y0, box.x1, box.y1));
  state.effectiveBox = after;
  // Undo may have cleared pixels no box covers any more: the previous overlay box is
  // part of `before`, so everything that was coloured is repainted.
  if (!rect.empty) paintOverlay(rect, null);
  updateButtons();
  requestDraw();
}

function paintOverlay(rect, valueAt) {
  if (rect.empty) return;
  const { width } = state.mask;
  const source = state.effective;
  const image = state.overlayContext.createImageData(rect.width, rect.height);
  const out = image.data;
  const [r, g, b] = OVERLAY_RGB;
  let j = 0;
  for (let y = rect.y0; y < rect.y1; y++) {
    let i = y * width + rect.x0;
    for (let x = rect.x0; x < rect.x1; x++, i++, j += 4) {
      const value = valueAt ? valueAt(i) : source[i];
      out[j] = r; out[j + 1] = g; out[j + 2] = b; out[j + 3] = value;
    }
  }
  state.overlayContext.putImageData(image, rect.x0, rect.y0);
}

function maskIsEmpty() {
  const data = state.effective;
  for (let i = 0; i < data.length; i++) if (data[i]) return false;
  return true;
}

async function maskPng() {
  clearTimeout(refineTimer);
  if (state.grow || state.feather) refreshEffective();
  return encodeGreyPng(state.effective, state.mask.width, state.mask.height);
}

// ---- drawing -------------------------------------------------------------------------
let drawPending = false;
function requestDraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => { drawPending = false; draw(); });
}

function draw() {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.round(canvas.clientWidth * ratio), height = Math.round(canvas.clientHeight * ratio);
  if (canvas.width !== width || canvas.height !== height) { canvas.width = width; canvas.height = height; }
  context.setTransform(1, 0, 0, 1, 0, 0);
  context.clearRect(0, 0, width, height);
  const photo = state.photo;
  if (!photo) return;
  const s = view.scale;
  context.setTransform(ratio * s, 0, 0, ratio * s, ratio * view.x, ratio * view.y);
  context.imageSmoothingEnabled = s < 3; // past 300 % show the pixels as they are
  context.imageSmoothingQuality = "high";
  const comparing = state.mode === "compare" && state.result;
  if (comparing) {
    if (state.keys.original) {
      context.drawImage(photo.bitmap, 0, 0);
    } else {
      context.drawImage(state.result.bitmap, 0, 0, photo.width, photo.height);
      context.save();
      context.beginPath();
      context.rect(0, 0, photo.width * state.split, photo.height);
      context.clip();
      context.drawImage(photo.bitmap, 0, 0);
      context.restore();
    }
  } else {
    context.drawImage(photo.bitmap, 0, 0);
    if (!state.keys.original && state.opacity > 0) {
      context.globalAlpha = state.opacity;
      context.drawImage(state.overlay, 0, 0);
      context.globalAlpha = 1;
    }
  }
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.strokeStyle = "rgba(255,255,255,.25)";
  context.lineWidth = 1;
  context.strokeRect(view.x - 0.5, view.y - 0.5, photo.width * s + 1, photo.height * s + 1);
  if (comparing && !state.keys.original) drawSplit();
  else drawToolPreview();
}

function drawSplit() {
  const x = view.x + state.photo.width * state.split * view.scale;
  const top = Math.max(0, view.y), bottom = Math.min(canvas.clientHeight, view.y + state.photo.height * view.scale);
  context.fillStyle = "#fff";
  context.fillRect(x - 1, top, 2, bottom - top);
  const middle = (top + bottom) / 2;
  context.beginPath();
  context.arc(x, middle, 14, 0, Math.PI * 2);
  context.fillStyle = "rgba(20,22,26,.85)";
  context.fill();
  context.strokeStyle = "#fff";
  context.lineWidth = 2;
  context.stroke();
  context.beginPath();
  context.moveTo(x - 5, middle - 5); context.lineTo(x - 9, middle); context.lineTo(x - 5, middle + 5);
  context.moveTo(x + 5, middle - 5); context.lineTo(x + 9, middle); context.lineTo(x + 5, middle + 5);
  context.stroke();
  context.font = "12px system-ui, sans-serif";
  context.fillStyle = "rgba(255,255,255,.9)";
  context.textBaseline = "top";
  const labelY = Math.max(8, view.y + 8);
  context.textAlign = "right";
  context.fillText("before", x - 10, labelY);
  context.textAlign = "left";
  context.fillText("after", x + 10, labelY);
}

function drawToolPreview() {
  const gesture = state.gesture;
  context.lineWidth = 1.5;
  if (gesture && gesture.kind === "rect") {
    const a = view.toStage(gesture.start.x, gesture.start.y), b = view.toStage(gesture.end.x, gesture.end.y);
    dashed(() => context.strokeRect(Math.min(a.x, b.x), Math.min(a.y, b.y), Math.abs(b.x - a.x), Math.abs(b.y - a.y)), gesture.erase);
    return;
  }
  if (gesture && gesture.kind === "lasso") {
    dashed(() => {
      context.beginPath();
      gesture.points.forEach((p, i) => {
        const q = view.toStage(p.x, p.y);
        if (i) context.lineTo(q.x, q.y); else context.moveTo(q.x, q.y);
      });
      context.closePath();
      context.stroke();
    }, gesture.erase);
    return;
  }
  if (state.pointer && isBrush() && !state.keys.space && !(gesture && gesture.kind === "pan")) {
    const radius = Math.max(1, (state.size / 2) * view.scale);
    context.beginPath();
    context.arc(state.pointer.x, state.pointer.y, radius, 0, Math.PI * 2);
    context.strokeStyle = "rgba(0,0,0,.7)";
    context.lineWidth = 3;
    context.stroke();
    context.strokeStyle = state.tool === "eraser" ? "#9fd0ff" : "#fff";
    context.lineWidth = 1.25;
    context.stroke();
    if (state.tool === "soft" || state.tool === "eraser") {
      const hardness = state.hardness[state.tool];
      if (hardness < 1 && radius * hardness > 2) {
        context.beginPath();
        context.setLineDash([3, 3]);
        context.arc(state.pointer.x, state.pointer.y, radius * hardness, 0, Math.PI * 2);
        context.stroke();
        context.setLineDash([]);
      }
    }
  }
}

function dashed(paint, erase) {
  context.strokeStyle = "rgba(0,0,0,.8)";
  context.lineWidth = 3;
  context.setLineDash([]);
  paint();
  context.strokeStyle = erase ? "#9fd0ff" : "#fff";
  context.lineWidth = 1.5;
  context.setLineDash([6, 4]);
  paint();
  context.setLineDash([]);
}

function showZoom() {
  $("zoom-value").textContent = state.photo ? `${Math.round(view.scale * 100)}%` : "–";
}

// ---- tools and pointer -----------------------------------------------------------------
const isBrush = () => ["brush", "soft", "eraser"].includes(state.tool);

function setTool(tool) {
  state.tool = tool;
  for (const button of document.querySelectorAll(".tool")) {
    button.setAttribute("aria-pressed", String(button.dataset.tool === tool));
  }
  const field = $("hardness-field");
  const adjustable = tool === "soft" || tool === "eraser";
  field.hidden = !adjustable;
  if (adjustable) {
    $("hardness").value = String(Math.round(state.hardness[tool] * 100));
    $("hardness-value").textContent = `${Math.round(state.hardness[tool] * 100)}%`;
  }
  if (state.mode === "compare") setMode("edit");
  updateCursor();
  requestDraw();
}

function setSize(size) {
  state.size = Math.max(1, Math.min(500, Math.round(size)));
  $("size").value = String(state.size);
  $("size-value").textContent = `${state.size} px`;
  requestDraw();
}

function updateCursor() {
  let cursor = "default";
  if (!state.photo) cursor = "default";
  else if (state.gesture && state.gesture.kind === "pan") cursor = "grabbing";
  else if (state.keys.space) cursor = "grab";
  else if (state.mode === "compare" && state.result) cursor = "ew-resize";
  else if (isBrush()) cursor = "none";
  else cursor = "crosshair";
  canvas.style.cursor = cursor;
}

function stagePoint(event) {
  const box = canvas.getBoundingClientRect();
  return { x: event.clientX - box.left, y: event.clientY - box.top };
}

canvas.addEventListener("pointerdown", (event) => {
  stage.focus({ preventScroll: true });
  if (!state.photo || state.gesture) return;
  const point = stagePoint(event);
  state.pointer = point;
  canvas.setPointerCapture(event.pointerId);
  if (event.button === 1 || (event.button === 0 && state.keys.space)) {
    state.gesture = { kind: "pan", last: point };
  } else if (event.button !== 0) {
    return;
  } else if (state.mode === "compare" && state.result) {
    state.gesture = { kind: "split" };
    moveSplit(point);
  } else {
    const at = view.toImage(point.x, point.y);
    const erase = event.altKey;
    if (isBrush()) {
      state.gesture = { kind: "stroke" };
      const hardness = state.tool === "brush" ? 1 : state.hardness[state.tool];
      state.mask.beginStroke(state.tool === "eraser", hardness);
      state.mask.strokeTo(at.x, at.y, state.size / 2);
    } else if (state.tool === "rect") {
      state.gesture = { kind: "rect", start: at, end: at, erase };
    } else if (state.tool === "lasso") {
      state.gesture = { kind: "lasso", points: [at], erase };
    }
  }
  event.preventDefault();
  updateCursor();
  requestDraw();
});

canvas.addEventListener("pointermove", (event) => {
  const point = stagePoint(event);
  state.pointer = point;
  const gesture = state.gesture;
  if (gesture) {
    if (gesture.kind === "pan") {
      view.panBy(point.x - gesture.last.x, point.y - gesture.last.y);
      gesture.last = point;
    } else if (gesture.kind === "split") {
      moveSplit(point);
    } else if (gesture.kind === "stroke") {
      const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
      for (const each of events.length ? events : [event]) {
        const p = stagePoint(each);
        const at = view.toImage(p.x, p.y);
        state.mask.strokeTo(at.x, at.y, state.size / 2);
      }
    } else if (gesture.kind === "rect") {
      gesture.end = view.toImage(point.x, point.y);
      gesture.erase = event.altKey;
    } else if (gesture.kind === "lasso") {
      const at = view.toImage(point.x, point.y);
      const last = gesture.points[gesture.points.length - 1];
      if (Math.hypot(at.x - last.x, at.y - last.y) * view.scale >= 2) gesture.points.push(at);
      gesture.erase = event.altKey;
    }
  }
  requestDraw();
});

function endGesture(event) {
  const gesture = state.gesture;
  if (!gesture) return;
  state.gesture = null;
  if (canvas.hasPointerCapture(event.pointerId)) canvas.releasePointerCapture(event.pointerId);
  if (gesture.kind === "stroke") state.mask.endStroke();
  else if (gesture.kind === "rect") state.mask.fillRect(gesture.start.x, gesture.start.y, gesture.end.x, gesture.end.y, gesture.erase);
  else if (gesture.kind === "lasso") state.mask.fillPolygon(gesture.points, gesture.erase);
  updateCursor();
  requestDraw();
}
canvas.addEventListener("pointerup", endGesture);
canvas.addEventListener("pointercancel", endGesture);
canvas.addEventListener("pointerleave", () => { if (!state.gesture) { state.pointer = null; requestDraw(); } });

function moveSplit(point) {
  const at = view.toImage(point.x, point.y);
  state.split = Math.min(1, Math.max(0, at.x / state.photo.width));
  requestDraw();
}

canvas.addEventListener("wheel", (event) => {
  if (!state.photo) return;
  event.preventDefault();
  const point = stagePoint(event);
  const delta = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY;
  view.zoomAt(point.x, point.y, Math.exp(-delta * 0.0015));
}, { passive: false });

new ResizeObserver(() => requestDraw()).observe(canvas);

// ---- keyboard ----------------------------------------------------------------------------
function typing(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && !["range", "checkbox", "radio", "button", "file"].includes(target.type);
}

const TOOL_KEYS = { b: "brush", s: "soft", e: "eraser", r: "rect", l: "lasso" };

window.addEventListener("keydown", (event) => {
  if (typing(event.target)) return;
  const key = event.key;
  const command = event.ctrlKey || event.metaKey;
  if (command && key.toLowerCase() === "z") {
    event.preventDefault();
    if (event.shiftKey) redo(); else undo();
    return;
  }
  if (command && key.toLowerCase() === "y") { event.preventDefault(); redo(); return; }
  if (command || event.altKey) return;
  if (key === " ") {
    event.preventDefault();
    if (!state.keys.space) { state.keys.space = true; updateCursor(); requestDraw(); }
    return;
  }
  if (key === "o" || key === "O" || key === "\\") {
    if (!state.keys.original) { state.keys.original = true; requestDraw(); }
    return;
  }
  if (event.repeat && !"[]".includes(key)) return;
  const tool = TOOL_KEYS[key.toLowerCase()];
  if (tool) setTool(tool);
  else if (key === "[") setSize(state.size / 1.15 - 0.5);
  else if (key === "]") setSize(state.size * 1.15 + 0.5);
  else if (key === "i" || key === "I") invertMask();
  else if (key === "Delete" || key === "Backspace") clearMask();
  else if (key === "f" || key === "F") view.fit();
  else if (key === "1") view.actualPixels();
  else if (key === "+" || key === "=") view.zoomAt(canvas.clientWidth / 2, canvas.clientHeight / 2, 1.25);
  else if (key === "-") view.zoomAt(canvas.clientWidth / 2, canvas.clientHeight / 2, 0.8);
  else return;
  event.preventDefault();
});

window.addEventListener("keyup", (event) => {
  const key = event.key;
  if (key === " " && !typing(event.target)) {
    event.preventDefault(); // Space pans; it must not also press the focused button
    state.keys.space = false;
    updateCursor();
    requestDraw();
  }
  if (key === "o" || key === "O" || key === "\\") { state.keys.original = false; requestDraw(); }
});

window.addEventListener("blur", () => {
  state.keys = { space: false, original: false };
  updateCursor();
  requestDraw();
});

// ---- mask commands -----------------------------------------------------------------------
function undo() { if (state.mask && state.mask.canUndo) { state.mask.undo(); setMode("edit"); } }
function redo() { if (state.mask && state.mask.canRedo) { state.mask.redo(); setMode("edit"); } }
function invertMask() { if (state.mask) { state.mask.invert(); setMode("edit"); } }
function clearMask() { if (state.mask) { state.mask.clear(); setMode("edit"); } }

function setMode(mode) {
  state.mode = mode === "compare" && state.result ? "compare" : "edit";
  for (const button of document.querySelectorAll("#view-switch button")) {
    button.setAttribute("aria-pressed", String(button.dataset.view === state.mode));
  }
  updateCursor();
  requestDraw();
}

function updateButtons() {
  const mask = state.mask;
  $("undo").disabled = !mask || !mask.canUndo;
  $("redo").disabled = !mask || !mask.canRedo;
  for (const id of ["invert", "clear", "zoom-fit", "zoom-100", "download-mask"]) $(id).disabled = !mask;
  $("run").disabled = !state.photo || state.running;
  $("run").textContent = state.running ? "Running…" : "Run";
  $("iterate").disabled = state.running;
  $("reroll").disabled = state.running;
}

// ---- running -------------------------------------------------------------------------------
function randomSeed() {
  const values = new Uint32Array(1);
  crypto.getRandomValues(values);
  return values[0] & 0x7fffffff;
}

function stem(name) {
  return (name || "photo").replace(/\.[^.]+$/, "").replace(/\.inpainted$/, "");
}

async function run({ reroll = false } = {}) {
  if (state.running) return;
  if (!state.photo) { showError("open a photo first"); return; }
  clearError();
  state.running = true;
  document.body.dataset.state = "running";
  updateButtons();
  try {
    await runOnce(reroll);
  } catch (error) {
    document.body.dataset.state = "failed";
    showError(messageOf(error));
  } finally {
    state.running = false;
    $("progress-box").hidden = true;
    updateButtons();
  }
}

async function runOnce(reroll) {
  const png = await maskPng();
  if (maskIsEmpty()) {
    document.body.dataset.state = "failed";
    showError("the mask is empty: paint over the part to regenerate (white = regenerate)");
    return;
  }
  if (reroll) $("seed").value = String(randomSeed());
  const seedText = $("seed").value.trim();
  const seed = seedText === "" ? randomSeed() : Number(seedText);
  const engine = $("engine").value || "auto";
  const form = new FormData();
  form.append("image", state.photo.blob, state.photo.name);
  form.append("mask", png, `${stem(state.photo.name)}.mask.png`);
  form.append("engine", engine);
  form.append("seed", String(seed));
  // The mask sent is already grown and feathered, as the overlay shows it.
  form.append("grow", "0");
  form.append("feather", "0");
  if ($("seam").value !== "none") form.append("seam", $("seam").value);
  if ($("padding").value.trim() !== "") form.append("padding", $("padding").value.trim());
  form.append("options", JSON.stringify(state.readOptions()));

  $("progress-box").hidden = false;
  const bar = $("progress");
  bar.removeAttribute("value");
  $("progress-text").textContent = "sending…";
  const started = performance.now();
  state.jobId = null;
  $("cancel").disabled = true;
  try {
    const answer = await api.runJob(form, (event) => {
      // Stages without steps (load, refine, plan, ...) say total 0: the bar just moves.
      if (event.total) {
        bar.max = event.total;
        bar.value = Math.min(event.done || 0, event.total);
      } else {
        bar.removeAttribute("value");
      }
      const what = event.stage || event.state || "running";
      $("progress-text").textContent = event.total ? `${what} · ${event.done || 0} / ${event.total}` : `${what}…`;
    }, (id) => {
      state.jobId = id;
      $("cancel").disabled = false;
    });
    const bitmap = await createImageBitmap(answer.blob);
    setResult({
      blob: answer.blob,
      bitmap,
      seed: answer.seed || seed,
      engine: answer.engine || engine,
      seamScore: answer.seamScore,
      seconds: (performance.now() - started) / 1000,
    });
    setMode("compare");
    document.body.dataset.state = "done";
  } catch (error) {
    if (error instanceof ApiError && error.type === "Cancelled") {
      document.body.dataset.state = "cancelled";
      showNotice("the run was cancelled");
    } else {
      document.body.dataset.state = "failed";
      showError(messageOf(error));
    }
  } finally {
    state.jobId = null;
  }
}

async function cancelJob() {
  if (!state.jobId) return;
  $("cancel").disabled = true;
  $("progress-text").textContent = "cancelling…";
  try {
    await api.cancel(state.jobId);
  } catch (error) {
    showError(messageOf(error));
  }
}

function setResult(result) {
  if (state.result) {
    URL.revokeObjectURL(state.result.url);
    state.result.bitmap.close?.();
  }
  state.result = result;
  $("result-box").hidden = !result;
  $("view-switch").hidden = !result;
  if (!result) return;
  result.url = URL.createObjectURL(result.blob);
  const link = $("download-result");
  link.href = result.url;
  link.download = `${stem(state.photo.name)}.inpainted.png`;
  const seam = result.seamScore ? ` · seam ${Number(result.seamScore).toFixed(1)}` : "";
  $("result-info").textContent = `${result.engine} · seed ${result.seed}${seam} · ${result.seconds.toFixed(1)} s`;
  $("result-info").title = "engine, seed, seam score (the colour step across the mask's edge, 1/255 units), time";
}

async function iterate() {
  if (!state.result || state.running) return;
  const { blob } = state.result;
  const name = `${stem(state.photo.name)}.png`;
  await loadPhoto(blob, name);
  showNotice("the result is now the photo: paint the next change");
}

async function downloadMask() {
  if (!state.mask) return;
  const png = await maskPng();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(png);
  link.download = `${stem(state.photo.name)}.mask.png`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

// ---- inputs: files, drop, paste, controls ----------------------------------------------------
$("photo-input").addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (file) loadPhoto(file, file.name);
  event.target.value = "";
});
$("mask-input").addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (file) loadMaskFile(file);
  event.target.value = "";
});

function imageFileOf(list) {
  for (const file of list || []) if (!file.type || file.type.startsWith("image/")) return file;
  return null;
}
window.addEventListener("dragover", (event) => {
  event.preventDefault();
  stage.classList.add("drop");
});
window.addEventListener("dragleave", (event) => {
  if (!event.relatedTarget) stage.classList.remove("drop");
});
window.addEventListener("drop", (event) => {
  event.preventDefault();
  stage.classList.remove("drop");
  const file = imageFileOf(event.dataTransfer && event.dataTransfer.files);
  if (file) loadPhoto(file, file.name);
  else showError("drop an image file (PNG, JPEG, WebP, ...)");
});
window.addEventListener("paste", (event) => {
  if (typing(event.target)) return;
  const file = imageFileOf(event.clipboardData && event.clipboardData.files);
  if (file) {
    event.preventDefault();
    loadPhoto(file, file.name && file.name !== "image.png" ? file.name : "pasted.png");
  }
});

for (const button of document.querySelectorAll(".tool")) {
  button.addEventListener("click", () => setTool(button.dataset.tool));
}
for (const button of document.querySelectorAll("#view-switch button")) {
  button.addEventListener("click", () => setMode(button.dataset.view));
}
$("size").addEventListener("input", (event) => setSize(Number(event.target.value)));
$("hardness").addEventListener("input", (event) => {
  const value = Number(event.target.value) / 100;
  if (state.tool in state.hardness) state.hardness[state.tool] = value;
  $("hardness-value").textContent = `${event.target.value}%`;
  requestDraw();
});
$("opacity").addEventListener("input", (event) => {
  state.opacity = Number(event.target.value) / 100;
  $("opacity-value").textContent = `${event.target.value}%`;
  if (state.mode === "compare") setMode("edit");
  requestDraw();
});
$("grow").addEventListener("input", (event) => {
  state.grow = Number(event.target.value);
  $("grow-value").textContent = `${state.grow} px`;
  if (state.mode === "compare") setMode("edit");
  scheduleRefine();
});
$("feather").addEventListener("input", (event) => {
  state.feather = Number(event.target.value);
  $("feather-value").textContent = `${state.feather} px`;
  if (state.mode === "compare") setMode("edit");
  scheduleRefine();
});
$("undo").addEventListener("click", undo);
$("redo").addEventListener("click", redo);
$("invert").addEventListener("click", invertMask);
$("clear").addEventListener("click", clearMask);
$("zoom-fit").addEventListener("click", () => view.fit());
$("zoom-100").addEventListener("click", () => view.actualPixels());
$("dice").addEventListener("click", () => { $("seed").value = String(randomSeed()); });
$("run").addEventListener("click", () => run());
$("cancel").addEventListener("click", cancelJob);
$("reroll").addEventListener("click", () => run({ reroll: true }));
$("iterate").addEventListener("click", iterate);
$("download-mask").addEventListener("click", downloadMask);
$("error-close").addEventListener("click", clearError);
$("engine").addEventListener("change", (event) => {
  localStorage.setItem("inpaintkit.engine", event.target.value);
  showEngine(event.target.value);
});

const tokenInput = $("token");
tokenInput.value = api.token;
let tokenTimer = 0;
tokenInput.addEventListener("input", () => {
  clearTimeout(tokenTimer);
  tokenTimer = setTimeout(tokenChanged, 300);
});
tokenInput.addEventListener("change", tokenChanged);
function tokenChanged() {
  clearTimeout(tokenTimer);
  if (tokenInput.value.trim() === api.token) return;
  api.setToken(tokenInput.value);
  clearError();
  loadEngines();
}

setTool("brush");
setSize(state.size);
updateButtons();
loadEngines();
document.body.dataset.state = "ready";

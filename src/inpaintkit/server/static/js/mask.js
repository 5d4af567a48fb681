// The mask at the photo's full resolution: one byte a pixel, 0 = keep, 255 = regenerate,
// grey = partial. Painting works on the bytes directly (no canvas antialiasing, so a hard
// brush gives exactly 0 and 255); each edit is recorded as the before/after bytes of the
// rectangle it touched, for undo and redo.

const HISTORY_BYTES = 256 * 2 ** 20;

export class Rect {
  constructor(x0, y0, x1, y1) { Object.assign(this, { x0, y0, x1, y1 }); }
  get empty() { return this.x1 <= this.x0 || this.y1 <= this.y0; }
  get width() { return this.x1 - this.x0; }
  get height() { return this.y1 - this.y0; }
  union(other) {
    if (!other || other.empty) return this;
    if (this.empty) return other;
    return new Rect(Math.min(this.x0, other.x0), Math.min(this.y0, other.y0),
      Math.max(this.x1, other.x1), Math.max(this.y1, other.y1));
  }
  static none() { return new Rect(0, 0, 0, 0); }
}

export class MaskLayer {
  constructor(width, height) {
    this.width = width;
    this.height = height;
    this.data = new Uint8Array(width * height);
    this.base = new Uint8Array(width * height); // the mask before the edit in progress
    this.stroke = null; // what the stroke in progress has laid down (max of its dabs)
    this.undoStack = [];
    this.redoStack = [];
    this.onChange = () => {}; // (rect, {final}) after every change
  }

  get canUndo() { return this.undoStack.length > 0; }
  get canRedo() { return this.redoStack.length > 0; }
  get full() { return new Rect(0, 0, this.width, this.height); }

  isEmpty() {
    const data = this.data;
    for (let i = 0; i < data.length; i++) if (data[i]) return false;
    return true;
  }

  // ---- strokes: brush, soft brush, eraser --------------------------------------------
  beginStroke(erase, hardness) {
    this.erase = erase;
    this.hardness = hardness;
    if (!this.stroke) this.stroke = new Uint8Array(this.width * this.height);
    this.strokeRect = Rect.none();
    this.lastPoint = null;
  }

  /** Lay dabs of `radius` from the last point to (x, y), in photo pixels; answers the
   *  rectangle that changed. */
  strokeTo(x, y, radius) {
    let changed = Rect.none();
    const last = this.lastPoint;
    if (!last) {
      changed = this.dab(x, y, radius);
    } else {
      const distance = Math.hypot(x - last.x, y - last.y);
      const spacing = Math.max(0.5, radius * (this.hardness >= 1 ? 0.3 : 0.15));
      const steps = Math.max(1, Math.ceil(distance / spacing));
      for (let i = 1; i <= steps; i++) {
        const t = i / steps;
        changed = changed.union(this.dab(last.x + (x - last.x) * t, last.y + (y - last.y) * t, radius));
      }
    }
    this.lastPoint = { x, y };
    this.strokeRect = this.strokeRect.union(changed);
    if (!changed.empty) this.onChange(changed, { final: false, erase: this.erase });
    return changed;
  }

  dab(cx, cy, radius) {
    const r = Math.max(0.5, radius);
    const x0 = Math.max(0, Math.floor(cx - r)), x1 = Math.min(this.width, Math.ceil(cx + r));
    const y0 = Math.max(0, Math.floor(cy - r)), y1 = Math.min(this.height, Math.ceil(cy + r));
    if (x1 <= x0 || y1 <= y0) return Rect.none();
    const { data, base, stroke, width, erase } = this;
    const hard = this.hardness >= 1;
    const inner = r * this.hardness;
    const ramp = Math.max(1e-6, r - inner);
    const r2 = r * r;
    for (let y = y0; y < y1; y++) {
      const dy = y + 0.5 - cy;
      let i = y * width + x0;
      for (let x = x0; x < x1; x++, i++) {
        const dx = x + 0.5 - cx;
        const d2 = dx * dx + dy * dy;
        if (d2 > r2) continue;
        let value = 255;
        if (!hard) {
          const d = Math.sqrt(d2);
          if (d > inner) {
            const t = (d - inner) / ramp; // 0 at the hard core, 1 at the rim
            value = Math.round(255 * (0.5 + 0.5 * Math.cos(Math.PI * t)));
          }
        }
        if (value <= stroke[i]) continue;
        stroke[i] = value;
        data[i] = erase ? Math.min(base[i], 255 - value) : Math.max(base[i], value);
      }
    }
    return new Rect(x0, y0, x1, y1);
  }

  endStroke() {
    const rect = this.strokeRect;
    if (!rect || rect.empty) return;
    this.stroke.fill(0); // cheap enough, and no stale dabs leak into the next stroke
    this.commit(rect);
  }

  // ---- shapes: rectangle and lasso (binary, no antialiasing) ---------------------------
  fillRect(ax, ay, bx, by, erase) {
    const x0 = clamp(Math.round(Math.min(ax, bx)), 0, this.width);
    const x1 = clamp(Math.round(Math.max(ax, bx)), 0, this.width);
    const y0 = clamp(Math.round(Math.min(ay, by)), 0, this.height);
    const y1 = clamp(Math.round(Math.max(ay, by)), 0, this.height);
    const rect = new Rect(x0, y0, x1, y1);
    if (rect.empty) return;
    const value = erase ? 0 : 255;
    for (let y = y0; y < y1; y++) this.data.fill(value, y * this.width + x0, y * this.width + x1);
    this.commit(rect);
  }

  /** Fill the polygon `points` ([{x, y}], photo pixels): a pixel is inside when its
   *  centre is (even-odd rule). */
  fillPolygon(points, erase) {
    if (points.length < 3) return;
    let minY = Infinity, maxY = -Infinity, minX = Infinity, maxX = -Infinity;
    for (const p of points) {
      minY = Math.min(minY, p.y); maxY = Math.max(maxY, p.y);
      minX = Math.min(minX, p.x); maxX = Math.max(maxX, p.x);
    }
    const y0 = clamp(Math.floor(minY), 0, this.height), y1 = clamp(Math.ceil(maxY), 0, this.height);
    const value = erase ? 0 : 255;
    const crossings = [];
    for (let y = y0; y < y1; y++) {
      const cy = y + 0.5;
      crossings.length = 0;
      for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
        const a = points[i], b = points[j];
        if ((a.y > cy) !== (b.y > cy)) crossings.push(a.x + ((cy - a.y) / (b.y - a.y)) * (b.x - a.x));
      }
      crossings.sort((p, q) => p - q);
      for (let k = 0; k + 1 < crossings.length; k += 2) {
        const from = clamp(Math.ceil(crossings[k] - 0.5), 0, this.width);
        const to = clamp(Math.ceil(crossings[k + 1] - 0.5), 0, this.width);
        if (to > from) this.data.fill(value, y * this.width + from, y * this.width + to);
      }
    }
    const rect = new Rect(clamp(Math.floor(minX), 0, this.width), y0,
      clamp(Math.ceil(maxX), 0, this.width), y1);
    if (!rect.empty) this.commit(rect);
  }

  // ---- whole-mask edits ----------------------------------------------------------------
  invert() {
    const data = this.data;
    for (let i = 0; i < data.length; i++) data[i] = 255 - data[i];
    this.base.set(data);
    this.push({ invert: true });
    this.onChange(this.full, { final: true });
  }

  clear() {
    if (this.isEmpty()) return;
    this.data.fill(0);
    this.commit(this.full);
  }

  /** Replace the whole mask with `values` (a Uint8Array of width × height). */
  replace(values) {
    this.data.set(values);
    this.commit(this.full);
  }

  // ---- history ---------------------------------------------------------------------------
  /** Record the edit of `rect`: `base` holds the bytes before, `data` after. */
  commit(rect) {
    this.push({ rect, before: this.crop(this.base, rect), after: this.crop(this.data, rect) });
    this.paste(this.base, rect, this.crop(this.data, rect));
    this.onChange(rect, { final: true });
  }

  push(entry) {
    this.undoStack.push(entry);
    this.redoStack = [];
    let bytes = 0;
    for (let i = this.undoStack.length - 1; i >= 0; i--) {
      const item = this.undoStack[i];
      bytes += item.before ? item.before.length * 2 : 0;
      if (bytes > HISTORY_BYTES) { this.undoStack.splice(0, i + 1); break; }
    }
  }

  undo() { this.step(this.undoStack, this.redoStack, "before"); }
  redo() { this.step(this.redoStack, this.undoStack, "after"); }

  step(from, to, side) {
    const entry = from.pop();
    if (!entry) return;
    to.push(entry);
    if (entry.invert) {
      for (let i = 0; i < this.data.length; i++) this.data[i] = 255 - this.data[i];
      this.base.set(this.data);
      this.onChange(this.full, { final: true });
      return;
    }
    this.paste(this.data, entry.rect, entry[side]);
    this.paste(this.base, entry.rect, entry[side]);
    this.onChange(entry.rect, { final: true });
  }

  crop(source, rect) {
    const out = new Uint8Array(rect.width * rect.height);
    for (let y = rect.y0; y < rect.y1; y++) {
      out.set(source.subarray(y * this.width + rect.x0, y * this.width + rect.x1), (y - rect.y0) * rect.width);
    }
    return out;
  }

  paste(target, rect, bytes) {
    for (let y = rect.y0; y < rect.y1; y++) {
      target.set(bytes.subarray((y - rect.y0) * rect.width, (y - rect.y0 + 1) * rect.width), y * this.width + rect.x0);
    }
  }
}

function clamp(value, low, high) {
  return Math.min(high, Math.max(low, value));
}

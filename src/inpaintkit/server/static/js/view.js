// Zoom and pan: where the photo sits on the stage. `scale` is CSS pixels per photo pixel,
// (x, y) the CSS position of the photo's top-left corner. The canvas carries the current
// transform as data attributes (data-scale, data-x, data-y), handy for tests and tools.

export const MIN_SCALE = 0.02;
export const MAX_SCALE = 32;

export class Viewport {
  constructor(canvas, onChange) {
    this.canvas = canvas;
    this.onChange = onChange;
    this.scale = 1;
    this.x = 0;
    this.y = 0;
    this.imageWidth = 0;
    this.imageHeight = 0;
  }

  get cssWidth() { return this.canvas.clientWidth; }
  get cssHeight() { return this.canvas.clientHeight; }

  setImage(width, height) {
    this.imageWidth = width;
    this.imageHeight = height;
    this.fit();
  }

  fit() {
    if (!this.imageWidth) return;
    const margin = 24;
    const scale = Math.min(
      (this.cssWidth - 2 * margin) / this.imageWidth,
      (this.cssHeight - 2 * margin) / this.imageHeight,
    );
    this.set(Math.max(MIN_SCALE, Math.min(scale, 4)));
  }

  /** Set the scale, keeping the photo centred. */
  set(scale) {
    this.scale = scale;
    this.x = (this.cssWidth - this.imageWidth * scale) / 2;
    this.y = (this.cssHeight - this.imageHeight * scale) / 2;
    this.changed();
  }

  actualPixels() {
    const cx = this.cssWidth / 2, cy = this.cssHeight / 2;
    this.zoomAt(cx, cy, 1 / this.scale);
  }

  /** Zoom by `factor` around the stage point (sx, sy), which stays over the same pixel. */
  zoomAt(sx, sy, factor) {
    const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, this.scale * factor));
    const { x: ix, y: iy } = this.toImage(sx, sy);
    this.scale = scale;
    this.x = sx - ix * scale;
    this.y = sy - iy * scale;
    this.changed();
  }

  panBy(dx, dy) {
    this.x += dx;
    this.y += dy;
    this.changed();
  }

  toImage(sx, sy) {
    return { x: (sx - this.x) / this.scale, y: (sy - this.y) / this.scale };
  }

  toStage(ix, iy) {
    return { x: this.x + ix * this.scale, y: this.y + iy * this.scale };
  }

  changed() {
    const data = this.canvas.dataset;
    data.scale = String(this.scale);
    data.x = String(this.x);
    data.y = String(this.y);
    this.onChange();
  }
}

// Grow and feather on the client, mirroring inpaintkit.mask.grow / feather, so the overlay
// shows the very mask that is sent (the server then gets grow = feather = 0).
//   grow(r):    binary masks: every pixel within Euclidean distance r of the mask;
//               soft masks: grey dilation by the disk x² + y² ≤ r².
//   feather(σ): mask · clip(2·G_σ(mask > 0) − 1, 0, 1): a soft edge that stays inside.
// Both work on the mask's bounding box grown by their reach, so cost follows the mask.

export function refineMask(data, width, height, { grow = 0, feather = 0 } = {}) {
  grow = Math.max(0, Math.round(grow));
  feather = Math.max(0, Number(feather) || 0);
  if (!grow && !feather) return data;
  let out = data;
  if (grow) out = growMask(out, width, height, grow);
  if (feather) out = featherMask(out, width, height, feather);
  return out;
}

export function boundingBox(data, width, height) {
  let x0 = width, y0 = height, x1 = 0, y1 = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let first = -1, last = -1;
    for (let x = 0; x < width; x++) {
      if (data[row + x]) { first = x; break; }
    }
    if (first < 0) continue;
    for (let x = width - 1; x >= first; x--) {
      if (data[row + x]) { last = x; break; }
    }
    if (y < y0) y0 = y;
    y1 = y + 1;
    if (first < x0) x0 = first;
    if (last + 1 > x1) x1 = last + 1;
  }
  return x1 > x0 ? { x0, y0, x1, y1 } : null;
}

function window(box, margin, width, height) {
  return {
    x0: Math.max(0, box.x0 - margin), y0: Math.max(0, box.y0 - margin),
    x1: Math.min(width, box.x1 + margin), y1: Math.min(height, box.y1 + margin),
  };
}

export function growMask(data, width, height, radius) {
  const out = new Uint8Array(width * height);
  const box = boundingBox(data, width, height);
  if (!box) return out;
  const w = window(box, radius + 1, width, height);
  const ww = w.x1 - w.x0, wh = w.y1 - w.y0;
  let binary = true;
  for (let y = box.y0; y < box.y1 && binary; y++) {
    for (let x = box.x0; x < box.x1; x++) {
      const v = data[y * width + x];
      if (v !== 0 && v !== 255) { binary = false; break; }
    }
  }
  if (binary) {
    const dist = squaredDistanceToMask(data, width, w);
    const limit = radius * radius;
    for (let y = 0; y < wh; y++) {
      for (let x = 0; x < ww; x++) {
        if (dist[y * ww + x] <= limit) out[(y + w.y0) * width + x + w.x0] = 255;
      }
    }
    return out;
  }
  // Grey dilation by a disk: for each row offset dy the disk is a run of half-width
  // floor(sqrt(r² − dy²)); a running max per distinct half-width, then a max over dy.
  const part = new Uint8Array(ww * wh);
  for (let y = 0; y < wh; y++) part.set(data.subarray((y + w.y0) * width + w.x0, (y + w.y0) * width + w.x1), y * ww);
  const byHalfWidth = new Map();
  const rowsMax = (half) => {
    if (!byHalfWidth.has(half)) byHalfWidth.set(half, horizontalMax(part, ww, wh, half));
    return byHalfWidth.get(half);
  };
  const result = new Uint8Array(ww * wh);
  for (let dy = -radius; dy <= radius; dy++) {
    const half = Math.floor(Math.sqrt(radius * radius - dy * dy));
    const source = rowsMax(half);
    for (let y = 0; y < wh; y++) {
      const sy = y + dy;
      if (sy < 0 || sy >= wh) continue;
      const from = sy * ww, to = y * ww;
      for (let x = 0; x < ww; x++) if (source[from + x] > result[to + x]) result[to + x] = source[from + x];
    }
  }
  for (let y = 0; y < wh; y++) out.set(result.subarray(y * ww, (y + 1) * ww), (y + w.y0) * width + w.x0);
  return out;
}

/** Max over [x − half, x + half] of each row (van Herk / Gil-Werman: O(1) a pixel). */
function horizontalMax(part, ww, wh, half) {
  const out = new Uint8Array(ww * wh);
  if (half === 0) { out.set(part); return out; }
  const size = 2 * half + 1;
  const padded = ww + 2 * half;
  const left = new Uint8Array(padded), right = new Uint8Array(padded), row = new Uint8Array(padded);
  for (let y = 0; y < wh; y++) {
    row.fill(0);
    row.set(part.subarray(y * ww, (y + 1) * ww), half);
    for (let i = 0; i < padded; i++) left[i] = i % size === 0 ? row[i] : Math.max(left[i - 1], row[i]);
    for (let i = padded - 1; i >= 0; i--) {
      right[i] = i === padded - 1 || (i + 1) % size === 0 ? row[i] : Math.max(right[i + 1], row[i]);
    }
    for (let x = 0; x < ww; x++) out[y * ww + x] = Math.max(right[x], left[x + size - 1]);
  }
  return out;
}

/** Exact squared Euclidean distance from each pixel of window `w` to the nearest pixel of
 *  the mask (Felzenszwalb & Huttenlocher's two-pass transform). */
function squaredDistanceToMask(data, width, w) {
  const ww = w.x1 - w.x0, wh = w.y1 - w.y0;
  const INF = 1e20;
  const grid = new Float64Array(ww * wh);
  for (let y = 0; y < wh; y++) {
    for (let x = 0; x < ww; x++) grid[y * ww + x] = data[(y + w.y0) * width + x + w.x0] ? 0 : INF;
  }
  const n = Math.max(ww, wh);
  const f = new Float64Array(n), d = new Float64Array(n), v = new Int32Array(n), z = new Float64Array(n + 1);
  const transform = (length) => {
    let k = 0;
    v[0] = 0; z[0] = -INF; z[1] = INF;
    for (let q = 1; q < length; q++) {
      let s;
      for (;;) {
        s = ((f[q] + q * q) - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
        if (s <= z[k] && k > 0) k--; else break;
      }
      if (s <= z[k]) { v[0] = q; z[0] = -INF; z[1] = INF; k = 0; continue; }
      k++; v[k] = q; z[k] = s; z[k + 1] = INF;
    }
    k = 0;
    for (let q = 0; q < length; q++) {
      while (z[k + 1] < q) k++;
      d[q] = (q - v[k]) * (q - v[k]) + f[v[k]];
    }
  };
  for (let x = 0; x < ww; x++) {
    for (let y = 0; y < wh; y++) f[y] = grid[y * ww + x];
    transform(wh);
    for (let y = 0; y < wh; y++) grid[y * ww + x] = d[y];
  }
  for (let y = 0; y < wh; y++) {
    for (let x = 0; x < ww; x++) f[x] = grid[y * ww + x];
    transform(ww);
    for (let x = 0; x < ww; x++) grid[y * ww + x] = d[x];
  }
  return grid;
}

export function featherMask(data, width, height, sigma) {
  const out = new Uint8Array(width * height);
  const box = boundingBox(data, width, height);
  if (!box) return out;
  const reach = Math.ceil(4 * sigma) + 2;
  const w = window(box, reach, width, height);
  const ww = w.x1 - w.x0, wh = w.y1 - w.y0;
  const kernel = gaussianKernel(sigma);
  // Support inside the window; beyond it the support is 0, except past the photo's own
  // edge, which reflects (OpenCV's BORDER_REFLECT: fedcba|abcdef) as the server does.
  const support = (x, y) => {
    if (x < 0) x = -x - 1; else if (x >= width) x = 2 * width - x - 1;
    if (y < 0) y = -y - 1; else if (y >= height) y = 2 * height - y - 1;
    return data[y * width + x] ? 1 : 0;
  };
  const k = kernel.radius, weights = kernel.weights;
  // Horizontal pass over rows y0-k .. y1+k (reflected at the photo's edge), then vertical.
  const rows = wh + 2 * k;
  const horizontal = new Float32Array(ww * rows);
  for (let r = 0; r < rows; r++) {
    const y = w.y0 - k + r;
    if (y < -height || y >= 2 * height) continue;
    for (let x = 0; x < ww; x++) {
      let sum = 0;
      const cx = x + w.x0;
      for (let j = -k; j <= k; j++) {
        const sx = cx + j;
        if (sx < 0 || sx >= width) { sum += weights[j + k] * support(sx, y); continue; }
        const sy = y < 0 ? -y - 1 : y >= height ? 2 * height - y - 1 : y;
        if (data[sy * width + sx]) sum += weights[j + k];
      }
      horizontal[r * ww + x] = sum;
    }
  }
  for (let y = 0; y < wh; y++) {
    for (let x = 0; x < ww; x++) {
      const index = (y + w.y0) * width + x + w.x0;
      const value = data[index];
      if (!value) continue;
      let sum = 0;
      for (let j = 0; j <= 2 * k; j++) sum += weights[j] * horizontal[(y + j) * ww + x];
      let ramp = Math.min(1, Math.max(0, 2 * sum - 1));
      if (ramp >= 1 - 1e-5) ramp = 1;
      out[index] = Math.round(value * ramp);
    }
  }
  return out;
}

function gaussianKernel(sigma) {
  const radius = Math.max(1, Math.round(4 * sigma));
  const weights = new Float64Array(2 * radius + 1);
  let total = 0;
  for (let i = -radius; i <= radius; i++) {
    const w = Math.exp(-(i * i) / (2 * sigma * sigma));
    weights[i + radius] = w;
    total += w;
  }
  for (let i = 0; i < weights.length; i++) weights[i] /= total;
  return { radius, weights };
}

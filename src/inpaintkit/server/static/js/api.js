// The server's HTTP API as the editor uses it: every call carries the token when one is
// set (a header for fetch, `?token=` for EventSource, which cannot send headers), and
// every failure becomes an ApiError whose message is the server's own words.

export class ApiError extends Error {
  constructor(message, { status = 0, type = "Error" } = {}) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

const TOKEN_KEY = "inpaintkit.token";

export class Api {
  // Paths are relative to the page, so the editor also works behind a proxy's prefix.
  constructor(base = ".") {
    this.base = base;
    this.token = localStorage.getItem(TOKEN_KEY) || "";
  }

  setToken(token) {
    this.token = token.trim();
    if (this.token) localStorage.setItem(TOKEN_KEY, this.token);
    else localStorage.removeItem(TOKEN_KEY);
  }

  headers() {
    return this.token ? { Authorization: `Bearer ${this.token}` } : {};
  }

  async fetch(path, init = {}) {
    let answer;
    try {
      answer = await fetch(this.base + path, {
        ...init,
        headers: { ...this.headers(), ...(init.headers || {}) },
      });
    } catch (error) {
      throw new ApiError(`could not reach the server (${error.message}); is it still running?`);
    }
    if (!answer.ok) throw await errorFrom(answer);
    return answer;
  }

  async json(path, init) {
    return (await this.fetch(path, init)).json();
  }

  engines() {
    return this.json("/v1/engines");
  }

  /** Run one job: POST the form, follow its events, answer the result PNG as a Blob.
   *  `onProgress({done, total, stage, state})` is called as the job moves, `onCreated(id)`
   *  once the server has taken it (it can be cancelled from then on). */
  async runJob(form, onProgress = () => {}, onCreated = () => {}) {
    const created = await this.json("/v1/jobs", { method: "POST", body: form });
    onCreated(created.id);
    onProgress({ state: created.state || "queued" });
    const final = await this.follow(created.id, onProgress);
    if (final.kind === "failed") {
      const error = (final.job && final.job.error) || {};
      throw new ApiError(error.message || "the job failed", { type: error.type || "JobFailed" });
    }
    if (final.kind === "cancelled") throw new ApiError("the job was cancelled", { type: "Cancelled" });
    const answer = await this.fetch(`/v1/jobs/${encodeURIComponent(created.id)}/result`);
    const header = (name) => answer.headers.get(`X-Inpaintkit-${name}`);
    return {
      id: created.id,
      blob: await answer.blob(),
      job: final.job,
      engine: header("Engine"),
      seed: header("Seed"),
      seamScore: header("Seam-Score"),
    };
  }

  /** Follow a job's server-sent events until done, failed or cancelled; when the stream
   *  breaks before that, ask the job itself until it ends. */
  follow(id, onProgress) {
    const path = `/v1/jobs/${encodeURIComponent(id)}`;
    const query = this.token ? `?token=${encodeURIComponent(this.token)}` : "";
    return new Promise((resolve, reject) => {
      const source = new EventSource(`${this.base}${path}/events${query}`);
      let finished = false;
      const finish = (kind, event) => {
        finished = true;
        source.close();
        let job = null;
        try { job = event && event.data ? JSON.parse(event.data) : null; } catch { job = null; }
        resolve({ kind, job });
      };
      source.addEventListener("progress", (event) => {
        try { onProgress({ state: "running", ...JSON.parse(event.data) }); } catch { /* ignore */ }
      });
      for (const kind of ["done", "failed", "cancelled"]) {
        source.addEventListener(kind, (event) => finish(kind, event));
      }
      source.addEventListener("error", () => {
        if (finished) return;
        source.close();
        this.poll(path).then(resolve, reject);
      });
    });
  }

  cancel(id) {
    return this.json(`/v1/jobs/${encodeURIComponent(id)}`, { method: "DELETE" });
  }

  async poll(path) {
    for (;;) {
      const job = await this.json(path);
      if (["done", "failed", "cancelled"].includes(job.state)) return { kind: job.state, job };
      await new Promise((wake) => setTimeout(wake, 400));
    }
  }
}

async function errorFrom(answer) {
  let body = null;
  try { body = await answer.json(); } catch { body = null; }
  const error = body && body.error;
  if (error && error.message) {
    return new ApiError(error.message, { status: answer.status, type: error.type });
  }
  const detail = body && typeof body.detail === "string" ? `: ${body.detail}` : "";
  return new ApiError(`the server answered ${answer.status} ${answer.statusText}${detail}`, {
    status: answer.status,
  });
}

// The engine picker and each engine's form, built from GET /v1/engines: only ready
// engines can be picked (the others show why not), prompt fields appear only for engines
// that need a prompt, numbers carry their minimum and maximum, enums become selects,
// and every field starts at its default.

const PROMPT_OPTIONS = new Set(["prompt", "negative_prompt"]);

export function fillEnginePicker(select, engines, preferred) {
  select.replaceChildren();
  const names = Object.keys(engines);
  for (const name of names) {
    const engine = engines[name];
    const option = document.createElement("option");
    option.value = name;
    option.textContent = engine.ready ? name : `${name} — ${engine.reason}`;
    option.disabled = !engine.ready;
    option.title = engine.ready ? describe(engine) : engine.reason;
    select.append(option);
  }
  const ready = names.filter((name) => engines[name].ready);
  const pick = [preferred, "auto", ready[0]].find((name) => name && ready.includes(name));
  select.value = pick || "";
  select.disabled = ready.length === 0;
  return pick || null;
}

export function describe(engine) {
  return (engine.capabilities && engine.capabilities.description) || "";
}

function typesOf(schema) {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  return { nullable: types.includes("null"), kind: types.find((t) => t !== "null") || "string" };
}

function label(name) {
  return name.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

/** Build the form for `engine` into `form`; answers a function giving the options to send
 *  (fields left empty are left out, so the engine's own default applies). */
export function buildEngineForm(form, engine) {
  form.replaceChildren();
  const properties = (engine.options && engine.options.properties) || {};
  const needsPrompt = Boolean(engine.capabilities && engine.capabilities.needs_prompt);
  const readers = [];
  const names = Object.keys(properties).sort(
    (a, b) => Number(PROMPT_OPTIONS.has(b)) - Number(PROMPT_OPTIONS.has(a)),
  );
  for (const name of names) {
    if (PROMPT_OPTIONS.has(name) && !needsPrompt) continue;
    const schema = properties[name];
    const { nullable, kind } = typesOf(schema);
    const wrap = document.createElement("label");
    wrap.className = "field";
    wrap.dataset.option = name;
    const title = document.createElement("span");
    title.textContent = label(name) + (schema["x-unit"] ? ` (${schema["x-unit"]})` : "");
    wrap.append(title);
    let input;
    let read;
    if (Array.isArray(schema.enum)) {
      input = document.createElement("select");
      for (const choice of schema.enum) {
        const option = document.createElement("option");
        option.value = choice === null ? "" : String(choice);
        option.textContent = choice === null ? "(default)" : String(choice);
        input.append(option);
      }
      input.value = schema.default === null || schema.default === undefined ? "" : String(schema.default);
      read = () => (input.value === "" ? undefined : castEnum(input.value, schema.enum));
    } else if (kind === "boolean") {
      wrap.classList.add("check");
      input = document.createElement("input");
      input.type = "checkbox";
      input.checked = Boolean(schema.default);
      wrap.prepend(input);
      read = () => input.checked;
    } else if (kind === "integer" || kind === "number") {
      input = document.createElement("input");
      input.type = "number";
      input.step = kind === "integer" ? "1" : "any";
      if (schema.minimum !== undefined) input.min = String(schema.minimum);
      if (schema.maximum !== undefined) input.max = String(schema.maximum);
      if (schema.default !== null && schema.default !== undefined) input.value = String(schema.default);
      input.placeholder = nullable ? "default" : "";
      read = () => {
        if (input.value.trim() === "") return undefined;
        const value = Number(input.value);
        return Number.isFinite(value) ? value : input.value;
      };
    } else if (PROMPT_OPTIONS.has(name)) {
      input = document.createElement("textarea");
      input.rows = name === "prompt" ? 3 : 2;
      input.value = schema.default || "";
      input.placeholder = name === "prompt" ? "what to paint in the masked area" : "what not to paint";
      read = () => input.value;
    } else {
      input = document.createElement("input");
      input.type = "text";
      input.value = schema.default === null || schema.default === undefined ? "" : String(schema.default);
      input.placeholder = nullable ? "default" : "";
      input.spellcheck = false;
      read = () => (input.value.trim() === "" ? undefined : input.value);
    }
    input.name = name;
    if (kind !== "boolean") wrap.append(input);
    if (schema.description && !PROMPT_OPTIONS.has(name)) {
      wrap.title = schema.description;
      const hint = document.createElement("span");
      hint.className = "hint";
      hint.textContent = schema.description;
      wrap.append(hint);
    }
    form.append(wrap);
    readers.push([name, read]);
  }
  if (!readers.length) {
    const none = document.createElement("p");
    none.className = "muted small";
    none.textContent = "No options.";
    form.append(none);
  }
  return () => {
    const values = {};
    for (const [name, read] of readers) {
      const value = read();
      if (value !== undefined) values[name] = value;
    }
    return values;
  };
}

function castEnum(text, choices) {
  const match = choices.find((choice) => choice !== null && String(choice) === text);
  return match === undefined ? text : match;
}

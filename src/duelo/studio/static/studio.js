// duelo studio: live refresh of a run page and the model panels. No library, no network beyond the studio itself.
"use strict";

const LIVE_PARTS = ["status", "kimg", "losses", "samples", "events", "verdict"];
const POLL_MS = 2000;

function showError(id, message) {
  const element = document.getElementById(id);
  if (!element) return;
  element.textContent = message || "";
  element.hidden = !message;
}

// a reply's body as a blob, or throw the studio's message (JSON {"error": ...})
async function fetchBlob(url, options) {
  options = options || {};
  if (options.method === "POST") options.headers = Object.assign({ "X-Duelo-Studio": "1" }, options.headers);
  const reply = await fetch(url, options);
  if (!reply.ok) {
    let message = "the studio answered " + reply.status;
    try { message = (await reply.json()).error || message; } catch (ignored) { /* not JSON */ }
    throw new Error(message);
  }
  return reply.blob();
}

function showImage(id, blob) {
  const image = document.getElementById(id);
  if (image.src.startsWith("blob:")) URL.revokeObjectURL(image.src);
  image.src = URL.createObjectURL(blob);
  image.hidden = false;
}

function query(form, names) {
  const data = new FormData(form);
  const params = new URLSearchParams({ id: form.dataset.run });
  for (const name of names) {
    const value = data.get(name);
    if (value !== null && value !== "" && !form.querySelector(`[name=${name}]`).closest(".hidden")) {
      params.set(name, value);
    }
  }
  return params.toString();
}

function watchRun() {
  const run = document.getElementById("run");
  if (!run) return;
  const poll = async () => {
    if (document.getElementById("status").textContent !== "running") return;
    try {
      const reply = await fetch("/api/run?id=" + encodeURIComponent(run.dataset.run));
      if (reply.ok) {
        const parts = await reply.json();
        for (const name of LIVE_PARTS) {
          const element = document.getElementById(name);
          if (name === "status" || name === "kimg") element.textContent = parts[name];
          else if (element.innerHTML !== parts[name]) element.innerHTML = parts[name];
        }
      }
    } catch (ignored) { /* the studio restarts: try again */ }
    setTimeout(poll, POLL_MS);
  };
  setTimeout(poll, POLL_MS);
}

function onSubmit(id, handler, errorId) {
  const form = document.getElementById(id);
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(errorId, "");
    try { await handler(form); } catch (error) { showError(errorId, error.message); }
  });
}

function readAsBase64(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",")[1]);
    reader.onerror = () => reject(new Error("cannot read the file"));
    reader.readAsDataURL(blob);
  });
}

function setUpInpainting() {
  const canvas = document.getElementById("inpaint-canvas");
  const input = document.getElementById("inpaint-file");
  if (!canvas || !input) return;
  const mask = document.createElement("canvas");
  const picture = new Image();
  let painting = false;
  const redraw = () => {
    const context = canvas.getContext("2d");
    context.drawImage(picture, 0, 0);
    context.globalAlpha = 0.6;
    context.drawImage(mask, 0, 0);
    context.globalAlpha = 1;
  };
  const clear = () => {
    const context = mask.getContext("2d");
    context.fillStyle = "black";
    context.fillRect(0, 0, mask.width, mask.height);
    redraw();
  };
  input.addEventListener("change", () => {
    if (!input.files.length) return;
    picture.onload = () => {
      canvas.width = mask.width = picture.naturalWidth;
      canvas.height = mask.height = picture.naturalHeight;
      clear();
    };
    picture.src = URL.createObjectURL(input.files[0]);
  });
  const paint = (event) => {
    if (!painting) return;
    const box = canvas.getBoundingClientRect();
    const x = (event.clientX - box.left) * canvas.width / box.width;
    const y = (event.clientY - box.top) * canvas.height / box.height;
    const context = mask.getContext("2d");
    context.fillStyle = "white";
    context.beginPath();
    context.arc(x, y, Math.max(1, canvas.width / 16), 0, 2 * Math.PI);
    context.fill();
    redraw();
  };
  canvas.addEventListener("pointerdown", (event) => { painting = true; paint(event); });
  canvas.addEventListener("pointermove", paint);
  window.addEventListener("pointerup", () => { painting = false; });
  document.getElementById("inpaint-clear").addEventListener("click", clear);
  onSubmit("inpaint-form", async (form) => {
    if (!input.files.length) throw new Error("choose an image first");
    const body = JSON.stringify({ image: await readAsBase64(input.files[0]),
                                  mask: mask.toDataURL("image/png").split(",")[1] });
    const url = "/api/inpaint?id=" + encodeURIComponent(form.dataset.run);
    showImage("i2i-output", await fetchBlob(url, { method: "POST", body,
                                                   headers: { "Content-Type": "application/json" } }));
  }, "i2i-error");
}

// a sequence model's panel: data-shown names the outputs shown and where ("png:image wav:audio": the first text,
// picture and sound the task writes), data-outputs every output, each offered as a download of the same draw
const SEQUENCE_VIEWS = { text: "sequence-text", image: "sequence-image", audio: "sequence-audio" };

function setUpSequences() {
  onSubmit("sequence-form", async (form) => {
    const params = query(form, ["n", "seed", "label"]);
    for (const id of Object.values(SEQUENCE_VIEWS)) document.getElementById(id).hidden = true;
    for (const shown of form.dataset.shown.split(" ").filter(Boolean)) {
      const [kind, where] = shown.split(":");
      const blob = await fetchBlob("/api/draw?" + params + "&as=" + kind);
      const view = document.getElementById(SEQUENCE_VIEWS[where]);
      if (view.tagName === "PRE") view.textContent = await blob.text();
      else {
        if (view.src.startsWith("blob:")) URL.revokeObjectURL(view.src);
        view.src = URL.createObjectURL(blob);
      }
      view.hidden = false;
    }
    const links = document.getElementById("sequence-downloads");
    links.textContent = "";
    for (const kind of form.dataset.outputs.split(" ")) {
      const link = document.createElement("a");
      link.href = "/api/draw?" + params + "&as=" + kind;
      link.download = "samples." + kind;
      link.textContent = "download " + kind.toUpperCase();
      links.append(link, " ");
    }
  }, "sequence-error");
}

function setUpPanels() {
  onSubmit("sample-form", async (form) => {
    showImage("sample", await fetchBlob("/api/sample?" + query(form, ["seed", "label", "psi"])));
  }, "sample-error");
  onSubmit("walk-form", async (form) => {
    const sampleForm = document.getElementById("sample-form");
    const extra = new URLSearchParams(query(sampleForm, ["label", "psi"]));
    const params = new URLSearchParams(query(form, ["seed_a", "seed_b", "frames"]));
    for (const [name, value] of extra) if (name !== "id") params.set(name, value);
    showImage("walk-strip", await fetchBlob("/api/walk?" + params.toString()));
  }, "sample-error");
  onSubmit("table-form", async (form) => {
    const blob = await fetchBlob("/api/table?" + query(form, ["rows", "seed", "condition"]));
    document.getElementById("table-rows").textContent = await blob.text();
    const link = document.getElementById("table-download");
    link.href = URL.createObjectURL(blob);
    link.hidden = false;
  }, "table-error");
  onSubmit("translate-form", async (form) => {
    const file = document.getElementById("translate-file").files[0];
    if (!file) throw new Error("choose an image first");
    const url = "/api/translate?id=" + encodeURIComponent(form.dataset.run);
    showImage("i2i-output", await fetchBlob(url, { method: "POST", body: file }));
  }, "i2i-error");
  setUpInpainting();
  setUpSequences();
}

// the job forms (on the jobs page and a run's page): the form's fields as JSON to /api/jobs, then the job's page
function setUpJobs() {
  for (const form of document.querySelectorAll("form.job-form")) {
    const error = form.querySelector(".error");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      const values = {};
      for (const field of form.querySelectorAll("input, select, textarea")) {
        if (field.type === "checkbox") { if (field.checked) values[field.name] = "on"; }
        else if (field.value.trim() !== "") values[field.name] = field.value;
      }
      // getAttribute, not form.dataset: a form's fields are its properties, and a field may be named "dataset"
      const params = new URLSearchParams({ kind: form.getAttribute("data-job") });
      if (form.hasAttribute("data-run")) params.set("id", form.getAttribute("data-run"));
      try {
        const reply = await fetchBlob("/api/jobs?" + params, { method: "POST", body: JSON.stringify(values),
                                                              headers: { "Content-Type": "application/json" } });
        window.location.href = JSON.parse(await reply.text()).url;
      } catch (failure) {
        error.textContent = failure.message;
        error.hidden = false;
      }
    });
  }
  for (const button of document.querySelectorAll("button.job-stop")) {
    button.addEventListener("click", async () => {
      try {
        const reply = await fetchBlob("/api/job/stop?n=" + button.dataset.job, { method: "POST", body: "" });
        const state = JSON.parse(await reply.text());
        button.textContent = state.status === "running" ? "stopping (press again to kill)" : state.status;
      } catch (failure) {
        button.textContent = failure.message;
      }
    });
  }
  const job = document.getElementById("job");
  if (!job) return;
  const poll = async () => {
    try {
      const reply = await fetch("/api/job?n=" + job.dataset.job);
      if (reply.ok) {
        const state = await reply.json();
        document.getElementById("job-status").textContent = state.status;
        const log = document.getElementById("job-log");
        if (log.textContent !== state.log) { log.textContent = state.log; log.scrollTop = log.scrollHeight; }
        if (state.status !== "running") return;
      }
    } catch (ignored) { /* the studio restarts: try again */ }
    setTimeout(poll, POLL_MS);
  };
  if (document.getElementById("job-status").textContent === "running") setTimeout(poll, POLL_MS);
}

document.addEventListener("DOMContentLoaded", () => { watchRun(); setUpPanels(); setUpJobs(); });

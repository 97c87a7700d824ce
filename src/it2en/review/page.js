// The it2en review page: filter, keyboard navigation, counter, in-place edits, "Save corrections".
// No network: the corrections file is made here, from the data embedded in the page.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("it2en-data").textContent);
  const body = document.body;
  const rows = Array.from(document.querySelectorAll(".seg"));
  const toReview = rows.filter((row) => row.classList.contains("review"));
  const editors = Array.from(document.querySelectorAll(".seg textarea"));
  const counter = document.getElementById("counter");
  const filter = document.getElementById("only-review");
  let current = -1;
  let unsaved = false;
  // Edits are kept in the browser as they are typed, so a closed tab or a crash loses none; a draft
  // applies only while its sentence still reads as it did (a new translation voids it).
  const draftKey = "it2en-review:" + data.source + ":" + data.model.name + ":" + data.model.revision;

  function readDrafts() {
    try { return JSON.parse(localStorage.getItem(draftKey) || "{}"); } catch (error) { return {}; }
  }

  function writeDrafts() {
    const drafts = {};
    editors.filter(edited).forEach((editor) => {
      drafts[editor.dataset.index] = { was: editor.defaultValue, now: editor.value };
    });
    try { localStorage.setItem(draftKey, JSON.stringify(drafts)); } catch (error) { /* storage off: no drafts */ }
  }

  function edited(editor) {
    return editor.value.trim() !== editor.defaultValue.trim() && editor.value.trim() !== "";
  }

  function update() {
    const changes = editors.filter(edited).length;
    let text = toReview.length + " of " + rows.length + " need review";
    if (current >= 0) text += " · at " + (current + 1) + " of " + toReview.length;
    text += " · " + changes + " edited";
    counter.textContent = text;
    body.classList.toggle("nothing", toReview.length === 0);
  }

  function go(step) {
    if (!toReview.length) return;
    current = current < 0 ? (step > 0 ? 0 : toReview.length - 1)
                          : (current + step + toReview.length) % toReview.length;
    rows.forEach((row) => row.classList.remove("current"));
    const row = toReview[current];
    row.classList.add("current");
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "center", behavior: "auto" });
    update();
  }

  function setFilter(on) {
    filter.checked = on;
    body.classList.toggle("only-review", on);
  }

  function corrections() {
    const byIndex = new Map(editors.map((editor) => [editor.dataset.index, editor.value]));
    const blocks = data.blocks.map((block) => ({
      kind: block.kind, source: block.source,
      segments: block.segments.map((segment) => {
        const entry = { source: segment.source, translate: segment.translate,
                        target: segment.target, it2en_target: segment.it2en_target };
        if (byIndex.has(String(segment.index))) entry.target = byIndex.get(String(segment.index));
        return entry;
      }),
    }));
    return { source: data.source, format: data.format, model: data.model, blocks: blocks };
  }

  function save() {
    const text = JSON.stringify(corrections(), null, 1) + "\n";
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
    link.download = data.corrections_file;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    unsaved = false;
  }

  function resize(editor) {  // as tall as its text: no scroll bar inside a sentence
    editor.style.height = "auto";
    editor.style.height = editor.scrollHeight + 2 + "px";
  }

  const drafts = readDrafts();
  editors.forEach((editor) => {
    const draft = drafts[editor.dataset.index];
    if (draft && draft.was === editor.defaultValue) {
      editor.value = draft.now;
      editor.closest(".seg").classList.toggle("edited", edited(editor));
    }
    resize(editor);
    editor.addEventListener("input", () => {
      editor.closest(".seg").classList.toggle("edited", edited(editor));
      unsaved = true;
      resize(editor);
      writeDrafts();
      update();
    });
  });
  window.addEventListener("resize", () => editors.forEach(resize));
  rows.forEach((row) => row.addEventListener("click", () => {
    const position = toReview.indexOf(row);
    if (position >= 0) { current = position; rows.forEach((r) => r.classList.remove("current")); row.classList.add("current"); update(); }
  }));
  filter.addEventListener("change", () => setFilter(filter.checked));
  document.getElementById("next").addEventListener("click", () => go(1));
  document.getElementById("previous").addEventListener("click", () => go(-1));
  document.getElementById("save").addEventListener("click", save);

  document.addEventListener("keydown", (event) => {
    const typing = event.target instanceof HTMLTextAreaElement;
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") { event.preventDefault(); save(); return; }
    if (event.altKey && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault(); go(event.key === "ArrowDown" ? 1 : -1); return;
    }
    if (typing) {
      if (event.key === "Escape") { event.preventDefault(); event.target.closest(".seg").focus(); }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const row = event.target.closest ? event.target.closest(".seg") : null;
    if (event.key === "j" || event.key === "n") { event.preventDefault(); go(1); }
    else if (event.key === "k" || event.key === "p") { event.preventDefault(); go(-1); }
    else if (event.key === "f") { event.preventDefault(); setFilter(!filter.checked); }
    else if ((event.key === "Enter" || event.key === "e") && row && row.querySelector("textarea")) {
      event.preventDefault();
      const editor = row.querySelector("textarea");
      editor.focus();
      editor.setSelectionRange(editor.value.length, editor.value.length);  // go on at the end
    }
  });
  window.addEventListener("beforeunload", (event) => {
    if (unsaved) { event.preventDefault(); event.returnValue = ""; }
  });
  update();
})();

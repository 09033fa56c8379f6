// Count entry: Enter in the code field moves to the quantity; Enter there submits (htmx).
// After each answer the code field has the focus again, ready for the next scan.
// Ctrl+Z (Cmd+Z) with an empty code field undoes the counter's last entry.
// The panel swaps with `settle:0ms`: htmx focuses [autofocus] when the swap settles, and with
// its default 20 ms delay that focus jumped back to the code field in the middle of the next scan.
(function () {
  function focusCode(select) {
    const code = document.querySelector("#entry-form [name=code]");
    if (code) { code.focus(); if (select) code.select(); }
  }
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if ((event.ctrlKey || event.metaKey) && !event.shiftKey && event.key.toLowerCase() === "z"
        && target.form && target.form.id === "entry-form" && !target.value) {
      const undo = document.querySelector("#undo-form button");
      if (undo) { event.preventDefault(); undo.click(); }
      return;
    }
    if (event.key !== "Enter" || !target.form || target.form.id !== "entry-form") return;
    if (target.name === "code") {
      event.preventDefault();
      if (!target.value.trim()) return;
      const qty = target.form.querySelector("[name=quantity]");
      qty.focus();
      qty.select();
    }
  });
  document.body.addEventListener("htmx:afterSwap", () => {
    const failed = document.querySelector("#entry-feedback [data-kind=danger]");
    focusCode(Boolean(failed));
  });
  document.body.addEventListener("htmx:sendError", () => {
    const box = document.getElementById("entry-feedback");
    const page = document.querySelector(".count-entry");
    if (!box || !page) return;
    const alert = document.createElement("div");
    alert.className = "alert alert-danger py-2 mb-2";
    alert.textContent = page.dataset.networkError;
    box.replaceChildren(alert);
  });
  focusCode(false);
})();
